#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building and testing rzram needs on a Debian 12 machine, as root.
# Idempotent: a second run only checks. python3 turns the benchmark's results into a table and
# a plot (make test checks that on a made-up run); scripts/bench.sh installs fio itself.
set -euo pipefail

BINDGEN_MIN=0.71.1
# tools/rzram-estimate needs nothing more: cargo (rustup's) fetches its crates, and
# build-essential's C compiler builds the zstd library it links.
# debhelper: the kernel's bindeb-pkg (make deb) runs its dh_* commands.
PKGS=(build-essential bc flex bison libelf-dev libssl-dev cpio kmod rsync
      clang-19 lld-19 llvm-19 libclang-19-dev
      qemu-system-x86 busybox-static e2fsprogs xz-utils ca-certificates curl
      shellcheck perl patch
      util-linux systemd debhelper
      python3)

log() { printf 'deps: %s\n' "$*" >&2; }

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		log "missing packages: ${missing[*]} (run as root to install them)"
		exit 1
	fi
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v rustup >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/rustup" ]]; then
	export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v rustup >/dev/null 2>&1 || { log "rustup not found; install Rust with rustup first"; exit 1; }
rustup component list --installed | grep -q '^rust-src' || rustup component add rust-src
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt

version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }
have_bindgen() {
	command -v bindgen >/dev/null 2>&1 || return 1
	local v
	v=$(bindgen --version 2>/dev/null | awk '{print $2}')
	version_ge "$v" "$BINDGEN_MIN"
}
if ! have_bindgen; then
	log "installing bindgen-cli >= $BINDGEN_MIN from crates.io"
	LIBCLANG_PATH=/usr/lib/llvm-19/lib cargo install --locked bindgen-cli
fi
log "ok: $(rustc --version), $(bindgen --version), $(clang-19 --version | head -n1)"

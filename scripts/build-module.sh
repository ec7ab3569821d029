#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build rzram.ko out of tree against a configured and built kernel tree.
#
# Usage: build-module.sh <kernel build dir> [<output dir>]
# The objects go to <output dir> (default: <kernel build dir>/rzram-module), so the same
# checkout can be built for several kernels. Prints the path of rzram.ko on stdout.
# CLIPPY=1 in the environment also runs clippy on the driver.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kdir=$(cd "${1:?usage: build-module.sh <kernel build dir> [<output dir>]}" && pwd)
out=${2:-$kdir/rzram-module}
mkdir -p "$out"
out=$(cd "$out" && pwd)

export PATH="$HOME/.cargo/bin:$PATH"
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}

extra=()
if [[ "${CLIPPY:-}" == 1 ]]; then
	extra+=(CLIPPY=1)
fi
make -C "$kdir" LLVM=-19 M="$top" MO="$out" "${extra[@]}" -j"$(nproc)" modules >&2
echo "$out/drivers/block/rzram/rzram.ko"

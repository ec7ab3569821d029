#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Set up the machine, build (or reuse) the base kernel and rzram.ko, and run a guest script
# on them in a VM of the given size. What `make` and `make bench` share.
#
# Usage: run-base.sh <memory size> <guest script> [args...]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mem=$1
shift
bash scripts/deps.sh
kdir=$(bash scripts/build-kernel.sh base)
ko=$(bash scripts/build-module.sh "$kdir")
exec bash scripts/run-vm.sh --kernel "$kdir" --module "$ko" --mem "$mem" "$@"

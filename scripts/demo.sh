#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job: set up the machine, build the kernel and rzram.ko, boot a VM and show rzram
# working as compressed swap under real memory pressure.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/deps.sh
kdir=$(bash scripts/build-kernel.sh base)
ko=$(bash scripts/build-module.sh "$kdir")
exec bash scripts/run-vm.sh --kernel "$kdir" --module "$ko" --mem 256M tests/guest/demo/swap-demo.sh

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job: set up the machine, build the kernel and rzram.ko, boot a VM and show rzram
# working as compressed swap for a process that fills four times its memory cgroup's limit,
# with a backing store (a virtio disk) attached after init and idle pages written back to it.
set -euo pipefail

exec bash "$(dirname "$0")/run-base.sh" 256M --disk 256M tests/guest/demo/swap-demo.sh

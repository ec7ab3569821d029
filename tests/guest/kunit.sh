#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Load rzram.ko: its KUnit suites (rzram_*) run at load and print KTAP to the console, where
# the host counts them. Then unload it again.
set -eu
modprobe rzram
rmmod rzram
echo "RZRAM-KUNIT-DONE"

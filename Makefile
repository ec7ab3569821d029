# SPDX-License-Identifier: GPL-2.0
#
# User-facing targets. The module itself is built by Kbuild (see ./Kbuild).
#
#   make              the main job: build everything, boot a VM, show rzram as swap
#   make KDIR=<dir>   build rzram.ko against your own built 7.3 tree (same as make module)
#   make test         every test on the base and the debug kernel; ends with "N passed, N failed"
#   make module KDIR=<kernel build dir>
#                     build rzram.ko against your own built 7.3 tree (rust/patches applied)
#   make kernel       build (or reuse) the base kernel; prints its build directory
#   make check        rustfmt, clippy and shellcheck only
#   make bench        rzram and the C zram side by side in one VM (not a test): fio, swap and
#                     fixed memory; a report and a plot in bench-results/ (about 20 minutes);
#                     make bench BENCH_ARGS="--full" for the whole fio matrix (see scripts/bench.sh)
#   make deb [KDIR=<kernel build dir>]
#                     Debian packages of the base kernel (or of KDIR's) and of rzram.ko, in
#                     ./deb (or $RZRAM_DEB_OUT); see "Installing on a real machine" in README.md
#   make clean        remove module build products and rzram-estimate's from this tree

KDIR ?=
BENCH_ARGS ?=
LLVM ?= -19

.PHONY: all demo test module kernel check bench deb clean

ifeq ($(KDIR),)
all: demo
else
all: module
endif

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

kernel:
	bash scripts/build-kernel.sh base

module:
ifeq ($(KDIR),)
	bash scripts/build-module.sh "$$(bash scripts/build-kernel.sh base)"
else
	bash scripts/build-module.sh "$(KDIR)"
endif

check:
	bash scripts/test.sh --variants base --only none

bench:
	bash scripts/bench.sh $(BENCH_ARGS)

deb:
	KDIR="$(KDIR)" bash scripts/deb.sh

clean:
	find drivers tests -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '*.d' | xargs rm -f
	rm -f modules.order Module.symvers
	rm -rf tools/rzram-estimate/target

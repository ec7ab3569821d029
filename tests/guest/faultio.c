// SPDX-License-Identifier: GPL-2.0
/*
 * faultio: write a file to a block device page by page with O_DIRECT, with the kernel's
 * fault injection armed for this task during the writes only, and go on after errors.
 *
 * Usage: faultio <device> <file>
 *
 * The file (a multiple of 4 KiB) is read and the device opened first; then
 * /proc/self/make-it-fail is set to 1, so that failslab and fail_page_alloc, when their
 * task-filter is on, fail allocations of this task only, and only while it writes: its
 * own pages are already in memory, so the failures land in the write path (the block
 * layer and the driver), not in process startup or page faults. Each page is written with
 * one pwrite(); a failed page is recorded and the next one is tried.
 *
 * Output, once fault injection is off again: one line "fail <page> <errno>" per page whose
 * write failed, then "pages <n> written <n> failed <n> eio <n> enomem <n> other <n>".
 * Exit status: 0 when every page was tried, 2 on usage or setup errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096UL

static int arm(int fd, int on)
{
	return pwrite(fd, on ? "1" : "0", 1, 0) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	unsigned long npages, p, written = 0, eio = 0, enomem = 0, other = 0;
	int *errs;
	char *buf;
	struct stat st;
	int in, dev, ctl;

	if (argc != 3) {
		fprintf(stderr, "usage: faultio <device> <file>\n");
		return 2;
	}
	in = open(argv[2], O_RDONLY);
	if (in < 0 || fstat(in, &st) || st.st_size <= 0 || st.st_size % PAGE) {
		fprintf(stderr, "faultio: %s must be a non-empty multiple of 4 KiB\n", argv[2]);
		return 2;
	}
	npages = (unsigned long)st.st_size / PAGE;
	errs = calloc(npages, sizeof(*errs));
	if (!errs || posix_memalign((void **)&buf, PAGE, npages * PAGE)) {
		fprintf(stderr, "faultio: out of memory\n");
		return 2;
	}
	if (read(in, buf, npages * PAGE) != (ssize_t)(npages * PAGE)) {
		fprintf(stderr, "faultio: cannot read %s\n", argv[2]);
		return 2;
	}
	close(in);
	dev = open(argv[1], O_WRONLY | O_DIRECT);
	ctl = open("/proc/self/make-it-fail", O_WRONLY);
	if (dev < 0 || ctl < 0) {
		fprintf(stderr, "faultio: cannot open %s or /proc/self/make-it-fail: %s\n",
			argv[1], strerror(errno));
		return 2;
	}
	/* Nothing but the writes between arming and disarming. */
	if (arm(ctl, 1)) {
		fprintf(stderr, "faultio: cannot arm fault injection\n");
		return 2;
	}
	for (p = 0; p < npages; p++) {
		errno = 0;
		if (pwrite(dev, buf + p * PAGE, PAGE, (off_t)(p * PAGE)) == (ssize_t)PAGE)
			written++;
		else
			errs[p] = errno ? errno : EIO;
	}
	while (arm(ctl, 0))
		; /* the disarming write itself may meet an injected failure */
	for (p = 0; p < npages; p++) {
		if (!errs[p])
			continue;
		printf("fail %lu %s\n", p, strerror(errs[p]));
		if (errs[p] == EIO)
			eio++;
		else if (errs[p] == ENOMEM)
			enomem++;
		else
			other++;
	}
	printf("pages %lu written %lu failed %lu eio %lu enomem %lu other %lu\n", npages, written,
	       npages - written, eio, enomem, other);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * faultio: write a file to a block device page by page with O_DIRECT, or read the device
 * and compare it with the file, with the kernel's fault injection armed for this task
 * during the writes (reads) only, and go on after errors.
 *
 * Usage: faultio <device> <file> [read]
 *
 * The file (a multiple of 4 KiB) is read and the device opened first; then
 * /proc/self/make-it-fail is set to 1, so that failslab and fail_page_alloc, when their
 * task-filter is on, fail allocations of this task only, and only while it writes: its
 * own pages are already in memory, so the failures land in the write path (the block
 * layer and the driver), not in process startup or page faults. Each page is written with
 * one pwrite() (read with one pread() and compared); a failed page is recorded and the next
 * one is tried.
 *
 * Output, once fault injection is off again: one line "fail <page> <errno>" per page whose
 * write (read) failed and "differs <page>" per page read that differs from the file, then
 * "pages <n> done <n> failed <n> eio <n> enomem <n> other <n> differ <n>".
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
	unsigned long npages, p, done = 0, eio = 0, enomem = 0, other = 0, differ = 0;
	int *errs, reading;
	char *buf, *page;
	struct stat st;
	int in, dev, ctl;

	reading = argc == 4 && !strcmp(argv[3], "read");
	if (argc != 3 && !reading) {
		fprintf(stderr, "usage: faultio <device> <file> [read]\n");
		return 2;
	}
	in = open(argv[2], O_RDONLY);
	if (in < 0 || fstat(in, &st) || st.st_size <= 0 || st.st_size % PAGE) {
		fprintf(stderr, "faultio: %s must be a non-empty multiple of 4 KiB\n", argv[2]);
		return 2;
	}
	npages = (unsigned long)st.st_size / PAGE;
	errs = calloc(npages, sizeof(*errs));
	if (!errs || posix_memalign((void **)&buf, PAGE, npages * PAGE) ||
	    posix_memalign((void **)&page, PAGE, npages * PAGE)) {
		fprintf(stderr, "faultio: out of memory\n");
		return 2;
	}
	if (read(in, buf, npages * PAGE) != (ssize_t)(npages * PAGE)) {
		fprintf(stderr, "faultio: cannot read %s\n", argv[2]);
		return 2;
	}
	close(in);
	/* Every page of the read buffer in memory before arming. */
	memset(page, 0, npages * PAGE);
	dev = open(argv[1], (reading ? O_RDONLY : O_WRONLY) | O_DIRECT);
	ctl = open("/proc/self/make-it-fail", O_WRONLY);
	if (dev < 0 || ctl < 0) {
		fprintf(stderr, "faultio: cannot open %s or /proc/self/make-it-fail: %s\n",
			argv[1], strerror(errno));
		return 2;
	}
	/* Nothing but the I/O between arming and disarming. */
	if (arm(ctl, 1)) {
		fprintf(stderr, "faultio: cannot arm fault injection\n");
		return 2;
	}
	for (p = 0; p < npages; p++) {
		ssize_t n;

		errno = 0;
		if (reading)
			n = pread(dev, page + p * PAGE, PAGE, (off_t)(p * PAGE));
		else
			n = pwrite(dev, buf + p * PAGE, PAGE, (off_t)(p * PAGE));
		if (n == (ssize_t)PAGE)
			done++;
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
	for (p = 0; reading && p < npages; p++) {
		if (!errs[p] && memcmp(page + p * PAGE, buf + p * PAGE, PAGE)) {
			printf("differs %lu\n", p);
			differ++;
		}
	}
	printf("pages %lu done %lu failed %lu eio %lu enomem %lu other %lu differ %lu\n", npages,
	       done, npages - done, eio, enomem, other, differ);
	return 0;
}

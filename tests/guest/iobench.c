// SPDX-License-Identifier: GPL-2.0
/*
 * iobench: sequential O_DIRECT write, then read and verify, of a block device, split over
 * several processes; prints the throughput of each phase. For side-by-side comparisons in
 * one VM (rzram, zram, ...), not for absolute numbers.
 *
 * Usage: iobench <device> <MiB> <block KiB> <jobs>
 *
 * The data is memhog's mix per 4 KiB page: a quarter same-filled, five eighths
 * low-entropy, one eighth random-like.
 * Output: "write <MiB/s> read <MiB/s>". Exit status: 0 if everything verified, 1 on an I/O
 * error or a mismatch, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void fill_page(uint64_t *words, uint64_t page)
{
	uint64_t h = mix64(page * 0x100000001b3ULL);
	size_t w;

	for (w = 0; w < PAGE / 8; w++) {
		switch (h & 7) {
		case 0:
		case 1:
			words[w] = h;
			break;
		case 7:
			words[w] = mix64(h + w);
			break;
		default:
			words[w] = (page << 20) | (w & 0xff);
		}
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One job: its share of [first, first + pages) pages, written or read in blocks. */
static int job(const char *dev, uint64_t first, uint64_t pages, size_t block, int write)
{
	uint64_t *buf, *want;
	uint64_t p, q;
	int fd;

	fd = open(dev, (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		perror(dev);
		return 1;
	}
	if (posix_memalign((void **)&buf, PAGE, block) ||
	    posix_memalign((void **)&want, PAGE, PAGE)) {
		fprintf(stderr, "iobench: out of memory\n");
		return 1;
	}
	for (p = first; p < first + pages; p += block / PAGE) {
		size_t n = block / PAGE;

		if (p + n > first + pages)
			n = first + pages - p;
		if (write) {
			for (q = 0; q < n; q++)
				fill_page(buf + q * (PAGE / 8), p + q);
			if (pwrite(fd, buf, n * PAGE, p * PAGE) != (ssize_t)(n * PAGE)) {
				perror("iobench: write");
				return 1;
			}
		} else {
			if (pread(fd, buf, n * PAGE, p * PAGE) != (ssize_t)(n * PAGE)) {
				perror("iobench: read");
				return 1;
			}
			for (q = 0; q < n; q++) {
				fill_page(want, p + q);
				if (memcmp(buf + q * (PAGE / 8), want, PAGE)) {
					fprintf(stderr, "iobench: mismatch at page %" PRIu64 "\n",
						p + q);
					return 1;
				}
			}
		}
	}
	close(fd);
	return 0;
}

/* Runs a phase with `jobs` processes; returns MiB/s, or a negative value on failure. */
static double phase(const char *dev, uint64_t pages, size_t block, int jobs, int write)
{
	uint64_t share = (pages + jobs - 1) / jobs;
	double start = now();
	int j, status, failed = 0;

	for (j = 0; j < jobs; j++) {
		uint64_t first = j * share;
		pid_t pid;

		if (first >= pages)
			break;
		pid = fork();
		if (pid < 0) {
			perror("iobench: fork");
			return -1;
		}
		if (pid == 0)
			_exit(job(dev, first, first + share > pages ? pages - first : share,
				  block, write));
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	return failed ? -1 : pages * PAGE / 1048576.0 / (now() - start);
}

int main(int argc, char **argv)
{
	unsigned long mib, block_kib, jobs;
	double w, r;

	if (argc != 5) {
		fprintf(stderr, "usage: iobench <device> <MiB> <block KiB> <jobs>\n");
		return 2;
	}
	mib = strtoul(argv[2], NULL, 0);
	block_kib = strtoul(argv[3], NULL, 0);
	jobs = strtoul(argv[4], NULL, 0);
	if (!mib || !block_kib || block_kib % 4 || !jobs || jobs > 64) {
		fprintf(stderr, "iobench: bad arguments\n");
		return 2;
	}
	w = phase(argv[1], mib * 1048576 / PAGE, block_kib * 1024, jobs, 1);
	if (w < 0)
		return 1;
	r = phase(argv[1], mib * 1048576 / PAGE, block_kib * 1024, jobs, 0);
	if (r < 0)
		return 1;
	printf("write %.1f read %.1f\n", w, r);
	return 0;
}

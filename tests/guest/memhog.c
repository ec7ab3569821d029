// SPDX-License-Identifier: GPL-2.0
/*
 * memhog: allocate memory, fill every page with a pattern derived from its
 * index, then read everything back and verify it. With more memory than the
 * guest has, the early pages get swapped out (e.g. to zram) and must come back
 * intact.
 *
 * Usage: memhog <MiB> [passes]
 *
 * A quarter of the pages are same-filled (one repeated word), five eighths are
 * low-entropy (highly compressible) and one eighth is random-like, roughly the
 * mix of ordinary anonymous memory.
 * Exit status: 0 when everything verified, 1 on the first mismatch, 2 on usage
 * or allocation errors.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static uint64_t mix64(uint64_t x)
{
	/* splitmix64 finalizer */
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t expected(uint64_t seed, uint64_t page, uint64_t word)
{
	uint64_t h = mix64(seed ^ (page * 0x100000001b3ULL));

	switch (h & 7) {
	case 0:
	case 1: /* same-filled page */
		return h;
	case 7: /* random-like, compresses badly */
		return mix64(h + word);
	default: /* low entropy, compresses well */
		return (page << 20) | (word & 0xff);
	}
}

int main(int argc, char **argv)
{
	unsigned long mib, passes = 1, pass;
	size_t page_size, words_per_page, npages, p, w;
	uint64_t *buf;
	char *end;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: memhog <MiB> [passes]\n");
		return 2;
	}
	mib = strtoul(argv[1], &end, 0);
	if (*end || mib == 0) {
		fprintf(stderr, "memhog: bad size '%s'\n", argv[1]);
		return 2;
	}
	if (argc == 3) {
		passes = strtoul(argv[2], &end, 0);
		if (*end || passes == 0) {
			fprintf(stderr, "memhog: bad pass count '%s'\n", argv[2]);
			return 2;
		}
	}

	page_size = (size_t)sysconf(_SC_PAGESIZE);
	words_per_page = page_size / sizeof(uint64_t);
	npages = (size_t)mib * 1024 * 1024 / page_size;
	/*
	 * Page-aligned, so that each of memhog's pages is one real page: with plain malloc()
	 * the pages straddle page boundaries and none is really same-filled.
	 */
	if (posix_memalign((void **)&buf, page_size, npages * page_size))
		buf = NULL;
	if (!buf) {
		fprintf(stderr, "memhog: cannot allocate %lu MiB\n", mib);
		return 2;
	}

	for (pass = 0; pass < passes; pass++) {
		uint64_t seed = mix64(0x727a72616dULL + pass);

		for (p = 0; p < npages; p++) {
			uint64_t *page = buf + p * words_per_page;

			for (w = 0; w < words_per_page; w++)
				page[w] = expected(seed, p, w);
		}
		for (p = 0; p < npages; p++) {
			const volatile uint64_t *page = buf + p * words_per_page;

			for (w = 0; w < words_per_page; w++) {
				uint64_t got = page[w], want = expected(seed, p, w);

				if (got != want) {
					printf("memhog: MISMATCH pass %lu page %zu word %zu: got %016" PRIx64
					       " want %016" PRIx64 "\n",
					       pass, p, w, got, want);
					return 1;
				}
			}
		}
		if (passes > 1)
			printf("memhog: pass %lu ok\n", pass + 1);
	}
	printf("memhog: verified %lu MiB\n", mib);
	free(buf);
	return 0;
}

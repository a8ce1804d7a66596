/*
 * fuzz.h - what the libFuzzer harnesses of tests/fuzz/ share.
 *
 * Each harness (fuzz_*.c) defines LLVMFuzzerTestOneInput() over the
 * project's own objects, built with clang and
 * -fsanitize=fuzzer-no-link,address,undefined into build-fuzz/ (see the
 * Makefile's fuzz targets and tests/fuzz/README). Inputs are cut into
 * lines here; every line is handed to the code under test in a heap copy
 * of exactly its length, so a read one byte past a line (the parsers get
 * lengths, never a NUL) is an AddressSanitizer report, as it would be at
 * the end of the input.
 */
#ifndef GW_FUZZ_H
#define GW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Called with each line (no newline) in a heap copy of len bytes. */
typedef void (*fuzz_line_fn)(void *ctx, const char *line, size_t len,
    uint64_t line_no, uint64_t offset);

/* Cut p[0..n) at '\n' and hand every line to fn; a final line without a
 * newline counts. Stops early when a copy cannot be made. */
static inline void
fuzz_lines(const uint8_t *p, size_t n, fuzz_line_fn fn, void *ctx)
{
	size_t off = 0;
	uint64_t no = 1;

	while (off < n) {
		const uint8_t *nl = memchr(p + off, '\n', n - off);
		size_t len = nl != NULL ? (size_t)(nl - (p + off)) : n - off;
		char *copy = malloc(len ? len : 1);

		if (copy == NULL)
			return;
		memcpy(copy, p + off, len);
		fn(ctx, copy, len, no++, off);
		free(copy);
		off += len + 1;
	}
}

#endif

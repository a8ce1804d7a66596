/*
 * lines.h - a fixture file's lines for the unit tests (test_formats.c,
 * test_wrapper.c, test_oom_parse.c), each in its own exact-length buffer
 * without its newline, so a parser that reads past a line's end shows up
 * under ASan. Static inline functions (a test uses some of them);
 * cmocka's headers come first.
 */
#ifndef GW_TEST_LINES_H
#define GW_TEST_LINES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define LINES_MAX 256

struct lines {
	char *v[LINES_MAX];
	size_t len[LINES_MAX];
	size_t n;
};

/*
 * Read the first max lines of path into l (max 0: all of them, and a file
 * of more than LINES_MAX lines fails the test); fails the test when path
 * cannot be read.
 */
static inline void
lines_read_first(const char *path, struct lines *l, size_t max)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL)
		fail_msg("cannot open %s (run from the repository root)", path);
	l->n = 0;
	while ((max == 0 || l->n < max) &&
	    (n = getline(&buf, &cap, f)) >= 0) {
		if (n > 0 && buf[n - 1] == '\n')
			n--;
		assert_true(l->n < LINES_MAX);
		l->v[l->n] = malloc(n > 0 ? (size_t)n : 1);
		assert_non_null(l->v[l->n]);
		memcpy(l->v[l->n], buf, (size_t)n);
		l->len[l->n] = (size_t)n;
		l->n++;
	}
	free(buf);
	fclose(f);
}

/* Every line of path (at most LINES_MAX). */
static inline void
lines_read(const char *path, struct lines *l)
{
	lines_read_first(path, l, 0);
}

static inline void
lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

#endif

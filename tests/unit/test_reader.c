/*
 * test_reader.c - capture/reader.c: lines, offsets, CRLF, missing final
 * newline, over-long lines, gzip, resume, and the errors a user can meet.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "capture/reader.h"

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/gw-reader.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *
write_file(const char *name, const void *data, size_t len)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

static void
test_lines_offsets(void **state)
{
	(void)state;
	const char data[] = "one\ntwo\r\n\nlast";
	const char *path = write_file("a.log", data, sizeof(data) - 1);
	struct reader *r;
	struct reader_line ln;
	char err[256];

	assert_int_equal(reader_open(path, &r, err, sizeof(err)), 0);
	assert_int_equal(reader_next(r, &ln, err, sizeof(err)), 1);
	assert_int_equal(ln.len, 3);
	assert_memory_equal(ln.p, "one", 3);
	assert_int_equal(ln.offset, 0);
	assert_int_equal(ln.next, 4);
	assert_int_equal(reader_next(r, &ln, err, sizeof(err)), 1);
	assert_int_equal(ln.len, 3);	/* \r dropped */
	assert_memory_equal(ln.p, "two", 3);
	assert_int_equal(ln.offset, 4);
	assert_int_equal(ln.next, 9);
	assert_int_equal(reader_next(r, &ln, err, sizeof(err)), 1);
	assert_int_equal(ln.len, 0);
	assert_int_equal(reader_next(r, &ln, err, sizeof(err)), 1);
	assert_int_equal(ln.len, 4);
	assert_memory_equal(ln.p, "last", 4);
	assert_true(ln.flags & READER_NO_NEWLINE);
	assert_int_equal(ln.next, sizeof(data) - 1);
	assert_int_equal(reader_next(r, &ln, err, sizeof(err)), 0);
	reader_close(r);
}

static void
test_long_line_bounded(void **state)
{
	(void)state;
	size_t big = 3 * READER_LINE_MAX + 17;
	char *data = malloc(big + 8);
	assert_non_null(data);
	memset(data, 'x', big);
	memcpy(data + big, "\nok\n", 4);
	const char *path = write_file("long.log", data, big + 4);
	struct reader *r;
	struct reader_line ln;
	char err[256];

	assert_int_equal(reader_open(path, &r, err, sizeof(err)), 0);
	assert_int_equal(reader_next(r, &ln, err, sizeof(err)), 1);
	assert_true(ln.flags & READER_TRUNCATED);
	assert_int_equal(ln.len, READER_LINE_MAX);
	assert_int_equal(ln.p[0], 'x');
	assert_int_equal(ln.p[READER_LINE_MAX - 1], 'x');
	assert_int_equal(ln.next, big + 1);
	assert_int_equal(reader_next(r, &ln, err, sizeof(err)), 1);
	assert_int_equal(ln.len, 2);
	assert_memory_equal(ln.p, "ok", 2);
	assert_int_equal(ln.offset, big + 1);
	assert_int_equal(reader_next(r, &ln, err, sizeof(err)), 0);
	reader_close(r);
	free(data);
}

static void
test_gzip_and_skip(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/x.log.gz", tmpdir);
	gzFile gz = gzopen(path, "wb");
	assert_non_null(gz);
	for (int i = 0; i < 50000; i++)
		gzprintf(gz, "line %d\n", i);
	gzclose(gz);

	struct reader *r;
	struct reader_line ln;
	char err[256];
	assert_int_equal(reader_open(path, &r, err, sizeof(err)), 0);
	const unsigned char *head;
	size_t n;
	assert_int_equal(reader_head(r, &head, &n, 64), 0);
	assert_int_equal(n, 64);
	assert_memory_equal(head, "line 0\nline 1\n", 14);
	assert_true(reader_is_gzip(r));
	int count = 0;
	uint64_t mid = 0;
	while (reader_next(r, &ln, err, sizeof(err)) == 1) {
		char want[32];
		int l = snprintf(want, sizeof(want), "line %d", count);
		assert_int_equal(ln.len, (size_t)l);
		assert_memory_equal(ln.p, want, (size_t)l);
		if (count == 40000)
			mid = ln.offset;
		count++;
	}
	assert_int_equal(count, 50000);
	reader_close(r);

	/* Resume at a stored position. */
	assert_int_equal(reader_open(path, &r, err, sizeof(err)), 0);
	assert_int_equal(reader_skip(r, mid, err, sizeof(err)), 0);
	assert_int_equal(reader_next(r, &ln, err, sizeof(err)), 1);
	assert_memory_equal(ln.p, "line 40000", 10);
	reader_close(r);

	/* A position past the end means the file was replaced. */
	assert_int_equal(reader_open(path, &r, err, sizeof(err)), 0);
	assert_int_equal(reader_skip(r, 1u << 30, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "shorter"));
	reader_close(r);
}

static void
test_truncated_gzip(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/cut.gz", tmpdir);
	gzFile gz = gzopen(path, "wb");
	for (int i = 0; i < 20000; i++)
		gzprintf(gz, "some line of text number %d\n", i);
	gzclose(gz);
	assert_int_equal(truncate(path, 20000), 0);

	struct reader *r;
	struct reader_line ln;
	char err[256];
	int rc;
	int lines = 0;
	assert_int_equal(reader_open(path, &r, err, sizeof(err)), 0);
	while ((rc = reader_next(r, &ln, err, sizeof(err))) == 1)
		lines++;
	assert_int_equal(rc, -1);
	assert_true(lines > 0);
	assert_non_null(strstr(err, "cut.gz"));
	reader_close(r);
}

static void
test_open_errors(void **state)
{
	(void)state;
	struct reader *r;
	char err[256];
	char path[128];

	snprintf(path, sizeof(path), "%s/missing.log", tmpdir);
	assert_int_equal(reader_open(path, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "missing.log"));
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(reader_open(tmpdir, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "directory"));

	const char *empty = write_file("empty.log", "", 0);
	struct reader_line ln;
	assert_int_equal(reader_open(empty, &r, err, sizeof(err)), 0);
	assert_int_equal(reader_next(r, &ln, err, sizeof(err)), 0);
	reader_close(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_offsets),
		cmocka_unit_test(test_long_line_bounded),
		cmocka_unit_test(test_gzip_and_skip),
		cmocka_unit_test(test_truncated_gzip),
		cmocka_unit_test(test_open_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

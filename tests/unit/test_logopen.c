/*
 * test_logopen.c - capture/logopen.c: which log files are opened and which
 * are refused (symlinks, hard links, owners), and that a refusal never
 * hands out a descriptor.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/logopen.h"

/* The rules on a made-up stat: owners and names. */
static void
test_policy(void **state)
{
	struct stat st;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0640;
	st.st_nlink = 1;
	st.st_uid = 0;
	assert_null(logopen_policy(&st, 1000, 0));		/* root's */
	st.st_uid = 1000;
	assert_null(logopen_policy(&st, 1000, 0));		/* ours */
	st.st_uid = 33;
	assert_null(logopen_policy(&st, 0, 0));	/* www-data: a system account */
	st.st_uid = 1001;
	assert_null(logopen_policy(&st, 0, 1001));	/* the folder's owner */
	assert_non_null(logopen_policy(&st, 0, 0));	/* someone else's */
	st.st_uid = 65534;
	assert_non_null(logopen_policy(&st, 0, 0));	/* nobody's */
	st.st_uid = 0;
	st.st_nlink = 2;
	assert_non_null(strstr(logopen_policy(&st, 0, 0), "more than one"));
	/* Not a regular file (a pipe): no owner rules. */
	st.st_mode = S_IFIFO | 0600;
	st.st_uid = 65534;
	assert_null(logopen_policy(&st, 0, 0));
}

/* Symlinks refused (no descriptor), unless trusted; pipes behind them fine. */
static void
test_open(void **state)
{
	char dir[] = "/tmp/gw-logopen-XXXXXX", f[64], l[64], p[64], pl[64],
	    why[256];
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(f, sizeof(f), "%s/access.log", dir);
	snprintf(l, sizeof(l), "%s/link.log", dir);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	snprintf(pl, sizeof(pl), "%s/fifo-link", dir);
	fd = open(f, O_WRONLY | O_CREAT, 0640);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(symlink(f, l), 0);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(symlink(p, pl), 0);

	fd = logopen(f, O_RDONLY, 0, &st, why, sizeof(why));
	assert_true(fd >= 0);
	assert_true(S_ISREG(st.st_mode));
	close(fd);
	assert_int_equal(logopen(l, O_RDONLY, 0, &st, why, sizeof(why)),
	    LOGOPEN_REFUSED);
	assert_non_null(strstr(why, "symbolic link"));
	fd = logopen(l, O_RDONLY, LOGOPEN_TRUST, &st, why, sizeof(why));
	assert_true(fd >= 0);
	close(fd);
	/* A pipe through a symlink (ingest <(zcat x.gz)) with LOGOPEN_FIFO. */
	assert_int_equal(logopen(pl, O_RDONLY | O_NONBLOCK, 0, &st, why,
	    sizeof(why)), LOGOPEN_REFUSED);
	fd = logopen(pl, O_RDONLY | O_NONBLOCK, LOGOPEN_FIFO, &st, why,
	    sizeof(why));
	assert_true(fd >= 0);
	assert_true(S_ISFIFO(st.st_mode));
	close(fd);
	/* Missing: an error with errno, not a refusal. */
	snprintf(l, sizeof(l), "%s/none", dir);
	assert_int_equal(logopen(l, O_RDONLY, 0, &st, why, sizeof(why)),
	    LOGOPEN_ERROR);
	assert_int_equal(errno, ENOENT);
	/* A file of another user, when we can make one. */
	if (geteuid() == 0) {
		assert_int_equal(chown(f, 65534, 65534), 0);
		assert_int_equal(logopen(f, O_RDONLY, 0, &st, why,
		    sizeof(why)), LOGOPEN_REFUSED);
		assert_non_null(strstr(why, "owned by"));
	}
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

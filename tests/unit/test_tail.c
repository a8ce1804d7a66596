/*
 * test_tail.c - capture/tail.c: partial lines, a file that appears later
 * or disappears, rename / copytruncate / delete rotation, a file replaced
 * at its path, glob pickup, cut lines, resume and rotated files found
 * beside a path or a glob (also when the path itself is gone). Each
 * scenario runs with inotify and with polling alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/tail.h"

#define RECS_MAX 8192

/* What the test saw, in order. */
struct rec {
	enum tail_event_type type;
	struct tail_file *file;
	char path[256];
	char line[160];
	size_t len;
	uint64_t offset, next;
	int flags;
	bool rotated;
	char reason[32];
};

struct fixture {
	char dir[64];
	bool polling;
	struct tail *t;
	struct rec *recs;
	int n;
	/* How to answer TAIL_OPENED: rotated files are read from resume_rotated
	   (0 = dropped), the others from resume. */
	uint64_t resume, resume_rotated;
};

static int
setup(void **state, bool polling)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	fx->recs = calloc(RECS_MAX, sizeof(struct rec));
	fx->polling = polling;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/gw-tail.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int setup_inotify(void **state) { return setup(state, false); }
static int setup_polling(void **state) { return setup(state, true); }

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	tail_free(fx->t);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	int rc = system(cmd);
	free(fx->recs);
	free(fx);
	return rc == 0 ? 0 : -1;
}

/* A follower with short timers, so tests run fast. */
static void
start_tail(struct fixture *fx, size_t head_min)
{
	struct tail_opts o = {
		.poll_ms = 20,
		.drain_idle_ms = 200,
		.glob_ms = 50,
		.head_min = head_min ? head_min : 8,
		.no_inotify = fx->polling,
	};
	char err[256];
	assert_int_equal(tail_new(&o, &fx->t, err, sizeof(err)), 0);
}

static const char *
path_of(struct fixture *fx, const char *name)
{
	static char p[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", fx->dir, name);
	return p[i];
}

static void
follow(struct fixture *fx, const char *name)
{
	char err[256];
	assert_int_equal(tail_add(fx->t, path_of(fx, name), err, sizeof(err)),
	    0);
}

/* Append text to the file name (created when missing). */
static void
append(struct fixture *fx, const char *name, const char *text)
{
	int fd = open(path_of(fx, name), O_WRONLY | O_APPEND | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
fd_write(int fd, const char *text)
{
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* Take events for up to ms, answering TAIL_OPENED as the fixture says. */
static void
pump(struct fixture *fx, int ms)
{
	struct tail_event ev;
	char err[256];
	int rc;

	for (int waited = 0; waited < ms;) {
		rc = tail_next(fx->t, &ev, 10, err, sizeof(err));
		assert_int_not_equal(rc, -1);
		if (rc == 0) {
			waited += 10;
			continue;
		}
		assert_true(fx->n < RECS_MAX);
		struct rec *r = &fx->recs[fx->n++];
		memset(r, 0, sizeof(*r));
		r->type = ev.type;
		r->file = ev.file;
		snprintf(r->path, sizeof(r->path), "%s", ev.path);
		if (ev.type == TAIL_OPENED) {
			r->rotated = ev.rotated;
			uint64_t from = ev.rotated ? fx->resume_rotated :
			    fx->resume;
			if (ev.rotated && from == 0)
				tail_drop(ev.file);
			else
				tail_start(ev.file, from);
		} else if (ev.type == TAIL_LINE) {
			size_t n = ev.len < sizeof(r->line) - 1 ? ev.len :
			    sizeof(r->line) - 1;
			memcpy(r->line, ev.line, n);
			r->len = ev.len;
			r->offset = ev.offset;
			r->next = ev.next;
			r->flags = ev.flags;
		} else {
			snprintf(r->reason, sizeof(r->reason), "%s", ev.reason);
		}
	}
}

/* Pump until want lines were seen (at most ms). */
static int
lines_seen(struct fixture *fx)
{
	int n = 0;
	for (int i = 0; i < fx->n; i++)
		n += fx->recs[i].type == TAIL_LINE;
	return n;
}

static void
pump_lines(struct fixture *fx, int want, int ms)
{
	for (int waited = 0; waited < ms && lines_seen(fx) < want; waited += 20)
		pump(fx, 20);
}

static int
count_type(struct fixture *fx, enum tail_event_type type)
{
	int n = 0;
	for (int i = 0; i < fx->n; i++)
		n += fx->recs[i].type == type;
	return n;
}

/* The i-th line seen (0-based). */
static const struct rec *
line_at(struct fixture *fx, int i)
{
	for (int k = 0; k < fx->n; k++)
		if (fx->recs[k].type == TAIL_LINE && i-- == 0)
			return &fx->recs[k];
	fail_msg("fewer lines than %d", i);
	return NULL;
}

/* True when the lines seen are exactly "prefix0" .. "prefix<n-1>". */
static void
assert_numbered(struct fixture *fx, int n)
{
	assert_int_equal(lines_seen(fx), n);
	for (int i = 0; i < n; i++) {
		char want[32];
		snprintf(want, sizeof(want), "line %04d", i);
		assert_string_equal(line_at(fx, i)->line, want);
	}
}

/* Write "line NNNN\n" for i in [from, to) to fd. */
static void
write_numbered(int fd, int from, int to)
{
	char b[32];
	for (int i = from; i < to; i++) {
		snprintf(b, sizeof(b), "line %04d\n", i);
		fd_write(fd, b);
	}
}

static int
open_log(struct fixture *fx, const char *name)
{
	int fd = open(path_of(fx, name), O_WRONLY | O_APPEND | O_CREAT, 0644);
	assert_true(fd >= 0);
	return fd;
}

static void
test_partial_line(void **state)
{
	struct fixture *fx = *state;

	start_tail(fx, 0);
	append(fx, "a.log", "first line\nsecond ha");
	follow(fx, "a.log");
	pump_lines(fx, 1, 1000);
	pump(fx, 100);
	assert_int_equal(count_type(fx, TAIL_OPENED), 1);
	assert_int_equal(lines_seen(fx), 1);
	assert_string_equal(line_at(fx, 0)->line, "first line");
	assert_int_equal(line_at(fx, 0)->offset, 0);
	assert_int_equal(line_at(fx, 0)->next, 11);

	/* The half line waits for its end, then comes whole. */
	append(fx, "a.log", "lf\r\nthird\n");
	pump_lines(fx, 3, 1000);
	assert_int_equal(lines_seen(fx), 3);
	assert_string_equal(line_at(fx, 1)->line, "second half");
	assert_int_equal(line_at(fx, 1)->len, 11);	/* CR dropped */
	assert_int_equal(line_at(fx, 1)->offset, 11);
	assert_int_equal(line_at(fx, 1)->next, 24);
	assert_int_equal(line_at(fx, 2)->offset, 24);
	assert_int_equal(line_at(fx, 2)->flags, 0);
}

static void
test_appears_later(void **state)
{
	struct fixture *fx = *state;

	start_tail(fx, 0);
	follow(fx, "later.log");
	pump(fx, 100);
	assert_int_equal(fx->n, 0);
	int fd = open_log(fx, "later.log");
	pump(fx, 60);
	assert_int_equal(count_type(fx, TAIL_OPENED), 0);	/* empty yet */
	write_numbered(fd, 0, 50);
	pump_lines(fx, 50, 2000);
	assert_int_equal(count_type(fx, TAIL_OPENED), 1);
	assert_numbered(fx, 50);
	close(fd);
}

static void
test_head_min(void **state)
{
	struct fixture *fx = *state;

	/* Not announced before 64 bytes are there (store identity). */
	start_tail(fx, 64);
	append(fx, "h.log", "short\n");
	follow(fx, "h.log");
	pump(fx, 150);
	assert_int_equal(count_type(fx, TAIL_OPENED), 0);
	append(fx, "h.log", "a line long enough to make the head more than sixty-four "
	    "bytes\n");
	pump_lines(fx, 2, 1000);
	assert_int_equal(count_type(fx, TAIL_OPENED), 1);
	assert_string_equal(line_at(fx, 0)->line, "short");
}

static void
test_disappears(void **state)
{
	struct fixture *fx = *state;

	start_tail(fx, 0);
	int fd = open_log(fx, "gone.log");
	write_numbered(fd, 0, 10);
	follow(fx, "gone.log");
	pump_lines(fx, 10, 1000);
	/* Deleted while its writer still writes: read it to the end. */
	assert_int_equal(unlink(path_of(fx, "gone.log")), 0);
	write_numbered(fd, 10, 20);
	fd_write(fd, "line 0020 without newline");
	close(fd);
	pump(fx, 600);
	assert_int_equal(lines_seen(fx), 21);
	for (int i = 0; i < 20; i++) {
		char want[32];
		snprintf(want, sizeof(want), "line %04d", i);
		assert_string_equal(line_at(fx, i)->line, want);
	}
	/* The unfinished last line is taken as it is when the file is gone. */
	assert_string_equal(line_at(fx, 20)->line, "line 0020 without newline");
	assert_int_equal(line_at(fx, 20)->flags, TAIL_NO_NEWLINE);
	assert_int_equal(line_at(fx, 20)->next, 20 * 10 + 25);
	assert_int_equal(count_type(fx, TAIL_CLOSED), 1);
	assert_int_equal(fx->recs[fx->n - 1].type, TAIL_CLOSED);
	assert_string_equal(fx->recs[fx->n - 1].reason, "deleted");

	/* And it comes back: a new content. */
	fd = open_log(fx, "gone.log");
	write_numbered(fd, 21, 23);
	close(fd);
	pump_lines(fx, 23, 1000);
	assert_int_equal(count_type(fx, TAIL_OPENED), 2);
	assert_string_equal(line_at(fx, 21)->line, "line 0021");
	assert_int_equal(line_at(fx, 21)->offset, 0);
}

static void
test_rename_rotation(void **state)
{
	struct fixture *fx = *state;

	start_tail(fx, 0);
	int fd = open_log(fx, "r.log");
	write_numbered(fd, 0, 100);
	follow(fx, "r.log");
	pump_lines(fx, 100, 1000);
	/* logrotate renames; nginx writes on to the old file until told. */
	assert_int_equal(rename(path_of(fx, "r.log"), path_of(fx, "r.log.1")),
	    0);
	write_numbered(fd, 100, 150);
	fd_write(fd, "line 0150");	/* unfinished when nginx reopens */
	int nfd = open_log(fx, "r.log");
	write_numbered(nfd, 151, 160);
	pump(fx, 100);
	fd_write(fd, "\n");		/* ... and finished just after */
	close(fd);
	write_numbered(nfd, 160, 200);
	close(nfd);
	pump(fx, 600);
	assert_int_equal(count_type(fx, TAIL_OPENED), 2);
	assert_int_equal(count_type(fx, TAIL_CLOSED), 1);
	assert_int_equal(lines_seen(fx), 200);
	/* Per file, in order, each line once. */
	struct tail_file *old = line_at(fx, 0)->file;
	int want_old = 0, want_new = 151;
	for (int i = 0; i < 200; i++) {
		const struct rec *r = line_at(fx, i);
		char want[32];
		snprintf(want, sizeof(want), "line %04d",
		    r->file == old ? want_old++ : want_new++);
		assert_string_equal(r->line, want);
		assert_int_equal(r->flags, 0);
	}
	assert_int_equal(want_old, 151);
	assert_int_equal(want_new, 200);
	for (int i = 0; i < fx->n; i++)
		if (fx->recs[i].type == TAIL_CLOSED) {
			assert_ptr_equal(fx->recs[i].file, old);
			assert_string_equal(fx->recs[i].reason, "rotated");
		}
}

static void
test_copytruncate(void **state)
{
	struct fixture *fx = *state;
	char cmd[256];

	start_tail(fx, 0);
	int fd = open_log(fx, "c.log");
	write_numbered(fd, 0, 100);
	follow(fx, "c.log");
	pump_lines(fx, 100, 1000);
	/* Lines the follower has not read yet when the copy is made ... */
	write_numbered(fd, 100, 300);
	snprintf(cmd, sizeof(cmd), "cp %s %s", path_of(fx, "c.log"),
	    path_of(fx, "c.log.1"));
	assert_int_equal(system(cmd), 0);
	assert_int_equal(ftruncate(fd, 0), 0);
	/* ... are read from the copy; the file starts again from 0. */
	write_numbered(fd, 300, 310);
	close(fd);
	pump(fx, 600);
	assert_int_equal(lines_seen(fx), 310);
	struct tail_file *old = line_at(fx, 0)->file;
	int want_old = 0, want_new = 300;
	for (int i = 0; i < 310; i++) {
		const struct rec *r = line_at(fx, i);
		char want[32];
		snprintf(want, sizeof(want), "line %04d",
		    r->file == old ? want_old++ : want_new++);
		assert_string_equal(r->line, want);
		if (r->file != old)
			assert_int_equal(r->offset, (uint64_t)(want_new - 301) * 10);
	}
	assert_int_equal(want_old, 300);
	assert_int_equal(count_type(fx, TAIL_OPENED), 2);
	assert_int_equal(count_type(fx, TAIL_CLOSED), 1);
}

static void
test_truncate_no_copy(void **state)
{
	struct fixture *fx = *state;

	start_tail(fx, 0);
	int fd = open_log(fx, "t.log");
	write_numbered(fd, 0, 10);
	follow(fx, "t.log");
	pump_lines(fx, 10, 1000);
	assert_int_equal(ftruncate(fd, 0), 0);
	write_numbered(fd, 10, 12);
	close(fd);
	pump_lines(fx, 12, 1000);
	pump(fx, 50);
	assert_numbered(fx, 12);
	assert_int_equal(line_at(fx, 10)->offset, 0);
	assert_int_equal(count_type(fx, TAIL_CLOSED), 1);
	for (int i = 0; i < fx->n; i++)
		if (fx->recs[i].type == TAIL_CLOSED)
			assert_string_equal(fx->recs[i].reason, "truncated");
}

static void
test_rewritten_in_place(void **state)
{
	struct fixture *fx = *state;

	/* Truncated and grown past the old size before anyone looked: only
	   the first bytes tell. */
	start_tail(fx, 0);
	append(fx, "w.log", "line 0000\n");
	follow(fx, "w.log");
	pump_lines(fx, 1, 1000);
	int fd = open(path_of(fx, "w.log"), O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	write_numbered(fd, 1, 4);
	close(fd);
	pump_lines(fx, 4, 1000);
	assert_numbered(fx, 4);
	assert_int_equal(line_at(fx, 1)->offset, 0);
	assert_int_equal(count_type(fx, TAIL_OPENED), 2);
}

static void
test_replaced(void **state)
{
	struct fixture *fx = *state;

	start_tail(fx, 0);
	int fd = open_log(fx, "p.log");
	write_numbered(fd, 0, 5);
	follow(fx, "p.log");
	pump_lines(fx, 5, 1000);
	/* Another file moved over the name. */
	int ofd = open_log(fx, "other");
	write_numbered(ofd, 5, 8);
	assert_int_equal(rename(path_of(fx, "other"), path_of(fx, "p.log")), 0);
	write_numbered(fd, 8, 8);
	close(fd);
	write_numbered(ofd, 8, 10);
	close(ofd);
	pump(fx, 500);
	assert_numbered(fx, 10);
	assert_int_equal(count_type(fx, TAIL_OPENED), 2);
	assert_int_equal(count_type(fx, TAIL_CLOSED), 1);
	for (int i = 0; i < fx->n; i++)
		if (fx->recs[i].type == TAIL_CLOSED)
			assert_string_equal(fx->recs[i].reason, "replaced");
}

static void
test_glob_pickup(void **state)
{
	struct fixture *fx = *state;
	char err[256];

	start_tail(fx, 0);
	append(fx, "a.log", "line 0000\n");
	append(fx, "a.log.gz", "not followed\n");
	append(fx, "x.txt", "not matched\n");
	assert_int_equal(tail_add(fx->t, path_of(fx, "*.log*"), err,
	    sizeof(err)), 0);
	pump_lines(fx, 1, 1000);
	append(fx, "b.log", "line 0001\n");
	pump_lines(fx, 2, 1000);
	append(fx, "a.log", "line 0002\n");
	pump_lines(fx, 3, 1000);
	pump(fx, 100);
	assert_numbered(fx, 3);
	assert_int_equal(count_type(fx, TAIL_OPENED), 2);
	assert_non_null(strstr(line_at(fx, 1)->path, "/b.log"));
	struct tail_stats st;
	tail_get_stats(fx->t, &st);
	assert_int_equal(st.paths, 2);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.polling, fx->polling);
}

static void
test_long_line(void **state)
{
	struct fixture *fx = *state;
	size_t big = TAIL_LINE_MAX + 100000;
	char *b = malloc(big + 1);

	memset(b, 'x', big);
	b[big] = '\n';
	start_tail(fx, 0);
	append(fx, "l.log", "line 0000\n");
	follow(fx, "l.log");
	pump_lines(fx, 1, 1000);
	int fd = open_log(fx, "l.log");
	/* In pieces, so the cut happens across reads. */
	assert_int_equal(write(fd, b, 200000), 200000);
	pump(fx, 60);
	assert_int_equal(write(fd, b + 200000, big + 1 - 200000),
	    (ssize_t)(big + 1 - 200000));
	fd_write(fd, "line 0002\n");
	close(fd);
	free(b);
	pump_lines(fx, 3, 1000);
	assert_int_equal(lines_seen(fx), 3);
	const struct rec *r = line_at(fx, 1);
	assert_int_equal(r->flags, TAIL_TRUNCATED);
	assert_int_equal(r->len, TAIL_LINE_MAX);
	assert_int_equal(r->offset, 10);
	assert_int_equal(r->next, 10 + big + 1);
	assert_string_equal(line_at(fx, 2)->line, "line 0002");
	assert_int_equal(line_at(fx, 2)->offset, 10 + big + 1);
}

static void
test_resume(void **state)
{
	struct fixture *fx = *state;

	start_tail(fx, 0);
	int fd = open_log(fx, "s.log");
	write_numbered(fd, 0, 10);
	close(fd);
	fx->resume = 70;	/* an earlier run stored 7 lines */
	follow(fx, "s.log");
	pump_lines(fx, 3, 1000);
	pump(fx, 50);
	assert_int_equal(lines_seen(fx), 3);
	assert_string_equal(line_at(fx, 0)->line, "line 0007");
	assert_int_equal(line_at(fx, 0)->offset, 70);
}

static void
test_rotated_beside(void **state)
{
	struct fixture *fx = *state;

	/* Rotated while nobody watched: r.log.1 is offered, r.log.2 too;
	   the gzip one is not. */
	int fd = open_log(fx, "r.log.1");
	write_numbered(fd, 0, 10);
	close(fd);
	fd = open_log(fx, "r.log.2");
	write_numbered(fd, 0, 2);
	close(fd);
	append(fx, "r.log.3", "\x1f\x8b gzip");
	fd = open_log(fx, "r.log");
	write_numbered(fd, 10, 12);
	close(fd);
	start_tail(fx, 0);
	fx->resume_rotated = 50;	/* both rotated ones resume at 50 */
	follow(fx, "r.log");
	pump(fx, 500);
	int rotated = 0;
	for (int i = 0; i < fx->n; i++)
		rotated += fx->recs[i].type == TAIL_OPENED &&
		    fx->recs[i].rotated;
	assert_int_equal(rotated, 2);
	/* r.log from 0 (2 lines), r.log.1 from 50 (5 lines), r.log.2: none. */
	assert_int_equal(lines_seen(fx), 7);
	int from_rotated = 0;
	for (int i = 0; i < 7; i++)
		if (strstr(line_at(fx, i)->path, "r.log.1") != NULL) {
			char want[32];
			snprintf(want, sizeof(want), "line %04d",
			    5 + from_rotated++);
			assert_string_equal(line_at(fx, i)->line, want);
		}
	assert_int_equal(from_rotated, 5);
}

/*
 * The e2e race of rotate-down: an earlier run read r.log up to byte 50 and
 * was killed; r.log was renamed to r.log.1 and the writer, not told yet,
 * goes on appending to it through its old descriptor; no new r.log exists
 * when the follower starts on a glob. r.log.1 must still be offered, read
 * from 50 through what the writer appends later, and r.log, created once
 * the writer reopens, followed from its start.
 */
static void
test_rotated_beside_glob(void **state)
{
	struct fixture *fx = *state;
	char err[256];

	int fd = open_log(fx, "r.log");
	write_numbered(fd, 0, 5);
	assert_int_equal(rename(path_of(fx, "r.log"), path_of(fx, "r.log.1")),
	    0);
	start_tail(fx, 0);
	fx->resume_rotated = 50;	/* the earlier run stored all 5 lines */
	assert_int_equal(tail_add(fx->t, path_of(fx, "*.log"), err,
	    sizeof(err)), 0);
	pump(fx, 100);
	assert_int_equal(count_type(fx, TAIL_OPENED), 1);
	assert_true(fx->recs[0].rotated);
	assert_non_null(strstr(fx->recs[0].path, "/r.log.1"));
	assert_int_equal(lines_seen(fx), 0);
	/* The writer, not reopened yet, appends to the renamed file ... */
	write_numbered(fd, 5, 8);
	close(fd);
	pump_lines(fx, 3, 1000);
	/* ... then reopens: a new r.log. */
	fd = open_log(fx, "r.log");
	write_numbered(fd, 8, 10);
	close(fd);
	pump_lines(fx, 5, 2000);
	pump(fx, 400);		/* r.log.1 goes quiet and is closed */
	for (int i = 0; i < 5; i++) {
		char want[32];
		snprintf(want, sizeof(want), "line %04d", 5 + i);
		assert_string_equal(line_at(fx, i)->line, want);
		assert_non_null(strstr(line_at(fx, i)->path,
		    i < 3 ? "/r.log.1" : "/r.log"));
	}
	assert_int_equal(line_at(fx, 0)->offset, 50);
	assert_int_equal(line_at(fx, 3)->offset, 0);
	assert_int_equal(lines_seen(fx), 5);
	assert_int_equal(count_type(fx, TAIL_OPENED), 2);
	assert_int_equal(count_type(fx, TAIL_CLOSED), 1);
}

static void
test_reopen(void **state)
{
	struct fixture *fx = *state;

	start_tail(fx, 0);
	int fd = open_log(fx, "h.log");
	write_numbered(fd, 0, 3);
	fd_write(fd, "line 00");
	follow(fx, "h.log");
	pump_lines(fx, 3, 1000);
	tail_reopen(fx->t);
	fd_write(fd, "03\n");
	close(fd);
	fx->resume = 30;
	pump_lines(fx, 4, 1000);
	assert_numbered(fx, 4);
	assert_int_equal(count_type(fx, TAIL_OPENED), 2);
	assert_int_equal(count_type(fx, TAIL_CLOSED), 1);
}

static void
test_missing_dir_and_errors(void **state)
{
	struct fixture *fx = *state;
	char err[256];

	start_tail(fx, 0);
	assert_int_equal(tail_add(fx->t, fx->dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "directory"));
	/* A directory that does not exist yet is fine: polled. */
	follow(fx, "sub/x.log");
	pump(fx, 50);
	char d[128];
	snprintf(d, sizeof(d), "%s/sub", fx->dir);
	assert_int_equal(mkdir(d, 0755), 0);
	append(fx, "sub/x.log", "line 0000\n");
	pump_lines(fx, 1, 1000);
	assert_numbered(fx, 1);
}

/* True when any line seen holds text. */
static bool
seen_text(struct fixture *fx, const char *text)
{
	for (int i = 0; i < fx->n; i++)
		if (fx->recs[i].type == TAIL_LINE &&
		    strstr(fx->recs[i].line, text) != NULL)
			return true;
	return false;
}

/*
 * A followed log swapped for a symlink to a secret (ln -s /etc/shadow new;
 * mv -T new access.log), a hard link to it, a file of another user, a
 * rotated name and a glob match that are symlinks: none is read, each is
 * refused and counted, with the reason; with trust (--follow-symlinks)
 * the symlink is read.
 */
static void
test_symlink_refused(void **state)
{
	struct fixture *fx = *state;
	struct tail_stats st;

	start_tail(fx, 0);
	append(fx, "secret", "root:SECRET-HASH:19000:0:99999:7:::\n");
	chmod(path_of(fx, "secret"), 0600);
	int fd = open_log(fx, "a.log");
	write_numbered(fd, 0, 3);
	close(fd);
	/* A rotated name beside it that is a symlink: refused at once. */
	assert_int_equal(symlink(path_of(fx, "secret"),
	    path_of(fx, "a.log.1")), 0);
	follow(fx, "a.log");
	pump_lines(fx, 3, 1000);
	assert_numbered(fx, 3);
	tail_get_stats(fx->t, &st);
	assert_int_equal(st.refused, 1);

	/* The swap. */
	assert_int_equal(symlink(path_of(fx, "secret"), path_of(fx, "new")), 0);
	assert_int_equal(rename(path_of(fx, "new"), path_of(fx, "a.log")), 0);
	pump(fx, 500);
	assert_false(seen_text(fx, "SECRET"));
	assert_int_equal(count_type(fx, TAIL_OPENED), 1);
	tail_get_stats(fx->t, &st);
	assert_int_equal(st.refused, 2);	/* told once, not every check */
	assert_non_null(st.problem);
	assert_non_null(strstr(st.problem, "symbolic link"));

	/* A hard link to the secret in its place. */
	unlink(path_of(fx, "a.log"));
	assert_int_equal(link(path_of(fx, "secret"), path_of(fx, "a.log")), 0);
	pump(fx, 300);
	assert_false(seen_text(fx, "SECRET"));
	tail_get_stats(fx->t, &st);
	assert_int_equal(st.refused, 3);
	assert_non_null(strstr(st.problem, "more than one name"));
	unlink(path_of(fx, "a.log"));

	/* A file of another user (not root, us, the folder's owner nor a
	   system account), when we can make one. */
	if (geteuid() == 0) {
		append(fx, "theirs", "SECRET of nobody\n");
		assert_int_equal(chown(path_of(fx, "theirs"), 65534, 65534), 0);
		assert_int_equal(rename(path_of(fx, "theirs"),
		    path_of(fx, "a.log")), 0);
		pump(fx, 300);
		assert_false(seen_text(fx, "SECRET"));
		tail_get_stats(fx->t, &st);
		assert_int_equal(st.refused, 4);
		assert_non_null(strstr(st.problem, "owned by"));
		unlink(path_of(fx, "a.log"));
	}

	/* A glob finds a symlink: refused too. */
	char err[256];
	assert_int_equal(symlink(path_of(fx, "secret"),
	    path_of(fx, "g-evil.log")), 0);
	assert_int_equal(tail_add(fx->t, path_of(fx, "g-*.log"), err,
	    sizeof(err)), 0);
	pump(fx, 300);
	assert_false(seen_text(fx, "SECRET"));
	uint64_t before = st.refused;
	tail_get_stats(fx->t, &st);
	assert_int_equal(st.refused, before + 1);

	/* Trusted: the symlink is followed. */
	tail_free(fx->t);
	struct tail_opts o = {.poll_ms = 20, .drain_idle_ms = 200,
	    .glob_ms = 50, .head_min = 8, .no_inotify = fx->polling,
	    .trust = true};
	assert_int_equal(tail_new(&o, &fx->t, err, sizeof(err)), 0);
	follow(fx, "g-evil.log");
	pump_lines(fx, 4, 1000);
	assert_true(seen_text(fx, "SECRET"));
	tail_get_stats(fx->t, &st);
	assert_int_equal(st.refused, 0);
}

#define BOTH(fn) \
	cmocka_unit_test_setup_teardown(fn, setup_inotify, teardown), \
	cmocka_unit_test_setup_teardown(fn, setup_polling, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_partial_line),
		BOTH(test_appears_later),
		BOTH(test_head_min),
		BOTH(test_disappears),
		BOTH(test_rename_rotation),
		BOTH(test_copytruncate),
		BOTH(test_truncate_no_copy),
		BOTH(test_rewritten_in_place),
		BOTH(test_replaced),
		BOTH(test_glob_pickup),
		BOTH(test_long_line),
		BOTH(test_resume),
		BOTH(test_rotated_beside),
		BOTH(test_rotated_beside_glob),
		BOTH(test_reopen),
		BOTH(test_missing_dir_and_errors),
		BOTH(test_symlink_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * tail.h - follow growing log files like `tail -F`, for `gatewatch tail`.
 *
 * A struct tail follows a set of paths (plain paths, or glob(3) patterns
 * re-expanded as time goes so new files are picked up). What is followed is
 * the *content* behind a path: a struct tail_file is one open file, known by
 * device, inode and a fingerprint of its first bytes. When the path is
 * rotated (renamed, deleted, replaced, copied and truncated) the old
 * content is read to its end first and then closed, and the new one is
 * announced as a new tail_file. No SQL and no parsing here: the caller
 * decides what a content is and where to resume it (store/ keeps the
 * position of each fingerprint), and gets complete lines with their byte
 * offsets back.
 *
 * Events, from tail_next(), for each tail_file in this order:
 *
 *   TAIL_OPENED   a new content with its first bytes (head). The caller
 *                 answers with tail_start(offset) (read from there),
 *                 tail_defer() (announce again later) or tail_drop().
 *   TAIL_LINE     one complete line (a last line without its newline is
 *                 held back until it is completed, or handed out as it is
 *                 when the file has rotated away and stays quiet).
 *   TAIL_CLOSED   the content is done: no more lines will come. Sent once
 *                 for every announced file the caller did not drop.
 *
 * Files are opened under capture/logopen.h's rules (no symlink, one name,
 * a known owner; checked again at every rotation) unless opts.trust: a
 * refused file is counted and noted as a problem, never read.
 *
 * Wake-ups come from inotify (directories for created, moved and deleted
 * names; files for writes) with a periodic check behind it, or from polling
 * alone when inotify is unavailable or out of watches. Either way the
 * decisions are made from stat(2), never from the events themselves.
 *
 * Memory is bounded: one read buffer for the whole set, and per file the
 * unfinished last line, at most TAIL_LINE_MAX bytes (longer lines are cut
 * and flagged, like capture/reader.h does).
 */
#ifndef GW_TAIL_H
#define GW_TAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line kept; same as READER_LINE_MAX so ingest and tail cut alike. */
#define TAIL_LINE_MAX		(256 * 1024)
/* Most bytes of a file's head handed out with TAIL_OPENED. */
#define TAIL_HEAD_MAX		(64 * 1024)
/* Bytes of the head tail itself compares to tell contents apart. */
#define TAIL_FINGERPRINT_MAX	1024

struct tail;
struct tail_file;

struct tail_opts {
	int poll_ms;		/* check interval; 0 = 250 */
	int drain_idle_ms;	/* a rotated-away file is closed after this
				   long without growing; 0 = 1000 */
	int glob_ms;		/* re-expand globs every; 0 = 1000 */
	size_t head_min;	/* announce a file once it holds a complete
				   line and this many bytes; 0 = 64 */
	int rotated_max;	/* look for path.1 .. path.N on start and on
				   copytruncate; 0 = 9, -1 = never */
	bool no_inotify;	/* poll only (tests) */
	bool trust;		/* --follow-symlinks: open any file found at
				   a name (no logopen.h checks) */
};

/* Flags of a TAIL_LINE. */
#define TAIL_TRUNCATED	0x1	/* longer than TAIL_LINE_MAX, cut */
#define TAIL_NO_NEWLINE	0x2	/* last line of a closed file, no '\n' */

enum tail_event_type {
	TAIL_OPENED,
	TAIL_LINE,
	TAIL_CLOSED
};

/* One event; pointers are valid until the next tail_next() call. */
struct tail_event {
	enum tail_event_type type;
	struct tail_file *file;
	const char *path;	/* where the file was opened */

	/* TAIL_OPENED */
	const unsigned char *head;	/* first head_len bytes of the file */
	size_t head_len;
	uint64_t size;		/* file size when announced */
	uint64_t dev, ino;
	bool rotated;		/* found as path.N of a followed path or
				   glob, when added, and not followed itself:
				   read it only to finish what an earlier
				   run began */

	/* TAIL_LINE */
	const char *line;	/* not NUL-terminated; no '\n' nor final '\r' */
	size_t len;
	uint64_t offset;	/* of the line's first byte */
	uint64_t next;		/* just after the line and its newline */
	int flags;		/* TAIL_TRUNCATED, TAIL_NO_NEWLINE */

	/* TAIL_CLOSED */
	const char *reason;	/* "rotated", "deleted", "replaced",
				   "truncated", "reopened", "read error" */
};

/* Figures for a status line. */
struct tail_stats {
	size_t paths;		/* paths followed (globs expanded) */
	size_t files;		/* contents open */
	uint64_t behind;	/* bytes written but not read yet, all files */
	bool polling;		/* inotify unavailable: polling */
	const char *problem;	/* last trouble opening or reading a path
				   ("x.log: Permission denied"; the path
				   escaped), or NULL */
	uint64_t problem_seq;	/* changes when problem does */
	uint64_t refused;	/* files refused by capture/logopen.h's
				   rules (symlink, hard link, owner) */
};

/*
 * A new, empty follower set (o may be NULL for the defaults). Returns 0,
 * or -1 with err filled. Free with tail_free(), which closes every file
 * without sending events.
 */
int tail_new(const struct tail_opts *o, struct tail **out, char *err,
    size_t errlen);
void tail_free(struct tail *t);

/*
 * Follow pattern: a path (which need not exist yet) or a glob(3) pattern.
 * Files named pattern.1 .. pattern.N that exist now are announced as
 * rotated (see struct tail_event); for a glob, pattern.N is matched as a
 * glob too, so FILE.1 is found even when no FILE matches now (renamed
 * away and not created again yet). Returns 0, or -1 with err filled (a
 * directory, a bad pattern, out of memory).
 */
int tail_add(struct tail *t, const char *pattern, char *err, size_t errlen);

/*
 * Wait up to timeout_ms for the next event. Returns 1 with *ev filled, 0
 * when nothing happened in time or a signal interrupted the wait, -1 with
 * err filled on a failure of the whole set (out of memory). Problems with
 * one file (unreadable, vanished) close it with a reason instead.
 */
int tail_next(struct tail *t, struct tail_event *ev, int timeout_ms,
    char *err, size_t errlen);

/*
 * Answers to TAIL_OPENED. tail_start: read from offset (a line boundary
 * an earlier run stored, 0 for a new content); an offset past the end of
 * the file is taken as the end. tail_defer: announce the file again in
 * ms milliseconds (its head may then be longer). tail_drop: never read
 * this content; no TAIL_CLOSED follows, f is not valid afterwards.
 */
void tail_start(struct tail_file *f, uint64_t offset);
void tail_defer(struct tail_file *f, int ms);
void tail_drop(struct tail_file *f);

/*
 * True when every byte f holds now has been handed out as complete lines
 * (read to its size this moment, no unfinished line kept): a rotated-away
 * file whose writer moved on has nothing more to give before its close.
 */
bool tail_drained(const struct tail_file *f);

/* The caller's pointer for f (NULL until set); kept until TAIL_CLOSED. */
void tail_set_udata(struct tail_file *f, void *udata);
void *tail_udata(const struct tail_file *f);

/*
 * Close every file still at its path and open the paths again (SIGHUP):
 * each gets TAIL_CLOSED ("reopened") and a new TAIL_OPENED; files already
 * rotated away keep draining. Lines the caller has not stored are read
 * again from the position the caller gives to tail_start().
 */
void tail_reopen(struct tail *t);

void tail_get_stats(struct tail *t, struct tail_stats *s);

#endif

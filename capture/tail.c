/*
 * tail.c - follow growing files through rotation; see tail.h.
 *
 * Two lists: the paths followed (struct tail_path: given by the user, or
 * matched by one of its globs) and the open contents (struct tail_file).
 * A path points at the content now found under its name, if any; a content
 * whose name went away (renamed, deleted, replaced) is an orphan: it is
 * still read until it has stayed quiet for drain_idle_ms, then closed.
 *
 * All decisions come from a check of every path and file (stat, fstat, a
 * pread of the first bytes), made every poll_ms and whenever inotify
 * reports something; inotify only shortens the wait. A check notices:
 *   - a new inode at the path (rename or delete rotation, replacement):
 *     the old content becomes an orphan, the new one is opened;
 *   - the same inode with fewer bytes than were read, or whose first bytes
 *     changed (copytruncate, rewritten in place): the old content is gone
 *     from this inode; if a copy of it is found as path.N (what
 *     copytruncate leaves behind) its rest is read from there, otherwise it
 *     ends here. The path is opened again as a new content.
 *
 * Reading: one shared buffer. The unfinished last line of a file is kept
 * in the file's carry (at most TAIL_LINE_MAX bytes; a longer line keeps
 * its first TAIL_LINE_MAX bytes and the rest is skipped up to its
 * newline). To read, the carry is copied to the front of the buffer and
 * up to TAIL_CHUNK new bytes are read after it; the complete lines are
 * handed out one per tail_next() call, the rest becomes the carry again.
 * Files are read in turn, a buffer at a time, so one busy file does not
 * starve the others and the caller gets lines in runs per file.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/inotify.h>
#endif

#include "core/alloc.h"
#include "core/clock.h"
#include "capture/logopen.h"
#include "capture/reader.h"
#include "core/safe.h"
#include "capture/tail.h"

_Static_assert(TAIL_LINE_MAX == READER_LINE_MAX,
    "tail and reader must cut long lines alike");

#define TAIL_CHUNK		(1024 * 1024)	/* bytes read at a time */
#define TAIL_COALESCE_MS	5	/* after a wake-up, let writes gather */
#define TAIL_DIR_MASK	(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | \
			 IN_DELETE | IN_ONLYDIR)
#define TAIL_FILE_MASK	(IN_MODIFY)

enum tail_state {
	TF_HEAD,	/* waiting for enough bytes to be announced */
	TF_ANNOUNCE,	/* TAIL_OPENED is due */
	TF_WAIT,	/* announced; the caller answers */
	TF_READ,	/* lines flow */
	TF_DROPPED,	/* refused by the caller; held so it is not announced
			   again while it stays at its path */
	TF_FINAL,	/* ended: its unfinished line, then TAIL_CLOSED, due */
	TF_DEAD		/* gone; freed at the next tail_next() */
};

struct tail_path;

struct tail_file {
	struct tail_file *next;
	struct tail *t;
	struct tail_path *owner;	/* path it is at; NULL = orphan */
	char *path;			/* where it was opened */
	int fd;				/* -1 once nothing more can be read */
	int wd;				/* inotify watch, -1 none */
	uint64_t dev, ino;
	enum tail_state state;
	bool rotated;		/* a path.N found beside, never followed */
	bool announced;		/* the caller holds it: TAIL_CLOSED owed */
	bool maybe_data;	/* worth a read */
	const char *reason;	/* why it is an orphan or ended */
	unsigned char fp[TAIL_FINGERPRINT_MAX];
	size_t fp_len;
	uint64_t offset;	/* next byte to read */
	uint64_t size;		/* at the last check */
	uint64_t head_checked;	/* size when the head was last looked at */
	char *carry;		/* unfinished last line */
	size_t carry_len, carry_cap;
	uint64_t carry_off;	/* file offset of carry[0] */
	bool skipping;		/* carry is a cut line; drop up to '\n' */
	int64_t last_growth;	/* monotonic ms */
	int64_t announce_at;	/* not announced before (tail_defer) */
	void *udata;
};

struct tail_path {
	struct tail_path *next;
	char *path;
	bool watched;		/* its directory is watched */
	struct tail_file *cur;	/* content now at path, NULL none */
	uint64_t refused_dev;	/* what was refused at path last, so it */
	uint64_t refused_ino;	/* is told and counted once */
};

struct tail_glob {
	struct tail_glob *next;
	char *pattern;
	bool watched;
};

struct tail {
	struct tail_opts o;
	struct tail_path *paths;
	struct tail_glob *globs;
	struct tail_file *files;
	struct tail_file *rr;	/* last file read, for taking turns */
	int ifd;		/* inotify, -1 = polling */
	bool woken;		/* something happened: check now */
	bool dir_changed;	/* names appeared: expand globs now */
	int64_t next_check;
	int64_t next_glob;

	/* Lines of one file being handed out. */
	struct tail_file *dfile;
	char *buf;
	size_t dpos, dend;
	uint64_t dbase;		/* file offset of buf[0] */

	unsigned char *head;	/* TAIL_HEAD_MAX bytes, for TAIL_OPENED */
	char problem[512];	/* last trouble with a path, for the caller */
	uint64_t problem_seq;
	uint64_t refused;	/* files refused by logopen.h's rules */
};

/* Note why a path is a problem for tail_get_stats(); never fatal. */
static void
tail_problem_text(struct tail *t, const char *path, const char *why)
{
	char msg[sizeof(t->problem)], shown[256];

	safe_text(shown, sizeof(shown), path, strlen(path));
	snprintf(msg, sizeof(msg), "%s: %s", shown, why);
	if (strcmp(msg, t->problem) != 0) {
		memcpy(t->problem, msg, sizeof(msg));
		t->problem_seq++;
	}
}

/* Note a problem with a path (an errno) for tail_get_stats(). */
static void
tail_problem(struct tail *t, const char *path, int err)
{
	tail_problem_text(t, path, strerror(err));
}

/*
 * path was refused by logopen.h's rules: count it and tell why, once for
 * what is at the path now (p NULL: a name found beside a path).
 */
static void
tail_refuse(struct tail *t, struct tail_path *p, const char *path,
    uint64_t dev, uint64_t ino, const char *why)
{
	if (p != NULL) {
		if (p->refused_dev == dev && p->refused_ino == ino)
			return;
		p->refused_dev = dev;
		p->refused_ino = ino;
	}
	t->refused++;
	tail_problem_text(t, path, why);
	t->problem_seq++;	/* told again even when the text is the same */
}

/* Stop using inotify (out of watches or instances): poll from now on. */
static void
tail_to_polling(struct tail *t)
{
#ifdef __linux__
	if (t->ifd >= 0)
		close(t->ifd);
#endif
	t->ifd = -1;
	for (struct tail_file *f = t->files; f != NULL; f = f->next)
		f->wd = -1;
}

/*
 * Watch path (a file, or with dir set the directory holding it). Returns
 * the watch, or -1 (not watched: polling covers it).
 */
static int
tail_watch(struct tail *t, const char *path, bool dir)
{
#ifdef __linux__
	char d[PATH_MAX];

	if (t->ifd < 0)
		return -1;
	if (dir) {
		const char *slash = strrchr(path, '/');
		if (slash == NULL)
			snprintf(d, sizeof(d), ".");
		else if (slash == path)
			snprintf(d, sizeof(d), "/");
		else
			snprintf(d, sizeof(d), "%.*s", (int)(slash - path), path);
		path = d;
	}
	int wd = inotify_add_watch(t->ifd, path,
	    dir ? TAIL_DIR_MASK : TAIL_FILE_MASK);
	if (wd < 0 && (errno == ENOSPC || errno == ENOMEM))
		tail_to_polling(t);
	return wd;
#else
	return -1;
#endif
}

/* Release f's file watch unless another open file shares it (same inode). */
static void
tail_unwatch(struct tail *t, struct tail_file *f)
{
#ifdef __linux__
	if (f->wd < 0 || t->ifd < 0)
		return;
	for (struct tail_file *g = t->files; g != NULL; g = g->next)
		if (g != f && g->wd == f->wd && g->fd >= 0)
			goto out;
	inotify_rm_watch(t->ifd, f->wd);
out:
#endif
	f->wd = -1;
}

/* Close f's descriptor and watch; its carry stays for a final line. */
static void
tail_close_fd(struct tail *t, struct tail_file *f)
{
	tail_unwatch(t, f);
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (t->dfile == f)
		t->dfile = NULL;
}

/* Detach f from its path. */
static void
tail_disown(struct tail_file *f)
{
	if (f->owner != NULL && f->owner->cur == f)
		f->owner->cur = NULL;
	f->owner = NULL;
}

/*
 * End f now: nothing more will be read. Its unfinished line (if the
 * caller reads it) and TAIL_CLOSED follow; a file the caller never held
 * just goes. keep_carry false: the unfinished line is dropped (it will be
 * read again, as after a reopen).
 */
static void
tail_end(struct tail *t, struct tail_file *f, const char *reason,
    bool keep_carry)
{
	tail_close_fd(t, f);
	tail_disown(f);
	f->reason = reason;
	if (!keep_carry || f->state != TF_READ) {
		f->carry_len = 0;
		f->skipping = false;
	}
	f->state = f->announced ? TF_FINAL : TF_DEAD;
}

/* True when a file of the set holds dev/ino open (and may still read it). */
static bool
tail_inode_open(struct tail *t, uint64_t dev, uint64_t ino)
{
	for (struct tail_file *f = t->files; f != NULL; f = f->next)
		if (f->fd >= 0 && f->dev == dev && f->ino == ino)
			return true;
	return false;
}

/*
 * Open path as a new content (owner NULL: found beside, rotated). Returns
 * the file, or NULL when it cannot be opened now (noted as a problem) or
 * is open already.
 */
static struct tail_file *
tail_open_file(struct tail *t, const char *path, struct tail_path *owner,
    bool rotated, int64_t now)
{
	struct stat st;
	char why[256];
	int fd = logopen(path, O_RDONLY | O_NONBLOCK, t->o.trust ?
	    LOGOPEN_TRUST : 0, &st, why, sizeof(why));

	if (fd == LOGOPEN_REFUSED) {
		struct stat named;
		if (lstat(path, &named) != 0)
			memset(&named, 0, sizeof(named));
		tail_refuse(t, owner, path, (uint64_t)named.st_dev,
		    (uint64_t)named.st_ino, why);
		return NULL;
	}
	if (fd < 0) {
		if (errno != ENOENT)
			tail_problem(t, path, errno);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) ||
	    tail_inode_open(t, (uint64_t)st.st_dev, (uint64_t)st.st_ino)) {
		close(fd);
		return NULL;
	}
	struct tail_file *f = gw_calloc(1, sizeof(*f));
	if (f == NULL || (f->path = gw_strdup(path)) == NULL) {
		free(f);
		close(fd);
		tail_problem(t, path, ENOMEM);
		return NULL;
	}
	f->t = t;
	f->owner = owner;
	f->fd = fd;
	f->dev = (uint64_t)st.st_dev;
	f->ino = (uint64_t)st.st_ino;
	f->size = (uint64_t)st.st_size;
	f->head_checked = UINT64_MAX;
	f->state = TF_HEAD;
	f->rotated = rotated;
	f->reason = "rotated";
	f->last_growth = now;
	f->wd = tail_watch(t, path, false);
	/* Append, so events come in the order contents were found. */
	struct tail_file **pp = &t->files;
	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = f;
	if (owner != NULL)
		owner->cur = f;
	return f;
}

/* The path's content went away or changed: it becomes an orphan. */
static void
tail_orphan(struct tail *t, struct tail_file *f, const char *reason,
    int64_t now)
{
	tail_disown(f);
	f->reason = reason;
	f->last_growth = now;
	f->maybe_data = true;
	if (f->state == TF_DROPPED)
		tail_end(t, f, reason, false);
}

/*
 * Look for a copy of f's content beside its path (path.1 .. path.N, as
 * copytruncate leaves it): same first bytes, at least as long as what was
 * read. Returns an open descriptor with *st filled, or -1.
 */
static int
tail_find_copy(struct tail *t, struct tail_file *f, const char *base,
    struct stat *st, char *name, size_t namelen)
{
	unsigned char b[TAIL_FINGERPRINT_MAX];

	for (int i = 1; i <= t->o.rotated_max && f->fp_len > 0; i++) {
		char why[256];
		snprintf(name, namelen, "%s.%d", base, i);
		int fd = logopen(name, O_RDONLY | O_NONBLOCK, t->o.trust ?
		    LOGOPEN_TRUST : 0, st, why, sizeof(why));
		if (fd == LOGOPEN_REFUSED)
			tail_refuse(t, NULL, name, 0, 0, why);
		if (fd < 0)
			continue;
		if (S_ISREG(st->st_mode) &&
		    (uint64_t)st->st_size >= f->offset &&
		    !tail_inode_open(t, (uint64_t)st->st_dev,
		    (uint64_t)st->st_ino) &&
		    pread(fd, b, f->fp_len, 0) == (ssize_t)f->fp_len &&
		    memcmp(b, f->fp, f->fp_len) == 0)
			return fd;
		close(fd);
	}
	return -1;
}

/*
 * f's content is no longer in its inode (truncated or rewritten in
 * place). Carry on reading it from a copy if there is one, else end it.
 */
static void
tail_content_gone(struct tail *t, struct tail_file *f, int64_t now)
{
	char name[PATH_MAX];
	struct stat st;
	int fd = -1;

	if (f->state == TF_READ && f->owner != NULL)
		fd = tail_find_copy(t, f, f->owner->path, &st, name,
		    sizeof(name));
	if (fd < 0) {
		tail_end(t, f, "truncated", true);
		return;
	}
	char *copy = gw_strdup(name);
	if (copy == NULL) {
		close(fd);
		tail_end(t, f, "truncated", true);
		return;
	}
	tail_close_fd(t, f);
	free(f->path);
	f->path = copy;
	f->fd = fd;
	f->dev = (uint64_t)st.st_dev;
	f->ino = (uint64_t)st.st_ino;
	f->size = (uint64_t)st.st_size;
	f->wd = tail_watch(t, copy, false);
	tail_orphan(t, f, "truncated", now);
}

/*
 * Is f (same inode as at its path) still the content it was? False when
 * it shrank below what was read or its first bytes changed. Sharpens the
 * fingerprint as the file grows.
 */
static bool
tail_same_content(struct tail_file *f)
{
	unsigned char b[TAIL_FINGERPRINT_MAX];
	struct stat st;

	if (fstat(f->fd, &st) != 0)
		return false;
	f->size = (uint64_t)st.st_size;
	if (f->state == TF_HEAD)
		return true;	/* nothing read, nothing announced yet */
	if (f->size < f->offset || f->size < f->fp_len)
		return false;
	size_t want = f->size < sizeof(b) ? (size_t)f->size : sizeof(b);
	ssize_t n = pread(f->fd, b, want, 0);
	if (n < (ssize_t)f->fp_len || memcmp(b, f->fp, f->fp_len) != 0)
		return false;
	if ((size_t)n > f->fp_len) {
		memcpy(f->fp, b, (size_t)n);
		f->fp_len = (size_t)n;
	}
	return true;
}

/* True when f's file still has a name somewhere (renamed, not deleted). */
static bool
tail_linked(struct tail_file *f)
{
	struct stat st;

	return f->fd >= 0 && fstat(f->fd, &st) == 0 && st.st_nlink > 0;
}

/* Check one followed path: follow its content through rotation. */
static void
tail_check_path(struct tail *t, struct tail_path *p, int64_t now)
{
	struct tail_file *f = p->cur;
	struct stat st;

	if (!p->watched && t->ifd >= 0)
		p->watched = tail_watch(t, p->path, true) >= 0;
	/* lstat: a symlink put at the name is not the followed file. */
	int rc = t->o.trust ? stat(p->path, &st) : lstat(p->path, &st);
	if (rc == 0 && S_ISLNK(st.st_mode))
		tail_refuse(t, p, p->path, (uint64_t)st.st_dev,
		    (uint64_t)st.st_ino, "refused: is a symbolic link "
		    "(--follow-symlinks reads it)");
	if (rc != 0 || !S_ISREG(st.st_mode)) {
		if (f != NULL)
			tail_orphan(t, f, tail_linked(f) ? "rotated" :
			    "deleted", now);
		return;
	}
	if (f != NULL && (f->dev != (uint64_t)st.st_dev ||
	    f->ino != (uint64_t)st.st_ino)) {
		/* Another inode at the name: renamed away, or replaced. */
		tail_orphan(t, f, tail_linked(f) ? "rotated" : "replaced", now);
		f = NULL;
	} else if (f != NULL && f->fd >= 0 && !tail_same_content(f)) {
		tail_content_gone(t, f, now);
		f = NULL;
	}
	if (f == NULL && p->cur == NULL)
		tail_open_file(t, p->path, p, false, now);
}

/* True when name looks compressed (not followed when a glob finds it). */
static bool
tail_compressed_name(const char *name)
{
	static const char *const ext[] = {".gz", ".bz2", ".xz", ".zst",
	    ".zip", ".lz4"};
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t e = strlen(ext[i]);
		if (n > e && strcmp(name + n - e, ext[i]) == 0)
			return true;
	}
	return false;
}

/* The followed path named path, or NULL. */
static struct tail_path *
tail_find_path(struct tail *t, const char *path)
{
	for (struct tail_path *p = t->paths; p != NULL; p = p->next)
		if (strcmp(p->path, path) == 0)
			return p;
	return NULL;
}

/* Offer name as a rotated candidate unless it is followed itself. */
static void
tail_open_rotated(struct tail *t, const char *name, int64_t now)
{
	unsigned char magic[2];

	if (tail_find_path(t, name) != NULL)
		return;		/* followed in its own right */
	struct tail_file *f = tail_open_file(t, name, NULL, true, now);
	if (f == NULL)
		return;		/* missing, or open already */
	if (pread(f->fd, magic, 2, 0) == 2 && magic[0] == 0x1f &&
	    magic[1] == 0x8b)
		tail_end(t, f, "compressed", false);
}

/*
 * Announce what exists now as pattern.1 .. pattern.N as rotated candidates
 * (the caller reads them only to finish what an earlier run began). With
 * is_glob, pattern.N is a glob too: the rotated copies of every name the
 * pattern may match, whether that name exists now or not. A log renamed to
 * access.log.1 while we were down is not always followed by a new
 * access.log at once (the writer reopens later, or has finished): were
 * .N looked for only beside the names matched, it would never be read.
 */
static void
tail_find_rotated(struct tail *t, const char *pattern, bool is_glob,
    int64_t now)
{
	char name[PATH_MAX];

	for (int i = 1; i <= t->o.rotated_max; i++) {
		snprintf(name, sizeof(name), "%s.%d", pattern, i);
		if (!is_glob) {
			tail_open_rotated(t, name, now);
			continue;
		}
		glob_t gl;
		if (glob(name, 0, NULL, &gl) != 0)
			continue;	/* no match */
		for (size_t k = 0; k < gl.gl_pathc; k++)
			tail_open_rotated(t, gl.gl_pathv[k], now);
		globfree(&gl);
	}
}

/* Add path to the followed set (no-op when there). Returns 0 or -1 (OOM). */
static int
tail_add_path(struct tail *t, const char *path, int64_t now)
{
	if (tail_find_path(t, path) != NULL)
		return 0;
	struct tail_path *p = gw_calloc(1, sizeof(*p));
	if (p == NULL || (p->path = gw_strdup(path)) == NULL) {
		free(p);
		return -1;
	}
	struct tail_path **pp = &t->paths;
	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = p;
	tail_check_path(t, p, now);
	return 0;
}

/* Expand one glob; new regular, uncompressed matches become paths. */
static int
tail_expand(struct tail *t, struct tail_glob *g, int64_t now)
{
	glob_t gl;
	int rc = 0;

	if (!g->watched && t->ifd >= 0 && strpbrk(g->pattern, "*?[") != NULL) {
		const char *slash = strrchr(g->pattern, '/');
		bool plain_dir = slash == NULL ||
		    strcspn(g->pattern, "*?[") > (size_t)(slash - g->pattern);
		if (plain_dir)
			g->watched = tail_watch(t, g->pattern, true) >= 0;
	}
	if (glob(g->pattern, 0, NULL, &gl) != 0)
		return 0;	/* no match (yet) */
	for (size_t i = 0; i < gl.gl_pathc && rc == 0; i++) {
		const char *m = gl.gl_pathv[i];
		struct stat st;
		if (tail_compressed_name(m) || stat(m, &st) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		rc = tail_add_path(t, m, now);
	}
	globfree(&gl);
	return rc;
}

/*
 * Is f ready to be announced: a complete line and head_min bytes, or a
 * full head; an orphan that went quiet with anything in it will not grow
 * any more, so it goes as it is.
 */
static bool
tail_head_ready(struct tail *t, struct tail_file *f, int64_t now)
{
	struct stat st;

	if (now < f->announce_at || fstat(f->fd, &st) != 0)
		return false;
	f->size = (uint64_t)st.st_size;
	if (f->size == 0)
		return false;
	if (f->size >= TAIL_HEAD_MAX)
		return true;
	if (f->owner == NULL && now - f->last_growth >= t->o.drain_idle_ms)
		return true;
	if (f->size < t->o.head_min || f->size == f->head_checked)
		return false;
	f->head_checked = f->size;
	ssize_t n = pread(f->fd, t->head, (size_t)f->size, 0);
	return n > 0 && memchr(t->head, '\n', (size_t)n) != NULL;
}

/* Check every path and file: rotation, readiness, quiet orphans. */
static void
tail_check(struct tail *t, int64_t now)
{
	if (now >= t->next_glob || t->dir_changed) {
		for (struct tail_glob *g = t->globs; g != NULL; g = g->next)
			if (tail_expand(t, g, now) != 0)
				tail_problem(t, g->pattern, ENOMEM);
		t->next_glob = now + t->o.glob_ms;
		t->dir_changed = false;
	}
	for (struct tail_path *p = t->paths; p != NULL; p = p->next)
		tail_check_path(t, p, now);
	for (struct tail_file *f = t->files; f != NULL; f = f->next) {
		struct stat st;
		if (f->fd < 0)
			continue;
		if (fstat(f->fd, &st) == 0) {
			if ((uint64_t)st.st_size > f->size && f->owner == NULL)
				f->last_growth = now;
			f->size = (uint64_t)st.st_size;
		}
		switch (f->state) {
		case TF_HEAD:
			if (tail_head_ready(t, f, now))
				f->state = TF_ANNOUNCE;
			else if (f->owner == NULL && f->size == 0 &&
			    now - f->last_growth >= t->o.drain_idle_ms)
				tail_end(t, f, f->reason, false);
			break;
		case TF_READ:
			if (f->owner == NULL && !f->maybe_data &&
			    f->size <= f->offset &&
			    now - f->last_growth >= t->o.drain_idle_ms)
				tail_end(t, f, f->reason, true);
			else
				f->maybe_data = true;
			break;
		default:
			break;
		}
	}
}

/* Keep n bytes at p (file offset off) as f's unfinished line. */
static int
tail_keep_carry(struct tail_file *f, const char *p, size_t n, uint64_t off)
{
	if (n > TAIL_LINE_MAX) {
		n = TAIL_LINE_MAX;
		f->skipping = true;
	}
	if (n > f->carry_cap) {
		size_t cap = f->carry_cap ? f->carry_cap : 512;
		while (cap < n)
			cap *= 2;
		if (cap > TAIL_LINE_MAX)
			cap = TAIL_LINE_MAX;
		char *c = gw_realloc(f->carry, cap);
		if (c == NULL)
			return -1;
		f->carry = c;
		f->carry_cap = cap;
	}
	if (n > 0)
		memcpy(f->carry, p, n);
	f->carry_len = n;
	f->carry_off = off;
	return 0;
}

/* Fill ev as a line of f. */
static void
tail_line_event(struct tail_event *ev, struct tail_file *f, const char *p,
    size_t len, uint64_t off, uint64_t next, int flags)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = TAIL_LINE;
	ev->file = f;
	ev->path = f->path;
	if (!(flags & TAIL_TRUNCATED) && len > 0 && p[len - 1] == '\r')
		len--;
	ev->line = p;
	ev->len = len;
	ev->offset = off;
	ev->next = next;
	ev->flags = flags;
}

/*
 * The next complete line from the buffer being handed out. Returns 1 with
 * ev filled, 0 when the buffer is done (its tail kept as the carry), -1
 * when out of memory.
 */
static int
tail_deliver(struct tail *t, struct tail_event *ev)
{
	struct tail_file *f = t->dfile;

	if (f == NULL)
		return 0;
	while (t->dpos < t->dend) {
		char *p = t->buf + t->dpos;
		size_t avail = t->dend - t->dpos;
		char *nl = memchr(p, '\n', avail);
		if (nl == NULL)
			break;
		size_t len = (size_t)(nl - p);
		uint64_t off = t->dbase + t->dpos;
		t->dpos += len + 1;
		if (f->skipping) {
			/* The end of a cut line: hand out its kept start. */
			f->skipping = false;
			tail_line_event(ev, f, f->carry, f->carry_len,
			    f->carry_off, off + len + 1, TAIL_TRUNCATED);
			f->carry_len = 0;
			return 1;
		}
		int flags = 0;
		if (len > TAIL_LINE_MAX) {
			len = TAIL_LINE_MAX;
			flags = TAIL_TRUNCATED;
		}
		tail_line_event(ev, f, p, len, off, off + (uint64_t)(nl - p) + 1,
		    flags);
		return 1;
	}
	t->dfile = NULL;
	if (!f->skipping) {
		size_t rest = t->dend - t->dpos;
		if (tail_keep_carry(f, t->buf + t->dpos, rest,
		    t->dbase + t->dpos) != 0)
			return -1;
	}
	return 0;
}

/* Read the next file with new bytes into the buffer. True when one had. */
static bool
tail_read_some(struct tail *t, int64_t now)
{
	struct tail_file *start = t->rr != NULL && t->rr->next != NULL ?
	    t->rr->next : t->files;
	struct tail_file *f = start;

	if (f == NULL)
		return false;
	do {
		if (f->state == TF_READ && f->fd >= 0 && f->maybe_data) {
			size_t pre = 0;
			if (f->skipping) {
				t->dbase = f->offset;
			} else {
				pre = f->carry_len;
				if (pre > 0)
					memcpy(t->buf, f->carry, pre);
				t->dbase = f->carry_off;
			}
			ssize_t n = pread(f->fd, t->buf + pre, TAIL_CHUNK,
			    (off_t)f->offset);
			if (n < 0 && errno != EINTR && errno != EAGAIN) {
				tail_problem(t, f->path, errno);
				tail_end(t, f, "read error", true);
			} else if (n <= 0) {
				f->maybe_data = false;
			} else {
				f->offset += (uint64_t)n;
				if (f->offset > f->size)
					f->size = f->offset;
				f->last_growth = now;
				if (!f->skipping)
					f->carry_len = 0;
				t->dfile = f;
				t->dpos = 0;
				t->dend = pre + (size_t)n;
				t->rr = f;
				return true;
			}
		}
		f = f->next != NULL ? f->next : t->files;
	} while (f != start);
	return false;
}

/* An event that is due (announce, last line, close); 1 when ev filled. */
static int
tail_pending(struct tail *t, struct tail_event *ev)
{
	for (struct tail_file *f = t->files; f != NULL; f = f->next) {
		switch (f->state) {
		case TF_ANNOUNCE: {
			ssize_t n = f->fd < 0 ? -1 :
			    pread(f->fd, t->head, TAIL_HEAD_MAX, 0);
			if (n <= 0) {
				tail_end(t, f, "read error", false);
				continue;
			}
			memset(ev, 0, sizeof(*ev));
			ev->type = TAIL_OPENED;
			ev->file = f;
			ev->path = f->path;
			ev->head = t->head;
			ev->head_len = (size_t)n;
			ev->size = f->size > (uint64_t)n ? f->size : (uint64_t)n;
			ev->dev = f->dev;
			ev->ino = f->ino;
			ev->rotated = f->rotated;
			f->fp_len = (size_t)n < sizeof(f->fp) ? (size_t)n :
			    sizeof(f->fp);
			memcpy(f->fp, t->head, f->fp_len);
			f->state = TF_WAIT;
			f->announced = true;
			return 1;
		}
		case TF_FINAL:
			if (f->carry_len > 0) {
				uint64_t end = f->skipping ? f->offset :
				    f->carry_off + f->carry_len;
				tail_line_event(ev, f, f->carry, f->carry_len,
				    f->carry_off, end, f->skipping ?
				    TAIL_TRUNCATED : TAIL_NO_NEWLINE);
				f->carry_len = 0;
				f->skipping = false;
				return 1;
			}
			memset(ev, 0, sizeof(*ev));
			ev->type = TAIL_CLOSED;
			ev->file = f;
			ev->path = f->path;
			ev->reason = f->reason;
			f->state = TF_DEAD;
			return 1;
		default:
			break;
		}
	}
	return 0;
}

/* Free the files that are gone. */
static void
tail_reap(struct tail *t)
{
	struct tail_file **pp = &t->files;

	while (*pp != NULL) {
		struct tail_file *f = *pp;
		if (f->state != TF_DEAD) {
			pp = &f->next;
			continue;
		}
		*pp = f->next;
		tail_close_fd(t, f);
		tail_disown(f);
		if (t->rr == f)
			t->rr = NULL;
		free(f->carry);
		free(f->path);
		free(f);
	}
}

/*
 * Wait up to ms for inotify (or just sleep when polling). Returns 0, or
 * -1 when a signal interrupted the wait.
 */
static int
tail_wait(struct tail *t, int ms)
{
	struct pollfd pfd = {.fd = t->ifd, .events = POLLIN};
	int rc = poll(&pfd, t->ifd >= 0 ? 1 : 0, ms);

	if (rc < 0)
		return errno == EINTR ? -1 : 0;
#ifdef __linux__
	if (rc > 0 && t->ifd >= 0) {
		_Alignas(struct inotify_event) char b[8192];
		ssize_t n;
		while ((n = read(t->ifd, b, sizeof(b))) > 0) {
			for (char *p = b; p < b + n;) {
				struct inotify_event *e = (void *)p;
				if (e->mask & (IN_CREATE | IN_MOVED_TO |
				    IN_Q_OVERFLOW))
					t->dir_changed = true;
				p += sizeof(*e) + e->len;
			}
		}
		t->woken = true;
		/* A write wakes us at once; let a burst of them gather. */
		if (ms > TAIL_COALESCE_MS) {
			struct timespec ts = {0, TAIL_COALESCE_MS * 1000000L};
			if (nanosleep(&ts, NULL) != 0 && errno == EINTR)
				return -1;
		}
	}
#endif
	return 0;
}

/* See tail.h. */
int
tail_new(const struct tail_opts *o, struct tail **out, char *err,
    size_t errlen)
{
	struct tail *t = gw_calloc(1, sizeof(*t));

	if (t == NULL || (t->buf = gw_malloc(TAIL_LINE_MAX + TAIL_CHUNK)) == NULL ||
	    (t->head = gw_malloc(TAIL_HEAD_MAX)) == NULL) {
		if (t != NULL)
			free(t->buf);
		free(t);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (o != NULL)
		t->o = *o;
	if (t->o.poll_ms <= 0)
		t->o.poll_ms = 250;
	if (t->o.drain_idle_ms <= 0)
		t->o.drain_idle_ms = 1000;
	if (t->o.glob_ms <= 0)
		t->o.glob_ms = 1000;
	if (t->o.head_min == 0)
		t->o.head_min = 64;
	if (t->o.rotated_max == 0)
		t->o.rotated_max = 9;
	if (t->o.rotated_max < 0)
		t->o.rotated_max = 0;
	t->ifd = -1;
#ifdef __linux__
	if (!t->o.no_inotify)
		t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
#endif
	*out = t;
	return 0;
}

/* See tail.h. */
void
tail_free(struct tail *t)
{
	if (t == NULL)
		return;
	for (struct tail_file *f = t->files; f != NULL; f = f->next)
		f->state = TF_DEAD;
	tail_reap(t);
	while (t->paths != NULL) {
		struct tail_path *p = t->paths;
		t->paths = p->next;
		free(p->path);
		free(p);
	}
	while (t->globs != NULL) {
		struct tail_glob *g = t->globs;
		t->globs = g->next;
		free(g->pattern);
		free(g);
	}
	if (t->ifd >= 0)
		close(t->ifd);
	free(t->buf);
	free(t->head);
	free(t);
}

/* See tail.h. */
int
tail_add(struct tail *t, const char *pattern, char *err, size_t errlen)
{
	int64_t now = clk_mono_ms();
	struct stat st;
	char shown[256];

	safe_text(shown, sizeof(shown), pattern, strlen(pattern));
	if (strlen(pattern) >= PATH_MAX - 16) {
		snprintf(err, errlen, "%s: name too long", shown);
		return -1;
	}
	if (strpbrk(pattern, "*?[") == NULL) {
		if (stat(pattern, &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "%s: is a directory", shown);
			return -1;
		}
		if (tail_add_path(t, pattern, now) != 0)
			goto oom;
		tail_find_rotated(t, pattern, false, now);
		return 0;
	}
	struct tail_glob *g = gw_calloc(1, sizeof(*g));
	if (g == NULL || (g->pattern = gw_strdup(pattern)) == NULL) {
		free(g);
		goto oom;
	}
	g->next = t->globs;
	t->globs = g;
	if (tail_expand(t, g, now) != 0)
		goto oom;
	tail_find_rotated(t, pattern, true, now);
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory", shown);
	return -1;
}

/* See tail.h. */
int
tail_next(struct tail *t, struct tail_event *ev, int timeout_ms, char *err,
    size_t errlen)
{
	int64_t deadline = clk_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);

	tail_reap(t);
	for (;;) {
		int rc = tail_deliver(t, ev);
		if (rc != 0) {
			if (rc < 0)
				snprintf(err, errlen, "out of memory");
			return rc;
		}
		if (tail_pending(t, ev))
			return 1;
		int64_t now = clk_mono_ms();
		if (t->woken || now >= t->next_check) {
			t->woken = false;
			t->next_check = now + t->o.poll_ms;
			tail_check(t, now);
			if (tail_pending(t, ev))
				return 1;
		}
		if (tail_read_some(t, now))
			continue;
		if (now >= deadline)
			return 0;
		int64_t until = deadline < t->next_check ? deadline :
		    t->next_check;
		if (tail_wait(t, (int)(until - now)) != 0)
			return 0;
	}
}

/* See tail.h. */
void
tail_start(struct tail_file *f, uint64_t offset)
{
	struct stat st;

	if (f->state != TF_WAIT)
		return;
	if (fstat(f->fd, &st) == 0 && offset > (uint64_t)st.st_size)
		offset = (uint64_t)st.st_size;
	f->offset = offset;
	f->carry_off = offset;
	f->carry_len = 0;
	f->skipping = false;
	f->state = TF_READ;
	f->maybe_data = true;
	f->last_growth = clk_mono_ms();
}

/* See tail.h. */
void
tail_defer(struct tail_file *f, int ms)
{
	if (f->state != TF_WAIT)
		return;
	f->state = TF_HEAD;
	f->head_checked = UINT64_MAX;
	f->announce_at = clk_mono_ms() + ms;
}

/* See tail.h. */
void
tail_drop(struct tail_file *f)
{
	if (f->state != TF_WAIT)
		return;
	f->announced = false;
	f->udata = NULL;
	if (f->owner != NULL)
		f->state = TF_DROPPED;
	else
		tail_end(f->t, f, "dropped", false);
}

/* See tail.h. */
void
tail_set_udata(struct tail_file *f, void *udata)
{
	f->udata = udata;
}

/* See tail.h. */
bool
tail_drained(const struct tail_file *f)
{
	struct stat st;

	if (f->state != TF_READ || f->fd < 0 || f->carry_len > 0 ||
	    f->skipping || f->t->dfile == f)
		return false;
	return fstat(f->fd, &st) == 0 && (uint64_t)st.st_size <= f->offset;
}

/* See tail.h. */
void *
tail_udata(const struct tail_file *f)
{
	return f->udata;
}

/* See tail.h. */
void
tail_reopen(struct tail *t)
{
	for (struct tail_path *p = t->paths; p != NULL; p = p->next) {
		if (p->cur != NULL)
			tail_end(t, p->cur, "reopened", false);
		p->watched = false;
	}
	for (struct tail_glob *g = t->globs; g != NULL; g = g->next)
		g->watched = false;
#ifdef __linux__
	if (t->ifd < 0 && !t->o.no_inotify) {
		t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		/* Files keep draining without a watch; checks cover them. */
	}
#endif
	t->dir_changed = true;
	t->woken = true;
}

/* See tail.h. */
void
tail_get_stats(struct tail *t, struct tail_stats *s)
{
	memset(s, 0, sizeof(*s));
	for (struct tail_path *p = t->paths; p != NULL; p = p->next)
		s->paths++;
	for (struct tail_file *f = t->files; f != NULL; f = f->next) {
		if (f->fd < 0)
			continue;
		s->files++;
		if (f->state == TF_READ && f->size > f->offset)
			s->behind += f->size - f->offset;
	}
	s->polling = t->ifd < 0;
	s->refused = t->refused;
	s->problem = t->problem_seq ? t->problem : NULL;
	s->problem_seq = t->problem_seq;
}

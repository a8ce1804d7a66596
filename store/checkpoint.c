/*
 * checkpoint.c - WAL checkpoints on a thread of their own.
 *
 * A writer in WAL mode appends every page it commits to the -wal file; a
 * checkpoint copies them into the database, and once the whole WAL has
 * been copied the next write transaction starts it over from its first
 * frame. SQLite's autocheckpoint copies inside the committing connection,
 * on the writer's thread, ingest's busiest (10M production lines: twelve
 * checkpoints of 8192 frames); and what no checkpoint copied, the last
 * connection's close copies on the main thread once every other thread
 * is done (1M lines: all of the 63 MB database, 0.15-0.3 s alone at the
 * end).
 *
 * Here a thread with its own connection runs them. The writer's WAL hook
 * (which takes the place of its autocheckpoint) notes the frames in the
 * WAL after each commit and asks for a PASSIVE checkpoint once the WAL
 * grew by `every` frames since the last one asked; it never waits. A
 * PASSIVE checkpoint takes no lock a writer or a reader waits for: it
 * copies the frames committed when it starts that no reader's snapshot
 * still needs, while the writer goes on appending. Smaller `every` leaves
 * less for the close but copies more often the pages later commits
 * rewrite (10M lines, checkpointer CPU: 1024 frames 1.0 s, 512 1.25 s).
 *
 * A WAL starts over only when a write transaction begins with all of it
 * copied, and the writer begins its next transaction as soon as it
 * commits, before a checkpoint of that commit can end: left alone the
 * WAL would keep every frame ever written. So once it holds `cap` frames
 * the writer's next begin (ckpt_before_begin) waits for the checkpoint
 * of its last commit; from `cap - every` frames on every commit asks for
 * one, so that wait is one transaction's frames and the syncs, not
 * `every` of them. The WAL then starts over, reusing the file's pages.
 *
 * A checkpoint syncs the database file only when it copied the whole WAL,
 * which the writer, appending meanwhile, leaves rare: the last one, at
 * the end of an ingest, synced every page of the database all at once
 * (1M production lines: fdatasync 48 ms of a 145 ms end phase). After
 * each checkpoint the thread has the kernel start writing what it copied
 * (sync_file_range, no wait for the disk), so the last sync finds little
 * left; likewise the WAL after each commit that grew it, so a
 * checkpoint's sync of the WAL, and the close's after the last commit,
 * find little left (1M production lines: the close's fdatasync of the
 * WAL 15 ms -> 0.3 ms, load 2-5).
 *
 * Durability is SQLite's: the WAL is the truth until a checkpoint (on
 * whichever connection) has copied and synced it; a crash at any moment
 * loses nothing committed. If the thread or its connection cannot start,
 * ckpt_start fails and the caller keeps SQLite's autocheckpoint.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/quiet_thread.h"
#include "store/store_int.h"

/* A removed WAL this big is freed by a child process (ckpt_release_wal). */
#define CKPT_RELEASE_MIN	(8 << 20)

struct ckpt {
	sqlite3 *db;		/* the thread's own connection */
	int dbfd;		/* the database file read-only, or -1 */
	int walfd;		/* the WAL file read-only, or -1 */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* a checkpoint asked for; one done */
	int every, cap;		/* frames: see the top of the file */
	int frames;		/* in the WAL after the writer's last commit */
	int asked;		/* frames the last checkpoint asked covers */
	bool want;		/* a checkpoint is asked for */
	bool written;		/* a commit appended frames since the last
				   writeback of the WAL */
	bool busy;		/* the thread runs one */
	bool stop;
	int64_t runs;		/* checkpoints run */
	int64_t restarts;	/* commits that found the WAL started over */
	int64_t writebacks;	/* writebacks of the WAL started */
};

/* The thread: a PASSIVE checkpoint each time one is asked for. */
static void *
ckpt_main(void *arg)
{
	struct ckpt *c = arg;

	quiet_thread_name("gw-ckpt");
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->want && !c->written && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		/* a checkpoint asked for runs before the thread stops: the
		   close would copy it otherwise, alone (store_checkpoint_rest) */
		if (c->stop && !c->want)
			break;
		if (!c->want) {
			/* a commit's frames on their way to the disk, so the
			   next checkpoint's sync of the WAL, or the close's,
			   finds little left (best effort) */
			c->written = false;
			pthread_mutex_unlock(&c->mu);
#ifdef SYNC_FILE_RANGE_WRITE
			if (c->walfd >= 0)
				(void)sync_file_range(c->walfd, 0, 0,
				    SYNC_FILE_RANGE_WRITE);
#endif
			pthread_mutex_lock(&c->mu);
			c->writebacks++;
			continue;
		}
		c->want = false;
		c->written = false;
		c->busy = true;
		pthread_mutex_unlock(&c->mu);
		/* SQLITE_BUSY (another connection's checkpoint runs) or an
		   error copies less; the next commit asks again */
		(void)sqlite3_wal_checkpoint_v2(c->db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
#ifdef SYNC_FILE_RANGE_WRITE
		/* the pages copied on their way to the disk (best effort) */
		if (c->dbfd >= 0)
			(void)sync_file_range(c->dbfd, 0, 0,
			    SYNC_FILE_RANGE_WRITE);
#endif
		pthread_mutex_lock(&c->mu);
		c->runs++;
		c->busy = false;
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* Ask the thread for a checkpoint of the WAL's c->frames (c->mu held). */
static void
ckpt_ask(struct ckpt *c)
{
	c->asked = c->frames;
	c->want = true;
	pthread_cond_broadcast(&c->cv);
}

/*
 * The writer's WAL hook, after each commit, the write lock free again:
 * note the WAL's frames and ask for a checkpoint when it grew by `every`
 * since the last one asked, or, near `cap`, whenever it grew. Never waits
 * for the thread.
 */
static int
ckpt_hook(void *ctx, sqlite3 *db, const char *name, int frames)
{
	struct ckpt *c = ctx;

	(void)db;
	(void)name;
	pthread_mutex_lock(&c->mu);
	if (frames < c->frames)
		c->restarts++;
	if (frames < c->asked)
		c->asked = 0;	/* the WAL started over */
	if (frames != c->frames && c->walfd >= 0) {
		c->written = true;
		pthread_cond_broadcast(&c->cv);
	}
	c->frames = frames;
	if (frames - c->asked >= c->every ||
	    (frames > c->asked && frames >= c->cap - c->every))
		ckpt_ask(c);
	pthread_mutex_unlock(&c->mu);
	return SQLITE_OK;
}

/* Open the thread's connection on s's file: 0 if it is in WAL mode. */
static int
ckpt_open(struct store *s, struct ckpt *c)
{
	sqlite3_stmt *st;
	const unsigned char *mode;
	bool wal = false;

	if (sqlite3_open_v2(s->path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK)
		return -1;
	/* a checkpoint syncs the WAL, then the database, as the writer's
	   own would; reading the journal mode opens the WAL */
	if (sqlite3_exec(c->db, "PRAGMA synchronous = NORMAL", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "PRAGMA journal_mode", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (mode = sqlite3_column_text(st, 0)) != NULL)
		wal = strcmp((const char *)mode, "wal") == 0;
	sqlite3_finalize(st);
	return wal ? 0 : -1;
}

/*
 * Let the WAL file shrink back to twice `cap` frames when it starts over
 * after growing past that (a reader's snapshot kept it from starting
 * over); below that its pages are reused. 0 or -1 (the file then keeps
 * the size it grew to).
 */
static int
ckpt_size_limit(struct store *s, int cap)
{
	sqlite3_stmt *st;
	int64_t page = 0;
	char sql[64];

	if (sqlite3_prepare_v2(s->db, "PRAGMA page_size", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		page = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (page <= 0)
		return -1;
	/* a frame: a 24-byte header and a page */
	snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit = %lld",
	    (long long)(2 * (int64_t)cap * (page + 24)));
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 :
	    -1;
}

/*
 * Hand c's descriptors to s, to be closed after s's connection
 * (ckpt_close_files) or taken again by the next checkpointer (ckpt_start
 * takes them before it opens any): closing one now would drop that
 * connection's locks.
 */
static void
ckpt_park_files(struct store *s, struct ckpt *c)
{
	assert(s->ckpt_fd[0] < 0 && s->ckpt_fd[1] < 0);
	s->ckpt_fd[0] = c->dbfd;
	s->ckpt_fd[1] = c->walfd;
	c->dbfd = c->walfd = -1;
}

/* The descriptor parked in s->ckpt_fd[i], if any, else path opened. */
static int
ckpt_take_file(struct store *s, int i, const char *path)
{
	int fd = s->ckpt_fd[i];

	s->ckpt_fd[i] = -1;
	if (fd >= 0 || path == NULL)
		return fd;
	return open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

/* A detached thread: wait for the child ckpt_release_wal started. */
static void *
ckpt_reap(void *arg)
{
	pid_t pid = (pid_t)(intptr_t)arg;

	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return NULL;
}

/*
 * The child of ckpt_release_wal: keep the WAL (fd) until the parent's end
 * of the pipe (rd) closes, then exit, freeing its blocks. Only
 * async-signal-safe calls: the parent may have other threads. Every other
 * descriptor is closed first (a terminal, a pipe a caller reads until it
 * closes, the database's).
 */
static void
ckpt_wal_keeper(int fd, int rd)
{
	char c;

	if (dup2(rd, 0) < 0 || dup2(fd, 1) < 0)
		_exit(1);
	if (close_range(2, ~0U, 0) != 0)
		for (int i = 2; i < 1024; i++)
			(void)close(i);
	for (;;) {
		ssize_t n = read(0, &c, 1);

		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	_exit(0);
}

/*
 * Close fd, the WAL's descriptor, after the last connection closed. When
 * SQLite removed the file and it is big, ours is the last reference, and
 * closing it frees its blocks there and then (1M production lines: a
 * 90 MB WAL, 31-39 ms on this disk, mounted with discard, 84-109 ms at
 * load 9), the last serial step of an ingest. A child process takes the
 * reference over instead (ckpt_wal_keeper), forked with a pipe whose
 * other end we close right after the file, so it can only end, and free
 * the blocks on another core while we exit, once we no longer hold the
 * file. fork(), not a spawn of a program: posix_spawn's parent waits
 * until the child runs exec, on a loaded host up to 50 ms; fork returns
 * at once, having copied the page tables (the memory still mapped at
 * this point), and the child shares the pages until it ends. Nothing
 * waits for it but a detached thread that reaps it (ckpt_reap): an
 * ingest exits at once, and the child, reparented, is reaped by init; a
 * process that goes on (`gatewatch FILE`: ingest, then the console)
 * keeps no zombie. If fork fails the close frees the blocks as before.
 */
static void
ckpt_release_wal(int fd)
{
	struct stat st;
	pthread_t t;
	int p[2];
	pid_t pid;

	if (fstat(fd, &st) != 0 || st.st_nlink != 0 ||
	    st.st_size < CKPT_RELEASE_MIN || pipe2(p, O_CLOEXEC) != 0) {
		(void)close(fd);
		return;
	}
	if ((pid = fork()) == 0)
		ckpt_wal_keeper(fd, p[0]);
	(void)close(fd);
	(void)close(p[0]);
	(void)close(p[1]);	/* the child may end now */
	if (pid > 0 && quiet_thread_create(&t, ckpt_reap,
	    (void *)(intptr_t)pid) == 0)
		(void)pthread_detach(t);
}

/* See store_int.h. */
void
ckpt_close_files(struct store *s)
{
	for (int i = 0; i < 2; i++) {
		if (s->ckpt_fd[i] >= 0 && i == 1)
			ckpt_release_wal(s->ckpt_fd[i]);
		else if (s->ckpt_fd[i] >= 0)
			(void)close(s->ckpt_fd[i]);
		s->ckpt_fd[i] = -1;
	}
}

/* See store_int.h. */
int
ckpt_start(struct store *s, int every, int cap, char *err, size_t errlen)
{
	struct ckpt *c;

	if (s->ckpt != NULL)
		return 0;
	if (sqlite3_threadsafe() == 0 || s->path == NULL)
		return store_fail(err, errlen, "checkpointer: no threads");
	if ((c = gw_calloc(1, sizeof(*c))) == NULL)
		return store_fail(err, errlen, "out of memory");
	c->every = every > 0 ? every : 1;
	c->cap = cap > c->every ? cap : c->every;
	c->dbfd = ckpt_take_file(s, 0, s->path);
	c->walfd = ckpt_take_file(s, 1, NULL);
	if (ckpt_open(s, c) != 0 || pthread_mutex_init(&c->mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&c->cv, NULL) != 0) {
		pthread_mutex_destroy(&c->mu);
		goto fail;
	}
	if (quiet_thread_create(&c->thread, ckpt_main, c) != 0) {
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mu);
		goto fail;
	}
	/* opened by ckpt_open's connection; its name is SQLite's */
	if (c->walfd < 0)
		c->walfd = open(sqlite3_filename_wal(sqlite3_db_filename(
		    c->db, "main")), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	s->ckpt = c;
	sqlite3_wal_hook(s->db, ckpt_hook, c);
	(void)ckpt_size_limit(s, c->cap);	/* without, the file stays */
	return 0;
fail:
	store_fail(err, errlen, "checkpointer: %s", c->db != NULL ?
	    sqlite3_errmsg(c->db) : "cannot open the database");
	sqlite3_close(c->db);
	ckpt_park_files(s, c);
	free(c);
	return -1;
}

/* See store_int.h. */
void
ckpt_before_begin(struct store *s)
{
	struct ckpt *c = s->ckpt;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	if (c->frames >= c->cap)
		while (c->want || c->busy)
			pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
}

/* See store_int.h. */
void
ckpt_stop(struct store *s)
{
	struct ckpt *c = s->ckpt;

	if (c == NULL)
		return;
	sqlite3_wal_hook(s->db, NULL, NULL);
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	sqlite3_close(c->db);
	ckpt_park_files(s, c);
	free(c);
	s->ckpt = NULL;
}

/* See store.h. */
void
store_checkpoint_rest(struct store *s)
{
	struct ckpt *c = s->ckpt;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	if (c->frames > c->asked)
		ckpt_ask(c);
	pthread_mutex_unlock(&c->mu);
}

/* See store_int.h. */
int64_t
ckpt_writebacks(struct store *s)
{
	struct ckpt *c = s->ckpt;
	int64_t n;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->mu);
	n = c->writebacks;
	pthread_mutex_unlock(&c->mu);
	return n;
}

/* See store.h. */
void
store_checkpoints(struct store *s, int64_t *runs, int64_t *restarts)
{
	struct ckpt *c = s->ckpt;

	*runs = *restarts = 0;
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	*runs = c->runs;
	*restarts = c->restarts;
	pthread_mutex_unlock(&c->mu);
}

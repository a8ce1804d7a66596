/*
 * cmd_tail.c - `gatewatch tail`: follow live logs into the database.
 *
 * capture/tail.c follows the files through rotation and hands out their
 * lines; this file decides, for each content it announces, what format it
 * is (cli/logsource.h, from its first lines, as `ingest` does) and which
 * store source it is (store_source_open, by the fingerprint of its first
 * bytes whatever kind they were taken for, which also says where an
 * earlier run - or `gatewatch ingest` - stopped reading it).
 * Lines go into batches that a writer thread stores (cli/pipeline.h); a
 * batch holds lines of one content and its position, committed together,
 * so after a crash every line is stored exactly once.
 *
 * A batch is handed over when full, when lines of another content come,
 * and at most TAIL_FLUSH_MS after its first line, so what is written shows
 * in the database within a second. Before a source is looked up the
 * pipeline is drained, so the position the store returns is current.
 *
 * A content found beside a followed path or pattern (access.log.1, also
 * when no access.log exists yet) is read only when an earlier run began it
 * (store_source_find knows it): the rest of a log rotated while we were
 * down, and whatever its writer still appends before it reopens.
 *
 * A line a container runtime split into partial records (parse/lineparse.h)
 * may be cut by a rotation: the runtime reopens its file mid-line. The
 * held records of the old content continue in the new one at the same path
 * when the old one has nothing more to give (follow_take_over); a content
 * that is done with records still held stores them as one reject
 * (follow_end_held). Either way its rewind point is cleared, and nothing
 * is lost silently.
 *
 * Signals: SIGINT/SIGTERM end the loop; what was read is stored and the
 * exit status is 0. SIGHUP closes and reopens every followed path.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "cli/formatopts.h"
#include "cli/logsource.h"
#include "parse/lineparse.h"
#include "cli/metricsopts.h"
#include "cli/pipeline.h"
#include "cli/retain.h"
#include "store/store.h"
#include "capture/tail.h"

#define TAIL_BATCH_RECORDS	8192
#define TAIL_BATCH_BYTES	(8 * 1024 * 1024)	/* arena use */
#define TAIL_FLUSH_MS		250
/* As cli/cmd_ingest.c: the same first bytes make the same source either way. */
/* store.h: a fingerprint shorter than this gives no identity. */
#define TAIL_RETRY_MS		1000

struct follow_opts {
	const char *db;
	struct formatopts fmt;		/* how to read the files */
	bool verbose;
	bool status;			/* status line: stderr is a terminal */
	bool polling;
	bool tui;			/* --tui: the console in this process */
	bool follow_symlinks;		/* no capture/logopen.h checks */
	int64_t db_group;		/* --db-group, -1 none */
	int first;			/* argv index of the first FILE */
	struct retain_opts retain;	/* --retain, --retain-rollups, --max-db-size */
	struct metricsopts metrics;	/* --metrics-listen */
};

/* What this file knows of one content the follower announced. */
struct follow_source {
	struct follow_source *next;
	struct tail_file *file;
	struct lineparse *lp;
	int64_t source_id;		/* 0 until its store source is open */
	uint64_t line_no;		/* lines of the source read so far */
	uint64_t position;		/* byte just after the last line taken */
	char *path;			/* where its content was opened */
	bool pred_looked;		/* for a predecessor's held join */
	int64_t handed_from;		/* source whose held join continues
					 * here (0 none): its rewind point is
					 * cleared once the join ended */
	uint64_t handed_position, handed_line;	/* that source's */
	uint64_t replay_to;		/* lines before: taken by an earlier
					 * run, read again to rebuild a join */
	bool warned;
};

struct follow {
	const struct follow_opts *o;
	struct store *st;
	struct pipeline *pl;
	struct tail *t;
	struct follow_source *sources;
	struct follow_source *batch_src;	/* whose lines the batch holds */
	size_t batch_lines;
	double batch_t0;			/* when its first line came */
	uint64_t lines;				/* since start */
	int rc;					/* of follow_run, --tui */
	char told[512];				/* the error follow_run printed */
};

static cli_stop_flag stop_requested;	/* a signal, or q in the console */
static atomic_int reopen_requested;	/* SIGHUP; read by the follow loop */

static void
follow_on_signal(int sig)
{
	if (sig == SIGHUP)
		atomic_store(&reopen_requested, 1);
	else
		atomic_store(&stop_requested, CLI_STOP_SIGNAL);
}

/*
 * Hand the batch to the writer if it holds lines; with sync, also wait
 * until everything handed over is stored. Returns 0, or -1 with err.
 */
static int
follow_flush(struct follow *fw, bool sync, char *err, size_t errlen)
{
	if (fw->batch_lines > 0) {
		if (pipeline_flush(fw->pl, err, errlen) != 0)
			return -1;
		fw->batch_lines = 0;
		fw->batch_src = NULL;
	}
	if (sync && pipeline_sync(fw->pl, err, errlen) != 0)
		return -1;
	return 0;
}

/* Forget src (its file was closed or dropped). */
static void
follow_forget(struct follow *fw, struct follow_source *src)
{
	struct follow_source **pp = &fw->sources;

	while (*pp != NULL && *pp != src)
		pp = &(*pp)->next;
	if (*pp != NULL)
		*pp = src->next;
	if (fw->batch_src == src)
		fw->batch_src = NULL;
	lineparse_free(src->lp);
	free(src->path);
	free(src);
}

/* True when another open content already reads source id. */
static bool
follow_source_busy(struct follow *fw, struct follow_source *src, int64_t id)
{
	for (struct follow_source *s = fw->sources; s != NULL; s = s->next)
		if (s != src && s->source_id == id)
			return true;
	return false;
}

/*
 * The batch for src's lines: the one being filled when it holds src's,
 * else a new one once the other source's is handed over. NULL with err.
 */
static struct gw_batch *
follow_batch(struct follow *fw, struct follow_source *src, char *err,
    size_t errlen)
{
	if (fw->batch_src != src) {
		if (follow_flush(fw, false, err, errlen) != 0)
			return NULL;
		fw->batch_src = src;
	}
	struct gw_batch *b = pipeline_batch(fw->pl);
	b->source_id = src->source_id;
	return b;
}

/* One more line or reject in the batch: its first starts the flush clock. */
static void
follow_count(struct follow *fw)
{
	if (fw->batch_lines++ == 0)
		fw->batch_t0 = clk_mono_secs();
}

/*
 * The chunks of a held line too far back to read again (stored at offset,
 * line at_line): a reject in src's batch, committed with its position so
 * the next run does not count it again. 0, or -1 with err.
 */
static int
follow_cut(struct follow *fw, struct follow_source *src, uint64_t resume,
    uint64_t line_no, uint64_t offset, uint64_t at_line, char *err,
    size_t errlen)
{
	struct gw_batch *b = follow_batch(fw, src, err, errlen);

	if (b == NULL)
		return -1;
	b->position = resume;
	b->line_no = line_no;
	b->held_bytes = 0;
	b->held_lines = 0;
	if (batch_add_reject(b, at_line, offset, LINEPARSE_CUT_REASON, "",
	    0) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	follow_count(fw);
	return 0;
}

/*
 * A new content: decide its format, find its source and where to resume,
 * and tell the follower. Returns 0, or -1 with err (the store failed).
 */
static int
follow_opened(struct follow *fw, const struct tail_event *ev, char *err,
    size_t errlen)
{
	struct follow_source *src = tail_udata(ev->file);
	char msg[512], shown[1024];

	safe_text(shown, sizeof(shown), ev->path, strlen(ev->path));
	if (src == NULL) {
		if ((src = calloc(1, sizeof(*src))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		src->file = ev->file;
		if ((src->path = strdup(ev->path)) == NULL) {
			free(src);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		src->next = fw->sources;
		fw->sources = src;
		tail_set_udata(ev->file, src);
	}
	struct store_source_info si;
	if (src->lp == NULL) {
		size_t n;
		if (logsource_open(&fw->o->fmt, ev->path, ev->head,
		    ev->head_len, &src->lp, &si, &n, msg, sizeof(msg)) != 0) {
			if (!ev->rotated && n < LINEPARSE_SAMPLE_LINES &&
			    ev->head_len < TAIL_HEAD_MAX) {
				/* More lines may settle it. */
				if (!src->warned)
					fprintf(stderr, "gatewatch tail: %s: %s; "
					    "waiting for more lines\n", shown,
					    msg);
				src->warned = true;
				tail_defer(ev->file, TAIL_RETRY_MS);
				return 0;
			}
			fprintf(stderr, "gatewatch tail: %s: %s; not read\n",
			    shown, msg);
			follow_forget(fw, src);
			tail_drop(ev->file);
			return 0;
		}
		if (src->warned)
			fprintf(stderr, "gatewatch tail: %s: recognised now\n",
			    shown);
	} else {
		logsource_info(&fw->o->fmt, src->lp, ev->path, ev->head,
		    ev->head_len, &si);
	}
	si.dev = ev->dev;
	si.ino = ev->ino;
	int64_t id;
	uint64_t resume = 0, line_no = 0;
	if (follow_flush(fw, true, err, errlen) != 0)
		return -1;
	if (ev->rotated) {
		/*
		 * A content beside the path: ours only if a run began it.
		 * Read to its end even when nothing is left now: the writer
		 * may not have been told to reopen yet and still append to
		 * it; the follower closes it once it stays quiet. Shorter
		 * than what was read: a stale copy, not to be continued.
		 */
		int found = store_source_find(fw->st, &si, &id, &resume,
		    &line_no, err, errlen);
		if (found < 0)
			return -1;
		if (found == 0 || resume > ev->size) {
			follow_forget(fw, src);
			tail_drop(ev->file);
			return 0;
		}
	}
	char kind_was[64];
	if (store_source_open(fw->st, &si, &id, &resume, &line_no, kind_was,
	    sizeof(kind_was), err, errlen) != 0)
		return -1;
	/* Its first lines say another kind now (they changed as it grew):
	 * still the same content, resumed, never read again from its start. */
	if (kind_was[0] != '\0') {
		logsource_kind_change(kind_was, si.kind, msg, sizeof(msg));
		fprintf(stderr, "gatewatch tail: %s: %s\n", shown, msg);
	}
	if (follow_source_busy(fw, src, id)) {
		/* A copy of a content still being read elsewhere: later. */
		tail_defer(ev->file, TAIL_RETRY_MS);
		return 0;
	}
	/*
	 * A line split into partial records was held when the last run
	 * stopped: read again from its first chunk, the lines before resume
	 * only replayed (parse/lineparse.h). Too far back: counted as cut.
	 */
	uint64_t from = resume, from_line = line_no;
	int held = store_source_rewind(fw->st, id, &from, &from_line, err,
	    errlen);
	if (held < 0)
		return -1;
	src->source_id = id;
	src->position = resume;
	src->replay_to = 0;
	if (held == 1 && resume <= ev->size &&
	    resume - from <= LINEPARSE_REWIND_MAX && from_line <= line_no) {
		src->replay_to = resume;
		src->line_no = from_line;
		tail_start(ev->file, from);
	} else {
		src->line_no = line_no;
		if (held == 1 && follow_cut(fw, src, resume, line_no, from,
		    from_line + 1, err, errlen) != 0)
			return -1;
		tail_start(ev->file, resume);
	}
	if (fw->o->verbose) {
		char what[256];

		logsource_describe(src->lp, what, sizeof(what));
		fprintf(stderr, "%s: %s", shown, what);
		if (resume > 0)
			fprintf(stderr, ", resuming at byte %llu (line %llu)",
			    (unsigned long long)resume,
			    (unsigned long long)line_no);
		if (src->replay_to > 0)
			fprintf(stderr, ", reading again from byte %llu (line "
			    "%llu) to join a partial line",
			    (unsigned long long)from,
			    (unsigned long long)from_line + 1);
		if (si.fingerprint_len < STORE_FINGERPRINT_MIN)
			fprintf(stderr, " (too short to be recognised later)");
		fputc('\n', stderr);
	}
	return 0;
}

/*
 * src's first line: when another content opened at the same path (its
 * predecessor, rotated away) ends with a line split into partial records
 * and has nothing more to give, the runtime reopened its file mid-line:
 * the rest of that line comes here. Its held records continue in src's
 * join (as if they had begun at this line, where a restart reads src
 * again from), so the line is stored whole, once. Otherwise the
 * predecessor's close ends them as a reject (follow_end_held).
 */
static void
follow_take_over(struct follow *fw, struct follow_source *src,
    const struct tail_event *ev)
{
	uint64_t off, line;

	for (struct follow_source *p = fw->sources; p != NULL; p = p->next) {
		if (p == src || p->source_id == 0 || p->lp == NULL ||
		    strcmp(p->path, src->path) != 0 ||
		    !lineparse_held(p->lp, &off, &line) ||
		    !tail_drained(p->file))
			continue;
		if (lineparse_hand_over(p->lp, src->lp, src->line_no + 1,
		    ev->offset) == 0)
			continue;
		src->handed_from = p->source_id;
		src->handed_position = p->position;
		src->handed_line = p->line_no;
		if (fw->o->verbose) {
			char shown[1024];

			safe_text(shown, sizeof(shown), src->path,
			    strlen(src->path));
			fprintf(stderr, "%s: a line split into partial records "
			    "at the end of the rotated file continues in the new "
			    "one\n", shown);
		}
		return;
	}
}

/*
 * Once no join of src is held any more (the one handed over from a
 * predecessor ended: joined and taken, or ended as a reject), the
 * predecessor's stored rewind point is cleared, in a batch after src's:
 * a crash in between leaves a reject too many at worst, never a loss.
 * 1 when it did (src's batch was handed over), 0 when not due, -1 with
 * err.
 */
static int
follow_handed_ended(struct follow *fw, struct follow_source *src, char *err,
    size_t errlen)
{
	uint64_t off, line;

	if (src->handed_from == 0 || lineparse_held(src->lp, &off, &line))
		return 0;
	uint64_t position = src->handed_position, line_no = src->handed_line;
	for (struct follow_source *p = fw->sources; p != NULL; p = p->next) {
		if (p == src || p->source_id != src->handed_from)
			continue;
		/* still open: its own batches say where it is (a writer
		 * that went on writing it), and a join it holds again keeps
		 * its own rewind point */
		if (lineparse_held(p->lp, &off, &line)) {
			src->handed_from = 0;
			return 0;
		}
		position = p->position;
		line_no = p->line_no;
	}
	if (follow_flush(fw, false, err, errlen) != 0)
		return -1;
	struct gw_batch *b = pipeline_batch(fw->pl);
	b->source_id = src->handed_from;
	b->position = position;
	b->line_no = line_no;
	b->held_bytes = 0;
	b->held_lines = 0;
	fw->batch_src = NULL;	/* of no open content */
	follow_count(fw);
	src->handed_from = 0;
	return follow_flush(fw, false, err, errlen) != 0 ? -1 : 1;
}

/* One line into the batch. Returns 0, or -1 with err. */
static int
follow_line(struct follow *fw, const struct tail_event *ev, char *err,
    size_t errlen)
{
	struct follow_source *src = tail_udata(ev->file);
	const char *reason;

	if (src == NULL || src->source_id == 0)
		return 0;	/* cannot happen: lines follow tail_start */
	if (ev->offset < src->replay_to) {
		/* taken by an earlier run: only rebuilds a join */
		if (lineparse_replay(src->lp, ev->line, ev->len, (ev->flags &
		    TAIL_TRUNCATED) != 0, ++src->line_no, ev->offset) != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	if (!src->pred_looked) {
		src->pred_looked = true;
		follow_take_over(fw, src, ev);
	}
	struct gw_batch *b = follow_batch(fw, src, err, errlen);
	if (b == NULL)
		return -1;
	src->line_no++;
	if (lineparse_take(src->lp, b, ev->line, ev->len,
	    (ev->flags & TAIL_TRUNCATED) != 0, src->line_no, ev->offset,
	    &reason) == FORMAT_NOMEM) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	b->position = ev->next;
	b->line_no = src->line_no;
	src->position = ev->next;
	lineparse_set_batch_held(src->lp, b);
	fw->lines++;
	follow_count(fw);
	int handed = follow_handed_ended(fw, src, err, errlen);
	if (handed != 0)
		return handed < 0 ? -1 : 0;	/* b was handed over */
	if (batch_count(b) >= TAIL_BATCH_RECORDS ||
	    arena_used(b->arena) > TAIL_BATCH_BYTES)
		return follow_flush(fw, false, err, errlen);
	return 0;
}

/*
 * src's content is done while a line split into partial records is still
 * held: nothing can end it any more (the runtime's next record went to the
 * new file, or never came). The held chunks become one reject with their
 * text, stored with the position and no rewind point, so neither this run
 * nor a later one loses them silently or counts them twice. 0, or -1.
 */
static int
follow_end_held(struct follow *fw, struct follow_source *src, char *err,
    size_t errlen)
{
	struct gw_batch *b;
	uint64_t off, line;

	if (src->source_id == 0 || !lineparse_held(src->lp, &off, &line))
		return 0;
	if ((b = follow_batch(fw, src, err, errlen)) == NULL)
		return -1;
	if (lineparse_end(src->lp, b) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	b->position = src->position;
	b->line_no = src->line_no;
	b->held_bytes = 0;
	b->held_lines = 0;
	follow_count(fw);
	return follow_handed_ended(fw, src, err, errlen) < 0 ? -1 : 0;
}

/* A content is done: store its lines, forget it. */
static int
follow_closed(struct follow *fw, const struct tail_event *ev, char *err,
    size_t errlen)
{
	struct follow_source *src = tail_udata(ev->file);
	char shown[1024];

	if (src == NULL)
		return 0;
	/* reopened (SIGHUP) or cut by a read error: read again later, its
	 * held join rebuilt from the rewind point; else it is done */
	if (strcmp(ev->reason, "reopened") != 0 &&
	    strcmp(ev->reason, "read error") != 0 &&
	    follow_end_held(fw, src, err, errlen) != 0)
		return -1;
	if (fw->batch_src == src && follow_flush(fw, false, err, errlen) != 0)
		return -1;
	safe_text(shown, sizeof(shown), ev->path, strlen(ev->path));
	if (fw->o->verbose) {
		int64_t rejected = 0, kept = 0;
		if (follow_flush(fw, true, err, errlen) != 0 ||
		    store_reject_counts(fw->st, src->source_id, &rejected,
		    &kept, err, errlen) != 0)
			return -1;
		fprintf(stderr, "%s: closed (%s) after line %llu", shown,
		    ev->reason, (unsigned long long)src->line_no);
		if (rejected > 0)
			fprintf(stderr, ", %lld rejected (%lld kept)",
			    (long long)rejected, (long long)kept);
		fputc('\n', stderr);
	}
	follow_forget(fw, src);
	return 0;
}

/* The status line (terminal only), and problems the follower noted. */
static void
follow_status(struct follow *fw, double now, double *last,
    uint64_t *last_lines, uint64_t *problem_seq)
{
	struct tail_stats s;

	tail_get_stats(fw->t, &s);
	if (s.problem_seq != *problem_seq) {
		*problem_seq = s.problem_seq;
		if (fw->o->status)
			fputc('\n', stderr);
		fprintf(stderr, "gatewatch tail: %s\n", s.problem);
	}
	if (!fw->o->status || now - *last < 1.0)
		return;
	double rate = (double)(fw->lines - *last_lines) / (now - *last);
	fprintf(stderr, "\r%8.0f lines/s  %zu files%s  lag %llu KiB unread  "
	    "%llu lines  ", rate, s.files, s.polling ? " (polling)" : "",
	    (unsigned long long)(s.behind / 1024),
	    (unsigned long long)fw->lines);
	*last = now;
	*last_lines = fw->lines;
}

/* The follow loop, until a signal or an error. Returns the exit status. */
static int
follow_run(struct follow *fw)
{
	char err[512];
	struct tail_event ev;
	double last_status = clk_mono_secs();
	uint64_t last_lines = 0, problem_seq = 0;
	int rc = EXIT_OK;

	while (atomic_load(&stop_requested) == 0) {
		if (atomic_exchange(&reopen_requested, 0) != 0) {
			if (follow_flush(fw, true, err, sizeof(err)) != 0)
				goto fail;
			if (fw->o->verbose)
				fprintf(stderr, "gatewatch tail: SIGHUP, "
				    "reopening files\n");
			tail_reopen(fw->t);
		}
		double now = clk_mono_secs();
		int timeout = TAIL_FLUSH_MS;
		if (fw->batch_lines > 0) {
			double left = fw->batch_t0 + TAIL_FLUSH_MS / 1000.0 - now;
			timeout = left > 0 ? (int)(left * 1000) + 1 : 0;
		}
		int got = tail_next(fw->t, &ev, timeout, err, sizeof(err));
		if (got < 0)
			goto fail;
		if (got > 0) {
			int r = 0;
			switch (ev.type) {
			case TAIL_OPENED:
				r = follow_opened(fw, &ev, err, sizeof(err));
				break;
			case TAIL_LINE:
				r = follow_line(fw, &ev, err, sizeof(err));
				break;
			case TAIL_CLOSED:
				r = follow_closed(fw, &ev, err, sizeof(err));
				break;
			}
			if (r != 0)
				goto fail;
		}
		now = clk_mono_secs();
		if (fw->batch_lines > 0 &&
		    now - fw->batch_t0 >= TAIL_FLUSH_MS / 1000.0 &&
		    follow_flush(fw, false, err, sizeof(err)) != 0)
			goto fail;
		follow_status(fw, now, &last_status, &last_lines, &problem_seq);
	}
	if (follow_flush(fw, true, err, sizeof(err)) != 0)
		goto fail;
	struct tail_stats ts;
	tail_get_stats(fw->t, &ts);
	if (ts.refused > 0)
		fprintf(stderr, "%sgatewatch tail: %llu file%s refused (not "
		    "read; --follow-symlinks reads them)\n", fw->o->status ?
		    "\n" : "", (unsigned long long)ts.refused,
		    ts.refused == 1 ? "" : "s");
	goto out;
fail:
	fprintf(stderr, "%sgatewatch tail: %s\n", fw->o->status ? "\n" : "",
	    err);
	snprintf(fw->told, sizeof(fw->told), "%s", err);
	rc = EXIT_ERR;
out:
	if (fw->o->status)
		fputc('\n', stderr);
	return rc;
}

static void
follow_usage(FILE *f, const struct opt *opts)
{
	fputs("usage: gatewatch tail [-d DB] [--format NAME | --log-format FMT |\n"
	    "                      --nginx-conf FILE [--log-format-name NAME]]\n"
	    "                      [--haproxy-cfg FILE] [--tz ZONE] [--tui] [-v]\n"
	    "                      [--retain DURATION] [--retain-rollups DURATION]\n"
	    "                      [--max-db-size SIZE]\n"
	    "                      FILE|GLOB...\n\n"
	    "Follows logs as they are written, like tail -F: through rotation\n"
	    "(rename, copytruncate, delete and recreate), files that appear\n"
	    "later, and new files matching a quoted GLOB. Where each file was\n"
	    "read to is stored with its lines, so a restart - even after kill\n"
	    "-9 - resumes exactly there; a file rotated meanwhile is finished\n"
	    "from its FILE.1 name. SIGINT/SIGTERM store what was read and exit;\n"
	    "SIGHUP reopens the files.\n\n", f);
	opt_usage(f, opts, 25);
}

/* Options into o; returns -1 to go on, else the exit status. */
static int
follow_parse_args(int argc, char **argv, struct follow_opts *o)
{
	const struct opt opts[] = {
		OPT_DB(&o->db),
		FORMATOPTS_OPTS(&o->fmt),
		METRICSOPTS_OPT_LISTEN(&o->metrics),
		METRICSOPTS_OPT_MAX_UPSTREAMS(&o->metrics),
		OPT_FLAG(0, "poll", &o->polling,
		    "poll the files instead of using inotify"),
		OPT_FLAG(0, "tui", &o->tui,
		    "open the console (gatewatch top) meanwhile;\n"
		    "messages go to DB.tail.log; q stops both"),
		OPT_FLAG('v', "verbose", &o->verbose,
		    "tell each file opened, resumed and closed"),
		OPT_FLAG(0, "follow-symlinks", &o->follow_symlinks,
		    "also read files that are symlinks, have\n"
		    "more than one name or another owner\n"
		    "(see Security in the README)"),
		OPT_CALLBACK(0, "db-group", &o->db_group, "GROUP",
		    "a new database is made 0640 for GROUP\n(else 0600)",
		    opt_group_cb),
		RETAIN_OPTS(&o->retain, "pruned as it goes, by event time, in "
		    "short\ntransactions beside the writer"),
		OPT_END(),
	};
	int first, r;

	o->db = cli_default_db();
	o->db_group = -1;
	formatopts_init(&o->fmt);
	retain_opts_init(&o->retain, true);
	metricsopts_init(&o->metrics);
	if ((r = opt_parse("tail", argc, argv, opts, follow_usage,
	    &first)) >= 0)
		return r;
	if (first >= argc) {
		fprintf(stderr, "gatewatch tail: no FILE given\n");
		follow_usage(stderr, opts);
		return EXIT_USAGE;
	}
	o->first = first;
	if ((r = formatopts_finish(&o->fmt, "tail")) >= 0)
		return r;
	o->status = isatty(STDERR_FILENO) && !o->tui;
	return -1;
}

/* The follower's thread in --tui mode. */
static void *
follow_thread(void *arg)
{
	struct follow *fw = arg;

	fw->rc = follow_run(fw);
	return NULL;
}

/* --tui: follow beside the console (top_beside). */
static int
follow_with_console(struct follow *fw)
{
	if (top_beside(fw->o->db, "tail", follow_thread, fw,
	    &stop_requested) != 0)
		return EXIT_ERR;
	if (fw->rc != EXIT_OK)
		fprintf(stderr, "gatewatch tail: the follower failed; see "
		    "%s.tail.log\n", fw->o->db);
	return fw->rc;
}

int
cmd_tail(int argc, char **argv)
{
	struct follow_opts o = {0};
	struct follow fw = {.o = &o};
	struct tail_opts to = {0};
	struct retainer *pruner = NULL;
	struct retain_stats pruned;
	char err[512];
	int rc;

	if ((rc = follow_parse_args(argc, argv, &o)) >= 0) {
		formatopts_free(&o.fmt);
		return rc;
	}
	rc = EXIT_ERR;
	struct store_open_opts sopts = {.group = o.db_group};
	if (store_open_with(o.db, &sopts, &fw.st, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch tail: %s\n", err);
		goto out;
	}
	/*
	 * Rows unless GW_INGEST_BLOCKS=1 (bench/tail.sh BLOCKS=1): a live
	 * writer's small batches would each rewrite the last block.
	 */
	cli_blocks_from_env(fw.st, false);
	if (metricsopts_start(&o.metrics, o.db, "tail") != 0)
		goto out;
	/* its writer thread takes no signal (core/quiet_thread.h): the
	   loop waits for them in poll(2) */
	fw.pl = pipeline_new(store_sink, fw.st, err, sizeof(err));
	if (fw.pl == NULL) {
		fprintf(stderr, "gatewatch tail: %s\n", err);
		goto out;
	}
	if ((rc = retain_start(o.db, &o.retain, "tail", &pruner, err,
	    sizeof(err))) != 0) {
		fprintf(stderr, "gatewatch tail: %s\n", err);
		rc = EXIT_ERR;
		goto out;
	}
	rc = EXIT_ERR;
	struct sigaction sa = {.sa_handler = follow_on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	to.no_inotify = o.polling;
	to.trust = o.follow_symlinks;
	to.head_min = STORE_FINGERPRINT_MIN;
	if (tail_new(&to, &fw.t, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch tail: %s\n", err);
		goto out;
	}
	for (int i = o.first; i < argc; i++) {
		if (tail_add(fw.t, argv[i], err, sizeof(err)) != 0) {
			fprintf(stderr, "gatewatch tail: %s\n", err);
			goto out;
		}
	}
	rc = o.tui ? follow_with_console(&fw) : follow_run(&fw);
out:
	retain_stop(pruner, &pruned);
	if (pruner != NULL && o.verbose)
		fprintf(stderr, "gatewatch tail: pruned %lld requests, %lld "
		    "error-log lines, %lld rejected lines, %lld rollup rows, "
		    "%lld strings in %lld steps (longest %.1f ms, %lld over "
		    "50 ms)\n", (long long)pruned.removed.requests,
		    (long long)pruned.removed.errors,
		    (long long)pruned.removed.rejects,
		    (long long)pruned.removed.rollup_rows,
		    (long long)pruned.removed.strings, (long long)pruned.steps,
		    pruned.longest_ms, (long long)pruned.over_50ms);
	if (pruner != NULL && o.verbose && fw.st != NULL) {
		int64_t waits, wait_max;

		store_lock_waits(fw.st, &waits, &wait_max);
		fprintf(stderr, "gatewatch tail: the writer found the lock "
		    "taken %lld times, waited at most %lld ms\n",
		    (long long)waits, (long long)wait_max);
	}
	/* the writer's error, unless the follow loop said it already */
	if (fw.pl != NULL && pipeline_free(fw.pl, err, sizeof(err)) != 0) {
		if (strcmp(err, fw.told) != 0)
			fprintf(stderr, "gatewatch tail: %s\n", err);
		rc = EXIT_ERR;
	}
	while (fw.sources != NULL)
		follow_forget(&fw, fw.sources);
	tail_free(fw.t);
	metricsopts_stop(&o.metrics);
	store_close(fw.st);
	formatopts_free(&o.fmt);
	return rc;
}

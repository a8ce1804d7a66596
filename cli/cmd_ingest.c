/*
 * cmd_ingest.c - `gatewatch ingest`: logs into the database.
 *
 * For each file: open it (plain, .gz or stdin), decide what it is from its
 * first lines (or take --format / --log-format: cli/logsource.h, as
 * `tail` does), find its source in the
 * store (so a file read before resumes where it stopped instead of being
 * counted twice), then parse line by line into batches that a writer thread
 * stores. Lines that parse into nothing are kept as rejects with a reason.
 * Access and error logs may come in any order: the store joins them.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "cli/formatopts.h"
#include "cli/logsource.h"
#include "cli/options.h"
#include "parse/lineparse.h"
#include "capture/logopen.h"
#include "cli/pipeline.h"
#include "capture/reader.h"
#include "store/store.h"

/*
 * Records per batch. A transaction takes several batches, more as the
 * database grows (store_set_ingest): each commit writes every page it
 * dirtied to the WAL, and inserts at random places of the hash indexes
 * dirty most of their pages whatever the batch size, so fewer, larger
 * transactions write far less. The batch itself need not be large: two
 * of 32768 parsed records took 24 MiB of ingest's 64 (massif), 16384 free
 * 12 MiB for the page cache and the queue of new names. `tail` keeps its
 * own, smaller batches, one a transaction, for latency.
 */
#define BATCH_RECORDS	16384
#define BATCH_BYTES	(4 * 1024 * 1024)	/* arena: long lines */
#define SAMPLE_BYTES	(64 * 1024)
#define REASONS_MAX	16
#define INGEST_ACTIVE_SECS 10	/* a file changed this recently is live */

struct ingest_opts {
	const char *db;
	struct formatopts fmt;		/* how to read the files */
	bool quiet;
	bool progress;
	bool follow_symlinks;		/* no logopen.h checks */
	int64_t db_group;		/* --db-group, -1 none */
};

/* Counts of one file, or of the whole run. */
struct ingest_counts {
	uint64_t lines, events, errors, notices, blank, held, rejects;
	uint64_t kept;			/* rejects kept in the table (a cap) */
	uint64_t unstored;		/* requests read, then lost to a
					   failed write (not committed) */
	struct {
		const char *reason;
		uint64_t n;
		uint64_t first_line;	/* where it was first seen */
	} reasons[REASONS_MAX];
};

static void
count_reject(struct ingest_counts *c, const char *reason, uint64_t n,
    uint64_t line_no)
{
	c->rejects += n;
	for (int i = 0; i < REASONS_MAX; i++) {
		if (c->reasons[i].reason == NULL) {
			c->reasons[i].reason = reason;
			c->reasons[i].n = n;
			c->reasons[i].first_line = line_no;
			return;
		}
		if (strcmp(c->reasons[i].reason, reason) == 0) {
			c->reasons[i].n += n;
			return;
		}
	}
}

static void
add_counts(struct ingest_counts *to, const struct ingest_counts *from)
{
	to->lines += from->lines;
	to->events += from->events;
	to->errors += from->errors;
	to->notices += from->notices;
	to->blank += from->blank;
	to->kept += from->kept;
	to->held += from->held;
	to->unstored += from->unstored;
	for (int i = 0; i < REASONS_MAX && from->reasons[i].reason; i++)
		count_reject(to, from->reasons[i].reason, from->reasons[i].n, 0);
}

/* Parse one line into the batch and count what it became; -1 on OOM. */
static int
take_line(struct lineparse *lp, struct gw_batch *b,
    const struct reader_line *ln, uint64_t line_no, struct ingest_counts *c)
{
	const char *reason;

	c->lines++;
	switch (lineparse_take(lp, b, ln->p, ln->len,
	    (ln->flags & READER_TRUNCATED) != 0, line_no, ln->offset, &reason)) {
	case FORMAT_EVENT: c->events++; break;
	case FORMAT_ERROR: c->errors++; break;
	case FORMAT_NOTICE: c->notices++; break;
	case FORMAT_BLANK: c->blank++; break;
	case FORMAT_HELD: c->held++; break;
	case FORMAT_REJECT: count_reject(c, reason, 1, line_no); break;
	case FORMAT_NOMEM: return -1;
	}
	return 0;
}

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void
print_counts(const char *label, const struct ingest_counts *c, double secs)
{
	fprintf(stderr, "%s: %llu lines, %llu requests, %llu gateway errors, "
	    "%llu rejected", label, (unsigned long long)c->lines,
	    (unsigned long long)c->events, (unsigned long long)c->errors,
	    (unsigned long long)c->rejects);
	if (c->kept < c->rejects)
		fprintf(stderr, " (%llu kept)", (unsigned long long)c->kept);
	if (c->notices)
		fprintf(stderr, ", %llu notices (well-formed, nothing to keep)",
		    (unsigned long long)c->notices);
	if (c->blank)
		fprintf(stderr, ", %llu blank", (unsigned long long)c->blank);
	if (c->held)
		fprintf(stderr, ", %llu partial records joined",
		    (unsigned long long)c->held);
	if (c->unstored)
		fprintf(stderr, ", %llu more requests read but not stored (a "
		    "write failed)", (unsigned long long)c->unstored);
	if (secs >= 0)
		fprintf(stderr, " in %.2f s (%.0f lines/s)", secs,
		    secs > 0 ? (double)c->lines / secs : 0.0);
	fputc('\n', stderr);
	for (int i = 0; i < REASONS_MAX && c->reasons[i].reason; i++) {
		fprintf(stderr, "  rejected: %llu %s", (unsigned long long)
		    c->reasons[i].n, c->reasons[i].reason);
		if (c->reasons[i].first_line > 0)
			fprintf(stderr, " (first at line %llu)",
			    (unsigned long long)c->reasons[i].first_line);
		fputc('\n', stderr);
	}
	if (c->rejects > 0 && secs >= 0 && c->kept >= c->rejects)
		fprintf(stderr, "  rejected lines are kept in the rejects "
		    "table\n");
	else if (c->rejects > 0 && secs >= 0)
		fprintf(stderr, "  rejected lines: a file keeps its first 1000 "
		    "in the rejects table, then 1 in 1000; all are counted\n");
}

/*
 * True when the input is a regular file changed in the last few seconds:
 * a last line without its newline is then one the gateway is still
 * writing, not a truncated one.
 */
static bool
still_written(const struct reader *r)
{
	struct timespec mtime;

	if (!reader_mtime(r, &mtime))
		return false;
	return clk_wall_ms() / 1000 - mtime.tv_sec < INGEST_ACTIVE_SECS;
}

/*
 * Counts of a file the writer failed on (disk full, I/O error): requests
 * are what its committed transactions hold (from req0, rej0, the store's
 * counts when the file began), the rest read but lost; the summary says
 * so, and why.
 */
static void
count_unstored(const char *shown, const char *why, const struct ingest_opts *o,
    struct store *st, int64_t source_id, int64_t req0, int64_t rej0,
    int64_t kept0, struct ingest_counts *c)
{
	int64_t req1, rej1, rejected, kept1;
	char err[512];

	store_committed(st, &req1, &rej1);
	c->unstored = c->events > (uint64_t)(req1 - req0) ?
	    c->events - (uint64_t)(req1 - req0) : 0;
	c->events = (uint64_t)(req1 - req0);
	/* rejects the table keeps: its committed rows, if it can be read */
	c->kept = source_id > 0 && store_reject_counts(st, source_id,
	    &rejected, &kept1, err, sizeof(err)) == 0 && kept1 >= kept0 ?
	    (uint64_t)(kept1 - kept0) : (uint64_t)(rej1 - rej0);
	if (c->kept > c->rejects)
		c->kept = c->rejects;
	if (!o->quiet)
		print_counts(shown, c, -1);
	fprintf(stderr, "gatewatch: %s: stopped: a write failed (%s); only "
	    "the %llu requests counted above are stored, the next run "
	    "resumes after them\n", shown, why,
	    (unsigned long long)c->events);
}

/*
 * Ingest one file. Returns 0 when it was read (even with rejects), 1 when
 * it held nothing, -1 on an error that stopped it, -2 when it was refused
 * (capture/logopen.h; message printed), -3 when a write failed (the store
 * or the disk: no later file can be stored either; counts and message
 * printed).
 */
static int
ingest_file(const char *path, const struct ingest_opts *o, struct store *st,
    struct pipeline *pl, struct ingest_counts *total)
{
	char err[512];
	struct reader *r;
	struct ingest_counts c;
	struct lineparse *lp = NULL;
	const unsigned char *head;
	size_t head_len;
	double t0 = clk_mono_secs(), last_progress = t0;
	int rc = -1;
	char shown[1024];	/* path, escaped for the terminal */

	memset(&c, 0, sizeof(c));
	safe_text(shown, sizeof(shown), path, strlen(path));
	if ((rc = reader_open_with(path, o->follow_symlinks ? LOGOPEN_TRUST :
	    0, &r, err, sizeof(err))) != 0) {
		fprintf(stderr, "gatewatch: %s\n", err);
		return rc == -2 ? -2 : -1;
	}
	rc = -1;
	reader_head(r, &head, &head_len, SAMPLE_BYTES);
	if (head_len == 0) {
		if (!o->quiet)
			fprintf(stderr, "gatewatch: %s: empty, nothing to ingest\n",
			    shown);
		reader_close(r);
		return 1;
	}
	struct store_source_info si;
	size_t n_sample;
	if (logsource_open(&o->fmt, path, head, head_len, &lp, &si,
	    &n_sample, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch: %s: %s\n", shown, err);
		reader_close(r);
		return -1;
	}
	reader_identity(r, &si.dev, &si.ino);
	if (strcmp(path, "-") == 0)
		si.fingerprint_len = 0;
	int64_t source_id = 0, rejected, kept0 = 0, kept1, req0, rej0;
	bool kept_known = false, write_failed = false;
	uint64_t resume = 0, line_no = 0;
	char kind_was[64];
	int synced = pipeline_sync(pl, err, sizeof(err));
	store_committed(st, &req0, &rej0);	/* the writer is idle now */
	if (synced != 0) {
		write_failed = true;
		goto out;
	}
	if (store_source_open(st, &si, &source_id, &resume, &line_no,
	    kind_was, sizeof(kind_was), err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch: %s: %s\n", shown, err);
		goto out;
	}
	/* Its first lines say another kind now (they changed as it grew):
	 * still the same file, resumed, never read again from its start. */
	if (kind_was[0] != '\0' && !o->quiet) {
		char note[256];

		logsource_kind_change(kind_was, si.kind, note, sizeof(note));
		fprintf(stderr, "gatewatch: %s: %s\n", shown, note);
	}
	if (store_reject_counts(st, source_id, &rejected, &kept0, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch: %s: %s\n", shown, err);
		goto out;
	}
	/*
	 * A line split into partial records, held when the last run stopped:
	 * read again from its first chunk (the lines up to resume only
	 * replayed: lineparse.h). Too far back: the chunks are not read
	 * again, and the cut line is counted, never lost silently.
	 */
	uint64_t from = resume, from_line = line_no;
	bool cut = false;
	int held = store_source_rewind(st, source_id, &from, &from_line, err,
	    sizeof(err));
	uint64_t cut_off = from, cut_line = from_line + 1;
	if (held < 0) {
		fprintf(stderr, "gatewatch: %s: %s\n", shown, err);
		goto out;
	}
	if (held == 1 && (resume - from > LINEPARSE_REWIND_MAX ||
	    from_line > line_no)) {
		cut = true;
		from = resume;
		from_line = line_no;
	}
	if (from > 0 && reader_skip(r, from, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch: %s\n", err);
		goto out;
	}
	if (resume > 0) {
		if (!o->quiet)
			fprintf(stderr, "%s: already read to byte %llu (line %llu), "
			    "resuming there\n", shown, (unsigned long long)resume,
			    (unsigned long long)line_no);
		if (!o->quiet && from < resume)
			fprintf(stderr, "%s: a partial line began at byte %llu "
			    "(line %llu): reading again from there to join "
			    "it\n", shown, (unsigned long long)from,
			    (unsigned long long)from_line + 1);
	}
	if (!o->quiet) {
		char what[256];

		logsource_describe(lp, what, sizeof(what));
		fprintf(stderr, "%s: %s\n", shown, what);
	}

	struct gw_batch *b = pipeline_batch(pl);
	b->source_id = source_id;
	b->position = resume;
	b->line_no = line_no;
	/* kept as stored until a line is taken (none may come) */
	b->held_bytes = resume - from;
	b->held_lines = line_no - from_line;
	if (cut) {
		if (batch_add_reject(b, cut_line, cut_off,
		    LINEPARSE_CUT_REASON, "", 0) != 0) {
			fprintf(stderr, "gatewatch: %s: out of memory\n", shown);
			batch_clear(b);
			goto out;
		}
		count_reject(&c, LINEPARSE_CUT_REASON, 1, cut_line);
	}
	line_no = from_line;
	uint64_t replayed = from;	/* read again up to here */
	struct reader_line ln;
	int got;
	while (!interrupted && (got = reader_next(r, &ln, err, sizeof(err))) == 1) {
		if (ln.offset < resume) {
			/* taken by the last run: only rebuilds a join */
			if (lineparse_replay(lp, ln.p, ln.len, (ln.flags &
			    READER_TRUNCATED) != 0, ++line_no, ln.offset) != 0) {
				fprintf(stderr, "gatewatch: %s: out of memory\n",
				    shown);
				batch_clear(b);
				goto out;
			}
			replayed = ln.next;
			continue;
		}
		if ((ln.flags & READER_NO_NEWLINE) && still_written(r)) {
			/* The gateway is writing it now: the next run reads it
			 * whole, from this position. */
			if (!o->quiet)
				fprintf(stderr, "%s: last line not finished yet "
				    "(no newline); left for the next run\n", shown);
			break;
		}
		line_no++;
		if (take_line(lp, b, &ln, line_no, &c) != 0) {
			fprintf(stderr, "gatewatch: %s: out of memory\n", shown);
			batch_clear(b);	/* none of it may reach another source */
			goto out;
		}
		b->position = ln.next;
		b->line_no = line_no;
		lineparse_set_batch_held(lp, b);
		if (batch_count(b) >= BATCH_RECORDS ||
		    arena_used(b->arena) > BATCH_BYTES) {
			if (pipeline_flush(pl, err, sizeof(err)) != 0) {
				write_failed = true;
				goto out;
			}
			b = pipeline_batch(pl);
			if (o->progress && clk_mono_secs() - last_progress > 0.5) {
				last_progress = clk_mono_secs();
				fprintf(stderr, "\r%s: %llu lines (%.0f/s)  ", shown,
				    (unsigned long long)c.lines,
				    (double)c.lines / (last_progress - t0));
			}
		}
	}
	if (o->progress && last_progress > t0)
		fputc('\n', stderr);
	if (!interrupted && got == 0 && replayed < resume) {
		/* as reader_skip says when it cannot reach resume */
		fprintf(stderr, "gatewatch: %s: shorter (%llu bytes) than the "
		    "stored position %llu\n", shown,
		    (unsigned long long)replayed, (unsigned long long)resume);
		batch_clear(b);
		goto out;
	}
	if (!interrupted && got < 0)
		fprintf(stderr, "gatewatch: %s (the lines before it are kept)\n",
		    err);
	/*
	 * The whole input read, and no one writes it any more (stdin ended,
	 * or a file unchanged for INGEST_ACTIVE_SECS: rotated away, its
	 * container gone): a line split into partial records still held can
	 * never end. Each becomes one reject with its text, stored with the
	 * position and no rewind point, rather than waiting for ever. A file
	 * still written keeps its rewind point: the next run joins it.
	 */
	uint64_t held_off, held_line;
	if (!interrupted && got == 0 && lineparse_held(lp, &held_off,
	    &held_line) && !still_written(r)) {
		int n = lineparse_end(lp, b);

		if (n < 0) {
			fprintf(stderr, "gatewatch: %s: out of memory\n", shown);
			batch_clear(b);
			goto out;
		}
		b->held_bytes = 0;
		b->held_lines = 0;
		count_reject(&c, LINEPARSE_ENDED_REASON, (uint64_t)n,
		    held_line);
	}
	if (pipeline_flush(pl, err, sizeof(err)) != 0 ||
	    pipeline_sync(pl, err, sizeof(err)) != 0 ||
	    store_end_batches(st, err, sizeof(err)) != 0) {
		write_failed = true;
		goto out;
	}
	/* The store decides which rejects it keeps; ask it how many. */
	if (store_reject_counts(st, source_id, &rejected, &kept1, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch: %s: %s\n", shown, err);
		goto out;
	}
	c.kept = (uint64_t)(kept1 - kept0);
	kept_known = true;
	rc = c.lines > 0 || resume > 0 ? 0 : 1;
	if (rc == 1 && !o->quiet)
		fprintf(stderr, "gatewatch: %s: empty, nothing to ingest\n", shown);
	if (!o->quiet)
		print_counts(shown, &c, clk_mono_secs() - t0);
	if (c.rejects > (cut ? 1u : 0u) && c.events == 0 && c.errors == 0 &&
	    c.notices == 0 && c.held == 0) {
		/* every line rejected: nothing was read (always said, even
		 * with -q: the exit status says it too) */
		fprintf(stderr, "gatewatch: %s: no line could be read (%llu "
		    "rejected%s)\n", shown, (unsigned long long)c.rejects,
		    o->quiet ? "" : ", reasons above");
		rc = -1;
	}
out:
	/* batches stored before a stop are kept (their positions with
	   them); after a writer's failure none is held */
	if (rc != 0 && !write_failed) {
		char why[512];

		if (pipeline_sync(pl, why, sizeof(why)) != 0 ||
		    store_end_batches(st, why, sizeof(why)) != 0) {
			snprintf(err, sizeof(err), "%s", why);
			write_failed = true;
		}
	}
	if (write_failed) {
		batch_clear(pipeline_batch(pl));
		count_unstored(shown, err, o, st, source_id, req0, rej0, kept0,
		    &c);
		rc = -3;
		kept_known = true;
	}
	if (!kept_known)
		c.kept = c.rejects;	/* not told: none said to be dropped */
	add_counts(total, &c);
	lineparse_free(lp);
	reader_close(r);
	return rc;
}

static void
ingest_usage(FILE *f, const struct opt *opts)
{
	fputs("usage: gatewatch ingest [-d DB] [--format NAME | --log-format FMT |\n"
	    "                        --nginx-conf FILE [--log-format-name NAME]]\n"
	    "                        [--haproxy-cfg FILE] [--tz ZONE] [-q] FILE...\n\n"
	    "Reads gateway logs into the database. FILE may be plain, .gz, or -\n"
	    "for stdin; access and error logs may be mixed, in any order: each\n"
	    "file's kind is recognised from its first lines. A file read before\n"
	    "resumes where it stopped, so nothing is stored twice.\n\n", f);
	opt_usage(f, opts, 25);
}

int
cmd_ingest(int argc, char **argv)
{
	struct ingest_opts o = {0};
	const struct opt opts[] = {
		OPT_DB(&o.db),
		FORMATOPTS_OPTS(&o.fmt),
		OPT_FLAG(0, "follow-symlinks", &o.follow_symlinks,
		    "also read a FILE that is a symlink, has\n"
		    "more than one name or another owner\n"
		    "(see Security in the README)"),
		OPT_CALLBACK(0, "db-group", &o.db_group, "GROUP",
		    "a new database is made 0640 for GROUP\n(else 0600)",
		    opt_group_cb),
		OPT_FLAG('q', "quiet", &o.quiet, "no per-file summary"),
		OPT_END(),
	};
	char err[512];
	int first, r;

	o.db = cli_default_db();
	o.db_group = -1;
	formatopts_init(&o.fmt);
	if ((r = opt_parse("ingest", argc, argv, opts, ingest_usage,
	    &first)) >= 0) {
		formatopts_free(&o.fmt);
		return r;
	}
	if (first >= argc) {
		fprintf(stderr, "gatewatch ingest: no FILE given\n");
		ingest_usage(stderr, opts);
		formatopts_free(&o.fmt);
		return EXIT_USAGE;
	}
	if ((r = formatopts_finish(&o.fmt, "ingest")) >= 0) {
		formatopts_free(&o.fmt);
		return r;
	}
	o.progress = !o.quiet && isatty(STDERR_FILENO);

	struct store *st;
	struct store_open_opts sopts = {.group = o.db_group};
	if (store_open_with(o.db, &sopts, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch ingest: %s\n", err);
		formatopts_free(&o.fmt);
		return EXIT_ERR;
	}
	if (store_set_ingest(st, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch ingest: %s\n", err);
		store_close(st);
		formatopts_free(&o.fmt);
		return EXIT_ERR;
	}
	cli_blocks_from_env(st, true);
	struct pipeline *pl = pipeline_new_async(store_sink_async,
	    store_sink_read, st, err, sizeof(err));
	if (pl == NULL) {
		fprintf(stderr, "gatewatch ingest: %s\n", err);
		store_close(st);
		formatopts_free(&o.fmt);
		return EXIT_ERR;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct ingest_counts total;
	memset(&total, 0, sizeof(total));
	int read_ok = 0, failed = 0, refused = 0;
	bool write_failed = false;
	double t0 = clk_mono_secs();
	for (int i = first; i < argc && !interrupted && !write_failed; i++) {
		int rc = ingest_file(argv[i], &o, st, pl, &total);
		if (rc == 0)
			read_ok++;
		else if (rc < 0)
			failed++;
		if (rc == -2)
			refused++;
		/* no later file can be stored: the summary says what is */
		if (rc == -3)
			write_failed = true;
	}
	/* what the WAL holds is copied while the pipeline and store free */
	store_checkpoint_rest(st);
	if (pipeline_free(pl, err, sizeof(err)) != 0 && !write_failed) {
		fprintf(stderr, "gatewatch ingest: %s\n", err);
		failed++;
	}
	store_close(st);
	formatopts_free(&o.fmt);
	if (!o.quiet && argc - first > 1)
		print_counts("total", &total, clk_mono_secs() - t0);
	if (refused > 0)
		fprintf(stderr, "gatewatch ingest: %d file%s refused (not "
		    "read; --follow-symlinks reads %s)\n", refused,
		    refused == 1 ? "" : "s", refused == 1 ? "it" : "them");
	if (interrupted)
		fprintf(stderr, "gatewatch ingest: interrupted; what was read is "
		    "stored and the next run resumes there\n");
	if (write_failed && !interrupted && first + read_ok + failed < argc)
		fprintf(stderr, "gatewatch ingest: %d file%s not read (a write "
		    "failed)\n", argc - first - read_ok - failed,
		    argc - first - read_ok - failed == 1 ? "" : "s");
	/* a failed write loses what was read: never a success */
	if ((failed > 0 && read_ok == 0) || write_failed)
		return EXIT_ERR;
	return EXIT_OK;
}

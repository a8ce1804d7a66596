/*
 * ingest.c - `gatewatch ingest`: logs into the database.
 *
 * For each file: open it (plain, .gz or stdin), decide what it is from its
 * first lines (or take --format / --log-format), find its source in the
 * store (so a file read before resumes where it stopped instead of being
 * counted twice), then parse line by line into batches that a writer thread
 * stores. Lines that parse into nothing are kept as rejects with a reason.
 * Access and error logs may come in any order: the store joins them.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "detect.h"
#include "logformat.h"
#include "nginx_error.h"
#include "pipeline.h"
#include "reader.h"
#include "store.h"

#define BATCH_RECORDS	8192
#define SAMPLE_LINES	32
#define SAMPLE_BYTES	(64 * 1024)
#define FINGERPRINT_LEN	1024
#define REASONS_MAX	16

struct ingest_opts {
	const char *db;
	const char *format;		/* NULL = auto */
	char *log_format;		/* user's log_format text, or NULL */
	int tz_min;
	bool quiet;
	bool progress;
};

/* Counts of one file, or of the whole run. */
struct ingest_counts {
	uint64_t lines, events, errors, notices, blank, rejects;
	struct {
		const char *reason;
		uint64_t n;
	} reasons[REASONS_MAX];
};

static void
count_reject(struct ingest_counts *c, const char *reason)
{
	c->rejects++;
	for (int i = 0; i < REASONS_MAX; i++) {
		if (c->reasons[i].reason == NULL) {
			c->reasons[i].reason = reason;
			c->reasons[i].n = 1;
			return;
		}
		if (strcmp(c->reasons[i].reason, reason) == 0) {
			c->reasons[i].n++;
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
	for (int i = 0; i < REASONS_MAX && from->reasons[i].reason; i++)
		for (uint64_t k = 0; k < from->reasons[i].n; k++)
			count_reject(to, from->reasons[i].reason);
}

/* Split the head of a file into up to max lines (the last may be cut). */
static size_t
sample_lines(const unsigned char *head, size_t n, const char **lines,
    size_t *lens, size_t max)
{
	size_t count = 0, i = 0;
	while (i < n && count < max) {
		const unsigned char *nl = memchr(head + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - head) : n;
		if (nl == NULL && count > 0)
			break;	/* a cut last line would mislead detection */
		size_t len = end - i;
		if (len > 0 && head[i + len - 1] == '\r')
			len--;
		if (len > 0) {
			lines[count] = (const char *)head + i;
			lens[count] = len;
			count++;
		}
		i = end + 1;
	}
	return count;
}

/* What one file is and how to parse it. */
struct file_kind {
	enum detect_kind kind;
	const char *format_name;	/* built-in name, or "log_format" */
	struct logformat *lf;		/* for access logs */
};

static int
decide_kind(const char *path, const struct ingest_opts *o,
    const unsigned char *head, size_t n, struct file_kind *fk)
{
	const char *lines[SAMPLE_LINES];
	size_t lens[SAMPLE_LINES];
	size_t count = sample_lines(head, n, lines, lens, SAMPLE_LINES);
	char err[512];

	memset(fk, 0, sizeof(*fk));
	const char *builtin = NULL;
	if (o->format != NULL && strcmp(o->format, "nginx-error") == 0) {
		fk->kind = DETECT_NGINX_ERROR;
		fk->format_name = "nginx-error";
		return 0;
	}
	/* An error log is recognised even when an access format is forced. */
	size_t err_lines = 0;
	for (size_t i = 0; i < count; i++)
		err_lines += nginx_error_match(lines[i], lens[i]);
	if (count > 0 && err_lines * 2 > count) {
		fk->kind = DETECT_NGINX_ERROR;
		fk->format_name = "nginx-error";
		return 0;
	}
	if (o->log_format != NULL) {
		fk->kind = DETECT_NGINX_ACCESS;
		fk->format_name = "log_format";
		if (logformat_compile(o->log_format, o->tz_min, &fk->lf, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "gatewatch: --log-format: %s\n", err);
			return -1;
		}
		return 0;
	}
	if (o->format != NULL && strcmp(o->format, "auto") != 0) {
		builtin = o->format;
		fk->kind = DETECT_NGINX_ACCESS;
	} else if (count == 0) {
		fprintf(stderr, "gatewatch: %s: empty, nothing to ingest\n", path);
		return 1;
	} else {
		fk->kind = detect_lines(lines, lens, count, &builtin);
		if (fk->kind == DETECT_UNKNOWN) {
			fprintf(stderr, "gatewatch: %s: not a log format gatewatch "
			    "knows (give --format or --log-format); first line: ",
			    path);
			safe_put(stderr, lines[0], lens[0] > 200 ? 200 : lens[0]);
			fputc('\n', stderr);
			return -1;
		}
		if (fk->kind == DETECT_NGINX_ERROR) {
			fk->format_name = "nginx-error";
			return 0;
		}
	}
	const char *text = builtin ? logformat_builtin(builtin) : NULL;
	if (text == NULL) {
		fprintf(stderr, "gatewatch: unknown format '%s' (known: auto, "
		    "combined, upstream, nginx-error)\n", builtin ? builtin : "?");
		return -1;
	}
	fk->format_name = builtin;
	if (logformat_compile(text, o->tz_min, &fk->lf, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch: format %s: %s\n", builtin, err);
		return -1;
	}
	return 0;
}

/* Parse one line into the batch; updates counts. 0, or -1 on OOM. */
static int
take_line(struct gw_batch *b, const struct file_kind *fk,
    const struct reader_line *ln, uint64_t line_no, struct ingest_counts *c)
{
	const char *reason = NULL;

	c->lines++;
	if (ln->len == 0) {
		c->blank++;
		return 0;
	}
	if (ln->flags & READER_TRUNCATED) {
		count_reject(c, "line too long");
		return batch_add_reject(b, line_no, ln->offset, "line too long",
		    ln->p, ln->len);
	}
	if (fk->kind == DETECT_NGINX_ERROR) {
		struct gw_gateway_error *ge = batch_add_error(b);
		if (ge == NULL)
			return -1;
		int rc = nginx_error_parse(ln->p, ln->len, b->arena, ge, &reason);
		if (rc == 1) {
			ge->line_no = line_no;
			ge->offset = ln->offset;
			c->errors++;
			return 0;
		}
		b->n_errors--;
		if (rc == 0) {
			c->notices++;
			return 0;
		}
	} else {
		struct gw_event *ev = batch_add_event(b);
		if (ev == NULL)
			return -1;
		if (logformat_parse(fk->lf, ln->p, ln->len, b->arena, ev,
		    &reason) == 0) {
			ev->line_no = line_no;
			ev->offset = ln->offset;
			c->events++;
			return 0;
		}
		b->n_events--;
	}
	if (reason == NULL)
		reason = "unparsed";
	count_reject(c, reason);
	return batch_add_reject(b, line_no, ln->offset, reason, ln->p, ln->len);
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
	if (c->notices)
		fprintf(stderr, ", %llu other error-log lines",
		    (unsigned long long)c->notices);
	if (c->blank)
		fprintf(stderr, ", %llu blank", (unsigned long long)c->blank);
	if (secs >= 0)
		fprintf(stderr, " in %.2f s (%.0f lines/s)", secs,
		    secs > 0 ? (double)c->lines / secs : 0.0);
	fputc('\n', stderr);
	for (int i = 0; i < REASONS_MAX && c->reasons[i].reason; i++)
		fprintf(stderr, "  rejected: %llu %s\n",
		    (unsigned long long)c->reasons[i].n, c->reasons[i].reason);
}

/*
 * Ingest one file. Returns 0 when it was read (even with rejects), 1 when
 * it held nothing, -1 on an error that stopped it (message printed).
 */
static int
ingest_file(const char *path, const struct ingest_opts *o, struct store *st,
    struct pipeline *pl, struct ingest_counts *total)
{
	char err[512];
	struct reader *r;
	struct ingest_counts c;
	struct file_kind fk;
	const unsigned char *head;
	size_t head_len;
	double t0 = cli_mono(), last_progress = t0;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	if (reader_open(path, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch: %s\n", err);
		return -1;
	}
	reader_head(r, &head, &head_len, SAMPLE_BYTES);
	int dk = decide_kind(path, o, head, head_len, &fk);
	if (dk != 0) {
		reader_close(r);
		return dk;
	}
	struct store_source_info si = {
		.path = path,
		.kind = detect_kind_name(fk.kind),
		.format = o->log_format ? o->log_format : fk.format_name,
		.fingerprint = head,
		.fingerprint_len = head_len < FINGERPRINT_LEN ? head_len :
		    FINGERPRINT_LEN,
	};
	reader_identity(r, &si.dev, &si.ino);
	if (strcmp(path, "-") == 0)
		si.fingerprint_len = 0;
	int64_t source_id;
	uint64_t resume = 0, line_no = 0;
	if (pipeline_sync(pl, err, sizeof(err)) != 0 ||
	    store_source_open(st, &si, &source_id, &resume, &line_no, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch: %s: %s\n", path, err);
		goto out;
	}
	if (resume > 0) {
		if (reader_skip(r, resume, err, sizeof(err)) != 0) {
			fprintf(stderr, "gatewatch: %s\n", err);
			goto out;
		}
		if (!o->quiet)
			fprintf(stderr, "%s: already read to byte %llu (line %llu), "
			    "resuming there\n", path, (unsigned long long)resume,
			    (unsigned long long)line_no);
	}
	if (!o->quiet)
		fprintf(stderr, "%s: %s%s\n", path, fk.kind == DETECT_NGINX_ERROR ?
		    "nginx error log" : "nginx access log, format ",
		    fk.kind == DETECT_NGINX_ERROR ? "" : fk.format_name);

	struct gw_batch *b = pipeline_batch(pl);
	b->source_id = source_id;
	b->position = resume;
	b->line_no = line_no;
	struct reader_line ln;
	int got;
	while (!interrupted && (got = reader_next(r, &ln, err, sizeof(err))) == 1) {
		line_no++;
		if (take_line(b, &fk, &ln, line_no, &c) != 0) {
			fprintf(stderr, "gatewatch: %s: out of memory\n", path);
			goto out;
		}
		b->position = ln.next;
		b->line_no = line_no;
		if (batch_count(b) >= BATCH_RECORDS ||
		    arena_used(b->arena) > 8 * 1024 * 1024) {
			if (pipeline_flush(pl, err, sizeof(err)) != 0) {
				fprintf(stderr, "gatewatch: %s: %s\n", path, err);
				goto out;
			}
			b = pipeline_batch(pl);
			if (o->progress && cli_mono() - last_progress > 0.5) {
				last_progress = cli_mono();
				fprintf(stderr, "\r%s: %llu lines (%.0f/s)  ", path,
				    (unsigned long long)c.lines,
				    (double)c.lines / (last_progress - t0));
			}
		}
	}
	if (o->progress && last_progress > t0)
		fputc('\n', stderr);
	if (!interrupted && got < 0)
		fprintf(stderr, "gatewatch: %s (the lines before it are kept)\n",
		    err);
	if (pipeline_flush(pl, err, sizeof(err)) != 0 ||
	    pipeline_sync(pl, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch: %s: %s\n", path, err);
		goto out;
	}
	rc = c.lines > 0 || resume > 0 ? 0 : 1;
	if (rc == 1 && !o->quiet)
		fprintf(stderr, "gatewatch: %s: empty, nothing to ingest\n", path);
	if (!o->quiet)
		print_counts(path, &c, cli_mono() - t0);
out:
	add_counts(total, &c);
	logformat_free(fk.lf);
	reader_close(r);
	return rc;
}

static void
ingest_usage(FILE *f)
{
	fprintf(f,
	    "usage: gatewatch ingest [-d DB] [--format NAME | --log-format FMT |\n"
	    "                        --nginx-conf FILE --log-format-name NAME]\n"
	    "                        [--tz ZONE] [-q] FILE...\n\n"
	    "Reads gateway logs into the database. FILE may be plain, .gz, or -\n"
	    "for stdin; access and error logs may be mixed, in any order: each\n"
	    "file's kind is recognised from its first lines. A file read before\n"
	    "resumes where it stopped, so nothing is stored twice.\n\n"
	    "  -d, --db DB            database (default ./%s, or $GATEWATCH_DB)\n"
	    "  -f, --format NAME      auto (default), combined, upstream, nginx-error\n"
	    "  --log-format FMT       an nginx log_format, as written in nginx.conf\n"
	    "  --nginx-conf FILE      read the format from this nginx.conf ...\n"
	    "  --log-format-name NAME ... under this name\n"
	    "  --tz ZONE              zone of times that carry none (error logs,\n"
	    "                         $msec): UTC, local (default), +0100\n"
	    "  -q, --quiet            no per-file summary\n", GW_DEFAULT_DB);
}

int
cmd_ingest(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'},
		{"format", required_argument, NULL, 'f'},
		{"log-format", required_argument, NULL, 'L'},
		{"nginx-conf", required_argument, NULL, 'C'},
		{"log-format-name", required_argument, NULL, 'N'},
		{"tz", required_argument, NULL, 'z'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ingest_opts o = {0};
	const char *conf = NULL, *conf_name = NULL;
	char err[512];
	int ch;

	o.db = getenv("GATEWATCH_DB") ? getenv("GATEWATCH_DB") : GW_DEFAULT_DB;
	o.tz_min = cli_local_tz();
	while ((ch = getopt_long(argc, argv, "d:f:qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': o.db = optarg; break;
		case 'f': o.format = optarg; break;
		case 'L':
			free(o.log_format);
			o.log_format = strdup(optarg);
			break;
		case 'C': conf = optarg; break;
		case 'N': conf_name = optarg; break;
		case 'z':
			if (cli_parse_tz(optarg, &o.tz_min) != 0) {
				fprintf(stderr, "gatewatch ingest: bad --tz '%s' "
				    "(UTC, local, +HHMM)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q': o.quiet = true; break;
		case 'h': ingest_usage(stdout); return EXIT_OK;
		default: ingest_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "gatewatch ingest: no FILE given\n");
		ingest_usage(stderr);
		free(o.log_format);
		return EXIT_USAGE;
	}
	if ((conf != NULL) != (conf_name != NULL)) {
		fprintf(stderr, "gatewatch ingest: --nginx-conf and "
		    "--log-format-name go together\n");
		free(o.log_format);
		return EXIT_USAGE;
	}
	if (conf != NULL) {
		free(o.log_format);
		o.log_format = NULL;
		if (logformat_from_conf(conf, conf_name, &o.log_format, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "gatewatch ingest: %s\n", err);
			return EXIT_ERR;
		}
	}
	o.progress = !o.quiet && isatty(STDERR_FILENO);

	struct store *st;
	if (store_open(o.db, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch ingest: %s\n", err);
		free(o.log_format);
		return EXIT_ERR;
	}
	struct pipeline *pl = pipeline_new(store_sink, st, err, sizeof(err));
	if (pl == NULL) {
		fprintf(stderr, "gatewatch ingest: %s\n", err);
		store_close(st);
		free(o.log_format);
		return EXIT_ERR;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct ingest_counts total;
	memset(&total, 0, sizeof(total));
	int read_ok = 0, failed = 0;
	double t0 = cli_mono();
	for (int i = optind; i < argc && !interrupted; i++) {
		int rc = ingest_file(argv[i], &o, st, pl, &total);
		if (rc == 0)
			read_ok++;
		else if (rc < 0)
			failed++;
	}
	if (pipeline_free(pl, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch ingest: %s\n", err);
		failed++;
	}
	store_close(st);
	free(o.log_format);
	if (!o.quiet && argc - optind > 1)
		print_counts("total", &total, cli_mono() - t0);
	if (interrupted)
		fprintf(stderr, "gatewatch ingest: interrupted; what was read is "
		    "stored and the next run resumes there\n");
	if (failed > 0 && read_ok == 0)
		return EXIT_ERR;
	return EXIT_OK;
}

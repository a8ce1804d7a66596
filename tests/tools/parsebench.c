/*
 * parsebench.c - the parse thread of `gatewatch ingest` alone: how fast
 * lines become records when storing costs nothing, and what they became.
 *
 *   parsebench [-f NAME] [-l LOG_FORMAT] [-d] FILE
 *
 * Runs ingest's loop (capture/reader.h, parse/lineparse.h, batches of
 * ingest's size handed to a writer thread through cli/pipeline.h) with a
 * sink that drops every batch, so `make bench` can print parse-only lines/s
 * beside a full ingest and show which side bounds. Prints "parse only: N
 * lines, E requests, G errors, R rejected in S s (L lines/s), parse thread
 * C s CPU (P lines per CPU second)" on stderr: on a loaded machine the CPU
 * figure is the steadier one.
 *
 * -d dumps every record instead (one line each, every field as parsed, in
 * the order the sink sees them) and drops nothing else: two builds' dumps
 * of one input must be identical when a change to parse/ keeps every
 * field (tests/tools/compare_parse.sh).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/pipeline.h"
#include "capture/reader.h"
#include "core/clock.h"
#include "parse/lineparse.h"
#include "parse/logformat.h"

/* As cli/cmd_ingest.c. */
#define BATCH_RECORDS	32768
#define SAMPLE_BYTES	(64 * 1024)

static void
put_str(FILE *f, const char *name, const char *s)
{
	fprintf(f, " %s=", name);
	if (s == NULL) {
		fputs("(null)", f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
put_bytes(FILE *f, const char *name, const char *s, size_t n)
{
	fprintf(f, " %s=%zu:", name, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f || c == '\\')
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

/* Every field of every record of b, in the sink's order. */
static int
dump_sink(void *ctx, struct gw_batch *b, char *err, size_t errlen)
{
	FILE *f = ctx;

	for (size_t i = 0; i < b->n_events; i++) {
		const struct gw_event *e = &b->events[i];
		fprintf(f, "E %" PRIu64 " @%" PRIu64 " ts=%" PRId64 " tz=%d%s "
		    "status=%d bytes=%" PRId64 " rt=%d cause=%d", e->line_no,
		    e->offset, e->ts_ms, e->tz_min, e->tz_known ? "!" : "?",
		    e->status, e->bytes, e->request_ms, (int)e->cause);
		put_str(f, "client", e->client);
		put_str(f, "method", e->method);
		put_str(f, "host", e->host);
		put_str(f, "path", e->path);
		put_str(f, "query", e->query);
		put_str(f, "proto", e->protocol);
		put_str(f, "rid", e->request_id);
		put_str(f, "shape", e->shape);
		put_str(f, "origin", e->origin);
		for (int k = 0; k < e->n_attempts; k++) {
			const struct gw_attempt *a = &e->attempts[k];
			fprintf(f, " [%d", k);
			put_str(f, "addr", a->addr);
			fprintf(f, " s=%d c=%d h=%d r=%d g=%d cause=%d]",
			    a->status, a->connect_ms, a->header_ms,
			    a->response_ms, a->group, (int)a->cause);
		}
		fputc('\n', f);
	}
	for (size_t i = 0; i < b->n_errors; i++) {
		const struct gw_gateway_error *e = &b->errors[i];
		fprintf(f, "G %" PRIu64 " @%" PRIu64 " local=%" PRId64
		    " level=%d conn=%" PRId64 " cause=%d", e->line_no,
		    e->offset, e->local_ms, e->level, e->conn, (int)e->cause);
		put_str(f, "msg", e->message);
		put_str(f, "client", e->client);
		put_str(f, "server", e->server);
		put_str(f, "method", e->method);
		put_str(f, "path", e->path);
		put_str(f, "query", e->query);
		put_str(f, "upstream", e->upstream);
		put_str(f, "host", e->host);
		fputc('\n', f);
	}
	for (size_t i = 0; i < b->n_rejects; i++) {
		const struct gw_reject *r = &b->rejects[i];
		fprintf(f, "R %" PRIu64 " @%" PRIu64, r->line_no, r->offset);
		put_str(f, "reason", r->reason);
		put_bytes(f, "raw", r->raw, r->raw_len);
		fputc('\n', f);
	}
	fprintf(f, "B position=%" PRIu64 " line=%" PRIu64 "\n", b->position,
	    b->line_no);
	if (ferror(f)) {
		snprintf(err, errlen, "write error");
		return -1;
	}
	return 0;
}

static int
drop_sink(void *ctx, struct gw_batch *b, char *err, size_t errlen)
{
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: parsebench [-f FORMAT] [-l LOG_FORMAT] [-d] "
	    "FILE\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct lineparse_opts o = { 0 };
	bool dump = false;
	char *log_format = NULL;
	int c;

	while ((c = getopt(argc, argv, "f:l:d")) != -1) {
		switch (c) {
		case 'f':
			o.format = optarg;
			break;
		case 'l':
			free(log_format);
			if ((log_format = logformat_text_from_arg(optarg)) == NULL)
				return 1;
			o.log_format = log_format;
			break;
		case 'd':
			dump = true;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc)
		usage();

	char err[512];
	struct reader *r;
	const unsigned char *head;
	size_t head_len, n_sample;
	struct lineparse *lp;
	if (reader_open_with(argv[optind], 0, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "parsebench: %s\n", err);
		return 1;
	}
	reader_head(r, &head, &head_len, SAMPLE_BYTES);
	if (lineparse_open(&o, head, head_len, &lp, &n_sample, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "parsebench: %s\n", err);
		return 1;
	}
	struct pipeline *pl = pipeline_new(dump ? dump_sink : drop_sink,
	    stdout, err, sizeof(err));
	if (pl == NULL) {
		fprintf(stderr, "parsebench: %s\n", err);
		return 1;
	}

	uint64_t lines = 0, events = 0, errors = 0, rejects = 0;
	struct timespec c0, c1;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	double t0 = clk_mono_secs();
	struct gw_batch *b = pipeline_batch(pl);
	struct reader_line ln;
	int got;
	while ((got = reader_next(r, &ln, err, sizeof(err))) == 1) {
		const char *reason;

		lines++;
		switch (lineparse_take(lp, b, ln.p, ln.len,
		    (ln.flags & READER_TRUNCATED) != 0, lines, ln.offset,
		    &reason)) {
		case FORMAT_EVENT: events++; break;
		case FORMAT_ERROR: errors++; break;
		case FORMAT_REJECT: rejects++; break;
		case FORMAT_NOMEM:
			fprintf(stderr, "parsebench: out of memory\n");
			return 1;
		default: break;
		}
		b->position = ln.next;
		b->line_no = lines;
		if (batch_count(b) >= BATCH_RECORDS ||
		    arena_used(b->arena) > 8 * 1024 * 1024) {
			if (pipeline_flush(pl, err, sizeof(err)) != 0)
				break;
			b = pipeline_batch(pl);
		}
	}
	if (got < 0)
		fprintf(stderr, "parsebench: %s\n", err);
	if (pipeline_flush(pl, err, sizeof(err)) != 0 ||
	    pipeline_free(pl, err, sizeof(err)) != 0) {
		fprintf(stderr, "parsebench: %s\n", err);
		return 1;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	double secs = clk_mono_secs() - t0;
	double cpu = (double)(c1.tv_sec - c0.tv_sec) +
	    (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	fprintf(stderr, "parse only: %" PRIu64 " lines, %" PRIu64 " requests, "
	    "%" PRIu64 " errors, %" PRIu64 " rejected in %.3f s (%.0f "
	    "lines/s), parse thread %.3f s CPU (%.0f lines per CPU second)\n",
	    lines, events, errors, rejects, secs,
	    secs > 0 ? (double)lines / secs : 0.0, cpu,
	    cpu > 0 ? (double)lines / cpu : 0.0);
	lineparse_free(lp);
	reader_close(r);
	free(log_format);
	return got < 0 ? 1 : 0;
}

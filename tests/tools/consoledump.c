/*
 * consoledump.c - print what the console's queries (store/console.c)
 * answer on a database, as text, so two databases can be compared: the
 * same logs ingested with request blocks and without (schema/015) must
 * print the same (tests/tools/compare_outputs.sh runs it on OLD=NEW pairs).
 *
 *   consoledump DB [EVERY]
 *
 * Prints the time span, the upstreams and causes over the whole database,
 * the chart by every split from the rollups (whole minutes) and from the
 * raw rows (per second, the first 300 s), the failing requests under
 * several filters (one that lets plain requests through: status 200, a
 * path substring), and every EVERY-th request by id with its attempts
 * (EVERY 1 by default: all of them).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/console.h"
#include "store/store.h"

static const char *
s_or(const char *s)
{
	return s != NULL ? s : "(null)";
}

static void
print_counts(const struct console_counts *c)
{
	printf(" req=%" PRId64 " 5xx=%" PRId64 " failed=%" PRId64
	    " s5xx=%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
	    " gw5xx=%" PRId64 " att=%" PRId64 " fatt=%" PRId64
	    " ms=%" PRId64 "/%" PRId64, c->requests, c->errors_5xx,
	    c->failed, c->status_5xx[0], c->status_5xx[1], c->status_5xx[2],
	    c->status_5xx[3], c->gateway_5xx, c->attempts, c->failed_attempts,
	    c->request_ms_sum, c->request_ms_n);
}

static int
cmp_upstream(const void *a, const void *b)
{
	const struct console_upstream *x = a, *y = b;

	return strcmp(s_or(x->name), s_or(y->name));
}

static void
print_requests(const char *what, const struct console_request *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		printf("%s id=%" PRId64 " ts=%" PRId64 " client=%s %s %s %s"
		    " q=%s up=%s src=%s line=%" PRId64 " status=%d ms=%d"
		    " cause=%d n_att=%d err=%s\n", what, r[i].id, r[i].ts_ms,
		    s_or(r[i].client), s_or(r[i].method), s_or(r[i].host),
		    s_or(r[i].path), s_or(r[i].query), s_or(r[i].upstream),
		    s_or(r[i].source), r[i].line_no, r[i].status,
		    r[i].request_ms, (int)r[i].cause, r[i].n_attempts,
		    s_or(r[i].error));
		for (int k = 0; k < r[i].n_attempts && r[i].attempts != NULL;
		    k++) {
			const struct console_attempt *a = &r[i].attempts[k];

			printf("  attempt %s status=%d %d/%d/%d cause=%d"
			    " err=%s\n", s_or(a->upstream), a->status,
			    a->connect_ms, a->header_ms, a->response_ms,
			    (int)a->cause, s_or(a->error));
		}
	}
}

static int
dump_series(struct console *c, const struct console_filter *f, int64_t start,
    int64_t step, int n, const char *what, char *err, size_t errlen)
{
	struct console_series out[CONSOLE_SPLIT_COUNT];

	if (console_series_splits(c, f, start, step, n, out, err, errlen) != 0)
		return -1;
	for (int by = 0; by < CONSOLE_SPLIT_COUNT; by++) {
		for (size_t l = 0; l < out[by].n_lines; l++) {
			const struct console_line *x = &out[by].lines[l];

			printf("series %s by %d %s:", what, by, s_or(x->name));
			for (int p = 0; p < out[by].n_points; p++)
				printf(" %" PRId64 "/%" PRId64, x->requests[p],
				    x->errors_5xx[p]);
			printf("\n");
		}
		console_series_free(&out[by]);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct console_filter f = console_filter_all();
	struct console_upstream *ups;
	struct console_cause *cs;
	struct console_request *rq;
	struct store *s;
	struct console *c;
	int64_t first, last, every = argc > 2 ? atoll(argv[2]) : 1;
	size_t n;
	char err[512];

	if (argc < 2 || every < 1) {
		fprintf(stderr, "usage: consoledump DB [EVERY]\n");
		return 2;
	}
	if (store_open(argv[1], &s, err, sizeof(err)) != 0 ||
	    console_new(s, &c, err, sizeof(err)) != 0 ||
	    console_begin(c, err, sizeof(err)) != 0)
		goto fail;
	if (console_time_span(c, &first, &last, err, sizeof(err)) != 0)
		goto fail;
	printf("span %" PRId64 " %" PRId64 "\n", first, last);
	if (console_upstreams(c, &f, &ups, &n, err, sizeof(err)) != 0)
		goto fail;
	qsort(ups, n, sizeof(*ups), cmp_upstream);
	for (size_t i = 0; i < n; i++) {
		printf("upstream %s", s_or(ups[i].name));
		print_counts(&ups[i].c);
		printf(" timed=%" PRId64 " p50=%" PRId64 " p99=%" PRId64 "\n",
		    ups[i].timed, ups[i].p50_ms, ups[i].p99_ms);
	}
	console_upstreams_free(ups, n);
	if (console_causes(c, &f, &cs, &n, err, sizeof(err)) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		printf("cause %d req=%" PRId64 " 5xx=%" PRId64 " att=%" PRId64
		    " top=%s/%" PRId64 "\n", (int)cs[i].cause, cs[i].requests,
		    cs[i].errors_5xx, cs[i].attempts, s_or(cs[i].top_upstream),
		    cs[i].top_upstream_count);
	console_causes_free(cs, n);
	if (first >= 0) {
		int64_t m0 = first - ((first % 60000) + 60000) % 60000;

		if (dump_series(c, &f, m0, 60000, 120, "minute", err,
		    sizeof(err)) != 0 ||
		    dump_series(c, &f, first, 1000, 300, "second", err,
		    sizeof(err)) != 0)
			goto fail;
	}
	/* failing requests: all; status 200 (plain ones too); a path; 502 */
	for (int k = 0; k < 4; k++) {
		struct console_filter g = console_filter_all();

		if (k == 1)
			g.status = 200;
		if (k == 2)
			g.path = "/a";
		if (k == 3)
			g.status = 502;
		if (console_failures(c, &g, 200, &rq, &n, err,
		    sizeof(err)) != 0)
			goto fail;
		printf("failures %d: %zu\n", k, n);
		print_requests("failure", rq, n);
		console_requests_free(rq, n);
	}
	for (int64_t id = 1; last >= 0; id += every) {
		if (console_request(c, id, &rq, &n, err, sizeof(err)) != 0)
			goto fail;
		if (n == 0) {
			console_requests_free(rq, n);
			/* ids are dense from 1 here (no prune): the end */
			break;
		}
		print_requests("request", rq, n);
		console_requests_free(rq, n);
	}
	console_end(c);
	console_free(c);
	store_close(s);
	return 0;
fail:
	fprintf(stderr, "consoledump: %s\n", err);
	return 1;
}

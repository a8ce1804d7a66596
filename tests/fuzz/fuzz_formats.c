/*
 * fuzz_formats.c - the formats of the registry (parse/formats.c: nginx's
 * built-in access formats and error log, haproxy.c, envoy.c (text and
 * JSON), caddy.c, traefik.c (CLF and JSON), alb.c, clf.c), as lineparse
 * uses them.
 *
 * The input's first line names the format ("envoy", "caddy", ...); when it
 * names none, its first byte picks one and the whole input is lines. The
 * lines then go, in order, through one open state of that format (Caddy
 * pairs runtime-log lines with later access lines), and through every
 * format's match() (detection must be safe on any bytes), with states
 * opened once (nginx's formats compile their log_format on open). A
 * format with a fast path (the one-pass JSON reader of Caddy's access
 * lines, Envoy JSON and Traefik JSON; nginx's hand matcher)
 * also reads the lines through a second state opened with
 * format_opts.general_only: the two must add the same records, or the
 * harness aborts.
 */
#include <stdbool.h>

#include "core/batch.h"
#include "parse/format.h"
#include "tests/fuzz/fuzz.h"

/* Every format's state for match(), opened once: not the input. */
static void *match_state[64];
static bool match_ready;

static void
fuzz_init(void)
{
	struct format_opts fo = { .tz_min = 60 };
	enum format_result why;
	char err[256];

	if (match_ready)
		return;
	for (size_t i = 0; gw_line_formats[i] != NULL; i++) {
		const struct line_format *lf = gw_line_formats[i];

		if (i >= sizeof(match_state) / sizeof(match_state[0]))
			abort();
		if (lf->open != NULL &&
		    (match_state[i] = lf->open(&fo, &why, err, sizeof(err))) ==
		    NULL)
			abort();	/* the harness is broken, not the input */
	}
	match_ready = true;
}

struct run {
	const struct line_format *lf;
	void *state;
	struct gw_batch b;
	void *general;		/* general_only twin, or NULL */
	struct gw_batch g;
};

static bool
same_error(const struct gw_gateway_error *x, const struct gw_gateway_error *y)
{
	return x->local_ms == y->local_ms && x->level == y->level &&
	    x->conn == y->conn && x->cause == y->cause &&
	    x->line_no == y->line_no &&
	    fuzz_same_str(x->message, y->message) &&
	    fuzz_same_str(x->client, y->client) &&
	    fuzz_same_str(x->server, y->server) &&
	    fuzz_same_str(x->method, y->method) &&
	    fuzz_same_str(x->path, y->path) &&
	    fuzz_same_str(x->query, y->query) &&
	    fuzz_same_str(x->upstream, y->upstream) &&
	    fuzz_same_str(x->host, y->host);
}

/* The twin's line: the same result and the same new records. */
static void
check_twin(struct run *r, enum format_result x, const char *rx,
    const char *line, size_t len, uint64_t no, uint64_t off)
{
	const char *ry = NULL;
	size_t ne = r->g.n_events, nr = r->g.n_errors;
	enum format_result y = r->lf->take(r->general, &r->g, line, len, no,
	    off, &ry);

	if (x != y || (x == FORMAT_REJECT && !fuzz_same_str(rx, ry)) ||
	    r->b.n_events != r->g.n_events || r->b.n_errors != r->g.n_errors)
		abort();
	for (size_t i = ne; i < r->g.n_events; i++)
		if (!fuzz_same_event(&r->b.events[i], &r->g.events[i]))
			abort();
	for (size_t i = nr; i < r->g.n_errors; i++)
		if (!same_error(&r->b.errors[i], &r->g.errors[i]))
			abort();
}

static void
one_line(void *ctx, const char *line, size_t len, uint64_t no, uint64_t off)
{
	struct run *r = ctx;
	const char *reason = NULL;

	for (size_t i = 0; gw_line_formats[i] != NULL; i++) {
		enum format_result m = gw_line_formats[i]->match(
		    match_state[i], line, len);

		if (m != FORMAT_EVENT && m != FORMAT_REJECT &&
		    m != FORMAT_NOMEM)
			abort();
	}
	size_t had = r->b.n_events;
	enum format_result x = r->lf->take(r->state, &r->b, line, len, no,
	    off, &reason);
	for (size_t i = had; i < r->b.n_events; i++)
		if (!fuzz_event_lens_ok(&r->b.events[i]))
			abort();	/* a length that is not strlen's */
	if (r->general != NULL)
		check_twin(r, x, reason, line, len, no, off);
	if (batch_count(&r->b) >= 64) {
		batch_clear(&r->b);
		batch_clear(&r->g);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct format_opts fo = { .tz_min = 60 };
	struct run r;
	size_t nformats = 0, skip = 0;
	const uint8_t *nl = memchr(data, '\n', size);
	enum format_result why;
	char err[256];

	if (size == 0)
		return 0;
	fuzz_init();
	while (gw_line_formats[nformats] != NULL)
		nformats++;
	memset(&r, 0, sizeof(r));
	if (nl != NULL && nl - data < 32) {
		char name[32];

		memcpy(name, data, (size_t)(nl - data));
		name[nl - data] = '\0';
		if ((r.lf = format_by_name(name)) != NULL)
			skip = (size_t)(nl - data) + 1;
	}
	if (r.lf == NULL)
		r.lf = gw_line_formats[data[0] % nformats];
	if (batch_init(&r.b) != 0)
		return 0;
	if (batch_init(&r.g) != 0) {
		batch_destroy(&r.b);
		return 0;
	}
	if (r.lf->open != NULL &&
	    (r.state = r.lf->open(&fo, &why, err, sizeof(err))) == NULL) {
		batch_destroy(&r.b);
		batch_destroy(&r.g);
		return 0;
	}
	if (r.lf->fast_count != NULL) {
		struct format_opts go = fo;

		go.general_only = true;
		if ((r.general = r.lf->open(&go, &why, err, sizeof(err))) ==
		    NULL)
			abort();	/* opened once already */
	}
	fuzz_lines(data + skip, size - skip, one_line, &r);
	if (r.lf->close != NULL) {
		r.lf->close(r.state);
		if (r.general != NULL)
			r.lf->close(r.general);
	}
	batch_destroy(&r.b);
	batch_destroy(&r.g);
	return 0;
}

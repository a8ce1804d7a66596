/*
 * fuzz_lineparse.c - what `ingest` and `tail` do with an unknown file:
 * sample its head (lineparse_sample), detect the format (parse/detect.c,
 * over every format of the registry, nginx's built-in log_formats among
 * them), then hand every line to the chosen parser. The nginx.conf
 * fallback is pointed at a path that does not exist, so the run depends
 * on the input alone. Seeds: every log of tests/data.
 *
 * As `tail` does across a rotation, after a number of lines the input's
 * first byte picks, the held partial records go over to a second parser
 * of the same sample (lineparse_hand_over), which reads the rest; at the
 * end both inputs are done (lineparse_end): each join still held becomes
 * exactly one reject, and nothing stays held.
 */
#include <stdbool.h>

#include "core/batch.h"
#include "parse/detect.h"
#include "tests/fuzz/fuzz.h"
#include "parse/lineparse.h"

#define SAMPLE_LINES	64
#define HEAD_MAX	16384

struct run {
	struct lineparse *lp;
	struct lineparse *next;		/* the content after the rotation */
	uint64_t switch_at;		/* line the rotation comes before */
	struct gw_batch b;
};

/* The input is done: its held joins end as rejects, one each. */
static void
end_input(struct lineparse *lp, struct gw_batch *b)
{
	uint64_t off, line;
	size_t n0 = b->n_rejects;
	bool held = lineparse_held(lp, &off, &line);
	int n = lineparse_end(lp, b);

	if (n < 0)
		return;		/* out of memory */
	if ((size_t)n != b->n_rejects - n0 || n > 2 ||
	    lineparse_held(lp, &off, &line) || (!held && n != 0))
		abort();
	batch_clear(b);
}

static void
one_line(void *ctx, const char *line, size_t len, uint64_t no, uint64_t off)
{
	struct run *r = ctx;
	const char *reason = NULL;

	if (r->next != NULL && no == r->switch_at) {
		(void)lineparse_hand_over(r->lp, r->next, no, off);
		end_input(r->lp, &r->b);
		lineparse_free(r->lp);
		r->lp = r->next;
		r->next = NULL;
	}
	size_t had = r->b.n_events;

	(void)lineparse_take(r->lp, &r->b, line, len, false, no, off, &reason);
	for (size_t i = had; i < r->b.n_events; i++)
		if (!fuzz_event_lens_ok(&r->b.events[i]) ||
		    r->b.events[i].client_form == GW_CLIENT_UNSET)
			abort();	/* not filled, or not strlen's */
	if (batch_count(&r->b) >= 64)
		batch_clear(&r->b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lineparse_opts o = { .tz_min = 0,
	    .nginx_conf = "/nonexistent/gatewatch-fuzz/nginx.conf" };
	const char *lines[SAMPLE_LINES];
	size_t lens[SAMPLE_LINES], n;
	unsigned char *head;
	size_t head_n = size < HEAD_MAX ? size : HEAD_MAX;
	struct detect_opts dopts = { .nginx_conf = NULL };
	struct detect_result dr;
	struct run r;
	char err[512];

	/* the head in a copy of its own size, as reader_head() gives it */
	if ((head = malloc(head_n ? head_n : 1)) == NULL)
		return 0;
	memcpy(head, data, head_n);
	n = lineparse_sample(head, head_n, lines, lens, SAMPLE_LINES);
	if (detect_sample(lines, lens, NULL, n, NULL, &dopts, &dr) == 0)
		free(dr.access.text);
	memset(&r, 0, sizeof(r));
	if (lineparse_new(&o, lines, lens, n, &r.lp, err, sizeof(err)) == 0) {
		(void)lineparse_kind(r.lp);
		(void)lineparse_format(r.lp);
		if (size > 0 && lineparse_new(&o, lines, lens, n, &r.next,
		    err, sizeof(err)) == 0)
			r.switch_at = 1 + data[0] % 32;
		if (batch_init(&r.b) == 0) {
			fuzz_lines(data, size, one_line, &r);
			end_input(r.lp, &r.b);
			batch_destroy(&r.b);
		}
		lineparse_free(r.lp);
		lineparse_free(r.next);
	}
	free(head);
	return 0;
}

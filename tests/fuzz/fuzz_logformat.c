/*
 * fuzz_logformat.c - the log_format compiler itself (parse/logformat.c)
 * on hostile format strings, and the pattern it builds on hostile lines.
 *
 * Input: the format text up to the first NUL byte (or, with none, the
 * first newline), then access lines. The text is compiled twice: as
 * nginx.conf writes it, and as a --log-format argument
 * (logformat_text_from_arg quotes a pasted string); each compiled format
 * then parses every line, twice: as ingest does (the hand matcher first)
 * and with PCRE2 alone (logformat_use_fast); the two must give the same
 * result, reason and fields, or the harness aborts. Seeds: the log_format
 * of tests/data/demo's nginx.conf with its access.log lines, and the
 * formats in tests/fuzz/seeds.sh.
 */
#include <stdbool.h>

#include "core/arena.h"
#include "core/event.h"
#include "tests/fuzz/fuzz.h"
#include "parse/logformat.h"

struct run {
	struct logformat *lf[2];
	struct arena *a, *b;
};

static void
one_line(void *ctx, const char *line, size_t len, uint64_t no, uint64_t off)
{
	struct run *r = ctx;

	for (int i = 0; i < 2; i++) {
		struct gw_event ev, ev2;
		const char *reason = NULL, *reason2 = NULL;
		enum format_result x, y;

		if (r->lf[i] == NULL)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.line_no = no;
		ev.offset = off;
		ev2 = ev;
		x = logformat_parse(r->lf[i], line, len, r->a, &ev, &reason);
		logformat_use_fast(r->lf[i], false);
		y = logformat_parse(r->lf[i], line, len, r->b, &ev2, &reason2);
		logformat_use_fast(r->lf[i], true);
		if (x != y ||
		    (x == FORMAT_REJECT && !fuzz_same_str(reason, reason2)) ||
		    (x == FORMAT_EVENT && !fuzz_same_event(&ev, &ev2)))
			abort();	/* the hand matcher and PCRE2 differ */
		if (x == FORMAT_EVENT && (!fuzz_event_lens_ok(&ev) ||
		    !fuzz_event_lens_ok(&ev2)))
			abort();	/* a length that is not strlen's */
		arena_reset(r->a);
		arena_reset(r->b);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *end = memchr(data, '\0', size);
	size_t tlen;
	char *text, *arg_text;
	struct run r;
	char err[512];

	if (end == NULL)
		end = memchr(data, '\n', size);
	tlen = end != NULL ? (size_t)(end - data) : size;
	if ((text = malloc(tlen + 1)) == NULL)
		return 0;
	memcpy(text, data, tlen);
	text[tlen] = '\0';
	memset(&r, 0, sizeof(r));
	if (logformat_compile(text, -300, &r.lf[0], err, sizeof(err)) != 0)
		r.lf[0] = NULL;
	if ((arg_text = logformat_text_from_arg(text)) != NULL &&
	    logformat_compile(arg_text, 0, &r.lf[1], err, sizeof(err)) != 0)
		r.lf[1] = NULL;
	for (int i = 0; i < 2; i++)
		if (r.lf[i] != NULL) {
			(void)logformat_pattern(r.lf[i]);
			(void)logformat_logs_secrets(r.lf[i]);
			(void)logformat_has_upstream(r.lf[i]);
		}
	if ((r.lf[0] != NULL || r.lf[1] != NULL) && end != NULL &&
	    (r.a = arena_new()) != NULL && (r.b = arena_new()) != NULL) {
		size_t skip = tlen + 1;

		fuzz_lines(data + skip, size - skip, one_line, &r);
	}
	arena_free(r.a);
	arena_free(r.b);
	for (int i = 0; i < 2; i++)
		logformat_free(r.lf[i]);
	free(arg_text);
	free(text);
	return 0;
}

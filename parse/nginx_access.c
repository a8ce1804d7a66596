/*
 * nginx_access.c - nginx's access log as entries of the format registry
 * (parse/format.h): one per built-in log_format of logformat.h
 * ("upstream", "ingress-nginx", "apisix", "main", "combined"), and
 * nginx_log_format, which reads the text format_opts names (the user's
 * --log-format, or a log_format of the gateway's nginx.conf).
 *
 * The state is the compiled format and a scratch arena for match(): a
 * line is recognised when it parses whole (time included), as it would be
 * read, so detection counts exactly the lines the format will keep.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "parse/format.h"
#include "parse/logformat.h"

struct nginx_access {
	struct logformat *lf;
	struct arena *scratch;		/* match()'s parses, reset each time */
};

static void
na_close(void *state)
{
	struct nginx_access *na = state;

	if (na == NULL)
		return;
	logformat_free(na->lf);
	arena_free(na->scratch);
	free(na);
}

/*
 * The state for log_format text; NULL with err and *why filled (see
 * format.h: FORMAT_REJECT when the text does not compile).
 */
static void *
na_open_text(const char *text, const struct format_opts *o,
    enum format_result *why, char *err, size_t errlen)
{
	struct nginx_access *na = gw_calloc(1, sizeof(*na));
	int rc;

	if (na == NULL || (na->scratch = arena_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		*why = FORMAT_NOMEM;
		na_close(na);
		return NULL;
	}
	if (text == NULL) {
		snprintf(err, errlen, "no log_format text");
		*why = FORMAT_REJECT;
		na_close(na);
		return NULL;
	}
	rc = logformat_compile(text, o != NULL ? o->tz_min : 0, &na->lf, err,
	    errlen);
	if (rc != 0) {
		*why = rc == LOGFORMAT_NOMEM ? FORMAT_NOMEM : FORMAT_REJECT;
		na_close(na);
		return NULL;
	}
	if (o != NULL && o->general_only)
		logformat_use_fast(na->lf, false);
	return na;
}

/*
 * See format.h: the line parses with the format (FORMAT_EVENT), or not
 * (FORMAT_REJECT), or the scratch arena ran out (FORMAT_NOMEM).
 */
static enum format_result
na_match(void *state, const char *line, size_t len)
{
	struct nginx_access *na = state;
	struct gw_event ev = { 0 };
	const char *reason;
	enum format_result r;

	r = logformat_parse(na->lf, line, len, na->scratch, &ev, &reason);
	arena_reset(na->scratch);
	return r == FORMAT_EVENT || r == FORMAT_NOMEM ? r : FORMAT_REJECT;
}

/* See format.h. */
static enum format_result
na_take(void *state, struct gw_batch *b, const char *line, size_t len,
    uint64_t line_no, uint64_t offset, const char **reason)
{
	struct nginx_access *na = state;
	/* not zeroed twice: logformat_parse sets every field */
	struct gw_event *ev = batch_add_event_unset(b);
	enum format_result r;

	if (ev == NULL)
		return FORMAT_NOMEM;
	ev->line_no = line_no;
	ev->offset = offset;
	r = logformat_parse(na->lf, line, len, b->arena, ev, reason);
	if (r != FORMAT_EVENT)
		b->n_events--;
	return r;
}

static size_t
na_fast_count(void *state)
{
	return logformat_fast_count(((struct nginx_access *)state)->lf);
}

static bool
na_withholds(void *state)
{
	return logformat_logs_secrets(((struct nginx_access *)state)->lf);
}

static void *
na_open_log_format(const struct format_opts *o, enum format_result *why,
    char *err, size_t errlen)
{
	return na_open_text(o != NULL ? o->log_format : NULL, o, why, err,
	    errlen);
}

const struct line_format nginx_log_format = {
	.name = "log_format",
	.kind = "nginx_access",
	.match = na_match,
	.open = na_open_log_format,
	.close = na_close,
	.take = na_take,
	.withholds = na_withholds,
	.fast_count = na_fast_count,
};

/* An entry for the built-in format FMT_NAME, C_NAME its C spelling. */
#define NA_BUILTIN(c_name, fmt_name)					\
static void *								\
na_open_##c_name(const struct format_opts *o, enum format_result *why,\
    char *err, size_t errlen)						\
{									\
	return na_open_text(logformat_builtin(fmt_name), o, why, err,	\
	    errlen);							\
}									\
const struct line_format nginx_##c_name##_format = {			\
	.name = fmt_name,							\
	.kind = "nginx_access",						\
	.match = na_match,						\
	.open = na_open_##c_name,					\
	.close = na_close,						\
	.take = na_take,						\
	.withholds = na_withholds,					\
	.fast_count = na_fast_count,					\
};

NA_BUILTIN(upstream, "upstream")
NA_BUILTIN(ingress, "ingress-nginx")
NA_BUILTIN(apisix, "apisix")
NA_BUILTIN(main, "main")
NA_BUILTIN(combined, "combined")

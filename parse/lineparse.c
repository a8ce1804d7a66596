/*
 * lineparse.c - format decision and per-line dispatch; see lineparse.h.
 *
 * The decision order: a forced "nginx-error"; then an nginx error log
 * recognised by its lines (even when an access format was forced, since
 * users pass both logs to one command); then a user's log_format; then a
 * forced built-in name; then detection over the sample.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "format.h"
#include "lineparse.h"
#include "logformat.h"
#include "nginx_error.h"

struct lineparse {
	enum detect_kind kind;
	const char *format;
	char format_buf[128];			/* "NAME from nginx.conf" */
	struct logformat *lf;			/* nginx access logs */
	const struct line_format *other;	/* any other format */
	void *other_state;
};

/* The registered format most sample lines match (more than half), or NULL. */
static const struct line_format *
detect_other(const char *const *lines, const size_t *lens, size_t n)
{
	const struct line_format *best = NULL;
	size_t best_hits = 0;

	for (size_t f = 0; gw_line_formats[f] != NULL; f++) {
		size_t hits = 0;
		for (size_t i = 0; i < n; i++)
			hits += gw_line_formats[f]->match(lines[i], lens[i]);
		if (hits * 2 > n && hits > best_hits) {
			best = gw_line_formats[f];
			best_hits = hits;
		}
	}
	return best;
}

#define LINEPARSE_DEFAULT_CONF "/etc/nginx/nginx.conf"

/* How many of the sample lines lf parses. */
static size_t
count_hits(struct logformat *lf, const char *const *lines,
    const size_t *lens, size_t n)
{
	struct arena *a = arena_new();
	size_t hits = 0;

	if (a == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct gw_event ev;
		const char *reason;

		memset(&ev, 0, sizeof(ev));
		hits += logformat_parse(lf, lines[i], lens[i], a, &ev,
		    &reason) == 0;
		arena_reset(a);
	}
	arena_free(a);
	return hits;
}

/*
 * No known format fits: try each log_format of the gateway's own
 * nginx.conf (o->nginx_conf, else the usual path when it is readable).
 * On success lp holds the compiled format and 1 is returned; 0 when none
 * fits more than half the sample. (A log that extends combined with fields
 * of its own is still read by the clf format, without those fields.)
 */
static int
detect_nginx_fallback(struct lineparse *lp, const struct lineparse_opts *o,
    const char *const *lines, const size_t *lens, size_t n)
{
	const char *conf = o->nginx_conf ? o->nginx_conf :
	    LINEPARSE_DEFAULT_CONF;
	char err[256], *names = NULL;
	size_t n_names = 0, best_hits = 0;

	if (logformat_conf_names(conf, &names, &n_names, err,
	    sizeof(err)) == 0) {
		const char *name = names;
		for (size_t i = 0; i < n_names; i++, name += strlen(name) + 1) {
			char *text;
			struct logformat *lf;
			if (logformat_from_conf(conf, name, &text, err,
			    sizeof(err)) != 0)
				continue;
			if (logformat_compile(text, o->tz_min, &lf, err,
			    sizeof(err)) == 0) {
				size_t hits = count_hits(lf, lines, lens, n);
				if (hits * 2 > n && hits > best_hits) {
					logformat_free(lp->lf);
					lp->lf = lf;
					best_hits = hits;
					snprintf(lp->format_buf,
					    sizeof(lp->format_buf), "%s from %s",
					    name, conf);
				} else {
					logformat_free(lf);
				}
			}
			free(text);
		}
		free(names);
		if (lp->lf != NULL) {
			lp->format = lp->format_buf;
			return 1;
		}
	}
	return 0;
}

/* Set lp up for a registered format; 0 or -1 with err filled. */
static int
use_other(struct lineparse *lp, const struct line_format *lf,
    const struct lineparse_opts *o, char *err, size_t errlen)
{
	struct format_opts fo = {
		.tz_min = o->tz_min,
		.haproxy_cfg = o->haproxy_cfg,
	};
	lp->other = lf;
	lp->format = lf->name;
	if (lf->open != NULL) {
		lp->other_state = lf->open(&fo, err, errlen);
		if (lp->other_state == NULL)
			return -1;
	}
	return 0;
}

size_t
lineparse_sample(const unsigned char *head, size_t n, const char **lines,
    size_t *lens, size_t max)
{
	size_t count = 0, i = 0;
	while (i < n && count < max) {
		const unsigned char *nl = memchr(head + i, '\n', n - i);
		if (nl == NULL && count > 0)
			break;	/* a cut last line would mislead detection */
		size_t end = nl ? (size_t)(nl - head) : n;
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

static int
compile(struct lineparse *lp, const char *text, const char *what, int tz_min,
    char *err, size_t errlen)
{
	char e[400];
	if (logformat_compile(text, tz_min, &lp->lf, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "%s: %s", what, e);
		return -1;
	}
	return 0;
}

int
lineparse_new(const struct lineparse_opts *o, const char *const *lines,
    const size_t *lens, size_t n, struct lineparse **out, char *err,
    size_t errlen)
{
	struct lineparse *lp = calloc(1, sizeof(*lp));
	const char *builtin = NULL;

	if (lp == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	bool forced = o->format != NULL && strcmp(o->format, "auto") != 0;
	if (forced && strcmp(o->format, "nginx-error") == 0)
		goto error_log;
	if (forced && format_by_name(o->format) != NULL) {
		if (use_other(lp, format_by_name(o->format), o, err, errlen) != 0)
			goto fail;
		*out = lp;
		return 0;
	}
	size_t err_lines = 0;
	for (size_t i = 0; i < n; i++)
		err_lines += nginx_error_match(lines[i], lens[i]);
	if (n > 0 && err_lines * 2 > n)
		goto error_log;
	lp->kind = DETECT_NGINX_ACCESS;
	if (o->log_format != NULL) {
		lp->format = "log_format";
		if (compile(lp, o->log_format, "--log-format", o->tz_min, err,
		    errlen) != 0)
			goto fail;
		*out = lp;
		return 0;
	}
	if (forced) {
		builtin = o->format;
	} else if (n == 0) {
		snprintf(err, errlen, "empty, nothing to recognise");
		goto fail;
	} else {
		lp->kind = detect_lines(lines, lens, n, &builtin);
		if (lp->kind == DETECT_NGINX_ERROR)
			goto error_log;
		if (lp->kind == DETECT_UNKNOWN || builtin == NULL) {
			const struct line_format *other =
			    detect_other(lines, lens, n);
			if (other != NULL) {
				if (use_other(lp, other, o, err, errlen) != 0)
					goto fail;
				*out = lp;
				return 0;
			}
			if (detect_nginx_fallback(lp, o, lines, lens, n)) {
				lp->kind = DETECT_NGINX_ACCESS;
				*out = lp;
				return 0;
			}
			/*
			 * Nothing of the content is shown: a file that is
			 * not a log may be anything (a secret put in its
			 * place), so only its shape is told.
			 */
			size_t bytes = 0;
			for (size_t i = 0; i < n; i++)
				bytes += lens[i] + 1;
			snprintf(err, errlen, "not a log format gatewatch knows "
			    "(give --format or --log-format); none of its "
			    "first %zu line%s (%zu bytes) matched, and no "
			    "content is shown", n, n == 1 ? "" : "s", bytes);
			goto fail;
		}
	}
	const char *text = logformat_builtin(builtin);
	if (text == NULL) {
		snprintf(err, errlen, "unknown format '%s' (known: auto, "
		    "combined, upstream, nginx-error%s)", builtin,
		    gw_line_formats[0] ? ", and those of 'gatewatch ingest --help'" :
		    "");
		goto fail;
	}
	lp->format = builtin;
	if (compile(lp, text, builtin, o->tz_min, err, errlen) != 0)
		goto fail;
	*out = lp;
	return 0;
error_log:
	lp->kind = DETECT_NGINX_ERROR;
	lp->format = "nginx-error";
	*out = lp;
	return 0;
fail:
	free(lp);
	return -1;
}

void
lineparse_free(struct lineparse *lp)
{
	if (lp == NULL)
		return;
	logformat_free(lp->lf);
	if (lp->other != NULL && lp->other->close != NULL)
		lp->other->close(lp->other_state);
	free(lp);
}

const char *
lineparse_kind(const struct lineparse *lp)
{
	if (lp->other != NULL)
		return lp->other->kind;
	return detect_kind_name(lp->kind);
}

const char *
lineparse_format(const struct lineparse *lp)
{
	return lp->format;
}

enum lineparse_result
lineparse_take(struct lineparse *lp, struct gw_batch *b, const char *line,
    size_t len, bool truncated, uint64_t line_no, uint64_t offset,
    const char **reason)
{
	*reason = NULL;
	if (len == 0)
		return LP_BLANK;
	if (truncated) {
		*reason = "line too long";
	} else if (lp->other != NULL) {
		enum format_result fr = lp->other->take(lp->other_state, b, line,
		    len, line_no, offset, reason);
		if (fr == FORMAT_NOMEM)
			return LP_NOMEM;
		if (fr != FORMAT_REJECT)
			return (enum lineparse_result)fr;
	} else if (lp->kind == DETECT_NGINX_ERROR) {
		struct gw_gateway_error *ge = batch_add_error(b);
		if (ge == NULL)
			return LP_NOMEM;
		int rc = nginx_error_parse(line, len, b->arena, ge, reason);
		if (rc == 1) {
			ge->line_no = line_no;
			ge->offset = offset;
			return LP_ERROR;
		}
		b->n_errors--;
		if (rc == 0)
			return LP_NOTICE;
	} else {
		struct gw_event *ev = batch_add_event(b);
		if (ev == NULL)
			return LP_NOMEM;
		if (logformat_parse(lp->lf, line, len, b->arena, ev, reason) == 0) {
			ev->line_no = line_no;
			ev->offset = offset;
			return LP_EVENT;
		}
		b->n_events--;
	}
	if (*reason == NULL)
		*reason = "unparsed";
	/*
	 * A format that logs cookies or credentials: the line is not kept
	 * (they are never stored); its line number and byte offset still say
	 * where to find it.
	 */
	if (lp->lf != NULL && logformat_logs_secrets(lp->lf)) {
		static const char withheld[] = "[line withheld: its format logs "
		    "cookies or credentials]";
		line = withheld;
		len = sizeof(withheld) - 1;
	}
	if (batch_add_reject(b, line_no, offset, *reason, line, len) != 0)
		return LP_NOMEM;
	return LP_REJECT;
}

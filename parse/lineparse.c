/*
 * lineparse.c - format decision and per-line dispatch; see lineparse.h.
 *
 * Every line is first peeled of its transport wrapper (syslog, journald,
 * CRI, Docker, compose: parse/wrapper.h), then its kind is decided per
 * line: a line with nginx's error-log prefix goes to the error-log parser,
 * any other to the input's access parser. So `docker logs` / `kubectl logs`
 * streams, which interleave an access log (stdout) and an error log
 * (stderr), read as the two files would.
 *
 * The decision over the sample (its lines peeled too): the error lines
 * are set aside; the access parser is decided from the rest (a forced
 * format or --log-format, else detection over those lines); when the
 * sample held only error lines the access format is decided from the
 * first access lines that come later (a bounded number of tries). The
 * input's kind is the sample's majority.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "parse/detect.h"
#include "parse/format.h"
#include "parse/lineparse.h"
#include "parse/logformat.h"
#include "parse/nginxconf.h"
#include "parse/nginx_error.h"
#include "parse/wrapper.h"

#define LINEPARSE_JOIN_MAX	(1 << 20)	/* longest joined CRI line */
#define LINEPARSE_LATE_TRIES	64	/* late access-format detections */
#define WRAP_TAG_KEEP		32	/* longest sample tag kept */

struct lineparse {
	enum detect_kind kind;
	const char *format;
	char format_buf[128];			/* "NAME from nginx.conf" */
	struct logformat *lf;			/* nginx access logs */
	const struct line_format *other;	/* any other format */
	void *other_state;
	struct lineparse_opts o;		/* for a late detection */
	bool has_access;			/* lf or other is set */
	unsigned late_tries;			/* late detections left */
	struct wrapper *wrap;
	unsigned wrap_layers;			/* most common in the sample */
	struct wrapped w;			/* the line being parsed */
};

/*
 * The registered format most sample lines match (more than half), or NULL.
 * A line whose syslog tag is the format's name (tags[i], may be NULL)
 * counts for it too: HAProxy's "Proxy fe started." notices open its logs.
 */
static const struct line_format *
detect_other(const char *const *lines, const size_t *lens,
    const char *const *tags, size_t n)
{
	const struct line_format *best = NULL;
	size_t best_hits = 0;

	for (size_t f = 0; gw_line_formats[f] != NULL; f++) {
		size_t hits = 0;
		for (size_t i = 0; i < n; i++)
			hits += (tags != NULL && tags[i] != NULL &&
			    strcmp(tags[i], gw_line_formats[f]->name) == 0) ||
			    gw_line_formats[f]->match(lines[i], lens[i]);
		if (hits * 2 > n && hits > best_hits) {
			best = gw_line_formats[f];
			best_hits = hits;
		}
	}
	return best;
}

#define LINEPARSE_DEFAULT_CONF "/etc/nginx/nginx.conf"

/* How many of the sample lines lf parses; -1 when out of memory. */
static ssize_t
count_hits(struct logformat *lf, const char *const *lines,
    const size_t *lens, size_t n)
{
	struct arena *a = arena_new();
	ssize_t hits = 0;

	if (a == NULL)
		return -1;
	for (size_t i = 0; i < n && hits >= 0; i++) {
		struct gw_event ev;
		const char *reason;

		memset(&ev, 0, sizeof(ev));
		int rc = logformat_parse(lf, lines[i], lens[i], a, &ev,
		    &reason);
		hits = rc == LOGFORMAT_NOMEM ? -1 : hits + (rc == 0);
		arena_reset(a);
	}
	arena_free(a);
	return hits;
}

/*
 * No known format fits: try each log_format of the gateway's own
 * nginx.conf (o->nginx_conf, else the usual path when it is readable).
 * On success lp holds the compiled format and 1 is returned; 0 when none
 * fits more than half the sample; -1 when out of memory. (A log that
 * extends combined with fields of its own is still read by the clf format,
 * without those fields.)
 */
static int
detect_nginx_fallback(struct lineparse *lp, const struct lineparse_opts *o,
    const char *const *lines, const size_t *lens, size_t n)
{
	const char *conf = o->nginx_conf ? o->nginx_conf :
	    LINEPARSE_DEFAULT_CONF;
	char err[256], *names = NULL;
	size_t n_names = 0, best_hits = 0;

	bool oom = false;

	if (nginxconf_log_format_names(conf, &names, &n_names, err,
	    sizeof(err)) != 0)
		return strstr(err, "out of memory") != NULL ? -1 : 0;
	{
		const char *name = names;
		for (size_t i = 0; i < n_names && !oom;
		    i++, name += strlen(name) + 1) {
			char *text;
			struct logformat *lf;
			if (nginxconf_log_format(conf, name, &text, err,
			    sizeof(err)) != 0) {
				oom = strstr(err, "out of memory") != NULL;
				continue;
			}
			if (logformat_compile(text, o->tz_min, &lf, err,
			    sizeof(err)) != 0) {
				oom = strstr(err, "out of memory") != NULL;
			} else {
				ssize_t h = count_hits(lf, lines, lens, n);
				size_t hits = h > 0 ? (size_t)h : 0;
				oom = h < 0;
				if (!oom && hits * 2 > n && hits > best_hits) {
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
		if (oom) {
			logformat_free(lp->lf);
			lp->lf = NULL;
			return -1;
		}
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

/*
 * Decide the access parser from the n (peeled, non-error) lines: a
 * built-in nginx format, another registered format, or a log_format of
 * the gateway's nginx.conf. Returns 1 when one fits, 0 when none does,
 * -1 with err filled when a format fitted but could not be set up.
 */
static int
detect_access(struct lineparse *lp, const struct lineparse_opts *o,
    const char *const *lines, const size_t *lens, const char *const *tags,
    size_t n, char *err, size_t errlen)
{
	const char *builtin = NULL;
	enum detect_kind k;

	if (n == 0)
		return 0;
	k = detect_lines(lines, lens, n, &builtin);
	if (k == DETECT_NOMEM)
		goto nomem;
	if (k == DETECT_NGINX_ACCESS && builtin != NULL) {
		lp->format = builtin;
		if (compile(lp, logformat_builtin(builtin), builtin, o->tz_min,
		    err, errlen) != 0)
			return -1;
		return 1;
	}
	const struct line_format *other = detect_other(lines, lens, tags, n);
	if (other != NULL)
		return use_other(lp, other, o, err, errlen) == 0 ? 1 : -1;
	int rc = detect_nginx_fallback(lp, o, lines, lens, n);
	if (rc >= 0)
		return rc;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* The sample peeled: lines copied (the wrapper reuses its buffers). */
struct peeled {
	const char *lines[64];
	size_t lens[64];
	const char *tags[64];		/* syslog tag, NUL-terminated, or NULL */
	size_t n, n_error;
	char *store;
	unsigned layers;		/* most common wrapper layers */
};

/*
 * Peel the sample lines into pl, access lines first then error lines
 * (pl->n_error of them, at the end). Returns 0 or -1 on OOM.
 */
static int
peel_sample(struct wrapper *w, const char *const *lines, const size_t *lens,
    size_t n, struct peeled *pl)
{
	size_t total = 0, used = 0, n_acc = 0;
	const char *acc[64], *errl[64], *acc_tag[64];
	size_t acc_len[64], err_len[64];
	unsigned layer_v[64];
	size_t layer_n[64], n_layer = 0;

	memset(pl, 0, sizeof(*pl));
	if (n > 64)
		n = 64;
	for (size_t i = 0; i < n; i++)
		total += lens[i];
	total = 2 * total + n * (WRAP_TAG_KEEP + 1);	/* payloads + tags */
	if ((pl->store = gw_malloc(total + 1)) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct wrapped wr;
		enum wrap_result r = wrapper_peel(w, lines[i], lens[i], &wr);
		if (r == WRAP_NOMEM)
			return -1;
		if (r == WRAP_HELD || wr.len == 0)
			continue;
		if (wr.len > total - used - WRAP_TAG_KEEP - 1)	/* joined */
			wr.len = total - used - WRAP_TAG_KEEP - 1;
		memcpy(pl->store + used, wr.p, wr.len);
		size_t k;
		for (k = 0; k < n_layer && layer_v[k] != wr.layers; k++)
			;
		if (k == n_layer) {
			layer_v[n_layer] = wr.layers;
			layer_n[n_layer++] = 0;
		}
		layer_n[k]++;
		const char *tag = NULL;
		if (wr.tag != NULL && wr.tag_len <= WRAP_TAG_KEEP) {
			char *t = pl->store + used + wr.len;
			memcpy(t, wr.tag, wr.tag_len);
			t[wr.tag_len] = '\0';
			tag = t;
		}
		if (nginx_error_match(pl->store + used, wr.len)) {
			errl[pl->n_error] = pl->store + used;
			err_len[pl->n_error++] = wr.len;
		} else {
			acc[n_acc] = pl->store + used;
			acc_tag[n_acc] = tag;
			acc_len[n_acc++] = wr.len;
		}
		used += wr.len + (tag != NULL ? wr.tag_len + 1 : 0);
	}
	for (size_t i = 0; i < n_acc; i++) {
		pl->tags[pl->n] = acc_tag[i];
		pl->lines[pl->n] = acc[i];
		pl->lens[pl->n++] = acc_len[i];
	}
	for (size_t i = 0; i < pl->n_error; i++) {
		pl->lines[pl->n] = errl[i];
		pl->lens[pl->n++] = err_len[i];
	}
	size_t best = 0;
	for (size_t k = 0; k < n_layer; k++)
		if (layer_n[k] > best) {
			best = layer_n[k];
			pl->layers = layer_v[k];
		}
	return 0;
}

int
lineparse_new(const struct lineparse_opts *o, const char *const *lines,
    const size_t *lens, size_t n, struct lineparse **out, char *err,
    size_t errlen)
{
	struct lineparse *lp = gw_calloc(1, sizeof(*lp));
	struct peeled pl;
	int rc;

	memset(&pl, 0, sizeof(pl));
	if (lp == NULL || (lp->wrap = wrapper_new(LINEPARSE_JOIN_MAX)) == NULL)
		goto nomem;
	lp->o = *o;
	lp->late_tries = LINEPARSE_LATE_TRIES;
	lp->kind = DETECT_NGINX_ACCESS;
	{
		/* the sample's own peeler: partial records stay out of lp's */
		struct wrapper *sw = wrapper_new(LINEPARSE_JOIN_MAX);
		if (sw == NULL)
			goto nomem;
		rc = peel_sample(sw, lines, lens, n, &pl);
		wrapper_free(sw);
		if (rc != 0)
			goto nomem;
	}
	lp->wrap_layers = pl.layers;
	size_t n_acc = pl.n - pl.n_error;
	bool errors_rule = pl.n > 0 && pl.n_error * 2 > pl.n;

	bool forced = o->format != NULL && strcmp(o->format, "auto") != 0;
	if (forced && strcmp(o->format, "nginx-error") == 0) {
		lp->kind = DETECT_NGINX_ERROR;
		lp->format = "nginx-error";
		goto done;
	}
	if (forced && format_by_name(o->format) != NULL) {
		if (use_other(lp, format_by_name(o->format), o, err, errlen) != 0)
			goto fail;
		lp->has_access = true;
		goto done;
	}
	if (errors_rule)
		lp->kind = DETECT_NGINX_ERROR;
	if (o->log_format != NULL) {
		lp->format = "log_format";
		if (compile(lp, o->log_format, "--log-format", o->tz_min, err,
		    errlen) != 0)
			goto fail;
		lp->has_access = true;
		goto done;
	}
	if (forced) {
		const char *text = logformat_builtin(o->format);
		if (text == NULL) {
			snprintf(err, errlen, "unknown format '%s' (known: auto, "
			    "combined, upstream, nginx-error%s)", o->format,
			    gw_line_formats[0] ? ", and those of 'gatewatch "
			    "ingest --help'" : "");
			goto fail;
		}
		lp->format = o->format;
		if (compile(lp, text, o->format, o->tz_min, err, errlen) != 0)
			goto fail;
		lp->has_access = true;
		goto done;
	}
	if (pl.n == 0) {
		snprintf(err, errlen, "empty, nothing to recognise");
		goto fail;
	}
	rc = detect_access(lp, o, pl.lines, pl.lens, pl.tags, n_acc, err,
	    errlen);
	if (rc < 0)
		goto fail;
	if (rc == 1) {
		lp->has_access = true;
		goto done;
	}
	if (pl.n_error > 0 && (errors_rule || n_acc == 0)) {
		/* an error log; its access lines (if any) decided later */
		lp->kind = DETECT_NGINX_ERROR;
		goto done;
	}
	{
		/*
		 * Nothing of the content is shown: a file that is not a log
		 * may be anything (a secret put in its place), so only its
		 * shape is told.
		 */
		size_t bytes = 0;
		for (size_t i = 0; i < n; i++)
			bytes += lens[i] + 1;
		snprintf(err, errlen, "not a log format gatewatch knows "
		    "(give --format or --log-format); none of its first %zu "
		    "line%s (%zu bytes) matched, and no content is shown", n,
		    n == 1 ? "" : "s", bytes);
	}
	goto fail;
done:
	if (lp->format == NULL)
		lp->format = "nginx-error";
	free(pl.store);
	*out = lp;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	free(pl.store);
	lineparse_free(lp);
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
	wrapper_free(lp->wrap);
	free(lp);
}

const char *
lineparse_kind(const struct lineparse *lp)
{
	if (lp->other != NULL && lp->kind != DETECT_NGINX_ERROR)
		return lp->other->kind;
	return detect_kind_name(lp->kind);
}

const char *
lineparse_format(const struct lineparse *lp)
{
	return lp->format;
}

const char *
lineparse_wrapper(const struct lineparse *lp)
{
	return wrapper_name(lp->wrap_layers);
}

/*
 * An access line in an input that has no access parser yet (an error log
 * whose sample held no access line): decide one from this line, a bounded
 * number of times. True when lp has one now.
 */
static bool
late_detect(struct lineparse *lp, const char *line, size_t len)
{
	char err[256];
	const char *lines[1] = { line };
	size_t lens[1] = { len };

	if (lp->late_tries == 0)
		return false;
	lp->late_tries--;
	if (detect_access(lp, &lp->o, lines, lens, NULL, 1, err,
	    sizeof(err)) != 1)
		return false;
	lp->has_access = true;
	return true;
}

/* See lineparse.h. */
const struct wrapped *
lineparse_wrapped(const struct lineparse *lp)
{
	return &lp->w;
}

/* ev's origin: the host the line's wrapper named (syslog, journald). */
static int
set_origin(struct lineparse *lp, struct gw_batch *b, struct gw_event *ev)
{
	const struct wrapped *w = &lp->w;

	if (w->host == NULL || w->host_len == 0 || w->host_len > 255 ||
	    (w->host_len == 1 && w->host[0] == '-'))
		return 0;
	ev->origin = arena_strndup(b->arena, w->host, w->host_len);
	return ev->origin != NULL ? 0 : -1;
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
		goto reject;
	}
	switch (wrapper_peel(lp->wrap, line, len, &lp->w)) {
	case WRAP_NOMEM:
		return LP_NOMEM;
	case WRAP_HELD:
		return LP_HELD;
	case WRAP_TOO_LONG:
		*reason = "joined partial line too long";
		line = lp->w.p;
		len = lp->w.len;
		goto reject;
	case WRAP_LINE:
		break;
	}
	const char *p = lp->w.p;
	size_t n = lp->w.len;
	if (n == 0)
		return LP_BLANK;
	/* "2026/11/25 10:15:02 [": a cheap look before the full check */
	if (n > 20 && p[4] == '/' && p[7] == '/' && nginx_error_match(p, n)) {
		struct gw_gateway_error *ge = batch_add_error(b);
		if (ge == NULL)
			return LP_NOMEM;
		int rc = nginx_error_parse(p, n, b->arena, ge, reason);
		if (rc == 1) {
			ge->line_no = line_no;
			ge->offset = offset;
			return LP_ERROR;
		}
		b->n_errors--;
		if (rc == 0)
			return LP_NOTICE;
		if (rc == NGINX_ERROR_NOMEM)
			return LP_NOMEM;
	} else if (!lp->has_access && !late_detect(lp, p, n)) {
		*reason = lp->kind == DETECT_NGINX_ERROR ?
		    "not an nginx error-log line, and no access format fits" :
		    "unparsed";
	} else if (lp->other != NULL) {
		size_t had = b->n_events;
		enum format_result fr = lp->other->take(lp->other_state, b, p,
		    n, line_no, offset, reason);
		if (fr == FORMAT_NOMEM)
			return LP_NOMEM;
		if (fr == FORMAT_EVENT && b->n_events > had &&
		    set_origin(lp, b, &b->events[b->n_events - 1]) != 0)
			return LP_NOMEM;
		if (fr != FORMAT_REJECT)
			return (enum lineparse_result)fr;
	} else {
		struct gw_event *ev = batch_add_event(b);
		if (ev == NULL)
			return LP_NOMEM;
		int rc = logformat_parse(lp->lf, p, n, b->arena, ev, reason);
		if (rc == 0) {
			ev->line_no = line_no;
			ev->offset = offset;
			if (set_origin(lp, b, ev) != 0)
				return LP_NOMEM;
			return LP_EVENT;
		}
		b->n_events--;
		if (rc == LOGFORMAT_NOMEM)
			return LP_NOMEM;
	}
reject:
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

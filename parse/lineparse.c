/*
 * lineparse.c - format decision and per-line dispatch; see lineparse.h.
 *
 * Every line is first peeled of its transport wrapper (syslog, journald,
 * CRI, Docker, compose: parse/wrapper.h), then detect_line() decides per
 * line (rule 1 of parse/detect.h): a line of a per-line format (nginx's
 * error log) goes to it, any other to the input's access format. So
 * `docker logs` / `kubectl logs` streams, which interleave an access log
 * (stdout) and an error log (stderr), read as the two files would.
 *
 * The decision over the sample (its lines peeled too) is detect_sample()'s;
 * a --format or --log-format names the access format instead. When the
 * sample held only error lines the access format is decided from the first
 * access lines that come later, one at a time (a bounded number of tries).
 * Every format, nginx's included, is an entry of the registry
 * (parse/format.h), opened once here and handed each line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "parse/detect.h"
#include "parse/format.h"
#include "parse/lineparse.h"
#include "parse/wrapper.h"

#define LINEPARSE_JOIN_MAX	(1 << 20)	/* longest joined CRI line */
#define LINEPARSE_LATE_TRIES	64	/* late access-format detections */
#define WRAP_TAG_KEEP		32	/* longest sample tag kept */

#define LINEPARSE_DEFAULT_CONF "/etc/nginx/nginx.conf"

struct lineparse {
	const struct line_format *file;		/* what the input is (its kind) */
	const struct line_format *access;	/* NULL until decided */
	void *access_state;
	bool withholds;				/* access->withholds() */
	const char *format;			/* the name shown, or NULL */
	char format_buf[160];			/* "NAME from nginx.conf" */
	struct format_opts fo;			/* how access is opened */
	struct detect_opts det;			/* for a late detection */
	unsigned late_tries;			/* late detections left */
	struct wrapper *wrap;
	unsigned wrap_layers;			/* most common in the sample */
	struct wrapped w;			/* the line being parsed */
	/* where the join held per stream (wrapper_holding) began: the
	 * wrapper knows no offsets, so they are noted here */
	struct {
		bool on;
		uint64_t offset, line_no;
	} held[2];
};

/*
 * Open c's format as lp's access format: FORMAT_EVENT; FORMAT_REJECT with
 * err filled (what gave the text prefixed: --log-format's compile error);
 * FORMAT_NOMEM.
 */
static enum format_result
use_access(struct lineparse *lp, const struct detect_choice *c,
    const char *what, char *err, size_t errlen)
{
	struct format_opts fo = lp->fo;
	enum format_result why = FORMAT_NOMEM;
	char e[400];

	if (c->text != NULL)
		fo.log_format = c->text;
	if (c->format->open != NULL) {
		lp->access_state = c->format->open(&fo, &why, e, sizeof(e));
		if (lp->access_state == NULL && why == FORMAT_NOMEM)
			return FORMAT_NOMEM;
		if (lp->access_state == NULL) {
			if (what != NULL)
				snprintf(err, errlen, "%s: %s", what, e);
			else
				snprintf(err, errlen, "%s", e);
			return FORMAT_REJECT;
		}
	}
	lp->access = c->format;
	lp->withholds = c->format->withholds != NULL &&
	    c->format->withholds(lp->access_state);
	snprintf(lp->format_buf, sizeof(lp->format_buf), "%s", c->name);
	lp->format = lp->format_buf;
	return FORMAT_EVENT;
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

/* The sample peeled: lines copied (the wrapper reuses its buffers). */
struct peeled {
	const char *lines[64];
	size_t lens[64];
	const char *tags[64];		/* syslog tag, NUL-terminated, or NULL */
	size_t n;
	char *store;
	unsigned layers;		/* most common wrapper layers */
};

/*
 * Peel the sample lines into pl, leaving out empty and held ones. Returns
 * 0 or -1 on OOM.
 */
static int
peel_sample(struct wrapper *w, const char *const *lines, const size_t *lens,
    size_t n, struct peeled *pl)
{
	size_t total = 0, used = 0;
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
		pl->lines[pl->n] = pl->store + used;
		pl->lens[pl->n] = wr.len;
		pl->tags[pl->n++] = tag;
		used += wr.len + (tag != NULL ? wr.tag_len + 1 : 0);
	}
	size_t best = 0;
	for (size_t k = 0; k < n_layer; k++)
		if (layer_n[k] > best) {
			best = layer_n[k];
			pl->layers = layer_v[k];
		}
	return 0;
}

/*
 * The format the user named: --format NAME, or --log-format's text
 * (nginx_log_format), which stands for nginx's access log in place of a
 * --format naming one of nginx's built-in access formats. NULL for auto;
 * -1 with err filled for an unknown name.
 */
static int
forced_format(const struct lineparse_opts *o, const struct line_format **f,
    char *err, size_t errlen)
{
	bool named = o->format != NULL && strcmp(o->format, "auto") != 0;

	*f = named ? format_by_name(o->format) : NULL;
	if (o->log_format != NULL && (*f == NULL ||
	    strcmp((*f)->kind, nginx_log_format.kind) == 0))
		*f = &nginx_log_format;
	else if (named && *f == NULL) {
		snprintf(err, errlen, "unknown format '%s' (known: auto, "
		    "combined, upstream, nginx-error, and those of 'gatewatch "
		    "ingest --help')", o->format);
		return -1;
	}
	return 0;
}

int
lineparse_new(const struct lineparse_opts *o, const char *const *lines,
    const size_t *lens, size_t n, struct lineparse **out, char *err,
    size_t errlen)
{
	struct lineparse *lp = gw_calloc(1, sizeof(*lp));
	const struct line_format *forced;
	struct detect_result r;
	struct peeled pl;
	int rc;

	memset(&pl, 0, sizeof(pl));
	memset(&r, 0, sizeof(r));
	if (lp == NULL || (lp->wrap = wrapper_new(LINEPARSE_JOIN_MAX)) == NULL)
		goto nomem;
	lp->fo.tz_min = o->tz_min;
	lp->fo.haproxy_cfg = o->haproxy_cfg;
	lp->det.fo.tz_min = o->tz_min;
	lp->det.nginx_conf = o->nginx_conf ? o->nginx_conf :
	    LINEPARSE_DEFAULT_CONF;
	lp->late_tries = LINEPARSE_LATE_TRIES;
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
	if (forced_format(o, &forced, err, errlen) != 0)
		goto fail;
	if (forced != NULL && forced->per_line) {
		/* --format nginx-error: access lines decided as they come */
		lp->file = forced;
		goto done;
	}
	if (forced == NULL && pl.n == 0) {
		snprintf(err, errlen, "empty, nothing to recognise");
		goto fail;
	}
	if (detect_sample(pl.lines, pl.lens, pl.tags, pl.n, forced, &lp->det,
	    &r) != 0)
		goto nomem;
	if (r.access.format != NULL) {
		if (forced == &nginx_log_format)
			r.access.text = gw_strdup(o->log_format);
		if (forced == &nginx_log_format && r.access.text == NULL)
			goto nomem;
		switch (use_access(lp, &r.access, forced == &nginx_log_format ?
		    "--log-format" : NULL, err, errlen)) {
		case FORMAT_EVENT:
			break;
		case FORMAT_NOMEM:
			goto nomem;
		default:
			goto fail;
		}
	}
	lp->file = r.file;
	if (lp->file == NULL) {
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
		goto fail;
	}
done:
	free(r.access.text);
	free(pl.store);
	*out = lp;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	free(r.access.text);
	free(pl.store);
	lineparse_free(lp);
	return -1;
}

int
lineparse_open(const struct lineparse_opts *o, const unsigned char *head,
    size_t head_len, struct lineparse **out, size_t *n_sample, char *err,
    size_t errlen)
{
	const char *lines[LINEPARSE_SAMPLE_LINES];
	size_t lens[LINEPARSE_SAMPLE_LINES];

	*n_sample = lineparse_sample(head, head_len, lines, lens,
	    LINEPARSE_SAMPLE_LINES);
	return lineparse_new(o, lines, lens, *n_sample, out, err, errlen);
}

void
lineparse_free(struct lineparse *lp)
{
	if (lp == NULL)
		return;
	if (lp->access != NULL && lp->access->close != NULL)
		lp->access->close(lp->access_state);
	wrapper_free(lp->wrap);
	free(lp);
}

const char *
lineparse_kind(const struct lineparse *lp)
{
	return lp->file->kind;
}

const char *
lineparse_format(const struct lineparse *lp)
{
	return lp->format != NULL ? lp->format : lp->file->name;
}

const char *
lineparse_wrapper(const struct lineparse *lp)
{
	return wrapper_name(lp->wrap_layers);
}

/*
 * An access line in an input that has no access format yet (an error log
 * whose sample held no access line): decide one from this line, a bounded
 * number of times. 1 when lp has one now, 0 when not, -1 when out of
 * memory.
 */
static int
late_detect(struct lineparse *lp, const char *line, size_t len)
{
	char err[256];
	const char *lines[1] = { line };
	size_t lens[1] = { len };
	struct detect_choice c;
	int rc;

	if (lp->late_tries == 0)
		return 0;
	lp->late_tries--;
	rc = detect_access(lines, lens, NULL, 1, &lp->det, &c);
	/* a format that cannot be opened (an unreadable --haproxy-cfg)
	 * fits no better than none; out of memory stays that */
	if (rc == 1) {
		enum format_result r = use_access(lp, &c, NULL, err,
		    sizeof(err));

		rc = r == FORMAT_EVENT ? 1 : r == FORMAT_NOMEM ? -1 : 0;
	}
	if (rc < 0)	/* not a try: the next line tries again */
		lp->late_tries++;
	free(c.text);
	return rc;
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

/*
 * After a peel: note where a join that began with this line began. Only
 * a runtime's record (CRI, Docker) touches a join: other lines cost a test.
 */
static void
note_held(struct lineparse *lp, uint64_t line_no, uint64_t offset)
{
	int j = lp->w.stream == 2;

	if (!(lp->w.layers & (WRAP_CRI | WRAP_DOCKER)))
		return;
	if (!wrapper_holding(lp->wrap, j))
		lp->held[j].on = false;
	else if (!lp->held[j].on) {
		lp->held[j].on = true;
		lp->held[j].offset = offset;
		lp->held[j].line_no = line_no;
	}
}

/* See lineparse.h. */
bool
lineparse_held(const struct lineparse *lp, uint64_t *offset,
    uint64_t *line_no)
{
	int best = -1;

	for (int j = 0; j < 2; j++)
		if (lp->held[j].on && (best < 0 ||
		    lp->held[j].offset < lp->held[best].offset))
			best = j;
	if (best < 0)
		return false;
	*offset = lp->held[best].offset;
	*line_no = lp->held[best].line_no;
	return true;
}

/* See lineparse.h. */
int
lineparse_replay(struct lineparse *lp, const char *line, size_t len,
    bool truncated, uint64_t line_no, uint64_t offset)
{
	if (len == 0 || truncated)
		return 0;	/* as lineparse_take: never peeled */
	if (wrapper_peel(lp->wrap, line, len, &lp->w) == WRAP_NOMEM)
		return -1;
	note_held(lp, line_no, offset);
	return 0;
}

/* What a reject keeps of a line whose format logs cookies or credentials,
 * or that holds some (they are never stored); its line number and offset
 * still find it. */
static const char withheld[] = "[line withheld: its format logs cookies or "
    "credentials]";

/* See lineparse.h. */
int
lineparse_end(struct lineparse *lp, struct gw_batch *b)
{
	int n = 0;
	uint64_t off, line;

	while (lineparse_held(lp, &off, &line)) {
		int j = lp->held[1].on && lp->held[1].offset == off;
		const char *text = "";
		size_t len = 0;

		lp->held[j].on = false;
		if (!wrapper_end_join(lp->wrap, j, &text, &len))
			continue;
		if (lp->withholds) {
			text = withheld;
			len = sizeof(withheld) - 1;
		}
		if (batch_add_reject(b, line, off, LINEPARSE_ENDED_REASON, text,
		    len) != 0)
			return -1;
		n++;
	}
	return n;
}

/* See lineparse.h. */
int
lineparse_hand_over(struct lineparse *from, struct lineparse *to,
    uint64_t line_no, uint64_t offset)
{
	unsigned rt = from->wrap_layers & (WRAP_CRI | WRAP_DOCKER);
	int n = 0;

	if (rt == 0 || rt != (to->wrap_layers & (WRAP_CRI | WRAP_DOCKER)))
		return 0;
	for (int j = 0; j < 2; j++) {
		if (!from->held[j].on || !wrapper_hand_over(from->wrap,
		    to->wrap, j))
			continue;
		from->held[j].on = false;
		to->held[j].on = true;
		to->held[j].offset = offset;
		to->held[j].line_no = line_no;
		n++;
	}
	return n;
}

/* See lineparse.h. */
void
lineparse_set_batch_held(const struct lineparse *lp, struct gw_batch *b)
{
	uint64_t off, line;

	b->held_bytes = 0;
	b->held_lines = 0;
	if (!lineparse_held(lp, &off, &line) || off >= b->position ||
	    line > b->line_no)
		return;
	b->held_bytes = b->position - off;
	b->held_lines = b->line_no - (line - 1);
}

enum format_result
lineparse_take(struct lineparse *lp, struct gw_batch *b, const char *line,
    size_t len, bool truncated, uint64_t line_no, uint64_t offset,
    const char **reason)
{
	const struct line_format *f;
	void *st = NULL;

	*reason = NULL;
	if (len == 0)
		return FORMAT_BLANK;
	if (truncated) {
		*reason = "line too long";
		goto reject;
	}
	enum wrap_result wr = wrapper_peel(lp->wrap, line, len, &lp->w);
	if (wr != WRAP_NOMEM)
		note_held(lp, line_no, offset);
	switch (wr) {
	case WRAP_NOMEM:
		return FORMAT_NOMEM;
	case WRAP_HELD:
		return FORMAT_HELD;
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
		return FORMAT_BLANK;
	if ((f = detect_line(p, n)) == NULL) {
		if (lp->access == NULL) {
			int rc = late_detect(lp, p, n);
			if (rc < 0)
				return FORMAT_NOMEM;
			if (rc == 0) {
				*reason = lp->file->per_line ? "not an nginx "
				    "error-log line, and no access format fits" :
				    "unparsed";
				goto reject;
			}
		}
		f = lp->access;
		st = lp->access_state;
	}
	size_t had = b->n_events;
	enum format_result r = f->take(st, b, p, n, line_no, offset, reason);
	if (r == FORMAT_EVENT && b->n_events > had) {
		struct gw_event *ev = &b->events[b->n_events - 1];

		if (set_origin(lp, b, ev) != 0)
			return FORMAT_NOMEM;
		/* what the format did not work out of the strings it set
		 * (one that read the client's form set every length it
		 * knew); a take makes one event */
		if (ev->client_form == GW_CLIENT_UNSET)
			event_fill(ev);
	}
	if (r != FORMAT_REJECT)
		return r;
	if (f->line_withholds != NULL && f->line_withholds(st, p, n)) {
		line = withheld;
		len = sizeof(withheld) - 1;
	}
reject:
	if (*reason == NULL)
		*reason = "unparsed";
	/*
	 * A format that logs cookies or credentials: the line is not kept
	 * (they are never stored); its line number and byte offset still say
	 * where to find it.
	 */
	if (lp->withholds) {
		line = withheld;
		len = sizeof(withheld) - 1;
	}
	if (batch_add_reject(b, line_no, offset, *reason, line, len) != 0)
		return FORMAT_NOMEM;
	return FORMAT_REJECT;
}

/*
 * detect.c - the one detection loop; the rule is in detect.h.
 *
 * Each candidate is opened once per decision (for nginx's formats that
 * compiles the log_format; detection passes only the zone, so a registry
 * entry fails to open only for want of memory, a log_format of nginx.conf
 * also when it does not compile), counts the lines its match() takes and
 * is closed: the caller opens the winner with the user's options (a
 * --haproxy-cfg is read once, for the format that reads the file).
 * Out of memory anywhere (open, match, reading nginx.conf) ends the
 * decision as out of memory: it never makes a candidate lose.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "parse/detect.h"
#include "parse/nginxconf.h"

/* Length of a line without its trailing CR; 0 for a blank one. */
static size_t
detect_len(const char *line, size_t len)
{
	if (line == NULL)
		return 0;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	return len;
}

/*
 * See detect.h. Called for every line: the per-line formats open the
 * registry (formats.c), so the look ends at the first other format.
 */
const struct line_format *
detect_line(const char *line, size_t len)
{
	for (size_t f = 0; gw_line_formats[f] != NULL &&
	    gw_line_formats[f]->per_line; f++)
		if (gw_line_formats[f]->match(NULL, line, len) ==
		    FORMAT_EVENT)
			return gw_line_formats[f];
	return NULL;
}

/*
 * How many of the n lines format f (opened with fo) recognises: into
 * *hits with FORMAT_EVENT; FORMAT_REJECT when f cannot be opened with fo
 * (a log_format that does not compile); FORMAT_NOMEM. Blank lines are not
 * handed over.
 */
static enum format_result
detect_count(const struct line_format *f, const struct format_opts *fo,
    const char *const *lines, const size_t *lens, const char *const *tags,
    size_t n, size_t *hits)
{
	char err[256];
	enum format_result r = FORMAT_EVENT;
	void *st = NULL;

	*hits = 0;
	if (f->open != NULL) {
		enum format_result why = FORMAT_NOMEM;

		if ((st = f->open(fo, &why, err, sizeof(err))) == NULL)
			return why == FORMAT_NOMEM ? FORMAT_NOMEM :
			    FORMAT_REJECT;
	}
	for (size_t i = 0; i < n && r != FORMAT_NOMEM; i++) {
		size_t len = detect_len(lines[i], lens[i]);

		if (len == 0)
			continue;
		if (tags != NULL && tags[i] != NULL &&
		    strcmp(tags[i], f->name) == 0) {
			(*hits)++;
			continue;
		}
		if ((r = f->match(st, lines[i], len)) == FORMAT_EVENT)
			(*hits)++;
	}
	if (f->close != NULL)
		f->close(st);
	return r == FORMAT_NOMEM ? FORMAT_NOMEM : FORMAT_EVENT;
}

/*
 * The candidates after the registry: each log_format of nginx.conf at
 * conf, in file order; the first that takes more than half of the
 * nonblank lines fills c. Returns 1, 0 (none, or conf unreadable) or -1
 * when out of memory.
 */
static int
detect_conf(const char *conf, const char *const *lines, const size_t *lens,
    size_t n, size_t nonblank, const struct detect_opts *o,
    struct detect_choice *c)
{
	char err[256], *names = NULL;
	size_t n_names = 0;
	const char *name;
	int rc;

	rc = nginxconf_log_format_names(conf, &names, &n_names, err,
	    sizeof(err));
	if (rc != 0)
		return rc == NGINXCONF_NOMEM ? -1 : 0;
	name = names;
	for (size_t i = 0; i < n_names && rc == 0;
	    i++, name += strlen(name) + 1) {
		struct format_opts fo = o->fo;
		enum format_result r;
		char *text;
		size_t hits;

		rc = nginxconf_log_format(conf, name, &text, err, sizeof(err));
		if (rc != 0) {
			rc = rc == NGINXCONF_NOMEM ? -1 : 0;
			continue;
		}
		fo.log_format = text;
		/* a format that does not compile is no candidate */
		r = detect_count(&nginx_log_format, &fo, lines, lens, NULL, n,
		    &hits);
		if (r == FORMAT_NOMEM)
			rc = -1;
		if (r == FORMAT_EVENT && hits * 2 > nonblank) {
			c->format = &nginx_log_format;
			c->text = text;
			snprintf(c->name, sizeof(c->name), "%s from %s", name,
			    conf);
			rc = 1;
		} else {
			free(text);
		}
	}
	free(names);
	return rc;
}

/* See detect.h. */
int
detect_access(const char *const *lines, const size_t *lens,
    const char *const *tags, size_t n, const struct detect_opts *o,
    struct detect_choice *c)
{
	size_t nonblank = 0;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < n; i++)
		nonblank += detect_len(lines[i], lens[i]) > 0;
	if (nonblank == 0)
		return 0;
	for (size_t f = 0; gw_line_formats[f] != NULL; f++) {
		const struct line_format *lf = gw_line_formats[f];
		enum format_result r;
		size_t hits;

		if (lf->per_line)
			continue;
		r = detect_count(lf, &o->fo, lines, lens, tags, n, &hits);
		if (r == FORMAT_NOMEM)
			return -1;
		if (r == FORMAT_EVENT && hits * 2 > nonblank) {
			c->format = lf;
			snprintf(c->name, sizeof(c->name), "%s", lf->name);
			return 1;
		}
	}
	if (o->nginx_conf != NULL)
		return detect_conf(o->nginx_conf, lines, lens, n, nonblank, o,
		    c);
	return 0;
}

/* See detect.h. */
int
detect_sample(const char *const *lines, const size_t *lens,
    const char *const *tags, size_t n, const struct line_format *forced,
    const struct detect_opts *o, struct detect_result *r)
{
	const char **rest = NULL, **rest_tags = NULL;
	size_t *rest_lens = NULL, n_rest = 0;
	const struct line_format *seen[8];
	size_t seen_n[8], n_seen = 0, best = 0;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (n > 0) {
		rest = gw_calloc(n, sizeof(*rest));
		rest_tags = gw_calloc(n, sizeof(*rest_tags));
		rest_lens = gw_calloc(n, sizeof(*rest_lens));
		if (rest == NULL || rest_tags == NULL || rest_lens == NULL) {
			rc = -1;
			goto out;
		}
	}
	for (size_t i = 0; lines != NULL && lens != NULL && i < n; i++) {
		size_t len = detect_len(lines[i], lens[i]);
		const struct line_format *pf;
		size_t k;

		if (len == 0)
			continue;
		r->lines++;
		if ((pf = detect_line(lines[i], len)) == NULL) {
			rest[n_rest] = lines[i];
			rest_lens[n_rest] = len;
			rest_tags[n_rest++] = tags != NULL ? tags[i] : NULL;
			continue;
		}
		r->per_line_lines++;
		for (k = 0; k < n_seen && seen[k] != pf; k++)
			;
		if (k == n_seen && n_seen < sizeof(seen) / sizeof(seen[0])) {
			seen[n_seen] = pf;
			seen_n[n_seen++] = 0;
		}
		if (k < n_seen && ++seen_n[k] > best) {
			best = seen_n[k];
			r->per_line = pf;
		}
	}
	if (forced != NULL) {
		r->access.format = forced;
		snprintf(r->access.name, sizeof(r->access.name), "%s",
		    forced->name);
	} else if (detect_access(rest, rest_lens, rest_tags, n_rest, o,
	    &r->access) < 0) {
		rc = -1;
		goto out;
	}
	if (r->per_line != NULL && r->per_line_lines * 2 > r->lines)
		r->file = r->per_line;
	else
		r->file = r->access.format;
out:
	free(rest);
	free(rest_tags);
	free(rest_lens);
	return rc;
}

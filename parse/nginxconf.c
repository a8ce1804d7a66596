/*
 * nginxconf.c - log_format directives read from nginx.conf; see nginxconf.h.
 *
 * Tokens are read as ngx_conf_read_token does (white space, # comments,
 * quotes with backslash escapes); `include` is followed relative to the
 * main file's folder, with globs, to CONF_DEPTH levels; no file larger
 * than CONF_SIZE_MAX is read.
 */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/textbuf.h"
#include "parse/nginxconf.h"

/* Include depth followed. */
#define CONF_DEPTH		16
#define CONF_SIZE_MAX	(16 * 1024 * 1024)

static void
conf_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fill err (if any) with a formatted message. */
static void
conf_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A token of nginx.conf: raw text (quotes kept) or one of ; { }. */
struct conf_tok {
	const char *p;
	size_t len;
};

/* What a search through nginx.conf and its includes carries. */
struct conf_search {
	const char *name;	/* the log_format wanted; NULL: list them */
	struct textbuf names;	/* listing: each name NUL-terminated */
	size_t n_names;
	char dir[PATH_MAX];	/* the main file's directory, for includes */
	struct textbuf out;	/* the format text, once found */
	bool found;
	char missing[PATH_MAX];	/* first include that was not read */
};

/*
 * The next token at *pp (before end): skips white space and # comments as
 * ngx_conf_read_token does. Returns 1 with a token, 0 at the end, -1 on an
 * unterminated quote.
 */
static int
conf_next(const char **pp, const char *end, struct conf_tok *t)
{
	const char *p = *pp;

	for (;;) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p < end && *p == '#') {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		break;
	}
	if (p == end) {
		*pp = p;
		return 0;
	}
	t->p = p;
	if (*p == ';' || *p == '{' || *p == '}') {
		p++;
	} else if (*p == '"' || *p == '\'') {
		char q = *p++;
		while (p < end && *p != q) {
			if (*p == '\\' && end - p >= 2)
				p++;
			p++;
		}
		if (p == end)
			return -1;
		p++;
	} else {
		while (p < end && !isspace((unsigned char)*p) && *p != ';' &&
		    *p != '{' && *p != '}') {
			if (*p == '\\' && end - p >= 2) {
				p += 2;
				continue;
			}
			if (*p == '$' && end - p >= 2 && p[1] == '{') {
				p += 2;
				while (p < end && *p != '}' &&
				    !isspace((unsigned char)*p))
					p++;
				if (p < end && *p == '}')
					p++;
				continue;
			}
			p++;
		}
	}
	t->len = (size_t)(p - t->p);
	*pp = p;
	return 1;
}

/* Token t without its quotes into buf (size n); false when too long. */
static bool
conf_unquote(const struct conf_tok *t, char *buf, size_t n)
{
	const char *s = t->p;
	size_t len = t->len;

	if (len >= 2 && (s[0] == '"' || s[0] == '\'') && s[len - 1] == s[0]) {
		s++;
		len -= 2;
	}
	if (len >= n)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return true;
}

/* Read the whole file at path (malloc'd, NUL-terminated); NULL on error. */
static char *
conf_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			if (cap > CONF_SIZE_MAX + 8192 ||
			    (nb = gw_realloc(buf, cap)) == NULL) {
				free(buf);
				fclose(f);
				errno = cap > CONF_SIZE_MAX + 8192 ? EFBIG :
				    ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int conf_scan_file(struct conf_search *s, const char *path,
    int depth, char *err, size_t errlen);

/* Follow `include pattern;` (relative to the main file's directory). */
static int
conf_include(struct conf_search *s, const struct conf_tok *arg, int depth,
    char *err, size_t errlen)
{
	char pat[PATH_MAX], full[PATH_MAX];
	glob_t g;
	size_t i;
	int rc = 0;

	if (!conf_unquote(arg, pat, sizeof(pat)))
		return 0;
	if (pat[0] == '/')
		snprintf(full, sizeof(full), "%s", pat);
	else if ((size_t)snprintf(full, sizeof(full), "%s/%s", s->dir, pat) >=
	    sizeof(full))
		return 0;
	if ((rc = glob(full, 0, NULL, &g)) == GLOB_NOSPACE) {
		conf_err(err, errlen, "out of memory");
		return NGINXCONF_NOMEM;
	}
	if (rc != 0) {
		if (s->missing[0] == '\0' && strpbrk(pat, "*?[") == NULL)
			snprintf(s->missing, sizeof(s->missing), "%s", full);
		return 0;
	}
	for (i = 0; i < g.gl_pathc && !s->found && rc == 0; i++)
		rc = conf_scan_file(s, g.gl_pathv[i], depth + 1, err, errlen);
	globfree(&g);
	return rc;
}

/*
 * Scan the conf text buf for the wanted log_format, following includes.
 * Returns 0 (s->found tells) or -1 with err filled.
 */
static int
conf_scan(struct conf_search *s, const char *buf, size_t len,
    const char *path, int depth, char *err, size_t errlen)
{
	const char *p = buf, *end = buf + len;
	struct conf_tok t, first = { 0 }, second = { 0 };
	size_t ntok = 0;
	bool want = false;
	char name[256];
	int rc;

	while ((rc = conf_next(&p, end, &t)) > 0) {
		if (t.len == 1 && (*t.p == '{' || *t.p == '}')) {
			ntok = 0;
			want = false;
			continue;
		}
		if (t.len == 1 && *t.p == ';') {
			if (want) {
				s->found = true;
				return 0;
			}
			if (ntok == 2 && first.len == 7 &&
			    memcmp(first.p, "include", 7) == 0 &&
			    (rc = conf_include(s, &second, depth, err,
			    errlen)) < 0)
				return rc;
			if (s->found)
				return 0;
			ntok = 0;
			continue;
		}
		if (ntok == 0)
			first = t;
		else if (ntok == 1) {
			second = t;
			want = first.len == 10 &&
			    memcmp(first.p, "log_format", 10) == 0 &&
			    conf_unquote(&t, name, sizeof(name));
			if (want && s->name == NULL) {
				/* Listing: remember the name, read on. */
				textbuf_add(&s->names, name, strlen(name) + 1);
				s->n_names++;
				want = false;
			} else if (want) {
				want = strcmp(name, s->name) == 0;
			}
			if (want)
				s->out.len = 0;
		} else if (want) {
			if (s->out.len > 0)
				textbuf_add(&s->out, " ", 1);
			textbuf_add(&s->out, t.p, t.len);
		}
		ntok++;
	}
	if (rc < 0) {
		conf_err(err, errlen, "%s: unterminated quote", path);
		return -1;
	}
	if (want) {
		conf_err(err, errlen, "%s: log_format %s has no ';'", path,
		    s->name);
		return -1;
	}
	return 0;
}

/* The directory of path into dir (for relative includes). */
static void
conf_dir(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, size, ".");
	else if (slash == path)
		snprintf(dir, size, "/");
	else
		snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

/* Scan the file at path (see conf_scan); depth counts includes. */
static int
conf_scan_file(struct conf_search *s, const char *path, int depth,
    char *err, size_t errlen)
{
	char *buf;
	size_t len = 0;
	int rc;

	if (depth > CONF_DEPTH) {
		conf_err(err, errlen, "%s: includes nested too deep", path);
		return -1;
	}
	buf = conf_read_file(path, &len);
	if (buf == NULL && errno == ENOMEM) {
		conf_err(err, errlen, "out of memory");
		return NGINXCONF_NOMEM;
	}
	if (buf == NULL) {
		if (depth == 0) {
			conf_err(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (s->missing[0] == '\0')
			snprintf(s->missing, sizeof(s->missing), "%s", path);
		return 0;
	}
	rc = conf_scan(s, buf, len, path, depth, err, errlen);
	free(buf);
	return rc;
}

int
nginxconf_log_format(const char *path, const char *name, char **text,
    char *err, size_t errlen)
{
	struct conf_search s;
	int rc;

	*text = NULL;
	memset(&s, 0, sizeof(s));
	s.name = name;
	conf_dir(path, s.dir, sizeof(s.dir));
	if ((rc = conf_scan_file(&s, path, 0, err, errlen)) < 0) {
		free(s.out.p);
		return rc;
	}
	if (!s.found) {
		if (s.missing[0] != '\0')
			conf_err(err, errlen, "%s: no log_format %s (could not "
			    "read include %s)", path, name, s.missing);
		else
			conf_err(err, errlen, "%s: no log_format %s", path, name);
		free(s.out.p);
		return -1;
	}
	if (s.out.oom) {
		conf_err(err, errlen, "out of memory");
		free(s.out.p);
		return NGINXCONF_NOMEM;
	}
	if (s.out.p == NULL) {
		conf_err(err, errlen, "%s: log_format %s is empty", path, name);
		return -1;
	}
	*text = s.out.p;
	return 0;
}

/* See nginxconf.h. */
int
nginxconf_log_format_names(const char *path, char **names, size_t *n, char *err,
    size_t errlen)
{
	struct conf_search s;
	int rc;

	*names = NULL;
	*n = 0;
	memset(&s, 0, sizeof(s));
	conf_dir(path, s.dir, sizeof(s.dir));
	if ((rc = conf_scan_file(&s, path, 0, err, errlen)) < 0) {
		free(s.names.p);
		return rc;
	}
	if (s.names.oom) {
		free(s.names.p);
		conf_err(err, errlen, "out of memory");
		return NGINXCONF_NOMEM;
	}
	*names = s.names.p;
	*n = s.n_names;
	return 0;
}

/*
 * logsource.c - opening a log source the one way `ingest` and `tail`
 * share; see logsource.h.
 *
 * The source's format in the store is the user's log_format text when one
 * was given (the same text later finds the same source), else the name of
 * the format detection chose. The fingerprint is the content's first
 * bytes, at most STORE_FINGERPRINT_LEN.
 */
#include <stdio.h>
#include <string.h>

#include "cli/logsource.h"
#include "core/safe.h"

/* See logsource.h. */
int
logsource_open(const struct formatopts *fo, const char *path,
    const unsigned char *head, size_t head_len, struct lineparse **lp,
    struct store_source_info *si, size_t *n_sample, char *err,
    size_t errlen)
{
	memset(si, 0, sizeof(*si));
	*lp = NULL;
	if (lineparse_open(&fo->lp, head, head_len, lp, n_sample, err,
	    errlen) != 0) {
		*lp = NULL;
		return -1;
	}
	logsource_info(fo, *lp, path, head, head_len, si);
	return 0;
}

/* See logsource.h. */
void
logsource_info(const struct formatopts *fo, const struct lineparse *lp,
    const char *path, const unsigned char *head, size_t head_len,
    struct store_source_info *si)
{
	si->path = path;
	si->kind = lineparse_kind(lp);
	si->format = fo->lp.log_format ? fo->lp.log_format :
	    lineparse_format(lp);
	si->fingerprint = head;
	si->fingerprint_len = head_len < STORE_FINGERPRINT_LEN ? head_len :
	    STORE_FINGERPRINT_LEN;
}

/* See logsource.h. */
void
logsource_kind_change(const char *was, const char *now, char *buf, size_t n)
{
	char w[64], k[64];

	/* was comes from the database (shared with a group, or copied from
	 * elsewhere), not from this build: escaped before the terminal */
	safe_text(w, sizeof(w), was, strlen(was));
	safe_text(k, sizeof(k), now, strlen(now));
	snprintf(buf, n, "read before as %s, recognised as %s now: the same "
	    "file, resumed where it stopped; its stored lines are kept as they "
	    "are", w, k);
}

/* See logsource.h. */
void
logsource_describe(const struct lineparse *lp, char *buf, size_t n)
{
	const char *wrapper = lineparse_wrapper(lp);

	snprintf(buf, n, "%s, format %s%s%s", lineparse_kind(lp),
	    lineparse_format(lp), wrapper ? ", wrapped in " : "",
	    wrapper ? wrapper : "");
}

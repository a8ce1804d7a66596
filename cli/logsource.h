/*
 * logsource.h - how `ingest` and `tail` open a log source: the format
 * decided from its first bytes (parse/lineparse.h, with the user's
 * --format / --log-format / --nginx-conf options) and its description for
 * the store (struct store_source_info: kind, format, fingerprint).
 */
#ifndef GW_LOGSOURCE_H
#define GW_LOGSOURCE_H

#include <stddef.h>

#include "cli/formatopts.h"
#include "parse/lineparse.h"
#include "store/store.h"

/*
 * Decide what the content at path whose first head_len bytes are head is.
 * Returns 0 with *lp (free with lineparse_free) and *si filled (path,
 * kind, format, fingerprint; dev and ino are the caller's, set to 0 here);
 * -1 with err filled when its format is not known or memory ran out,
 * *n_sample then saying how many lines were looked at (fewer than
 * LINEPARSE_SAMPLE_LINES: more lines may settle it). si points into head,
 * fo and *lp.
 */
int logsource_open(const struct formatopts *fo, const char *path,
    const unsigned char *head, size_t head_len, struct lineparse **lp,
    struct store_source_info *si, size_t *n_sample, char *err,
    size_t errlen);

/* si for lp, as logsource_open fills it. */
void logsource_info(const struct formatopts *fo, const struct lineparse *lp,
    const char *path, const unsigned char *head, size_t head_len,
    struct store_source_info *si);

/* "KIND, format NAME[, wrapped in WRAPPER]" of lp into buf. */
void logsource_describe(const struct lineparse *lp, char *buf, size_t n);

/*
 * What to tell the user when a content read before was detected as
 * another kind than now (store_source_open's kind_was, not ""): it stays
 * the same source, resumed, nothing stored again. Into buf.
 */
void logsource_kind_change(const char *was, const char *now, char *buf,
    size_t n);

#endif

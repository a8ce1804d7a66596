/*
 * lineparse.h - one parser for one input, whatever its format.
 *
 * Decides from a file's first lines (parse/detect.h, or the user's
 * --format / --log-format) what the input is, then turns each line into the
 * records of a batch: a request, a gateway error-log line, nothing (a
 * notice or a blank line), or a reject with its reason. `ingest` and `tail`
 * both open inputs through lineparse_open and read lines through
 * lineparse_take, so a line means the same whichever way it arrives.
 */
#ifndef GW_LINEPARSE_H
#define GW_LINEPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/batch.h"
#include "parse/format.h"
#include "parse/wrapper.h"

struct lineparse_opts {
	const char *format;	/* NULL or "auto", or a format name */
	const char *log_format;	/* user's nginx log_format text, or NULL */
	int tz_min;		/* zone for times that carry none */
	const char *haproxy_cfg;	/* --haproxy-cfg, or NULL */
	const char *nginx_conf;	/* whose log_formats to try when no known
				 * format fits; NULL: /etc/nginx/nginx.conf */
};

struct lineparse;

/*
 * A parser for an input whose first lines are lines[0..n). Returns 0, or -1
 * with err filled: the format is unknown (err tells how many lines and
 * bytes were looked at, never their content: an unrecognised file may be
 * a secret), or n is 0 and no format was forced (err says "empty").
 * Free with lineparse_free().
 */
int lineparse_new(const struct lineparse_opts *o, const char *const *lines,
    const size_t *lens, size_t n, struct lineparse **out, char *err,
    size_t errlen);
void lineparse_free(struct lineparse *lp);

/* "nginx_access", "nginx_error", ... (stored as the source's kind). */
const char *lineparse_kind(const struct lineparse *lp);

/* "upstream", "combined", "log_format", "nginx-error", ... */
const char *lineparse_format(const struct lineparse *lp);

/* The transport most sample lines came in ("syslog", "cri", "docker",
 * "journald", "compose", "rfc5424"), or NULL for plain lines. */
const char *lineparse_wrapper(const struct lineparse *lp);

/* The last line taken as peeled (its wrapper's host, stream...); valid
 * until the next lineparse_take(). */
const struct wrapped *lineparse_wrapped(const struct lineparse *lp);

/*
 * Parse one line (len bytes, no newline; truncated = it was cut at the
 * reader's limit) into b, stamping records with line_no and offset. The
 * line is peeled of its transport wrapper first (parse/wrapper.h), then
 * goes to the per-line format that recognises it (nginx's error log; rule
 * 1 of parse/detect.h), else to the input's access format. Returns what
 * it became (parse/format.h): FORMAT_BLANK for an empty line, FORMAT_HELD
 * for a partial record, FORMAT_REJECT after the line was added to b's
 * rejects, FORMAT_NOMEM when out of memory (b is then to be dropped).
 */
enum format_result lineparse_take(struct lineparse *lp, struct gw_batch *b,
    const char *line, size_t len, bool truncated, uint64_t line_no,
    uint64_t offset, const char **reason);

/*
 * Resuming in the middle of a join. CRI "P" records and Docker records
 * without "\n" are held (FORMAT_HELD) until the record that ends their line;
 * a run that stops between them has passed the held chunks, so the next
 * one must read again from the first of them to join the line whole. Lines
 * of the other stream in between were already taken: they are replayed
 * (lineparse_replay: peeled, so the joins are rebuilt, never parsed or
 * counted), and from the stored position on taken as usual.
 *
 * lineparse_held: true with the byte offset and line number (as given to
 * lineparse_take) of the first chunk of the earliest join still held.
 * lineparse_replay: peel a line already taken by an earlier run; 0, or -1
 * when out of memory. lineparse_set_batch_held: set b->held_bytes and
 * b->held_lines from lineparse_held against b->position and b->line_no.
 */
bool lineparse_held(const struct lineparse *lp, uint64_t *offset,
    uint64_t *line_no);
int lineparse_replay(struct lineparse *lp, const char *line, size_t len,
    bool truncated, uint64_t line_no, uint64_t offset);
void lineparse_set_batch_held(const struct lineparse *lp, struct gw_batch *b);

/*
 * The input is done (a file rotated away or no longer written, read to
 * its end):
 * each join still held can never end, so it becomes one reject
 * (LINEPARSE_ENDED_REASON) in b with the text joined so far, at the line
 * and offset of its first chunk, in the order they began. Returns how
 * many, or -1 when out of memory.
 */
int lineparse_end(struct lineparse *lp, struct gw_batch *b);

/*
 * The runtime reopened its file mid-line (rotation): the joins from still
 * holds, of a wrapper to reads too, continue in to, as if they had begun
 * at line_no / offset of to's input (where a restart would read to again
 * from). Returns how many moved (0 when the wrappers differ).
 */
int lineparse_hand_over(struct lineparse *from, struct lineparse *to,
    uint64_t line_no, uint64_t offset);
#define LINEPARSE_ENDED_REASON	"partial record never ended"

/*
 * Most bytes read again to rebuild a held join on resume: a joined line is
 * at most LINEPARSE_JOIN_MAX (1 MiB) of payload, but its records carry
 * wrapper bytes (a Docker record may escape each byte as \u00XX) and the
 * other stream's lines come in between. A stored rewind farther back than
 * this is dropped, its chunk counted as a reject (LINEPARSE_CUT_REASON).
 */
#define LINEPARSE_REWIND_MAX	((uint64_t)16 << 20)
#define LINEPARSE_CUT_REASON	"partial record cut by a restart"

/*
 * Split the first n bytes of an input into at most max lines for
 * lineparse_new (a cut last line is left out). Returns the count.
 */
size_t lineparse_sample(const unsigned char *head, size_t n,
    const char **lines, size_t *lens, size_t max);

/* Lines of the sample lineparse_open decides from. */
#define LINEPARSE_SAMPLE_LINES	32

/*
 * A parser for an input whose first head_len bytes are head (sampled with
 * lineparse_sample, then lineparse_new). Returns 0; -1 with err filled
 * when the format is not known, *n_sample then telling how many lines were
 * looked at (fewer than LINEPARSE_SAMPLE_LINES: more may settle it).
 */
int lineparse_open(const struct lineparse_opts *o, const unsigned char *head,
    size_t head_len, struct lineparse **out, size_t *n_sample, char *err,
    size_t errlen);

#endif

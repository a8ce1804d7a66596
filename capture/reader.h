/*
 * reader.h - lines from a file, a .gz file or stdin.
 *
 * Reads through zlib's gz* functions, which pass uncompressed input through
 * unchanged, so plain files, gzip files (rotated access.log.2.gz) and a
 * gzipped stdin all read alike. Lines are handed out as pointers into the
 * reader's buffer with their length and byte offset (in the uncompressed
 * stream), valid until the next call. Memory is bounded: a line longer than
 * READER_LINE_MAX is returned cut, flagged, and the rest of it skipped.
 */
#ifndef GW_READER_H
#define GW_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define READER_LINE_MAX (256 * 1024)

struct reader;

/* Flags of one line from reader_next(). */
#define READER_TRUNCATED	0x1	/* longer than READER_LINE_MAX, cut */
#define READER_NO_NEWLINE	0x2	/* last line of the input, no '\n' */

struct reader_line {
	const char *p;		/* not NUL-terminated; no '\n' nor final '\r' */
	size_t len;
	uint64_t offset;	/* of the first byte of the line */
	uint64_t next;		/* offset just after the line and its newline */
	int flags;
};

/*
 * Open path ("-" = stdin) for reading. Fails with a message naming the
 * path (escaped, core/safe.h) for a missing, unreadable or non-regular file
 * (directories are refused; FIFOs and stdin are fine). The file is opened
 * under capture/logopen.h's rules (no symlink, one name, a known owner):
 * -2 when they refuse it, -1 on other failures. Free with reader_close().
 */
int reader_open(const char *path, struct reader **out, char *err,
    size_t errlen);

/* The same with logopen.h's flags (LOGOPEN_TRUST: --follow-symlinks). */
int reader_open_with(const char *path, unsigned open_flags,
    struct reader **out, char *err, size_t errlen);
void reader_close(struct reader *r);

/* Device and inode of the opened file (0 for stdin and pipes). */
void reader_identity(const struct reader *r, uint64_t *dev, uint64_t *ino);

/*
 * The modification time of a regular file as it was when opened, for
 * telling a file being written from one left alone; false for pipes,
 * stdin and compressed input.
 */
bool reader_mtime(const struct reader *r, struct timespec *mtime);

/* True when the input is gzip-compressed. */
bool reader_is_gzip(const struct reader *r);

/*
 * The first bytes of the (uncompressed) content, up to max, without
 * consuming them; used for detection and fingerprints. Only valid before
 * the first reader_next() or reader_skip().
 */
int reader_head(struct reader *r, const unsigned char **p, size_t *n,
    size_t max);

/*
 * Skip to offset (a position stored by an earlier run). Returns 0, or -1
 * when the input is shorter than offset (it was truncated or replaced).
 */
int reader_skip(struct reader *r, uint64_t offset, char *err, size_t errlen);

/* Next line: 1 with *line filled, 0 at end of input, -1 on a read error. */
int reader_next(struct reader *r, struct reader_line *line, char *err,
    size_t errlen);

/* Bytes of input consumed so far (uncompressed). */
uint64_t reader_offset(const struct reader *r);

#endif

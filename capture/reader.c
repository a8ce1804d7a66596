/*
 * reader.c - buffered line reader over zlib; see reader.h.
 *
 * One buffer of READER_BUF bytes; lines are found with memchr and handed out
 * in place. When a line straddles the end of the buffer, the tail is moved to
 * the front and the buffer refilled. A line that does not fit in
 * READER_LINE_MAX is returned cut and the reader then discards input up to
 * the next newline, so memory never depends on the input.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/alloc.h"
#include "capture/logopen.h"
#include "capture/reader.h"
#include "core/safe.h"

#define READER_BUF (1024 * 1024)

struct reader {
	gzFile gz;
	char path[256];
	uint64_t dev, ino;
	struct timespec mtime;	/* regular files */
	bool regular;
	bool gzip;
	bool eof;
	bool started;		/* a line was taken: head no longer valid */
	char *buf;
	char *cut;		/* copy of a cut line, READER_LINE_MAX bytes */
	size_t start;		/* first unconsumed byte */
	size_t end;		/* one past the last valid byte */
	uint64_t base;		/* stream offset of buf[0] */
};

/* See reader.h. */
int
reader_open(const char *path, struct reader **out, char *err, size_t errlen)
{
	return reader_open_with(path, LOGOPEN_FIFO, out, err, errlen);
}

/* See reader.h. */
int
reader_open_with(const char *path, unsigned open_flags, struct reader **out,
    char *err, size_t errlen)
{
	char shown[sizeof(((struct reader *)0)->path)], why[256];
	int fd;
	struct stat st;

	safe_text(shown, sizeof(shown), path, strlen(path));
	if (strcmp(path, "-") == 0) {
		fd = dup(STDIN_FILENO);
		if (fd < 0 || fstat(fd, &st) != 0) {
			snprintf(err, errlen, "%s: %s", shown, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
	} else if ((fd = logopen(path, O_RDONLY, open_flags | LOGOPEN_FIFO,
	    &st, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "%s: %s", shown, why);
		return fd == LOGOPEN_REFUSED ? -2 : -1;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory", shown);
		close(fd);
		return -1;
	}
	struct reader *r = gw_calloc(1, sizeof(*r));
	if (r == NULL || (r->buf = gw_malloc(READER_BUF)) == NULL) {
		free(r);
		close(fd);
		snprintf(err, errlen, "%s: out of memory", shown);
		return -1;
	}
	snprintf(r->path, sizeof(r->path), "%s", shown);
	if (S_ISREG(st.st_mode)) {
		r->dev = (uint64_t)st.st_dev;
		r->ino = (uint64_t)st.st_ino;
		r->mtime = st.st_mtim;
		r->regular = true;
	}
	r->gz = gzdopen(fd, "rb");
	if (r->gz == NULL) {
		snprintf(err, errlen, "%s: cannot open for reading", shown);
		close(fd);
		free(r->buf);
		free(r);
		return -1;
	}
	gzbuffer(r->gz, 256 * 1024);
	*out = r;
	return 0;
}

void
reader_close(struct reader *r)
{
	if (r == NULL)
		return;
	gzclose(r->gz);
	free(r->cut);
	free(r->buf);
	free(r);
}

void
reader_identity(const struct reader *r, uint64_t *dev, uint64_t *ino)
{
	*dev = r->dev;
	*ino = r->ino;
}

bool
reader_mtime(const struct reader *r, struct timespec *mtime)
{
	if (!r->regular || r->gzip)
		return false;
	*mtime = r->mtime;
	return true;
}

bool
reader_is_gzip(const struct reader *r)
{
	return r->gzip;
}

/*
 * Move unconsumed bytes to the front and read more. Returns bytes read,
 * 0 at end of input, -1 on error.
 */
static int
fill(struct reader *r, char *err, size_t errlen)
{
	if (r->eof)
		return 0;
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->base += r->start;
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == READER_BUF)
		return 0;
	int n = gzread(r->gz, r->buf + r->end, (unsigned)(READER_BUF - r->end));
	if (n < 0) {
		int zerr;
		const char *msg = gzerror(r->gz, &zerr);
		snprintf(err, errlen, "%s: read error at byte %llu: %s", r->path,
		    (unsigned long long)(r->base + r->end),
		    zerr == Z_ERRNO ? strerror(errno) : msg);
		return -1;
	}
	if (n == 0) {
		/* A corrupt or cut .gz ends early; zlib says so here. */
		int zerr;
		const char *msg = gzerror(r->gz, &zerr);
		r->eof = true;
		if (zerr != Z_OK && zerr != Z_STREAM_END && zerr != Z_BUF_ERROR) {
			snprintf(err, errlen, "%s: %s", r->path, msg);
			return -1;
		}
		if (zerr == Z_BUF_ERROR) {
			snprintf(err, errlen, "%s: compressed data ends early "
			    "(truncated .gz)", r->path);
			return -1;
		}
		return 0;
	}
	if (!r->gzip && !gzdirect(r->gz))
		r->gzip = true;
	r->end += (size_t)n;
	return n;
}

int
reader_head(struct reader *r, const unsigned char **p, size_t *n, size_t max)
{
	char err[8];

	if (r->started)
		return -1;
	while (r->end < max && r->end < READER_BUF && !r->eof) {
		if (fill(r, err, sizeof(err)) <= 0)
			break;
	}
	*p = (const unsigned char *)r->buf;
	*n = r->end < max ? r->end : max;
	return 0;
}

int
reader_skip(struct reader *r, uint64_t offset, char *err, size_t errlen)
{
	r->started = true;
	while (r->base + r->end < offset) {
		r->start = r->end;
		int n = fill(r, err, errlen);
		if (n < 0)
			return -1;
		if (n == 0) {
			snprintf(err, errlen, "%s: shorter (%llu bytes) than the "
			    "stored position %llu", r->path,
			    (unsigned long long)(r->base + r->end),
			    (unsigned long long)offset);
			return -1;
		}
	}
	r->start = (size_t)(offset - r->base);
	return 0;
}

int
reader_next(struct reader *r, struct reader_line *line, char *err,
    size_t errlen)
{
	size_t scanned = 0;

	r->started = true;
	for (;;) {
		char *p = r->buf + r->start;
		size_t avail = r->end - r->start;
		char *nl = memchr(p + scanned, '\n', avail - scanned);
		if (nl != NULL) {
			size_t len = (size_t)(nl - p);
			line->p = p;
			line->offset = r->base + r->start;
			line->next = line->offset + len + 1;
			line->flags = 0;
			if (len > READER_LINE_MAX) {
				len = READER_LINE_MAX;
				line->flags = READER_TRUNCATED;
			} else if (len > 0 && p[len - 1] == '\r') {
				len--;
			}
			line->len = len;
			r->start += (size_t)(nl - p) + 1;
			return 1;
		}
		scanned = avail;
		if (avail >= READER_LINE_MAX) {
			/* Keep a copy of the cut line, drop up to its newline. */
			if (r->cut == NULL &&
			    (r->cut = gw_malloc(READER_LINE_MAX)) == NULL) {
				snprintf(err, errlen, "%s: out of memory", r->path);
				return -1;
			}
			memcpy(r->cut, p, READER_LINE_MAX);
			line->p = r->cut;
			line->len = READER_LINE_MAX;
			line->offset = r->base + r->start;
			line->flags = READER_TRUNCATED;
			uint64_t skipped = avail;
			r->start = r->end;
			for (;;) {
				int n = fill(r, err, errlen);
				if (n < 0)
					return -1;
				if (n == 0)
					break;
				char *q = memchr(r->buf, '\n', r->end);
				if (q != NULL) {
					skipped += (uint64_t)(q - r->buf) + 1;
					r->start = (size_t)(q - r->buf) + 1;
					break;
				}
				skipped += r->end;
				r->start = r->end;
			}
			line->next = line->offset + skipped;
			return 1;
		}
		int n = fill(r, err, errlen);
		if (n < 0)
			return -1;
		if (n == 0) {
			p = r->buf + r->start;
			avail = r->end - r->start;
			if (avail == 0)
				return 0;
			line->p = p;
			line->len = avail;
			line->offset = r->base + r->start;
			line->next = line->offset + avail;
			line->flags = READER_NO_NEWLINE;
			if (line->len > 0 && p[line->len - 1] == '\r')
				line->len--;
			r->start = r->end;
			return 1;
		}
	}
}

uint64_t
reader_offset(const struct reader *r)
{
	return r->base + r->start;
}

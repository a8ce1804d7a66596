/*
 * pcapsrc.c - libpcap behind the cap_* interface; see pcapsrc.h.
 *
 * File offsets are counted rather than asked for: a classic pcap file is a
 * 24-byte header then, per packet, a 16-byte record header and the
 * captured bytes; for pcapng (block sizes vary) the stdio position is read
 * after each packet.
 *
 * A file is opened here, with a stdio buffer of FILE_BUFFER bytes, and
 * handed to libpcap: it reads each packet with two fread()s, which with
 * the default 4 KiB buffer cost a read(2) every few packets (a tenth of a
 * capture's time on small packets). A classic pcap file of this host's
 * byte order and microsecond times, read without a filter, is read here
 * instead (blk_next): pread(2) of BLOCK bytes at a time, its records
 * handed out where they lie in that block, not copied packet by packet.
 * (Not mapped: a file cut short while mapped would kill the process with
 * SIGBUS.) A record libpcap would treat otherwise (cut short, longer than
 * the snap length) and the end of the file hand the rest back to libpcap,
 * from that record: it says what it says of it, and reads on a file that
 * grew meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <pcap/pcap.h>

#include "core/alloc.h"
#include "core/safe.h"
#include "capture/logopen.h"
#include "capture/packet.h"
#include "capture/pcapsrc.h"

#define DEFAULT_SNAPLEN		262144
#define DEFAULT_BUFFER_MB	64
#define DEFAULT_TIMEOUT_MS	100
#define PCAP_FILE_HEADER	24
#define PCAP_RECORD_HEADER	16
#define PCAPNG_MAGIC		0x0a0d0d0a
#define FILE_BUFFER		(256 * 1024)
#define PCAP_MAGIC_US		0xa1b2c3d4	/* microseconds, host order */
#define MAX_SNAPLEN		262144		/* libpcap's, for our links */
#define BLOCK			(1024 * 1024)	/* > a record (MAX_SNAPLEN) */
/*
 * Timestamps are kept within 0 .. 2^40 s (34,000 years): a pcapng block
 * can state any 64-bit time, and seconds times 10^6 must not overflow
 * (nor the sums later stages make with timeouts).
 */
#define TS_SEC_MAX		(INT64_C(1) << 40)

/* The default filter: all TCP and ICMP, VLAN-tagged or not. */
#define FILTER_PLAIN	"tcp or icmp or icmp6"
#define FILTER_VLAN	"tcp or icmp or icmp6 or (vlan and (tcp or icmp or icmp6))"

struct cap_source {
	pcap_t *p;
	bool live;
	bool pcapng;
	FILE *f;		/* the file behind an offline handle */
	char *fbuf;		/* its stdio buffer (ours), or NULL */
	uint8_t *blk;		/* blk_next(): a block of the file, or NULL */
	size_t blk_at, blk_end;	/* its unread bytes: [blk_at, blk_end) */
	uint64_t blk_pos;	/* file offset of blk[blk_at]: next record */
	uint32_t blk_snaplen;	/* the file's, as libpcap takes it */
	uint64_t offset;	/* of the next packet in the file */
	bool file_regular;	/* the file opened is a regular one */
	uint64_t file_dev, file_ino;	/* and it is this one */
	int fd;			/* live: to poll */
	int timeout_ms;
	struct cap_stats st;
};

/* Set a BPF program on c->p; 0 or -1. */
static int
cap_set_filter(struct cap_source *c, const char *expr, char *err,
    size_t errlen)
{
	struct bpf_program prog;

	if (pcap_compile(c->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "filter '%s': %s", expr, pcap_geterr(c->p));
		return -1;
	}
	if (pcap_setfilter(c->p, &prog) != 0) {
		snprintf(err, errlen, "filter '%s': %s", expr, pcap_geterr(c->p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

/* Open a live capture. */
static int
cap_open_live(struct cap_source *c, const struct cap_opts *o, char *err,
    size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int rc;

	if ((c->p = pcap_create(o->iface, ebuf)) == NULL) {
		snprintf(err, errlen, "%s: %s", o->iface, ebuf);
		return -1;
	}
	c->live = c->st.live = true;
	pcap_set_snaplen(c->p, o->snaplen > 0 ? o->snaplen : DEFAULT_SNAPLEN);
	pcap_set_promisc(c->p, 0);
	pcap_set_timeout(c->p, o->timeout_ms > 0 ? o->timeout_ms :
	    DEFAULT_TIMEOUT_MS);
	pcap_set_immediate_mode(c->p, 1);
	pcap_set_buffer_size(c->p, (o->buffer_mb > 0 ? o->buffer_mb :
	    DEFAULT_BUFFER_MB) * 1024 * 1024);
	pcap_set_tstamp_precision(c->p, PCAP_TSTAMP_PRECISION_MICRO);
	rc = pcap_activate(c->p);
	if (rc < 0) {
		const char *why = pcap_geterr(c->p);

		if (rc == PCAP_ERROR_PERM_DENIED)
			snprintf(err, errlen, "%s: %s (capturing needs root or "
			    "CAP_NET_RAW)", o->iface, why);
		else if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
			snprintf(err, errlen, "%s: no such interface", o->iface);
		else
			snprintf(err, errlen, "%s: %s", o->iface,
			    why[0] ? why : pcap_statustostr(rc));
		return -1;
	}
	/* Non-blocking, and we poll: a blocking read of some libpcap
	 * versions waits for a packet however long the timeout. */
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	if (pcap_setnonblock(c->p, 1, ebuf) != 0 ||
	    (c->fd = pcap_get_selectable_fd(c->p)) < 0) {
		snprintf(err, errlen, "%s: cannot poll the capture", o->iface);
		return -1;
	}
	if (!packet_dlt_supported(pcap_datalink(c->p))) {
		snprintf(err, errlen, "%s: link type %s is not supported",
		    o->iface, pcap_datalink_val_to_name(pcap_datalink(c->p)));
		return -1;
	}
	if (o->filter != NULL)
		return cap_set_filter(c, o->filter, err, errlen);
	return cap_set_filter(c, pcap_datalink(c->p) == DLT_EN10MB ?
	    FILTER_VLAN : FILTER_PLAIN, err, errlen);
}

/* Microseconds since the epoch of a packet header's time, clamped into
 * 0 .. TS_SEC_MAX seconds (*clamped set when it had to be). */
static int64_t
cap_ts_us(int64_t sec, int64_t usec, bool *clamped)
{
	*clamped = false;
	if (usec < 0 || usec >= 1000000) {
		*clamped = true;
		usec = usec < 0 ? 0 : 999999;
	}
	if (sec < 0 || sec > TS_SEC_MAX) {
		*clamped = true;
		return sec < 0 ? 0 : TS_SEC_MAX * 1000000;
	}
	return sec * 1000000 + usec;
}

/*
 * Read c's file here (blk_next) when it is a classic pcap of this host's
 * byte order with microsecond times; else libpcap reads it, as it does
 * when the block cannot be had. libpcap has read its 24-byte header.
 */
static void
blk_open(struct cap_source *c)
{
	uint8_t hdr[PCAP_FILE_HEADER];
	uint32_t magic, snaplen;
	uint16_t major, minor;
	struct stat sb;

	if (fstat(fileno(c->f), &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    pread(fileno(c->f), hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		return;
	/* magic, major, minor, zone, sigfigs, snaplen, link type */
	memcpy(&magic, hdr, 4);
	memcpy(&major, hdr + 4, 2);
	memcpy(&minor, hdr + 6, 2);
	memcpy(&snaplen, hdr + 16, 4);
	if (magic != PCAP_MAGIC_US || major != 2 || minor != 4 ||
	    (c->blk = gw_malloc(BLOCK)) == NULL)
		return;
	c->blk_at = c->blk_end = 0;
	c->blk_pos = PCAP_FILE_HEADER;
	/* as libpcap: a snap length of 0 or past the most means the most */
	c->blk_snaplen = snaplen == 0 || snaplen > MAX_SNAPLEN ? MAX_SNAPLEN :
	    snaplen;
}

/* Stop reading here; libpcap reads on from blk_pos. */
static void
blk_close(struct cap_source *c)
{
	free(c->blk);
	c->blk = NULL;
}

/* blk_have's refill: reads until n bytes are unread. */
static bool
blk_fill(struct cap_source *c, size_t n)
{
	while (c->blk_end - c->blk_at < n) {
		ssize_t got;

		if (c->blk_at > 0) {	/* the unread part to the front */
			memmove(c->blk, c->blk + c->blk_at,
			    c->blk_end - c->blk_at);
			c->blk_end -= c->blk_at;
			c->blk_at = 0;
		}
		got = pread(fileno(c->f), c->blk + c->blk_end,
		    BLOCK - c->blk_end, (off_t)(c->blk_pos + c->blk_end));
		if (got <= 0)
			return false;
		c->blk_end += (size_t)got;
	}
	return true;
}

/* At least n unread bytes in the block, reading more of the file when
 * needed; false when the file has fewer (or cannot be read). Inline: the
 * bytes are there but once a block. */
static inline bool
blk_have(struct cap_source *c, size_t n)
{
	return c->blk_end - c->blk_at >= n || blk_fill(c, n);
}

/*
 * The next record of the file, as cap_next() says: 1 (the fields set), or
 * 0 when libpcap must read it (the block is let go and the FILE set at
 * that record): the end of the file, a record cut short or longer than
 * the snap length; -1 when the FILE cannot be set there.
 */
static int
blk_next(struct cap_source *c, const uint8_t **frame, size_t *caplen,
    int64_t *ts_us, uint64_t *offset)
{
	uint32_t rec[4];	/* seconds, microseconds, caplen, len */
	bool clamped;

	if (!blk_have(c, PCAP_RECORD_HEADER) ||
	    (memcpy(rec, c->blk + c->blk_at, sizeof(rec)),
	    rec[2] > c->blk_snaplen) ||
	    !blk_have(c, PCAP_RECORD_HEADER + (size_t)rec[2])) {
		blk_close(c);
		return fseeko(c->f, (off_t)c->blk_pos, SEEK_SET) == 0 ? 0 : -1;
	}
	*frame = c->blk + c->blk_at + PCAP_RECORD_HEADER;
	*caplen = rec[2];
	*ts_us = cap_ts_us((int64_t)rec[0], (int64_t)rec[1], &clamped);
	if (clamped)
		c->st.bad_times++;
	*offset = c->blk_pos;
	c->blk_at += PCAP_RECORD_HEADER + rec[2];
	c->blk_pos += PCAP_RECORD_HEADER + rec[2];
	c->offset = c->blk_pos;
	c->st.packets++;
	c->st.bytes += rec[2];
	return 1;
}

/*
 * Open o->file as a log file is opened (capture/logopen.h): a capture file
 * is as much someone else's as a log, and its first bytes are stored as
 * its fingerprint. Without O_NONBLOCK a device (a tape, a terminal) could
 * hang the open; a pipe then waits here for its writer, as fopen(3) would
 * have waited in open(2). Returns the FILE, or NULL with err filled.
 */
static FILE *
cap_open_path(struct cap_source *c, const struct cap_opts *o,
    const char *shown, char *err, size_t errlen)
{
	char why[256];
	struct stat sb;
	FILE *fp;
	int fd, fl;

	fd = logopen(o->file, O_RDONLY | O_NONBLOCK, o->follow_symlinks ?
	    LOGOPEN_TRUST : LOGOPEN_FIFO, &sb, why, sizeof(why));
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", shown, why);
		return NULL;
	}
	if (S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s: is a directory", shown);
		goto fail;
	}
	if (!S_ISREG(sb.st_mode) && !S_ISFIFO(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file or a pipe",
		    shown);
		goto fail;
	}
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		snprintf(err, errlen, "%s: %s", shown, strerror(errno));
		goto fail;
	}
	if (S_ISFIFO(sb.st_mode)) {
		/* a pipe with no writer yet reads as empty: wait for one
		 * (Linux reports no POLLHUP before a writer came) */
		struct pollfd pfd = {.fd = fd, .events = POLLIN};

		while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
			;
	}
	c->file_regular = S_ISREG(sb.st_mode);
	c->file_dev = (uint64_t)sb.st_dev;
	c->file_ino = (uint64_t)sb.st_ino;
	if ((c->fbuf = gw_malloc(FILE_BUFFER)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", shown);
		goto fail;
	}
	if ((fp = fdopen(fd, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", shown, strerror(errno));
		goto fail;
	}
	if (setvbuf(fp, c->fbuf, _IOFBF, FILE_BUFFER) != 0) {
		snprintf(err, errlen, "%s: cannot buffer", shown);
		fclose(fp);
		return NULL;
	}
	return fp;
fail:
	close(fd);
	return NULL;
}

/* Open a file or stdin. */
static int
cap_open_file(struct cap_source *c, const struct cap_opts *o, char *err,
    size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "", shown[512];	/* o->file, escaped */
	FILE *fp = NULL;

	safe_text(shown, sizeof(shown), o->file, strlen(o->file));

	if (strcmp(o->file, "-") == 0) {
		c->p = pcap_open_offline_with_tstamp_precision(o->file,
		    PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	} else {
		/* our own FILE with a large buffer, opened by us: never by
		 * name again (the name may have been swapped meanwhile) */
		if ((fp = cap_open_path(c, o, shown, err, errlen)) == NULL)
			return -1;
		c->p = pcap_fopen_offline_with_tstamp_precision(fp,
		    PCAP_TSTAMP_PRECISION_MICRO, ebuf);
		if (c->p == NULL)
			fclose(fp);
	}
	if (c->p == NULL) {
		snprintf(err, errlen, "%s: %s", shown, ebuf);
		return -1;
	}
	c->f = pcap_file(c->p);
	c->offset = PCAP_FILE_HEADER;
	/* pcapng: the major version libpcap reports is 1, with no way to
	 * tell; look at the first block type instead when we can (a
	 * regular file: a pipe's bytes are read once, by libpcap). */
	if (c->f != NULL && c->file_regular) {
		uint32_t magic = 0;

		if (pread(fileno(c->f), &magic, 4, 0) == 4 &&
		    magic == PCAPNG_MAGIC)
			c->pcapng = true;
	}
	if (!packet_dlt_supported(pcap_datalink(c->p))) {
		snprintf(err, errlen, "%s: link type %s is not supported",
		    shown, pcap_datalink_val_to_name(pcap_datalink(c->p)));
		return -1;
	}
	if (o->filter != NULL)
		return cap_set_filter(c, o->filter, err, errlen);
	if (fp != NULL && c->f == fp && !c->pcapng)
		blk_open(c);
	return 0;
}

/* See pcapsrc.h. */
size_t
cap_file_identity(const struct cap_source *c, unsigned char *buf,
    size_t size, uint64_t *dev, uint64_t *ino, uint64_t *fsize)
{
	struct stat sb;
	ssize_t n;

	*dev = *ino = *fsize = 0;
	if (c->f == NULL || !c->file_regular || fstat(fileno(c->f), &sb) != 0)
		return 0;
	*dev = c->file_dev;
	*ino = c->file_ino;
	*fsize = (uint64_t)sb.st_size;
	n = pread(fileno(c->f), buf, size, 0);
	return n > 0 ? (size_t)n : 0;
}

/* See pcapsrc.h. */
int
cap_open(const struct cap_opts *o, struct cap_source **out, char *err,
    size_t errlen)
{
	struct cap_source *c = gw_calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((o->iface == NULL) == (o->file == NULL)) {
		snprintf(err, errlen, "give an interface or a file");
		free(c);
		return -1;
	}
	rc = o->iface != NULL ? cap_open_live(c, o, err, errlen) :
	    cap_open_file(c, o, err, errlen);
	if (rc != 0) {
		cap_close(c);
		return -1;
	}
	*out = c;
	return 0;
}

/* See pcapsrc.h. */
void
cap_close(struct cap_source *c)
{
	if (c == NULL)
		return;
	blk_close(c);
	if (c->p != NULL)
		pcap_close(c->p);	/* closes its FILE: then the buffer */
	free(c->fbuf);
	free(c);
}

/* See pcapsrc.h. */
int
cap_next(struct cap_source *c, const uint8_t **frame, size_t *caplen,
    int64_t *ts_us, uint64_t *offset, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;
	bool clamped;

	if (c->blk != NULL &&
	    (rc = blk_next(c, frame, caplen, ts_us, offset)) != 0) {
		if (rc < 0)
			snprintf(err, errlen, "cannot seek in the file: %s",
			    strerror(errno));
		return rc;
	}
	rc = pcap_next_ex(c->p, &h, &data);
	if (rc == 0 && c->live) {	/* nothing buffered: wait a while */
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

		if (poll(&pfd, 1, c->timeout_ms) <= 0)
			return 0;
		rc = pcap_next_ex(c->p, &h, &data);
	}
	switch (rc) {
	case 1:
		*frame = data;
		*caplen = h->caplen;
		*ts_us = cap_ts_us((int64_t)h->ts.tv_sec,
		    (int64_t)h->ts.tv_usec, &clamped);
		if (clamped)
			c->st.bad_times++;
		if (c->live) {
			*offset = 0;
		} else if (c->pcapng && c->f != NULL) {
			long pos = ftell(c->f);

			*offset = c->offset;
			c->offset = pos >= 0 ? (uint64_t)pos : c->offset;
		} else {
			*offset = c->offset;
			c->offset += PCAP_RECORD_HEADER + h->caplen;
		}
		c->st.packets++;
		c->st.bytes += h->caplen;
		return 1;
	case 0:
		return 0;
	case PCAP_ERROR_BREAK:
		return 2;
	default:
		snprintf(err, errlen, "%s", pcap_geterr(c->p));
		return -1;
	}
}

/* See pcapsrc.h. */
int
cap_datalink(const struct cap_source *c)
{
	return pcap_datalink(c->p);
}

/* See pcapsrc.h. */
const char *
cap_datalink_name(const struct cap_source *c)
{
	const char *n = pcap_datalink_val_to_name(pcap_datalink(c->p));

	return n != NULL ? n : "?";
}

/* See pcapsrc.h. */
bool
cap_is_live(const struct cap_source *c)
{
	return c->live;
}

/* See pcapsrc.h. */
void
cap_break(struct cap_source *c)
{
	pcap_breakloop(c->p);
}

/* See pcapsrc.h. */
void
cap_get_stats(struct cap_source *c, struct cap_stats *s)
{
	struct pcap_stat ps;

	if (c->live && pcap_stats(c->p, &ps) == 0) {
		c->st.received = ps.ps_recv;
		c->st.dropped = ps.ps_drop;
		c->st.if_dropped = ps.ps_ifdrop;
	}
	*s = c->st;
}

/* See pcapsrc.h. */
const char *
cap_default_user(void)
{
	if (geteuid() != 0)
		return NULL;
	if (getpwnam("gatewatch") != NULL)
		return "gatewatch";
	if (getpwnam("nobody") != NULL)
		return "nobody";
	return NULL;
}

/* See pcapsrc.h. */
int
cap_drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "-Z %s: no such user", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		snprintf(err, errlen, "-Z %s: cannot become that user: %s",
		    user, strerror(errno));
		return -1;
	}
	/* Make sure there is no way back. */
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "-Z %s: could regain root", user);
		return -1;
	}
	return 0;
}

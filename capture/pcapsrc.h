/*
 * pcapsrc.h - packets from a live interface or a capture file (libpcap).
 *
 * Live: pcap_create() + pcap_activate() with immediate mode, a large
 * kernel buffer and a full snap length (the HTTP layer needs every payload
 * byte to follow chunked bodies); "any" captures on every interface. The
 * default filter keeps all TCP (SYN, RST and FIN without payload included:
 * a refused connect is nothing but SYN and RST) and ICMP, with or without
 * VLAN tags. Needs CAP_NET_RAW (and CAP_NET_ADMIN for the buffer size) or
 * root; cap_drop_privileges() then gives them up for a user, as tcpdump -Z
 * does, once the handle is open.
 *
 * Offline: pcap and pcapng files, "-" for stdin; timestamps always come in
 * microseconds, clamped into 1970 .. 2^40 s (counted in bad_times). A
 * file cut short ends the read with a message, keeping what came before
 * it. A file is opened as a log is (capture/logopen.h: no symlink, hard
 * link or stranger's file unless follow_symlinks; a pipe is fine, a
 * directory or a device is not).
 */
#ifndef GW_CAP_PCAP_H
#define GW_CAP_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cap_opts {
	const char *iface;	/* live capture on this interface, or */
	const char *file;	/* read this file ("-" = stdin) */
	const char *filter;	/* BPF; NULL = the default (live only) */
	int snaplen;		/* 0 = 262144 */
	int buffer_mb;		/* kernel buffer, 0 = 64 MiB */
	int timeout_ms;		/* live: return 0 after this long idle (100) */
	bool follow_symlinks;	/* a file: no capture/logopen.h checks */
};

struct cap_stats {
	uint64_t packets;	/* handed to the caller */
	uint64_t bytes;		/* captured bytes of those */
	uint64_t received;	/* live: seen by the filter (ps_recv) */
	uint64_t dropped;	/* live: dropped by the kernel (ps_drop) */
	uint64_t if_dropped;	/* live: dropped by the interface (ps_ifdrop) */
	uint64_t bad_times;	/* timestamps out of range (before 1970, or
				 * past 2^40 s), clamped into it */
	bool live;
};

struct cap_source;

/* Open per opts; 0, or -1 with err filled. Free with cap_close(). */
int cap_open(const struct cap_opts *o, struct cap_source **out, char *err,
    size_t errlen);
void cap_close(struct cap_source *c);

/*
 * The next packet: 1 with *frame (valid until the next call), *caplen,
 * *ts_us and *offset (the packet's byte offset in a file, 0 live) set;
 * 0 when a live capture stayed idle for timeout_ms; 2 at the end of the
 * file (or after cap_break); -1 with err filled on an error (a truncated
 * file: what came before it was returned).
 */
int cap_next(struct cap_source *c, const uint8_t **frame, size_t *caplen,
    int64_t *ts_us, uint64_t *offset, char *err, size_t errlen);

/*
 * The file read, when it is a regular file: its first size bytes in buf
 * (their count returned), device, inode and size, all of what was opened
 * (not of what its name may name by now). 0 and zeros otherwise.
 */
size_t cap_file_identity(const struct cap_source *c, unsigned char *buf,
    size_t size, uint64_t *dev, uint64_t *ino, uint64_t *fsize);

/* Link type (DLT_*) of the packets. */
int cap_datalink(const struct cap_source *c);
const char *cap_datalink_name(const struct cap_source *c);

/* Whether it is a live capture. */
bool cap_is_live(const struct cap_source *c);

/* Make a blocked cap_next() return 2 soon (safe from a signal handler). */
void cap_break(struct cap_source *c);

/* Counters so far (for live ones, the kernel's too). */
void cap_get_stats(struct cap_source *c, struct cap_stats *s);

/* Become user (its uid, gid and groups); 0, or -1 with err filled. */
int cap_drop_privileges(const char *user, char *err, size_t errlen);

/*
 * The user to drop to when none is given: NULL unless running as root;
 * then "gatewatch" if that user exists, else "nobody" (as tcpdump drops to
 * its own user by default), else NULL.
 */
const char *cap_default_user(void);

#endif

/*
 * test_pcapsrc.c - reading capture files (capture/pcapsrc.c) whose
 * headers lie: a pcapng block may state any 64-bit time.
 *
 * The files are written here, byte by byte, as the pcapng specification
 * lays them out (Section Header, Interface Description with an optional
 * if_tsresol, Enhanced Packet Blocks), so the test does not depend on a
 * tool that would refuse to write such times. Classic pcap files (which
 * pcapsrc.c maps and reads itself) likewise, with the records libpcap
 * takes otherwise: longer than the snap length, cut short.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cmocka.h>

#include "capture/pcapsrc.h"

static void
put32(FILE *f, uint32_t v)
{
	assert_int_equal(fwrite(&v, 4, 1, f), 1);	/* host order, as SHB's */
}

static void
put16(FILE *f, uint16_t v)
{
	assert_int_equal(fwrite(&v, 2, 1, f), 1);
}

/* A pcapng file of one Ethernet interface (if_tsresol tsresol, or none
 * when tsresol < 0) and one 60-byte packet per entry of ts[]. */
static void
write_pcapng(const char *path, int tsresol, const uint64_t *ts, size_t n)
{
	FILE *f = fopen(path, "wb");
	uint8_t frame[60] = { 0 };

	assert_non_null(f);
	/* Section Header Block */
	put32(f, 0x0a0d0d0a);
	put32(f, 28);
	put32(f, 0x1a2b3c4d);
	put16(f, 1);
	put16(f, 0);
	put32(f, 0xffffffff);	/* section length unknown */
	put32(f, 0xffffffff);
	put32(f, 28);
	/* Interface Description Block: Ethernet, snaplen 65535 */
	uint32_t idb_len = 20 + (tsresol >= 0 ? 12 : 0);
	put32(f, 1);
	put32(f, idb_len);
	put16(f, 1);
	put16(f, 0);
	put32(f, 65535);
	if (tsresol >= 0) {	/* if_tsresol option, then opt_endofopt */
		uint8_t pad[3] = { 0 };
		uint8_t r = (uint8_t)tsresol;

		put16(f, 9);
		put16(f, 1);
		assert_int_equal(fwrite(&r, 1, 1, f), 1);
		assert_int_equal(fwrite(pad, 1, 3, f), 3);
		put16(f, 0);
		put16(f, 0);
	}
	put32(f, idb_len);
	for (size_t i = 0; i < n; i++) {
		/* Enhanced Packet Block */
		put32(f, 6);
		put32(f, 32 + sizeof(frame));
		put32(f, 0);
		put32(f, (uint32_t)(ts[i] >> 32));
		put32(f, (uint32_t)ts[i]);
		put32(f, sizeof(frame));
		put32(f, sizeof(frame));
		assert_int_equal(fwrite(frame, 1, sizeof(frame), f),
		    sizeof(frame));
		put32(f, 32 + sizeof(frame));
	}
	assert_int_equal(fclose(f), 0);
}

/* Read every packet's time from path; returns how many. */
static size_t
read_times(const char *path, int64_t *out, size_t max, struct cap_stats *st)
{
	struct cap_opts o = { .file = path };
	struct cap_source *c = NULL;
	char err[256];
	const uint8_t *frame;
	size_t caplen, n = 0;
	int64_t ts;
	uint64_t off;
	int rc;

	assert_int_equal(cap_open(&o, &c, err, sizeof(err)), 0);
	while ((rc = cap_next(c, &frame, &caplen, &ts, &off, err,
	    sizeof(err))) == 1) {
		assert_true(n < max);
		out[n++] = ts;
	}
	assert_int_equal(rc, 2);
	cap_get_stats(c, st);
	cap_close(c);
	return n;
}

/*
 * Times of any size come out in range: microseconds past 2^63 (seconds
 * times 10^6 overflowed, undefined behaviour the sanitizer build stops
 * on) and seconds past 2^63 at a 1 s resolution (negative as time_t) are
 * clamped and counted; an ordinary time passes unchanged.
 */
static void
test_huge_pcapng_times(void **state)
{
	char path[] = "/tmp/gw-test-pcapsrc.XXXXXX";
	int fd = mkstemp(path);
	const uint64_t ts_us[] = {
		UINT64_C(1795601702123456),	/* 2026, fine */
		UINT64_MAX,			/* 584,942 years of µs */
		UINT64_C(1) << 62,
	};
	const uint64_t ts_s[] = { UINT64_C(1795601702), UINT64_MAX };
	int64_t got[8];
	struct cap_stats st;

	(void)state;
	assert_true(fd >= 0);
	close(fd);

	write_pcapng(path, -1, ts_us, 3);
	assert_int_equal(read_times(path, got, 8, &st), 3);
	assert_int_equal(got[0], INT64_C(1795601702123456));
	for (int i = 1; i < 3; i++) {
		assert_true(got[i] >= 0);
		assert_true(got[i] <= (INT64_C(1) << 40) * 1000000);
	}
	assert_int_equal(st.bad_times, 2);

	write_pcapng(path, 0, ts_s, 2);	/* if_tsresol 10^-0: seconds */
	assert_int_equal(read_times(path, got, 8, &st), 2);
	assert_int_equal(got[0], INT64_C(1795601702000000));
	assert_true(got[1] >= 0);
	assert_int_equal(st.bad_times, 1);
	unlink(path);
}

/* A classic pcap record: times, caplen bytes of fill (len on the wire). */
static void
put_record(FILE *f, uint32_t sec, uint32_t usec, uint32_t caplen,
    uint8_t fill)
{
	uint8_t b[256];

	assert_true(caplen <= sizeof(b));
	memset(b, fill, sizeof(b));
	put32(f, sec);
	put32(f, usec);
	put32(f, caplen);
	put32(f, caplen);
	assert_int_equal(fwrite(b, 1, caplen, f), caplen);
}

/*
 * A classic pcap file (mapped and read by pcapsrc.c) comes out as libpcap
 * gives it: every record's bytes, time and file offset; one longer than
 * the file's snap length cut to it (libpcap's reading, from that record
 * on); a record cut short at the end an error, after the ones before it.
 */
static void
test_classic_pcap(void **state)
{
	char path[] = "/tmp/gw-test-pcapsrc.XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	struct cap_opts o = { .file = path };
	struct cap_source *c = NULL;
	char err[256];
	const uint8_t *frame;
	size_t caplen;
	int64_t ts;
	uint64_t off;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_non_null(f = fopen(path, "wb"));
	put32(f, 0xa1b2c3d4);
	put16(f, 2);
	put16(f, 4);
	put32(f, 0);
	put32(f, 0);
	put32(f, 100);		/* snap length */
	put32(f, 1);		/* Ethernet */
	put_record(f, 1795601702, 1, 60, 0xa1);
	put_record(f, 1795601702, 999999, 80, 0xa2);
	put_record(f, 1795601703, 5, 150, 0xa3);	/* > snap length */
	put_record(f, 1795601704, 7, 60, 0xa4);
	put32(f, 1795601705);	/* a record cut short */
	put32(f, 0);
	assert_int_equal(fclose(f), 0);

	assert_int_equal(cap_open(&o, &c, err, sizeof(err)), 0);
	assert_int_equal(cap_next(c, &frame, &caplen, &ts, &off, err,
	    sizeof(err)), 1);
	assert_int_equal(caplen, 60);
	assert_int_equal(frame[0], 0xa1);
	assert_int_equal(frame[59], 0xa1);
	assert_int_equal(ts, INT64_C(1795601702000001));
	assert_int_equal(off, 24);
	assert_int_equal(cap_next(c, &frame, &caplen, &ts, &off, err,
	    sizeof(err)), 1);
	assert_int_equal(caplen, 80);
	assert_int_equal(frame[79], 0xa2);
	assert_int_equal(ts, INT64_C(1795601702999999));
	assert_int_equal(off, 24 + 16 + 60);
	assert_int_equal(cap_next(c, &frame, &caplen, &ts, &off, err,
	    sizeof(err)), 1);
	assert_int_equal(caplen, 100);	/* libpcap cut it */
	assert_int_equal(frame[99], 0xa3);
	assert_int_equal(ts, INT64_C(1795601703000005));
	assert_int_equal(off, 24 + 16 + 60 + 16 + 80);
	assert_int_equal(cap_next(c, &frame, &caplen, &ts, &off, err,
	    sizeof(err)), 1);
	assert_int_equal(caplen, 60);
	assert_int_equal(frame[0], 0xa4);
	assert_int_equal(ts, INT64_C(1795601704000007));
	assert_int_equal(cap_next(c, &frame, &caplen, &ts, &off, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "truncated"));
	cap_close(c);
	unlink(path);
}

/* A classic pcap file of one 60-byte Ethernet record filled with fill. */
static void
write_small_pcap(const char *path, uint8_t fill)
{
	FILE *f;

	assert_non_null(f = fopen(path, "wb"));
	put32(f, 0xa1b2c3d4);
	put16(f, 2);
	put16(f, 4);
	put32(f, 0);
	put32(f, 0);
	put32(f, 65535);
	put32(f, 1);
	put_record(f, 1795601702, 1, 60, fill);
	assert_int_equal(fclose(f), 0);
}

/* cap_open() of path fails with an error naming it and saying want. */
static void
open_fails(const char *path, bool follow, const char *want)
{
	struct cap_opts o = { .file = path, .follow_symlinks = follow };
	struct cap_source *c = NULL;
	char err[512] = "";

	assert_int_equal(cap_open(&o, &c, err, sizeof(err)), -1);
	assert_null(c);
	assert_non_null(strstr(err, path));
	if (strstr(err, want) == NULL)
		fail_msg("%s: wanted \"%s\" in \"%s\"", path, want, err);
}

/*
 * A capture file is opened as a log file is (capture/logopen.h): a name
 * swapped for a symlink or a hard link to another file is refused (read
 * with follow_symlinks), as are a directory and a device, each with a
 * message naming the file; the identity stored (first bytes, inode) is of
 * the file opened even when the name is swapped right after the open.
 */
static void
test_hostile_paths(void **state)
{
	char dir[] = "/tmp/gw-test-pcapsrc.XXXXXX";
	char real[256], lnk[256], hard[256], sub[256], missing[256];
	struct cap_source *c = NULL;
	unsigned char fp[64];
	uint64_t dev, ino, size;
	struct stat sb;
	char err[512];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(real, sizeof(real), "%s/real.pcap", dir);
	snprintf(lnk, sizeof(lnk), "%s/link.pcap", dir);
	snprintf(hard, sizeof(hard), "%s/hard.pcap", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(missing, sizeof(missing), "%s/missing.pcap", dir);
	write_small_pcap(real, 0xa1);
	assert_int_equal(symlink(real, lnk), 0);
	assert_int_equal(mkdir(sub, 0700), 0);

	open_fails(lnk, false, "refused: is a symbolic link");
	open_fails(sub, false, "is a directory");
	open_fails(sub, true, "is a directory");
	open_fails("/dev/null", false, "not a regular file or a pipe");
	open_fails("/dev/zero", true, "not a regular file or a pipe");
	open_fails(missing, false, "No such file or directory");

	/* --follow-symlinks reads the symlink */
	struct cap_opts o = { .file = lnk, .follow_symlinks = true };
	assert_int_equal(cap_open(&o, &c, err, sizeof(err)), 0);
	cap_close(c);
	c = NULL;

	/* a second name: refused */
	assert_int_equal(link(real, hard), 0);
	open_fails(hard, false, "more than one name");
	unlink(hard);

	/* the identity is of what was opened: swap the name after */
	o = (struct cap_opts){ .file = real };
	assert_int_equal(cap_open(&o, &c, err, sizeof(err)), 0);
	assert_int_equal(stat(real, &sb), 0);
	assert_int_equal(unlink(real), 0);
	write_small_pcap(real, 0xb2);	/* another inode, other bytes */
	assert_int_equal(cap_file_identity(c, fp, sizeof(fp), &dev, &ino,
	    &size), sizeof(fp));
	assert_int_equal(ino, (uint64_t)sb.st_ino);
	assert_int_equal(dev, (uint64_t)sb.st_dev);
	assert_int_equal(size, 24 + 16 + 60);
	assert_int_equal(fp[24 + 16], 0xa1);	/* the first record's bytes */
	cap_close(c);

	unlink(real);
	unlink(lnk);
	rmdir(sub);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_huge_pcapng_times),
		cmocka_unit_test(test_classic_pcap),
		cmocka_unit_test(test_hostile_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

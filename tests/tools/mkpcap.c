/*
 * mkpcap.c - write crafted capture files for the capture tests.
 *
 *   mkpcap SCENARIO FILE      one scenario (see tests/unit/pktgen.h)
 *   mkpcap --all DIR          every scenario, DIR/NAME.pcap each, plus
 *                             DIR/truncated_file.pcap (cut mid-record)
 *   mkpcap --list             the scenario names
 *   mkpcap --ng SCENARIO FILE the scenario as pcapng (Section Header,
 *                             Interface Description, Enhanced Packet
 *                             blocks, written here: libpcap writes only
 *                             the classic format)
 *   mkpcap --flood CONNS REQS FILE [ooo]
 *                             hostile traffic for the memory budget: CONNS
 *                             connections (distinct clients) to one server,
 *                             each pipelining REQS small GETs that are
 *                             never answered, all open at once (100 us
 *                             between packets; 16000 x 64 is ~32 MB);
 *                             with "ooo" each client then sends as much
 *                             again behind a one-byte hole, never acked
 *                             (held as early segments)
 *   mkpcap --pending N FILE   gateway-host traffic with N client requests
 *                             pending at once (a benchmark, see below)
 *
 * Frames are built by tests/unit/pktgen.h, the same code the unit tests
 * feed straight to the decoder, and written with libpcap's own
 * pcap_open_dead() + pcap_dump(), so the files are what tcpdump writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "tests/unit/pktgen.h"

/* pg_out_fn: append one frame to the dump. */
static void
dump_frame(void *ctx, const uint8_t *frame, size_t len, int64_t ts_us)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(ts_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(ts_us % 1000000);
	h.caplen = h.len = (bpf_u_int32)len;
	pcap_dump(ctx, &h, frame);
}

/* Write scenario i to path; 0 or -1. */
static int
write_one(const struct pg_scenario_info *si, const char *path)
{
	pcap_t *p = pcap_open_dead(si->dlt, 262144);
	pcap_dumper_t *d;
	struct pg g;

	if (p == NULL)
		return -1;
	if ((d = pcap_dump_open(p, path)) == NULL) {
		fprintf(stderr, "mkpcap: %s: %s\n", path, pcap_geterr(p));
		pcap_close(p);
		return -1;
	}
	memset(&g, 0, sizeof(g));
	g.out = dump_frame;
	g.ctx = d;
	g.dlt = si->dlt;
	g.vlan = si->vlan;
	g.family = si->family;
	g.ts_us = INT64_C(1795601702000000);	/* 2026-11-25 10:15:02 UTC */
	pg_scenario(&g, si->name);
	pcap_dump_close(d);
	pcap_close(p);
	return 0;
}

/* pcapng output: append one block of type with body[0..n) (padded). */
static void
ng_block(FILE *f, uint32_t type, const void *body, size_t n)
{
	static const uint8_t pad[4];
	uint32_t total = (uint32_t)(12 + ((n + 3) & ~(size_t)3));

	fwrite(&type, 4, 1, f);
	fwrite(&total, 4, 1, f);
	fwrite(body, 1, n, f);
	fwrite(pad, 1, ((n + 3) & ~(size_t)3) - n, f);
	fwrite(&total, 4, 1, f);
}

/* pg_out_fn: one Enhanced Packet Block (interface 0, microseconds). */
static void
ng_frame(void *ctx, const uint8_t *frame, size_t len, int64_t ts_us)
{
	uint8_t b[20 + 65536];
	uint32_t v[5] = { 0, (uint32_t)((uint64_t)ts_us >> 32),
	    (uint32_t)ts_us, (uint32_t)len, (uint32_t)len };

	if (len > 65536)
		len = 65536;
	memcpy(b, v, 20);
	memcpy(b + 20, frame, len);
	ng_block(ctx, 6, b, 20 + len);
}

/* Scenario si as a pcapng file; 0 or -1. */
static int
write_ng(const struct pg_scenario_info *si, const char *path)
{
	FILE *f = fopen(path, "wb");
	const uint32_t shb[4] = { 0x1a2b3c4d, 1, 0xffffffff, 0xffffffff };
	uint32_t idb[2] = { (uint32_t)si->dlt, 262144 };
	struct pg g;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	ng_block(f, 0x0a0d0d0a, shb, sizeof(shb));	/* version 1.0 */
	ng_block(f, 1, idb, sizeof(idb));	/* link type, reserved 0 */
	memset(&g, 0, sizeof(g));
	g.out = ng_frame;
	g.ctx = f;
	g.dlt = si->dlt;
	g.vlan = si->vlan;
	g.family = si->family;
	g.ts_us = INT64_C(1795601702000000);
	pg_scenario(&g, si->name);
	return fclose(f) == 0 ? 0 : -1;
}

/*
 * --pending: N clients each send "GET /items?id=7" to the gateway
 * (10.0.0.5:8080) and wait; only then does the gateway ask the upstream
 * (10.0.0.5:9000), one connection per request, and relay each answer at
 * once (every tenth a 503). N requests of the same method, path and query
 * are pending together: what makes a tie by method and path expensive.
 * Frames are 2 us apart.
 */
static int
write_pending(long n, const char *path)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 262144);
	pcap_dumper_t *d;
	struct pg g;
	struct pg_conn *down = calloc((size_t)n, sizeof(*down)), up;
	static const char req[] = "GET /items?id=7 HTTP/1.1\r\nHost: api\r\n\r\n";
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	static const char bad[] = "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Length: 2\r\n\r\nno";

	if (p == NULL || down == NULL || n <= 0 || n > 4000000) {
		free(down);
		return -1;
	}
	if ((d = pcap_dump_open(p, path)) == NULL) {
		fprintf(stderr, "mkpcap: %s: %s\n", path, pcap_geterr(p));
		pcap_close(p);
		free(down);
		return -1;
	}
	memset(&g, 0, sizeof(g));
	g.out = dump_frame;
	g.ctx = d;
	g.dlt = DLT_EN10MB;
	g.family = 4;
	g.step_us = 2;
	g.ts_us = INT64_C(1795601702000000);
	for (long i = 0; i < n; i++) {
		pg_conn_init(&down[i], &g, 1 + (int)(i % 200),
		    (uint16_t)(10000 + i / 200), 8080);
		pg_connect(&down[i]);
		pg_send_str(&down[i], 0, req);
	}
	for (long i = 0; i < n; i++) {
		const char *answer = i % 10 == 9 ? bad : ok;

		pg_conn_init(&up, &g, 201 + (int)(i % 50),
		    (uint16_t)(20000 + i / 50), 9000);
		pg_connect(&up);
		pg_send_str(&up, 0, req);
		pg_send_str(&up, 1, answer);
		pg_close(&up);
		pg_send_str(&down[i], 1, answer);
		pg_close(&down[i]);
	}
	pcap_dump_close(d);
	pcap_close(p);
	free(down);
	return 0;
}

/* The --flood capture; 0 or -1. */
static int
write_flood(long conns, long reqs, bool ooo, const char *path)
{
	static const char get[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 262144);
	pcap_dumper_t *d;
	struct pg g;
	struct pg_conn c;
	char *burst;
	size_t blen = (size_t)reqs * (sizeof(get) - 1);

	if (p == NULL || (burst = malloc(blen + 1)) == NULL)
		return -1;
	for (long i = 0; i < reqs; i++)
		memcpy(burst + (size_t)i * (sizeof(get) - 1), get,
		    sizeof(get) - 1);
	if ((d = pcap_dump_open(p, path)) == NULL) {
		fprintf(stderr, "mkpcap: %s: %s\n", path, pcap_geterr(p));
		pcap_close(p);
		free(burst);
		return -1;
	}
	memset(&g, 0, sizeof(g));
	g.out = dump_frame;
	g.ctx = d;
	g.dlt = DLT_EN10MB;
	g.family = 4;
	g.ts_us = INT64_C(1795601702000000);
	g.step_us = 100;	/* all open at once, well within the idle time */
	for (long i = 0; i < conns; i++) {
		pg_conn_init(&c, &g, 1, (uint16_t)(20000 + i % 40000), 8080);
		c.cli[1] = (uint8_t)(i >> 16);	/* 10.x.y.z: one client each */
		c.cli[2] = (uint8_t)(i >> 8);
		c.cli[3] = (uint8_t)i;
		pg_connect(&c);
		/* in MSS-sized segments, as a client would send them */
		for (size_t off = 0; off < blen; off += 1448)
			pg_send(&c, 0, burst + off, blen - off < 1448 ?
			    blen - off : 1448);
		for (size_t off = 0; ooo && off < blen; off += 1448)
			pg_segment(&c, 0, PG_ACK | PG_PSH,
			    c.cseq + 1 + (uint32_t)off, c.sseq, burst + off,
			    blen - off < 1448 ? blen - off : 1448);
	}
	pcap_dump_close(d);
	pcap_close(p);
	free(burst);
	return 0;
}

/* A file cut in the middle of a packet record. */
static int
write_truncated(const char *dir)
{
	char src[4096], dst[4096];
	FILE *f;
	long size;

	snprintf(src, sizeof(src), "%s/basic.pcap", dir);
	snprintf(dst, sizeof(dst), "%s/truncated_file.pcap", dir);
	if ((f = fopen(src, "rb")) == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	if (size < 40)
		return -1;
	/* copy, then cut inside the last record */
	char cmd[9000];
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, dst);
	if (system(cmd) != 0 || truncate(dst, size - 30) != 0)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	size_t n = sizeof(pg_scenarios) / sizeof(pg_scenarios[0]);

	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", pg_scenarios[i].name);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--all") == 0) {
		char path[4096];

		for (size_t i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/%s.pcap", argv[2],
			    pg_scenarios[i].name);
			if (write_one(&pg_scenarios[i], path) != 0)
				return 1;
		}
		return write_truncated(argv[2]) == 0 ? 0 : 1;
	}
	if (argc == 4 && strcmp(argv[1], "--pending") == 0)
		return write_pending(atol(argv[2]), argv[3]) == 0 ? 0 : 1;
	if ((argc == 5 || (argc == 6 && strcmp(argv[5], "ooo") == 0)) &&
	    strcmp(argv[1], "--flood") == 0) {
		long conns = atol(argv[2]), reqs = atol(argv[3]);

		if (conns <= 0 || reqs <= 0 || reqs > 2000) {
			fprintf(stderr, "mkpcap: --flood CONNS REQS FILE [ooo] "
			    "(REQS 1..2000)\n");
			return 2;
		}
		return write_flood(conns, reqs, argc == 6, argv[4]) == 0 ? 0 :
		    1;
	}
	if (argc == 4 && strcmp(argv[1], "--ng") == 0) {
		for (size_t i = 0; i < n; i++)
			if (strcmp(argv[2], pg_scenarios[i].name) == 0)
				return write_ng(&pg_scenarios[i], argv[3]) ? 1 : 0;
		fprintf(stderr, "mkpcap: no scenario '%s' (--list)\n", argv[2]);
		return 2;
	}
	if (argc == 3) {
		for (size_t i = 0; i < n; i++)
			if (strcmp(argv[1], pg_scenarios[i].name) == 0)
				return write_one(&pg_scenarios[i], argv[2]) ? 1 : 0;
		fprintf(stderr, "mkpcap: no scenario '%s' (--list)\n", argv[1]);
		return 2;
	}
	fprintf(stderr, "usage: mkpcap SCENARIO FILE | --all DIR | --list | "
	    "--ng SCENARIO FILE | --flood CONNS REQS FILE [ooo] | "
	    "--pending N FILE\n");
	return 2;
}

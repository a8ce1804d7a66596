/*
 * wiredump.c - print what the gateway-host join (parse/wire_join.c) is
 * fed by `capture -r FILE --listen PORTS`: every exchange the HTTP layer
 * finishes, in the order and with the fields the join sees, and the
 * capture-time points at which the capture advances the join, so that a
 * mis-tie seen in an end-to-end run can be turned into a unit test (the
 * exact event order and timings of the failing run).
 *
 *   wiredump [--tie] FILE PORT[,PORT...] [FROM_US [TO_US]]
 *
 * One line per event, times in microseconds relative to the first packet
 * (FROM_US and TO_US keep only the exchanges that end in that window):
 *   X d|u server sport method path?query status cause syn start ready
 *     first_byte end conn_only end_unsure
 *   A now        (wire_join_advance, as cmd_capture.c calls it)
 * With --tie the exchanges go through the join instead, and what it
 * emits is printed, one line per client request (FROM_US/TO_US on its
 * answer):
 *   T path?query status cause n_attempts [server start end cause]...
 *     @ start ready first_byte end     (the client request's own times)
 * The packet loop is cmd_capture.c's, for a file (not live).
 *
 *   wiredump --tie --lines DUMP
 * feeds the join the lines of a dump printed before (X and A lines, or
 * the same without "X ", as test_wire_join keeps them; others are
 * skipped) instead of a pcap, and prints its T lines: a replay kept in a
 * unit test, or a window cut from a large capture, tied by this build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/packet.h"
#include "capture/pcapsrc.h"
#include "capture/tcp.h"
#include "core/cause.h"
#include "parse/http.h"
#include "parse/wire_join.h"

struct dump {
	int64_t t0, from, to;
	struct wire_join *join;
};

static int64_t
rel(const struct dump *d, int64_t t)
{
	return t < 0 ? -1 : t - d->t0;
}

/* wire_join_out_fn: one line per client request the join emits. */
static int
on_tied(void *ctx, const struct http_exchange *x,
    const struct http_exchange *const *att, int n, enum gw_cause cause)
{
	const struct dump *d = ctx;

	if (rel(d, x->end_us) < d->from || rel(d, x->end_us) > d->to)
		return 0;
	printf("T %s%s%s %d %s %d", x->path[0] ? x->path : "-",
	    x->has_query ? "?" : "", x->query, x->status, cause_name(cause),
	    n);
	for (int i = 0; i < n; i++)
		printf(" %s %lld %lld %s", att[i]->server,
		    (long long)rel(d, att[i]->start_us),
		    (long long)rel(d, att[i]->end_us),
		    cause_name(att[i]->cause));
	printf(" @ %lld %lld %lld %lld\n", (long long)rel(d, x->start_us),
	    (long long)rel(d, x->ready_us), (long long)rel(d, x->first_byte_us),
	    (long long)rel(d, x->end_us));
	return 0;
}

static void
on_exchange(void *ctx, const struct http_exchange *x)
{
	const struct dump *d = ctx;

	if (d->join != NULL) {
		if (wire_join_add(d->join, x) != 0)
			fprintf(stderr, "wiredump: out of memory\n");
		return;
	}
	if (rel(d, x->end_us) < d->from || rel(d, x->end_us) > d->to)
		return;
	printf("X %c %s %u %s %s%s%s %d %s %lld %lld %lld %lld %lld %d %d\n",
	    x->downstream ? 'd' : 'u', x->server[0] ? x->server : "-",
	    x->server_port, x->method[0] ? x->method : "-",
	    x->path[0] ? x->path : "-", x->has_query ? "?" : "",
	    x->query, x->status, cause_name(x->cause),
	    (long long)rel(d, x->syn_us), (long long)rel(d, x->start_us),
	    (long long)rel(d, x->ready_us), (long long)rel(d, x->first_byte_us),
	    (long long)rel(d, x->end_us), x->conn_only, x->end_unsure);
}

/* One dump line into x (see the file comment); false when it is not an
 * exchange. */
static bool
parse_line(const char *line, struct http_exchange *x)
{
	char kind, method[16], uri[256], cause[48], *q;
	long long syn, start, ready, fb, end;
	int status, conn_only, unsure;
	unsigned port;

	memset(x, 0, sizeof(*x));
	if (strncmp(line, "X ", 2) == 0)
		line += 2;
	if (sscanf(line, "%c %63s %u %15s %255s %d %47s %lld %lld %lld %lld "
	    "%lld %d %d", &kind, x->server, &port, method, uri, &status, cause,
	    &syn, &start, &ready, &fb, &end, &conn_only, &unsure) != 14 ||
	    (kind != 'd' && kind != 'u') ||
	    !cause_from_name(cause, strlen(cause), &x->cause))
		return false;
	x->downstream = kind == 'd';
	x->server_port = (uint16_t)port;
	x->status = status;
	x->syn_us = syn;
	x->synack_us = -1;
	x->start_us = start;
	x->ready_us = ready;
	x->first_byte_us = fb;
	x->end_us = end;
	x->conn_only = conn_only;
	x->end_unsure = unsure;
	x->header_bytes = x->body_bytes = -1;
	x->id_kind = -1;
	if (strcmp(method, "-") != 0) {
		x->has_request = true;
		x->unanswered = x->downstream && status < 0;
		snprintf(x->method, sizeof(x->method), "%s", method);
		if ((q = strchr(uri, '?')) != NULL) {
			*q = '\0';
			x->has_query = true;
			snprintf(x->query, sizeof(x->query), "%s", q + 1);
		}
		snprintf(x->path, sizeof(x->path), "%s", uri);
		snprintf(x->protocol, sizeof(x->protocol), "HTTP/1.1");
	}
	return true;
}

/* wiredump --tie --lines DUMP */
static int
replay(const char *file)
{
	struct dump d = {.t0 = 0, .from = INT64_MIN, .to = INT64_MAX};
	FILE *f = fopen(file, "r");
	char line[1024];

	if (f == NULL || (d.join = wire_join_new(NULL, on_tied, &d)) == NULL) {
		perror(file);
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *l = line + strspn(line, " \t\"");
		struct http_exchange x;

		if (strncmp(l, "A ", 2) == 0) {
			if (strncmp(l, "A end", 5) == 0)
				wire_join_flush(d.join);
			else
				wire_join_advance(d.join, strtoll(l + 2, NULL,
				    10));
		} else if (parse_line(l, &x) && wire_join_add(d.join, &x) != 0) {
			fprintf(stderr, "wiredump: out of memory\n");
		}
	}
	fclose(f);
	wire_join_flush(d.join);
	wire_join_free(d.join);
	return 0;
}

int
main(int argc, char **argv)
{
	struct cap_opts co = {0};
	struct cap_source *cs;
	struct dump d = {.t0 = -1, .from = INT64_MIN, .to = INT64_MAX};
	uint16_t ports[16];
	size_t n_ports = 0;
	char err[512];
	const uint8_t *frame;
	size_t caplen;
	int64_t ts = 0;
	uint64_t offset, pkt_no = 0;
	struct packet p;

	bool tie = argc > 1 && strcmp(argv[1], "--tie") == 0;

	if (tie) {
		argv++;
		argc--;
	}
	if (tie && argc == 3 && strcmp(argv[1], "--lines") == 0)
		return replay(argv[2]);
	if (argc < 3) {
		fprintf(stderr, "usage: wiredump [--tie] FILE PORT[,PORT...] "
		    "[FROM_US [TO_US]]\n       wiredump --tie --lines DUMP\n");
		return 2;
	}
	for (char *s = argv[2]; *s != '\0' && n_ports < 16;) {
		char *end;

		ports[n_ports++] = (uint16_t)strtoul(s, &end, 10);
		s = *end == ',' ? end + 1 : end;
		if (end == s && *end != '\0')
			break;
	}
	if (argc > 3)
		d.from = strtoll(argv[3], NULL, 10);
	if (argc > 4)
		d.to = strtoll(argv[4], NULL, 10);
	co.file = argv[1];
	if (cap_open(&co, &cs, err, sizeof(err)) != 0) {
		fprintf(stderr, "wiredump: %s\n", err);
		return 1;
	}
	struct http_opts ho = {.listen_ports = ports, .n_listen_ports = n_ports};
	struct tcp_opts to = {.server_ports = ports, .n_server_ports = n_ports};
	struct tcp_handler th;
	struct http_tracker *ht = http_tracker_new(&ho, on_exchange, &d);
	struct tcp_table *tt;

	if (ht == NULL || (tie && (d.join = wire_join_new(NULL, on_tied,
	    &d)) == NULL))
		return 1;
	http_tracker_handler(ht, &th);
	if ((tt = tcp_table_new(&to, &th)) == NULL)
		return 1;
	for (;;) {
		int got = cap_next(cs, &frame, &caplen, &ts, &offset, err,
		    sizeof(err));
		enum packet_kind k;

		if (got != 1)
			break;
		if (d.t0 < 0)
			d.t0 = ts;
		pkt_no++;
		p.ts_us = ts;
		k = packet_decode(cap_datalink(cs), frame, caplen, &p);
		if (k == PACKET_TCP || k == PACKET_UNREACH) {
			http_tracker_position(ht, pkt_no, offset);
			tcp_table_add(tt, &p, k);
		}
		tcp_table_advance(tt, ts);
		if (pkt_no % 256 != 0)
			continue;
		if (d.join != NULL)
			wire_join_advance(d.join, ts);
		else if (rel(&d, ts) >= d.from && rel(&d, ts) <= d.to)
			printf("A %lld\n", (long long)rel(&d, ts));
	}
	tcp_table_flush(tt, ts);
	if (d.join != NULL) {
		struct wire_join_stats st;

		wire_join_flush(d.join);
		wire_join_stats(d.join, &st);
		fprintf(stderr, "wiredump: %llu client requests, %llu upstream; "
		    "held at most %llu, upstream records at most %llu; %llu "
		    "walks stopped at their step bound, %llu released early\n",
		    (unsigned long long)st.downstream,
		    (unsigned long long)st.upstream,
		    (unsigned long long)st.held_peak,
		    (unsigned long long)st.up_peak,
		    (unsigned long long)st.scan_capped,
		    (unsigned long long)st.forced);
		wire_join_free(d.join);
	} else {
		printf("A end\n");
	}
	tcp_table_free(tt);
	http_tracker_free(ht);
	cap_close(cs);
	return 0;
}

/*
 * cmd_capture.c - `gatewatch capture`: HTTP failures straight from the wire.
 *
 * Packets come from capture/pcap (a live interface or a pcap/pcapng file),
 * are decoded by capture/packet, reassembled per connection by capture/tcp
 * and paired into exchanges by parse/http; each exchange becomes an event
 * in the same batches `ingest` fills, stored by the writer thread. With
 * --listen the capture runs in gateway-host mode: parse/wire_join ties each
 * downstream request (to a listen port) to the upstream attempts behind
 * it, so the client's 502 gets the upstream's address and the wire's cause.
 *
 * A file read before is recognised by its first bytes (like a log): its
 * events up to the stored position are not stored again. At the end the
 * counters (kernel drops included) are stored with the source and printed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/capture_stats.h"
#include "cli/metricsopts.h"
#include "cli/capjoin.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "core/clock.h"
#include "parse/http.h"
#include "capture/packet.h"
#include "capture/pcapsrc.h"
#include "cli/pipeline.h"
#include "cli/retain.h"
#include "store/store.h"
#include "capture/tcp.h"
#include "parse/wire_join.h"

#define BATCH_RECORDS	8192
#define BATCH_ARENA_MAX	(8 * 1024 * 1024)
#define LISTEN_MAX	64
#define LIVE_FLUSH_US	(1000 * INT64_C(1000))
/* A live capture offers its records to the join thread this often. */
#define LIVE_HANDOFF_US	(50 * INT64_C(1000))

struct capture_opts {
	const char *db;
	struct cap_opts cap;
	uint16_t listen[LISTEN_MAX];
	size_t n_listen;
	const char *id_header;
	const char *user;	/* -Z; NULL: cap_default_user() */
	int64_t db_group;	/* --db-group, -1 none */
	char shown[512];	/* the interface or file, escaped */
	uint64_t count;		/* stop after this many packets, 0 = no */
	double duration;	/* live: stop after this long, 0 = no */
	size_t max_flows;
	size_t max_pending;		/* --max-pending, 0: http.c's */
	bool discard;		/* --discard: build the events, store none */
	bool quiet;
	bool tui;		/* --tui: the console in this process */
	struct retain_opts retain;	/* --retain and friends */
	struct metricsopts metrics;	/* --metrics-listen */
};

/*
 * What the callbacks share with the loop. With --listen the join, the
 * events and the pipeline's batches are the join thread's (cj, see
 * cli/capjoin.h): the loop hands it the exchanges and reads the counters
 * only once capjoin_finish() returned.
 */
struct capture_run {
	struct pipeline *pl;
	struct wire_join *join;
	struct capjoin *cj;	/* the join's thread, with --listen */
	bool live;
	int64_t last_flush;	/* the join thread's: batch time (live) */
	uint64_t resume;	/* packets before this offset are stored */
	uint64_t position, line_no;	/* the loop's: the last packet read */
	bool failed;		/* out of memory somewhere */
	bool reported;		/* the loop printed why */
	char error[512];	/* why, when not out of memory */
	uint64_t events, rejects, skipped;	/* built */
	bool write_failed;	/* the writer failed (said once) */
	int64_t stored, stored_rejects;	/* of those, committed */
};

/*
 * The writer failed (disk full, I/O error): say why, once, however many
 * of the calls that wait for it tell it again.
 */
static void
capture_write_failed(struct capture_run *r, const char *err)
{
	if (!r->write_failed && !(r->reported && strcmp(err, r->error) == 0))
		fprintf(stderr, "gatewatch capture: %s\n", err);
	r->write_failed = true;
}

static cli_stop_flag interrupted;	/* a signal, or q in the console */

static void
on_signal(int sig)
{
	(void)sig;
	atomic_store(&interrupted, CLI_STOP_SIGNAL);
}

/* Store one request (with its attempts) or, when its status was lost to
 * a gap or the end of the capture, a reject saying so. */
static int
store_exchange(void *ctx, const struct http_exchange *x,
    const struct http_exchange *const *att, int n, enum gw_cause cause)
{
	struct capture_run *r = ctx;
	struct gw_batch *b = pipeline_batch(r->pl);

	if (r->resume > 0 && x->pkt_offset < r->resume) {
		r->skipped++;
		return 0;
	}
	if (x->status < 0) {
		char raw[HTTP_PATH_MAX + 256];
		int len = snprintf(raw, sizeof(raw), "%s %s%s%s -> %s",
		    x->method[0] ? x->method : "-", x->path[0] ? x->path : "-",
		    x->has_query ? "?" : "", x->query, x->server);

		r->rejects++;
		if (len < 0)
			len = 0;
		if ((size_t)len >= sizeof(raw))
			len = sizeof(raw) - 1;
		return batch_add_reject(b, x->pkt_no, x->pkt_offset,
		    x->conn_only ? "capture: connection attempt still waiting "
		    "when the capture ended" : x->unanswered ? "capture: the "
		    "gateway closed the connection without answering this "
		    "request (queued behind a closing answer; a gateway logs "
		    "none)" : "capture: exchange incomplete "
		    "(bytes lost, or the capture ended), no status seen",
		    raw, (size_t)len);
	}
	r->events++;
	return http_event_add(b, x, att, n, cause);
}

/*
 * The sink of --discard: the batch is built as for the store (so the
 * capture side costs what it always costs), then dropped. For measuring
 * which side bounds a capture: this, or the store's writer thread.
 */
static int
discard_sink(void *ctx, struct gw_batch *b, char *err, size_t errlen)
{
	(void)ctx;
	(void)b;
	(void)err;
	(void)errlen;
	return 0;
}

/* http_emit_fn: every exchange the HTTP layer finishes. */
static void
on_exchange(void *ctx, const struct http_exchange *x)
{
	struct capture_run *r = ctx;
	const struct http_exchange *self = x;
	int rc;

	if (r->cj != NULL)
		rc = capjoin_exchange(r->cj, x, r->error, sizeof(r->error));
	else if (r->join != NULL)
		rc = wire_join_add(r->join, x);
	else
		rc = store_exchange(r, x, &self, 1, x->cause);
	if (rc != 0)
		r->failed = true;
}

/* http_pack_reserve_fn and http_pack_commit_fn (with the join thread):
 * an answered request the HTTP layer packs in place into capjoin's chunk. */
static void *
on_pack_reserve(void *ctx)
{
	struct capture_run *r = ctx;
	void *buf = capjoin_reserve(r->cj, r->error, sizeof(r->error));

	if (buf == NULL)
		r->failed = true;
	return buf;
}

static void
on_pack_commit(void *ctx, size_t size)
{
	struct capture_run *r = ctx;

	if (capjoin_commit(r->cj, size, r->error, sizeof(r->error)) != 0)
		r->failed = true;
}

/* The batch is full (or, live, a second old): to the writer. */
static int
flush_due(struct capture_run *r, struct gw_batch *b, int64_t ts, char *err,
    size_t errlen)
{
	if (batch_count(b) >= BATCH_RECORDS ||
	    arena_used(b->arena) > BATCH_ARENA_MAX ||
	    (r->live && batch_count(b) > 0 && ts - r->last_flush >=
	    LIVE_FLUSH_US)) {
		r->last_flush = ts;
		return pipeline_flush(r->pl, err, errlen);
	}
	return 0;
}

/* capjoin_fns, on the join thread: what the packet loop does without it. */
static int
join_exchange(void *ctx, const struct http_exchange *x, char *err,
    size_t errlen)
{
	struct capture_run *r = ctx;

	if (wire_join_add(r->join, x) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int
join_tick(void *ctx, int64_t ts, bool advance, bool packet,
    uint64_t position, uint64_t line_no, char *err, size_t errlen)
{
	struct capture_run *r = ctx;
	struct gw_batch *b = pipeline_batch(r->pl);

	if (advance && wire_join_advance(r->join, ts) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (packet) {
		b->position = position;
		b->line_no = line_no;
	}
	return flush_due(r, b, ts, err, errlen);
}

static int
join_finish(void *ctx, char *err, size_t errlen)
{
	struct capture_run *r = ctx;

	if (wire_join_flush(r->join) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Parse "80,8080" into o->listen; -1 on bad text. */
static int
parse_ports(const char *s, struct capture_opts *o)
{
	char *end;

	while (*s != '\0') {
		long v = strtol(s, &end, 10);

		if (end == s || v <= 0 || v > 65535 || o->n_listen == LISTEN_MAX)
			return -1;
		o->listen[o->n_listen++] = (uint16_t)v;
		s = end;
		if (*s == ',')
			s++;
		else if (*s != '\0')
			return -1;
	}
	return o->n_listen > 0 ? 0 : -1;
}

/* The options of capture's own, before the shared ones (other column). */
#define CAPTURE_OWN_OPTS	17

static void
capture_usage(FILE *f, const struct opt *opts)
{
	fputs("usage: gatewatch capture [-d DB] (-i IFACE | -r FILE|-) [-f BPF]\n"
	    "                         [--listen PORTS] [--id-header NAME]\n"
	    "                         [-Z USER] [-c COUNT] [--duration SECS] [-q]\n"
	    "                         [--max-flows N] [--max-pending N] [--discard]\n"
	    "                         [--retain DURATION] [--retain-rollups DURATION]\n"
	    "                         [--max-db-size SIZE]\n\n"
	    "Reads HTTP/1.x traffic from an interface or a pcap/pcapng file and\n"
	    "stores one request per exchange, with the upstream's address and\n"
	    "the failure cause seen on the wire (refused, connect timeout,\n"
	    "reset, closed early, not HTTP, 5xx, truncated ...).\n\n", f);
	opt_usage_n(f, opts, CAPTURE_OWN_OPTS, 22);
	opt_usage(f, opts + CAPTURE_OWN_OPTS, 25);
}

/* --listen PORT[,PORT...] */
static int
capture_listen_cb(const struct opt *opt, const char *arg, const char *cmd)
{
	if (parse_ports(arg, opt->value) != 0) {
		fprintf(stderr, "gatewatch %s: bad --listen '%s' "
		    "(PORT[,PORT...])\n", cmd, arg);
		return -1;
	}
	return 0;
}

/* The numbers: --count, --duration, --snaplen, --buffer, --max-*. */
static int
capture_number_cb(const struct opt *opt, const char *arg, const char *cmd)
{
	struct capture_opts *o = opt->value;
	const char *name = opt->long_name;
	char *end;
	bool ok;

	if (strcmp(name, "count") == 0) {
		o->count = strtoull(arg, &end, 10);
		ok = o->count != 0;
	} else if (strcmp(name, "duration") == 0) {
		o->duration = strtod(arg, &end);
		ok = o->duration > 0;
	} else if (strcmp(name, "snaplen") == 0) {
		o->cap.snaplen = (int)strtol(arg, &end, 10);
		ok = o->cap.snaplen >= 64;
	} else if (strcmp(name, "buffer") == 0) {
		o->cap.buffer_mb = (int)strtol(arg, &end, 10);
		ok = o->cap.buffer_mb > 0;
	} else if (strcmp(name, "max-flows") == 0) {
		o->max_flows = strtoull(arg, &end, 10);
		ok = o->max_flows != 0;
	} else {
		o->max_pending = strtoull(arg, &end, 10);
		ok = o->max_pending != 0;
	}
	if (*end != '\0' || !ok) {
		fprintf(stderr, "gatewatch %s: bad number '%s'\n", cmd, arg);
		return -1;
	}
	return 0;
}

/* Parse argv into o; returns -1 when done (exit status in *status). */
static int
capture_args(int argc, char **argv, struct capture_opts *o, int *status)
{
	const struct opt opts[] = {
		OPT_DB(&o->db),
		OPT_STRING('i', "interface", &o->cap.iface, "IF",
		    "live capture (\"any\" for all); needs root or\n"
		    "CAP_NET_RAW (+CAP_NET_ADMIN for the buffer)"),
		OPT_STRING('r', "read", &o->cap.file, "FILE",
		    "read a capture file (- for stdin)"),
		OPT_FLAG(0, "follow-symlinks", &o->cap.follow_symlinks,
		    "-r: also read a FILE that is a symlink,\n"
		    "has more than one name or another owner"),
		OPT_STRING('f', "filter", &o->cap.filter, "BPF",
		    "capture filter (default: all TCP and ICMP)"),
		OPT_CALLBACK(0, "listen", o, "PORTS",
		    "the gateway's own ports (80,443): gateway-host\n"
		    "mode, each client request tied to its upstream\n"
		    "attempts", capture_listen_cb),
		OPT_STRING(0, "id-header", &o->id_header, "NAME",
		    "request id header to tie by, besides\n"
		    "X-Request-Id and traceparent"),
		OPT_STRING('Z', "user", &o->user, "USER",
		    "when started as root, become USER once the\n"
		    "capture and the database are open (default:\n"
		    "gatewatch if that user exists, else nobody;\n"
		    "-Z root keeps root)"),
		OPT_CALLBACK(0, "db-group", &o->db_group, "GROUP",
		    "a new database is made 0640 for GROUP (else 0600)",
		    opt_group_cb),
		OPT_CALLBACK('c', "count", o, "N", "stop after N packets",
		    capture_number_cb),
		OPT_CALLBACK(0, "duration", o, "SECS",
		    "live: stop after SECS seconds", capture_number_cb),
		OPT_FLAG(0, "tui", &o->tui,
		    "open the console (gatewatch top) meanwhile;\n"
		    "messages go to DB.capture.log; q stops both"),
		OPT_CALLBACK('s', "snaplen", o, "N",
		    "bytes kept per packet (default 262144)", capture_number_cb),
		OPT_CALLBACK('B', "buffer", o, "MB",
		    "kernel capture buffer (default 64)", capture_number_cb),
		OPT_CALLBACK(0, "max-flows", o, "N",
		    "connections tracked at once (default 65536)",
		    capture_number_cb),
		OPT_CALLBACK(0, "max-pending", o, "N",
		    "requests awaiting answers in all connections\n"
		    "(default 4096, ~150 bytes each); past it the\n"
		    "busiest connection is given up and counted",
		    capture_number_cb),
		OPT_FLAG(0, "discard", &o->discard,
		    "store nothing, open no database (-d unused):\n"
		    "measures the capture side without the store"),
		OPT_FLAG('q', "quiet", &o->quiet, "no summary"),
		/* CAPTURE_OWN_OPTS above, the shared ones below. */
		RETAIN_OPTS(&o->retain, "live capture only; with -r FILE "
		    "nothing is\npruned unless one of these is given"),
		METRICSOPTS_OPT_LISTEN(&o->metrics),
		METRICSOPTS_OPT_MAX_UPSTREAMS(&o->metrics),
		OPT_END(),
	};
	int first, rc;

	retain_opts_init(&o->retain, true);
	if ((rc = opt_parse_strict("capture", argc, argv, opts, capture_usage,
	    &first)) >= 0) {
		*status = rc;
		return -1;
	}
	if (first < argc) {
		fprintf(stderr, "gatewatch capture: unexpected '%s'\n",
		    argv[first]);
		goto usage;
	}
	if ((o->cap.iface == NULL) == (o->cap.file == NULL)) {
		fprintf(stderr, "gatewatch capture: give -i IFACE or -r FILE\n");
		goto usage;
	}
	/* Reading a file prunes only when asked to. */
	if (o->cap.file != NULL && !o->retain.given)
		retain_opts_init(&o->retain, false);
	/*
	 * --discard measures the capture side alone: it opens no database,
	 * so what reads one (the console, the pruner, the exporter) has none.
	 */
	if (o->discard && (o->tui || o->retain.given ||
	    o->metrics.listen != NULL)) {
		fprintf(stderr, "gatewatch capture: --discard opens no "
		    "database: not with --tui, --retain or --metrics-listen\n");
		goto usage;
	}
	return 0;
usage:
	capture_usage(stderr, opts);
	*status = EXIT_USAGE;
	return -1;
}

/* Print the summary of the run. */
static void
print_summary(const struct capture_opts *o, struct cap_source *cs,
    const struct cap_stats *st, const struct tcp_stats *ts,
    const struct http_stats *hs, const struct wire_join_stats *js,
    const struct capture_run *r, double secs)
{
	double mb = (double)st->bytes / 1e6;

	fprintf(stderr, "capture: %s (%s): %llu packets, %.1f MB in %.2f s "
	    "(%.1f MB/s, %.0f packets/s)\n",
	    o->shown, cap_datalink_name(cs),
	    (unsigned long long)st->packets, mb, secs,
	    secs > 0 ? mb / secs : 0.0,
	    secs > 0 ? (double)st->packets / secs : 0.0);
	if (st->live)
		fprintf(stderr, "  kernel: %llu received, %llu dropped, %llu "
		    "dropped by the interface\n",
		    (unsigned long long)st->received,
		    (unsigned long long)st->dropped,
		    (unsigned long long)st->if_dropped);
	if (st->bad_times > 0)
		fprintf(stderr, "  %llu packets with a time out of range "
		    "(before 1970 or past 2^40 s): clamped\n",
		    (unsigned long long)st->bad_times);
	fprintf(stderr, "  tcp: %llu connections (at most %llu at once), "
	    "%llu retransmitted bytes, %llu early segments held, %llu gaps "
	    "(%llu bytes lost), %llu evicted, %llu idle\n",
	    (unsigned long long)ts->flows, (unsigned long long)ts->flows_peak,
	    (unsigned long long)ts->retransmitted_bytes,
	    (unsigned long long)ts->ooo_segments, (unsigned long long)ts->gaps,
	    (unsigned long long)ts->gap_bytes, (unsigned long long)ts->evicted,
	    (unsigned long long)ts->idle_expired);
	fprintf(stderr, "  http: %llu exchanges, %llu failed connects, %llu "
	    "incomplete, %llu interim 1xx, %llu upgrades, %llu resyncs, %llu "
	    "answers without a request seen, %llu streams not HTTP\n",
	    (unsigned long long)hs->exchanges,
	    (unsigned long long)hs->conn_failures,
	    (unsigned long long)hs->incomplete,
	    (unsigned long long)hs->interim, (unsigned long long)hs->upgrades,
	    (unsigned long long)hs->resyncs,
	    (unsigned long long)hs->orphan_responses,
	    (unsigned long long)hs->not_http);
	if (hs->budget_drops > 0 || hs->pipeline_drops > 0)
		fprintf(stderr, "  memory budget: %llu requests dropped "
		    "unanswered (%llu connections given up when the requests "
		    "awaiting answers filled the budget, %llu past the limit of "
		    "one connection); at most %llu held at once\n",
		    (unsigned long long)(hs->budget_drops + hs->pipeline_drops),
		    (unsigned long long)hs->conns_shed,
		    (unsigned long long)hs->pipeline_drops,
		    (unsigned long long)hs->pending_peak);
	if (r->join != NULL)
		fprintf(stderr, "  gateway: %llu client requests, %llu failed, "
		    "%llu of them tied to an upstream attempt (%.1f%%); "
		    "attempts tied by id %llu, by method+path %llu, by time "
		    "%llu; %llu upstream exchanges answered no client\n",
		    (unsigned long long)js->downstream,
		    (unsigned long long)js->failed,
		    (unsigned long long)js->failed_tied,
		    js->failed ? 100.0 * (double)js->failed_tied /
		    (double)js->failed : 100.0,
		    (unsigned long long)js->tied_id,
		    (unsigned long long)js->tied_match,
		    (unsigned long long)js->tied_time,
		    (unsigned long long)js->upstream_untied);
	for (int i = 0; r->join != NULL && i < js->n_ports; i++) {
		const struct wire_join_port *p = &js->ports[i];

		fprintf(stderr, "  gateway port %u: %llu client requests, "
		    "%llu failed, %llu tied (%.1f%%), %llu failed untied\n",
		    p->port, (unsigned long long)p->downstream,
		    (unsigned long long)p->failed,
		    (unsigned long long)p->failed_tied, p->failed ? 100.0 *
		    (double)p->failed_tied / (double)p->failed : 100.0,
		    (unsigned long long)(p->failed - p->failed_tied));
	}
	if (r->join != NULL && js->conn_ambiguous > 0)
		fprintf(stderr, "  gateway: %llu failed connects as close to "
		    "two failed client requests (tied to neither)\n",
		    (unsigned long long)js->conn_ambiguous);
	if (r->join != NULL && (js->forced || js->scan_capped))
		fprintf(stderr, "  gateway: bounds reached: %llu released "
		    "early (too many held), %llu searches stopped at their "
		    "step bound\n", (unsigned long long)js->forced,
		    (unsigned long long)js->scan_capped);
	/* --discard builds the same events and stores none: say so */
	if (o->discard)
		fprintf(stderr, "  built (--discard: not stored): %llu "
		    "requests, %llu incomplete as rejects",
		    (unsigned long long)r->events,
		    (unsigned long long)r->rejects);
	else
		fprintf(stderr, "  stored: %llu requests, %llu incomplete as "
		    "rejects", (unsigned long long)r->stored,
		    (unsigned long long)r->stored_rejects);
	/* only what was committed is stored: after a failed write, less */
	if (!o->discard && (r->events > (uint64_t)r->stored ||
	    r->rejects > (uint64_t)r->stored_rejects))
		fprintf(stderr, " (%llu requests and %llu rejects more built, "
		    "not stored: a write failed)", (unsigned long long)
		    (r->events - (uint64_t)r->stored), (unsigned long long)
		    (r->rejects - (uint64_t)r->stored_rejects));
	if (r->skipped)
		fprintf(stderr, ", %llu skipped (stored by an earlier run)",
		    (unsigned long long)r->skipped);
	fputc('\n', stderr);
}

/* Counters for the store. */
static void
fill_stats(struct store_capture_stats *cs, const struct cap_stats *st,
    const struct tcp_stats *ts, const struct http_stats *hs,
    const struct wire_join_stats *js, bool joined)
{
	cs->packets = (int64_t)st->packets;
	cs->bytes = (int64_t)st->bytes;
	cs->received = st->live ? (int64_t)st->received : -1;
	cs->dropped = st->live ? (int64_t)st->dropped : -1;
	cs->if_dropped = st->live ? (int64_t)st->if_dropped : -1;
	cs->flows = (int64_t)ts->flows;
	cs->evicted = (int64_t)ts->evicted;
	cs->gaps = (int64_t)ts->gaps;
	cs->gap_bytes = (int64_t)ts->gap_bytes;
	cs->exchanges = (int64_t)hs->exchanges;
	cs->conn_failures = (int64_t)hs->conn_failures;
	cs->incomplete = (int64_t)hs->incomplete;
	cs->requests_dropped = (int64_t)(hs->budget_drops + hs->pipeline_drops);
	cs->downstream_failed = joined ? (int64_t)js->failed : -1;
	cs->downstream_failed_tied = joined ? (int64_t)js->failed_tied : -1;
	cs->n_ports = 0;
	for (int i = 0; joined && i < js->n_ports &&
	    cs->n_ports < STORE_CAPTURE_PORTS_MAX; i++) {
		struct store_capture_port *p = &cs->ports[cs->n_ports++];

		p->port = js->ports[i].port;
		p->requests = (int64_t)js->ports[i].downstream;
		p->failed = (int64_t)js->ports[i].failed;
		p->failed_tied = (int64_t)js->ports[i].failed_tied;
	}
}

/* The packet loop; returns 0, or -1 after printing an error. */
static int
capture_loop(const struct capture_opts *o, struct cap_source *cs,
    struct tcp_table *tt, struct http_tracker *ht, struct capture_run *r,
    int64_t *last_ts)
{
	char err[512];
	const uint8_t *frame;
	size_t caplen;
	int64_t ts = 0, last_drops = 0, last_handoff = 0;
	uint64_t offset = 0, pkt_no = 0;
	int dlt = cap_datalink(cs);
	bool live = cap_is_live(cs);
	double t0 = clk_mono_secs();
	struct packet p;
	int rc = 0;

	while (atomic_load(&interrupted) == 0 && !r->failed) {
		int got = cap_next(cs, &frame, &caplen, &ts, &offset, err,
		    sizeof(err));

		if (got == 2)
			break;
		if (got < 0) {
			fprintf(stderr, "gatewatch capture: %s (the packets "
			    "before it are kept)\n", err);
			break;
		}
		if (o->duration > 0 && clk_mono_secs() - t0 >= o->duration)
			break;
		if (got == 0) {	/* a quiet moment of a live capture */
			ts = clk_wall_ms() * 1000;
			tcp_table_advance(tt, ts);
		} else {
			enum packet_kind k;

			pkt_no++;
			p.ts_us = ts;
			k = packet_decode(dlt, frame, caplen, &p);
			/* (tcp_table_add advances the table's clock first) */
			if (k == PACKET_TCP || k == PACKET_UNREACH) {
				http_tracker_position(ht, pkt_no, offset);
				if (tcp_table_add(tt, &p, k) != 0)
					r->failed = true;
			} else if (!live || pkt_no % 64 == 0)
				tcp_table_advance(tt, ts);
		}
		*last_ts = ts;
		bool advance = got == 0 || pkt_no % 256 == 0;
		uint64_t position = live ? pkt_no : offset + 16 + caplen;
		if (got == 1) {
			r->position = position;
			r->line_no = pkt_no;
		}
		if (r->cj != NULL) {
			/* the join thread advances, positions and flushes:
			 * at the same packets, and at every one when live */
			bool due = live && ts - last_handoff >= LIVE_HANDOFF_US;

			if (due)
				last_handoff = ts;
			if (((advance || live) && capjoin_tick(r->cj, ts,
			    advance, got == 1, position, pkt_no, r->error,
			    sizeof(r->error)) != 0) || (due &&
			    capjoin_handoff(r->cj, r->error,
			    sizeof(r->error)) != 0)) {
				r->failed = true;
				break;
			}
		} else {
			if (r->join != NULL && advance &&
			    wire_join_advance(r->join, ts) != 0)
				r->failed = true;
			struct gw_batch *b = pipeline_batch(r->pl);
			if (got == 1) {
				b->position = position;
				b->line_no = pkt_no;
			}
			if (flush_due(r, b, ts, err, sizeof(err)) != 0) {
				capture_write_failed(r, err);
				return -1;
			}
		}
		if (o->metrics.exporter != NULL && live &&
		    ts - last_drops >= 1000000) {
			struct cap_stats cst;
			last_drops = ts;
			cap_get_stats(cs, &cst);
			exporter_set_packets_dropped(o->metrics.exporter,
			    cst.dropped + cst.if_dropped);
		}
		if (o->count > 0 && pkt_no >= o->count)
			break;
	}
	struct http_stats hs;
	http_tracker_stats(ht, &hs);
	if (r->failed || hs.oom > 0) {
		fprintf(stderr, "gatewatch capture: %s\n", r->error[0] != '\0' ?
		    r->error : "out of memory");
		r->reported = true;
		rc = -1;
	}
	return rc;
}

/* Open the source row of this capture; 0, 1 (already read), or -1. */
static int
open_source(const struct capture_opts *o, struct cap_source *cs,
    struct store *st, int64_t *source_id, uint64_t *resume)
{
	unsigned char fp[STORE_FINGERPRINT_LEN];
	char path[300], err[512];
	uint64_t dev, ino, fsize, line = 0;
	size_t fp_len = 0;

	if (o->cap.iface != NULL) {
		snprintf(path, sizeof(path), "iface:%s", o->cap.iface);
		dev = ino = fsize = 0;
	} else {
		snprintf(path, sizeof(path), "%s", o->cap.file);
		/* of the file opened, not of what its name names now */
		fp_len = cap_file_identity(cs, fp, sizeof(fp), &dev, &ino,
		    &fsize);
	}
	struct store_source_info si = {
		.path = path,
		.kind = o->cap.iface != NULL ? "pcap_live" : "pcap",
		.format = cap_datalink_name(cs),
		.dev = dev,
		.ino = ino,
		.fingerprint = fp,
		.fingerprint_len = fp_len,
	};
	if (store_source_open(st, &si, source_id, resume, &line, NULL, 0, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch capture: %s: %s\n", o->shown, err);
		return -1;
	}
	if (*resume > 0 && fsize > 0 && *resume >= fsize) {
		if (!o->quiet)
			fprintf(stderr, "%s: already read (%llu bytes), nothing "
			    "new to store\n", o->shown, (unsigned long long)fsize);
		return 1;
	}
	if (*resume > 0 && !o->quiet)
		fprintf(stderr, "%s: read before up to byte %llu; what was "
		    "stored then is not stored again\n", o->shown,
		    (unsigned long long)*resume);
	return 0;
}

/* What the capture thread of --tui needs. */
struct capture_thread {
	const struct capture_opts *o;
	struct cap_source *cs;
	struct tcp_table *tt;
	struct http_tracker *ht;
	struct capture_run *r;
	int64_t *last_ts;
	int rc;
};

static void *
capture_thread_main(void *arg)
{
	struct capture_thread *ct = arg;

	ct->rc = capture_loop(ct->o, ct->cs, ct->tt, ct->ht, ct->r,
	    ct->last_ts);
	return NULL;
}

/* --tui: capture beside the console (side opened before the drop). */
static int
capture_with_console(const struct capture_opts *o, struct top_side *side,
    struct cap_source *cs, struct tcp_table *tt, struct http_tracker *ht,
    struct capture_run *r, int64_t *last_ts)
{
	struct capture_thread ct = {o, cs, tt, ht, r, last_ts, 0};

	if (top_side_run(side, capture_thread_main, &ct, &interrupted) != 0)
		return -1;
	return ct.rc;
}

/*
 * Give root up once everything privileged is open: for -Z USER, or by
 * default (cap_default_user) when started as root; -Z root keeps it.
 * Returns 0, or -1 after printing why.
 */
static int
capture_drop(const struct capture_opts *o)
{
	char err[512];
	const char *user = o->user != NULL ? o->user : cap_default_user();

	if (user == NULL || strcmp(user, "root") == 0)
		return 0;
	if (cap_drop_privileges(user, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch capture: %s\n", err);
		return -1;
	}
	if (!o->quiet)
		fprintf(stderr, "capture: running as %s from now on (-Z root "
		    "keeps root)\n", user);
	return 0;
}

int
cmd_capture(int argc, char **argv)
{
	struct capture_opts o;
	struct capture_run r;
	struct cap_source *cs = NULL;
	struct store *st = NULL;
	struct tcp_table *tt = NULL;
	struct http_tracker *ht = NULL;
	struct retainer *pruner = NULL;
	char err[512];
	int status = EXIT_ERR, rc;
	int64_t source_id = 0, last_ts = 0, req0 = 0, rej0 = 0;
	struct top_side side = {.logfd = -1};

	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	o.db_group = -1;
	o.db = cli_default_db();
	metricsopts_init(&o.metrics);
	if (capture_args(argc, argv, &o, &status) != 0)
		return status;
	const char *src = o.cap.iface ? o.cap.iface : o.cap.file;
	safe_text(o.shown, sizeof(o.shown), src, strlen(src));
	if (cap_open(&o.cap, &cs, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch capture: %s\n", err);
		return EXIT_ERR;
	}
	struct store_open_opts sopts = {.group = o.db_group};
	if (!o.discard &&
	    store_open_with(o.db, &sopts, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch capture: %s\n", err);
		goto out;
	}
	/*
	 * Plain requests in blocks when reading files; a live capture hands
	 * small batches over each second, as tail does, so it stores rows.
	 */
	if (st != NULL)
		cli_blocks_from_env(st, o.cap.iface == NULL);
	if (!o.discard &&
	    (rc = open_source(&o, cs, st, &source_id, &r.resume)) != 0) {
		status = rc > 0 ? EXIT_OK : EXIT_ERR;
		goto out;
	}
	/*
	 * The console's connections and log, the pruner's connection and the
	 * exporter's too, then give root up: nothing is opened by path after
	 * the drop.
	 */
	if (o.tui && top_side_open(o.db, "capture", &side) != 0)
		goto out;
	if (!o.discard && retain_start(o.db, &o.retain, "capture", &pruner, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch capture: %s\n", err);
		goto out;
	}
	if (metricsopts_start(&o.metrics, o.db, "capture") != 0)
		goto out;
	if (capture_drop(&o) != 0)
		goto out;
	if (st != NULL)
		store_committed(st, &req0, &rej0);
	if ((r.pl = pipeline_new(o.discard ? discard_sink : store_sink, st,
	    err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewatch capture: %s\n", err);
		goto out;
	}
	pipeline_batch(r.pl)->source_id = source_id;
	pipeline_batch(r.pl)->position = r.resume;

	struct http_opts hopts = {
		.id_header = o.id_header,
		.listen_ports = o.listen,
		.n_listen_ports = o.n_listen,
		.pending_max = o.max_pending,
	};
	struct tcp_opts topts = {
		.max_flows = o.max_flows,
		.server_ports = o.listen,
		.n_server_ports = o.n_listen,
	};
	struct tcp_handler th;
	if ((ht = http_tracker_new(&hopts, on_exchange, &r)) == NULL)
		goto oom;
	http_tracker_handler(ht, &th);
	if ((tt = tcp_table_new(&topts, &th)) == NULL)
		goto oom;
	if (o.n_listen > 0 &&
	    (r.join = wire_join_new(NULL, store_exchange, &r)) == NULL)
		goto oom;
	r.live = cap_is_live(cs);
	if (r.join != NULL) {
		static const struct capjoin_fns fns = {join_exchange, join_tick,
		    join_finish};

		if ((r.cj = capjoin_new(&fns, &r, err, sizeof(err))) == NULL) {
			fprintf(stderr, "gatewatch capture: %s\n", err);
			goto out;
		}
		/* answered requests packed as they are read (the rest
		 * through on_exchange, packed there) */
		http_tracker_emit_packed(ht, on_pack_reserve, on_pack_commit);
	}

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!o.quiet)
		fprintf(stderr, "capture: %s %s (%s)%s\n",
		    o.cap.iface ? "listening on" : "reading",
		    o.shown,
		    cap_datalink_name(cs), o.n_listen ? ", gateway-host mode" :
		    "");
	double t0 = clk_mono_secs();
	if (o.tui)
		rc = capture_with_console(&o, &side, cs, tt, ht, &r, &last_ts);
	else
		rc = capture_loop(&o, cs, tt, ht, &r, &last_ts);
	/* What is still open ends here: answers lost to the end are told. */
	tcp_table_flush(tt, last_ts);
	if (r.cj != NULL) {
		/*
		 * The join flushed on its thread; then the batches are ours.
		 * The last packet read is the batch's position only when the
		 * join took every exchange: after a failure it dropped those
		 * the loop handed on later, and the position stays that of the
		 * last packet it took.
		 */
		if (capjoin_finish(r.cj, err, sizeof(err)) != 0) {
			if (!r.reported)
				fprintf(stderr, "gatewatch capture: %s\n", err);
			r.failed = true;
		} else if (r.position > 0) {
			pipeline_batch(r.pl)->position = r.position;
			pipeline_batch(r.pl)->line_no = r.line_no;
		}
	} else if (r.join != NULL && wire_join_flush(r.join) != 0)
		r.failed = true;
	if (r.failed)
		rc = -1;
	if (pipeline_flush(r.pl, err, sizeof(err)) != 0 ||
	    pipeline_sync(r.pl, err, sizeof(err)) != 0) {
		capture_write_failed(&r, err);
		rc = -1;
	}
	if (st != NULL) {	/* the writer is idle: what it committed */
		store_committed(st, &r.stored, &r.stored_rejects);
		r.stored -= req0;
		r.stored_rejects -= rej0;
	}
	double secs = clk_mono_secs() - t0;

	struct cap_stats cst;
	struct tcp_stats tst;
	struct http_stats hst;
	struct wire_join_stats jst;
	struct store_capture_stats sst;
	memset(&jst, 0, sizeof(jst));
	cap_get_stats(cs, &cst);
	tcp_table_stats(tt, &tst);
	http_tracker_stats(ht, &hst);
	if (r.join != NULL)
		wire_join_stats(r.join, &jst);
	fill_stats(&sst, &cst, &tst, &hst, &jst, r.join != NULL);
	if (!o.discard && store_capture_stats_put(st, source_id, &sst, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch capture: %s\n", err);
		rc = -1;
	}
	if (!o.quiet)
		print_summary(&o, cs, &cst, &tst, &hst, &jst, &r, secs);
	/* q in the console is no interruption: it is how one ends it */
	if (atomic_load(&interrupted) == CLI_STOP_SIGNAL && !o.quiet)
		fprintf(stderr, "gatewatch capture: interrupted; what was "
		    "captured is stored\n");
	status = rc == 0 ? EXIT_OK : EXIT_ERR;
	goto out;
oom:
	fprintf(stderr, "gatewatch capture: out of memory\n");
out:
	retain_stop(pruner, NULL);
	if (r.pl != NULL && pipeline_free(r.pl, err, sizeof(err)) != 0) {
		capture_write_failed(&r, err);
		status = EXIT_ERR;
	}
	top_side_close(&side);	/* when the console did not run */
	capjoin_free(r.cj);
	wire_join_free(r.join);
	tcp_table_free(tt);
	http_tracker_free(ht);
	metricsopts_stop(&o.metrics);
	store_close(st);
	cap_close(cs);
	return status;
}

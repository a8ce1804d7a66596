/*
 * fuzz_packets.c - the capture path from raw frames: packet decoding for
 * every link type (capture/packet.c), TCP reassembly (capture/tcp.c),
 * HTTP pairing (parse/http.c), the gateway-host join (parse/wire_join.c)
 * and the events they make (http_event_add).
 *
 * The input is a capture file, played twice: read here as a classic pcap
 * file (either byte order, µs or ns; without libpcap, so every header
 * field, the link type too, is the fuzzer's) into a plain capture with
 * the default limits; and handed to capture/pcapsrc.c as a file (libpcap:
 * classic or pcapng) into a gateway-host capture (listen ports 80 and
 * 8080, so either end of a seed can be the gateway's) with tiny limits.
 * Every frame goes to packet_decode() in a heap copy of exactly its
 * captured length. The gateway-host capture hands each exchange to the
 * join packed and unpacked again, as cli/capjoin.c hands it to the join's
 * thread: an answered request packed by the tracker in place
 * (http_tracker_emit_packed), any other by http_exchange_pack; the record
 * fits its bound, its size is what unpack reads, and (http_exchange_pack)
 * every field comes back the same. Seeds:
 * tests/tools/mkpcap's scenarios, as pcap and pcapng.
 */
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include <sys/mman.h>

#include "core/batch.h"
#include "tests/fuzz/fuzz.h"
#include "parse/http.h"
#include "capture/packet.h"
#include "capture/pcapsrc.h"
#include "capture/tcp.h"
#include "parse/wire_join.h"

struct run {
	struct gw_batch b;
	struct wire_join *join;
};

/* wire_join_out_fn, and the plain capture's store: into the batch. */
static int
to_batch(void *ctx, const struct http_exchange *x,
    const struct http_exchange *const *att, int n, enum gw_cause cause)
{
	struct run *r = ctx;
	int rc = 0;

	if (x->status >= 0)
		rc = http_event_add(&r->b, x, att, n, cause);
	if (batch_count(&r->b) >= 64)
		batch_clear(&r->b);
	return rc;
}

/* Both the same, field by field (strings as strings); abort if not. */
static void
same_exchange(const struct http_exchange *a, const struct http_exchange *b)
{
	if (a->downstream != b->downstream ||
	    a->has_request != b->has_request ||
	    a->incomplete != b->incomplete || a->conn_only != b->conn_only ||
	    a->unanswered != b->unanswered || a->end_unsure != b->end_unsure ||
	    a->syn_us != b->syn_us || a->synack_us != b->synack_us ||
	    a->start_us != b->start_us || a->ready_us != b->ready_us ||
	    a->first_byte_us != b->first_byte_us || a->end_us != b->end_us ||
	    strcmp(a->client, b->client) != 0 ||
	    strcmp(a->server, b->server) != 0 ||
	    a->client_port != b->client_port ||
	    a->server_port != b->server_port ||
	    strcmp(a->method, b->method) != 0 ||
	    strcmp(a->host, b->host) != 0 || strcmp(a->path, b->path) != 0 ||
	    strcmp(a->query, b->query) != 0 || a->has_query != b->has_query ||
	    strcmp(a->request_id, b->request_id) != 0 ||
	    a->id_kind != b->id_kind ||
	    strcmp(a->orig_uri, b->orig_uri) != 0 ||
	    strcmp(a->protocol, b->protocol) != 0 || a->status != b->status ||
	    a->body_bytes != b->body_bytes ||
	    a->header_bytes != b->header_bytes || a->cause != b->cause ||
	    a->pkt_no != b->pkt_no || a->pkt_offset != b->pkt_offset)
		abort();
}

static void
on_exchange(void *ctx, const struct http_exchange *x)
{
	struct run *r = ctx;
	const struct http_exchange *self = x;

	if (r->join != NULL) {
		static uint64_t rec[HTTP_EXCHANGE_PACK_MAX / 8];
		static struct http_exchange y;
		size_t n = http_exchange_pack(x, rec);

		if (n % 8 != 0 || n > sizeof(rec) ||
		    http_exchange_unpack(rec, &y) != n)
			abort();
		same_exchange(x, &y);
		(void)wire_join_add(r->join, &y);
	} else
		(void)to_batch(r, x, &self, 1, x->cause);
}

/* http_pack_reserve_fn and http_pack_commit_fn of the gateway-host
 * capture: the record unpacked to the join. */
static uint64_t packed_rec[HTTP_EXCHANGE_PACK_MAX / 8];

static void *
on_reserve(void *ctx)
{
	(void)ctx;
	return packed_rec;
}

static void
on_commit(void *ctx, size_t n)
{
	struct run *r = ctx;
	static struct http_exchange y;

	if (n % 8 != 0 || n > sizeof(packed_rec) ||
	    http_exchange_unpack(packed_rec, &y) != n)
		abort();
	(void)wire_join_add(r->join, &y);
}

static uint32_t
get32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* One capture pipeline: TCP table, HTTP tracker, optional join. */
struct pipe {
	struct run r;
	struct http_tracker *ht;
	struct tcp_table *tt;
	int64_t ts;
	uint64_t pkt_no;
};

/* Set up p: default limits, or the gateway-host ones (tiny limits). */
static bool
pipe_open(struct pipe *p, bool gateway)
{
	static const uint16_t listen[] = { 80, 8080 };
	struct tcp_opts to = { 0 };
	struct http_opts ho = { .id_header = "X-Trace" };
	struct wire_join_opts jo = { .hold_us = 3000000 };
	struct tcp_handler h;

	memset(p, 0, sizeof(*p));
	if (gateway) {
		to.max_flows = 8;
		to.ooo_max_bytes = 4096;
		to.ooo_total_max = 16384;
		ho.listen_ports = listen;
		ho.n_listen_ports = 2;
		ho.pipeline_max = 4;
		ho.pending_max = 6;
		jo.max_held = 16;
	}
	if (batch_init(&p->r.b) != 0)
		return false;
	if ((p->ht = http_tracker_new(&ho, on_exchange, &p->r)) == NULL)
		goto fail;
	if (gateway)
		http_tracker_emit_packed(p->ht, on_reserve, on_commit);
	http_tracker_handler(p->ht, &h);
	if ((p->tt = tcp_table_new(&to, &h)) == NULL)
		goto fail;
	if (gateway && (p->r.join = wire_join_new(&jo, to_batch, &p->r)) ==
	    NULL)
		goto fail;
	return true;
fail:
	tcp_table_free(p->tt);
	http_tracker_free(p->ht);
	batch_destroy(&p->r.b);
	return false;
}

/* One frame of link type dlt, captured at ts (in a heap copy). */
static void
pipe_frame(struct pipe *p, int dlt, const uint8_t *data, size_t caplen,
    int64_t ts, uint64_t off)
{
	uint8_t *frame = malloc(caplen ? caplen : 1);
	struct packet pk;
	enum packet_kind k;

	if (frame == NULL)
		return;
	memcpy(frame, data, caplen);
	memset(&pk, 0, sizeof(pk));
	pk.ts_us = p->ts = ts;
	k = packet_decode(dlt, frame, caplen, &pk);
	p->pkt_no++;
	if (k == PACKET_TCP || k == PACKET_UNREACH) {
		http_tracker_position(p->ht, p->pkt_no, off);
		(void)tcp_table_add(p->tt, &pk, k);
	}
	tcp_table_advance(p->tt, ts);
	if (p->r.join != NULL)
		(void)wire_join_advance(p->r.join, ts);
	free(frame);
}

/* End of the capture: flush, read the counters, free. */
static void
pipe_close(struct pipe *p)
{
	struct tcp_stats ts;
	struct http_stats hs;

	tcp_table_flush(p->tt, p->ts + 1000);
	if (p->r.join != NULL)
		(void)wire_join_flush(p->r.join);
	tcp_table_stats(p->tt, &ts);
	http_tracker_stats(p->ht, &hs);
	wire_join_free(p->r.join);
	tcp_table_free(p->tt);
	http_tracker_free(p->ht);
	batch_destroy(&p->r.b);
}

/*
 * The input as a classic pcap file read here (every header field is the
 * fuzzer's, the link type too) into a plain capture with default limits.
 */
static void
play_raw(const uint8_t *data, size_t size)
{
	struct pipe p;
	uint32_t magic;
	bool swap, nano;
	int dlt;
	size_t off = 24;

	if (size < 24 || !pipe_open(&p, false))
		return;
	memcpy(&magic, data, 4);
	swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
	nano = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
	dlt = (int)(get32(data + 20, swap) & 0x0fffffff);
	while (off + 16 <= size) {
		uint32_t sec = get32(data + off, swap);
		uint32_t frac = get32(data + off + 4, swap);
		uint32_t caplen = get32(data + off + 8, swap);

		off += 16;
		if (caplen > size - off)
			caplen = (uint32_t)(size - off);
		pipe_frame(&p, dlt, data + off, caplen, (int64_t)sec * 1000000 +
		    (nano ? frac / 1000 : frac % 1000000), off - 16);
		off += caplen;
	}
	pipe_close(&p);
}

/*
 * The input as a file given to capture/pcapsrc.c (libpcap: pcap or
 * pcapng, any time a block states), into a gateway-host capture with tiny
 * limits (8 flows, 4 KiB of early bytes, 4 pending requests per connection
 * and 6 in all, 16 held by the join): eviction and every overflow path.
 */
static void
play_source(const uint8_t *data, size_t size)
{
	struct cap_opts o = { 0 };
	struct cap_source *c = NULL;
	struct cap_stats st;
	struct pipe p;
	char path[64], err[256];
	const uint8_t *frame;
	size_t caplen;
	int64_t ts;
	uint64_t off;
	int fd = memfd_create("fuzz_packets", 0);

	if (fd < 0)
		return;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	o.file = path;
	if (cap_open(&o, &c, err, sizeof(err)) == 0) {
		if (pipe_open(&p, true)) {
			int dlt = cap_datalink(c);

			(void)cap_datalink_name(c);
			while (cap_next(c, &frame, &caplen, &ts, &off, err,
			    sizeof(err)) == 1)
				pipe_frame(&p, dlt, frame, caplen, ts, off);
			pipe_close(&p);
		}
		cap_get_stats(c, &st);
		cap_close(c);
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	play_raw(data, size);
	play_source(data, size);
	return 0;
}

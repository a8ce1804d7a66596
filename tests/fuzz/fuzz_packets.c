/*
 * fuzz_packets.c - the capture path from raw frames: packet decoding for
 * every link type (capture/packet.c), TCP reassembly (capture/tcp.c),
 * HTTP pairing (parse/http.c), the gateway-host join (parse/wire_join.c)
 * and the events they make (http_event_add).
 *
 * The input is a classic pcap file (either byte order, µs or ns), read
 * here without libpcap so every header field is the fuzzer's: the link
 * type comes from the file header, each record's frame goes to
 * packet_decode() in a heap copy of exactly its captured length. Each
 * input is played twice: a plain capture with the default limits, and a
 * gateway-host capture (listen ports 80 and 8080, so either end of a seed
 * can be the gateway's) with tiny limits (8 flows, 4 KiB of early bytes,
 * 4 pending requests per connection, 16 held by the join), so eviction
 * and every overflow path run. Seeds: tests/tools/mkpcap's scenarios.
 */
#include <stdbool.h>

#include "batch.h"
#include "fuzz.h"
#include "http.h"
#include "packet.h"
#include "tcp.h"
#include "wire_join.h"

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

static void
on_exchange(void *ctx, const struct http_exchange *x)
{
	struct run *r = ctx;
	const struct http_exchange *self = x;

	if (r->join != NULL)
		(void)wire_join_add(r->join, x);
	else
		(void)to_batch(r, x, &self, 1, x->cause);
}

static uint32_t
get32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* Play the pcap file data[0..size) through one capture pipeline. */
static void
play(const uint8_t *data, size_t size, bool gateway)
{
	static const uint16_t listen[] = { 80, 8080 };
	struct tcp_opts to = { 0 };
	struct http_opts ho = { .id_header = "X-Trace" };
	struct wire_join_opts jo = { .hold_us = 3000000 };
	struct tcp_handler h;
	struct http_tracker *ht;
	struct tcp_table *tt;
	struct run r;
	uint32_t magic;
	bool swap, nano;
	int dlt;
	int64_t ts = 0;
	uint64_t pkt_no = 0;
	size_t off = 24;

	if (size < 24)
		return;
	memcpy(&magic, data, 4);
	swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
	nano = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
	dlt = (int)(get32(data + 20, swap) & 0x0fffffff);
	if (gateway) {
		to.max_flows = 8;
		to.ooo_max_bytes = 4096;
		to.ooo_total_max = 16384;
		ho.listen_ports = listen;
		ho.n_listen_ports = 2;
		ho.pipeline_max = 4;
		jo.max_held = 16;
	}
	memset(&r, 0, sizeof(r));
	if (batch_init(&r.b) != 0)
		return;
	if ((ht = http_tracker_new(&ho, on_exchange, &r)) == NULL)
		goto out_batch;
	http_tracker_handler(ht, &h);
	if ((tt = tcp_table_new(&to, &h)) == NULL)
		goto out_ht;
	if (gateway && (r.join = wire_join_new(&jo, to_batch, &r)) == NULL)
		goto out_tt;
	while (off + 16 <= size) {
		uint32_t sec = get32(data + off, swap);
		uint32_t frac = get32(data + off + 4, swap);
		uint32_t caplen = get32(data + off + 8, swap);
		struct packet p;
		enum packet_kind k;
		uint8_t *frame;

		off += 16;
		if (caplen > size - off)
			caplen = (uint32_t)(size - off);
		if ((frame = malloc(caplen ? caplen : 1)) == NULL)
			break;
		memcpy(frame, data + off, caplen);
		off += caplen;
		ts = (int64_t)sec * 1000000 + (nano ? frac / 1000 :
		    frac % 1000000);
		memset(&p, 0, sizeof(p));
		p.ts_us = ts;
		k = packet_decode(dlt, frame, caplen, &p);
		pkt_no++;
		if (k == PACKET_TCP || k == PACKET_UNREACH) {
			http_tracker_position(ht, pkt_no, off);
			(void)tcp_table_add(tt, &p, k);
		}
		tcp_table_advance(tt, ts);
		if (r.join != NULL)
			(void)wire_join_advance(r.join, ts);
		free(frame);
	}
	tcp_table_flush(tt, ts + 1000);
	if (r.join != NULL)
		(void)wire_join_flush(r.join);
	{
		struct tcp_stats ts_;
		struct http_stats hs;

		tcp_table_stats(tt, &ts_);
		http_tracker_stats(ht, &hs);
	}
	wire_join_free(r.join);
out_tt:
	tcp_table_free(tt);
out_ht:
	http_tracker_free(ht);
out_batch:
	batch_destroy(&r.b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	play(data, size, false);
	play(data, size, true);
	return 0;
}

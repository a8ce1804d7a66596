/*
 * tcp.c - TCP reassembly; see tcp.h for what it promises.
 *
 * A connection (struct tcp_flow) is keyed by its two endpoints in the
 * order the first packet showed them ("side" 0 sent it); the hash is
 * symmetric so either direction finds it, and keyed per table
 * (core/hashtab.h) so crafted addresses cannot pile into one bucket. Each
 * side has a struct tcp_half: the next sequence number expected from it,
 * its FIN, and the segments that arrived early, copied into a list sorted
 * by sequence number. Bytes are handed up as soon as they are in order:
 * in the common case (in-order segments) straight from the capture
 * buffer, no copy.
 *
 * Connections live in a hash table (core/hashtab.h; its budget is
 * max_flows, which eviction keeps below) and on one of two lists ordered
 * by last activity: `syn_only` (nothing but SYNs from the client so far:
 * candidates for a connect timeout) and `active` (all others). Expiry walks
 * the lists from their old end.
 *
 * Sequence numbers wrap; every comparison goes through seq_diff().
 *
 * The flow of the last packet is remembered (last): a segment and its
 * ACK, or the segments of one answer, come one after the other, and then
 * the keyed hash of the endpoints is not computed again.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/hashkey.h"
#include "core/hashtab.h"
#include "capture/tcp.h"

#define DEFAULT_MAX_FLOWS	65536
#define DEFAULT_OOO_MAX		(1024 * 1024)
#define DEFAULT_OOO_TOTAL	(16 * 1024 * 1024)
#define DEFAULT_IDLE_US		(120 * INT64_C(1000000))
#define DEFAULT_SYN_BASE_US	(1500 * INT64_C(1000))
#define SWEEP_EVERY_US		(100 * INT64_C(1000))
#define SEQ_WINDOW_MAX		(1U << 30)	/* farther ahead is bogus */
/*
 * Early segments held per direction at most. The byte caps alone would let
 * a stream of 1-byte segments make a list of a million entries (walked on
 * every insert, 40 bytes of bookkeeping each): this keeps the walk short
 * and the memory near the caps. 1 MiB of 512-byte segments still fits.
 */
#define OOO_SEGS_MAX		2048
/* What holding one segment costs besides its payload, for ooo_total_max. */
#define OOO_SEG_COST		(sizeof(struct ooo_seg) + 16)

/* A segment that came before the bytes preceding it. */
struct ooo_seg {
	struct ooo_seg *next;
	uint32_t seq;
	uint32_t len;
	uint8_t data[];
};

/* What one side sent. */
struct tcp_half {
	bool seq_known;
	uint32_t next_seq;	/* next byte expected from this side */
	bool syn;
	uint32_t isn;
	bool fin;
	uint32_t fin_seq;	/* sequence number of the FIN */
	bool fin_done;		/* FIN reached in order and reported */
	bool ack_known;
	uint32_t last_ack;	/* highest ACK this side sent */
	struct ooo_seg *ooo;	/* early segments, by seq */
	struct ooo_seg *ooo_tail;	/* the last of them: appends are O(1) */
	size_t ooo_bytes;
	size_t ooo_segs;
};

struct tcp_flow {
	uint8_t family;
	uint8_t addr[2][16];
	uint16_t port[2];
	uint64_t hash;		/* flow_hash(), its key in the table */
	struct tcp_flow *prev, *next;	/* on syn_only or active */
	bool on_syn_list;
	int client;		/* side of the client, -1 not known yet */
	bool opened, ignored;
	void *st;		/* the upper layer's state */
	int64_t first_syn_us, last_syn_us;
	struct tcp_half half[2];	/* by side */
	struct tcp_conn conn;	/* by role, for the upper layer */
};

struct flow_list {
	struct tcp_flow *head, *tail;	/* head = least recently active */
};

/* 4096: 256 slots missed a third of the packets of 264 flows at once
 * (ports colliding in 8 bits); 32 KiB of pointers */
#define RECENT_FLOWS	4096

struct tcp_table {
	struct tcp_opts o;
	struct tcp_handler h;
	struct hashtab flows;	/* values: struct tcp_flow * */
	size_t n_flows;
	struct flow_list syn_only, active;
	int64_t now_us, last_sweep_us;
	size_t ooo_segs_now;	/* early segments held in all */
	struct tcp_flow *last;	/* the flow of the last packet, or NULL */
	/* flows of recent packets by recent_slot() of their ports, each
	 * checked (flow_is) before use: a hit spares the keyed flow_hash()
	 * (6% of capture --listen on 264 interleaved keep-alive flows,
	 * where t->last mostly misses); a collision only costs the hash */
	struct tcp_flow *recent[RECENT_FLOWS];
	struct tcp_stats stats;
};

/* The slot in t->recent of a flow between ports a and b (either way). */
static size_t
recent_slot(uint16_t a, uint16_t b)
{
	unsigned x = (unsigned)(a ^ b);

	return (size_t)((x ^ (x >> 12)) & (RECENT_FLOWS - 1));
}

/* a - b on the sequence circle. */
static int32_t
seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static void
list_remove(struct flow_list *l, struct tcp_flow *f)
{
	if (f->prev != NULL)
		f->prev->next = f->next;
	else
		l->head = f->next;
	if (f->next != NULL)
		f->next->prev = f->prev;
	else
		l->tail = f->prev;
	f->prev = f->next = NULL;
}

static void
list_append(struct flow_list *l, struct tcp_flow *f)
{
	f->prev = l->tail;
	f->next = NULL;
	if (l->tail != NULL)
		l->tail->next = f;
	else
		l->head = f;
	l->tail = f;
}

/* The list a flow is on. */
static struct flow_list *
flow_list_of(struct tcp_table *t, struct tcp_flow *f)
{
	return f->on_syn_list ? &t->syn_only : &t->active;
}

/* Mark f as just active: move it to the young end of its list. */
static void
flow_touch(struct tcp_table *t, struct tcp_flow *f, int64_t ts)
{
	struct flow_list *l = flow_list_of(t, f);

	f->conn.last_us = ts;
	if (l->tail != f) {
		list_remove(l, f);
		list_append(l, f);
	}
}

/* f answered or carried data: no longer only SYNs. */
static void
flow_established(struct tcp_table *t, struct tcp_flow *f)
{
	if (!f->on_syn_list)
		return;
	list_remove(&t->syn_only, f);
	f->on_syn_list = false;
	list_append(&t->active, f);
}

/* Order of two endpoints: <0, 0 or >0 like memcmp. */
static int
endpoint_cmp(size_t n, const uint8_t *a, uint16_t pa, const uint8_t *b,
    uint16_t pb)
{
	int c = memcmp(a, b, n);

	return c != 0 ? c : (int)pa - (int)pb;
}

/*
 * Hash of a connection's two endpoints under the table's key, the same
 * for both directions: the endpoints go in a fixed order (the smaller
 * first) rather than being xored, so a connection from an endpoint to
 * itself does not hash to a constant.
 */
static uint64_t
flow_hash(const struct tcp_table *t, uint8_t family, const uint8_t *a,
    uint16_t pa, const uint8_t *b, uint16_t pb)
{
	uint8_t key[1 + 2 * (16 + 2)];
	size_t n = family == 4 ? 4 : 16, k = 0;

	if (endpoint_cmp(n, a, pa, b, pb) > 0) {
		const uint8_t *ta = a;
		uint16_t tp = pa;

		a = b;
		pa = pb;
		b = ta;
		pb = tp;
	}
	key[k++] = family;
	memcpy(key + k, a, n);
	k += n;
	key[k++] = (uint8_t)(pa >> 8);
	key[k++] = (uint8_t)pa;
	memcpy(key + k, b, n);
	k += n;
	key[k++] = (uint8_t)(pb >> 8);
	key[k++] = (uint8_t)pb;
	return hashtab_hash(&t->flows, key, k);
}

static bool
endpoint_eq(const struct tcp_flow *f, int side, const uint8_t *addr,
    uint16_t port)
{
	/* 16 bytes whatever the family (an IPv4 address's last 12 are zero,
	 * packet.h): a compare of constant size, inlined, not a call */
	return f->port[side] == port && memcmp(f->addr[side], addr, 16) == 0;
}

/* Whether f is the flow of packet p (then *side is who sent it). */
static bool
flow_is(const struct tcp_flow *f, const struct packet *p, int *side)
{
	if (f->family != p->family)
		return false;
	if (endpoint_eq(f, 0, p->src, p->sport) &&
	    endpoint_eq(f, 1, p->dst, p->dport)) {
		*side = 0;
		return true;
	}
	if (endpoint_eq(f, 1, p->src, p->sport) &&
	    endpoint_eq(f, 0, p->dst, p->dport)) {
		*side = 1;
		return true;
	}
	return false;
}

/* The flow of packet p and the side that sent it; NULL when none. */
static struct tcp_flow *
flow_find(struct tcp_table *t, const struct packet *p, uint64_t hash,
    int *side)
{
	struct hashtab_pos pos;
	uintptr_t v;

	hashtab_first(&t->flows, hash, &pos);
	while (hashtab_next(&t->flows, &pos, &v))
		if (flow_is((struct tcp_flow *)v, p, side))
			return (struct tcp_flow *)v;
	return NULL;
}

/* Role index (0 client, 1 server) of a side. */
static int
role_of(const struct tcp_flow *f, int side)
{
	return side == f->client ? 0 : 1;
}

/* Fill f->conn's addresses once the client side is known. */
static void
flow_set_client(struct tcp_table *t, struct tcp_flow *f, int side)
{
	int s = 1 - side;

	f->client = side;
	memcpy(f->conn.client_addr, f->addr[side], 16);
	memcpy(f->conn.server_addr, f->addr[s], 16);
	f->conn.client_port = f->port[side];
	f->conn.server_port = f->port[s];
	(void)t;
}

/* Tell the upper layer about f, once its roles are known. */
static void
flow_open(struct tcp_table *t, struct tcp_flow *f)
{
	if (f->opened || f->client < 0)
		return;
	f->opened = true;
	f->st = t->h.open(t->h.ctx, &f->conn);
	f->ignored = f->st == NULL;
}

/* Whether port is one of the known server ports. */
static bool
server_port(const struct tcp_table *t, uint16_t port)
{
	for (size_t i = 0; i < t->o.n_server_ports; i++)
		if (t->o.server_ports[i] == port)
			return true;
	return false;
}

/* Decide the roles of a flow first seen with payload from side. */
static void
flow_guess_client(struct tcp_table *t, struct tcp_flow *f, int side,
    const uint8_t *p, size_t len)
{
	enum tcp_role r = TCP_ROLE_UNKNOWN;

	if (t->h.role != NULL && len > 0)
		r = t->h.role(t->h.ctx, p, len);
	if (r == TCP_ROLE_UNKNOWN) {
		if (server_port(t, f->port[side]))
			r = TCP_ROLE_SERVER;
		else if (server_port(t, f->port[1 - side]))
			r = TCP_ROLE_CLIENT;
		else	/* the ephemeral port is the higher one, usually */
			r = f->port[side] > f->port[1 - side] ?
			    TCP_ROLE_CLIENT : TCP_ROLE_SERVER;
	}
	flow_set_client(t, f, r == TCP_ROLE_CLIENT ? side : 1 - side);
}

/* A new flow for packet p (p's sender is side 0). NULL on OOM. */
static struct tcp_flow *
flow_new(struct tcp_table *t, const struct packet *p, uint64_t hash)
{
	struct tcp_flow *f = gw_calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	if (hashtab_add(&t->flows, hash, (uintptr_t)f) != HASHTAB_OK) {
		free(f);
		return NULL;
	}
	f->family = p->family;
	memcpy(f->addr[0], p->src, 16);
	memcpy(f->addr[1], p->dst, 16);
	f->port[0] = p->sport;
	f->port[1] = p->dport;
	f->hash = hash;
	f->client = -1;
	f->conn.family = p->family;
	f->conn.syn_us = f->conn.synack_us = -1;
	f->conn.first_us = f->conn.last_us = p->ts_us;
	for (int i = 0; i < 2; i++)
		f->conn.fin_us[i] = f->conn.rst_us[i] = -1;
	f->on_syn_list = (p->flags & (PKT_SYN | PKT_ACK)) == PKT_SYN &&
	    p->len == 0;
	list_append(flow_list_of(t, f), f);
	t->n_flows++;
	t->stats.flows++;
	t->stats.flows_active = t->n_flows;
	if (t->n_flows > t->stats.flows_peak)
		t->stats.flows_peak = t->n_flows;
	return f;
}

static void
ooo_free(struct tcp_table *t, struct tcp_half *h)
{
	while (h->ooo != NULL) {
		struct ooo_seg *s = h->ooo;

		h->ooo = s->next;
		t->stats.ooo_bytes_now -= s->len;
		t->ooo_segs_now--;
		free(s);
	}
	h->ooo_tail = NULL;
	h->ooo_bytes = 0;
	h->ooo_segs = 0;
}

/* Hand len in-order bytes of side up. */
static void
deliver(struct tcp_table *t, struct tcp_flow *f, int side, const uint8_t *p,
    size_t len, int64_t ts)
{
	struct tcp_half *h = &f->half[side];

	h->next_seq += (uint32_t)len;
	f->conn.bytes[role_of(f, side)] += len;
	if (!f->ignored && t->h.data != NULL && f->opened)
		t->h.data(t->h.ctx, f->st, &f->conn, role_of(f, side), p, len,
		    ts);
}

/* The bytes of side up to seq are lost: report a gap, skip them. */
static void
declare_gap(struct tcp_table *t, struct tcp_flow *f, int side, uint32_t seq,
    int64_t ts)
{
	struct tcp_half *h = &f->half[side];
	int32_t missing = seq_diff(seq, h->next_seq);

	if (missing <= 0)
		return;
	t->stats.gaps++;
	t->stats.gap_bytes += (uint64_t)missing;
	h->next_seq = seq;
	if (!f->ignored && t->h.gap != NULL && f->opened)
		t->h.gap(t->h.ctx, f->st, &f->conn, role_of(f, side),
		    (uint64_t)missing, ts);
}

/* If side's FIN is next in order, report it once. */
static void
check_fin(struct tcp_table *t, struct tcp_flow *f, int side, int64_t ts)
{
	struct tcp_half *h = &f->half[side];

	if (!h->fin || h->fin_done || seq_diff(h->fin_seq, h->next_seq) > 0)
		return;
	h->fin_done = true;
	f->conn.fin_us[role_of(f, side)] = ts;
	if (!f->ignored && t->h.shut != NULL && f->opened)
		t->h.shut(t->h.ctx, f->st, &f->conn, role_of(f, side), false, ts);
}

/* Deliver the held segments of side that are now in order. */
static void
drain(struct tcp_table *t, struct tcp_flow *f, int side, int64_t ts)
{
	struct tcp_half *h = &f->half[side];

	while (h->ooo != NULL && seq_diff(h->ooo->seq, h->next_seq) <= 0) {
		struct ooo_seg *s = h->ooo;
		uint32_t overlap = (uint32_t)seq_diff(h->next_seq, s->seq);

		h->ooo = s->next;
		if (h->ooo == NULL)
			h->ooo_tail = NULL;
		h->ooo_bytes -= s->len;
		h->ooo_segs--;
		t->stats.ooo_bytes_now -= s->len;
		t->ooo_segs_now--;
		if (overlap < s->len)
			deliver(t, f, side, s->data + overlap, s->len - overlap,
			    ts);
		else
			t->stats.retransmitted_bytes += s->len;
		free(s);
	}
	check_fin(t, f, side, ts);
}

/* Deliver everything held for side, declaring the holes gaps. */
static void
drain_all(struct tcp_table *t, struct tcp_flow *f, int side, int64_t ts)
{
	struct tcp_half *h = &f->half[side];

	while (h->ooo != NULL) {
		declare_gap(t, f, side, h->ooo->seq, ts);
		drain(t, f, side, ts);
	}
	if (h->fin && !h->fin_done) {
		declare_gap(t, f, side, h->fin_seq, ts);
		check_fin(t, f, side, ts);
	}
}

/* Hold an early segment; -1 on OOM. */
static int
ooo_insert(struct tcp_table *t, struct tcp_half *h, uint32_t seq,
    const uint8_t *p, size_t len)
{
	struct ooo_seg **pp = &h->ooo, *s;

	if (h->ooo_tail != NULL && seq_diff(h->ooo_tail->seq, seq) < 0)
		pp = &h->ooo_tail->next;	/* the usual case: after all */
	while (*pp != NULL && seq_diff((*pp)->seq, seq) < 0)
		pp = &(*pp)->next;
	if (*pp != NULL && (*pp)->seq == seq && (*pp)->len >= len) {
		t->stats.retransmitted_bytes += len;
		return 0;
	}
	if ((s = gw_malloc(sizeof(*s) + len)) == NULL)
		return -1;
	s->seq = seq;
	s->len = (uint32_t)len;
	memcpy(s->data, p, len);
	s->next = *pp;
	*pp = s;
	if (s->next == NULL)
		h->ooo_tail = s;
	h->ooo_bytes += len;
	h->ooo_segs++;
	t->stats.ooo_bytes_now += len;
	t->ooo_segs_now++;
	if (t->stats.ooo_bytes_now > t->stats.ooo_bytes_peak)
		t->stats.ooo_bytes_peak = t->stats.ooo_bytes_now;
	t->stats.ooo_segments++;
	return 0;
}

/* Payload of side starting at seq. */
static int
segment_data(struct tcp_table *t, struct tcp_flow *f, int side, uint32_t seq,
    const uint8_t *p, size_t len, int64_t ts)
{
	struct tcp_half *h = &f->half[side];
	struct tcp_half *peer = &f->half[1 - side];

	if (!h->seq_known) {	/* mid-stream: start here */
		h->seq_known = true;
		h->next_seq = seq;
	}
	for (int tries = 0; ; tries++) {
		int32_t d = seq_diff(seq, h->next_seq);

		if (d <= 0) {
			/* unsigned: -d overflows for d == INT32_MIN */
			uint32_t overlap = h->next_seq - seq;

			if (overlap >= len) {
				t->stats.retransmitted_bytes += len;
				return 0;
			}
			t->stats.retransmitted_bytes += overlap;
			deliver(t, f, side, p + overlap, len - overlap, ts);
			drain(t, f, side, ts);
			return 0;
		}
		if ((uint32_t)d > SEQ_WINDOW_MAX) {	/* not this stream */
			t->stats.ignored++;
			return 0;
		}
		bool acked = peer->ack_known &&
		    seq_diff(peer->last_ack, seq) >= 0;
		bool full = h->ooo_bytes + len > t->o.ooo_max_bytes ||
		    h->ooo_segs >= OOO_SEGS_MAX ||
		    t->stats.ooo_bytes_now + (t->ooo_segs_now + 1) *
		    OOO_SEG_COST + len > t->o.ooo_total_max;
		if (!acked && !full) {
			if (ooo_insert(t, h, seq, p, len) != 0) {
				t->stats.gaps++;
				t->stats.gap_bytes += len;
				return -1;
			}
			return 0;
		}
		if (full)
			t->stats.ooo_overflows++;
		/* The missing bytes will not come (acked) or cannot wait
		 * (no room): skip to the first held byte, or to this one. */
		uint32_t to = seq;
		if (tries == 0 && h->ooo != NULL &&
		    seq_diff(h->ooo->seq, seq) < 0)
			to = h->ooo->seq;
		declare_gap(t, f, side, to, ts);
		drain(t, f, side, ts);
	}
}

/* End flow f: deliver what is held, tell the upper layer, free it. */
static void
flow_end(struct tcp_table *t, struct tcp_flow *f, enum tcp_end why,
    int64_t ts)
{
	for (int side = 0; side < 2; side++)
		drain_all(t, f, side, ts);
	if (f->opened && !f->ignored)
		t->h.end(t->h.ctx, f->st, &f->conn, why, ts);
	for (int side = 0; side < 2; side++)
		ooo_free(t, &f->half[side]);
	hashtab_remove(&t->flows, f->hash, (uintptr_t)f);
	list_remove(flow_list_of(t, f), f);
	if (t->last == f)
		t->last = NULL;
	if (t->recent[recent_slot(f->port[0], f->port[1])] == f)
		t->recent[recent_slot(f->port[0], f->port[1])] = NULL;
	t->n_flows--;
	t->stats.flows_active = t->n_flows;
	switch (why) {
	case TCP_END_IDLE: t->stats.idle_expired++; break;
	case TCP_END_SYN_TIMEOUT: t->stats.syn_expired++; break;
	case TCP_END_EVICTED: t->stats.evicted++; break;
	default: break;
	}
	free(f);
}

/* Make room for one more flow: evict the least recently active. */
static void
evict_one(struct tcp_table *t, int64_t ts)
{
	struct tcp_flow *a = t->active.head, *s = t->syn_only.head, *victim;

	if (a == NULL)
		victim = s;
	else if (s == NULL)
		victim = a;
	else
		victim = a->conn.last_us <= s->conn.last_us ? a : s;
	if (victim != NULL)
		flow_end(t, victim, TCP_END_EVICTED, ts);
}

/* When a flow of only SYNs gives up: the next retransmission is overdue. */
static int64_t
syn_deadline(const struct tcp_table *t, const struct tcp_flow *f)
{
	return f->last_syn_us + (f->last_syn_us - f->first_syn_us) +
	    t->o.syn_base_us;
}

/* See tcp.h. */
void
tcp_table_advance(struct tcp_table *t, int64_t now_us)
{
	struct tcp_flow *f, *next;

	if (now_us > t->now_us)
		t->now_us = now_us;
	if (t->now_us - t->last_sweep_us < SWEEP_EVERY_US)
		return;
	t->last_sweep_us = t->now_us;
	while ((f = t->active.head) != NULL &&
	    f->conn.last_us + t->o.idle_us <= t->now_us)
		flow_end(t, f, TCP_END_IDLE, t->now_us);
	for (f = t->syn_only.head; f != NULL &&
	    f->conn.last_us + t->o.syn_base_us <= t->now_us; f = next) {
		next = f->next;
		if (syn_deadline(t, f) <= t->now_us)
			flow_end(t, f, TCP_END_SYN_TIMEOUT, syn_deadline(t, f));
	}
}

/* An ICMP unreachable for a connection attempt. */
static void
add_unreach(struct tcp_table *t, const struct packet *p)
{
	uint64_t hash = flow_hash(t, p->family, p->src, p->sport, p->dst,
	    p->dport);
	int side;
	struct tcp_flow *f = flow_find(t, p, hash, &side);

	if (f == NULL || f->conn.synack_seen || f->client != side) {
		t->stats.ignored++;
		return;
	}
	f->conn.unreachable = true;
	flow_end(t, f, TCP_END_CLOSED, p->ts_us);
}

/* A SYN (no ACK) from side of an existing flow: retransmission or reuse.
 * Returns f, or NULL when f was ended and a new flow is needed. */
static struct tcp_flow *
syn_on_flow(struct tcp_table *t, struct tcp_flow *f, int side,
    const struct packet *p)
{
	struct tcp_half *h = &f->half[side];

	if (h->syn && h->isn == p->seq && f->client == side) {
		f->conn.syn_count++;
		f->last_syn_us = p->ts_us;
		return f;
	}
	flow_end(t, f, TCP_END_REUSED, p->ts_us);
	return NULL;
}

/* See tcp.h. */
int
tcp_table_add(struct tcp_table *t, const struct packet *p,
    enum packet_kind kind)
{
	uint64_t hash;
	struct tcp_flow *f;
	int side = 0, rc = 0;
	uint8_t fl = p->flags;
	uint32_t seq = p->seq;

	tcp_table_advance(t, p->ts_us);
	if (kind == PACKET_UNREACH) {
		add_unreach(t, p);
		return 0;
	}
	t->stats.segments++;
	t->stats.bytes += p->len;
	if (((f = t->last) == NULL || !flow_is(f, p, &side)) &&
	    ((f = t->recent[recent_slot(p->sport, p->dport)]) == NULL ||
	    !flow_is(f, p, &side)))
		f = flow_find(t, p, flow_hash(t, p->family, p->src, p->sport,
		    p->dst, p->dport), &side);
	if (f != NULL && (fl & (PKT_SYN | PKT_ACK)) == PKT_SYN)
		f = syn_on_flow(t, f, side, p);
	if (f == NULL) {
		hash = flow_hash(t, p->family, p->src, p->sport, p->dst,
		    p->dport);
		if ((fl & PKT_SYN) == 0 && p->len == 0) {
			t->stats.ignored++;	/* nothing to learn from it */
			return 0;
		}
		if ((fl & PKT_RST) != 0) {
			t->stats.ignored++;
			return 0;
		}
		while (t->n_flows >= t->o.max_flows)
			evict_one(t, p->ts_us);
		if ((f = flow_new(t, p, hash)) == NULL)
			return -1;
		side = 0;
	}
	struct tcp_half *h = &f->half[side];
	t->last = f;
	t->recent[recent_slot(f->port[0], f->port[1])] = f;
	flow_touch(t, f, p->ts_us);

	if ((fl & PKT_SYN) != 0) {
		if (f->client < 0)
			flow_set_client(t, f, (fl & PKT_ACK) ? 1 - side : side);
		if (!h->syn) {
			h->syn = true;
			h->isn = seq;
			h->seq_known = true;
			h->next_seq = seq + 1;
		}
		if ((fl & PKT_ACK) == 0 && f->conn.syn_us < 0) {
			f->conn.syn_seen = true;
			f->conn.syn_us = f->first_syn_us = f->last_syn_us =
			    p->ts_us;
			f->conn.syn_count = 1;
		} else if ((fl & PKT_ACK) != 0 && !f->conn.synack_seen) {
			f->conn.synack_seen = true;
			f->conn.synack_us = p->ts_us;
		}
		seq++;	/* data after a SYN follows it */
	} else if (f->client < 0 && p->len > 0) {
		flow_guess_client(t, f, side, p->payload, p->len);
		f->conn.mid_stream = !f->conn.syn_seen;
	}
	if (f->client < 0)	/* a flow of only FIN/ACK: not worth it */
		flow_set_client(t, f, f->port[0] > f->port[1] ? 0 : 1);
	flow_open(t, f);
	if (side != f->client || p->len > 0 || (fl & (PKT_FIN | PKT_RST)))
		flow_established(t, f);
	if ((fl & PKT_ACK) != 0) {
		if (!h->ack_known || seq_diff(p->ack, h->last_ack) > 0)
			h->last_ack = p->ack;
		h->ack_known = true;
		struct tcp_half *peer = &f->half[1 - side];
		if (peer->ooo != NULL && seq_diff(p->ack, peer->ooo->seq) >= 0) {
			/* the peer's missing bytes were received: lost here */
			declare_gap(t, f, 1 - side, peer->ooo->seq, p->ts_us);
			drain(t, f, 1 - side, p->ts_us);
		}
	}
	if (p->len > 0)
		rc = segment_data(t, f, side, seq, p->payload, p->len, p->ts_us);
	/* The snap length cut the payload: the rest is lost. */
	if (p->wire_len > p->len && h->seq_known &&
	    h->next_seq == seq + (uint32_t)p->len)
		declare_gap(t, f, side, seq + (uint32_t)p->wire_len, p->ts_us);
	if ((fl & PKT_FIN) != 0 && !h->fin) {
		h->fin = true;
		h->fin_seq = seq + (uint32_t)p->len;
		if (!h->seq_known) {
			h->seq_known = true;
			h->next_seq = h->fin_seq;
		}
		check_fin(t, f, side, p->ts_us);
	}
	if ((fl & PKT_RST) != 0) {
		int r = role_of(f, side);

		drain_all(t, f, side, p->ts_us);
		f->conn.rst_us[r] = p->ts_us;
		if (!f->ignored && t->h.shut != NULL && f->opened)
			t->h.shut(t->h.ctx, f->st, &f->conn, r, true, p->ts_us);
		flow_end(t, f, TCP_END_CLOSED, p->ts_us);
		return rc;
	}
	if (f->half[0].fin_done && f->half[1].fin_done)
		flow_end(t, f, TCP_END_CLOSED, p->ts_us);
	return rc;
}

/* See tcp.h. */
void
tcp_table_flush(struct tcp_table *t, int64_t now_us)
{
	struct tcp_flow *f;

	if (now_us > t->now_us)
		t->now_us = now_us;
	/* Overdue connection attempts first: they did time out. */
	t->last_sweep_us = INT64_MIN / 2;
	tcp_table_advance(t, t->now_us);
	while ((f = t->syn_only.head) != NULL)
		flow_end(t, f, TCP_END_FLUSH, t->now_us);
	while ((f = t->active.head) != NULL)
		flow_end(t, f, TCP_END_FLUSH, t->now_us);
}

/* See tcp.h. */
struct tcp_table *
tcp_table_new(const struct tcp_opts *opts, const struct tcp_handler *h)
{
	struct tcp_table *t = gw_calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	if (opts != NULL)
		t->o = *opts;
	if (t->o.max_flows == 0)
		t->o.max_flows = DEFAULT_MAX_FLOWS;
	if (t->o.ooo_max_bytes == 0)
		t->o.ooo_max_bytes = DEFAULT_OOO_MAX;
	if (t->o.ooo_total_max == 0)
		t->o.ooo_total_max = DEFAULT_OOO_TOTAL;
	if (t->o.idle_us == 0)
		t->o.idle_us = DEFAULT_IDLE_US;
	if (t->o.syn_base_us == 0)
		t->o.syn_base_us = DEFAULT_SYN_BASE_US;
	t->h = *h;
	hashtab_init(&t->flows, t->o.max_flows);
	if (hashtab_reserve(&t->flows, t->o.max_flows < 512 ?
	    t->o.max_flows : 512) != HASHTAB_OK) {
		free(t);
		return NULL;
	}
	t->last_sweep_us = INT64_MIN / 2;
	return t;
}

/* See tcp.h. */
void
tcp_table_free(struct tcp_table *t)
{
	struct tcp_flow *f;

	if (t == NULL)
		return;
	for (int l = 0; l < 2; l++) {
		struct flow_list *fl = l ? &t->active : &t->syn_only;

		while ((f = fl->head) != NULL) {
			fl->head = f->next;
			for (int side = 0; side < 2; side++)
				ooo_free(t, &f->half[side]);
			free(f);
		}
	}
	hashtab_free(&t->flows);
	free(t);
}

/* See tcp.h. */
void
tcp_table_stats(const struct tcp_table *t, struct tcp_stats *s)
{
	*s = t->stats;
}

/* See tcp.h. */
size_t
tcp_table_longest_chain(const struct tcp_table *t)
{
	return hashtab_most_per_home(&t->flows);
}

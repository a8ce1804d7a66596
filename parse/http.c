/*
 * http.c - requests paired with responses on reassembled TCP streams;
 * see http.h for what comes out.
 *
 * Each connection (struct http_conn) runs two http-parser instances, one
 * per direction. A request is queued when its first byte is parsed (a
 * struct pending holds what the event needs); the next final response
 * (1xx other than 101 is interim and skipped) answers the oldest queued
 * request, which is how pipelining pairs up. The response parser is told
 * when the request was HEAD (no body) or a CONNECT answered 2xx (a tunnel).
 *
 * A direction is in one of four states: PARSE (http-parser owns the
 * bytes), RESYNC (after a gap, or when the connection was joined
 * mid-stream: scan for a line that starts a request or a status line),
 * TUNNEL (after an upgrade: bytes are ignored) and DEAD (not HTTP).
 *
 * Messages take a fast way when they can (resp_fast, req_fast): at a
 * message boundary, an HTTP/1.1 message whose whole header is in one
 * segment and is of the plain kind (a final status or a common method
 * with an origin-form target, Content-Length or none, keep-alive, no
 * Transfer-Encoding or Upgrade, well-formed lines) is read by finding its
 * lines with memchr and handed to the same callbacks http-parser would
 * call, in the same order; an answer's body is counted off. Anything else
 * goes to http-parser, which byte by byte was most of the cost of a
 * capture of small keep-alive requests.
 *
 * Failures are decided when the connection ends, from what was pending
 * and who closed first (tcp_conn's FIN and RST times): see http.h.
 *
 * Memory: at most pipeline_max requests wait per connection and
 * pending_max in all. Connections sit on lists by how many they hold; when
 * the budget is full the oldest of those holding the most is given up
 * ("shed": its requests dropped and counted, its later requests only
 * counted, its answers ignored), so crafted traffic (thousands of
 * connections pipelining requests never answered) costs a bounded amount.
 * Header values are kept only for Host, the request id headers and the
 * client URI an auth subrequest names, each cut at its buffer; the URL is
 * cut at HTTP_URL_MAX.
 *
 * A request's header is read into the tracker's one scratch (struct
 * req_acc, the URL and those values at their full sizes): a header split
 * across segments is saved with its connection, at its size, between two
 * segments (acc_save). Once read, what the event needs (path, query,
 * host, id, client URI) is packed into the queued request at its size,
 * inline for the usual small request: a request awaiting its answer costs
 * about 200 bytes, not the 3.6 KiB of a struct http_exchange and a URL
 * buffer. The exchange is built when the answer comes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <http_parser.h>

#include "core/alloc.h"
#include "core/reqline.h"
#include "parse/http.h"
#include "parse/query.h"

#define HTTP_URL_MAX		2048
#define HDR_NAME_MAX		40
#define DEFAULT_HEADER_BUFFER	4096
#define DEFAULT_PIPELINE_MAX	64
#define DEFAULT_PENDING_MAX	4096
#define PENDING_BUCKETS		65	/* connections by requests held: 1..64+ */
/* Bytes of packed fields a queued request holds inline (a usual request:
 * path, host and nginx's 32-byte $request_id); more take one
 * allocation. */
#define PENDING_INLINE		72

/* Largest header resp_fast reads (well below any gateway's buffer, so
 * the "header too big" decision never rests on it). */
#define FAST_HEADER_MAX		2048

/* Header lines resp_fast reads at most (more: http-parser's). */
#define FAST_LINES_MAX		32

/* Header blocks the fast way remembers per direction, and their size. */
#define HCACHE_N		4
#define HCACHE_BYTES		512

/*
 * A header block (the lines after the start line, through the empty
 * line) fast_header_read read, and what it found: the same bytes again
 * read alike, so they are compared, not read again. A gateway's and an
 * upstream's answers repeat their header but for Date (once a second)
 * and Content-Length; a load generator's requests theirs.
 */
struct hcache_entry {
	uint16_t len;		/* bytes; 0: empty */
	uint8_t n;		/* lines */
	bool have_cl;
	uint64_t cl;
	uint16_t name_at[FAST_LINES_MAX], name_len[FAST_LINES_MAX];
	uint16_t value_at[FAST_LINES_MAX], value_len[FAST_LINES_MAX];
	uint8_t bytes[HCACHE_BYTES];
};

struct hcache {
	struct hcache_entry e[HCACHE_N];
	unsigned next;		/* the entry replaced next */
	unsigned last;		/* the entry read or taken last: tried first */
};

/* The fields of a request an exchange takes from it, packed in order. */
enum pending_field { PF_PATH, PF_QUERY, PF_HOST, PF_ID, PF_ORIG, PF_COUNT };

/* Their buffers in struct http_exchange, with the NUL. */
static const size_t field_cap[PF_COUNT] = {
	HTTP_PATH_MAX, HTTP_QUERY_MAX, HTTP_HOST_MAX, HTTP_ID_MAX,
	HTTP_ORIG_MAX,
};

/* A request waiting for its response: what its exchange will need. */
struct pending {
	struct pending *next;
	int64_t start_us;	/* first byte */
	int64_t syn_us, synack_us;	/* of the connection, first request */
	uint16_t len[PF_COUNT];	/* of each packed field */
	uint8_t method;		/* enum http_method, once line_known */
	uint8_t major, minor;	/* HTTP version, once line_known */
	bool line_known;	/* its header was read: method, version */
	bool headers_done;	/* fields packed */
	bool is_head, is_connect;
	bool has_query;
	bool incomplete;	/* a gap hit it */
	bool unanswered;	/* see http_exchange */
	int8_t id_kind;		/* see http_exchange */
	char *str;		/* the packed fields: inl, or allocated */
	char inl[PENDING_INLINE];
};

/*
 * The request header being read: the tracker's scratch while its
 * connection's bytes are parsed (one connection at a time); saved with
 * the connection (struct acc_saved) when a segment ends in it.
 */
struct req_acc {
	size_t url_len, len[PF_COUNT];	/* PF_PATH and PF_QUERY unused */
	int id_prio;		/* of the id held: lower wins; 99 none */
	char url[HTTP_URL_MAX];
	char host[HTTP_HOST_MAX];
	char id[HTTP_ID_MAX];
	char orig[HTTP_ORIG_MAX];
};

/* A req_acc at its size, between two segments of a connection. */
struct acc_saved {
	uint16_t url_len, host_len, id_len, orig_len;
	int id_prio;
	char data[];
};

enum stream_state { ST_PARSE, ST_RESYNC, ST_TUNNEL, ST_DEAD };

/* Which header a value belongs to, as far as we keep it. */
enum hdr_target { HDR_NONE, HDR_HOST, HDR_ID, HDR_ORIG };

/* Header name being read and where its value goes. */
struct hdr_acc {
	char name[HDR_NAME_MAX];
	size_t name_len;
	bool in_value;
	enum hdr_target target;
	int prio;		/* of an id header: lower wins */
	bool skip;		/* value goes nowhere (a better id is held) */
};

struct http_conn {
	struct http_tracker *t;
	const struct tcp_conn *c;	/* valid during a callback */
	bool downstream;
	uint8_t client_len, server_len;	/* of the texts in addr[] */
	http_parser req, resp;
	enum stream_state req_st, resp_st;
	struct hdr_acc rh, sh;
	struct pending *head, *tail;	/* requests awaiting answers */
	int n_pending;
	/* on the tracker's list of connections holding as many requests
	 * (bucket -1: none held) */
	int bucket;
	struct http_conn *bprev, *bnext;
	bool shed;		/* given up for the pending budget */
	struct pending *req_cur;	/* request being parsed */
	struct acc_saved *saved;	/* req_cur's header so far, between
					 * segments; NULL when none */
	bool first_request;		/* no request seen yet */
	bool req_fresh;		/* req (http-parser) is at a message boundary
				 * with nothing pending: req_fast may read */
	/* the response being parsed */
	bool resp_active, resp_headers_done, resp_interim;
	/*
	 * An answer's header bytes: its status line, header fields and the
	 * empty line's CRLF, from its first byte ('H') on (no stray CRLF
	 * before it, no body); of an answer cut short, what came of them.
	 * http-parser's nread does not tell (0 in on_headers_complete, and
	 * it counts stray CRLFs and trailers): server_data pauses the parser
	 * where an answer begins and where its header ends, and counts.
	 */
	uint64_t resp_header_bytes;
	uint64_t resp_fed;	/* bytes given to resp (http-parser) so far */
	uint64_t resp_msg_at;	/* resp_fed at the answer's first byte */
	uint8_t resp_mark;	/* why resp paused: RESP_MARK_* */
	int64_t resp_first_us;
	int resp_status;
	int64_t resp_body;
	bool resp_gap;
	bool resp_fresh;	/* resp (http-parser) is at a message boundary
				 * with nothing pending: resp_fast may read */
	uint64_t resp_fast_left;	/* body bytes resp_fast still owes */
	char *resp_id;		/* the answer's id (HTTP_ID_MAX bytes, made
				 * when one first comes: most connections
				 * see none), or NULL */
	int resp_id_prio;
	bool close_announced;	/* an answer said Connection: close */
	int64_t last_answer_us;	/* end of the last answer, -1 none */
	int64_t now_us;
	/* the client's address text, then the server's "ip:port", each with
	 * its NUL, at their sizes (most connections are IPv4) */
	char addr[];
};

struct http_tracker {
	struct http_opts o;
	http_emit_fn emit;
	http_pack_reserve_fn pack_reserve;	/* or NULL */
	http_pack_commit_fn pack_commit;
	void *ctx;
	http_parser_settings req_settings, resp_settings;
	struct pending *free_list;
	size_t n_free;
	size_t pending_now;	/* requests held by every connection */
	/* connections holding 1, 2, ... 64 or more requests, oldest first:
	 * the budget's victim is the head of the fullest */
	struct http_conn *bucket_head[PENDING_BUCKETS];
	struct http_conn *bucket_tail[PENDING_BUCKETS];
	uint64_t pkt_no, pkt_offset;
	struct http_stats stats;
	struct req_acc acc;	/* the request header being read */
	bool tchar[256];	/* resp_fast: a header name's bytes */
	bool urlc[256];		/* req_fast: a target's bytes */
	struct hcache hc_req, hc_resp;	/* fast_header_read's, by direction */
	uint16_t id_header_len;	/* strlen(o.id_header), 0 none */
	unsigned id_header_first;	/* its first byte | 0x20 */
	char id_header_lc[HDR_NAME_MAX];	/* it in lower case (ASCII) */
};

/* Decimal digits of v (< 100000) at p; returns the end. */
static char *
addr_dec(char *p, unsigned v)
{
	char d[5];
	int n = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 && n < 5);
	while (n > 0)
		*p++ = d[--n];
	return p;
}

/* See http.h. */
void
http_addr_text(char *buf, size_t size, uint8_t family, const uint8_t *addr,
    int port)
{
	char ip[INET6_ADDRSTRLEN];

	/* IPv4 by hand, as inet_ntop and "%s:%d" write it: once per
	 * connection, a tenth of the packet loop on short connections */
	if (family == 4 && size >= sizeof("255.255.255.255:65535") &&
	    port < 65536) {
		char *p = buf;

		for (int i = 0; i < 4; i++) {
			p = addr_dec(p, addr[i]);
			*p++ = i < 3 ? '.' : '\0';
		}
		if (port >= 0) {
			p[-1] = ':';
			p = addr_dec(p, (unsigned)port);
			*p = '\0';
		}
		return;
	}
	if (inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, ip,
	    sizeof(ip)) == NULL)
		snprintf(ip, sizeof(ip), "?");
	if (port < 0)
		snprintf(buf, size, "%s", ip);
	else if (family == 6)
		snprintf(buf, size, "[%s]:%d", ip, port);
	else
		snprintf(buf, size, "%s:%d", ip, port);
}

/* See http.h. */
int
http_failure_status(enum gw_cause c)
{
	switch (c) {
	case GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT:
	case GW_CAUSE_UPSTREAM_READ_TIMEOUT:
		return 504;
	case GW_CAUSE_CLIENT_CLOSED:
		return 499;
	case GW_CAUSE_UPSTREAM_INVALID_RESPONSE:
		return 9;
	default:
		return 502;
	}
}

/* Append n bytes to a NUL-terminated field of size cap, cutting. */
static void
field_append(char *dst, size_t cap, const char *s, size_t n)
{
	size_t have = strlen(dst);

	if (have + 1 >= cap)
		return;
	if (n > cap - 1 - have)
		n = cap - 1 - have;
	memcpy(dst + have, s, n);
	dst[have + n] = '\0';
}

/* A pending record from the free list or the heap; NULL on OOM. */
static struct pending *
pending_get(struct http_tracker *t)
{
	struct pending *p = t->free_list;

	if (p != NULL) {
		t->free_list = p->next;
		t->n_free--;
	} else if ((p = gw_malloc(sizeof(*p))) == NULL) {
		return NULL;
	}
	p->next = NULL;
	p->syn_us = p->synack_us = -1;
	memset(p->len, 0, sizeof(p->len));
	p->line_known = p->headers_done = p->is_head = p->is_connect = false;
	p->has_query = p->incomplete = p->unanswered = false;
	p->id_kind = -1;
	p->str = p->inl;
	return p;
}

static void
pending_put(struct http_tracker *t, struct pending *p)
{
	if (p->str != p->inl)
		free(p->str);
	if (t->n_free >= 256) {
		free(p);
		return;
	}
	p->next = t->free_list;
	t->free_list = p;
	t->n_free++;
}

/* Start the exchange of a new record on connection hc at time ts. */
static void
exchange_init(struct http_conn *hc, struct http_exchange *x, int64_t ts)
{
	x->downstream = hc->downstream;
	x->has_request = x->incomplete = x->conn_only = x->has_query = false;
	x->end_unsure = x->unanswered = false;
	x->id_kind = -1;
	x->orig_uri[0] = '\0';
	x->syn_us = x->synack_us = -1;
	x->start_us = x->ready_us = ts;
	x->first_byte_us = -1;
	x->end_us = -1;
	memcpy(x->client, hc->addr, hc->client_len + 1U);
	memcpy(x->server, hc->addr + hc->client_len + 1, hc->server_len + 1U);
	x->client_port = hc->c->client_port;
	x->server_port = hc->c->server_port;
	x->method[0] = x->host[0] = x->path[0] = x->query[0] = '\0';
	x->request_id[0] = x->protocol[0] = '\0';
	x->status = -1;
	x->body_bytes = -1;
	x->header_bytes = -1;
	x->cause = GW_CAUSE_OK;
}

/* The exchange of queued request p, as far as its request goes. */
static void
pending_exchange(struct http_conn *hc, const struct pending *p,
    struct http_exchange *x)
{
	char *dst[PF_COUNT];
	const char *s = p->str;

	exchange_init(hc, x, p->start_us);
	dst[PF_PATH] = x->path;
	dst[PF_QUERY] = x->query;
	dst[PF_HOST] = x->host;
	dst[PF_ID] = x->request_id;
	dst[PF_ORIG] = x->orig_uri;
	x->has_request = true;
	x->syn_us = p->syn_us;
	x->synack_us = p->synack_us;
	x->has_query = p->has_query;
	x->incomplete = p->incomplete;
	x->unanswered = p->unanswered;
	x->id_kind = p->id_kind;
	for (int f = 0; f < PF_COUNT; f++) {
		memcpy(dst[f], s, p->len[f]);
		dst[f][p->len[f]] = '\0';
		s += p->len[f];
	}
	if (p->line_known) {
		const char *m = http_method_str((enum http_method)p->method);
		size_t n = strlen(m);

		if (n >= sizeof(x->method))
			n = sizeof(x->method) - 1;
		memcpy(x->method, m, n);
		x->method[n] = '\0';
		memcpy(x->protocol, "HTTP/1.1", 9);
		x->protocol[5] = (char)('0' + p->major);
		x->protocol[7] = (char)('0' + p->minor);
	}
}

/* --- the request header being read ---------------------------------------- */

static void queue_drop_tail(struct http_conn *hc, struct pending *p);

static void
acc_reset(struct req_acc *a)
{
	a->url_len = 0;
	memset(a->len, 0, sizeof(a->len));
	a->id_prio = 99;
}

/* Append n bytes to field f (PF_HOST, PF_ID or PF_ORIG), cut to fit. */
static void
acc_append(struct req_acc *a, enum pending_field f, const char *s, size_t n)
{
	char *dst = f == PF_HOST ? a->host : f == PF_ID ? a->id : a->orig;
	size_t cap = field_cap[f] - 1, have = a->len[f];

	if (have >= cap)
		return;
	if (n > cap - have)
		n = cap - have;
	memcpy(dst + have, s, n);
	a->len[f] = have + n;
}

/* Drop what was saved of hc's request header. */
static void
acc_drop(struct http_conn *hc)
{
	free(hc->saved);
	hc->saved = NULL;
}

/*
 * A segment of hc ended inside req_cur's header: save what the scratch
 * holds of it with hc, at its size. Out of memory, the request is
 * dropped (and counted: the capture reports it).
 */
static void
acc_save(struct http_conn *hc)
{
	struct req_acc *a = &hc->t->acc;
	size_t n = a->url_len + a->len[PF_HOST] + a->len[PF_ID] +
	    a->len[PF_ORIG];
	struct acc_saved *sv = gw_malloc(sizeof(*sv) + n);
	char *d;

	if (sv == NULL) {
		hc->t->stats.oom++;
		queue_drop_tail(hc, hc->req_cur);
		return;
	}
	sv->url_len = (uint16_t)a->url_len;
	sv->host_len = (uint16_t)a->len[PF_HOST];
	sv->id_len = (uint16_t)a->len[PF_ID];
	sv->orig_len = (uint16_t)a->len[PF_ORIG];
	sv->id_prio = a->id_prio;
	d = sv->data;
	memcpy(d, a->url, a->url_len);
	d += a->url_len;
	memcpy(d, a->host, a->len[PF_HOST]);
	d += a->len[PF_HOST];
	memcpy(d, a->id, a->len[PF_ID]);
	d += a->len[PF_ID];
	memcpy(d, a->orig, a->len[PF_ORIG]);
	hc->saved = sv;
}

/* Put what was saved of hc's request header back into the scratch (an
 * empty one when nothing was). */
static void
acc_load(struct http_conn *hc)
{
	struct req_acc *a = &hc->t->acc;
	const struct acc_saved *sv = hc->saved;
	const char *d;

	acc_reset(a);
	if (sv == NULL)
		return;
	d = sv->data;
	a->url_len = sv->url_len;
	a->len[PF_HOST] = sv->host_len;
	a->len[PF_ID] = sv->id_len;
	a->len[PF_ORIG] = sv->orig_len;
	a->id_prio = sv->id_prio;
	memcpy(a->url, d, sv->url_len);
	d += sv->url_len;
	memcpy(a->host, d, sv->host_len);
	d += sv->host_len;
	memcpy(a->id, d, sv->id_len);
	d += sv->id_len;
	memcpy(a->orig, d, sv->orig_len);
	acc_drop(hc);
}

/*
 * Pack what the scratch holds of p's header into p: the URL split into
 * path and query by core/reqline.c (an absolute-form or CONNECT target
 * gives the host, as the Host header writes it, when the request had no
 * Host header), the host, the id and the client URI, each cut to its
 * buffer in struct http_exchange. whole: the header was read to its end
 * (a traceparent id keeps only its trace id, which every hop shares, and
 * the id's kind is known); else this is what a gap or an early answer
 * left of it.
 */
static void
pending_pack(struct http_tracker *t, struct pending *p, bool whole)
{
	struct req_acc *a = &t->acc;
	const char *src[PF_COUNT];
	size_t len[PF_COUNT], total = 0;
	struct reqline r;

	reqline_target(a->url, a->url_len, p->is_connect, &r);
	src[PF_PATH] = r.path.p;
	len[PF_PATH] = r.path.n;
	if (len[PF_PATH] == 0 && !p->is_connect) {
		src[PF_PATH] = "/";
		len[PF_PATH] = 1;
	}
	p->has_query = r.query.n > 0;
	src[PF_QUERY] = r.query.p;
	len[PF_QUERY] = r.query.n;
	src[PF_HOST] = a->host;
	len[PF_HOST] = a->len[PF_HOST];
	if (len[PF_HOST] == 0 && r.authority.n > 0) {
		src[PF_HOST] = r.authority.p;
		len[PF_HOST] = r.authority.n;
	}
	src[PF_ID] = a->id;
	len[PF_ID] = a->len[PF_ID];
	if (whole && a->id_prio == 2 && len[PF_ID] >= 35 && a->id[2] == '-') {
		src[PF_ID] = a->id + 3;
		len[PF_ID] = 32;
	}
	p->id_kind = whole && len[PF_ID] > 0 ? (int8_t)a->id_prio : -1;
	src[PF_ORIG] = a->orig;
	len[PF_ORIG] = a->len[PF_ORIG];
	for (int f = 0; f < PF_COUNT; f++) {
		if (len[f] > field_cap[f] - 1)
			len[f] = field_cap[f] - 1;
		total += len[f];
	}
	if (p->str != p->inl)
		free(p->str);
	p->str = p->inl;
	if (total > sizeof(p->inl) && (p->str = gw_malloc(total)) == NULL) {
		t->stats.oom++;		/* the capture reports it */
		p->str = p->inl;
		total = 0;
		memset(len, 0, sizeof(len));
	}
	for (int f = 0, at = 0; f < PF_COUNT; f++) {
		if (len[f] > 0)		/* (an empty span may have no pointer) */
			memcpy(p->str + at, src[f], len[f]);
		p->len[f] = (uint16_t)len[f];
		at += (int)len[f];
	}
	p->headers_done = true;
}

/* Hand x to the caller, stamped with the current packet. */
static void
emit(struct http_conn *hc, struct http_exchange *x)
{
	struct http_tracker *t = hc->t;

	x->pkt_no = t->pkt_no;
	x->pkt_offset = t->pkt_offset;
	if (x->end_us < 0)
		x->end_us = hc->now_us;
	if (x->conn_only)
		t->stats.conn_failures++;
	else
		t->stats.exchanges++;
	if (x->incomplete)
		t->stats.incomplete++;
	t->emit(t->ctx, x);
}

/*
 * hc's count of held requests changed by delta: keep the tracker's total
 * and move hc to the list of its new count (at the young end).
 */
static void
conn_count(struct http_conn *hc, int delta)
{
	struct http_tracker *t = hc->t;
	int b;

	hc->n_pending += delta;
	if (delta > 0)
		t->pending_now += (size_t)delta;
	else
		t->pending_now -= (size_t)-delta;
	if (t->pending_now > t->stats.pending_peak)
		t->stats.pending_peak = t->pending_now;
	b = hc->n_pending <= 0 ? -1 : hc->n_pending < PENDING_BUCKETS ?
	    hc->n_pending : PENDING_BUCKETS - 1;
	if (b == hc->bucket)
		return;
	if (hc->bucket >= 0) {
		if (hc->bprev != NULL)
			hc->bprev->bnext = hc->bnext;
		else
			t->bucket_head[hc->bucket] = hc->bnext;
		if (hc->bnext != NULL)
			hc->bnext->bprev = hc->bprev;
		else
			t->bucket_tail[hc->bucket] = hc->bprev;
	}
	hc->bucket = b;
	hc->bprev = hc->bnext = NULL;
	if (b < 0)
		return;
	hc->bprev = t->bucket_tail[b];
	if (t->bucket_tail[b] != NULL)
		t->bucket_tail[b]->bnext = hc;
	else
		t->bucket_head[b] = hc;
	t->bucket_tail[b] = hc;
}

/* Remove and return the oldest pending request, NULL when none. */
static struct pending *
queue_pop(struct http_conn *hc)
{
	struct pending *p = hc->head;

	if (p == NULL)
		return NULL;
	hc->head = p->next;
	if (hc->head == NULL)
		hc->tail = NULL;
	conn_count(hc, -1);
	if (hc->req_cur == p)
		hc->req_cur = NULL;
	return p;
}

/* Remove p, the newest pending request. */
static void
queue_drop_tail(struct http_conn *hc, struct pending *p)
{
	struct pending **pp = &hc->head, *prev = NULL;

	while (*pp != NULL && *pp != p) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (*pp == NULL)
		return;
	*pp = p->next;
	if (hc->tail == p)
		hc->tail = prev;
	conn_count(hc, -1);
	if (hc->req_cur == p)
		hc->req_cur = NULL;
	pending_put(hc->t, p);
}

/*
 * Give up connection hc to keep the pending budget: its held requests are
 * dropped (counted), and from now on its requests are only counted and
 * its answers ignored, until it ends.
 */
static void
conn_shed(struct http_conn *hc)
{
	struct http_tracker *t = hc->t;

	t->stats.budget_drops += (uint64_t)hc->n_pending;
	t->stats.conns_shed++;
	while (hc->head != NULL)
		pending_put(t, queue_pop(hc));
	hc->req_cur = NULL;
	acc_drop(hc);
	hc->resp_active = false;
	hc->shed = true;
}

/* A traceparent value keeps only its trace id, which every hop shares. */
static void
id_normalise(char *id, int prio)
{
	size_t n = strlen(id);

	if (prio == 2 && n >= 35 && id[2] == '-') {
		memmove(id, id + 3, 32);
		id[32] = '\0';
	}
}

/*
 * Whether the n bytes at a are lower-case lit (n bytes) but for the case
 * of ASCII letters: strcasecmp of a name of lit's length, inline (a call
 * per header field was 1.5% of a capture), and the same in any locale.
 */
static bool
lower_eq(const char *a, const char *lit, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + ('a' - 'A'));
		if (c != (unsigned char)lit[i])
			return false;
	}
	return true;
}

/* The priority of a request-id header name (of n bytes), -1 when it is
 * none. The lengths are compared first: most headers are none of these. */
static int
id_header_prio(const struct http_tracker *t, const char *name, size_t n)
{
	if (t->id_header_len > 0 && n == t->id_header_len &&
	    lower_eq(name, t->id_header_lc, n))
		return 0;
	if (n == 12 && lower_eq(name, "x-request-id", 12))
		return 1;
	if (n == 11 && lower_eq(name, "traceparent", 11))
		return 2;
	return -1;
}

/* on_header_field for either direction. */
static void
hdr_field(struct hdr_acc *h, const char *at, size_t len)
{
	if (h->in_value) {
		h->in_value = false;
		h->name_len = 0;
	}
	if (h->name_len + len >= sizeof(h->name))
		len = sizeof(h->name) - 1 - h->name_len;
	memcpy(h->name + h->name_len, at, len);
	h->name_len += len;
	h->name[h->name_len] = '\0';
}

/* First piece of a value: decide where it goes. */
static void
hdr_value_start(struct http_tracker *t, struct hdr_acc *h, bool request,
    int held_prio)
{
	int prio;

	h->in_value = true;
	h->target = HDR_NONE;
	h->skip = false;
	if (request && h->name_len == 4 && lower_eq(h->name, "host", 4)) {
		h->target = HDR_HOST;
		return;
	}
	if (request && ((h->name_len == 14 &&
	    lower_eq(h->name, "x-original-uri", 14)) ||
	    (h->name_len == 15 &&
	    lower_eq(h->name, "x-forwarded-uri", 15)))) {
		h->target = HDR_ORIG;
		return;
	}
	if ((prio = id_header_prio(t, h->name, h->name_len)) >= 0) {
		h->target = HDR_ID;
		h->prio = prio;
		h->skip = prio >= held_prio;
	}
}

/* --- request callbacks ---------------------------------------------------- */

static int
req_message_begin(http_parser *hp)
{
	struct http_conn *hc = hp->data;
	struct http_tracker *t = hc->t;
	struct pending *p;

	if (!hc->shed && hc->n_pending >= t->o.pipeline_max) {
		pending_put(t, queue_pop(hc));
		t->stats.pipeline_drops++;
	}
	/* The budget is full: give up the connection holding the most (the
	 * oldest of them on a tie), which may be this one. */
	for (int b = PENDING_BUCKETS - 1; !hc->shed &&
	    t->pending_now >= t->o.pending_max && b > 0; b--)
		if (t->bucket_head[b] != NULL)
			conn_shed(t->bucket_head[b]);
	if (hc->shed) {
		t->stats.requests++;
		t->stats.budget_drops++;
		hc->first_request = false;
		hc->req_fresh = false;
		return 0;
	}
	if ((p = pending_get(t)) == NULL) {
		t->stats.oom++;
		return -1;
	}
	p->start_us = hc->now_us;
	if (hc->first_request && hc->c->syn_seen) {
		p->syn_us = hc->c->syn_us;
		p->synack_us = hc->c->synack_us;
	}
	acc_reset(&t->acc);
	hc->first_request = false;
	if (hc->tail != NULL)
		hc->tail->next = p;
	else
		hc->head = p;
	hc->tail = p;
	conn_count(hc, 1);
	hc->req_cur = p;
	hc->rh.in_value = false;
	hc->rh.name_len = 0;
	hc->req_fresh = false;
	t->stats.requests++;
	return 0;
}

static int
req_url(http_parser *hp, const char *at, size_t len)
{
	struct http_conn *hc = hp->data;
	struct req_acc *a = &hc->t->acc;

	if (hc->req_cur == NULL)
		return 0;
	if (len > HTTP_URL_MAX - a->url_len)
		len = HTTP_URL_MAX - a->url_len;
	memcpy(a->url + a->url_len, at, len);
	a->url_len += len;
	return 0;
}

static int
req_header_field(http_parser *hp, const char *at, size_t len)
{
	struct http_conn *hc = hp->data;

	hdr_field(&hc->rh, at, len);
	return 0;
}

static int
req_header_value(http_parser *hp, const char *at, size_t len)
{
	struct http_conn *hc = hp->data;
	struct req_acc *a = &hc->t->acc;
	struct hdr_acc *h = &hc->rh;

	if (hc->req_cur == NULL)
		return 0;
	if (!h->in_value) {
		hdr_value_start(hc->t, h, true, a->id_prio);
		if (h->target == HDR_ID && !h->skip) {
			a->id_prio = h->prio;
			a->len[PF_ID] = 0;
		}
	}
	if (h->target == HDR_HOST)
		acc_append(a, PF_HOST, at, len);
	else if (h->target == HDR_ORIG)
		acc_append(a, PF_ORIG, at, len);
	else if (h->target == HDR_ID && !h->skip)
		acc_append(a, PF_ID, at, len);
	return 0;
}

static int
req_headers_complete(http_parser *hp)
{
	struct http_conn *hc = hp->data;
	struct pending *p = hc->req_cur;

	if (p == NULL)
		return 0;
	p->line_known = true;
	p->method = (uint8_t)hp->method;
	p->major = (uint8_t)(hp->http_major % 10);
	p->minor = (uint8_t)(hp->http_minor % 10);
	p->is_head = hp->method == HTTP_HEAD;
	p->is_connect = hp->method == HTTP_CONNECT;
	pending_pack(hc->t, p, true);
	return 0;
}

static int
req_message_complete(http_parser *hp)
{
	struct http_conn *hc = hp->data;

	hc->req_cur = NULL;
	hc->req_fresh = http_should_keep_alive(hp);
	return 0;
}

/* --- response callbacks --------------------------------------------------- */

/* Where http-parser was paused (see resp_header_bytes). */
enum {
	RESP_MARK_NONE,
	RESP_MARK_BEGIN,	/* just past an answer's first byte */
	RESP_MARK_HEADERS,	/* at the LF that ends its header */
};

static int
resp_message_begin(http_parser *hp)
{
	struct http_conn *hc = hp->data;

	hc->resp_active = true;
	hc->resp_headers_done = hc->resp_interim = false;
	hc->resp_header_bytes = 0;
	hc->resp_first_us = hc->now_us;
	hc->resp_status = -1;
	hc->resp_body = 0;
	if (hc->resp_id != NULL)
		hc->resp_id[0] = '\0';
	hc->resp_id_prio = 99;
	hc->sh.in_value = false;
	hc->sh.name_len = 0;
	hc->resp_fresh = false;
	return 0;
}

static int
resp_header_field(http_parser *hp, const char *at, size_t len)
{
	struct http_conn *hc = hp->data;

	hdr_field(&hc->sh, at, len);
	return 0;
}

static int
resp_header_value(http_parser *hp, const char *at, size_t len)
{
	struct http_conn *hc = hp->data;
	struct hdr_acc *h = &hc->sh;

	if (!h->in_value) {
		hdr_value_start(hc->t, h, false, hc->resp_id_prio);
		if (h->target == HDR_ID && !h->skip && hc->resp_id == NULL &&
		    (hc->resp_id = gw_malloc(HTTP_ID_MAX)) == NULL) {
			hc->t->stats.oom++;	/* the capture reports it */
			h->skip = true;
		}
		if (h->target == HDR_ID && !h->skip) {
			hc->resp_id_prio = h->prio;
			hc->resp_id[0] = '\0';
		}
	}
	if (h->target == HDR_ID && !h->skip)
		field_append(hc->resp_id, HTTP_ID_MAX, at, len);
	return 0;
}

static int
resp_headers_complete(http_parser *hp)
{
	struct http_conn *hc = hp->data;
	struct pending *p = hc->head;

	hc->resp_headers_done = true;
	hc->resp_status = hp->status_code;
	if (hp->status_code / 100 != 1 && !http_should_keep_alive(hp))
		hc->close_announced = true;
	if (hc->resp_id != NULL)
		id_normalise(hc->resp_id, hc->resp_id_prio);
	if (hp->status_code / 100 == 1 && hp->status_code != 101) {
		hc->resp_interim = true;
		return 0;
	}
	if (p != NULL && p->is_head)
		return 1;	/* no body, whatever the header says */
	if (p != NULL && p->is_connect && hp->status_code / 100 == 2)
		return 2;	/* no body, then a tunnel */
	return 0;
}

/* resp_message_begin and resp_headers_complete as http-parser calls them:
 * paused there, so that server_data learns where in its data they are. */
static int
resp_begin_mark(http_parser *hp)
{
	struct http_conn *hc = hp->data;

	resp_message_begin(hp);
	hc->resp_mark = RESP_MARK_BEGIN;
	http_parser_pause(hp, 1);
	return 0;
}

static int
resp_headers_mark(http_parser *hp)
{
	struct http_conn *hc = hp->data;
	int r = resp_headers_complete(hp);

	hc->resp_mark = RESP_MARK_HEADERS;
	http_parser_pause(hp, 1);
	return r;
}

static int
resp_body(http_parser *hp, const char *at, size_t len)
{
	struct http_conn *hc = hp->data;

	(void)at;
	hc->resp_body += (int64_t)len;
	return 0;
}

/*
 * Finish the answer to the oldest request (or to none: an orphan) with
 * status, cause and flags, and emit it.
 */
static void answer_packed(struct http_conn *hc, const struct pending *p,
    int status, enum gw_cause cause, bool incomplete);

static void
answer_head(struct http_conn *hc, int status, enum gw_cause cause,
    bool incomplete)
{
	struct http_tracker *t = hc->t;
	struct pending *p = queue_pop(hc);
	struct http_exchange x;

	if (p == NULL) {
		exchange_init(hc, &x, hc->resp_first_us);
		t->stats.orphan_responses++;
	} else {
		if (!p->headers_done) {	/* what we have of it */
			acc_load(hc);
			pending_pack(t, p, false);
		}
		if (t->pack_reserve != NULL) {
			answer_packed(hc, p, status, cause, incomplete);
			pending_put(t, p);
			return;
		}
		pending_exchange(hc, p, &x);
	}
	x.status = status;
	x.cause = cause;
	x.incomplete = x.incomplete || incomplete;
	if (hc->resp_active) {
		x.first_byte_us = hc->resp_first_us;
		x.body_bytes = hc->resp_headers_done ? hc->resp_body : -1;
		x.header_bytes = (int64_t)hc->resp_header_bytes;
		if (x.request_id[0] == '\0' && hc->resp_id != NULL &&
		    hc->resp_id[0] != '\0') {
			memcpy(x.request_id, hc->resp_id, HTTP_ID_MAX);
			x.id_kind = hc->resp_id_prio + 3;
		}
	}
	x.end_us = hc->now_us;
	if (hc->last_answer_us > x.ready_us)
		x.ready_us = hc->last_answer_us;
	hc->last_answer_us = x.end_us;
	emit(hc, &x);
	if (p != NULL)
		pending_put(t, p);
}

static int
resp_message_complete(http_parser *hp)
{
	struct http_conn *hc = hp->data;
	int st = hc->resp_status;

	if (hc->resp_interim) {
		hc->t->stats.interim++;
		hc->resp_active = false;
		return 0;
	}
	hc->t->stats.responses++;
	/* at a boundary again, unless the parser now refuses more (it
	 * answered Connection: close, or its end is the connection's) */
	hc->resp_fresh = http_should_keep_alive(hp);
	/* An Upgrade the server declined: requests go on as before. */
	if (hc->req_st == ST_TUNNEL && st != 101 &&
	    !(hc->head != NULL && hc->head->is_connect && st / 100 == 2)) {
		hc->req_st = ST_RESYNC;
	}
	answer_head(hc, st, st >= 500 && st <= 599 ? GW_CAUSE_UPSTREAM_5XX :
	    GW_CAUSE_OK, hc->resp_gap);
	hc->resp_active = false;
	hc->resp_gap = false;
	return 0;
}

/* --- streams -------------------------------------------------------------- */

/* Whether p[0..len) starts with a request line's method and a space. */
static bool
looks_like_request(const uint8_t *p, size_t len)
{
	static const char *const methods[] = {
		"GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "OPTIONS ",
		"PATCH ", "CONNECT ", "TRACE ", "PROPFIND ",
	};

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t n = strlen(methods[i]);

		if (len >= n && memcmp(p, methods[i], n) == 0)
			return true;
	}
	return false;
}

static bool
looks_like_response(const uint8_t *p, size_t len)
{
	return len >= 7 && memcmp(p, "HTTP/1.", 7) == 0;
}

/*
 * Offset of the first message start in p, or len when none: at 0 (a
 * segment often begins a message) or right after a line feed.
 */
static size_t
find_start(const uint8_t *p, size_t len, bool request)
{
	size_t i = 0;

	while (i < len) {
		if (request ? looks_like_request(p + i, len - i) :
		    looks_like_response(p + i, len - i))
			return i;
		const uint8_t *nl = memchr(p + i, '\n', len - i);
		if (nl == NULL)
			break;
		i = (size_t)(nl - p) + 1;
	}
	return len;
}

/* The request parser failed: drop the half-read request, resync. */
static void
request_error(struct http_conn *hc)
{
	if (hc->req_cur != NULL)
		queue_drop_tail(hc, hc->req_cur);
	if (hc->first_request)
		hc->t->stats.not_http++;
	hc->req_st = ST_RESYNC;
}

/* --- the fast way ------------------------------------------------------- */


/* Fill tab[c] with whether c is a tchar of RFC 9110 (a header name's). */
static void
tchar_init(bool tab[256])
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	for (int c = 0; c < 256; c++)
		tab[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');
	for (const char *e = extra; *e != '\0'; e++)
		tab[(uint8_t)*e] = true;
}

/* Fill tab[c] with whether c may be in a target req_fast reads: RFC
 * 3986's pchar, '/' and '?' (what http-parser takes in a path and a
 * query; a fragment, or anything else: http-parser's). */
static void
urlc_init(bool tab[256])
{
	static const char extra[] = "-._~%!$&'()*+,;=:@/?";

	for (int c = 0; c < 256; c++)
		tab[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');
	for (const char *e = extra; *e != '\0'; e++)
		tab[(uint8_t)*e] = true;
}

/* Whether the n bytes at a equal lower-case s (of length ls), ignoring
 * case. */
static bool
span_is(const uint8_t *a, size_t n, const char *s, size_t ls)
{
	return n == ls && strncasecmp((const char *)a, s, n) == 0;
}

#define SPAN_IS(a, n, lit)	span_is((a), (n), (lit), sizeof(lit) - 1)

/* One header line as resp_fast found it. */
struct fast_line {
	const uint8_t *name, *value;
	size_t name_len, value_len;
};

/*
 * The first byte of [q, end) that is a control character other than tab
 * (or DEL), or end. Eight bytes at a time: a word with no byte below
 * 0x20 and none equal to 0x7f (exact tests) is passed over; in one that
 * has, the lowest byte flagged is the one (after a tab, byte by byte). One
 * pass finds a header line's CR and checks its value: it was a memchr
 * for the LF then a second pass over the value (together 12% of
 * `capture --listen --discard` on small keep-alive exchanges).
 */
static const uint8_t *
ctl_find(const uint8_t *q, const uint8_t *end)
{
	const uint64_t ones = UINT64_C(0x0101010101010101);
	const uint64_t highs = UINT64_C(0x8080808080808080);

	for (; end - q >= 8; q += 8) {
		uint64_t w, del;

		memcpy(&w, q, 8);
		del = w ^ (ones * 0x7f);
		uint64_t m = (((w - ones * 0x20) & ~w) | ((del - ones) & ~del)) &
		    highs;
		int k = 0;

		if (m == 0)
			continue;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		/* the lowest byte flagged is exact (a borrow only runs up) */
		k = __builtin_ctzll(m) >> 3;
		if (q[k] != '\t')
			return q + k;
#endif
		for (; k < 8; k++)
			if ((q[k] < 0x20 && q[k] != '\t') || q[k] == 0x7f)
				return q + k;
	}
	for (; q < end; q++)	/* (fewer than 8) */
		if ((*q < 0x20 && *q != '\t') || *q == 0x7f)
			return q;
	return end;
}

/*
 * One header line of p[at..hlen) into *l: its name and its value as
 * http-parser hands them (leading blanks of the value skipped); the
 * offset of the next line, or 0 when the line is not of the plain kind
 * resp_fast takes (a byte http-parser might read otherwise, a control
 * character in the value, an empty value, a folded line, a bare LF, no
 * CRLF before hlen).
 */
static size_t
fast_header_line(const bool tchar[256], const uint8_t *p, size_t at,
    size_t hlen, struct fast_line *l)
{
	const uint8_t *q = p + at, *end = p + hlen, *cr;

	l->name = q;
	/* four bytes a test (a name is ~10): the tests were half the line */
	while (end - q >= 4 && (tchar[q[0]] & tchar[q[1]] & tchar[q[2]] &
	    tchar[q[3]]))
		q += 4;
	while (q < end && tchar[*q])
		q++;
	if (q == l->name || q == end || *q != ':')
		return 0;
	l->name_len = (size_t)(q - l->name);
	q++;
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	l->value = q;
	cr = ctl_find(q, end);
	if (cr == q || end - cr < 2 || cr[0] != '\r' || cr[1] != '\n')
		return 0;
	l->value_len = (size_t)(cr - q);
	return (size_t)(cr + 2 - p);
}

/* A header as the fast way read it: its lines and its framing. */
struct fast_header {
	struct fast_line line[FAST_LINES_MAX];
	int n;			/* lines */
	size_t len;		/* bytes, through the empty line */
	uint64_t cl;		/* Content-Length */
	bool have_cl;
};

/*
 * Read the header lines of p[at..len) up to the empty line into *f:
 * false when they are not all in p (within FAST_HEADER_MAX) or not all
 * plain (fast_header_line), or the framing is not (a second
 * Content-Length or one that is not digits, Transfer-Encoding, Upgrade,
 * a Connection other than keep-alive): then http-parser reads it.
 */
static bool
fast_header_scan(const bool tchar[256], const uint8_t *p, size_t at,
    size_t len, struct fast_header *f)
{
	size_t lim = len < FAST_HEADER_MAX ? len : FAST_HEADER_MAX;

	f->n = 0;
	f->cl = 0;
	f->have_cl = false;
	for (;;) {
		struct fast_line *l = &f->line[f->n];

		if (at + 2 > lim)
			return false;
		if (p[at] == '\r' && p[at + 1] == '\n')
			break;		/* the empty line */
		if (f->n == FAST_LINES_MAX ||
		    (at = fast_header_line(tchar, p, at, lim, l)) == 0)
			return false;
		f->n++;
		if (SPAN_IS(l->name, l->name_len, "content-length")) {
			if (f->have_cl || l->value_len > 15)
				return false;
			for (size_t i = 0; i < l->value_len; i++) {
				if (l->value[i] < '0' || l->value[i] > '9')
					return false;
				f->cl = f->cl * 10 +
				    (uint64_t)(l->value[i] - '0');
			}
			f->have_cl = true;
		} else if (SPAN_IS(l->name, l->name_len, "connection")) {
			if (!SPAN_IS(l->value, l->value_len, "keep-alive"))
				return false;
		} else if (SPAN_IS(l->name, l->name_len,
		    "transfer-encoding") ||
		    SPAN_IS(l->name, l->name_len, "upgrade") ||
		    SPAN_IS(l->name, l->name_len, "proxy-connection")) {
			return false;
		}
	}
	f->len = at + 2;
	return true;
}

/*
 * fast_header_scan through the cache c: a block of the same bytes as one
 * read before (and as far within the bounds) is taken as it was read
 * then; the scan reads nothing past the empty line, so its answer is
 * that of the same bytes. A block read and taken is remembered, in place
 * of the oldest.
 */
static bool
fast_header_read(struct hcache *c, const bool tchar[256], const uint8_t *p,
    size_t at, size_t len, struct fast_header *f)
{
	size_t lim = len < FAST_HEADER_MAX ? len : FAST_HEADER_MAX;
	struct hcache_entry *e;

	for (unsigned i = 0; i < HCACHE_N; i++) {
		unsigned at_k = (c->last + i) % HCACHE_N;

		e = &c->e[at_k];
		if (e->len == 0 || at + e->len > lim ||
		    memcmp(p + at, e->bytes, e->len) != 0)
			continue;
		c->last = at_k;
		f->n = e->n;
		for (int k = 0; k < e->n; k++) {
			f->line[k].name = p + at + e->name_at[k];
			f->line[k].name_len = e->name_len[k];
			f->line[k].value = p + at + e->value_at[k];
			f->line[k].value_len = e->value_len[k];
		}
		f->cl = e->cl;
		f->have_cl = e->have_cl;
		f->len = at + e->len;
		return true;
	}
	if (!fast_header_scan(tchar, p, at, len, f))
		return false;
	if (f->len - at <= HCACHE_BYTES) {
		c->last = c->next;
		e = &c->e[c->next];
		c->next = (c->next + 1) % HCACHE_N;
		e->len = (uint16_t)(f->len - at);
		memcpy(e->bytes, p + at, e->len);
		e->n = (uint8_t)f->n;
		for (int k = 0; k < f->n; k++) {
			e->name_at[k] = (uint16_t)(f->line[k].name - (p + at));
			e->name_len[k] = (uint16_t)f->line[k].name_len;
			e->value_at[k] = (uint16_t)(f->line[k].value - (p + at));
			e->value_len[k] = (uint16_t)f->line[k].value_len;
		}
		e->cl = f->cl;
		e->have_cl = f->have_cl;
	}
	return true;
}

/*
 * Whether a field named name (n bytes) may be a request id header
 * (id_header_prio), by its length and first byte: what it cannot be need
 * not be compared. (A byte | 0x20 is its lower case for a letter and
 * itself or no tchar otherwise, so no name strcasecmp takes is left out.)
 */
static bool
maybe_id_name(const struct http_tracker *t, const uint8_t *name, size_t n)
{
	unsigned c = name[0] | 0x20U;

	/* a longer name is kept cut to HDR_NAME_MAX - 1 bytes (hdr_field),
	 * so of that length it may be one */
	if (n > HDR_NAME_MAX - 1)
		n = HDR_NAME_MAX - 1;
	return (n == 12 && c == 'x') || (n == 11 && c == 't') ||
	    (n == t->id_header_len && c == t->id_header_first);
}

/* The methods req_fast reads (others, CONNECT above all: http-parser). */
static const struct fast_method {
	const char *text;	/* with its space */
	size_t len;
	enum http_method m;
} fast_methods[] = {
	{"GET ", 4, HTTP_GET}, {"POST ", 5, HTTP_POST},
	{"HEAD ", 5, HTTP_HEAD}, {"PUT ", 4, HTTP_PUT},
	{"DELETE ", 7, HTTP_DELETE}, {"OPTIONS ", 8, HTTP_OPTIONS},
	{"PATCH ", 6, HTTP_PATCH},
};

/*
 * The fast way for a request (see the file comment): the bytes of p it
 * took, 0 when http-parser must read them. Called only at a message
 * boundary (req_fresh). A request's body is taken only whole.
 */
static size_t
req_fast(struct http_conn *hc, const uint8_t *p, size_t len)
{
	const struct fast_method *fm = NULL;
	struct fast_header f;
	const uint8_t *url;
	size_t at, url_len;

	if (len < 16 || HTTP_PARSER_ERRNO(&hc->req) != HPE_OK)
		return 0;
	for (size_t i = 0; i < sizeof(fast_methods) / sizeof(*fast_methods);
	    i++)
		if (memcmp(p, fast_methods[i].text, fast_methods[i].len) == 0) {
			fm = &fast_methods[i];
			break;
		}
	if (fm == NULL || p[fm->len] != '/')
		return 0;
	url = p + fm->len;
	for (at = fm->len; at < len && hc->t->urlc[p[at]]; at++)
		;
	url_len = (size_t)(p + at - url);
	if (len - at < 11 || memcmp(p + at, " HTTP/1.1\r\n", 11) != 0 ||
	    !fast_header_read(&hc->t->hc_req, hc->t->tchar, p, at + 11, len,
	    &f) ||
	    f.cl > len - f.len)
		return 0;	/* or its body goes on: http-parser's */
	/* what http-parser would call, in its order */
	if (req_message_begin(&hc->req) != 0) {
		request_error(hc);	/* as when http-parser stops there */
		return len;
	}
	req_url(&hc->req, (const char *)url, url_len);
	for (int i = 0; i < f.n; i++) {
		req_header_field(&hc->req, (const char *)f.line[i].name,
		    f.line[i].name_len);
		req_header_value(&hc->req, (const char *)f.line[i].value,
		    f.line[i].value_len);
	}
	hc->req.method = (unsigned)fm->m;
	hc->req.http_major = 1;
	hc->req.http_minor = 1;
	req_headers_complete(&hc->req);
	req_message_complete(&hc->req);
	hc->req_fresh = true;	/* kept alive (the parser's flags are not
				 * this message's) */
	return f.len + (size_t)f.cl;
}

/* Bytes from the client, once the scratch holds hc's request header. */
static void
client_parse(struct http_conn *hc, const uint8_t *p, size_t len)
{
	struct http_tracker *t = hc->t;
	size_t n;

	if (hc->req_st == ST_RESYNC) {
		size_t at = find_start(p, len, true);

		if (at == len)
			return;
		if (!hc->first_request || hc->c->mid_stream)
			t->stats.resyncs++;
		http_parser_init(&hc->req, HTTP_REQUEST);
		hc->req.data = hc;
		hc->req_st = ST_PARSE;
		hc->req_fresh = true;
		p += at;
		len -= at;
	}
	if (hc->req_st != ST_PARSE)
		return;
	while (len > 0 && hc->req_fresh && hc->req_st == ST_PARSE &&
	    !t->o.parser_only) {
		size_t took = req_fast(hc, p, len);

		if (took == 0)
			break;
		p += took;
		len -= took;
	}
	if (len == 0 || hc->req_st != ST_PARSE)
		return;
	n = http_parser_execute(&hc->req, &t->req_settings, (const char *)p,
	    len);
	if (hc->req.upgrade)
		hc->req_st = ST_TUNNEL;
	else if (HTTP_PARSER_ERRNO(&hc->req) != HPE_OK || n != len)
		request_error(hc);
}

/* Bytes from the client: the request header read so far comes back to
 * the scratch, and goes back to hc when the segment ends inside it. */
static void
client_data(struct http_conn *hc, const uint8_t *p, size_t len)
{
	if (hc->saved != NULL) {
		if (hc->req_cur != NULL && !hc->req_cur->headers_done)
			acc_load(hc);
		else
			acc_drop(hc);
	}
	client_parse(hc, p, len);
	if (hc->req_cur != NULL && !hc->req_cur->headers_done)
		acc_save(hc);
}

/* The response parser failed: the answer is not HTTP (or broken). */
static void
response_error(struct http_conn *hc)
{
	if (hc->head != NULL || hc->resp_active) {
		if (!hc->resp_headers_done)
			answer_head(hc, 9, GW_CAUSE_UPSTREAM_INVALID_RESPONSE,
			    hc->resp_gap);
		else
			answer_head(hc, hc->resp_status,
			    GW_CAUSE_UPSTREAM_INVALID_RESPONSE, hc->resp_gap);
	} else {
		hc->t->stats.not_http++;
	}
	hc->resp_active = false;
	/*
	 * A gateway that relayed a non-HTTP answer as HTTP/0.9 (nginx:
	 * logged "009") keeps the client's connection: the next answer's
	 * status line follows. An upstream's stream stays given up.
	 */
	hc->resp_st = hc->downstream ? ST_RESYNC : ST_DEAD;
}

/* The message resp_fast read is complete: as http-parser's callback
 * (whose parser fields are not this message's: it was kept alive). */
static void
fast_complete(struct http_conn *hc)
{
	resp_message_complete(&hc->resp);
	hc->resp_fresh = true;
}

/*
 * The fast way for an answer (see the file comment): the bytes of p it
 * took, 0 when http-parser must read them. Called only at a message
 * boundary (resp_fresh) or inside a body it owes (resp_fast_left).
 */
static size_t
resp_fast(struct http_conn *hc, const uint8_t *p, size_t len)
{
	const struct pending *h = hc->head;
	struct fast_header f;
	size_t at, avail;
	int status;

	if (hc->resp_fast_left > 0) {
		size_t k = len < hc->resp_fast_left ? len :
		    (size_t)hc->resp_fast_left;

		resp_body(&hc->resp, (const char *)p, k);
		hc->resp_fast_left -= k;
		if (hc->resp_fast_left == 0)
			fast_complete(hc);
		return k;
	}
	if (h == NULL || h->is_head || h->is_connect || len < 16 ||
	    memcmp(p, "HTTP/1.1 ", 9) != 0 ||
	    HTTP_PARSER_ERRNO(&hc->resp) != HPE_OK)
		return 0;
	if (p[9] < '1' || p[9] > '9' || p[10] < '0' || p[10] > '9' ||
	    p[11] < '0' || p[11] > '9' || (p[12] != ' ' && p[12] != '\r'))
		return 0;
	status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (status < 200 || status == 204 || status == 304)
		return 0;	/* interim, or no body whatever it says */
	/* the status line: a reason of plain bytes, CRLF */
	for (at = 12; at < len && p[at] != '\r'; at++)
		if ((p[at] < 0x20 && p[at] != '\t') || p[at] == 0x7f)
			return 0;
	if (at + 1 >= len || p[at + 1] != '\n' ||
	    !fast_header_read(&hc->t->hc_resp, hc->t->tchar, p, at + 2, len,
	    &f) ||
	    !f.have_cl)
		return 0;	/* or delimited by the close: http-parser's */
	/* what http-parser would call, in its order */
	if (!hc->resp_active)
		hc->resp_first_us = hc->now_us;
	resp_message_begin(&hc->resp);
	for (int i = 0; i < f.n; i++) {
		/*
		 * Of an answer's header only an id is kept (hdr_value_start):
		 * the other fields would set nothing (the next field starts
		 * afresh, and so does the next message), so they are not
		 * handed over (5 fields of 5 on nginx's small answers).
		 */
		if (!maybe_id_name(hc->t, f.line[i].name,
		    f.line[i].name_len))
			continue;
		resp_header_field(&hc->resp, (const char *)f.line[i].name,
		    f.line[i].name_len);
		resp_header_value(&hc->resp, (const char *)f.line[i].value,
		    f.line[i].value_len);
	}
	/* resp_headers_complete for such an answer (p starts with it) */
	hc->resp_headers_done = true;
	hc->resp_status = status;
	hc->resp_header_bytes = f.len;
	if (hc->resp_id != NULL)
		id_normalise(hc->resp_id, hc->resp_id_prio);
	avail = len - f.len;
	if (f.cl <= avail) {
		if (f.cl > 0)
			resp_body(&hc->resp, (const char *)p + f.len,
			    (size_t)f.cl);
		fast_complete(hc);
		return f.len + (size_t)f.cl;
	}
	if (avail > 0)
		resp_body(&hc->resp, (const char *)p + f.len, avail);
	hc->resp_fast_left = f.cl - avail;
	return len;
}

/* Bytes from the server. */
static void
server_data(struct http_conn *hc, const uint8_t *p, size_t len)
{
	struct http_tracker *t = hc->t;
	size_t n;

	if (hc->shed)
		return;
	if (hc->resp_st == ST_RESYNC) {
		size_t at = find_start(p, len, false);

		if (at == len)
			return;
		t->stats.resyncs++;
		http_parser_init(&hc->resp, HTTP_RESPONSE);
		hc->resp.data = hc;
		hc->resp_st = ST_PARSE;
		hc->resp_fresh = true;
		p += at;
		len -= at;
	}
	if (hc->resp_st != ST_PARSE)
		return;
	while (len > 0 && (hc->resp_fast_left > 0 || hc->resp_fresh) &&
	    !t->o.parser_only) {
		size_t took = resp_fast(hc, p, len);

		if (took == 0)
			break;
		p += took;
		len -= took;
	}
	if (len == 0)
		return;
	if (!hc->resp_active)	/* the first byte of an answer */
		hc->resp_first_us = hc->now_us;
	for (;;) {
		n = http_parser_execute(&hc->resp, &t->resp_settings,
		    (const char *)p, len);
		hc->resp_fed += n;
		if (HTTP_PARSER_ERRNO(&hc->resp) != HPE_PAUSED)
			break;
		/* paused: at a mark (resp_header_bytes), then on */
		http_parser_pause(&hc->resp, 0);
		if (hc->resp_mark == RESP_MARK_BEGIN)
			hc->resp_msg_at = hc->resp_fed - 1;
		else if (hc->resp_mark == RESP_MARK_HEADERS)
			hc->resp_header_bytes = hc->resp_fed + 1 -
			    hc->resp_msg_at;
		hc->resp_mark = RESP_MARK_NONE;
		p += n;
		len -= n;
		if (len == 0) {	/* (0 bytes would tell http-parser: EOF) */
			n = 0;
			break;
		}
	}
	if (hc->resp_active && !hc->resp_headers_done)
		hc->resp_header_bytes = hc->resp_fed - hc->resp_msg_at;
	if (hc->resp.upgrade) {
		t->stats.upgrades++;
		hc->resp_st = ST_TUNNEL;
		hc->req_st = ST_TUNNEL;
	} else if (HTTP_PARSER_ERRNO(&hc->resp) != HPE_OK || n != len) {
		response_error(hc);
		if (n == 0)
			n = 1;
		if (hc->resp_st == ST_RESYNC && n < len)
			server_data(hc, p + n, len - n);	/* once more */
	}
}

/* --- TCP callbacks -------------------------------------------------------- */

/* Whether port is one of the gateway's own. */
static bool
is_listen_port(const struct http_tracker *t, uint16_t port)
{
	for (size_t i = 0; i < t->o.n_listen_ports; i++)
		if (t->o.listen_ports[i] == port)
			return true;
	return false;
}

static void *
cb_open(void *ctx, const struct tcp_conn *c)
{
	struct http_tracker *t = ctx;
	char client[HTTP_ADDR_MAX], server[HTTP_ADDR_MAX];
	size_t lc, ls;
	struct http_conn *hc;

	http_addr_text(client, sizeof(client), c->family, c->client_addr, -1);
	http_addr_text(server, sizeof(server), c->family, c->server_addr,
	    c->server_port);
	lc = strlen(client);
	ls = strlen(server);
	if ((hc = gw_calloc(1, sizeof(*hc) + lc + 1 + ls + 1)) == NULL) {
		t->stats.oom++;
		return NULL;
	}
	memcpy(hc->addr, client, lc + 1);
	memcpy(hc->addr + lc + 1, server, ls + 1);
	hc->client_len = (uint8_t)lc;
	hc->server_len = (uint8_t)ls;
	hc->t = t;
	hc->c = c;
	hc->downstream = is_listen_port(t, c->server_port);
	http_parser_init(&hc->req, HTTP_REQUEST);
	http_parser_init(&hc->resp, HTTP_RESPONSE);
	hc->req.data = hc->resp.data = hc;
	hc->first_request = true;
	hc->req_fresh = hc->resp_fresh = true;
	hc->bucket = -1;
	hc->last_answer_us = -1;
	if (c->mid_stream) {
		hc->req_st = hc->resp_st = ST_RESYNC;
	}
	t->stats.connections++;
	return hc;
}

static void
cb_data(void *ctx, void *st, const struct tcp_conn *c, int from_server,
    const uint8_t *p, size_t len, int64_t ts_us)
{
	struct http_conn *hc = st;

	(void)ctx;
	hc->c = c;
	hc->now_us = ts_us;
	if (from_server)
		server_data(hc, p, len);
	else
		client_data(hc, p, len);
}

static void
cb_gap(void *ctx, void *st, const struct tcp_conn *c, int from_server,
    uint64_t missing, int64_t ts_us)
{
	struct http_conn *hc = st;

	(void)ctx;
	(void)missing;
	hc->c = c;
	hc->now_us = ts_us;
	if (!from_server) {
		if (hc->req_cur != NULL) {
			if (!hc->req_cur->headers_done) {
				acc_load(hc);
				pending_pack(hc->t, hc->req_cur, false);
			}
			hc->req_cur->incomplete = true;
			hc->req_cur = NULL;
		}
		if (hc->req_st == ST_PARSE || hc->req_st == ST_RESYNC) {
			hc->req_st = ST_RESYNC;
		}
		return;
	}
	if (hc->resp_st == ST_TUNNEL || hc->resp_st == ST_DEAD || hc->shed)
		return;
	if (hc->resp_active) {
		if (!hc->resp_interim)
			answer_head(hc, hc->resp_headers_done ?
			    hc->resp_status : -1, hc->resp_headers_done &&
			    hc->resp_status >= 500 ? GW_CAUSE_UPSTREAM_5XX :
			    GW_CAUSE_OK, true);
	} else if (hc->head != NULL) {
		/* the lost bytes likely held (the start of) its answer */
		answer_head(hc, -1, GW_CAUSE_OK, true);
	}
	hc->resp_active = false;
	hc->resp_gap = false;
	hc->resp_fast_left = 0;
	hc->resp_st = ST_RESYNC;
}

static void
cb_shut(void *ctx, void *st, const struct tcp_conn *c, int from_server,
    bool rst, int64_t ts_us)
{
	struct http_conn *hc = st;
	struct http_tracker *t = ctx;

	hc->c = c;
	hc->now_us = ts_us;
	/* A FIN ends a close-delimited body. */
	if (from_server && !rst && hc->resp_st == ST_PARSE && hc->resp_active &&
	    hc->resp_fast_left > 0) {
		/* what http-parser says of a FIN inside a counted body */
		hc->resp_fast_left = 0;
		hc->resp_fresh = false;
		hc->resp.http_errno = HPE_INVALID_EOF_STATE;
	} else if (from_server && !rst && hc->resp_st == ST_PARSE &&
	    hc->resp_active) {
		http_parser_execute(&hc->resp, &t->resp_settings, NULL, 0);
	}
}

/* First time either side closed (FIN or RST): [0] client, [1] server. */
static int64_t
close_time(const struct tcp_conn *c, int who)
{
	int64_t f = c->fin_us[who], r = c->rst_us[who];

	if (f < 0)
		return r;
	if (r < 0)
		return f;
	return f < r ? f : r;
}

/* A connection that never got past the SYN. */
static void
end_connect(struct http_conn *hc, const struct tcp_conn *c, enum tcp_end why,
    int64_t ts)
{
	struct http_exchange x;
	enum gw_cause cause;
	int64_t end = ts;

	if (c->rst_us[1] >= 0) {
		cause = GW_CAUSE_UPSTREAM_REFUSED;
		end = c->rst_us[1];
	} else if (c->unreachable) {
		cause = GW_CAUSE_UPSTREAM_UNREACHABLE;
	} else {
		cause = GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT;
		if (close_time(c, 0) >= 0)
			end = close_time(c, 0);
	}
	bool unsure = cause == GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT &&
	    close_time(c, 0) < 0;
	exchange_init(hc, &x, c->syn_us);
	x.conn_only = true;
	x.end_unsure = unsure;
	x.syn_us = c->syn_us;
	x.cause = cause;
	x.status = http_failure_status(cause);
	x.end_us = end;
	/* A capture that stops while a SYN still waits tells nothing. */
	if (why == TCP_END_FLUSH && cause == GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT &&
	    close_time(c, 0) < 0) {
		x.incomplete = true;
		x.status = -1;
		x.cause = GW_CAUSE_UNKNOWN;
		hc->t->stats.unanswered_at_end++;
	}
	emit(hc, &x);
}

/* Decide and emit every request still pending when the connection ends. */
static void
end_pending(struct http_conn *hc, const struct tcp_conn *c, enum tcp_end why,
    int64_t ts)
{
	int64_t tc = close_time(c, 0), tsrv = close_time(c, 1);
	bool server_first = tsrv >= 0 && (tc < 0 || tsrv <= tc);
	bool client_first = tc >= 0 && !server_first;
	bool server_rst = c->rst_us[1] >= 0 &&
	    (c->fin_us[1] < 0 || c->rst_us[1] <= c->fin_us[1]);
	bool first = true;

	while (hc->head != NULL || hc->resp_active) {
		bool in_progress = hc->resp_active && !hc->resp_interim;
		bool have_header = in_progress && hc->resp_headers_done;
		enum gw_cause cause;
		int status;

		hc->now_us = server_first ? tsrv : client_first ? tc : ts;
		if (why == TCP_END_FLUSH && tc < 0 && tsrv < 0) {
			/* the capture stopped: no verdict */
			hc->t->stats.unanswered_at_end++;
			answer_head(hc, have_header ? hc->resp_status : -1,
			    GW_CAUSE_OK, true);
			hc->resp_active = false;
			continue;
		}
		/*
		 * A client's request with no byte of an answer, when the
		 * gateway closed first, or had announced it would close
		 * (Connection: close), or queued after the one the client
		 * gave up on: the gateway never took it up, and logs
		 * nothing.
		 */
		if (hc->downstream && !in_progress && hc->head != NULL &&
		    (!client_first || !first || hc->close_announced)) {
			hc->t->stats.unanswered++;
			hc->head->unanswered = true;
			answer_head(hc, -1, GW_CAUSE_OK, true);
			continue;
		}
		first = false;
		if (have_header) {
			status = hc->resp_status;
			if (server_first)
				cause = GW_CAUSE_UPSTREAM_TRUNCATED;
			else
				cause = hc->downstream ? GW_CAUSE_CLIENT_CLOSED :
				    GW_CAUSE_UPSTREAM_READ_TIMEOUT;
		} else {
			if (server_first)
				cause = server_rst ? GW_CAUSE_UPSTREAM_RESET :
				    GW_CAUSE_UPSTREAM_CLOSED_EARLY;
			else if (hc->downstream)
				cause = GW_CAUSE_CLIENT_CLOSED;
			else if (in_progress &&
			    hc->resp_header_bytes >= hc->t->o.header_buffer)
				cause = GW_CAUSE_UPSTREAM_HEADER_TOO_BIG;
			else
				cause = GW_CAUSE_UPSTREAM_READ_TIMEOUT;
			status = http_failure_status(cause);
		}
		if (hc->resp_st == ST_DEAD && !in_progress) {
			cause = GW_CAUSE_UPSTREAM_INVALID_RESPONSE;
			status = 9;
		}
		answer_head(hc, status, cause, hc->resp_gap && in_progress);
		hc->resp_active = false;
		hc->resp_gap = false;
	}
}

static void
cb_end(void *ctx, void *st, const struct tcp_conn *c, enum tcp_end why,
    int64_t ts_us)
{
	struct http_tracker *t = ctx;
	struct http_conn *hc = st;

	hc->c = c;
	hc->now_us = ts_us;
	if (hc->shed)
		;	/* its requests were counted as dropped */
	else if (c->syn_seen && !c->synack_seen && c->bytes[0] == 0 &&
	    c->bytes[1] == 0)
		end_connect(hc, c, why, ts_us);
	else if (hc->resp_st != ST_TUNNEL)
		end_pending(hc, c, why, ts_us);
	while (hc->head != NULL)
		pending_put(t, queue_pop(hc));
	acc_drop(hc);
	free(hc->resp_id);
	free(hc);
}

static enum tcp_role
cb_role(void *ctx, const uint8_t *p, size_t len)
{
	(void)ctx;
	if (looks_like_response(p, len))
		return TCP_ROLE_SERVER;
	if (looks_like_request(p, len))
		return TCP_ROLE_CLIENT;
	return TCP_ROLE_UNKNOWN;
}

/* --- tracker -------------------------------------------------------------- */

/* See http.h. */
struct http_tracker *
http_tracker_new(const struct http_opts *o, http_emit_fn emit_fn, void *ctx)
{
	struct http_tracker *t = gw_calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	if (o != NULL)
		t->o = *o;
	if (t->o.header_buffer == 0)
		t->o.header_buffer = DEFAULT_HEADER_BUFFER;
	if (t->o.pipeline_max <= 0)
		t->o.pipeline_max = DEFAULT_PIPELINE_MAX;
	if (t->o.pending_max == 0)
		t->o.pending_max = DEFAULT_PENDING_MAX;
	if (t->o.id_header != NULL) {
		size_t n = strlen(t->o.id_header);

		/* longer than a header name kept: matches none (0 = none) */
		t->id_header_len = n < HDR_NAME_MAX ? (uint16_t)n : UINT16_MAX;
		t->id_header_first = (unsigned char)t->o.id_header[0] | 0x20U;
		for (size_t i = 0; i < n && i < HDR_NAME_MAX - 1; i++) {
			unsigned char c = (unsigned char)t->o.id_header[i];

			t->id_header_lc[i] = (char)(c >= 'A' && c <= 'Z' ?
			    c + ('a' - 'A') : c);
		}
	}
	tchar_init(t->tchar);
	urlc_init(t->urlc);
	t->emit = emit_fn;
	t->ctx = ctx;
	http_parser_settings_init(&t->req_settings);
	t->req_settings.on_message_begin = req_message_begin;
	t->req_settings.on_url = req_url;
	t->req_settings.on_header_field = req_header_field;
	t->req_settings.on_header_value = req_header_value;
	t->req_settings.on_headers_complete = req_headers_complete;
	t->req_settings.on_message_complete = req_message_complete;
	http_parser_settings_init(&t->resp_settings);
	t->resp_settings.on_message_begin = resp_begin_mark;
	t->resp_settings.on_header_field = resp_header_field;
	t->resp_settings.on_header_value = resp_header_value;
	t->resp_settings.on_headers_complete = resp_headers_mark;
	t->resp_settings.on_body = resp_body;
	t->resp_settings.on_message_complete = resp_message_complete;
	return t;
}

/* See http.h. */
void
http_tracker_free(struct http_tracker *t)
{
	if (t == NULL)
		return;
	while (t->free_list != NULL) {
		struct pending *p = t->free_list;

		t->free_list = p->next;
		free(p);
	}
	free(t);
}

/* See http.h. */
void
http_tracker_handler(struct http_tracker *t, struct tcp_handler *h)
{
	memset(h, 0, sizeof(*h));
	h->ctx = t;
	h->open = cb_open;
	h->data = cb_data;
	h->gap = cb_gap;
	h->shut = cb_shut;
	h->end = cb_end;
	h->role = cb_role;
}

/* See http.h. */
void
http_tracker_position(struct http_tracker *t, uint64_t pkt_no,
    uint64_t offset)
{
	t->pkt_no = pkt_no;
	t->pkt_offset = offset;
}

/* See http.h. */
void
http_tracker_stats(const struct http_tracker *t, struct http_stats *s)
{
	*s = t->stats;
}

/* Milliseconds from a to b, -1 when either is unknown. */
static int
span_ms(int64_t a, int64_t b)
{
	if (a < 0 || b < 0 || b < a)
		return -1;
	return (int)((b - a) / 1000);
}

/*
 * The packed exchange (http_exchange_pack): this head, then each string
 * (client, server, method, host, path, query, request_id, orig_uri) with
 * its NUL, in whole 8-byte words (the bytes after the NUL are the
 * array's), then protocol's 12 bytes in 16. A field added to
 * struct http_exchange must be added here too: the assertion below fails
 * until it is (its size on LP64 targets).
 */
struct xpack_head {
	int64_t syn_us, synack_us, start_us, ready_us, first_byte_us, end_us;
	int64_t body_bytes, header_bytes;
	uint64_t pkt_no, pkt_offset;
	int32_t id_kind, status, cause;
	uint16_t client_port, server_port;
	uint8_t words[8];		/* each string's words */
	uint8_t flags;			/* XP_* */
};
#define XP_DOWNSTREAM	0x01
#define XP_HAS_REQUEST	0x02
#define XP_INCOMPLETE	0x04
#define XP_CONN_ONLY	0x08
#define XP_UNANSWERED	0x10
#define XP_END_UNSURE	0x20
#define XP_HAS_QUERY	0x40
#define XP_PROTOCOL	16
_Static_assert(sizeof(void *) != 8 || sizeof(struct http_exchange) == 1504,
    "struct http_exchange changed: pack and unpack its new field");
_Static_assert(sizeof(struct xpack_head) % 8 == 0, "head keeps alignment");
_Static_assert(sizeof(struct xpack_head) + HTTP_ADDR_MAX * 2 +
    HTTP_METHOD_MAX + HTTP_HOST_MAX + HTTP_PATH_MAX + HTTP_QUERY_MAX +
    HTTP_ID_MAX + HTTP_ORIG_MAX + XP_PROTOCOL <= HTTP_EXCHANGE_PACK_MAX,
    "a packed exchange fits HTTP_EXCHANGE_PACK_MAX");
_Static_assert(sizeof(((struct http_exchange *)0)->protocol) <= XP_PROTOCOL,
    "protocol fits its room");

_Static_assert(HTTP_ADDR_MAX % 8 == 0 && HTTP_METHOD_MAX % 8 == 0 &&
    HTTP_HOST_MAX % 8 == 0 && HTTP_PATH_MAX % 8 == 0 &&
    HTTP_QUERY_MAX % 8 == 0 && HTTP_ID_MAX % 8 == 0 &&
    HTTP_ORIG_MAX % 8 == 0 && HTTP_PATH_MAX / 8 <= 255,
    "the strings' arrays are whole words");

/* A byte of v is 0. */
#define XHASZERO(v) (((v) - UINT64_C(0x0101010101010101)) & ~(v) & \
	UINT64_C(0x8080808080808080))

/* One string of a packed exchange: the words of src (max of them, its
 * array) up to the one holding its NUL, at *p; returns how many. */
static inline __attribute__((always_inline)) uint8_t
pack_string(const char *src, size_t max, char **p)
{
	size_t n = 0;
	uint64_t w;

	do {
		memcpy(&w, src + n * 8, 8);
		memcpy(*p + n * 8, &w, 8);
		n++;
	} while (!XHASZERO(w) && n < max);
	*p += n * 8;
	return (uint8_t)n;
}

/* pack_string's n words at *p back into dst (an array of max words); a
 * string filling its array stays cut. */
static inline __attribute__((always_inline)) void
unpack_string(char *dst, size_t max, size_t n, const char **p)
{
	const char *src = *p;

	*p += n * 8;
	if (n > max)
		n = max;	/* (not from http_exchange_pack) */
	for (size_t k = 0; k < n; k++)
		memcpy(dst + k * 8, src + k * 8, 8);
	if (n == max)
		dst[max * 8 - 1] = '\0';
}

/* See http.h. */
size_t
http_exchange_pack(const struct http_exchange *x, void *buf)
{
	struct xpack_head h;
	char *p = (char *)buf + sizeof(h);

	/* each string word by word, up to the word holding its NUL (or its
	 * array's end): one pass, no call; the eight unrolled */
#define XPACK(i, f) (h.words[i] = pack_string(x->f, sizeof(x->f) / 8u, &p))
	XPACK(0, client);
	XPACK(1, server);
	XPACK(2, method);
	XPACK(3, host);
	XPACK(4, path);
	XPACK(5, query);
	XPACK(6, request_id);
	XPACK(7, orig_uri);
#undef XPACK
	memcpy(p, x->protocol, sizeof(x->protocol));
	p += XP_PROTOCOL;
	h.syn_us = x->syn_us;
	h.synack_us = x->synack_us;
	h.start_us = x->start_us;
	h.ready_us = x->ready_us;
	h.first_byte_us = x->first_byte_us;
	h.end_us = x->end_us;
	h.body_bytes = x->body_bytes;
	h.header_bytes = x->header_bytes;
	h.pkt_no = x->pkt_no;
	h.pkt_offset = x->pkt_offset;
	h.id_kind = x->id_kind;
	h.status = x->status;
	h.cause = (int32_t)x->cause;
	h.client_port = x->client_port;
	h.server_port = x->server_port;
	h.flags = (uint8_t)((x->downstream ? XP_DOWNSTREAM : 0) |
	    (x->has_request ? XP_HAS_REQUEST : 0) |
	    (x->incomplete ? XP_INCOMPLETE : 0) |
	    (x->conn_only ? XP_CONN_ONLY : 0) |
	    (x->unanswered ? XP_UNANSWERED : 0) |
	    (x->end_unsure ? XP_END_UNSURE : 0) |
	    (x->has_query ? XP_HAS_QUERY : 0));
	memcpy(buf, &h, sizeof(h));
	return (size_t)(p - (char *)buf);
}

/* See http.h. */
size_t
http_exchange_unpack(const void *buf, struct http_exchange *x)
{
	struct xpack_head h;
	const char *p = (const char *)buf + sizeof(h);

	memcpy(&h, buf, sizeof(h));
#define XUNPACK(i, f) unpack_string(x->f, sizeof(x->f) / 8u, h.words[i], &p)
	XUNPACK(0, client);
	XUNPACK(1, server);
	XUNPACK(2, method);
	XUNPACK(3, host);
	XUNPACK(4, path);
	XUNPACK(5, query);
	XUNPACK(6, request_id);
	XUNPACK(7, orig_uri);
#undef XUNPACK
	memcpy(x->protocol, p, sizeof(x->protocol));
	x->protocol[sizeof(x->protocol) - 1] = '\0';
	p += XP_PROTOCOL;
	x->syn_us = h.syn_us;
	x->synack_us = h.synack_us;
	x->start_us = h.start_us;
	x->ready_us = h.ready_us;
	x->first_byte_us = h.first_byte_us;
	x->end_us = h.end_us;
	x->body_bytes = h.body_bytes;
	x->header_bytes = h.header_bytes;
	x->pkt_no = h.pkt_no;
	x->pkt_offset = h.pkt_offset;
	x->id_kind = h.id_kind;
	x->status = h.status;
	x->cause = (enum gw_cause)h.cause;
	x->client_port = h.client_port;
	x->server_port = h.server_port;
	x->downstream = (h.flags & XP_DOWNSTREAM) != 0;
	x->has_request = (h.flags & XP_HAS_REQUEST) != 0;
	x->incomplete = (h.flags & XP_INCOMPLETE) != 0;
	x->conn_only = (h.flags & XP_CONN_ONLY) != 0;
	x->unanswered = (h.flags & XP_UNANSWERED) != 0;
	x->end_unsure = (h.flags & XP_END_UNSURE) != 0;
	x->has_query = (h.flags & XP_HAS_QUERY) != 0;
	return (size_t)(p - (const char *)buf);
}

/* pack_string() of an array holding src's len bytes then a NUL (or, len
 * max * 8 or more, its first max * 8 bytes); the bytes after the NUL in
 * its last word are zeros. */
static inline __attribute__((always_inline)) uint8_t
pack_span(const char *src, size_t len, size_t max, char **p)
{
	size_t n = len / 8 + 1;

	if (n > max)
		n = max;
	memset(*p + (n - 1) * 8, 0, 8);
	memcpy(*p, src, len < n * 8 ? len : n * 8);
	*p += n * 8;
	return (uint8_t)n;
}

/*
 * answer_head() of queued request p with the tracker's pack_reserve and
 * pack_commit: the record http_exchange_pack() would make of the exchange
 * pending_exchange() and answer_head() build (and emit() completes),
 * written from p and hc directly.
 */
static void
answer_packed(struct http_conn *hc, const struct pending *p, int status,
    enum gw_cause cause, bool incomplete)
{
	struct http_tracker *t = hc->t;
	char *rec = t->pack_reserve(t->ctx);
	struct xpack_head h;
	const char *str[PF_COUNT], *s = p->str, *id;
	size_t id_len;
	bool inc = p->incomplete || incomplete;

	if (rec == NULL)
		return;
	char *o = rec + sizeof(h);
	for (int f = 0; f < PF_COUNT; f++) {
		str[f] = s;
		s += p->len[f];
	}
	id = str[PF_ID];
	id_len = p->len[PF_ID];
	h.id_kind = p->id_kind;
	h.first_byte_us = h.body_bytes = h.header_bytes = -1;
	if (hc->resp_active) {
		h.first_byte_us = hc->resp_first_us;
		h.body_bytes = hc->resp_headers_done ? hc->resp_body : -1;
		h.header_bytes = (int64_t)hc->resp_header_bytes;
		/* (the request's id, as a string: up to a NUL it holds) */
		if ((id_len == 0 || id[0] == '\0') && hc->resp_id != NULL &&
		    hc->resp_id[0] != '\0') {
			id = hc->resp_id;
			id_len = strnlen(hc->resp_id, HTTP_ID_MAX);
			h.id_kind = hc->resp_id_prio + 3;
		}
	}
	h.words[0] = pack_span(hc->addr, hc->client_len, HTTP_ADDR_MAX / 8,
	    &o);
	h.words[1] = pack_span(hc->addr + hc->client_len + 1, hc->server_len,
	    HTTP_ADDR_MAX / 8, &o);
	if (p->line_known) {
		const char *m = http_method_str((enum http_method)p->method);
		size_t n = strlen(m);

		h.words[2] = pack_span(m, n < HTTP_METHOD_MAX ? n :
		    HTTP_METHOD_MAX - 1, HTTP_METHOD_MAX / 8, &o);
	} else
		h.words[2] = pack_span("", 0, HTTP_METHOD_MAX / 8, &o);
	h.words[3] = pack_span(str[PF_HOST], p->len[PF_HOST],
	    HTTP_HOST_MAX / 8, &o);
	h.words[4] = pack_span(str[PF_PATH], p->len[PF_PATH],
	    HTTP_PATH_MAX / 8, &o);
	h.words[5] = pack_span(str[PF_QUERY], p->len[PF_QUERY],
	    HTTP_QUERY_MAX / 8, &o);
	h.words[6] = pack_span(id, id_len, HTTP_ID_MAX / 8, &o);
	h.words[7] = pack_span(str[PF_ORIG], p->len[PF_ORIG],
	    HTTP_ORIG_MAX / 8, &o);
	memset(o, 0, XP_PROTOCOL);
	if (p->line_known) {
		memcpy(o, "HTTP/1.1", 8);
		o[5] = (char)('0' + p->major);
		o[7] = (char)('0' + p->minor);
	}
	o += XP_PROTOCOL;
	h.syn_us = p->syn_us;
	h.synack_us = p->synack_us;
	h.start_us = h.ready_us = p->start_us;
	h.end_us = hc->now_us;
	if (hc->last_answer_us > h.ready_us)
		h.ready_us = hc->last_answer_us;
	hc->last_answer_us = h.end_us;
	h.pkt_no = t->pkt_no;
	h.pkt_offset = t->pkt_offset;
	h.status = status;
	h.cause = (int32_t)cause;
	h.client_port = hc->c->client_port;
	h.server_port = hc->c->server_port;
	h.flags = (uint8_t)((hc->downstream ? XP_DOWNSTREAM : 0) |
	    XP_HAS_REQUEST | (inc ? XP_INCOMPLETE : 0) |
	    (p->unanswered ? XP_UNANSWERED : 0) |
	    (p->has_query ? XP_HAS_QUERY : 0));
	memcpy(rec, &h, sizeof(h));
	t->stats.exchanges++;
	if (inc)
		t->stats.incomplete++;
	t->pack_commit(t->ctx, (size_t)(o - rec));
}

/* See http.h. */
void
http_tracker_emit_packed(struct http_tracker *t,
    http_pack_reserve_fn reserve, http_pack_commit_fn commit)
{
	t->pack_reserve = reserve;
	t->pack_commit = commit;
}

/* The next string of an event's one allocation: s's n bytes and a NUL at
 * *at; NULL when n is 0 and not keep_empty. */
static const char *
put_field(char **at, const char *s, size_t n, bool keep_empty)
{
	char *d = *at;

	if (n == 0 && !keep_empty)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	*at = d + n + 1;
	return d;
}

/* See http.h. */
int
http_event_add(struct gw_batch *b, const struct http_exchange *x,
    const struct http_exchange *const *att, int n, enum gw_cause cause)
{
	struct gw_event *e = batch_add_event(b);
	enum { F_CLIENT, F_METHOD, F_HOST, F_PATH, F_QUERY, F_PROTOCOL, F_ID,
	    F_COUNT };
	size_t len[F_COUNT], alen[GW_ATTEMPTS_MAX], total = 0;
	char *at;

	if (e == NULL)
		return -1;
	if (n > GW_ATTEMPTS_MAX)
		n = GW_ATTEMPTS_MAX;
	/* the strings in one allocation, each with its NUL (an empty one
	 * takes none: NULL, as a query only when there is none) */
	len[F_CLIENT] = strlen(x->client);
	len[F_METHOD] = strlen(x->method);
	len[F_HOST] = strlen(x->host);
	len[F_PATH] = strlen(x->path);
	len[F_QUERY] = x->has_query ? strlen(x->query) : 0;
	len[F_PROTOCOL] = strlen(x->protocol);
	len[F_ID] = strlen(x->request_id);
	for (int f = 0; f < F_COUNT; f++)
		total += len[f] + 1;
	for (int i = 0; i < n; i++)
		total += (alen[i] = strlen(att[i]->server)) + 1;
	if ((at = arena_alloc(b->arena, total)) == NULL)
		return -1;
	e->ts_ms = (x->end_us >= 0 ? x->end_us : x->start_us) / 1000;
	e->tz_min = 0;
	e->tz_known = true;
	e->client = put_field(&at, x->client, len[F_CLIENT], false);
	e->method = put_field(&at, x->method, len[F_METHOD], false);
	e->host = put_field(&at, x->host, len[F_HOST], false);
	e->path = put_field(&at, x->path, len[F_PATH], false);
	e->query = put_field(&at, x->query, len[F_QUERY], x->has_query);
	e->protocol = put_field(&at, x->protocol, len[F_PROTOCOL], false);
	e->request_id = put_field(&at, x->request_id, len[F_ID], false);
	e->client_len = event_len(len[F_CLIENT]);
	e->method_len = event_len(len[F_METHOD]);
	e->host_len = event_len(len[F_HOST]);
	e->path_len = event_len(len[F_PATH]);
	e->query_len = event_len(len[F_QUERY]);
	e->protocol_len = event_len(len[F_PROTOCOL]);
	e->request_id_len = event_len(len[F_ID]);
	e->shape = NULL;
	if (e->query != NULL) {
		size_t shape_len;

		if ((e->shape = query_shape_len(e->query, len[F_QUERY],
		    b->arena, &shape_len)) == NULL)
			return -1;
		e->shape_len = event_len(shape_len);
	}
	e->status = x->status;
	e->bytes = x->body_bytes;
	e->request_ms = x->has_request ? span_ms(x->start_us, x->end_us) : -1;
	e->cause = cause;
	e->line_no = x->pkt_no;
	e->offset = x->pkt_offset;
	e->n_attempts = n;
	e->attempts = n > 0 ? arena_alloc(b->arena, sizeof(*e->attempts) *
	    (size_t)n) : NULL;
	if (n > 0 && e->attempts == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		const struct http_exchange *a = att[i];
		struct gw_attempt *ap = &e->attempts[i];

		ap->addr = put_field(&at, a->server, alen[i], false);
		ap->addr_len = event_len(alen[i]);
		ap->status = a->status;
		ap->connect_ms = span_ms(a->syn_us, a->synack_us);
		ap->header_ms = a->conn_only ? -1 :
		    span_ms(a->start_us, a->first_byte_us);
		ap->response_ms = a->conn_only ? -1 :
		    span_ms(a->start_us, a->end_us);
		ap->group = 0;
		ap->cause = a->cause;
	}
	event_fill(e);
	return 0;
}

/*
 * wire_join.c - downstream requests tied to upstream attempts; see
 * wire_join.h for the rules.
 *
 * Upstream exchanges are held as compact records (struct urec: times,
 * status, cause, address and the few strings a tie compares), linked
 *   - into the chain of their request key (method, last path segment,
 *     query), in arrival order, or into the list of failed connects;
 *   - into a second chain by the client URI an auth subrequest names;
 *   - into the age list, which expires them (2 * hold_us) and bounds them.
 * Arrival order is the order their ends were seen, so a walk from a
 * chain's newest record back can stop at the first record that arrived
 * before the downstream request began (it cannot be contained), or as soon
 * as no older record can beat the best found (by its answer: a success,
 * which takes the exchange begun first, walks back to its start; the
 * chain holds only what no request took yet, about what the gateway has
 * in flight). A walk is also bounded by
 * SCAN_MAX steps (counted in scan_capped): the cost per exchange is O(1)
 * on average and bounded in the worst case, whatever the traffic.
 *
 * A held request is tied again when it is released, hold_us after its
 * answer: by then its key chain has grown by everything that arrived
 * meanwhile (on a gateway under load, thousands of the same request), none
 * of which can be its own unless reported late (its answer began more than
 * LATE_US before it arrived: a long body, a read timeout). So a held
 * request leaves a marker in its key chain (struct drec.mark), and its
 * walk starts at the marker (moved on past what arrived within LATE_US of
 * its answer); the late records are also linked in a third chain by key,
 * walked first, back to the marker's place (by arrival number, seq).
 * Only a failure is tried again, so the walks for a request's earlier
 * attempts go through a fourth chain by key, of the failed records alone.
 * The walks for a request's own exchanges follow a fifth chain by key, the
 * first without the markers (a burst of held requests would fill their
 * step bound: mkpcap --pending), entered at the newest record or, for a
 * held request, at the newest before its marker.
 *
 * Downstream records wait in arrival order in a FIFO only while their tie
 * is incomplete (see wire_join.h); most never enter it. A held record keeps
 * the attempts its own request found (unlinked from the chains), and is
 * consulted, newest first and bounded, when another request would take an
 * exchange it fits better (held_better) or a failed connect it is closer
 * to (owned_by_other). What the capture teaches is kept in small bounded
 * tables: prefix rewrites (64), the servers of each route and the servers
 * each route's failures come with (one table of counts, 4096), and
 * whether ids agree on both legs. The chains and the route table are
 * found through core/hashtab.h by keys hashed under the join's seed.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/hashkey.h"
#include "core/reqline.h"
#include "core/hashtab.h"
#include "parse/wire_join.h"

#define DEFAULT_HOLD_US		(3 * INT64_C(1000000))
#define DEFAULT_MAX_HELD	16384
#define DEFAULT_MAX_UP		262144
#define DEFAULT_HEADER_BUFFER	4096
/* Packets of different connections may be stamped slightly out of order. */
#define EPS_US			200
/* A failed connect or an auth subrequest as the last attempt: the gateway
 * answers the client within this of its failure. */
#define TOL_LAST_US		(250 * INT64_C(1000))
/* A failed connect as the last attempt: the gateway answers within this
 * (at once, unless its event loop stalls: HAProxy 2.6 on a loaded 2-core
 * host logged Ta = 26 ms for a connect refused at once, in the e2e). */
#define TOL_CONN_US		(50 * INT64_C(1000))
/* A candidate whose path differs from the client's by an unlearned
 * rewrite ranks after every one that matches. */
#define PATH_PENALTY		(INT64_C(1) << 36)
#define STATUS_PENALTY		(INT64_C(1) << 32)
#define ROUTE_PENALTY		(INT64_C(1) << 30)
#define ROUTES_MAX		4096	/* (route, server) pairs learned */
#define REWRITES_MAX		64
#define REWRITE_PREFIX_MAX	48
#define REWRITE_LEARNED		3
/* A gateway acts on a failure within this (a turn of its event loop). */
#define TOL_CHAIN_US		(2 * INT64_C(1000))
/*
 * An earlier attempt ended within this before the next one began (not a
 * retry on the same server after a turn-around: TURN_MAX_US). nginx on a
 * loaded 2-core host (capture_e2e, load 3-4) connected to the next server
 * 2.65 ms after a refusal, its request 2.72 ms after; HAProxy's kept
 * retries-3 runs have a refused connect to another server 4.7 ms before a
 * request's own SYN (a connect timeout's ladder: 5 ms chained it, wrongly;
 * 3 ms changes no tie of 39 kept HAProxy, nginx and Caddy regimes).
 */
#define TOL_RETRY_US		(3 * INT64_C(1000))
/* The first attempt began within this of the client's request; later, and
 * an earlier attempt may still be reported (the tie waits for it). */
#define TOL_FIRST_US		(50 * INT64_C(1000))
#define SCAN_MAX		512
/* A record whose answer began longer than this before it arrived is
 * "late": a walk from a held request's marker finds it on the late chain. */
#define LATE_US			(1 * INT64_C(1000))
/*
 * A failed connect carries no request: it ties by time alone, and two held
 * failed requests whose answers lie closer to it than this apart are
 * equally plausible owners. An event-loop gateway (nginx, HAProxy, Envoy)
 * answers the events of one turn one after the other: in the e2e captures
 * (nginx 1.22 on a loaded 2-core host) a refused connect is answered
 * 20-430 us after its RST, and two failed requests handled in one turn are
 * answered 40-250 us apart, in either order. Half a millisecond is above
 * that jitter and below the spacing of what the tie must tell apart (a
 * gateway's turnaround from a failure to its next attempt, TOL_CHAIN_US,
 * is 2 ms). Within it the connect is tied to neither (counted in
 * conn_ambiguous) unless either choice says the same (same route, same
 * status), one of the two has a closer connect of its own, or only one of
 * the two had been taken up when the connect began (the other came later,
 * or waited behind an answer on its keep-alive connection: a gateway does
 * not connect for a request it has not read; early_start): a guess would
 * blame one route's failure on another, or a gateway's own refusal (nginx
 * "no live upstreams", a rate limit) on an upstream.
 */
#define AMBIG_US		500
/*
 * Which status a gateway answers a failed connect with depends on the
 * gateway (nginx 502, 504 for a connect timeout; HAProxy 503 for both;
 * Caddy 502 for both): it is learned per gateway port from the failed
 * connects tied as a request's last attempt, once STATUS_LEARNED were and
 * one status holds three quarters of them; before, nginx's ranks first.
 */
#define STATUS_LEARNED		3
/*
 * Which server's failed connects a route's failures come with is learned
 * from co-occurrence, counted as each failed client request arrives:
 * per gateway port and route, the "needy" failures (a 502-504 with no
 * request of their own seen upstream) and, per server, how many of those
 * had a failed connect to it in reach (begun once the request was taken
 * up, failed before its answer). A route whose failures are the gateway's
 * own (HAProxy <NOSRV>, nginx "no live upstreams", a rate limit) meets a
 * failed connect only by chance (HAProxy e2e: 1-6 of 25); a route served
 * by a refusing server meets one every time (25 of 25). A server whose
 * home route (the one that met it most) is known (COOC_MIN needy
 * failures) and met it in three quarters of them is that route's; a known
 * route that met it in fewer than half is not its owner: COOC_PENALTY,
 * above any time distance. (A server no route meets that often - a pool
 * failed once, then marked down - is nobody's for sure.) Ties by time are
 * decided hold_us after the client's answer, so what came after a request
 * (the rest of a first burst, the traffic that follows) counts too: an
 * early decision is taken with what the capture teaches later, not
 * re-attributed after it was emitted. Counting walks the connect list
 * only back to the request's start, bounded (SCAN_MAX); at most
 * COOC_SERVERS servers a request; the counts share the route table's
 * budget (ROUTES_MAX).
 */
#define COOC_MIN		8
#define COOC_SERVERS		8
#define COOC_PENALTY		(ROUTE_PENALTY / 4)
/*
 * A SYN left unanswered is a connect timeout whose give-up the wire may
 * not see (a gateway that gives up before the kernel's first retransmit
 * closes the socket silently): it gave up at least this long after the
 * SYN. A connect timeout shorter than 10 ms would fail on ordinary
 * connect latency; HAProxy's examples use seconds, nginx's default is
 * 60 s. So a gateway's answer right after such a SYN (its own refusal,
 * HAProxy <NOSRV>) is never that connect's.
 */
#define CONN_TIMEOUT_MIN_US	(10 * INT64_C(1000))
/*
 * A client that closed before any byte of an answer (client_closed, no
 * answer) does not end its request at the gateway: the gateway may read
 * the request from its socket buffer after the close, still send it
 * upstream, and get the answer any time later (nginx with the default
 * proxy_ignore_client_abort off notices the close only on its next read
 * of that connection: on a loaded gateway, ms later). Its attempt is the
 * free upstream exchange of its request that began once it was taken up
 * and no later than this after the close, answered before or after it;
 * of several, the one that began first (a gateway sends requests upstream
 * in the order it takes them up: taking the first free one from each
 * request's start on leaves the most to the others). Ka.pcap
 * (bench/capture.sh): 78 client requests cut by wrk's end, their upstream
 * exchanges answered up to 2 ms before and 5 ms after the close, begun up
 * to 1 ms after it; 68 tied this way (weighing how long before the close
 * an answer came tied 59: they are released in the order they closed,
 * not in the order they began), 16 before.
 */
#define LEFT_START_US		TOL_CONN_US
/*
 * A gateway may retry a failed connect on the same server: HAProxy (retries
 * 3 by default) after a turn-around of min(timeout connect, 1 s) when the
 * connect was refused, at once when it timed out; Envoy after a back-off.
 * So one client request may come with a ladder of failed connects to one
 * server, one every G (its turn-around, or its connect timeout), the first
 * right after the request was taken up, the last right before the answer;
 * only the last is near the answer, so time alone would leave the others to
 * whatever failed client request is answered next to them (a gateway's own
 * refusal: HAProxy <NOSRV>). Walking back from an attempt, a failed connect
 * to the same server is its retry's predecessor when the gap between their
 * starts is G in [TURN_MIN_US, TURN_MAX_US] and it lies on the request's
 * ladder: its start a multiple of G after the request was taken up, and G
 * the gap of the later link (when known), within CHAIN_TOL_US + G / 32
 * (HAProxy's timers are in ms and fire late on a loaded host: the gaps of
 * the e2e with a 500 ms turn-around ranged 492-511 ms). A shorter G would
 * put any start near a multiple of it (a turn-around or connect timeout
 * under 50 ms is not a configuration seen in practice). From three rungs
 * on, the earlier attempts a request finds when its answer arrives are
 * claimed (struct urec.claimed): not the last attempt of a request taken
 * up right before one (a <NOSRV> 503), which is decided later, hold_us
 * after its own answer. A ladder longer than hold_us is not all claimed
 * in time (HAProxy with timeout connect >= 1 s and retries 3 takes 3 s,
 * as long as the default hold): then only co-occurrence (COOC_MIN) keeps
 * such a 503 unblamed. Not chained: a ladder of connect timeouts longer
 * than TURN_MAX_US apart (timeout connect > 1 s: the wire sees the SYN
 * retransmitted, and the request's wait outlasts hold_us anyway); and the
 * rungs after a stall of the gateway's event loop (every timer due fires
 * late together: seen 84 ms on a loaded host) longer than STALL_US, which
 * lie off their ladders: such a request keeps its last attempts only (its
 * cause and server are the same). The stall is allowed for refused
 * connects only: an unanswered SYN's give-up is a guess already, and the
 * SYNs of requests that a gateway does not retry (nginx) would make
 * ladders by chance.
 */
#define TURN_MIN_US		(50 * INT64_C(1000))
/* At most this many rungs before the one a walk looks at: a gateway
 * retries a few times (HAProxy's default 3); a gap that puts a connect
 * many rungs after the take-up fits a ladder by chance (a 50 ms gap 1.46 s
 * after the take-up is within 6 ms of a multiple half the time). */
#define TURN_RUNGS_MAX		8
#define TURN_MAX_US		(INT64_C(1000000) + 50 * INT64_C(1000))
#define CHAIN_TOL_US		(10 * INT64_C(1000))
#define STALL_US		(100 * INT64_C(1000))
#define ID_TRUST_MIN		16
#define ID_MISMATCH		(INT64_C(1) << 40)

/* An upstream exchange held for a tie. */
struct urec {
	struct urec *kprev, *knext;	/* key chain, or the connect list */
	struct urec *aprev, *anext;	/* auth-key chain */
	struct urec *lprev, *lnext;	/* late chain (by key) */
	struct urec *fprev, *fnext;	/* failed chain (by key) */
	struct urec *rprev, *rnext;	/* key chain without the markers */
	struct urec *prev, *next;	/* age list */
	uint64_t key, akey;
	uint64_t seq;			/* arrival number (markers too) */
	int64_t added_us;		/* capture time it arrived */
	bool in_auth;
	bool taken;			/* picked by the walk in progress */
	bool contested;			/* a failed connect as plausible for
					 * two held requests: tied to neither */
	bool detached;			/* kept by a held request, unlinked */
	bool marker;			/* a held request's place
					 * (hold_mark) */
	bool late;			/* on the late chain: see LATE_US */
	bool failed;			/* on the failed chain: u_failed() */
	bool claimed;			/* an earlier attempt of a request's
					 * retries (TURN_MAX_US): not a last
					 * attempt of another */
	uint64_t first_of;		/* the request (struct dview.id) whose
					 * ladder it begins, made as it was
					 * taken up (claim_first); 0 none */
	bool conn_only, end_unsure, has_query, o_has_query;
	int64_t syn_us, synack_us, start_us, first_byte_us, end_us;
	int64_t ans_lo;			/* when it began to answer: u_answer(),
					 * set once (walks read it for every
					 * record they pass) */
	int64_t header_bytes;
	int status;
	enum gw_cause cause;
	char server[HTTP_ADDR_MAX];
	char method[HTTP_METHOD_MAX];
	const char *path, *seg, *query, *id;	/* path, its last segment,
						 * query, id */
	const char *o_path, *oseg, *oquery;	/* of the X-Original-URI */
	char s[];
};

struct chain {
	struct urec *head, *tail;
};

/* Chains by key; which = 0 links by k*, 1 by a* (auth key), 2 by l* (the
 * late records, by key), 3 by f* (the failed ones, by key), 4 by r* (the
 * records of the key chain without the markers of held requests: what
 * the walks for a request's own exchanges follow, so that their cost and
 * their step bound do not depend on how many requests of that key are
 * held; mkpcap --pending). Each chain is linked through its records; the
 * table holds the newest of each key. */
struct table {
	struct hashtab map;		/* key -> its newest struct urec */
	int which;
};


/* What a downstream request offers for matching. */
struct drec;

struct dview {
	const struct http_exchange *x;
	const struct drec *self;	/* when it is held, else NULL */
	const char *seg;
	uint64_t key, akey;
	bool failed;
	bool left;			/* the client left before any answer */
	uint64_t id;			/* its number (claim_first); 0
					 * none */
};

enum source { SRC_REQ, SRC_CONN, SRC_AUTH };

struct pick {
	struct urec *u;
	int64_t score, dist;
	enum source src;
	int candidates;			/* contained REQ candidates seen */
	bool id_used;
};

struct walk {
	struct urec *u[GW_ATTEMPTS_MAX];
	enum source src[GW_ATTEMPTS_MAX];
	bool id_used[GW_ATTEMPTS_MAX];
	int n;
	bool complete;
};

/* A downstream request waiting for its tie, with the attempts of its own
 * request already found (kept: unlinked, no other request can take them). */
struct drec {
	struct drec *prev, *next;
	uint64_t key;			/* its request's (dview.key) */
	uint64_t id;			/* dview.id */
	struct walk kept;
	struct urec *mark;		/* where it arrived in the chain of its
					 * key: never a candidate (contested, no
					 * start); NULL none */
	struct http_exchange x;
};

struct wire_join {
	struct wire_join_opts o;
	wire_join_out_fn out;
	void *ctx;
	struct table keys, auths, lates, fails, reqs;
	struct chain conns;
	uint64_t seq;			/* records (and markers) so far */
	uint64_t down_seq;		/* client requests so far
					 * (dview.id) */
	struct urec *age_head, *age_tail;
	size_t n_up;
	struct drec *dhead, *dtail;
	size_t n_down;
	int64_t now_us;
	uint64_t id_agree, id_disagree;
	struct rewrite {
		char down[REWRITE_PREFIX_MAX], up[REWRITE_PREFIX_MAX];
		uint64_t seen;
	} rewrites[REWRITES_MAX];
	int n_rewrites;
	/* which upstream servers serve which route (the client's path up to
	 * its last '/'), learned from the ties made, found through
	 * route_index; a route's own entry (server "") counts its ties */
	struct route_seen {
		uint64_t key;
		uint32_t n;
		uint64_t ref;	/* a home's route (COOC_HOME) */
	} routes[ROUTES_MAX];
	size_t n_routes;
	/* per gateway port, per cause of a failed connect tied as the last
	 * attempt: how often the client was answered 502, 503, 504 */
	struct conn_status {
		uint16_t port;
		uint32_t n[GW_CAUSE_COUNT][3];
	} conn_status[WIRE_JOIN_PORTS_MAX];
	int n_conn_status;
	struct hashtab route_index;	/* key -> index into routes */
	/* the (route, server) pair route_learn() saw last, and its three
	 * entries: a gateway under load ties the same one over and over */
	struct route_memo {
		bool valid;
		size_t route_len;
		char route[HTTP_PATH_MAX];
		char server[HTTP_ADDR_MAX];
		size_t idx[3];
	} memo;
	struct wire_join_stats stats;
	struct http_exchange scratch[GW_ATTEMPTS_MAX];
};

/* --- hashing and chains --------------------------------------------------- */

/* Keyed (core/hashkey.h): chained, each call folds its length in. */
static uint64_t
hash_bytes(uint64_t h, const char *s, size_t n)
{
	return hashkey_bytes(h, s, n);
}

/*
 * Hash of up to four NUL-terminated pieces (NULL ends the list early),
 * each with its NUL: one pass over a copy when they fit the buffer (a
 * hash call per piece costs the finishing rounds each time), else
 * chained. The same pieces always take the same way. The copy is a byte
 * loop: the pieces are short (a method, a path's last segment, a query),
 * and a strlen and a memcpy call per piece cost more than the bytes.
 */
static uint64_t
hash_pieces(uint64_t seed, const char *p0, const char *p1, const char *p2,
    const char *p3)
{
	const char *piece[4] = {p0, p1, p2, p3};
	char buf[512];
	size_t n = 0;

	for (int k = 0; k < 4 && piece[k] != NULL; k++) {
		const char *c = piece[k];

		do {
			if (n == sizeof(buf))
				goto chained;	/* more than fits */
			buf[n++] = *c;
		} while (*c++ != '\0');
	}
	return hash_bytes(seed, buf, n);
chained:
	for (int k = 0; k < 4 && piece[k] != NULL; k++)
		seed = hash_bytes(seed, piece[k], strlen(piece[k]) + 1);
	return seed;
}

/* The key of a request: tag, method, last segment, query. */
static uint64_t
req_key(uint64_t seed, char tag, const char *method, const char *seg,
    bool has_query, const char *query)
{
	char t[2] = {tag, '\0'};

	return hash_pieces(seed, t, method, seg, has_query ? query : NULL) |
	    1;		/* 0 is "none" */
}

/* The last segment of a path (after its last '/'). */
static const char *
last_segment(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

static struct urec **
nextp(struct urec *u, int which)
{
	return which == 4 ? &u->rnext : which == 3 ? &u->fnext :
	    which == 2 ? &u->lnext : which ? &u->anext : &u->knext;
}

static struct urec **
prevp(struct urec *u, int which)
{
	return which == 4 ? &u->rprev : which == 3 ? &u->fprev :
	    which == 2 ? &u->lprev : which ? &u->aprev : &u->kprev;
}

static void
chain_append(struct chain *c, struct urec *u, int which)
{
	*nextp(u, which) = NULL;
	*prevp(u, which) = c->tail;
	if (c->tail != NULL)
		*nextp(c->tail, which) = u;
	else
		c->head = u;
	c->tail = u;
}

static void
chain_remove(struct chain *c, struct urec *u, int which)
{
	struct urec *p = *prevp(u, which), *n = *nextp(u, which);

	if (p != NULL)
		*nextp(p, which) = n;
	else
		c->head = n;
	if (n != NULL)
		*prevp(n, which) = p;
	else
		c->tail = p;
}

/* The key t chains u by. */
static uint64_t
table_key(const struct table *t, const struct urec *u)
{
	return t->which == 1 ? u->akey : u->key;
}

/* The newest record of key (NULL: none), its place in *pos. */
static struct urec *
table_find(const struct table *t, uint64_t key, struct hashtab_pos *pos)
{
	uintptr_t v;

	hashtab_first(&t->map, key, pos);
	while (hashtab_next(&t->map, pos, &v))
		if (table_key(t, (struct urec *)v) == key)
			return (struct urec *)v;
	return NULL;
}

/* The newest record of key, NULL when none: where walks start. */
static struct urec *
table_newest(const struct table *t, uint64_t key)
{
	struct hashtab_pos pos;

	return table_find(t, key, &pos);
}

static void
table_init(struct table *t, int which, size_t max)
{
	hashtab_init(&t->map, max);
	t->which = which;
}

/* Append u to its key's chain. 0 or -1 (out of memory). */
static int
table_add(struct table *t, struct urec *u)
{
	struct hashtab_pos pos;
	uint64_t key = table_key(t, u);
	struct urec *tail = table_find(t, key, &pos);

	if (tail == NULL && hashtab_add(&t->map, key, (uintptr_t)u) !=
	    HASHTAB_OK)
		return -1;
	*nextp(u, t->which) = NULL;
	*prevp(u, t->which) = tail;
	if (tail != NULL) {
		*nextp(tail, t->which) = u;
		hashtab_set_at(&t->map, &pos, (uintptr_t)u);
	}
	return 0;
}

/* Take u out of its key's chain. */
static void
table_remove(struct table *t, struct urec *u)
{
	struct urec *p = *prevp(u, t->which), *n = *nextp(u, t->which);
	struct hashtab_pos pos;

	if (p != NULL)
		*nextp(p, t->which) = n;
	if (n != NULL) {
		*prevp(n, t->which) = p;
		return;
	}
	/* u was the newest: its predecessor is now, or the key goes */
	if (table_find(t, table_key(t, u), &pos) != u)
		return;
	if (p != NULL)
		hashtab_set_at(&t->map, &pos, (uintptr_t)p);
	else
		hashtab_remove_at(&t->map, &pos);
}

/* --- records -------------------------------------------------------------- */

/* Copy a span into a buffer of cap bytes as a string, cut to fit. */
static void
span_copy(char *dst, size_t cap, struct reqline_span sp)
{
	size_t n = sp.n < cap ? sp.n : cap - 1;

	if (n > 0)
		memcpy(dst, sp.p, n);
	dst[n] = '\0';
}

/* Split a URI (absolute or not) into its path and query, core/reqline.c. */
static void
uri_parts(const char *uri, char *path, size_t psz, char *query,
    size_t qsz, bool *has_query)
{
	struct reqline r;

	reqline_target(uri, strlen(uri), false, &r);
	span_copy(path, psz, r.path);
	span_copy(query, qsz, r.query);
	*has_query = r.query.n > 0;
}

static int64_t u_answer_lo(const struct urec *u);

/* A compact copy of upstream exchange x; NULL on OOM. */
static struct urec *
urec_new(const struct wire_join *j, const struct http_exchange *x)
{
	char oseg[HTTP_ORIG_MAX], oq[HTTP_ORIG_MAX];
	bool o_hq = false, orig = x->orig_uri[0] != '\0';
	size_t lp = strlen(x->path);
	size_t ls = lp + 1, lq = strlen(x->query) + 1,
	    li = strlen(x->request_id) + 1, los = 1, loq = 1;

	if (orig) {
		uri_parts(x->orig_uri, oseg, sizeof(oseg), oq, sizeof(oq),
		    &o_hq);
		los = strlen(oseg) + 1;
		loq = strlen(oq) + 1;
	}
	struct urec *u = gw_malloc(sizeof(*u) + ls + lq + li + los + loq);
	if (u == NULL)
		return NULL;
	char *p = u->s;
	memcpy(p, x->path, ls);
	u->path = p;
	u->seg = last_segment(p);
	p += ls;
	memcpy(p, x->query, lq);
	u->query = p;
	p += lq;
	memcpy(p, x->request_id, li);
	u->id = p;
	p += li;
	u->oseg = u->oquery = NULL;
	u->o_path = NULL;
	if (orig) {
		memcpy(p, oseg, los);
		u->o_path = p;
		u->oseg = last_segment(p);
		p += los;
		memcpy(p, oq, loq);
		u->oquery = p;
	}
	u->o_has_query = o_hq;
	u->in_auth = orig && x->has_request;
	u->taken = u->detached = u->contested = u->late = u->failed = false;
	u->claimed = u->marker = false;
	u->first_of = 0;
	u->conn_only = x->conn_only;
	u->end_unsure = x->end_unsure;
	u->has_query = x->has_query;
	u->syn_us = x->syn_us;
	u->synack_us = x->synack_us;
	u->start_us = x->start_us;
	u->first_byte_us = x->first_byte_us;
	u->end_us = x->end_us;
	u->ans_lo = u_answer_lo(u);
	u->header_bytes = x->header_bytes;
	u->status = x->status;
	u->cause = x->cause;
	memcpy(u->server, x->server, sizeof(u->server));
	memcpy(u->method, x->method, sizeof(u->method));
	u->key = x->conn_only || !x->has_request ? 0 :
	    req_key(j->o.seed, 'R', x->method, u->seg, x->has_query, x->query);
	u->akey = u->in_auth ? req_key(j->o.seed, 'A', "", u->oseg,
	    o_hq, u->oquery) : 0;
	return u;
}

/* The exchange of u, for the output (the fields an attempt needs). */
static void
urec_exchange(const struct urec *u, struct http_exchange *x)
{
	x->downstream = false;
	x->has_request = !u->conn_only;
	x->incomplete = false;
	x->conn_only = u->conn_only;
	x->end_unsure = u->end_unsure;
	x->syn_us = u->syn_us;
	x->synack_us = u->synack_us;
	x->start_us = u->start_us;
	x->first_byte_us = u->first_byte_us;
	x->end_us = u->end_us;
	x->header_bytes = u->header_bytes;
	x->body_bytes = -1;
	x->status = u->status;
	x->cause = u->cause;
	memcpy(x->server, u->server, sizeof(x->server));
	memcpy(x->method, u->method, sizeof(x->method));
	x->client[0] = x->host[0] = x->path[0] = x->query[0] = '\0';
	x->request_id[0] = x->orig_uri[0] = x->protocol[0] = '\0';
	x->has_query = false;
	x->id_kind = -1;
	x->client_port = x->server_port = 0;
	x->pkt_no = x->pkt_offset = 0;
}

/* Unlink u from its chains and the age list (it stays allocated). */
static void
urec_detach(struct wire_join *j, struct urec *u)
{
	if (u->conn_only)
		chain_remove(&j->conns, u, 0);
	else if (u->key != 0) {
		table_remove(&j->keys, u);
		table_remove(&j->reqs, u);
	}
	if (u->in_auth)
		table_remove(&j->auths, u);
	if (u->late)
		table_remove(&j->lates, u);
	if (u->failed)
		table_remove(&j->fails, u);
	if (u->prev != NULL)
		u->prev->next = u->next;
	else
		j->age_head = u->next;
	if (u->next != NULL)
		u->next->prev = u->prev;
	else
		j->age_tail = u->prev;
	j->n_up--;
	u->detached = true;
}

/* Unlink u from everything and free it. */
static void
urec_free(struct wire_join *j, struct urec *u)
{
	if (!u->detached)
		urec_detach(j, u);
	free(u);
}

/* --- the tie -------------------------------------------------------------- */

/* See wire_join.h. */
bool
wire_join_failed(const struct http_exchange *x)
{
	return (x->status >= 500 && x->status <= 599) || x->status == 9 ||
	    x->cause != GW_CAUSE_OK;
}

/* Whether u failed as an attempt (a gateway tries another after it). */
static bool
u_failed(const struct urec *u)
{
	return u->cause != GW_CAUSE_OK || u->status >= 500;
}

/* Distance from time a to the interval [lo, hi]. */
static int64_t
iv_dist(int64_t a, int64_t lo, int64_t hi)
{
	if (a < lo)
		return lo - a;
	if (a > hi)
		return a - hi;
	return 0;
}

/* When u answered: from its first response byte (or its failure) to its
 * end; an unsure connect timeout gave up some time after its SYN, and not
 * sooner than CONN_TIMEOUT_MIN_US. */
static int64_t
u_answer_lo(const struct urec *u)
{
	if (u->end_unsure)
		return u->start_us + CONN_TIMEOUT_MIN_US < u->end_us ?
		    u->start_us + CONN_TIMEOUT_MIN_US : u->end_us;
	if (u->first_byte_us >= 0 && u->first_byte_us <= u->end_us)
		return u->first_byte_us;
	return u->end_us;
}

static void
u_answer(const struct urec *u, int64_t *lo, int64_t *hi)
{
	*hi = u->end_us;
	*lo = u->ans_lo;
}

/*
 * How long after the client's answer u's answer may be seen: the stamps'
 * jitter, or, for a read timeout (the gateway gave up on an upstream that
 * sent nothing: its end is the gateway's own close), the gateway's turn
 * that answers the client and closes the upstream in either order:
 * HAProxy 2.6 sends its 504 first, a few hundred us before its close, and
 * 8 ms before on a loaded host in the e2e (as long as a gateway may take
 * to answer a failed connect, TOL_CONN_US).
 */
static int64_t
answer_slack(const struct urec *u)
{
	return u->cause == GW_CAUSE_UPSTREAM_READ_TIMEOUT &&
	    u->first_byte_us < 0 ? TOL_CONN_US : EPS_US;
}

static bool
str_eq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* Whether u is a candidate of source src for d at this step. */
static bool
matches(const struct dview *d, const struct urec *u, enum source src)
{
	const struct http_exchange *x = d->x;

	switch (src) {
	case SRC_REQ:		/* the strings are checked for the pick */
		return u->key == d->key;
	case SRC_AUTH:
		return u->akey == d->akey && str_eq(u->oseg, d->seg) &&
		    u->o_has_query == x->has_query &&
		    str_eq(u->oquery, x->query);
	default:
		return true;
	}
}

/* How far u's start is from when the gateway could take the request up
 * (lo_start + EPS_US), at half the weight of the answer's distance (a
 * gateway answers within microseconds of its attempt's end, but may take
 * a millisecond to take a request up under load); an attempt that started
 * before it is allowed only for the stamps' jitter, and weighs eight times
 * as much. */
static int64_t
start_gap(const struct urec *u, int64_t ready)
{
	int64_t g = u->start_us - ready;

	return (g >= 0 ? g : -8 * g) / 2;
}

/*
 * The score of u for a client request taken up at ready whose answer was
 * a success, among the exchanges of its request answered before it: the
 * one that began first wins (and one begun before ready, by the stamps'
 * jitter only, first of all). Client requests are tied in the order of
 * their answers (the order they arrive), and a request can only take an
 * exchange begun after it was taken up: of those answered before it, the
 * one begun first is of use to the fewest later requests (each needs one
 * begun after its own start), so taking it leaves the most to the others
 * (the greedy order that ties as many as can be tied). It is also what a
 * proxy does: it sends a route's requests upstream in the order it takes
 * them up and relays each answer when it comes. Taking the exchange whose
 * answer lay closest to the client's instead left 24,841 of 432,314
 * successful client requests untied on bench/capture.sh's keep-alive
 * capture (nginx under wrk -c128, answers relayed 1-2 ms late: early
 * requests took the exchanges answered last, which later requests needed,
 * and were held and searched again in vain). A failure keeps the closest
 * answer: a gateway answers for a failed attempt at once, and a failure's
 * request is rarely one of many alike.
 */
static int64_t
by_start_score(const struct urec *u, int64_t ready)
{
	return u->start_us - (ready - EPS_US);
}

/* The client's answer time of downstream x. */
static int64_t
d_answer(const struct http_exchange *x)
{
	return x->first_byte_us >= 0 ? x->first_byte_us : x->end_us;
}

/* Whether u's request is d's by method, last segment and query (its key
 * matched: this rules out a collision of the hash). */
static bool
same_request(const struct dview *d, const struct urec *u)
{
	const struct http_exchange *x = d->x;

	return str_eq(u->method, x->method) && str_eq(u->seg, d->seg) &&
	    u->has_query == x->has_query && str_eq(u->query, x->query);
}

/*
 * The prefixes that a rewrite of down into up replaced (what is left
 * after their longest common suffix, cut to the table's size); false
 * when the paths are the same.
 */
static bool
rewrite_of(const char *down, const char *up, char *dp, char *upp)
{
	size_t ld = strlen(down), lu = strlen(up), k = 0;

	while (k < ld && k < lu && down[ld - 1 - k] == up[lu - 1 - k])
		k++;
	if (k == ld && k == lu)
		return false;
	ld -= k;
	lu -= k;
	if (ld >= REWRITE_PREFIX_MAX)
		ld = REWRITE_PREFIX_MAX - 1;
	if (lu >= REWRITE_PREFIX_MAX)
		lu = REWRITE_PREFIX_MAX - 1;
	memcpy(dp, down, ld);
	dp[ld] = '\0';
	memcpy(upp, up, lu);
	upp[lu] = '\0';
	return true;
}

static struct rewrite *
rewrite_find(struct wire_join *j, const char *dp, const char *upp)
{
	for (int i = 0; i < j->n_rewrites; i++)
		if (str_eq(j->rewrites[i].down, dp) &&
		    str_eq(j->rewrites[i].up, upp))
			return &j->rewrites[i];
	return NULL;
}

/* The penalty of tying client path dpath to upstream path upath: none
 * when equal or a learned rewrite, else PATH_PENALTY. */
static int64_t
path_penalty(struct wire_join *j, const char *dpath, const char *upath)
{
	char dp[REWRITE_PREFIX_MAX], upp[REWRITE_PREFIX_MAX];
	struct rewrite *r;

	if (!rewrite_of(dpath, upath, dp, upp))
		return 0;
	r = rewrite_find(j, dp, upp);
	return r != NULL && r->seen >= REWRITE_LEARNED ? 0 : PATH_PENALTY;
}

/* Learn the rewrite a tie by method, segment and query showed. */
static void
learn_rewrite(struct wire_join *j, const char *dpath, const char *upath)
{
	char dp[REWRITE_PREFIX_MAX], upp[REWRITE_PREFIX_MAX];
	struct rewrite *r;

	if (!rewrite_of(dpath, upath, dp, upp))
		return;
	if ((r = rewrite_find(j, dp, upp)) == NULL) {
		if (j->n_rewrites == REWRITES_MAX)
			return;
		r = &j->rewrites[j->n_rewrites++];
		memcpy(r->down, dp, sizeof(dp));
		memcpy(r->up, upp, sizeof(upp));
		r->seen = 0;
	}
	r->seen++;
}

/*
 * Whether upstream exchange u can be failed client request x's own: the
 * same path or a learned rewrite (the key holds only the last segment and
 * the query, so /a/x?i=1 and /b/x?i=1 share it). A success may also take
 * a new rewrite (scan ranks it last, and learns from it).
 */
static bool
path_fits(struct wire_join *j, const struct http_exchange *x,
    const struct urec *u)
{
	return !wire_join_failed(x) || str_eq(u->path, x->path) ||
	    path_penalty(j, x->path, u->path) == 0;
}

/* The key of a (route of path, server) pair; server "" for the route. */
static uint64_t
route_key(const struct wire_join *j, const char *path, const char *server)
{
	const char *seg = last_segment(path);
	uint64_t h = j->o.seed ^ UINT64_C(0x9e3779b97f4a7c15);
	size_t lr = (size_t)(seg - path), ls = strlen(server);
	char buf[512];

	if (lr + 1 + ls <= sizeof(buf)) {	/* one pass, as hash_pieces */
		memcpy(buf, path, lr);
		buf[lr] = '\0';
		memcpy(buf + lr + 1, server, ls);
		return hash_bytes(h, buf, lr + 1 + ls) | 1;
	}
	h = hash_bytes(h, path, lr);
	h = hash_bytes(h, "", 1);
	h = hash_bytes(h, server, ls);
	return h | 1;
}

/* The entry of key k, NULL when it has none. */
static struct route_seen *
route_find(struct wire_join *j, uint64_t k)
{
	struct hashtab_pos pos;
	uintptr_t i;

	hashtab_first(&j->route_index, k, &pos);
	while (hashtab_next(&j->route_index, &pos, &i))
		if (j->routes[i].key == k)
			return &j->routes[i];
	return NULL;
}

static void
route_learn(struct wire_join *j, const char *path, const char *server)
{
	struct route_memo *m = &j->memo;
	size_t lr = (size_t)(last_segment(path) - path), idx[3];

	if (m->valid && m->route_len == lr && memcmp(m->route, path, lr) == 0 &&
	    str_eq(m->server, server)) {
		for (int pass = 0; pass < 3; pass++)
			j->routes[m->idx[pass]].n++;
		return;
	}
	for (int pass = 0; pass < 3; pass++) {
		uint64_t k = pass == 2 ? route_key(j, "", server) :
		    route_key(j, path, pass ? server : "");
		struct route_seen *r = route_find(j, k);

		if (r == NULL) {
			/* full (its budget, reserved at wire_join_new: never
			 * out of memory): what is learned stays */
			if (hashtab_add(&j->route_index, k, j->n_routes) !=
			    HASHTAB_OK)
				return;
			r = &j->routes[j->n_routes++];
			r->key = k;
		}
		r->n++;
		idx[pass] = (size_t)(r - j->routes);
	}
	m->valid = lr < sizeof(m->route) && strlen(server) < sizeof(m->server);
	if (m->valid) {
		memcpy(m->route, path, lr);
		m->route_len = lr;
		strcpy(m->server, server);
		memcpy(m->idx, idx, sizeof(idx));
	}
}

/* 0 when server was seen serving the route of path (or nothing is known
 * of either); ROUTE_PENALTY when the route has servers of its own and
 * this is not one; half when only the server is known, on other routes. */
static int64_t
route_penalty(struct wire_join *j, const char *path, const char *server)
{
	struct route_seen *r = route_find(j, route_key(j, path, server));

	if (r != NULL)
		return 0;		/* seen serving this route */
	r = route_find(j, route_key(j, path, ""));
	if (r != NULL && r->n >= 2)
		return ROUTE_PENALTY;	/* the route has servers of its own */
	r = route_find(j, route_key(j, "", server));
	if (r != NULL && r->n >= 2)
		return ROUTE_PENALTY / 2;	/* the server serves others */
	return 0;
}

/* The counts of gateway port port; NULL when the table is full. */
static struct conn_status *
conn_status_of(struct wire_join *j, uint16_t port)
{
	for (int i = 0; i < j->n_conn_status; i++)
		if (j->conn_status[i].port == port)
			return &j->conn_status[i];
	if (j->n_conn_status == WIRE_JOIN_PORTS_MAX)
		return NULL;
	memset(&j->conn_status[j->n_conn_status], 0,
	    sizeof(j->conn_status[0]));
	j->conn_status[j->n_conn_status].port = port;
	return &j->conn_status[j->n_conn_status++];
}

/* Count the client's status after a failed connect of cause c. */
static void
conn_status_learn(struct wire_join *j, uint16_t port, enum gw_cause c,
    int status)
{
	struct conn_status *cs;

	if (status < 502 || status > 504 || (unsigned)c >= GW_CAUSE_COUNT ||
	    (cs = conn_status_of(j, port)) == NULL)
		return;
	cs->n[c][status - 502]++;
}

/* The status gateway port answers a failed connect of cause c with: the
 * learned one (see STATUS_LEARNED), else nginx's. */
static int
conn_status_expected(struct wire_join *j, uint16_t port, enum gw_cause c)
{
	const struct conn_status *cs = NULL;
	uint32_t total = 0;
	int best = 0;

	for (int i = 0; i < j->n_conn_status; i++)
		if (j->conn_status[i].port == port)
			cs = &j->conn_status[i];
	if (cs == NULL || (unsigned)c >= GW_CAUSE_COUNT)
		return http_failure_status(c);
	for (int k = 0; k < 3; k++) {
		total += cs->n[c][k];
		if (cs->n[c][k] > cs->n[c][best])
			best = k;
	}
	return total >= STATUS_LEARNED &&
	    (uint64_t)cs->n[c][best] * 4 >= (uint64_t)total * 3 ? 502 + best :
	    http_failure_status(c);
}

/* STATUS_PENALTY when client status does not follow a failed connect of
 * cause c at x's gateway port the way it does there, else 0. */
static int64_t
status_penalty(struct wire_join *j, const struct http_exchange *x,
    enum gw_cause c)
{
	return x->status != conn_status_expected(j, x->server_port, c) ?
	    STATUS_PENALTY : 0;
}

/* Whether a client answered status could follow a failed connect with
 * cause c (nginx 502/504, HAProxy and Envoy 503, Caddy 502). */
static bool
conn_status_fits(int status, enum gw_cause c)
{
	if (status == 502 || status == 503)
		return true;
	return status == 504 && c == GW_CAUSE_UPSTREAM_CONNECT_TIMEOUT;
}

/* What a co-occurrence count (see COOC_MIN) counts, at a gateway port. */
enum cooc_kind {
	COOC_NEEDY,	/* a route's needy failures */
	COOC_MET,	/* those with a failed connect to a server in reach */
	COOC_HOME,	/* a server's home: the route it met most (ref) */
};

/* The key of count kind of path's route and server (NULL: none) at
 * gateway port port; apart from route_key's. */
static uint64_t
cooc_key(const struct wire_join *j, enum cooc_kind kind, uint16_t port,
    const char *path, const char *server)
{
	size_t lr = path != NULL ? (size_t)(last_segment(path) - path) : 0;
	uint64_t h = j->o.seed ^ UINT64_C(0xc2b2ae3d27d4eb4f);
	char buf[3 + 256 + 1 + HTTP_ADDR_MAX];
	size_t n = 0;

	buf[n++] = (char)kind;
	buf[n++] = (char)(port >> 8);
	buf[n++] = (char)(port & 0xff);
	if (lr > 256) {		/* a long route: its hash, then its start */
		h = hash_bytes(h, path, lr);
		lr = 256;
	}
	if (lr > 0)		/* (a server's home has no route: path NULL) */
		memcpy(buf + n, path, lr);
	n += lr;
	buf[n++] = '\0';
	if (server != NULL) {
		size_t ls = strnlen(server, HTTP_ADDR_MAX - 1);

		memcpy(buf + n, server, ls);
		n += ls;
	}
	return hash_bytes(h, buf, n) | 1;
}

/* The entry of key k, added (zero) when it has none; NULL when the
 * budget (reserved at wire_join_new: never out of memory) is spent: what
 * does not fit stays uncounted. */
static struct route_seen *
route_entry(struct wire_join *j, uint64_t k)
{
	struct route_seen *r = route_find(j, k);

	if (r == NULL) {
		if (hashtab_add(&j->route_index, k, j->n_routes) != HASHTAB_OK)
			return NULL;
		r = &j->routes[j->n_routes++];
		r->key = k;
		r->n = 0;
		r->ref = 0;
	}
	return r;
}

static uint32_t
route_counted(struct wire_join *j, uint64_t k)
{
	const struct route_seen *r = route_find(j, k);

	return r != NULL ? r->n : 0;
}

/*
 * Whether failed connect u can be reached by failed client request x
 * (answered a): it began once x was taken up, failed before a, within
 * TOL_CONN_US, with a status a gateway gives such a failure. (What
 * conn_score allows, without its penalties.)
 */
static bool
conn_reach(const struct http_exchange *x, int64_t a, const struct urec *u)
{
	int64_t ready = (x->ready_us > x->start_us ? x->ready_us :
	    x->start_us) - EPS_US;
	int64_t lo, hi;

	u_answer(u, &lo, &hi);
	return u->start_us >= ready && lo <= a && a - hi <= TOL_CONN_US &&
	    conn_status_fits(x->status, u->cause);
}

/* Count that a needy failure of the route of needy (its key) met server:
 * once more for the pair, and the server's home moves to this route when
 * it met it more often than its home. */
static void
cooc_met(struct wire_join *j, uint16_t port, const char *path,
    uint64_t needy, const char *server)
{
	struct route_seen *m, *home;

	if ((m = route_entry(j, cooc_key(j, COOC_MET, port, path,
	    server))) == NULL || m->n == UINT32_MAX)
		return;
	m->n++;
	if ((home = route_entry(j, cooc_key(j, COOC_HOME, port, NULL,
	    server))) == NULL)
		return;
	if (home->ref == needy || m->n > home->n) {
		home->ref = needy;
		home->n = m->n;
	}
}

/*
 * Count failed client request x, which found no request of its own
 * upstream (needy), for co-occurrence: once for its route, and once for
 * each server with a failed connect in its reach (see COOC_MIN). The
 * connect list is walked from its newest back to x's start, bounded.
 */
static void
cooc_count(struct wire_join *j, const struct http_exchange *x)
{
	int64_t ready = (x->ready_us > x->start_us ? x->ready_us :
	    x->start_us) - EPS_US;
	int64_t a = d_answer(x);
	const struct urec *seen[COOC_SERVERS];
	int n_seen = 0, steps = 0;
	uint16_t port = x->server_port;
	uint64_t needy = cooc_key(j, COOC_NEEDY, port, x->path, NULL);
	struct route_seen *r;

	if (x->status < 502 || x->status > 504 ||
	    (r = route_entry(j, needy)) == NULL || r->n == UINT32_MAX)
		return;
	r->n++;
	for (const struct urec *c = j->conns.tail; c != NULL; c = c->kprev) {
		int i;

		if (c->added_us < ready || ++steps > SCAN_MAX)
			break;
		if (c->end_unsure || !conn_reach(x, a, c))
			continue;
		for (i = 0; i < n_seen && !str_eq(seen[i]->server, c->server);
		    i++)
			;
		if (i < n_seen)
			continue;	/* that server is counted */
		if (n_seen == COOC_SERVERS)
			break;
		seen[n_seen++] = c;
		cooc_met(j, port, x->path, needy, c->server);
	}
}

/*
 * COOC_PENALTY when, at x's gateway port, u's server is another route's
 * (its home route's needy failures are known, COOC_MIN, and at least
 * three quarters of them met it) and x's route meets it only by chance
 * (known too, and fewer than half met it): a gateway's own refusal route,
 * or a route of other servers. A server that no route meets that often
 * (a pool failed once, then marked down: nginx "no live upstreams") is
 * nobody's for sure: no penalty. An unanswered SYN (its give-up comes
 * later than the client's answer, so it is never counted) takes none.
 */
static int64_t
cooc_penalty(struct wire_join *j, const struct http_exchange *x,
    const struct urec *u)
{
	uint16_t port = x->server_port;
	uint64_t needy;
	const struct route_seen *home;
	uint32_t n, met, home_n;

	if (u->end_unsure || (home = route_find(j, cooc_key(j, COOC_HOME,
	    port, NULL, u->server))) == NULL)
		return 0;
	needy = cooc_key(j, COOC_NEEDY, port, x->path, NULL);
	if (home->ref == needy)
		return 0;		/* x's route is its home */
	home_n = route_counted(j, home->ref);
	if (home_n < COOC_MIN || (uint64_t)home->n * 4 < (uint64_t)home_n * 3)
		return 0;		/* it has no home for sure */
	if ((n = route_counted(j, needy)) < COOC_MIN)
		return 0;
	met = route_counted(j, cooc_key(j, COOC_MET, port, x->path,
	    u->server));
	return (uint64_t)met * 2 < n ? COOC_PENALTY : 0;
}

/* Whether paths a and b have the same route (all up to the last '/'). */
static bool
same_route(const char *a, const char *b)
{
	size_t la = (size_t)(last_segment(a) - a);

	return la == (size_t)(last_segment(b) - b) && memcmp(a, b, la) == 0;
}

/*
 * How long before x could be taken up (its start, or the previous answer
 * on its keep-alive connection) connect u began: 0 when after. A gateway
 * does not connect for a request it has not taken up yet; a small overlap
 * is the stamps' jitter (EPS_US), which only this weighs against.
 */
static int64_t
early_start(const struct http_exchange *x, const struct urec *u)
{
	int64_t ready = x->ready_us > x->start_us ? x->ready_us : x->start_us;

	return u->start_us < ready ? ready - u->start_us : 0;
}

/* The weight of early_start() in a connect's score (as in start_gap). */
#define EARLY_WEIGHT		4

/*
 * How close failed connect u is to failed client request x (lower is
 * closer; -1: it cannot be its last attempt): its failure's distance to
 * the client's answer, plus the status and route penalties scan() gives,
 * and how long before x could be taken up u began (early_start).
 */
static int64_t
conn_score(struct wire_join *j, const struct http_exchange *x,
    const struct urec *u)
{
	int64_t ready = (x->ready_us > x->start_us ? x->ready_us :
	    x->start_us) - EPS_US;
	int64_t lo, hi, a = d_answer(x);

	u_answer(u, &lo, &hi);
	if (!wire_join_failed(x) || u->start_us < ready || lo > a ||
	    !conn_status_fits(x->status, u->cause))
		return -1;
	return iv_dist(a, lo, hi) +
	    status_penalty(j, x, u->cause) +
	    route_penalty(j, x->path, u->server) +
	    cooc_penalty(j, x, u) +
	    EARLY_WEIGHT * early_start(x, u);
}

/* Whether x has a failed connect other than u, free, closer than score:
 * then u is not the one x needs. Bounded walk from the newest. */
static bool
better_conn(struct wire_join *j, const struct http_exchange *x,
    const struct urec *u, int64_t score)
{
	int64_t ready = (x->ready_us > x->start_us ? x->ready_us :
	    x->start_us) - EPS_US;
	int steps = 0;

	for (const struct urec *c = j->conns.tail; c != NULL; c = c->kprev) {
		int64_t s;

		if (c->added_us < ready || ++steps > SCAN_MAX)
			break;
		if (c == u || c->taken || c->contested)
			continue;
		if ((s = conn_score(j, x, c)) >= 0 && s < score)
			return true;
	}
	return false;
}

/* Whether failed client request x could take a free failed connect other
 * than u as its last attempt (within TOL_CONN_US), one that began before
 * request not_for (unless NULL) was taken up, to u's server (the order a
 * gateway connects in is that of one upstream's requests: another's, a
 * connect timeout that began before, says nothing of it). Bounded walk. */
static bool
other_conn(struct wire_join *j, const struct http_exchange *x,
    const struct urec *u, const struct http_exchange *not_for)
{
	int64_t ready = (x->ready_us > x->start_us ? x->ready_us :
	    x->start_us) - EPS_US;
	int64_t a = d_answer(x);
	int steps = 0;

	for (const struct urec *c = j->conns.tail; c != NULL; c = c->kprev) {
		int64_t lo, hi;

		if (c->added_us < ready || ++steps > SCAN_MAX)
			break;
		if (c == u || c->taken || c->contested ||
		    conn_score(j, x, c) < 0 || (not_for != NULL &&
		    (early_start(not_for, c) <= EPS_US ||
		    !str_eq(c->server, u->server))))
			continue;
		u_answer(c, &lo, &hi);
		if (iv_dist(a, lo, hi) <= TOL_CONN_US)
			return true;
	}
	return false;
}

/*
 * Whether held request h's own request is there now, free (its upstream
 * exchange reported after the client's answer): then a failed connect is
 * not its last attempt (a connect ties only when the client's own request
 * is not there). Its key chain is walked from the newest, bounded.
 */
static bool
own_request_there(struct wire_join *j, const struct drec *h)
{
	const struct http_exchange *x = &h->x;
	int64_t ready = (x->ready_us > x->start_us ? x->ready_us :
	    x->start_us) - EPS_US;
	int64_t a = d_answer(x);
	int steps = 0;

	if (h->key == 0)
		return false;
	for (const struct urec *c = table_newest(&j->reqs, h->key);
	    c != NULL && steps < SCAN_MAX; c = c->rprev, steps++) {
		int64_t lo, hi;

		if (c->added_us < ready)
			break;
		if (c->key != h->key || c->taken || c->contested ||
		    c->start_us < ready)
			continue;
		u_answer(c, &lo, &hi);
		if (lo <= a + answer_slack(c) && path_fits(j, x, c) &&
		    str_eq(c->method, x->method) &&
		    str_eq(c->seg, last_segment(x->path)) &&
		    c->has_query == x->has_query && str_eq(c->query, x->query))
			return true;
	}
	return false;
}

/*
 * Whether failed connect u, at score for the request being tied (x),
 * is not x's to take: a held failed request is closer to it by AMBIG_US
 * (a client's failure answered right after u failed is u's owner, rather
 * than an attempt that began after u by chance), or is as plausible an
 * owner and needs it as much (neither has a closer free connect of its
 * own). Then u is tied to neither: it is marked contested, so that the
 * other does not take it once x is gone. When x would take u as an
 * earlier attempt (chaining), a held request that would take it as its
 * last attempt as closely keeps it: without it that request has no tie,
 * and the time of an unanswered SYN's give-up, a guess, often cannot
 * tell the two apart. Held requests are in end order from the oldest;
 * the walk stops past u's time or at its step bound.
 */
static bool
owned_by_other(struct wire_join *j, struct urec *u, const struct dview *d,
    int64_t score, bool chaining)
{
	int64_t lo, hi;
	int steps = 0;

	u_answer(u, &lo, &hi);
	for (const struct drec *h = j->dhead; h != NULL; h = h->next) {
		const struct http_exchange *hx = &h->x;
		int64_t other;

		if (hx->start_us > hi + EPS_US &&
		    d_answer(hx) > hi + TOL_LAST_US)
			break;
		if (++steps > SCAN_MAX) {
			j->stats.scan_capped++;
			break;
		}
		if (h == d->self || h->kept.n > 0)
			continue;	/* its own request's attempt is there */
		if ((other = conn_score(j, hx, u)) < 0)
			continue;
		/* (its own request turned up: checked only where it would
		 * decide, a walk of its key chain) */
		if (other < score || (chaining && other <= score)) {
			if (own_request_there(j, h))
				continue;
			return true;	/* the other's */
		}
		/* an unsure connect timeout's end is a guess: only the
		 * order above decides it (its start weighs in scan) */
		if (u->end_unsure || other >= score + AMBIG_US)
			continue;	/* not as close */
		/* as close, same route and answer, and x has a connect
		 * that began before the other was taken up: a gateway
		 * connects for a route's requests in the order it takes
		 * them up, so that one is x's and u is left to the other
		 * (else, taking the closest, x may leave the other none) */
		if (hx->status == d->x->status && same_route(hx->path,
		    d->x->path) && other_conn(j, d->x, u, hx) &&
		    !own_request_there(j, h))
			return true;
		if (better_conn(j, hx, u, other) || own_request_there(j, h))
			continue;	/* it has its own */
		/* as close, but only one of the two was taken up when u
		 * began (the other waited behind an answer on its
		 * keep-alive connection, or had not arrived): that one's */
		if (early_start(hx, u) > 0 && early_start(d->x, u) == 0)
			continue;
		if (early_start(d->x, u) > 0 && early_start(hx, u) == 0)
			return true;
		if (hx->status == d->x->status && same_route(hx->path,
		    d->x->path)) {
			/* same route, same answer: whichever takes it, the
			 * tie says the same - unless only one of the two has
			 * another to take (two refused requests of a route
			 * answered in one turn: the first answered may take
			 * the later one's connect, closer to its answer) */
			if (!other_conn(j, hx, u, NULL) &&
			    other_conn(j, d->x, u, NULL))
				return true;
			continue;
		}
		if (better_conn(j, d->x, u, score))
			return true;	/* x has its own: leave u */
		u->contested = true;	/* as plausible for both */
		j->stats.conn_ambiguous++;
		return true;
	}
	return false;
}

/* The attempt after the one a walk looks for (step > 0). */
struct link {
	const char *server;	/* its server ("" at step 0) */
	bool conn;		/* it is a failed connect */
	int64_t gap;		/* from its start to the next attempt's (or,
				 * an unsure connect tied last, to the
				 * client's answer: its connect timeout); 0
				 * unknown */
};

/* How far off, from the start of request taken up ready, lies on a ladder
 * of step g (see TURN_MAX_US): to the nearest multiple of g. */
static int64_t
ladder_dev(int64_t off, int64_t g)
{
	int64_t r;

	if (off < 0)
		return -off;
	r = off % g;
	return r < g - r ? r : g - r;
}

/*
 * The score of a retry's predecessor dev off its request's ladder, begun
 * at start, the retry at a: by dev in steps of TURN_TICK_US; then the
 * nearest, by steps of TURN_MIN_US (a rung two turn-arounds back is on
 * the ladder too when no gap is known yet, and the one between would be
 * left out); then the earliest start. A gateway fires the retries of
 * requests whose timers expire in one turn together (HAProxy's ticks are
 * 1 ms): their rungs lie within a millisecond, and the one taken up later
 * can only have the later ones (its ladder begins after its take-up), so
 * of rungs as close the earliest is left to nobody else.
 */
#define TURN_TICK_US		(2 * INT64_C(1000))
/*
 * What a rung claimed by another ladder (struct urec.claimed) weighs in a
 * walk made when the answer arrives: as a free rung CHAIN_TOL_US further
 * off the ladder (a timer fired late). Ladders fired in one turn lie
 * within a millisecond, and one fired after a stall of the gateway's
 * loop lies a few ms off: HAProxy e2e (kept run hapfail1, regime c),
 * /refuse/x i=22 (taken up 52081) retried at 52329, 553407, 1054481 and,
 * 6 ms late, 1561416; i=23 (56657) at 56715, 557670, 1060250, 1561433.
 * i=23, answered first, claimed 1060250 (and 1060396 next to it, i=13's
 * first rung); i=22's walk, by closeness alone, chained 1060250 too (5.8
 * ms off its ladder, 1054481 11.5 ms), so 553407 and 1054481 were left
 * unclaimed and 1054481 went to a <NOSRV> 503 answered next to it.
 */
#define CLAIM_TURN_PENALTY	(CHAIN_TOL_US / TURN_TICK_US * TURN_TICK_US * 32)
/*
 * A held request tied by time is walked again when it is released,
 * hold_us after its answer, with claims weighed no more (the ladders
 * answered meanwhile each claimed what their walk took, greedily: weighing
 * all of them there shifts the first rungs of a burst along its ladders,
 * each taking its neighbour's). One claim holds there: a connect that
 * began right as another request was taken up (claim_first) is that
 * request's first attempt, not a retry of this one, by as much as a
 * claim weighs when the answer arrives. HAProxy e2e (kept run 52tp1b,
 * regime b): /refuse/x i=7, taken up 3132558, retried at 3633550 and
 * ~4134207, answered 4636198; i=13 taken up 4136166, its first connect
 * 4136221 (55 us), answered 5638422. i=7's release walk took 4136221
 * as its third rung (2.7 ms off its ladder), and i=13 was stored with 3
 * attempts of 4; in the 12 kept runs, 51 of 54 retried refused requests
 * stored with too few attempts had lost their first rung so.
 */
#define FIRST_OF_PENALTY	CLAIM_TURN_PENALTY

static int64_t
turn_score(int64_t dev, int64_t start, int64_t a)
{
	int64_t pos = start - (a - TURN_MAX_US);	/* 0..TURN_MAX_US */

	if (pos < 0)
		pos = 0;
	/* (32 dev steps outweigh the TURN_MAX_US / TURN_MIN_US gap steps) */
	return dev / TURN_TICK_US * TURN_TICK_US * 32 +
	    (a - start) / TURN_MIN_US * TURN_TICK_US +
	    pos * (TURN_TICK_US - 1) / TURN_MAX_US;
}

/*
 * Walk chain c (links which) from its newest record back for the best
 * candidate of source src for d, whose answer lies closest to a (the
 * client's answer at step 0, the next attempt's start after, nx); for a
 * success's own request at step 0, the one begun first (by_start_score).
 * Inlined into scan() and scan_req0(): the walk for a client request's
 * own last attempt (SRC_REQ, step 0), where nearly all the records walked
 * are, is compiled with its source and step known, so the tests of the
 * other sources and steps go from its per-record loop.
 */
static inline __attribute__((always_inline)) void
scan_in(struct wire_join *j, const struct dview *d, struct urec *tail,
    int which, enum source src, int64_t a, int step, bool releasing,
    const struct link *nx, struct pick *best, uint64_t after, bool by_start)
{
	const struct http_exchange *x = d->x;
	int64_t lo_start = (x->ready_us > x->start_us ? x->ready_us :
	    x->start_us) - EPS_US;
	bool trust = j->stats.id_trusted && x->request_id[0] != '\0';
	/* a retry of the next attempt's server may lie a turn-around back */
	bool turns = step > 0 && src == SRC_CONN && nx->conn;
	int steps = 0;
	struct urec *u = tail;
	/* by_start: what began after this is passed over (a score is far
	 * below INT64_MAX - lo_start: ID_MISMATCH and the penalties) */
	int64_t pass_after = best->u != NULL && best->candidates > 1 ?
	    lo_start + best->score : INT64_MAX;

	struct urec *cand[SCAN_MAX];
	int n_cand = 0;

	/*
	 * by_start (a success's own request at step 0, from scan_req0): the
	 * exchange begun first wins (by_start_score), and any record back to
	 * the request's start may be it, so the walk goes to its end first
	 * (the same records, by the same bounds; the chain without the
	 * markers of held requests, which a burst of them can make most of:
	 * mkpcap --pending), keeping all but the contested, then through
	 * those oldest first: the first met began first, and one that began
	 * after the best found is passed over at the cost of one test, once
	 * the candidates are known to be more than one (learn_id and
	 * learn_rewrite need to know only that). Of as good, the newest, as
	 * walking back would.
	 */
	if (by_start) {
		for (; u != NULL; u = *prevp(u, which)) {
			if (u->seq <= after || u->added_us < lo_start)
				break;
			if (++steps > SCAN_MAX) {
				j->stats.scan_capped++;
				break;
			}
			if (!u->contested)
				cand[n_cand++] = u;
		}
		u = n_cand > 0 ? cand[--n_cand] : NULL;
	}
	for (; u != NULL; u = !by_start ? *prevp(u, which) :
	    n_cand > 0 ? cand[--n_cand] : NULL) {
		int64_t lo, hi, dist, score, dev = 0;
		bool turn = false;

		if (by_start) {
			if (u->start_us > pass_after)
				continue;	/* (bounded above) */
		} else {
			if (u->seq <= after)
				break;	/* the rest is walked from the marker */
			if (u->added_us < lo_start)
				break;
			if (!turns && best->u != NULL &&
			    a - u->added_us > best->score)
				break;
			/* an earlier attempt ended (so arrived) right before
			 * a, or a turn-around before */
			if (step > 0 && u->added_us < a - (turns ?
			    TURN_MAX_US + EPS_US : TOL_RETRY_US))
				break;
			if (++steps > SCAN_MAX) {
				j->stats.scan_capped++;
				break;
			}
		}
		if (u->taken || u->contested || u->start_us < lo_start ||
		    !matches(d, u, src))
			continue;
		u_answer(u, &lo, &hi);
		if (lo > a + (src == SRC_CONN ? 0 : answer_slack(u)))
			continue;	/* answered after: not this step's (a
					 * gateway sees a failure before it
					 * answers for it) */
		if (step > 0 && src != SRC_AUTH && (!u_failed(u) ||
		    str_eq(u->server, nx->server))) {
			/* only a failure is tried again, on another server
			 * (nginx, Envoy), or a failed connect on the same
			 * one after a turn-around (HAProxy retries) */
			if (!turns || !str_eq(u->server, nx->server))
				continue;
			turn = true;
		}
		if (step > 0 && (u->start_us >= a ||
		    (!u->end_unsure && hi > a + EPS_US)))
			continue;	/* still running when the next began */
		if (turn) {
			int64_t g = a - u->start_us;

			if (g < TURN_MIN_US || g > TURN_MAX_US ||
			    (u->start_us - (lo_start + EPS_US)) / g >
			    TURN_RUNGS_MAX)
				continue;
			int64_t gd = nx->gap <= 0 ? 0 : g > nx->gap ?
			    g - nx->gap : nx->gap - g;

			dev = ladder_dev(u->start_us - (lo_start + EPS_US), g);
			/* (a stall of the gateway's loop puts the rungs
			 * after it off by as much: allowed for refused
			 * connects, whose failure the wire sees) */
			if ((dev > gd ? dev : gd) > CHAIN_TOL_US + g / 32 +
			    (u->end_unsure ? 0 : STALL_US))
				continue;	/* not on its ladder */
			dev += gd;
		}
		/* the earlier attempt of another's retries is not the last
		 * of a request taken up right before it (a gateway's own
		 * refusal answered next to it); one that had waited long
		 * enough to retry has a ladder of its own to weigh */
		if (step == 0 && src == SRC_CONN && u->claimed &&
		    u->start_us - (lo_start + EPS_US) < TURN_MIN_US)
			continue;
		if (step == 0 && !d->failed &&
		    (u->cause != GW_CAUSE_OK || u->status != x->status))
			continue;	/* a client's success is its last answer */
		if (step > 0 && src == SRC_AUTH && u_failed(u))
			continue;	/* a failed check ends the request */
		dist = iv_dist(a, lo, hi);
		/* a client's failure follows a failed last attempt, one it
		 * relayed (same status), or an answer the gateway refused
		 * the moment it came (invalid); a header past the gateway's
		 * buffer is refused once it is read, which under load took
		 * nginx 3.3 ms after the answer's last byte (capture_e2e:
		 * the 64 KiB header left the request untied) */
		if (step == 0 && d->failed && src == SRC_REQ && !u_failed(u) &&
		    u->status != x->status && dist > (u->header_bytes >=
		    j->o.header_buffer ? TOL_LAST_US : TOL_CHAIN_US))
			continue;
		if (step > 0 && !turn && dist > TOL_RETRY_US)
			continue;
		/* a claimed rung (see claim_turn) is not the last attempt of
		 * a request answered more than a turn of the gateway
		 * (TURN_TICK_US) after it failed: a gateway answers for a
		 * final failed connect in the turn that sees it fail, and a
		 * claimed rung was retried by the ladder that claimed it.
		 * (HAProxy e2e, kept run hapfail1, regime c: /blackhole/x
		 * i=2, its SYNs unanswered every 500 ms from its take-up,
		 * answered 49 ms after a refused rung of /refuse/x i=6, was
		 * tied to it; in 8 of 9 other kept runs, 4-28 ms after one.
		 * The last rungs of refused requests there lay up to 4 ms
		 * before their answers: none of those further than 1 ms was
		 * claimed, each keeps its tie.) */
		if (step == 0 && src == SRC_CONN && u->claimed &&
		    !u->end_unsure && dist > TURN_TICK_US)
			continue;
		/* a retry goes to a server of the same upstream group: once
		 * the route is seen served by servers of its own, another's
		 * failed connect is not its earlier attempt */
		if (step > 0 && src == SRC_CONN &&
		    route_penalty(j, x->path, u->server) >= ROUTE_PENALTY)
			continue;
		if (step == 0 && src != SRC_REQ && dist > TOL_LAST_US)
			continue;
		if (step == 0 && src == SRC_CONN && (dist > TOL_CONN_US ||
		    !conn_status_fits(x->status, u->cause)))
			continue;
		/* another route's server, met by this route's failures
		 * only by chance (co-occurrence, COOC_MIN): with retries,
		 * most failed connects are the earlier rungs of ladders
		 * whose requests answer later, none of them next to it, so
		 * no closer owner keeps it from a gateway's own refusal */
		if (src == SRC_CONN && step == 0 && releasing &&
		    cooc_penalty(j, x, u) > 0)
			continue;
		if (src == SRC_CONN && releasing && owned_by_other(j, u, d,
		    (turn ? dev : dist) +
		    (step == 0 ? status_penalty(j, x, u->cause) : 0) +
		    route_penalty(j, x->path, u->server) +
		    cooc_penalty(j, x, u) +
		    EARLY_WEIGHT * early_start(x, u), step > 0))
			continue;
		if (src == SRC_REQ && step == 0)
			best->candidates++;
		/* how close its answer is to the client's (or the next
		 * attempt's start), and its start to when the gateway could
		 * take the request up: a gateway relays at once */
		score = turn ? turn_score(dev, u->start_us, a) :
		    by_start ? by_start_score(u, lo_start + EPS_US) :
		    dist + start_gap(u, lo_start + EPS_US);
		/* when the answer arrives, one that no other ladder claimed
		 * yet, over a claimed one up to CHAIN_TOL_US closer to the
		 * ladder (see CLAIM_TURN_PENALTY): requests taken up
		 * together claim one each, and none is left to a <NOSRV>
		 * 503 */
		if (turn && !releasing && u->claimed)
			score += CLAIM_TURN_PENALTY;
		/* when it is released, a connect another request's ladder
		 * began with as that request was taken up (claim_first), as
		 * a retry of this one (a rung TURN_MIN_US or more after its
		 * take-up): see FIRST_OF_PENALTY */
		if (turn && releasing && u->first_of != 0 &&
		    u->first_of != d->id &&
		    u->start_us - (lo_start + EPS_US) >= TURN_MIN_US)
			score += FIRST_OF_PENALTY;
		if (step == 0 && src == SRC_CONN && u->end_unsure) {
			/* the last of a ladder of connect timeouts (each
			 * retried at once, see TURN_MAX_US) began one
			 * timeout before the answer, on the ladder: of those
			 * that fit, the latest (a single attempt, nginx's,
			 * began when the request was taken up: the only
			 * one on its ladder) */
			int64_t g = a - u->start_us, off = u->start_us -
			    (lo_start + EPS_US);

			/* (no ladder under TURN_MIN_US: any start is near a
			 * multiple of it; the first rung, at the take-up) */
			score = dist + 4 * (g >= TURN_MIN_US &&
			    off / g <= TURN_RUNGS_MAX ? ladder_dev(off, g) :
			    off < 0 ? -off : off) + g / 64;
		}
		if (u->end_unsure)	/* when it gave up is a guess */
			score += PATH_PENALTY;
		if (src == SRC_REQ) {
			int64_t pp = str_eq(u->path, x->path) ? 0 :
			    path_penalty(j, x->path, u->path);

			/* a rewrite is learned from successes only (their
			 * status must match); a failure takes none new */
			if (pp > 0 && (d->failed || step > 0))
				continue;
			score += pp;
		}
		/* the status this gateway gives such a failure ranks first
		 * (STATUS_LEARNED), and a server known to serve the route */
		if (src == SRC_CONN && step == 0)
			score += status_penalty(j, x, u->cause);
		if (src == SRC_CONN)
			score += route_penalty(j, x->path, u->server) +
			    cooc_penalty(j, x, u);
		else if (src == SRC_AUTH && !str_eq(u->o_path, x->path))
			continue;	/* it names the client's URI as it is */
		bool id_eq = trust && u->id[0] != '\0' &&
		    str_eq(u->id, x->request_id);
		if (trust && !id_eq)
			score += ID_MISMATCH;
		if (best->u == NULL || score < best->score ||
		    (by_start && score == best->score)) {
			best->u = u;
			best->score = score;
			best->dist = dist;
			best->src = src;
			best->id_used = id_eq;
		}
		if (by_start && best->candidates > 1)
			pass_after = lo_start + best->score;
	}
}

static void
scan(struct wire_join *j, const struct dview *d, struct urec *tail,
    int which, enum source src, int64_t a, int step, bool releasing,
    const struct link *nx, struct pick *best, uint64_t after)
{
	scan_in(j, d, tail, which, src, a, step, releasing, nx, best,
	    after, false);
}

/* scan() of d's own request at step 0 (see scan_in). */
static void
scan_req0(struct wire_join *j, const struct dview *d, struct urec *tail,
    int which, int64_t a, bool releasing, struct pick *best, uint64_t after)
{
	static const struct link last = {"", false, 0};	/* step 0 */

	/* (two copies: a success's walk of its key chain, forward, where
	 * nearly all the records walked are; the rest) */
	if (which == 4 && !d->failed)
		scan_in(j, d, tail, 4, SRC_REQ, a, 0, releasing, &last, best,
		    after, true);
	else
		scan_in(j, d, tail, which, SRC_REQ, a, 0, releasing, &last,
		    best, after, !d->failed);
}

/*
 * scan() for a held client that left (see LEFT_START_US), being released:
 * the records of its key chain from tail back (arrived before it left,
 * or right after), then from tail on forward (arrived later, bounded by
 * TOL_LAST_US after it left), for the free one of its request begun
 * first once it was taken up, by LEFT_START_US after it left.
 */
static void
scan_left(struct wire_join *j, const struct dview *d, struct urec *tail,
    bool fwd, struct pick *best)
{
	const struct http_exchange *x = d->x;
	int64_t lo_start = (x->ready_us > x->start_us ? x->ready_us :
	    x->start_us) - EPS_US;
	bool trust = j->stats.id_trusted && x->request_id[0] != '\0';
	int steps = 0;

	for (struct urec *u = tail; u != NULL; u = fwd ? u->knext : u->kprev) {
		int64_t lo, hi, score;

		if (fwd ? u->added_us > x->end_us + TOL_LAST_US :
		    u->added_us < lo_start)
			break;
		if (++steps > SCAN_MAX) {
			j->stats.scan_capped++;
			break;
		}
		if (u->taken || u->contested || u->key != d->key ||
		    u->start_us < lo_start ||
		    u->start_us > x->end_us + LEFT_START_US)
			continue;
		/* a failure takes no unlearned rewrite (as scan) */
		if (!str_eq(u->path, x->path) &&
		    path_penalty(j, x->path, u->path) > 0)
			continue;
		best->candidates++;
		score = start_gap(u, lo_start + EPS_US);
		if (u->end_unsure)
			score += PATH_PENALTY;
		bool id_eq = trust && u->id[0] != '\0' &&
		    str_eq(u->id, x->request_id);
		if (trust && !id_eq)
			score += ID_MISMATCH;
		if (best->u == NULL || score < best->score) {
			u_answer(u, &lo, &hi);
			best->u = u;
			best->score = score;
			best->dist = iv_dist(d_answer(x), lo, hi);
			best->src = SRC_REQ;
			best->id_used = id_eq;
		}
	}
}

/* Learn whether ids carry the same value on both legs: from a tie with a
 * single candidate, where both carry one. */
static void
learn_id(struct wire_join *j, const struct dview *d, const struct pick *p)
{
	const char *a = d->x->request_id, *b = p->u->id;

	if (p->src != SRC_REQ || p->candidates != 1 || a[0] == '\0' ||
	    b[0] == '\0')
		return;
	if (str_eq(a, b))
		j->id_agree++;
	else
		j->id_disagree++;
	j->stats.id_trusted = j->id_agree >= ID_TRUST_MIN &&
	    j->id_disagree * 20 <= j->id_agree;
}

/*
 * Whether u is what held request h would pick among the exchanges of its
 * request (key) still there: for a failure, the one closest to its answer
 * and to when it could be taken up; for a success, the one begun first
 * (by_start_score). The chain is walked from its newest, bounded.
 */
static bool
held_pick(struct wire_join *j, const struct drec *h, uint64_t key,
    const struct urec *u)
{
	const struct http_exchange *x = &h->x;
	int64_t ready = x->ready_us > x->start_us ? x->ready_us : x->start_us;
	int64_t a = d_answer(x), best_score = 0;
	const struct urec *best = NULL;
	int steps = 0;

	for (const struct urec *c = table_newest(&j->reqs, key);
	    c != NULL && steps < SCAN_MAX; c = c->rprev, steps++) {
		int64_t lo, hi, score;

		if (c->added_us < ready - EPS_US)
			break;
		if (c->key != key || (c->taken && c != u) ||
		    c->start_us < ready - EPS_US || !path_fits(j, x, c))
			continue;
		u_answer(c, &lo, &hi);
		if (lo > a + answer_slack(c))
			continue;
		if (!wire_join_failed(x) && (c->cause != GW_CAUSE_OK ||
		    c->status != x->status))
			continue;
		score = !wire_join_failed(x) ? by_start_score(c, ready) :
		    iv_dist(a, lo, hi) + start_gap(c, ready);
		if (best == NULL || score < best_score) {
			best = c;
			best_score = score;
		}
	}
	return best == u;
}

/*
 * Whether a held request with the same request as d, and no attempt of
 * its own yet, would take u (d's pick, at score) more closely: u answered
 * before that request's answer too, and a request held because its
 * upstream exchange was reported after its answer is the one that exchange
 * belongs to. The held list is walked from its newest back to the first
 * request that answered before u did, bounded.
 */
static bool
held_better(struct wire_join *j, const struct dview *d, const struct urec *u,
    int64_t score)
{
	int64_t lo, hi;
	int steps = 0;

	u_answer(u, &lo, &hi);
	for (const struct drec *h = j->dtail; h != NULL; h = h->prev) {
		const struct http_exchange *x = &h->x;
		int64_t ready = x->ready_us > x->start_us ? x->ready_us :
		    x->start_us;
		int64_t a = d_answer(x);

		if (x->end_us + EPS_US < lo)
			break;		/* it and all before it answered first */
		if (++steps > SCAN_MAX) {
			j->stats.scan_capped++;
			break;
		}
		if (h == d->self || h->kept.n > 0 || h->key != d->key ||
		    u->start_us < ready - EPS_US || lo > a + answer_slack(u) ||
		    !path_fits(j, x, u))
			continue;
		if (!wire_join_failed(x) && (u->cause != GW_CAUSE_OK ||
		    u->status != x->status))
			continue;
		/* (a success answered before d comes first: see
		 * by_start_score) */
		if ((!wire_join_failed(x) ||
		    iv_dist(a, lo, hi) + start_gap(u, ready) < score) &&
		    held_pick(j, h, d->key, u))
			return true;
	}
	return false;
}

/*
 * Where a walk of held d's key chain starts when it is released (it has a
 * marker): its marker moved on past the records that arrived within
 * LATE_US of its answer (later ones answered after it, unless late: see
 * scan_req).
 */
static struct urec *
req_tail(const struct dview *d)
{
	int64_t limit = d_answer(d->x) + EPS_US + LATE_US;
	struct urec *u = d->self->mark;

	while (u->knext != NULL && u->knext->added_us <= limit)
		u = u->knext;
	return u;
}

/*
 * The newest record at or before place u of a key chain that is not a
 * marker: where a walk of the chain without them (which 4) starts. The
 * markers passed are those of requests held in a row with no record of
 * their key between (a burst answered together), bounded.
 */
static struct urec *
record_at(struct wire_join *j, struct urec *u)
{
	int steps = 0;

	for (; u != NULL && u->marker; u = u->kprev)
		if (++steps > SCAN_MAX) {
			j->stats.scan_capped++;
			return NULL;
		}
	return u;
}

/*
 * scan() for the exchanges of d's own request (SRC_REQ): newest first,
 * from the newest, or for a held request being released from req_tail(),
 * after the late records that arrived after that place (the only ones
 * after it that can have answered before its answer), so the order is
 * the one a walk from the newest would take, without the hold_us of
 * records between. An
 * earlier attempt (step > 0) is a failure: the failed chain alone, from
 * its newest.
 */
static void
scan_req(struct wire_join *j, const struct dview *d, int64_t a, int step,
    bool releasing, const struct link *nx, struct pick *best)
{
	struct urec *tail;

	if (step > 0) {
		scan(j, d, table_newest(&j->fails, d->key), 3, SRC_REQ, a,
		    step, releasing, nx, best, 0);
		return;
	}
	if (d->self == NULL || d->self->mark == NULL) {
		scan_req0(j, d, table_newest(&j->reqs, d->key), 4, a,
		    releasing, best, 0);
		return;
	}
	tail = req_tail(d);
	/* a client that left: its request may have gone upstream after it
	 * did, and been answered later still (LEFT_START_US) */
	if (d->left) {
		scan_left(j, d, tail, false, best);
		if (tail->knext != NULL)
			scan_left(j, d, tail->knext, true, best);
		return;
	}
	scan_req0(j, d, table_newest(&j->lates, d->key), 2, a, releasing,
	    best, tail->seq);
	scan_req0(j, d, record_at(j, tail), 4, a, releasing, best, 0);
}

/*
 * Find d's attempts, newest first, marking them taken: the attempt whose
 * answer is closest to the client's, then the one that failed right
 * before it began, and so on. w->complete: the tie need not wait.
 */
static void
walk(struct wire_join *j, const struct dview *d, bool releasing,
    struct walk *w)
{
	const struct http_exchange *x = d->x;
	int64_t a = d_answer(x);
	bool time_only = false;
	struct link nx = {"", false, 0};

	/* w may hold attempts kept for d already: go on before them */
	if (w->n > 0) {
		a = w->u[w->n - 1]->start_us;
		nx.server = w->u[w->n - 1]->server;
		nx.conn = w->u[w->n - 1]->conn_only;
		if (w->n > 1)
			nx.gap = w->u[w->n - 2]->start_us - a;
	}
	w->complete = false;
	for (int step = w->n; w->n < GW_ATTEMPTS_MAX; step++) {
		struct pick best = {0};

		scan_req(j, d, a, step, releasing, &nx, &best);
		/* a held request that this exchange fits better keeps it */
		struct urec *passed[4];
		int n_passed = 0;
		while (step == 0 && best.u != NULL && best.src == SRC_REQ &&
		    n_passed < 4 && j->dhead != NULL &&
		    held_better(j, d, best.u, best.score)) {
			passed[n_passed++] = best.u;
			best.u->taken = true;
			memset(&best, 0, sizeof(best));
			scan_req(j, d, a, step, releasing, &nx, &best);
		}
		for (int i = 0; i < n_passed; i++)
			passed[i]->taken = false;
		/*
		 * The request itself seen upstream is stronger evidence
		 * than time alone: a failed connect or an auth subrequest is
		 * the last attempt only when no request of the client's own
		 * is there to be it.
		 */
		if (step > 0 || best.u == NULL || best.score >= PATH_PENALTY) {
			if (d->failed || step > 0)
				scan(j, d, j->conns.tail, 0, SRC_CONN, a, step,
				    releasing, &nx, &best, 0);
			if (d->akey != 0)
				scan(j, d, table_newest(&j->auths,
				    d->akey), 1, SRC_AUTH, a, step,
				    releasing, &nx, &best, 0);
		}
		if (best.u == NULL ||
		    (best.src == SRC_REQ && !same_request(d, best.u)))
			break;
		if (step == 0)
			learn_id(j, d, &best);
		if (best.src == SRC_REQ && best.candidates == 1 && step == 0 &&
		    !d->failed)
			learn_rewrite(j, x->path, best.u->path);
		if (best.src == SRC_CONN)
			time_only = true;
		best.u->taken = true;
		w->u[w->n] = best.u;
		w->src[w->n] = best.src;
		w->id_used[w->n] = best.id_used;
		w->n++;
		/* the gap of a ladder's link: a retry on the same server,
		 * or a connect timeout tied last */
		nx.gap = best.src != SRC_CONN ? 0 : step > 0 ? (nx.conn &&
		    str_eq(best.u->server, nx.server) ? a - best.u->start_us :
		    0) : best.u->end_unsure ? a - best.u->start_us : 0;
		nx.server = best.u->server;
		nx.conn = best.src == SRC_CONN;
		a = best.u->start_us;
	}
	/* A tie by time alone waits: another request may be closer. */
	w->complete = w->n > 0 && !time_only && (!d->failed ||
	    w->u[w->n - 1]->start_us - x->start_us <= TOL_FIRST_US);
}

/* Whether w found an attempt by the request itself (or its auth
 * subrequest), not only failed connects tied by time. */
static bool
has_own_attempt(const struct walk *w)
{
	for (int i = 0; i < w->n; i++)
		if (w->src[i] != SRC_CONN)
			return true;
	return false;
}

static void
walk_undo(struct walk *w)
{
	for (int i = 0; i < w->n; i++)
		w->u[i]->taken = false;
	w->n = 0;
}

/* Sort attempts by start time (insertion sort: there are few). */
static void
sort_attempts(const struct http_exchange **a, int n)
{
	for (int i = 1; i < n; i++) {
		const struct http_exchange *x = a[i];
		int k = i - 1;

		while (k >= 0 && a[k]->start_us > x->start_us) {
			a[k + 1] = a[k];
			k--;
		}
		a[k + 1] = x;
	}
}

static struct wire_join_port *
port_stats(struct wire_join *j, uint16_t port)
{
	struct wire_join_stats *s = &j->stats;

	for (int i = 0; i < s->n_ports; i++)
		if (s->ports[i].port == port)
			return &s->ports[i];
	if (s->n_ports == WIRE_JOIN_PORTS_MAX)
		return NULL;
	s->ports[s->n_ports].port = port;
	return &s->ports[s->n_ports++];
}

static void
dview_init(const struct wire_join *j, const struct http_exchange *x,
    struct dview *d)
{
	d->x = x;
	d->self = NULL;
	d->seg = last_segment(x->path);
	d->key = x->has_request ? req_key(j->o.seed, 'R', x->method, d->seg,
	    x->has_query, x->query) : 0;
	/* (only auth subrequests have it: none held, no key to look for;
	 * a held request's view is made again when it is released) */
	d->akey = x->has_request && j->auths.map.n > 0 ? req_key(j->o.seed,
	    'A', "", d->seg, x->has_query, x->query) : 0;
	d->failed = wire_join_failed(x);
	d->left = x->cause == GW_CAUSE_CLIENT_CLOSED && x->first_byte_us < 0 &&
	    x->has_request;
	d->id = 0;
}

/* Emit downstream x with the attempts of w (taken), then free those. */
static int
emit(struct wire_join *j, const struct http_exchange *x, struct walk *w)
{
	const struct http_exchange *att[GW_ATTEMPTS_MAX];
	bool auth_failed = false;
	int n = 0, rc;

	for (int i = 0; i < w->n; i++) {
		struct urec *u = w->u[i];

		switch (w->src[i]) {
		case SRC_AUTH:
			j->stats.tied_auth++;
			if (!u_failed(u))
				continue;	/* a passed check: no attempt */
			auth_failed = true;
			break;
		case SRC_CONN:
			j->stats.tied_time++;
			break;
		case SRC_REQ:
			if (w->id_used[i])
				j->stats.tied_id++;
			else
				j->stats.tied_match++;
			break;
		}
		if (w->src[i] != SRC_AUTH)
			route_learn(j, x->path, u->server);
		if (i == 0 && w->src[i] == SRC_CONN)
			conn_status_learn(j, x->server_port, u->cause,
			    x->status);
		urec_exchange(u, &j->scratch[n]);
		att[n] = &j->scratch[n];
		n++;
	}
	sort_attempts(att, n);
	if (n > 0)
		wire_join_refuse(x, (struct http_exchange *)att[n - 1],
		    j->o.header_buffer);
	enum gw_cause cause = wire_join_cause(x, att, n, auth_failed);
	struct wire_join_port *ps = port_stats(j, x->server_port);
	if (ps != NULL)
		ps->downstream++;
	if (cause != GW_CAUSE_OK || wire_join_failed(x)) {
		j->stats.failed++;
		if (ps != NULL)
			ps->failed++;
		if (w->n > 0) {
			j->stats.failed_tied++;
			if (ps != NULL)
				ps->failed_tied++;
		}
	}
	rc = j->out(j->ctx, x, att, n, cause);
	for (int i = 0; i < w->n; i++)
		urec_free(j, w->u[i]);
	w->n = 0;
	return rc;
}

/* Release held d: tie with what is there now, emit, free. */
static int
release(struct wire_join *j, struct drec *d)
{
	struct dview dv;
	struct walk w;
	int rc;

	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		j->dhead = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	else
		j->dtail = d->prev;
	j->n_down--;
	dview_init(j, &d->x, &dv);
	dv.self = d;
	dv.id = d->id;
	w = d->kept;
	walk(j, &dv, true, &w);
	if (d->mark != NULL) {
		table_remove(&j->keys, d->mark);
		free(d->mark);
	}
	rc = emit(j, &d->x, &w);
	free(d);
	return rc;
}

/* --- public --------------------------------------------------------------- */

/* See wire_join.h. */
struct wire_join *
wire_join_new(const struct wire_join_opts *o, wire_join_out_fn out, void *ctx)
{
	struct wire_join *j = gw_calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	if (o != NULL)
		j->o = *o;
	if (j->o.hold_us <= 0)
		j->o.hold_us = DEFAULT_HOLD_US;
	if (j->o.max_held == 0)
		j->o.max_held = DEFAULT_MAX_HELD;
	if (j->o.max_up == 0)
		j->o.max_up = DEFAULT_MAX_UP;
	if (j->o.header_buffer <= 0)
		j->o.header_buffer = DEFAULT_HEADER_BUFFER;
	if (j->o.seed == 0)
		j->o.seed = hashkey_seed();
	/* no budget of their own: the records they index have max_up */
	table_init(&j->keys, 0, 0);
	table_init(&j->auths, 1, 0);
	table_init(&j->lates, 2, 0);
	table_init(&j->fails, 3, 0);
	table_init(&j->reqs, 4, 0);
	/* the whole budget now: learning a route never allocates */
	hashtab_init(&j->route_index, ROUTES_MAX * 3 / 4);
	if (hashtab_reserve(&j->route_index, ROUTES_MAX * 3 / 4) !=
	    HASHTAB_OK) {
		wire_join_free(j);
		return NULL;
	}
	j->out = out;
	j->ctx = ctx;
	return j;
}

/* See wire_join.h. */
void
wire_join_free(struct wire_join *j)
{
	if (j == NULL)
		return;
	while (j->dhead != NULL) {
		struct drec *d = j->dhead;

		j->dhead = d->next;
		for (int i = 0; i < d->kept.n; i++)
			free(d->kept.u[i]);
		free(d->mark);
		free(d);
	}
	while (j->age_head != NULL) {
		struct urec *u = j->age_head;

		j->age_head = u->next;
		free(u);
	}
	hashtab_free(&j->keys.map);
	hashtab_free(&j->auths.map);
	hashtab_free(&j->lates.map);
	hashtab_free(&j->fails.map);
	hashtab_free(&j->reqs.map);
	hashtab_free(&j->route_index);
	free(j);
}

/* See wire_join.h. */
enum gw_cause
wire_join_cause(const struct http_exchange *down,
    const struct http_exchange *const *att, int n, bool auth_failed)
{
	struct cause_claim c[4 + GW_ATTEMPTS_MAX];
	enum cause_answer answer = CAUSE_ANSWER_OK;
	size_t k = 0;

	/* What the wire saw of this request; cause_merge() weighs it. */
	if (down->conn_only)	/* no answer: its status is made up */
		answer = down->cause != GW_CAUSE_OK ? CAUSE_ANSWER_OTHER :
		    CAUSE_ANSWER_OK;
	else if ((down->status >= 500 && down->status <= 599) ||
	    down->status == 9)
		answer = CAUSE_ANSWER_FAILED;
	else if (wire_join_failed(down))
		answer = CAUSE_ANSWER_OTHER;
	/* the gateway's own port failed, or the client left */
	c[k++] = (struct cause_claim){down->cause, CAUSE_SRC_WIRE,
	    down->conn_only || down->cause == GW_CAUSE_CLIENT_CLOSED ?
	    CAUSE_ROLE_CLIENT : CAUSE_ROLE_ANSWER};
	if (auth_failed)
		c[k++] = (struct cause_claim){GW_CAUSE_AUTH_FAILURE,
		    CAUSE_SRC_WIRE, CAUSE_ROLE_GATEWAY};
	if (n > 0)
		c[k++] = (struct cause_claim){att[n - 1]->cause, CAUSE_SRC_WIRE,
		    CAUSE_ROLE_LAST};
	/* latest first; only the latest failed one can count */
	for (int i = n - 2; i >= 0 && k < sizeof(c) / sizeof(c[0]); i--)
		c[k++] = (struct cause_claim){att[i]->cause, CAUSE_SRC_WIRE,
		    CAUSE_ROLE_EARLIER};
	return cause_merge(answer, c, k);
}

/* See wire_join.h. */
void
wire_join_refuse(const struct http_exchange *down, struct http_exchange *last,
    int64_t header_buffer)
{
	if (down->status < 500 || down->status > 599 || down->conn_only ||
	    last->cause != GW_CAUSE_OK || last->status < 100 ||
	    last->status >= 500)
		return;
	last->cause = last->header_bytes >= header_buffer ?
	    GW_CAUSE_UPSTREAM_HEADER_TOO_BIG :
	    GW_CAUSE_UPSTREAM_INVALID_RESPONSE;
	last->status = down->status;
}

/* Expire upstream records past 2 * hold, or past max_up. */
static void
expire_up(struct wire_join *j)
{
	struct urec *u;

	while ((u = j->age_head) != NULL &&
	    (u->added_us + 2 * j->o.hold_us <= j->now_us ||
	    j->n_up > j->o.max_up)) {
		if (j->n_up > j->o.max_up)
			j->stats.forced++;
		j->stats.upstream_untied++;
		urec_free(j, u);
	}
}

static int
add_upstream(struct wire_join *j, const struct http_exchange *x)
{
	struct urec *u = urec_new(j, x);

	if (u == NULL)
		return -1;
	u->added_us = j->now_us;
	u->seq = ++j->seq;
	if (u->key != 0 && !u->conn_only) {
		int64_t lo, hi;

		u_answer(u, &lo, &hi);
		u->late = u->added_us - lo > LATE_US ||
		    answer_slack(u) > EPS_US;
		u->failed = u_failed(u);
	}
	if (u->conn_only) {
		chain_append(&j->conns, u, 0);
	} else if (u->key != 0) {
		if (table_add(&j->keys, u) != 0) {
			free(u);
			return -1;
		}
		if (table_add(&j->reqs, u) != 0) {
			table_remove(&j->keys, u);
			free(u);
			return -1;
		}
	}
	if (u->in_auth && table_add(&j->auths, u) != 0) {
		if (u->key != 0) {
			table_remove(&j->keys, u);
			table_remove(&j->reqs, u);
		}
		free(u);
		return -1;
	}
	if (u->late && table_add(&j->lates, u) != 0) {
		if (u->in_auth)
			table_remove(&j->auths, u);
		table_remove(&j->keys, u);
		table_remove(&j->reqs, u);
		free(u);
		return -1;
	}
	if (u->failed && table_add(&j->fails, u) != 0) {
		if (u->late)
			table_remove(&j->lates, u);
		if (u->in_auth)
			table_remove(&j->auths, u);
		table_remove(&j->keys, u);
		table_remove(&j->reqs, u);
		free(u);
		return -1;
	}
	u->next = NULL;
	u->prev = j->age_tail;
	if (j->age_tail != NULL)
		j->age_tail->next = u;
	else
		j->age_head = u;
	j->age_tail = u;
	j->n_up++;
	if (j->n_up > j->stats.up_peak)
		j->stats.up_peak = j->n_up;
	j->stats.upstream++;
	expire_up(j);
	return 0;
}

/*
 * A marker for a request held now, appended to the chain of key (see the
 * file comment): where its walk starts when it is released. NULL when out
 * of memory.
 */
static struct urec *
hold_mark(struct wire_join *j, uint64_t key)
{
	struct urec *m = gw_calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->key = key;
	m->seq = ++j->seq;
	m->added_us = j->now_us;
	m->start_us = INT64_MIN;	/* no candidate of anything */
	m->contested = true;
	m->marker = true;
	m->path = m->seg = m->query = m->id = "";
	if (table_add(&j->keys, m) != 0) {
		free(m);
		return NULL;
	}
	return m;
}

static void claim_turn(struct urec *u);
static void claim_first(struct urec *u, const struct http_exchange *x,
    uint64_t id);

static int
add_downstream(struct wire_join *j, const struct http_exchange *x)
{
	struct dview dv;
	struct walk w;
	struct drec *d;

	if (x->status < 0) {	/* no answer seen: stored as a reject */
		return j->out(j->ctx, x, NULL, 0, GW_CAUSE_OK);
	}
	j->stats.downstream++;
	dview_init(j, x, &dv);
	dv.id = ++j->down_seq;
	w.n = 0;
	w.complete = false;
	/* a client that left waits: its attempt may be reported later,
	 * answered after it left (LEFT_START_US) */
	if (!dv.left)
		walk(j, &dv, false, &w);
	/* its earlier failed connects retried on the same server (see
	 * TURN_MAX_US) are claimed, before the requests answered next to
	 * them are decided, when they make a ladder of three rungs or more
	 * (two gaps alike: two rungs are also what a gateway that does not
	 * retry, slow to connect under load, shows next to a connect of
	 * another request taken up in the same instant); one retried on
	 * another server at once (nginx's proxy_next_upstream) is left to
	 * the closeness rules of owned_by_other */
	for (int i = 1, run = 1; i < w.n; i++) {
		run = w.src[i] == SRC_CONN && w.src[i - 1] == SRC_CONN &&
		    str_eq(w.u[i]->server, w.u[i - 1]->server) ? run + 1 : 1;
		/* (u[0], the last attempt, is not claimed) */
		for (int k = i; run >= 3 && k > i - run && k > 0; k--)
			claim_turn(w.u[k]);
		if (run >= 3 && i == w.n - 1)
			claim_first(w.u[i], x, dv.id);
	}
	if (dv.failed && !has_own_attempt(&w))
		cooc_count(j, x);
	if (w.complete)
		return emit(j, x, &w);
	if ((d = gw_malloc(sizeof(*d))) == NULL) {
		walk_undo(&w);
		return -1;
	}
	d->mark = NULL;
	if (dv.key != 0 && (d->mark = hold_mark(j, dv.key)) == NULL) {
		free(d);
		walk_undo(&w);
		return -1;
	}
	/*
	 * Keep what its own request found (the attempts tied by method and
	 * path, newest first, up to the first tied otherwise): the rest is
	 * decided when it is released, against the other held requests.
	 */
	int k = 0;
	while (k < w.n && w.src[k] == SRC_REQ)
		k++;
	for (int i = k; i < w.n; i++)
		w.u[i]->taken = false;
	w.n = k;
	for (int i = 0; i < k; i++)
		urec_detach(j, w.u[i]);
	d->kept = w;
	d->key = dv.key;
	d->id = dv.id;
	d->x = *x;
	d->next = NULL;
	d->prev = j->dtail;
	if (j->dtail != NULL)
		j->dtail->next = d;
	else
		j->dhead = d;
	j->dtail = d;
	j->n_down++;
	if (j->n_down > j->stats.held_peak)
		j->stats.held_peak = j->n_down;
	while (j->n_down > j->o.max_held) {
		j->stats.forced++;
		if (release(j, j->dhead) != 0)
			return -1;
	}
	return 0;
}

/*
 * Claim rung u of a ladder (see TURN_MAX_US), and the refused connects to
 * its server that began within TURN_TICK_US of it: the rungs of ladders
 * fired in the same turn of the gateway, which of them is whose being a
 * guess (one taken by another ladder when released would be left to a
 * <NOSRV> 503 answered next to it). The connect list is in arrival order,
 * walked both ways from u while within reach, bounded.
 */
static void
claim_turn(struct urec *u)
{
	struct urec *c;
	int steps = 0;

	u->claimed = true;
	if (!u->conn_only || u->end_unsure)
		return;
	for (c = u->kprev; c != NULL && steps < SCAN_MAX &&
	    c->added_us >= u->start_us - TURN_TICK_US; c = c->kprev, steps++)
		if (!c->end_unsure && c->start_us >= u->start_us -
		    TURN_TICK_US && str_eq(c->server, u->server))
			c->claimed = true;
	for (c = u->knext; c != NULL && steps < 2 * SCAN_MAX &&
	    c->added_us <= u->added_us + TURN_TICK_US; c = c->knext, steps++)
		if (!c->end_unsure && c->start_us <= u->start_us +
		    TURN_TICK_US && str_eq(c->server, u->server))
			c->claimed = true;
}

/*
 * The first rung u of the ladder of request id (x), claimed when its
 * answer arrived: when it began within TURN_TICK_US of x's take-up, it is
 * x's first attempt (a gateway connects in the turn that takes a request
 * up), not a retry of a request taken up earlier (see FIRST_OF_PENALTY).
 */
static void
claim_first(struct urec *u, const struct http_exchange *x, uint64_t id)
{
	int64_t ready = x->ready_us > x->start_us ? x->ready_us : x->start_us;

	if (u->conn_only && !u->end_unsure && u->start_us >= ready - EPS_US &&
	    u->start_us - ready <= TURN_TICK_US)
		u->first_of = id;
}

/* Release the held requests due by now (hold_us after their answer). */
static int
release_due(struct wire_join *j)
{
	struct drec *d;

	while ((d = j->dhead) != NULL && d->x.end_us + j->o.hold_us <=
	    j->now_us)
		if (release(j, d) != 0)
			return -1;
	return 0;
}

/* See wire_join.h. */
int
wire_join_add(struct wire_join *j, const struct http_exchange *x)
{
	/*
	 * What is due is decided before the clock moves on: adding expires
	 * the records older than 2 * hold_us (expire_up), and the capture
	 * advances the join only every so many packets (seconds apart when
	 * the traffic is light), so a request released at the next advance
	 * could find the upstream records of its own time gone.
	 */
	if (x->end_us > j->now_us) {
		j->now_us = x->end_us;
		if (release_due(j) != 0)
			return -1;
	}
	return x->downstream ? add_downstream(j, x) : add_upstream(j, x);
}

/* See wire_join.h. */
int
wire_join_advance(struct wire_join *j, int64_t now_us)
{
	if (now_us > j->now_us)
		j->now_us = now_us;
	if (release_due(j) != 0)
		return -1;
	expire_up(j);
	return 0;
}

/* See wire_join.h. */
int
wire_join_flush(struct wire_join *j)
{
	while (j->dhead != NULL)
		if (release(j, j->dhead) != 0)
			return -1;
	while (j->age_head != NULL) {
		j->stats.upstream_untied++;
		urec_free(j, j->age_head);
	}
	return 0;
}

/* See wire_join.h. */
void
wire_join_stats(const struct wire_join *j, struct wire_join_stats *s)
{
	*s = j->stats;
}

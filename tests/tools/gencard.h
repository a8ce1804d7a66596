/*
 * gencard.h - the production-cardinality traffic model that the benchmark
 * generators share (genlog for nginx, genfmtlog for HAProxy and Caddy), so
 * every format carries the same variety of values.
 *
 * A real public site's log holds hundreds of thousands of client addresses
 * (crawlers, mobile carriers; some IPv6) and paths (numeric ids, UUIDs) per
 * million lines, with query strings whose keys vary. Values are drawn from
 * pools: a fifth of the draws from a small skewed "hot" set, the rest
 * uniformly from the whole pool, so distinct values grow with the log's size
 * as they do in production. Each value is a pure function of its index in
 * the pool: same knobs and seed, same bytes.
 *
 * Header-only (static functions): the tools are one .c file each.
 */
#ifndef GW_GENCARD_H
#define GW_GENCARD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The knobs, with the defaults (gencard_defaults). */
struct gencard {
	uint64_t s;		/* xorshift64 state */
	unsigned clients;	/* client address pool */
	unsigned v6_permille;	/* share of IPv6 addresses in the pool */
	unsigned ids;		/* numeric id / UUID pool per route */
	unsigned uas;		/* user agents */
	unsigned hosts;		/* Host names (0: none logged) */
	unsigned upstreams;	/* upstream servers */
};

static void
gencard_defaults(struct gencard *c)
{
	c->s = 0x2545f4914f6cdd1dull;
	c->clients = 4000000;	/* ~720k distinct in 1M lines */
	c->v6_permille = 100;
	c->ids = 200000;	/* ~390k distinct paths in 1M lines */
	c->uas = 200;
	c->hosts = 20;
	c->upstreams = 50;
}

/* Parse "-c N"-style knob value; exits on nonsense (a test tool). */
static unsigned
gencard_num(const char *v, const char *what)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (*v == '\0' || *end != '\0' || n > 100000000ul) {
		fprintf(stderr, "bad %s: %s\n", what, v);
		exit(2);
	}
	return (unsigned)n;
}

static uint32_t
gencard_rand(struct gencard *c)
{
	c->s ^= c->s << 13;
	c->s ^= c->s >> 7;
	c->s ^= c->s << 17;
	return (uint32_t)(c->s >> 11);
}

/* splitmix64 finaliser: an index to well-spread bits. */
static uint64_t
gencard_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* An index into a pool of n: 20% from a skewed hot set, else uniform. */
static unsigned
gencard_pick(struct gencard *c, unsigned n)
{
	unsigned hot = n < 2000 ? n : 2000;

	if (n == 0)
		return 0;
	if (gencard_rand(c) % 5 == 0) {
		unsigned a = gencard_rand(c) % 45 + 1;

		return (a * a - 1) % hot;	/* skewed to the small ones */
	}
	return gencard_rand(c) % n;
}

/* A client address (text as nginx's $remote_addr writes it) into buf. */
static void
gencard_client(struct gencard *c, char *buf, size_t n)
{
	uint64_t h = gencard_mix(gencard_pick(c, c->clients) ^ 0xc11e47ull);

	if (h % 1000 < c->v6_permille) {
		unsigned g[6];

		for (int i = 0; i < 6; i++)
			g[i] = (unsigned)((h >> (8 * i + 10)) % 0xffff) + 1;
		snprintf(buf, n, "2a0%u:%x:%x:%x:%x:%x:%x:%x",
		    (unsigned)(h >> 60) % 9 + 1, g[0], g[1], g[2], g[3], g[4],
		    g[5], (unsigned)(h >> 3) % 0xfff + 1);
	} else {
		snprintf(buf, n, "%u.%u.%u.%u", (unsigned)(h >> 10) % 223 + 1,
		    (unsigned)(h >> 20) & 255, (unsigned)(h >> 30) & 255,
		    (unsigned)(h >> 40) & 255);
	}
}

/* A UUID made from pool index i. */
static void
gencard_uuid(unsigned i, char *buf, size_t n)
{
	uint64_t a = gencard_mix(i), b = gencard_mix(a);

	snprintf(buf, n, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
	    (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
	    (unsigned)(b >> 48 & 0x3fff) | 0x8000,
	    (unsigned long long)(b & 0xffffffffffffull));
}

/* Routes: text with %n (a numeric id) and %u (a UUID) holes. */
static const char *const gencard_routes[] = {
	"/", "/health", "/login", "/cart", "/checkout", "/search",
	"/static/app.js", "/static/app.css", "/favicon.ico", "/api/v1/profile",
	"/api/v1/users", "/api/v1/users/%n", "/api/v1/users/%n/orders",
	"/api/v1/orders/%u", "/api/v1/orders/%u/items/%n", "/api/v2/items/%n",
	"/products/%n", "/products/%n/reviews", "/media/img/%u.jpg",
	"/api/v1/sessions/%u", "/api/v2/search", "/feed/%n", "/u/%n/avatar.png",
	"/api/v1/carts/%u", "/blog/%n", "/api/v1/pay/%u/status",
};
#define GENCARD_N_ROUTES (sizeof(gencard_routes) / sizeof(gencard_routes[0]))

/* Query keys, some in two spellings as clients send them. */
static const char *const gencard_keys[] = {
	"id", "page", "limit", "offset", "q", "sort", "order", "userName",
	"username", "age", "lang", "ref", "utm_source", "utm_medium",
	"utm_campaign", "fields", "include", "since", "until", "format",
	"currency", "size", "color", "filter", "cursor", "v", "debug", "region",
};
#define GENCARD_N_KEYS (sizeof(gencard_keys) / sizeof(gencard_keys[0]))
static const char *const gencard_words[] = {
	"shoes", "red", "asc", "desc", "en", "de", "fr", "google", "mail",
	"spring", "json", "xml", "EUR", "USD", "XL", "m", "true", "",
};
#define GENCARD_N_WORDS (sizeof(gencard_words) / sizeof(gencard_words[0]))

/* A request target (path, then ?query about half the time) into buf. */
static void
gencard_target(struct gencard *c, char *buf, size_t n)
{
	const char *r = gencard_routes[gencard_rand(c) % GENCARD_N_ROUTES];
	unsigned id = gencard_pick(c, c->ids);
	size_t o = 0;
	char uuid[40];

	for (; *r != '\0' && o + 48 < n; r++) {
		if (r[0] == '%' && r[1] == 'n') {
			o += (size_t)snprintf(buf + o, n - o, "%u", id);
			r++;
		} else if (r[0] == '%' && r[1] == 'u') {
			gencard_uuid(id, uuid, sizeof(uuid));
			o += (size_t)snprintf(buf + o, n - o, "%s", uuid);
			r++;
		} else
			buf[o++] = *r;
	}
	buf[o] = '\0';
	if (gencard_rand(c) % 2 == 0)
		return;
	for (unsigned k = 0, nk = gencard_rand(c) % 3 + 1; k < nk; k++) {
		const char *key = gencard_keys[gencard_rand(c) % GENCARD_N_KEYS];
		unsigned v = gencard_rand(c);

		if (o + 64 >= n)
			break;
		if (v % 3 == 0)
			o += (size_t)snprintf(buf + o, n - o, "%c%s=%s",
			    k ? '&' : '?', key,
			    gencard_words[(v >> 2) % GENCARD_N_WORDS]);
		else
			o += (size_t)snprintf(buf + o, n - o, "%c%s=%u",
			    k ? '&' : '?', key, (v >> 2) % 1000);
	}
}

/* One of the pool's user agents, skewed towards the first. */
static void
gencard_ua(struct gencard *c, char *buf, size_t n)
{
	static const char *const os[] = {
		"Windows NT 10.0; Win64; x64", "X11; Linux x86_64",
		"Macintosh; Intel Mac OS X 10_15_7",
		"iPhone; CPU iPhone OS 17_1 like Mac OS X",
		"Linux; Android 14; Pixel 8",
	};
	unsigned a = gencard_rand(c) % (c->uas ? c->uas : 1);
	unsigned i = a * (gencard_rand(c) % 2) ;	/* half to the low ones */

	if (i % 10 == 9)
		snprintf(buf, n, "Mozilla/5.0 (compatible; bot%u/2.1; "
		    "+http://example.com/bot.html)", i);
	else
		snprintf(buf, n, "Mozilla/5.0 (%s) AppleWebKit/537.36 "
		    "(KHTML, like Gecko) Chrome/%u.0.0.0 Safari/537.36",
		    os[i % 5], 90 + i / 10);
}

/* One of the Host names. */
static void
gencard_host(struct gencard *c, char *buf, size_t n)
{
	unsigned i = gencard_rand(c) % (c->hosts ? c->hosts : 1);

	if (i == 0)
		snprintf(buf, n, "www.example.com");
	else
		snprintf(buf, n, "app%u.example.com", i);
}

/* Upstream server i as "ip:port". */
static void
gencard_upstream(unsigned i, char *buf, size_t n)
{
	snprintf(buf, n, "10.0.%u.%u:%u", i / 8 + 1, i % 8 + 1,
	    i % 3 == 0 ? 8080 : i % 3 == 1 ? 9000 : 80);
}

#endif

/*
 * genlog.c - a deterministic nginx access log in gatewatch's "upstream"
 * format, for the benchmark and for tests that need volume.
 *
 *   genlog LINES [SEED [STEP_MS START]] > access.log
 *   genlog -P [-c CLIENTS] [-6 PERMILLE] [-i IDS] [-a UAS] [-H HOSTS]
 *          [-u UPSTREAMS] LINES [SEED] > access.log
 *
 * Without options: the low-cardinality log the tests use (below). -P, or
 * any knob, gives the production-cardinality profile of gencard.h (issue
 * 11's defaults: pools of 4M clients with 10% IPv6 - ~720k distinct in 1M
 * lines -, 200k ids per route - ~390k distinct paths, UUIDs, query strings
 * with varied keys -, 200 user agents, 20 hosts, 50 upstreams), with the
 * same mix of outcomes; with HOSTS > 0 each line ends in " host=NAME"
 * (log_format upstream + ' host=$host').
 *
 * About 5% of requests end in a 5xx spread over the failure kinds nginx
 * logs (refused 502, read timeout 504, upstream 503, ...), about 2% are
 * retried on a second server (`502, 200`), over eight upstreams and a few
 * dozen routes with query strings; about 20,000 clients and 30,000 ids,
 * skewed so that some repeat often. Times advance ~2 ms per line from
 * 2026-11-25 00:00:00 +0000; with STEP_MS and START (epoch seconds), from
 * START, STEP_MS (plus 0-4 ms) per line, to spread a log over weeks for
 * the retention tests. Same arguments, same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "tests/tools/gencard.h"

static uint64_t state = 88172645463325252ull;

static uint32_t
next_rand(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (uint32_t)(state >> 11);
}

static const char *const upstreams[] = {
	"10.0.1.1:8080", "10.0.1.2:8080", "10.0.1.3:8080", "10.0.2.1:9000",
	"10.0.2.2:9000", "10.0.3.1:80", "[2001:db8::7]:8443", "10.0.4.9:3000",
};
/* A route is a prefix, then (when with_id) a number, then a suffix. */
static const struct {
	const char *prefix;
	int with_id;
	const char *suffix;
} paths[] = {
	{"/api/v1/users", 0, ""}, {"/api/v1/users/", 1, ""},
	{"/api/v1/orders", 0, ""}, {"/api/v1/orders/", 1, "/items"},
	{"/login", 0, ""}, {"/static/app.js", 0, ""}, {"/health", 0, ""},
	{"/api/v2/search", 0, ""}, {"/api/v2/items/", 1, ""}, {"/cart", 0, ""},
	{"/checkout", 0, ""}, {"/api/v1/profile", 0, ""},
};
/* A query is a text, then (when with_id) a number. */
static const struct {
	const char *text;
	int with_id;
} queries[] = {
	{"", 0}, {"?id=", 1}, {"?username=alice&age=", 1}, {"?userName=bob&age=", 0},
	{"?q=shoes&page=", 1}, {"?limit=20&offset=", 1}, {"", 0}, {"", 0},
};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/*
 * The low-cardinality log (about 20,000 clients, a few dozen routes), from
 * start_ms on, each line step_ms (plus 0-4 ms) after the last.
 */
static void
gen_low(unsigned long long lines, int64_t step_ms, int64_t start_ms)
{
	int64_t t_ms = start_ms;

	for (unsigned long long i = 0; i < lines; i++) {
		t_ms += step_ms + next_rand() % 5;
		time_t secs = (time_t)(t_ms / 1000);
		struct tm tm;
		gmtime_r(&secs, &tm);
		uint32_t r = next_rand();
		unsigned up = r % 8;
		unsigned pi = (r >> 3) % 12, qi = (r >> 7) % 8;
		/* Clients and ids repeat, skewed, as real traffic does. */
		unsigned client = (next_rand() % 200) * (next_rand() % 100);
		unsigned id = (next_rand() % 150) * (next_rand() % 200);
		char target[256], pid[16] = "", qid[16] = "";
		if (paths[pi].with_id)
			snprintf(pid, sizeof(pid), "%u", id);
		if (queries[qi].with_id)
			snprintf(qid, sizeof(qid), "%u", id % 90);
		snprintf(target, sizeof(target), "%s%s%s%s%s", paths[pi].prefix,
		    pid, paths[pi].suffix, queries[qi].text, qid);
		unsigned roll = next_rand() % 1000;
		int status = 200;
		char uaddr[128], ustatus[64], uct[64], uht[64], urt[64];
		double rt = (next_rand() % 300) / 1000.0;
		snprintf(uaddr, sizeof(uaddr), "%s", upstreams[up]);
		snprintf(ustatus, sizeof(ustatus), "200");
		snprintf(uct, sizeof(uct), "0.00%u", next_rand() % 10);
		snprintf(uht, sizeof(uht), "%.3f", rt);
		snprintf(urt, sizeof(urt), "%.3f", rt);
		if (roll < 15) {		/* refused */
			status = 502;
			snprintf(ustatus, sizeof(ustatus), "502");
			snprintf(uct, sizeof(uct), "-");
			snprintf(uht, sizeof(uht), "-");
			snprintf(urt, sizeof(urt), "0.000");
			rt = 0.0;
		} else if (roll < 25) {		/* read timeout */
			status = 504;
			snprintf(ustatus, sizeof(ustatus), "504");
			snprintf(uht, sizeof(uht), "-");
			snprintf(urt, sizeof(urt), "60.001");
			rt = 60.001;
		} else if (roll < 40) {		/* upstream's own 503 / 500 */
			status = roll < 33 ? 503 : 500;
			snprintf(ustatus, sizeof(ustatus), "%d", status);
		} else if (roll < 50) {		/* closed early / reset */
			status = 502;
			snprintf(ustatus, sizeof(ustatus), "502");
			snprintf(uht, sizeof(uht), "-");
		} else if (roll < 70) {		/* retried: 502, 200 */
			unsigned up2 = (up + 1) % 8;
			snprintf(uaddr, sizeof(uaddr), "%s, %s", upstreams[up],
			    upstreams[up2]);
			snprintf(ustatus, sizeof(ustatus), "502, 200");
			snprintf(uct, sizeof(uct), "-, 0.001");
			snprintf(uht, sizeof(uht), "-, %.3f", rt);
			snprintf(urt, sizeof(urt), "0.000, %.3f", rt);
		} else if (roll < 75) {		/* client went away */
			status = 499;
		} else if (roll < 80) {		/* rate limited, no upstream */
			status = 429;
			snprintf(uaddr, sizeof(uaddr), "-");
			snprintf(ustatus, sizeof(ustatus), "-");
			snprintf(uct, sizeof(uct), "-");
			snprintf(uht, sizeof(uht), "-");
			snprintf(urt, sizeof(urt), "-");
		}
		printf("10.%u.%u.%u - - [%02d/%s/%04d:%02d:%02d:%02d +0000] "
		    "\"%s %s HTTP/1.1\" %d %u \"-\" \"Mozilla/5.0 (X11; Linux "
		    "x86_64) bench/1.0\" rt=%.3f uaddr=\"%s\" us=\"%s\" uct=\"%s\" "
		    "uht=\"%s\" urt=\"%s\" rid=%08x%08x%08x%08x\n",
		    (client >> 16) & 255, (client >> 8) & 255, client & 255,
		    tm.tm_mday,
		    months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		    tm.tm_sec, (roll % 7) ? "GET" : "POST", target, status,
		    status == 200 ? 512 + id % 4096 : 157, rt, uaddr, ustatus, uct,
		    uht, urt, next_rand(), next_rand(), next_rand(), next_rand());
	}
}

/* Outcome of one request, as the upstream fields write it. */
struct outcome {
	int status;
	char uaddr[128], ustatus[64], uct[64], uht[64], urt[64];
	double rt;
};

/* Draw an outcome with the same mix as gen_low: ~5% 5xx, ~2% retried. */
static void
outcome_draw(struct gencard *c, struct outcome *o)
{
	unsigned roll = gencard_rand(c) % 1000;
	unsigned up = gencard_rand(c) % c->upstreams;
	char a[48], b[48];

	o->status = 200;
	o->rt = (gencard_rand(c) % 300) / 1000.0;
	gencard_upstream(up, a, sizeof(a));
	snprintf(o->uaddr, sizeof(o->uaddr), "%s", a);
	snprintf(o->ustatus, sizeof(o->ustatus), "200");
	snprintf(o->uct, sizeof(o->uct), "0.00%u", gencard_rand(c) % 10);
	snprintf(o->uht, sizeof(o->uht), "%.3f", o->rt);
	snprintf(o->urt, sizeof(o->urt), "%.3f", o->rt);
	if (roll < 15) {			/* refused */
		o->status = 502;
		snprintf(o->ustatus, sizeof(o->ustatus), "502");
		snprintf(o->uct, sizeof(o->uct), "-");
		snprintf(o->uht, sizeof(o->uht), "-");
		snprintf(o->urt, sizeof(o->urt), "0.000");
		o->rt = 0.0;
	} else if (roll < 25) {			/* read timeout */
		o->status = 504;
		snprintf(o->ustatus, sizeof(o->ustatus), "504");
		snprintf(o->uht, sizeof(o->uht), "-");
		snprintf(o->urt, sizeof(o->urt), "60.001");
		o->rt = 60.001;
	} else if (roll < 40) {			/* upstream's own 503 / 500 */
		o->status = roll < 33 ? 503 : 500;
		snprintf(o->ustatus, sizeof(o->ustatus), "%d", o->status);
	} else if (roll < 50) {			/* closed early / reset */
		o->status = 502;
		snprintf(o->ustatus, sizeof(o->ustatus), "502");
		snprintf(o->uht, sizeof(o->uht), "-");
	} else if (roll < 70) {			/* retried: 502, 200 */
		gencard_upstream((up + 1) % c->upstreams, b, sizeof(b));
		snprintf(o->uaddr, sizeof(o->uaddr), "%s, %s", a, b);
		snprintf(o->ustatus, sizeof(o->ustatus), "502, 200");
		snprintf(o->uct, sizeof(o->uct), "-, 0.001");
		snprintf(o->uht, sizeof(o->uht), "-, %.3f", o->rt);
		snprintf(o->urt, sizeof(o->urt), "0.000, %.3f", o->rt);
	} else if (roll < 75) {			/* client went away */
		o->status = 499;
	} else if (roll < 80) {			/* rate limited, no upstream */
		o->status = 429;
		snprintf(o->uaddr, sizeof(o->uaddr), "-");
		snprintf(o->ustatus, sizeof(o->ustatus), "-");
		snprintf(o->uct, sizeof(o->uct), "-");
		snprintf(o->uht, sizeof(o->uht), "-");
		snprintf(o->urt, sizeof(o->urt), "-");
	}
}

/* The production-cardinality log (gencard.h). */
static void
gen_prod(struct gencard *c, unsigned long long lines)
{
	static const char *const methods[] = {"GET", "GET", "GET", "GET",
		"GET", "POST", "GET", "PUT", "GET", "DELETE", "HEAD", "GET"};
	int64_t t_ms = 1795564800000LL;	/* 2026-11-25T00:00:00Z */
	char client[64], target[512], ua[160], host[64];
	struct outcome o;

	for (unsigned long long i = 0; i < lines; i++) {
		time_t secs;
		struct tm tm;

		t_ms += gencard_rand(c) % 3;
		secs = (time_t)(t_ms / 1000);
		gmtime_r(&secs, &tm);
		gencard_client(c, client, sizeof(client));
		gencard_target(c, target, sizeof(target));
		gencard_ua(c, ua, sizeof(ua));
		outcome_draw(c, &o);
		printf("%s - - [%02d/%s/%04d:%02d:%02d:%02d +0000] "
		    "\"%s %s HTTP/1.1\" %d %u \"-\" \"%s\" rt=%.3f "
		    "uaddr=\"%s\" us=\"%s\" uct=\"%s\" uht=\"%s\" "
		    "urt=\"%s\" rid=%08x%08x%08x%08x", client, tm.tm_mday,
		    months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		    tm.tm_sec, methods[gencard_rand(c) % 12], target, o.status,
		    o.status == 200 ? 512 + gencard_rand(c) % 40960 : 157, ua,
		    o.rt, o.uaddr, o.ustatus, o.uct, o.uht, o.urt,
		    gencard_rand(c), gencard_rand(c), gencard_rand(c),
		    gencard_rand(c));
		if (c->hosts > 0) {
			gencard_host(c, host, sizeof(host));
			printf(" host=%s", host);
		}
		putchar('\n');
	}
}

int
main(int argc, char **argv)
{
	static char buf[1 << 16];
	struct gencard c;
	int prod = 0, opt;

	gencard_defaults(&c);
	while ((opt = getopt(argc, argv, "Pc:6:i:a:H:u:")) != -1) {
		prod = 1;
		switch (opt) {
		case 'P': break;
		case 'c': c.clients = gencard_num(optarg, "clients"); break;
		case '6': c.v6_permille = gencard_num(optarg, "IPv6 permille");
			break;
		case 'i': c.ids = gencard_num(optarg, "ids"); break;
		case 'a': c.uas = gencard_num(optarg, "user agents"); break;
		case 'H': c.hosts = gencard_num(optarg, "hosts"); break;
		case 'u': c.upstreams = gencard_num(optarg, "upstreams"); break;
		default: goto usage;
		}
	}
	if (optind >= argc || c.clients == 0 || c.upstreams == 0)
		goto usage;
	unsigned long long lines = strtoull(argv[optind], NULL, 10);
	if (optind + 1 < argc) {
		uint64_t seed = strtoull(argv[optind + 1], NULL, 10);

		state ^= seed * 0x9e3779b97f4a7c15ull;
		c.s ^= seed * 0x9e3779b97f4a7c15ull;
	}
	int64_t step_ms = 0, start_ms = 1795564800000LL; /* 2026-11-25T00:00Z */
	if (optind + 3 < argc) {
		step_ms = strtoll(argv[optind + 2], NULL, 10);
		start_ms = strtoll(argv[optind + 3], NULL, 10) * 1000;
	}
	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	if (prod)
		gen_prod(&c, lines);
	else
		gen_low(lines, step_ms, start_ms);
	return 0;
usage:
	fprintf(stderr, "usage: genlog [-P] [-c CLIENTS] [-6 PERMILLE] "
	    "[-i IDS] [-a UAS] [-H HOSTS] [-u UPSTREAMS] LINES "
	    "[SEED [STEP_MS START]]\n");
	return 2;
}

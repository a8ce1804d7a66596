/*
 * genfmtlog.c - deterministic HAProxy and Caddy logs for the benchmark of
 * the gateway formats (bench/formats.sh).
 *
 *   genfmtlog [-P KNOBS] haproxy LINES [SEED] > haproxy.log
 *   genfmtlog [-P KNOBS] caddy LINES [SEED] > caddy.log
 *
 * -P, or any knob of genlog (-c CLIENTS -6 PERMILLE -i IDS -a UAS -H HOSTS
 * -u UPSTREAMS), draws clients, request targets, user agents, hosts and
 * servers from the production-cardinality model of gencard.h instead of
 * the small sets below; the mix of outcomes stays the same.
 *
 * haproxy: `option httplog` lines in rsyslog form, eight backends/servers,
 * ~5% failures spread over the termination states (SC, sC, SH, sH, PH, ----
 * 503, SD), ~2% with retries; a few dozen routes with query strings; ~20,000
 * clients. caddy: Caddy 2.6 JSON, access lines in the shape Caddy writes
 * them (request headers included), ~5% preceded by the reverse proxy's
 * "upstream roundtrip" debug line with an error. Times advance ~2 ms per
 * line from 2026-11-25 00:00:00 UTC. Same arguments, same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/tools/gencard.h"

/* The production-cardinality model, or NULL for the small sets. */
static struct gencard *card;

/* xorshift64: the same sequence on every machine. */
static uint32_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

static const char *const servers[] = {
	"be_users/u1", "be_users/u2", "be_orders/o1", "be_orders/o2",
	"be_search/s1", "be_media/m1", "be_pay/p1", "be_auth/a1",
};
static const char *const addrs[] = {
	"10.0.1.1:8080", "10.0.1.2:8080", "10.0.2.1:9000", "10.0.2.2:9000",
	"10.0.3.1:80", "10.0.4.1:80", "10.0.5.1:8443", "10.0.6.1:3000",
};
/* A route: prefix, a number when with_id, suffix. */
static const struct {
	const char *prefix;
	int with_id;
	const char *suffix;
} paths[] = {
	{ "/api/v1/users", 0, "" }, { "/api/v1/users/", 1, "" },
	{ "/api/v1/orders/", 1, "/items" },
	{ "/api/v1/search?q=shoes&page=", 1, "" }, { "/media/img/", 1, ".jpg" },
	{ "/api/v1/users?userName=u", 1, "&age=42" },
	{ "/api/v1/pay/", 1, "/status" }, { "/health", 0, "" },
	{ "/api/v2/cart?session=s", 1, "" }, { "/static/app.js", 0, "" },
};

/* A failure kind: HAProxy state, status, timers pattern; Caddy error. */
static const struct failure {
	const char *state;
	int status;
	int tc_reached, tr_reached;
	const char *caddy_error;
	int caddy_status;
} failures[] = {
	{ "SC--", 503, 0, 0, ": connect: connection refused", 502 },
	{ "sC--", 503, 0, 0, ": i/o timeout", 502 },
	{ "SH--", 502, 1, 0, "EOF", 502 },
	{ "sH--", 504, 1, 0, "net/http: timeout awaiting response headers",
	  504 },
	{ "PH--", 502, 1, 1, "net/http: HTTP/1.x transport connection "
	  "broken: malformed HTTP response \\\"HELLO\\\"", 502 },
	{ "----", 503, 1, 1, NULL, 503 },
	{ "SD--", 200, 1, 1, NULL, 200 },
};
#define N_FAILURES (sizeof(failures) / sizeof(failures[0]))

/* Print a path of the route table into buf. */
static void
path_of(uint64_t *s, char *buf, size_t n)
{
	size_t i = rnd(s) % (sizeof(paths) / sizeof(paths[0]));
	unsigned id = rnd(s) % 30000;

	if (paths[i].with_id)
		snprintf(buf, n, "%s%u%s", paths[i].prefix, id, paths[i].suffix);
	else
		snprintf(buf, n, "%s%s", paths[i].prefix, paths[i].suffix);
}

/* Civil date of a UTC time (seconds) into the given fields. */
static void
civil(int64_t t, int *y, int *mo, int *d, int *h, int *mi, int *sec)
{
	int64_t days = t / 86400, rem = t % 86400;
	int64_t z = days + 719468, era = z / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*mo = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*mo <= 2));
	*h = (int)(rem / 3600);
	*mi = (int)(rem % 3600 / 60);
	*sec = (int)(rem % 60);
}

static void
gen_haproxy(long lines, uint64_t s)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t ms = INT64_C(1795564800000);	/* 2026-11-25 00:00:00 UTC */
	char path[512], client[64], server[32];

	for (long i = 0; i < lines; i++) {
		int y, mo, d, h, mi, sec, srv = (int)(rnd(&s) % 8);
		uint32_t r = rnd(&s) % 1000, client_n = rnd(&s) % 20000;
		int tq = (int)(rnd(&s) % 3), tc = (int)(rnd(&s) % 4);
		int tr = (int)(rnd(&s) % 80), retries = 0, status = 200;
		const char *state = "----";
		long bytes = 200 + (long)(rnd(&s) % 4000);

		ms += 1 + rnd(&s) % 3;
		civil(ms / 1000, &y, &mo, &d, &h, &mi, &sec);
		path_of(&s, path, sizeof(path));
		if (r < 50) {
			const struct failure *f = &failures[r % N_FAILURES];

			state = f->state;
			status = f->status;
			if (!f->tc_reached)
				tc = -1;
			if (!f->tr_reached)
				tr = -1;
			if (r % N_FAILURES == 0)
				retries = 3;
			bytes = 217;
		} else if (r < 70) {
			retries = 1;
		}
		snprintf(client, sizeof(client), "10.%u.%u.%u",
		    client_n >> 16 & 255, client_n >> 8 & 255, client_n & 255);
		snprintf(server, sizeof(server), "%s", servers[srv]);
		if (card != NULL) {
			unsigned u = gencard_rand(card) % card->upstreams;

			gencard_client(card, client, sizeof(client));
			gencard_target(card, path, sizeof(path));
			snprintf(server, sizeof(server), "be_%u/s%u", u / 4, u);
		}
		printf("%s %2d %02d:%02d:%02d lb1 haproxy[2412]: "
		    "%s:%u [%02d/%s/%04d:%02d:%02d:%02d.%03d] fe~ %s "
		    "%d/0/%d/%d/%d %d %ld - - %s 12/12/3/1/%d 0/0 "
		    "\"GET %s HTTP/1.1\"\n",
		    mon[mo - 1], d, h, mi, sec, client, 1024 + rnd(&s) % 60000,
		    d, mon[mo - 1], y, h, mi, sec, (int)(ms % 1000),
		    server, tq, tc, tr,
		    tq + (tc > 0 ? tc : 0) + (tr > 0 ? tr : 0) + 1, status,
		    bytes, state, retries, path);
	}
}

static void
gen_caddy(long lines, uint64_t s)
{
	int64_t ms = INT64_C(1795564800000);
	char path[512], err[256], client[64], host[64] = "api.example.com";
	char addr[48], ua[160] = "Mozilla/5.0 (X11; Linux x86_64)";

	for (long i = 0; i < lines; i++) {
		uint32_t r = rnd(&s) % 1000, client_n = rnd(&s) % 20000;
		unsigned port = 1024 + rnd(&s) % 60000;
		int srv = (int)(rnd(&s) % 8), status = 200;
		double dur = (double)(rnd(&s) % 80000) / 1e6;
		char req[1024];

		ms += 1 + rnd(&s) % 3;
		path_of(&s, path, sizeof(path));
		snprintf(client, sizeof(client), "10.%u.%u.%u",
		    client_n >> 16 & 255, client_n >> 8 & 255, client_n & 255);
		snprintf(addr, sizeof(addr), "%s", addrs[srv]);
		if (card != NULL) {
			gencard_client(card, client, sizeof(client));
			gencard_target(card, path, sizeof(path));
			gencard_host(card, host, sizeof(host));
			gencard_ua(card, ua, sizeof(ua));
			gencard_upstream(gencard_rand(card) % card->upstreams,
			    addr, sizeof(addr));
		}
		snprintf(req, sizeof(req), "\"request\":{\"remote_ip\":"
		    "\"%s\",\"remote_port\":\"%u\",\"proto\":"
		    "\"HTTP/1.1\",\"method\":\"GET\",\"host\":"
		    "\"%s\",\"uri\":\"%s\",\"headers\":{"
		    "\"User-Agent\":[\"%s\"],"
		    "\"Accept\":[\"*/*\"],\"Accept-Encoding\":[\"gzip\"]}}",
		    client, port, host, path, ua);
		if (r < 50 && i + 1 < lines) {
			const struct failure *f = &failures[r % N_FAILURES];

			status = f->caddy_status;
			if (f->caddy_error != NULL) {
				if (f->caddy_error[0] == ':')
					snprintf(err, sizeof(err), "dial tcp %s%s",
					    addr, f->caddy_error);
				else
					snprintf(err, sizeof(err), "%s",
					    f->caddy_error);
				printf("{\"level\":\"debug\",\"ts\":%lld.%03d,"
				    "\"logger\":\"http.handlers.reverse_proxy\","
				    "\"msg\":\"upstream roundtrip\",\"upstream\":"
				    "\"%s\",\"duration\":%.6f,%s,\"error\":"
				    "\"%s\"}\n", (long long)(ms / 1000),
				    (int)(ms % 1000), addr, dur, req, err);
				i++;
			}
		}
		printf("{\"level\":\"info\",\"ts\":%lld.%03d,\"logger\":"
		    "\"http.log.access.log0\",\"msg\":\"handled request\",%s,"
		    "\"user_id\":\"\",\"duration\":%.6f,\"size\":%u,"
		    "\"status\":%d,\"resp_headers\":{\"Server\":[\"Caddy\"],"
		    "\"Content-Type\":[\"application/json\"]}}\n",
		    (long long)(ms / 1000), (int)(ms % 1000), req, dur,
		    200 + rnd(&s) % 4000, status);
	}
}

int
main(int argc, char **argv)
{
	long lines;
	uint64_t seed = 88172645463325252ull;
	static struct gencard model;
	int opt;

	gencard_defaults(&model);
	while ((opt = getopt(argc, argv, "Pc:6:i:a:H:u:")) != -1) {
		card = &model;
		switch (opt) {
		case 'P': break;
		case 'c': model.clients = gencard_num(optarg, "clients"); break;
		case '6': model.v6_permille = gencard_num(optarg,
		    "IPv6 permille"); break;
		case 'i': model.ids = gencard_num(optarg, "ids"); break;
		case 'a': model.uas = gencard_num(optarg, "user agents"); break;
		case 'H': model.hosts = gencard_num(optarg, "hosts"); break;
		case 'u': model.upstreams = gencard_num(optarg, "upstreams");
			break;
		default: goto usage;
		}
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 3 || (lines = strtol(argv[2], NULL, 10)) <= 0 ||
	    model.clients == 0 || model.upstreams == 0)
		goto usage;
	if (argc > 3) {
		seed ^= strtoull(argv[3], NULL, 10);
		model.s ^= strtoull(argv[3], NULL, 10) * 0x9e3779b97f4a7c15ull;
	}
	if (strcmp(argv[1], "haproxy") == 0)
		gen_haproxy(lines, seed);
	else if (strcmp(argv[1], "caddy") == 0)
		gen_caddy(lines, seed);
	else {
		fprintf(stderr, "genfmtlog: unknown format %s\n", argv[1]);
		return 2;
	}
	return fflush(stdout) == 0 ? 0 : 1;
usage:
	fprintf(stderr, "usage: genfmtlog [-P] [-c CLIENTS] [-6 PERMILLE] "
	    "[-i IDS] [-a UAS] [-H HOSTS] [-u UPSTREAMS] haproxy|caddy LINES "
	    "[SEED]\n");
	return 2;
}

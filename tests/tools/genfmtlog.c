/*
 * genfmtlog.c - deterministic HAProxy and Caddy logs for the benchmark of
 * the gateway formats (bench/formats.sh).
 *
 *   genfmtlog [-P KNOBS] haproxy LINES [SEED] > haproxy.log
 *   genfmtlog [-P KNOBS] caddy LINES [SEED] > caddy.log
 *   genfmtlog [-P KNOBS] envoy LINES [SEED] > envoy.json.log
 *   genfmtlog [-P KNOBS] traefik LINES [SEED] > traefik.json.log
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
 * line from 2026-11-25 00:00:00 UTC. envoy: Istio's default JSON
 * access-log encoding (Envoy's operators in snake case), ~5% failures
 * over the %RESPONSE_FLAGS% of shared/causes.md (UF, UT, UH, UC, UAEX,
 * UF,URX) and the upstream's own 502, ~2% with two attempts. traefik:
 * Traefik's JSON access log (502/504 of its own, the service's 503, its
 * RateLimit's 429, retries). Same arguments, same bytes.
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

/* An Envoy failure: flags, status, code details, upstream chosen. */
static const struct {
	const char *flags;
	int status;
	const char *details;
	int has_host;
	int attempts;
} envoy_failures[] = {
	{ "UF", 503, "upstream_reset_before_response_started"
	  "{connection_failure}", 1, 1 },
	{ "UT", 504, "response_timeout", 1, 1 },
	{ "UH", 503, "no_healthy_upstream", 0, 1 },
	{ "UC", 503, "upstream_reset_before_response_started"
	  "{connection_termination}", 1, 1 },
	{ "-", 502, "via_upstream", 1, 1 },
	{ "UAEX", 403, "ext_authz_denied", 0, 1 },
	{ "UF,URX", 503, "upstream_reset_before_response_started"
	  "{connection_failure}", 1, 3 },
};
#define N_ENVOY_FAILURES (sizeof(envoy_failures) / sizeof(envoy_failures[0]))

/*
 * Istio's default JSON access-log encoding (meshConfig accessLogEncoding
 * JSON): Envoy's command operators named in snake case, numbers typed,
 * null when unset.
 */
static void
gen_envoy(long lines, uint64_t s)
{
	int64_t ms = INT64_C(1795564800000);
	char path[512], client[64], host[64] = "api.example.com";
	char addr[48], ua[160] = "Mozilla/5.0 (X11; Linux x86_64)";
	char upstream[64], id[40];

	for (long i = 0; i < lines; i++) {
		uint32_t r = rnd(&s) % 1000, client_n = rnd(&s) % 20000;
		int srv = (int)(rnd(&s) % 8), status = 200, attempts = 1;
		int dur = (int)(rnd(&s) % 80), y, mo, d, h, mi, sec;
		const char *flags = "-", *details = "via_upstream";
		int has_host = 1, v6;

		ms += 1 + rnd(&s) % 3;
		civil(ms / 1000, &y, &mo, &d, &h, &mi, &sec);
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
		if (r < 50) {
			unsigned k = r % N_ENVOY_FAILURES;

			flags = envoy_failures[k].flags;
			status = envoy_failures[k].status;
			details = envoy_failures[k].details;
			has_host = envoy_failures[k].has_host;
			attempts = envoy_failures[k].attempts;
		} else if (r < 70)
			attempts = 2;
		v6 = strchr(client, ':') != NULL;	/* Envoy: [addr]:port */
		snprintf(id, sizeof(id), "%08x-%04x-4%03x-a%03x-%08x%04x",
		    rnd(&s), rnd(&s) & 0xffff, rnd(&s) & 0xfff, rnd(&s) & 0xfff,
		    rnd(&s), rnd(&s) & 0xffff);
		if (has_host)
			snprintf(upstream, sizeof(upstream), "\"%s\"", addr);
		else
			snprintf(upstream, sizeof(upstream), "null");
		printf("{\"authority\":\"%s\",\"bytes_received\":0,"
		    "\"bytes_sent\":%u,\"connection_termination_details\":null,"
		    "\"downstream_local_address\":\"10.0.0.2:8080\","
		    "\"downstream_remote_address\":\"%s%s%s:%u\",\"duration\":%d,"
		    "\"method\":\"GET\",\"path\":\"%s\",\"protocol\":"
		    "\"HTTP/1.1\",\"request_id\":\"%s\","
		    "\"requested_server_name\":null,\"response_code\":%d,"
		    "\"response_code_details\":\"%s\",\"response_flags\":\"%s\","
		    "\"route_name\":\"default\",\"start_time\":"
		    "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\","
		    "\"upstream_cluster\":\"outbound|8080||api.default.svc."
		    "cluster.local\",\"upstream_host\":%s,"
		    "\"upstream_local_address\":%s,\"upstream_request_attempt_"
		    "count\":%d,\"upstream_service_time\":%s,"
		    "\"upstream_transport_failure_reason\":null,\"user_agent\":"
		    "\"%s\",\"x_forwarded_for\":null}\n",
		    host, status == 200 ? 200 + rnd(&s) % 4000 : 91,
		    v6 ? "[" : "", client, v6 ? "]" : "", 1024 + rnd(&s) % 60000, dur, path, id, status, details,
		    flags, y, mo, d, h, mi, sec, (int)(ms % 1000), upstream,
		    has_host ? "\"10.0.0.2:41234\"" : "null", attempts,
		    status == 200 ? "\"3\"" : "null", ua);
	}
}

/*
 * Traefik's JSON access log (logrus: members sorted by name, Duration and
 * OriginDuration in ns, headers dropped as by default); ~5% failures: 502
 * and 504 with OriginStatus 0 (Traefik's own answer), the service's 503,
 * a 429 of its RateLimit; ~2% retried.
 */
static void
gen_traefik(long lines, uint64_t s)
{
	int64_t ms = INT64_C(1795564800000);
	char path[512], client[64], host[64] = "api.example.com";
	char addr[48];

	for (long i = 0; i < lines; i++) {
		uint32_t r = rnd(&s) % 1000, client_n = rnd(&s) % 20000;
		int srv = (int)(rnd(&s) % 8), ds = 200, os = 200, retries = 0;
		int y, mo, d, h, mi, sec;
		unsigned port = 1024 + rnd(&s) % 60000, size;
		uint64_t odur = rnd(&s) % 80000000, dur = odur + rnd(&s) % 400000;
		int ns = (int)(rnd(&s) % 1000000);
		const char *lb, *rb;

		ms += 1 + rnd(&s) % 3;
		civil(ms / 1000, &y, &mo, &d, &h, &mi, &sec);
		path_of(&s, path, sizeof(path));
		snprintf(client, sizeof(client), "10.%u.%u.%u",
		    client_n >> 16 & 255, client_n >> 8 & 255, client_n & 255);
		snprintf(addr, sizeof(addr), "%s", addrs[srv]);
		if (card != NULL) {
			gencard_client(card, client, sizeof(client));
			gencard_target(card, path, sizeof(path));
			gencard_host(card, host, sizeof(host));
			gencard_upstream(gencard_rand(card) % card->upstreams,
			    addr, sizeof(addr));
		}
		if (r < 50) {
			static const int st[][2] = { { 502, 0 }, { 504, 0 },
			    { 503, 503 }, { 502, 0 }, { 429, 0 } };
			ds = st[r % 5][0];
			os = st[r % 5][1];
			if (r % 5 == 3)
				retries = 2;
		} else if (r < 70)
			retries = 1;
		size = ds == 200 ? 200 + rnd(&s) % 4000 : 11;
		/* Go's net.JoinHostPort: [addr]:port for IPv6 */
		lb = strchr(client, ':') != NULL ? "[" : "";
		rb = *lb ? "]" : "";
		if (ds == 429)
			printf("{\"ClientAddr\":\"%s%s%s:%u\",\"ClientHost\":\"%s\","
			    "\"ClientPort\":\"%u\",\"ClientUsername\":\"-\","
			    "\"DownstreamContentSize\":17,\"DownstreamStatus\":"
			    "429,\"Duration\":%llu,\"OriginContentSize\":0,"
			    "\"OriginDuration\":0,\"OriginStatus\":0,"
			    "\"Overhead\":%llu,\"RequestAddr\":\"%s\","
			    "\"RequestContentSize\":0,\"RequestCount\":%ld,"
			    "\"RequestHost\":\"%s\",\"RequestMethod\":\"GET\","
			    "\"RequestPath\":\"%s\",\"RequestPort\":\"-\","
			    "\"RequestProtocol\":\"HTTP/1.1\",\"RequestScheme\":"
			    "\"http\",\"RetryAttempts\":0,\"RouterName\":"
			    "\"api@docker\",\"StartLocal\":\"%04d-%02d-%02dT"
			    "%02d:%02d:%02d.%03d%06dZ\",\"StartUTC\":\"%04d-%02d-"
			    "%02dT%02d:%02d:%02d.%03d%06dZ\",\"entryPointName\":"
			    "\"web\",\"level\":\"info\",\"msg\":\"\",\"time\":"
			    "\"%04d-%02d-%02dT%02d:%02d:%02dZ\"}\n", lb, client, rb,
			    port, client, port, (unsigned long long)(dur - odur),
			    (unsigned long long)(dur - odur), host, i + 1, host,
			    path, y, mo, d, h, mi, sec, (int)(ms % 1000), ns, y,
			    mo, d, h, mi, sec, (int)(ms % 1000), ns, y, mo, d, h,
			    mi, sec);
		else
			printf("{\"ClientAddr\":\"%s%s%s:%u\",\"ClientHost\":\"%s\","
			    "\"ClientPort\":\"%u\",\"ClientUsername\":\"-\","
			    "\"DownstreamContentSize\":%u,\"DownstreamStatus\":%d,"
			    "\"Duration\":%llu,\"OriginContentSize\":%u,"
			    "\"OriginDuration\":%llu,\"OriginStatus\":%d,"
			    "\"Overhead\":%llu,\"RequestAddr\":\"%s\","
			    "\"RequestContentSize\":0,\"RequestCount\":%ld,"
			    "\"RequestHost\":\"%s\",\"RequestMethod\":\"GET\","
			    "\"RequestPath\":\"%s\",\"RequestPort\":\"-\","
			    "\"RequestProtocol\":\"HTTP/1.1\",\"RequestScheme\":"
			    "\"http\",\"RetryAttempts\":%d,\"RouterName\":"
			    "\"api@docker\",\"ServiceAddr\":\"%s\",\"ServiceName\":"
			    "\"api@docker\",\"ServiceURL\":\"http://%s\","
			    "\"StartLocal\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03d"
			    "%06dZ\",\"StartUTC\":\"%04d-%02d-%02dT%02d:%02d:"
			    "%02d.%03d%06dZ\",\"entryPointName\":\"web\","
			    "\"level\":\"info\",\"msg\":\"\",\"time\":\"%04d-%02d-"
			    "%02dT%02d:%02d:%02dZ\"}\n", lb, client, rb, port, client,
			    port,
			    size, ds, (unsigned long long)dur, os ? size : 0,
			    (unsigned long long)odur, os,
			    (unsigned long long)(dur - odur), host, i + 1, host,
			    path, retries, addr, addr, y, mo, d, h, mi, sec,
			    (int)(ms % 1000), ns, y, mo, d, h, mi, sec,
			    (int)(ms % 1000), ns, y, mo, d, h, mi, sec);
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
	else if (strcmp(argv[1], "envoy") == 0)
		gen_envoy(lines, seed);
	else if (strcmp(argv[1], "traefik") == 0)
		gen_traefik(lines, seed);
	else {
		fprintf(stderr, "genfmtlog: unknown format %s\n", argv[1]);
		return 2;
	}
	return fflush(stdout) == 0 ? 0 : 1;
usage:
	fprintf(stderr, "usage: genfmtlog [-P] [-c CLIENTS] [-6 PERMILLE] "
	    "[-i IDS] [-a UAS] [-H HOSTS] [-u UPSTREAMS] "
	    "haproxy|caddy|envoy|traefik LINES "
	    "[SEED]\n");
	return 2;
}

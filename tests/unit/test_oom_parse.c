/*
 * test_oom_parse.c - out of memory in every parser, through the public
 * lineparse API (parse/lineparse.h), as SQLite's fault simulation does.
 *
 * For each fixture of tests/data (every registered format, the wrapped
 * ones, nginx access and error logs, a --log-format, a format found in an
 * nginx.conf, a --haproxy-cfg) and for n = 1, 2, ... the nth allocation
 * fails (core/alloc.h; the arena, growable arrays, malloc and PCRE2 all
 * count), once and then persistently:
 *   - lineparse_new() either decides what it decides without the fault or
 *     says "out of memory", never "unknown format" or another format;
 *   - lineparse_take() of each line either returns FORMAT_NOMEM or exactly what
 *     the line gives without the fault (never a reject, never a partial or
 *     other record), and the same parser takes the line normally after;
 *   - nothing leaks (make check's sanitizer pass runs this under LSan).
 * tests/unit/oom.h says how a walk goes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/batch.h"
#include "parse/lineparse.h"
#include "parse/logformat.h"
#include "tests/unit/lines.h"
#include "tests/unit/oom.h"

#define MAX_LINES 16	/* the first lines of each fixture are walked */
#define SUMMARY 4096

struct fixture {
	const char *path;
	struct lineparse_opts o;
};

static const char *
str(const char *s)
{
	return s != NULL ? s : "-";
}

/* Everything a take put in b, and its result, as text to compare. */
static void
summarize(const struct gw_batch *b, enum format_result r,
    const char *reason, char *out, size_t outlen)
{
	size_t k = 0;

#define PUT(...) do { \
	int w_ = snprintf(out + k, outlen - k, __VA_ARGS__); \
	assert_true(w_ >= 0 && (size_t)w_ < outlen - k); \
	k += (size_t)w_; \
} while (0)
	PUT("r=%d reason=%s;", (int)r, r == FORMAT_REJECT ? str(reason) : "");
	for (size_t i = 0; i < b->n_events; i++) {
		const struct gw_event *e = &b->events[i];
		PUT("E %lld %d %s %s %s %s %s %s %s %s %d %lld %d %d %s "
		    "n=%d:", (long long)e->ts_ms, e->tz_min, str(e->client),
		    str(e->method), str(e->host), str(e->path), str(e->query),
		    str(e->protocol), str(e->request_id), str(e->shape),
		    e->status, (long long)e->bytes, e->request_ms,
		    (int)e->cause, str(e->origin), e->n_attempts);
		for (int j = 0; j < e->n_attempts; j++) {
			const struct gw_attempt *a = &e->attempts[j];
			PUT(" %s/%d/%d/%d/%d/%d/%d", str(a->addr), a->status,
			    a->connect_ms, a->header_ms, a->response_ms,
			    a->group, (int)a->cause);
		}
		PUT(";");
	}
	for (size_t i = 0; i < b->n_errors; i++) {
		const struct gw_gateway_error *g = &b->errors[i];
		PUT("G %lld %d %lld %d %s %s %s %s %s %s %s %s;",
		    (long long)g->local_ms, g->level, (long long)g->conn,
		    (int)g->cause, str(g->message), str(g->client),
		    str(g->server), str(g->method), str(g->path),
		    str(g->query), str(g->upstream), str(g->host));
	}
	for (size_t i = 0; i < b->n_rejects; i++)
		PUT("R %s %zu;", str(b->rejects[i].reason),
		    b->rejects[i].raw_len);
#undef PUT
}

/* A parser for l, made without any fault. */
static struct lineparse *
parser(const struct fixture *fx, const struct lines *l)
{
	struct lineparse *lp = NULL;
	char err[512];

	if (lineparse_new(&fx->o, (const char *const *)l->v, l->len, l->n,
	    &lp, err, sizeof(err)) != 0)
		fail_msg("%s: %s", fx->path, err);
	return lp;
}

/* lineparse_new() under every fault. */
static void
walk_new(const struct fixture *fx, const struct lines *l)
{
	struct lineparse *ref = parser(fx, l);

	for (int persistent = 0; persistent < 2; persistent++) {
		for (long n = 1;; n++) {
			struct lineparse *lp = NULL;
			char err[512] = "";
			int rc;
			unsigned long hit;

			assert_true(n < OOM_N_MAX);
			gw_fault_install(n, persistent);
			rc = lineparse_new(&fx->o, (const char *const *)l->v,
			    l->len, l->n, &lp, err, sizeof(err));
			hit = gw_fault_uninstall();
			if (rc == 0) {
				if (strcmp(lineparse_kind(lp),
				    lineparse_kind(ref)) != 0 ||
				    strcmp(lineparse_format(lp),
				    lineparse_format(ref)) != 0)
					fail_msg("%s: fault %ld%s: decided "
					    "%s/%s instead of %s/%s", fx->path,
					    n, persistent ? "+" : "",
					    lineparse_kind(lp),
					    lineparse_format(lp),
					    lineparse_kind(ref),
					    lineparse_format(ref));
				lineparse_free(lp);
			} else if (strstr(err, "out of memory") == NULL) {
				fail_msg("%s: fault %ld%s: \"%s\" instead of "
				    "out of memory", fx->path, n,
				    persistent ? "+" : "", err);
			}
			if (hit == 0) {
				assert_int_equal(rc, 0);
				break;
			}
		}
	}
	lineparse_free(ref);
}

/* What each line gives, taken in order by one parser without faults. */
static void
reference(const struct fixture *fx, const struct lines *l,
    char ref[][SUMMARY], enum format_result *res)
{
	struct lineparse *lp = parser(fx, l);
	struct gw_batch b;

	assert_int_equal(batch_init(&b), 0);
	for (size_t i = 0; i < l->n; i++) {
		const char *reason = NULL;
		res[i] = lineparse_take(lp, &b, l->v[i], l->len[i], false,
		    i + 1, i * 100, &reason);
		assert_int_not_equal(res[i], FORMAT_NOMEM);
		summarize(&b, res[i], reason, ref[i], SUMMARY);
		batch_clear(&b);
	}
	batch_destroy(&b);
	lineparse_free(lp);
}

/* lineparse_take() of line i under every fault, lines before it taken. */
static void
walk_take(const struct fixture *fx, const struct lines *l, size_t i,
    char ref[][SUMMARY], const enum format_result *res)
{
	/* a partial record (of any stream) joins later lines: retaking one
	 * of them alone differs */
	bool joined = false;

	for (size_t j = 0; j <= i; j++)
		joined = joined || res[j] == FORMAT_HELD;

	for (int persistent = 0; persistent < 2; persistent++) {
		for (long n = 1;; n++) {
			struct lineparse *lp = parser(fx, l);
			struct gw_batch b;
			const char *reason = NULL;
			enum format_result r;
			unsigned long hit;
			char got[SUMMARY];

			assert_true(n < OOM_N_MAX);
			assert_int_equal(batch_init(&b), 0);
			for (size_t j = 0; j < i; j++) {
				(void)lineparse_take(lp, &b, l->v[j],
				    l->len[j], false, j + 1, j * 100, &reason);
				batch_clear(&b);
			}
			reason = NULL;
			gw_fault_install(n, persistent);
			r = lineparse_take(lp, &b, l->v[i], l->len[i], false,
			    i + 1, i * 100, &reason);
			hit = gw_fault_uninstall();
			if (r != FORMAT_NOMEM) {
				summarize(&b, r, reason, got, sizeof(got));
				if (strcmp(got, ref[i]) != 0)
					fail_msg("%s line %zu, fault %ld%s:\n"
					    "  got  %s\n  want %s", fx->path,
					    i + 1, n, persistent ? "+" : "",
					    got, ref[i]);
			} else {
				assert_true(hit > 0);
				/* the parser works again without the fault */
				batch_clear(&b);
				reason = NULL;
				r = lineparse_take(lp, &b, l->v[i], l->len[i],
				    false, i + 1, i * 100, &reason);
				summarize(&b, r, reason, got, sizeof(got));
				if (!joined && strcmp(got, ref[i]) != 0)
					fail_msg("%s line %zu, after fault "
					    "%ld%s:\n  got  %s\n  want %s",
					    fx->path, i + 1, n,
					    persistent ? "+" : "", got,
					    ref[i]);
			}
			batch_destroy(&b);
			lineparse_free(lp);
			if (hit == 0)
				break;
		}
	}
}

static void
walk_fixture(const struct fixture *fx)
{
	struct lines l;
	static char ref[MAX_LINES][SUMMARY];
	enum format_result res[MAX_LINES];

	lines_read_first(fx->path, &l, MAX_LINES);
	assert_true(l.n > 0);
	walk_new(fx, &l);
	reference(fx, &l, ref, res);
	for (size_t i = 0; i < l.n; i++)
		walk_take(fx, &l, i, ref, res);
	lines_free(&l);
}

#define NOCONF "/nonexistent/nginx.conf"
#define F "tests/data/formats/"

static void
test_registered_formats(void **state)
{
	static const char *const files[] = {
		"alb", "apache-combined", "caddy", "clf", "envoy-json",
		"envoy", "haproxy", "traefik-json", "traefik",
	};
	char path[256];

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct fixture fx = { path, { .nginx_conf = NOCONF } };
		snprintf(path, sizeof(path), F "%s.log", files[i]);
		walk_fixture(&fx);
	}
}

static void
test_haproxy_cfg(void **state)
{
	struct fixture fx = { F "haproxy.log", { .nginx_conf = NOCONF,
	    .format = "haproxy", .haproxy_cfg = F "haproxy.cfg" } };

	(void)state;
	walk_fixture(&fx);
}

static void
test_wrapped(void **state)
{
	static const char *const files[] = {
		"beats-apache-vhost", "beats-haproxy",
		"beats-nginx-list-client", "beats-traefik", "haproxy-pri",
		"lnav-haproxy", "nginx-compose", "nginx-cri", "nginx-docker",
		"nginx-syslog", "traefik-journald",
	};
	char path[256];

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct fixture fx = { path, { .nginx_conf = NOCONF } };
		snprintf(path, sizeof(path), F "wrapped/%s.log", files[i]);
		walk_fixture(&fx);
	}
}

/* nginx: the built-in formats, the error log, a --log-format. */
static void
test_nginx(void **state)
{
	struct fixture access = { "tests/data/demo/access.log",
	    { .nginx_conf = NOCONF } };
	struct fixture error = { "tests/data/demo/error.log",
	    { .nginx_conf = NOCONF } };
	struct fixture user = { "tests/data/demo/access.log",
	    { .nginx_conf = NOCONF, .log_format = "$remote_addr - "
	    "$remote_user [$time_local] \"$request\" $status "
	    "$body_bytes_sent \"$http_referer\" \"$http_user_agent\" "
	    "rt=$request_time uaddr=\"$upstream_addr\" "
	    "us=\"$upstream_status\" uct=\"$upstream_connect_time\" "
	    "uht=\"$upstream_header_time\" urt=\"$upstream_response_time\" "
	    "rid=$request_id" } };
	struct fixture forced = { "tests/data/demo/access.log",
	    { .nginx_conf = NOCONF, .format = "upstream" } };

	(void)state;
	walk_fixture(&access);
	walk_fixture(&error);
	walk_fixture(&user);
	walk_fixture(&forced);
}

/*
 * A format only the gateway's nginx.conf knows: the fallback reads it.
 * before: log_format lines written ahead of it in the conf.
 */
static void
conf_fallback(const char *before)
{
	char conf[] = "/tmp/gw-oom-conf.XXXXXX", log[] = "/tmp/gw-oom-log.XXXXXX";
	int fd;
	FILE *f;

	assert_true((fd = mkstemp(conf)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	fprintf(f, "http {\n%s  log_format pipes '$remote_addr|$time_local|"
	    "$request|$status|$upstream_addr|$upstream_status|"
	    "$request_time';\n  access_log /x pipes;\n}\n", before);
	fclose(f);
	assert_true((fd = mkstemp(log)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	fprintf(f, "10.0.0.1|25/Nov/2026:10:00:00 +0000|GET /a?x=1 HTTP/1.1|"
	    "502|10.0.0.5:80, 10.0.0.6:80|502, 502|0.010\n"
	    "10.0.0.2|25/Nov/2026:10:00:01 +0000|POST /b HTTP/1.1|200|"
	    "10.0.0.5:80|200|0.001\n"
	    "10.0.0.3|25/Nov/2026:10:00:02 +0000|GET /c HTTP/1.1|504|"
	    "10.0.0.6:80|504|60.000\n");
	fclose(f);

	struct fixture fx = { log, { .nginx_conf = conf } };
	walk_fixture(&fx);
	unlink(conf);
	unlink(log);
}

static void
test_nginx_conf_fallback(void **state)
{
	(void)state;
	conf_fallback("");
}

/*
 * A log_format ahead of it that does not compile is no candidate (its
 * open says FORMAT_REJECT), never out of memory; under a fault detection
 * still decides "pipes" or says out of memory.
 */
static void
test_nginx_conf_broken_first(void **state)
{
	(void)state;
	conf_fallback("  log_format broken '$remote_addr ${';\n");
}

/* logformat_compile() and logformat_text_from_arg() alone. */
static void
test_logformat_compile(void **state)
{
	static const char *const args[] = {
		"$remote_addr - $remote_user [$time_local] \"$request\" "
		    "$status $body_bytes_sent \"$http_referer\" "
		    "\"$http_user_agent\" $upstream_addr $upstream_status",
		"log_format j escape=json '{\"t\":\"$time_iso8601\",'\n"
		    "  '\"u\":\"$upstream_addr\",\"s\":$status,'\n"
		    "  '\"c\":\"$http_cookie\"}';",
		"'$msec ${request_method} $uri?$args $status "
		    "$upstream_connect_time $upstream_header_time "
		    "$upstream_response_time $request_id'",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		char *text = logformat_text_from_arg(args[i]);
		struct logformat *ref;
		char err[256];

		assert_non_null(text);
		if (logformat_compile(text, 60, &ref, err, sizeof(err)) != 0)
			fail_msg("%s: %s", args[i], err);
		for (int persistent = 0; persistent < 2; persistent++) {
			for (long n = 1;; n++) {
				struct logformat *lf = NULL;
				char *t;
				int rc = -1;
				unsigned long hit;

				assert_true(n < OOM_N_MAX);
				err[0] = '\0';
				gw_fault_install(n, persistent);
				t = logformat_text_from_arg(args[i]);
				if (t != NULL)
					rc = logformat_compile(t, 60, &lf, err,
					    sizeof(err));
				hit = gw_fault_uninstall();
				if (t != NULL)
					assert_string_equal(t, text);
				if (rc == 0) {
					assert_string_equal(
					    logformat_pattern(lf),
					    logformat_pattern(ref));
					assert_int_equal(
					    logformat_logs_secrets(lf),
					    logformat_logs_secrets(ref));
					assert_int_equal(
					    logformat_has_upstream(lf),
					    logformat_has_upstream(ref));
				} else if (t != NULL &&
				    (rc != LOGFORMAT_NOMEM ||
				    strcmp(err, "out of memory") != 0)) {
					fail_msg("%s, fault %ld%s: %d \"%s\"",
					    args[i], n, persistent ? "+" : "",
					    rc, err);
				}
				logformat_free(lf);
				free(t);
				if (hit == 0) {
					assert_true(n > 3);
					break;
				}
			}
		}
		logformat_free(ref);
		free(text);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logformat_compile),
		cmocka_unit_test(test_registered_formats),
		cmocka_unit_test(test_haproxy_cfg),
		cmocka_unit_test(test_wrapped),
		cmocka_unit_test(test_nginx),
		cmocka_unit_test(test_nginx_conf_fallback),
		cmocka_unit_test(test_nginx_conf_broken_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

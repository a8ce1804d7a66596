/*
 * test_oom_analyze.c - out of memory in analyze/: the shape test
 * (shape_findings, shape_diff), the breaker replay (breaker_run), the
 * retry summary (retry_summarize) and the explanation of an upstream
 * (explain_upstream), over a store, as SQLite's fault simulation does.
 *
 * SQLite's allocations and ours count on one fault countdown (oom.h,
 * core/alloc.h), walked n = 1, 2, ... once and persistently: each analysis
 * answers exactly what it answers without the fault, or fails with "out
 * of memory" (never fewer findings, never a finding without its
 * difference or example, never a nameless upstream), and nothing leaks.
 */
#include "tests/unit/test_store_fixture.h"

#include "analyze/breaker.h"
#include "analyze/explain.h"
#include "analyze/retry.h"
#include "analyze/shape.h"
#include "core/alloc.h"
#include "tests/unit/oom.h"

/*
 * A route whose requests fail with one spelling of a query key only, an
 * upstream failing often enough to trip a breaker, and retries that a
 * second upstream rescues.
 */
static void
fill(struct fx *f, int64_t src)
{
	for (int i = 0; i < 60; i++) {
		bool bad = i % 2 == 1;
		int64_t t = T0 + (int64_t)i * 500;
		struct gw_event *e;

		e = fx_event(f, t, 0, "10.1.0.1", "GET", "/api/users",
		    bad ? "age=1&username=u" : "age=1&userName=u",
		    bad ? 502 : 200, 10, bad ? GW_CAUSE_UPSTREAM_5XX :
		    GW_CAUSE_OK, bad ? "10.0.0.6:80 502 3" :
		    "10.0.0.6:80 200 0");
		e->shape = fx_str(f, bad ? "age=<number>&username=<text>" :
		    "age=<number>&userName=<text>");
		fx_event(f, t + 100, 0, "10.1.0.2", "GET", "/api/orders", NULL,
		    200, 40, GW_CAUSE_OK,
		    "10.0.0.5:80 502 2, 10.0.0.7:80 200 0");
	}
	f->b.source_id = src;
	f->b.position = 1000;
	f->b.line_no = 120;
	assert_int_equal(store_write_batch(f->s, &f->b, f->err,
	    sizeof(f->err)), 0);
	batch_clear(&f->b);
}

static FILE *
text_open(char **out, size_t *len)
{
	FILE *f = open_memstream(out, len);

	assert_non_null(f);
	return f;
}

static char *
shapes_text(struct shape_finding *v, size_t n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = text_open(&out, &len);

	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s %s %s %s %lld/%lld vs %lld/%lld closest %s: %s "
		    "example %d", v[i].method, v[i].route, v[i].upstream,
		    v[i].shape, (long long)v[i].failed,
		    (long long)v[i].requests,
		    (long long)v[i].sibling_failed,
		    (long long)v[i].sibling_requests,
		    v[i].closest != NULL ? v[i].closest : "-",
		    v[i].difference != NULL ? v[i].difference : "-",
		    v[i].has_example);
		for (size_t d = 0; d < v[i].n_diffs; d++)
			fprintf(f, " [%d %s %s %s %s]", (int)v[i].diffs[d].kind,
			    v[i].diffs[d].key ? v[i].diffs[d].key : "-",
			    v[i].diffs[d].other_key ?
			    v[i].diffs[d].other_key : "-",
			    v[i].diffs[d].value ? v[i].diffs[d].value : "-",
			    v[i].diffs[d].other_value ?
			    v[i].diffs[d].other_value : "-");
		fputc('\n', f);
	}
	fclose(f);
	return out;
}

static char *
breaker_text(struct breaker_upstream *v, size_t n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = text_open(&out, &len);

	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s %lld %lld %lld %lld opens", v[i].name != NULL ?
		    v[i].name : "(null)", (long long)v[i].attempts,
		    (long long)v[i].failures, (long long)v[i].spared,
		    (long long)v[i].open_total_ms);
		for (size_t k = 0; k < v[i].n_opens; k++)
			fprintf(f, " %lld-%lld/%d/%lld",
			    (long long)v[i].opens[k].open_ms,
			    (long long)v[i].opens[k].close_ms,
			    (int)v[i].opens[k].reason,
			    (long long)v[i].opens[k].spared);
		fputc('\n', f);
	}
	fclose(f);
	return out;
}

static char *
retry_text(const struct retry_summary *r)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = text_open(&out, &len);

	fprintf(f, "%lld %lld %lld %lld %lld %.3f\n", (long long)r->requests,
	    (long long)r->retried, (long long)r->retried_after_failure,
	    (long long)r->saved, (long long)r->failed, r->extra_ms_avg);
	for (size_t i = 0; i < r->n_groups; i++)
		fprintf(f, "%s %d %lld %lld %s %lld\n",
		    r->groups[i].first_upstream, r->groups[i].first_cause,
		    (long long)r->groups[i].requests,
		    (long long)r->groups[i].saved,
		    r->groups[i].rescued_by != NULL ?
		    r->groups[i].rescued_by : "-",
		    (long long)r->groups[i].rescued_by_count);
	fclose(f);
	return out;
}

static char *
explain_text(const struct explain_report *r)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = text_open(&out, &len);

	fprintf(f, "%s %lld %lld %lld %lld %lld\n", r->upstream,
	    (long long)r->requests, (long long)r->errors_5xx,
	    (long long)r->attempts, (long long)r->failed_attempts,
	    (long long)r->gateway_made);
	for (size_t i = 0; i < r->n_reasons; i++)
		fprintf(f, "%d %d %lld %s | %s | %d\n", (int)r->reasons[i].kind,
		    r->reasons[i].cause, (long long)r->reasons[i].count,
		    r->reasons[i].title, r->reasons[i].evidence,
		    r->reasons[i].has_example);
	fclose(f);
	return out;
}

enum analysis { A_SHAPE, A_BREAKER, A_RETRY, A_EXPLAIN, A_COUNT };

/* Run one analysis; its text, or NULL with err filled. */
static char *
run(struct fx *f, enum analysis a)
{
	struct diag_window w = diag_window_all();
	char *t = NULL;

	switch (a) {
	case A_SHAPE: {
		struct shape_config cfg = shape_config_default();
		struct shape_finding *v;
		size_t n;
		if (shape_findings(f->s, &w, &cfg, &v, &n, f->err,
		    sizeof(f->err)) != 0)
			return NULL;
		t = shapes_text(v, n);
		shape_findings_free(v, n);
		break;
	}
	case A_BREAKER: {
		struct breaker_upstream *v;
		size_t n;
		if (breaker_run(f->s, &w, NULL, &v, &n, f->err,
		    sizeof(f->err)) != 0)
			return NULL;
		t = breaker_text(v, n);
		breaker_upstreams_free(v, n);
		break;
	}
	case A_EXPLAIN: {
		struct explain_report r;
		w.upstream = "10.0.0.6:80";
		if (explain_upstream(f->s, &w, 0, NULL, NULL, &r, f->err,
		    sizeof(f->err)) != 0)
			return NULL;
		t = explain_text(&r);
		explain_report_free(&r);
		break;
	}
	default: {
		struct retry_summary r;
		if (retry_summarize(f->s, &w, &r, f->err, sizeof(f->err)) != 0)
			return NULL;
		t = retry_text(&r);
		retry_summary_free(&r);
		break;
	}
	}
	return t;
}

static void
test_analyses(void **state)
{
	static const char *const names[] = { "shape", "breaker", "retry",
	    "explain" };
	struct fx f;

	(void)state;
	fx_init(&f);
	fill(&f, fx_source(&f, "a.log", "nginx_access"));
	for (int a = 0; a < A_COUNT; a++) {
		char *ref = run(&f, a);

		if (ref == NULL)
			fail_msg("%s: %s", names[a], f.err);
		/* the data is such that each analysis finds something */
		assert_true(strlen(ref) > 0);
		if (a == A_SHAPE)
			assert_non_null(strstr(ref, "username"));
		if (a == A_BREAKER)
			assert_non_null(strstr(ref, "opens "));
		for (int persistent = 0; persistent < 2; persistent++) {
			for (long n = 1;; n++) {
				unsigned long hit;
				char *t;

				assert_true(n < OOM_N_MAX);
				f.err[0] = '\0';
				gw_fault_install(n, persistent);
				t = run(&f, a);
				hit = gw_fault_uninstall();
				if (t != NULL && strcmp(t, ref) != 0)
					fail_msg("%s, fault %ld%s:\n%s\ninstead "
					    "of\n%s", names[a], n,
					    persistent ? "+" : "", t, ref);
				if (t == NULL &&
				    strstr(f.err, "out of memory") == NULL)
					fail_msg("%s, fault %ld%s: \"%s\"",
					    names[a], n, persistent ? "+" : "",
					    f.err);
				free(t);
				if (hit == 0) {
					assert_true(n > 5);
					break;
				}
			}
		}
		/* and once more, normally */
		char *again = run(&f, a);
		assert_non_null(again);
		assert_string_equal(again, ref);
		free(again);
		free(ref);
	}
	fx_free(&f);
}

/* shape_diff alone: the differences of two shapes. */
static void
test_shape_diff(void **state)
{
	const char *a = "age=<number>&user_name=<text>&x=<empty>";
	const char *b = "age=<text>&userName=<text>&y=<number>";
	struct shape_diff *ref, *d;
	size_t n_ref, n;

	(void)state;
	assert_int_equal(shape_diff(a, b, &ref, &n_ref), 0);
	assert_true(n_ref >= 3);
	for (int persistent = 0; persistent < 2; persistent++) {
		for (long k = 1;; k++) {
			unsigned long hit;
			int rc;

			assert_true(k < OOM_N_MAX);
			gw_fault_install(k, persistent);
			rc = shape_diff(a, b, &d, &n);
			hit = gw_fault_uninstall();
			if (rc == 0) {
				assert_int_equal(n, n_ref);
				for (size_t i = 0; i < n; i++) {
					assert_int_equal(d[i].kind,
					    ref[i].kind);
					assert_true((d[i].key == NULL) ==
					    (ref[i].key == NULL));
					assert_true((d[i].other_key == NULL) ==
					    (ref[i].other_key == NULL));
				}
				shape_diffs_free(d, n);
			} else {
				assert_int_equal(rc, -1);
				assert_true(hit > 0);
			}
			if (hit == 0)
				break;
		}
	}
	shape_diffs_free(ref, n_ref);
}

static int
setup(void **state)
{
	(void)state;
	oom_sqlite_hook();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape_diff),
		cmocka_unit_test(test_analyses),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

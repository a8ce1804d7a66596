/*
 * test_oom_metrics.c - out of memory in the metrics registry
 * (metrics/registry.c), as SQLite's fault simulation does.
 *
 * Every counting call under the nth failing allocation (core/alloc.h),
 * n = 1, 2, ..., once and persistently, either counts or returns -1 having
 * counted nothing: the same call made again without the fault then counts
 * it once, so the exposition ends up byte for byte the one of a run
 * without faults (over the series caps too: "_other"). metrics_render()
 * gives that text or -1. Nothing leaks (LSan in make check).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "metrics/registry.h"
#include "tests/unit/oom.h"

#define CALLS 40

/* Call i of the run; 0 or -1. Upstreams beyond the cap of 8 are folded. */
static int
call(struct metrics_registry *r, int i)
{
	char up[32], src[32];

	snprintf(up, sizeof(up), "10.0.0.%d:80", i % 12);
	snprintf(src, sizeof(src), "/var/log/nginx/%d.log", i % 3);
	switch (i % 5) {
	case 0:
		return metrics_add_requests(r, i, up, i % 2 ? 502 : 200,
		    i % 2 ? GW_CAUSE_UPSTREAM_REFUSED : GW_CAUSE_OK, 3);
	case 1:
		return metrics_add_attempts(r, i, up,
		    GW_CAUSE_UPSTREAM_READ_TIMEOUT, 2);
	case 2:
		return metrics_observe_duration(r, i, up, 0.01 * i, 1);
	case 3:
		return metrics_add_lines_read(r, i, src, 10);
	default:
		return metrics_add_lines_rejected(r, i, src, "unparsed", 1);
	}
}

static struct metrics_registry *
registry(void)
{
	struct metrics_limits l;

	metrics_limits_default(&l);
	l.max_upstreams = 8;
	l.max_sources = 2;
	return metrics_registry_new(&l);
}

static void
test_counting(void **state)
{
	struct metrics_registry *r;
	char *ref, *out;
	size_t len;

	(void)state;
	assert_non_null(r = registry());
	for (int i = 0; i < CALLS; i++)
		assert_int_equal(call(r, i), 0);
	assert_int_equal(metrics_render(r, "test", NULL, &ref, &len), 0);
	assert_non_null(strstr(ref, METRICS_OTHER));
	metrics_registry_free(r);

	for (int persistent = 0; persistent < 2; persistent++) {
		for (long n = 1;; n++) {
			unsigned long hit;
			int rc = 0;

			assert_true(n < OOM_N_MAX);
			gw_fault_install(n, persistent);
			r = registry();
			for (int i = 0; r != NULL && i < CALLS; i++) {
				if (call(r, i) == 0)
					continue;
				rc = -1;
				/* nothing was counted: again, once */
				gw_fault_hold();
				assert_int_equal(call(r, i), 0);
				gw_fault_release();
			}
			out = NULL;
			if (r != NULL && metrics_render(r, "test", NULL, &out,
			    &len) != 0) {
				rc = -1;
				gw_fault_hold();
				assert_int_equal(metrics_render(r, "test", NULL,
				    &out, &len), 0);
				gw_fault_release();
			}
			hit = gw_fault_uninstall();
			if (r == NULL)
				assert_true(hit > 0);
			else if (strcmp(out, ref) != 0) {
				char what[64];
				snprintf(what, sizeof(what), "fault %ld%s", n,
				    persistent ? "+" : "");
				oom_fail_diff(what, out, ref);
			}
			if (rc != 0)
				assert_true(hit > 0);
			free(out);
			metrics_registry_free(r);
			if (hit == 0) {
				assert_true(n > 5);
				break;
			}
		}
	}
	free(ref);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

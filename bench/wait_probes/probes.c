/*
 * probes.c - see probes.h. Copied to core/ of a probed tree.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/probes.h"

#define WP_EVENTS	8192

double wp_sum[WP_N];
long wp_cnt[WP_N];

static const char *const wp_name[WP_N] = {
	"parse_free", "parse_read", "wr_idle", "wr_drain", "wr_zipidle",
	"wr_zipfull", "wr_ckpt", "zip_idle", "zip_room", "wr_commitflush",
	"wr_commit",
};
static struct {
	int k;
	double t, d;
} wp_ev[WP_EVENTS];
static int wp_nev;
static double wp_start;

__attribute__((constructor)) static void
wp_init(void)
{
	wp_start = wp_now();
}

void
wp_log(int k, double t0, double d)
{
	int i;

	if (d < 0.0005 || __atomic_load_n(&wp_nev, __ATOMIC_RELAXED) >=
	    WP_EVENTS)
		return;
	if ((i = __atomic_fetch_add(&wp_nev, 1, __ATOMIC_RELAXED)) <
	    WP_EVENTS) {
		wp_ev[i].k = k;
		wp_ev[i].t = t0 - wp_start;
		wp_ev[i].d = d;
	}
}

void
wp_prio(const char *env)
{
	const char *v = getenv(env);

	if (v == NULL)
		return;
	if (v[0] == 'i') {
		struct sched_param sp = {0};

		if (sched_setscheduler(0, SCHED_IDLE, &sp) != 0)
			perror("SCHED_IDLE");
	} else if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid),
	    atoi(v)) != 0)
		perror("setpriority");
}

__attribute__((destructor)) static void
wp_dump(void)
{
	int n = wp_nev < WP_EVENTS ? wp_nev : WP_EVENTS;

	if (getenv("GW_WAITS") == NULL)
		return;
	if (getenv("GW_WAITS_LOG") != NULL)
		for (int i = 0; i < n; i++)
			fprintf(stderr, "ev %8.1f %-15s %7.2f\n",
			    wp_ev[i].t * 1e3, wp_name[wp_ev[i].k],
			    wp_ev[i].d * 1e3);
	for (int i = 0; i < WP_N; i++)
		fprintf(stderr, "wp %-15s %8.1f ms %6ld\n", wp_name[i],
		    wp_sum[i] * 1e3, wp_cnt[i]);
}

/*
 * registry.c - the series gatewatch exports, counted in memory and
 * rendered as Prometheus text (exposition format 0.0.4).
 *
 * Series live on one list and in one hash table (core/hashtab.h, keyed:
 * the label values come from logs) by family and label values; a new
 * series is the only allocation, so counting an existing one costs a hash
 * and a compare under the lock. Two small tables remember which upstream
 * and source names hold a slot of their caps, and when each was last
 * counted; metrics_expire() walks the lists and drops series and slots
 * idle longer than the limit. Names folded into "_other" are counted once
 * per idle period through a set of their 64-bit hashes (a hash table of
 * at most 49,152, 2 MiB, made on the first fold; when full it is emptied,
 * so a name may then count again).
 *
 * Rendering sorts each family's series by label values, so the output is
 * stable from one scrape to the next and easy to compare in tests.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "metrics/registry.h"
#include "core/hashkey.h"
#include "core/hashtab.h"
#include "core/safe.h"

const double metrics_buckets[METRICS_BUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
};

enum metrics_family {
	FAM_REQUESTS,
	FAM_ATTEMPTS,
	FAM_DURATION,
	FAM_LINES_READ,
	FAM_LINES_REJECTED,
	FAM_COUNT
};

struct series {
	struct series *next;		/* the registry's list */
	uint64_t hash;			/* series_hash() */
	enum metrics_family fam;
	char *name;			/* upstream or source label value */
	char *reason;			/* lines_rejected only */
	int status;			/* requests only, else 0 */
	enum gw_cause cause;		/* requests, attempts; else ok */
	uint64_t count;			/* the counter; the histogram's count */
	uint64_t bucket[METRICS_BUCKETS];	/* not cumulative */
	double sum;
	int64_t touched_ms;
	/*
	 * A series born after the first scrape is shown at 0 once before
	 * its first counts (held here meanwhile): rate() then sees them as
	 * an increase instead of taking the first value as the start.
	 */
	bool holding;
	uint64_t held_count, held_bucket[METRICS_BUCKETS];
	double held_sum;
};

/* A name holding a slot of a cap (upstream or source). */
struct slot {
	struct slot *next;	/* the table's list */
	uint64_t hash;		/* of the name, under the index's key */
	char *name;
	int64_t touched_ms;
};

struct slot_table {
	struct slot *all;
	struct hashtab index;	/* values: struct slot * */
	size_t n, max;
};

/*
 * Longest upstream or source name exported as itself, in bytes: escaped
 * (at most 5 bytes each) it fits the render buffers whole, so two names
 * never render as one label value. Longer ones go to _other.
 */
#define NAME_MAX_BYTES	200

#define OVERFLOW_SET	49152	/* hashes of names folded into _other */

struct metrics_registry {
	pthread_mutex_t lock;
	struct metrics_limits lim;
	struct series *all;
	struct hashtab index;		/* values: struct series * */
	size_t n;
	struct slot_table upstreams, sources;
	struct hashtab overflow;	/* hashes of names, at most OVERFLOW_SET */
	int64_t overflow_since_ms;
	uint64_t series_dropped;
	uint64_t packets_dropped;
	bool have_packets;
	uint64_t renders;		/* expositions rendered so far */
};

/*
 * Hash of a series' key under the registry's: family, status and cause,
 * then the two label values with their terminating NUL (NULL is no bytes,
 * so NULL != ""; the NUL separates ("ab","c") from ("a","bc")).
 */
static uint64_t
series_hash(const struct metrics_registry *r, enum metrics_family fam,
    const char *name, const char *reason, int status, int cause)
{
	char buf[512];
	int32_t nums[3] = {(int32_t)fam, status, cause};
	size_t ln = name != NULL ? strlen(name) + 1 : 0;
	size_t lr = reason != NULL ? strlen(reason) + 1 : 0;

	if (sizeof(nums) + ln + lr > sizeof(buf)) {
		uint64_t h = hashtab_hash(&r->index, nums, sizeof(nums));

		h = hashkey_bytes(h, name, ln);
		return hashkey_bytes(h, reason, lr);
	}
	memcpy(buf, nums, sizeof(nums));
	if (ln > 0)
		memcpy(buf + sizeof(nums), name, ln);
	if (lr > 0)
		memcpy(buf + sizeof(nums) + ln, reason, lr);
	return hashtab_hash(&r->index, buf, sizeof(nums) + ln + lr);
}

void
metrics_limits_default(struct metrics_limits *l)
{
	l->max_upstreams = METRICS_MAX_UPSTREAMS_DEFAULT;
	l->max_sources = METRICS_MAX_SOURCES_DEFAULT;
	l->max_series = METRICS_MAX_SERIES_DEFAULT;
	l->idle_ms = METRICS_IDLE_MS_DEFAULT;
}

/* An empty slot table of at most max names; 0 or -1. */
static int
slot_table_init(struct slot_table *t, size_t max)
{
	t->all = NULL;
	t->n = 0;
	t->max = max < 1 ? 1 : max;
	hashtab_init(&t->index, t->max);
	return hashtab_reserve(&t->index, 128) == HASHTAB_OK ? 0 : -1;
}

static void
slot_table_free(struct slot_table *t)
{
	struct slot *s, *nx;

	for (s = t->all; s != NULL; s = nx) {
		nx = s->next;
		free(s->name);
		free(s);
	}
	t->all = NULL;
	hashtab_free(&t->index);
}

struct metrics_registry *
metrics_registry_new(const struct metrics_limits *l)
{
	struct metrics_registry *r = gw_calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	if (l != NULL)
		r->lim = *l;
	else
		metrics_limits_default(&r->lim);
	hashtab_init(&r->index, r->lim.max_series);
	hashtab_init(&r->overflow, OVERFLOW_SET);
	if (hashtab_reserve(&r->index, 512) != HASHTAB_OK ||
	    slot_table_init(&r->upstreams, r->lim.max_upstreams) != 0 ||
	    slot_table_init(&r->sources, r->lim.max_sources) != 0) {
		metrics_registry_free(r);
		return NULL;
	}
	return r;
}

static void
series_free(struct series *s)
{
	free(s->name);
	free(s->reason);
	free(s);
}

void
metrics_registry_free(struct metrics_registry *r)
{
	if (r == NULL)
		return;
	for (struct series *s = r->all, *nx; s != NULL; s = nx) {
		nx = s->next;
		series_free(s);
	}
	hashtab_free(&r->index);
	slot_table_free(&r->upstreams);
	slot_table_free(&r->sources);
	hashtab_free(&r->overflow);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/*
 * Count name as folded into _other, once per idle period. -1 when out of
 * memory (then nothing is counted: counting without the set would count
 * the name again each time).
 */
static int
overflow_note(struct metrics_registry *r, const char *name, int64_t now_ms)
{
	uint64_t h = hashtab_hash(&r->overflow, name, strlen(name));
	struct hashtab_pos pos;
	uintptr_t v;
	enum hashtab_result rc;

	if (r->overflow.slots == NULL)
		r->overflow_since_ms = now_ms;
	hashtab_first(&r->overflow, h, &pos);
	if (hashtab_next(&r->overflow, &pos, &v))
		return 0;	/* the same 64-bit hash: counted */
	if ((rc = hashtab_add(&r->overflow, h, 0)) == HASHTAB_FULL) {
		hashtab_clear(&r->overflow);
		rc = hashtab_add(&r->overflow, h, 0);
	}
	if (rc != HASHTAB_OK)
		return -1;	/* out of memory: counted nowhere */
	r->series_dropped++;
	return 0;
}

/*
 * The label value name takes under cap t: name itself when it holds or
 * gets a slot, else METRICS_OTHER. "-" (no upstream) and "_other" take no
 * slot. NULL when out of memory.
 */
static const char *
slot_take(struct metrics_registry *r, struct slot_table *t, const char *name,
    int64_t now_ms)
{
	if (name == NULL || name[0] == '\0')
		name = "-";
	if (strcmp(name, "-") == 0 || strcmp(name, METRICS_OTHER) == 0)
		return name;
	if (strlen(name) > NAME_MAX_BYTES) {
		return overflow_note(r, name, now_ms) == 0 ? METRICS_OTHER :
		    NULL;
	}
	uint64_t h = hashtab_hash(&t->index, name, strlen(name));
	struct hashtab_pos pos;
	uintptr_t v;

	hashtab_first(&t->index, h, &pos);
	while (hashtab_next(&t->index, &pos, &v)) {
		struct slot *s = (struct slot *)v;

		if (strcmp(s->name, name) == 0) {
			s->touched_ms = now_ms;
			return s->name;
		}
	}
	if (t->n >= t->max) {
		return overflow_note(r, name, now_ms) == 0 ? METRICS_OTHER :
		    NULL;
	}
	struct slot *s = gw_calloc(1, sizeof(*s));
	if (s == NULL || (s->name = gw_strdup(name)) == NULL ||
	    hashtab_add(&t->index, h, (uintptr_t)s) != HASHTAB_OK) {
		if (s != NULL)
			free(s->name);
		free(s);
		return NULL;
	}
	s->hash = h;
	s->touched_ms = now_ms;
	s->next = t->all;
	t->all = s;
	t->n++;
	return s->name;
}

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * The series of fam with these labels, made if needed. *refused set (and
 * NULL returned) when the series budget is spent; NULL alone when out of
 * memory.
 */
static struct series *
series_get(struct metrics_registry *r, enum metrics_family fam,
    const char *name, const char *reason, int status, enum gw_cause cause,
    int64_t now_ms, bool *refused)
{
	uint64_t h = series_hash(r, fam, name, reason, status, cause);
	struct hashtab_pos pos;
	uintptr_t v;

	*refused = false;
	hashtab_first(&r->index, h, &pos);
	while (hashtab_next(&r->index, &pos, &v)) {
		struct series *s = (struct series *)v;

		if (s->fam == fam && s->status == status &&
		    s->cause == cause && str_eq(s->name, name) &&
		    str_eq(s->reason, reason)) {
			s->touched_ms = now_ms;
			return s;
		}
	}
	if (r->n >= r->lim.max_series) {
		*refused = true;
		r->series_dropped++;
		return NULL;
	}
	struct series *s = gw_calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->fam = fam;
	s->status = status;
	s->cause = cause;
	s->touched_ms = now_ms;
	s->holding = r->renders > 0;
	if ((name != NULL && (s->name = gw_strdup(name)) == NULL) ||
	    (reason != NULL && (s->reason = gw_strdup(reason)) == NULL)) {
		series_free(s);
		return NULL;
	}
	if (hashtab_add(&r->index, h, (uintptr_t)s) != HASHTAB_OK) {
		series_free(s);
		return NULL;
	}
	s->hash = h;
	s->next = r->all;
	r->all = s;
	r->n++;
	return s;
}

/* Find-or-make under the lock, add n (and a histogram sample). */
static int
count(struct metrics_registry *r, enum metrics_family fam,
    struct slot_table *cap, const char *name, const char *reason,
    int status, enum gw_cause cause, int64_t now_ms, uint64_t n,
    double seconds)
{
	bool refused;
	int rc = 0;

	pthread_mutex_lock(&r->lock);
	const char *label = slot_take(r, cap, name, now_ms);
	struct series *s = NULL;
	if (label != NULL)
		s = series_get(r, fam, label, reason, status, cause, now_ms,
		    &refused);
	if (s != NULL) {
		uint64_t *cnt = s->holding ? &s->held_count : &s->count;
		uint64_t *bk = s->holding ? s->held_bucket : s->bucket;
		*cnt += n;
		if (fam == FAM_DURATION) {
			size_t b = 0;
			while (b < METRICS_BUCKETS && seconds > metrics_buckets[b])
				b++;
			if (b < METRICS_BUCKETS)
				bk[b] += n;
			*(s->holding ? &s->held_sum : &s->sum) += seconds *
			    (double)n;
		}
	} else if (label == NULL || !refused) {
		rc = -1;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int
metrics_add_requests(struct metrics_registry *r, int64_t now_ms,
    const char *upstream, int status, enum gw_cause cause, uint64_t n)
{
	return count(r, FAM_REQUESTS, &r->upstreams, upstream, NULL, status,
	    cause, now_ms, n, 0);
}

int
metrics_add_attempts(struct metrics_registry *r, int64_t now_ms,
    const char *upstream, enum gw_cause cause, uint64_t n)
{
	return count(r, FAM_ATTEMPTS, &r->upstreams, upstream, NULL, 0,
	    cause, now_ms, n, 0);
}

int
metrics_observe_duration(struct metrics_registry *r, int64_t now_ms,
    const char *upstream, double seconds, uint64_t n)
{
	if (seconds < 0)
		seconds = 0;
	return count(r, FAM_DURATION, &r->upstreams, upstream, NULL, 0,
	    GW_CAUSE_OK, now_ms, n, seconds);
}

int
metrics_add_lines_read(struct metrics_registry *r, int64_t now_ms,
    const char *source, uint64_t n)
{
	return count(r, FAM_LINES_READ, &r->sources, source, NULL, 0,
	    GW_CAUSE_OK, now_ms, n, 0);
}

int
metrics_add_lines_rejected(struct metrics_registry *r, int64_t now_ms,
    const char *source, const char *reason, uint64_t n)
{
	return count(r, FAM_LINES_REJECTED, &r->sources, source,
	    reason != NULL ? reason : "-", 0, GW_CAUSE_OK, now_ms, n, 0);
}

void
metrics_set_packets_dropped(struct metrics_registry *r, uint64_t n)
{
	pthread_mutex_lock(&r->lock);
	if (!r->have_packets || n > r->packets_dropped)
		r->packets_dropped = n;
	r->have_packets = true;
	pthread_mutex_unlock(&r->lock);
}

/* Drop the slots of t idle since before cutoff. */
static void
slot_expire(struct slot_table *t, int64_t cutoff)
{
	struct slot **pp = &t->all;

	while (*pp != NULL) {
		struct slot *s = *pp;
		if (s->touched_ms < cutoff) {
			*pp = s->next;
			hashtab_remove(&t->index, s->hash, (uintptr_t)s);
			free(s->name);
			free(s);
			t->n--;
		} else {
			pp = &s->next;
		}
	}
}

void
metrics_expire(struct metrics_registry *r, int64_t now_ms)
{
	int64_t cutoff = now_ms - r->lim.idle_ms;

	pthread_mutex_lock(&r->lock);
	for (struct series **pp = &r->all; *pp != NULL;) {
		struct series *s = *pp;
		if (s->touched_ms < cutoff) {
			*pp = s->next;
			hashtab_remove(&r->index, s->hash, (uintptr_t)s);
			series_free(s);
			r->n--;
			r->series_dropped++;
		} else {
			pp = &s->next;
		}
	}
	/* A series touches its slot whenever it is counted, so a slot is
	   idle no later than its last series. */
	slot_expire(&r->upstreams, cutoff);
	slot_expire(&r->sources, cutoff);
	if (r->overflow.slots != NULL && r->overflow_since_ms < cutoff) {
		hashtab_clear(&r->overflow);
		r->overflow_since_ms = now_ms;
	}
	pthread_mutex_unlock(&r->lock);
}

size_t
metrics_series(struct metrics_registry *r)
{
	pthread_mutex_lock(&r->lock);
	size_t n = r->n;
	pthread_mutex_unlock(&r->lock);
	return n;
}

uint64_t
metrics_series_dropped(struct metrics_registry *r)
{
	pthread_mutex_lock(&r->lock);
	uint64_t n = r->series_dropped;
	pthread_mutex_unlock(&r->lock);
	return n;
}

void
metrics_escape_label(char *buf, size_t size, const char *v)
{
	char safe[1024];
	size_t o = 0;

	safe_text(safe, sizeof(safe), v != NULL ? v : "", v != NULL ?
	    strlen(v) : 0);
	for (const char *p = safe; *p != '\0'; p++) {
		const char *rep = NULL;
		char one[2] = {*p, '\0'};
		switch (*p) {
		case '\\': rep = "\\\\"; break;
		case '"': rep = "\\\""; break;
		case '\n': rep = "\\n"; break;
		default: rep = one; break;
		}
		size_t l = strlen(rep);
		if (o + l + 1 > size)
			break;
		memcpy(buf + o, rep, l);
		o += l;
	}
	buf[o] = '\0';
}

/* A growing output buffer; err set once an allocation failed. */
struct out {
	char *buf;
	size_t len, cap;
	bool err;
};

static void
out_printf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->err = true;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		size_t ncap = o->cap * 2 + (size_t)n + 1;
		char *nb = gw_realloc(o->buf, ncap);
		if (nb == NULL) {
			o->err = true;
			return;
		}
		o->buf = nb;
		o->cap = ncap;
	}
}

static int
series_cmp(const void *a, const void *b)
{
	const struct series *x = *(const struct series *const *)a;
	const struct series *y = *(const struct series *const *)b;
	int c = strcmp(x->name ? x->name : "", y->name ? y->name : "");

	if (c != 0)
		return c;
	if (x->status != y->status)
		return x->status < y->status ? -1 : 1;
	if (x->cause != y->cause)
		return x->cause < y->cause ? -1 : 1;
	return strcmp(x->reason ? x->reason : "", y->reason ? y->reason : "");
}

/* A number as the format writes it: integers plain, else the shortest
   %g form that reads back as the same double (0.005, not 0.00500...1). */
static void
out_value(struct out *o, double v)
{
	char b[40];

	if (v == (double)(int64_t)v && v < 9e15 && v > -9e15) {
		out_printf(o, "%lld", (long long)v);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(b, sizeof(b), "%.*g", prec, v);
		if (strtod(b, NULL) == v)
			break;
	}
	out_printf(o, "%s", b);
}

static const struct {
	const char *name, *type, *help;
} families[FAM_COUNT] = {
	[FAM_REQUESTS] = {"gatewatch_http_requests_total", "counter",
	    "Requests by the upstream that gave the final answer (- none), "
	    "exact status, cause and who failed."},
	[FAM_ATTEMPTS] = {"gatewatch_upstream_attempts_total", "counter",
	    "Upstream attempts, retried ones included, by upstream, cause "
	    "and who failed."},
	[FAM_DURATION] = {"gatewatch_upstream_response_duration_seconds",
	    "histogram", "Upstream response time of each attempt that "
	    "logged one."},
	[FAM_LINES_READ] = {"gatewatch_lines_read_total", "counter",
	    "Log lines read and stored, by source path."},
	[FAM_LINES_REJECTED] = {"gatewatch_lines_rejected_total", "counter",
	    "Log lines that could not be parsed (kept in the rejects "
	    "table), by source and reason."},
};

/* One series of family f, appended to o. */
static void
render_series(const struct series *s, enum metrics_family f, struct out *o)
{
	char a[1100], b[1100];

	metrics_escape_label(a, sizeof(a), s->name);
	switch (f) {
	case FAM_REQUESTS: {
		char code[16];
		if (s->status >= 0 && s->status <= 999)
			snprintf(code, sizeof(code), "%03d", s->status);
		else
			snprintf(code, sizeof(code), "-");
		out_printf(o, "%s{upstream=\"%s\",code=\"%s\","
		    "cause=\"%s\",who=\"%s\"} %llu\n", families[f].name,
		    a, code, cause_name(s->cause),
		    cause_who_name(cause_who(s->cause)),
		    (unsigned long long)s->count);
		break;
	}
	case FAM_ATTEMPTS:
		out_printf(o, "%s{upstream=\"%s\",cause=\"%s\","
		    "who=\"%s\"} %llu\n", families[f].name, a,
		    cause_name(s->cause),
		    cause_who_name(cause_who(s->cause)),
		    (unsigned long long)s->count);
		break;
	case FAM_DURATION: {
		uint64_t cum = 0;
		for (size_t k = 0; k < METRICS_BUCKETS; k++) {
			cum += s->bucket[k];
			out_printf(o, "%s_bucket{upstream=\"%s\",le=\"",
			    families[f].name, a);
			out_value(o, metrics_buckets[k]);
			out_printf(o, "\"} %llu\n",
			    (unsigned long long)cum);
		}
		out_printf(o, "%s_bucket{upstream=\"%s\",le=\"+Inf\"} "
		    "%llu\n", families[f].name, a,
		    (unsigned long long)s->count);
		out_printf(o, "%s_sum{upstream=\"%s\"} ",
		    families[f].name, a);
		out_value(o, s->sum);
		out_printf(o, "\n%s_count{upstream=\"%s\"} %llu\n",
		    families[f].name, a, (unsigned long long)s->count);
		break;
	}
	case FAM_LINES_READ:
		out_printf(o, "%s{source=\"%s\"} %llu\n",
		    families[f].name, a, (unsigned long long)s->count);
		break;
	case FAM_LINES_REJECTED:
		metrics_escape_label(b, sizeof(b), s->reason);
		out_printf(o, "%s{source=\"%s\",reason=\"%s\"} %llu\n",
		    families[f].name, a, b,
		    (unsigned long long)s->count);
		break;
	case FAM_COUNT:
		break;
	}
}

/* Every series of family f, sorted, appended to o. */
static void
render_family(struct metrics_registry *r, enum metrics_family f,
    struct out *o)
{
	struct series **v = NULL;
	size_t n = 0;

	out_printf(o, "# HELP %s %s\n# TYPE %s %s\n", families[f].name,
	    families[f].help, families[f].name, families[f].type);
	if (r->n > 0 && (v = gw_malloc(r->n * sizeof(*v))) == NULL) {
		o->err = true;
		return;
	}
	for (struct series *s = r->all; s != NULL; s = s->next)
		if (s->fam == f)
			v[n++] = s;
	if (n > 1)
		qsort(v, n, sizeof(*v), series_cmp);
	for (size_t i = 0; i < n; i++) {
		struct series *s = v[i];
		if (s->holding) {
			/* shown at 0 now; what it held counts from next time */
			s->holding = false;
			s->count = s->held_count;
			memcpy(s->bucket, s->held_bucket, sizeof(s->bucket));
			s->sum = s->held_sum;
			s->held_count = 0;
			memset(s->held_bucket, 0, sizeof(s->held_bucket));
			s->held_sum = 0;
			struct series zero = *s;
			zero.count = 0;
			memset(zero.bucket, 0, sizeof(zero.bucket));
			zero.sum = 0;
			render_series(&zero, f, o);
			continue;
		}
		render_series(s, f, o);
	}
	free(v);
}


int
metrics_render(struct metrics_registry *r, const char *version,
    const struct metrics_process *proc, char **out, size_t *len)
{
	struct out o = {.cap = 4096};
	char ver[256];

	if ((o.buf = gw_malloc(o.cap)) == NULL)
		return -1;
	o.buf[0] = '\0';
	pthread_mutex_lock(&r->lock);
	for (int f = 0; f < FAM_COUNT; f++)
		render_family(r, (enum metrics_family)f, &o);
	out_printf(&o, "# HELP gatewatch_capture_packets_dropped_total Packets "
	    "the kernel dropped before the capture read them.\n"
	    "# TYPE gatewatch_capture_packets_dropped_total counter\n"
	    "gatewatch_capture_packets_dropped_total %llu\n",
	    (unsigned long long)(r->have_packets ? r->packets_dropped : 0));
	out_printf(&o, "# HELP gatewatch_metrics_series_dropped_total Series "
	    "not exported on their own: names folded into _other by a cap, "
	    "series refused by the budget, series dropped as idle.\n"
	    "# TYPE gatewatch_metrics_series_dropped_total counter\n"
	    "gatewatch_metrics_series_dropped_total %llu\n",
	    (unsigned long long)r->series_dropped);
	r->renders++;
	pthread_mutex_unlock(&r->lock);
	metrics_escape_label(ver, sizeof(ver), version);
	out_printf(&o, "# HELP gatewatch_build_info The version of gatewatch "
	    "that exports these metrics.\n"
	    "# TYPE gatewatch_build_info gauge\n"
	    "gatewatch_build_info{version=\"%s\"} 1\n", ver);
	if (proc != NULL) {
		out_printf(&o, "# HELP process_cpu_seconds_total Total user and "
		    "system CPU time spent in seconds.\n"
		    "# TYPE process_cpu_seconds_total counter\n"
		    "process_cpu_seconds_total ");
		out_value(&o, proc->cpu_seconds);
		out_printf(&o, "\n# HELP process_open_fds Number of open file "
		    "descriptors.\n# TYPE process_open_fds gauge\n"
		    "process_open_fds %llu\n"
		    "# HELP process_max_fds Maximum number of open file "
		    "descriptors.\n# TYPE process_max_fds gauge\n"
		    "process_max_fds %llu\n"
		    "# HELP process_resident_memory_bytes Resident memory size "
		    "in bytes.\n# TYPE process_resident_memory_bytes gauge\n"
		    "process_resident_memory_bytes %llu\n"
		    "# HELP process_virtual_memory_bytes Virtual memory size in "
		    "bytes.\n# TYPE process_virtual_memory_bytes gauge\n"
		    "process_virtual_memory_bytes %llu\n"
		    "# HELP process_start_time_seconds Start time of the process "
		    "since unix epoch in seconds.\n"
		    "# TYPE process_start_time_seconds gauge\n"
		    "process_start_time_seconds ",
		    (unsigned long long)proc->open_fds,
		    (unsigned long long)proc->max_fds,
		    (unsigned long long)proc->resident_bytes,
		    (unsigned long long)proc->virtual_bytes);
		out_value(&o, proc->start_time_seconds);
		out_printf(&o, "\n");
	}
	if (o.err) {
		free(o.buf);
		return -1;
	}
	*out = o.buf;
	*len = o.len;
	return 0;
}

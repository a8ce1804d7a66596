/*
 * exporter.c - the /metrics endpoint and the collector behind it; see
 * exporter.h for what is counted when.
 *
 * HTTP is libmicrohttpd (Debian's libmicrohttpd-dev), not a server of our
 * own: it is small, long maintained, and already handles what a scrape
 * endpoint facing a network must - request parsing limits, keep-alive,
 * a connection cap, per-connection timeouts, non-blocking sends from one
 * internal thread - which a hand-written loop would have to get right
 * again. We give it a socket we bound ourselves (so a bad or busy address
 * is reported with its errno) and the limits below.
 *
 * The collector thread owns its own store connection (WAL: a reader
 * never blocks the writer). Each tick it notes the highest committed
 * request id with the time it saw it, counts the requests whose mark is
 * EXPORTER_SETTLE_MS old, counts new rejects, the lines each log source
 * advanced by, and expires idle series.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "store/capture_stats.h"
#include "metrics/exporter.h"
#include "store/metrics_rows.h"

#define HTTP_MAX_CONNECTIONS	16
#define HTTP_PER_IP		8
#define HTTP_TIMEOUT_S		10
#define HTTP_CONN_MEMORY	(32 * 1024)
#define MARKS_MAX		32
#define EXPORTER_COLLECTOR_NICE	10

/* Where a log source was at the last look. */
struct source_base {
	int64_t id, line_no;
};

struct exporter {
	struct metrics_registry *reg;
	struct store *st;
	struct MHD_Daemon *mhd;
	int fd;
	char addr[INET6_ADDRSTRLEN + 16];
	const char *version;

	pthread_t thread;
	bool thread_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;

	/* collector state, its thread only */
	int64_t req_cursor, rej_cursor;
	struct { int64_t t_ms, req_max; } marks[MARKS_MAX];
	size_t n_marks;
	struct source_base *bases;
	size_t n_bases, cap_bases;
	bool baseline;			/* reading the baseline of sources */
	int64_t start_wall_ms;
	int64_t now_ms;			/* of the tick being counted */
};

/* Store callbacks: everything goes into e->reg at e->now_ms. */
static int
on_request(void *ctx, const char *upstream, int status, enum gw_cause cause,
    int64_t n)
{
	struct exporter *e = ctx;

	return metrics_add_requests(e->reg, e->now_ms, upstream, status,
	    cause, (uint64_t)n);
}

static int
on_attempt(void *ctx, const char *upstream, enum gw_cause cause,
    int64_t response_ms, int64_t n)
{
	struct exporter *e = ctx;

	if (metrics_add_attempts(e->reg, e->now_ms, upstream, cause,
	    (uint64_t)n) != 0)
		return -1;
	if (response_ms >= 0)
		return metrics_observe_duration(e->reg, e->now_ms, upstream,
		    (double)response_ms / 1000.0, (uint64_t)n);
	return 0;
}

static int
on_reject(void *ctx, const char *source, const char *reason, int64_t n)
{
	struct exporter *e = ctx;

	return metrics_add_lines_rejected(e->reg, e->now_ms, source, reason,
	    (uint64_t)n);
}

/* The base of source id, made (at line 0) when new; NULL out of memory. */
static struct source_base *
source_base(struct exporter *e, int64_t id, bool *made)
{
	size_t lo = 0, hi = e->n_bases;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (e->bases[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*made = false;
	if (lo < e->n_bases && e->bases[lo].id == id)
		return &e->bases[lo];
	if (e->n_bases == e->cap_bases) {
		size_t nc = e->cap_bases ? e->cap_bases * 2 : 64;
		struct source_base *nb = gw_realloc(e->bases, nc * sizeof(*nb));
		if (nb == NULL)
			return NULL;
		e->bases = nb;
		e->cap_bases = nc;
	}
	memmove(&e->bases[lo + 1], &e->bases[lo],
	    (e->n_bases - lo) * sizeof(*e->bases));
	e->n_bases++;
	e->bases[lo].id = id;
	e->bases[lo].line_no = 0;
	*made = true;
	return &e->bases[lo];
}

/* A source's line count: what it gained since the last look is read. */
static int
on_source(void *ctx, int64_t id, const char *path, int64_t line_no)
{
	struct exporter *e = ctx;
	bool made;
	struct source_base *b = source_base(e, id, &made);

	if (b == NULL)
		return -1;
	if (e->baseline) {
		b->line_no = line_no;
		return 0;
	}
	if (line_no <= b->line_no)
		return 0;
	int64_t d = line_no - b->line_no;
	b->line_no = line_no;
	return metrics_add_lines_read(e->reg, e->now_ms, path, (uint64_t)d);
}

static const struct store_metrics_fns collect_fns = {
	.request = on_request,
	.attempt = on_attempt,
	.reject = on_reject,
	.source = on_source,
};

/*
 * One look at the database. Errors (a busy or locked moment) are left
 * for the next tick: the cursors only move once their rows are counted.
 */
static void
collect_tick(struct exporter *e)
{
	char err[256];
	int64_t req_max, rej_max;

	e->now_ms = clk_mono_ms();
	if (store_metrics_marks(e->st, &req_max, &rej_max, err,
	    sizeof(err)) != 0)
		return;
	if (e->n_marks == MARKS_MAX) {
		memmove(&e->marks[0], &e->marks[1],
		    (MARKS_MAX - 1) * sizeof(e->marks[0]));
		e->n_marks--;
	}
	e->marks[e->n_marks].t_ms = e->now_ms;
	e->marks[e->n_marks].req_max = req_max;
	e->n_marks++;

	/* The newest mark old enough: rows up to it have settled. */
	int64_t settled = e->req_cursor;
	size_t old = 0;
	while (old < e->n_marks &&
	    e->marks[old].t_ms <= e->now_ms - EXPORTER_SETTLE_MS) {
		if (e->marks[old].req_max > settled)
			settled = e->marks[old].req_max;
		old++;
	}
	if (settled > e->req_cursor &&
	    store_metrics_requests(e->st, e->req_cursor, settled,
	    &collect_fns, e, err, sizeof(err)) == 0) {
		e->req_cursor = settled;
		memmove(&e->marks[0], &e->marks[old],
		    (e->n_marks - old) * sizeof(e->marks[0]));
		e->n_marks -= old;
	}
	if (rej_max > e->rej_cursor && store_metrics_rejects(e->st,
	    e->rej_cursor, rej_max, &collect_fns, e, err, sizeof(err)) == 0)
		e->rej_cursor = rej_max;
	store_metrics_sources(e->st, e->start_wall_ms - 1000, &collect_fns, e,
	    err, sizeof(err));
	metrics_expire(e->reg, e->now_ms);
}

static void *
collect_main(void *arg)
{
	struct exporter *e = arg;

	/*
	 * Under CPU contention the writer goes first: on Linux a nice value
	 * is per thread, so this lowers the collector alone. Best effort.
	 */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid),
	    EXPORTER_COLLECTOR_NICE);
	pthread_mutex_lock(&e->mu);
	while (!e->stop) {
		pthread_mutex_unlock(&e->mu);
		collect_tick(e);
		pthread_mutex_lock(&e->mu);
		if (e->stop)
			break;
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += EXPORTER_TICK_MS / 1000;
		pthread_cond_timedwait(&e->cv, &e->mu, &until);
	}
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

/* process_* of this process, from /proc; fields left 0 when unreadable. */
static void
process_stats(struct metrics_process *p)
{
	FILE *f;
	char buf[1024];
	long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);

	memset(p, 0, sizeof(*p));
	if ((f = fopen("/proc/self/stat", "r")) != NULL) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		/* Fields after the command name, which may hold spaces. */
		char *s = strrchr(buf, ')');
		unsigned long long utime = 0, stime = 0, start = 0, vsize = 0;
		long long rss = 0;
		if (s != NULL && sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u "
		    "%*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu "
		    "%llu %lld", &utime, &stime, &start, &vsize, &rss) == 5 &&
		    tick > 0) {
			p->cpu_seconds = (double)(utime + stime) / (double)tick;
			p->virtual_bytes = vsize;
			p->resident_bytes = rss > 0 ? (uint64_t)rss *
			    (uint64_t)page : 0;
			if ((f = fopen("/proc/stat", "r")) != NULL) {
				unsigned long long btime = 0;
				while (fgets(buf, sizeof(buf), f) != NULL)
					if (sscanf(buf, "btime %llu",
					    &btime) == 1)
						break;
				fclose(f);
				p->start_time_seconds = (double)btime +
				    (double)start / (double)tick;
			}
		}
	}
	DIR *d = opendir("/proc/self/fd");
	if (d != NULL) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				p->open_fds++;
		closedir(d);
		if (p->open_fds > 0)
			p->open_fds--;	/* the directory's own */
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		p->max_fds = rl.rlim_cur;
}

/* Queue a response of text (copied) with status code and type. */
static enum MHD_Result
http_reply(struct MHD_Connection *c, unsigned int code, const char *type,
    char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
	    mode);

	if (r == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ok = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ok;
}

/* libmicrohttpd's request handler: /metrics, a pointer at /, else 404. */
static enum MHD_Result
http_answer(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **state)
{
	struct exporter *e = cls;
	static char not_found[] = "not found; the metrics are at /metrics\n";
	static char index_text[] = "gatewatch exporter: metrics at /metrics\n";
	static char not_allowed[] = "only GET and HEAD\n";
	static const char text[] = "text/plain; charset=utf-8";

	(void)version;
	(void)upload;
	(void)state;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		*upload_size = 0;	/* a body is not read */
		return http_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text,
		    not_allowed, strlen(not_allowed), MHD_RESPMEM_PERSISTENT);
	}
	if (strcmp(url, "/metrics") == 0) {
		struct metrics_process p;
		char *body;
		size_t len;
		process_stats(&p);
		if (metrics_render(e->reg, e->version, &p, &body, &len) != 0)
			return MHD_NO;
		return http_reply(c, MHD_HTTP_OK,
		    "text/plain; version=0.0.4; charset=utf-8", body, len,
		    MHD_RESPMEM_MUST_FREE);
	}
	if (strcmp(url, "/") == 0)
		return http_reply(c, MHD_HTTP_OK, text, index_text,
		    strlen(index_text), MHD_RESPMEM_PERSISTENT);
	return http_reply(c, MHD_HTTP_NOT_FOUND, text, not_found,
	    strlen(not_found), MHD_RESPMEM_PERSISTENT);
}

int
exporter_parse_listen(const char *s, void *ss, size_t *socklen, char *err,
    size_t errlen)
{
	char host[256];
	const char *port, *colon = strrchr(s, ':');
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	}, *ai;
	size_t hl;

	if (colon == NULL || colon == s || colon[1] == '\0')
		goto bad;
	port = colon + 1;
	hl = (size_t)(colon - s);
	bool bracketed = s[0] == '[';
	if (bracketed) {
		if (hl < 3 || s[hl - 1] != ']')
			goto bad;
		s++;
		hl -= 2;
	}
	if (hl >= sizeof(host) || (!bracketed && memchr(s, ':', hl) != NULL))
		goto bad;	/* an IPv6 address goes in brackets */
	memcpy(host, s, hl);
	host[hl] = '\0';
	char *end;
	long pn = strtol(port, &end, 10);
	if (*end != '\0' || pn < 0 || pn > 65535)
		goto bad;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		goto bad;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*socklen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
bad:
	snprintf(err, errlen, "bad listen address (ADDR:PORT with a numeric "
	    "address, e.g. 127.0.0.1:9744 or [::1]:9744)");
	return -1;
}

/* Bind and listen on o->listen; the fd, or -1 with err. */
static int
exporter_bind(struct exporter *e, const char *listen_addr, char *err,
    size_t errlen)
{
	struct sockaddr_storage ss;
	size_t sl;
	int fd, one = 1;

	if (exporter_parse_listen(listen_addr, &ss, &sl, err, errlen) != 0)
		return -1;
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, (socklen_t)sl) != 0 ||
	    listen(fd, 32) != 0) {
		snprintf(err, errlen, "%s: %s", listen_addr, strerror(errno));
		close(fd);
		return -1;
	}
	socklen_t l = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	getsockname(fd, (struct sockaddr *)&ss, &l);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(e->addr, sizeof(e->addr), "[%s]:%u", host,
		    ntohs(a->sin6_port));
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(e->addr, sizeof(e->addr), "%s:%u", host,
		    ntohs(a->sin_port));
	}
	return fd;
}

int
exporter_start(const struct exporter_opts *o, struct exporter **out,
    char *err, size_t errlen)
{
	struct exporter *e = gw_calloc(1, sizeof(*e));
	sigset_t all, old;
	int64_t rej_max;

	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	e->fd = -1;
	e->version = o->version;
	pthread_mutex_init(&e->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((e->reg = metrics_registry_new(&o->limits)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((e->fd = exporter_bind(e, o->listen, err, errlen)) < 0)
		goto fail;
	if (store_open(o->db, &e->st, err, errlen) != 0)
		goto fail;
	/* Counters start at 0 now: what is stored already is not counted. */
	e->start_wall_ms = clk_wall_ms();
	if (store_metrics_marks(e->st, &e->req_cursor, &rej_max, err,
	    errlen) != 0)
		goto fail;
	e->rej_cursor = rej_max;
	e->baseline = true;
	if (store_metrics_sources(e->st, 0, &collect_fns, e, err, errlen) != 0)
		goto fail;
	e->baseline = false;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e->mhd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL,
	    http_answer, e,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)e->fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_CONNECTIONS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
	    MHD_OPTION_END);
	if (e->mhd != NULL &&
	    pthread_create(&e->thread, NULL, collect_main, e) == 0)
		e->thread_started = true;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e->mhd == NULL) {
		snprintf(err, errlen, "%s: the HTTP server did not start",
		    o->listen);
		goto fail;
	}
	if (!e->thread_started) {
		snprintf(err, errlen, "cannot start the metrics collector");
		goto fail;
	}
	*out = e;
	return 0;
fail:
	exporter_stop(e);
	return -1;
}

const char *
exporter_address(const struct exporter *e)
{
	return e->addr;
}

void
exporter_set_packets_dropped(struct exporter *e, uint64_t n)
{
	if (e != NULL)
		metrics_set_packets_dropped(e->reg, n);
}

void
exporter_stop(struct exporter *e)
{
	if (e == NULL)
		return;
	if (e->mhd != NULL)
		MHD_stop_daemon(e->mhd);	/* closes e->fd too */
	else if (e->fd >= 0)
		close(e->fd);
	if (e->thread_started) {
		pthread_mutex_lock(&e->mu);
		e->stop = true;
		pthread_cond_signal(&e->cv);
		pthread_mutex_unlock(&e->mu);
		pthread_join(e->thread, NULL);
	}
	store_close(e->st);
	metrics_registry_free(e->reg);
	free(e->bases);
	pthread_cond_destroy(&e->cv);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

/* Sum of the kernel drops every capture stored. */
static void
on_capture_stats(void *ctx, const char *source,
    const struct store_capture_stats *cs)
{
	uint64_t *sum = ctx;

	(void)source;
	if (cs->dropped > 0)
		*sum += (uint64_t)cs->dropped;
	if (cs->if_dropped > 0)
		*sum += (uint64_t)cs->if_dropped;
}

int
exporter_render_db(struct store *st, const struct metrics_limits *l,
    const char *version, char **out, size_t *len, char *err, size_t errlen)
{
	struct exporter e = {.st = st, .now_ms = clk_mono_ms()};
	int64_t req_max, rej_max;
	uint64_t dropped = 0;
	int rc = -1;

	if ((e.reg = metrics_registry_new(l)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (store_metrics_marks(st, &req_max, &rej_max, err, errlen) != 0 ||
	    store_metrics_requests(st, 0, req_max, &collect_fns, &e, err,
	    errlen) != 0 ||
	    store_metrics_rejects(st, 0, rej_max, &collect_fns, &e, err,
	    errlen) != 0 ||
	    store_metrics_sources(st, INT64_MIN, &collect_fns, &e, err,
	    errlen) != 0 ||
	    store_capture_stats_each(st, on_capture_stats, &dropped, err,
	    errlen) != 0)
		goto out;
	metrics_set_packets_dropped(e.reg, dropped);
	if (metrics_render(e.reg, version, NULL, out, len) != 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(e.bases);
	metrics_registry_free(e.reg);
	return rc;
}

/*
 * httpload.c - send a known list of HTTP requests and count the answers.
 *
 *   httpload --port P [--timeout-ms T] [--parallel K] [--expect STATUS]
 *            [--log F] [-H 'Name: value'] [--user-agent UA]
 *            [--keepalive N] [--pipeline D] [--request-id none|unique|same:V]
 *            [--file F] [--method M] [--repeat N] [PATH ...]
 *
 * The requests are the lines of --file ("METHOD PATH" or "PATH"; blank lines
 * and '#' comments skipped; "-" is stdin) followed by each PATH argument sent
 * --repeat times with --method. Each goes to 127.0.0.1:P on its own
 * connection (HTTP/1.1, Connection: close), with a deadline of --timeout-ms
 * for the whole exchange. K worker threads take the requests in order; with
 * K = 1 (default) they are sent one after another, so the gateway logs them
 * in the same order.
 *
 * With --keepalive N (N > 1) each worker sends up to N requests over one
 * persistent connection (no Connection: close), writing up to D of them
 * back to back before reading their answers (--pipeline, default 1), and
 * reads each answer by its framing (Content-Length, chunked, none for HEAD,
 * 1xx, 204 and 304, else until close). When the server closes with
 * requests of the connection still unanswered and no byte of their answer
 * received, those are sent again on a new connection (as a browser does);
 * the server never saw them as requests it answered.
 *
 * --request-id adds an X-Request-Id header: "unique" gives each request its
 * own (httpload-PID-INDEX), "same:V" gives every request V.
 *
 * An answer's status is the three digits of its status line; "009" when
 * bytes came back that are not HTTP/1.x (nginx relaying an HTTP/0.9-style
 * answer), "timeout" when the deadline passed, "error" when the connection
 * failed or closed with no byte. stdout gets one "STATUS COUNT" line per
 * status, sorted; --log F gets "STATUS METHOD PATH" per request, in list
 * order. Exit status: 0, or 1 when --expect was given and some answer
 * differed (those are listed on stderr), 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"

#define HEADERS_MAX 16
#define STATUS_LEN 8

struct request {
	char *method;
	char *path;
	char status[STATUS_LEN];
	size_t index;
};

struct load {
	int port;
	int timeout_ms;
	const char *headers[HEADERS_MAX];
	int n_headers;
	const char *user_agent;
	struct request *reqs;
	size_t n_reqs;
	size_t next;		/* next request to send, under lock */
	pthread_mutex_t lock;
	int keepalive;		/* requests per connection */
	int pipeline;		/* requests written before reading */
	int id_mode;		/* 0 none, 1 unique, 2 same */
	const char *id_value;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: httpload --port P [--timeout-ms T] [--parallel K] "
	    "[--expect STATUS] [--log F]\n"
	    "                [-H 'Name: value'] [--user-agent UA] [--file F] "
	    "[--method M] [--repeat N] [PATH ...]\n"
	    "                [--keepalive N] [--pipeline D] "
	    "[--request-id none|unique|same:V]\n");
	exit(2);
}

static void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL) {
		fprintf(stderr, "httpload: out of memory\n");
		exit(2);
	}
	return p;
}

static void
add_request(struct load *ld, size_t *cap, const char *method, const char *path)
{
	if (ld->n_reqs == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		ld->reqs = xrealloc(ld->reqs, *cap * sizeof(*ld->reqs));
	}
	struct request *r = &ld->reqs[ld->n_reqs++];
	r->method = strdup(method);
	r->path = strdup(path);
	if (r->method == NULL || r->path == NULL) {
		fprintf(stderr, "httpload: out of memory\n");
		exit(2);
	}
	r->status[0] = '\0';
	r->index = ld->n_reqs - 1;
}

/* Read "METHOD PATH" / "PATH" lines from path ("-" = stdin). */
static void
read_file(struct load *ld, size_t *cap, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "httpload: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	char *line = NULL;
	size_t lcap = 0;
	ssize_t n;
	while ((n = getline(&line, &lcap, f)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
		    line[n - 1] == ' '))
			line[--n] = '\0';
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		char *sp = strpbrk(p, " \t");
		if (sp == NULL) {
			add_request(ld, cap, "GET", p);
			continue;
		}
		*sp++ = '\0';
		while (*sp == ' ' || *sp == '\t')
			sp++;
		add_request(ld, cap, p, sp);
	}
	free(line);
	if (f != stdin)
		fclose(f);
}

/* Wait for events on fd until deadline; 1 ready, 0 timed out, -1 error. */
static int
wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - clk_mono_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = events };
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -1 : r;
	}
}

/* The status of a response that begins with buf[0..len). */
static void
classify(const char *buf, size_t len, char status[STATUS_LEN])
{
	if (len == 0) {
		strcpy(status, "error");
		return;
	}
	/* "HTTP/1.1 200" */
	if (len >= 12 && memcmp(buf, "HTTP/", 5) == 0 && buf[8] == ' ' &&
	    buf[9] >= '0' && buf[9] <= '9' && buf[10] >= '0' &&
	    buf[10] <= '9' && buf[11] >= '0' && buf[11] <= '9') {
		memcpy(status, buf + 9, 3);
		status[3] = '\0';
		return;
	}
	strcpy(status, "009");
}

static size_t format_request(const struct load *ld, const struct request *r,
    bool keep, char *buf, size_t size);

/* Send one request and fill r->status. */
static void
do_request(const struct load *ld, struct request *r)
{
	long long deadline = clk_mono_ms() + ld->timeout_ms;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		strcpy(r->status, "error");
		return;
	}
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)ld->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	char req[8192];
	size_t rl = format_request(ld, r, false, req, sizeof(req));
	int n = (int)rl;
	if (rl == 0) {
		strcpy(r->status, "error");
		close(fd);
		return;
	}

	char head[64];
	size_t got = 0;
	const char *why = NULL;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    errno != EINPROGRESS) {
		why = "error";
		goto done;
	}
	size_t off = 0;
	while (off < (size_t)n) {
		int w = wait_fd(fd, POLLOUT, deadline);
		if (w <= 0) {
			why = w == 0 ? "timeout" : "error";
			goto done;
		}
		ssize_t s = send(fd, req + off, (size_t)n - off, MSG_NOSIGNAL);
		if (s < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (s < 0) {
			why = "error";
			goto done;
		}
		off += (size_t)s;
	}
	/* Read to EOF, keeping the first bytes for the status line. */
	for (;;) {
		int w = wait_fd(fd, POLLIN, deadline);
		if (w <= 0) {
			why = w == 0 ? "timeout" : "error";
			goto done;
		}
		char buf[16384];
		ssize_t s = recv(fd, buf, sizeof(buf), 0);
		if (s < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (s <= 0)
			break;		/* EOF, or a reset after the answer */
		if (got < sizeof(head)) {
			size_t k = sizeof(head) - got < (size_t)s ?
			    sizeof(head) - got : (size_t)s;
			memcpy(head + got, buf, k);
		}
		got += (size_t)s;
	}
done:
	close(fd);
	if (why != NULL && got == 0)
		strcpy(r->status, why);
	else
		classify(head, got < sizeof(head) ? got : sizeof(head),
		    r->status);
}


/* Format request r into buf (keep: no Connection: close); its length, or
 * 0 when it does not fit. */
static size_t
format_request(const struct load *ld, const struct request *r, bool keep,
    char *buf, size_t size)
{
	int n = snprintf(buf, size,
	    "%s %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: %s\r\n%s",
	    r->method, r->path, ld->user_agent,
	    keep ? "" : "Connection: close\r\n");
	for (int i = 0; i < ld->n_headers && n > 0 && (size_t)n < size; i++)
		n += snprintf(buf + n, size - (size_t)n, "%s\r\n",
		    ld->headers[i]);
	if (ld->id_mode == 1 && n > 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n,
		    "X-Request-Id: httpload-%ld-%zu\r\n", (long)getpid(),
		    r->index);
	else if (ld->id_mode == 2 && n > 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "X-Request-Id: %s\r\n",
		    ld->id_value);
	if (n > 0 && (size_t)n < size &&
	    (strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0))
		n += snprintf(buf + n, size - (size_t)n,
		    "Content-Length: 0\r\n");
	if (n > 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "\r\n");
	if (n <= 0 || (size_t)n >= size)
		return 0;
	return (size_t)n;
}

/* Bytes received on a keep-alive connection, consumed answer by answer. */
struct rbuf {
	char *p;
	size_t len, cap;
	bool eof;
};

/* Read more into b until deadline; 1 got bytes, 0 EOF/timeout/error. */
static int
rbuf_fill(int fd, struct rbuf *b, long long deadline)
{
	if (b->eof)
		return 0;
	if (b->cap - b->len < 16384) {
		b->cap = b->cap * 2 + 65536;
		b->p = xrealloc(b->p, b->cap);
	}
	for (;;) {
		int w = wait_fd(fd, POLLIN, deadline);
		if (w <= 0)
			return 0;
		ssize_t s = recv(fd, b->p + b->len, b->cap - b->len, 0);
		if (s < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (s <= 0) {
			b->eof = true;
			return 0;
		}
		b->len += (size_t)s;
		return 1;
	}
}

static void
rbuf_consume(struct rbuf *b, size_t n)
{
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

/* Value of header name in head[0..len), or NULL. */
static const char *
header_value(const char *head, size_t len, const char *name)
{
	size_t nl = strlen(name);
	const char *p = head, *end = head + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			break;
		if ((size_t)(eol - p) > nl + 1 && strncasecmp(p, name, nl) == 0 &&
		    p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ')
				p++;
			return p;
		}
		p = eol + 1;
	}
	return NULL;
}

/*
 * Read one answer to r (is_head: no body) from b; fills r->status. Returns
 * 1 when the answer was complete and the connection can go on, 0 when it
 * ended the connection (close-delimited, HTTP/0.9, truncated), -1 when no
 * byte of it came (the request may be sent again).
 */
static int
read_answer(int fd, struct rbuf *b, struct request *r, long long deadline)
{
	bool is_head = strcmp(r->method, "HEAD") == 0;

	for (;;) {
		while (b->len < 5 && rbuf_fill(fd, b, deadline))
			;
		if (b->len == 0)
			return b->eof ? -1 : (strcpy(r->status, "timeout"), 0);
		if (b->len < 5 || memcmp(b->p, "HTTP/", 5) != 0) {
			/*
			 * HTTP/0.9-style (nginx relaying a non-HTTP answer):
			 * no framing. It ends at the close, at the next
			 * pipelined answer's status line, or when the
			 * server has been quiet for 1.5 s (nginx keeps the
			 * connection open; longer than the tests' upstream
			 * timeouts, so no pipelined request is still being
			 * worked on when we close).
			 */
			char *next;
			while ((next = memmem(b->p + 1, b->len - 1, "HTTP/1.",
			    7)) == NULL && rbuf_fill(fd, b, clk_mono_ms() + 1500 <
			    deadline ? clk_mono_ms() + 1500 : deadline))
				;
			classify(b->p, b->len, r->status);
			if (next != NULL) {
				rbuf_consume(b, (size_t)(next - b->p));
				return 1;
			}
			b->len = 0;
			return 0;
		}
		char *hend;
		while ((hend = memmem(b->p, b->len, "\r\n\r\n", 4)) == NULL &&
		    rbuf_fill(fd, b, deadline))
			;
		if (hend == NULL) {
			classify(b->p, b->len, r->status);
			b->len = 0;
			return 0;
		}
		size_t hlen = (size_t)(hend - b->p) + 4;
		classify(b->p, hlen, r->status);
		int st = atoi(r->status);
		if (st >= 100 && st < 200 && st != 101) {
			rbuf_consume(b, hlen);
			continue;	/* interim */
		}
		const char *clv = header_value(b->p, hlen, "Content-Length");
		const char *te = header_value(b->p, hlen, "Transfer-Encoding");
		const char *cn = header_value(b->p, hlen, "Connection");
		bool close_after = cn != NULL && strncasecmp(cn, "close", 5) == 0;
		bool chunked = te != NULL && strncasecmp(te, "chunked", 7) == 0;
		bool has_cl = clv != NULL;
		size_t cl = has_cl ? strtoul(clv, NULL, 10) : 0;
		rbuf_consume(b, hlen);	/* (the pointers above die here) */
		if (is_head || st == 204 || st == 304)
			return close_after ? 0 : 1;
		if (chunked) {
			for (;;) {
				char *eol;
				while ((eol = memmem(b->p, b->len, "\r\n", 2)) ==
				    NULL && rbuf_fill(fd, b, deadline))
					;
				if (eol == NULL)
					return 0;
				size_t n = strtoul(b->p, NULL, 16);
				size_t need = (size_t)(eol - b->p) + 2 + n + 2;
				while (b->len < need && rbuf_fill(fd, b, deadline))
					;
				if (b->len < need)
					return 0;
				rbuf_consume(b, need);
				if (n == 0)
					break;	/* (no trailers from our peers) */
			}
			return close_after ? 0 : 1;
		}
		if (has_cl) {
			size_t n = cl;
			while (b->len < n && rbuf_fill(fd, b, deadline))
				;
			if (b->len < n) {
				b->len = 0;
				return 0;
			}
			rbuf_consume(b, n);
			return close_after ? 0 : 1;
		}
		while (rbuf_fill(fd, b, deadline))
			;
		b->len = 0;
		return 0;
	}
}

/* A connected non-blocking socket to the load's port, or -1. */
static int
connect_port(const struct load *ld)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa;

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)ld->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Write all of buf before deadline; 0 or -1. */
static int
send_all(int fd, const char *buf, size_t n, long long deadline)
{
	size_t off = 0;

	while (off < n) {
		int w = wait_fd(fd, POLLOUT, deadline);
		if (w <= 0)
			return -1;
		ssize_t s = send(fd, buf + off, n - off, MSG_NOSIGNAL);
		if (s < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (s < 0)
			return -1;
		off += (size_t)s;
	}
	return 0;
}

/*
 * Send the requests rs[0..n) over keep-alive connections, up to
 * ld->pipeline at a time; a request whose connection closed before any
 * byte of its answer is sent again on the next one.
 */
static void
run_keepalive(const struct load *ld, struct request **rs, size_t n)
{
	struct rbuf b = {0};
	size_t done = 0;
	int tries = 0;

	while (done < n && tries < 64) {
		long long deadline = clk_mono_ms() + ld->timeout_ms;
		int fd = connect_port(ld);
		bool alive = fd >= 0;

		tries++;
		b.len = 0;
		b.eof = false;
		while (alive && done < n) {
			size_t k = n - done < (size_t)ld->pipeline ? n - done :
			    (size_t)ld->pipeline;
			char req[8192];

			for (size_t i = 0; i < k && alive; i++) {
				size_t len = format_request(ld, rs[done + i],
				    true, req, sizeof(req));
				if (len == 0 || send_all(fd, req, len,
				    deadline) != 0)
					alive = false;
			}
			for (size_t i = 0; i < k; i++) {
				int rc = read_answer(fd, &b, rs[done], deadline);

				if (rc < 0) {
					alive = false;	/* send it again */
					break;
				}
				done++;
				if (rc == 0) {
					alive = false;
					break;
				}
			}
			deadline = clk_mono_ms() + ld->timeout_ms;
		}
		if (fd >= 0)
			close(fd);
	}
	for (; done < n; done++)
		strcpy(rs[done]->status, "error");
	free(b.p);
}

static void *worker_close(void *arg);

static void *
worker_ka(void *arg)
{
	struct load *ld = arg;
	struct request *batch[1024];

	if (ld->keepalive <= 1)
		return worker_close(arg);
	for (;;) {
		size_t k = 0;

		pthread_mutex_lock(&ld->lock);
		while (k < (size_t)ld->keepalive && k < 1024 &&
		    ld->next < ld->n_reqs)
			batch[k++] = &ld->reqs[ld->next++];
		pthread_mutex_unlock(&ld->lock);
		if (k == 0)
			return NULL;
		run_keepalive(ld, batch, k);
	}
}

static void *
worker_close(void *arg)
{
	struct load *ld = arg;
	for (;;) {
		pthread_mutex_lock(&ld->lock);
		size_t i = ld->next++;
		pthread_mutex_unlock(&ld->lock);
		if (i >= ld->n_reqs)
			return NULL;
		do_request(ld, &ld->reqs[i]);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
main(int argc, char **argv)
{
	struct load ld = { .port = 0, .timeout_ms = 5000, .keepalive = 1,
	    .pipeline = 1,
	    .user_agent = "gatewatch-httpload/1" };
	int parallel = 1, repeat = 1;
	const char *method = "GET", *expect = NULL, *log_path = NULL;
	size_t cap = 0;
	char **paths = NULL;
	size_t n_paths = 0;

	paths = xrealloc(NULL, (size_t)argc * sizeof(*paths));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-' || strcmp(a, "-") == 0) {
			paths[n_paths++] = argv[i];
			continue;
		}
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		if (strcmp(a, "--port") == 0)
			ld.port = atoi(v);
		else if (strcmp(a, "--timeout-ms") == 0)
			ld.timeout_ms = atoi(v);
		else if (strcmp(a, "--parallel") == 0)
			parallel = atoi(v);
		else if (strcmp(a, "--repeat") == 0)
			repeat = atoi(v);
		else if (strcmp(a, "--method") == 0)
			method = v;
		else if (strcmp(a, "--expect") == 0)
			expect = v;
		else if (strcmp(a, "--log") == 0)
			log_path = v;
		else if (strcmp(a, "--keepalive") == 0)
			ld.keepalive = atoi(v);
		else if (strcmp(a, "--pipeline") == 0)
			ld.pipeline = atoi(v);
		else if (strcmp(a, "--request-id") == 0) {
			if (strcmp(v, "none") == 0)
				ld.id_mode = 0;
			else if (strcmp(v, "unique") == 0)
				ld.id_mode = 1;
			else if (strncmp(v, "same:", 5) == 0) {
				ld.id_mode = 2;
				ld.id_value = v + 5;
			} else
				usage();
		} else if (strcmp(a, "--user-agent") == 0)
			ld.user_agent = v;
		else if (strcmp(a, "--file") == 0)
			read_file(&ld, &cap, v);
		else if (strcmp(a, "-H") == 0 && ld.n_headers < HEADERS_MAX)
			ld.headers[ld.n_headers++] = v;
		else
			usage();
	}
	if (ld.port <= 0 || ld.port > 65535 || ld.timeout_ms <= 0 ||
	    parallel <= 0 || parallel > 256 || repeat < 0 ||
	    ld.keepalive <= 0 || ld.pipeline <= 0 || ld.pipeline > 64)
		usage();
	for (size_t p = 0; p < n_paths; p++)
		for (int k = 0; k < repeat; k++)
			add_request(&ld, &cap, method, paths[p]);
	free(paths);

	signal(SIGPIPE, SIG_IGN);
	pthread_mutex_init(&ld.lock, NULL);
	pthread_t tids[256];
	int started = 0;
	for (int t = 0; t < parallel; t++) {
		if (pthread_create(&tids[t], NULL, worker_ka, &ld) != 0)
			break;
		started++;
	}
	if (started == 0)
		worker_ka(&ld);
	for (int t = 0; t < started; t++)
		pthread_join(tids[t], NULL);

	/* Counts per status, sorted. */
	const char **sorted = xrealloc(NULL, (ld.n_reqs + 1) * sizeof(*sorted));
	for (size_t i = 0; i < ld.n_reqs; i++)
		sorted[i] = ld.reqs[i].status;
	qsort(sorted, ld.n_reqs, sizeof(*sorted), cmp_str);
	for (size_t i = 0; i < ld.n_reqs;) {
		size_t j = i;
		while (j < ld.n_reqs && strcmp(sorted[j], sorted[i]) == 0)
			j++;
		printf("%s %zu\n", sorted[i], j - i);
		i = j;
	}
	free(sorted);

	int rc = 0;
	FILE *log = NULL;
	if (log_path != NULL && (log = fopen(log_path, "w")) == NULL) {
		fprintf(stderr, "httpload: %s: %s\n", log_path,
		    strerror(errno));
		rc = 2;
	}
	for (size_t i = 0; i < ld.n_reqs; i++) {
		struct request *r = &ld.reqs[i];
		if (log != NULL)
			fprintf(log, "%s %s %s\n", r->status, r->method,
			    r->path);
		if (expect != NULL && strcmp(expect, r->status) != 0) {
			fprintf(stderr, "httpload: %s %s: got %s, want %s\n",
			    r->method, r->path, r->status, expect);
			if (rc == 0)
				rc = 1;
		}
		free(r->method);
		free(r->path);
	}
	if (log != NULL)
		fclose(log);
	free(ld.reqs);
	pthread_mutex_destroy(&ld.lock);
	return rc;
}

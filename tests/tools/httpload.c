/*
 * httpload.c - send a known list of HTTP requests and count the answers.
 *
 *   httpload --port P [--timeout-ms T] [--parallel K] [--expect STATUS]
 *            [--log F] [-H 'Name: value'] [--user-agent UA]
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
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEADERS_MAX 16
#define STATUS_LEN 8

struct request {
	char *method;
	char *path;
	char status[STATUS_LEN];
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
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: httpload --port P [--timeout-ms T] [--parallel K] "
	    "[--expect STATUS] [--log F]\n"
	    "                [-H 'Name: value'] [--user-agent UA] [--file F] "
	    "[--method M] [--repeat N] [PATH ...]\n");
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

static long long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until deadline; 1 ready, 0 timed out, -1 error. */
static int
wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
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

/* Send one request and fill r->status. */
static void
do_request(const struct load *ld, struct request *r)
{
	long long deadline = now_ms() + ld->timeout_ms;
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
	int n = snprintf(req, sizeof(req),
	    "%s %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: %s\r\n"
	    "Connection: close\r\n", r->method, r->path, ld->user_agent);
	for (int i = 0; i < ld->n_headers && n > 0 && (size_t)n < sizeof(req);
	    i++)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "%s\r\n",
		    ld->headers[i]);
	if (n > 0 && (size_t)n < sizeof(req) &&
	    (strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0))
		n += snprintf(req + n, sizeof(req) - (size_t)n,
		    "Content-Length: 0\r\n");
	if (n > 0 && (size_t)n < sizeof(req))
		n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
	if (n <= 0 || (size_t)n >= sizeof(req)) {
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

static void *
worker(void *arg)
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
	struct load ld = { .port = 0, .timeout_ms = 5000,
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
		else if (strcmp(a, "--user-agent") == 0)
			ld.user_agent = v;
		else if (strcmp(a, "--file") == 0)
			read_file(&ld, &cap, v);
		else if (strcmp(a, "-H") == 0 && ld.n_headers < HEADERS_MAX)
			ld.headers[ld.n_headers++] = v;
		else
			usage();
	}
	if (ld.port <= 0 || ld.port > 65535 || ld.timeout_ms <= 0 ||
	    parallel <= 0 || parallel > 256 || repeat < 0)
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
		if (pthread_create(&tids[t], NULL, worker, &ld) != 0)
			break;
		started++;
	}
	if (started == 0)
		worker(&ld);
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

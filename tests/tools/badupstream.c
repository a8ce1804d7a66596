/*
 * badupstream.c - an HTTP upstream that fails on purpose, for the e2e tests.
 *
 *   badupstream --listen [LABEL=]PORT:MODE ... [--portfile F] [--pidfile F]
 *   badupstream --port P --mode MODE [--pidfile F]
 *   badupstream --free-port
 *
 * One process, one poll() loop, any number of listeners on 127.0.0.1 only.
 * PORT 0 lets the kernel choose; --portfile then receives one "LABEL PORT"
 * line per listener (LABEL defaults to MODE), written after every socket is
 * ready, so a test can wait for the file and read the ports from it. The
 * pidfile is written last, also atomically (write + rename).
 *
 * Each accepted connection reads one request (header, then Content-Length
 * bytes of body) and then misbehaves as its listener's MODE says:
 *
 *   ok         HTTP/1.1 200 with a small body, then close
 *   503        HTTP/1.1 503 with a small body, then close
 *   reset      no answer; close with SO_LINGER 0, so the peer gets a RST
 *   close      no answer; close cleanly (FIN)
 *   slow       no answer; wait until the peer closes
 *   garbage    "HELLO\r\n\r\n" (not HTTP), then close
 *   bigheader  a 200 whose header holds a 64 KiB line
 *   truncate   a 200 with Content-Length 1000, 10 body bytes, then close
 *   refuse     the port is bound but never listens: every connect is refused
 *              (the port stays reserved, so nothing else can take it)
 *   blackhole  listens with backlog 0 and never accepts; the process itself
 *              connects once to fill the accept queue, after which Linux drops
 *              every SYN, so a gateway's connect really times out
 *   shape502   HTTP/1.1 502 when the query has the key userName, or the key
 *              age with an empty value (age= or a bare age); else the ok
 *              answer: an upstream that fails by parameter shape
 *
 * SIGTERM or SIGINT ends the process (exit 0). --free-port prints a port that
 * was free on 127.0.0.1 a moment ago (bind 0, read it, close): racy by
 * nature, for the gateway's own listen port only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#define LISTEN_MAX	64
#define CONN_MAX	4096
#define REQ_MAX		(64 * 1024)
#define BIG_HEADER	(64 * 1024)

enum mode {
	MODE_OK,
	MODE_503,
	MODE_RESET,
	MODE_CLOSE,
	MODE_SLOW,
	MODE_GARBAGE,
	MODE_BIGHEADER,
	MODE_TRUNCATE,
	MODE_REFUSE,
	MODE_BLACKHOLE,
	MODE_SHAPE502
};

static const char *const mode_names[] = {
	"ok", "503", "reset", "close", "slow", "garbage", "bigheader",
	"truncate", "refuse", "blackhole", "shape502"
};

struct listener {
	const char *label;
	enum mode mode;
	int port;
	int fd;
	int filler_fd;		/* blackhole: our own connection in the queue */
};

enum conn_state {
	CONN_READING,		/* waiting for the whole request */
	CONN_WRITING,		/* sending out[] */
	CONN_DRAINING		/* slow: reading and discarding until EOF */
};

struct conn {
	int fd;
	enum mode mode;
	enum conn_state state;
	char *in;
	size_t in_len;
	const char *out;
	size_t out_len;
	size_t out_off;
};

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "badupstream: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static int
mode_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (strcmp(s, mode_names[i]) == 0)
			return (int)i;
	return -1;
}

static void
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		die("fcntl: %s", strerror(errno));
}

static struct sockaddr_in
loopback(int port)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

/* Bind a TCP socket to 127.0.0.1:port (0 = any); returns the fd. */
static int
bind_loopback(int port, int *bound_port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = loopback(port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind 127.0.0.1:%d: %s", port, strerror(errno));
	socklen_t sl = sizeof(sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		die("getsockname: %s", strerror(errno));
	*bound_port = ntohs(sa.sin_port);
	return fd;
}

/*
 * Fill the accept queue of a backlog-0 listener with one connection of our
 * own, and wait until the kernel has queued it. From then on Linux drops
 * SYNs to the port (accept queue full), which is what a connect timeout needs.
 */
static int
blackhole_fill(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	struct sockaddr_in sa = loopback(port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    errno != EINPROGRESS)
		die("blackhole self-connect: %s", strerror(errno));
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	if (poll(&p, 1, 2000) != 1)
		die("blackhole self-connect did not complete");
	int err = 0;
	socklen_t el = sizeof(err);
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
	if (err != 0)
		die("blackhole self-connect: %s", strerror(err));
	return fd;
}

static void
listener_open(struct listener *l, int port)
{
	l->filler_fd = -1;
	l->fd = bind_loopback(port, &l->port);
	switch (l->mode) {
	case MODE_REFUSE:
		break;		/* bound, never listening: connects get RST */
	case MODE_BLACKHOLE:
		if (listen(l->fd, 0) < 0)
			die("listen: %s", strerror(errno));
		l->filler_fd = blackhole_fill(l->port);
		break;
	default:
		if (listen(l->fd, 1024) < 0)
			die("listen: %s", strerror(errno));
		set_nonblock(l->fd);
		break;
	}
}

/* Parse "[LABEL=]PORT:MODE". */
static void
listener_parse(struct listener *l, char *arg, int *port)
{
	char *spec = arg;
	char *eq = strchr(arg, '=');
	l->label = NULL;
	if (eq != NULL) {
		*eq = '\0';
		l->label = arg;
		spec = eq + 1;
	}
	char *colon = strchr(spec, ':');
	if (colon == NULL)
		die("--listen wants [LABEL=]PORT:MODE, got '%s'", spec);
	*colon = '\0';
	char *end;
	long p = strtol(spec, &end, 10);
	if (*spec == '\0' || *end != '\0' || p < 0 || p > 65535)
		die("bad port '%s'", spec);
	int m = mode_parse(colon + 1);
	if (m < 0)
		die("unknown mode '%s'", colon + 1);
	l->mode = (enum mode)m;
	if (l->label == NULL)
		l->label = mode_names[m];
	*port = (int)p;
}

/* Write text to path atomically (path.tmp, then rename). */
static void
write_file_atomic(const char *path, const char *text)
{
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		die("path too long: %s", path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		die("%s: %s", tmp, strerror(errno));
	fputs(text, f);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		die("%s: %s", path, strerror(errno));
}

/* The canned answers; bigheader and truncate are built once at start. */
static const char resp_ok[] =
	"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	"Content-Length: 3\r\nConnection: close\r\n\r\nok\n";
static const char resp_503[] =
	"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
	"Content-Length: 12\r\nConnection: close\r\n\r\nunavailable\n";
static const char resp_502[] =
	"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\n"
	"Content-Length: 12\r\nConnection: close\r\n\r\nbad request\n";
static const char resp_garbage[] = "HELLO\r\n\r\n";
static const char resp_truncate[] =
	"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	"Content-Length: 1000\r\nConnection: close\r\n\r\n0123456789";
static char *resp_bigheader;
static size_t resp_bigheader_len;

static void
build_bigheader(void)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nX-Big: ";
	static const char tail[] =
		"\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
	size_t n = sizeof(head) - 1 + BIG_HEADER + sizeof(tail) - 1;
	resp_bigheader = malloc(n);
	if (resp_bigheader == NULL)
		die("out of memory");
	memcpy(resp_bigheader, head, sizeof(head) - 1);
	memset(resp_bigheader + sizeof(head) - 1, 'x', BIG_HEADER);
	memcpy(resp_bigheader + sizeof(head) - 1 + BIG_HEADER, tail,
	    sizeof(tail) - 1);
	resp_bigheader_len = n;
}

static void
conn_close(struct conn *c, bool reset)
{
	if (reset) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(c->fd);
	free(c->in);
	c->fd = -1;
	c->in = NULL;
}

/*
 * Length of a complete request in buf (header plus Content-Length body), or
 * 0 while more bytes are needed.
 */
static size_t
request_complete(const char *buf, size_t len)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4);
	if (end == NULL)
		return 0;
	size_t head = (size_t)(end - buf) + 4;
	size_t body = 0;
	const char *p = buf;
	while (p < end) {
		const char *eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
		if (eol == NULL)
			break;
		static const char cl[] = "content-length:";
		if ((size_t)(eol - p) > sizeof(cl) - 1 &&
		    strncasecmp(p, cl, sizeof(cl) - 1) == 0)
			body = strtoul(p + sizeof(cl) - 1, NULL, 10);
		p = eol + 2;
	}
	return len >= head + body ? head + body : 0;
}

/*
 * shape502: true when the query of the request line in buf (len bytes) has
 * the key "userName", or the key "age" with an empty value.
 */
static bool
shape_is_bad(const char *buf, size_t len)
{
	const char *eol = memmem(buf, len, "\r\n", 2);
	const char *end = eol != NULL ? eol : buf + len;
	const char *q = memchr(buf, '?', (size_t)(end - buf));
	const char *sp;

	if (q == NULL)
		return false;
	q++;
	sp = memchr(q, ' ', (size_t)(end - q));
	if (sp != NULL)
		end = sp;
	while (q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *item_end = amp != NULL ? amp : end;
		const char *eq = memchr(q, '=', (size_t)(item_end - q));
		size_t klen = (size_t)((eq != NULL ? eq : item_end) - q);

		if (klen == 8 && memcmp(q, "userName", 8) == 0)
			return true;
		if (klen == 3 && memcmp(q, "age", 3) == 0 &&
		    (eq == NULL || eq + 1 == item_end))
			return true;
		q = item_end + (amp != NULL);
	}
	return false;
}

/* The whole request is in: start misbehaving as the mode says. */
static void
conn_answer(struct conn *c)
{
	c->out_off = 0;
	switch (c->mode) {
	case MODE_OK:
		c->out = resp_ok;
		c->out_len = sizeof(resp_ok) - 1;
		break;
	case MODE_503:
		c->out = resp_503;
		c->out_len = sizeof(resp_503) - 1;
		break;
	case MODE_GARBAGE:
		c->out = resp_garbage;
		c->out_len = sizeof(resp_garbage) - 1;
		break;
	case MODE_TRUNCATE:
		c->out = resp_truncate;
		c->out_len = sizeof(resp_truncate) - 1;
		break;
	case MODE_BIGHEADER:
		c->out = resp_bigheader;
		c->out_len = resp_bigheader_len;
		break;
	case MODE_SHAPE502:
		if (shape_is_bad(c->in, c->in_len)) {
			c->out = resp_502;
			c->out_len = sizeof(resp_502) - 1;
		} else {
			c->out = resp_ok;
			c->out_len = sizeof(resp_ok) - 1;
		}
		break;
	case MODE_RESET:
		conn_close(c, true);
		return;
	case MODE_CLOSE:
		conn_close(c, false);
		return;
	case MODE_SLOW:
		c->state = CONN_DRAINING;
		return;
	case MODE_REFUSE:
	case MODE_BLACKHOLE:
		conn_close(c, false);	/* never accepted; cannot happen */
		return;
	}
	c->state = CONN_WRITING;
}

static void
conn_on_readable(struct conn *c)
{
	char buf[16384];
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {		/* peer closed or failed */
			conn_close(c, false);
			return;
		}
		if (c->state != CONN_READING)
			continue;	/* draining: discard */
		if (c->in_len + (size_t)n > REQ_MAX) {
			conn_close(c, true);	/* absurd request */
			return;
		}
		if (c->in == NULL && (c->in = malloc(REQ_MAX)) == NULL)
			die("out of memory");
		memcpy(c->in + c->in_len, buf, (size_t)n);
		c->in_len += (size_t)n;
		if (request_complete(c->in, c->in_len) > 0) {
			conn_answer(c);
			if (c->fd < 0 || c->state != CONN_DRAINING)
				return;
		}
	}
}

static void
conn_on_writable(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
		    c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {		/* the gateway gave up (bigheader) */
			conn_close(c, false);
			return;
		}
		c->out_off += (size_t)n;
	}
	/*
	 * Everything sent: close. The whole request was read, so close() sends
	 * the queued bytes and a FIN, not a RST.
	 */
	conn_close(c, false);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: badupstream --listen [LABEL=]PORT:MODE ... "
	    "[--portfile F] [--pidfile F]\n"
	    "       badupstream --port P --mode MODE [--pidfile F]\n"
	    "       badupstream --free-port\n"
	    "modes: ok 503 reset close slow garbage bigheader truncate "
	    "refuse blackhole shape502\n");
	exit(2);
}

static int
free_port(void)
{
	int port;
	int fd = bind_loopback(0, &port);
	close(fd);
	printf("%d\n", port);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct listener listeners[LISTEN_MAX];
	int ports[LISTEN_MAX];
	int n_listen = 0;
	const char *pidfile = NULL, *portfile = NULL;
	const char *single_port = NULL, *single_mode = NULL;

	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--free-port") == 0)
			return free_port();
		if (v == NULL)
			usage();
		if (strcmp(a, "--listen") == 0) {
			if (n_listen == LISTEN_MAX)
				die("too many listeners");
			listener_parse(&listeners[n_listen], argv[i + 1],
			    &ports[n_listen]);
			n_listen++;
		} else if (strcmp(a, "--port") == 0) {
			single_port = v;
		} else if (strcmp(a, "--mode") == 0) {
			single_mode = v;
		} else if (strcmp(a, "--pidfile") == 0) {
			pidfile = v;
		} else if (strcmp(a, "--portfile") == 0) {
			portfile = v;
		} else {
			usage();
		}
	}
	if (single_port != NULL || single_mode != NULL) {
		static char spec[128];
		if (single_port == NULL || single_mode == NULL ||
		    n_listen == LISTEN_MAX)
			usage();
		snprintf(spec, sizeof(spec), "%s:%s", single_port, single_mode);
		listener_parse(&listeners[n_listen], spec, &ports[n_listen]);
		n_listen++;
	}
	if (n_listen == 0)
		usage();

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	build_bigheader();

	char text[LISTEN_MAX * 80];
	size_t tl = 0;
	for (int i = 0; i < n_listen; i++) {
		listener_open(&listeners[i], ports[i]);
		tl += (size_t)snprintf(text + tl, sizeof(text) - tl, "%s %d\n",
		    listeners[i].label, listeners[i].port);
	}
	if (portfile != NULL)
		write_file_atomic(portfile, text);
	else {
		fputs(text, stdout);
		fflush(stdout);
	}
	if (pidfile != NULL) {
		char pid[32];
		snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		write_file_atomic(pidfile, pid);
	}

	static struct conn conns[CONN_MAX];
	static struct pollfd pfds[LISTEN_MAX + CONN_MAX];
	static int pfd_owner[LISTEN_MAX + CONN_MAX];	/* <0: ~listener */
	int n_conn = 0;

	while (!stop_requested) {
		int np = 0;
		for (int i = 0; i < n_listen; i++) {
			if (listeners[i].mode == MODE_REFUSE ||
			    listeners[i].mode == MODE_BLACKHOLE ||
			    n_conn == CONN_MAX)
				continue;
			pfds[np] = (struct pollfd){ listeners[i].fd, POLLIN, 0 };
			pfd_owner[np++] = ~i;
		}
		for (int i = 0; i < n_conn; i++) {
			short ev = conns[i].state == CONN_WRITING ?
			    POLLOUT : POLLIN;
			pfds[np] = (struct pollfd){ conns[i].fd, ev, 0 };
			pfd_owner[np++] = i;
		}
		int r = poll(pfds, (nfds_t)np, 1000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("poll: %s", strerror(errno));
		for (int k = 0; k < np; k++) {
			if (pfds[k].revents == 0)
				continue;
			if (pfd_owner[k] < 0) {
				struct listener *l = &listeners[~pfd_owner[k]];
				while (n_conn < CONN_MAX) {
					int fd = accept4(l->fd, NULL, NULL,
					    SOCK_NONBLOCK | SOCK_CLOEXEC);
					if (fd < 0)
						break;
					conns[n_conn++] = (struct conn){
						.fd = fd, .mode = l->mode,
						.state = CONN_READING };
				}
				continue;
			}
			struct conn *c = &conns[pfd_owner[k]];
			if (c->fd < 0)
				continue;
			if (c->state == CONN_WRITING)
				conn_on_writable(c);
			else
				conn_on_readable(c);
		}
		/* Compact: drop closed connections. */
		int j = 0;
		for (int i = 0; i < n_conn; i++)
			if (conns[i].fd >= 0)
				conns[j++] = conns[i];
		n_conn = j;
	}
	for (int i = 0; i < n_conn; i++)
		conn_close(&conns[i], false);
	for (int i = 0; i < n_listen; i++) {
		close(listeners[i].fd);
		if (listeners[i].filler_fd >= 0)
			close(listeners[i].filler_fd);
	}
	if (pidfile != NULL)
		unlink(pidfile);
	free(resp_bigheader);
	return 0;
}

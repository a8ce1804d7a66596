/*
 * udpsink.c - a syslog receiver for the e2e tests: every UDP datagram sent
 * to it becomes one line of a file.
 *
 *   udpsink --out FILE --portfile F [--pidfile F]
 *
 * Binds 127.0.0.1 on a port the kernel chooses, writes "PORT\n" to the
 * portfile (write + rename, so a reader never sees half of it), then
 * appends each datagram to FILE as it came, with a newline unless it ends
 * in one: what rsyslog's plain file output or `socat UDP-RECV:` would
 * write, so nginx's `access_log syslog:server=...` lines arrive as
 * gatewatch reads syslog files. One write per datagram, so a reader tailing
 * FILE never sees a cut line. SIGTERM/SIGINT end it (exit 0).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DGRAM_MAX	65536

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Write text to path atomically (path.tmp, then rename); 0 or -1. */
static int
write_atomic(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	if (fputs(text, f) < 0 || fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

int
main(int argc, char **argv)
{
	const char *out = NULL, *portfile = NULL, *pidfile = NULL;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	static char buf[DGRAM_MAX + 1];
	char text[64];
	int fd, ofd;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--out") == 0)
			out = argv[i + 1];
		else if (strcmp(argv[i], "--portfile") == 0)
			portfile = argv[i + 1];
		else if (strcmp(argv[i], "--pidfile") == 0)
			pidfile = argv[i + 1];
		else
			break;
	}
	if (out == NULL || portfile == NULL) {
		fprintf(stderr, "usage: udpsink --out FILE --portfile F "
		    "[--pidfile F]\n");
		return 2;
	}
	struct sigaction act = { .sa_handler = on_signal };
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);

	if ((ofd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0) {
		fprintf(stderr, "udpsink: %s: %s\n", out, strerror(errno));
		return 1;
	}
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0) {
		perror("udpsink: socket");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		perror("udpsink: bind");
		return 1;
	}
	/* room for bursts: the test sends a few hundred lines at once */
	int rcvbuf = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	snprintf(text, sizeof(text), "%u\n", (unsigned)ntohs(sa.sin_port));
	if (write_atomic(portfile, text) != 0) {
		perror("udpsink: portfile");
		return 1;
	}
	if (pidfile != NULL) {
		snprintf(text, sizeof(text), "%ld\n", (long)getpid());
		if (write_atomic(pidfile, text) != 0) {
			perror("udpsink: pidfile");
			return 1;
		}
	}
	while (!stop) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, 200);

		if (r < 0 && errno != EINTR) {
			perror("udpsink: poll");
			return 1;
		}
		if (r <= 0)
			continue;
		ssize_t n = recv(fd, buf, DGRAM_MAX, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			perror("udpsink: recv");
			return 1;
		}
		if (n == 0 || buf[n - 1] != '\n')
			buf[n++] = '\n';
		if (write(ofd, buf, (size_t)n) != n) {
			perror("udpsink: write");
			return 1;
		}
	}
	close(fd);
	close(ofd);
	return 0;
}

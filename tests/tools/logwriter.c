/*
 * logwriter.c - append numbered nginx access-log lines at a steady rate,
 * as nginx does, for the `gatewatch tail` tests and benchmark.
 *
 *   logwriter --rate N --count M [--start K] [--stamp] [--pidfile F]
 *             [--rotate-every SECS [--rotate-mode MODE] [--keep N]]
 *             [--time-start EPOCH --time-speed F] [--paths K] FILE
 *
 * Writes lines numbered K .. K+M-1 (default K = 1), N per second on a
 * fixed schedule (a stall is made up at once), one write(2) per line on an
 * O_APPEND descriptor, in gatewatch's "upstream" format:
 *
 *   127.0.0.1 - - [25/Nov/2026:10:15:02 +0000] "GET /n/12345?x=1 HTTP/1.1"
 *   200 157 "-" "curl/7.88.1" rt=0.001 uaddr="127.0.0.1:9001" us="200"
 *   uct="0.000" uht="0.001" urt="0.001" rid=0000000000012345
 *
 * (one line), the number in the path and, 16 digits wide, in the request
 * id; the time is the wall clock at the write, or with --time-start and
 * --time-speed an event clock that starts at EPOCH (seconds) and runs F
 * times faster than the wall clock (a month of events in a minute, for the
 * retention tests). With --paths K the number in the path is taken
 * modulo K (K distinct paths instead of one per line). With --stamp the
 * query is
 * t=<UTC ms of the write> instead of x=1, so a reader can tell how long a
 * line took to reach the database.
 *
 * SIGHUP makes it reopen FILE (nginx's USR1), so a test can rotate the
 * file itself. With --rotate-every it rotates on its own, by MODE:
 *   rename        FILE.i -> FILE.i+1, FILE -> FILE.1; go on writing to the
 *                 old file for 50 ms (nginx until it is told), then reopen
 *   copytruncate  FILE.i -> FILE.i+1, copy FILE to FILE.1, truncate FILE
 *   delete        unlink FILE, reopen
 *   replace       move a new empty file over FILE, reopen
 *   cycle         each of the above in turn (default)
 * keeping at most N rotated files (default 5).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"

static volatile sig_atomic_t reopen_requested;
/* --time-start / --time-speed: event clock = start + speed * (wall - t0). */
static double event_start, event_speed, event_t0;
/* --paths K: the number in the path is N mod K (K distinct paths). */
static unsigned long long path_mod;

static void
on_hup(int sig)
{
	(void)sig;
	reopen_requested = 1;
}

static int
open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "logwriter: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

/* Format line number n, written now, into b; returns its length. */
static int
format_line(char *b, size_t len, unsigned long long n, bool stamp)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int64_t now_us = clk_wall_us();
	struct tm tm;
	char query[32];

	time_t event = (time_t)(now_us / 1000000);
	if (event_speed > 0)
		event = (time_t)(event_start + event_speed *
		    ((double)now_us / 1e6 - event_t0));
	gmtime_r(&event, &tm);
	if (stamp)
		snprintf(query, sizeof(query), "t=%lld",
		    (long long)(now_us / 1000));
	else
		snprintf(query, sizeof(query), "x=1");
	return snprintf(b, len, "127.0.0.1 - - [%02d/%s/%04d:%02d:%02d:%02d "
	    "+0000] \"GET /n/%llu?%s HTTP/1.1\" 200 157 \"-\" \"curl/7.88.1\" "
	    "rt=0.001 uaddr=\"127.0.0.1:9001\" us=\"200\" uct=\"0.000\" "
	    "uht=\"0.001\" urt=\"0.001\" rid=%016llu\n", tm.tm_mday,
	    months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, path_mod > 0 ? n % path_mod : n, query, n);
}

static void
write_all(int fd, const char *b, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			perror("logwriter: write");
			exit(1);
		}
		b += w;
		n -= (size_t)w;
	}
}

/* FILE.i -> FILE.i+1 for i = keep-1 .. 1 (FILE.keep is overwritten). */
static void
shift_rotated(const char *path, int keep)
{
	char from[4096], to[4096];

	for (int i = keep - 1; i >= 1; i--) {
		snprintf(from, sizeof(from), "%s.%d", path, i);
		snprintf(to, sizeof(to), "%s.%d", path, i + 1);
		rename(from, to);
	}
}

static void
copy_file(const char *from, const char *to)
{
	char b[65536];
	int in = open(from, O_RDONLY), out;
	ssize_t n;

	if (in < 0)
		return;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0) {
		close(in);
		return;
	}
	while ((n = read(in, b, sizeof(b))) > 0)
		write_all(out, b, (size_t)n);
	close(in);
	close(out);
}

enum mode { M_RENAME, M_COPYTRUNCATE, M_DELETE, M_REPLACE, M_COUNT };

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"rate", required_argument, NULL, 'r'},
		{"count", required_argument, NULL, 'c'},
		{"start", required_argument, NULL, 's'},
		{"stamp", no_argument, NULL, 'S'},
		{"pidfile", required_argument, NULL, 'p'},
		{"rotate-every", required_argument, NULL, 'R'},
		{"rotate-mode", required_argument, NULL, 'm'},
		{"keep", required_argument, NULL, 'k'},
		{"time-start", required_argument, NULL, 'T'},
		{"time-speed", required_argument, NULL, 'F'},
		{"paths", required_argument, NULL, 'P'},
		{NULL, 0, NULL, 0},
	};
	double rate = 1000, every = 0;
	unsigned long long count = 1000, start = 1;
	const char *pidfile = NULL, *mode_name = "cycle";
	bool stamp = false;
	int keep = 5, ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r': rate = strtod(optarg, NULL); break;
		case 'c': count = strtoull(optarg, NULL, 10); break;
		case 's': start = strtoull(optarg, NULL, 10); break;
		case 'S': stamp = true; break;
		case 'p': pidfile = optarg; break;
		case 'R': every = strtod(optarg, NULL); break;
		case 'm': mode_name = optarg; break;
		case 'k': keep = atoi(optarg); break;
		case 'T': event_start = strtod(optarg, NULL); break;
		case 'F': event_speed = strtod(optarg, NULL); break;
		case 'P': path_mod = strtoull(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || rate <= 0 || keep < 1)
		goto usage;
	const char *path = argv[optind];
	int mode = -1;	/* cycle */
	const char *const names[] = {"rename", "copytruncate", "delete",
	    "replace"};
	for (int i = 0; i < M_COUNT; i++)
		if (strcmp(mode_name, names[i]) == 0)
			mode = i;
	if (mode < 0 && strcmp(mode_name, "cycle") != 0)
		goto usage;

	struct sigaction sa = {.sa_handler = on_hup};
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	int fd = open_log(path);
	if (pidfile != NULL) {
		FILE *f = fopen(pidfile, "w");
		if (f != NULL) {
			fprintf(f, "%ld\n", (long)getpid());
			fclose(f);
		}
	}

	event_t0 = (double)clk_wall_us() / 1e6;
	if (event_speed > 0 && event_start <= 0)
		event_start = event_t0;
	char line[512];
	int old_fd = -1;		/* rename: the old file, still written */
	double t0 = clk_mono_secs(), next_rotate = every > 0 ? t0 + every : 0;
	double old_until = 0;
	int rotations = 0;
	unsigned long long done = 0;
	while (done < count) {
		double now = clk_mono_secs();
		if (reopen_requested) {
			reopen_requested = 0;
			if (fd >= 0)
				close(fd);
			fd = open_log(path);
		}
		if (old_fd >= 0 && now >= old_until) {
			/* nginx got USR1: new lines go to the new file. */
			close(old_fd);
			old_fd = -1;
			if (fd < 0)
				fd = open_log(path);
		}
		if (next_rotate > 0 && now >= next_rotate && old_fd < 0) {
			int m = mode >= 0 ? mode : rotations % M_COUNT;
			char to[4096];
			snprintf(to, sizeof(to), "%s.1", path);
			rotations++;
			next_rotate = now + every;
			switch (m) {
			case M_RENAME:
				shift_rotated(path, keep);
				rename(path, to);
				old_fd = fd;	/* reopened below after 50 ms */
				old_until = now + 0.05;
				fd = -1;
				break;
			case M_COPYTRUNCATE:
				shift_rotated(path, keep);
				copy_file(path, to);
				if (ftruncate(fd, 0) != 0)
					perror("logwriter: ftruncate");
				break;
			case M_DELETE:
				unlink(path);
				close(fd);
				fd = open_log(path);
				break;
			case M_REPLACE: {
				char tmp[4096];
				snprintf(tmp, sizeof(tmp), "%s.new", path);
				close(open_log(tmp));
				rename(tmp, path);
				close(fd);
				fd = open_log(path);
				break;
			}
			}
		}
		unsigned long long due = (unsigned long long)((now - t0) * rate) + 1;
		if (due > count)
			due = count;
		for (; done < due; done++) {
			int n = format_line(line, sizeof(line), start + done,
			    stamp);
			int to_fd = fd;
			if (old_fd >= 0)
				to_fd = old_fd;
			write_all(to_fd, line, (size_t)n);
		}
		if (done < count) {
			double wake = t0 + (double)done / rate;
			double d = wake - clk_mono_secs();
			if (d > 0.001)
				d = 0.001;
			if (d > 0) {
				struct timespec ts = {0, (long)(d * 1e9)};
				nanosleep(&ts, NULL);
			}
		}
	}
	if (old_fd >= 0)
		close(old_fd);
	if (fd >= 0)
		close(fd);
	fprintf(stderr, "logwriter: wrote %llu lines (%llu..%llu) in %.2f s, "
	    "%d rotations\n", count, start, start + count - 1, clk_mono_secs() - t0,
	    rotations);
	return 0;
usage:
	fprintf(stderr, "usage: logwriter --rate N --count M [--start K] "
	    "[--stamp] [--pidfile F]\n"
	    "       [--rotate-every SECS [--rotate-mode rename|copytruncate|"
	    "delete|replace|cycle] [--keep N]]\n"
	    "       [--time-start EPOCH --time-speed F] [--paths K] FILE\n");
	return 2;
}

/*
 * runstat.c - run a command, then print its wall time and peak RSS.
 *
 *   runstat LABEL LINES COMMAND [ARGS...]
 *
 * Prints "LABEL: S s, N lines/s, peak RSS M MiB" on stderr (LINES = 0
 * leaves out the rate) and exits with the command's status. Used by
 * `make bench`, which must not depend on GNU time being installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"

int
main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: runstat LABEL LINES COMMAND [ARGS...]\n");
		return 2;
	}
	double lines = strtod(argv[2], NULL);
	int64_t t0 = clk_mono_us();
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[3], argv + 3);
		perror(argv[3]);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("wait4");
		return 1;
	}
	double secs = (double)(clk_mono_us() - t0) / 1e6;
	fprintf(stderr, "%-28s %8.3f s", argv[1], secs);
	if (lines > 0)
		fprintf(stderr, "  %10.0f lines/s", lines / secs);
	fprintf(stderr, "  peak RSS %6.1f MiB  user %.2f s  sys %.2f s\n",
	    (double)ru.ru_maxrss / 1024.0,
	    (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/*
 * cmd_top.c - `gatewatch top`: the live console; and `gatewatch FILE...`,
 * which ingests the files and then opens the console (as GoAccess does).
 *
 * This file only reads options, opens the database and hands over to
 * tui_run(); the console itself is tui/.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "store/store.h"
#include "tui/tui.h"

/* Print the usage of `gatewatch top` to f. */
static void
top_usage(FILE *f, const struct opt *opts)
{
	fputs("usage: gatewatch top [-d DB] [--window 5m|1h|24h|all] "
	    "[--refresh SECONDS]\n"
	    "                     [--degraded PCT] [--failing PCT] "
	    "[--no-color]\n\n"
	    "A live console: which upstream is failing, since when and why.\n"
	    "It reads the database while `gatewatch tail` or `ingest` write "
	    "it.\n\n", f);
	opt_usage(f, opts, 21);
	fputs("\nKeys: ? help, arrows/j k move, Tab pane, Enter drill in, "
	    "Backspace out,\n"
	    "/ filter, s sort, w window, c chart split, p pause, r refresh, "
	    "q quit;\nv or 1-4 views (overview, query shapes, circuit breaker, "
	    "retries), e explain.\n", f);
}

/* --window: 5m, 1h, 24h or all into the tui_config value. */
static int
top_window_cb(const struct opt *opt, const char *arg, const char *cmd)
{
	struct tui_config *cfg = opt->value;
	int w = window_from_name(arg);

	if (w < 0) {
		fprintf(stderr, "gatewatch %s: --window is 5m, 1h, 24h or all\n",
		    cmd);
		return -1;
	}
	cfg->window = (enum window_id)w;
	cfg->window_given = true;
	return 0;
}

/* --refresh: seconds, 0.1 to 3600. */
static int
top_refresh_cb(const struct opt *opt, const char *arg, const char *cmd)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end != '\0' || v < 0.1 || v > 3600) {
		fprintf(stderr, "gatewatch %s: --refresh takes seconds, 0.1 to "
		    "3600\n", cmd);
		return -1;
	}
	*(double *)opt->value = v;
	return 0;
}

/* --degraded, --failing: a percentage into a fraction. */
static int
top_percent_cb(const struct opt *opt, const char *arg, const char *cmd)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end != '\0' || v < 0 || v > 100) {
		fprintf(stderr, "gatewatch %s: a percentage, 0 to 100\n", cmd);
		return -1;
	}
	*(double *)opt->value = v / 100.0;
	return 0;
}

/*
 * Open db (which must exist) and run the console on it; exit status.
 */
static int
top_run(const char *db, struct tui_config *cfg)
{
	struct store *st;
	char err[512];
	int rc;

	if (access(db, F_OK) != 0) {
		fprintf(stderr, "gatewatch top: %s: no such database (run "
		    "'gatewatch ingest' or 'gatewatch tail' first)\n", db);
		return EXIT_ERR;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "gatewatch top: needs a terminal (use "
		    "'gatewatch report' for text)\n");
		return EXIT_USAGE;
	}
	if (store_open(db, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch top: %s\n", err);
		return EXIT_ERR;
	}
	cli_note_upgrade("top", db, st);
	/* Curses needs the locale for UTF-8; numbers stay in C. */
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");
	rc = tui_run(st, cfg, err, sizeof(err));
	store_close(st);
	if (rc != 0) {
		fprintf(stderr, "gatewatch top: %s\n", err);
		return EXIT_ERR;
	}
	return EXIT_OK;
}

/* See cli.h. */
int
cmd_top(int argc, char **argv)
{
	const char *db = cli_default_db();
	struct tui_config cfg;
	const struct opt opts[] = {
		OPT_DB(&db),
		OPT_CALLBACK('w', "window", &cfg, "W",
		    "5m, 1h, 24h or all (default: 1h, or all when\n"
		    "the newest request is older than an hour)", top_window_cb),
		OPT_CALLBACK('r', "refresh", &cfg.refresh_s, "S",
		    "seconds between refreshes (default 2)", top_refresh_cb),
		OPT_CALLBACK(0, "degraded", &cfg.thresholds.degraded, "PCT",
		    "5xx rate that marks an upstream degraded (default 1)",
		    top_percent_cb),
		OPT_CALLBACK(0, "failing", &cfg.thresholds.failing, "PCT",
		    "5xx rate that marks it failing (default 10)",
		    top_percent_cb),
		OPT_FLAG(0, "no-color", &cfg.no_color,
		    "monochrome (NO_COLOR=1 does the same)"),
		OPT_END(),
	};
	int first, rc;

	tui_config_default(&cfg);
	if ((rc = opt_parse("top", argc, argv, opts, top_usage, &first)) >= 0)
		return rc;
	if (first < argc) {
		fprintf(stderr, "gatewatch top: unexpected '%s'\n", argv[first]);
		return EXIT_USAGE;
	}
	if (cfg.thresholds.degraded > cfg.thresholds.failing) {
		fprintf(stderr, "gatewatch top: --degraded is above --failing\n");
		return EXIT_USAGE;
	}
	return top_run(db, &cfg);
}

/*
 * `gatewatch FILE...`: argv[0] is the program, argv[1..] the files.
 * Ingests them into the database (-d DB, else ./gatewatch.db or
 * $GATEWATCH_DB) as `gatewatch ingest FILE...` would (its options are
 * accepted), then opens the console on it.
 */
int
cmd_open_files(int argc, char **argv)
{
	const char *db = cli_default_db();
	struct tui_config cfg;
	char **args;
	int rc;

	if ((args = calloc((size_t)argc + 2, sizeof(*args))) == NULL) {
		fprintf(stderr, "gatewatch: out of memory\n");
		return EXIT_ERR;
	}
	args[0] = (char *)"ingest";
	for (int i = 1; i < argc; i++) {
		args[i] = argv[i];
		/* The console opens the database ingest writes. */
		if ((strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "--db") == 0) &&
		    i + 1 < argc)
			db = argv[i + 1];
		else if (strncmp(argv[i], "--db=", 5) == 0)
			db = argv[i] + 5;
	}
	rc = cmd_ingest(argc, args);
	free(args);
	if (rc != EXIT_OK)
		return rc;
	tui_config_default(&cfg);
	return top_run(db, &cfg);
}

/* See cli.h. */
int
top_side_open(const char *db, const char *what, struct top_side *ts)
{
	char err[512], suffix[32];

	memset(ts, 0, sizeof(*ts));
	ts->db = db;
	ts->what = what;
	ts->logfd = -1;
	snprintf(suffix, sizeof(suffix), ".%s.log", what);
	if (store_open(db, &ts->view, err, sizeof(err)) != 0 ||
	    store_open_reader(ts->view, &ts->worker, err, sizeof(err)) != 0 ||
	    (ts->logfd = store_side_file(db, suffix, err, sizeof(err))) < 0) {
		fprintf(stderr, "gatewatch %s: %s\n", what, err);
		top_side_close(ts);
		return -1;
	}
	return 0;
}

/* See cli.h. */
void
top_side_close(struct top_side *ts)
{
	if (ts->logfd >= 0)
		close(ts->logfd);
	ts->logfd = -1;
	store_close(ts->view);
	store_close(ts->worker);
	ts->view = ts->worker = NULL;
}

/*
 * See cli.h. The worker gets no terminal signals (they are the console's)
 * and its messages go to a log file, since they would tear the screen.
 */
int
top_beside(const char *db, const char *what, void *(*work)(void *),
    void *arg, cli_stop_flag *stop)
{
	struct top_side ts;

	if (top_side_open(db, what, &ts) != 0)
		return -1;
	return top_side_run(&ts, work, arg, stop);
}

/* See cli.h. */
int
top_side_run(struct top_side *ts, void *(*work)(void *), void *arg,
    cli_stop_flag *stop)
{
	char err[512];
	struct tui_config cfg;
	pthread_t th;
	sigset_t sigs, old;
	int saved = -1, rc;

	/*
	 * The log goes under stderr's descriptor, not freopen(): when that
	 * fails it closes stderr, and the reason would be lost.
	 */
	fflush(stderr);
	if ((saved = dup(STDERR_FILENO)) < 0 ||
	    dup2(ts->logfd, STDERR_FILENO) < 0) {
		int e = errno;

		if (saved >= 0)
			close(saved);
		fprintf(stderr, "gatewatch %s: %s.%s.log: cannot write: %s\n",
		    ts->what, ts->db, ts->what, strerror(e));
		top_side_close(ts);
		return -1;
	}
	close(ts->logfd);
	ts->logfd = -1;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGWINCH);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	rc = pthread_create(&th, NULL, work, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, sizeof(err), "cannot start a thread");
		rc = -1;
	} else {
		tui_config_default(&cfg);
		cfg.worker_store = ts->worker;
		int running = 0;

		rc = tui_run(ts->view, &cfg, err, sizeof(err));
		/* quit, unless a signal stopped it first (then it says so) */
		atomic_compare_exchange_strong(stop, &running, CLI_STOP_QUIT);
		pthread_join(th, NULL);
	}
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	top_side_close(ts);
	if (rc != 0) {
		fprintf(stderr, "gatewatch %s: %s\n", ts->what, err);
		return -1;
	}
	return 0;
}

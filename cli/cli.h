/*
 * cli.h - the gatewatch front end: one file per subcommand, and the few
 * helpers they share. Only cli/ prints to the terminal or decides the exit
 * status; the stages below return results and messages.
 */
#ifndef GW_CLI_H
#define GW_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/safe.h"

#include <signal.h>
#include <stdatomic.h>

/*
 * The flag that stops a loop running on a thread of its own (tail's and
 * capture's beside the console), set by a signal handler or by the
 * console's thread: a lock-free atomic, which C11 lets a handler write
 * and threads share (volatile sig_atomic_t is for a handler and the one
 * thread it interrupts; across threads it is a data race). 0 while the
 * loop runs; else why it stops, so the summary can tell a signal from
 * the user's quitting the console.
 */
typedef atomic_int cli_stop_flag;
#define CLI_STOP_SIGNAL	1	/* SIGINT, SIGTERM */
#define CLI_STOP_QUIT	2	/* the user quit the console (--tui) */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2,
    "a signal handler may only touch a lock-free atomic");

/* Exit statuses. */
#define EXIT_OK		0
#define EXIT_ERR	1
#define EXIT_USAGE	2

#define GW_DEFAULT_DB	"gatewatch.db"

/*
 * The database when no -d is given: $GATEWATCH_DB, else ./gatewatch.db.
 * The one place that default is decided.
 */
const char *cli_default_db(void);

/* The help of -d, --db, which says so. */
#define CLI_DB_HELP	"database (default ./" GW_DEFAULT_DB ", or $GATEWATCH_DB)"

int cmd_ingest(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_tail(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_sql(int argc, char **argv);
/* `gatewatch FILE...`: ingest, then the console (argv[0] the program). */
int cmd_open_files(int argc, char **argv);

/*
 * --tui of tail and capture: run work(arg) on a thread of its own while
 * the console shows database db on this one; when the user quits the
 * console, *stop becomes CLI_STOP_QUIT (unless a signal set it first)
 * and the thread is joined. what ("tail", "capture")
 * names the messages file DB.what.log that stderr goes to meanwhile.
 * Returns 0, or -1 when the console could not run (message printed).
 */
int top_beside(const char *db, const char *what, void *(*work)(void *),
    void *arg, cli_stop_flag *stop);

/*
 * top_beside() in two steps, for capture, which drops privileges between
 * them: top_side_open() opens what the console needs (its connections and
 * DB.what.log, created like the database: store_side_file()) while still
 * privileged; top_side_run() runs as top_beside() does and closes it all.
 * top_side_close() closes what was opened when top_side_run() is not
 * reached. Each returns 0, or -1 with a message printed.
 */
struct top_side {
	const char *db, *what;
	struct store *view;		/* the console's connection */
	struct store *worker;		/* the diagnosis worker's */
	int logfd;			/* DB.what.log */
};
int top_side_open(const char *db, const char *what, struct top_side *ts);
int top_side_run(struct top_side *ts, void *(*work)(void *), void *arg,
    cli_stop_flag *stop);
void top_side_close(struct top_side *ts);

/*
 * Parse a time for --since/--until: "2026-11-25T10:00:00Z", "2026-11-25
 * 10:00", "2026-11-25" (UTC unless an offset is given), epoch seconds
 * "@1764064800", or an age "30m", "2h", "7d" (that long before now).
 * Returns 0 with *ms set, -1 when the text is none of those.
 */
int cli_parse_time(const char *s, int64_t now_ms, int64_t *ms);

/*
 * Parse a duration: digits and one unit, s, m, h, d or w ("90m", "7d",
 * "2w"). Used for ages in --since ("7d" = 7 days before now) and for
 * --retain. Returns 0 with *ms set, -1 when the text is not one.
 */
int cli_parse_duration(const char *s, int64_t *ms);

/*
 * Parse a size for --max-db-size: digits and an optional binary unit,
 * K, M, G, T (also KB/KiB..., any case; 1K = 1024). 0 or -1.
 */
int cli_parse_size(const char *s, int64_t *bytes);

/* How cli_utc() writes a time. */
enum cli_utc_form {
	CLI_UTC_MINUTE,		/* 2026-11-25T10:15Z */
	CLI_UTC_SECOND,		/* 2026-11-25T10:15:02Z */
	CLI_UTC_MS,		/* 2026-11-25T10:15:02.123Z */
	CLI_UTC_WALL,		/* 2026-11-25 10:15:02 (a wall clock as logged) */
};

/*
 * ms (since the epoch) as UTC text of the given form into buf; "@SECONDS"
 * when the C library cannot write it. The one UTC formatter of the front
 * end. Returns buf.
 */
const char *cli_utc(int64_t ms, enum cli_utc_form form, char *buf,
    size_t size);

/* Parse a zone for --tz: "UTC", "local", "+0100", "-05:30". */
int cli_parse_tz(const char *s, int *tz_min);

/* Offset of the machine's local time zone now, in minutes. */
int cli_local_tz(void);

/*
 * `gatewatch --version`: the program's version, then one line per library
 * with the version that runs (cli/cmd_version.c).
 */
void cli_print_version(FILE *f);

/*
 * The group id of --db-group NAME (a name or a number); -1 after printing
 * why when there is no such group.
 */
int64_t cli_group(const char *name);

/*
 * Whether the writer stores plain requests in blocks (store_set_blocks,
 * schema/015): dflt (ingest and capture: true; tail: false, its batches
 * are small and each would rewrite the last block) unless GW_INGEST_BLOCKS
 * is set, 1 for blocks, 0 for every request a row (a database for plain
 * sqlite3, or to measure the two). The one place the switch is read.
 */
struct store;
void cli_blocks_from_env(struct store *st, bool dflt);

/*
 * After store_open(): when it upgraded the database (written by an older
 * gatewatch), say so on stderr, naming cmd and db, so that a reader's
 * user knows it wrote. Nothing otherwise.
 */
void cli_note_upgrade(const char *cmd, const char *db, struct store *st);

#endif

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

#include "safe.h"

#include <signal.h>

/* Exit statuses. */
#define EXIT_OK		0
#define EXIT_ERR	1
#define EXIT_USAGE	2

#define GW_DEFAULT_DB	"gatewatch.db"

int cmd_ingest(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_tail(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
/* `gatewatch FILE...`: ingest, then the console (argv[0] the program). */
int cmd_open_files(int argc, char **argv);

/*
 * --tui of tail and capture: run work(arg) on a thread of its own while
 * the console shows database db on this one; when the user quits the
 * console, *stop is set and the thread joined. what ("tail", "capture")
 * names the messages file DB.what.log that stderr goes to meanwhile.
 * Returns 0, or -1 when the console could not run (message printed).
 */
int top_beside(const char *db, const char *what, void *(*work)(void *),
    void *arg, volatile sig_atomic_t *stop);

/*
 * Parse a time for --since/--until: "2026-11-25T10:00:00Z", "2026-11-25
 * 10:00", "2026-11-25" (UTC unless an offset is given), epoch seconds
 * "@1764064800", or an age "30m", "2h", "7d" (that long before now).
 * Returns 0 with *ms set, -1 when the text is none of those.
 */
int cli_parse_time(const char *s, int64_t now_ms, int64_t *ms);

/* Parse a zone for --tz: "UTC", "local", "+0100", "-05:30". */
int cli_parse_tz(const char *s, int *tz_min);

/* Offset of the machine's local time zone now, in minutes. */
int cli_local_tz(void);

/* s (NULL as "") escaped with safe_text and quoted as a JSON string. */
void cli_json_string(FILE *f, const char *s);

/* s (NULL as "") escaped with safe_text as a CSV field, quoted if needed. */
void cli_csv_field(FILE *f, const char *s);

/* Milliseconds since the epoch, wall clock / monotonic. */
int64_t cli_now_ms(void);
double cli_mono(void);

#endif

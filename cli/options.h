/*
 * options.h - one parser for the options of every subcommand, as git's
 * parse-options: a command declares its options in a table (the shared
 * ones - -d/--db, --since, --until - are ready-made entries), and
 * opt_parse() reads argv against it, storing values, checking them and
 * printing the message of a bad one; opt_usage() writes the options' help
 * lines from the same table, so help and parser cannot drift.
 *
 *   const char *db = cli_default_db();
 *   struct opt opts[] = {
 *       OPT_DB(&db),
 *       OPT_SINCE(&since_ms),
 *       OPT_FLAG('q', "quiet", &quiet, "no summary"),
 *       OPT_END(),
 *   };
 *   int rc = opt_parse("prune", argc, argv, opts, prune_usage, &first);
 *   if (rc >= 0) return rc;      (help printed, or a usage error)
 *   ... argv[first..] are the operands ...
 */
#ifndef GW_CLI_OPTIONS_H
#define GW_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/cli.h"

enum opt_type {
	OPT_T_END,
	OPT_T_STRING,	/* const char **value = the argument */
	OPT_T_FLAG,	/* bool *value = true */
	OPT_T_TIME,	/* int64_t *value = cli_parse_time(argument, now) */
	OPT_T_CALLBACK,	/* cb(opt, argument, cmd) */
};

struct opt;
/* Take arg for opt; 0, or -1 after printing why it is bad (naming cmd). */
typedef int (*opt_cb)(const struct opt *opt, const char *arg,
    const char *cmd);

struct opt {
	enum opt_type type;
	int short_name;		/* 'd', or 0 for none */
	const char *long_name;	/* "db" */
	void *value;		/* where the value goes */
	const char *argh;	/* the argument's name in help; NULL: none */
	const char *help;	/* help lines, '\n' between; NULL: unlisted */
	opt_cb cb;		/* OPT_T_CALLBACK */
};

#define OPT_END()	{OPT_T_END, 0, NULL, NULL, NULL, NULL, NULL}
#define OPT_STRING(s, l, v, a, h) {OPT_T_STRING, (s), (l), (v), (a), (h), NULL}
#define OPT_FLAG(s, l, v, h)	{OPT_T_FLAG, (s), (l), (v), NULL, (h), NULL}
#define OPT_TIME(s, l, v, a, h)	{OPT_T_TIME, (s), (l), (v), (a), (h), NULL}
#define OPT_CALLBACK(s, l, v, a, h, f) \
	{OPT_T_CALLBACK, (s), (l), (v), (a), (h), (f)}

/* The shared entries. */
#define OPT_DB(v)	OPT_STRING('d', "db", (v), "DB", CLI_DB_HELP)
#define OPT_SINCE(v)	OPT_TIME(0, "since", (v), "T", "requests at or after T")
#define OPT_UNTIL(v)	OPT_TIME(0, "until", (v), "T", "requests before T")

/*
 * Read the options of argv (argv[0] the command) against opts, ended by
 * OPT_END(); -h and --help print usage(stdout, opts). Returns -1 when all
 * were read, with *first the index of the first operand; else the exit
 * status: EXIT_OK after help, EXIT_USAGE after a bad option or value
 * (message and, for an unknown option, usage(stderr) printed).
 */
int opt_parse(const char *cmd, int argc, char **argv, const struct opt *opts,
    void (*usage)(FILE *f, const struct opt *opts), int *first);

/* opt_parse() that also prints usage(stderr) after a bad value. */
int opt_parse_strict(const char *cmd, int argc, char **argv,
    const struct opt *opts, void (*usage)(FILE *f, const struct opt *opts),
    int *first);

/*
 * The help lines of opts: "  -d, --db DB" padded to column col, then the
 * help (on the next line when the option reaches col); its further lines
 * indented to col.
 */
void opt_usage(FILE *f, const struct opt *opts, int col);

/* The same for the first n entries only (a command whose own options
   align at another column than the shared ones after them). */
void opt_usage_n(FILE *f, const struct opt *opts, size_t n, int col);

/*
 * A count for --limit: digits, at most max; *(size_t *)opt->value. The
 * message names the option ("--limit takes a count (0 = all)").
 */
int opt_count_cb(const struct opt *opt, const char *arg, const char *cmd);

/*
 * A size for --max-db-size (cli_parse_size, more than 0) into
 * *(int64_t *)value; opt_size() is the same check for a caller of its
 * own: 0, or -1 after printing "bad size".
 */
int opt_size_cb(const struct opt *opt, const char *arg, const char *cmd);
int opt_size(const char *cmd, const char *arg, int64_t *bytes);

/* --db-group: a group (cli_group) into *(int64_t *)value. */
int opt_group_cb(const struct opt *opt, const char *arg, const char *cmd);

/*
 * --format of a view: table, json or csv into *(enum out_format *)value
 * ("--format is table, json or csv").
 */
int opt_out_format_cb(const struct opt *opt, const char *arg,
    const char *cmd);

#endif

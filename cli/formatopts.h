/*
 * formatopts.h - the input-format options of `ingest` and `tail`.
 *
 *   struct formatopts fo;
 *   formatopts_init(&fo);
 *   ... getopt_long with FORMATOPTS_LONGOPTS in the table ...
 *       if ((r = formatopts_take(&fo, ch, optarg, "ingest")) != 0) {
 *           if (r < 0) return EXIT_USAGE; continue; }
 *   if ((rc = formatopts_finish(&fo, "ingest")) >= 0) return rc;
 *   ... use fo.lp (struct lineparse_opts) ...
 *   formatopts_free(&fo);
 */
#ifndef GW_FORMATOPTS_H
#define GW_FORMATOPTS_H

#include <getopt.h>
#include <stdio.h>

#include "parse/lineparse.h"

/* Entries of a getopt_long table; the short option -f is 'f'. */
#define FORMATOPTS_LONGOPTS \
	{"format", required_argument, NULL, 'f'}, \
	{"log-format", required_argument, NULL, 'L'}, \
	{"nginx-conf", required_argument, NULL, 'C'}, \
	{"log-format-name", required_argument, NULL, 'N'}, \
	{"tz", required_argument, NULL, 'z'}, \
	{"haproxy-cfg", required_argument, NULL, 'H'}

struct formatopts {
	struct lineparse_opts lp;	/* what lineparse_new takes */
	char *log_format;		/* owned text behind lp.log_format */
	const char *conf, *conf_name;	/* --nginx-conf, --log-format-name */
};

void formatopts_init(struct formatopts *fo);
void formatopts_free(struct formatopts *fo);

/*
 * Option ch with argument arg: 1 when it was a format option (taken), 0
 * when it is not one, -1 when its value is bad (message printed, naming
 * the command cmd).
 */
int formatopts_take(struct formatopts *fo, int ch, const char *arg,
    const char *cmd);

/*
 * After the options: read the format from nginx.conf if asked. Returns -1
 * to go on, else an exit status (message printed).
 */
int formatopts_finish(struct formatopts *fo, const char *cmd);

/* The help lines of these options. */
void formatopts_usage(FILE *f);

#endif

/*
 * options.c - the one option parser of the subcommands; see options.h.
 *
 * getopt_long does the reading (permutation, "--", "--opt=value",
 * clustered short options, its own message for an unknown option), from a
 * table built out of the command's struct opt entries; this file stores
 * and checks each value and writes the help lines from the same entries.
 */
#include <errno.h>
#include <stdint.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/options.h"
#include "core/clock.h"
#include "cli/output.h"

/* Long-option values of entries with no short name: OPT_BASE + index. */
#define OPT_BASE	0x10000

static size_t
opt_count(const struct opt *opts)
{
	size_t n = 0;

	while (opts[n].type != OPT_T_END)
		n++;
	return n;
}

/* Store or check the value of opts[i]; 0, or -1 (message printed). */
static int
opt_take(const char *cmd, const struct opt *o, const char *arg,
    int64_t now_ms)
{
	switch (o->type) {
	case OPT_T_STRING:
		*(const char **)o->value = arg;
		return 0;
	case OPT_T_FLAG:
		*(bool *)o->value = true;
		return 0;
	case OPT_T_TIME:
		if (cli_parse_time(arg, now_ms, (int64_t *)o->value) != 0) {
			fprintf(stderr, "gatewatch %s: bad time '%s'\n", cmd,
			    arg);
			return -1;
		}
		return 0;
	case OPT_T_CALLBACK:
		return o->cb(o, arg, cmd);
	case OPT_T_END:
		break;
	}
	return -1;
}

/* opt_parse(); strict: usage after a bad value too. */
static int
opt_run(const char *cmd, int argc, char **argv, const struct opt *opts,
    void (*usage)(FILE *f, const struct opt *opts), int *first, bool strict)
{
	size_t n = opt_count(opts);
	struct option *longopts = calloc(n + 2, sizeof(*longopts));
	char *shortopts = malloc(2 * n + 3);
	size_t s = 0;
	int64_t now = clk_wall_ms();
	int ch, rc = -1;

	if (longopts == NULL || shortopts == NULL) {
		fprintf(stderr, "gatewatch %s: out of memory\n", cmd);
		free(longopts);
		free(shortopts);
		return EXIT_ERR;
	}
	for (size_t i = 0; i < n; i++) {
		bool arg = opts[i].type != OPT_T_FLAG;

		longopts[i] = (struct option){opts[i].long_name, arg ?
		    required_argument : no_argument, NULL,
		    opts[i].short_name ? opts[i].short_name :
		    OPT_BASE + (int)i};
		if (opts[i].short_name) {
			shortopts[s++] = (char)opts[i].short_name;
			if (arg)
				shortopts[s++] = ':';
		}
	}
	longopts[n] = (struct option){"help", no_argument, NULL, 'h'};
	shortopts[s++] = 'h';
	shortopts[s] = '\0';
	optind = 0;	/* start over: `gatewatch FILE...` parses twice */
	while (rc < 0 && (ch = getopt_long(argc, argv, shortopts, longopts,
	    NULL)) != -1) {
		const struct opt *o = NULL;

		if (ch == 'h') {
			usage(stdout, opts);
			rc = EXIT_OK;
			break;
		}
		if (ch >= OPT_BASE && (size_t)(ch - OPT_BASE) < n)
			o = &opts[ch - OPT_BASE];
		for (size_t i = 0; o == NULL && i < n; i++)
			if (opts[i].short_name == ch)
				o = &opts[i];
		if (o == NULL) {	/* getopt said what was wrong */
			usage(stderr, opts);
			rc = EXIT_USAGE;
		} else if (opt_take(cmd, o, optarg, now) != 0) {
			if (strict)
				usage(stderr, opts);
			rc = EXIT_USAGE;
		}
	}
	*first = optind;
	free(longopts);
	free(shortopts);
	return rc;
}

/* See options.h. */
int
opt_parse(const char *cmd, int argc, char **argv, const struct opt *opts,
    void (*usage)(FILE *f, const struct opt *opts), int *first)
{
	return opt_run(cmd, argc, argv, opts, usage, first, false);
}

/* See options.h. */
int
opt_parse_strict(const char *cmd, int argc, char **argv,
    const struct opt *opts, void (*usage)(FILE *f, const struct opt *opts),
    int *first)
{
	return opt_run(cmd, argc, argv, opts, usage, first, true);
}

/* See options.h. */
void
opt_usage(FILE *f, const struct opt *opts, int col)
{
	opt_usage_n(f, opts, SIZE_MAX, col);
}

/* See options.h. */
void
opt_usage_n(FILE *f, const struct opt *opts, size_t n, int col)
{
	for (const struct opt *o = opts; o->type != OPT_T_END && n > 0;
	    o++, n--) {
		const char *h = o->help;
		int w;

		if (h == NULL)
			continue;
		if (o->short_name)
			w = fprintf(f, "  -%c, --%s", o->short_name,
			    o->long_name);
		else
			w = fprintf(f, "  --%s", o->long_name);
		if (o->argh != NULL)
			w += fprintf(f, " %s", o->argh);
		for (;;) {
			size_t len = strcspn(h, "\n");

			if (w >= col) {	/* too long: help on the next line */
				fputc('\n', f);
				w = 0;
			}
			fprintf(f, "%*s%.*s\n", col - w, "", (int)len, h);
			if (h[len] == '\0')
				break;
			h += len + 1;
			w = 0;
		}
	}
}

/* See options.h. */
int
opt_count_cb(const struct opt *opt, const char *arg, const char *cmd)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (end == arg || *end != '\0' || errno != 0 || v < 0 ||
	    v > 1000000000) {
		fprintf(stderr, "gatewatch %s: --%s takes a count (0 = all)\n",
		    cmd, opt->long_name);
		return -1;
	}
	*(size_t *)opt->value = (size_t)v;
	return 0;
}

/* See options.h. */
int
opt_out_format_cb(const struct opt *opt, const char *arg, const char *cmd)
{
	if (out_format_parse(arg, opt->value) != 0) {
		fprintf(stderr, "gatewatch %s: --format is table, json or csv\n",
		    cmd);
		return -1;
	}
	return 0;
}

/* See options.h. */
int
opt_size(const char *cmd, const char *arg, int64_t *bytes)
{
	if (cli_parse_size(arg, bytes) != 0 || *bytes <= 0) {
		fprintf(stderr, "gatewatch %s: bad size '%s' (a number with K, "
		    "M, G or T: 500M, 20G)\n", cmd, arg);
		return -1;
	}
	return 0;
}

/* See options.h. */
int
opt_size_cb(const struct opt *opt, const char *arg, const char *cmd)
{
	return opt_size(cmd, arg, opt->value);
}

/* See options.h. */
int
opt_group_cb(const struct opt *opt, const char *arg, const char *cmd)
{
	(void)cmd;
	return (*(int64_t *)opt->value = cli_group(arg)) < 0 ? -1 : 0;
}

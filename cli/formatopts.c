/*
 * formatopts.c - the input-format options `ingest` and `tail` share:
 * --format, --log-format, --nginx-conf, --log-format-name, --tz,
 * --haproxy-cfg. One parser and one help text, so both commands read a
 * log the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/formatopts.h"
#include "parse/logformat.h"
#include "parse/nginxconf.h"

void
formatopts_init(struct formatopts *fo)
{
	memset(fo, 0, sizeof(*fo));
	fo->lp.tz_min = cli_local_tz();
}

void
formatopts_free(struct formatopts *fo)
{
	free(fo->log_format);
	fo->log_format = NULL;
}

/* See formatopts.h: --log-format and --tz, the two that need work. */
int
formatopts_cb(const struct opt *opt, const char *arg, const char *cmd)
{
	struct formatopts *fo = opt->value;

	if (strcmp(opt->long_name, "log-format") == 0) {
		free(fo->log_format);
		if ((fo->log_format = logformat_text_from_arg(arg)) == NULL) {
			fprintf(stderr, "gatewatch %s: out of memory\n", cmd);
			return -1;
		}
		return 0;
	}
	if (cli_parse_tz(arg, &fo->lp.tz_min) != 0) {
		fprintf(stderr, "gatewatch %s: bad --tz '%s' (UTC, local, "
		    "+HHMM)\n", cmd, arg);
		return -1;
	}
	return 0;
}

int
formatopts_finish(struct formatopts *fo, const char *cmd)
{
	char err[512];

	/*
	 * --nginx-conf alone: detection also tries that file's formats;
	 * --log-format-name alone reads the usual nginx.conf.
	 */
	if (fo->conf_name != NULL && fo->conf == NULL)
		fo->conf = "/etc/nginx/nginx.conf";
	fo->lp.nginx_conf = fo->conf;
	if (fo->conf_name != NULL) {
		free(fo->log_format);
		fo->log_format = NULL;
		if (nginxconf_log_format(fo->conf, fo->conf_name, &fo->log_format,
		    err, sizeof(err)) != 0) {
			fprintf(stderr, "gatewatch %s: %s\n", cmd, err);
			return EXIT_ERR;
		}
	}
	fo->lp.log_format = fo->log_format;
	return -1;
}

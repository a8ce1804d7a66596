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

int
formatopts_take(struct formatopts *fo, int ch, const char *arg,
    const char *cmd)
{
	switch (ch) {
	case 'f':
		fo->lp.format = arg;
		return 1;
	case 'L':
		free(fo->log_format);
		if ((fo->log_format = logformat_text_from_arg(arg)) == NULL) {
			fprintf(stderr, "gatewatch %s: out of memory\n", cmd);
			return -1;
		}
		return 1;
	case 'C':
		fo->conf = arg;
		return 1;
	case 'N':
		fo->conf_name = arg;
		return 1;
	case 'H':
		fo->lp.haproxy_cfg = arg;
		return 1;
	case 'z':
		if (cli_parse_tz(arg, &fo->lp.tz_min) != 0) {
			fprintf(stderr, "gatewatch %s: bad --tz '%s' (UTC, local, "
			    "+HHMM)\n", cmd, arg);
			return -1;
		}
		return 1;
	default:
		return 0;
	}
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

void
formatopts_usage(FILE *f)
{
	fputs(
	    "  -f, --format NAME      auto (default), upstream, main, combined,\n"
	    "                         ingress-nginx, apisix, nginx-error, haproxy,\n"
	    "                         envoy, envoy-json, caddy, traefik,\n"
	    "                         traefik-json, alb, clf\n"
	    "  --log-format FMT       an nginx log_format, as written in nginx.conf\n"
	    "  --nginx-conf FILE      the gateway's nginx.conf: its log_formats are\n"
	    "                         tried when no built-in one fits (default\n"
	    "                         /etc/nginx/nginx.conf) ...\n"
	    "  --log-format-name NAME ... or the one of this name is used\n"
	    "  --haproxy-cfg FILE     name HAProxy servers by their address\n"
	    "  --tz ZONE              zone of times that carry none (error logs,\n"
	    "                         $msec): UTC, local (default), +0100\n", f);
}

/*
 * formatopts.h - the input-format options of `ingest` and `tail`.
 *
 *   struct formatopts fo;
 *   formatopts_init(&fo);
 *   ... FORMATOPTS_OPTS(&fo) in the command's option table ...
 *   if ((rc = formatopts_finish(&fo, "ingest")) >= 0) return rc;
 *   ... use fo.lp (struct lineparse_opts) ...
 *   formatopts_free(&fo);
 */
#ifndef GW_FORMATOPTS_H
#define GW_FORMATOPTS_H

#include <stdio.h>

#include "cli/options.h"
#include "parse/lineparse.h"

struct formatopts {
	struct lineparse_opts lp;	/* what lineparse_new takes */
	char *log_format;		/* owned text behind lp.log_format */
	const char *conf, *conf_name;	/* --nginx-conf, --log-format-name */
};

void formatopts_init(struct formatopts *fo);

/* The options as entries of an option table (cli/options.h). */
int formatopts_cb(const struct opt *opt, const char *arg, const char *cmd);
#define FORMATOPTS_OPTS(fo) \
	OPT_STRING('f', "format", &(fo)->lp.format, "NAME", \
	    "auto (default), upstream, main, combined,\n" \
	    "ingress-nginx, apisix, nginx-error, haproxy,\n" \
	    "envoy, envoy-json, caddy, traefik,\ntraefik-json, alb, clf"), \
	OPT_CALLBACK(0, "log-format", (fo), "FMT", \
	    "an nginx log_format, as written in nginx.conf", formatopts_cb), \
	OPT_STRING(0, "nginx-conf", &(fo)->conf, "FILE", \
	    "the gateway's nginx.conf: its log_formats are\n" \
	    "tried when no built-in one fits (default\n" \
	    "/etc/nginx/nginx.conf) ..."), \
	OPT_STRING(0, "log-format-name", &(fo)->conf_name, "NAME", \
	    "... or the one of this name is used"), \
	OPT_STRING(0, "haproxy-cfg", &(fo)->lp.haproxy_cfg, "FILE", \
	    "name HAProxy servers by their address"), \
	OPT_CALLBACK(0, "tz", (fo), "ZONE", \
	    "zone of times that carry none (error logs,\n" \
	    "$msec): UTC, local (default), +0100", formatopts_cb)
void formatopts_free(struct formatopts *fo);

/*
 * After the options: read the format from nginx.conf if asked. Returns -1
 * to go on, else an exit status (message printed).
 */
int formatopts_finish(struct formatopts *fo, const char *cmd);

#endif

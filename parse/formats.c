/*
 * formats.c - the registry of log formats besides nginx's (see format.h).
 *
 * Order matters for detection only when two formats recognise the same
 * lines: the first listed wins a tie. Traefik's CLF lines are CLF lines
 * with more fields, so traefik comes before clf; clf, which takes any
 * CLF-style line, comes last.
 */
#include <string.h>

#include "parse/format.h"

extern const struct line_format haproxy_format, envoy_format,
    envoy_json_format, caddy_format, traefik_format, traefik_json_format,
    alb_format, clf_format;

const struct line_format *const gw_line_formats[] = {
	&haproxy_format,
	&envoy_format,
	&envoy_json_format,
	&caddy_format,
	&traefik_json_format,
	&alb_format,
	&traefik_format,
	&clf_format,
	NULL
};

const struct line_format *
format_by_name(const char *name)
{
	for (size_t i = 0; gw_line_formats[i] != NULL; i++)
		if (strcmp(gw_line_formats[i]->name, name) == 0)
			return gw_line_formats[i];
	return NULL;
}

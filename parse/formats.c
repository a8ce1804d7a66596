/*
 * formats.c - the registry of log formats (see format.h).
 *
 * The order is detection's priority (parse/detect.h): the first format
 * that recognises more than half of a file's lines reads it, so the
 * specific come before the general. The per-line formats come first
 * (detect_line() stops at the first other): nginx's error log, whose lines
 * are read as such in any input. nginx's built-in access
 * formats come first, those with upstream fields before combined; then
 * the other gateways. Traefik's CLF lines are CLF lines with more fields,
 * so traefik comes before clf; clf, which takes any CLF-style line, comes
 * last. nginx_log_format (the user's or nginx.conf's text) is not listed:
 * it has no text of its own; detection tries nginx.conf's after these.
 */
#include <string.h>

#include "parse/format.h"

extern const struct line_format nginx_error_format, nginx_upstream_format,
    nginx_ingress_format, nginx_apisix_format, nginx_main_format,
    nginx_combined_format, haproxy_format, envoy_format, envoy_json_format,
    caddy_format, traefik_format, traefik_json_format, alb_format,
    clf_format;

const struct line_format *const gw_line_formats[] = {
	&nginx_error_format,
	&nginx_upstream_format,
	&nginx_ingress_format,
	&nginx_apisix_format,
	&nginx_main_format,
	&nginx_combined_format,
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

/*
 * nginxconf.h - the log_format directives of an nginx.conf (and the files
 * it includes), so a user can name a format instead of pasting it.
 */
#ifndef GW_NGINXCONF_H
#define GW_NGINXCONF_H

#include <stddef.h>

/* What the readers below return when out of memory (err filled). */
#define NGINXCONF_NOMEM (-2)

/*
 * Read `log_format NAME ...;` from nginx.conf at path (also following
 * `include` lines relative to it) and return its text in *text (malloc'd,
 * caller frees). Returns 0, or -1 with err filled (cannot be read, no
 * such log_format), or NGINXCONF_NOMEM with err "out of memory".
 */
int nginxconf_log_format(const char *path, const char *name, char **text,
    char *err, size_t errlen);

/*
 * The names of every log_format in nginx.conf at path (and its includes):
 * *names is a malloc'd run of *n NUL-terminated names (caller frees).
 * Returns 0, -1 with err filled when path cannot be read, or
 * NGINXCONF_NOMEM with err "out of memory".
 */
int nginxconf_log_format_names(const char *path, char **names, size_t *n,
    char *err, size_t errlen);

#endif

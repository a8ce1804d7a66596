/*
 * cmd_version.c - `gatewatch --version`: this program's version and those of
 * the libraries it runs with.
 *
 * Each library is asked at run time (sqlite3_libversion, pcre2_config,
 * pcap_lib_version, curses_version, zlibVersion, json_c_version,
 * http_parser_version), since the shared object loaded may be newer than
 * the headers the binary was built with; where the two differ, the
 * headers' version follows in parentheses. An operator filing a bug, or
 * checking that a security update reached this binary, reads it here.
 *
 * This is the one file of cli/ that includes the libraries' headers: the
 * question is about the binary as a whole, not about one stage.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <curses.h>
#include <http_parser.h>
#include <json-c/json_c_version.h>
#include <pcap/pcap.h>
#include <pcre2.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "cli/cli.h"

#define STR2(x)	#x
#define STR(x)	STR2(x)

/*
 * One line: name, the version the library reports (after the prefix
 * skip, when it starts with it) and, when built, the headers' version if
 * it is not a prefix of what runs.
 */
static void
version_line(FILE *f, const char *name, const char *running,
    const char *skip, const char *built)
{
	size_t n = strlen(skip);

	if (running == NULL)
		running = "unknown";
	if (n > 0 && strncmp(running, skip, n) == 0)
		running += n;
	fprintf(f, "  %-12s %s", name, running);
	if (built != NULL && strncmp(running, built, strlen(built)) != 0)
		fprintf(f, " (built with %s)", built);
	fputc('\n', f);
}

/* See cli.h. */
void
cli_print_version(FILE *f)
{
	char pcre[64], http[32];
	unsigned long hp = http_parser_version();

	if (pcre2_config(PCRE2_CONFIG_VERSION, pcre) < 0 ||
	    memchr(pcre, '\0', sizeof(pcre)) == NULL)
		snprintf(pcre, sizeof(pcre), "unknown");
	snprintf(http, sizeof(http), "%lu.%lu.%lu", (hp >> 16) & 255,
	    (hp >> 8) & 255, hp & 255);

	fprintf(f, "gatewatch %s\nlibraries:\n", GW_VERSION);
	version_line(f, "SQLite", sqlite3_libversion(), "", SQLITE_VERSION);
	version_line(f, "PCRE2", pcre, "",
	    STR(PCRE2_MAJOR) "." STR(PCRE2_MINOR));
	version_line(f, "libpcap", pcap_lib_version(), "libpcap version ",
	    NULL);
	version_line(f, "ncurses", curses_version(), "ncurses ",
	    NCURSES_VERSION);
	version_line(f, "zlib", zlibVersion(), "", ZLIB_VERSION);
	version_line(f, "json-c", json_c_version(), "", JSON_C_VERSION);
	version_line(f, "http-parser", http, "",
	    STR(HTTP_PARSER_VERSION_MAJOR) "." STR(HTTP_PARSER_VERSION_MINOR));
}

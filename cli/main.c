/*
 * main.c - the gatewatch command: git-style subcommands.
 *
 *   gatewatch ingest [-d DB] [--format NAME | --log-format FMT] FILE...
 *   gatewatch report [-d DB] [--since T] [--until T] [--by KEYS] [--format F]
 *
 * Each subcommand lives in its own file (cli/cmd_ingest.c, cli/cmd_report.c) and
 * returns the process exit status: 0 success, 1 error, 2 usage.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/store.h"

static const struct {
	const char *name;
	int (*run)(int, char **);
	const char *summary;
} commands[] = {
	{"ingest", cmd_ingest, "read gateway logs (files, .gz, stdin) into the database"},
	{"report", cmd_report, "5xx and failures grouped by upstream, cause, ... (table, json, csv)"},
	{"capture", cmd_capture, "HTTP failures from a live interface or a pcap file (libpcap)"},
	{"tail", cmd_tail, "follow live logs like tail -F, resuming exactly once"},
	{"explain", cmd_explain, "why one upstream failed, in plain words, with evidence"},
	{"top", cmd_top, "live console: 5xx by upstream and cause, with drill-down"},
	{"prune", cmd_prune, "remove rows older than a time (retention for ingested databases)"},
	{"sql", cmd_sql, "read-only SQL on the database, requests in blocks included"},
	{"metrics", cmd_metrics, "the database as Prometheus metrics, once (textfile collector)"},
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: gatewatch [--version] [--help] COMMAND [ARGS]\n"
	    "       gatewatch [-d DB] FILE...   (ingest, then open the console)\n\n"
	    "gatewatch tells which upstream behind a gateway fails, how often "
	    "and why.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'gatewatch COMMAND --help' tells more. The database is "
	    "./%s unless -d DB or GATEWATCH_DB says otherwise.\n",
	    GW_DEFAULT_DB);
}

int
main(int argc, char **argv)
{
	setlocale(LC_CTYPE, "");
	store_library_init();
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		cli_print_version(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	/*
	 * GoAccess style: `gatewatch [-d DB] access.log` ingests, then opens
	 * the console; options before the files are ingest's.
	 */
	for (int i = 1; i < argc; i++)
		if (argv[i][0] != '-' && access(argv[i], F_OK) == 0 &&
		    (i == 1 || argv[1][0] == '-'))
			return cmd_open_files(argc, argv);
	fprintf(stderr, "gatewatch: '%s' is not a command\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}

/*
 * cmd_diagnose.h - `gatewatch report --by shape|breaker|retry` (cli/cmd_diagnose.c),
 * reached from cli/cmd_report.c, and the output helpers it shares with
 * `gatewatch explain` (cli/cmd_explain.c).
 */
#ifndef GW_CLI_DIAGNOSE_H
#define GW_CLI_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

/* True when --by names a diagnosis view: "shape", "breaker" or "retry". */
bool diagnose_is_key(const char *by);

/*
 * Print the view by for database db over q's window (q->upstream and
 * q->limit honoured; other filters do not apply) as format "table", "json"
 * or "csv". Returns the exit status.
 */
int diagnose_report(const char *by, const char *db,
    const struct report_query *q, const char *format);


/* "2026-11-25T10:15:00.123Z" into buf; "-" for ms < 0. */
const char *diagnose_time(int64_t ms, char *buf, size_t size);

/* "METHOD path?query" of an example into buf (escaped, cut to size). */
const char *diagnose_request_text(const char *method, const char *path,
    const char *query, char *buf, size_t size);

#endif

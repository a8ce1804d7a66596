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

#include "cli/output.h"
#include "store/diag_query.h"
#include "store/store.h"

/* True when --by names a diagnosis view: "shape", "breaker" or "retry". */
bool diagnose_is_key(const char *by);

/*
 * Print the view by of the database st over q's window (q->upstream and
 * q->limit honoured; other filters do not apply) in format fmt. Returns
 * the exit status.
 */
int diagnose_report(const char *by, struct store *st,
    const struct report_query *q, enum out_format fmt);

/*
 * An example request as a JSON object (null when !has): the cell of an
 * OUT_NESTED column, shared by the diagnosis views and explain.
 */
void diagnose_example_json(struct out *o, const struct diag_example *e,
    bool has);


/* cli_utc(ms, CLI_UTC_MS) into buf; "-" for ms < 0 (none). */
const char *diagnose_time(int64_t ms, char *buf, size_t size);

/* "METHOD path?query" of an example into buf (escaped, cut to size). */
const char *diagnose_request_text(const char *method, const char *path,
    const char *query, char *buf, size_t size);

#endif

/*
 * tui.h - the ncurses console, as the command line starts it.
 */
#ifndef GW_TUI_H
#define GW_TUI_H

#include <stdbool.h>
#include <stddef.h>

#include "tui/snapshot.h"
#include "store/store.h"

struct tui_config {
	enum window_id window;		/* starting window */
	bool window_given;		/* else: 1h, or all for old data */
	double refresh_s;		/* seconds between refreshes */
	struct snapshot_thresholds thresholds;
	bool no_color;			/* monochrome even if colours exist */
	struct store *worker_store;	/* or use this one, opened before a
					 * privilege drop (the caller's;
					 * closed after tui_run); NULL none */
};

/* Defaults: window 1h-or-all, 2 s refresh, degraded 1%, failing 10%. */
void tui_config_default(struct tui_config *cfg);

/*
 * Run the console on s until the user quits (q) or SIGINT/SIGTERM (the
 * diagnosis views read through a connection of their own, opened from s:
 * store_open_reader). The terminal is restored on every way out. 0, or -1 with err filled.
 */
int tui_run(struct store *s, const struct tui_config *cfg, char *err,
    size_t errlen);

#endif

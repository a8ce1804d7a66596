/*
 * text.h - putting text on the screen safely, and formatting numbers.
 *
 * Every string a widget draws goes through text_put(): it is escaped with
 * safe_text() (control bytes, ESC, invalid UTF-8 become \xHH), cut to the
 * columns it may take, and, without a UTF-8 locale, kept to ASCII. So a
 * path or header from a log can never move the cursor or change colours.
 */
#ifndef GW_TUI_TEXT_H
#define GW_TUI_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curses.h>

/* Text alignment inside its columns. */
enum text_align { TEXT_LEFT, TEXT_RIGHT };

/*
 * Draw untrusted text s at (y, x) of w in attribute a, escaped, in at most
 * width columns; with pad, fill the rest of the width with spaces.
 * Returns the columns the text took (without padding).
 */
int text_put(WINDOW *w, int y, int x, int width, const char *s, attr_t a,
    bool unicode, enum text_align align, bool pad);

/* Columns the escaped form of s takes. */
int text_width(const char *s, bool unicode);

/* A count in at most width characters: exact when it fits, else 12.3k. */
char *text_count(char *buf, size_t size, int64_t v, int width);

/* A share as a percentage: "12.3%", "0.05%", "100%"; "-" when whole is 0. */
char *text_percent(char *buf, size_t size, int64_t part, int64_t whole);

/* A duration: "7ms", "1.2s", "3m05s"; "-" when ms < 0. */
char *text_ms(char *buf, size_t size, int64_t ms);

/* A UTC time: "17:16:08" or, with date, "2026-11-25 17:16:08". */
char *text_time(char *buf, size_t size, int64_t ms, bool date);

#endif

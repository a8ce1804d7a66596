/*
 * spark.h - sparklines: a row of values drawn as one line of glyphs.
 */
#ifndef GW_TUI_SPARK_H
#define GW_TUI_SPARK_H

#include <stdbool.h>
#include <stddef.h>

/* Levels a glyph can show (the lowest is "zero"). */
#define SPARK_LEVELS 8

/*
 * Render n values as width glyphs into buf (UTF-8, NUL-terminated; size
 * at least width * 3 + 1). Each glyph shows the largest value of the
 * points it covers, scaled to max (values above are full height); a
 * negative value means "no data" and shows blank. Unicode: U+2581..U+2588;
 * otherwise "_.-:=+*#".
 */
char *spark_render(char *buf, size_t size, const double *v, int n,
    int width, double max, bool unicode);

/* The glyph of one level 0..SPARK_LEVELS-1 (a static string). */
const char *spark_glyph(int level, bool unicode);

#endif

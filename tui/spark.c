/*
 * spark.c - sparklines with a Unicode and an ASCII set of glyphs.
 *
 * A line may have more points than columns (a 60-point series in a 12
 * column cell) or fewer (5 points across 40 columns): each column takes
 * the points whose span it covers, and shows their maximum, so a short
 * burst of failures is never averaged away.
 */
#include <string.h>

#include "tui/spark.h"

static const char *const spark_unicode[SPARK_LEVELS] = {
	"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
	"\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88",
};

/* See spark.h. */
const char *
spark_glyph(int level, bool unicode)
{
	static const char *const ascii[SPARK_LEVELS] = {
		"_", ".", "-", ":", "=", "+", "*", "#",
	};

	if (level < 0)
		level = 0;
	if (level >= SPARK_LEVELS)
		level = SPARK_LEVELS - 1;
	return unicode ? spark_unicode[level] : ascii[level];
}

/* See spark.h. */
char *
spark_render(char *buf, size_t size, const double *v, int n, int width,
    double max, bool unicode)
{
	size_t o = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	for (int c = 0; c < width && n > 0; c++) {
		int a = (int)((long long)c * n / width);
		int b = (int)((long long)(c + 1) * n / width);
		double m = -1;
		const char *g;

		if (b <= a)
			b = a + 1;
		for (int i = a; i < b && i < n; i++)
			if (v[i] > m)
				m = v[i];
		if (m < 0)
			g = " ";
		else if (max <= 0 || m <= 0)
			g = spark_glyph(0, unicode);
		else {
			int lvl = (int)(m / max * (SPARK_LEVELS - 1) + 0.999);

			g = spark_glyph(lvl, unicode);
		}
		if (o + strlen(g) + 1 > size)
			break;
		memcpy(buf + o, g, strlen(g));
		o += strlen(g);
	}
	buf[o] = '\0';
	return buf;
}

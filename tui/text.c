/*
 * text.c - escaped, clipped text and number formats; see text.h.
 *
 * The escaped text is decoded to wide characters so its width in columns
 * is known (wcwidth), and drawn with waddnwstr(): curses never sees a byte
 * sequence it could take for a control.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "core/safe.h"
#include "tui/text.h"

#define TEXT_MAX 1024	/* wide characters drawn of one string at most */

/*
 * Escape s into wide characters, at most max of them and width columns;
 * returns how many, with their columns in *cols.
 */
static int
text_wide(const char *s, bool unicode, wchar_t *out, int max, int width,
    int *cols)
{
	char esc[TEXT_MAX * 4 + 1];
	mbstate_t mb;
	const char *p;
	int n = 0;

	*cols = 0;
	if (s == NULL)
		s = "-";
	safe_text(esc, sizeof(esc), s, strlen(s));
	memset(&mb, 0, sizeof(mb));
	for (p = esc; *p != '\0' && n < max;) {
		wchar_t wc;
		size_t l;
		int cw;

		if (!unicode && (unsigned char)*p >= 0x80) {
			/* ASCII only: show the byte as \xHH. */
			char hex[5];

			snprintf(hex, sizeof(hex), "\\x%02x", (unsigned char)*p);
			if (*cols + 4 > width || n + 4 > max)
				break;
			for (int i = 0; i < 4; i++)
				out[n++] = (wchar_t)hex[i];
			*cols += 4;
			p++;
			continue;
		}
		l = mbrtowc(&wc, p, strlen(p), &mb);
		if (l == 0 || l == (size_t)-1 || l == (size_t)-2) {
			wc = L'?';
			l = 1;
			memset(&mb, 0, sizeof(mb));
		}
		cw = wcwidth(wc);
		if (cw < 0)
			cw = 1;
		if (*cols + cw > width)
			break;
		out[n++] = wc;
		*cols += cw;
		p += l;
	}
	return n;
}

/* See text.h. */
int
text_put(WINDOW *w, int y, int x, int width, const char *s, attr_t a,
    bool unicode, enum text_align align, bool pad)
{
	wchar_t wide[TEXT_MAX];
	int n, cols, lead = 0;

	if (width <= 0)
		return 0;
	n = text_wide(s, unicode, wide, TEXT_MAX, width, &cols);
	if (align == TEXT_RIGHT)
		lead = width - cols;
	wattrset(w, a);
	if (pad || lead > 0)
		mvwhline(w, y, x, ' ', pad ? width : lead);
	if (n > 0)
		mvwaddnwstr(w, y, x + lead, wide, n);
	wattrset(w, A_NORMAL);
	return cols;
}

/* See text.h. */
int
text_width(const char *s, bool unicode)
{
	wchar_t wide[TEXT_MAX];
	int cols;

	text_wide(s, unicode, wide, TEXT_MAX, TEXT_MAX, &cols);
	return cols;
}

/* See text.h. */
char *
text_count(char *buf, size_t size, int64_t v, int width)
{
	static const char units[] = "kMGT";
	double d = (double)v;

	snprintf(buf, size, "%" PRId64, v);
	if ((int)strlen(buf) <= width)
		return buf;
	for (int i = 0; units[i] != '\0'; i++) {
		d /= 1000.0;
		snprintf(buf, size, d < 10 ? "%.1f%c" : "%.0f%c", d, units[i]);
		if ((int)strlen(buf) <= width)
			return buf;
	}
	return buf;
}

/* See text.h. */
char *
text_percent(char *buf, size_t size, int64_t part, int64_t whole)
{
	double p;

	if (whole <= 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	p = 100.0 * (double)part / (double)whole;
	if (part == whole)
		snprintf(buf, size, "100%%");
	else if (p > 0 && p < 0.1)
		snprintf(buf, size, "%.2f%%", p);
	else
		snprintf(buf, size, "%.1f%%", p);
	return buf;
}

/* See text.h. */
char *
text_ms(char *buf, size_t size, int64_t ms)
{
	if (ms < 0)
		snprintf(buf, size, "-");
	else if (ms < 1000)
		snprintf(buf, size, "%" PRId64 "ms", ms);
	else if (ms < 60000)
		snprintf(buf, size, "%.1fs", (double)ms / 1000.0);
	else
		snprintf(buf, size, "%" PRId64 "m%02" PRId64 "s", ms / 60000,
		    ms / 1000 % 60);
	return buf;
}

/* See text.h. */
char *
text_time(char *buf, size_t size, int64_t ms, bool date)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, size, "-");
		return buf;
	}
	strftime(buf, size, date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
	return buf;
}

/*
 * hex.h - the value of a hex digit, for the unescapers of parse/
 * (nginx's \xHH, JSON's \uXXXX, URL %HH).
 */
#ifndef GW_HEX_H
#define GW_HEX_H

/* Value of hex digit c (0-15), or -1 when c is none. */
static inline int
hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif

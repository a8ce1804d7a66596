/*
 * formats.c - the registry of log formats besides nginx's (see format.h).
 *
 * Order matters for detection only when two formats recognise the same
 * lines: the first listed wins a tie.
 */
#include <string.h>

#include "format.h"

const struct line_format *const gw_line_formats[] = {
	NULL
};

const struct line_format *
format_by_name(const char *name)
{
	for (size_t i = 0; gw_line_formats[i] != NULL; i++)
		if (strcmp(gw_line_formats[i]->name, name) == 0)
			return gw_line_formats[i];
	return NULL;
}

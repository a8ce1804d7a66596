/*
 * grow.c - doubling growth of malloc'd arrays; see grow.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/grow.h"

int
grow_array(void **arr, size_t *cap, size_t n, size_t sz, size_t first)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : first;
	if (ncap < *cap || (sz != 0 && ncap > SIZE_MAX / sz))
		return -1;
	if ((p = gw_realloc(*arr, ncap * sz)) == NULL)
		return -1;
	memset((char *)p + *cap * sz, 0, (ncap - *cap) * sz);
	*arr = p;
	*cap = ncap;
	return 0;
}

/*
 * grow.h - room for one more element in a malloc'd array.
 */
#ifndef GW_GROW_H
#define GW_GROW_H

#include <stddef.h>

/*
 * Make *arr (*cap elements of sz bytes, n in use) hold n + 1, doubling
 * from first when empty; new elements are zeroed. 0, or -1 when out of
 * memory (then *arr is unchanged).
 */
int grow_array(void **arr, size_t *cap, size_t n, size_t sz, size_t first);

#endif

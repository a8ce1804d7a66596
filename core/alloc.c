/*
 * alloc.c - the fault countdown behind gw_malloc() and its siblings; see
 * alloc.h.
 */
#include "core/alloc.h"

_Thread_local long gw_fault_countdown;
static _Thread_local bool fault_persistent;
static _Thread_local unsigned long fault_failures;
static _Thread_local unsigned fault_held;

bool
gw_fault_fail(void)
{
	if (fault_held > 0)
		return false;
	if (gw_fault_countdown > 1) {
		gw_fault_countdown--;
		return false;
	}
	fault_failures++;
	if (!fault_persistent)
		gw_fault_countdown = 0;
	return true;
}

void
gw_fault_install(long n, bool persistent)
{
	gw_fault_countdown = n > 0 ? n : 0;
	fault_persistent = persistent;
	fault_failures = 0;
}

unsigned long
gw_fault_uninstall(void)
{
	unsigned long n = fault_failures;

	gw_fault_countdown = 0;
	fault_persistent = false;
	fault_failures = 0;
	return n;
}

unsigned long
gw_fault_failures(void)
{
	return fault_failures;
}

void
gw_fault_hold(void)
{
	fault_held++;
}

void
gw_fault_release(void)
{
	if (fault_held > 0)
		fault_held--;
}

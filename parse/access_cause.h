/*
 * access_cause.h - causes read from an access-log line alone.
 *
 * Fills the cause of every upstream attempt and of the request from status
 * codes and upstream timings, using only the rules of the nginx section of
 * shared/causes.md; anything they do not decide is "unknown" (for a
 * failure) or "ok".
 */
#ifndef GW_ACCESS_CAUSE_H
#define GW_ACCESS_CAUSE_H

#include "core/event.h"

/*
 * Which upstream variables the log format carries. A value the format does
 * not log reads as -1/NULL exactly like nginx's "-", so rules that need "-"
 * as evidence only fire when the variable was really logged.
 */
#define ACCESS_LOGGED_ADDR	0x01u	/* $upstream_addr */
#define ACCESS_LOGGED_STATUS	0x02u	/* $upstream_status */
#define ACCESS_LOGGED_CONNECT	0x04u	/* $upstream_connect_time */
#define ACCESS_LOGGED_HEADER	0x08u	/* $upstream_header_time */
#define ACCESS_LOGGED_ALL	0x0fu

/* access_cause_infer_logged(ev, ACCESS_LOGGED_ALL). */
void access_cause_infer(struct gw_event *ev);

/*
 * Set ev->attempts[i].cause and ev->cause from ev's statuses and timings;
 * logged is a mask of ACCESS_LOGGED_* for the variables the log carries.
 */
void access_cause_infer_logged(struct gw_event *ev, unsigned logged);

/* The cause of one attempt (see access_cause_infer_logged). */
enum gw_cause access_cause_attempt(const struct gw_attempt *at,
    unsigned logged);

#endif

/*
 * logopen.h - open a log file without being tricked into reading another.
 *
 * `tail` and `ingest` often run as root and read folders other users can
 * write to (a gateway's log folder). Swapping access.log for a symlink to
 * /etc/shadow, or a hard link to it, would make them read - and store, or
 * show - a secret. So a log file is opened only when (unless trusted, which
 * is --follow-symlinks):
 *   - its name is not a symbolic link (O_NOFOLLOW), and what was opened is
 *     the inode that lstat(2) found under the name (a swap between the
 *     look-up and the open is caught);
 *   - a regular file has one name (st_nlink == 1): a second name is how a
 *     hard link brings in a file from elsewhere on the disk;
 *   - a regular file is owned by root, by the effective user, by the owner
 *     of its folder, or by a system account (uid <= LOGOPEN_SYSTEM_UID_MAX,
 *     as www-data, syslog, haproxy, caddy are: the gateway's own user).
 * A pipe behind a symlink (/dev/fd/63 of `ingest <(zcat x.gz)`) is allowed
 * when LOGOPEN_FIFO is given: a pipe is no file's content.
 */
#ifndef GW_LOGOPEN_H
#define GW_LOGOPEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Debian's SYS_UID_MAX (login.defs): accounts of daemons stop here. */
#define LOGOPEN_SYSTEM_UID_MAX	999

#define LOGOPEN_TRUST	0x1	/* --follow-symlinks: no checks */
#define LOGOPEN_FIFO	0x2	/* a pipe, even behind a symlink, is fine */

#define LOGOPEN_ERROR	(-1)	/* could not open: errno set, why filled */
#define LOGOPEN_REFUSED	(-2)	/* refused by the policy: why says why */

/*
 * Open path with open(2) flags oflags (O_CLOEXEC and, unless trusted,
 * O_NOFOLLOW are added) and fill *st from fstat(2) of what was opened.
 * Returns the descriptor, LOGOPEN_ERROR (errno kept) or LOGOPEN_REFUSED,
 * with why filled (without the path: the caller names it, escaped).
 */
int logopen(const char *path, int oflags, unsigned flags, struct stat *st,
    char *why, size_t whylen);

/*
 * The owner and link rules alone, for an open regular file st in a folder
 * owned by dir_owner, opened by euid. Returns NULL when st is fine, else
 * the reason (a static string).
 */
const char *logopen_policy(const struct stat *st, uid_t euid,
    uid_t dir_owner);

#endif

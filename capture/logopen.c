/*
 * logopen.c - open a log file without being tricked; see logopen.h.
 *
 * lstat(2) the name first: a symlink is refused (or, for a pipe behind it,
 * followed), then open(2) with O_NOFOLLOW, then fstat(2) what was opened
 * and compare device and inode with what lstat found: the name may have
 * changed in between. The folder's owner comes from stat(2) of the name's
 * folder (following a symlinked folder is fine: the rules are about the
 * file, whose folder the user chose).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture/logopen.h"

#define WHY_LINK	"is a symbolic link (--follow-symlinks reads it)"
#define WHY_SWAPPED	"was replaced while being opened"

/* See logopen.h. */
const char *
logopen_policy(const struct stat *st, uid_t euid, uid_t dir_owner)
{
	if (!S_ISREG(st->st_mode))
		return NULL;
	if (st->st_nlink > 1)
		return "has more than one name (a hard link may bring in any "
		    "file of the disk; --follow-symlinks reads it)";
	if (st->st_uid != 0 && st->st_uid != euid && st->st_uid != dir_owner &&
	    st->st_uid > LOGOPEN_SYSTEM_UID_MAX)
		return "is owned by a user other than root, us, the folder's "
		    "owner or a system account (--follow-symlinks reads it)";
	return NULL;
}

/* The owner of path's folder; (uid_t)-1 when it cannot be told. */
static uid_t
logopen_dir_owner(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (stat(dir, &st) != 0)
		return (uid_t)-1;
	return st.st_uid;
}

/* Fill why with strerror(errno), keeping errno; returns LOGOPEN_ERROR. */
static int
logopen_errno(char *why, size_t whylen)
{
	int e = errno;

	snprintf(why, whylen, "%s", strerror(e));
	errno = e;
	return LOGOPEN_ERROR;
}

/* Close fd, fill why with reason; returns LOGOPEN_REFUSED. */
static int
logopen_refuse(int fd, const char *reason, char *why, size_t whylen)
{
	if (fd >= 0)
		close(fd);
	snprintf(why, whylen, "refused: %s", reason);
	errno = EPERM;
	return LOGOPEN_REFUSED;
}

/* See logopen.h. */
int
logopen(const char *path, int oflags, unsigned flags, struct stat *st,
    char *why, size_t whylen)
{
	struct stat named;
	const char *reason;
	int fd;

	if (flags & LOGOPEN_TRUST) {
		if ((fd = open(path, oflags | O_CLOEXEC)) < 0)
			return logopen_errno(why, whylen);
		if (fstat(fd, st) != 0) {
			logopen_errno(why, whylen);
			close(fd);
			return LOGOPEN_ERROR;
		}
		return fd;
	}
	if (lstat(path, &named) != 0)
		return logopen_errno(why, whylen);
	if (S_ISLNK(named.st_mode)) {
		/* Only a pipe may be reached through a symlink. */
		if (!(flags & LOGOPEN_FIFO) || stat(path, &named) != 0 ||
		    !S_ISFIFO(named.st_mode))
			return logopen_refuse(-1, WHY_LINK, why, whylen);
		fd = open(path, oflags | O_CLOEXEC);
	} else {
		fd = open(path, oflags | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0) {
		if (errno == ELOOP)
			return logopen_refuse(-1, WHY_LINK, why, whylen);
		return logopen_errno(why, whylen);
	}
	if (fstat(fd, st) != 0) {
		logopen_errno(why, whylen);
		close(fd);
		return LOGOPEN_ERROR;
	}
	if (st->st_dev != named.st_dev || st->st_ino != named.st_ino)
		return logopen_refuse(fd, WHY_SWAPPED, why, whylen);
	if (S_ISREG(st->st_mode) && (reason = logopen_policy(st, geteuid(),
	    logopen_dir_owner(path))) != NULL)
		return logopen_refuse(fd, reason, why, whylen);
	return fd;
}

/*
 * dbfile.c - the database's files on disk: who may read them, and never
 * through a symlink.
 *
 * A database holds client addresses, request paths and upstream names,
 * so a new one is created 0600, or 0640 for a group given (--db-group):
 * the file is made here with O_CREAT|O_EXCL|O_NOFOLLOW before SQLite opens
 * it, and fchmod(2) sets the mode whatever the umask. SQLite creates its
 * -wal and -shm files with the mode and owner of the database file, and
 * store_side_file() does the same for DB.tail.log and DB.capture.log, so
 * every side file follows the database. An existing database keeps its
 * mode (the user may have chosen it).
 *
 * Symlinks: a database path whose last name is a symlink is refused (a
 * symlink planted at gatewatch.db would make a root run write elsewhere).
 * SQLite is given the path with its folder resolved (realpath(3)) and
 * SQLITE_OPEN_NOFOLLOW, so a symlink put there after the check is refused
 * by SQLite itself, while symlinked folders above it stay fine. SQLite
 * opens -wal and -shm with O_NOFOLLOW; side files are opened so too.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/safe.h"
#include "store/store_int.h"

/* True for names SQLite does not take as a file (memory, temporary). */
static bool
dbfile_special(const char *path)
{
	return path[0] == '\0' || strcmp(path, ":memory:") == 0 ||
	    strncmp(path, "file:", 5) == 0;
}

/* See store_int.h. */
int
dbfile_prepare(const char *path, int64_t group, char *real, size_t reallen,
    char *err, size_t errlen)
{
	char shown[512], dir[PATH_MAX], resolved[PATH_MAX];
	mode_t mode = group >= 0 ? 0640 : 0600;
	struct stat st;
	int fd;

	snprintf(real, reallen, "%s", path);
	if (dbfile_special(path))
		return 0;
	safe_text(shown, sizeof(shown), path, strlen(path));
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd >= 0) {
		if (group >= 0 && fchown(fd, (uid_t)-1, (gid_t)group) != 0) {
			int e = errno;
			close(fd);
			unlink(path);
			return store_fail(err, errlen, "%s: cannot give the new "
			    "database to group %lld: %s", shown, (long long)group,
			    strerror(e));
		}
		(void)fchmod(fd, mode);	/* the umask may have taken bits */
		close(fd);
	} else if (errno == EEXIST) {
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			return store_fail(err, errlen, "%s: is a symbolic link; "
			    "refusing it (give the database's own path)", shown);
		if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
			return store_fail(err, errlen, "%s: not a regular file",
			    shown);
	}
	/* Other failures (a read-only folder): SQLite tells them. */

	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (realpath(dir, resolved) != NULL &&
	    strlen(resolved) + strlen(base) + 2 <= reallen)
		snprintf(real, reallen, "%s%s%s", resolved,
		    strcmp(resolved, "/") == 0 ? "" : "/", base);
	return 0;
}

/* See store.h. */
int
store_side_file(const char *db, const char *suffix, char *err, size_t errlen)
{
	char path[PATH_MAX], shown[512];
	struct stat dbst;
	mode_t mode = 0600;
	int fd;

	if (snprintf(path, sizeof(path), "%s%s", db, suffix) >= (int)sizeof(path))
		return store_fail(err, errlen, "%s: name too long", db);
	safe_text(shown, sizeof(shown), path, strlen(path));
	if (stat(db, &dbst) == 0)
		mode = dbst.st_mode & 0660;
	else
		dbst.st_gid = getegid();
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC, mode);
	if (fd >= 0) {
		/* As SQLite does for -wal: the database's group and mode. */
		if (dbst.st_gid != getegid())
			(void)fchown(fd, (uid_t)-1, dbst.st_gid);
		(void)fchmod(fd, mode);
		return fd;
	}
	if (errno == EEXIST)
		fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ELOOP)
			return store_fail(err, errlen, "%s: is a symbolic link; "
			    "refusing it", shown);
		return store_fail(err, errlen, "%s: cannot write: %s", shown,
		    strerror(e));
	}
	return fd;
}

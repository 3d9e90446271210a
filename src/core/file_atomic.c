/* Atomic whole-file writes (see file_atomic.h). */
#define _GNU_SOURCE
#include "file_atomic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

ntk_status ntk_fd_write_all(int fd, const void *data, size_t size, const char *name,
                            ntk_error *err)
{
    const char *p = data;
    while (size) {
        ssize_t w = write(fd, p, size);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return ntk_error_set(err, NTK_EIO, "cannot write %s: %s", name, strerror(errno));
        }
        p += w;
        size -= (size_t)w;
    }
    return NTK_OK;
}

ntk_status ntk_file_write_atomic(const char *path, const void *data, size_t size, ntk_error *err)
{
    /* Special files (/dev/stdout, /dev/full, pipes) cannot be renamed onto:
     * write to them directly. */
    if (strncmp(path, "/dev/", 5) == 0) {
        FILE *f = fopen(path, "w");
        if (!f)
            return ntk_error_set(err, NTK_EIO, "cannot open %s: %s", path, strerror(errno));
        ntk_status s = ntk_fd_write_all(fileno(f), data, size, path, err);
        if (fclose(f) != 0 && s == NTK_OK)
            s = ntk_error_set(err, NTK_EIO, "cannot write %s: %s", path, strerror(errno));
        return s;
    }
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    snprintf(tmp, n + 16, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        ntk_status s = ntk_error_set(err, NTK_EIO, "cannot create %s: %s", path, strerror(errno));
        free(tmp);
        return s;
    }
    /* mkstemp creates mode 0600: give the result the mode a plain creat()
     * would, 0666 less the umask. (umask can only be read by setting it: not
     * thread-safe against another thread doing the same, a known POSIX gap.) */
    mode_t mask = umask(0);
    umask(mask);
    ntk_status s = NTK_OK;
    if (fchmod(fd, 0666 & ~mask) != 0)
        s = ntk_error_set(err, NTK_EIO, "cannot create %s: %s", path, strerror(errno));
    if (s == NTK_OK)
        s = ntk_fd_write_all(fd, data, size, path, err);
    if (s == NTK_OK && fsync(fd) != 0 && errno != EINVAL)
        s = ntk_error_set(err, NTK_EIO, "cannot write %s: %s", path, strerror(errno));
    if (close(fd) != 0 && s == NTK_OK)
        s = ntk_error_set(err, NTK_EIO, "cannot write %s: %s", path, strerror(errno));
    if (s == NTK_OK && rename(tmp, path) != 0)
        s = ntk_error_set(err, NTK_EIO, "cannot write %s: %s", path, strerror(errno));
    if (s != NTK_OK)
        unlink(tmp);
    free(tmp);
    return s;
}

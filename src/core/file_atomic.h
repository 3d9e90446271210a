/* Internal: whole-file writes that never leave a partial file behind. */
#ifndef NTK_FILE_ATOMIC_H
#define NTK_FILE_ATOMIC_H

#include <stddef.h>

#include "ntk/common.h"

/* Write size bytes to path through a temporary file in the same directory
 * and rename(2), so readers see the old file or the complete new one; on
 * failure the temporary file is removed. Paths under /dev/ (stdout, pipes)
 * cannot be renamed onto and are written directly. NTK_EIO with a message
 * naming path, or NTK_ENOMEM. */
ntk_status ntk_file_write_atomic(const char *path, const void *data, size_t size, ntk_error *err);

/* write(2) the whole buffer to fd, retrying on EINTR; `name` is for messages. */
ntk_status ntk_fd_write_all(int fd, const void *data, size_t size, const char *name,
                            ntk_error *err);

#endif

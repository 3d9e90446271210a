/* Internal: allocations for matrix-sized work buffers. */
#ifndef NTK_ALLOC_LARGE_H
#define NTK_ALLOC_LARGE_H

#include <stddef.h>

/* malloc for buffers that are written whole soon after: from 4 MiB on the
 * block is 2 MiB-aligned and marked for transparent huge pages, because on
 * the VMs ntk runs on every fresh 4 KiB page costs a slow fault (15% of the
 * UCI selection's time went to them). Freed by free(); NULL on failure. */
void *ntk_alloc_large(size_t bytes);

#endif

/* Private to the library: pieces shared by nystrom.c and nystrom_centers.c. */
#ifndef NTK_NYSTROM_INTERNAL_H
#define NTK_NYSTROM_INTERNAL_H

#include <stddef.h>

#include "ntk/nystrom.h"

/* diag[i] = kernel(x_i, x_i) for the n rows of X, through small symmetric
 * blocks (the kernel module has no diagonal-only entry point; a 32-row block
 * costs 32 entries per row, noise next to the M per row of the cross kernel). */
ntk_status nystrom_diag(const ntk_arch *a, ntk_kernel_kind kind, const double *X, size_t n,
                        size_t d, int threads, double *diag, ntk_error *err);

#endif

/* Scoped OpenBLAS thread count (see blas_threads.h). */
#include "blas_threads.h"

#include <cblas.h>
#include <pthread.h>

static pthread_mutex_t blas_lock = PTHREAD_MUTEX_INITIALIZER;
static int blas_depth;  /* pushes not yet popped */
static int blas_saved;  /* the caller's count, saved by the outermost push */

void ntk_blas_threads_push(int threads)
{
    pthread_mutex_lock(&blas_lock);
    if (blas_depth++ == 0)
        blas_saved = openblas_get_num_threads();
    if (threads > 0)
        openblas_set_num_threads(threads);
    pthread_mutex_unlock(&blas_lock);
}

void ntk_blas_threads_pop(void)
{
    pthread_mutex_lock(&blas_lock);
    if (blas_depth > 0 && --blas_depth == 0)
        openblas_set_num_threads(blas_saved);
    pthread_mutex_unlock(&blas_lock);
}

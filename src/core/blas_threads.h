/* Internal: a scoped change of OpenBLAS's (process-wide) thread count. */
#ifndef NTK_BLAS_THREADS_H
#define NTK_BLAS_THREADS_H

/* Set OpenBLAS to `threads` threads (<= 0: leave the count as it is) until
 * the matching ntk_blas_threads_pop. Pushes nest and may come from several
 * threads at once: the caller's count is saved by the outermost push and
 * restored by the last pop, so concurrent library calls cannot leave the
 * process with another call's temporary setting. */
void ntk_blas_threads_push(int threads);

/* Undo one ntk_blas_threads_push. */
void ntk_blas_threads_pop(void);

#endif

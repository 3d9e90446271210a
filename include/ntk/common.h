/* ntk/common.h — status codes, error reports and progress callbacks shared by
 * every ntk module.
 *
 * The library never prints and never exits: every fallible function returns an
 * ntk_status and, when it fails, fills an ntk_error with a one-line message
 * that names the file, line, column or option at fault.
 */
#ifndef NTK_COMMON_H
#define NTK_COMMON_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NTK_VERSION "0.1.0"

/* Marks the library's public functions and objects: libntk is compiled with
 * -fvisibility=hidden, so only declarations carrying NTK_API are exported
 * from libntk.so (internal helpers stay private to the library). Put it in
 * front of every function declared in the public headers (include/ntk/). */
#if defined(__GNUC__)
#define NTK_API __attribute__((visibility("default")))
#else
#define NTK_API
#endif

/* Ownership rule, for every function of the library:
 *   - Inputs are borrowed: a function never frees, keeps or modifies what it
 *     is given (const pointers), unless its header says otherwise; the caller
 *     may free its inputs as soon as the call returns.
 *   - Outputs are allocated by the library and belong to the caller, who
 *     releases each with the matching free function (ntk_table_free,
 *     ntk_encoder_free, ntk_dataset_free, ntk_model_free, ntk_solution_free,
 *     ntk_evaluation_free, ...) or with free() where the header says so
 *     (arrays, buffers). On failure no output is left to free (*out = NULL).
 *   - Caller-sized output buffers (double *scores, *out, ...) are written,
 *     never reallocated.
 * The exceptions, each kept for compatibility or to avoid copying an n×n
 * matrix, and documented at the function:
 *   - ntk_model_train takes ownership of `enc`, on success (the model frees
 *     it) and on failure (freed before returning). ntk_evaluate follows the
 *     rule instead (it copies the encoder; see ntk_encoder_copy).
 *   - ntk_solve uses `theta` as workspace and destroys its contents (the
 *     caller still owns and frees the memory).
 *   - ntk_ensemble_prepare takes ownership of the malloc'ed `theta` and
 *     `nngp` (freed by ntk_ensemble_free, or by it on failure). */

/* Status codes. NTK_EINPUT is the user's fault (bad data, bad option): the
 * command-line tool maps it to exit status 2; every other failure maps to 1. */
typedef enum {
    NTK_OK = 0,
    NTK_EFAILED = 1,  /* generic failure */
    NTK_EINPUT = 2,   /* bad input or bad parameter */
    NTK_ENOMEM = 3,   /* allocation failed or would exceed available memory */
    NTK_EIO = 4,      /* reading or writing a file failed */
    NTK_ENUMERIC = 5  /* numerical failure (e.g. factorization impossible) */
} ntk_status;

#define NTK_ERROR_MSG_SIZE 1024

/* An error report: status plus a one-line human-readable message (no
 * trailing newline). Zero-initialize or call ntk_error_clear before use. */
typedef struct {
    ntk_status status;
    char msg[NTK_ERROR_MSG_SIZE];
} ntk_error;

/* Reset err to NTK_OK with an empty message. err may be NULL. */
NTK_API void ntk_error_clear(ntk_error *err);

/* Record a failure (printf-style message) in err, which may be NULL, and
 * return status so callers can write `return ntk_error_set(err, ...)`. */
NTK_API ntk_status ntk_error_set(ntk_error *err, ntk_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Short English name of a status code ("bad input", "out of memory", ...). */
NTK_API const char *ntk_status_name(ntk_status status);

/* Progress callback for long work: `stage` names the work ("kernel",
 * "eigendecomposition", "fold", ...), done/total count its units. Called from
 * the thread that started the work, never from inside a parallel region.
 * Returning nonzero asks the library to stop early (it then returns
 * NTK_EFAILED with the message "interrupted"). */
typedef int (*ntk_progress_fn)(void *ctx, const char *stage, size_t done, size_t total);

/* A progress sink: the callback (may be NULL) and its context. */
typedef struct {
    ntk_progress_fn fn;
    void *ctx;
} ntk_progress;

/* Report progress if a callback is installed; returns its answer (0 = go on). */
NTK_API int ntk_progress_report(const ntk_progress *p, const char *stage, size_t done, size_t total);

/* Allocation that is checked against the memory the machine has available
 * (MemAvailable in /proc/meminfo) before it is attempted, so that huge kernels
 * fail with a message naming the size instead of the process being killed.
 * `what` names the object for the message ("kernel matrix 40000x40000").
 * Returns NULL and fills err (NTK_ENOMEM) on failure. Free with free(). */
NTK_API void *ntk_alloc_checked(size_t bytes, const char *what, ntk_error *err);

/* Bytes of memory available to new allocations, or 0 if unknown. */
NTK_API size_t ntk_memory_available(void);

#ifdef __cplusplus
}
#endif
#endif

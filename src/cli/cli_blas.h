/* The BLAS library in use and the fix for OpenBLAS picking a slow core.
 *
 * Debian's OpenBLAS 0.3.21 does not know the newest CPUs and falls back to
 * its generic "Prescott" kernels (dgemm ~5x slower). The library picks its
 * kernels when it is loaded, so the fix is to re-execute the program once
 * with OPENBLAS_CORETYPE set to the best core the CPU supports; results are
 * the same (tested), only faster. A user's own OPENBLAS_CORETYPE is never
 * overridden. */
#ifndef NTK_CLI_BLAS_H
#define NTK_CLI_BLAS_H

const char *cli_blas_config(void);
const char *cli_blas_corename(void);
int cli_blas_threads(void);

/* Called first thing in main: re-exec with a better core type if OpenBLAS
 * chose a generic one on a CPU that supports a faster one. Returns only if
 * no re-exec was needed (or it failed). */
void cli_blas_fix_core(char **argv);

#endif

/* BLAS information and core-type fix (see cli_blas.h). */
#include "cli_blas.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *cli_blas_config(void) { return openblas_get_config(); }
const char *cli_blas_corename(void) { return openblas_get_corename(); }
int cli_blas_threads(void) { return openblas_get_num_threads(); }

/* Best OpenBLAS 0.3.21 core for this CPU's instruction set. */
static const char *best_core(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
    if (__builtin_cpu_supports("avx"))
        return "Sandybridge";
    return NULL;
}

void cli_blas_fix_core(char **argv)
{
    if (getenv("OPENBLAS_CORETYPE") || getenv("NTK_BLAS_CORETYPE_SET") || getenv("NTK_NO_BLAS_FIX"))
        return;
    const char *core = openblas_get_corename();
    if (!core)
        return;
    /* Generic kernels chosen for a CPU the library did not recognize. */
    int generic = strcasecmp(core, "prescott") == 0 || strcasecmp(core, "core2") == 0 ||
                  strcasecmp(core, "nehalem") == 0 || strcasecmp(core, "barcelona") == 0 ||
                  strcasecmp(core, "katmai") == 0 || strcasecmp(core, "atom") == 0;
    const char *best = best_core();
    if (!generic || !best)
        return;
    setenv("OPENBLAS_CORETYPE", best, 1);
    setenv("NTK_BLAS_CORETYPE_SET", best, 1);
    execv("/proc/self/exe", argv);
    /* exec failed: carry on with the slow kernels. */
    unsetenv("OPENBLAS_CORETYPE");
}

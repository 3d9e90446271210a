/* ntk info — version, BLAS library, its core type and thread counts. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_blas.h"

int ntk_cmd_info(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: ntk info\n\nShow the ntk version, the BLAS library in use, the CPU "
                   "core type it\nselected, thread counts and available memory.\n");
            return CLI_EXIT_OK;
        }
        return cli_usage("info", "unexpected argument '%s'", argv[i]);
    }
    const char *fixed = getenv("NTK_BLAS_CORETYPE_SET");
    printf("ntk %s\n", NTK_VERSION);
    printf("blas: %s\n", cli_blas_config());
    printf("blas core: %s%s\n", cli_blas_corename(),
           fixed ? " (selected by ntk: OPENBLAS_CORETYPE set for this CPU)" : "");
    printf("blas threads: %d\n", cli_blas_threads());
    printf("openmp threads: %d\n", omp_get_max_threads());
    size_t mem = ntk_memory_available();
    printf("memory available: %.2f GiB\n", (double)mem / (1024.0 * 1024 * 1024));
    return CLI_EXIT_OK;
}

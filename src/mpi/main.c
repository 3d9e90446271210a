/* ntk-mpi — eval, fit and predict with the kernel and solve spread over MPI
 * ranks (ScaLAPACK). Rank 0 runs the ordinary ntk command — same options,
 * same outputs — with the distributed engine; the other ranks serve it. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_blas.h"
#include "ntk/mpi.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mpirun -np P ntk-mpi [--grid PxQ] [--block NB] eval|fit|predict [OPTIONS]\n\n"
            "The ntk commands eval, fit and predict with the training kernel distributed over\n"
            "P MPI ranks in 2-D block-cyclic tiles (no rank holds the whole matrix) and solved\n"
            "by ScaLAPACK: pdpotrf/pdpotrs for t = inf, pdsyevd for finite times, pdgemm for\n"
            "predictions. Options and outputs are those of 'ntk COMMAND' (ntk COMMAND --help);\n"
            "--threads is per rank (default: the node's cores / ranks on the node). Rank 0\n"
            "reads the files and writes every output; --select runs on rank 0 alone.\n\n"
            "  --grid PxQ    process grid (default: the most square, P <= Q)\n"
            "  --block NB    block size of the block-cyclic layout (default 128, smaller for\n"
            "                small problems)\n\n"
            "Example:\n"
            "  mpirun -np 4 ntk-mpi eval --train data/bostonhousing.csv --test-frac 0.25 \\\n"
            "      --depth 3 --reg 1e-4 --reg-scale relative --times 10,inf\n");
}

/* Remove "--grid PxQ" / "--grid=PxQ" and "--block NB" / "--block=NB" from argv
 * (anywhere); returns 0, or 2 after a message on rank 0. */
static int take_engine_options(int *argc, char **argv, int rank, int *p, int *q, int *nb)
{
    int w = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i], *val = NULL;
        int is_grid = 0, is_block = 0;
        if (strncmp(a, "--grid", 6) == 0 && (a[6] == '\0' || a[6] == '='))
            is_grid = 1;
        else if (strncmp(a, "--block", 7) == 0 && (a[7] == '\0' || a[7] == '='))
            is_block = 1;
        if (!is_grid && !is_block) {
            argv[w++] = argv[i];
            continue;
        }
        const char *name = is_grid ? "--grid" : "--block";
        if (a[is_grid ? 6 : 7] == '=')
            val = a + (is_grid ? 7 : 8);
        else if (i + 1 < *argc)
            val = argv[++i];
        if (!val) {
            if (rank == 0)
                fprintf(stderr, "ntk-mpi: %s needs a value\n", name);
            return 2;
        }
        char *end = NULL;
        if (is_grid) {
            long x = strtol(val, &end, 10), y = 0;
            if (end && (*end == 'x' || *end == 'X'))
                y = strtol(end + 1, &end, 10);
            if (!end || *end || x < 1 || y < 1 || x > 65536 || y > 65536) {
                if (rank == 0)
                    fprintf(stderr, "ntk-mpi: --grid expects PxQ with positive P and Q, not '%s'\n",
                            val);
                return 2;
            }
            *p = (int)x;
            *q = (int)y;
        } else {
            long b = strtol(val, &end, 10);
            if (!end || *end || b < 1 || b > 4096) {
                if (rank == 0)
                    fprintf(stderr, "ntk-mpi: --block expects an integer in 1..4096, not '%s'\n",
                            val);
                return 2;
            }
            *nb = (int)b;
        }
    }
    argv[w] = NULL;
    *argc = w;
    return 0;
}

static void print_plan(void *ctx, const ntk_mpi_plan *pl, size_t n)
{
    (void)ctx;
    if (cli_quiet)
        return;
    cli_progress_done();
    fprintf(stderr,
            "ntk-mpi: %d ranks, grid %dx%d, block %d: training kernel %zux%zu in local tiles of "
            "at most %zux%zu, about %.3f GiB per rank (%.3f GiB if finite times need "
            "pdsyevd; %d ranks on this node)\n",
            pl->nprow * pl->npcol, pl->nprow, pl->npcol, pl->nb, n, n, pl->local_rows,
            pl->local_cols, (double)pl->bytes_per_rank / 1073741824.0,
            (double)pl->bytes_per_rank_eigen / 1073741824.0, pl->ranks_per_node);
}

static int run_rank0(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("ntk-mpi %s\n", NTK_VERSION);
        return CLI_EXIT_OK;
    }
    if (!strcmp(cmd, "eval"))
        return ntk_cmd_eval(argc - 1, argv + 1);
    if (!strcmp(cmd, "fit"))
        return ntk_cmd_fit(argc - 1, argv + 1);
    if (!strcmp(cmd, "predict"))
        return ntk_cmd_predict(argc - 1, argv + 1);
    fprintf(stderr, "ntk-mpi: '%s' is not a distributed command (eval, fit, predict); use ntk %s\n",
            cmd, cmd);
    return CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    cli_blas_fix_core(argv);
    int provided = 0, rank = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    int p = 0, q = 0, nb = 0;
    int rc = take_engine_options(&argc, argv, rank, &p, &q, &nb);
    ntk_mpi_engine *e = NULL;
    if (rc == 0) {
        ntk_error err = {0};
        if (ntk_mpi_engine_create(p, q, nb, &e, &err) != NTK_OK) {
            if (rank == 0)
                fprintf(stderr, "ntk-mpi: %s\n", err.msg);
            rc = err.status == NTK_EINPUT ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
        }
    }
    if (rc == 0) {
        if (rank == 0) {
            int gp = 0, gq = 0;
            ntk_mpi_engine_grid(e, &gp, &gq);
            cli_context_set("ntk-mpi", ntk_mpi_engine_get(e), gp, gq);
            ntk_mpi_engine_on_plan(e, print_plan, NULL);
            rc = run_rank0(argc, argv);
            fflush(stdout);
            ntk_mpi_engine_stop(e);
        } else {
            rc = ntk_mpi_serve(e) == NTK_OK ? 0 : CLI_EXIT_FAIL;
        }
    }
    ntk_mpi_engine_free(e);
    MPI_Finalize();
    return rc;
}

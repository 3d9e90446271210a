/* ntk/mpi.h — the distributed engine: fits and predictions on ScaLAPACK over MPI.
 *
 * Rank 0 runs the program (reading data, encoding, reporting) and hands the
 * O(n²)–O(n³) work to the engine, which broadcasts the encoded training rows
 * and targets to every rank. Each rank then evaluates its own tiles of the
 * 2-D block-cyclic training kernel (no rank ever holds the whole n×n matrix),
 * and the ranks solve together: pdpotrf/pdpotrs when every time is ∞,
 * pdsyevd for finite times (one decomposition for all of them), pdgemm for
 * the coefficients, the training fits and test predictions. The n×k
 * coefficient blocks come back to rank 0, so a model fitted here is an
 * ordinary ntk_model (and model file).
 *
 * Memory per rank ≈ 8·⌈n/(p·nb)⌉nb·⌈n/(q·nb)⌉nb bytes for the kernel on a p×q
 * grid with nb×nb blocks (≈ 8n²/P); four times that on the finite-time path
 * (eigenvectors, and pdsyevd's workspace of about two tiles); ntk_mpi_engine_plan
 * states it before anything is allocated.
 *
 * Uses MPI_COMM_WORLD (the BLACS default context). Every function is
 * collective unless it says otherwise. The library never prints.
 */
#ifndef NTK_MPI_H
#define NTK_MPI_H

#include <stddef.h>

#include "ntk/common.h"
#include "ntk/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ntk_mpi_engine ntk_mpi_engine;

/* Create the engine on every rank (after MPI_Init). nprow×npcol is the
 * process grid and nb the block size; 0 chooses automatically (the most
 * square grid with nprow ≤ npcol; nb 128, halved for small problems).
 * A grid that does not match the number of ranks is NTK_EINPUT. */
NTK_API ntk_status ntk_mpi_engine_create(int nprow, int npcol, int nb, ntk_mpi_engine **out,
                                 ntk_error *err);

/* Rank of this process (not collective). */
NTK_API int ntk_mpi_engine_rank(const ntk_mpi_engine *e);

/* The process grid (not collective). */
NTK_API void ntk_mpi_engine_grid(const ntk_mpi_engine *e, int *nprow, int *npcol);

/* The ntk_engine to put in ntk_train_params.engine and to pass to
 * ntk_model_predict_engine — on rank 0 only (not collective). */
NTK_API const ntk_engine *ntk_mpi_engine_get(ntk_mpi_engine *e);

/* Ranks other than 0: take part in the jobs rank 0 starts until rank 0 calls
 * ntk_mpi_engine_stop. Returns NTK_OK, or the status of a communication
 * failure. */
NTK_API ntk_status ntk_mpi_serve(ntk_mpi_engine *e);

/* Rank 0: release the serving ranks (not collective; the others return from
 * ntk_mpi_serve). */
NTK_API void ntk_mpi_engine_stop(ntk_mpi_engine *e);

/* What a fit of n rows with k outputs will hold per rank (bytes), before it
 * starts: the kernel's local tiles (t = ∞ and the Chebyshev path for finite
 * times), plus eigenvectors and pdsyevd workspace when `eigen` (not
 * collective; computed for the largest local tile). */
typedef struct {
    int nprow, npcol, nb;
    size_t local_rows, local_cols; /* largest local tile of the n×n kernel */
    size_t bytes_per_rank;         /* estimate of the peak per rank */
    size_t bytes_per_rank_eigen;   /* the same if finite times need pdsyevd */
    int ranks_per_node;            /* ranks sharing this node's memory */
} ntk_mpi_plan;
NTK_API void ntk_mpi_engine_plan(const ntk_mpi_engine *e, size_t n, size_t k, int eigen,
                         ntk_mpi_plan *plan);

/* Called on rank 0 with the plan before a fit allocates (e.g. to print it). */
typedef void (*ntk_mpi_plan_fn)(void *ctx, const ntk_mpi_plan *plan, size_t n);
NTK_API void ntk_mpi_engine_on_plan(ntk_mpi_engine *e, ntk_mpi_plan_fn fn, void *ctx);

NTK_API void ntk_mpi_engine_free(ntk_mpi_engine *e);

#ifdef __cplusplus
}
#endif
#endif

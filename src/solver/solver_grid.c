/* A whole ridge × time grid from one factorization (ntk_solve_grid, see
 * ntk/solver.h): the Krylov space of (Θ + σI)⁻¹ does not depend on the
 * ridge, so each (ridge, time) pair is only a different function on the
 * same small projected problem. */
#include "ntk/solver.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "solver_internal.h"
#include "solver_krylov.h"

ntk_status ntk_solve_grid(double *theta, size_t n, const double *Y, size_t k,
                          const double *ridges, size_t n_ridges, const ntk_solve_params *p,
                          double *coef, double *train_pred, ntk_grid_info *info, ntk_error *err)
{
    memset(info, 0, sizeof *info);
    ntk_status st = solver_check_problem(n, Y, k, p, err);
    if (st != NTK_OK)
        return st;
    if (!ridges || n_ridges == 0)
        return ntk_error_set(err, NTK_EINPUT, "at least one ridge is needed");
    for (size_t r = 0; r < n_ridges; r++)
        if (!(ridges[r] >= 0.0) || !isfinite(ridges[r]))
            return ntk_error_set(err, NTK_EINPUT, "ridges must be finite numbers >= 0");
    for (size_t t = 0; t < p->n_times; t++)
        if (isinf(p->times[t]))
            return ntk_error_set(err, NTK_EINPUT, "the ridge x time grid serves finite times only");
    double sum = 0.0;
    for (size_t i = 0; i < n * n; i++) {
        if (!isfinite(theta[i]))
            return ntk_error_set(err, NTK_ENUMERIC,
                                 "the training kernel has a non-finite entry at (%zu, %zu)",
                                 i / n + 1, i % n + 1);
        if (i % (n + 1) == 0)
            sum += theta[i];
    }
    double mean_diag = sum / (double)n;
    double scale = p->reg_scale == NTK_REG_RELATIVE ? mean_diag : 1.0;

    size_t nt = p->n_times, nc = n_ridges * nt, len = n * k;
    double *sc = malloc(nc * sizeof *sc), *off = malloc(nc * sizeof *off);
    double **out = malloc(2 * nc * sizeof *out);
    double *Ycm = ntk_alloc_checked(len * sizeof(double), "targets", err);
    if (!sc || !off || !out || !Ycm) {
        st = err && err->status ? err->status : ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t r = 0; r < n_ridges; r++)
        for (size_t t = 0; t < nt; t++) {
            size_t c = r * nt + t;
            sc[c] = solver_time_scale(p, n, k, p->times[t]);
            off[c] = ridges[r] * scale;
            out[c] = coef + c * len;
            out[nc + c] = train_pred ? train_pred + c * len : NULL;
        }
    solver_to_col_major(Y, n, k, Ycm);
    krylov_info ki;
    st = krylov_solve(theta, n, Ycm, k, sc, off, nc, 0.0, mean_diag, p->krylov_shift,
                      p->krylov_tol, solver_krylov_max_dim(n, k, 1), out,
                      train_pred ? out + nc : NULL, &ki, &p->progress, err);
    if (st == NTK_OK) {
        info->steps = ki.steps;
        info->dim = ki.dim;
        info->shift = ki.shift;
        info->estimate = ki.estimate;
        info->converged = ki.converged;
    }
done:
    free(sc);
    free(off);
    free(out);
    free(Ycm);
    return st;
}

/* Private to the solver: the Chebyshev path for finite training times.
 *
 * For each finite time with scale s = η·c·t, C_s = g_s(A)·Y with
 * g_s(a) = (1 − e^{−s a})/a, approximated by a Chebyshev expansion of g_s on
 * [0, L], L a rigorous bound on λ_max(A) (Gershgorin, tightened by
 * Collatz–Wielandt passes over |A|). One three-term recurrence
 * T_{j+1}(Â)Y = 2ÂT_j(Â)Y − T_{j−1}(Â)Y, Â = (2/L)A − I, serves every time;
 * each step is one n×n by n×k product. The degree for each time is the
 * point past which every computed coefficient is below CHEB_TOL·s (s = g_s(0)
 * = max g_s), so the absolute error in g_s on the spectrum is about that
 * tail. A is only read: memory beyond it is O(n·k·n_times). */
#ifndef NTK_SOLVER_CHEB_H
#define NTK_SOLVER_CHEB_H

#include <stddef.h>

#include "ntk/common.h"

typedef struct {
    double L;        /* upper bound on λ_max(A) (Gershgorin / Collatz–Wielandt) */
    size_t nt;       /* number of scales */
    size_t *deg;     /* per scale: the degree N_t (0 for s = 0) */
    double **c;      /* per scale: N_t + 1 coefficients (c[0] already halved) */
    double *tail;    /* per scale: Σ|c_j| past N_t, relative to s (a priori error) */
    size_t degree;   /* max deg: number of matrix–block products */
} cheb_plan;

/* Coefficients for the scales s[0..nt) (finite, ≥ 0) on [0, L], L a
 * rigorous upper bound on λ_max(A) (solver_spectral_bound, solver_matrix.h).
 * Returns NTK_OK with plan->degree set (SIZE_MAX if some scale needs more
 * than max_degree); frees nothing on failure beyond its own allocations. The
 * recurrence itself is solver_chebyshev (solver_matrix.h). */
ntk_status cheb_plan_make(double L, const double *s, size_t nt, size_t max_degree,
                          cheb_plan *plan, ntk_error *err);

void cheb_plan_free(cheb_plan *plan);

#endif

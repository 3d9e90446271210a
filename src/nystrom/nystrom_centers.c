/* Choosing the Nyström centers (see ntk/nystrom.h): uniform over distinct
 * rows, or randomly pivoted Cholesky in blocks. */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/rng.h"
#include "nystrom_internal.h"

#define DIAG_BLOCK 32
/* RPCholesky: centers drawn per round, and the pool it works on. */
#define RPC_ROUND 64
#define RPC_POOL_MIN 20000
#define RPC_POOL_PER_CENTER 10
#define RPC_POOL_BYTES ((size_t)1 << 30)

ntk_status nystrom_diag(const ntk_arch *a, ntk_kernel_kind kind, const double *X, size_t n,
                        size_t d, int threads, double *diag, ntk_error *err)
{
    double B[DIAG_BLOCK * DIAG_BLOCK];
    ntk_kernel_options kopt = {threads, {NULL, NULL}};
    for (size_t r0 = 0; r0 < n; r0 += DIAG_BLOCK) {
        size_t b = n - r0 < DIAG_BLOCK ? n - r0 : DIAG_BLOCK;
        ntk_status st = ntk_kernel_eval(a, kind, X + r0 * d, b, NULL, 0, d, B, &kopt, err);
        if (st != NTK_OK)
            return st;
        for (size_t i = 0; i < b; i++)
            diag[r0 + i] = B[i * b + i];
    }
    return NTK_OK;
}

/* ---------------------------------------------------------------- uniform */

static uint64_t row_hash(const double *x, size_t d)
{
    const unsigned char *p = (const unsigned char *)x;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < d * sizeof *x; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Walk a seeded permutation of the rows, keeping a row unless it equals one
 * already kept: candidates in batches (more only when too many are
 * duplicates), the same walk as a streamed fit's (nystrom.c). */
static ntk_status select_uniform(const double *X, size_t n, size_t d, size_t M, uint64_t seed,
                                 size_t *idx, size_t *chosen, ntk_error *err)
{
    ntk_status st = NTK_OK;
    for (size_t K = M + M / 2 + 64;; K *= 2) {
        if (K > n)
            K = n;
        size_t *cand = malloc(K * sizeof *cand);
        double *Xc = malloc(K * d * sizeof *Xc + 1);
        if (!cand || !Xc)
            st = ntk_error_set(err, NTK_ENOMEM, "out of memory choosing centers");
        if (st == NTK_OK)
            st = nystrom_uniform_candidates(n, seed, K, cand, err);
        for (size_t i = 0; st == NTK_OK && i < K; i++)
            memcpy(Xc + i * d, X + cand[i] * d, d * sizeof *Xc);
        if (st == NTK_OK)
            st = nystrom_uniform_walk(Xc, cand, K, d, M, idx, chosen, err);
        free(cand);
        free(Xc);
        if (st != NTK_OK || *chosen == M || K == n)
            return st;
    }
}

ntk_status nystrom_uniform_candidates(size_t n, uint64_t seed, size_t K, size_t *out,
                                      ntk_error *err)
{
    /* Fisher–Yates on an implicit identity: only moved positions are
     * stored (position → value, open addressing). */
    size_t cap = 1;
    while (cap < 4 * K + 4)
        cap <<= 1;
    size_t *pos = malloc(cap * sizeof *pos), *val = malloc(cap * sizeof *val);
    if (!pos || !val) {
        free(pos);
        free(val);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory choosing centers");
    }
    for (size_t i = 0; i < cap; i++)
        pos[i] = SIZE_MAX;
    ntk_rng rng;
    ntk_rng_seed(&rng, seed);
    for (size_t i = 0; i < K && i < n; i++) {
        size_t j = i + ntk_rng_below(&rng, n - i);
        size_t hi = (size_t)(i * 0x9E3779B97F4A7C15ULL) & (cap - 1);
        while (pos[hi] != SIZE_MAX && pos[hi] != i)
            hi = (hi + 1) & (cap - 1);
        size_t vi = pos[hi] == i ? val[hi] : i;
        size_t hj = (size_t)(j * 0x9E3779B97F4A7C15ULL) & (cap - 1);
        while (pos[hj] != SIZE_MAX && pos[hj] != j)
            hj = (hj + 1) & (cap - 1);
        size_t vj = pos[hj] == j ? val[hj] : j;
        out[i] = vj;
        pos[hj] = j;
        val[hj] = vi;
    }
    free(pos);
    free(val);
    return NTK_OK;
}

ntk_status nystrom_uniform_walk(const double *Xc, const size_t *cand, size_t K, size_t d,
                                size_t M, size_t *idx, size_t *chosen, ntk_error *err)
{
    size_t cap = 1;
    while (cap < 2 * M)
        cap <<= 1;
    size_t *table = malloc(cap * sizeof *table);
    if (!table)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory choosing centers");
    for (size_t i = 0; i < cap; i++)
        table[i] = SIZE_MAX;
    size_t m = 0;
    for (size_t i = 0; i < K && m < M; i++) {
        const double *x = Xc + i * d;
        size_t h = (size_t)row_hash(x, d) & (cap - 1);
        int dup = 0;
        while (table[h] != SIZE_MAX) {
            if (memcmp(Xc + table[h] * d, x, d * sizeof *x) == 0) {
                dup = 1;
                break;
            }
            h = (h + 1) & (cap - 1);
        }
        if (dup)
            continue;
        table[h] = i;
        idx[m++] = cand[i];
    }
    *chosen = m;
    free(table);
    return NTK_OK;
}

/* ------------------------------------------------------------- RPCholesky */

/* Draw up to want distinct pool positions with probability ∝ res (with
 * replacement, duplicates dropped). Returns the number drawn. */
static size_t draw_by_residual(ntk_rng *rng, const double *res, size_t P, size_t want,
                               double floor_, double *cum, size_t *out)
{
    double total = 0.0;
    for (size_t i = 0; i < P; i++) {
        total += res[i] > floor_ ? res[i] : 0.0;
        cum[i] = total;
    }
    if (!(total > 0.0))
        return 0;
    size_t got = 0;
    for (size_t tries = 0; tries < want; tries++) {
        double u = ntk_rng_uniform(rng) * total;
        size_t lo = 0, hi = P - 1;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (cum[mid] > u)
                hi = mid;
            else
                lo = mid + 1;
        }
        int seen = res[lo] <= floor_;
        for (size_t j = 0; j < got && !seen; j++)
            seen = out[j] == lo;
        if (!seen)
            out[got++] = lo;
    }
    return got;
}

typedef struct {
    size_t P, M, d;
    double *Xp;      /* P×d pool rows */
    size_t *rows;    /* pool position → row of X */
    double *F;       /* P×M row-major: pool features on the centers so far */
    double *res;     /* P residual diagonal */
    double floor_;   /* residuals at or below it count as 0 (rounding level) */
    double *cum;
    double *G;       /* P×RPC_ROUND residual columns */
    double *Xs;      /* RPC_ROUND×d drawn rows */
    double *Fs;      /* RPC_ROUND×M their features */
} rpc_ws;

static void rpc_free(rpc_ws *w)
{
    free(w->Xp);
    free(w->rows);
    free(w->F);
    free(w->res);
    free(w->cum);
    free(w->G);
    free(w->Xs);
    free(w->Fs);
}

/* One round: draw b pool rows, form their residual columns, keep the ones a
 * pivoted Cholesky of the b×b residual block finds independent. Returns the
 * number of centers added (0: the residual has vanished). */
static ntk_status rpc_round(const ntk_arch *a, ntk_kernel_kind kind, rpc_ws *w, ntk_rng *rng,
                            size_t m, size_t want, int threads, size_t *idx, size_t *added,
                            ntk_error *err)
{
    size_t P = w->P, M = w->M, d = w->d;
    size_t S[RPC_ROUND];
    *added = 0;
    size_t b = draw_by_residual(rng, w->res, P, want, w->floor_, w->cum, S);
    if (b == 0)
        return NTK_OK;
    for (size_t j = 0; j < b; j++)
        memcpy(w->Xs + j * d, w->Xp + S[j] * d, d * sizeof(double));
    ntk_kernel_options kopt = {threads, {NULL, NULL}};
    /* G = Θ(pool, S) − F·F[S]ᵀ (P×b, row-major). */
    ntk_status st = ntk_kernel_eval(a, kind, w->Xp, P, w->Xs, b, d, w->G, &kopt, err);
    if (st != NTK_OK)
        return st;
    if (m > 0) {
        for (size_t j = 0; j < b; j++)
            memcpy(w->Fs + j * M, w->F + S[j] * M, m * sizeof(double));
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)P, (int)b, (int)m, -1.0, w->F,
                    (int)M, w->Fs, (int)M, 1.0, w->G, (int)b);
    }
    /* The b×b block (symmetric, so its row-major copy is column-major). */
    double A[RPC_ROUND * RPC_ROUND];
    lapack_int piv[RPC_ROUND], rank = 0;
    for (size_t i = 0; i < b; i++)
        for (size_t j = 0; j < b; j++)
            A[i * b + j] = 0.5 * (w->G[S[i] * b + j] + w->G[S[j] * b + i]);
    double maxres = 0.0;
    for (size_t i = 0; i < P; i++)
        maxres = w->res[i] > maxres ? w->res[i] : maxres;
    lapack_int info = LAPACKE_dpstrf(LAPACK_COL_MAJOR, 'L', (lapack_int)b, A, (lapack_int)b, piv,
                                     &rank, fmax(1e-10 * maxres, w->floor_));
    if (info < 0)
        return ntk_error_set(err, NTK_EFAILED, "dpstrf failed (info %d)", (int)info);
    size_t r = (size_t)rank;
    if (r == 0)
        return NTK_OK;
    /* New features: the kept residual columns times L_r⁻ᵀ. */
    double *Fn = w->F + m; /* columns m..m+r of F */
    for (size_t i = 0; i < P; i++)
        for (size_t j = 0; j < r; j++)
            Fn[i * M + j] = w->G[i * b + (size_t)(piv[j] - 1)];
    cblas_dtrsm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, (int)P, (int)r,
                1.0, A, (int)b, Fn, (int)M);
    for (size_t i = 0; i < P; i++) {
        double s = 0.0;
        for (size_t j = 0; j < r; j++)
            s += Fn[i * M + j] * Fn[i * M + j];
        w->res[i] -= s;
        if (w->res[i] < 0.0)
            w->res[i] = 0.0;
    }
    for (size_t j = 0; j < r; j++) {
        size_t s = S[piv[j] - 1];
        w->res[s] = 0.0;
        idx[m + j] = w->rows[s];
    }
    *added = r;
    return NTK_OK;
}

static ntk_status select_rpcholesky(const ntk_arch *a, ntk_kernel_kind kind, const double *X,
                                    size_t n, size_t d, size_t M, uint64_t seed, int threads,
                                    size_t *idx, size_t *chosen, ntk_error *err)
{
    rpc_ws w = {0};
    size_t P = RPC_POOL_PER_CENTER * M > RPC_POOL_MIN ? RPC_POOL_PER_CENTER * M : RPC_POOL_MIN;
    if (P > RPC_POOL_BYTES / (8 * M))
        P = RPC_POOL_BYTES / (8 * M);
    if (P < M)
        P = M;
    if (P > n)
        P = n;
    w.P = P;
    w.M = M;
    w.d = d;
    ntk_rng rng;
    ntk_rng_seed(&rng, seed);
    w.Xp = malloc(P * d * sizeof(double) + 1);
    w.rows = malloc(n * sizeof(size_t));
    w.F = ntk_alloc_checked(P * M * sizeof(double), "center-selection features", err);
    w.res = malloc(P * sizeof(double));
    w.cum = malloc(P * sizeof(double));
    w.G = malloc(P * RPC_ROUND * sizeof(double));
    w.Xs = malloc(RPC_ROUND * d * sizeof(double) + 1);
    w.Fs = malloc(RPC_ROUND * M * sizeof(double));
    ntk_status st = NTK_OK;
    if (!w.Xp || !w.rows || !w.F || !w.res || !w.cum || !w.G || !w.Xs || !w.Fs) {
        st = err && err->status ? err->status
                                : ntk_error_set(err, NTK_ENOMEM, "out of memory choosing centers");
        goto done;
    }
    /* The pool: every row, or a uniform sample of P rows (sorted for locality). */
    for (size_t i = 0; i < n; i++)
        w.rows[i] = i;
    if (P < n) {
        for (size_t i = 0; i < P; i++) {
            size_t j = i + ntk_rng_below(&rng, n - i);
            size_t t = w.rows[i];
            w.rows[i] = w.rows[j];
            w.rows[j] = t;
        }
    }
    for (size_t i = 0; i < P; i++)
        memcpy(w.Xp + i * d, X + w.rows[i] * d, d * sizeof(double));
    st = nystrom_diag(a, kind, w.Xp, P, d, threads, w.res, err);
    /* A row the centers represent keeps a residual of rounding size
     * (~1e-16 of the diagonal), not 0: below this floor it is not drawn. */
    for (size_t i = 0; i < P; i++)
        w.floor_ = fmax(w.floor_, 1e-10 * w.res[i]);
    size_t m = 0;
    while (st == NTK_OK && m < M) {
        size_t want = M - m < RPC_ROUND ? M - m : RPC_ROUND, added = 0;
        st = rpc_round(a, kind, &w, &rng, m, want, threads, idx, &added, err);
        if (added == 0)
            break;
        m += added;
    }
    *chosen = m;
done:
    rpc_free(&w);
    return st;
}

ntk_status ntk_nystrom_select(const ntk_arch *a, ntk_kernel_kind kind, const double *X, size_t n,
                              size_t d, size_t M, ntk_center_method method, uint64_t seed,
                              int threads, size_t *idx, size_t *chosen, ntk_error *err)
{
    *chosen = 0;
    if (n == 0 || M == 0)
        return ntk_error_set(err, NTK_EINPUT, "the number of centers must be at least 1");
    if (M > n)
        M = n;
    if (method == NTK_CENTERS_KMEANS)
        return nystrom_select_kmeans(X, n, d, M, seed, idx, NULL, chosen, err);
    if (method == NTK_CENTERS_RPCHOLESKY)
        return select_rpcholesky(a, kind, X, n, d, M, seed, threads, idx, chosen, err);
    return select_uniform(X, n, d, M, seed, idx, chosen, err);
}

/* The NTK gradient-flow predictor on a Nyström subspace (ntk/nystrom.h,
 * docs/nystrom.md).
 *
 * M×M matrices are symmetric or triangular and handled column-major (as
 * LAPACK wants them); the cross-kernel blocks Θ(X_b, C) are row-major b×M as
 * ntk_kernel_eval writes them, which is exactly a column-major M×b matrix. */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/stream.h"
#include "nystrom_internal.h"
#include "solver/solver_internal.h"

#define BLOCK_BYTES ((size_t)64 << 20)
#define KEEP_BUDGET_MAX ((size_t)2 << 30)

/* The cross kernel Θ(X_b, C) of the b rows Xb into Kb (b×M row-major). */
static ntk_status cross_block(const ntk_arch *a, ntk_kernel_kind kind, const double *Xb, size_t d,
                              size_t b, const ntk_nystrom_fit_result *r, int threads, double *Kb,
                              ntk_error *err)
{
    ntk_kernel_options kopt = {threads, {NULL, NULL}};
    return ntk_kernel_eval(a, kind, Xb, b, r->centers, r->M, d, Kb, &kopt, err);
}

/* Where the training rows come from: X in memory, or a stream read in order
 * (a block before the stream's position rewinds it; rows of other
 * processes are read and skipped). */
typedef struct {
    const double *X;
    const ntk_row_stream *rs;
    size_t d, pos, cap, n;
    double *buf;                  /* stream: cap rows */
} row_src;

static ntk_status stream_read(row_src *s, double *dst, size_t b, ntk_error *err)
{
    size_t have = 0;
    while (have < b) {
        size_t got = 0;
        ntk_status st = s->rs->read(s->rs->ctx, dst + have * s->d, b - have, &got, err);
        if (st != NTK_OK)
            return st;
        if (got == 0)
            return ntk_error_set(err, NTK_EINPUT, "the row stream ended after %zu of its rows",
                                 s->pos + have);
        have += got;
    }
    s->pos += b;
    return NTK_OK;
}

/* Rows r0..r0+b−1 (b ≤ the block size): a pointer valid until the next call. */
static ntk_status src_rows(row_src *s, size_t r0, size_t b, const double **Xb, ntk_error *err)
{
    if (s->X) {
        *Xb = s->X + r0 * s->d;
        return NTK_OK;
    }
    ntk_status st = NTK_OK;
    if (r0 < s->pos) {
        if ((st = s->rs->rewind(s->rs->ctx, err)) != NTK_OK)
            return st;
        s->pos = 0;
    }
    while (s->pos < r0 && st == NTK_OK)
        st = stream_read(s, s->buf, r0 - s->pos < s->cap ? r0 - s->pos : s->cap, err);
    if (st == NTK_OK)
        st = stream_read(s, s->buf, b, err);
    *Xb = s->buf;
    return st;
}

/* Rows rows[0..m) (increasing) into out (m×d): one pass over a stream. */
static ntk_status src_gather(row_src *s, const size_t *rows, size_t m, double *out, ntk_error *err)
{
    size_t d = s->d, j = 0;
    if (s->X) {
        for (j = 0; j < m; j++)
            memcpy(out + j * d, s->X + rows[j] * d, d * sizeof *out);
        return NTK_OK;
    }
    ntk_status st = NTK_OK;
    while (j < m && st == NTK_OK) {
        size_t r0 = rows[j] - rows[j] % s->cap, b = s->n - r0 < s->cap ? s->n - r0 : s->cap;
        const double *Xb;
        st = src_rows(s, r0, b, &Xb, err);
        for (; st == NTK_OK && j < m && rows[j] < r0 + s->cap; j++)
            memcpy(out + j * d, Xb + (rows[j] - r0) * d, d * sizeof *out);
    }
    return st;
}

typedef struct {
    double *keep;       /* (hi−lo)×M cross kernel of this process's rows, or NULL */
    double *Kb;         /* one block when streamed */
    size_t block;
    size_t lo, hi;      /* this process's rows (all of them without a split) */
} cross_store;

static const double *cross_get(const ntk_arch *a, ntk_kernel_kind kind, row_src *src, size_t d,
                               size_t r0, size_t b, const ntk_nystrom_fit_result *r,
                               const cross_store *cs, int threads, int fresh,
                               const double **Xb, ntk_status *st, ntk_error *err)
{
    double *dst = cs->keep ? cs->keep + (r0 - cs->lo) * r->M : cs->Kb;
    if (fresh || !cs->keep) {
        *st = src_rows(src, r0, b, Xb, err);
        if (*st == NTK_OK)
            *st = cross_block(a, kind, *Xb, d, b, r, threads, dst, err);
    }
    return dst;
}

/* The row-block loops: 1 while rows r0.. remain (*b of them in this block),
 * nothing failed and the progress callback does not ask to stop. */
static int block_next(const ntk_progress *prog, const char *stage, size_t r0, size_t n, size_t B,
                      size_t *b, ntk_status *st, ntk_error *err)
{
    if (*st != NTK_OK || r0 >= n)
        return 0;
    *b = n - r0 < B ? n - r0 : B;
    if (ntk_progress_report(prog, stage, r0, n)) {
        *st = ntk_error_set(err, NTK_EFAILED, "interrupted");
        return 0;
    }
    return 1;
}

/* Pass 1: KtK = Θ(X,C)ᵀΘ(X,C) (upper triangle, row-major = lower
 * column-major), KtY = Θ(X,C)ᵀY (row-major M×k) and the sum of Θ(x,x). */
static ntk_status accumulate(const ntk_arch *a, ntk_kernel_kind kind, row_src *src, size_t d,
                             const double *Y, size_t k, ntk_nystrom_fit_result *r,
                             const cross_store *cs, int threads, const ntk_progress *prog,
                             double *KtK, double *KtY, double *diag_sum, ntk_error *err)
{
    size_t n = cs->hi, M = r->M, B = cs->block;
    double *dg = malloc(B * sizeof *dg);
    if (!dg)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    ntk_status st = NTK_OK;
    double sum = 0.0;
    size_t b;
    for (size_t r0 = cs->lo; block_next(prog, "nystrom kernel", r0, n, B, &b, &st, err);
         r0 += B) {
        const double *Xb = NULL;
        const double *Kb = cross_get(a, kind, src, d, r0, b, r, cs, threads, 1, &Xb, &st, err);
        if (st == NTK_OK)
            st = nystrom_diag(a, kind, Xb, b, d, threads, dg, err);
        if (st != NTK_OK)
            break;
        for (size_t i = 0; i < b; i++)
            sum += dg[i];
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)M, (int)b, 1.0, Kb, (int)M, 1.0,
                    KtK, (int)M);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)M, (int)k, (int)b, 1.0, Kb,
                    (int)M, Y + r0 * k, (int)k, 1.0, KtY, (int)k);
    }
    ntk_progress_report(prog, "nystrom kernel", n, n);
    *diag_sum = sum;
    free(dg);
    return st;
}

/* Pass 2: f_t at the training rows, Θ(X_b,C)·[β_1 … β_T] per block. */
static ntk_status train_predictions(const ntk_arch *a, ntk_kernel_kind kind, row_src *src,
                                    size_t d, ntk_nystrom_fit_result *r, const cross_store *cs,
                                    int threads, const ntk_progress *prog, ntk_error *err)
{
    size_t n = r->n, M = r->M, k = r->k, T = r->n_times, B = cs->block, kt = k * T;
    if (cs->lo > 0 || cs->hi < n) /* rows of the other processes: 0 until the sum */
        memset(r->train_pred, 0, T * n * k * sizeof *r->train_pred);
    double *Bc = malloc(M * kt * sizeof *Bc);
    double *F = malloc(B * kt * sizeof *F);
    ntk_status st = NTK_OK;
    if (!Bc || !F) {
        free(Bc);
        free(F);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    for (size_t j = 0; j < M; j++)
        for (size_t t = 0; t < T; t++)
            memcpy(Bc + j * kt + t * k, r->coef + t * M * k + j * k, k * sizeof *Bc);
    size_t b;
    for (size_t r0 = cs->lo; block_next(prog, "nystrom predictions", r0, cs->hi, B, &b, &st, err);
         r0 += B) {
        const double *Xb = NULL;
        const double *Kb = cross_get(a, kind, src, d, r0, b, r, cs, threads, 0, &Xb, &st, err);
        if (st != NTK_OK)
            break;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)b, (int)kt, (int)M, 1.0, Kb,
                    (int)M, Bc, (int)kt, 0.0, F, (int)kt);
        for (size_t i = 0; i < b; i++)
            for (size_t t = 0; t < T; t++)
                memcpy(r->train_pred + t * n * k + (r0 + i) * k, F + i * kt + t * k,
                       k * sizeof *F);
    }
    ntk_progress_report(prog, "nystrom predictions", n, n);
    free(Bc);
    free(F);
    return st;
}

/* Mean Nyström residual Θ(x,x) − ‖L⁻¹Θ(C,x)‖² on evenly spaced rows. */
static ntk_status residual_estimate(const ntk_arch *a, ntk_kernel_kind kind, const double *Xs,
                                    size_t R, size_t d, const double *L,
                                    ntk_nystrom_fit_result *r, int threads, ntk_error *err)
{
    size_t M = r->M;
    r->residual_rows = 0;
    r->residual_mean = r->residual_rel = NAN;
    if (R == 0)
        return NTK_OK;
    double *Ks = malloc(R * M * sizeof *Ks);
    double *dg = malloc(R * sizeof *dg);
    ntk_status st = NTK_OK;
    if (!Ks || !dg) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    ntk_kernel_options kopt = {threads, {NULL, NULL}};
    st = ntk_kernel_eval(a, kind, Xs, R, r->centers, M, d, Ks, &kopt, err);
    if (st == NTK_OK)
        st = nystrom_diag(a, kind, Xs, R, d, threads, dg, err);
    if (st != NTK_OK)
        goto done;
    /* Row-major R×M is column-major M×R: one triangular solve for all rows. */
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)M, (int)R,
                1.0, L, (int)M, Ks, (int)M);
    double sum = 0.0;
    for (size_t j = 0; j < R; j++) {
        double q = 0.0;
        for (size_t i = 0; i < M; i++)
            q += Ks[j * M + i] * Ks[j * M + i];
        sum += dg[j] - q;
    }
    r->residual_rows = R;
    r->residual_mean = sum / (double)R;
    r->residual_rel = r->mean_diag > 0 ? r->residual_mean / r->mean_diag : NAN;
done:
    free(Ks);
    free(dg);
    return st;
}

static ntk_nystrom_fit_result *result_new(size_t n, size_t d, size_t M, size_t k,
                                          const ntk_solve_params *sp, ntk_error *err)
{
    ntk_nystrom_fit_result *r = calloc(1, sizeof *r);
    if (!r) {
        ntk_error_set(err, NTK_ENOMEM, "out of memory");
        return NULL;
    }
    r->n = n;
    r->d = d;
    r->M = M;
    r->k = k;
    r->n_times = sp->n_times;
    r->eig_min = r->eig_max = r->residual_mean = r->residual_rel = NAN;
    r->center_rows = malloc(M * sizeof *r->center_rows);
    r->times = malloc(sp->n_times * sizeof *r->times);
    if (!r->center_rows || !r->times) {
        ntk_nystrom_fit_result_free(r);
        ntk_error_set(err, NTK_ENOMEM, "out of memory");
        return NULL;
    }
    memcpy(r->times, sp->times, sp->n_times * sizeof *r->times);
    return r;
}

/* A meeting point of a split fit (see ntk_nystrom_split); alone: st. */
static ntk_status split_sync(const ntk_nystrom_params *np, ntk_status st, double *buf,
                             size_t count, int *synced, ntk_error *err)
{
    if (!np->split)
        return st;
    (*synced)++;
    return np->split->sync(np->split->ctx, st, st == NTK_OK ? buf : NULL, count, err);
}

/* Everything after the centers are chosen. */
static ntk_status fit_on_centers(const ntk_arch *a, ntk_kernel_kind kind, row_src *src,
                                 const double *Y, const ntk_solve_params *sp,
                                 const ntk_nystrom_params *np, int threads, const double *Xres,
                                 size_t R, ntk_nystrom_fit_result *r, ntk_error *err)
{
    size_t n = r->n, d = r->d, M = r->M, k = r->k;
    ntk_status st = NTK_OK;
    int synced = 0, syncs = sp->want_train_predictions ? 2 : 1;
    double *buf = NULL;
    cross_store cs = {NULL, NULL, np->block_rows ? np->block_rows : BLOCK_BYTES / (8 * M), 0, n};
    if (np->split) {
        cs.lo = np->split->row_begin < n ? np->split->row_begin : n;
        cs.hi = np->split->row_end < n ? np->split->row_end : n;
        if (cs.hi < cs.lo)
            cs.hi = cs.lo;
    }
    size_t mine = cs.hi - cs.lo;
    if (cs.block < 1)
        cs.block = 1;
    if (cs.block > (mine ? mine : 1))
        cs.block = mine ? mine : 1;
    r->block_rows = cs.block;
    if (!src->X && src->cap < cs.block) {
        double *nb = ntk_alloc_checked(cs.block * d * sizeof *nb, "row block", err);
        if (!nb)
            return err && err->status ? err->status : NTK_ENOMEM;
        free(src->buf);
        src->buf = nb;
        src->cap = cs.block;
    }
    size_t avail = ntk_memory_available();
    size_t budget = np->cross_budget ? np->cross_budget
                                     : (avail && avail / 4 < KEEP_BUDGET_MAX ? avail / 4
                                                                             : KEEP_BUDGET_MAX);
    int keep = mine && (np->keep_cross == 1 ||
                        (np->keep_cross == -1 && M <= budget / 8 / mine));
    char what[96];
    snprintf(what, sizeof what, "Nystrom center kernel %zux%zu", M, M);
    double *L = ntk_alloc_checked(M * M * sizeof *L, what, err);
    double *KtK = L ? ntk_alloc_checked(M * M * sizeof *KtK, "Nystrom Gram matrix", err) : NULL;
    double *KtY = calloc(M * k, sizeof *KtY);
    double *Z = malloc(M * k * sizeof *Z);
    if (keep) {
        snprintf(what, sizeof what, "Nystrom cross kernel %zux%zu", n, M);
        cs.keep = KtK ? ntk_alloc_checked(mine * M * sizeof(double), what, err) : NULL;
    } else {
        cs.Kb = KtK ? ntk_alloc_checked(cs.block * M * sizeof(double), "cross-kernel block", err)
                    : NULL;
    }
    r->streamed = !keep;
    if (!L || !KtK || !KtY || !Z || (!cs.keep && !cs.Kb)) {
        st = err && err->status ? err->status : ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    double t0 = omp_get_wtime();
    ntk_kernel_options kopt = {threads, {NULL, NULL}};
    st = ntk_kernel_eval(a, kind, r->centers, M, NULL, 0, d, L, &kopt, err);
    if (st == NTK_OK)
        st = nystrom_factor_centers(L, M, np->jitter, &r->jitter_centers, err);
    memset(KtK, 0, M * M * sizeof *KtK);
    double diag_sum = 0.0;
    if (st == NTK_OK)
        st = accumulate(a, kind, src, d, Y, k, r, &cs, threads, &sp->progress, KtK, KtY,
                        &diag_sum, err);
    if (np->split) {
        /* One reduction for the Gram, ΘᵀY and the diagonal sum. */
        size_t cnt = M * M + M * k + 1;
        buf = st == NTK_OK ? ntk_alloc_checked(cnt * sizeof *buf, "Nystrom reduction", err) : NULL;
        if (st == NTK_OK && !buf)
            st = err && err->status ? err->status : NTK_ENOMEM;
        if (buf) {
            memcpy(buf, KtK, M * M * sizeof *buf);
            memcpy(buf + M * M, KtY, M * k * sizeof *buf);
            buf[cnt - 1] = diag_sum;
        }
        st = split_sync(np, st, buf, cnt, &synced, err);
        if (st == NTK_OK) {
            memcpy(KtK, buf, M * M * sizeof *buf);
            memcpy(KtY, buf + M * M, M * k * sizeof *buf);
            diag_sum = buf[cnt - 1];
        }
        free(buf);
        buf = NULL;
    }
    r->seconds_kernel = omp_get_wtime() - t0;
    if (st != NTK_OK)
        goto done;
    t0 = omp_get_wtime();
    r->mean_diag = diag_sum / (double)n;
    r->reg_abs = sp->reg_scale == NTK_REG_RELATIVE ? sp->reg * r->mean_diag : sp->reg;
    /* KtK's upper row-major triangle is its lower column-major one: mirror it. */
    for (size_t j = 0; j < M; j++)
        for (size_t i = j + 1; i < M; i++)
            KtK[j + i * M] = KtK[i + j * M];
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)M, (int)M,
                1.0, L, (int)M, KtK, (int)M);
    cblas_dtrsm(CblasColMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, (int)M, (int)M,
                1.0, L, (int)M, KtK, (int)M);
    for (size_t j = 0; j < M; j++)
        for (size_t i = j + 1; i < M; i++)
            KtK[i + j * M] = KtK[j + i * M] = 0.5 * (KtK[i + j * M] + KtK[j + i * M]);
    solver_to_col_major(KtY, M, k, Z);
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)M, (int)k,
                1.0, L, (int)M, Z, (int)M);
    r->coef = ntk_alloc_checked(r->n_times * M * k * sizeof(double), "coefficients", err);
    if (!r->coef) {
        st = err && err->status ? err->status : NTK_ENOMEM;
        goto done;
    }
    int all_inf = 1;
    for (size_t t = 0; t < r->n_times; t++)
        all_inf &= isinf(r->times[t]) != 0;
    r->used_eigen = !all_inf;
    st = all_inf ? nystrom_flow_cholesky(KtK, L, Z, r, err)
                 : nystrom_flow(KtK, L, Z, sp, r, err);
    r->seconds_solve = omp_get_wtime() - t0;
    if (st != NTK_OK)
        goto done;
    if (sp->want_train_predictions) {
        t0 = omp_get_wtime();
        r->train_pred = ntk_alloc_checked(r->n_times * n * k * sizeof(double),
                                          "training predictions", err);
        st = r->train_pred ? train_predictions(a, kind, src, d, r, &cs, threads, &sp->progress, err)
                           : (err && err->status ? err->status : NTK_ENOMEM);
        if (np->split)
            st = split_sync(np, st, r->train_pred, r->n_times * n * k, &synced, err);
        r->seconds_kernel += omp_get_wtime() - t0;
        if (st != NTK_OK)
            goto done;
    }
    /* The whole cross kernel is no longer needed: free it before the sample. */
    free(cs.keep);
    cs.keep = NULL;
    st = residual_estimate(a, kind, Xres, R, d, L, r, threads, err);
done:
    /* A process that failed still meets the others at every remaining point. */
    while (np->split && synced < syncs)
        split_sync(np, st != NTK_OK ? st : NTK_EFAILED, NULL, 0, &synced, err);
    free(L);
    free(KtK);
    free(KtY);
    free(Z);
    free(cs.keep);
    free(cs.Kb);
    return st;
}

static int cmp_size(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return a < b ? -1 : a > b;
}

/* Uniform centers from a stream: the candidates of the seeded permutation
 * (the same draws as ntk_nystrom_select) gathered in one pass, together with
 * the residual estimate's rows; more candidates (another pass) only when
 * too many are duplicates. */
static ntk_status stream_centers(row_src *src, size_t n, size_t M, uint64_t seed, size_t R,
                                 ntk_nystrom_fit_result *r, size_t *chosen, double *Xres,
                                 ntk_error *err)
{
    size_t d = src->d, K = M + M / 2 + 64;
    ntk_status st = NTK_OK;
    for (;;) {
        if (K > n)
            K = n;
        size_t *cand = malloc(K * sizeof *cand), *all = malloc((K + R) * sizeof *all);
        double *U = ntk_alloc_checked((K + R) * d * sizeof *U + 1, "center candidates", err);
        double *Xc = malloc(K * d * sizeof *Xc + 1);
        if (!cand || !all || !U || !Xc)
            st = err && err->status ? err->status : ntk_error_set(err, NTK_ENOMEM, "out of memory");
        if (st == NTK_OK)
            st = nystrom_uniform_candidates(n, seed, K, cand, err);
        size_t u = 0;
        if (st == NTK_OK) {
            memcpy(all, cand, K * sizeof *all);
            for (size_t j = 0; j < R; j++)
                all[K + j] = j * n / R;
            qsort(all, K + R, sizeof *all, cmp_size);
            for (size_t i = 0; i < K + R; i++)
                if (i == 0 || all[i] != all[u - 1])
                    all[u++] = all[i];
            st = src_gather(src, all, u, U, err);
        }
        if (st == NTK_OK) {
            for (size_t i = 0; i < K; i++) {
                const size_t *hit = bsearch(&cand[i], all, u, sizeof *all, cmp_size);
                memcpy(Xc + i * d, U + (size_t)(hit - all) * d, d * sizeof *Xc);
            }
            for (size_t j = 0; j < R; j++) {
                size_t row = j * n / R;
                const size_t *hit = bsearch(&row, all, u, sizeof *all, cmp_size);
                memcpy(Xres + j * d, U + (size_t)(hit - all) * d, d * sizeof *Xres);
            }
            st = nystrom_uniform_walk(Xc, cand, K, d, M, r->center_rows, chosen, err);
        }
        int again = st == NTK_OK && *chosen < M && K < n;
        /* The chosen rows in their order of choice: the walk keeps
         * candidates in order, so one forward scan finds them all. */
        for (size_t j = 0, i = 0; st == NTK_OK && !again && j < *chosen; j++, i++) {
            while (cand[i] != r->center_rows[j])
                i++;
            memcpy(r->centers + j * d, Xc + i * d, d * sizeof *Xc);
        }
        free(cand);
        free(all);
        free(U);
        free(Xc);
        if (!again)
            return st;
        K *= 2;
    }
}

/* The fit from either source of rows (ntk_nystrom_fit, ntk_nystrom_fit_stream). */
static ntk_status fit_from(const ntk_arch *a, ntk_kernel_kind kind, row_src *src, size_t n,
                           size_t d, const double *Y, size_t k, const ntk_solve_params *sp,
                           const ntk_nystrom_params *np, int threads,
                           ntk_nystrom_fit_result **out, ntk_error *err)
{
    *out = NULL;
    ntk_status st = solver_check_problem(n, Y, k, sp, err);
    if (st != NTK_OK)
        return st;
    const char *msg = ntk_nystrom_params_check(np);
    if (!msg)
        msg = ntk_arch_check(a);
    if (!msg && !src->X && np->selection != NTK_CENTERS_UNIFORM)
        msg = "only uniform centers can be drawn from a stream (use --center-selection uniform)";
    if (msg)
        return ntk_error_set(err, NTK_EINPUT, "%s", msg);
    size_t M = np->centers ? np->centers : ntk_nystrom_default_centers(n, k);
    if (M > n)
        M = n;
    size_t R = np->residual_rows < n ? np->residual_rows : n;
    ntk_nystrom_fit_result *r = result_new(n, d, M, k, sp, err);
    if (!r)
        return err ? err->status : NTK_ENOMEM;
    r->selection = np->selection;
    double t0 = omp_get_wtime();
    size_t chosen = 0;
    int centers_agreed = 0;
    double *Xres = malloc(R * d * sizeof *Xres + 1);
    r->centers = malloc(M * d * sizeof *r->centers + 1);
    if (!Xres || !r->centers)
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
    int means = np->selection == NTK_CENTERS_KMEANS; /* centers are not rows */
    if (st == NTK_OK && !src->X)
        st = stream_centers(src, n, M, np->seed, R, r, &chosen, Xres, err);
    else if (st == NTK_OK && (!np->split || np->split->root))
        st = means ? nystrom_select_kmeans(src->X, n, d, M, np->seed, r->center_rows, r->centers,
                                           &chosen, err)
                   : ntk_nystrom_select(a, kind, src->X, n, d, M, np->selection, np->seed,
                                        threads, r->center_rows, &chosen, err);
    if (np->split) {
        /* The root's centers for everyone (indices are exact in doubles;
         * k-means sends its means too). */
        size_t cnt = M + 1 + (means ? M * d : 0);
        double *idx = malloc(cnt * sizeof *idx);
        if (!idx && st == NTK_OK)
            st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        if (idx) {
            memset(idx, 0, cnt * sizeof *idx);
            if (np->split->root && st == NTK_OK) {
                idx[0] = (double)chosen;
                for (size_t j = 0; j < chosen; j++)
                    idx[1 + j] = (double)r->center_rows[j];
                if (means)
                    memcpy(idx + M + 1, r->centers, chosen * d * sizeof *idx);
            }
        }
        int synced = 0;
        st = split_sync(np, st, idx, cnt, &synced, err);
        centers_agreed = st == NTK_OK;
        if (st == NTK_OK) {
            chosen = (size_t)idx[0];
            for (size_t j = 0; j < chosen; j++)
                r->center_rows[j] = (size_t)idx[1 + j];
            if (means)
                memcpy(r->centers, idx + M + 1, chosen * d * sizeof *idx);
        }
        free(idx);
    }
    if (st == NTK_OK && chosen == 0)
        st = ntk_error_set(err, NTK_ENUMERIC, "no Nystrom center could be chosen");
    if (st == NTK_OK && src->X) {
        for (size_t j = 0; j < chosen && !means; j++)
            memcpy(r->centers + j * d, src->X + r->center_rows[j] * d, d * sizeof *src->X);
        size_t *rows = malloc((R ? R : 1) * sizeof *rows);
        if (!rows)
            st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        for (size_t j = 0; rows && j < R; j++)
            rows[j] = j * n / R;
        if (st == NTK_OK)
            st = src_gather(src, rows, R, Xres, err);
        free(rows);
    }
    if (st == NTK_OK) {
        r->M = M = chosen;
        r->seconds_centers = omp_get_wtime() - t0;
        st = fit_on_centers(a, kind, src, Y, sp, np, threads, Xres, R, r, err);
    } else if (centers_agreed) {
        /* Failed here alone: still meet the others at the fit's points. */
        int synced = 0, syncs = sp->want_train_predictions ? 2 : 1;
        while (synced < syncs)
            split_sync(np, st, NULL, 0, &synced, err);
    }
    free(Xres);
    if (st != NTK_OK) {
        ntk_nystrom_fit_result_free(r);
        return st;
    }
    *out = r;
    return NTK_OK;
}

ntk_status ntk_nystrom_fit(const ntk_arch *a, ntk_kernel_kind kind, const double *X, size_t n,
                           size_t d, const double *Y, size_t k, const ntk_solve_params *sp,
                           const ntk_nystrom_params *np, int threads,
                           ntk_nystrom_fit_result **out, ntk_error *err)
{
    row_src src = {X, NULL, d, 0, 0, n, NULL};
    return fit_from(a, kind, &src, n, d, Y, k, sp, np, threads, out, err);
}

ntk_status ntk_nystrom_fit_stream(const ntk_arch *a, ntk_kernel_kind kind,
                                  const ntk_row_stream *rows, size_t n, size_t d, const double *Y,
                                  size_t k, const ntk_solve_params *sp,
                                  const ntk_nystrom_params *np, int threads,
                                  ntk_nystrom_fit_result **out, ntk_error *err)
{
    row_src src = {NULL, rows, d, 0, 4096, n, NULL};
    ntk_status st = NTK_OK;
    if (!(src.buf = malloc(src.cap * d * sizeof *src.buf + 1)))
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    if (rows->rewind)
        st = rows->rewind(rows->ctx, err);
    if (st == NTK_OK)
        st = fit_from(a, kind, &src, n, d, Y, k, sp, np, threads, out, err);
    free(src.buf);
    return st;
}

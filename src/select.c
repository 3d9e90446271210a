/* Hyperparameter selection by validation (see ntk/select.h). */
#include "ntk/select.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "blas_threads.h"
#include "ntk/rng.h"
#include "ntk/solver.h"

static const double default_b_stds[] = {0.0, 0.1, 0.5};
static const double default_regs[] = {0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0};
static const double default_taus[] = {1.0, 10.0, 100.0, 1e3, 1e4, INFINITY};
static const ntk_activation default_act = {.kind = NTK_ACT_RELU};

void ntk_select_params_init(ntk_select_params *p)
{
    memset(p, 0, sizeof *p);
    p->max_depth = 5;
    p->sweep_fixed = 1;
    p->acts = &default_act;
    p->n_acts = 1;
    p->w_std = sqrt(2.0);
    p->b_stds = default_b_stds;
    p->n_b_stds = sizeof default_b_stds / sizeof default_b_stds[0];
    p->try_nngp = 1;
    p->regs = default_regs;
    p->n_regs = sizeof default_regs / sizeof default_regs[0];
    p->taus = default_taus;
    p->n_taus = sizeof default_taus / sizeof default_taus[0];
    p->folds = 5;
    p->tie_break = NTK_TIE_MSE;
}

/* One validation fold: index lists, targets as the solver sees them
 * (column-major n_tr×k), and the truth for scoring. */
typedef struct {
    size_t n_tr, n_va;
    size_t *tr, *va;
    double *Y;        /* n_tr × k, column-major */
    double *truth;    /* n_va: class index or standardized value */
} fold;

/* Accumulated validation results of one candidate over the folds. */
typedef struct {
    size_t correct, count;
    double sse;       /* squared error of the outputs against the targets */
    double sse_value; /* regression: squared error of the value */
} tally;

typedef struct {
    const ntk_select_params *p;
    ntk_task task;
    size_t k, n;
    fold *folds;
    size_t n_folds;
    ntk_select_result *best;
    int have_best;
    double best_mean_diag;
    double *work;     /* scratch */
} ctx;

static void fold_free(fold *f)
{
    free(f->tr);
    free(f->va);
    free(f->Y);
    free(f->truth);
}

static ntk_status make_folds(ctx *c, const double *y, size_t n_classes, ntk_error *err)
{
    const ntk_select_params *p = c->p;
    size_t n = c->n;
    size_t *assign = malloc(n * sizeof *assign);
    if (!assign)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    if (p->split) {
        c->n_folds = 1;
        for (size_t i = 0; i < n; i++)
            assign[i] = p->split[i] ? 0 : 1; /* fold 0 = validation rows */
    } else {
        c->n_folds = p->folds;
        if (p->folds < 2 || p->folds > n) {
            free(assign);
            return ntk_error_set(err, NTK_EINPUT, "cannot make %zu folds of %zu rows", p->folds,
                                 n);
        }
        ntk_status st = ntk_kfold_assign(n, c->task == NTK_TASK_CLASSIFICATION ? y : NULL,
                                         n_classes, p->folds, p->seed, assign, err);
        if (st != NTK_OK) {
            free(assign);
            return st;
        }
    }
    c->folds = calloc(c->n_folds, sizeof *c->folds);
    if (!c->folds) {
        free(assign);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    for (size_t f = 0; f < c->n_folds; f++) {
        fold *fd = &c->folds[f];
        for (size_t i = 0; i < n; i++)
            if (assign[i] == f)
                fd->n_va++;
            else
                fd->n_tr++;
        if (fd->n_tr == 0 || fd->n_va == 0) {
            free(assign);
            return ntk_error_set(err, NTK_EINPUT, "validation fold %zu is empty", f + 1);
        }
        fd->tr = malloc(fd->n_tr * sizeof *fd->tr);
        fd->va = malloc(fd->n_va * sizeof *fd->va);
        fd->Y = malloc(fd->n_tr * c->k * sizeof *fd->Y);
        fd->truth = malloc(fd->n_va * sizeof *fd->truth);
        if (!fd->tr || !fd->va || !fd->Y || !fd->truth) {
            free(assign);
            return ntk_error_set(err, NTK_ENOMEM, "out of memory");
        }
        size_t a = 0, b = 0;
        for (size_t i = 0; i < n; i++) {
            if (assign[i] == f)
                fd->va[b++] = i;
            else
                fd->tr[a++] = i;
        }
        if (c->task == NTK_TASK_CLASSIFICATION) {
            for (size_t i = 0; i < fd->n_tr; i++)
                for (size_t j = 0; j < c->k; j++)
                    fd->Y[i + j * fd->n_tr] =
                        ((size_t)y[fd->tr[i]] == j ? 1.0 : 0.0) - 1.0 / (double)c->k;
            for (size_t i = 0; i < fd->n_va; i++)
                fd->truth[i] = y[fd->va[i]];
        } else {
            /* Targets standardized on the fold's training rows, as a final fit would. */
            double mean = 0, var = 0;
            for (size_t i = 0; i < fd->n_tr; i++)
                mean += y[fd->tr[i]];
            mean /= (double)fd->n_tr;
            for (size_t i = 0; i < fd->n_tr; i++)
                var += (y[fd->tr[i]] - mean) * (y[fd->tr[i]] - mean);
            double sd = sqrt(var / (double)fd->n_tr);
            if (!(sd > 0))
                sd = 1;
            for (size_t i = 0; i < fd->n_tr; i++)
                fd->Y[i] = (y[fd->tr[i]] - mean) / sd;
            for (size_t i = 0; i < fd->n_va; i++)
                fd->truth[i] = (y[fd->va[i]] - mean) / sd;
        }
    }
    free(assign);
    return NTK_OK;
}

/* The fold's training block as A = Q·Z·diag(w)·Zᵀ·Qᵀ: Q from the tridiagonal
 * reduction (Householder reflectors left in A), Z the eigenvectors of the
 * tridiagonal matrix (MRRR, O(n²); divide and conquer if MRRR declines). The
 * eigenvectors V = Q·Z of A are never formed: only the few columns that the
 * candidates need are multiplied by Q, which saves the 2n³ back-transformation
 * and the extra work of a full dsyevd — about 3× here. */
typedef struct {
    size_t n;
    double *A;    /* reflectors (lower part), n×n column-major */
    double *tau;  /* n */
    double *Z;    /* n×n eigenvectors of the tridiagonal matrix */
} spectral;

static ntk_status spectral_decompose(spectral *sp, double *w, ntk_error *err)
{
    size_t n = sp->n;
    lapack_int N = (lapack_int)n, m = 0;
    double *d = malloc(n * sizeof *d), *e = malloc(n * sizeof *e);
    double *d2 = malloc(n * sizeof *d2), *e2 = malloc(n * sizeof *e2);
    lapack_int *isuppz = malloc(2 * n * sizeof *isuppz);
    ntk_status st = NTK_OK;
    if (!d || !e || !d2 || !e2 || !isuppz) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory during selection");
        goto done;
    }
    lapack_int info = LAPACKE_dsytrd(LAPACK_COL_MAJOR, 'L', N, sp->A, N, d, e, sp->tau);
    if (info == 0) {
        e[n - 1] = 0;
        memcpy(d2, d, n * sizeof *d);
        memcpy(e2, e, n * sizeof *e);
        lapack_logical tryrac = 1;
        info = LAPACKE_dstemr(LAPACK_COL_MAJOR, 'V', 'A', N, d, e, 0, 0, 0, 0, &m, w, sp->Z, N,
                              N, isuppz, &tryrac);
        if (info != 0 || (size_t)m != n) {
            memcpy(w, d2, n * sizeof *w);
            info = LAPACKE_dstedc(LAPACK_COL_MAJOR, 'I', N, w, e2, sp->Z, N);
        }
    }
    if (info != 0)
        st = ntk_error_set(err, NTK_ENUMERIC, "eigendecomposition failed during selection "
                           "(info %d)", (int)info);
done:
    free(d);
    free(e);
    free(d2);
    free(e2);
    free(isuppz);
    return st;
}

/* out = Vᵀ·X = Zᵀ·(Qᵀ·X) for an n×cols block X (column-major; X is overwritten). */
static void spectral_apply_t(const spectral *sp, double *X, size_t cols, double *out)
{
    lapack_int N = (lapack_int)sp->n;
    LAPACKE_dormtr(LAPACK_COL_MAJOR, 'L', 'L', 'T', N, (lapack_int)cols, sp->A, N, sp->tau, X, N);
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)sp->n, (int)cols, (int)sp->n, 1.0,
                sp->Z, (int)sp->n, X, (int)sp->n, 0.0, out, (int)sp->n);
}

/* out = V·X = Q·(Z·X) for an n×cols block. */
static void spectral_apply(const spectral *sp, const double *X, size_t cols, double *out)
{
    lapack_int N = (lapack_int)sp->n;
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)sp->n, (int)cols, (int)sp->n, 1.0,
                sp->Z, (int)sp->n, X, (int)sp->n, 0.0, out, (int)sp->n);
    LAPACKE_dormtr(LAPACK_COL_MAJOR, 'L', 'L', 'N', N, (lapack_int)cols, sp->A, N, sp->tau, out,
                   N);
}

/* Score every (ridge, time) pair of one kernel on one fold. M is the n×n
 * kernel of all training rows. After one decomposition A = V diag(w) Vᵀ of
 * the fold's training block, every candidate's coefficients are
 * V·(g ⊙ VᵀY): all candidates go through the same few products at once. */
static ntk_status score_fold(const ctx *c, const double *M, const fold *fd, tally *tallies,
                             ntk_error *err)
{
    const ntk_select_params *p = c->p;
    size_t n = c->n, nt = fd->n_tr, nv = fd->n_va, k = c->k;
    size_t nc = p->n_regs * p->n_taus, cols = nc * k;
    double *A = malloc(nt * nt * sizeof *A);
    double *B0 = malloc(nv * nt * sizeof *B0);
    double *w = malloc(nt * sizeof *w);
    double *P = malloc(nt * k * sizeof *P);
    double *G = malloc(nt * cols * sizeof *G);
    double *C = malloc(nt * cols * sizeof *C);
    double *F = malloc(nv * cols * sizeof *F);
    double *Z = malloc(nt * nt * sizeof *Z), *tau_h = malloc(nt * sizeof *tau_h);
    double *Yw = malloc(nt * k * sizeof *Yw);
    spectral sp = {nt, A, tau_h, Z};
    ntk_status st = NTK_OK;
    if (!A || !B0 || !w || !P || !G || !C || !F || !Z || !tau_h || !Yw) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory during selection");
        goto done;
    }
    double md = 0;
    for (size_t j = 0; j < nt; j++) {
        const double *row = M + fd->tr[j] * n;
        for (size_t i = 0; i < nt; i++)
            A[i + j * nt] = row[fd->tr[i]];
        md += A[j + j * nt];
    }
    md /= (double)nt;
    if (!(md > 0))
        md = 1;
    for (size_t j = 0; j < nt; j++)
        for (size_t i = 0; i < nv; i++)
            B0[i + j * nv] = M[fd->va[i] * n + fd->tr[j]];
    st = spectral_decompose(&sp, w, err);
    if (st != NTK_OK)
        goto done;
    memcpy(Yw, fd->Y, nt * k * sizeof *Yw);
    spectral_apply_t(&sp, Yw, k, P);
    double wmax = w[nt - 1] > 0 ? w[nt - 1] : 1;
    double floor_ = (double)nt * 2.2e-16 * wmax;
    for (size_t r = 0; r < p->n_regs; r++) {
        double lam = p->regs[r] * md;
        for (size_t ti = 0; ti < p->n_taus; ti++) {
            double tau = p->taus[ti];
            double s = isinf(tau) ? INFINITY : tau / (md * (double)nt * (double)k);
            double *Gc = G + (r * p->n_taus + ti) * k * nt;
            for (size_t i = 0; i < nt; i++) {
                double a = (w[i] > 0 ? w[i] : 0) + lam;
                if (isinf(s) && a < floor_)
                    a = floor_;
                double g = ntk_flow_coefficient(a, s);
                for (size_t j = 0; j < k; j++)
                    Gc[i + j * nt] = g * P[i + j * nt];
            }
        }
    }
    spectral_apply(&sp, G, cols, C);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)nv, (int)cols, (int)nt, 1.0, B0,
                (int)nv, C, (int)nt, 0.0, F, (int)nv);
    for (size_t cand = 0; cand < nc; cand++) {
        const double *Fc = F + cand * k * nv;
        tally *t = &tallies[cand];
        for (size_t i = 0; i < nv; i++) {
            if (c->task == NTK_TASK_CLASSIFICATION) {
                size_t best = 0, truth = (size_t)fd->truth[i];
                double sse = 0;
                for (size_t j = 0; j < k; j++) {
                    double target = (truth == j ? 1.0 : 0.0) - 1.0 / (double)k;
                    double e = Fc[i + j * nv] - target;
                    sse += e * e;
                    if (Fc[i + j * nv] > Fc[i + best * nv])
                        best = j;
                }
                t->correct += best == truth;
                t->sse += sse;
            } else {
                double e = Fc[i] - fd->truth[i];
                t->sse += e * e;
            }
            t->count++;
        }
    }
done:
    free(A);
    free(B0);
    free(w);
    free(P);
    free(G);
    free(C);
    free(F);
    free(Z);
    free(tau_h);
    free(Yw);
    return st;
}

/* Let one kernel's candidates (tallies summed over the folds) compete. */
static void compete(ctx *c, const tally *tallies, const double *M, const ntk_arch *arch,
                    ntk_kernel_kind kind)
{
    const ntk_select_params *p = c->p;
    double md = 0;
    for (size_t i = 0; i < c->n; i++)
        md += M[i * c->n + i];
    md /= (double)c->n;
    /* Candidates in order of simplicity: most regularized first, earliest time first. */
    for (size_t ri = p->n_regs; ri-- > 0;) {
        for (size_t ti = 0; ti < p->n_taus; ti++) {
            const tally *t = &tallies[ri * p->n_taus + ti];
            double score, mse = t->sse / (double)t->count;
            int better;
            if (c->task == NTK_TASK_CLASSIFICATION) {
                score = (double)t->correct / (double)t->count;
                better = !c->have_best || score > c->best->score ||
                         (score == c->best->score && p->tie_break == NTK_TIE_MSE &&
                          mse < c->best->mse * (1 - 1e-12));
            } else {
                score = sqrt(mse);
                better = !c->have_best || score < c->best->score * (1 - 1e-12);
            }
            c->best->n_candidates++;
            if (!better || !isfinite(mse))
                continue;
            c->have_best = 1;
            c->best->arch = *arch;
            c->best->kind = kind;
            c->best->reg_rel = p->regs[ri];
            c->best->tau = p->taus[ti];
            c->best->score = score;
            c->best->mse = mse;
            c->best_mean_diag = md > 0 ? md : 1;
        }
    }
}

/* Score nk kernels over every fold. The (kernel, fold) eigendecompositions
 * run concurrently, one per thread with single-threaded BLAS: LAPACK's
 * tridiagonal reduction is memory-bound and scales poorly across threads, so
 * independent problems side by side use the cores better. Candidates then
 * compete sequentially, in a fixed order, so the result does not depend on
 * the thread count. */
static ntk_status score_kernels(ctx *c, double *const *mats, const ntk_arch *archs,
                                const ntk_kernel_kind *kinds, size_t nk, ntk_error *err)
{
    const ntk_select_params *p = c->p;
    size_t nc = p->n_regs * p->n_taus, nf = c->n_folds, njobs = nk * nf;
    tally *t = calloc(njobs * nc, sizeof *t);
    if (!t)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    int threads = p->threads > 0 ? p->threads : omp_get_max_threads();
    int par = njobs > 1 && threads > 1;
    if (par)
        ntk_blas_threads_push(1); /* the caller's count comes back at the pop below */
    ntk_status st = NTK_OK;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (par)
    for (size_t job = 0; job < njobs; job++) {
        ntk_status js;
#pragma omp atomic read
        js = st;
        if (js != NTK_OK)
            continue;
        ntk_error local = {0};
        js = score_fold(c, mats[job / nf], &c->folds[job % nf], t + job * nc, &local);
        if (js != NTK_OK) {
#pragma omp critical(select_error)
            if (st == NTK_OK) {
                st = js;
                if (err)
                    *err = local;
            }
        }
    }
    if (par)
        ntk_blas_threads_pop();
    for (size_t kk = 0; kk < nk && st == NTK_OK; kk++) {
        tally *sum = t + kk * nf * nc;
        for (size_t f = 1; f < nf; f++)
            for (size_t i = 0; i < nc; i++) {
                const tally *x = t + (kk * nf + f) * nc + i;
                sum[i].correct += x->correct;
                sum[i].count += x->count;
                sum[i].sse += x->sse;
            }
        compete(c, sum, mats[kk], &archs[kk], kinds[kk]);
    }
    free(t);
    return st;
}

/* Evaluate the kernels of depths lo..hi in one recursion and score each. */
static ntk_status eval_and_score(ctx *c, const ntk_arch *arch, const double *X, size_t d,
                                 size_t lo, size_t hi, int with_nngp, double **ntk, double **nngp,
                                 const ntk_kernel_options *kopt, size_t *n_kernels,
                                 ntk_error *err)
{
    size_t n = c->n, L = (size_t)c->p->max_depth;
    memset(ntk, 0, (L + 1) * sizeof *ntk);
    memset(nngp, 0, (L + 1) * sizeof *nngp);
    ntk_status st = NTK_OK;
    for (size_t l = lo; l <= hi && st == NTK_OK; l++) {
        ntk[l] = ntk_alloc_checked(n * n * sizeof(double), "selection kernel", err);
        if (with_nngp && ntk[l])
            nngp[l] = ntk_alloc_checked(n * n * sizeof(double), "selection kernel", err);
        if (!ntk[l] || (with_nngp && !nngp[l]))
            st = NTK_ENOMEM;
    }
    ntk_arch a = *arch;
    a.depth = (int)hi;
    if (st == NTK_OK)
        st = ntk_kernel_eval_depths(&a, X, n, NULL, 0, d, ntk, nngp, kopt, err);
    /* Score in the order depth by depth, NTK before NNGP. */
    size_t nk = 0, cap = 2 * (hi - lo + 1);
    double **mats = malloc(cap * sizeof *mats);
    ntk_arch *archs = malloc(cap * sizeof *archs);
    ntk_kernel_kind *kinds = malloc(cap * sizeof *kinds);
    if (st == NTK_OK && (!mats || !archs || !kinds))
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
    for (size_t l = lo; l <= hi && st == NTK_OK; l++) {
        archs[nk] = *arch;
        archs[nk].depth = (int)l;
        kinds[nk] = NTK_KIND_NTK;
        mats[nk++] = ntk[l];
        if (with_nngp) {
            archs[nk] = archs[nk - 1];
            archs[nk].fixed_layers = 0;
            kinds[nk] = NTK_KIND_NNGP;
            mats[nk++] = nngp[l];
        }
    }
    if (st == NTK_OK) {
        *n_kernels += nk;
        st = score_kernels(c, mats, archs, kinds, nk, err);
    }
    free(mats);
    free(archs);
    free(kinds);
    for (size_t l = lo; l <= hi; l++) {
        free(ntk[l]);
        free(nngp[l]);
        ntk[l] = nngp[l] = NULL;
    }
    return st;
}

ntk_status ntk_select(const double *X, size_t n, size_t d, const double *y, ntk_task task,
                      size_t n_classes, const ntk_select_params *p, ntk_select_result *out,
                      ntk_error *err)
{
    memset(out, 0, sizeof *out);
    double t0 = omp_get_wtime();
    if (p->max_depth < 1 || p->n_acts == 0 || p->n_b_stds == 0 || p->n_regs == 0 ||
        p->n_taus == 0)
        return ntk_error_set(err, NTK_EINPUT, "the selection grid is empty");
    for (size_t i = 0; i < p->n_regs; i++)
        if (!(p->regs[i] >= 0))
            return ntk_error_set(err, NTK_EINPUT, "selection ridges must be >= 0");
    for (size_t i = 0; i < p->n_taus; i++)
        if (!(p->taus[i] > 0))
            return ntk_error_set(err, NTK_EINPUT, "selection times must be > 0");
    if (n < 2)
        return ntk_error_set(err, NTK_EINPUT, "selection needs at least 2 training rows");
    ctx c = {0};
    c.p = p;
    c.task = task;
    c.k = task == NTK_TASK_CLASSIFICATION ? n_classes : 1;
    c.n = n;
    c.best = out;
    size_t L = (size_t)p->max_depth;
    double **ntk = calloc(L + 1, sizeof *ntk), **nngp = calloc(L + 1, sizeof *nngp);
    ntk_status st = NTK_OK;
    if (!ntk || !nngp) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    st = make_folds(&c, y, n_classes, err);
    if (st != NTK_OK)
        goto done;

    size_t n_fixed = p->sweep_fixed ? L : 1;
    size_t total = p->n_acts * p->n_b_stds * n_fixed, done_ = 0;
    ntk_kernel_options kopt = {p->threads, {NULL, NULL}};
    for (size_t ai = 0; ai < p->n_acts && st == NTK_OK; ai++) {
        for (size_t bi = 0; bi < p->n_b_stds && st == NTK_OK; bi++) {
            for (size_t F = 0; F < n_fixed && st == NTK_OK; F++) {
                if (ntk_progress_report(&p->progress, "select: kernels", done_, total)) {
                    st = ntk_error_set(err, NTK_EFAILED, "interrupted");
                    break;
                }
                ntk_arch arch;
                ntk_arch_init(&arch);
                arch.act = p->acts[ai];
                arch.w_std = p->w_std;
                arch.b_std = p->b_stds[bi];
                arch.fixed_layers = (int)F;
                /* Depths F+1..L of one recursion; NNGP (independent of F) with F = 0.
                 * All depths at once when they fit in half the free memory, else
                 * one depth per recursion. */
                int with_nngp = F == 0 && p->try_nngp;
                size_t mats = (L - F) * (size_t)(1 + with_nngp);
                size_t avail = ntk_memory_available();
                int at_once = !avail || (double)mats * (double)n * (double)n * 8.0 < 0.5 * (double)avail;
                for (size_t lo = F + 1; lo <= L && st == NTK_OK; lo = at_once ? L + 1 : lo + 1) {
                    size_t hi = at_once ? L : lo;
                    st = eval_and_score(&c, &arch, X, d, lo, hi, with_nngp, ntk, nngp, &kopt,
                                        &out->n_kernels, err);
                }
                done_++;
            }
        }
    }
    ntk_progress_report(&p->progress, "select: kernels", total, total);
    if (st == NTK_OK) {
        out->time = isinf(out->tau) ? INFINITY : out->tau / c.best_mean_diag;
        out->seconds = omp_get_wtime() - t0;
    }
done:
    for (size_t f = 0; c.folds && f < c.n_folds; f++)
        fold_free(&c.folds[f]);
    free(c.folds);
    free(ntk);
    free(nngp);
    return st;
}

/* Hyperparameter selection by validation (see ntk/select.h): candidates,
 * halving stages and ranking. The scores come from select_score.c. */
#include "ntk/select.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas_threads.h"
#include "ntk/rng.h"
#include "select_internal.h"

static const double default_b_stds[] = {0.0, 0.1, 0.5};
static const double default_regs[] = {0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0};
static const double default_taus[] = {1.0, 10.0, 100.0, 1e3, 1e4, INFINITY};
static const ntk_activation default_act = {.kind = NTK_ACT_RELU};
/* Arora et al.'s C_LIST (their code: 10^-2 … 10^4). */
static const double default_C[] = {1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e4};

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
    p->folds = 0;
    p->halving_rows = 128;
    p->halving_keep = 1.0 / 3.0;
    p->tie_break = NTK_TIE_MSE;
    p->loss = NTK_SELECT_SQUARE;
    p->C_grid = default_C;
    p->n_C = sizeof default_C / sizeof default_C[0];
    p->c_scale = NTK_C_RELATIVE;
    p->hinge_kernels = 3;
    p->hinge_folds = 3;
    p->hinge_rows = 1500;
    ntk_svm_params_init(&p->svm);
}

/* How a candidate is scored. FLOW prices the (ridge, time) grid of one kernel
 * matrix (select_score.c), HINGE its C grid (select_hinge.c). */
typedef enum { BACKEND_FLOW = 0, BACKEND_HINGE = 1 } backend;

/* One candidate kernel: parameters, back-end and the result of the last
 * stage it was scored in. */
typedef struct {
    ntk_arch arch;
    ntk_kernel_kind kind;
    backend be;
    size_t group;   /* kernels of one (activation, σ_b, fixed layers) recursion */
    int alive;
    size_t rows;    /* training rows of the last score (0: never scored) */
    double score, mse, reg_rel, tau, md;
    double C;       /* hinge: the chosen C grid value */
    int compare;    /* a square-loss copy re-scored on the losses' common folds */
    size_t vfolds;  /* folds of the score (0: leave-one-out, 1: hold-out) */
} cand;

typedef struct {
    const ntk_select_params *p;
    select_grid grid;
    size_t n, d;
    const double *X, *y;
    size_t n_classes;
    cand *cands;
    size_t n_cands;
    size_t work_done, work_total;
    size_t svm_fits;
    char stage[96];
} ctx;

/* a ranks before b (validation results only). */
static int better(const ctx *c, double sa, double ma, double sb, double mb)
{
    if (!isfinite(ma))
        return 0;
    if (!isfinite(mb))
        return 1;
    if (c->grid.task == NTK_TASK_CLASSIFICATION)
        return sa > sb || (sa == sb && c->p->tie_break == NTK_TIE_MSE && ma < mb * (1 - 1e-12));
    return ma < mb * (1 - 1e-12);
}

/* One kernel's tallies compete: most regularized first, earliest time first,
 * a later pair must be strictly better. */
static void pick_pair(const ctx *c, const select_tally *t, cand *cd, size_t rows, double md)
{
    const ntk_select_params *p = c->p;
    int have = 0;
    for (size_t ri = p->n_regs; ri-- > 0;)
        for (size_t ti = 0; ti < p->n_taus; ti++) {
            const select_tally *x = &t[ri * p->n_taus + ti];
            double mse = x->count ? x->sse / (double)x->count : NAN;
            double score = c->grid.task == NTK_TASK_CLASSIFICATION
                               ? (double)x->correct / (double)x->count
                               : sqrt(mse);
            if (have ? !better(c, score, mse, cd->score, cd->mse) : !isfinite(mse))
                continue;
            have = 1;
            cd->score = score;
            cd->mse = mse;
            cd->reg_rel = p->regs[ri];
            cd->tau = p->taus[ti];
        }
    if (!have) {
        cd->score = c->grid.task == NTK_TASK_CLASSIFICATION ? 0 : INFINITY;
        cd->mse = INFINITY;
        cd->reg_rel = p->regs[0];
        cd->tau = p->taus[0];
    }
    cd->rows = rows;
    cd->md = md;
}

static ntk_status build_cands(ctx *c, ntk_error *err)
{
    const ntk_select_params *p = c->p;
    size_t L = (size_t)p->max_depth, n_fixed = p->sweep_fixed ? L : 1;
    /* Room for a hinge copy and a re-scored square-loss copy of every kernel. */
    size_t cap = 3 * p->n_acts * p->n_b_stds * n_fixed * 2 * L, g = 0;
    c->cands = calloc(cap, sizeof *c->cands);
    if (!c->cands)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    /* Order of simplicity for ties: activation, σ_b, fixed layers, depth,
     * NTK before NNGP (NNGP does not depend on fixed layers: F = 0 only). */
    for (size_t ai = 0; ai < p->n_acts; ai++)
        for (size_t bi = 0; bi < p->n_b_stds; bi++)
            for (size_t F = 0; F < n_fixed; F++, g++)
                for (size_t l = F + 1; l <= L; l++)
                    for (int kind = 0; kind < 1 + (F == 0 && p->try_nngp); kind++) {
                        cand *cd = &c->cands[c->n_cands++];
                        ntk_arch_init(&cd->arch);
                        cd->arch.act = p->acts[ai];
                        cd->arch.w_std = p->w_std;
                        cd->arch.b_std = p->b_stds[bi];
                        cd->arch.depth = (int)l;
                        cd->arch.fixed_layers = kind ? 0 : (int)F;
                        cd->kind = kind ? NTK_KIND_NNGP : NTK_KIND_NTK;
                        cd->be = BACKEND_FLOW;
                        cd->group = g;
                        cd->alive = 1;
                    }
    return NTK_OK;
}

/* The rows of one stage: N rows of Xs, the first m for training. K-fold and
 * split stages carry their partitions; a leave-one-out stage has targets. */
typedef struct {
    size_t N, m;
    double *Xs;
    select_fold *folds;
    size_t n_folds;
    double *Y, *truth; /* leave-one-out: m×k and m */
    size_t *labels;    /* classification: the class of each of the N rows */
} stage;

static void stage_free(stage *s)
{
    for (size_t f = 0; s->folds && f < s->n_folds; f++) {
        free(s->folds[f].tr);
        free(s->folds[f].va);
        free(s->folds[f].Y);
        free(s->folds[f].truth);
    }
    free(s->folds);
    free(s->Xs);
    free(s->Y);
    free(s->truth);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

/* Partitions from assign[i] (row i of the stage is validation in fold
 * assign[i]; SIZE_MAX: training in every fold). ys: targets of the stage rows. */
static ntk_status stage_folds(ctx *c, stage *s, const size_t *assign, size_t n_folds,
                              const double *ys, ntk_error *err)
{
    s->n_folds = n_folds;
    s->folds = calloc(n_folds, sizeof *s->folds);
    if (!s->folds)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    for (size_t f = 0; f < n_folds; f++) {
        select_fold *fd = &s->folds[f];
        for (size_t i = 0; i < s->N; i++)
            if (assign[i] == f)
                fd->n_va++;
            else
                fd->n_tr++;
        if (fd->n_tr == 0 || fd->n_va == 0)
            return ntk_error_set(err, NTK_EINPUT, "validation fold %zu is empty", f + 1);
        fd->tr = malloc(fd->n_tr * sizeof *fd->tr);
        fd->va = malloc(fd->n_va * sizeof *fd->va);
        fd->Y = malloc(fd->n_tr * c->grid.k * sizeof *fd->Y);
        fd->truth = malloc(fd->n_va * sizeof *fd->truth);
        if (!fd->tr || !fd->va || !fd->Y || !fd->truth)
            return ntk_error_set(err, NTK_ENOMEM, "out of memory");
        size_t a = 0, b = 0;
        for (size_t i = 0; i < s->N; i++) {
            if (assign[i] == f)
                fd->va[b++] = i;
            else
                fd->tr[a++] = i;
        }
        select_targets(&c->grid, ys, fd->tr, fd->n_tr, fd->Y, fd->va, fd->n_va, fd->truth);
    }
    return NTK_OK;
}

/* Build stage rows: train[0..m) then the validation rows val[0..nv);
 * n_folds ≥ 2: stratified K-fold partitions, 0: leave-one-out targets (both
 * unused with a split). */
static ntk_status stage_make(ctx *c, stage *s, const size_t *train, size_t m, const size_t *val,
                             size_t nv, size_t n_folds, ntk_error *err)
{
    const ntk_select_params *p = c->p;
    size_t d = c->d;
    memset(s, 0, sizeof *s);
    s->N = m + nv;
    s->m = m;
    size_t *rows = malloc(s->N * sizeof *rows), *assign = malloc(s->N * sizeof *assign);
    double *ys = malloc(s->N * sizeof *ys);
    s->Xs = malloc(s->N * d * sizeof *s->Xs);
    int cls = c->grid.task == NTK_TASK_CLASSIFICATION;
    s->labels = cls ? malloc(s->N * sizeof *s->labels) : NULL;
    ntk_status st = NTK_OK;
    if (!rows || !assign || !ys || !s->Xs || (cls && !s->labels)) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < s->N; i++) {
        rows[i] = i < m ? train[i] : val[i - m];
        memcpy(s->Xs + i * d, c->X + rows[i] * d, d * sizeof *s->Xs);
        ys[i] = c->y[rows[i]];
        if (cls)
            s->labels[i] = (size_t)ys[i];
        assign[i] = i < m ? SIZE_MAX : 0;
    }
    if (p->split) {
        st = stage_folds(c, s, assign, 1, ys, err);
    } else if (n_folds >= 2) {
        st = ntk_kfold_assign(s->N, c->grid.task == NTK_TASK_CLASSIFICATION ? ys : NULL,
                              c->n_classes, n_folds, p->seed, assign, err);
        if (st == NTK_OK)
            st = stage_folds(c, s, assign, n_folds, ys, err);
    } else {
        size_t k = c->grid.k;
        s->Y = malloc(m * k * sizeof *s->Y);
        s->truth = malloc(m * sizeof *s->truth);
        if (!s->Y || !s->truth) {
            st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < m; i++)
            rows[i] = i;
        select_targets(&c->grid, ys, rows, m, s->Y, rows, m, s->truth);
    }
done:
    free(rows);
    free(assign);
    free(ys);
    return st;
}

/* Work units of one decomposition of m rows (progress only). */
static size_t work_of(size_t m)
{
    double x = (double)m / 64.0;
    return 1 + (size_t)(x * x * x);
}

/* Mean diagonal (1 if not positive) over the rows of the final fit: all
 * rows of the stage, or a split's training rows (M has row stride ld). */
static double stage_mean_diag(const ctx *c, const stage *s, const double *M, size_t ld)
{
    size_t nd = c->p->split ? s->m : s->N;
    double md = 0;
    for (size_t r = 0; r < nd; r++)
        md += M[r * ld + r];
    md /= (double)nd;
    return md > 0 ? md : 1;
}

/* A hinge candidate: its C grid on the stage's partitions, the first best C
 * (the smallest: most regularized) kept. */
static ntk_status score_hinge(ctx *c, const stage *s, cand *cd, const double *M, size_t ld,
                              ntk_error *err)
{
    const ntk_select_params *p = c->p;
    size_t n_C = p->n_C, count = 0;
    double *C = malloc(n_C * sizeof *C);
    size_t *correct = malloc(n_C * sizeof *correct);
    if (!C || !correct) {
        free(C);
        free(correct);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    double md = stage_mean_diag(c, s, M, ld);
    for (size_t i = 0; i < n_C; i++)
        C[i] = ntk_select_hinge_C(p->c_scale, p->C_grid[i], md, c->d, cd->arch.depth);
    ntk_svm_params sp = p->svm;
    sp.threads = p->threads;
    ntk_status st = select_score_hinge(M, ld, s->folds, s->n_folds, s->labels, c->grid.k, C,
                                       n_C, &sp, correct, &count, err);
    if (st == NTK_OK) {
        size_t b = 0;
        for (size_t i = 1; i < n_C; i++)
            if (correct[i] > correct[b])
                b = i;
        cd->score = count ? (double)correct[b] / (double)count : 0;
        cd->mse = NAN;
        cd->reg_rel = NAN;
        cd->tau = INFINITY;
        cd->C = p->C_grid[b];
        cd->rows = s->m;
        cd->md = md;
        c->svm_fits += n_C * s->n_folds;
    }
    free(C);
    free(correct);
    return st;
}

/* Score the alive candidates in cs[0..nb) (one recursion group) on stage s. */
static ntk_status score_batch(ctx *c, const stage *s, cand **cs, size_t nb, ntk_error *err)
{
    const ntk_select_params *p = c->p;
    size_t N = s->N, L = 0, nc = p->n_regs * p->n_taus;
    size_t nf = s->folds ? s->n_folds : 1, njobs = nb * nf;
    /* A hold-out split trains on the first m rows only: the kernel of every
     * row against those (N×m) is all it reads — at 256 training rows against
     * thousands of validation rows, a tenth of the square. */
    size_t ncol = p->split ? s->m : N;
    for (size_t i = 0; i < nb; i++)
        if ((size_t)cs[i]->arch.depth > L)
            L = (size_t)cs[i]->arch.depth;
    double **ntk = calloc(L + 1, sizeof *ntk), **nngp = calloc(L + 1, sizeof *nngp);
    double **mats = calloc(nb, sizeof *mats);
    select_tally *t = calloc(njobs * nc, sizeof *t);
    ntk_status st = NTK_OK;
    if (!ntk || !nngp || !mats || !t) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nb && st == NTK_OK; i++) {
        double **slot = cs[i]->kind == NTK_KIND_NTK ? &ntk[cs[i]->arch.depth]
                                                    : &nngp[cs[i]->arch.depth];
        if (!*slot && !(*slot = ntk_alloc_checked(N * ncol * sizeof(double),
                                                  "selection kernel", err)))
            st = NTK_ENOMEM;
        mats[i] = *slot;
    }
    ntk_arch a = cs[0]->arch;
    a.depth = (int)L;
    a.fixed_layers = 0;
    for (size_t i = 0; i < nb; i++)
        if (cs[i]->kind == NTK_KIND_NTK)
            a.fixed_layers = cs[i]->arch.fixed_layers;
    ntk_kernel_options kopt = {p->threads, {NULL, NULL}};
    if (st == NTK_OK)
        st = ntk_kernel_eval_depths(&a, s->Xs, N, p->split ? s->Xs : NULL,
                                    p->split ? ncol : 0, c->d, ntk, nngp, &kopt, err);
    if (st != NTK_OK)
        goto done;
    /* Independent decompositions side by side, one per thread with
     * single-threaded BLAS: the tridiagonal reduction is memory-bound and
     * scales poorly across threads. Results do not depend on the order. */
    int threads = p->threads > 0 ? p->threads : omp_get_max_threads();
    int par = njobs > 1 && threads > 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (par)
    for (size_t job = 0; job < njobs; job++) {
        ntk_status js;
#pragma omp atomic read
        js = st;
        if (js != NTK_OK || cs[job / nf]->be != BACKEND_FLOW)
            continue;
        ntk_error local = {0};
        const double *M = mats[job / nf];
        if (s->folds)
            js = select_score_fold(&c->grid, M, ncol, &s->folds[job % nf], t + job * nc,
                                   &local);
        else
            js = select_score_loo(&c->grid, M, N, s->Y, s->truth, t + job * nc, &local);
        if (js != NTK_OK) {
#pragma omp critical(select_error)
            if (st == NTK_OK) {
                st = js;
                if (err)
                    *err = local;
            }
        }
    }
    /* The SVMs run their C grid in parallel themselves. */
    for (size_t i = 0; i < nb && st == NTK_OK; i++)
        if (cs[i]->be == BACKEND_HINGE)
            st = score_hinge(c, s, cs[i], mats[i], ncol, err);
    for (size_t i = 0; i < nb && st == NTK_OK; i++) {
        if (cs[i]->be != BACKEND_FLOW)
            continue;
        select_tally *sum = t + i * nf * nc;
        for (size_t f = 1; f < nf; f++)
            for (size_t j = 0; j < nc; j++) {
                const select_tally *x = t + (i * nf + f) * nc + j;
                sum[j].correct += x->correct;
                sum[j].count += x->count;
                sum[j].sse += x->sse;
            }
        pick_pair(c, sum, cs[i], s->m, stage_mean_diag(c, s, mats[i], ncol));
    }
    for (size_t i = 0; i < nb; i++)
        cs[i]->vfolds = s->folds ? s->n_folds : 0;
done:
    for (size_t l = 0; ntk && l <= L; l++) {
        free(ntk[l]);
        free(nngp[l]);
    }
    free(ntk);
    free(nngp);
    free(mats);
    free(t);
    return st;
}

/* Score every alive candidate on stage s, a recursion group at a time (one
 * kernel at a time when the group's matrices would not fit in half the free
 * memory). */
static ntk_status score_stage(ctx *c, const stage *s, size_t *n_kernels, ntk_error *err)
{
    size_t nf = s->folds ? s->n_folds : 1;
    size_t fold_rows = s->folds ? s->folds[0].n_tr : s->m;
    cand **cs = malloc(c->n_cands * sizeof *cs);
    if (!cs)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    ntk_status st = NTK_OK;
    size_t alive = 0;
    for (size_t i = 0; i < c->n_cands; i++)
        alive += c->cands[i].alive;
    snprintf(c->stage, sizeof c->stage, "select: %zu kernels on %zu rows", alive, s->m);
    for (size_t i = 0; i < c->n_cands && st == NTK_OK;) {
        size_t g = c->cands[i].group, nb = 0, j = i;
        for (; j < c->n_cands && c->cands[j].group == g; j++)
            if (c->cands[j].alive)
                cs[nb++] = &c->cands[j];
        i = j;
        if (nb == 0)
            continue;
        size_t avail = ntk_memory_available();
        int at_once = !avail ||
                      (double)nb * (double)s->N * (double)(c->p->split ? s->m : s->N) * 8.0 <
                          0.5 * (double)avail;
        for (size_t b = 0; b < nb && st == NTK_OK; b += at_once ? nb : 1) {
            if (ntk_progress_report(&c->p->progress, c->stage, c->work_done, c->work_total)) {
                st = ntk_error_set(err, NTK_EFAILED, "interrupted");
                break;
            }
            size_t cnt = at_once ? nb : 1;
            st = score_batch(c, s, cs + b, cnt, err);
            *n_kernels += cnt;
            c->work_done += cnt * nf * work_of(fold_rows);
        }
    }
    free(cs);
    return st;
}

/* Rank: rows reached, then the score. by_mse: halving eliminations rank by
 * the validation MSE alone — on small subsamples accuracy moves in steps of
 * one row and ranks noisily, the squared error of the outputs does not. */
static int cand_cmp(const ctx *c, const cand *a, const cand *b, int by_mse)
{
    if (a->rows != b->rows)
        return a->rows > b->rows ? -1 : 1;
    if (a->be == BACKEND_HINGE || b->be == BACKEND_HINGE) {
        /* Accuracy alone; equal: the square loss, then the simpler. */
        if (a->score != b->score)
            return a->score > b->score ? -1 : 1;
        if (a->be != b->be)
            return a->be == BACKEND_FLOW ? -1 : 1;
    } else if (by_mse) {
        if (a->mse != b->mse && (isfinite(a->mse) || isfinite(b->mse)))
            return !isfinite(b->mse) || a->mse < b->mse ? -1 : 1;
    } else if (better(c, a->score, a->mse, b->score, b->mse))
        return -1;
    else if (better(c, b->score, b->mse, a->score, a->mse))
        return 1;
    return a < b ? -1 : (a > b); /* enumeration order: simpler first */
}

/* Sort an index array of candidates by rank (insertion sort: a few hundred). */
static void rank(const ctx *c, size_t *idx, size_t n, int by_mse)
{
    for (size_t i = 1; i < n; i++) {
        size_t v = idx[i], j = i;
        while (j > 0 && cand_cmp(c, &c->cands[v], &c->cands[idx[j - 1]], by_mse) < 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
}

/* Kernels kept after a stage with `alive` kernels. */
static size_t survivors(const ntk_select_params *p, size_t alive)
{
    size_t keep = (size_t)ceil(p->halving_keep * (double)alive);
    if (keep < 2)
        keep = 2;
    return keep < alive ? keep : alive;
}

/* The stage on all rows costs the most: from FINAL_CAP_ROWS rows on, it
 * scores at most FINAL_CAP kernels (plus the best of the other kind). At
 * 1000 rows this was 8 decompositions of the whole set, half the time of a
 * default fit. */
#define FINAL_CAP_ROWS 768
#define FINAL_CAP 3

static size_t final_cap(size_t next_m, size_t nt, size_t keep)
{
    return next_m >= nt && nt >= FINAL_CAP_ROWS && keep > FINAL_CAP ? FINAL_CAP : keep;
}

/* Keep the first `keep` of the ranked idx[0..alive), and the best of each
 * kernel kind if none of that kind is among them: NNGP and NTK kernels rank
 * differently on small subsamples (on letter at 256–512 rows every NNGP fell
 * behind NTKs that lose to it by leave-one-out on all rows). */
static void keep_survivors(ctx *c, const size_t *idx, size_t alive, size_t keep)
{
    int kept[2] = {0, 0};
    for (size_t i = 0; i < keep; i++)
        kept[c->cands[idx[i]].kind == NTK_KIND_NNGP] = 1;
    for (size_t i = keep; i < alive; i++) {
        cand *x = &c->cands[idx[i]];
        int k = x->kind == NTK_KIND_NNGP;
        if (kept[k])
            x->alive = 0;
        kept[k] = 1;
    }
}

/* Rows of the stage after one with m of n_train rows. */
static size_t next_rows(size_t m, size_t n_train)
{
    size_t next = 2 * m;
    return (double)next * 1.5 > (double)n_train ? n_train : next;
}

typedef struct {
    double key;
    size_t row;
} keyed_row;

static int keyed_cmp(const void *a, const void *b)
{
    const keyed_row *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->row < y->row ? -1 : (x->row > y->row);
}

/* The training rows in a seeded order whose every prefix is stratified by
 * class: row r of class c gets key (rank of r within c + u)/count(c). */
static ntk_status order_rows(ctx *c, size_t *rows, size_t nt, ntk_error *err)
{
    ntk_rng r;
    ntk_rng_seed(&r, c->p->seed ^ 0x5e1ec7ULL);
    ntk_rng_shuffle(&r, rows, nt);
    if (c->grid.task != NTK_TASK_CLASSIFICATION)
        return NTK_OK;
    size_t k = c->grid.k;
    size_t *count = calloc(k, sizeof *count), *seen = calloc(k, sizeof *seen);
    keyed_row *kr = malloc(nt * sizeof *kr);
    ntk_status st = NTK_OK;
    if (!count || !seen || !kr) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nt; i++)
        count[(size_t)c->y[rows[i]]]++;
    for (size_t i = 0; i < nt; i++) {
        size_t cl = (size_t)c->y[rows[i]];
        kr[i].key = ((double)seen[cl]++ + ntk_rng_uniform(&r)) / (double)count[cl];
        kr[i].row = rows[i];
    }
    qsort(kr, nt, sizeof *kr, keyed_cmp);
    for (size_t i = 0; i < nt; i++)
        rows[i] = kr[i].row;
done:
    free(count);
    free(seen);
    free(kr);
    return st;
}

static ntk_select_entry entry_of(const cand *x)
{
    int h = x->be == BACKEND_HINGE;
    return (ntk_select_entry){x->arch, x->kind, x->reg_rel, x->tau, x->score, x->mse, x->rows,
                              h, h ? x->C : NAN, x->vfolds};
}

/* The scored candidates of one back-end (re-scored copies or not), best first. */
static size_t ranked(const ctx *c, backend be, int compare, size_t *idx)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_cands; i++)
        if (c->cands[i].be == be && c->cands[i].compare == compare && c->cands[i].rows > 0)
            idx[n++] = i;
    rank(c, idx, n, 0);
    return n;
}

/* The winner and the ranking. With both losses, the loss is decided on the
 * common rows (the re-scored square-loss copies under leave-one-out, else
 * the search's own last stage; equal accuracy: square); the chosen loss's
 * candidates lead the ranking, the other's best three follow. */
static ntk_status fill_result(ctx *c, ntk_select_result *out, ntk_error *err)
{
    size_t *F = malloc(3 * c->n_cands * sizeof *F + 1), *H = F + c->n_cands,
           *R = H + c->n_cands;
    if (!F)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    size_t nF = ranked(c, BACKEND_FLOW, 0, F), nH = ranked(c, BACKEND_HINGE, 0, H);
    size_t nR = ranked(c, BACKEND_FLOW, 1, R);
    double sq = nR ? c->cands[R[0]].score : nF ? c->cands[F[0]].score : -INFINITY;
    int hinge = nH && (!nF || c->cands[H[0]].score > sq);
    out->loss_score[0] = out->loss_score[1] = NAN;
    if (nH && nF) {
        out->loss_score[0] = sq;
        out->loss_score[1] = c->cands[H[0]].score;
    }
    const size_t *first = hinge ? H : F, *second = hinge ? F : H;
    size_t n1 = hinge ? nH : nF, n2 = hinge ? nF : nH;
    size_t keep2 = n2 < 3 ? n2 : 3, take1 = n1 < NTK_SELECT_TOP - keep2 ? n1 : NTK_SELECT_TOP - keep2;
    for (size_t i = 0; i < take1; i++)
        out->top[out->n_top++] = entry_of(&c->cands[first[i]]);
    for (size_t i = 0; i < n2 && out->n_top < NTK_SELECT_TOP; i++)
        out->top[out->n_top++] = entry_of(&c->cands[second[i]]);
    for (size_t i = take1; i < n1 && out->n_top < NTK_SELECT_TOP; i++)
        out->top[out->n_top++] = entry_of(&c->cands[first[i]]);
    const cand *w = &c->cands[first[0]];
    out->arch = w->arch;
    out->kind = w->kind;
    out->score = w->score;
    out->mse = w->mse;
    out->hinge = hinge;
    if (hinge) {
        out->reg_rel = 0;
        out->tau = out->time = INFINITY;
        out->C_rel = w->C;
        out->C = ntk_select_hinge_C(c->p->c_scale, w->C, w->md, c->d, w->arch.depth);
    } else {
        out->reg_rel = w->reg_rel;
        out->tau = w->tau;
        out->time = isinf(w->tau) ? INFINITY : w->tau / w->md;
        out->C = out->C_rel = NAN;
    }
    free(F);
    return NTK_OK;
}

/* The losses' common stage: hinge copies of the chosen kernels (the best
 * `hinge_kernels` of the square-loss search, or all) and, under
 * leave-one-out, square-loss copies re-scored on the same folds. */
static ntk_status compare_losses(ctx *c, int flow_run, const size_t *train, size_t nt,
                                 const size_t *val, size_t nv, ntk_select_result *out,
                                 ntk_error *err)
{
    const ntk_select_params *p = c->p;
    size_t n0 = c->n_cands, nk = n0;
    size_t *idx = malloc(n0 * sizeof *idx);
    if (!idx)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    for (size_t i = 0; i < n0; i++)
        idx[i] = i;
    if (flow_run && p->loss == NTK_SELECT_AUTO && p->hinge_kernels > 0) {
        nk = ranked(c, BACKEND_FLOW, 0, idx);
        if (nk > p->hinge_kernels)
            nk = p->hinge_kernels;
        /* Back to enumeration order: a recursion group's kernels together. */
        for (size_t i = 1; i < nk; i++)
            for (size_t j = i; j > 0 && idx[j] < idx[j - 1]; j--) {
                size_t t = idx[j];
                idx[j] = idx[j - 1];
                idx[j - 1] = t;
            }
    }
    int loo = !p->split && p->folds < 2;
    for (size_t i = 0; i < n0; i++)
        c->cands[i].alive = 0;
    for (size_t i = 0; i < nk; i++) {
        cand *h = &c->cands[c->n_cands++];
        *h = c->cands[idx[i]];
        h->be = BACKEND_HINGE;
        h->alive = 1;
        h->rows = 0;
        if (loo && flow_run) {
            cand *f = &c->cands[c->n_cands++];
            *f = c->cands[idx[i]];
            f->compare = 1;
            f->alive = 1;
            f->rows = 0;
        }
    }
    free(idx);
    size_t m = loo && p->hinge_rows >= 3 && p->hinge_rows < nt ? p->hinge_rows : nt;
    size_t folds = loo ? p->hinge_folds : p->folds;
    if (!p->split && folds > m)
        return ntk_error_set(err, NTK_EINPUT, "cannot make %zu folds of %zu rows", folds, m);
    out->compare_rows = m;
    out->compare_folds = p->split ? 1 : folds;
    size_t copies = c->n_cands - n0, fr = p->split ? m : m - m / folds;
    c->work_total += copies * out->compare_folds * work_of(fr);
    stage s;
    ntk_status st = stage_make(c, &s, train, m, val, nv, folds, err);
    if (st == NTK_OK)
        st = score_stage(c, &s, &out->n_kernels, err);
    stage_free(&s);
    out->n_candidates += nk * p->n_C + (loo && flow_run ? nk * p->n_regs * p->n_taus : 0);
    out->n_stages++;
    return st;
}

static ntk_status check_params(const ntk_select_params *p, size_t n, ntk_error *err)
{
    if (p->max_depth < 1 || p->n_acts == 0 || p->n_b_stds == 0 || p->n_regs == 0 ||
        p->n_taus == 0)
        return ntk_error_set(err, NTK_EINPUT, "the selection grid is empty");
    for (size_t i = 0; i < p->n_regs; i++)
        if (!(p->regs[i] >= 0))
            return ntk_error_set(err, NTK_EINPUT, "selection ridges must be >= 0");
    for (size_t i = 0; i < p->n_taus; i++)
        if (!(p->taus[i] > 0))
            return ntk_error_set(err, NTK_EINPUT, "selection times must be > 0");
    if (!(p->halving_keep > 0 && p->halving_keep <= 1))
        return ntk_error_set(err, NTK_EINPUT, "halving_keep must be in (0, 1]");
    if (n < 3)
        return ntk_error_set(err, NTK_EINPUT, "selection needs at least 3 training rows");
    if (!p->split && p->folds == 1)
        return ntk_error_set(err, NTK_EINPUT, "cannot make 1 fold: use 0 (leave-one-out) or "
                             ">= 2");
    if (!p->split && p->folds > n)
        return ntk_error_set(err, NTK_EINPUT, "cannot make %zu folds of %zu rows", p->folds, n);
    if (p->loss == NTK_SELECT_SQUARE)
        return NTK_OK;
    if (p->loss != NTK_SELECT_HINGE && p->loss != NTK_SELECT_AUTO)
        return ntk_error_set(err, NTK_EINPUT, "unknown selection loss %d", (int)p->loss);
    if (p->n_C == 0 || !p->C_grid)
        return ntk_error_set(err, NTK_EINPUT, "the C grid is empty");
    for (size_t i = 0; i < p->n_C; i++)
        if (!(p->C_grid[i] > 0) || !isfinite(p->C_grid[i]))
            return ntk_error_set(err, NTK_EINPUT, "C grid values must be finite numbers > 0");
    if (p->c_scale != NTK_C_RELATIVE && p->c_scale != NTK_C_ABSOLUTE &&
        p->c_scale != NTK_C_PUBLISHED)
        return ntk_error_set(err, NTK_EINPUT, "unknown C scale %d", (int)p->c_scale);
    if (!p->split && p->folds < 2 && p->hinge_folds < 2)
        return ntk_error_set(err, NTK_EINPUT, "hinge_folds must be >= 2");
    return NTK_OK;
}

ntk_status ntk_select(const double *X, size_t n, size_t d, const double *y, ntk_task task,
                      size_t n_classes, const ntk_select_params *p, ntk_select_result *out,
                      ntk_error *err)
{
    memset(out, 0, sizeof *out);
    double t0 = omp_get_wtime();
    ntk_status st = check_params(p, n, err);
    if (st != NTK_OK)
        return st;
    int cls = task == NTK_TASK_CLASSIFICATION;
    if (p->loss == NTK_SELECT_HINGE && !cls)
        return ntk_error_set(err, NTK_EINPUT, "the hinge loss needs a classification target");
    int hinge_on = p->loss != NTK_SELECT_SQUARE && cls, flow_on = p->loss != NTK_SELECT_HINGE;
    if (hinge_on) {
        ntk_svm_params q = p->svm;
        q.C = 1;
        const char *msg = ntk_svm_params_check(&q, n_classes);
        if (msg)
            return ntk_error_set(err, NTK_EINPUT, "%s", msg);
    }
    ctx c = {0};
    c.p = p;
    c.grid = (select_grid){p->regs, p->n_regs, p->taus, p->n_taus, task,
                           task == NTK_TASK_CLASSIFICATION ? n_classes : 1};
    c.n = n;
    c.d = d;
    c.X = X;
    c.y = y;
    c.n_classes = n_classes;
    size_t *train = malloc(n * sizeof *train), *val = malloc(n * sizeof *val), nt = 0, nv = 0;
    stage s = {0};
    if (!train || !val) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (p->split && p->split[i])
            val[nv++] = i;
        else
            train[nt++] = i;
    }
    if (p->split && (nt < 2 || nv == 0)) {
        st = ntk_error_set(err, NTK_EINPUT, "the validation split needs training and "
                           "validation rows");
        goto done;
    }
    st = build_cands(&c, err);
    if (st == NTK_OK)
        st = order_rows(&c, train, nt, err);
    if (st != NTK_OK)
        goto done;
    /* A row cap scores on the first max_rows rows of the stratified order. */
    if (p->max_rows >= 3 && nt > p->max_rows)
        nt = p->max_rows;
    /* K-fold is the exact option: every kernel on all rows. */
    int halving = p->halving_rows > 0 && !(p->folds >= 2 && !p->split);
    size_t m = halving && p->halving_rows < nt ? p->halving_rows : nt;
    if (m < nt && (double)m * 1.5 > (double)nt)
        m = nt;
    /* The plan, for progress in work units. */
    size_t nf = p->split ? 1 : (p->folds >= 2 ? p->folds : 1);
    for (size_t mm = m, alive = c.n_cands; flow_on; mm = next_rows(mm, nt)) {
        size_t fr = p->folds >= 2 && !p->split ? mm - mm / p->folds : mm;
        c.work_total += alive * nf * work_of(fr);
        out->n_stages++;
        if (mm >= nt)
            break;
        alive = final_cap(next_rows(mm, nt), nt, survivors(p, alive));
    }
    size_t *idx = malloc(c.n_cands * sizeof *idx);
    if (!idx) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    /* Single-threaded BLAS for the whole search, set once (switching the
     * pool per batch cost seconds on small sets): the decompositions run one
     * per thread, and the scores do not depend on the thread count. */
    ntk_blas_threads_push(1); /* the caller's count comes back at the pop below */
    while (flow_on) {
        st = stage_make(&c, &s, train, m, val, nv, p->folds, err);
        if (st == NTK_OK)
            st = score_stage(&c, &s, &out->n_kernels, err);
        stage_free(&s);
        if (st != NTK_OK)
            break;
        size_t alive = 0;
        for (size_t i = 0; i < c.n_cands; i++)
            if (c.cands[i].alive)
                idx[alive++] = i;
        out->n_candidates += alive * p->n_regs * p->n_taus;
        if (m >= nt) {
            out->final_kernels = alive;
            break;
        }
        rank(&c, idx, alive, 1);
        m = next_rows(m, nt);
        keep_survivors(&c, idx, alive, final_cap(m, nt, survivors(p, alive)));
    }
    if (st == NTK_OK && hinge_on)
        st = compare_losses(&c, flow_on, train, nt, val, nv, out, err);
    ntk_blas_threads_pop();
    free(idx);
    if (st == NTK_OK) {
        ntk_progress_report(&p->progress, c.stage, c.work_total, c.work_total);
        st = fill_result(&c, out, err);
        out->svm_fits = c.svm_fits;
        out->seconds = omp_get_wtime() - t0;
    }
done:
    stage_free(&s);
    free(c.cands);
    free(train);
    free(val);
    return st;
}

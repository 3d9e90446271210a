/* Training and prediction of the NTK predictor (see ntk/model.h). */
#include "ntk/model.h"

#include <cblas.h>
#include <omp.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "model_svm.h"
#include "solver/solver_float.h"

/* Test-kernel rows computed per block: bounds prediction memory to
 * PREDICT_BLOCK_BYTES whatever the number of test rows. */
#define PREDICT_BLOCK_BYTES ((size_t)64 << 20)

void ntk_train_params_init(ntk_train_params *p)
{
    memset(p, 0, sizeof *p);
    ntk_arch_init(&p->arch);
    p->kind = NTK_KIND_NTK;
    p->loss = NTK_LOSS_SQUARE;
    ntk_svm_params_init(&p->svm);
    ntk_solve_params_init(&p->solve);
    p->target_scaling = 1;
    p->precision = NTK_PRECISION_DOUBLE;
    p->refine_max = NTK_REFINE_MAX_DEFAULT;
    p->solver = NTK_SOLVER_AUTO;
    ntk_nystrom_params_init(&p->nystrom);
}

const char *ntk_train_params_check(const ntk_train_params *p)
{
    const char *m = ntk_arch_check(&p->arch);
    if (m)
        return m;
    if (p->kind != NTK_KIND_NTK && p->kind != NTK_KIND_NNGP)
        return "unknown kernel kind";
    if (p->precision != NTK_PRECISION_DOUBLE && p->precision != NTK_PRECISION_FLOAT)
        return "unknown precision (double or float)";
    if (p->refine_max < 0 || p->refine_max > NTK_REFINE_MAX_LIMIT)
        return "the most refinement steps must be between 0 and 1000";
    if (p->solver != NTK_SOLVER_AUTO && p->solver != NTK_SOLVER_DENSE &&
        p->solver != NTK_SOLVER_NYSTROM)
        return "unknown solver (auto, dense or nystrom)";
    m = ntk_nystrom_params_check(&p->nystrom);
    if (m)
        return m;
    if (p->loss != NTK_LOSS_SQUARE && p->loss != NTK_LOSS_HINGE)
        return "unknown loss (square or hinge)";
    if (p->loss == NTK_LOSS_HINGE && p->solver == NTK_SOLVER_NYSTROM)
        return "--loss hinge needs the dense kernel (--solver dense or auto)";
    if (p->loss == NTK_LOSS_HINGE) {
        /* The class count is known at training time; weights are checked then. */
        ntk_svm_params q = p->svm;
        q.class_weight = NULL;
        return ntk_svm_params_check(&q, 2);
    }
    return ntk_solve_params_check(&p->solve);
}

void ntk_model_free(ntk_model *m)
{
    if (!m)
        return;
    ntk_encoder_free(m->encoder);
    free(m->times);
    free(m->X);
    free(m->coef);
    ntk_svm_model_free(m->svm);
    free(m->class_weight);
    free(m);
}

void ntk_scores_to_labels(const double *scores, size_t m, size_t k, size_t *labels)
{
    for (size_t i = 0; i < m; i++) {
        size_t best = 0;
        for (size_t c = 1; c < k; c++)
            if (scores[i * k + c] > scores[i * k + best])
                best = c;
        labels[i] = best;
    }
}

/* Targets as the solver sees them: standardized regression values or
 * centered one-hot rows. */
double *model_targets(const ntk_dataset *ds, ntk_model *m, int scaling, ntk_error *err)
{
    size_t n = ds->n, k = m->k;
    double *Y = malloc(n * k * sizeof *Y);
    if (!Y) {
        ntk_error_set(err, NTK_ENOMEM, "out of memory");
        return NULL;
    }
    if (m->task == NTK_TASK_CLASSIFICATION) {
        for (size_t i = 0; i < n; i++)
            for (size_t c = 0; c < k; c++)
                Y[i * k + c] = ((size_t)ds->y[i] == c ? 1.0 : 0.0) - 1.0 / (double)k;
        m->y_mean = 0.0;
        m->y_scale = 1.0;
        return Y;
    }
    double mean = 0.0, var = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += ds->y[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        var += (ds->y[i] - mean) * (ds->y[i] - mean);
    double sd = sqrt(var / (double)n);
    if (!isfinite(mean) || !isfinite(sd)) {
        /* Targets near the double range: the same moments on y / max|y|. */
        double u = 0.0, mu = 0.0, vu = 0.0;
        for (size_t i = 0; i < n; i++)
            u = fmax(u, fabs(ds->y[i]));
        for (size_t i = 0; i < n; i++)
            mu += ds->y[i] / u;
        mu /= (double)n;
        for (size_t i = 0; i < n; i++)
            vu += (ds->y[i] / u - mu) * (ds->y[i] / u - mu);
        mean = mu * u;
        sd = sqrt(vu / (double)n) * u;
    }
    m->y_mean = scaling ? mean : 0.0;
    m->y_scale = scaling && sd > 0.0 ? sd : 1.0;
    for (size_t i = 0; i < n; i++)
        Y[i] = (ds->y[i] - m->y_mean) / m->y_scale;
    return Y;
}

static void unscale(const ntk_model *m, double *scores, size_t count)
{
    if (m->task != NTK_TASK_REGRESSION)
        return;
    for (size_t i = 0; i < count; i++)
        scores[i] = scores[i] * m->y_scale + m->y_mean;
}

static ntk_status local_predict(const ntk_model *m, const double *X, size_t rows, double *scores,
                                int threads, const ntk_progress *progress, ntk_error *err);

/* The engine of this process: the n×n kernel in memory, then ntk_solve
 * (double), or the single-precision fit of solver_float.c. */
static ntk_status local_fit(const ntk_fit_problem *pb, ntk_solution **sol, double *seconds_kernel,
                           ntk_error *err)
{
    if (pb->precision == NTK_PRECISION_FLOAT)
        return solver_float_fit(pb, sol, seconds_kernel, err);
    char what[96];
    snprintf(what, sizeof what, "training kernel %zux%zu", pb->n, pb->n);
    double *theta = ntk_alloc_checked(pb->n * pb->n * sizeof *theta, what, err);
    if (!theta)
        return NTK_ENOMEM;
    ntk_kernel_options kopt = {pb->threads, pb->progress};
    double t0 = omp_get_wtime();
    ntk_status st =
        ntk_kernel_eval(pb->arch, pb->kind, pb->X, pb->n, NULL, 0, pb->d, theta, &kopt, err);
    *seconds_kernel = omp_get_wtime() - t0;
    if (st == NTK_OK)
        st = ntk_solve(theta, pb->n, pb->Y, pb->k, pb->solve, sol, err);
    free(theta);
    return st;
}

/* The Nyström path: the model keeps the centers as its "training inputs"
 * and the M×k coefficients β_t, so prediction and files are unchanged. */
static ntk_status train_nystrom(ntk_model *m, const double *Y, const ntk_solve_params *sp,
                                const ntk_train_params *p, double **train_scores, ntk_error *err)
{
    ntk_nystrom_fit_result *r = NULL;
    double t0 = omp_get_wtime();
    ntk_status st = p->engine && p->engine->nystrom_fit
                        ? p->engine->nystrom_fit(p->engine, &m->arch, m->kind, m->X, m->n, m->d,
                                                 Y, m->k, sp, &p->nystrom, p->threads, &r, err)
                        : ntk_nystrom_fit(&m->arch, m->kind, m->X, m->n, m->d, Y, m->k, sp,
                                          &p->nystrom, p->threads, &r, err);
    if (st != NTK_OK)
        return st;
    model_adopt_nystrom(m, r, t0, train_scores);
    return NTK_OK;
}

void model_adopt_nystrom(ntk_model *m, ntk_nystrom_fit_result *r, double t0, double **train_scores)
{
    m->nystrom = 1;
    free(m->X);
    m->X = r->centers;
    r->centers = NULL;
    m->n = r->M;
    m->coef = r->coef;
    r->coef = NULL;
    m->reg_abs = r->reg_abs;
    m->mean_diag = r->mean_diag;
    m->jitter = r->jitter;
    m->most_negative = r->most_negative;
    m->n_clamped = r->n_clamped;
    m->used_eigen = r->used_eigen;
    m->precision = NTK_PRECISION_DOUBLE;
    m->center_selection = r->selection;
    m->jitter_centers = r->jitter_centers;
    m->residual_rows = r->residual_rows;
    m->residual_mean = r->residual_mean;
    m->residual_rel = r->residual_rel;
    m->nystrom_streamed = r->streamed;
    m->seconds_centers = r->seconds_centers;
    m->seconds_kernel = r->seconds_kernel;
    m->seconds_solve = omp_get_wtime() - t0 - r->seconds_kernel - r->seconds_centers;
    if (train_scores) {
        *train_scores = r->train_pred;
        r->train_pred = NULL;
        unscale(m, *train_scores, m->n_times * m->n_train * m->k);
    }
    ntk_nystrom_fit_result_free(r);
}

ntk_model *model_new(ntk_encoder *enc, const ntk_train_params *p, ntk_error *err)
{
    ntk_model *m = calloc(1, sizeof *m);
    if (!m) {
        ntk_encoder_free(enc);
        ntk_error_set(err, NTK_ENOMEM, "out of memory");
        return NULL;
    }
    m->encoder = enc;
    m->arch = p->arch;
    m->kind = p->kind;
    m->loss = p->loss;
    return m;
}

ntk_status model_init_square(ntk_model *m, const ntk_train_params *p, size_t n, size_t d,
                             ntk_error *err)
{
    const ntk_encoder *enc = m->encoder;
    m->reg = p->solve.reg;
    m->reg_scale = p->solve.reg_scale;
    m->lr = p->solve.lr;
    m->time_scale = p->solve.time_scale;
    m->n_times = p->solve.n_times;
    m->task = enc->task;
    m->k = enc->task == NTK_TASK_CLASSIFICATION ? enc->n_classes : 1;
    m->n = n;
    m->d = d;
    m->times = malloc(m->n_times * sizeof *m->times);
    if (!m->times)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    memcpy(m->times, p->solve.times, m->n_times * sizeof *m->times);
    return NTK_OK;
}

ntk_status ntk_model_train(const ntk_dataset *train, ntk_encoder *enc,
                           const ntk_train_params *p, ntk_model **out, double **train_scores,
                           ntk_error *err)
{
    *out = NULL;
    if (train_scores)
        *train_scores = NULL;
    const char *msg = ntk_train_params_check(p);
    if (msg) {
        ntk_encoder_free(enc);
        return ntk_error_set(err, NTK_EINPUT, "%s", msg);
    }
    if (!train->y) {
        ntk_encoder_free(enc);
        return ntk_error_set(err, NTK_EINPUT, "the training data has no target column");
    }
    if (train->n == 0) {
        ntk_encoder_free(enc);
        return ntk_error_set(err, NTK_EINPUT, "no training rows");
    }
    if (p->engine && p->precision != NTK_PRECISION_DOUBLE) {
        ntk_encoder_free(enc);
        return ntk_error_set(err, NTK_EINPUT, "single precision (--precision float) is not "
                             "implemented by the %s engine; use --precision double",
                             p->engine->name ? p->engine->name : "selected");
    }
    ntk_model *m = model_new(enc, p, err);
    if (!m)
        return NTK_ENOMEM;
    if (p->loss == NTK_LOSS_HINGE) {
        ntk_status hs = model_svm_train(train, m, p, train_scores, err);
        if (hs != NTK_OK) {
            ntk_model_free(m);
            return hs;
        }
        *out = m;
        return NTK_OK;
    }
    ntk_status st = model_init_square(m, p, train->n, train->d, err);
    double *Y = NULL;
    ntk_solution *sol = NULL;
    if (st != NTK_OK)
        goto fail;
    if (!(m->X = malloc(m->n * m->d * sizeof *m->X + 1))) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto fail;
    }
    memcpy(m->X, train->X, m->n * m->d * sizeof *m->X);

    Y = model_targets(train, m, p->target_scaling, err);
    if (!Y) {
        st = err ? err->status : NTK_ENOMEM;
        goto fail;
    }
    ntk_solve_params sp = p->solve;
    sp.want_train_predictions = train_scores != NULL;
    sp.progress = p->progress;
    m->n_train = m->n;
    if (p->solver == NTK_SOLVER_NYSTROM ||
        (p->solver == NTK_SOLVER_AUTO && !p->engine &&
         ntk_nystrom_auto(m->n, sp.times, sp.n_times, p->precision == NTK_PRECISION_FLOAT))) {
        st = train_nystrom(m, Y, &sp, p, train_scores, err);
        if (st != NTK_OK)
            goto fail;
        free(Y);
        *out = m;
        return NTK_OK;
    }
    ntk_fit_problem pb = {&m->arch, m->kind, m->X, m->n, m->d, Y, m->k, &sp, p->threads,
                          p->progress, p->precision, p->refine_max};
    double t0 = omp_get_wtime();
    st = p->engine ? p->engine->fit(p->engine, &pb, &sol, &m->seconds_kernel, err)
                   : local_fit(&pb, &sol, &m->seconds_kernel, err);
    m->seconds_solve = omp_get_wtime() - t0 - m->seconds_kernel;
    if (st != NTK_OK)
        goto fail;
    m->coef = sol->coef;
    sol->coef = NULL;
    m->reg_abs = sol->reg_abs;
    m->jitter = sol->jitter;
    m->most_negative = sol->most_negative;
    m->n_clamped = sol->n_clamped;
    m->n_null = sol->n_null;
    m->mean_diag = sol->mean_diag;
    m->used_eigen = sol->used_eigen;
    m->used_chebyshev = sol->used_chebyshev;
    m->used_krylov = sol->used_krylov;
    m->krylov_estimate = sol->krylov_estimate;
    m->precision = sol->single_precision ? NTK_PRECISION_FLOAT : NTK_PRECISION_DOUBLE;
    m->refine_iters = sol->refine_iters;
    m->refine_residual0 = sol->refine_residual0;
    m->refine_residual = sol->refine_residual;
    m->refine_converged = sol->refine_converged;
    m->seconds_refine = sol->seconds_refine;
    if (train_scores) {
        *train_scores = sol->train_pred;
        sol->train_pred = NULL;
        unscale(m, *train_scores, m->n_times * m->n * m->k);
    }
    ntk_solution_free(sol);
    free(Y);
    *out = m;
    return NTK_OK;
fail:
    free(Y);
    ntk_solution_free(sol);
    ntk_model_free(m);
    return st;
}

ntk_status ntk_model_predict(const ntk_model *m, const double *X, size_t rows, double *scores,
                             int threads, const ntk_progress *progress, ntk_error *err)
{
    return ntk_model_predict_engine(NULL, m, X, rows, scores, threads, progress, err);
}

ntk_status ntk_model_predict_engine(const ntk_engine *engine, const ntk_model *m, const double *X,
                                    size_t rows, double *scores, int threads,
                                    const ntk_progress *progress, ntk_error *err)
{
    if (rows == 0)
        return NTK_OK;
    if (m->loss == NTK_LOSS_HINGE) {
        if (engine)
            return ntk_error_set(err, NTK_EINPUT, "the hinge loss is not implemented by the %s "
                                 "engine", engine->name ? engine->name : "selected");
        return model_svm_predict(m, X, rows, scores, NULL, threads, progress, err);
    }
    ntk_status st = engine ? engine->predict(engine, m, X, rows, scores, threads, progress, err)
                           : local_predict(m, X, rows, scores, threads, progress, err);
    if (st == NTK_OK)
        unscale(m, scores, m->n_times * rows * m->k);
    return st;
}

size_t model_block_rows(const ntk_model *m, size_t rows)
{
    size_t block = PREDICT_BLOCK_BYTES / (sizeof(double) * (m->n ? m->n : 1));
    if (block < 64)
        block = 64;
    return block > rows ? rows : block;
}

ntk_status model_test_blocks(const ntk_model *m, const double *X, size_t rows, int threads,
                             const ntk_progress *progress, model_block_fn fn, void *ctx,
                             ntk_error *err)
{
    size_t n = m->n, block = model_block_rows(m, rows);
    double *Kb = ntk_alloc_checked(block * n * sizeof *Kb, "test kernel block", err);
    if (!Kb)
        return NTK_ENOMEM;
    ntk_kernel_options kopt = {threads, {NULL, NULL}};
    ntk_status st = NTK_OK;
    for (size_t r0 = 0; r0 < rows; r0 += block) {
        size_t b = rows - r0 < block ? rows - r0 : block;
        if (ntk_progress_report(progress, "predict", r0, rows)) {
            st = ntk_error_set(err, NTK_EFAILED, "interrupted");
            break;
        }
        st = ntk_kernel_eval(&m->arch, m->kind, X + r0 * m->d, b, m->X, n, m->d, Kb, &kopt, err);
        if (st != NTK_OK)
            break;
        fn(ctx, Kb, r0, b);
    }
    ntk_progress_report(progress, "predict", rows, rows);
    free(Kb);
    return st;
}

typedef struct {
    const ntk_model *m;
    size_t rows;
    double *scores;
} square_block;

/* A block's scores at every time: Θ(block, X)·C_t. */
static void square_block_scores(void *ctx, const double *Kb, size_t r0, size_t b)
{
    const square_block *q = ctx;
    const ntk_model *m = q->m;
    size_t n = m->n, k = m->k;
    for (size_t t = 0; t < m->n_times; t++)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)b, (int)k, (int)n, 1.0, Kb,
                    (int)n, m->coef + t * n * k, (int)k, 0.0, q->scores + (t * q->rows + r0) * k,
                    (int)k);
}

static ntk_status local_predict(const ntk_model *m, const double *X, size_t rows, double *scores,
                                int threads, const ntk_progress *progress, ntk_error *err)
{
    square_block q = {m, rows, scores};
    return model_test_blocks(m, X, rows, threads, progress, square_block_scores, &q, err);
}

ntk_status ntk_model_decision_values(const ntk_model *m, const double *X, size_t rows,
                                     double *dec, int threads, const ntk_progress *progress,
                                     ntk_error *err)
{
    if (m->loss != NTK_LOSS_HINGE || !m->svm)
        return ntk_error_set(err, NTK_EINPUT, "decision values need a hinge-loss model "
                             "(--loss hinge)");
    if (rows == 0)
        return NTK_OK;
    return model_svm_predict(m, X, rows, NULL, dec, threads, progress, err);
}

/* Fit-and-evaluate (see ntk/evaluate.h). */
#include "ntk/evaluate.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

ntk_status ntk_model_metrics(const ntk_model *m, const double *y, const double *scores, size_t n,
                             size_t t, size_t *confusion, ntk_time_metrics *out, ntk_error *err)
{
    memset(out, 0, sizeof *out);
    const double *s = scores + t * n * m->k;
    if (m->task == NTK_TASK_REGRESSION) {
        ntk_metrics_regression(y, s, n, &out->reg);
        return NTK_OK;
    }
    size_t *lab = malloc((n ? n : 1) * sizeof *lab), *pred = malloc((n ? n : 1) * sizeof *pred);
    if (!lab || !pred) {
        free(lab);
        free(pred);
        out->cls.accuracy = NAN;
        return ntk_error_set(err, NTK_ENOMEM, "out of memory for %zu labels", n);
    }
    for (size_t i = 0; i < n; i++)
        lab[i] = (size_t)y[i];
    ntk_scores_to_labels(s, n, m->k, pred);
    ntk_metrics_classification(lab, pred, n, m->k, confusion, &out->cls);
    free(lab);
    free(pred);
    return NTK_OK;
}

double ntk_target_variance(const double *y, size_t n)
{
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++)
        mean += y[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        var += (y[i] - mean) * (y[i] - mean);
    var /= (double)n;
    return var > 0 ? var : 1.0;
}

void ntk_evaluate_options_init(ntk_evaluate_options *o)
{
    memset(o, 0, sizeof *o);
}

void ntk_evaluation_free(ntk_evaluation *ev)
{
    if (!ev)
        return;
    ntk_model_free(ev->model);
    free(ev->train_scores);
    free(ev->test_scores);
    free(ev->test_var);
    memset(ev, 0, sizeof *ev);
}

/* Test predictive variances with observation noise, noise and floor relative
 * to the training targets' variance. */
static ntk_status test_uncertainty(const ntk_dataset *train, const ntk_dataset *test,
                                   const ntk_evaluate_options *o, ntk_evaluation *ev,
                                   ntk_error *err)
{
    const ntk_model *m = ev->model;
    size_t cnt = m->n_times * test->n * m->k;
    ev->test_var = ntk_alloc_checked((cnt ? cnt : 1) * sizeof *ev->test_var, "test variances",
                                     err);
    if (!ev->test_var)
        return err ? err->status : NTK_ENOMEM;
    ntk_uncertainty_options uo = {0, o->threads, o->progress};
    ntk_status st = ntk_model_uncertainty(m, test->X, test->n, &uo, ev->test_var, &ev->ustats,
                                          err);
    if (st != NTK_OK)
        return st;
    double var = ntk_target_variance(train->y, train->n);
    /* 'reg': λ in the solver's units is λ·y_scale² in the target's. */
    ev->noise_var = o->noise_reg ? m->reg_abs * m->y_scale * m->y_scale : o->noise * var;
    ev->var_floor = NTK_VAR_FLOOR_FRACTION * var;
    for (size_t i = 0; i < cnt; i++)
        ev->test_var[i] += ev->noise_var;
    return NTK_OK;
}

ntk_status ntk_evaluate(const ntk_dataset *train, const ntk_encoder *enc, const ntk_dataset *test,
                        const ntk_train_params *p, const ntk_evaluate_options *o,
                        ntk_evaluation *out, ntk_error *err)
{
    ntk_evaluate_options defaults;
    if (!o) {
        ntk_evaluate_options_init(&defaults);
        o = &defaults;
    }
    memset(out, 0, sizeof *out);
    if (o->uncertainty && (!test || p->engine || enc->task != NTK_TASK_REGRESSION))
        return ntk_error_set(err, NTK_EINPUT, "uncertainty needs test data, a regression task "
                             "and the local engine");
    if (o->uncertainty && !(o->noise >= 0 && isfinite(o->noise)))
        return ntk_error_set(err, NTK_EINPUT, "noise must be a finite number >= 0");
    ntk_evaluation ev = {0};
    ntk_encoder *own = NULL;
    ntk_status st = ntk_encoder_copy(enc, &own, err);
    if (st == NTK_OK) /* ntk_model_train takes `own`, also on failure */
        st = ntk_model_train(train, own, p, &ev.model, &ev.train_scores, err);
    if (st == NTK_OK && test) {
        const ntk_model *m = ev.model;
        size_t cnt = m->n_times * test->n * m->k;
        ev.test_scores = ntk_alloc_checked((cnt ? cnt : 1) * sizeof *ev.test_scores,
                                           "test predictions", err);
        if (!ev.test_scores)
            st = err ? err->status : NTK_ENOMEM;
        double t0 = omp_get_wtime();
        if (st == NTK_OK)
            st = ntk_model_predict_engine(p->engine, m, test->X, test->n, ev.test_scores,
                                          o->threads, &o->progress, err);
        if (st == NTK_OK && o->uncertainty)
            st = test_uncertainty(train, test, o, &ev, err);
        ev.seconds_predict = omp_get_wtime() - t0;
    }
    if (st != NTK_OK) {
        ntk_evaluation_free(&ev);
        return st;
    }
    *out = ev;
    return NTK_OK;
}

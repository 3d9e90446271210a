/* Report writers (see cli_report.h). */
#include "cli_report.h"
#include "cli_svm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_format.h"
#include "cli_solver.h"
#include "cli_select.h"
#include "ntk/evaluate.h"
#include "ntk/metrics.h"

typedef ntk_time_metrics metrics;

/* Metrics at time t; an allocation failure shows as a NAN accuracy. */
static void compute(const ntk_model *m, const double *y, const double *scores, size_t n, size_t t,
                    metrics *out, size_t *confusion)
{
    ntk_model_metrics(m, y, scores, n, t, confusion, out, NULL);
}

static const char *act_name(const ntk_model *m, char *buf, size_t size)
{
    ntk_activation_format(&m->arch.act, buf, size);
    return buf;
}

/* 1 if the model was fitted in single precision with a t = ∞ to refine. */
static int float_refined(const ntk_model *m)
{
    if (m->precision != NTK_PRECISION_FLOAT)
        return 0;
    for (size_t t = 0; t < m->n_times; t++)
        if (isinf(m->times[t]))
            return 1;
    return 0;
}

void cli_report_model_json(FILE *f, const ntk_model *m, int target_scaling)
{
    char act[64];
    fprintf(f, "{\"kind\": \"%s\", \"depth\": %d, \"act\": ", m->kind == NTK_KIND_NTK ? "ntk" : "nngp",
            m->arch.depth);
    cli_json_str(f, act_name(m, act, sizeof act));
    fputs(", \"w_std\": ", f);
    cli_json_num(f, m->arch.w_std);
    fputs(", \"b_std\": ", f);
    cli_json_num(f, m->arch.b_std);
    fprintf(f, ", \"fixed_layers\": %d, \"reg\": ", m->arch.fixed_layers);
    cli_json_num(f, m->reg);
    fprintf(f, ", \"reg_scale\": \"%s\", \"reg_abs\": ",
            m->reg_scale == NTK_REG_RELATIVE ? "relative" : "absolute");
    cli_json_num(f, m->reg_abs);
    fputs(", \"lr\": ", f);
    cli_json_num(f, m->lr);
    fprintf(f, ", \"time_scale\": \"%s\", \"target_scaling\": %s, \"jitter\": ",
            m->time_scale == NTK_TIME_MEAN ? "mean" : "sum", target_scaling ? "true" : "false");
    cli_json_num(f, m->jitter);
    fprintf(f, ", \"precision\": \"%s\"",
            m->precision == NTK_PRECISION_FLOAT ? "float" : "double");
    if (float_refined(m)) {
        fprintf(f, ", \"refinement\": {\"steps\": %zu, \"residual_initial\": ", m->refine_iters);
        cli_json_num(f, m->refine_residual0);
        fputs(", \"residual\": ", f);
        cli_json_num(f, m->refine_residual);
        fprintf(f, ", \"converged\": %s, \"seconds\": ", m->refine_converged ? "true" : "false");
        cli_json_num(f, m->seconds_refine);
        fputs("}", f);
    }
    cli_solver_json(f, m);
    cli_svm_model_json(f, m); /* "loss" and the hinge loss's fields (#20) */
    fputs("}", f);
}

static void calibration_at(const cli_report *r, const cli_uncertainty *u, size_t t,
                           ntk_calibration *out)
{
    ntk_metrics_calibration(r->test_y, r->test_scores + t * r->n_test,
                            u->test_var + t * r->n_test, r->n_test, u->var_floor, out);
}

static void json_metrics(FILE *f, const ntk_model *m, const metrics *x, const ntk_calibration *cal)
{
    if (m->task == NTK_TASK_REGRESSION) {
        fputs("{\"rmse\": ", f);
        cli_json_num(f, x->reg.rmse);
        fputs(", \"mae\": ", f);
        cli_json_num(f, x->reg.mae);
        fputs(", \"r2\": ", f);
        cli_json_num(f, x->reg.r2);
        if (cal) {
            static const char *names[3] = {"coverage_50", "coverage_90", "coverage_95"};
            fputs(", \"nlpd\": ", f);
            cli_json_num(f, cal->nlpd);
            for (int c = 0; c < 3; c++) {
                fprintf(f, ", \"%s\": ", names[c]);
                cli_json_num(f, cal->coverage[c]);
            }
        }
        fputs("}", f);
    } else {
        fputs("{\"accuracy\": ", f);
        cli_json_num(f, x->cls.accuracy);
        fprintf(f, ", \"correct\": %zu}", x->cls.n_correct);
    }
}

static void write_json(FILE *f, const cli_report *r, const cli_uncertainty *u)
{
    const ntk_model *m = r->model;
    fprintf(f, "{\"task\": \"%s\", \"n_train\": %zu, \"n_test\": %zu, \"n_features\": %zu, ",
            m->task == NTK_TASK_REGRESSION ? "regression" : "classification", r->n_train,
            r->n_test, m->d);
    if (m->task == NTK_TASK_CLASSIFICATION) {
        fputs("\"classes\": [", f);
        for (size_t c = 0; c < m->k; c++) {
            if (c)
                fputs(", ", f);
            cli_json_str(f, m->encoder->class_labels[c]);
        }
        fputs("], ", f);
    }
    fputs("\"model\": ", f);
    cli_report_model_json(f, m, r->target_scaling);
    if (r->selection) {
        fputs(", ", f);
        cli_select_json(f, r->selection);
    }
    if (u) {
        fputs(", \"uncertainty\": {\"noise_var\": ", f);
        cli_json_num(f, u->noise_var);
        fputs(", \"var_floor\": ", f);
        cli_json_num(f, u->var_floor);
        fputs("}", f);
    }
    fputs(", \"results\": [", f);
    for (size_t t = 0; t < m->n_times; t++) {
        metrics tr, te;
        compute(m, r->train_y, r->train_scores, r->n_train, t, &tr, NULL);
        fputs(t ? ", {\"t\": " : "{\"t\": ", f);
        if (isinf(m->times[t]))
            fputs("\"inf\"", f);
        else
            cli_json_num(f, m->times[t]);
        fputs(", \"train\": ", f);
        json_metrics(f, m, &tr, NULL);
        if (r->test_scores) {
            compute(m, r->test_y, r->test_scores, r->n_test, t, &te, NULL);
            ntk_calibration cal;
            if (u)
                calibration_at(r, u, t, &cal);
            fputs(", \"test\": ", f);
            json_metrics(f, m, &te, u ? &cal : NULL);
        }
        fputs("}", f);
    }
    fputs("], \"seconds\": {\"load\": ", f);
    cli_json_num(f, r->seconds_load);
    fputs(", \"kernel\": ", f);
    cli_json_num(f, m->seconds_kernel);
    fputs(", \"solve\": ", f);
    cli_json_num(f, m->seconds_solve);
    fputs(", \"predict\": ", f);
    cli_json_num(f, r->seconds_predict);
    fputs(", \"total\": ", f);
    cli_json_num(f, r->seconds_total);
    fprintf(f, "}, \"threads\": %d", r->threads);
    if (cli_ctx.ranks > 0)
        fprintf(f, ", \"mpi\": {\"ranks\": %d, \"grid\": \"%dx%d\"}", cli_ctx.ranks,
                cli_ctx.grid[0], cli_ctx.grid[1]);
    fputs("}\n", f);
}

static void write_csv(FILE *f, const cli_report *r, const cli_uncertainty *u)
{
    const ntk_model *m = r->model;
    int reg = m->task == NTK_TASK_REGRESSION;
    if (!reg || !r->test_scores)
        u = NULL;
    fputs(reg ? "t,train_rmse,train_mae,train_r2,test_rmse,test_mae,test_r2"
              : "t,train_accuracy,test_accuracy", f);
    fputs(u ? ",test_nlpd,test_coverage_50,test_coverage_90,test_coverage_95\n" : "\n", f);
    for (size_t t = 0; t < m->n_times; t++) {
        metrics tr, te;
        memset(&te, 0, sizeof te);
        te.reg.rmse = te.reg.mae = te.reg.r2 = te.cls.accuracy = NAN;
        compute(m, r->train_y, r->train_scores, r->n_train, t, &tr, NULL);
        if (r->test_scores)
            compute(m, r->test_y, r->test_scores, r->n_test, t, &te, NULL);
        char b[7][40];
        cli_fmt_time(b[0], sizeof b[0], m->times[t]);
        if (reg) {
            cli_fmt_num(b[1], 40, tr.reg.rmse);
            cli_fmt_num(b[2], 40, tr.reg.mae);
            cli_fmt_num(b[3], 40, tr.reg.r2);
            cli_fmt_num(b[4], 40, te.reg.rmse);
            cli_fmt_num(b[5], 40, te.reg.mae);
            cli_fmt_num(b[6], 40, te.reg.r2);
            fprintf(f, "%s,%s,%s,%s,%s,%s,%s", b[0], b[1], b[2], b[3], b[4], b[5], b[6]);
            if (u) {
                ntk_calibration cal;
                calibration_at(r, u, t, &cal);
                cli_fmt_num(b[1], 40, cal.nlpd);
                cli_fmt_num(b[2], 40, cal.coverage[0]);
                cli_fmt_num(b[3], 40, cal.coverage[1]);
                cli_fmt_num(b[4], 40, cal.coverage[2]);
                fprintf(f, ",%s,%s,%s,%s", b[1], b[2], b[3], b[4]);
            }
            fputc('\n', f);
        } else {
            cli_fmt_num(b[1], 40, tr.cls.accuracy);
            cli_fmt_num(b[2], 40, te.cls.accuracy);
            fprintf(f, "%s,%s,%s\n", b[0], b[1], b[2]);
        }
    }
}

/* Per-class test counts: correct/total for each class and time, from the
 * confusion matrices conf (n_times blocks of k×k). */
static void write_class_counts(FILE *f, const ntk_model *m, const size_t *conf)
{
    fprintf(f, "\nper-class test counts (correct/total):\n%-20s", "class");
    for (size_t t = 0; t < m->n_times; t++) {
        char tb[40];
        cli_fmt_time(tb, sizeof tb, m->times[t]);
        fprintf(f, " %10s", tb);
    }
    fputc('\n', f);
    for (size_t c = 0; c < m->k; c++) {
        fprintf(f, "%-20.20s", m->encoder->class_labels[c]);
        for (size_t t = 0; t < m->n_times; t++) {
            const size_t *cm = conf + t * m->k * m->k;
            size_t total = 0;
            for (size_t j = 0; j < m->k; j++)
                total += cm[c * m->k + j];
            char cell[48];
            snprintf(cell, sizeof cell, "%zu/%zu", cm[c * m->k + c], total);
            fprintf(f, " %10s", cell);
        }
        fputc('\n', f);
    }
}

static void write_table(FILE *f, const cli_report *r, const cli_uncertainty *u)
{
    const ntk_model *m = r->model;
    int reg = m->task == NTK_TASK_REGRESSION;
    if (!reg || !r->test_scores)
        u = NULL;
    char act[64];
    fprintf(f, "%s: %zu training rows, %zu test rows, %zu features%s\n",
            reg ? "regression" : "classification", r->n_train, r->n_test, m->d,
            reg ? "" : "");
    char regtxt[96];
    if (m->reg_scale == NTK_REG_RELATIVE)
        snprintf(regtxt, sizeof regtxt, "reg %g x mean diag = %g", m->reg, m->reg_abs);
    else
        snprintf(regtxt, sizeof regtxt, "reg %g", m->reg_abs);
    fprintf(f, "model: %s, depth %d, %s, w_std %g, b_std %g, fixed layers %d, %s, lr %g, "
               "time scale %s%s\n",
            m->kind == NTK_KIND_NTK ? "NTK" : "NNGP", m->arch.depth, act_name(m, act, sizeof act),
            m->arch.w_std, m->arch.b_std, m->arch.fixed_layers, regtxt, m->lr,
            m->time_scale == NTK_TIME_MEAN ? "mean" : "sum",
            m->precision == NTK_PRECISION_FLOAT ? ", precision float" : "");
    cli_solver_text(f, m);
    if (m->loss == NTK_LOSS_HINGE && m->svm) /* #20: the C-SVM replaces the flow */
        fprintf(f, "loss: hinge (C-SVM, one-vs-one), C %g, eps %g: %zu support vectors, %zu SMO "
                   "steps; times, reg and lr do not apply\n",
                m->svm_C, m->svm_eps, m->svm->n_sv, m->svm->iterations);
    if (r->selection)
        cli_select_text(f, r->selection);
    fputc('\n', f);
    if (reg)
        fprintf(f, "%12s  %12s %12s %8s  %12s %12s %8s%s\n", "t", "train RMSE", "train MAE",
                "train R2", "test RMSE", "test MAE", "test R2",
                u ? "  test NLPD  cov50  cov90  cov95" : "");
    else
        fprintf(f, "%12s  %14s  %14s\n", "t", "train accuracy", "test accuracy");
    size_t *conf = NULL;
    if (!reg && r->test_scores)
        conf = calloc(m->k * m->k * m->n_times, sizeof *conf);
    for (size_t t = 0; t < m->n_times; t++) {
        metrics tr, te;
        compute(m, r->train_y, r->train_scores, r->n_train, t, &tr, NULL);
        char tb[40];
        cli_fmt_time(tb, sizeof tb, m->times[t]);
        if (reg) {
            fprintf(f, "%12s  %12.6g %12.6g %8.4f", tb, tr.reg.rmse, tr.reg.mae, tr.reg.r2);
            if (r->test_scores) {
                compute(m, r->test_y, r->test_scores, r->n_test, t, &te, NULL);
                fprintf(f, "  %12.6g %12.6g %8.4f", te.reg.rmse, te.reg.mae, te.reg.r2);
                if (u) {
                    ntk_calibration cal;
                    calibration_at(r, u, t, &cal);
                    fprintf(f, "  %9.4g  %5.3f  %5.3f  %5.3f", cal.nlpd, cal.coverage[0],
                            cal.coverage[1], cal.coverage[2]);
                }
            }
        } else {
            fprintf(f, "%12s  %13.2f%%", tb, 100 * tr.cls.accuracy);
            if (r->test_scores) {
                compute(m, r->test_y, r->test_scores, r->n_test, t, &te,
                        conf ? conf + t * m->k * m->k : NULL);
                fprintf(f, "  %13.2f%%", 100 * te.cls.accuracy);
            }
        }
        fputc('\n', f);
    }
    if (conf) {
        write_class_counts(f, m, conf);
        free(conf);
    }
    if (u)
        fprintf(f, "\nuncertainty: NLPD in nats per test row (variance floor %.3g), coverage of "
                   "central 50/90/95%% intervals;%s\n",
                u->var_floor,
                u->noise_var > 0 ? " observation noise included" : " no observation noise");
    char kry[96];
    snprintf(kry, sizeof kry, "shift-and-invert Krylov (estimated error %.1e)",
             m->krylov_estimate);
    const char *path = m->loss == NTK_LOSS_HINGE ? "SMO"
                       : m->nystrom ? (m->used_eigen ? "Nystrom, MxM eigendecomposition"
                                                     : "Nystrom, MxM Cholesky")
                       : m->used_eigen     ? "eigendecomposition"
                       : m->used_chebyshev ? "Chebyshev expansion"
                       : m->used_krylov    ? kry
                                           : "Cholesky";
    char how[192];
    if (float_refined(m))
        snprintf(how, sizeof how, "%s in float; t = inf refined in %zu steps, residual %.2g -> "
                 "%.2g, kernel passes %.3fs", path, m->refine_iters, m->refine_residual0,
                 m->refine_residual, m->seconds_refine);
    else
        snprintf(how, sizeof how, "%s%s", path,
                 m->precision == NTK_PRECISION_FLOAT ? " in float" : "");
    char par[96];
    if (cli_ctx.ranks > 0)
        snprintf(par, sizeof par, "%d MPI ranks (grid %dx%d) x %d threads", cli_ctx.ranks,
                 cli_ctx.grid[0], cli_ctx.grid[1], r->threads);
    else
        snprintf(par, sizeof par, "%d threads", r->threads);
    fprintf(f, "\ntime: load %.3fs, kernel %.3fs, solve %.3fs (%s), predict %.3fs, total %.3fs; "
               "%s\n",
            r->seconds_load, m->seconds_kernel, m->seconds_solve, how, r->seconds_predict,
            r->seconds_total, par);
}

void cli_report_write_u(FILE *f, const char *format, const cli_report *r,
                        const cli_uncertainty *u)
{
    if (r->model->task != NTK_TASK_REGRESSION || !r->test_scores || !r->test_y)
        u = NULL;
    if (strcmp(format, "json") == 0)
        write_json(f, r, u);
    else if (strcmp(format, "csv") == 0)
        write_csv(f, r, u);
    else
        write_table(f, r, u);
}

void cli_report_write(FILE *f, const char *format, const cli_report *r)
{
    cli_report_write_u(f, format, r, NULL);
}

void cli_predictions_write(FILE *f, const ntk_model *m, const double *scores, size_t rows)
{
    cli_predictions_write_u(f, m, scores, NULL, rows);
}

void cli_predictions_header(FILE *f, const ntk_model *m, int with_std)
{
    char tb[48];
    with_std = with_std && m->task == NTK_TASK_REGRESSION;
    for (size_t t = 0; t < m->n_times; t++) {
        cli_fmt_time(tb, sizeof tb, m->times[t]);
        fprintf(f, "%st=%s", t ? "," : "", tb);
        if (with_std)
            fprintf(f, ",std@t=%s", tb);
    }
    fputc('\n', f);
}

void cli_predictions_rows(FILE *f, const ntk_model *m, const double *scores, const double *var,
                          size_t rows)
{
    if (m->task != NTK_TASK_REGRESSION)
        var = NULL;
    for (size_t i = 0; i < rows; i++) {
        for (size_t t = 0; t < m->n_times; t++) {
            if (t)
                fputc(',', f);
            const double *s = scores + (t * rows + i) * m->k;
            if (m->task == NTK_TASK_REGRESSION) {
                fprintf(f, "%.17g", s[0]);
                if (var)
                    fprintf(f, ",%.17g", sqrt(var[t * rows + i]));
            } else {
                size_t lab;
                ntk_scores_to_labels(s, 1, m->k, &lab);
                cli_csv_field(f, m->encoder->class_labels[lab]);
            }
        }
        fputc('\n', f);
    }
}

void cli_predictions_write_u(FILE *f, const ntk_model *m, const double *scores,
                             const double *var, size_t rows)
{
    cli_predictions_header(f, m, var != NULL);
    cli_predictions_rows(f, m, scores, var, rows);
}

/* Report writers (see cli_report.h). */
#include "cli_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_format.h"
#include "cli_select.h"
#include "ntk/metrics.h"

typedef struct {
    ntk_regression_metrics reg;
    ntk_classification_metrics cls;
} metrics;

static void compute(const ntk_model *m, const double *y, const double *scores, size_t n, size_t t,
                    metrics *out, size_t *confusion)
{
    memset(out, 0, sizeof *out);
    const double *s = scores + t * n * m->k;
    if (m->task == NTK_TASK_REGRESSION) {
        ntk_metrics_regression(y, s, n, &out->reg);
        return;
    }
    size_t *lab = malloc((n ? n : 1) * sizeof *lab), *pred = malloc((n ? n : 1) * sizeof *pred);
    if (!lab || !pred) {
        free(lab);
        free(pred);
        out->cls.accuracy = NAN;
        return;
    }
    for (size_t i = 0; i < n; i++)
        lab[i] = (size_t)y[i];
    ntk_scores_to_labels(s, n, m->k, pred);
    ntk_metrics_classification(lab, pred, n, m->k, confusion, &out->cls);
    free(lab);
    free(pred);
}

static const char *act_name(const ntk_model *m, char *buf, size_t size)
{
    ntk_activation_format(&m->arch.act, buf, size);
    return buf;
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
    fputs("}", f);
}

static void json_metrics(FILE *f, const ntk_model *m, const metrics *x)
{
    if (m->task == NTK_TASK_REGRESSION) {
        fputs("{\"rmse\": ", f);
        cli_json_num(f, x->reg.rmse);
        fputs(", \"mae\": ", f);
        cli_json_num(f, x->reg.mae);
        fputs(", \"r2\": ", f);
        cli_json_num(f, x->reg.r2);
        fputs("}", f);
    } else {
        fputs("{\"accuracy\": ", f);
        cli_json_num(f, x->cls.accuracy);
        fprintf(f, ", \"correct\": %zu}", x->cls.n_correct);
    }
}

static void write_json(FILE *f, const cli_report *r)
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
        json_metrics(f, m, &tr);
        if (r->test_scores) {
            compute(m, r->test_y, r->test_scores, r->n_test, t, &te, NULL);
            fputs(", \"test\": ", f);
            json_metrics(f, m, &te);
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
    fprintf(f, "}, \"threads\": %d}\n", r->threads);
}

static void write_csv(FILE *f, const cli_report *r)
{
    const ntk_model *m = r->model;
    int reg = m->task == NTK_TASK_REGRESSION;
    fputs(reg ? "t,train_rmse,train_mae,train_r2,test_rmse,test_mae,test_r2\n"
              : "t,train_accuracy,test_accuracy\n", f);
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
            fprintf(f, "%s,%s,%s,%s,%s,%s,%s\n", b[0], b[1], b[2], b[3], b[4], b[5], b[6]);
        } else {
            cli_fmt_num(b[1], 40, tr.cls.accuracy);
            cli_fmt_num(b[2], 40, te.cls.accuracy);
            fprintf(f, "%s,%s,%s\n", b[0], b[1], b[2]);
        }
    }
}

static void write_table(FILE *f, const cli_report *r)
{
    const ntk_model *m = r->model;
    int reg = m->task == NTK_TASK_REGRESSION;
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
               "time scale %s\n",
            m->kind == NTK_KIND_NTK ? "NTK" : "NNGP", m->arch.depth, act_name(m, act, sizeof act),
            m->arch.w_std, m->arch.b_std, m->arch.fixed_layers, regtxt, m->lr,
            m->time_scale == NTK_TIME_MEAN ? "mean" : "sum");
    if (r->selection)
        cli_select_text(f, r->selection);
    fputc('\n', f);
    if (reg)
        fprintf(f, "%12s  %12s %12s %8s  %12s %12s %8s\n", "t", "train RMSE", "train MAE",
                "train R2", "test RMSE", "test MAE", "test R2");
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
        /* Per-class test counts: correct/total for each class and time. */
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
        free(conf);
    }
    fprintf(f, "\ntime: load %.3fs, kernel %.3fs, solve %.3fs (%s), predict %.3fs, total %.3fs; "
               "%d threads\n",
            r->seconds_load, m->seconds_kernel, m->seconds_solve,
            m->used_eigen ? "eigendecomposition" : "Cholesky", r->seconds_predict,
            r->seconds_total, r->threads);
}

void cli_report_write(FILE *f, const char *format, const cli_report *r)
{
    if (strcmp(format, "json") == 0)
        write_json(f, r);
    else if (strcmp(format, "csv") == 0)
        write_csv(f, r);
    else
        write_table(f, r);
}

void cli_predictions_write(FILE *f, const ntk_model *m, const double *scores, size_t rows)
{
    char tb[48];
    for (size_t t = 0; t < m->n_times; t++) {
        cli_fmt_time(tb, sizeof tb, m->times[t]);
        fprintf(f, "%st=%s", t ? "," : "", tb);
    }
    fputc('\n', f);
    for (size_t i = 0; i < rows; i++) {
        for (size_t t = 0; t < m->n_times; t++) {
            if (t)
                fputc(',', f);
            const double *s = scores + (t * rows + i) * m->k;
            if (m->task == NTK_TASK_REGRESSION) {
                fprintf(f, "%.17g", s[0]);
            } else {
                size_t lab;
                ntk_scores_to_labels(s, 1, m->k, &lab);
                cli_csv_field(f, m->encoder->class_labels[lab]);
            }
        }
        fputc('\n', f);
    }
}

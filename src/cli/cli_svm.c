/* Command-line side of the hinge loss (see cli_svm.h). */
#include "cli_svm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_format.h"

int cli_svm_opts_handle(const char *cmd, int id, const char *arg, cli_model_opts *o)
{
    switch (id) {
    case OPT_LOSS:
        o->loss_given = 1;
        if (strcmp(arg, "square") == 0)
            o->train.loss = NTK_LOSS_SQUARE;
        else if (strcmp(arg, "hinge") == 0)
            o->train.loss = NTK_LOSS_HINGE;
        else {
            cli_usage(cmd, "option --loss expects square|hinge, got '%s'", arg);
            return -1;
        }
        return 1;
    case OPT_C:
        if (!cli_parse_double(cmd, "--C", arg, &o->train.svm.C))
            return -1;
        if (!(o->train.svm.C > 0) || !isfinite(o->train.svm.C)) {
            cli_usage(cmd, "--C must be a finite number > 0, got '%s'", arg);
            return -1;
        }
        o->svm_C_given = 1;
        return 1;
    case OPT_SVM_EPS:
        if (!cli_parse_double(cmd, "--svm-eps", arg, &o->train.svm.eps))
            return -1;
        if (!(o->train.svm.eps > 0) || !isfinite(o->train.svm.eps)) {
            cli_usage(cmd, "--svm-eps must be a finite number > 0, got '%s'", arg);
            return -1;
        }
        return 1;
    case OPT_CLASS_WEIGHT:
        if (!*arg) {
            cli_usage(cmd, "--class-weight expects 'balanced' or LABEL:W,LABEL:W,...");
            return -1;
        }
        o->class_weight_spec = arg;
        return 1;
    }
    return 0;
}

/* "LABEL:W,LABEL:W" against the class labels; unnamed classes keep 1. */
static int parse_weights(const char *cmd, const char *spec, const ntk_encoder *enc, double *w)
{
    size_t k = enc->n_classes;
    for (size_t c = 0; c < k; c++)
        w[c] = 1.0;
    char *copy = strdup(spec), *save = NULL;
    if (!copy)
        return cli_usage(cmd, "out of memory");
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strrchr(tok, ':');
        if (!colon) {
            rc = cli_usage(cmd, "--class-weight: '%s' is not LABEL:WEIGHT", tok);
            break;
        }
        *colon = '\0';
        size_t c = 0;
        while (c < k && strcmp(enc->class_labels[c], tok) != 0)
            c++;
        if (c == k) {
            rc = cli_usage(cmd, "--class-weight: '%s' is not a class of the training data", tok);
            break;
        }
        char *end;
        double v = strtod(colon + 1, &end);
        if (end == colon + 1 || *end || !(v > 0) || !isfinite(v)) {
            rc = cli_usage(cmd, "--class-weight: the weight of '%s' must be a number > 0, got "
                                "'%s'", tok, colon + 1);
            break;
        }
        w[c] = v;
    }
    free(copy);
    return rc;
}

int cli_svm_prepare(const char *cmd, cli_model_opts *o, const ntk_dataset *train,
                    const ntk_encoder *enc, int selecting)
{
    if (o->train.loss != NTK_LOSS_HINGE) {
        if (o->class_weight_spec || o->svm_C_given)
            cli_warn(cmd, "warning: --C and --class-weight apply to --loss hinge only; ignored");
        return 0;
    }
    if (enc->task != NTK_TASK_CLASSIFICATION)
        return cli_usage(cmd, "--loss hinge needs a classification target; this one is "
                              "regression (epsilon-SVR is not implemented: use --loss square, "
                              "or --task classification for a categorical target)");
    const ntk_solve_params *sp = &o->train.solve;
    if (sp->n_times != 1 || !isinf(sp->times[0]) || sp->reg != 0)
        cli_warn(cmd, "warning: --times and --reg do not apply to --loss hinge; ignored (the "
                      "SVM has one result, t = inf)");
    if (!o->class_weight_spec)
        return 0;
    size_t k = enc->n_classes;
    free(o->class_weights);
    o->class_weights = malloc(k * sizeof *o->class_weights);
    if (!o->class_weights)
        return cli_usage(cmd, "out of memory");
    if (strcmp(o->class_weight_spec, "balanced") == 0) {
        /* n / (k · n_c), scikit-learn's and LIBSVM users' usual choice. */
        size_t *cnt = calloc(k, sizeof *cnt);
        if (!cnt)
            return cli_usage(cmd, "out of memory");
        for (size_t i = 0; i < train->n; i++)
            cnt[(size_t)train->y[i]]++;
        for (size_t c = 0; c < k; c++)
            o->class_weights[c] =
                cnt[c] ? (double)train->n / ((double)k * (double)cnt[c]) : 1.0;
        free(cnt);
    } else if (parse_weights(cmd, o->class_weight_spec, enc, o->class_weights)) {
        return CLI_EXIT_USAGE;
    }
    o->train.svm.class_weight = o->class_weights;
    o->train.svm.n_class_weight = k;
    return 0;
}

void cli_svm_model_json(FILE *f, const ntk_model *m)
{
    fprintf(f, ", \"loss\": \"%s\"", m->loss == NTK_LOSS_HINGE ? "hinge" : "square");
    if (m->loss != NTK_LOSS_HINGE || !m->svm)
        return;
    fputs(", \"C\": ", f);
    cli_json_num(f, m->svm_C);
    fputs(", \"svm\": {\"multiclass\": \"one-vs-one\", \"eps\": ", f);
    cli_json_num(f, m->svm_eps);
    fprintf(f, ", \"pairs\": %zu, \"support_vectors\": %zu, \"iterations\": %zu, \"gap\": ",
            m->svm->n_pairs, m->svm->n_sv, m->svm->iterations);
    cli_json_num(f, m->svm->max_gap);
    fputs(", \"class_weight\": ", f);
    if (m->class_weight) {
        fputs("[", f);
        for (size_t c = 0; c < m->k; c++) {
            fputs(c ? ", " : "", f);
            cli_json_num(f, m->class_weight[c]);
        }
        fputs("]", f);
    } else {
        fputs("null", f);
    }
    fputs("}", f);
}

void cli_svm_predictions_write(FILE *f, const ntk_model *m, const double *votes,
                               const double *dec, size_t rows)
{
    size_t k = m->k, P = m->svm->n_pairs;
    char **lab = m->encoder->class_labels;
    fputs("t=inf", f);
    for (size_t a = 0; a < k; a++)
        for (size_t b = a + 1; b < k; b++) {
            size_t len = strlen(lab[a]) + strlen(lab[b]) + 6;
            char *name = malloc(len);
            if (name) {
                snprintf(name, len, "dec:%s|%s", lab[a], lab[b]);
                fputc(',', f);
                cli_csv_field(f, name);
                free(name);
            }
        }
    fputc('\n', f);
    for (size_t i = 0; i < rows; i++) {
        size_t c;
        ntk_scores_to_labels(votes + i * k, 1, k, &c);
        cli_csv_field(f, lab[c]);
        for (size_t q = 0; q < P; q++)
            fprintf(f, ",%.17g", dec[i * P + q]);
        fputc('\n', f);
    }
}

double *cli_svm_decision(const ntk_model *m, const double *X, size_t rows, int threads,
                         ntk_error *err)
{
    if (m->loss != NTK_LOSS_HINGE || !m->svm) {
        ntk_error_set(err, NTK_EINPUT, "--decision-values needs a hinge-loss model (--loss "
                      "hinge)");
        return NULL;
    }
    size_t cnt = rows * m->svm->n_pairs;
    double *dec = ntk_alloc_checked((cnt ? cnt : 1) * sizeof *dec, "decision values", err);
    if (dec && ntk_model_decision_values(m, X, rows, dec, threads, NULL, err) != NTK_OK) {
        free(dec);
        return NULL;
    }
    return dec;
}

/* ---- the losses in --select (#20) */

/* Comma-separated finite numbers > 0. */
static int parse_C_grid(const char *cmd, const char *arg, double **out, size_t *n)
{
    size_t cap = 1;
    for (const char *c = arg; *c; c++)
        cap += *c == ',';
    double *v = malloc(cap * sizeof *v);
    char *copy = strdup(arg);
    size_t k = 0;
    int ok = v && copy && *arg;
    for (char *p = copy, *end = NULL; ok && p; p = end ? end + 1 : NULL) {
        end = strchr(p, ',');
        if (end)
            *end = '\0';
        char *e;
        double x = strtod(p, &e);
        ok = e != p && !*e && isfinite(x) && x > 0;
        if (ok)
            v[k++] = x;
    }
    free(copy);
    if (!ok) {
        free(v);
        cli_usage(cmd, "--C-grid expects comma-separated finite numbers > 0, got '%s'", arg);
        return 0;
    }
    *out = v;
    *n = k;
    return 1;
}

int cli_svm_select_handle(const char *cmd, int id, const char *arg, ntk_select_params *p,
                          double **owned)
{
    long l;
    switch (id) {
    case OPT_C_GRID: {
        double *v;
        size_t n;
        if (!parse_C_grid(cmd, arg, &v, &n))
            return -1;
        free(*owned);
        *owned = v;
        p->C_grid = v;
        p->n_C = n;
        return 1;
    }
    case OPT_HINGE_KERNELS:
        if (!cli_parse_int(cmd, "--hinge-kernels", arg, 0, 1000000, &l))
            return -1;
        p->hinge_kernels = (size_t)l;
        return 1;
    }
    return 0;
}

void cli_svm_select_losses(const cli_model_opts *o, ntk_select_params *p, int square_only)
{
    if (o->loss_given)
        p->loss = o->train.loss == NTK_LOSS_HINGE ? NTK_SELECT_HINGE : NTK_SELECT_SQUARE;
    else
        p->loss = square_only ? NTK_SELECT_SQUARE : NTK_SELECT_AUTO;
    if (p->loss == NTK_SELECT_HINGE && o->svm_C_given) {
        p->C_grid = &o->train.svm.C;
        p->n_C = 1;
        p->c_scale = NTK_C_ABSOLUTE;
    }
    p->svm = o->train.svm;
}

void cli_svm_select_apply(cli_model_opts *o, const ntk_select_result *r)
{
    o->train.loss = r->hinge ? NTK_LOSS_HINGE : NTK_LOSS_SQUARE;
    if (r->hinge)
        o->train.svm.C = r->C;
}

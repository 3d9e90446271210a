/* --select option handling and reporting (see cli_select.h). */
#include "cli_select.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_format.h"
#include "cli_svm.h"
#include "ntk/rng.h"

/* Rows --select works on when the fit takes the Nystrom path (#21). */
#define CLI_SELECT_SUBSAMPLE 10000

const struct option cli_select_options[] = {
    {"select", no_argument, NULL, OPT_SELECT},
    {"folds", required_argument, NULL, OPT_FOLDS},
    {"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
    {"acts", required_argument, NULL, OPT_ACTS},
    {"b-grid", required_argument, NULL, OPT_B_GRID},
    {"reg-grid", required_argument, NULL, OPT_REG_GRID},
    {"time-grid", required_argument, NULL, OPT_TIME_GRID},
    {"no-nngp", no_argument, NULL, OPT_NO_NNGP},
    {"tie-break", required_argument, NULL, OPT_TIE_BREAK},
    {"halving", required_argument, NULL, OPT_HALVING},
    {"C-grid", required_argument, NULL, OPT_C_GRID},
    {"hinge-kernels", required_argument, NULL, OPT_HINGE_KERNELS},
    {NULL, 0, NULL, 0},
};

const char cli_select_help[] =
    "Model selection. With none of the model options above, eval and fit select the\n"
    "model (the same search as --select); any model option fixes the model instead.\n"
    "The search: depth x fixed bottom layers x activation x sigma_b x kernel kind, each\n"
    "kernel with its whole ridge x time grid priced by one eigendecomposition. Scores\n"
    "are closed-form leave-one-out on the training rows (exact for t = inf; the\n"
    "self-consistent approximation for finite t), by successive halving: all kernels\n"
    "on a stratified 128-row subsample, the best third on twice as many rows, ...,\n"
    "the finalists on all rows; the winner is then refitted exactly.\n"
    "  --select             choose the hyperparameters, then fit with the winners\n"
    "  --folds K            exact stratified K-fold CV instead (every kernel, every\n"
    "                       fold, all rows; K >= 2; slower)\n"
    "  --halving N          first-stage rows (default 128; 0 = every kernel on all rows)\n"
    "  --max-depth L        depths 1..L (default 5)\n"
    "  --acts LIST          activations to try (default relu)\n"
    "  --b-grid LIST        sigma_b values (default 0,0.1,0.5)\n"
    "  --reg-grid LIST      ridges relative to mean(diag) (default 0,1e-4,1e-3,1e-2,0.1,1)\n"
    "  --time-grid LIST     times x mean(diag), 'mean' time scale (default 1,10,...,1e4,inf)\n"
    "  --no-nngp            do not consider NNGP kernels\n"
    "  --tie-break mse|simpler   equal accuracy: lower validation MSE (default) or simpler\n"
    "Losses (classification): with --loss hinge the search is over kernel x C for the\n"
    "C-SVM (every kernel; --C fixes C); with --loss square, over the gradient flow only;\n"
    "with no --loss, both: the SVM on the square-loss search's best kernels, the two\n"
    "losses scored on the same validation rows (the split or folds; under leave-one-out\n"
    "3 stratified folds of at most 1500 rows, where the square-loss finalists are\n"
    "re-scored), ties going to the square loss.\n"
    "  --C-grid LIST        C values relative to the kernel's mean diagonal, C/mean(diag)\n"
    "                       (default 0.01,0.1,1,10,100,1e3,1e4)\n"
    "  --hinge-kernels N    both losses: the SVM on the N best kernels (default 3; 0 =\n"
    "                       every kernel)\n"
    "  Progress (stages, time left) goes to stderr on a terminal or with --progress.\n";

void cli_select_init(cli_select_opts *s)
{
    memset(s, 0, sizeof *s);
    ntk_select_params_init(&s->params);
}

void cli_select_free(cli_select_opts *s)
{
    free(s->b_grid);
    free(s->reg_grid);
    free(s->time_grid);
    free(s->C_grid);
}

static int parse_acts(const char *cmd, const char *arg, cli_select_opts *s)
{
    /* Split on commas, but a token that is not an activation name continues
     * the previous one's parameters ("abrelu:0.1,1,relu"). */
    char buf[512];
    size_t n_acts = 0;
    char cur[256] = "";
    snprintf(buf, sizeof buf, "%s", arg);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save);; tok = strtok_r(NULL, ",", &save)) {
        ntk_activation a;
        ntk_error err = {0};
        int starts_name = tok && ((tok[0] >= 'a' && tok[0] <= 'z') || (tok[0] >= 'A' && tok[0] <= 'Z'));
        if (!tok || (starts_name && cur[0])) {
            if (cur[0]) {
                if (n_acts == sizeof s->acts / sizeof s->acts[0]) {
                    cli_usage(cmd, "--acts: at most 16 activations");
                    return -1;
                }
                if (ntk_activation_parse(cur, &a, &err) != NTK_OK) {
                    cli_usage(cmd, "--acts: %s", err.msg);
                    return -1;
                }
                s->acts[n_acts++] = a;
                cur[0] = '\0';
            }
            if (!tok)
                break;
        }
        if (cur[0])
            strncat(cur, ",", sizeof cur - strlen(cur) - 1);
        strncat(cur, tok, sizeof cur - strlen(cur) - 1);
    }
    if (n_acts == 0) {
        cli_usage(cmd, "--acts needs at least one activation");
        return -1;
    }
    s->params.acts = s->acts;
    s->params.n_acts = n_acts;
    return 1;
}

int cli_select_handle(const char *cmd, int id, const char *arg, cli_select_opts *s)
{
    long l;
    double *v;
    size_t n;
    switch (id) {
    case OPT_SELECT:
        s->enabled = 1;
        return 1;
    case OPT_FOLDS:
        if (!cli_parse_int(cmd, "--folds", arg, 2, 100, &l))
            return -1;
        s->params.folds = (size_t)l;
        return 1;
    case OPT_MAX_DEPTH:
        if (!cli_parse_int(cmd, "--max-depth", arg, 1, 50, &l))
            return -1;
        s->params.max_depth = (int)l;
        return 1;
    case OPT_ACTS:
        return parse_acts(cmd, arg, s);
    case OPT_B_GRID:
    case OPT_REG_GRID:
    case OPT_TIME_GRID:
        if (!cli_parse_times(cmd, arg, &v, &n))
            return -1;
        if (id == OPT_B_GRID) {
            free(s->b_grid);
            s->b_grid = v;
            s->params.b_stds = v;
            s->params.n_b_stds = n;
        } else if (id == OPT_REG_GRID) {
            free(s->reg_grid);
            s->reg_grid = v;
            s->params.regs = v;
            s->params.n_regs = n;
        } else {
            for (size_t i = 0; i < n; i++)
                if (v[i] == 0) {
                    free(v);
                    cli_usage(cmd, "--time-grid values must be > 0");
                    return -1;
                }
            free(s->time_grid);
            s->time_grid = v;
            s->params.taus = v;
            s->params.n_taus = n;
        }
        return 1;
    case OPT_NO_NNGP:
        s->params.try_nngp = 0;
        return 1;
    case OPT_HALVING:
        if (!cli_parse_int(cmd, "--halving", arg, 0, 1000000000, &l))
            return -1;
        s->params.halving_rows = (size_t)l;
        return 1;
    case OPT_TIE_BREAK:
        if (strcmp(arg, "mse") == 0)
            s->params.tie_break = NTK_TIE_MSE;
        else if (strcmp(arg, "simpler") == 0)
            s->params.tie_break = NTK_TIE_SIMPLER;
        else {
            cli_usage(cmd, "--tie-break expects mse|simpler, got '%s'", arg);
            return -1;
        }
        return 1;
    }
    return cli_svm_select_handle(cmd, id, arg, &s->params, &s->C_grid);
}

/* The default's last stage: at most this many rows (about 10 s of
 * eigendecompositions here); the exact refit still uses every row. */
#define DEFAULT_MAX_ROWS 3000

void cli_select_default(cli_select_opts *s, const cli_model_opts *o)
{
    if (!s->enabled && !o->model_given) {
        s->enabled = 1;
        s->automatic = 1;
        s->params.max_rows = DEFAULT_MAX_ROWS;
    }
}

/* Progress with an estimate of the time left (work units are ~ n³ per
 * decomposition, so the estimate holds across stages of growing size). */
typedef struct {
    double t0;
    int open;
} select_progress;

static int progress_eta(void *ctx, const char *stage, size_t done, size_t total)
{
    select_progress *sp = ctx;
    double el = omp_get_wtime() - sp->t0;
    if (total && done > 0 && done < total)
        fprintf(stderr, "\r[%s] %3.0f%%, ~%.0f s left    ", stage,
                100.0 * (double)done / (double)total,
                el * (double)(total - done) / (double)done);
    else
        fprintf(stderr, "\r[%s] %3.0f%%    ", stage,
                total ? 100.0 * (double)done / (double)total : 0.0);
    sp->open = 1;
    if (total && done >= total) {
        fputc('\n', stderr);
        sp->open = 0;
    }
    return 0;
}

int cli_select_run(const char *cmd, cli_select_opts *s, cli_model_opts *o,
                   const ntk_dataset *train, const ntk_encoder *enc)
{
    ntk_select_params *p = &s->params;
    /* The default model on data whose kernel cannot be held: leave the
     * refusal (naming the size) to the fit rather than search first. */
    size_t avail = ntk_memory_available();
    if (s->automatic && avail && (double)train->n * (double)train->n * 8.0 > (double)avail) {
        s->enabled = 0;
        s->automatic = 0;
        return 0;
    }
    p->w_std = o->train.arch.w_std;
    p->seed = o->seed;
    p->threads = o->threads;
    select_progress sp = {omp_get_wtime(), 0};
    p->progress = cli_progress();
    if (p->progress.fn) {
        p->progress.fn = progress_eta;
        p->progress.ctx = &sp;
    }
    ntk_error err = {0};
    /* ---- scalable path (#21): where the fit will be a Nystrom one, select on a
     * seeded subsample (dense cross-validation of every candidate on all rows
     * is what the Nystrom path exists to avoid); the winner is fitted on all. */
    const double *X = train->X, *y = train->y;
    size_t n = train->n;
    double *Xs = NULL, *ys = NULL;
    if (o->train.solver != NTK_SOLVER_DENSE && n > CLI_SELECT_SUBSAMPLE &&
        (o->train.solver == NTK_SOLVER_NYSTROM || n > NTK_NYSTROM_AUTO_N)) {
        size_t *idx = malloc(n * sizeof *idx);
        Xs = malloc(CLI_SELECT_SUBSAMPLE * train->d * sizeof *Xs + 1);
        ys = malloc(CLI_SELECT_SUBSAMPLE * sizeof *ys);
        if (!idx || !Xs || !ys) {
            free(idx);
            free(Xs);
            free(ys);
            ntk_error_set(&err, NTK_ENOMEM, "out of memory");
            return cli_fail(cmd, &err);
        }
        for (size_t i = 0; i < n; i++)
            idx[i] = i;
        ntk_rng rng;
        ntk_rng_seed(&rng, o->seed);
        ntk_rng_shuffle(&rng, idx, n);
        for (size_t i = 0; i < CLI_SELECT_SUBSAMPLE; i++) {
            memcpy(Xs + i * train->d, train->X + idx[i] * train->d, train->d * sizeof *Xs);
            ys[i] = train->y[idx[i]];
        }
        free(idx);
        cli_warn(cmd, "note: selecting on a random subsample of %d of the %zu training rows "
                      "(Nystrom path); the winner is fitted on all rows",
                 CLI_SELECT_SUBSAMPLE, n);
        X = Xs;
        y = ys;
        n = CLI_SELECT_SUBSAMPLE;
    }
    /* ---- end scalable path */
    /* Both losses unless --loss says which, or the fit will take a path
     * without the SVM (Nystrom, another engine). */
    cli_svm_select_losses(o, p, Xs != NULL || o->train.solver == NTK_SOLVER_NYSTROM ||
                                    cli_ctx.engine != NULL);
    ntk_status st = ntk_select(X, n, train->d, y, enc->task, enc->n_classes, p, &s->result, &err);
    free(Xs);
    free(ys);
    if (sp.open)
        fputc('\n', stderr);
    if (st != NTK_OK)
        return cli_fail(cmd, &err);
    const ntk_select_result *r = &s->result;
    o->train.arch = r->arch;
    o->train.kind = r->kind;
    o->train.solve.reg = r->reg_rel;
    o->train.solve.reg_scale = NTK_REG_RELATIVE;
    o->train.solve.time_scale = NTK_TIME_MEAN;
    o->times[0] = r->time;
    o->train.solve.times = o->times;
    o->train.solve.n_times = 1;
    cli_svm_select_apply(o, r);
    return 0;
}

static const char *method_name(const cli_select_opts *s, char *buf, size_t size)
{
    /* Under leave-one-out the SVM was scored on the losses' common folds. */
    if (s->result.hinge && !s->params.split && s->params.folds < 2)
        snprintf(buf, size, "%zu-fold CV", s->result.compare_folds);
    else if (s->params.split)
        snprintf(buf, size, "hold-out");
    else if (s->params.folds >= 2)
        snprintf(buf, size, "%zu-fold CV", s->params.folds);
    else
        snprintf(buf, size, "leave-one-out");
    return buf;
}

static void json_tau(FILE *f, double tau)
{
    if (isinf(tau))
        fputs("\"inf\"", f);
    else
        cli_json_num(f, tau);
}

void cli_select_json(FILE *f, const cli_select_opts *s)
{
    const ntk_select_result *r = &s->result;
    char m[32];
    fprintf(f, "\"selection\": {\"method\": \"%s\", \"automatic\": %s, \"folds\": %zu",
            method_name(s, m, sizeof m), s->automatic ? "true" : "false",
            s->params.split ? (size_t)1 : s->params.folds);
    fputs(", \"cv_score\": ", f);
    cli_json_num(f, r->score);
    fputs(", \"cv_mse\": ", f);
    cli_json_num(f, r->mse);
    fputs(", \"tau\": ", f);
    json_tau(f, r->tau);
    fprintf(f, ", \"loss\": \"%s\", \"C\": ", r->hinge ? "hinge" : "square");
    cli_json_num(f, r->C);
    fputs(", \"C_rel\": ", f);
    cli_json_num(f, r->C_rel);
    fputs(", \"loss_scores\": {\"square\": ", f);
    cli_json_num(f, r->loss_score[0]);
    fputs(", \"hinge\": ", f);
    cli_json_num(f, r->loss_score[1]);
    fprintf(f, ", \"rows\": %zu, \"folds\": %zu}, \"svm_fits\": %zu", r->compare_rows,
            r->compare_folds, r->svm_fits);
    fprintf(f, ", \"candidates\": %zu, \"kernels\": %zu, \"stages\": %zu, "
               "\"final_kernels\": %zu, \"seconds\": ",
            r->n_candidates, r->n_kernels, r->n_stages, r->final_kernels);
    cli_json_num(f, r->seconds);
    fputs(", \"candidates_per_second\": ", f);
    cli_json_num(f, r->seconds > 0 ? (double)r->n_candidates / r->seconds : NAN);
    fputs(", \"ranking\": [", f);
    for (size_t i = 0; i < r->n_top; i++) {
        const ntk_select_entry *e = &r->top[i];
        char act[64];
        ntk_activation_format(&e->arch.act, act, sizeof act);
        fprintf(f, "%s{\"kind\": \"%s\", \"depth\": %d, \"fixed_layers\": %d, \"act\": \"%s\", "
                   "\"b_std\": ",
                i ? ", " : "", e->kind == NTK_KIND_NTK ? "ntk" : "nngp", e->arch.depth,
                e->arch.fixed_layers, act);
        cli_json_num(f, e->arch.b_std);
        fputs(", \"reg\": ", f);
        cli_json_num(f, e->reg_rel);
        fputs(", \"tau\": ", f);
        json_tau(f, e->tau);
        fprintf(f, ", \"loss\": \"%s\", \"C\": ", e->hinge ? "hinge" : "square");
        cli_json_num(f, e->C);
        fprintf(f, ", \"folds\": %zu", e->folds);
        fputs(", \"score\": ", f);
        cli_json_num(f, e->score);
        fputs(", \"mse\": ", f);
        cli_json_num(f, e->mse);
        fprintf(f, ", \"rows\": %zu}", e->rows);
    }
    fputs("]}", f);
}

void cli_select_text(FILE *f, const cli_select_opts *s)
{
    const ntk_select_result *r = &s->result;
    char act[64], tb[40], m[32];
    ntk_activation_format(&r->arch.act, act, sizeof act);
    cli_fmt_num(tb, sizeof tb, r->tau);
    method_name(s, m, sizeof m);
    char what[160];
    if (r->hinge)
        snprintf(what, sizeof what, "the hinge loss (C-SVM), C %g (relative; %g on the kernel "
                 "of all rows)", r->C_rel, r->C);
    else
        snprintf(what, sizeof what, "reg %g (relative), t = %s/mean(diag) (time scale mean)",
                 r->reg_rel, tb);
    fprintf(f, "selection%s: %s chose %s depth %d, %s, b_std %g, fixed layers %d, %s; score "
               "%.4g; %zu candidates from %zu kernels in %zu stages, %.2fs (%.0f candidates/s)\n",
            s->automatic ? " (default: no model option given)" : "", m,
            r->kind == NTK_KIND_NTK ? "NTK" : "NNGP", r->arch.depth, act, r->arch.b_std,
            r->arch.fixed_layers, what, r->score, r->n_candidates, r->n_kernels, r->n_stages,
            r->seconds, r->seconds > 0 ? (double)r->n_candidates / r->seconds : 0.0);
    if (isfinite(r->loss_score[0]) && isfinite(r->loss_score[1]))
        fprintf(f, "  losses on the same %zu rows, %zu fold%s: square %.4g, hinge %.4g -> %s\n",
                r->compare_rows, r->compare_folds, r->compare_folds == 1 ? "" : "s",
                r->loss_score[0], r->loss_score[1], r->hinge ? "hinge" : "square");
    fprintf(f, "  %4s  %-6s %-4s %5s %5s %-12s %6s %8s %9s %8s %10s %10s %6s %5s\n", "rank",
            "loss", "kind", "depth", "fixed", "act", "b_std", "reg", "t", "C", "score", "mse",
            "rows", "folds");
    for (size_t i = 0; i < r->n_top; i++) {
        const ntk_select_entry *e = &r->top[i];
        ntk_activation_format(&e->arch.act, act, sizeof act);
        cli_fmt_num(tb, sizeof tb, e->tau);
        char cb[40] = "-", rb[40] = "-";
        if (e->hinge)
            snprintf(cb, sizeof cb, "%g", e->C);
        else
            snprintf(rb, sizeof rb, "%g", e->reg_rel);
        if (e->hinge)
            snprintf(tb, sizeof tb, "inf");
        char fb[24] = "loo";
        if (e->folds)
            snprintf(fb, sizeof fb, e->folds == 1 ? "split" : "%zu", e->folds);
        fprintf(f, "  %4zu  %-6s %-4s %5d %5d %-12s %6g %8s %9s %8s %10.4g %10.4g %6zu %5s\n",
                i + 1, e->hinge ? "hinge" : "square", e->kind == NTK_KIND_NTK ? "ntk" : "nngp",
                e->arch.depth, e->arch.fixed_layers, act, e->arch.b_std, rb, tb, cb, e->score,
                e->mse, e->rows, fb);
    }
}

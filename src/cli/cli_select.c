/* --select option handling and reporting (see cli_select.h). */
#include "cli_select.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_format.h"
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
    {NULL, 0, NULL, 0},
};

const char cli_select_help[] =
    "Model selection (--select): stratified K-fold cross-validation on the training rows\n"
    "over depth, fixed bottom layers, activation, sigma_b, kernel kind, ridge and time:\n"
    "  --select             choose the hyperparameters, then fit with the winners\n"
    "  --folds K            folds (default 5)\n"
    "  --max-depth L        depths 1..L (default 5)\n"
    "  --acts LIST          activations to try (default relu)\n"
    "  --b-grid LIST        sigma_b values (default 0,0.1,0.5)\n"
    "  --reg-grid LIST      ridges relative to mean(diag) (default 0,1e-4,1e-3,1e-2,0.1,1)\n"
    "  --time-grid LIST     times x mean(diag), 'mean' time scale (default 1,10,...,1e4,inf)\n"
    "  --no-nngp            do not consider NNGP kernels\n"
    "  --tie-break mse|simpler   equal accuracy: lower validation MSE (default) or simpler\n";

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
    return 0;
}

int cli_select_run(const char *cmd, cli_select_opts *s, cli_model_opts *o,
                   const ntk_dataset *train, const ntk_encoder *enc)
{
    ntk_select_params *p = &s->params;
    p->w_std = o->train.arch.w_std;
    p->seed = o->seed;
    p->threads = o->threads;
    p->progress = cli_progress();
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
    ntk_status st = ntk_select(X, n, train->d, y, enc->task, enc->n_classes, p, &s->result, &err);
    free(Xs);
    free(ys);
    cli_progress_done();
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
    return 0;
}

void cli_select_json(FILE *f, const cli_select_opts *s)
{
    const ntk_select_result *r = &s->result;
    fputs("\"selection\": {\"folds\": ", f);
    fprintf(f, "%zu", s->params.split ? (size_t)1 : s->params.folds);
    fputs(", \"cv_score\": ", f);
    cli_json_num(f, r->score);
    fputs(", \"cv_mse\": ", f);
    cli_json_num(f, r->mse);
    fputs(", \"tau\": ", f);
    if (isinf(r->tau))
        fputs("\"inf\"", f);
    else
        cli_json_num(f, r->tau);
    fprintf(f, ", \"candidates\": %zu, \"kernels\": %zu, \"seconds\": ", r->n_candidates,
            r->n_kernels);
    cli_json_num(f, r->seconds);
    fputs(", \"candidates_per_second\": ", f);
    cli_json_num(f, r->seconds > 0 ? (double)r->n_candidates / r->seconds : NAN);
    fputs("}", f);
}

void cli_select_text(FILE *f, const cli_select_opts *s)
{
    const ntk_select_result *r = &s->result;
    char act[64], tb[40];
    ntk_activation_format(&r->arch.act, act, sizeof act);
    cli_fmt_num(tb, sizeof tb, r->tau);
    fprintf(f, "selection: %zu-fold CV chose %s depth %d, %s, b_std %g, fixed layers %d, reg %g "
               "(relative), t = %s/mean(diag) (time scale mean); CV %s %.4g; %zu candidates "
               "from %zu kernels in %.2fs (%.0f candidates/s)\n",
            s->params.split ? (size_t)1 : s->params.folds,
            r->kind == NTK_KIND_NTK ? "NTK" : "NNGP", r->arch.depth, act, r->arch.b_std,
            r->arch.fixed_layers, r->reg_rel, tb, isnan(r->mse) ? "score" : "score", r->score,
            r->n_candidates, r->n_kernels, r->seconds,
            r->seconds > 0 ? (double)r->n_candidates / r->seconds : 0.0);
}

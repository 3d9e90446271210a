/* Data loading for fitting subcommands (see cli_data.h). */
#include "cli_data.h"

#include <omp.h>
#include <stdlib.h>

#include "cli.h"

void cli_data_free(cli_data *d)
{
    ntk_encoder_free(d->enc);
    ntk_dataset_free(d->train);
    ntk_dataset_free(d->test);
    d->enc = NULL;
    d->train = d->test = NULL;
}

void cli_data_warn(const char *cmd, const char *what, const ntk_dataset *ds)
{
    if (ds->n_skipped_target)
        cli_warn(cmd, "note: %zu %s rows skipped because their target is missing",
                 ds->n_skipped_target, what);
    if (ds->n_unseen_labels)
        cli_warn(cmd, "warning: %zu %s rows skipped because their class does not occur in "
                      "the training data", ds->n_unseen_labels, what);
    if (ds->n_unseen_levels)
        cli_warn(cmd, "warning: %zu %s cells hold a category unseen in training (encoded as "
                      "all zeros)", ds->n_unseen_levels, what);
}

void cli_model_warn(const char *cmd, const ntk_model *m)
{
    int single = m->precision == NTK_PRECISION_FLOAT;
    if (m->jitter > 0 && single)
        cli_warn(cmd, "warning: the training kernel is too ill-conditioned for single precision "
                      "(the refined float solve did not reach double accuracy without it); added "
                      "jitter %.3g to its diagonal for t = inf (use --reg to choose it, or "
                      "--precision double)", m->jitter);
    else if (m->jitter > 0)
        cli_warn(cmd, "warning: the training kernel is numerically singular; added jitter %.3g "
                      "to its diagonal for t = inf (use --reg to choose it)", m->jitter);
    if (m->n_null)
        cli_warn(cmd, "note: the training kernel is singular (%zu null directions: duplicate "
                      "rows?); t = inf is the minimum-norm interpolant, the limit of the flow "
                      "(use --reg for a ridge)", m->n_null);
    if (single && !m->refine_converged)
        cli_warn(cmd, "warning: single precision: iterative refinement did not converge for "
                      "t = inf (relative residual %.3g after %zu steps, %.3g before refinement); "
                      "the t = inf results are the best iterate, less accurate than --precision "
                      "double would give: use --reg or --precision double",
                 m->refine_residual, m->refine_iters, m->refine_residual0);
    /* Single precision: the estimate stalls at the float projection's
     * rounding (docs/precision.md), ~1e-6–1e-4. */
    if (m->used_krylov && !(m->krylov_estimate <= (single ? 1e-4 : 1e-8)))
        cli_warn(cmd, "warning: the Krylov path stopped at its step limit with estimated "
                      "relative error %.3g at the finite times (use --solver-path eigen for an "
                      "exact solve)", m->krylov_estimate);
    if (m->n_clamped)
        cli_warn(cmd, "warning: clamped %zu negative eigenvalues of the training kernel to 0 "
                      "(most negative %.3g)", m->n_clamped, m->most_negative);
}

int cli_data_check_args(const char *cmd, const char *train_path, const char *test_path,
                        double test_frac, int need_test)
{
    if (!train_path) {
        cli_usage(cmd, "--train FILE is required");
        return 0;
    }
    if (test_path && test_frac > 0) {
        cli_usage(cmd, "give either --test or --test-frac, not both");
        return 0;
    }
    if (need_test && !test_path && test_frac == 0) {
        cli_usage(cmd, "test data is required (--test FILE or --test-frac F)");
        return 0;
    }
    return 1;
}

int cli_data_load(const char *cmd, const cli_model_opts *o, const char *train_path,
                  const char *test_path, double test_frac, cli_data *d)
{
    double t0 = omp_get_wtime();
    d->enc = NULL;
    d->train = d->test = NULL;
    ntk_error err = {0};
    ntk_table *table = NULL, *tr = NULL, *te = NULL;
    ntk_status st = ntk_table_read(train_path, &o->read, &table, &err);
    if (st == NTK_OK && test_frac > 0) {
        st = ntk_table_split_train_test(table, &o->enc, test_frac, o->seed, &tr, &te, &err);
        ntk_table_free(table);
        table = NULL;
    } else if (st == NTK_OK) {
        tr = table;
        table = NULL;
        if (test_path)
            st = ntk_table_read(test_path, &o->read, &te, &err);
    }
    if (st == NTK_OK)
        st = ntk_encoder_fit(tr, &o->enc, &d->enc, &err);
    if (st == NTK_OK)
        st = ntk_encoder_apply(d->enc, tr, 1, &d->train, &err);
    if (st == NTK_OK && te)
        st = ntk_encoder_apply(d->enc, te, 1, &d->test, &err);
    ntk_table_free(tr);
    ntk_table_free(te);
    if (st != NTK_OK) {
        cli_data_free(d);
        return cli_fail(cmd, &err);
    }
    if (d->train->n == 0) {
        cli_data_free(d);
        ntk_error_set(&err, NTK_EINPUT, "%s: no training rows with a target", train_path);
        return cli_fail(cmd, &err);
    }
    cli_data_warn(cmd, "training", d->train);
    if (d->test)
        cli_data_warn(cmd, "test", d->test);
    d->seconds = omp_get_wtime() - t0;
    return 0;
}

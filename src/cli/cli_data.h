/* Loading and encoding data for the subcommands that fit models: read the
 * training file, split off a test part if asked, fit the encoder on the
 * training rows only, and encode both parts. */
#ifndef NTK_CLI_DATA_H
#define NTK_CLI_DATA_H

#include "cli_opts.h"

typedef struct {
    ntk_encoder *enc;        /* fitted on the training rows; NULL once given away */
    ntk_dataset *train;
    ntk_dataset *test;       /* NULL when there is no test part */
    double seconds;          /* wall time for reading and encoding */
} cli_data;

/* test_path: a separate test file, or NULL; test_frac > 0: split the training
 * file instead (stratified for classification, by o->seed). Prints errors and
 * warnings; returns an exit code (0 on success). */
int cli_data_load(const char *cmd, const cli_model_opts *o, const char *train_path,
                  const char *test_path, double test_frac, cli_data *d);

/* The usage rules of --train/--test/--test-frac shared by eval and compare:
 * --train is required, --test and --test-frac exclude each other, and with
 * need_test one of them must be given. 0 after a usage message, else 1. */
int cli_data_check_args(const char *cmd, const char *train_path, const char *test_path,
                        double test_frac, int need_test);

void cli_data_free(cli_data *d);

/* Warn about encoding events in a data set (unseen levels, skipped rows). */
void cli_data_warn(const char *cmd, const char *what, const ntk_dataset *ds);

/* Warn about what the solver had to do to fit a model (jitter, clamped
 * eigenvalues). */
void cli_model_warn(const char *cmd, const ntk_model *m);

#endif

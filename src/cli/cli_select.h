/* --select for the fitting subcommands: choose hyperparameters by
 * cross-validation on the training rows, then fit with the winners. */
#ifndef NTK_CLI_SELECT_H
#define NTK_CLI_SELECT_H

#include <stdio.h>

#include "cli_opts.h"
#include "ntk/select.h"

enum {
    OPT_SELECT = 1500, OPT_FOLDS, OPT_MAX_DEPTH, OPT_ACTS, OPT_B_GRID, OPT_REG_GRID,
    OPT_TIME_GRID, OPT_NO_NNGP, OPT_TIE_BREAK, OPT_HALVING
};

typedef struct {
    int enabled;
    int automatic;          /* no model option given: selection is the default model */
    ntk_select_params params;
    ntk_activation acts[16];
    double *b_grid, *reg_grid, *time_grid; /* owned when set */
    double *C_grid;         /* owned when set (--C-grid, #20) */
    ntk_select_result result;
} cli_select_opts;

extern const struct option cli_select_options[];
extern const char cli_select_help[];

void cli_select_init(cli_select_opts *s);
void cli_select_free(cli_select_opts *s);

/* Handle one option: 1 handled, 0 not ours, -1 bad value (message printed). */
int cli_select_handle(const char *cmd, int id, const char *arg, cli_select_opts *s);

/* The default model: when none of the model options was given (and no
 * --select), turn the selection on. Call after parsing. */
void cli_select_default(cli_select_opts *s, const cli_model_opts *o);

/* Run the selection on the encoded training data and write the chosen
 * hyperparameters into o (relative ridge, 'mean' time scale, one time; or
 * the hinge loss and its C). The losses: --loss as given, else both for
 * classification (not on the Nystrom path).
 * Returns an exit code (0 on success). */
int cli_select_run(const char *cmd, cli_select_opts *s, cli_model_opts *o,
                   const ntk_dataset *train, const ntk_encoder *enc);

/* The selection summary as JSON members (no braces): "selection": {...}. */
void cli_select_json(FILE *f, const cli_select_opts *s);
/* One-paragraph text summary. */
void cli_select_text(FILE *f, const cli_select_opts *s);

#endif

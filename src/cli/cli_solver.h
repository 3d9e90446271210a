/* Report lines for the solver a fit used (#21: the Nystrom path's centers,
 * their selection and the approximation estimate). */
#ifndef NTK_CLI_SOLVER_H
#define NTK_CLI_SOLVER_H

#include <stdio.h>

#include "ntk/model.h"

/* JSON members appended inside the "model" object: `, "solver": "dense"` or
 * `, "solver": "nystrom", "nystrom": {...}`. */
void cli_solver_json(FILE *f, const ntk_model *m);

/* One text line for a Nystrom fit (nothing for a dense one). */
void cli_solver_text(FILE *f, const ntk_model *m);

#endif

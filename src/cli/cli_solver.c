/* Solver report lines (see cli_solver.h). */
#include "cli_solver.h"

#include <math.h>

#include "cli_format.h"

void cli_solver_json(FILE *f, const ntk_model *m)
{
    if (!m->nystrom) {
        fputs(", \"solver\": \"dense\"", f);
        return;
    }
    fprintf(f, ", \"solver\": \"nystrom\", \"nystrom\": {\"centers\": %zu, \"n_train\": %zu, "
               "\"selection\": \"%s\", \"jitter_centers\": ",
            m->n, m->n_train, ntk_center_method_name(m->center_selection));
    cli_json_num(f, m->jitter_centers);
    fprintf(f, ", \"residual_rows\": %zu, \"residual_mean\": ", m->residual_rows);
    cli_json_num(f, m->residual_mean);
    fputs(", \"residual_rel\": ", f);
    cli_json_num(f, m->residual_rel);
    fprintf(f, ", \"streamed\": %s, \"seconds_centers\": ",
            m->nystrom_streamed ? "true" : "false");
    cli_json_num(f, m->seconds_centers);
    fputs("}", f);
}

void cli_solver_text(FILE *f, const ntk_model *m)
{
    if (!m->nystrom)
        return;
    fprintf(f, "solver: Nystrom, %zu centers (%s, %.3fs) of %zu rows; ", m->n,
            ntk_center_method_name(m->center_selection), m->seconds_centers, m->n_train);
    if (m->residual_rows)
        fprintf(f, "residual %.3g x mean diag (mean of K(x,x) - K(x,C)K(C,C)^-1 K(C,x) on %zu "
                   "rows)", m->residual_rel, m->residual_rows);
    else
        fputs("no residual estimate", f);
    fprintf(f, "; cross kernel %s\n", m->nystrom_streamed ? "streamed in blocks" : "held whole");
}

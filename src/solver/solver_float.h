/* Private to the library: the local fit in single precision
 * (ntk_train_params.precision = NTK_PRECISION_FLOAT; see ntk/model.h and
 * docs/precision.md). */
#ifndef NTK_SOLVER_FLOAT_H
#define NTK_SOLVER_FLOAT_H

#include "ntk/model.h"

/* Kernel (float, 4n² bytes) and solve for one fit problem: an ntk_solution as
 * ntk_solve returns it, with single_precision = 1 and the refinement fields
 * set. *seconds_kernel receives the time of the kernel evaluation that fills
 * the float matrix (later kernel passes are in solution->seconds_refine). */
ntk_status solver_float_fit(const ntk_fit_problem *pb, ntk_solution **out,
                            double *seconds_kernel, ntk_error *err);

#endif

/* ntk/select.h — choosing depth, fixed layers, activation, σ_b, kernel kind,
 * ridge and training time by validation.
 *
 * Cheap by structure: one kernel recursion yields every depth of a σ_b and
 * fixed-layer count; one eigendecomposition per candidate kernel scores its
 * whole (ridge, time) grid as diagonal rescalings. The default scores are
 * closed-form leave-one-out residuals of the linear smoother on all training
 * rows (no folds: one decomposition per kernel instead of one per fold), and
 * successive halving spends the O(n³) work on finalists: every kernel is
 * scored on a stratified subsample of `halving_rows` rows, the best
 * `halving_keep` fraction survives, the subsample doubles, until the
 * finalists are scored on all rows. `folds` ≥ 2 is the exact K-fold option
 * (every kernel, every fold, all rows); `split` a fixed hold-out split (with
 * halving on its training part).
 *
 * Candidate ridges and times are relative, so they carry over from the folds
 * to the final fit: ridge λ·mean(diag Θ) and time τ/mean(diag Θ) under the
 * 'mean' time scale (exponent −η τ Θ/(mean(diag Θ)·N·k)).
 */
#ifndef NTK_SELECT_H
#define NTK_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "ntk/common.h"
#include "ntk/dataset.h"
#include "ntk/kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    NTK_TIE_MSE = 0,     /* equal accuracy: lower validation MSE of the outputs wins */
    NTK_TIE_SIMPLER = 1  /* equal accuracy: the simpler (earlier enumerated) model wins */
} ntk_tie_break;

typedef struct {
    int max_depth;                 /* depths 1..max_depth (default 5) */
    int sweep_fixed;               /* 1 (default): fixed layers 0..depth-1; 0: none fixed */
    const ntk_activation *acts;    /* activations to try (default: relu) */
    size_t n_acts;
    double w_std;                  /* σ_w (default √2) */
    const double *b_stds;          /* σ_b grid (default 0, 0.1, 0.5) */
    size_t n_b_stds;
    int try_nngp;                  /* 1 (default): NNGP kernels are candidates too */
    const double *regs;            /* relative ridges (default 0, 1e-4 … 1) */
    size_t n_regs;
    const double *taus;            /* relative times, INFINITY allowed (default 1 … 1e4, ∞) */
    size_t n_taus;
    size_t folds;                  /* 0 (default): closed-form leave-one-out; K >= 2:
                                      exact stratified K-fold (no halving) */
    const unsigned char *split;    /* optional: split[i] = 1 marks validation rows (one split) */
    size_t halving_rows;           /* rows of the first halving stage (default 256);
                                      0: every kernel on all rows */
    double halving_keep;           /* fraction of kernels kept per stage (default 1/3;
                                      at least 2 survive) */
    size_t max_rows;               /* 0 (default): the last stage has all training rows;
                                      else at most this many (a stratified subsample;
                                      relative ridge and time carry over) */
    uint64_t seed;
    ntk_tie_break tie_break;
    int threads;
    ntk_progress progress;
} ntk_select_params;

/* Defaults as documented on each field. The default grids are static. */
NTK_API void ntk_select_params_init(ntk_select_params *p);

/* One ranked candidate kernel: its best (ridge, time) on the largest
 * subsample it reached. */
typedef struct {
    ntk_arch arch;
    ntk_kernel_kind kind;
    double reg_rel, tau;
    double score;                  /* validation accuracy, or RMSE (standardized targets) */
    double mse;
    size_t rows;                   /* training rows the score was measured on */
} ntk_select_entry;

#define NTK_SELECT_TOP 10

typedef struct {
    ntk_arch arch;                 /* chosen depth, activation, σ_w, σ_b, fixed layers */
    ntk_kernel_kind kind;
    double reg_rel;                /* chosen ridge, × mean(diag Θ) */
    double tau;                    /* chosen relative time (INFINITY for t = ∞) */
    double time;                   /* τ / mean(diag Θ) of all training rows (time scale mean) */
    double score;                  /* validation accuracy, or RMSE (standardized targets) */
    double mse;                    /* validation mean squared error of the outputs */
    size_t n_candidates;           /* candidates scored (per fold counted once) */
    size_t n_kernels;              /* kernel matrices evaluated (all stages) */
    size_t n_stages;               /* halving stages (1: no halving) */
    size_t final_kernels;          /* kernels scored on all training rows */
    double seconds;
    ntk_select_entry top[NTK_SELECT_TOP]; /* best kernels, best first: finalists by score,
                                      then the others by the stage they reached */
    size_t n_top;
} ntk_select_result;

/* Choose hyperparameters on encoded data X (n×d) with targets y (class index
 * for classification, value for regression). Deterministic for a fixed seed
 * and grid (any thread count). Progress goes to p->progress in work units
 * (stage text names the kernels and rows of the stage). */
NTK_API ntk_status ntk_select(const double *X, size_t n, size_t d, const double *y, ntk_task task,
                      size_t n_classes, const ntk_select_params *p, ntk_select_result *out,
                      ntk_error *err);

#ifdef __cplusplus
}
#endif
#endif

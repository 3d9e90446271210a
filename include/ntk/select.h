/* ntk/select.h — choosing depth, fixed layers, activation, σ_b, kernel kind,
 * ridge and training time by validation.
 *
 * Cheap by structure: one kernel recursion on all training rows yields every
 * depth; each fold's train and validation kernels are sub-blocks of that one
 * matrix (never recomputed); one eigendecomposition per (fold, kernel) scores
 * every (ridge, time) pair as a diagonal rescaling.
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
    size_t folds;                  /* K for stratified K-fold (default 5) */
    const unsigned char *split;    /* optional: split[i] = 1 marks validation rows (one split) */
    uint64_t seed;
    ntk_tie_break tie_break;
    int threads;
    ntk_progress progress;
} ntk_select_params;

/* Defaults as documented on each field. The default grids are static. */
NTK_API void ntk_select_params_init(ntk_select_params *p);

typedef struct {
    ntk_arch arch;                 /* chosen depth, activation, σ_w, σ_b, fixed layers */
    ntk_kernel_kind kind;
    double reg_rel;                /* chosen ridge, × mean(diag Θ) */
    double tau;                    /* chosen relative time (INFINITY for t = ∞) */
    double time;                   /* τ / mean(diag Θ) of all training rows (time scale mean) */
    double score;                  /* validation accuracy, or RMSE (standardized targets) */
    double mse;                    /* validation mean squared error of the outputs */
    size_t n_candidates;           /* candidates scored (per fold counted once) */
    size_t n_kernels;              /* kernel matrices evaluated on all training rows */
    double seconds;
} ntk_select_result;

/* Choose hyperparameters on encoded data X (n×d) with targets y (class index
 * for classification, value for regression). */
NTK_API ntk_status ntk_select(const double *X, size_t n, size_t d, const double *y, ntk_task task,
                      size_t n_classes, const ntk_select_params *p, ntk_select_result *out,
                      ntk_error *err);

#ifdef __cplusplus
}
#endif
#endif

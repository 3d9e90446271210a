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
#include "ntk/svm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    NTK_TIE_MSE = 0,     /* equal accuracy: lower validation MSE of the outputs wins */
    NTK_TIE_SIMPLER = 1  /* equal accuracy: the simpler (earlier enumerated) model wins */
} ntk_tie_break;

/* Which losses compete (classification; regression always selects the square loss). */
typedef enum {
    NTK_SELECT_SQUARE = 0, /* the gradient-flow predictor only (default) */
    NTK_SELECT_HINGE = 1,  /* the C-SVM only: every kernel of the grid x the C grid */
    NTK_SELECT_AUTO = 2    /* both: the square-loss search, then the SVM on its best
                              `hinge_kernels` kernels, the two losses scored on the same
                              validation rows (below) */
} ntk_select_loss;

/* What the C grid is relative to. */
typedef enum {
    NTK_C_RELATIVE = 0,  /* C / mean(diag Θ): the same SVM whatever the kernel's scale
                            (the SVM on s·Θ with C/s is the SVM on Θ with C) */
    NTK_C_ABSOLUTE = 1,  /* C on the kernel as computed */
    NTK_C_PUBLISHED = 2  /* Arora et al.'s kernel normalization (their code, ReLU, σ_b 0):
                            C · d / 2^(depth+1) on ntk's kernel */
} ntk_c_scale;

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
    size_t halving_rows;           /* rows of the first halving stage (default 128);
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
    /* ---- losses (#20). The validation rows both losses are scored on: the
     * split, or the K folds, exactly as the square-loss search's last stage
     * (its scores are reused); under leave-one-out (no closed form for the
     * SVM) `hinge_folds` stratified folds of the first `hinge_rows` rows of
     * the search's stratified order, where the square-loss candidates of the
     * same kernels are re-scored (their whole ridge × time grid) to decide
     * the loss; the square loss keeps its leave-one-out choice if it wins. */
    ntk_select_loss loss;          /* default NTK_SELECT_SQUARE */
    const double *C_grid;          /* default 1e-2, 1e-1, …, 1e4 */
    size_t n_C;
    ntk_c_scale c_scale;           /* default NTK_C_RELATIVE */
    size_t hinge_kernels;          /* AUTO: the best N kernels of the square-loss search
                                      get hinge candidates (default 3; 0: every kernel) */
    size_t hinge_folds;            /* leave-one-out: folds of the comparison (default 3) */
    size_t hinge_rows;             /* leave-one-out: rows of the comparison (default 1500;
                                      0: all the search's rows) */
    ntk_svm_params svm;            /* eps, shrinking, class weights (C is ignored) */
} ntk_select_params;

/* Defaults as documented on each field. The default grids are static. */
NTK_API void ntk_select_params_init(ntk_select_params *p);

/* One ranked candidate kernel: its best (ridge, time) on the largest
 * subsample it reached. */
typedef struct {
    ntk_arch arch;
    ntk_kernel_kind kind;
    double reg_rel, tau;           /* square loss (hinge: NAN, INFINITY) */
    double score;                  /* validation accuracy, or RMSE (standardized targets) */
    double mse;                    /* square loss; NAN for the hinge loss */
    size_t rows;                   /* training rows the score was measured on */
    int hinge;                     /* 0: square loss, 1: hinge loss (C-SVM) */
    double C;                      /* hinge: the C grid value (see c_scale) */
    size_t folds;                  /* validation folds of the score (0: leave-one-out,
                                      1: hold-out) */
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
                                      then the others by the stage they reached; with
                                      both losses, the chosen loss's entries first */
    size_t n_top;
    int hinge;                     /* chosen loss: 0 square, 1 hinge */
    double C;                      /* hinge: C on the kernel of all training rows (the
                                      grid value converted by c_scale) */
    double C_rel;                  /* hinge: the chosen C grid value */
    double loss_score[2];          /* AUTO: the best validation accuracy of each loss
                                      (square, hinge) on the common rows; NAN otherwise */
    size_t compare_rows, compare_folds; /* the common rows (training part) and folds */
    size_t svm_fits;               /* SVMs trained by the selection */
} ntk_select_result;

/* Choose hyperparameters on encoded data X (n×d) with targets y (class index
 * for classification, value for regression). Deterministic for a fixed seed
 * and grid (any thread count). Progress goes to p->progress in work units
 * (stage text names the kernels and rows of the stage). */
NTK_API ntk_status ntk_select(const double *X, size_t n, size_t d, const double *y, ntk_task task,
                      size_t n_classes, const ntk_select_params *p, ntk_select_result *out,
                      ntk_error *err);

/* The SVM's C on a kernel from a C grid value under `scale`: mean_diag is
 * the mean diagonal of the kernel's training rows (NTK_C_RELATIVE), d the
 * input features and depth the candidate's (NTK_C_PUBLISHED). */
NTK_API double ntk_select_hinge_C(ntk_c_scale scale, double C, double mean_diag, size_t d,
                                  int depth);

#ifdef __cplusplus
}
#endif
#endif

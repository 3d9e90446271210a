/* ntk/model.h — a trained NTK predictor: train, predict, save, load.
 *
 * A model holds everything prediction needs — the fitted encoder, the
 * architecture, the encoded training inputs and one coefficient matrix per
 * training time — so `predict` needs no training data (LIBLINEAR's
 * train/predict/save_model/load_model habit).
 *
 * Targets: regression targets are centered and scaled on the training set
 * (unless target_scaling is 0) and predictions are reported in the original
 * units; classification uses centered one-hot targets (1 − 1/k for the true
 * class, −1/k otherwise) and predicts the argmax.
 */
#ifndef NTK_MODEL_H
#define NTK_MODEL_H

#include <stddef.h>

#include "ntk/common.h"
#include "ntk/dataset.h"
#include "ntk/kernel.h"
#include "ntk/nystrom.h"
#include "ntk/solver.h"
#include "ntk/svm.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ntk_engine;

/* Storage precision of the n×n training kernel (ntk_train_params.precision).
 *
 * NTK_PRECISION_FLOAT halves the memory of a fit when it binds: the training
 * kernel is held as float, 4n² bytes instead of 8n² (the largest object of a
 * fit; everything else is O(n·(d + k·n_times))). It is evaluated in double on
 * row blocks of its lower triangle and rounded. Coefficients, predictions and
 * model files stay double.
 *   t = ∞: float Cholesky (spotrf, with a jitter ladder) and mixed-precision
 *     iterative refinement: each step computes R = Y − (Θ + λI)·C in double
 *     from kernel rows re-evaluated in double (O(n²) kernel work per step)
 *     and corrects C by the float solve of R. It stops when the normwise
 *     backward error reaches double rounding level (or stops falling, or
 *     after refine_max steps); coefficients then agree with the double path
 *     to about cond(A)·1e-16. If it cannot get there (A too ill-conditioned
 *     for float: cond(A) ≳ 1e9 on the data measured, e.g. a ridge below
 *     ~1e-5 × mean diag, or none with duplicate rows), jitter
 *     mean(diag Θ)·10^e, e = −7 … −2, is added until it does (reported as
 *     the model's jitter); if even that fails, the iterate with the smallest
 *     residual is returned with refine_converged = 0.
 *   finite times: the path the double solver's rule picks (the Chebyshev
 *     expansion, the Krylov path with a float Cholesky of A + σI projected
 *     on fl(A), or a float eigendecomposition: ssyevd, or ssyevr when
 *     memory is short) on the float matrix, not refined: relative error
 *     1e-10 to 1e-5, growing with t (docs/precision.md).
 * Training predictions are Θ·C with Θ evaluated in double. Only the local
 * engine implements it (ntk_model_train refuses it with another engine). */
typedef enum {
    NTK_PRECISION_DOUBLE = 0, /* float64 kernel (default) */
    NTK_PRECISION_FLOAT = 1   /* float32 kernel, refined t = ∞ solve */
} ntk_precision;

/* Default and largest ntk_train_params.refine_max. */
#define NTK_REFINE_MAX_DEFAULT 30
#define NTK_REFINE_MAX_LIMIT 1000

/* The training loss. SQUARE: the gradient-flow predictor of ntk/solver.h
 * (every requested time). HINGE: the one-vs-one C-SVM of ntk/svm.h on the
 * same training kernel (classification only; times, ridge and learning rate
 * do not apply: the model has one "time", ∞, and its k scores per row are
 * the votes of the pairs, so the argmax is the SVM's label). */
typedef enum { NTK_LOSS_SQUARE = 0, NTK_LOSS_HINGE = 1 } ntk_loss;

typedef struct {
    ntk_arch arch;
    ntk_kernel_kind kind;
    ntk_loss loss;            /* square (default) or hinge */
    ntk_svm_params svm;       /* hinge: C, eps, shrinking, class weights (k, class-index
                               * order), threads */
    ntk_solve_params solve;   /* reg, reg scale, lr, times, time scale, method */
    int target_scaling;       /* 1 (default): standardize regression targets */
    int threads;              /* kernel threads (0 = default) */
    ntk_progress progress;
    const struct ntk_engine *engine; /* where the kernel and solve run; NULL: here */
    ntk_precision precision;  /* kernel storage and solve precision (default double) */
    int refine_max;           /* float, t = ∞: most refinement steps (default 30;
                               * 0: none, the float solve alone — for accuracy studies) */
    /* Scalable path (ntk/nystrom.h). AUTO: Nyström when ntk_nystrom_auto
     * says the dense kernel does not fit (never with an engine: it holds the
     * dense kernel itself); NYSTROM: always (across the engine's processes
     * when it has a nystrom_fit, else in this process). The Nyström
     * path computes in double whatever `precision` says (its largest object
     * is M×M) and ignores solve.method. */
    ntk_solver_choice solver;
    ntk_nystrom_params nystrom;
} ntk_train_params;

/* Defaults: ntk_arch_init, NTK kind, square loss, ntk_svm_params_init,
 * ntk_solve_params_init, target scaling on, double precision, refine_max
 * NTK_REFINE_MAX_DEFAULT. */
NTK_API void ntk_train_params_init(ntk_train_params *p);

/* Returns NULL if valid, else a static message. */
NTK_API const char *ntk_train_params_check(const ntk_train_params *p);

typedef struct {
    ntk_encoder *encoder;     /* owned */
    ntk_arch arch;
    ntk_kernel_kind kind;
    double reg;               /* as given */
    ntk_reg_scale reg_scale;
    double reg_abs;           /* absolute ridge actually used */
    double lr;
    ntk_time_scale time_scale;
    size_t n_times;
    double *times;
    ntk_task task;
    size_t k;                 /* outputs: 1 (regression) or number of classes */
    double y_mean, y_scale;   /* regression: prediction = f·y_scale + y_mean */
    size_t n, d;
    double *X;                /* n×d encoded training inputs */
    double *coef;             /* n_times blocks of n×k */
    /* What the solver had to do (also saved, for the record). */
    double jitter, most_negative, mean_diag;
    size_t n_clamped;
    size_t n_null;            /* t = ∞: null directions left out (not saved) */
    int used_eigen;
    int used_chebyshev;       /* finite times by the Chebyshev expansion (large n) */
    int used_krylov;          /* finite times by the shift-and-invert Krylov space */
    double krylov_estimate;   /* its a posteriori relative error estimate (not saved) */
    /* Wall-clock seconds spent by ntk_model_train (not saved). */
    double seconds_kernel, seconds_solve;
    /* Precision of the fit and, for float, the t = ∞ refinement (the
     * ntk_solution fields of the same names; not saved: a loaded model reads
     * as double, its coefficients are double either way). */
    ntk_precision precision;
    size_t refine_iters;
    double refine_residual0, refine_residual;
    int refine_converged;
    double seconds_refine;    /* part of seconds_solve */
    /* Nyström fit (nystrom = 1): then n = M and X holds the centers, so the
     * model predicts exactly like a dense one. Files: the centers and β_t are
     * the ordinary inputs and coefficients, followed by an optional "NYS1"
     * section (n_train, center_selection, jitter_centers, residual_*; not
     * streamed/seconds_centers) written only for Nyström fits. */
    int nystrom;
    size_t n_train;           /* training rows (= n for a dense fit) */
    ntk_center_method center_selection;
    double jitter_centers;    /* ε added to Θ(C,C) */
    size_t residual_rows;     /* approximation estimate (ntk_nystrom_fit_result) */
    double residual_mean, residual_rel;
    int nystrom_streamed;     /* the cross kernel was evaluated twice, never held whole */
    double seconds_centers;   /* center selection (not part of seconds_kernel) */
    /* Hinge loss (loss = NTK_LOSS_HINGE): coef is NULL, n_times is 1 (t = ∞)
     * and the SVM below holds the duals; C, eps and the class weights are
     * saved with it (model format version 2). */
    ntk_loss loss;
    ntk_svm_model *svm;       /* owned; NULL for the square loss */
    double svm_C, svm_eps;
    double *class_weight;     /* k weights as trained, or NULL (all 1) */
} ntk_model;

/* Train on an encoded data set. Takes ownership of `enc` (freed with the
 * model, also on failure) — an exception to the rule in ntk/common.h, kept
 * for compatibility; ntk_evaluate (ntk/evaluate.h) copies the encoder instead. If train_scores is non-NULL it receives a malloc'ed
 * n_times×n×k array of the fitted outputs at the training inputs (original
 * units for regression, class scores for classification). */
NTK_API ntk_status ntk_model_train(const ntk_dataset *train, ntk_encoder *enc,
                           const ntk_train_params *p, ntk_model **out, double **train_scores,
                           ntk_error *err);

/* Outputs for m encoded rows X (m×d): scores is n_times×m×k (original units
 * for regression). Test kernels are computed in row blocks so memory stays
 * O(block·n) whatever m is. */
NTK_API ntk_status ntk_model_predict(const ntk_model *model, const double *X, size_t m, double *scores,
                             int threads, const ntk_progress *progress, ntk_error *err);

/* ----------------------------------------------------------- engines
 * An engine runs the O(n²)–O(n³) part of training and prediction somewhere
 * else (for example across MPI ranks, see ntk/mpi.h) while the model logic —
 * target encoding, scaling, bookkeeping, files — stays in this library. */

/* One fit: the encoded training rows and the targets as the solver sees them. */
typedef struct {
    const ntk_arch *arch;
    ntk_kernel_kind kind;
    const double *X;          /* n×d, row-major */
    size_t n, d;
    const double *Y;          /* n×k, row-major (scaled / centered one-hot) */
    size_t k;
    const ntk_solve_params *solve; /* want_train_predictions set as needed */
    int threads;
    ntk_progress progress;
    ntk_precision precision;  /* engines other than the local one get only double */
    int refine_max;
} ntk_fit_problem;

typedef struct ntk_engine {
    const char *name;
    /* Kernel + solve: an ntk_solution exactly as ntk_solve would return it
     * (allocated with malloc, freed by ntk_solution_free); *seconds_kernel
     * receives the kernel's share of the time. */
    ntk_status (*fit)(const struct ntk_engine *e, const ntk_fit_problem *pb, ntk_solution **out,
                      double *seconds_kernel, ntk_error *err);
    /* Raw outputs Θ(X, model X)·C_t for every time: rows×k per time, in the
     * solver's (scaled) units; the model unscales them. */
    ntk_status (*predict)(const struct ntk_engine *e, const ntk_model *m, const double *X,
                          size_t rows, double *scores, int threads, const ntk_progress *progress,
                          ntk_error *err);
    void *ctx;
    /* Optional (NULL: the model code runs ntk_nystrom_fit in this process):
     * a Nyström fit shared by the engine's processes, same contract and
     * result as ntk_nystrom_fit (ntk/nystrom.h). */
    ntk_status (*nystrom_fit)(const struct ntk_engine *e, const ntk_arch *a, ntk_kernel_kind kind,
                              const double *X, size_t n, size_t d, const double *Y, size_t k,
                              const ntk_solve_params *sp, const ntk_nystrom_params *np,
                              int threads, ntk_nystrom_fit_result **out, ntk_error *err);
    /* Optional (NULL: streamed training is refused with this engine; #21):
     * ntk_model_train_stream (ntk/stream.h) of the CSV file `path` across the
     * engine's processes — each one reads the file itself and evaluates the
     * cross kernel of its own share of the rows; the Gram is summed. */
    ntk_status (*train_stream)(const struct ntk_engine *e, const char *path,
                               const ntk_read_options *ro, const ntk_encode_options *eo,
                               const ntk_train_params *p, ntk_model **out, size_t *n_train,
                               ntk_error *err);
} ntk_engine;

/* ntk_model_predict on an engine (NULL: this process). */
NTK_API ntk_status ntk_model_predict_engine(const ntk_engine *engine, const ntk_model *model,
                                    const double *X, size_t m, double *scores, int threads,
                                    const ntk_progress *progress, ntk_error *err);

/* Hinge models: the decision values of m encoded rows X (m×d), dec is
 * m × n_pairs (ntk/svm.h's pair order; positive votes for the first class of
 * the pair). NTK_EINPUT for a square-loss model. */
NTK_API ntk_status ntk_model_decision_values(const ntk_model *model, const double *X, size_t m,
                                     double *dec, int threads, const ntk_progress *progress,
                                     ntk_error *err);

/* Class index per row from k scores per row (argmax). */
NTK_API void ntk_scores_to_labels(const double *scores, size_t m, size_t k, size_t *labels);

NTK_API void ntk_model_free(ntk_model *model);

/* ----------------------------------------------------------- model files
 * Versioned binary format: magic "NTKMODEL", format version, explicit
 * little-endian integers and IEEE-754 doubles, section sizes, and a 64-bit
 * FNV-1a checksum of everything before it. A truncated, corrupted or foreign
 * file is rejected with a clear message (NTK_EINPUT); no size read from the
 * file is trusted before it is checked against the bytes present. Version 2
 * (written now) starts the payload with the loss and, for the hinge loss,
 * replaces the coefficient block by the SVM section (support-vector rows,
 * their one-vs-one coefficients, biases, C, eps, class weights); version 1
 * files (square loss only) still load. Layout: README.md, "Model file
 * format, version 2". */

/* Serialize to a malloc'ed buffer. */
NTK_API ntk_status ntk_model_serialize(const ntk_model *model, unsigned char **buf, size_t *size,
                               ntk_error *err);

/* Parse a buffer; `name` is used in messages. */
NTK_API ntk_status ntk_model_deserialize(const unsigned char *buf, size_t size, const char *name,
                                 ntk_model **out, ntk_error *err);

/* Write a model file: ntk_model_serialize, then the bytes go to a temporary
 * file in the same directory which is renamed onto `path` once complete, so
 * `path` holds either its previous contents or the whole new model — never a
 * partial file, and no temporary file is left behind on failure. Paths under
 * /dev/ (e.g. /dev/stdout) are written directly. Errors: NTK_EIO with a
 * message naming `path` (directory missing or unwritable, disk full, ...),
 * NTK_ENOMEM. This is the format `ntk fit -o` writes and ntk_model_load reads. */
NTK_API ntk_status ntk_model_save(const ntk_model *model, const char *path, ntk_error *err);

/* Read a model file (whole file, then ntk_model_deserialize). */
NTK_API ntk_status ntk_model_load(const char *path, ntk_model **out, ntk_error *err);

#ifdef __cplusplus
}
#endif
#endif

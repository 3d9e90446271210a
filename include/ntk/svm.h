/* ntk/svm.h — the C-SVM (hinge loss) on a precomputed kernel.
 *
 * For two classes with labels y_i = ±1 the solver minimizes the standard dual
 *
 *   ½ αᵀQα − Σ α_i,   Q_ij = y_i y_j K_ij,   0 ≤ α_i ≤ C_i,   Σ y_i α_i = 0,
 *
 * by sequential minimal optimization (SMO): two variables per step, chosen
 * with the second-order working-set selection of Fan, Chen & Lin (JMLR 2005),
 * with shrinking (bounded variables that cannot move leave the active set and
 * their gradients are rebuilt from the kernel before the final optimality
 * check). Kernel rows are read straight from the n×n training kernel already
 * in memory: no kernel cache. It stops when the maximal KKT violation
 * m(α) − M(α) (in LIBSVM's notation) falls below eps; eps = 1e-3 is LIBSVM's
 * default. The decision function is f(x) = Σ y_i α_i K(x, x_i) + b with b the
 * mean of −y_i ∇_i over free variables (the midpoint of the feasible interval
 * when none is free), as in the standard dual.
 *
 * Multiclass: one-vs-one with voting, as LIBSVM does. Pair p = (a, b), a < b
 * in class-index order (0,1), (0,2), …, (0,k−1), (1,2), …, is trained on the
 * rows of classes a and b with y = +1 for a; a positive decision value votes
 * for a (LIBSVM's sign; scikit-learn flips it for two classes only). The
 * predicted class has the most votes, ties going to the lower class index.
 * Class weights multiply C per class (C_i = C·w_{class(i)}), LIBSVM's -wi.
 * Pairs are independent and solved in parallel; every result is the same
 * whatever the number of threads (each pair's solve is sequential).
 */
#ifndef NTK_SVM_H
#define NTK_SVM_H

#include <stddef.h>

#include "ntk/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* LIBSVM's default stopping tolerance. */
#define NTK_SVM_EPS_DEFAULT 1e-3

typedef struct {
    double C;                   /* cost > 0 (default 1) */
    double eps;                 /* stopping tolerance on the KKT gap (default 1e-3) */
    int shrinking;              /* 1 (default): shrink bounded variables */
    size_t max_iter;            /* per pair; 0 (default): max(10^7, 100·rows) */
    const double *class_weight; /* k multipliers of C (each > 0), or NULL: all 1 */
    size_t n_class_weight;      /* must be k when class_weight is given */
    int threads;                /* pairs solved at once (0: OpenMP default) */
} ntk_svm_params;

/* Defaults: C 1, eps 1e-3, shrinking on, max_iter 0 (automatic), no weights. */
NTK_API void ntk_svm_params_init(ntk_svm_params *p);

/* NULL if p is valid for k classes, else a static message naming the problem
 * (LIBSVM's svm_check_parameter). */
NTK_API const char *ntk_svm_params_check(const ntk_svm_params *p, size_t k);

/* A trained one-vs-one SVM over n training rows. */
typedef struct {
    size_t k;          /* classes (≥ 2) */
    size_t n;          /* training rows */
    size_t n_pairs;    /* k(k−1)/2 */
    double *coef;      /* n × n_pairs, row-major: y_i α_i of row i in pair p (0 if
                        * row i is not a support vector of p or not in p) */
    double *bias;      /* n_pairs: b of each pair's decision function */
    size_t n_sv;       /* rows with a nonzero coefficient in some pair */
    size_t iterations; /* SMO steps, summed over pairs */
    double max_gap;    /* largest final KKT gap m − M over pairs */
    int hit_max_iter;  /* 1 if some pair stopped at max_iter (gap above eps) */
} ntk_svm_model;

/* Train on n rows whose kernel is K[rows[i]·ld + rows[j]] (rows NULL: the
 * identity, K is n×n with leading dimension ld ≥ n). K must hold both
 * triangles. labels[i] ∈ [0, k) is the class of row i; every class needs at
 * least one row. */
NTK_API ntk_status ntk_svm_train(const double *K, size_t ld, const size_t *rows, size_t n,
                         const size_t *labels, size_t k, const ntk_svm_params *p,
                         ntk_svm_model **out, ntk_error *err);

/* Decision values of m rows: dec (m × n_pairs) = Kx·coef + bias, where Kx is
 * m × model->n with leading dimension ldk (row r holds K(x_r, training row j)
 * at column j). */
NTK_API void ntk_svm_decision(const ntk_svm_model *model, const double *Kx, size_t m, size_t ldk,
                      double *dec);

/* Votes per class (m × k) from decision values (m × n_pairs); the label is the
 * first class with the most votes (ntk_scores_to_labels on the votes). */
NTK_API void ntk_svm_votes(const double *dec, size_t m, size_t k, double *votes);

/* Index of pair (a, b), a < b < k, in the pair order above. */
NTK_API size_t ntk_svm_pair_index(size_t a, size_t b, size_t k);

NTK_API void ntk_svm_model_free(ntk_svm_model *model);

/* ------------------------------------------------------------ selection
 * Hinge candidates for model selection: on one kernel over a data set (n×n,
 * every row), train on the rows `train` for each C of the grid and score the
 * accuracy on the rows `val`. Weights, eps and threads come from p (p->C is
 * ignored). acc receives n_C validation accuracies in [0, 1]; *best the
 * index of the first best C (NULL allowed). */
NTK_API ntk_status ntk_svm_validate(const double *K, size_t ld, const size_t *labels, size_t k,
                            const size_t *train, size_t n_train, const size_t *val,
                            size_t n_val, const double *C_grid, size_t n_C,
                            const ntk_svm_params *p, double *acc, size_t *best, ntk_error *err);

/* Accuracy in [0, 1] of a model trained on rows `train` of K, on rows `test`. */
NTK_API ntk_status ntk_svm_accuracy(const ntk_svm_model *model, const double *K, size_t ld,
                            const size_t *train, const size_t *labels, const size_t *test,
                            size_t n_test, double *acc, ntk_error *err);

#ifdef __cplusplus
}
#endif
#endif

/* ntk/dataset.h — reading tabular CSV data (libcsv) and encoding it into the
 * numeric matrices the kernel works on.
 *
 * Two stages, as in scikit-learn: a table is read as typed columns of text;
 * an encoder is *fitted* on the training table (column types, category levels,
 * means and scales, class labels) and then *applied* unchanged to the training,
 * test and prediction tables, so all of them land in the same feature space.
 */
#ifndef NTK_DATASET_H
#define NTK_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "ntk/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- reading */

typedef struct {
    char delimiter;      /* field separator; ',' by default */
    int has_header;      /* 1 (default): first record holds column names */
} ntk_read_options;

/* Defaults: delimiter ',', header on. */
void ntk_read_options_init(ntk_read_options *opt);

/* A CSV file as text cells. Cells are NUL-terminated UTF-8 strings as they
 * appear after CSV unquoting; `quoted` tells whether a cell was quoted in the
 * file (a quoted "NA" is still missing; a quoted "5" is still the number 5). */
typedef struct {
    char *path;           /* file name used in messages */
    size_t n_rows;        /* data records (header excluded) */
    size_t n_cols;
    char **names;         /* n_cols column names ("" for an unnamed column) */
    char **cells;         /* n_rows*n_cols, row-major; never NULL entries */
    size_t *line;         /* n_rows: 1-based physical line where each record starts */
} ntk_table;

/* Read a whole CSV file. Errors (NTK_EINPUT) name the file, line and column:
 * ragged rows, unterminated quotes, NUL bytes, empty files, duplicate column
 * names are reported, never guessed. Handles a UTF-8 BOM, CRLF, quoted fields
 * with doubled quotes, embedded delimiters and newlines. */
ntk_status ntk_table_read(const char *path, const ntk_read_options *opt,
                          ntk_table **out, ntk_error *err);

/* Parse CSV text held in memory (used by tests and the fuzzer); `name`
 * replaces the file name in messages. */
ntk_status ntk_table_parse(const char *data, size_t size, const char *name,
                           const ntk_read_options *opt, ntk_table **out, ntk_error *err);

void ntk_table_free(ntk_table *t);

/* Resolve a column reference — a column name, or a 1-based index written as
 * digits — to a 0-based index. Names take precedence over indices when a
 * column is literally named "3". Returns NTK_EINPUT naming the reference when
 * nothing matches. */
ntk_status ntk_table_find_column(const ntk_table *t, const char *ref, size_t *index,
                                 ntk_error *err);

/* ------------------------------------------------------------- encoding */

typedef enum { NTK_TASK_AUTO = 0, NTK_TASK_REGRESSION, NTK_TASK_CLASSIFICATION } ntk_task;
typedef enum { NTK_MISSING_IMPUTE = 0, NTK_MISSING_ERROR } ntk_missing_policy;
typedef enum { NTK_STANDARDIZE_ZSCORE = 0, NTK_STANDARDIZE_NONE } ntk_standardize;

typedef enum {
    NTK_COL_NUMERIC = 0,   /* numbers (quoted or not); missing → training mean */
    NTK_COL_BOOLEAN,       /* TRUE/FALSE, true/false, yes/no, y/n → 1/0 */
    NTK_COL_CATEGORICAL,   /* anything else → one-hot, missing is its own level */
    NTK_COL_DROPPED        /* not a feature: dropped by the user, constant, or the target */
} ntk_column_type;

typedef struct {
    const char *target;       /* column name or 1-based index; NULL = last column */
    int no_target;            /* 1: every column is a feature (ntk kernel --no-target) */
    const char *drop;         /* comma-separated column references, or NULL */
    const char *categorical;  /* comma-separated references forced categorical, or NULL */
    ntk_task task;
    ntk_missing_policy missing;
    ntk_standardize standardize;
} ntk_encode_options;

/* Defaults: last column is the target, task auto, impute, zscore. */
void ntk_encode_options_init(ntk_encode_options *opt);

/* How one input column is encoded. */
typedef struct {
    char *name;
    ntk_column_type type;
    char *drop_reason;        /* for NTK_COL_DROPPED: "target", "--drop", "constant", ... */
    size_t n_missing;         /* missing cells seen when fitting */
    size_t n_levels;          /* categorical: number of levels (incl. a missing level) */
    char **levels;            /* categorical: level texts; a missing level is "" */
    size_t first_feature;     /* index of this column's first encoded feature */
    size_t n_features;        /* 1 for numeric/boolean, n_levels for categorical, 0 dropped */
    double fill;              /* numeric/boolean: imputation value (training mean) */
} ntk_encoded_column;

/* The fitted encoder. Plain data so it can be saved in model files. */
typedef struct {
    size_t n_columns;             /* columns of the training table */
    ntk_encoded_column *columns;
    int has_target;
    size_t target_column;         /* index into columns (if has_target) */
    ntk_task task;                /* REGRESSION or CLASSIFICATION after fitting */
    size_t n_classes;             /* classification: number of labels */
    char **class_labels;          /* classification: labels, sorted, compared exactly */
    size_t n_features;            /* encoded feature dimension d */
    double *feature_mean;         /* d: subtracted after encoding (0 if standardize none) */
    double *feature_scale;        /* d: divided after centering (1 if standardize none) */
    ntk_missing_policy missing;
    ntk_standardize standardize;
} ntk_encoder;

/* Encoded data: X is n×d row-major double; y holds the regression target or
 * the class index (as a double) when the table has a target. */
typedef struct {
    size_t n, d;
    double *X;
    double *y;                     /* NULL when no target */
    size_t *source_row;            /* n: 0-based table row each encoded row came from */
    size_t n_skipped_target;       /* rows skipped because their target was missing */
    size_t n_unseen_levels;        /* categorical cells with a level unseen in training */
    size_t n_unseen_labels;        /* target labels unseen in training (rows skipped) */
} ntk_dataset;

/* Fit an encoder on a training table. Fails with NTK_EINPUT (naming column
 * and reason) for an unknown target, a non-numeric regression target, a
 * classification target with a single class, a column that is all missing
 * used as a feature, missing values under NTK_MISSING_ERROR, ... */
ntk_status ntk_encoder_fit(const ntk_table *train, const ntk_encode_options *opt,
                           ntk_encoder **out, ntk_error *err);

/* Encode any table with the columns of the training table (matched by name,
 * or by position for unnamed columns). `with_target`: 1 to read the target
 * column (eval/test data), 0 when it may be absent (predict). */
ntk_status ntk_encoder_apply(const ntk_encoder *enc, const ntk_table *t, int with_target,
                             ntk_dataset **out, ntk_error *err);

void ntk_encoder_free(ntk_encoder *enc);
void ntk_dataset_free(ntk_dataset *ds);

/* ---------------------------------------------------------------- splits */

/* Split rows 0..n-1 into train and test index lists. Classification
 * (labels != NULL, values 0..n_classes-1) is stratified: each class keeps its
 * proportion. Deterministic for a given seed. *n_test = round(test_frac * n)
 * (at least 1, at most n-1). Arrays are malloc'ed. */
ntk_status ntk_split_train_test(size_t n, const double *labels, size_t n_classes,
                                double test_frac, uint64_t seed,
                                size_t **train_idx, size_t *n_train,
                                size_t **test_idx, size_t *n_test, ntk_error *err);

/* Assign each of n rows to one of k folds (fold[i] in 0..k-1), stratified
 * by class when labels != NULL, shuffled by seed; fold sizes differ by at most
 * one. */
ntk_status ntk_kfold_assign(size_t n, const double *labels, size_t n_classes, size_t k,
                            uint64_t seed, size_t *fold, ntk_error *err);

#ifdef __cplusplus
}
#endif
#endif

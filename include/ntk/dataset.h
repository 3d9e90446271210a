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
NTK_API void ntk_read_options_init(ntk_read_options *opt);

/* A CSV file as text cells. Cells are NUL-terminated UTF-8 strings as they
 * appear after CSV unquoting (unquoted fields lose surrounding spaces and
 * tabs). Whether a cell was quoted is not recorded because it changes nothing:
 * a quoted "NA" is still missing; a quoted "5" is still the number 5.
 * Tables are created only by ntk_table_read, ntk_table_parse, ntk_table_subset
 * and ntk_table_from_columns (all text lives in one hidden allocation); free them with
 * ntk_table_free. */
typedef struct {
    char *path;           /* file name used in messages */
    size_t n_rows;        /* data records (header excluded) */
    size_t n_cols;
    char **names;         /* n_cols column names ("" for an unnamed column) */
    char **cells;         /* n_rows*n_cols, row-major; never NULL entries */
    size_t *line;         /* n_rows: 1-based physical line where each record starts */
} ntk_table;

/* Read a whole CSV file. Errors (NTK_EINPUT) name the file, line and column:
 * ragged rows, unterminated quotes, stray quotes, NUL bytes, fields longer
 * than 1 MiB, empty files, a header without data rows and duplicate column
 * names are reported, never guessed; a file that cannot be opened or read
 * (missing, a directory, no permission) is NTK_EINPUT "cannot open FILE:
 * reason". Handles a UTF-8 BOM, CRLF (or bare CR) line ends, quoted fields
 * with doubled quotes, embedded delimiters and newlines. Blank lines are
 * skipped; line numbers count physical lines, including newlines inside
 * quoted fields. Empty column names are allowed and may repeat (address such
 * columns by 1-based index). */
NTK_API ntk_status ntk_table_read(const char *path, const ntk_read_options *opt,
                          ntk_table **out, ntk_error *err);

/* Parse CSV text held in memory (used by tests and the fuzzer); `name`
 * replaces the file name in messages. */
NTK_API ntk_status ntk_table_parse(const char *data, size_t size, const char *name,
                           const ntk_read_options *opt, ntk_table **out, ntk_error *err);

/* One column held in memory, for ntk_table_from_columns: a name and either
 * numbers (`values`, n_rows of them `stride` doubles apart; NaN is a missing
 * cell) or texts (`text`, n_rows NUL-terminated strings; NULL is a missing
 * cell). Exactly one of values and text is set. */
typedef struct {
    const char *name;
    const double *values;
    size_t stride;            /* in doubles; 1 for a contiguous column */
    const char *const *text;
} ntk_column_data;

/* Build a table from columns in memory (used by language bindings: numpy
 * arrays, pandas DataFrames), so that they go through the same encoder as a
 * CSV file. Numbers are stored as the text "%.17g", which reads back as the
 * identical double: a table built from the values of a CSV file encodes to
 * exactly the numbers the file does. Infinities become "inf" (the encoder
 * then refuses them naming the cell). `name` (NULL: "(data)") replaces the
 * file name in messages; row r is reported as line r + 2, as in the CSV
 * file with a header that the table stands for. NTK_EINPUT for no rows or
 * columns, a column without a name or with both/neither of values and
 * text, and duplicate non-empty names. Free with ntk_table_free. */
NTK_API ntk_status ntk_table_from_columns(const ntk_column_data *cols, size_t n_cols, size_t n_rows,
                                  const char *name, ntk_table **out, ntk_error *err);

/* Free a table (NULL is fine). */
NTK_API void ntk_table_free(ntk_table *t);

/* A new table holding rows idx[0..n-1] of t (in that order), with the same
 * columns; used to split a file into training and test parts before the
 * encoder is fitted, so nothing about the test rows leaks into it. */
NTK_API ntk_status ntk_table_subset(const ntk_table *t, const size_t *idx, size_t n, ntk_table **out,
                            ntk_error *err);

/* Resolve a column reference — a column name, or a 1-based index written as
 * digits — to a 0-based index. Names take precedence over indices when a
 * column is literally named "3". Returns NTK_EINPUT naming the reference when
 * nothing matches. */
NTK_API ntk_status ntk_table_find_column(const ntk_table *t, const char *ref, size_t *index,
                                 ntk_error *err);

/* ------------------------------------------------------------- encoding
 *
 * Rules applied by ntk_encoder_fit (over the training rows whose target is
 * present):
 * - Missing cells: "", "NA", "N/A", "?", "NaN", "nan" (case-sensitive, after
 *   trimming spaces/tabs; quoting does not matter). In the target column
 *   "NaN"/"nan" are an error rather than missing (a NaN target is usually a
 *   bug upstream); the other markers skip the row.
 * - Column types: NUMERIC if every non-missing cell is a decimal number
 *   (surrounding spaces allowed; no hex). An infinity ("Inf", "-inf",
 *   "Infinity") or an overflowing number in a numeric column is an error
 *   naming the cell. BOOLEAN if every non-missing cell is a boolean word
 *   (TRUE/True/true, FALSE/False/false, YES/Yes/yes, NO/No/no, Y/y, N/n).
 *   Otherwise CATEGORICAL; `categorical` forces it. Levels are the distinct
 *   texts, compared exactly and sorted by byte order (strcmp); under impute a
 *   column with missing cells gets the extra level "" (first in the order).
 * - Dropped columns (type NTK_COL_DROPPED, drop_reason): the target
 *   ("target"), user drops ("--drop"), constant columns — one distinct
 *   non-missing value and no missing cells ("constant") — and row names: a
 *   FIRST column with an empty header name (while other columns are named)
 *   whose cells are all present and distinct, as written by R's write.csv,
 *   pandas' to_csv and the UCI "_R.dat" files ("row names"). List that
 *   column in `categorical` to keep it as a feature.
 * - A feature column with no value at all (every cell missing) is an error
 *   naming it, unless it is dropped.
 * - Target: `target` (default the last column). Task auto: a numeric target
 *   is regression; a boolean or text target (or one listed in `categorical`)
 *   is classification. Class labels are the exact texts, sorted by byte
 *   order; y is the label's index. Regression with a non-numeric target, a
 *   classification target with one class, or no row with a target is an
 *   error. Under NTK_MISSING_ERROR any missing cell, target included, is an
 *   error naming its file, line and column.
 * - Encoding: numeric as is; boolean 1/0; categorical one-hot over its levels
 *   (a level unseen in training gives an all-zero block, counted in
 *   ntk_dataset.n_unseen_levels). Missing numeric/boolean cells take the
 *   training mean (`fill`); missing categorical cells take the "" level (an
 *   all-zero block when training had no missing cell there, also counted as
 *   unseen).
 * - Standardization NTK_STANDARDIZE_BALANCED (the default): numeric and
 *   boolean features have their training mean subtracted and are divided by
 *   their training population standard deviation (scale 1 if constant); a
 *   categorical column's one-hot levels are centered on their training share
 *   p and scaled by 1/√2 (divided by √2), so that a change of category moves
 *   a row by distance 1 — as one standard deviation of a numeric column does.
 *   NTK_STANDARDIZE_ZSCORE: every encoded feature, one-hot levels included
 *   (like scikit-learn's StandardScaler on the whole design matrix), is
 *   z-scored: a level of share p then sits 1/√(p(1−p)) from its absence, so
 *   rare categories dominate the distances (servo: test R² 0.82 against 0.88
 *   balanced). NTK_STANDARDIZE_NONE: mean 0, scale 1.
 */

typedef enum { NTK_TASK_AUTO = 0, NTK_TASK_REGRESSION, NTK_TASK_CLASSIFICATION } ntk_task;
typedef enum { NTK_MISSING_IMPUTE = 0, NTK_MISSING_ERROR } ntk_missing_policy;
typedef enum {
    NTK_STANDARDIZE_ZSCORE = 0,
    NTK_STANDARDIZE_NONE = 1,
    NTK_STANDARDIZE_BALANCED = 2
} ntk_standardize;

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
NTK_API void ntk_encode_options_init(ntk_encode_options *opt);

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

/* Short names: "numeric", "boolean", "categorical", "dropped";
 * "auto", "regression", "classification". */
NTK_API const char *ntk_column_type_name(ntk_column_type type);
NTK_API const char *ntk_task_name(ntk_task task);

/* Fit an encoder on a training table. Fails with NTK_EINPUT (naming column
 * and reason) for an unknown target, a non-numeric regression target, a
 * classification target with a single class, a column that is all missing
 * used as a feature, missing values under NTK_MISSING_ERROR, ... */
NTK_API ntk_status ntk_encoder_fit(const ntk_table *train, const ntk_encode_options *opt,
                           ntk_encoder **out, ntk_error *err);

/* Encode any table with the columns of the training table (matched by name,
 * or by position for unnamed columns; extra columns are ignored; a missing
 * feature column is NTK_EINPUT naming it). `with_target`: 1 to read the
 * target column (eval/test data: it must be present; rows with a missing
 * target are skipped and counted in n_skipped_target, rows whose label was
 * not seen in training are skipped and counted in n_unseen_labels), 0 to
 * ignore it even when present (predict: every row is kept, y is NULL). Cells
 * that do not fit the fitted type (text in a numeric column, Inf, a
 * non-boolean word in a boolean column) are NTK_EINPUT naming file, line and
 * column. No usable row left is NTK_EINPUT. */
NTK_API ntk_status ntk_encoder_apply(const ntk_encoder *enc, const ntk_table *t, int with_target,
                             ntk_dataset **out, ntk_error *err);

/* Free an encoder: every pointer member (and each string in the arrays) is
 * released with free(), so code that rebuilds an encoder (model loading)
 * must allocate each with malloc. NULL is fine. */
NTK_API void ntk_encoder_free(ntk_encoder *enc);

/* A deep copy of a fitted encoder, as ntk_model_load would rebuild it from a
 * model file (a NULL drop_reason reads back as ""). Free with
 * ntk_encoder_free. NTK_ENOMEM on allocation failure. */
NTK_API ntk_status ntk_encoder_copy(const ntk_encoder *enc, ntk_encoder **out, ntk_error *err);
/* Free a dataset (NULL is fine). */
NTK_API void ntk_dataset_free(ntk_dataset *ds);

/* ---------------------------------------------------------------- splits */

/* Split rows 0..n-1 into train and test index lists. Classification
 * (labels != NULL, values 0..n_classes-1) is stratified: each class keeps its
 * proportion. Deterministic for a given seed. *n_test = round(test_frac * n)
 * (at least 1, at most n-1). Arrays are malloc'ed. */
NTK_API ntk_status ntk_split_train_test(size_t n, const double *labels, size_t n_classes,
                                double test_frac, uint64_t seed,
                                size_t **train_idx, size_t *n_train,
                                size_t **test_idx, size_t *n_test, ntk_error *err);

/* Split a table's rows into a training and a test table (ntk eval
 * --test-frac): the rows are encoded once with a provisional encoder fitted by
 * `opt` on the whole table (only for the class labels and to skip rows whose
 * target is missing), split by ntk_split_train_test (stratified for
 * classification, by seed), and the chosen rows copied from t. Fit the real
 * encoder on *train afterwards so that nothing of the test part leaks into it.
 * NTK_EINPUT when fewer than 2 rows have a target. */
NTK_API ntk_status ntk_table_split_train_test(const ntk_table *t, const ntk_encode_options *opt,
                                      double test_frac, uint64_t seed, ntk_table **train,
                                      ntk_table **test, ntk_error *err);

/* Assign each of n rows to one of k folds (fold[i] in 0..k-1), stratified
 * by class when labels != NULL, shuffled by seed; fold sizes differ by at most
 * one. */
NTK_API ntk_status ntk_kfold_assign(size_t n, const double *labels, size_t n_classes, size_t k,
                            uint64_t seed, size_t *fold, ntk_error *err);

#ifdef __cplusplus
}
#endif
#endif

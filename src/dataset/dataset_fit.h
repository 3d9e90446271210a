/* Private to the dataset module: the encoder fit's pieces shared by the
 * in-memory fit (dataset_encode.c) and the streamed one (dataset_stream_fit.c),
 * so that both compute the same statistics in the same order. */
#ifndef NTK_DATASET_FIT_H
#define NTK_DATASET_FIT_H

#include <stddef.h>

#include "dataset_internal.h"

/* Distinct texts a streamed fit keeps per column (levels, labels). */
#define DS_STREAM_LEVELS_MAX 65536

enum { ROLE_FEATURE = 0, ROLE_TARGET, ROLE_DROP };

/* A cell remembered for a message once its table is gone. */
typedef struct {
    size_t line;
    char *text;
} ds_cell_ref;

/* What one pass over a column's training cells found. */
typedef struct {
    size_t n_missing, n_present;
    size_t first_missing;    /* row of the first missing cell, SIZE_MAX if none */
    size_t first_nonfinite;  /* row of the first Inf/overflow, SIZE_MAX if none */
    size_t first_nonnumber;  /* row of the first cell that is not a number */
    int numeric, boolean;    /* every present cell so far fits the type */
    int num_const, bool_const, text_const;
    double num0, bool0;
    /* running mean and sum of squared deviations (Welford) of the present
     * numeric / boolean values */
    double num_mean, num_m2, bool_mean, bool_m2;
    size_t n_num, n_bool;
    const char *text0;
    /* set when typing: standardization of the column's features */
    double std_mean, std_m2;   /* numeric/boolean */
    double std_unit;           /* > 0: std_m2 is in units of std_unit² (huge values) */
    size_t *level_count;       /* categorical: rows per level */
    /* Streamed fit (dataset_stream_fit.c): what the table is no longer there
     * to give. */
    int streamed;
    char *text0_copy;          /* owns text0 */
    ds_cell_ref missing_ref, nonfinite_ref;
    int distinct;              /* column 0: 1 all present values distinct, 0 not, −1 unknown */
    int levels_lost;           /* more distinct texts than DS_STREAM_LEVELS_MAX */
    char **levels;             /* sorted distinct present texts (+ "" first if missing) */
    size_t *counts;
    size_t n_levels;
} col_stats;


/* The target column's scan so far. */
typedef struct {
    size_t n;                 /* rows with a target */
    ds_cell_ref nonnum, inf;  /* first non-number and infinity (text NULL: none) */
} ds_target_state;

/* Scan the target cells of t: the rows with a target into used[0..*n_used)
 * (row indices of t); NaN targets (and missing ones under --missing error)
 * fail at once naming the cell. */
ntk_status ds_target_scan(const ntk_table *t, const ntk_encode_options *opt, ntk_encoder *enc,
                          ds_target_state *ts, size_t *used, size_t *n_used, ntk_error *err);
void ds_target_state_free(ds_target_state *ts);

/* Task and class labels after the last scan; v[0..nv) the present target
 * texts (repeats allowed, sorted in place; NULL: too many to keep). */
ntk_status ds_target_finish(const ntk_table *t, const ntk_encode_options *opt, int forced_cat,
                            ntk_encoder *enc, const ds_target_state *ts, const char **v,
                            size_t nv, ntk_error *err);

/* Fresh statistics for nc columns. */
void ds_stats_init(col_stats *st, size_t nc);

/* Row-major pass over the used rows of t adding to the statistics (called
 * once for a table, once per chunk for a stream: the same order). */
void ds_scan_columns(const ntk_table *t, const size_t *used, size_t n_used, const int *role,
                     col_stats *st);

/* Free the statistics array and what it owns. NULL is fine. */
void ds_stats_free(col_stats *st, size_t nc);

/* Header-only part of the fit (t supplies the names). */
ntk_status ds_fit_setup(const ntk_table *t, const ntk_encode_options *opt, ntk_encoder *enc,
                        int *role, unsigned char *drop, unsigned char *cat, ntk_error *err);

/* Types, levels and standardization from the statistics; `used` (rows of t)
 * is read only when the statistics are not streamed. */
ntk_status ds_fit_finish(const ntk_table *t, const ntk_encode_options *opt, ntk_encoder *enc,
                         const int *role, const unsigned char *cat, col_stats *st,
                         const size_t *used, size_t n_used, ntk_error *err);

/* Sorted distinct copies of v[0..n-1] (sorted in place), "" first counted
 * lead_count times when lead_empty; counts per level when counts != NULL.
 * Returns the number of levels or SIZE_MAX when out of memory. */
size_t ds_distinct_levels(const char **v, size_t n, int lead_empty, size_t lead_count,
                          char ***out, size_t **counts);

#endif

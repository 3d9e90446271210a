/* Internal pieces shared by the dataset module's files (dataset_*.c):
 * the table's hidden allocation, cell classification and message helpers.
 * Not part of the public API. */
#ifndef NTK_DATASET_INTERNAL_H
#define NTK_DATASET_INTERNAL_H

#include <stddef.h>

#include "ntk/dataset.h"

/* Longest accepted field, in bytes (after unquoting). */
#define DS_FIELD_MAX ((size_t)1 << 20)

/* A table and the one arena holding all of its text (names and cells). The
 * public struct comes first so ntk_table * and table_impl * convert. */
typedef struct {
    ntk_table pub;
    char *arena;
} ds_table_impl;

/* Allocate an empty table (all fields zero) with its hidden part. */
ntk_table *ds_table_alloc(void);

/* ------------------------------------------------------ cell classification */

/* Missing markers, compared after trimming spaces and tabs, case-sensitive:
 * "", "NA", "N/A", "?" (DS_MISSING) and "NaN", "nan" (DS_MISSING_NAN). */
enum { DS_PRESENT = 0, DS_MISSING = 1, DS_MISSING_NAN = 2 };
int ds_missing_kind(const char *s);
static inline int ds_is_missing(const char *s) { return ds_missing_kind(s) != DS_PRESENT; }

/* Decimal numbers: [spaces][+-](digits[.digits]|.digits)[(e|E)[+-]digits][spaces].
 * Hexadecimal, "inf" and "nan" are not numbers. Returns DS_NUM_OK and the
 * value, DS_NUM_NONFINITE for an infinity word ("inf", "-Inf", "Infinity"...)
 * or a number that overflows, DS_NUM_INVALID for anything else. */
enum { DS_NUM_OK = 0, DS_NUM_NONFINITE = 1, DS_NUM_INVALID = 2 };
int ds_parse_number(const char *s, double *out);

/* Boolean words (after trimming): TRUE/True/true/YES/Yes/yes/Y/y → 1,
 * FALSE/False/false/NO/No/no/N/n → 0. Returns 1 and sets *out if s is one. */
int ds_parse_bool(const char *s, double *out);

/* ---------------------------------------------------------------- messages */

/* Write s into buf as a quoted, escaped, truncated snippet: 'abc', with
 * non-printable bytes as \xNN (\n, \r, \t by name), quotes and backslashes
 * escaped, and "..." after ~40 characters. */
void ds_snippet(char *buf, size_t n, const char *s, size_t len);

/* Describe column c of a table for messages: "column 3 ('age')" or
 * "column 3 (unnamed)". */
void ds_column_label(char *buf, size_t n, const char *name, size_t c);

/* Physical line where cell (r, c) starts: the record's line plus the
 * newlines inside the quoted cells before it. */
size_t ds_cell_line(const ntk_table *t, size_t r, size_t c);

/* Encode the rows of t with enc; colmap[j] is t's column for the encoder's
 * column j. Standardizes when `standardize` (ntk_encoder_apply's engine; the
 * fit calls it unstandardized to measure means and scales). */
ntk_status ds_encode(const ntk_encoder *enc, const ntk_table *t, const size_t *colmap,
                     int with_target, int standardize, ntk_dataset **out, ntk_error *err);

/* ds_encode; allow_empty: no usable row gives n = 0 rather than an error. */
ntk_status ds_encode_rows(const ntk_encoder *enc, const ntk_table *t, const size_t *colmap,
                          int with_target, int standardize, int allow_empty, ntk_dataset **out,
                          ntk_error *err);

/* Ask for transparent huge pages on the 2 MiB-aligned part of a large heap
 * block (fewer page faults when it is first written). A hint only. */
void ds_advise_huge(void *p, size_t bytes);

/* ---------------------------------------------------------------- parser
 * The CSV parser behind ntk_table_parse and the chunked reader: text is fed
 * in pieces of any size; tables are taken out every so many rows. */
typedef struct ds_parser ds_parser;

/* A parser for text named `name` (kept by pointer: it must outlive the
 * parser). `head` (the start of the text) decides the line separator as
 * ntk_table_parse does; `reserve` bytes of text are reserved up front. */
ntk_status ds_parser_new(const char *name, const ntk_read_options *opt, const char *head,
                         size_t head_len, size_t reserve, ds_parser **out, ntk_error *err);
void ds_parser_free(ds_parser *p);

/* Feed text; stops early, between records at a line end, once stop_rows data
 * rows are held. *consumed: bytes used (the rest must be fed again). */
ntk_status ds_parser_feed(ds_parser *p, const char *data, size_t size, size_t stop_rows,
                          size_t *consumed);

/* End of the text: the last record, unterminated quotes, empty text. */
ntk_status ds_parser_finish(ds_parser *p);

/* Data rows held now; the header's line; where errors go from now on. */
size_t ds_parser_rows(const ds_parser *p);
size_t ds_parser_header_line(const ds_parser *p);
void ds_parser_set_error(ds_parser *p, ntk_error *err);

/* The rows held as a table (the header checked for duplicate names when
 * check_header); the parser then starts over with no rows. */
ntk_status ds_parser_take(ds_parser *p, int check_header, ntk_table **out);

/* Open a file for reading as ntk_table_read does: NTK_EINPUT "no input file
 * given" / "cannot open PATH: reason" (directories included); *st filled. */
struct stat;
ntk_status ds_open_file(const char *path, int *fd, struct stat *st, ntk_error *err);

/* Duplicate a string (NULL on failure). */
char *ds_strdup(const char *s);

#endif

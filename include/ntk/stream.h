/* ntk/stream.h — data larger than memory: a CSV file read in chunks of rows,
 * an encoder fitted over a whole stream, and the Nyström fit fed by row
 * blocks (docs/nystrom.md §8).
 *
 * Every streamed result equals the in-memory one exactly: the chunks go
 * through the same parser (same records, line numbers and messages), the
 * streamed encoder fit accumulates the same statistics in the same row order
 * as ntk_encoder_fit, and the streamed Nyström fit sees the same rows in the
 * same blocks as ntk_nystrom_fit. */
#ifndef NTK_STREAM_H
#define NTK_STREAM_H

#include <stddef.h>

#include "ntk/common.h"
#include "ntk/dataset.h"
#include "ntk/model.h"
#include "ntk/nystrom.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A CSV source read chunk by chunk (a file: a 1 MiB buffer; text in memory:
 * the tests and the fuzzer). Each chunk is an ntk_table of the file's columns
 * holding the next chunk_rows records (a little more when a quoted field
 * spans lines) with their physical line numbers. The line separator is
 * decided on the first MiB (bare '\r' line ends when it holds no '\n'). */
typedef struct ntk_csv_reader ntk_csv_reader;

/* Open a file (NTK_EINPUT "cannot open FILE: reason" as ntk_table_read). */
NTK_API ntk_status ntk_csv_reader_open(const char *path, const ntk_read_options *opt,
                                       size_t chunk_rows, ntk_csv_reader **out, ntk_error *err);

/* Read text in memory (not copied: it must outlive the reader); `name`
 * replaces the file name in messages. */
NTK_API ntk_status ntk_csv_reader_open_memory(const char *data, size_t size, const char *name,
                                              const ntk_read_options *opt, size_t chunk_rows,
                                              ntk_csv_reader **out, ntk_error *err);

/* The next chunk into *chunk (free it with ntk_table_free), or *chunk = NULL
 * at the end. Errors as ntk_table_parse (a file without data rows, ragged
 * rows, ... with file, line and column); duplicate column names are reported
 * with the first chunk. */
NTK_API ntk_status ntk_csv_reader_next(ntk_csv_reader *r, ntk_table **chunk, ntk_error *err);

/* Back to the first record, for another pass. */
NTK_API ntk_status ntk_csv_reader_rewind(ntk_csv_reader *r, ntk_error *err);

/* Free (NULL is fine). */
NTK_API void ntk_csv_reader_free(ntk_csv_reader *r);

/* Fit an encoder over every chunk of r (r is rewound first and left at its
 * end): the encoder ntk_encoder_fit gives on the whole file, bit for bit,
 * and *n_rows, the rows that have a target (what ntk_encoder_apply keeps).
 * Besides ntk_encoder_fit's errors (some reported at a later line than
 * there: the first chunk's duplicate names come first), NTK_EINPUT for what
 * a stream cannot hold: a categorical column or class target with more than
 * 65536 distinct texts, an unnamed first column with that many distinct
 * values (the row-names rule), numbers beyond 1e150 in magnitude. */
NTK_API ntk_status ntk_encoder_fit_stream(ntk_csv_reader *r, const ntk_encode_options *opt,
                                          ntk_encoder **out, size_t *n_rows, ntk_error *err);

/* ntk_encoder_apply for one chunk of a stream: a chunk without a usable row
 * (every target missing) gives a dataset with n = 0 instead of an error. */
NTK_API ntk_status ntk_encoder_apply_chunk(const ntk_encoder *enc, const ntk_table *t,
                                           int with_target, ntk_dataset **out, ntk_error *err);

/* Encoded rows in order, block by block (what the streamed Nyström fit
 * reads). read(ctx, X, max, &got, err) writes the next got ≤ max rows
 * (got·d doubles) and got = 0 at the end; rewind(ctx, err) starts over. */
typedef struct {
    void *ctx;
    ntk_status (*read)(void *ctx, double *X, size_t max, size_t *got, ntk_error *err);
    ntk_status (*rewind)(void *ctx, ntk_error *err);
} ntk_row_stream;

/* ntk_nystrom_fit (ntk/nystrom.h) on rows read from a stream of n rows
 * (rewound first; read again for each pass: the centers and the residual
 * estimate's rows, the Gram, the training predictions if asked). The result
 * equals ntk_nystrom_fit's on the same rows bit for bit. Uniform centers
 * only, no split (NTK_EINPUT otherwise). */
NTK_API ntk_status ntk_nystrom_fit_stream(const ntk_arch *a, ntk_kernel_kind kind,
                                          const ntk_row_stream *rows, size_t n, size_t d,
                                          const double *Y, size_t k, const ntk_solve_params *sp,
                                          const ntk_nystrom_params *np, int threads,
                                          ntk_nystrom_fit_result **out, ntk_error *err);

/* ntk_model_train on a CSV file streamed from disk: the encoder by
 * ntk_encoder_fit_stream (pass 1), the targets (pass 2: 8·n·k bytes kept),
 * then the Nyström path (p->solver must not be DENSE; the hinge loss and
 * float precision are refused) over encoded row blocks: a pass for the
 * centers and the rows of the residual estimate, one for the Gram. The model
 * equals ntk_model_train's on the same file (read, ntk_encoder_fit,
 * ntk_encoder_apply, solver NYSTROM) bit for bit. No training predictions.
 * *n_train: the training rows. r is rewound as needed. */
NTK_API ntk_status ntk_model_train_stream(ntk_csv_reader *r, const ntk_encode_options *eo,
                                          const ntk_train_params *p, ntk_model **out,
                                          size_t *n_train, ntk_error *err);

#ifdef __cplusplus
}
#endif

#endif

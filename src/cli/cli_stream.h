/* ntk fit --stream (#21): the training file read in chunks, never whole
 * (ntk/stream.h), for files larger than memory. */
#ifndef NTK_CLI_STREAM_H
#define NTK_CLI_STREAM_H

#include "cli_opts.h"
#include "ntk/model.h"

/* --stream on|off|auto into *out (1, 0, −1); 0 after a usage message. */
int cli_stream_parse(const char *cmd, const char *arg, int *out);

/* Whether to stream: `stream` 1/0 as given; −1 (auto): when the file is
 * larger than a quarter of the available memory and the fit can stream (no
 * --select, square loss, not --solver dense, double precision, uniform
 * centers). */
int cli_stream_wanted(const char *cmd, int stream, const char *path, const cli_model_opts *o,
                      int select);

/* For --stream on: 1 if the options allow it, else 0 after a usage message. */
int cli_stream_usable(const char *cmd, const cli_model_opts *o, int select);

/* Fit from the file in chunks, save the model, print the report (no
 * training errors: the rows are not kept). Returns the exit code. */
int cli_stream_fit(const char *cmd, const cli_model_opts *o, const char *train,
                   const char *model_path);

/* ntk predict --stream: the rows of `data` read, encoded and predicted a
 * chunk at a time, each chunk's predictions written as they are computed to
 * a temporary file renamed onto out_path at the end (nothing is left on
 * failure). Returns the exit code. */
int cli_stream_predict(const char *cmd, const ntk_model *m, const char *data,
                       const ntk_read_options *ro, const char *out_path, int threads);

/* Whether a file is large enough to stream under auto: over a quarter of the
 * available memory. */
int cli_stream_large(const char *path);

#endif

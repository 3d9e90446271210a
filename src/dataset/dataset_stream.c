/* The chunked CSV reader (ntk/stream.h): a file read 1 MiB at a time (or
 * text in memory) through the parser of ntk_table_parse, a table taken out
 * every chunk_rows records. */
#include "dataset_internal.h"
#include "ntk/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_BUF ((size_t)1 << 20)

struct ntk_csv_reader {
    char *name;
    ntk_read_options opt;
    size_t chunk_rows;
    int fd;                 /* −1: text in memory */
    const char *mem;
    size_t mem_size;
    char *buf;              /* file: pending text buf[pos..len) */
    size_t pos, len;
    int eof, finished, taken_any;
    ds_parser *p;
    ntk_error *err;
};

/* Fill the buffer when it is used up; *n = 0 at the end of the file. */
static ntk_status fill(ntk_csv_reader *r, ntk_error *err)
{
    if (r->fd < 0) {
        r->eof = 1;
        return NTK_OK;
    }
    r->pos = r->len = 0;
    while (r->len < READ_BUF) {
        ssize_t k = read(r->fd, r->buf + r->len, READ_BUF - r->len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return ntk_error_set(err, NTK_EINPUT, "cannot read %s: %s", r->name, strerror(errno));
        if (k == 0) {
            r->eof = 1;
            break;
        }
        r->len += (size_t)k;
    }
    return NTK_OK;
}

ntk_status ntk_csv_reader_rewind(ntk_csv_reader *r, ntk_error *err)
{
    ds_parser_free(r->p);
    r->p = NULL;
    r->eof = r->finished = r->taken_any = 0;
    if (r->fd >= 0) {
        if (lseek(r->fd, 0, SEEK_SET) != 0)
            return ntk_error_set(err, NTK_EINPUT, "cannot read %s: %s", r->name, strerror(errno));
        ntk_status s = fill(r, err);
        if (s != NTK_OK)
            return s;
    } else {
        r->buf = (char *)(uintptr_t)r->mem;
        r->pos = 0;
        r->len = r->mem_size;
    }
    return ds_parser_new(r->name, &r->opt, r->buf + r->pos, r->len - r->pos,
                         r->fd >= 0 ? READ_BUF : r->mem_size, &r->p, err);
}

static ntk_status reader_new(const char *name, const ntk_read_options *opt, size_t chunk_rows,
                             ntk_csv_reader **out, ntk_error *err)
{
    *out = NULL;
    ntk_csv_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->name = ds_strdup(name ? name : "(input)"))) {
        free(r);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    if (opt)
        r->opt = *opt;
    else
        ntk_read_options_init(&r->opt);
    r->chunk_rows = chunk_rows ? chunk_rows : 1;
    r->fd = -1;
    *out = r;
    return NTK_OK;
}

ntk_status ntk_csv_reader_open_memory(const char *data, size_t size, const char *name,
                                      const ntk_read_options *opt, size_t chunk_rows,
                                      ntk_csv_reader **out, ntk_error *err)
{
    ntk_status s = reader_new(name, opt, chunk_rows, out, err);
    if (s != NTK_OK)
        return s;
    (*out)->mem = data;
    (*out)->mem_size = size;
    if ((s = ntk_csv_reader_rewind(*out, err)) != NTK_OK) {
        ntk_csv_reader_free(*out);
        *out = NULL;
    }
    return s;
}

ntk_status ntk_csv_reader_open(const char *path, const ntk_read_options *opt, size_t chunk_rows,
                               ntk_csv_reader **out, ntk_error *err)
{
    *out = NULL;
    int fd;
    struct stat st;
    ntk_status s = ds_open_file(path, &fd, &st, err);
    if (s != NTK_OK)
        return s;
    s = reader_new(path, opt, chunk_rows, out, err);
    if (s != NTK_OK) {
        close(fd);
        return s;
    }
    ntk_csv_reader *r = *out;
    r->fd = fd;
    if (!(r->buf = malloc(READ_BUF)))
        s = ntk_error_set(err, NTK_ENOMEM, "out of memory");
    if (s == NTK_OK)
        s = ntk_csv_reader_rewind(r, err);
    if (s != NTK_OK) {
        ntk_csv_reader_free(r);
        *out = NULL;
    }
    return s;
}

void ntk_csv_reader_free(ntk_csv_reader *r)
{
    if (!r)
        return;
    ds_parser_free(r->p);
    if (r->fd >= 0) {
        close(r->fd);
        free(r->buf);
    }
    free(r->name);
    free(r);
}

ntk_status ntk_csv_reader_next(ntk_csv_reader *r, ntk_table **chunk, ntk_error *err)
{
    *chunk = NULL;
    if (!r->p)
        return ntk_error_set(err, NTK_EINPUT, "%s: the reader failed before", r->name);
    ntk_status s = NTK_OK;
    ds_parser_set_error(r->p, err);
    for (;;) {
        if (r->finished)
            break;
        size_t used = 0;
        if (r->pos < r->len)
            s = ds_parser_feed(r->p, r->buf + r->pos, r->len - r->pos, r->chunk_rows, &used);
        r->pos += used;
        if (s != NTK_OK)
            break;
        if (r->pos < r->len) /* stopped at a full chunk */
            break;
        if (r->eof) {
            s = ds_parser_finish(r->p);
            r->finished = 1;
            break;
        }
        if ((s = fill(r, err)) != NTK_OK)
            break;
    }
    if (s == NTK_OK && ds_parser_rows(r->p) > 0) {
        s = ds_parser_take(r->p, !r->taken_any, chunk);
        r->taken_any = 1;
    } else if (s == NTK_OK && !r->taken_any) {
        s = ntk_error_set(err, NTK_EINPUT, "%s: no data rows (only a header, line %zu)", r->name,
                          ds_parser_header_line(r->p));
    }
    if (s != NTK_OK) {
        ds_parser_free(r->p);
        r->p = NULL;
    }
    return s;
}

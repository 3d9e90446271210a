/* Reading CSV text into an ntk_table with libcsv (see ntk/dataset.h).
 *
 * The input is fed to libcsv one physical line at a time so that every
 * callback knows the line it is on; the start line of a record is the line of
 * its first field minus the newlines inside that (quoted) field. All cell text
 * goes into one growing arena addressed by offsets, turned into pointers at
 * the end: no allocation per cell. */
#include "dataset_internal.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void ntk_read_options_init(ntk_read_options *opt)
{
    opt->delimiter = ',';
    opt->has_header = 1;
}

ntk_table *ds_table_alloc(void)
{
    ds_table_impl *ti = calloc(1, sizeof *ti);
    return ti ? &ti->pub : NULL;
}

void ntk_table_free(ntk_table *t)
{
    if (!t)
        return;
    ds_table_impl *ti = (ds_table_impl *)t;
    free(ti->arena);
    free(t->path);
    free(t->names);
    free(t->cells);
    free(t->line);
    free(ti);
}

/* ------------------------------------------------------------ parse state */

typedef struct {
    const char *name;      /* file name for messages */
    int has_header;
    /* text */
    char *arena;
    size_t arena_len, arena_cap;
    /* header names and data cells as arena offsets; the data cells' offsets
     * are kept in the final char * array and turned into pointers at the end */
    size_t *name_off;
    size_t n_names, name_cap;
    char **cells;
    size_t n_cells, cell_cap;
    size_t *lines;
    size_t n_rows, line_cap;
    size_t n_cols;         /* known after the first record */
    int have_cols;
    size_t header_line;
    /* position */
    size_t cur_line;       /* physical line being fed (1-based) */
    size_t field_in_rec;   /* fields seen so far in the current record */
    size_t rec_line;       /* start line of the current record */
    size_t n_records;
    /* failure */
    int failed;
    ntk_status status;
    ntk_error *err;
} parse_state;

static int fail_set(parse_state *ps, ntk_status st)
{
    ps->failed = 1;
    ps->status = st;
    return 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 1;
    size_t nc = *cap ? *cap : 256;
    while (nc < need) {
        if (nc > ((size_t)-1) / 2 / elem)
            return 0;
        nc *= 2;
    }
    void *q = realloc(*p, nc * elem);
    if (!q)
        return 0;
    if (q != *p)
        ds_advise_huge(q, nc * elem);
    *p = q;
    *cap = nc;
    return 1;
}

static int oom(parse_state *ps)
{
    ntk_error_set(ps->err, NTK_ENOMEM, "%s: out of memory while reading", ps->name);
    return fail_set(ps, NTK_ENOMEM);
}

/* Append text + NUL to the arena; returns its offset through *off. */
static inline int arena_put(parse_state *ps, const char *s, size_t len, size_t *off)
{
    if (ps->arena_len + len + 1 > ps->arena_cap &&
        !grow((void **)&ps->arena, &ps->arena_cap, ps->arena_len + len + 1, 1))
        return oom(ps);
    *off = ps->arena_len;
    memcpy(ps->arena + ps->arena_len, s, len);
    ps->arena[ps->arena_len + len] = '\0';
    ps->arena_len += len + 1;
    return 1;
}

static size_t count_nl(const char *s, size_t len)
{
    size_t n = 0;
    const char *e = s + len;
    while (s < e && (s = memchr(s, '\n', (size_t)(e - s))) != NULL) {
        n++;
        s++;
    }
    return n;
}

static void on_field(void *field, size_t len, void *data)
{
    parse_state *ps = data;
    if (ps->failed)
        return;
    const char *s = field ? field : "";
    if (ps->field_in_rec == 0)
        ps->rec_line = ps->cur_line - count_nl(s, len);
    if (len > DS_FIELD_MAX) {
        ntk_error_set(ps->err, NTK_EINPUT,
                      "%s: line %zu, column %zu: field too long (%zu bytes; the limit is 1 MiB)",
                      ps->name, ps->cur_line - count_nl(s, len), ps->field_in_rec + 1, len);
        fail_set(ps, NTK_EINPUT);
        return;
    }
    size_t off;
    if (ps->has_header && ps->n_records == 0) {
        if (!grow((void **)&ps->name_off, &ps->name_cap, ps->n_names + 1, sizeof(size_t)) ||
            !arena_put(ps, s, len, &off)) {
            if (!ps->failed)
                oom(ps);
            return;
        }
        ps->name_off[ps->n_names++] = off;
    } else if (!ps->have_cols || ps->field_in_rec < ps->n_cols) {
        if ((ps->n_cells == ps->cell_cap &&
             !grow((void **)&ps->cells, &ps->cell_cap, ps->n_cells + 1, sizeof(char *))) ||
            !arena_put(ps, s, len, &off)) {
            if (!ps->failed)
                oom(ps);
            return;
        }
        ps->cells[ps->n_cells++] = (char *)(uintptr_t)off;
    }
    ps->field_in_rec++;
}

static void on_record(int c, void *data)
{
    (void)c;
    parse_state *ps = data;
    if (ps->failed)
        return;
    if (ps->field_in_rec == 0) /* cannot happen with libcsv; be safe */
        return;
    if (!ps->have_cols) {
        ps->n_cols = ps->field_in_rec;
        ps->have_cols = 1;
        ps->header_line = ps->rec_line;
    } else if (ps->field_in_rec != ps->n_cols) {
        ntk_error_set(ps->err, NTK_EINPUT, "%s: line %zu: expected %zu field%s, found %zu", ps->name,
                      ps->rec_line, ps->n_cols, ps->n_cols == 1 ? "" : "s", ps->field_in_rec);
        fail_set(ps, NTK_EINPUT);
        return;
    }
    if (!(ps->has_header && ps->n_records == 0)) {
        if (!grow((void **)&ps->lines, &ps->line_cap, ps->n_rows + 1, sizeof(size_t))) {
            oom(ps);
            return;
        }
        ps->lines[ps->n_rows++] = ps->rec_line;
    }
    ps->n_records++;
    ps->field_in_rec = 0;
}

/* Report a libcsv strict-mode error at `at` inside the line `line..line_end`. */
static void parse_error(parse_state *ps, const char *line, const char *line_end, const char *at,
                        char delim)
{
    const char *b = at;
    while (b > line && b[-1] != delim)
        b--;
    const char *e = at;
    while (e < line_end && *e != delim && *e != '\n' && *e != '\r')
        e++;
    if (e == at && e < line_end)
        e++;
    char snip[160];
    ds_snippet(snip, sizeof snip, b, (size_t)(e - b));
    const char *what = *at == '"' ? "quote inside an unquoted field (quotes must be doubled inside "
                                    "quoted fields)"
                                  : "text after the closing quote of a field";
    ntk_error_set(ps->err, NTK_EINPUT, "%s: line %zu, column %zu: %s: %s", ps->name, ps->cur_line,
                  ps->field_in_rec + 1, what, snip);
    fail_set(ps, NTK_EINPUT);
}

static void free_state(parse_state *ps)
{
    free(ps->arena);
    free(ps->name_off);
    free(ps->cells);
    free(ps->lines);
}

/* Build the table from a finished parse (takes the arena). */
static ntk_status build_table(parse_state *ps, const char *name, ntk_table **out, ntk_error *err)
{
    ntk_table *t = ds_table_alloc();
    if (!t)
        return ntk_error_set(err, NTK_ENOMEM, "%s: out of memory", name);
    ds_table_impl *ti = (ds_table_impl *)t;
    t->path = ds_strdup(name);
    t->n_rows = ps->n_rows;
    t->n_cols = ps->n_cols;
    t->names = malloc((ps->n_cols ? ps->n_cols : 1) * sizeof *t->names);
    if (!t->path || !t->names) {
        ntk_table_free(t);
        return ntk_error_set(err, NTK_ENOMEM, "%s: out of memory", name);
    }
    /* An empty string for unnamed columns: the arena's last byte is a NUL. */
    ti->arena = ps->arena;
    ps->arena = NULL;
    for (size_t j = 0; j < ps->n_cols; j++)
        t->names[j] = ps->has_header ? ti->arena + ps->name_off[j]
                                     : ti->arena + ps->arena_len - 1;
    char **cells = ps->cells;
    for (size_t k = 0; k < ps->n_cells; k++)
        cells[k] = ti->arena + (uintptr_t)cells[k];
    t->cells = cells;
    ps->cells = NULL;
    t->line = ps->lines;
    ps->lines = NULL;
    if (!t->line && !(t->line = malloc(sizeof *t->line))) {
        ntk_table_free(t);
        return ntk_error_set(err, NTK_ENOMEM, "%s: out of memory", name);
    }
    *out = t;
    return NTK_OK;
}

typedef struct {
    const char *s;
    size_t i;
} name_idx;

static int cmp_name_idx(const void *a, const void *b)
{
    const name_idx *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    return c ? c : (x->i < y->i ? -1 : x->i > y->i);
}

/* Duplicate non-empty column names are an error (empty names may repeat). */
static ntk_status check_duplicates(const ntk_table *t, size_t header_line, ntk_error *err)
{
    size_t n = t->n_cols;
    if (n < 2)
        return NTK_OK;
    name_idx *idx = malloc(n * sizeof *idx);
    if (!idx)
        return ntk_error_set(err, NTK_ENOMEM, "%s: out of memory", t->path);
    for (size_t j = 0; j < n; j++) {
        idx[j].s = t->names[j];
        idx[j].i = j;
    }
    qsort(idx, n, sizeof *idx, cmp_name_idx);
    ntk_status s = NTK_OK;
    for (size_t k = 1; k < n; k++) {
        const char *a = idx[k - 1].s, *b = idx[k].s;
        if (a[0] && strcmp(a, b) == 0) {
            char snip[160];
            ds_snippet(snip, sizeof snip, a, strlen(a));
            s = ntk_error_set(err, NTK_EINPUT,
                              "%s: line %zu: duplicate column name %s (columns %zu and %zu)",
                              t->path, header_line, snip, idx[k - 1].i + 1, idx[k].i + 1);
            break;
        }
    }
    free(idx);
    return s;
}

/* ------------------------------------------------------------- the parser
 * One parser serves ntk_table_parse (all the text in one feed) and the
 * chunked reader (dataset_stream.c: the file fed piece by piece, a table
 * taken every chunk_rows rows), so both see the same records, lines and
 * errors. */

struct ds_parser {
    parse_state ps;
    struct csv_parser cp;
    char delim, sep;
    int started;          /* the BOM check is done */
    int cp_ready;
};

/* Lines end at '\n'; text with only bare '\r' line ends (old Mac) uses '\r'.
 * `head` is the whole text, or the first piece of a streamed file. */
static char detect_sep(const char *head, size_t len)
{
    if (!memchr(head, '\n', len) && memchr(head, '\r', len))
        return '\r';
    return '\n';
}

ntk_status ds_parser_new(const char *name, const ntk_read_options *opt, const char *head,
                         size_t head_len, size_t reserve, ds_parser **out, ntk_error *err)
{
    ntk_read_options defaults;
    if (!opt) {
        ntk_read_options_init(&defaults);
        opt = &defaults;
    }
    *out = NULL;
    char delim = opt->delimiter ? opt->delimiter : ',';
    if (delim == '"' || delim == '\n' || delim == '\r')
        return ntk_error_set(err, NTK_EINPUT, "invalid delimiter '%s'",
                             delim == '"' ? "\\\"" : delim == '\n' ? "\\n" : "\\r");
    ds_parser *p = calloc(1, sizeof *p);
    if (!p)
        return ntk_error_set(err, NTK_ENOMEM, "%s: out of memory", name);
    parse_state *ps = &p->ps;
    ps->name = name;
    ps->has_header = opt->has_header != 0;
    ps->err = err;
    ps->cur_line = 1;
    p->delim = delim;
    if (head_len >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0) {
        head += 3;
        head_len -= 3;
    }
    p->sep = detect_sep(head, head_len);
    /* Reserve for the text and for cells of 4 bytes or more: large blocks
     * are mapped lazily, so unused reserve costs no memory. */
    if (!grow((void **)&ps->arena, &ps->arena_cap, reserve + reserve / 8 + 64, 1) ||
        !grow((void **)&ps->cells, &ps->cell_cap,
              reserve / 4 < ((size_t)1 << 26) ? reserve / 4 + 64 : (size_t)1 << 26,
              sizeof(char *))) {
        ds_parser_free(p);
        return ntk_error_set(err, NTK_ENOMEM, "%s: out of memory (%zu bytes of text)", name,
                             reserve);
    }
    if (csv_init(&p->cp, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        ds_parser_free(p);
        return ntk_error_set(err, NTK_ENOMEM, "%s: cannot initialize the CSV parser", name);
    }
    p->cp_ready = 1;
    csv_set_delim(&p->cp, (unsigned char)delim);
    csv_set_blk_size(&p->cp, 65536);
    *out = p;
    return NTK_OK;
}

void ds_parser_free(ds_parser *p)
{
    if (!p)
        return;
    if (p->cp_ready)
        csv_free(&p->cp);
    free_state(&p->ps);
    free(p);
}

size_t ds_parser_rows(const ds_parser *p) { return p->ps.n_rows; }

size_t ds_parser_header_line(const ds_parser *p) { return p->ps.header_line; }

void ds_parser_set_error(ds_parser *p, ntk_error *err) { p->ps.err = err; }

ntk_status ds_parser_feed(ds_parser *pr, const char *data, size_t size, size_t stop_rows,
                          size_t *consumed)
{
    parse_state *ps = &pr->ps;
    struct csv_parser *cp = &pr->cp;
    const char *p = data, *end = data + size;
    const char *name = ps->name;
    *consumed = 0;
    if (ps->failed)
        return ps->status;
    if (!pr->started) {
        pr->started = 1;
        if (size >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
            p += 3;
    }
    const char *nul = memchr(p, '\0', (size_t)(end - p));
    while (p < end && !ps->failed) {
        /* A chunk ends between records: at a line end with no record open. */
        if (ps->n_rows >= stop_rows && ps->field_in_rec == 0 && cp->pstate == 0)
            break;
        const char *nl = memchr(p, pr->sep, (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        if (nul && nul < p + len) {
            /* Parse up to the NUL so the column is known, then stop. */
            size_t pre = (size_t)(nul - p);
            size_t done = csv_parse(cp, p, pre, on_field, on_record, ps);
            if (!ps->failed && done < pre)
                parse_error(ps, p, p + len, p + done, pr->delim);
            if (!ps->failed) {
                ntk_error_set(ps->err, NTK_EINPUT,
                              "%s: line %zu, column %zu: NUL byte in input (binary file?)", name,
                              ps->cur_line, ps->field_in_rec + 1);
                fail_set(ps, NTK_EINPUT);
            }
            break;
        }
        size_t done = csv_parse(cp, p, len, on_field, on_record, ps);
        if (ps->failed)
            break;
        if (done < len) {
            parse_error(ps, p, p + len, p + done, pr->delim);
            break;
        }
        if (cp->entry_pos > DS_FIELD_MAX) {
            size_t start = ps->cur_line - count_nl((const char *)cp->entry_buf, cp->entry_pos);
            if (nl && cp->quoted)
                start++; /* the newline just fed is inside the field */
            ntk_error_set(ps->err, NTK_EINPUT,
                          "%s: line %zu, column %zu: field too long (over 1 MiB)%s", name,
                          start, ps->field_in_rec + 1, cp->quoted ? "; unterminated quote?" : "");
            fail_set(ps, NTK_EINPUT);
            break;
        }
        p += len;
        if (nl)
            ps->cur_line++;
    }
    *consumed = (size_t)(p - data);
    return ps->failed ? ps->status : NTK_OK;
}

ntk_status ds_parser_finish(ds_parser *pr)
{
    parse_state *ps = &pr->ps;
    struct csv_parser *cp = &pr->cp;
    if (!ps->failed && csv_fini(cp, on_field, on_record, ps) != 0 && !ps->failed) {
        /* Only an unterminated quoted field makes csv_fini fail. All
         * newlines since the quote opened are in the partial field. */
        size_t nl_in = count_nl((const char *)cp->entry_buf, cp->entry_pos);
        size_t start = ps->cur_line - nl_in;
        ntk_error_set(ps->err, NTK_EINPUT,
                      "%s: line %zu, column %zu: unterminated quoted field (missing closing quote)",
                      ps->name, start, ps->field_in_rec + 1);
        fail_set(ps, NTK_EINPUT);
    }
    if (ps->failed)
        return ps->status;
    if (ps->n_records == 0)
        return ntk_error_set(ps->err, NTK_EINPUT, "%s: empty file (no %s)", ps->name,
                             ps->has_header ? "header row" : "data rows");
    return NTK_OK;
}

ntk_status ds_parser_take(ds_parser *pr, int check_header, ntk_table **out)
{
    parse_state *ps = &pr->ps;
    *out = NULL;
    size_t off;
    /* Keep one NUL at the arena's end for unnamed columns. */
    if (!arena_put(ps, "", 0, &off))
        return ps->status;
    ntk_table *t = NULL;
    ntk_status s = build_table(ps, ps->name, &t, ps->err);
    if (s == NTK_OK && check_header)
        s = check_duplicates(t, ps->header_line, ps->err);
    if (s != NTK_OK) {
        ntk_table_free(t);
        return s;
    }
    /* Start the next chunk: a new arena holding the header names again. */
    ps->arena = NULL;
    ps->arena_len = ps->arena_cap = 0;
    ps->cells = NULL;
    ps->n_cells = ps->cell_cap = 0;
    ps->lines = NULL;
    ps->n_rows = ps->line_cap = 0;
    for (size_t j = 0; ps->has_header && j < ps->n_names; j++)
        if (!arena_put(ps, t->names[j], strlen(t->names[j]), &ps->name_off[j])) {
            ntk_table_free(t);
            return ps->status;
        }
    *out = t;
    return NTK_OK;
}

ntk_status ntk_table_parse(const char *data, size_t size, const char *name,
                           const ntk_read_options *opt, ntk_table **out, ntk_error *err)
{
    if (!name)
        name = "(input)";
    *out = NULL;
    ds_parser *p = NULL;
    ntk_status s = ds_parser_new(name, opt, data, size, size, &p, err);
    size_t used;
    if (s == NTK_OK)
        s = ds_parser_feed(p, data, size, SIZE_MAX, &used);
    if (s == NTK_OK)
        s = ds_parser_finish(p);
    if (s == NTK_OK && p->ps.n_rows == 0)
        s = ntk_error_set(err, NTK_EINPUT, "%s: no data rows (only a header, line %zu)", name,
                          p->ps.header_line);
    if (s == NTK_OK)
        s = ds_parser_take(p, 1, out);
    ds_parser_free(p);
    return s;
}

ntk_status ds_open_file(const char *path, int *fd_out, struct stat *st, ntk_error *err)
{
    *fd_out = -1;
    if (!path || !path[0])
        return ntk_error_set(err, NTK_EINPUT, "no input file given");
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return ntk_error_set(err, NTK_EINPUT, "cannot open %s: %s", path, strerror(errno));
    int e = fstat(fd, st) != 0 ? errno : S_ISDIR(st->st_mode) ? EISDIR : 0;
    if (e) {
        close(fd);
        return ntk_error_set(err, NTK_EINPUT, "cannot open %s: %s", path, strerror(e));
    }
    *fd_out = fd;
    return NTK_OK;
}

ntk_status ntk_table_read(const char *path, const ntk_read_options *opt, ntk_table **out,
                          ntk_error *err)
{
    *out = NULL;
    int fd;
    struct stat st;
    ntk_status os = ds_open_file(path, &fd, &st, err);
    if (os != NTK_OK)
        return os;
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        /* Map regular files: no copy, pages populated in one go. */
        size_t len = (size_t)st.st_size;
        void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (m != MAP_FAILED) {
            close(fd);
            madvise(m, len, MADV_SEQUENTIAL);
            ntk_status s = ntk_table_parse(m, len, path, opt, out, err);
            munmap(m, len);
            return s;
        }
    }
    size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
    char *buf = ntk_alloc_checked(cap, path, err);
    if (!buf) {
        close(fd);
        return NTK_ENOMEM;
    }
    size_t len = 0;
    for (;;) {
        if (len == cap) {
            size_t nc = cap * 2;
            char *nb = realloc(buf, nc);
            if (!nb) {
                free(buf);
                close(fd);
                return ntk_error_set(err, NTK_ENOMEM, "%s: out of memory while reading", path);
            }
            buf = nb;
            cap = nc;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            close(fd);
            return ntk_error_set(err, NTK_EINPUT, "cannot read %s: %s", path, strerror(e));
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    ntk_status s = ntk_table_parse(buf, len, path, opt, out, err);
    free(buf);
    return s;
}

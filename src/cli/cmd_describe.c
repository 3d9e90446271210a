/* ntk describe — show how a CSV file is read and encoded: rows, each
 * column's inferred type, missing cells, levels, dropped columns and why, the
 * target and task, class counts, and the encoded feature dimension d. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ntk/dataset.h"

static const char *const CMD = "describe";

static void help(void)
{
    printf("usage: ntk describe FILE [options]\n\n"
           "Show how FILE is read and encoded: rows, each column's type, missing cells,\n"
           "levels, dropped columns and why, the target and task, class counts and the\n"
           "encoded feature dimension d.\n\n"
           "Options:\n"
           "  --target COL           target column: name or 1-based index (default: last)\n"
           "  --no-target            every column is a feature\n"
           "  --task T               auto (default), regression or classification\n"
           "  --drop COLS            comma-separated columns to ignore\n"
           "  --categorical COLS     comma-separated columns to one-hot even if numeric\n"
           "  --missing M            impute (default) or error\n"
           "  --delimiter C          field separator: one character, or 'tab' (default ',')\n"
           "  --no-header            the first line is data; columns are named by index\n"
           "  --format F             table (default) or json\n"
           "  -h, --help             show this help\n\n"
           "Exit status: 0 on success, 2 on bad usage or bad input, 1 on other failures.\n");
}

/* Parse a --delimiter value: one character or a name. */
static int parse_delimiter(const char *s, char *out)
{
    static const struct {
        const char *name;
        char c;
    } names[] = {{"tab", '\t'}, {"\\t", '\t'}, {"TAB", '\t'},      {"comma", ','},
                 {"semicolon", ';'}, {"space", ' '}, {"pipe", '|'}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].c;
            return 1;
        }
    if (strlen(s) == 1 && s[0] != '"' && s[0] != '\n' && s[0] != '\r') {
        *out = s[0];
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- JSON */

/* Length of a valid UTF-8 sequence at s (0 if invalid). */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n;
    unsigned min;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        cp = c & 0x1F;
        min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        cp = c & 0x0F;
        min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* A JSON string; bytes that are not valid UTF-8 are read as Latin-1. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
            p++;
        } else if (c == '\n') {
            fputs("\\n", f);
            p++;
        } else if (c == '\r') {
            fputs("\\r", f);
            p++;
        } else if (c == '\t') {
            fputs("\\t", f);
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\u%04x", c);
            p++;
        } else if (c < 0x80) {
            fputc(c, f);
            p++;
        } else {
            size_t n = utf8_len(p);
            if (n) {
                fwrite(p, 1, n, f);
                p += n;
            } else {
                fprintf(f, "\\u%04x", c);
                p++;
            }
        }
    }
    fputc('"', f);
}

static void json_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("null", f);
}

/* ---------------------------------------------------------------- table */

/* Print text for a terminal table: control bytes become '?', long text is
 * cut to `width` bytes with "...". */
static void put_clean(FILE *f, const char *s, size_t width)
{
    size_t n = strlen(s);
    size_t lim = n > width ? (width > 3 ? width - 3 : 0) : n;
    for (size_t i = 0; i < lim; i++) {
        unsigned char c = (unsigned char)s[i];
        fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
    }
    if (n > width)
        fputs("...", f);
}

static size_t clean_width(const char *s, size_t cap)
{
    size_t n = strlen(s);
    return n > cap ? cap : n;
}

typedef struct {
    const ntk_table *t;
    const ntk_encoder *enc;
    const ntk_dataset *ds;
    size_t *class_count;  /* n_classes, classification */
    double y_mean, y_std, y_min, y_max;
    size_t total_missing;
} summary;

static const char *type_label(const summary *S, size_t j)
{
    const ntk_encoded_column *c = &S->enc->columns[j];
    if (S->enc->has_target && j == S->enc->target_column)
        return "target";
    return ntk_column_type_name(c->type);
}

static void print_levels(FILE *f, const ntk_encoded_column *c, size_t max_show)
{
    for (size_t k = 0; k < c->n_levels && k < max_show; k++) {
        fputs(k ? ", " : "levels: ", f);
        if (c->levels[k][0])
            put_clean(f, c->levels[k], 20);
        else
            fputs("(missing)", f);
    }
    if (c->n_levels > max_show)
        fprintf(f, ", ... (%zu more)", c->n_levels - max_show);
}

static void print_table(FILE *f, const summary *S)
{
    const ntk_table *t = S->t;
    const ntk_encoder *enc = S->enc;
    const ntk_dataset *ds = S->ds;
    fprintf(f, "file:      ");
    put_clean(f, t->path, 200);
    fprintf(f, "\nrows:      %zu", t->n_rows);
    if (ds->n != t->n_rows)
        fprintf(f, " (%zu used, %zu skipped: missing target)", ds->n, ds->n_skipped_target);
    fprintf(f, "\ncolumns:   %zu\n", t->n_cols);
    if (enc->has_target) {
        size_t tc = enc->target_column;
        fprintf(f, "target:    ");
        if (t->names[tc][0])
            put_clean(f, t->names[tc], 60);
        else
            fprintf(f, "(unnamed)");
        fprintf(f, " (column %zu)\ntask:      %s", tc + 1, ntk_task_name(enc->task));
        if (enc->task == NTK_TASK_CLASSIFICATION)
            fprintf(f, ", %zu classes", enc->n_classes);
        fputc('\n', f);
    } else {
        fprintf(f, "target:    none (--no-target)\n");
    }
    fprintf(f, "features:  d = %zu (encoded)\n", enc->n_features);
    fprintf(f, "missing:   %zu cells\n\n", S->total_missing);

    size_t wname = 6;
    for (size_t j = 0; j < t->n_cols; j++) {
        size_t w = t->names[j][0] ? clean_width(t->names[j], 30) : 9;
        if (w > wname)
            wname = w;
    }
    fprintf(f, "%4s  %-*s  %-11s  %7s  %6s  %8s  %s\n", "#", (int)wname, "column", "type",
            "missing", "levels", "features", "note");
    for (size_t j = 0; j < t->n_cols; j++) {
        const ntk_encoded_column *c = &enc->columns[j];
        int is_target = enc->has_target && j == enc->target_column;
        fprintf(f, "%4zu  ", j + 1);
        if (t->names[j][0]) {
            put_clean(f, t->names[j], 30);
            fprintf(f, "%*s", (int)(wname - clean_width(t->names[j], 30)), "");
        } else {
            fprintf(f, "%-*s", (int)wname, "(unnamed)");
        }
        fprintf(f, "  %-11s  %7zu  ", type_label(S, j), c->n_missing);
        if (is_target && enc->task == NTK_TASK_CLASSIFICATION)
            fprintf(f, "%6zu", enc->n_classes);
        else if (c->type == NTK_COL_CATEGORICAL)
            fprintf(f, "%6zu", c->n_levels);
        else
            fprintf(f, "%6s", "-");
        if (c->type == NTK_COL_DROPPED)
            fprintf(f, "  %8s", "-");
        else
            fprintf(f, "  %8zu", c->n_features);
        if (is_target || c->type != NTK_COL_NUMERIC || c->n_missing)
            fputs("  ", f);
        int noted = 1;
        if (is_target)
            fprintf(f, "%s", ntk_task_name(enc->task));
        else if (c->type == NTK_COL_DROPPED)
            fprintf(f, "dropped: %s", c->drop_reason ? c->drop_reason : "?");
        else if (c->type == NTK_COL_CATEGORICAL)
            print_levels(f, c, 6);
        else if (c->type == NTK_COL_BOOLEAN)
            fprintf(f, "true=1, false=0");
        else
            noted = 0;
        if (!is_target && c->type != NTK_COL_DROPPED && c->n_missing) {
            fputs(noted ? "; " : "", f);
            if (c->type == NTK_COL_CATEGORICAL)
                fputs("missing is a level", f);
            else
                fprintf(f, "missing -> mean %.6g", c->fill);
        }
        fputc('\n', f);
    }
    if (enc->has_target && enc->task == NTK_TASK_CLASSIFICATION) {
        size_t wl = 5;
        for (size_t k = 0; k < enc->n_classes; k++) {
            size_t w = clean_width(enc->class_labels[k], 40);
            if (w > wl)
                wl = w;
        }
        fprintf(f, "\nclasses:\n  %-*s  %6s  %6s\n", (int)wl, "label", "rows", "share");
        for (size_t k = 0; k < enc->n_classes; k++) {
            fputs("  ", f);
            put_clean(f, enc->class_labels[k], 40);
            fprintf(f, "%*s  %6zu  %5.1f%%\n",
                    (int)(wl - clean_width(enc->class_labels[k], 40)), "", S->class_count[k],
                    100.0 * (double)S->class_count[k] / (double)ds->n);
        }
    } else if (enc->has_target) {
        fprintf(f, "\ntarget summary: mean %.6g, std %.6g, min %.6g, max %.6g\n", S->y_mean,
                S->y_std, S->y_min, S->y_max);
    }
}

static void print_json(FILE *f, const summary *S)
{
    const ntk_table *t = S->t;
    const ntk_encoder *enc = S->enc;
    const ntk_dataset *ds = S->ds;
    fputs("{\"file\": ", f);
    json_str(f, t->path);
    fprintf(f, ", \"rows\": %zu, \"rows_used\": %zu, \"skipped_missing_target\": %zu, "
               "\"n_columns\": %zu, \"missing_cells\": %zu, ",
            t->n_rows, ds->n, ds->n_skipped_target, t->n_cols, S->total_missing);
    if (enc->has_target) {
        fputs("\"target\": {\"name\": ", f);
        json_str(f, t->names[enc->target_column]);
        fprintf(f, ", \"index\": %zu}, \"task\": \"%s\", ", enc->target_column + 1,
                ntk_task_name(enc->task));
    } else {
        fputs("\"target\": null, \"task\": null, ", f);
    }
    fprintf(f, "\"n_features\": %zu,\n \"columns\": [", enc->n_features);
    for (size_t j = 0; j < t->n_cols; j++) {
        const ntk_encoded_column *c = &enc->columns[j];
        fprintf(f, "%s\n  {\"index\": %zu, \"name\": ", j ? "," : "", j + 1);
        json_str(f, t->names[j]);
        fprintf(f, ", \"type\": \"%s\", \"missing\": %zu, ", type_label(S, j), c->n_missing);
        if (c->type == NTK_COL_DROPPED) {
            fputs("\"dropped\": true, \"drop_reason\": ", f);
            json_str(f, c->drop_reason ? c->drop_reason : "");
            fputs(", \"features\": 0", f);
        } else {
            fprintf(f, "\"dropped\": false, \"features\": %zu, \"first_feature\": %zu",
                    c->n_features, c->first_feature);
        }
        if (c->type == NTK_COL_CATEGORICAL) {
            fprintf(f, ", \"n_levels\": %zu, \"levels\": [", c->n_levels);
            for (size_t k = 0; k < c->n_levels; k++) {
                if (k)
                    fputs(", ", f);
                json_str(f, c->levels[k]);
            }
            fputc(']', f);
        }
        if ((c->type == NTK_COL_NUMERIC || c->type == NTK_COL_BOOLEAN) && c->n_missing) {
            fputs(", \"fill\": ", f);
            json_num(f, c->fill);
        }
        fputc('}', f);
    }
    fputs("\n ]", f);
    if (enc->has_target && enc->task == NTK_TASK_CLASSIFICATION) {
        fputs(",\n \"classes\": [", f);
        for (size_t k = 0; k < enc->n_classes; k++) {
            fputs(k ? ", {\"label\": " : "{\"label\": ", f);
            json_str(f, enc->class_labels[k]);
            fprintf(f, ", \"count\": %zu}", S->class_count[k]);
        }
        fputc(']', f);
    } else if (enc->has_target) {
        fputs(",\n \"target_summary\": {\"mean\": ", f);
        json_num(f, S->y_mean);
        fputs(", \"std\": ", f);
        json_num(f, S->y_std);
        fputs(", \"min\": ", f);
        json_num(f, S->y_min);
        fputs(", \"max\": ", f);
        json_num(f, S->y_max);
        fputc('}', f);
    }
    fputs("}\n", f);
}

typedef struct {
    ntk_read_options ropt;
    ntk_encode_options eopt;
    int json;
    const char *path;
} describe_args;

/* Parse the command line into a; returns -1 to go on, else the exit code
 * (help printed, or a usage error reported). */
static int describe_parse(int argc, char **argv, describe_args *a)
{
    enum { O_TARGET = 256, O_NO_TARGET, O_TASK, O_DROP, O_CAT, O_MISSING, O_DELIM, O_FORMAT,
           O_NO_HEADER };
    static const struct option longopts[] = {
        {"target", required_argument, NULL, O_TARGET},
        {"no-target", no_argument, NULL, O_NO_TARGET},
        {"task", required_argument, NULL, O_TASK},
        {"drop", required_argument, NULL, O_DROP},
        {"categorical", required_argument, NULL, O_CAT},
        {"missing", required_argument, NULL, O_MISSING},
        {"delimiter", required_argument, NULL, O_DELIM},
        {"no-header", no_argument, NULL, O_NO_HEADER},
        {"format", required_argument, NULL, O_FORMAT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ntk_read_options_init(&a->ropt);
    ntk_encode_options_init(&a->eopt);
    a->json = 0;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            help();
            return CLI_EXIT_OK;
        case O_TARGET:
            a->eopt.target = optarg;
            break;
        case O_NO_TARGET:
            a->eopt.no_target = 1;
            break;
        case O_TASK:
            if (strcmp(optarg, "auto") == 0)
                a->eopt.task = NTK_TASK_AUTO;
            else if (strcmp(optarg, "regression") == 0)
                a->eopt.task = NTK_TASK_REGRESSION;
            else if (strcmp(optarg, "classification") == 0)
                a->eopt.task = NTK_TASK_CLASSIFICATION;
            else
                return cli_usage(CMD, "option --task expects auto, regression or classification, "
                                      "got '%s'", optarg);
            break;
        case O_DROP:
            a->eopt.drop = optarg;
            break;
        case O_CAT:
            a->eopt.categorical = optarg;
            break;
        case O_MISSING:
            if (strcmp(optarg, "impute") == 0)
                a->eopt.missing = NTK_MISSING_IMPUTE;
            else if (strcmp(optarg, "error") == 0)
                a->eopt.missing = NTK_MISSING_ERROR;
            else
                return cli_usage(CMD, "option --missing expects impute or error, got '%s'", optarg);
            break;
        case O_DELIM:
            if (!parse_delimiter(optarg, &a->ropt.delimiter))
                return cli_usage(CMD, "option --delimiter expects one character (not a quote or "
                                      "newline) or 'tab', got '%s'", optarg);
            break;
        case O_NO_HEADER:
            a->ropt.has_header = 0;
            break;
        case O_FORMAT:
            if (strcmp(optarg, "table") == 0)
                a->json = 0;
            else if (strcmp(optarg, "json") == 0)
                a->json = 1;
            else
                return cli_usage(CMD, "option --format expects table or json, got '%s'", optarg);
            break;
        case ':':
            return cli_usage(CMD, "option %s needs a value", argv[optind - 1]);
        default:
            return cli_usage(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage(CMD, "missing input file");
    if (argc - optind > 1)
        return cli_usage(CMD, "expected one input file, got %d arguments", argc - optind);
    if (a->eopt.no_target && a->eopt.target)
        return cli_usage(CMD, "--target and --no-target cannot be combined");
    a->path = argv[optind];
    return -1;
}

/* The target's summary: counts per class, or range, mean and standard
 * deviation of a numeric target. */
static ntk_status summarize_target(summary *S, ntk_error *err)
{
    const ntk_encoder *enc = S->enc;
    const ntk_dataset *ds = S->ds;
    if (enc->has_target && enc->task == NTK_TASK_CLASSIFICATION) {
        S->class_count = calloc(enc->n_classes, sizeof *S->class_count);
        if (!S->class_count)
            return ntk_error_set(err, NTK_ENOMEM, "out of memory");
        for (size_t i = 0; i < ds->n; i++)
            S->class_count[(size_t)ds->y[i]]++;
    } else if (enc->has_target && ds->n) {
        double s = 0, ss = 0;
        S->y_min = S->y_max = ds->y[0];
        for (size_t i = 0; i < ds->n; i++) {
            s += ds->y[i];
            if (ds->y[i] < S->y_min)
                S->y_min = ds->y[i];
            if (ds->y[i] > S->y_max)
                S->y_max = ds->y[i];
        }
        S->y_mean = s / (double)ds->n;
        for (size_t i = 0; i < ds->n; i++)
            ss += (ds->y[i] - S->y_mean) * (ds->y[i] - S->y_mean);
        S->y_std = sqrt(ss / (double)ds->n);
    }
    return NTK_OK;
}

int ntk_cmd_describe(int argc, char **argv)
{
    describe_args a;
    int parsed = describe_parse(argc, argv, &a);
    if (parsed >= 0)
        return parsed;

    ntk_error err;
    ntk_error_clear(&err);
    ntk_table *t = NULL;
    ntk_encoder *enc = NULL;
    ntk_dataset *ds = NULL;
    summary S;
    memset(&S, 0, sizeof S);
    cli_output out;
    int rc = CLI_EXIT_OK;
    if (ntk_table_read(a.path, &a.ropt, &t, &err) != NTK_OK ||
        ntk_encoder_fit(t, &a.eopt, &enc, &err) != NTK_OK ||
        ntk_encoder_apply(enc, t, 1, &ds, &err) != NTK_OK) {
        rc = cli_fail(CMD, &err);
        goto done;
    }
    S.t = t;
    S.enc = enc;
    S.ds = ds;
    for (size_t j = 0; j < enc->n_columns; j++)
        S.total_missing += enc->columns[j].n_missing;
    if (summarize_target(&S, &err) != NTK_OK) {
        rc = cli_fail(CMD, &err);
        goto done;
    }
    if (cli_output_open(&out, NULL, &err) != NTK_OK) {
        rc = cli_fail(CMD, &err);
        goto done;
    }
    if (a.json)
        print_json(out.f, &S);
    else
        print_table(out.f, &S);
    if (cli_output_commit(&out, &err) != NTK_OK)
        rc = cli_fail(CMD, &err);
done:
    free(S.class_count);
    ntk_dataset_free(ds);
    ntk_encoder_free(enc);
    ntk_table_free(t);
    return rc;
}

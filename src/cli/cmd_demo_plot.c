/* ntk demo — files and pictures: the CSV and gnuplot script written
 * atomically, gnuplot run by fork/exec inside the output directory, pictures
 * renamed into place only when gnuplot succeeded (see demo.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_format.h"
#include "demo.h"

void demo_csv_num(FILE *f, double x)
{
    if (isnan(x)) {
        fputs("NaN", f);
        return;
    }
    char b[40];
    cli_fmt_num(b, sizeof b, x);
    fputs(b, f);
}

void demo_gp_escape(char *out, size_t size, const char *s)
{
    size_t k = 0;
    for (; *s && k + 3 < size; s++) {
        if (*s == '"' || *s == '\\') {
            out[k++] = '\\';
        } else if (strchr("_^@&{}", *s)) {
            out[k++] = '\\';
            out[k++] = '\\';
        }
        out[k++] = *s;
    }
    out[k] = '\0';
}

void demo_arch_text(const ntk_arch *a, char *buf, size_t size)
{
    char act[64];
    ntk_activation_format(&a->act, act, sizeof act);
    snprintf(buf, size, "depth %d, %s, σ_w = %.3g, σ_b = %.3g%s", a->depth, act, a->w_std,
             a->b_std, a->fixed_layers ? ", fixed layers" : "");
    if (a->fixed_layers) {
        size_t l = strlen(buf);
        snprintf(buf + l, size - l, " %d", a->fixed_layers);
    }
}

size_t demo_log_steps(double lo, double hi, size_t per_decade, size_t *out, size_t cap)
{
    size_t k = 0;
    if (lo < 1)
        lo = 1;
    double r = log10(hi / lo);
    size_t m = (size_t)ceil(r * (double)per_decade);
    for (size_t i = 0; i <= m && k < cap; i++) {
        double v = lo * pow(10.0, r * (double)i / (double)(m ? m : 1));
        size_t s = (size_t)llround(v);
        if (k == 0 || s > out[k - 1])
            out[k++] = s;
    }
    return k;
}

int demo_files_open(demo_ctx *c, demo_files *f, int w, int h, const char *columns_doc)
{
    ntk_error err = {0};
    memset(f, 0, sizeof *f);
    if (cli_output_open(&f->csv, NULL, &err) != NTK_OK ||
        cli_output_open(&f->gp, NULL, &err) != NTK_OK) {
        demo_files_discard(f);
        return cli_fail(c->cmd, &err);
    }
    const char *n = c->name;
    FILE *g = f->gp.f;
    fprintf(g, "# ntk demo %s (ntk %s)\n# Made by: %s\n", n, NTK_VERSION, c->cmdline);
    fprintf(g, "# Draw it again, inside this directory:  gnuplot %s.gp\n"
               "#   (writes %s.png and %s.svg; restyle freely below)\n", n, n, n);
    fprintf(g, "# Data: %s.csv, columns: %s\n", n, columns_doc);
    fprintf(g, "if (!exists(\"png_out\")) png_out = \"%s.png\"\n"
               "if (!exists(\"svg_out\")) svg_out = \"%s.svg\"\n"
               "data = \"%s.csv\"\n\n", n, n, n);
    fprintf(g, "do for [out_i = 1:2] {\n"
               "reset\n"
               "set datafile separator comma\n"
               "set datafile columnheaders\n"
               "if (out_i == 1) {\n"
               "    set terminal pngcairo size %d,%d enhanced font \"sans,10\"\n"
               "    set output png_out\n"
               "} else {\n"
               "    set terminal svg size %d,%d dynamic enhanced font \"sans,10\"\n"
               "    set output svg_out\n"
               "}\n", w, h, w, h);
    return 0;
}

void demo_files_discard(demo_files *f)
{
    if (f->csv.f)
        cli_output_discard(&f->csv);
    if (f->gp.f)
        cli_output_discard(&f->gp);
}

/* mkdir -p */
static ntk_status make_dirs(const char *dir, ntk_error *err)
{
    char *p = strdup(dir);
    if (!p)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char keep = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                ntk_status st = ntk_error_set(err, NTK_EIO, "cannot create directory %s: %s", p,
                                              strerror(errno));
                free(p);
                return st;
            }
            *s = keep;
            if (!keep)
                break;
        }
    }
    free(p);
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return ntk_error_set(err, NTK_EIO, "cannot use %s as the output directory: not a directory",
                             dir);
    return NTK_OK;
}

/* Full path of the gnuplot program, or 0 when there is none. */
static int find_gnuplot(char *path, size_t size, const char **asked)
{
    const char *env = getenv("NTK_GNUPLOT");
    const char *prog = env && *env ? env : "gnuplot";
    *asked = prog;
    if (strchr(prog, '/')) {
        snprintf(path, size, "%s", prog);
        return access(path, X_OK) == 0;
    }
    const char *pv = getenv("PATH");
    if (!pv)
        return 0;
    while (*pv) {
        const char *e = strchr(pv, ':');
        size_t l = e ? (size_t)(e - pv) : strlen(pv);
        if (l == 0)
            snprintf(path, size, "./%s", prog);
        else
            snprintf(path, size, "%.*s/%s", (int)l, pv, prog);
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, X_OK) == 0)
            return 1;
        if (!e)
            break;
        pv = e + 1;
    }
    return 0;
}

static char *join(const char *dir, const char *file)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, file) < 0)
        return NULL;
    return p;
}

/* Run gnuplot NAME.gp inside dir with the pictures going to tmp_png/tmp_svg.
 * Returns the exit status, or -1 if it could not run. */
static int run_gnuplot(const char *prog, const char *dir, const char *name, const char *tmp_png,
                       const char *tmp_svg)
{
    char script[256], vars[600];
    snprintf(script, sizeof script, "%s.gp", name);
    snprintf(vars, sizeof vars, "png_out='%s'; svg_out='%s'", tmp_png, tmp_svg);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (chdir(dir) != 0)
            _exit(126);
        dup2(STDERR_FILENO, STDOUT_FILENO); /* gnuplot's chatter never reaches stdout */
        execl(prog, "gnuplot", "-e", vars, script, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int demo_files_commit(demo_ctx *c, demo_files *f)
{
    ntk_error err = {0};
    const char *n = c->name, *dir = c->out_dir;
    fputs("unset multiplot\nset output\n}\n", f->gp.f);
    char fname[256];
    char *csv_path = NULL, *gp_path = NULL, *png_path = NULL, *svg_path = NULL;
    char *tpng_path = NULL, *tsvg_path = NULL;
    char tpng[256], tsvg[256];
    int rc = CLI_EXIT_FAIL;
    snprintf(fname, sizeof fname, "%s.csv", n);
    csv_path = join(dir, fname);
    snprintf(fname, sizeof fname, "%s.gp", n);
    gp_path = join(dir, fname);
    snprintf(fname, sizeof fname, "%s.png", n);
    png_path = join(dir, fname);
    snprintf(fname, sizeof fname, "%s.svg", n);
    svg_path = join(dir, fname);
    snprintf(tpng, sizeof tpng, ".%s.png.tmp%ld", n, (long)getpid());
    snprintf(tsvg, sizeof tsvg, ".%s.svg.tmp%ld", n, (long)getpid());
    tpng_path = join(dir, tpng);
    tsvg_path = join(dir, tsvg);
    if (!csv_path || !gp_path || !png_path || !svg_path || !tpng_path || !tsvg_path) {
        ntk_error_set(&err, NTK_ENOMEM, "out of memory");
        demo_files_discard(f);
        rc = cli_fail(c->cmd, &err);
        goto out;
    }
    f->csv.path = csv_path;
    f->gp.path = gp_path;
    if (make_dirs(dir, &err) != NTK_OK || cli_output_commit(&f->csv, &err) != NTK_OK ||
        cli_output_commit(&f->gp, &err) != NTK_OK) {
        demo_files_discard(f);
        rc = cli_fail(c->cmd, &err);
        goto out;
    }
    mode_t mask = umask(0);
    umask(mask);
    chmod(csv_path, 0666 & ~mask);
    chmod(gp_path, 0666 & ~mask);
    char prog[4096];
    const char *asked;
    if (!find_gnuplot(prog, sizeof prog, &asked)) {
        unlink(png_path);
        unlink(svg_path);
        cli_progress_done();
        fprintf(stderr, "ntk %s: gnuplot not found ('%s'%s): wrote the data %s and the script %s "
                        "but no pictures.\n  To draw them: install gnuplot (Debian: apt-get "
                        "install gnuplot-nox), then run:  cd %s && gnuplot %s.gp\n",
                c->cmd, asked, getenv("NTK_GNUPLOT") ? ", from NTK_GNUPLOT" : " on PATH",
                csv_path, gp_path, dir, n);
        printf("%s\n%s\n", csv_path, gp_path);
        rc = CLI_EXIT_OK;
        goto out;
    }
    int gs = run_gnuplot(prog, dir, n, tpng, tsvg);
    struct stat s1, s2;
    int ok = gs == 0 && stat(tpng_path, &s1) == 0 && s1.st_size > 0 &&
             stat(tsvg_path, &s2) == 0 && s2.st_size > 0;
    if (ok && (rename(tpng_path, png_path) != 0 || rename(tsvg_path, svg_path) != 0)) {
        ntk_error_set(&err, NTK_EIO, "cannot write %s: %s", png_path, strerror(errno));
        unlink(png_path);
        unlink(tpng_path);
        unlink(tsvg_path);
        rc = cli_fail(c->cmd, &err);
        goto out;
    }
    if (!ok) {
        unlink(tpng_path);
        unlink(tsvg_path);
        unlink(png_path);
        unlink(svg_path);
        cli_progress_done();
        if (gs < 0)
            fprintf(stderr, "ntk %s: cannot run %s: %s\n", c->cmd, prog, strerror(errno));
        else
            fprintf(stderr, "ntk %s: %s failed (exit status %d) on %s; the data %s and the script "
                            "are kept: fix and run  cd %s && gnuplot %s.gp\n",
                    c->cmd, prog, gs, gp_path, csv_path, dir, n);
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    printf("%s\n%s\n%s\n%s\n", png_path, svg_path, csv_path, gp_path);
    rc = CLI_EXIT_OK;
out:
    free(csv_path);
    free(gp_path);
    free(png_path);
    free(svg_path);
    free(tpng_path);
    free(tsvg_path);
    return rc;
}

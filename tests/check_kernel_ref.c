/* Kernel module against the independent reference values
 * (tests/data/ref_kernels.txt, converted by tools/ref_to_text.py from
 * ../shared/reference/ref_kernels.json). */
#include <stdlib.h>
#include <string.h>

#include "ntk/kernel.h"
#include "testutil.h"

#define REF_FILE TEST_DATA_DIR "/ref_kernels.txt"

typedef struct {
    char name[32];
    size_t r, c;
    double *v;
} mat_t;

typedef struct {
    char act[32], method[16];
    int depth, extra;
    double w, b;
    mat_t m[6]; /* ntk tt, ntk te-tr, ntk te-te, nngp tt, nngp te-tr, nngp te-te */
} case_t;

static mat_t train, test;
static case_t cases[64];
static int ncases;

/* next non-comment line into buf */
static int next_line(FILE *f, char *buf, size_t n)
{
    while (fgets(buf, (int)n, f))
        if (buf[0] != '#' && buf[0] != '\n')
            return 1;
    return 0;
}

static void read_rows(FILE *f, mat_t *m)
{
    m->v = malloc(sizeof(double) * m->r * m->c);
    ck_assert_ptr_nonnull(m->v);
    for (size_t i = 0; i < m->r * m->c; i++)
        ck_assert_int_eq(fscanf(f, "%lf", &m->v[i]), 1);
    char rest[8];
    (void)!fgets(rest, sizeof rest, f); /* end of the last line */
}

static void load(void)
{
    if (ncases)
        return;
    FILE *f = fopen(REF_FILE, "r");
    ck_assert_msg(f != NULL, "cannot open %s (run tests from the repository root)", REF_FILE);
    static char line[1 << 16];
    case_t *cur = NULL;
    int mi = 0;
    while (next_line(f, line, sizeof line)) {
        char word[32], name[32];
        size_t r, c;
        if (sscanf(line, "inputs %31s %zu %zu", name, &r, &c) == 3) {
            mat_t *m = strcmp(name, "train") == 0 ? &train : &test;
            snprintf(m->name, sizeof m->name, "%s", name);
            m->r = r;
            m->c = c;
            read_rows(f, m);
        } else if (sscanf(line, "case %31s", word) == 1) {
            ck_assert_int_lt(ncases, 64);
            cur = &cases[ncases++];
            ck_assert_int_eq(sscanf(line, "case %31s %d %lf %lf %15s %d", cur->act, &cur->depth,
                                    &cur->w, &cur->b, cur->method, &cur->extra),
                             6);
            mi = 0;
        } else if (sscanf(line, "matrix %31s %zu %zu", name, &r, &c) == 3) {
            ck_assert_ptr_nonnull(cur);
            ck_assert_int_lt(mi, 6);
            mat_t *m = &cur->m[mi++];
            snprintf(m->name, sizeof m->name, "%s", name);
            m->r = r;
            m->c = c;
            read_rows(f, m);
        } else {
            ck_abort_msg("bad line in %s: %s", REF_FILE, line);
        }
    }
    fclose(f);
    ck_assert_int_eq(ncases, 18);
}

static double compare(const double *got, const mat_t *want)
{
    double mx = 0, md = 0;
    for (size_t i = 0; i < want->r * want->c; i++) {
        if (fabs(want->v[i]) > mx)
            mx = fabs(want->v[i]);
        double dd = fabs(got[i] - want->v[i]);
        if (!(dd <= md))
            md = isnan(dd) ? INFINITY : dd;
    }
    return md / mx;
}

static void run_case(int ci, int threads)
{
    load();
    const case_t *cs = &cases[ci];
    ntk_arch a;
    ntk_arch_init(&a);
    ntk_error err = {0};
    ck_assert_int_eq(ntk_activation_parse(cs->act, &a.act, &err), NTK_OK);
    a.depth = cs->depth;
    a.w_std = cs->w;
    a.b_std = cs->b;
    ck_assert_ptr_null(ntk_arch_check(&a));
    double tol = strcmp(cs->method, "quad") == 0 ? 1e-9 : 1e-12;
    ntk_kernel_options opt = {.threads = threads};
    double worst = 0;
    for (int k = 0; k < 6; k++) {
        const mat_t *m = &cs->m[k];
        ntk_kernel_kind kind = k < 3 ? NTK_KIND_NTK : NTK_KIND_NNGP;
        double *out = malloc(sizeof(double) * m->r * m->c);
        ck_assert_ptr_nonnull(out);
        ntk_status st;
        if (k % 3 == 0)
            st = ntk_kernel_eval(&a, kind, train.v, train.r, NULL, 0, 3, out, &opt, &err);
        else if (k % 3 == 1)
            st = ntk_kernel_eval(&a, kind, test.v, test.r, train.v, train.r, 3, out, &opt, &err);
        else
            st = ntk_kernel_eval(&a, kind, test.v, test.r, NULL, 0, 3, out, &opt, &err);
        ck_assert_msg(st == NTK_OK, "%s", err.msg);
        double e = compare(out, m);
        if (e > worst)
            worst = e;
        ck_assert_msg(e <= tol, "case %d (%s depth %d w %g b %g) %s: relative error %.3g > %g",
                      ci, cs->act, cs->depth, cs->w, cs->b, m->name, e, tol);
        free(out);
    }
    if (threads == 1)
        printf("ref case %2d %-5s depth %d w_std %.4f b_std %.1f: max error %.2e of max entry\n",
               ci, cs->act, cs->depth, cs->w, cs->b, worst);
}

START_TEST(test_ref_case)
{
    run_case(_i, 1);
}
END_TEST

START_TEST(test_ref_case_threads)
{
    load();
    if (strcmp(cases[_i].method, "quad") == 0)
        return; /* slow per-entry quadrature: once is enough */
    run_case(_i, 2);
}
END_TEST

/* every depth at once reproduces the per-depth reference cases */
START_TEST(test_ref_depths)
{
    load();
    for (int ci = 0; ci < ncases; ci += 3) {
        const case_t *cs = &cases[ci + 2];
        ck_assert_int_eq(cs->depth, 3);
        ntk_arch a;
        ntk_arch_init(&a);
        ntk_error err = {0};
        ck_assert_int_eq(ntk_activation_parse(cs->act, &a.act, &err), NTK_OK);
        a.depth = 3;
        a.w_std = cs->w;
        a.b_std = cs->b;
        size_t n = test.r * train.r;
        double *buf = malloc(sizeof(double) * n * 8);
        double *ntk[4], *nngp[4];
        for (int l = 0; l < 4; l++) {
            ntk[l] = buf + (size_t)l * n;
            nngp[l] = buf + (size_t)(4 + l) * n;
        }
        ck_assert_int_eq(ntk_kernel_eval_depths(&a, test.v, test.r, train.v, train.r, 3, ntk,
                                                nngp, NULL, &err),
                         NTK_OK);
        double tol = strcmp(cs->method, "quad") == 0 ? 1e-9 : 1e-12;
        for (int l = 1; l <= 3; l++) {
            const case_t *cl = &cases[ci + l - 1];
            ck_assert_int_eq(cl->depth, l);
            ck_assert(compare(ntk[l], &cl->m[1]) <= tol);
            ck_assert(compare(nngp[l], &cl->m[4]) <= tol);
        }
        free(buf);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("kernel_ref");
    TCase *tc = tcase_create("ref");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_ref_case, 0, 18);
    tcase_add_loop_test(tc, test_ref_case_threads, 0, 18);
    tcase_add_test(tc, test_ref_depths);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)

/* gemm_thin.c — C = alpha·A·B + beta·C (+ gamma·B, + accumulators) for a thin
 * B (see gemm_thin.h).
 *
 * Layout of the work. B (n×k) is read as Bp, n rows of kp doubles (k rounded
 * up to the vector length, 64-byte aligned): in place if the caller stores it
 * so (gemm_thin_ld), else from a zero-padded copy made once per call. The rows
 * of A are cut into groups of R rows handed to the threads dynamically; a
 * group walks the columns of A in slices of jb (so that jb rows of Bp, a few
 * hundred KiB, stay in the core's L2) and within a slice sweeps panels of MR
 * rows. A micro-kernel keeps an MR × (nv·VL) block of partial sums in vector
 * registers, and for every column j of the slice broadcasts A[r][j] of each of
 * the MR rows (MR sequential streams through A) and multiplies it by row j of
 * Bp. Partial sums live in a per-thread MR..R × kp buffer W between slices;
 * after the last slice the epilogue forms C and the accumulators of the group.
 *
 * Every element of A is loaded from memory once per call; Bp is re-read from
 * the shared cache once per group (kp/R of A's traffic). When k needs more
 * than one register block (nv·VL columns), the panel's MR × jb tile of A is
 * re-read from L1/L2 per block, not from memory.
 *
 * The kernels are written once with GCC vector extensions and compiled per ISA
 * through target attributes (AVX-512, AVX2+FMA, and the build's baseline);
 * the choice is made once at run time from the CPU's features. */
#include "gemm_thin.h"

#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef double v8d __attribute__((vector_size(64)));
typedef double v4d __attribute__((vector_size(32)));
typedef double v2d __attribute__((vector_size(16)));

typedef void (*thin_kernel)(size_t jb, const double *restrict A, size_t lda,
                            const double *restrict B, size_t ldb, double *restrict W, size_t ldw,
                            int first);

/* Bytes of Bp per column slice: leaves most of a 1 MiB L2 to the A streams
 * and W. */
#define SLICE_BYTES ((size_t)256 << 10)
/* Largest row group (rows of A per scheduling unit). */
#define GROUP_MAX 512
#define NV_MAX 4
/* Bytes of a group's transposed A tile (gemm_thin_tn): R × jb doubles. */
#define TILE_BYTES ((size_t)192 << 10)

/* MR rows × NV vectors of VL doubles; A rows at stride lda, Bp rows at stride
 * ldb, W rows at stride ldw. first: start from zero instead of W. */
#define DEFINE_KERNEL(SUF, ATTR, VT, VL, MR, NV)                                     \
    ATTR static void kern_##SUF##_##MR##_##NV(size_t jb, const double *restrict A,   \
                                              size_t lda, const double *restrict B,  \
                                              size_t ldb, double *restrict W,        \
                                              size_t ldw, int first)                 \
    {                                                                                \
        VT acc[MR][NV];                                                              \
        _Pragma("GCC unroll 16") for (int r = 0; r < MR; r++)                        \
            _Pragma("GCC unroll 16") for (int v = 0; v < NV; v++)                    \
                acc[r][v] = first ? (VT){0} : *(const VT *)(W + r * ldw + v * VL);   \
        for (size_t j = 0; j < jb; j++) {                                            \
            VT b[NV];                                                                \
            _Pragma("GCC unroll 16") for (int v = 0; v < NV; v++)                    \
                b[v] = *(const VT *)(B + j * ldb + v * VL);                          \
            _Pragma("GCC unroll 16") for (int r = 0; r < MR; r++)                    \
            {                                                                        \
                VT a = A[r * lda + j] - (VT){0};                                     \
                _Pragma("GCC unroll 16") for (int v = 0; v < NV; v++)                \
                    acc[r][v] += a * b[v];                                           \
            }                                                                        \
        }                                                                            \
        _Pragma("GCC unroll 16") for (int r = 0; r < MR; r++)                        \
            _Pragma("GCC unroll 16") for (int v = 0; v < NV; v++)                    \
                *(VT *)(W + r * ldw + v * VL) = acc[r][v];                           \
    }

/* Rows r0..r1 of the result from their sums W (row stride ldw): see
 * gemm_thin_epilogue. */
typedef void (*thin_epilogue)(size_t r0, size_t r1, size_t k, const double *restrict W,
                              size_t ldw, const double *restrict B, size_t ldb,
                              double *restrict C, size_t ldc, const gemm_thin_epilogue *e);

#define DEFINE_EPILOGUE(SUF, ATTR)                                                   \
    ATTR static void epi_##SUF(size_t r0, size_t r1, size_t k, const double *restrict W, \
                               size_t ldw, const double *restrict B, size_t ldb,     \
                               double *restrict C, size_t ldc,                       \
                               const gemm_thin_epilogue *e)                          \
    {                                                                                \
        double alpha = e->alpha, beta = e->beta, gamma = e->gamma;                   \
        for (size_t i = r0; i < r1; i++) {                                           \
            const double *restrict w = W + (i - r0) * ldw;                           \
            double *restrict c = C + i * ldc;                                        \
            if (beta == 0.0) {                                                       \
                _Pragma("omp simd") for (size_t j = 0; j < k; j++) c[j] = alpha * w[j]; \
            } else {                                                                 \
                _Pragma("omp simd") for (size_t j = 0; j < k; j++)                   \
                    c[j] = alpha * w[j] + beta * c[j];                               \
            }                                                                        \
            if (gamma != 0.0) {                                                      \
                const double *restrict b = B + i * ldb;                              \
                _Pragma("omp simd") for (size_t j = 0; j < k; j++) c[j] += gamma * b[j]; \
            }                                                                        \
            for (size_t q = 0; q < e->nacc; q++) {                                   \
                double a = e->acc_coef[q];                                           \
                double *restrict d = e->acc[q] + i * e->ldacc;                       \
                _Pragma("omp simd") for (size_t j = 0; j < k; j++) d[j] += a * c[j]; \
            }                                                                        \
        }                                                                            \
    }

typedef struct {
    const char *name;
    size_t vl, mr, nvmax;
    thin_kernel full[NV_MAX]; /* MR rows, nv = index + 1 vectors */
    thin_kernel one[NV_MAX];  /* 1 row */
    thin_epilogue epilogue;
} thin_isa;

#define DEFINE_ISA(SUF, ATTR, VT, VL, MR, NAME)                                     \
    DEFINE_KERNEL(SUF, ATTR, VT, VL, MR, 1)                                         \
    DEFINE_KERNEL(SUF, ATTR, VT, VL, MR, 2)                                         \
    DEFINE_KERNEL(SUF, ATTR, VT, VL, MR, 3)                                         \
    DEFINE_KERNEL(SUF, ATTR, VT, VL, MR, 4)                                         \
    DEFINE_KERNEL(SUF, ATTR, VT, VL, 1, 1)                                          \
    DEFINE_KERNEL(SUF, ATTR, VT, VL, 1, 2)                                          \
    DEFINE_KERNEL(SUF, ATTR, VT, VL, 1, 3)                                          \
    DEFINE_KERNEL(SUF, ATTR, VT, VL, 1, 4)                                          \
    DEFINE_EPILOGUE(SUF, ATTR)                                                      \
    static const thin_isa isa_##SUF = {                                             \
        NAME, VL, MR, NV_MAX,                                                       \
        {kern_##SUF##_##MR##_1, kern_##SUF##_##MR##_2, kern_##SUF##_##MR##_3,       \
         kern_##SUF##_##MR##_4},                                                    \
        {kern_##SUF##_1_1, kern_##SUF##_1_2, kern_##SUF##_1_3, kern_##SUF##_1_4},   \
        epi_##SUF};

/* AVX-512: 6×4 accumulators + 4 B vectors + 1 broadcast of 32 registers.
 * AVX2 and baseline (16 registers): 3×4 accumulators. */
DEFINE_ISA(avx512, __attribute__((target("avx512f,avx512vl,avx2,fma"))), v8d, 8, 6, "avx512")
DEFINE_ISA(avx2, __attribute__((target("avx2,fma"))), v4d, 4, 3, "avx2")
DEFINE_ISA(base, , v2d, 2, 3, "baseline")

/* Set by gemm_thin_set_isa (tests, benchmarks) while other threads may be
 * multiplying: atomic, so a reader sees either the old or the new table. */
static _Atomic(const thin_isa *) forced;
static const thin_isa *detected;
static pthread_once_t detect_once = PTHREAD_ONCE_INIT;

static const thin_isa *isa_named(const char *name)
{
    __builtin_cpu_init();
    if (strcmp(name, "baseline") == 0)
        return &isa_base;
    if (strcmp(name, "avx2") == 0)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? &isa_avx2
                                                                               : NULL;
    if (strcmp(name, "avx512") == 0)
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                       __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
                   ? &isa_avx512
                   : NULL;
    return NULL;
}

static void isa_detect(void)
{
    const thin_isa *t = isa_named("avx512");
    if (!t)
        t = isa_named("avx2");
    detected = t ? t : &isa_base;
}

static const thin_isa *isa_current(void)
{
    const thin_isa *f = atomic_load_explicit(&forced, memory_order_acquire);
    if (f)
        return f;
    pthread_once(&detect_once, isa_detect);
    return detected;
}

int gemm_thin_set_isa(const char *name)
{
    if (!name) {
        atomic_store_explicit(&forced, NULL, memory_order_release);
        return 0;
    }
    const thin_isa *t = isa_named(name);
    if (!t)
        return -1;
    atomic_store_explicit(&forced, t, memory_order_release);
    return 0;
}

const char *gemm_thin_isa(void)
{
    return isa_current()->name;
}

static double *alloc_aligned(size_t count)
{
    size_t bytes = (count * sizeof(double) + 63) / 64 * 64;
    return aligned_alloc(64, bytes ? bytes : 64);
}

size_t gemm_thin_ld(size_t k)
{
    size_t vl = isa_current()->vl;
    return (k + vl - 1) / vl * vl;
}

static int thin_run(int trans, size_t m, size_t n, size_t k, const double *A, size_t lda,
                    const double *B, size_t ldb, double *C, size_t ldc,
                    const gemm_thin_epilogue *e);

int gemm_thin_ex(size_t m, size_t n, size_t k, const double *A, size_t lda, const double *B,
                 size_t ldb, double *C, size_t ldc, const gemm_thin_epilogue *e)
{
    return thin_run(0, m, n, k, A, lda, B, ldb, C, ldc, e);
}

int gemm_thin_tn(size_t m, size_t n, size_t k, double alpha, const double *A, size_t lda,
                 const double *B, size_t ldb, double beta, double *C, size_t ldc)
{
    gemm_thin_epilogue e = {alpha, beta, 0.0, 0, NULL, NULL, 0};
    return thin_run(1, m, n, k, A, lda, B, ldb, C, ldc, &e);
}

/* trans: A is stored n×m (row-major, lda ≥ m) and Aᵀ multiplies B. Each
 * group then copies its jb × R tile of the stored A, transposed, into a
 * per-thread buffer (read once from memory, as without trans) and runs the
 * same kernels on it: reading the stored tile directly would walk a new page
 * for every row of the slice. The slice is shortened so the tile stays in
 * L2. */
static int thin_run(int trans, size_t m, size_t n, size_t k, const double *A, size_t lda,
                    const double *B, size_t ldb, double *C, size_t ldc,
                    const gemm_thin_epilogue *e)
{
    const gemm_thin_epilogue plain = {1.0, 0.0, 0.0, 0, NULL, NULL, 0};
    if (!e)
        e = &plain;
    if (m == 0 || k == 0)
        return 0;
    if (e->gamma != 0.0 && m > n)
        return -1; /* gamma·B needs rows of B for every row of C */
    const thin_isa *isa = isa_current();
    size_t vl = isa->vl, mr = isa->mr;
    size_t kp = (k + vl - 1) / vl * vl, nvec = kp / vl;
    size_t jb = SLICE_BYTES / (kp * sizeof(double));
    jb = jb < 16 ? 16 : jb / 8 * 8;
    int nthr = omp_get_max_threads();
    /* No threads for products too small to pay for them. */
    if ((double)m * (double)n * (double)k < 2e5 || nthr < 1)
        nthr = 1;
    /* Groups: at most GROUP_MAX rows, at least 4 per thread when m allows. */
    size_t R = (m + 4 * (size_t)nthr - 1) / (4 * (size_t)nthr);
    R = (R + mr - 1) / mr * mr;
    if (R > GROUP_MAX)
        R = GROUP_MAX / mr * mr;
    if (R < mr)
        R = mr;
    size_t ngroups = (m + R - 1) / R;
    if (trans) {
        size_t jt = TILE_BYTES / (R * sizeof(double));
        jt = jt < 16 ? 16 : jt / 8 * 8;
        if (jt < jb)
            jb = jt;
    }
    if ((size_t)nthr > ngroups)
        nthr = (int)ngroups;

    /* B is used in place when its rows already hold kp aligned doubles. */
    int direct = ldb >= kp && ldb % vl == 0 && (uintptr_t)B % 64 == 0;
    size_t ldp = direct ? ldb : kp;
    double *Bp = direct ? NULL : alloc_aligned(n * kp);
    double *W = alloc_aligned((size_t)nthr * R * kp);
    double *T = trans ? alloc_aligned((size_t)nthr * R * jb) : NULL;
    if ((!direct && !Bp) || !W || (trans && !T)) {
        free(Bp);
        free(W);
        free(T);
        return -1;
    }
    const double *Bk = direct ? B : Bp;

#pragma omp parallel num_threads(nthr)
    {
        if (!direct) {
#pragma omp for schedule(static)
            for (size_t j = 0; j < n; j++) {
                double *d = Bp + j * kp;
                memcpy(d, B + j * ldb, k * sizeof(double));
                for (size_t c = k; c < kp; c++)
                    d[c] = 0.0;
            }
        }
        double *Wt = W + (size_t)omp_get_thread_num() * R * kp;
        double *Tt = trans ? T + (size_t)omp_get_thread_num() * R * jb : NULL;
#pragma omp for schedule(dynamic, 1) nowait
        for (size_t g = 0; g < ngroups; g++) {
            size_t r0 = g * R, r1 = r0 + R < m ? r0 + R : m;
            if (n == 0)
                memset(Wt, 0, (r1 - r0) * kp * sizeof(double));
            for (size_t j0 = 0; j0 < n; j0 += jb) {
                size_t jl = n - j0 < jb ? n - j0 : jb;
                int first = j0 == 0;
                const double *At = A + r0 * lda + j0;
                size_t ldt = lda;
                if (trans) { /* Tt[r][j] = A[j0 + j][r0 + r], 8 rows of A at a time:
                              * 8 read streams, 8 doubles written per r */
                    size_t rr = r1 - r0;
                    for (size_t jj = 0; jj < jl; jj += 8) {
                        size_t je = jl - jj < 8 ? jl - jj : 8;
                        const double *src = A + (j0 + jj) * lda + r0;
                        for (size_t r = 0; r < rr; r++)
                            for (size_t j = 0; j < je; j++)
                                Tt[r * jl + jj + j] = src[j * lda + r];
                    }
                    At = Tt;
                    ldt = jl;
                }
                size_t i = r0;
                for (; i + mr <= r1; i += mr)
                    for (size_t v0 = 0; v0 < nvec; v0 += isa->nvmax) {
                        size_t nv = nvec - v0 < isa->nvmax ? nvec - v0 : isa->nvmax;
                        isa->full[nv - 1](jl, At + (i - r0) * ldt, ldt, Bk + j0 * ldp + v0 * vl,
                                          ldp, Wt + (i - r0) * kp + v0 * vl, kp, first);
                    }
                for (; i < r1; i++)
                    for (size_t v0 = 0; v0 < nvec; v0 += isa->nvmax) {
                        size_t nv = nvec - v0 < isa->nvmax ? nvec - v0 : isa->nvmax;
                        isa->one[nv - 1](jl, At + (i - r0) * ldt, ldt, Bk + j0 * ldp + v0 * vl,
                                         ldp, Wt + (i - r0) * kp + v0 * vl, kp, first);
                    }
            }
            isa->epilogue(r0, r1, k, Wt, kp, B, ldb, C, ldc, e);
        }
    }
    free(Bp);
    free(W);
    free(T);
    return 0;
}

int gemm_thin(size_t m, size_t n, size_t k, double alpha, const double *A, size_t lda,
              const double *B, size_t ldb, double beta, double *C, size_t ldc)
{
    gemm_thin_epilogue e = {alpha, beta, 0.0, 0, NULL, NULL, 0};
    return gemm_thin_ex(m, n, k, A, lda, B, ldb, C, ldc, &e);
}

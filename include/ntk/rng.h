/* ntk/rng.h — a small deterministic random number generator (xoshiro256**
 * seeded through splitmix64) shared by every module that shuffles or samples,
 * so that a given --seed gives the same splits, folds and networks everywhere. */
#ifndef NTK_RNG_H
#define NTK_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "ntk/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct { uint64_t s[4]; } ntk_rng;

/* Seed the generator; any 64-bit seed (0 included) is fine. */
NTK_API void ntk_rng_seed(ntk_rng *r, uint64_t seed);
/* Next 64 random bits. */
NTK_API uint64_t ntk_rng_next(ntk_rng *r);
/* Uniform double in [0, 1) with 53 random bits. */
NTK_API double ntk_rng_uniform(ntk_rng *r);
/* Standard normal deviate (Marsaglia polar method, no cached second value, so
 * the stream depends only on the seed and the number of calls). */
NTK_API double ntk_rng_normal(ntk_rng *r);
/* Uniform integer in 0..n-1 without modulo bias; n > 0. */
NTK_API size_t ntk_rng_below(ntk_rng *r, size_t n);
/* Shuffle idx[0..n-1] in place (Fisher–Yates). */
NTK_API void ntk_rng_shuffle(ntk_rng *r, size_t *idx, size_t n);

#ifdef __cplusplus
}
#endif
#endif

/* xoshiro256** seeded by splitmix64 (see ntk/rng.h). */
#include "ntk/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void ntk_rng_seed(ntk_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t ntk_rng_next(ntk_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double ntk_rng_uniform(ntk_rng *r) { return (double)(ntk_rng_next(r) >> 11) * 0x1.0p-53; }

double ntk_rng_normal(ntk_rng *r)
{
    for (;;) {
        double u = 2.0 * ntk_rng_uniform(r) - 1.0;
        double v = 2.0 * ntk_rng_uniform(r) - 1.0;
        double s = u * u + v * v;
        if (s > 0.0 && s < 1.0)
            return u * sqrt(-2.0 * log(s) / s);
    }
}

size_t ntk_rng_below(ntk_rng *r, size_t n)
{
    /* Lemire-style rejection keeps the result exactly uniform. */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % (uint64_t)n);
    uint64_t x;
    do
        x = ntk_rng_next(r);
    while (x >= limit);
    return (size_t)(x % (uint64_t)n);
}

void ntk_rng_shuffle(ntk_rng *r, size_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = ntk_rng_below(r, i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

/* libFuzzer harness for the model file reader: any byte string must either
 * be rejected with NTK_EINPUT (and a message) or parse into a model that
 * serializes back to exactly the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/model.h"

static int check(const uint8_t *data, size_t size);

/* The checksum rejects nearly every mutation before the structure parser runs;
 * to reach the parser, each input is also tried with its size field and
 * checksum recomputed (header: 8-byte magic, 4-byte version, 8-byte size). */
static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size);
    if (size >= 28) {
        uint8_t *fixed = malloc(size);
        memcpy(fixed, data, size);
        uint64_t payload = size - 28, h;
        for (int i = 0; i < 8; i++)
            fixed[12 + i] = (uint8_t)(payload >> (8 * i));
        h = fnv1a(fixed, size - 8);
        for (int i = 0; i < 8; i++)
            fixed[size - 8 + i] = (uint8_t)(h >> (8 * i));
        check(fixed, size);
        free(fixed);
    }
    return 0;
}

static int check(const uint8_t *data, size_t size)
{
    ntk_model *m = NULL;
    ntk_error err = {0};
    ntk_status st = ntk_model_deserialize(data, size, "fuzz.ntk", &m, &err);
    if (st != NTK_OK) {
        if (m || err.msg[0] == '\0')
            abort();
        return 0;
    }
    unsigned char *buf = NULL;
    size_t n = 0;
    if (ntk_model_serialize(m, &buf, &n, &err) != NTK_OK || n != size || memcmp(buf, data, n))
        abort();
    free(buf);
    ntk_model_free(m);
    return 0;
}

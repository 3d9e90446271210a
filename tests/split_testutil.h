/* Tests of split fits (ntk_nystrom_split): threads standing in for MPI
 * ranks; the sync hook agrees on the worst status and sums the buffers under
 * a mutex, with barriers between the steps. */
#ifndef NTK_SPLIT_TESTUTIL_H
#define NTK_SPLIT_TESTUTIL_H

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/nystrom.h"

typedef struct {
    pthread_mutex_t mu;
    pthread_barrier_t bar;
    int worst;
    double *acc;
} split_shared;

/* What a sync hook's ctx must start with. */
typedef struct {
    split_shared *sh;
    int root;
} split_member;

static inline ntk_status split_sum(void *ctx, ntk_status st, double *buf, size_t count,
                                   ntk_error *err)
{
    split_member *p = ctx;
    split_shared *sh = p->sh;
    pthread_mutex_lock(&sh->mu);
    if ((int)st > sh->worst)
        sh->worst = (int)st;
    pthread_mutex_unlock(&sh->mu);
    pthread_barrier_wait(&sh->bar);
    int worst = sh->worst;
    pthread_barrier_wait(&sh->bar);
    if (p->root) {
        sh->worst = 0;
        free(sh->acc);
        sh->acc = worst ? NULL : calloc(count + 1, sizeof *sh->acc);
    }
    pthread_barrier_wait(&sh->bar);
    if (worst)
        return ntk_error_set(err, (ntk_status)worst, "another process failed");
    pthread_mutex_lock(&sh->mu);
    for (size_t i = 0; i < count; i++)
        sh->acc[i] += buf[i];
    pthread_mutex_unlock(&sh->mu);
    pthread_barrier_wait(&sh->bar);
    memcpy(buf, sh->acc, count * sizeof *buf);
    pthread_barrier_wait(&sh->bar);
    return NTK_OK;
}

#endif

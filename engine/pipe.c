/*
 * pipe.c - the bounded, ordered ring of batches between the ingest stages
 * (pipe.h). A mutex and two condition variables; batches are handed over by
 * sequence number, so the consumer sees them in the producer's order.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipe.h"
#include "util.h"

struct pipe_ring {
    pthread_mutex_t mu;
    pthread_cond_t filled, freed;  /* a batch was handed over / given back (or cancel) */
    pipe_batch *batches;
    size_t n;
    uint64_t put, got;             /* batches handed over / given back so far */
    bool closed, cancelled;
};

#define PIPE_ALIGN 8
#define PIPE_HDR 8 /* each record starts with its size (a size_t, padded to 8) */

pipe_ring *pipe_new(size_t n_batches, size_t batch_bytes)
{
    pipe_ring *r = xcalloc(1, sizeof *r);
    r->n = n_batches ? n_batches : 1;
    r->batches = xcalloc(r->n, sizeof *r->batches);
    for (size_t i = 0; i < r->n; i++) {
        r->batches[i].cap = batch_bytes;
        r->batches[i].buf = xmalloc(batch_bytes ? batch_bytes : 1);
    }
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->filled, NULL);
    pthread_cond_init(&r->freed, NULL);
    return r;
}

void pipe_free(pipe_ring *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->batches[i].buf);
    free(r->batches);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->filled);
    pthread_cond_destroy(&r->freed);
    free(r);
}

void pipe_reset(pipe_ring *r)
{
    r->put = r->got = 0;
    r->closed = r->cancelled = false;
}

pipe_batch *pipe_take_empty(pipe_ring *r)
{
    pthread_mutex_lock(&r->mu);
    while (!r->cancelled && r->put - r->got == r->n)
        pthread_cond_wait(&r->freed, &r->mu);
    pipe_batch *b = r->cancelled ? NULL : &r->batches[r->put % r->n];
    pthread_mutex_unlock(&r->mu);
    if (b)
        b->len = b->n = 0;
    return b;
}

/* Under the ring's lock: counts one more in *count or sets *flag (either may be NULL), then
 * wakes the other side waiting on cond. */
static void pipe_signal(pipe_ring *r, uint64_t *count, bool *flag, pthread_cond_t *cond)
{
    pthread_mutex_lock(&r->mu);
    if (count)
        ++*count;
    if (flag)
        *flag = true;
    pthread_cond_broadcast(cond);
    pthread_mutex_unlock(&r->mu);
}

void pipe_put_full(pipe_ring *r, pipe_batch *b)
{
    (void)b; /* always the batch at r->put: the ring is in order */
    pipe_signal(r, &r->put, NULL, &r->filled);
}

void pipe_close(pipe_ring *r)
{
    pipe_signal(r, NULL, &r->closed, &r->filled);
}

pipe_batch *pipe_take_full(pipe_ring *r)
{
    pthread_mutex_lock(&r->mu);
    while (r->got == r->put && !r->closed)
        pthread_cond_wait(&r->filled, &r->mu);
    pipe_batch *b = r->got == r->put ? NULL : &r->batches[r->got % r->n];
    pthread_mutex_unlock(&r->mu);
    return b;
}

void pipe_give_back(pipe_ring *r, pipe_batch *b)
{
    (void)b; /* always the batch at r->got */
    pipe_signal(r, &r->got, NULL, &r->freed);
}

void pipe_cancel(pipe_ring *r)
{
    pipe_signal(r, NULL, &r->cancelled, &r->freed);
}

void *pipe_batch_add(pipe_batch *b, size_t n)
{
    size_t need = PIPE_HDR + (n + PIPE_ALIGN - 1) / PIPE_ALIGN * PIPE_ALIGN;
    if (b->len + need > b->cap) {
        if (b->len)
            return NULL;
        b->buf = xrealloc(b->buf, need); /* one record larger than a batch: grown to fit */
        b->cap = need;
    }
    unsigned char *p = b->buf + b->len;
    memcpy(p, &need, sizeof need);
    b->len += need;
    b->n++;
    return p + PIPE_HDR;
}

void *pipe_batch_next(const pipe_batch *b, size_t *at)
{
    if (*at >= b->len)
        return NULL;
    size_t need;
    memcpy(&need, b->buf + *at, sizeof need);
    void *p = b->buf + *at + PIPE_HDR;
    *at += need;
    return p;
}

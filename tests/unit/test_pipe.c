/*
 * test_pipe.c - the ring of batches between the ingest stages (engine/pipe.h):
 * records come out in the order they went in, whole, on one thread and across
 * two; memory stays at the ring's batches; a cancel stops a blocked producer.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pipe.h"

/* A test record: its sequence number and that many bytes of (seq & 0xff), up to 40. */
typedef struct rec {
    uint32_t seq, n;
    unsigned char bytes[];
} rec;

static size_t rec_size(uint32_t seq)
{
    return sizeof(rec) + seq % 41;
}

/* Adds record seq to b; false when it does not fit. */
static bool rec_add(pipe_batch *b, uint32_t seq)
{
    rec *r = pipe_batch_add(b, rec_size(seq));
    if (!r)
        return false;
    r->seq = seq;
    r->n = seq % 41;
    memset(r->bytes, (int)(seq & 0xff), r->n);
    return true;
}

/* True when r is record seq, whole. */
static bool rec_ok(const rec *r, uint32_t seq)
{
    if (!r || r->seq != seq || r->n != seq % 41)
        return false;
    for (uint32_t i = 0; i < r->n; i++)
        if (r->bytes[i] != (seq & 0xff))
            return false;
    return true;
}

static void one_thread(void)
{
    pipe_ring *r = pipe_new(1, 256);
    pipe_batch *b = pipe_take_empty(r);
    CHECK(b != NULL);
    uint32_t n = 0;
    while (rec_add(b, n))
        n++;
    CHECK(n > 3);
    CHECK_EQ_INT(b->n, n);
    CHECK(b->len <= 256);
    pipe_put_full(r, b);
    pipe_batch *got = pipe_take_full(r);
    CHECK(got == b);
    size_t at = 0;
    for (uint32_t i = 0; i < n; i++)
        CHECK(rec_ok(pipe_batch_next(got, &at), i));
    CHECK(pipe_batch_next(got, &at) == NULL);
    pipe_give_back(r, got);
    b = pipe_take_empty(r); /* the same batch, emptied */
    CHECK(b == got);
    CHECK_EQ_INT(b->n, 0);
    /* a record larger than a batch: taken by an empty batch only, which grows */
    void *big = pipe_batch_add(b, 1000);
    CHECK(big != NULL && b->cap >= 1000);
    CHECK(pipe_batch_add(b, 8) == NULL || b->len <= b->cap);
    pipe_close(r);
    pipe_put_full(r, b);
    CHECK(pipe_take_full(r) == b);
    pipe_give_back(r, b);
    CHECK(pipe_take_full(r) == NULL); /* closed and drained */
    pipe_free(r);
}

#define N_RECS 200000u

typedef struct prod_arg {
    pipe_ring *r;
    uint32_t sent;      /* records handed over */
    bool stopped;       /* pipe_take_empty returned NULL */
} prod_arg;

/* Sends N_RECS records, a batch at a time, then closes. */
static void *producer(void *p)
{
    prod_arg *a = p;
    pipe_batch *b = pipe_take_empty(a->r);
    for (uint32_t seq = 0; b && seq < N_RECS; seq++) {
        if (!rec_add(b, seq)) {
            pipe_put_full(a->r, b);
            b = pipe_take_empty(a->r);
            if (!b)
                break;
            rec_add(b, seq);
        }
        a->sent = seq + 1;
    }
    if (b && b->n)
        pipe_put_full(a->r, b);
    a->stopped = b == NULL;
    pipe_close(a->r);
    return NULL;
}

static void two_threads_in_order(void)
{
    pipe_ring *r = pipe_new(3, 512);
    prod_arg a = {r, 0, false};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, producer, &a) == 0);
    uint32_t want = 0, bad = 0;
    pipe_batch *seen[3] = {0};
    size_t n_seen = 0, batches = 0;
    pipe_batch *b;
    while ((b = pipe_take_full(r)) != NULL) {
        size_t at = 0;
        const rec *x;
        while ((x = pipe_batch_next(b, &at)) != NULL)
            bad += !rec_ok(x, want++);
        bool known = false;
        for (size_t i = 0; i < n_seen; i++)
            known |= seen[i] == b;
        if (!known && n_seen < 3)
            seen[n_seen++] = b;
        else if (!known)
            bad++; /* a fourth batch: memory not bounded by the ring */
        batches++;
        pipe_give_back(r, b);
    }
    pthread_join(t, NULL);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(want, N_RECS);
    CHECK(batches > 1000); /* the ring went round many times */
    CHECK(!a.stopped);
    pipe_free(r);
}

static void cancel_stops_the_producer(void)
{
    pipe_ring *r = pipe_new(2, 256);
    prod_arg a = {r, 0, false};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, producer, &a) == 0);
    pipe_batch *b = pipe_take_full(r);
    CHECK(b != NULL);
    size_t at = 0;
    CHECK(rec_ok(pipe_batch_next(b, &at), 0));
    pipe_give_back(r, b);
    pipe_cancel(r); /* the producer is blocked or will be: it must see NULL */
    pthread_join(t, NULL);
    CHECK(a.stopped);
    CHECK(a.sent < N_RECS);
    pipe_free(r);
}

static void reset_for_the_next_stream(void)
{
    pipe_ring *r = pipe_new(2, 256);
    pipe_cancel(r);
    CHECK(pipe_take_empty(r) == NULL);
    pipe_reset(r);
    pipe_batch *b = pipe_take_empty(r);
    CHECK(b != NULL && b->n == 0);
    CHECK(rec_add(b, 7));
    pipe_put_full(r, b);
    pipe_close(r);
    b = pipe_take_full(r);
    size_t at = 0;
    CHECK(b && rec_ok(pipe_batch_next(b, &at), 7));
    pipe_give_back(r, b);
    CHECK(pipe_take_full(r) == NULL);
    pipe_free(r);
}

int main(void)
{
    one_thread();
    two_threads_in_order();
    cancel_stops_the_producer();
    reset_for_the_next_stream();
    return check_done();
}

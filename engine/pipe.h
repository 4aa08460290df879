/*
 * pipe.h - a bounded ring of batches joining two threads, a producer and a
 * consumer, in order: the producer fills a batch (a fixed-size arena of
 * records), hands it over, and takes the next free one; the consumer takes
 * full batches in the order they were handed over and gives each back once
 * done with it. At most `n_batches` batches exist, so memory is bounded by
 * n_batches * batch_bytes whatever the input's size.
 *
 * The same ring works without threads: the producer may hand a batch over
 * and the same thread take it back (pipe_take_full never blocks when a full
 * batch is waiting), which is how a one-thread run uses it.
 *
 * Thread safety: one producer thread and one consumer thread; every call
 * below is safe against the other side. A batch belongs to exactly one side
 * at a time: records written by the producer are seen complete by the
 * consumer (the hand-over is under the ring's mutex).
 */
#ifndef SETTLE_PIPE_H
#define SETTLE_PIPE_H

#include <stdbool.h>
#include <stddef.h>

/* A batch: records packed in buf[0..len), 8-byte aligned, n of them. */
typedef struct pipe_batch {
    unsigned char *buf;     /* owned by the ring */
    size_t len, cap, n;
} pipe_batch;

typedef struct pipe_ring pipe_ring;

/* A ring of n_batches (>= 1) batches of batch_bytes each. Never fails (OOM exits). */
pipe_ring *pipe_new(size_t n_batches, size_t batch_bytes);
/* Frees the ring and its batches; both sides must be done with it. NULL is allowed. */
void pipe_free(pipe_ring *r);
/* Readies a used ring for a new stream (no thread may be using it). */
void pipe_reset(pipe_ring *r);

/*
 * Producer: the next free batch, emptied; blocks while every batch is full
 * or being consumed. NULL once the consumer cancelled the stream.
 */
pipe_batch *pipe_take_empty(pipe_ring *r);
/* Producer: hands the batch taken last over to the consumer. */
void pipe_put_full(pipe_ring *r, pipe_batch *b);
/* Producer: the stream is over (no more pipe_put_full). */
void pipe_close(pipe_ring *r);

/*
 * Consumer: the next full batch in order; blocks until one is handed over.
 * NULL when the producer closed the stream and every batch was taken.
 */
pipe_batch *pipe_take_full(pipe_ring *r);
/* Consumer: the batch taken last is done with; its slot is free again. */
void pipe_give_back(pipe_ring *r, pipe_batch *b);
/* Consumer: stop the stream; a blocked or later pipe_take_empty returns NULL. */
void pipe_cancel(pipe_ring *r);

/*
 * Reserves n bytes for one record at the end of batch b (8-byte aligned)
 * and counts it. NULL when it does not fit; an empty batch always takes a
 * record, growing its arena if the record is larger than it.
 */
void *pipe_batch_add(pipe_batch *b, size_t n);
/* Walks a batch's records in the order added: *at starts at 0; returns the
 * next record (as reserved by pipe_batch_add) or NULL after the last. */
void *pipe_batch_next(const pipe_batch *b, size_t *at);

#endif

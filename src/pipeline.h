/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The queue and worker thread of one sink instance. The ring-buffer consumer
 * pushes rendered records without waiting: when the queue is full the record
 * is dropped and counted. After a burst of pushes, the consumer kicks the
 * worker, which hands the records to the sink one by one.
 */
#ifndef ENCLAVE_PIPELINE_H
#define ENCLAVE_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enclave-sink.h"

#define PIPELINE_DEFAULT_RECORDS	4096
#define PIPELINE_DEFAULT_BYTES		(8u << 20)
/* Records that the worker writes between two takes of the lock. They stay
 * in the queue, and count against its bounds, until all are written. */
#define PIPELINE_BATCH			64

struct pipeline_queue;

/* Counters of one queue, each since start. */
struct pipeline_counters {
	uint64_t queued;		/* records accepted into the queue */
	uint64_t dropped;		/* records rejected because it was full */
	uint64_t written;		/* records the sink took */
	uint64_t failed;		/* records whose write failed */
	uint64_t length;		/* records in the queue now */
	uint64_t bytes;			/* bytes of the records in the queue now */
};

int pipeline_queue_start(const char *instance, const struct enclave_sink_ops *ops,
			 void *state, size_t max_records, size_t max_bytes,
			 struct pipeline_queue **out);
bool pipeline_queue_push(struct pipeline_queue *queue, const struct enclave_event *event);
void pipeline_queue_kick(struct pipeline_queue *queue);
void pipeline_queue_reopen(struct pipeline_queue *queue);
void pipeline_queue_counters(struct pipeline_queue *queue, struct pipeline_counters *out);
uint64_t pipeline_queue_done(struct pipeline_queue *queue);
void pipeline_queue_stop(struct pipeline_queue *queue);

#endif /* ENCLAVE_PIPELINE_H */

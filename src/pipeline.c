/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One bounded queue and one worker thread per sink instance, so that a slow
 * or blocked sink delays only itself. The queue contains copies of rendered
 * records and is bounded by a record count and a byte count. A record that
 * does not fit is dropped and counted. The producer never waits except for
 * the queue's lock, which the worker takes once per batch of records.
 *
 * The producer wakes a waiting worker when pipeline_queue_kick() is called,
 * after a burst of records, or as soon as the queue is a quarter full. Waking
 * it for each record would cost two context switches and a sink flush per
 * record whenever the producer and the worker share a CPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "pipeline.h"

/* A queued record: struct, then JSON, container id and name in one block. */
struct pipeline_record {
	struct enclave_event event;
	size_t size;			/* of the whole allocation */
};

struct pipeline_queue {
	char *instance;
	const struct enclave_sink_ops *ops;
	void *state;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct pipeline_record **ring;
	size_t capacity, head, length;
	size_t bytes, max_bytes;
	size_t wake_records, wake_bytes;	/* a quarter of the bounds */
	bool stop;
	bool reopen;
	bool worker_waiting;		/* in pthread_cond_wait, not yet signalled */
	/* Written by the worker or under the lock, read by status requests. */
	_Atomic uint64_t queued, dropped, written, failed;
	/* Used by the worker only. */
	bool failing;
	uint64_t failed_reported;
	int64_t last_flush_ms;
};

/* The coarse clock costs less than the precise one, which matters for a
 * check after every batch, and its few milliseconds of resolution are
 * enough for ENCLAVE_SINK_FLUSH_MS. */
static int64_t pipeline_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *pipeline_copy(char **at, const char *text, size_t len)
{
	char *start = *at;

	memcpy(start, text, len);
	start[len] = '\0';
	*at += len + 1;
	return start;
}

static struct pipeline_record *pipeline_record_new(const struct enclave_event *event)
{
	size_t id_len = event->container_id ? strlen(event->container_id) : 0;
	size_t name_len = event->container_name ? strlen(event->container_name) : 0;
	size_t size = sizeof(struct pipeline_record) + event->json_len + id_len + name_len + 3;
	struct pipeline_record *record = malloc(size);
	char *at;

	if (!record)
		return NULL;
	record->event = *event;
	record->event.struct_size = sizeof(record->event);
	record->size = size;
	at = (char *)(record + 1);
	record->event.json = pipeline_copy(&at, event->json, event->json_len);
	record->event.container_id = event->container_id ?
		pipeline_copy(&at, event->container_id, id_len) : NULL;
	record->event.container_name = event->container_name ?
		pipeline_copy(&at, event->container_name, name_len) : NULL;
	return record;
}

/* Queue a copy of EVENT, or count it as dropped when the queue is full.
 * A waiting worker wakes for it at the next pipeline_queue_kick(), or when
 * the queue is a quarter full. */
bool pipeline_queue_push(struct pipeline_queue *queue, const struct enclave_event *event)
{
	struct pipeline_record *record = pipeline_record_new(event);
	bool queued = false;

	pthread_mutex_lock(&queue->lock);
	if (record && queue->length < queue->capacity &&
	    queue->bytes + record->size <= queue->max_bytes) {
		queue->ring[(queue->head + queue->length) % queue->capacity] = record;
		queue->length++;
		queue->bytes += record->size;
		queue->queued++;
		queued = true;
		if (queue->worker_waiting &&
		    (queue->length >= queue->wake_records || queue->bytes >= queue->wake_bytes)) {
			queue->worker_waiting = false;
			pthread_cond_signal(&queue->wake);
		}
	} else {
		queue->dropped++;
	}
	pthread_mutex_unlock(&queue->lock);
	if (!queued)
		free(record);
	return queued;
}

/* Wake the worker if it waits while records are queued. */
void pipeline_queue_kick(struct pipeline_queue *queue)
{
	pthread_mutex_lock(&queue->lock);
	if (queue->worker_waiting && queue->length) {
		queue->worker_waiting = false;
		pthread_cond_signal(&queue->wake);
	}
	pthread_mutex_unlock(&queue->lock);
}

static void pipeline_write(struct pipeline_queue *queue, struct pipeline_record *record)
{
	int err = queue->ops->write(queue->state, &record->event);

	if (err) {
		queue->failed++;
		if (!queue->failing)
			log_msg(LOG_WARNING,
				"sink: failed to write record %llu to sink '%s': %s; records are dropped until it recovers",
				(unsigned long long)record->event.sequence, queue->instance,
				strerror(-err));
		queue->failing = true;
	} else {
		queue->written++;
		if (queue->failing)
			log_msg(LOG_NOTICE, "sink: sink '%s' recovered after %llu failed records",
				queue->instance,
				(unsigned long long)(queue->failed - queue->failed_reported));
		if (queue->failing)
			queue->failed_reported = queue->failed;
		queue->failing = false;
	}
	free(record);
}

/* Call the sink's flush; return whether it wants another call later. */
static bool pipeline_flush(struct pipeline_queue *queue)
{
	int ret = 0;

	queue->last_flush_ms = pipeline_now_ms();
	if (queue->ops->flush)
		ret = queue->ops->flush(queue->state);
	if (ret < 0 && !queue->failing) {
		log_msg(LOG_WARNING, "sink: failed to flush sink '%s': %s", queue->instance,
			strerror(-ret));
		queue->failing = true;
	}
	return ret > 0;
}

static void pipeline_reopen(struct pipeline_queue *queue)
{
	int err;

	pipeline_flush(queue);
	if (!queue->ops->reopen)
		return;
	err = queue->ops->reopen(queue->state);
	if (err)
		log_msg(LOG_ERR, "sink: failed to reopen sink '%s': %s; it keeps its old output",
			queue->instance, strerror(-err));
	else
		log_msg(LOG_INFO, "sink: reopened sink '%s'", queue->instance);
}

/*
 * Write up to PIPELINE_BATCH records from the head of the queue, without
 * the lock, then remove them. They count against the queue's bounds until
 * they are written. Producers only fill slots after the queue's length,
 * so the slots being written stay untouched. Called with the lock held,
 * and returns with it held.
 */
static void pipeline_write_batch(struct pipeline_queue *queue)
{
	size_t n = queue->length < PIPELINE_BATCH ? queue->length : PIPELINE_BATCH;
	size_t head = queue->head, bytes = 0;

	pthread_mutex_unlock(&queue->lock);
	for (size_t i = 0; i < n; i++) {
		struct pipeline_record *record = queue->ring[(head + i) % queue->capacity];

		bytes += record->size;
		pipeline_write(queue, record);
	}
	pthread_mutex_lock(&queue->lock);
	queue->head = (head + n) % queue->capacity;
	queue->length -= n;
	queue->bytes -= bytes;
}

/* Wait until the next flush is due or the queue has work. */
static void pipeline_wait(struct pipeline_queue *queue, bool timed)
{
	struct timespec deadline;
	int64_t due_ms;

	queue->worker_waiting = true;
	if (!timed) {
		pthread_cond_wait(&queue->wake, &queue->lock);
		queue->worker_waiting = false;
		return;
	}
	due_ms = queue->last_flush_ms + ENCLAVE_SINK_FLUSH_MS - pipeline_now_ms();
	if (due_ms <= 0) {
		queue->worker_waiting = false;
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += due_ms / 1000;
	deadline.tv_nsec += (due_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&queue->wake, &queue->lock, &deadline);
	queue->worker_waiting = false;
}

/*
 * The worker: write every queued record, flush when the queue runs empty
 * and at least every ENCLAVE_SINK_FLUSH_MS while it does not, and repeat a
 * flush that asked for it. On stop, the queue is written out first.
 */
static void *pipeline_worker(void *arg)
{
	struct pipeline_queue *queue = arg;
	bool unflushed = false, flush_again = false;

	pthread_mutex_lock(&queue->lock);
	for (;;) {
		if (queue->reopen) {
			queue->reopen = false;
			pthread_mutex_unlock(&queue->lock);
			pipeline_reopen(queue);
			unflushed = false;
		} else if (queue->length) {
			pipeline_write_batch(queue);
			unflushed = true;
			if (pipeline_now_ms() - queue->last_flush_ms < ENCLAVE_SINK_FLUSH_MS)
				continue;
			pthread_mutex_unlock(&queue->lock);
			flush_again = pipeline_flush(queue);
			unflushed = false;
		} else if (queue->stop) {
			break;
		} else if (unflushed) {
			pthread_mutex_unlock(&queue->lock);
			flush_again = pipeline_flush(queue);
			unflushed = false;
		} else {
			pipeline_wait(queue, flush_again);
			if (!flush_again || queue->length || queue->stop || queue->reopen ||
			    pipeline_now_ms() - queue->last_flush_ms < ENCLAVE_SINK_FLUSH_MS)
				continue;
			pthread_mutex_unlock(&queue->lock);
			flush_again = pipeline_flush(queue);
		}
		pthread_mutex_lock(&queue->lock);
	}
	pthread_mutex_unlock(&queue->lock);
	queue->ops->close(queue->state);
	return NULL;
}

/* Start the worker of an opened sink. From here on the worker owns STATE
 * and closes it when the queue stops. */
int pipeline_queue_start(const char *instance, const struct enclave_sink_ops *ops,
			 void *state, size_t max_records, size_t max_bytes,
			 struct pipeline_queue **out)
{
	struct pipeline_queue *queue = calloc(1, sizeof(*queue));
	pthread_condattr_t attr;
	int err;

	if (!queue)
		return -ENOMEM;
	queue->instance = strdup(instance);
	queue->ring = calloc(max_records, sizeof(*queue->ring));
	if (!queue->instance || !queue->ring) {
		free(queue->instance);
		free(queue->ring);
		free(queue);
		return -ENOMEM;
	}
	queue->ops = ops;
	queue->state = state;
	queue->capacity = max_records;
	queue->max_bytes = max_bytes;
	queue->wake_records = max_records / 4 ? max_records / 4 : 1;
	queue->wake_bytes = max_bytes / 4;
	queue->last_flush_ms = pipeline_now_ms();
	pthread_mutex_init(&queue->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&queue->wake, &attr);
	pthread_condattr_destroy(&attr);

	err = -pthread_create(&queue->thread, NULL, pipeline_worker, queue);
	if (err) {
		log_msg(LOG_ERR, "sink: failed to start the worker thread of sink '%s': %s",
			instance, strerror(-err));
		pthread_cond_destroy(&queue->wake);
		pthread_mutex_destroy(&queue->lock);
		free(queue->ring);
		free(queue->instance);
		free(queue);
		return err;
	}
	*out = queue;
	return 0;
}

/* Ask the worker to reopen the sink's output after the records queued so far. */
void pipeline_queue_reopen(struct pipeline_queue *queue)
{
	pthread_mutex_lock(&queue->lock);
	queue->reopen = true;
	pthread_cond_signal(&queue->wake);
	pthread_mutex_unlock(&queue->lock);
}

/* Return the records that the queue is done with: written, failed or
 * dropped. It reads atomic counters only, without the lock, so a thread
 * may poll it without slowing the producer or the worker. */
uint64_t pipeline_queue_done(struct pipeline_queue *queue)
{
	return queue->written + queue->failed + queue->dropped;
}

void pipeline_queue_counters(struct pipeline_queue *queue, struct pipeline_counters *out)
{
	pthread_mutex_lock(&queue->lock);
	out->length = queue->length;
	out->bytes = queue->bytes;
	out->queued = queue->queued;
	out->dropped = queue->dropped;
	pthread_mutex_unlock(&queue->lock);
	out->written = queue->written;
	out->failed = queue->failed;
}

/* Write out the queue, close the sink, end the worker and free the queue;
 * queue may be NULL. */
void pipeline_queue_stop(struct pipeline_queue *queue)
{
	if (!queue)
		return;
	pthread_mutex_lock(&queue->lock);
	queue->stop = true;
	pthread_cond_signal(&queue->wake);
	pthread_mutex_unlock(&queue->lock);
	pthread_join(queue->thread, NULL);

	pthread_cond_destroy(&queue->wake);
	pthread_mutex_destroy(&queue->lock);
	free(queue->ring);
	free(queue->instance);
	free(queue);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-record path from the ring buffer to the sinks: validate a kernel
 * record, attach its container's metadata, render it as JSON once and
 * queue it for every sink. enclaved and the ring-buffer benchmark both
 * run records through it.
 */
#ifndef ENCLAVE_CONSUMER_H
#define ENCLAVE_CONSUMER_H

#include <stddef.h>
#include <stdint.h>

#include "container.h"
#include "json.h"
#include "sink.h"

/* Called for a container_start record that the kernel did not mark as
 * adopted, after its metadata was added to the table. */
typedef void (*consumer_container_fn)(void *ctx, struct container_meta *meta,
				      const struct enclave_rec_container *rec);

struct consumer {
	struct container_table *containers;
	struct sink_set *sinks;
	struct json_buf json;		/* the rendered record, reused */
	uint64_t sequence;		/* of the last record numbered, from 1 */
	int64_t boot_to_realtime_ns;	/* CLOCK_REALTIME - CLOCK_BOOTTIME */
	uint64_t invalid_records;
	consumer_container_fn container_started;	/* may be NULL */
	void *container_started_ctx;
};

void consumer_init(struct consumer *consumer);
void consumer_update_clock(struct consumer *consumer);
int consumer_handle_record(void *ctx, void *data, size_t size);
void consumer_free(struct consumer *consumer);

#endif /* ENCLAVE_CONSUMER_H */

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-record path from the ring buffer to the sinks. It runs on the
 * daemon's main thread; the sinks' queues decouple it from slow outputs.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "consumer.h"
#include "log.h"
#include "record.h"

static int64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Initialize CONSUMER at sequence 0 with the current clock offset. The
 * caller then sets containers, sinks and, optionally, container_started. */
void consumer_init(struct consumer *consumer)
{
	memset(consumer, 0, sizeof(*consumer));
	json_buf_init(&consumer->json);
	consumer_update_clock(consumer);
}

/* Kernel records carry CLOCK_BOOTTIME, and this offset turns it into
 * wall-clock time. Refreshing it now and then follows changes of the clock. */
void consumer_update_clock(struct consumer *consumer)
{
	consumer->boot_to_realtime_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
}

static void report_invalid(struct consumer *consumer, size_t size)
{
	consumer->invalid_records++;
	/* Log the first and then every 1000th, so a flood cannot fill the log. */
	if (consumer->invalid_records % 1000 == 1)
		log_msg(LOG_WARNING,
			"ringbuf: dropped invalid record of %zu bytes (%llu so far); the BPF object and enclaved may be out of step",
			size, (unsigned long long)consumer->invalid_records);
}

/* Copy a kernel string field, which need not be NUL-terminated. */
static void copy_kernel_string(char *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

static struct container_meta *container_for(struct consumer *consumer, int type,
					    const void *data)
{
	const struct enclave_rec_container *start = data;
	const struct enclave_proc *proc = &start->proc;
	char cgroup_name[ENCLAVE_CGROUP_NAME_LEN];
	char runtime[ENCLAVE_COMM_LEN];

	/* An untracked container's cgroup is a host cgroup: no metadata. */
	if (type == ENCLAVE_REC_DECISION &&
	    ((const struct enclave_rec_decision *)data)->verdict == ENCLAVE_VERDICT_UNTRACKED)
		return NULL;
	if (type != ENCLAVE_REC_CONTAINER_START)
		return container_table_lookup(consumer->containers, proc->cgroup_id);

	/* An adopted container's metadata is in the table already. */
	if (start->flags & ENCLAVE_CONTAINER_ADOPTED)
		return container_table_lookup(consumer->containers, proc->cgroup_id);
	copy_kernel_string(cgroup_name, start->cgroup_name, sizeof(cgroup_name));
	copy_kernel_string(runtime, start->runtime, sizeof(runtime));
	return container_table_add(consumer->containers, proc->cgroup_id, cgroup_name, runtime);
}

/* Drop the metadata of a container when its cgroup goes: records of its
 * last processes may follow container_stop, which the entrypoint's exit
 * triggers. */
static void forget_cgroup(struct consumer *consumer, const struct enclave_rec_cgroup *rec)
{
	if (rec->cgroup_id == rec->container_id)
		container_table_remove(consumer->containers, rec->container_id);
}

static void warn_untracked(const struct enclave_rec_decision *rec)
{
	char comm[LOG_ESCAPE_SIZE(ENCLAVE_COMM_LEN)];

	if (rec->verdict != ENCLAVE_VERDICT_UNTRACKED)
		return;
	log_escape(comm, sizeof(comm), rec->proc.comm, strnlen(rec->proc.comm, ENCLAVE_COMM_LEN));
	log_msg(LOG_WARNING,
		"container: runtime '%s' (PID %u) started a container that enclaved cannot tell from host processes (%s), so it is not enforced; give each container a cgroup and a mount namespace of its own",
		comm, rec->proc.pid, record_untracked_reason(rec->arg));
}

/*
 * Handle one ring-buffer record, as a loader_record_fn whose CTX is the
 * consumer. An invalid record is counted and logged, and a cgroup removal
 * updates the table. Every other record gets the next sequence number and
 * goes to the sinks. Always returns 0, so that consuming goes on.
 */
int consumer_handle_record(void *ctx, void *data, size_t size)
{
	struct consumer *consumer = ctx;
	struct container_meta *meta;
	struct record_context rc;
	struct enclave_event event;
	int type = record_validate(data, size);

	if (type < 0) {
		report_invalid(consumer, size);
		return 0;
	}

	if (type == ENCLAVE_REC_CGROUP_REMOVED) {
		forget_cgroup(consumer, data);
		return 0;
	}

	/* Every other record type has struct enclave_proc after the header. */
	meta = container_for(consumer, type, data);
	if (meta && type == ENCLAVE_REC_CONTAINER_START &&
	    !(((const struct enclave_rec_container *)data)->flags & ENCLAVE_CONTAINER_ADOPTED) &&
	    consumer->container_started)
		consumer->container_started(consumer->container_started_ctx, meta, data);
	rc.sequence = ++consumer->sequence;
	rc.boot_to_realtime_ns = consumer->boot_to_realtime_ns;
	rc.container = meta ? &meta->view : NULL;
	if (record_render(data, size, &rc, &consumer->json, &event) == 0)
		sink_set_write(consumer->sinks, &event);
	else
		log_msg(LOG_WARNING, "ringbuf: failed to render record %llu: out of memory",
			(unsigned long long)rc.sequence);

	if (type == ENCLAVE_REC_DECISION)
		warn_untracked(data);
	return 0;
}

/* Release the JSON buffer; the table and the sinks belong to the caller. */
void consumer_free(struct consumer *consumer)
{
	json_buf_free(&consumer->json);
}

/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENCLAVE_RECORD_H
#define ENCLAVE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "enclave.h"
#include "enclave-sink.h"
#include "json.h"

/* Container metadata that user space resolves beyond the cgroup id. */
struct record_container {
	const char *id;
	const char *name;
	const char *runtime;
	const char *image;		/* NULL when unknown */
	const char *rule;		/* the [rule] that chose the policy, or NULL */
	unsigned int level;		/* enum enclave_level of the container */
	unsigned int mode;		/* enum enclave_mode */
	bool adopted;			/* running before enclaved started */
};

/* Per-record input that does not come from the kernel. */
struct record_context {
	uint64_t sequence;
	int64_t boot_to_realtime_ns;	/* CLOCK_REALTIME - CLOCK_BOOTTIME */
	const struct record_container *container;	/* NULL when unknown */
};

/* Per-hook counts of records that found the ring buffer full. */
struct record_lost {
	uint64_t delta[ENCLAVE_HOOK_MAX];	/* since the previous report */
	uint64_t total[ENCLAVE_HOOK_MAX];
};

int record_validate(const void *data, size_t size);
int record_render(const void *data, size_t size, const struct record_context *ctx,
		  struct json_buf *buf, struct enclave_event *event);
int record_render_lost(const struct record_lost *lost, const struct record_context *ctx,
		       int64_t realtime_ns, struct json_buf *buf, struct enclave_event *event);
size_t record_format_time(char *dst, size_t dst_size, int64_t realtime_ns);
const char *record_hook_name(unsigned int hook);
const char *record_untracked_reason(int64_t reason);
const char *record_action_name(unsigned int type, unsigned int verdict);
void record_container_id(const char *cgroup_name, char *id, size_t id_size);

#endif /* ENCLAVE_RECORD_H */

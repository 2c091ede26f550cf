/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENCLAVE_SINK_LOADER_H
#define ENCLAVE_SINK_LOADER_H

#include <json-c/json.h>

#include "config.h"
#include "enclave-sink.h"
#include "json.h"

struct sink_set;

int sink_set_open(const struct config *config, struct sink_set **out);
size_t sink_set_count(const struct sink_set *set);
void sink_set_write(struct sink_set *set, const struct enclave_event *event);
void sink_set_flush(struct sink_set *set);
void sink_set_reopen(struct sink_set *set);
void sink_set_status(struct sink_set *set, json_object *object);
uint64_t sink_set_done(struct sink_set *set, size_t index);
int sink_set_render_dropped(struct sink_set *set, uint64_t sequence, int64_t realtime_ns,
			    struct json_buf *buf, struct enclave_event *event);
void sink_set_close(struct sink_set *set);

#endif /* ENCLAVE_SINK_LOADER_H */

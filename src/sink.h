/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENCLAVE_SINK_LOADER_H
#define ENCLAVE_SINK_LOADER_H

#include "config.h"
#include "enclave-sink.h"

struct sink_set;

int sink_set_open(const struct config *config, struct sink_set **out);
size_t sink_set_count(const struct sink_set *set);
void sink_set_write(struct sink_set *set, const struct enclave_event *event);
void sink_set_flush(struct sink_set *set);
void sink_set_reopen(struct sink_set *set);
void sink_set_close(struct sink_set *set);

#endif /* ENCLAVE_SINK_LOADER_H */

/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENCLAVE_CONTAINER_H
#define ENCLAVE_CONTAINER_H

#include <stdint.h>

#include "record.h"

#define CONTAINER_ID_LEN	128
#define CONTAINER_NAME_LEN	256

/* User-space metadata of a container, keyed by its cgroup id. */
struct container_meta {
	uint64_t cgroup_id;
	char id[CONTAINER_ID_LEN];
	char name[CONTAINER_NAME_LEN];
	char runtime[16];
	struct record_container view;	/* points into the fields above */
};

struct container_table;

int container_table_new(const char *cgroup_root, struct container_table **out);
void container_table_free(struct container_table *table);
const struct container_meta *container_table_add(struct container_table *table,
						 uint64_t cgroup_id,
						 const char *cgroup_name,
						 const char *runtime);
const struct container_meta *container_table_lookup(struct container_table *table,
						    uint64_t cgroup_id);
void container_table_remove(struct container_table *table, uint64_t cgroup_id);

#endif /* ENCLAVE_CONTAINER_H */

/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENCLAVE_CONTAINER_H
#define ENCLAVE_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>

#include "record.h"

#define CONTAINER_ID_LEN	128
#define CONTAINER_NAME_LEN	256

#define CONTAINER_RULE_LEN	64

/* User-space metadata of a container, keyed by its cgroup id. */
struct container_meta {
	uint64_t cgroup_id;
	char id[CONTAINER_ID_LEN];
	char name[CONTAINER_NAME_LEN];
	char image[CONTAINER_NAME_LEN];
	char runtime[16];
	char rule[CONTAINER_RULE_LEN];	/* the [rule] that chose the policy */
	/* OCI annotations, "key\0value\0" pairs, owned; for rules on reload. */
	char *annotations;
	size_t n_annotations;
	bool policy_known;		/* level and mode are resolved */
	struct record_container view;	/* points into the fields above */
};

struct container_table;

int container_table_new(const char *cgroup_root, struct container_table **out);
void container_table_free(struct container_table *table);
struct container_meta *container_table_add(struct container_table *table, uint64_t cgroup_id,
					   const char *cgroup_name, const char *runtime);
struct container_meta *container_table_lookup(struct container_table *table, uint64_t cgroup_id);
struct container_meta *container_table_find(struct container_table *table, uint64_t cgroup_id);
void container_table_for_each(struct container_table *table,
			      void (*fn)(struct container_meta *meta, void *ctx), void *ctx);
void container_meta_link(struct container_meta *meta);
void container_table_remove(struct container_table *table, uint64_t cgroup_id);

#endif /* ENCLAVE_CONTAINER_H */

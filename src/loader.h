/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENCLAVE_LOADER_H
#define ENCLAVE_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct loader;

/* Called for every ring-buffer record; data is untrusted and unaligned-safe. */
typedef int (*loader_record_fn)(void *ctx, void *data, size_t size);

/* The policy tables that enclaved writes into the kernel's maps. */
struct loader_tables {
	const struct enclave_path_key *path_keys;
	const struct enclave_path_rule *path_rules;
	size_t n_path_rules;
	const struct enclave_fstype_key *fstype_keys;
	const uint8_t *fstype_levels;	/* lowest level that denies the type */
	size_t n_fstypes;
	struct enclave_settings settings;
	/* Indexed by key length; see struct enclave_path_shape. */
	struct enclave_path_shape path_shapes[ENCLAVE_PATH_LEN];
};

int loader_start(const struct config *config, const struct loader_tables *tables,
		 loader_record_fn on_record, void *ctx, struct loader **out);
int loader_apply_tables(struct loader *loader, const struct loader_tables *tables);
int loader_set_policy(struct loader *loader, uint64_t cgroup_id,
		      const struct enclave_policy *policy, bool must_exist);
int loader_get_policy(struct loader *loader, uint64_t cgroup_id, struct enclave_policy *policy);
int loader_get_container(struct loader *loader, uint64_t cgroup_id,
			 struct enclave_container *container);
int loader_add_container(struct loader *loader, uint64_t cgroup_id,
			 const struct enclave_container *container);
int loader_for_each_policy(struct loader *loader,
			   void (*fn)(void *ctx, uint64_t cgroup_id,
				      const struct enclave_policy *policy),
			   void *ctx);
int loader_epoll_fd(const struct loader *loader);
int loader_consume(struct loader *loader);
int loader_read_lost(struct loader *loader, uint64_t total[ENCLAVE_HOOK_MAX]);
void loader_detach(struct loader *loader);
void loader_stop(struct loader *loader);

#endif /* ENCLAVE_LOADER_H */

/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENCLAVE_ENFORCE_H
#define ENCLAVE_ENFORCE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "container.h"
#include "loader.h"

/* The kernel's policy tables built from one configuration. */
struct enforce_tables {
	struct enclave_path_key *path_keys;
	struct enclave_path_rule *path_rules;
	size_t n_path_rules;
	struct enclave_fstype_key *fstype_keys;
	uint8_t *fstype_levels;
	size_t n_fstypes;
	struct loader_tables view;	/* points at the arrays above */
};

struct enforcer {
	struct loader *loader;
	struct container_table *containers;
	const struct config *config;
	/* Hands a record made in user space (an adopted container's start)
	 * to the record pipeline, as if the kernel had sent it. */
	void (*emit)(void *ctx, const void *record, size_t size);
	void *emit_ctx;
};

int enforce_tables_build(const struct config *config, struct enforce_tables *tables);
void enforce_tables_free(struct enforce_tables *tables);
void enforce_container_started(struct enforcer *e, struct container_meta *meta,
			       const struct enclave_rec_container *rec);
void enforce_resume_pending(struct enforcer *e);
int enforce_reload(struct enforcer *e, const struct config *config);
int enforce_adopt(struct enforcer *e);

#endif /* ENCLAVE_ENFORCE_H */

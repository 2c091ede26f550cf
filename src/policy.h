/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy of containers: the choice of level and mode for one container, and
 * the tables that the kernel side reads (path rules, mount types, settings).
 */
#ifndef ENCLAVE_POLICY_H
#define ENCLAVE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "config.h"
#include "enclave.h"

/* Annotations that a container may carry to tighten its own policy. */
#define POLICY_ANNOTATION_LEVEL	"enclave.policy"
#define POLICY_ANNOTATION_MODE	"enclave.mode"

/*
 * Attributes of a container. A NULL or empty string is unknown, and
 * an unknown attribute matches no glob, not even "*". An annotation that is
 * present with an empty value is known and matches "*".
 */
struct container_attrs {
	const char *id;
	const char *name;
	const char *image;
	const char *runtime;
	size_t n_annotations;
	const char *const *annotation_keys;
	const char *const *annotation_values;
};

/* Bits of struct policy_choice.ignored: annotations that had no effect. */
#define POLICY_IGNORED_RELAX_LEVEL	0x1	/* enclave.policy below the rule */
#define POLICY_IGNORED_RELAX_MODE	0x2	/* enclave.mode = audit over enforce */
#define POLICY_IGNORED_INVALID_LEVEL	0x4	/* enclave.policy not a level name */
#define POLICY_IGNORED_INVALID_MODE	0x8	/* enclave.mode not a mode name */

struct policy_choice {
	uint8_t level;			/* enum enclave_level */
	uint8_t mode;			/* enum enclave_mode */
	const char *rule;		/* matched [rule NAME], NULL = the defaults */
	bool tightened;			/* an annotation raised level or mode */
	unsigned int ignored;		/* POLICY_IGNORED_* */
};

void policy_resolve(const struct config *config,
		    const struct container_attrs *attrs,
		    struct policy_choice *choice);
bool policy_rule_matches(const struct config_rule *rule,
			 const struct container_attrs *attrs);

int policy_path_rules(const struct config *config,
		      struct enclave_path_key **keys,
		      struct enclave_path_rule **values, size_t *n);
int policy_fstypes(const struct config *config,
		   struct enclave_fstype_key **keys, __u8 **values, size_t *n);
void policy_settings(const struct config *config,
		     struct enclave_settings *settings);

int policy_merge(struct config *config, unsigned int *line, char *message,
		 size_t message_size);

#endif /* ENCLAVE_POLICY_H */

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Metadata of a running container from the state files of its runtime
 * (runc, crun, youki) and of podman: OCI annotations, image and name.
 */
#ifndef ENCLAVE_RUNTIME_STATE_H
#define ENCLAVE_RUNTIME_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "policy.h"

#define RUNTIME_STATE_MAX_FILE		(4u << 20)	/* bytes of one JSON file */
#define RUNTIME_STATE_MAX_ANNOTATIONS	256
#define RUNTIME_STATE_MAX_KEY		1024	/* bytes of an annotation key */
#define RUNTIME_STATE_MAX_VALUE		4096	/* bytes of an annotation value */
#define RUNTIME_STATE_MAX_ID		1024	/* bytes of a container id */

/* Every string is owned; NULL when not found. */
struct runtime_state {
	char *state_dir;		/* the state directory that has the container */
	char *bundle;			/* the OCI bundle directory */
	char *name;			/* podman's first name of the container */
	char *image;			/* podman's image name */
	size_t n_annotations;
	char **annotation_keys;
	char **annotation_values;
	/* Annotations were skipped: too many, too long or not text. */
	bool annotations_skipped;
};

int runtime_state_read(const struct config *config, const char *runtime_comm,
		       const char *container_id, struct runtime_state *out);
void runtime_state_free(struct runtime_state *state);
void runtime_state_attrs(const struct runtime_state *state,
			 struct container_attrs *attrs);

#endif /* ENCLAVE_RUNTIME_STATE_H */

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Record filters by record type, event.action and container, shared by the
 * daemon (filter.* options of every sink) and the socket sink (the filter
 * line of a subscriber). A record passes when it matches every field that
 * the filter sets, and a field matches when any of its values does.
 * Reports of lost or dropped records (type "report") pass every filter,
 * because they are how a consumer learns of a gap.
 */
#ifndef ENCLAVE_FILTER_H
#define ENCLAVE_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "enclave-sink.h"

#define FILTER_MAX_VALUES	32	/* per field */
#define FILTER_MAX_PATTERN	255	/* bytes of a container pattern */

struct filter {
	unsigned int types;		/* bit (1 << enum filter_type); 0 = any */
	unsigned int actions;		/* bit per filter_actions[] entry; 0 = any */
	char *containers[FILTER_MAX_VALUES];	/* fnmatch(3) patterns */
	size_t n_containers;
};

int filter_add(struct filter *filter, const char *field, const char *value,
	       char *err, size_t err_size);
int filter_add_list(struct filter *filter, const char *field, const char *list,
		    char *err, size_t err_size);
bool filter_match(const struct filter *filter, const struct enclave_event *event);
bool filter_is_empty(const struct filter *filter);
void filter_free(struct filter *filter);

#endif /* ENCLAVE_FILTER_H */

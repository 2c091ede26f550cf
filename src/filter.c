/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

#define FILTER_ARRAY_SIZE(array)	(sizeof(array) / sizeof((array)[0]))

enum filter_type {
	FILTER_TYPE_CONTAINER,
	FILTER_TYPE_PROCESS,
	FILTER_TYPE_DECISION,
	FILTER_TYPE_REPORT,
};

static const char *const filter_types[] = {
	[FILTER_TYPE_CONTAINER] = "container",
	[FILTER_TYPE_PROCESS] = "process",
	[FILTER_TYPE_DECISION] = "decision",
	[FILTER_TYPE_REPORT] = "report",
};

/* Every event.action that enclaved writes. */
static const char *const filter_actions[] = {
	"container_start", "container_stop", "process_exec", "process_exit",
	"deny", "audit", "allow", "container_untracked",
	"records_lost", "records_dropped",
};

static int filter_find(const char *const *names, size_t n, const char *value)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], value) == 0)
			return (int)i;
	}
	return -1;
}

static int filter_type_of(const struct enclave_event *event)
{
	switch (event->type) {
	case ENCLAVE_EVENT_CONTAINER_START:
	case ENCLAVE_EVENT_CONTAINER_STOP:
		return FILTER_TYPE_CONTAINER;
	case ENCLAVE_EVENT_PROCESS_EXEC:
	case ENCLAVE_EVENT_PROCESS_EXIT:
		return FILTER_TYPE_PROCESS;
	case ENCLAVE_EVENT_DECISION:
		return FILTER_TYPE_DECISION;
	default:
		return FILTER_TYPE_REPORT;
	}
}

static int filter_add_container(struct filter *filter, const char *value,
				char *err, size_t err_size)
{
	size_t len = strlen(value);

	if (len == 0 || len > FILTER_MAX_PATTERN) {
		snprintf(err, err_size, "invalid container pattern of %zu bytes (expected 1 to %d)",
			 len, FILTER_MAX_PATTERN);
		return -EINVAL;
	}
	if (filter->n_containers == FILTER_MAX_VALUES) {
		snprintf(err, err_size, "too many container patterns (max %d)", FILTER_MAX_VALUES);
		return -EINVAL;
	}
	filter->containers[filter->n_containers] = strdup(value);
	if (!filter->containers[filter->n_containers]) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	filter->n_containers++;
	return 0;
}

/* Add one value to FIELD ("type", "action" or "container"). On error, ERR
 * contains the problem without a location. */
int filter_add(struct filter *filter, const char *field, const char *value,
	       char *err, size_t err_size)
{
	int index;

	if (strcmp(field, "container") == 0)
		return filter_add_container(filter, value, err, err_size);

	if (strcmp(field, "type") == 0) {
		index = filter_find(filter_types, FILTER_ARRAY_SIZE(filter_types), value);
		if (index < 0) {
			snprintf(err, err_size,
				 "invalid record type '%.64s' (expected container, process, decision or report)",
				 value);
			return -EINVAL;
		}
		filter->types |= 1u << index;
		return 0;
	}
	if (strcmp(field, "action") == 0) {
		index = filter_find(filter_actions, FILTER_ARRAY_SIZE(filter_actions), value);
		if (index < 0) {
			snprintf(err, err_size,
				 "invalid action '%.64s' (expected an event.action such as deny, audit, allow, container_start or process_exec)",
				 value);
			return -EINVAL;
		}
		filter->actions |= 1u << index;
		return 0;
	}
	snprintf(err, err_size, "unknown filter field '%.64s' (expected type, action or container)",
		 field);
	return -EINVAL;
}

/* Add each value of LIST, separated by commas and optional blanks. */
int filter_add_list(struct filter *filter, const char *field, const char *list,
		    char *err, size_t err_size)
{
	char *copy = strdup(list), *item, *save = NULL;
	int ret = 0;

	if (!copy) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	for (item = strtok_r(copy, ",", &save); item && !ret;
	     item = strtok_r(NULL, ",", &save)) {
		char *end;

		while (*item == ' ' || *item == '\t')
			item++;
		end = item + strlen(item);
		while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		ret = filter_add(filter, field, item, err, err_size);
	}
	free(copy);
	return ret;
}

static bool filter_match_container(const struct filter *filter,
				   const struct enclave_event *event)
{
	for (size_t i = 0; i < filter->n_containers; i++) {
		const char *pattern = filter->containers[i];

		if (event->container_id && fnmatch(pattern, event->container_id, 0) == 0)
			return true;
		if (event->container_name && fnmatch(pattern, event->container_name, 0) == 0)
			return true;
	}
	return false;
}

bool filter_match(const struct filter *filter, const struct enclave_event *event)
{
	int type = filter_type_of(event);
	int action;

	if (type == FILTER_TYPE_REPORT)
		return true;
	if (filter->types && !(filter->types & (1u << type)))
		return false;
	if (filter->actions) {
		action = event->action ?
			filter_find(filter_actions, FILTER_ARRAY_SIZE(filter_actions), event->action) :
			-1;
		if (action < 0 || !(filter->actions & (1u << action)))
			return false;
	}
	if (filter->n_containers && !filter_match_container(filter, event))
		return false;
	return true;
}

bool filter_is_empty(const struct filter *filter)
{
	return !filter->types && !filter->actions && !filter->n_containers;
}

void filter_free(struct filter *filter)
{
	if (!filter)
		return;
	for (size_t i = 0; i < filter->n_containers; i++)
		free(filter->containers[i]);
	memset(filter, 0, sizeof(*filter));
}

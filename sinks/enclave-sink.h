/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The interface between enclaved and its output sinks.
 *
 * A sink is a shared object that exports one symbol, ENCLAVE_SINK_SYMBOL,
 * of type const struct enclave_sink_ops. enclaved loads it with dlopen(3)
 * when the configuration names it, checks abi_version and struct_size, and
 * calls its functions from the event loop thread only, so a sink needs no
 * locking. Every function returns 0 or a negative errno value.
 */
#ifndef ENCLAVE_SINK_H
#define ENCLAVE_SINK_H

#include <stddef.h>
#include <stdint.h>

#define ENCLAVE_SINK_ABI_VERSION	1
#define ENCLAVE_SINK_SYMBOL		"enclave_sink_ops"

enum enclave_event_type {
	ENCLAVE_EVENT_CONTAINER_START	= 1,
	ENCLAVE_EVENT_CONTAINER_STOP	= 2,
	ENCLAVE_EVENT_PROCESS_EXEC	= 3,
	ENCLAVE_EVENT_PROCESS_EXIT	= 4,
	ENCLAVE_EVENT_DECISION		= 5,
	ENCLAVE_EVENT_RECORDS_LOST	= 6,
};

/* One key = value line of the sink's section in the configuration. */
struct enclave_sink_option {
	const char *key;
	const char *value;
	const char *file;		/* for "file:line: problem" messages */
	unsigned int line;
};

struct enclave_sink_config {
	const char *instance;		/* the section name, e.g. "audit-log" */
	const struct enclave_sink_option *options;
	size_t n_options;
	/* The daemon's logger: priority is a syslog(3) level. */
	void (*log)(int priority, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
};

/* A record, rendered once by the daemon and handed to every sink. */
struct enclave_event {
	uint32_t struct_size;		/* sizeof(struct enclave_event) of the daemon */
	uint32_t type;			/* enum enclave_event_type */
	uint64_t sequence;		/* per daemon run, starts at 1, no gaps */
	int64_t time_ns;		/* CLOCK_REALTIME */
	const char *action;		/* event.action, e.g. "deny" */
	const char *json;		/* one JSON object, no newline, NUL-terminated */
	size_t json_len;
};

struct enclave_sink_ops {
	uint32_t abi_version;		/* ENCLAVE_SINK_ABI_VERSION */
	uint32_t struct_size;		/* sizeof(struct enclave_sink_ops) */
	const char *name;

	/* Validate the options and open the output. config and everything it
	 * points to are valid only during the call: copy what is needed later.
	 * open logs every failure through config->log, a rejected option as
	 * "file:line: problem" with -EINVAL. */
	int (*open)(const struct enclave_sink_config *config, void **state);
	int (*write)(void *state, const struct enclave_event *event);
	int (*flush)(void *state);
	/* Reopen files after log rotation; called on SIGHUP. */
	int (*reopen)(void *state);
	/* Flush and release everything; state may be NULL. */
	void (*close)(void *state);
};

#endif /* ENCLAVE_SINK_H */

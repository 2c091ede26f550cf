/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The interface between enclaved and its output sinks; docs/SINKS.md is the
 * guide for sink authors.
 *
 * A sink is a shared object that exports one symbol, ENCLAVE_SINK_SYMBOL,
 * of type const struct enclave_sink_ops. enclaved loads it with dlopen(3)
 * when the configuration names it, checks abi_version and struct_size, and
 * opens one instance per [sink NAME] section that names the module.
 *
 * Threads: each instance has a worker thread of its own, fed by a bounded
 * queue. open is called from the daemon's main thread before the worker
 * starts. After that, write, flush, reopen and close of one instance are
 * called from its worker only, one at a time. Instances of the same module run
 * on different threads at once, so a module's global state needs locking.
 * stats may be called from another thread while the instance works.
 * Every function returns 0 or a negative errno value, except where noted.
 */
#ifndef ENCLAVE_SINK_H
#define ENCLAVE_SINK_H

#include <stddef.h>
#include <stdint.h>

#define ENCLAVE_SINK_ABI_VERSION	2
#define ENCLAVE_SINK_SYMBOL		"enclave_sink_ops"

enum enclave_event_type {
	ENCLAVE_EVENT_CONTAINER_START	= 1,
	ENCLAVE_EVENT_CONTAINER_STOP	= 2,
	ENCLAVE_EVENT_PROCESS_EXEC	= 3,
	ENCLAVE_EVENT_PROCESS_EXIT	= 4,
	ENCLAVE_EVENT_DECISION		= 5,
	ENCLAVE_EVENT_RECORDS_LOST	= 6,
	ENCLAVE_EVENT_RECORDS_DROPPED	= 7,	/* a sink or subscriber queue was full */
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
	/* The container's id and name as the daemon resolved them, before the
	 * JSON escaping: arbitrary bytes but NUL. NULL when the record names no
	 * container. Added in ABI version 2. */
	const char *container_id;
	const char *container_name;
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
	/* Take one record. event and its strings are valid only during the
	 * call. A sink must not block for long: while it does, its queue
	 * fills and records are dropped. */
	int (*write)(void *state, const struct enclave_event *event);
	/* Optional. Called when the queue runs empty and at least every
	 * ENCLAVE_SINK_FLUSH_MS while records keep coming. A positive return
	 * means that output is still pending: flush is then called again
	 * every ENCLAVE_SINK_FLUSH_MS while no record comes. */
	int (*flush)(void *state);
	/* Optional. Reopen files after log rotation; called on SIGHUP. */
	int (*reopen)(void *state);
	/* Flush and release everything; state may be NULL. */
	void (*close)(void *state);
	/* Optional, added in ABI version 2. Write the sink's own counters as
	 * one JSON object, NUL-terminated, into buf of size bytes, and return
	 * its length or a negative errno (-ENOSPC when it does not fit).
	 * Called from any thread while the instance works. A member "lost"
	 * counts records the sink accepted and then lost for every reader;
	 * the daemon adds it to its in-band records_dropped report. */
	int (*stats)(void *state, char *buf, size_t size);
};

#define ENCLAVE_SINK_FLUSH_MS		200

#endif /* ENCLAVE_SINK_H */

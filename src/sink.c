/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sink loader: resolves each configured module, checks that only root
 * can have written it, loads it with dlopen(3), checks its ABI, opens it and
 * starts its queue. The daemon handles the options filter.* and queue.* of
 * every sink itself and passes the others to the module.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <json-c/json.h>

#include "filter.h"
#include "log.h"
#include "pipeline.h"
#include "record.h"
#include "sink.h"

#define SINK_MAX_QUEUE_RECORDS	(1u << 20)
#define SINK_MAX_QUEUE_BYTES	(UINT64_C(1) << 30)

struct sink {
	const struct enclave_sink_ops *ops;
	void *handle;			/* from dlopen */
	char *instance;
	struct pipeline_queue *queue;	/* owns state and closes it */
	void *state;			/* from ops->open */
	struct filter filter;
	uint64_t filtered;		/* records the filter kept from this sink */
	size_t max_records;
	uint64_t max_bytes;
	/* Options for the module: those that the daemon does not handle. */
	struct enclave_sink_option *options;
	size_t n_options;
	uint64_t dropped_reported;	/* queue drops and failed writes so far */
};

struct sink_set {
	struct sink *sinks;
	size_t n_sinks;
};

/* Only root may be able to replace the code that enclaved runs as root. */
static int check_owner(const char *what, const char *path, const struct stat *st)
{
	if (geteuid() != 0)
		return 0;
	if (st->st_uid != 0 || (st->st_mode & (S_IWGRP | S_IWOTH))) {
		log_msg(LOG_ERR,
			"sink: %s '%s' must be owned by root and not writable by group or others (owner %u, mode %04o)",
			what, path, (unsigned int)st->st_uid, (unsigned int)(st->st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/*
 * Check every directory from / down to the one that contains the module:
 * anyone who can write to one of them could replace what lies below. A
 * world-writable directory with the sticky bit (/tmp) is accepted, because
 * there only the owner of an entry can rename or remove it.
 */
static int check_directory(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		int err = -errno;

		log_msg(LOG_ERR, "sink: failed to stat module directory '%s': %s", path,
			strerror(-err));
		return err;
	}
	if ((st.st_mode & S_ISVTX) && st.st_uid == 0)
		return 0;
	return check_owner("module directory", path, &st);
}

static int check_directories(const char *module_path)
{
	char dir[PATH_MAX], real[PATH_MAX], prefix[PATH_MAX];
	const char *next;
	size_t len = 0;
	int err;

	snprintf(dir, sizeof(dir), "%s", module_path);
	if (!realpath(dirname(dir), real)) {
		err = -errno;
		log_msg(LOG_ERR, "sink: failed to resolve the directory of module '%s': %s",
			module_path, strerror(-err));
		return err;
	}

	err = check_directory("/");
	while (!err && real[len] != '\0' && real[len + 1] != '\0') {
		next = strchr(real + len + 1, '/');
		len = next ? (size_t)(next - real) : strlen(real);
		snprintf(prefix, sizeof(prefix), "%.*s", (int)len, real);
		err = check_directory(prefix);
	}
	return err;
}

/* Open the module file, check it and its directories, and return its fd. */
static int open_module(const char *path)
{
	struct stat st;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		log_msg(LOG_ERR, "sink: failed to open module '%s': %s", path, strerror(-err));
		return err;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_msg(LOG_ERR, "sink: module '%s' is not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	err = check_owner("module", path, &st);
	if (!err && geteuid() == 0)
		err = check_directories(path);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static int check_ops(const struct enclave_sink_ops *ops, const char *path)
{
	if (ops->abi_version != ENCLAVE_SINK_ABI_VERSION) {
		log_msg(LOG_ERR, "sink: module '%s' has ABI version %u, enclaved needs %u",
			path, ops->abi_version, ENCLAVE_SINK_ABI_VERSION);
		return -EINVAL;
	}
	if (ops->struct_size < sizeof(*ops)) {
		log_msg(LOG_ERR, "sink: module '%s' has an ops struct of %u bytes, expected %zu",
			path, ops->struct_size, sizeof(*ops));
		return -EINVAL;
	}
	if (!ops->name || !ops->open || !ops->write || !ops->close) {
		log_msg(LOG_ERR, "sink: module '%s' lacks name, open, write or close", path);
		return -EINVAL;
	}
	return 0;
}

static int load_module(struct sink *sink, const char *path)
{
	const struct enclave_sink_ops *ops;
	char fd_path[64];
	int fd = open_module(path), err;

	if (fd < 0)
		return fd;

	/* Load the file that was checked, not whatever the path names now. */
	snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", fd);
	sink->handle = dlopen(fd_path, RTLD_NOW | RTLD_LOCAL);
	close(fd);
	if (!sink->handle) {
		log_msg(LOG_ERR, "sink: failed to load module '%s': %s", path, dlerror());
		return -ENOEXEC;
	}

	ops = dlsym(sink->handle, ENCLAVE_SINK_SYMBOL);
	if (!ops) {
		log_msg(LOG_ERR, "sink: module '%s' does not export '%s': %s", path,
			ENCLAVE_SINK_SYMBOL, dlerror());
		return -ENOEXEC;
	}
	err = check_ops(ops, path);
	if (err)
		return err;
	/* Left NULL for a rejected module, so sink_set_close never calls it. */
	sink->ops = ops;
	return 0;
}

static int parse_count(const struct enclave_sink_option *option, const char *instance,
		       uint64_t min, uint64_t max, bool size, uint64_t *out)
{
	char *end;
	unsigned long long value;

	errno = 0;
	value = strtoull(option->value, &end, 10);
	if (size && end != option->value && (*end == 'K' || *end == 'M' || *end == 'G')) {
		unsigned int shift = 30;

		if (*end == 'K')
			shift = 10;
		else if (*end == 'M')
			shift = 20;

		if (value > (UINT64_MAX >> shift))
			errno = ERANGE;
		value <<= shift;
		end++;
	}
	if (errno || end == option->value || *end || option->value[0] == '-' ||
	    value < min || value > max) {
		log_msg(LOG_ERR, "%s:%u: invalid %s '%s' for sink '%s' (expected %llu to %llu%s)",
			option->file, option->line, option->key, option->value, instance,
			(unsigned long long)min, (unsigned long long)max,
			size ? " bytes, with an optional K, M or G suffix" : "");
		return -EINVAL;
	}
	*out = value;
	return 0;
}

/* Handle one option that the daemon handles for every sink. */
static int parse_daemon_option(struct sink *sink, const struct enclave_sink_option *option)
{
	char err[256];
	uint64_t value;
	int ret;

	if (strncmp(option->key, "filter.", 7) == 0) {
		ret = filter_add_list(&sink->filter, option->key + 7, option->value, err,
				      sizeof(err));
		if (ret)
			log_msg(LOG_ERR, "%s:%u: %s in '%s' of sink '%s'", option->file,
				option->line, err, option->key, sink->instance);
		return ret;
	}
	if (strcmp(option->key, "queue.records") == 0) {
		ret = parse_count(option, sink->instance, 1, SINK_MAX_QUEUE_RECORDS, false,
				  &value);
		sink->max_records = (size_t)value;
		return ret;
	}
	if (strcmp(option->key, "queue.bytes") == 0)
		return parse_count(option, sink->instance, 4096, SINK_MAX_QUEUE_BYTES, true,
				   &sink->max_bytes);
	log_msg(LOG_ERR, "%s:%u: unknown option '%s' for sink '%s' (the daemon handles filter.type, filter.action, filter.container, queue.records and queue.bytes)",
		option->file, option->line, option->key, sink->instance);
	return -EINVAL;
}

/* Split the options of ENTRY into the daemon's and the module's. */
static int parse_sink_options(struct sink *sink, const struct config_sink *entry)
{
	sink->max_records = PIPELINE_DEFAULT_RECORDS;
	sink->max_bytes = PIPELINE_DEFAULT_BYTES;
	sink->options = calloc(entry->n_options ? entry->n_options : 1, sizeof(*sink->options));
	if (!sink->options)
		return -ENOMEM;
	for (size_t i = 0; i < entry->n_options; i++) {
		const struct enclave_sink_option *option = &entry->options[i];
		int err;

		if (strncmp(option->key, "filter.", 7) != 0 &&
		    strncmp(option->key, "queue.", 6) != 0) {
			sink->options[sink->n_options++] = *option;
			continue;
		}
		err = parse_daemon_option(sink, option);
		if (err)
			return err;
	}
	return 0;
}

static int open_sink(struct sink *sink, const struct config *config,
		     const struct config_sink *entry)
{
	struct enclave_sink_config sink_config = {
		.instance = entry->instance,
		.log = log_msg,
	};
	char path[PATH_MAX];
	void *state = NULL;
	int err;

	if (entry->module[0] == '/')
		snprintf(path, sizeof(path), "%s", entry->module);
	else
		snprintf(path, sizeof(path), "%s/%s.so", config->sink_dir, entry->module);

	sink->instance = strdup(entry->instance);
	if (!sink->instance)
		return -ENOMEM;
	err = parse_sink_options(sink, entry);
	if (err)
		return err;
	err = load_module(sink, path);
	if (err)
		return err;

	/* A sink logs why it rejected its options (-EINVAL); any other
	 * failure is named here too, in case a sink did not log it. */
	sink_config.options = sink->options;
	sink_config.n_options = sink->n_options;
	err = sink->ops->open(&sink_config, &state);
	if (err) {
		log_msg(err == -EINVAL ? LOG_DEBUG : LOG_ERR,
			"sink: failed to open sink '%s' (module '%s'): %s",
			entry->instance, path, strerror(-err));
		return err;
	}
	err = pipeline_queue_start(sink->instance, sink->ops, state, sink->max_records,
				   (size_t)sink->max_bytes, &sink->queue);
	if (err) {
		sink->ops->close(state);
		return err;
	}
	sink->state = state;
	log_msg(LOG_NOTICE, "sink: opened sink '%s' (module '%s')", entry->instance, path);
	return 0;
}

/* Load and open every sink of the configuration. */
int sink_set_open(const struct config *config, struct sink_set **out)
{
	struct sink_set *set = calloc(1, sizeof(*set));
	int err = 0;

	if (!set)
		return -ENOMEM;
	set->sinks = calloc(config->n_sinks ? config->n_sinks : 1, sizeof(*set->sinks));
	if (!set->sinks) {
		free(set);
		return -ENOMEM;
	}
	for (size_t i = 0; i < config->n_sinks; i++) {
		set->n_sinks++;
		err = open_sink(&set->sinks[i], config, &config->sinks[i]);
		if (err)
			break;
	}
	if (err) {
		sink_set_close(set);
		return err;
	}
	if (config->n_sinks == 0)
		log_msg(LOG_WARNING,
			"sink: no sinks configured; enclaved enforces but records nothing");
	*out = set;
	return 0;
}

size_t sink_set_count(const struct sink_set *set)
{
	return set->n_sinks;
}

/* Queue the event for every sink whose filter it passes. A full queue
 * drops the record for that sink only, and counts it; nothing here waits
 * for a sink. */
void sink_set_write(struct sink_set *set, const struct enclave_event *event)
{
	for (size_t i = 0; i < set->n_sinks; i++) {
		struct sink *sink = &set->sinks[i];

		if (!filter_match(&sink->filter, event)) {
			sink->filtered++;
			continue;
		}
		pipeline_queue_push(sink->queue, event);
	}
}

/* Hand the records queued since the last call to the sinks' workers. Call
 * it after each burst of sink_set_write(): the workers take records only
 * once kicked or once their queue is a quarter full. The workers flush the
 * sinks on their own, when their queue runs empty. */
void sink_set_flush(struct sink_set *set)
{
	for (size_t i = 0; i < set->n_sinks; i++)
		pipeline_queue_kick(set->sinks[i].queue);
}

void sink_set_reopen(struct sink_set *set)
{
	for (size_t i = 0; i < set->n_sinks; i++)
		pipeline_queue_reopen(set->sinks[i].queue);
}

static void add_u64(json_object *object, const char *key, uint64_t value)
{
	json_object_object_add(object, key, json_object_new_uint64(value));
}

/* Add the sink's own counters from its stats function, if it has one. */
static void add_module_stats(json_object *object, const struct sink *sink)
{
	char buf[16384];
	json_object *stats;
	int len;

	if (!sink->ops->stats)
		return;
	len = sink->ops->stats(sink->state, buf, sizeof(buf));
	if (len < 0) {
		json_object_object_add(object, "stats_error",
				       json_object_new_string(strerror(-len)));
		return;
	}
	stats = json_tokener_parse(buf);
	if (!stats || !json_object_is_type(stats, json_type_object)) {
		json_object_put(stats);
		json_object_object_add(object, "stats_error",
				       json_object_new_string("the module's stats are not a JSON object"));
		return;
	}
	json_object_object_add(object, "stats", stats);
}

/* Add the counters of every sink to OBJECT, keyed by the instance name. */
void sink_set_status(struct sink_set *set, json_object *object)
{
	for (size_t i = 0; i < set->n_sinks; i++) {
		struct sink *sink = &set->sinks[i];
		struct pipeline_counters counters;
		json_object *entry = json_object_new_object();

		pipeline_queue_counters(sink->queue, &counters);
		json_object_object_add(entry, "module",
				       json_object_new_string(sink->ops->name));
		add_u64(entry, "filtered", sink->filtered);
		add_u64(entry, "queued", counters.queued);
		add_u64(entry, "dropped", counters.dropped);
		add_u64(entry, "written", counters.written);
		add_u64(entry, "failed", counters.failed);
		add_u64(entry, "queue_length", counters.length);
		add_u64(entry, "queue_bytes", counters.bytes);
		add_module_stats(entry, sink);
		json_object_object_add(object, sink->instance, entry);
	}
}

/* Return the records that the queue of sink INDEX, counted in configuration
 * order, is done with; see pipeline_queue_done(). */
uint64_t sink_set_done(struct sink_set *set, size_t index)
{
	return pipeline_queue_done(set->sinks[index].queue);
}

/* Records that the module lost after accepting them (the "lost" member of
 * its stats), such as the json sink's buffer after a failed write. */
static uint64_t module_dropped(const struct sink *sink)
{
	char text[1024];
	json_object *stats, *lost;
	uint64_t count = 0;

	if (!sink->ops->stats || sink->ops->stats(sink->state, text, sizeof(text)) < 0)
		return 0;
	stats = json_tokener_parse(text);
	if (stats && json_object_object_get_ex(stats, "lost", &lost) &&
	    json_object_is_type(lost, json_type_int))
		count = json_object_get_uint64(lost);
	json_object_put(stats);
	return count;
}

/*
 * Render a records_dropped report into BUF and EVENT when a sink dropped
 * records since the last report: per sink, records that its full queue
 * rejected, records that it failed to write, and records that the module
 * lost after accepting them. Returns 1 when there is a report, 0 when
 * nothing was dropped, or -ENOMEM.
 */
int sink_set_render_dropped(struct sink_set *set, uint64_t sequence, int64_t realtime_ns,
			    struct json_buf *buf, struct enclave_event *event)
{
	uint64_t count = 0, total = 0;
	char stamp[40];
	size_t len;

	for (size_t i = 0; i < set->n_sinks; i++) {
		struct pipeline_counters counters;

		pipeline_queue_counters(set->sinks[i].queue, &counters);
		count += counters.dropped + counters.failed + module_dropped(&set->sinks[i]) -
			 set->sinks[i].dropped_reported;
	}
	if (count == 0)
		return 0;

	len = record_format_time(stamp, sizeof(stamp), realtime_ns);
	json_buf_reset(buf);
	json_object_begin(buf, NULL);
	json_put_string(buf, "@timestamp", stamp, len);
	json_object_begin(buf, "event");
	json_put_string(buf, "kind", "event", 5);
	json_put_string(buf, "action", "records_dropped", 15);
	json_put_u64(buf, "sequence", sequence);
	json_object_end(buf);
	json_object_begin(buf, "enclave");
	json_object_begin(buf, "dropped");
	for (size_t i = 0; i < set->n_sinks; i++) {
		struct sink *sink = &set->sinks[i];
		struct pipeline_counters counters;
		uint64_t sink_total;

		uint64_t lost_in_module = module_dropped(sink);

		pipeline_queue_counters(sink->queue, &counters);
		sink_total = counters.dropped + counters.failed + lost_in_module;
		json_object_begin(buf, sink->instance);
		json_put_u64(buf, "count", sink_total - sink->dropped_reported);
		json_put_u64(buf, "total", sink_total);
		json_put_u64(buf, "queue_full", counters.dropped);
		json_put_u64(buf, "write_failed", counters.failed);
		json_put_u64(buf, "lost_in_sink", lost_in_module);
		json_object_end(buf);
		sink->dropped_reported = sink_total;
		total += sink_total;
	}
	json_put_u64(buf, "count", count);
	json_put_u64(buf, "total", total);
	json_object_end(buf);
	json_object_end(buf);
	json_object_end(buf);
	if (json_buf_failed(buf))
		return -ENOMEM;

	memset(event, 0, sizeof(*event));
	event->struct_size = sizeof(*event);
	event->type = ENCLAVE_EVENT_RECORDS_DROPPED;
	event->sequence = sequence;
	event->time_ns = realtime_ns;
	event->action = "records_dropped";
	event->json = buf->data;
	event->json_len = buf->len;
	return 1;
}

/* Write out and close every sink and unload the modules; set may be NULL. */
void sink_set_close(struct sink_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n_sinks; i++) {
		struct sink *sink = &set->sinks[i];

		pipeline_queue_stop(sink->queue);
		if (sink->handle)
			dlclose(sink->handle);
		filter_free(&sink->filter);
		free(sink->options);
		free(sink->instance);
	}
	free(set->sinks);
	free(set);
}

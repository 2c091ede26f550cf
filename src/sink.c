/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sink loader: resolves each configured module, checks that only root
 * can have written it, loads it with dlopen(3), checks its ABI and opens it.
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

#include "log.h"
#include "sink.h"

struct sink {
	const struct enclave_sink_ops *ops;
	void *handle;			/* from dlopen */
	void *state;			/* from ops->open */
	char *instance;
	uint64_t failed_writes;		/* records this sink could not take */
	bool failing;			/* the last write failed */
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

static int open_sink(struct sink *sink, const struct config *config,
		     const struct config_sink *entry)
{
	struct enclave_sink_config sink_config = {
		.instance = entry->instance,
		.options = entry->options,
		.n_options = entry->n_options,
		.log = log_msg,
	};
	char path[PATH_MAX];
	int err;

	if (entry->module[0] == '/')
		snprintf(path, sizeof(path), "%s", entry->module);
	else
		snprintf(path, sizeof(path), "%s/%s.so", config->sink_dir, entry->module);

	sink->instance = strdup(entry->instance);
	if (!sink->instance)
		return -ENOMEM;
	err = load_module(sink, path);
	if (err)
		return err;

	/* A sink logs why it rejected its options (-EINVAL); any other
	 * failure is named here too, in case a sink did not log it. */
	err = sink->ops->open(&sink_config, &sink->state);
	if (err) {
		log_msg(err == -EINVAL ? LOG_DEBUG : LOG_ERR,
			"sink: failed to open sink '%s' (module '%s'): %s",
			entry->instance, path, strerror(-err));
		sink->ops = NULL;	/* nothing to close */
		return err;
	}
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

/* Give the event to every sink. A failing sink is counted and logged when it
 * starts and stops failing; it never keeps the others from the event. */
void sink_set_write(struct sink_set *set, const struct enclave_event *event)
{
	for (size_t i = 0; i < set->n_sinks; i++) {
		struct sink *sink = &set->sinks[i];
		int err = sink->ops->write(sink->state, event);

		if (err) {
			sink->failed_writes++;
			if (!sink->failing)
				log_msg(LOG_WARNING,
					"sink: failed to write record %llu to sink '%s': %s; records are dropped until it recovers",
					(unsigned long long)event->sequence, sink->instance,
					strerror(-err));
			sink->failing = true;
		} else if (sink->failing) {
			log_msg(LOG_NOTICE, "sink: sink '%s' recovered after %llu lost records",
				sink->instance, (unsigned long long)sink->failed_writes);
			sink->failing = false;
		}
	}
}

void sink_set_flush(struct sink_set *set)
{
	for (size_t i = 0; i < set->n_sinks; i++) {
		struct sink *sink = &set->sinks[i];
		int err;

		if (!sink->ops->flush)
			continue;
		err = sink->ops->flush(sink->state);
		if (err && !sink->failing) {
			log_msg(LOG_WARNING, "sink: failed to flush sink '%s': %s",
				sink->instance, strerror(-err));
			sink->failing = true;
		}
	}
}

void sink_set_reopen(struct sink_set *set)
{
	for (size_t i = 0; i < set->n_sinks; i++) {
		struct sink *sink = &set->sinks[i];
		int err;

		if (!sink->ops->reopen)
			continue;
		err = sink->ops->reopen(sink->state);
		if (err)
			log_msg(LOG_ERR, "sink: failed to reopen sink '%s': %s; it keeps its old output",
				sink->instance, strerror(-err));
		else
			log_msg(LOG_INFO, "sink: reopened sink '%s'", sink->instance);
	}
}

/* Flush and close every sink and unload the modules; set may be NULL. */
void sink_set_close(struct sink_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n_sinks; i++) {
		struct sink *sink = &set->sinks[i];

		if (sink->ops)
			sink->ops->close(sink->state);
		if (sink->handle)
			dlclose(sink->handle);
		free(sink->instance);
	}
	free(set->sinks);
	free(set);
}

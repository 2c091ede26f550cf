/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON-lines file sink: one record per line, appended to a file that
 * log shippers tail. Records are buffered and written when enclaved flushes,
 * after each batch it reads from the ring buffer, or when the buffer fills.
 *
 * Options: path (required, absolute), mode (octal, default 0640).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "enclave-sink.h"

#define JSON_SINK_BUFFER (64 * 1024)

struct json_sink {
	/* Copied from the configuration, which lives only during open. */
	void (*log)(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	char *instance;
	char *path;
	mode_t mode;
	int fd;
	char *buffer;
	size_t used;
	size_t buffered_records;
	bool partial_line;		/* a failed write left a line unfinished */
};

static int parse_mode(const struct enclave_sink_config *config,
		      const struct enclave_sink_option *option, mode_t *mode)
{
	char *end;
	unsigned long value;

	errno = 0;
	value = strtoul(option->value, &end, 8);
	if (errno || *end || end == option->value || value > 0666) {
		config->log(LOG_ERR, "%s:%u: invalid mode '%s' for sink '%s': expected octal 0000..0666",
			    option->file, option->line, option->value, config->instance);
		return -EINVAL;
	}
	if (value & 0002) {
		config->log(LOG_ERR, "%s:%u: mode '%s' for sink '%s' lets anyone forge records: drop the write bit for others",
			    option->file, option->line, option->value, config->instance);
		return -EINVAL;
	}
	*mode = (mode_t)value;
	return 0;
}

static int parse_options(struct json_sink *sink, const struct enclave_sink_config *config)
{
	for (size_t i = 0; i < config->n_options; i++) {
		const struct enclave_sink_option *option = &config->options[i];

		if (strcmp(option->key, "path") == 0) {
			if (option->value[0] != '/') {
				config->log(LOG_ERR, "%s:%u: path '%s' of sink '%s' is not absolute",
					    option->file, option->line, option->value,
					    config->instance);
				return -EINVAL;
			}
			free(sink->path);
			sink->path = strdup(option->value);
			if (!sink->path) {
				config->log(LOG_ERR, "json: sink '%s': out of memory",
					    config->instance);
				return -ENOMEM;
			}
		} else if (strcmp(option->key, "mode") == 0) {
			if (parse_mode(config, option, &sink->mode))
				return -EINVAL;
		} else {
			config->log(LOG_ERR, "%s:%u: unknown option '%s' for sink '%s' (module json accepts path and mode)",
				    option->file, option->line, option->key, config->instance);
			return -EINVAL;
		}
	}
	if (!sink->path) {
		config->log(LOG_ERR, "json: sink '%s': option 'path' is required", config->instance);
		return -EINVAL;
	}
	return 0;
}

/*
 * Open the file for appending. Symbolic links are not followed, because a
 * root daemon must not be turned into writing somewhere else, and only a
 * regular file is accepted: a FIFO or a device could block the daemon.
 */
static int open_file(const struct json_sink *sink)
{
	struct stat st;
	int fd, err;

	fd = open(sink->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
		  sink->mode);
	if (fd < 0 && errno == ELOOP) {
		sink->log(LOG_ERR, "json: sink '%s': '%s' is a symbolic link, which the sink does not follow: name the file itself",
			  sink->instance, sink->path);
		return -ELOOP;
	}
	if (fd < 0) {
		err = -errno;
		sink->log(LOG_ERR, "json: sink '%s': failed to open '%s': %s", sink->instance,
			  sink->path, strerror(-err));
		return err;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		sink->log(LOG_ERR, "json: sink '%s': '%s' is not a regular file", sink->instance,
			  sink->path);
		close(fd);
		return -EINVAL;
	}
	if (fcntl(fd, F_SETFL, O_APPEND) != 0 || fchmod(fd, sink->mode) != 0) {
		err = -errno;
		sink->log(LOG_ERR, "json: sink '%s': failed to set up '%s': %s", sink->instance,
			  sink->path, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

static void json_sink_close(void *state);

static int json_sink_open(const struct enclave_sink_config *config, void **state)
{
	struct json_sink *sink = calloc(1, sizeof(*sink));
	int err;

	if (!sink) {
		config->log(LOG_ERR, "json: sink '%s': out of memory", config->instance);
		return -ENOMEM;
	}
	sink->log = config->log;
	sink->mode = 0640;
	sink->fd = -1;
	sink->instance = strdup(config->instance);
	sink->buffer = malloc(JSON_SINK_BUFFER);
	if (!sink->instance || !sink->buffer) {
		config->log(LOG_ERR, "json: sink '%s': out of memory", config->instance);
		err = -ENOMEM;
		goto fail;
	}

	err = parse_options(sink, config);
	if (err)
		goto fail;
	sink->fd = open_file(sink);
	if (sink->fd < 0) {
		err = sink->fd;
		goto fail;
	}
	*state = sink;
	return 0;
fail:
	json_sink_close(sink);
	return err;
}

/* Write everything; on failure, *written is the count of bytes written. */
static int write_all(int fd, const char *data, size_t len, size_t *written)
{
	*written = 0;
	while (*written < len) {
		ssize_t n = write(fd, data + *written, len - *written);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		*written += (size_t)n;
	}
	return 0;
}

/*
 * Write the buffer out. On failure the buffered records are dropped, so
 * that a full disk cannot grow the daemon, and the loss is logged. A line
 * cut short by the failure is ended before the next write, so that the
 * records after it still parse.
 */
static int json_sink_flush(void *state)
{
	struct json_sink *sink = state;
	size_t written;
	int err;

	if (sink->used == 0)
		return 0;
	if (sink->partial_line) {
		err = write_all(sink->fd, "\n", 1, &written);
		if (err)
			goto fail;
		sink->partial_line = false;
	}
	err = write_all(sink->fd, sink->buffer, sink->used, &written);
	if (err) {
		sink->partial_line = written > 0;
		goto fail;
	}
	sink->used = 0;
	sink->buffered_records = 0;
	return 0;
fail:
	sink->log(LOG_WARNING, "json: sink '%s': failed to write %zu records to '%s': %s; they are dropped",
		  sink->instance, sink->buffered_records, sink->path, strerror(-err));
	sink->used = 0;
	sink->buffered_records = 0;
	return err;
}

static int json_sink_write(void *state, const struct enclave_event *event)
{
	struct json_sink *sink = state;
	size_t need = event->json_len + 1;
	int err;

	if (sink->used + need > JSON_SINK_BUFFER) {
		err = json_sink_flush(sink);
		if (err)
			return err;
	}
	/* A record larger than the buffer goes through it in two steps. */
	if (need > JSON_SINK_BUFFER) {
		size_t written;

		err = write_all(sink->fd, event->json, event->json_len, &written);
		if (!err)
			err = write_all(sink->fd, "\n", 1, &written);
		sink->partial_line = err != 0;
		return err;
	}
	memcpy(sink->buffer + sink->used, event->json, event->json_len);
	sink->buffer[sink->used + event->json_len] = '\n';
	sink->used += need;
	sink->buffered_records++;
	return 0;
}

/* Switch to a new file at the same path, as after logrotate renamed the old
 * one. If the new file cannot be opened, the old one stays in use. */
static int json_sink_reopen(void *state)
{
	struct json_sink *sink = state;
	int fd = open_file(sink);

	if (fd < 0)
		return fd;
	json_sink_flush(sink);
	close(sink->fd);
	sink->fd = fd;
	return 0;
}

static void json_sink_close(void *state)
{
	struct json_sink *sink = state;

	if (!sink)
		return;
	if (sink->fd >= 0) {
		json_sink_flush(sink);
		close(sink->fd);
	}
	free(sink->buffer);
	free(sink->path);
	free(sink->instance);
	free(sink);
}

__attribute__((visibility("default")))
const struct enclave_sink_ops enclave_sink_ops = {
	.abi_version = ENCLAVE_SINK_ABI_VERSION,
	.struct_size = sizeof(struct enclave_sink_ops),
	.name = "json",
	.open = json_sink_open,
	.write = json_sink_write,
	.flush = json_sink_flush,
	.reopen = json_sink_reopen,
	.close = json_sink_close,
};

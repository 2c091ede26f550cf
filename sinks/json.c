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
	const struct enclave_sink_config *config;
	char *path;
	mode_t mode;
	int fd;
	char *buffer;
	size_t used;
	size_t buffered_records;
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
			if (!sink->path)
				return -ENOMEM;
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
		config->log(LOG_ERR, "sink '%s': option 'path' is required", config->instance);
		return -EINVAL;
	}
	return 0;
}

/* Open the file for appending; symbolic links are not followed, because a
 * root daemon must not be turned into writing somewhere else. */
static int open_file(const struct json_sink *sink)
{
	int fd = open(sink->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		      sink->mode);
	int err;

	if (fd < 0) {
		err = -errno;
		sink->config->log(LOG_ERR, "json: failed to open '%s': %s", sink->path,
				  strerror(-err));
		return err;
	}
	if (fchmod(fd, sink->mode) != 0) {
		err = -errno;
		sink->config->log(LOG_ERR, "json: failed to set mode %04o on '%s': %s",
				  (unsigned int)sink->mode, sink->path, strerror(-err));
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

	if (!sink)
		return -ENOMEM;
	sink->config = config;
	sink->mode = 0640;
	sink->fd = -1;

	err = parse_options(sink, config);
	if (err)
		goto fail;
	sink->buffer = malloc(JSON_SINK_BUFFER);
	if (!sink->buffer) {
		err = -ENOMEM;
		goto fail;
	}
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

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write the buffer out. On failure the buffered records are dropped, so
 * that a full disk cannot grow the daemon, and the loss is logged. */
static int json_sink_flush(void *state)
{
	struct json_sink *sink = state;
	int err;

	if (sink->used == 0)
		return 0;
	err = write_all(sink->fd, sink->buffer, sink->used);
	if (err)
		sink->config->log(LOG_WARNING, "json: failed to write %zu records to '%s': %s; they are dropped",
				  sink->buffered_records, sink->path, strerror(-err));
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
	if (need > JSON_SINK_BUFFER) {
		err = write_all(sink->fd, event->json, event->json_len);
		return err ? err : write_all(sink->fd, "\n", 1);
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

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON-lines file sink: one record per line, appended to a file that
 * log shippers tail. When records reach the file depends on the flush
 * policy (option flush): each with its own write(2), at each flush call of
 * the daemon, within an interval, or only when the 64 KiB buffer fills. The sink notices a file that shrank
 * under it (logrotate's copytruncate), and can rotate the file by size.
 *
 * Options: path (required, absolute), mode (octal, default 0640), owner
 * (USER[:GROUP]), flush (record, batch, interval or none; default batch),
 * flush_interval (milliseconds, default 1000), rotate_size (bytes, 0 = no
 * rotation), rotate_keep (files, default 5). docs/SINKS.md describes them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "enclave-sink.h"

#define JSON_SINK_BUFFER (64 * 1024)
#define JSON_SINK_MAX_KEEP 1000
#define JSON_SINK_MAX_INTERVAL_MS 3600000

enum json_flush {
	JSON_FLUSH_BATCH,		/* written whenever the daemon calls flush */
	JSON_FLUSH_INTERVAL,		/* buffered, written within flush_interval */
	JSON_FLUSH_RECORD,		/* one write(2) per record */
	JSON_FLUSH_NONE,		/* written when the buffer fills */
};

struct json_sink {
	/* Copied from the configuration, which lives only during open. */
	void (*log)(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	char *instance;
	char *path;
	mode_t mode;
	uid_t uid;			/* (uid_t)-1: leave the owner */
	gid_t gid;			/* (gid_t)-1: leave the group */
	enum json_flush flush;
	int64_t flush_interval_ms;
	uint64_t rotate_size;		/* 0: no rotation */
	unsigned int rotate_keep;
	int fd;
	off_t file_size;		/* where the last write ended */
	char *buffer;
	size_t used;
	size_t buffered_records;
	int64_t buffered_since_ms;	/* when the oldest buffered record came */
	bool partial_line;		/* a failed write left a line unfinished */
	/* Read by json_sink_stats from another thread. */
	_Atomic uint64_t dropped;
	_Atomic uint64_t truncations;
	_Atomic uint64_t rotations;
};

static int64_t json_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

static int parse_number(const struct enclave_sink_config *config,
			const struct enclave_sink_option *option, uint64_t min, uint64_t max,
			bool size, uint64_t *out)
{
	unsigned long long value;
	char *end;

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
		config->log(LOG_ERR, "%s:%u: invalid %s '%s' for sink '%s' (expected %llu to %llu%s)",
			    option->file, option->line, option->key, option->value,
			    config->instance, (unsigned long long)min, (unsigned long long)max,
			    size ? " bytes, with an optional K, M or G suffix" : "");
		return -EINVAL;
	}
	*out = value;
	return 0;
}

/* Resolve NAME, a user or group name or a decimal id, into *ID. */
static int parse_id(const char *name, bool group, unsigned int *id)
{
	char buf[4096], *end;
	unsigned long value;

	errno = 0;
	value = strtoul(name, &end, 10);
	if (!errno && end != name && !*end && value < UINT_MAX) {
		*id = (unsigned int)value;
		return 0;
	}
	if (group) {
		struct group entry, *result = NULL;

		if (getgrnam_r(name, &entry, buf, sizeof(buf), &result) != 0 || !result)
			return -ENOENT;
		*id = result->gr_gid;
	} else {
		struct passwd entry, *result = NULL;

		if (getpwnam_r(name, &entry, buf, sizeof(buf), &result) != 0 || !result)
			return -ENOENT;
		*id = result->pw_uid;
	}
	return 0;
}

/* owner = USER[:GROUP], names or numeric ids. */
static int parse_owner(struct json_sink *sink, const struct enclave_sink_config *config,
		       const struct enclave_sink_option *option)
{
	char user[256];
	const char *colon = strchr(option->value, ':');
	size_t user_len = colon ? (size_t)(colon - option->value) : strlen(option->value);
	unsigned int uid = (unsigned int)-1, gid = (unsigned int)-1;

	if (user_len >= sizeof(user))
		user_len = sizeof(user) - 1;
	memcpy(user, option->value, user_len);
	user[user_len] = '\0';
	if ((user_len && parse_id(user, false, &uid) != 0) ||
	    (colon && parse_id(colon + 1, true, &gid) != 0) || (!user_len && !colon)) {
		config->log(LOG_ERR, "%s:%u: invalid owner '%s' for sink '%s' (expected USER[:GROUP] of existing names or numeric ids)",
			    option->file, option->line, option->value, config->instance);
		return -EINVAL;
	}
	sink->uid = uid;
	sink->gid = gid;
	return 0;
}

static int parse_flush(struct json_sink *sink, const struct enclave_sink_config *config,
		       const struct enclave_sink_option *option)
{
	if (strcmp(option->value, "batch") == 0) {
		sink->flush = JSON_FLUSH_BATCH;
	} else if (strcmp(option->value, "interval") == 0) {
		sink->flush = JSON_FLUSH_INTERVAL;
	} else if (strcmp(option->value, "record") == 0) {
		sink->flush = JSON_FLUSH_RECORD;
	} else if (strcmp(option->value, "none") == 0) {
		sink->flush = JSON_FLUSH_NONE;
	} else {
		config->log(LOG_ERR, "%s:%u: invalid flush '%s' for sink '%s' (expected record, batch, interval or none)",
			    option->file, option->line, option->value, config->instance);
		return -EINVAL;
	}
	return 0;
}

/* Handle the options added to path and mode. */
static int parse_more_options(struct json_sink *sink, const struct enclave_sink_config *config,
			      const struct enclave_sink_option *option)
{
	uint64_t value;
	int err;

	if (strcmp(option->key, "owner") == 0)
		return parse_owner(sink, config, option);
	if (strcmp(option->key, "flush") == 0)
		return parse_flush(sink, config, option);
	if (strcmp(option->key, "flush_interval") == 0) {
		err = parse_number(config, option, 1, JSON_SINK_MAX_INTERVAL_MS, false, &value);
		sink->flush_interval_ms = (int64_t)value;
		return err;
	}
	if (strcmp(option->key, "rotate_size") == 0)
		return parse_number(config, option, 0, UINT64_C(1) << 40, true, &sink->rotate_size);
	if (strcmp(option->key, "rotate_keep") == 0) {
		err = parse_number(config, option, 1, JSON_SINK_MAX_KEEP, false, &value);
		sink->rotate_keep = (unsigned int)value;
		return err;
	}
	config->log(LOG_ERR, "%s:%u: unknown option '%s' for sink '%s' (module json accepts path, mode, owner, flush, flush_interval, rotate_size and rotate_keep)",
		    option->file, option->line, option->key, config->instance);
	return -EINVAL;
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
		} else if (parse_more_options(sink, config, option)) {
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
	if (fcntl(fd, F_SETFL, O_APPEND) != 0 || fchmod(fd, sink->mode) != 0 ||
	    ((sink->uid != (uid_t)-1 || sink->gid != (gid_t)-1) &&
	     fchown(fd, sink->uid, sink->gid) != 0)) {
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
	sink->uid = (uid_t)-1;
	sink->gid = (gid_t)-1;
	sink->flush = JSON_FLUSH_BATCH;
	sink->flush_interval_ms = 1000;
	sink->rotate_keep = 5;
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
	sink->file_size = lseek(sink->fd, 0, SEEK_END);
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
 * Log a file that is shorter than where the last write ended: another
 * process truncated it, as logrotate's copytruncate does. O_APPEND makes
 * the next write land at the new end, so nothing else needs doing.
 */
static void check_truncated(struct json_sink *sink)
{
	struct stat st;

	if (fstat(sink->fd, &st) != 0 || st.st_size >= sink->file_size)
		return;
	sink->truncations++;
	sink->log(LOG_NOTICE,
		  "json: sink '%s': '%s' shrank from %lld to %lld bytes, truncated by another process such as logrotate with copytruncate; writing continues at its end",
		  sink->instance, sink->path, (long long)sink->file_size, (long long)st.st_size);
	sink->file_size = st.st_size;
}

/* Write DATA, ending a line that a failed write cut short first. */
static int write_lines(struct json_sink *sink, const char *data, size_t len)
{
	size_t written;
	int err;

	check_truncated(sink);
	if (sink->partial_line) {
		err = write_all(sink->fd, "\n", 1, &written);
		if (err)
			return err;
		sink->partial_line = false;
	}
	err = write_all(sink->fd, data, len, &written);
	if (err)
		sink->partial_line = written > 0;
	sink->file_size = lseek(sink->fd, 0, SEEK_CUR);
	return err;
}

/* Rename path to path.1, path.1 to path.2 and so on, drop the oldest, and
 * open a new file at path. If the new file cannot be opened, writing goes
 * on in the renamed one. */
static int rotate(struct json_sink *sink)
{
	char from[PATH_MAX], to[PATH_MAX];
	int fd;

	for (unsigned int i = sink->rotate_keep; i > 1; i--) {
		snprintf(from, sizeof(from), "%s.%u", sink->path, i - 1);
		snprintf(to, sizeof(to), "%s.%u", sink->path, i);
		if (rename(from, to) != 0 && errno != ENOENT)
			sink->log(LOG_WARNING, "json: sink '%s': failed to rename '%s' to '%s': %s",
				  sink->instance, from, to, strerror(errno));
	}
	snprintf(to, sizeof(to), "%s.1", sink->path);
	if (rename(sink->path, to) != 0) {
		int err = -errno;

		sink->log(LOG_WARNING, "json: sink '%s': failed to rotate '%s' to '%s': %s; writing goes on in the same file",
			  sink->instance, sink->path, to, strerror(-err));
		return err;
	}
	fd = open_file(sink);
	if (fd < 0)
		return fd;
	close(sink->fd);
	sink->fd = fd;
	sink->file_size = 0;
	sink->rotations++;
	sink->log(LOG_INFO, "json: sink '%s': rotated '%s' to '%s'", sink->instance, sink->path, to);
	return 0;
}

/*
 * Write the buffer out. On failure the buffered records are dropped, so
 * that a full disk cannot grow the daemon, and the loss is logged. A line
 * cut short by the failure is ended before the next write, so that the
 * records after it still parse.
 */
static int write_buffer(struct json_sink *sink)
{
	int err;

	if (sink->used == 0)
		return 0;
	err = write_lines(sink, sink->buffer, sink->used);
	if (err) {
		sink->dropped += sink->buffered_records;
		sink->log(LOG_WARNING, "json: sink '%s': failed to write %zu records to '%s': %s; they are dropped",
			  sink->instance, sink->buffered_records, sink->path, strerror(-err));
	}
	sink->used = 0;
	sink->buffered_records = 0;
	if (!err && sink->rotate_size && (uint64_t)sink->file_size >= sink->rotate_size)
		rotate(sink);
	return err;
}

/* Write the buffer if the flush policy makes it due. Returns 1 while
 * records stay buffered for a later call. */
static int json_sink_flush(void *state)
{
	struct json_sink *sink = state;
	int err;

	if (sink->used == 0 || sink->flush == JSON_FLUSH_NONE)
		return 0;
	if (sink->flush == JSON_FLUSH_INTERVAL &&
	    json_now_ms() - sink->buffered_since_ms < sink->flush_interval_ms)
		return 1;
	err = write_buffer(sink);
	return err;
}

static int json_sink_write(void *state, const struct enclave_event *event)
{
	struct json_sink *sink = state;
	size_t need = event->json_len + 1;
	int err;

	if (sink->used + need > JSON_SINK_BUFFER) {
		err = write_buffer(sink);
		if (err)
			return err;
	}
	/* A record larger than the buffer goes through it in two steps. */
	if (need > JSON_SINK_BUFFER) {
		err = write_lines(sink, event->json, event->json_len);
		if (!err)
			err = write_lines(sink, "\n", 1);
		/* The daemon counts a failed record from the returned error, so
		 * dropped counts only records accepted earlier. */
		sink->partial_line = err != 0;
		return err;
	}
	if (sink->used == 0)
		sink->buffered_since_ms = json_now_ms();
	memcpy(sink->buffer + sink->used, event->json, event->json_len);
	sink->buffer[sink->used + event->json_len] = '\n';
	sink->used += need;
	sink->buffered_records++;
	if (sink->flush == JSON_FLUSH_RECORD)
		return write_buffer(sink);
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
	write_buffer(sink);
	close(sink->fd);
	sink->fd = fd;
	sink->file_size = lseek(fd, 0, SEEK_END);
	return 0;
}

static int json_sink_stats(void *state, char *buf, size_t size)
{
	struct json_sink *sink = state;
	int len = snprintf(buf, size, "{\"lost\":%llu,\"truncations\":%llu,\"rotations\":%llu}",
			   (unsigned long long)sink->dropped,
			   (unsigned long long)sink->truncations,
			   (unsigned long long)sink->rotations);

	return len < 0 || (size_t)len >= size ? -ENOSPC : len;
}

static void json_sink_close(void *state)
{
	struct json_sink *sink = state;

	if (!sink)
		return;
	if (sink->fd >= 0) {
		write_buffer(sink);
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
	.stats = json_sink_stats,
};

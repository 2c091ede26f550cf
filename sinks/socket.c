/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Unix socket sink: a stream socket that streams records as JSON lines
 * to any number of subscribers, such as "enclavectl tail". Each subscriber
 * has a queue of its own, bounded in records and bytes, so one that does not
 * read only loses its own records. Its losses are counted and announced to
 * it in-band when its queue has room again, or it is disconnected, as the
 * option on_overflow selects. A subscriber may send one filter line first.
 *
 * A thread of the sink accepts connections, reads filter lines and writes
 * to subscribers with non-blocking calls; write() only queues.
 *
 * Options: path (required, absolute), mode (octal, default 0660), group,
 * max_subscribers (default 64), subscriber_records (default 65536),
 * subscriber_bytes (default 16M), on_overflow (drop or disconnect).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <json-c/json.h>

#include "enclave-sink.h"
#include "filter.h"

#define SOCKET_MAX_FILTER_LINE	4096	/* bytes of a subscriber's filter line */
#define SOCKET_MAX_SUBSCRIBERS	1024
#define SOCKET_SEND_BATCH	64	/* lines per sendmsg(2) */

typedef void (*socket_log_fn)(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A record as sent: the JSON line and the fields that filters match.
 * Subscriber queues share it, and the last one to release it frees it. */
struct socket_msg {
	unsigned int refs;
	struct enclave_event event;	/* json points to line */
	size_t len;			/* of line, with the newline */
	char *line;
};

struct socket_subscriber {
	int fd;
	uint64_t id;			/* connection number, from 1 */
	struct socket_msg **ring;
	size_t head, length;
	size_t bytes;
	size_t offset;			/* bytes of the head message already sent */
	struct filter filter;
	bool filter_read;		/* the first line came, or input ended */
	char line[SOCKET_MAX_FILTER_LINE];
	size_t line_len;
	/* Records lost since the last announcement. */
	uint64_t pending_drops;
	uint64_t first_dropped, last_dropped;
	uint64_t dropped, sent;
	bool input_closed;		/* the subscriber shut down its sending side */
	bool closing;			/* remove at the next service pass */
};

struct socket_sink {
	socket_log_fn log;
	char *instance;
	char *path;
	mode_t mode;
	gid_t gid;			/* (gid_t)-1: leave the group */
	size_t max_subscribers;
	size_t max_records;
	size_t max_bytes;
	bool disconnect_on_overflow;
	int listen_fd;
	int wake_fd;			/* eventfd: records queued or stop */
	dev_t dev;
	ino_t ino;			/* of the socket file, to unlink only ours */
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	/* Under lock. */
	struct socket_subscriber **subscribers;
	size_t n_subscribers;
	bool stop;
	uint64_t connections, rejected, disconnected, dropped;
};

static void socket_msg_put(struct socket_msg *msg)
{
	if (msg && --msg->refs == 0)
		free(msg);
}

static struct socket_msg *socket_msg_new(const struct enclave_event *event)
{
	size_t id_len = event->container_id ? strlen(event->container_id) + 1 : 0;
	size_t name_len = event->container_name ? strlen(event->container_name) + 1 : 0;
	struct socket_msg *msg = malloc(sizeof(*msg) + event->json_len + 1 + id_len + name_len);
	char *at;

	if (!msg)
		return NULL;
	msg->refs = 1;
	msg->event = *event;
	msg->line = (char *)(msg + 1);
	memcpy(msg->line, event->json, event->json_len);
	msg->line[event->json_len] = '\n';
	msg->len = event->json_len + 1;
	msg->event.json = msg->line;
	at = msg->line + msg->len;
	if (id_len) {
		memcpy(at, event->container_id, id_len);
		msg->event.container_id = at;
		at += id_len;
	}
	if (name_len) {
		memcpy(at, event->container_name, name_len);
		msg->event.container_name = at;
	}
	return msg;
}

/* The in-band announcement of records a subscriber lost. It carries no
 * event.sequence, because it is not a record of the daemon. */
static struct socket_msg *socket_msg_dropped(const struct socket_subscriber *sub)
{
	char json[256];
	struct enclave_event event = {
		.struct_size = sizeof(event),
		.type = ENCLAVE_EVENT_RECORDS_DROPPED,
		.action = "records_dropped",
		.json = json,
	};
	int len = snprintf(json, sizeof(json),
			   "{\"event\":{\"kind\":\"event\",\"action\":\"records_dropped\"},\"enclave\":{\"dropped\":{\"count\":%llu,\"first_sequence\":%llu,\"last_sequence\":%llu,\"total\":%llu}}}",
			   (unsigned long long)sub->pending_drops,
			   (unsigned long long)sub->first_dropped,
			   (unsigned long long)sub->last_dropped,
			   (unsigned long long)sub->dropped);

	event.json_len = (size_t)len;
	return socket_msg_new(&event);
}

static bool socket_has_room(const struct socket_sink *sink, const struct socket_subscriber *sub,
			    size_t n, size_t bytes)
{
	return sub->length + n <= sink->max_records && sub->bytes + bytes <= sink->max_bytes;
}

static void socket_queue_append(struct socket_sink *sink, struct socket_subscriber *sub,
				struct socket_msg *msg)
{
	sub->ring[(sub->head + sub->length) % sink->max_records] = msg;
	sub->length++;
	sub->bytes += msg->len;
	msg->refs++;
}

/* Queue the announcement of pending drops if it fits with EXTRA more bytes
 * in one more slot. */
static void socket_announce(struct socket_sink *sink, struct socket_subscriber *sub,
			    size_t extra_records, size_t extra_bytes)
{
	struct socket_msg *msg;

	if (!sub->pending_drops || !socket_has_room(sink, sub, 1 + extra_records, 256 + extra_bytes))
		return;
	msg = socket_msg_dropped(sub);
	if (!msg)
		return;
	socket_queue_append(sink, sub, msg);
	socket_msg_put(msg);
	sub->pending_drops = 0;
}

static void socket_count_drop(struct socket_sink *sink, struct socket_subscriber *sub,
			      const struct socket_msg *msg)
{
	if (!sub->pending_drops)
		sub->first_dropped = msg->event.sequence;
	sub->last_dropped = msg->event.sequence;
	sub->pending_drops++;
	sub->dropped++;
	sink->dropped++;
	if (sink->disconnect_on_overflow && !sub->closing) {
		sub->closing = true;
		sink->disconnected++;
		shutdown(sub->fd, SHUT_RDWR);
	}
}

/* Offer MSG to one subscriber; return whether its queue was empty. */
static bool socket_offer(struct socket_sink *sink, struct socket_subscriber *sub,
			 struct socket_msg *msg)
{
	bool was_empty = sub->length == 0;

	if (sub->closing || (sub->filter_read && !filter_match(&sub->filter, &msg->event)))
		return false;
	socket_announce(sink, sub, 1, msg->len);
	if (sub->pending_drops || !socket_has_room(sink, sub, 1, msg->len)) {
		socket_count_drop(sink, sub, msg);
		return false;
	}
	socket_queue_append(sink, sub, msg);
	return was_empty;
}

static int socket_sink_write(void *state, const struct enclave_event *event)
{
	struct socket_sink *sink = state;
	struct socket_msg *msg;
	bool wake = false;

	pthread_mutex_lock(&sink->lock);
	if (sink->n_subscribers == 0) {
		pthread_mutex_unlock(&sink->lock);
		return 0;
	}
	msg = socket_msg_new(event);
	if (!msg) {
		pthread_mutex_unlock(&sink->lock);
		return -ENOMEM;
	}
	for (size_t i = 0; i < sink->n_subscribers; i++)
		wake |= socket_offer(sink, sink->subscribers[i], msg);
	socket_msg_put(msg);
	pthread_mutex_unlock(&sink->lock);

	if (wake) {
		uint64_t one = 1;

		if (write(sink->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			return -errno;
	}
	return 0;
}

static void socket_subscriber_free(struct socket_subscriber *sub, size_t capacity)
{
	for (size_t i = 0; i < sub->length; i++)
		socket_msg_put(sub->ring[(sub->head + i) % capacity]);
	filter_free(&sub->filter);
	close(sub->fd);
	free(sub->ring);
	free(sub);
}

static void socket_remove(struct socket_sink *sink, size_t index)
{
	struct socket_subscriber *sub = sink->subscribers[index];

	sink->log(LOG_INFO, "socket: sink '%s': subscriber %llu left after %llu records, %llu dropped",
		  sink->instance, (unsigned long long)sub->id, (unsigned long long)sub->sent,
		  (unsigned long long)sub->dropped);
	socket_subscriber_free(sub, sink->max_records);
	sink->subscribers[index] = sink->subscribers[--sink->n_subscribers];
}

/* Send a JSON error line without waiting, then close after it. */
static void socket_reject(struct socket_sink *sink, struct socket_subscriber *sub,
			  const char *reason)
{
	json_object *object = json_object_new_object();
	char line[1024];
	int len;

	/* The reason may quote the subscriber's bytes: json-c escapes them. */
	json_object_object_add(object, "error", json_object_new_string(reason));
	len = snprintf(line, sizeof(line), "%s\n",
		       json_object_to_json_string_ext(object, JSON_C_TO_STRING_PLAIN));
	json_object_put(object);
	if (len < 0 || (size_t)len >= sizeof(line))
		len = snprintf(line, sizeof(line), "{\"error\":\"invalid filter\"}\n");
	if (send(sub->fd, line, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		sink->log(LOG_DEBUG, "socket: sink '%s': failed to send an error to subscriber %llu",
			  sink->instance, (unsigned long long)sub->id);
	/* The reason is not logged, because it may hold the subscriber's bytes. */
	sink->log(LOG_WARNING, "socket: sink '%s': rejected the filter line of subscriber %llu and closed its connection",
		  sink->instance, (unsigned long long)sub->id);
	sub->closing = true;
	shutdown(sub->fd, SHUT_RDWR);
}

static int socket_filter_field(struct filter *filter, const char *key, json_object *value,
			       char *err, size_t err_size)
{
	if (json_object_is_type(value, json_type_string))
		return filter_add(filter, key, json_object_get_string(value), err, err_size);
	if (!json_object_is_type(value, json_type_array)) {
		snprintf(err, err_size, "filter field %s must be a string or an array of strings", key);
		return -EINVAL;
	}
	for (size_t i = 0; i < json_object_array_length(value); i++) {
		json_object *item = json_object_array_get_idx(value, i);
		int ret;

		if (!json_object_is_type(item, json_type_string)) {
			snprintf(err, err_size, "filter field %s must hold strings only", key);
			return -EINVAL;
		}
		ret = filter_add(filter, key, json_object_get_string(item), err, err_size);
		if (ret)
			return ret;
	}
	return 0;
}

/* Parse a filter line: a JSON object with optional "type", "action" and
 * "container", each a string or an array of strings. */
static int socket_parse_filter(const char *line, size_t len, struct filter *filter,
			       char *err, size_t err_size)
{
	json_tokener *tok = json_tokener_new();
	json_object *root;
	int ret = 0;

	if (!tok) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	root = json_tokener_parse_ex(tok, line, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    tok->char_offset != (int)len || !json_object_is_type(root, json_type_object)) {
		snprintf(err, err_size, "the filter line is not one JSON object");
		ret = -EINVAL;
	}
	if (!ret) {
		json_object_object_foreach(root, key, value) {
			ret = socket_filter_field(filter, key, value, err, err_size);
			if (ret)
				break;
		}
	}
	json_object_put(root);
	json_tokener_free(tok);
	return ret;
}

/* Drop queued records that the new filter rejects; the head message stays
 * if it is partly sent. */
static void socket_apply_filter(struct socket_sink *sink, struct socket_subscriber *sub)
{
	size_t kept = 0, capacity = sink->max_records;

	for (size_t i = 0; i < sub->length; i++) {
		struct socket_msg *msg = sub->ring[(sub->head + i) % capacity];

		if ((i == 0 && sub->offset) || filter_match(&sub->filter, &msg->event)) {
			sub->ring[(sub->head + kept) % capacity] = msg;
			kept++;
			continue;
		}
		sub->bytes -= msg->len;
		socket_msg_put(msg);
	}
	sub->length = kept;
}

/* Handle the subscriber's first line, or ignore input after it. */
static void socket_read(struct socket_sink *sink, struct socket_subscriber *sub)
{
	char buf[SOCKET_MAX_FILTER_LINE];
	char err[256];
	ssize_t n = recv(sub->fd, buf, sizeof(buf), MSG_DONTWAIT);
	char *newline;
	size_t take;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		sub->closing = true;
		return;
	}
	if (n == 0) {
		/* Records still go out after a shutdown(SHUT_WR) of the peer. */
		sub->input_closed = true;
		sub->filter_read = true;
		return;
	}
	if (sub->filter_read)
		return;
	newline = memchr(buf, '\n', (size_t)n);
	take = newline ? (size_t)(newline - buf) : (size_t)n;
	if (sub->line_len + take >= SOCKET_MAX_FILTER_LINE) {
		socket_reject(sink, sub, "filter line longer than 4095 bytes");
		return;
	}
	memcpy(sub->line + sub->line_len, buf, take);
	sub->line_len += take;
	if (!newline)
		return;
	sub->filter_read = true;
	if (socket_parse_filter(sub->line, sub->line_len, &sub->filter, err, sizeof(err))) {
		socket_reject(sink, sub, err);
		return;
	}
	socket_apply_filter(sink, sub);
}

/* Remove the head of the subscriber's queue, which was sent in full. */
static void socket_retire_head(struct socket_sink *sink, struct socket_subscriber *sub)
{
	struct socket_msg *msg = sub->ring[sub->head];

	sub->offset = 0;
	sub->head = (sub->head + 1) % sink->max_records;
	sub->length--;
	sub->bytes -= msg->len;
	if (msg->event.type != ENCLAVE_EVENT_RECORDS_DROPPED || msg->event.sequence)
		sub->sent++;
	socket_msg_put(msg);
	if (sub->length == 0)
		socket_announce(sink, sub, 0, 0);
}

/*
 * Send from the subscriber's queue until the socket would block. Each
 * sendmsg(2) takes up to SOCKET_SEND_BATCH queued lines, because a call
 * per line cost more than the rest of a record's way to a subscriber.
 * Returns false when the subscriber is gone.
 */
static bool socket_send(struct socket_sink *sink, struct socket_subscriber *sub)
{
	struct iovec iov[SOCKET_SEND_BATCH];

	while (sub->length) {
		struct msghdr header = { .msg_iov = iov };
		size_t n_iov = sub->length < SOCKET_SEND_BATCH ? sub->length : SOCKET_SEND_BATCH;
		size_t unretired;
		ssize_t n;

		for (size_t i = 0; i < n_iov; i++) {
			struct socket_msg *msg = sub->ring[(sub->head + i) % sink->max_records];
			size_t skip = i == 0 ? sub->offset : 0;

			iov[i].iov_base = msg->line + skip;
			iov[i].iov_len = msg->len - skip;
		}
		header.msg_iovlen = n_iov;
		n = sendmsg(sub->fd, &header, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (n < 0)
			return false;

		/* Retire the lines sent in full; the rest is the head's offset. */
		unretired = (size_t)n;
		while (unretired) {
			size_t rest = sub->ring[sub->head]->len - sub->offset;

			if (unretired < rest) {
				sub->offset += unretired;
				break;
			}
			unretired -= rest;
			socket_retire_head(sink, sub);
		}
	}
	return true;
}

static void socket_accept(struct socket_sink *sink)
{
	struct socket_subscriber *sub;
	int fd = accept4(sink->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	sink->connections++;
	if (sink->n_subscribers == sink->max_subscribers) {
		static const char full[] = "{\"error\":\"too many subscribers\"}\n";

		sink->rejected++;
		if (send(fd, full, sizeof(full) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			sink->log(LOG_DEBUG, "socket: sink '%s': failed to send an error", sink->instance);
		close(fd);
		return;
	}
	sub = calloc(1, sizeof(*sub));
	if (sub)
		sub->ring = calloc(sink->max_records, sizeof(*sub->ring));
	if (!sub || !sub->ring) {
		free(sub);
		close(fd);
		sink->rejected++;
		return;
	}
	sub->fd = fd;
	sub->id = sink->connections;
	sink->subscribers[sink->n_subscribers++] = sub;
	sink->log(LOG_INFO, "socket: sink '%s': subscriber %llu connected", sink->instance,
		  (unsigned long long)sub->id);
}

/* Handle what poll(2) reported for the subscribers, under the lock. */
static void socket_service(struct socket_sink *sink, const struct pollfd *fds, size_t n_fds)
{
	for (size_t i = 0; i < n_fds; i++) {
		struct socket_subscriber *sub = NULL;

		for (size_t j = 0; j < sink->n_subscribers; j++) {
			if (sink->subscribers[j]->fd == fds[i].fd)
				sub = sink->subscribers[j];
		}
		if (!sub)
			continue;
		if (sub->input_closed && (fds[i].revents & (POLLHUP | POLLERR)))
			sub->closing = true;
		else if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
			socket_read(sink, sub);
	}
	for (size_t j = 0; j < sink->n_subscribers;) {
		struct socket_subscriber *sub = sink->subscribers[j];

		if (sub->closing || !socket_send(sink, sub)) {
			socket_remove(sink, j);
			continue;
		}
		j++;
	}
}

static void *socket_thread(void *arg)
{
	struct socket_sink *sink = arg;
	struct pollfd *fds = calloc(sink->max_subscribers + 2, sizeof(*fds));

	if (!fds) {
		sink->log(LOG_ERR, "socket: sink '%s': out of memory; subscribers are not served",
			  sink->instance);
		return NULL;
	}
	pthread_mutex_lock(&sink->lock);
	while (!sink->stop) {
		size_t n = 0;

		fds[n++] = (struct pollfd){ .fd = sink->wake_fd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = sink->listen_fd, .events = POLLIN };
		for (size_t i = 0; i < sink->n_subscribers; i++) {
			struct socket_subscriber *sub = sink->subscribers[i];

			fds[n++] = (struct pollfd){
				.fd = sub->fd,
				.events = (short)((sub->input_closed ? 0 : POLLIN) |
						  (sub->length ? POLLOUT : 0)),
			};
		}
		pthread_mutex_unlock(&sink->lock);
		if (poll(fds, n, -1) < 0 && errno != EINTR) {
			sink->log(LOG_ERR, "socket: sink '%s': poll failed: %s", sink->instance,
				  strerror(errno));
			pthread_mutex_lock(&sink->lock);
			break;
		}
		if (fds[0].revents & POLLIN) {
			uint64_t count;

			if (read(sink->wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
				sink->log(LOG_DEBUG, "socket: sink '%s': eventfd read failed",
					  sink->instance);
		}
		pthread_mutex_lock(&sink->lock);
		if (fds[1].revents & POLLIN)
			socket_accept(sink);
		socket_service(sink, fds + 2, n - 2);
	}
	pthread_mutex_unlock(&sink->lock);
	free(fds);
	return NULL;
}

static int socket_parse_number(const struct enclave_sink_config *config,
			       const struct enclave_sink_option *option, uint64_t min,
			       uint64_t max, bool size, size_t *out)
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
	*out = (size_t)value;
	return 0;
}

static int socket_parse_mode(const struct enclave_sink_config *config,
			     const struct enclave_sink_option *option, mode_t *mode)
{
	unsigned long value;
	char *end;

	errno = 0;
	value = strtoul(option->value, &end, 8);
	if (errno || *end || end == option->value || value > 0777) {
		config->log(LOG_ERR, "%s:%u: invalid mode '%s' for sink '%s': expected octal 0000..0777",
			    option->file, option->line, option->value, config->instance);
		return -EINVAL;
	}
	*mode = (mode_t)value;
	return 0;
}

static int socket_parse_group(const struct enclave_sink_config *config,
			      const struct enclave_sink_option *option, gid_t *gid)
{
	char buf[4096], *end;
	struct group entry, *result = NULL;
	unsigned long value;

	errno = 0;
	value = strtoul(option->value, &end, 10);
	if (!errno && end != option->value && !*end && value < UINT_MAX) {
		*gid = (gid_t)value;
		return 0;
	}
	if (getgrnam_r(option->value, &entry, buf, sizeof(buf), &result) != 0 || !result) {
		config->log(LOG_ERR, "%s:%u: unknown group '%s' for sink '%s'",
			    option->file, option->line, option->value, config->instance);
		return -EINVAL;
	}
	*gid = result->gr_gid;
	return 0;
}

static int socket_parse_option(struct socket_sink *sink, const struct enclave_sink_config *config,
			       const struct enclave_sink_option *option)
{
	if (strcmp(option->key, "path") == 0) {
		if (option->value[0] != '/' ||
		    strlen(option->value) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			config->log(LOG_ERR, "%s:%u: path '%s' of sink '%s' is not absolute or longer than 107 bytes",
				    option->file, option->line, option->value, config->instance);
			return -EINVAL;
		}
		free(sink->path);
		sink->path = strdup(option->value);
		return sink->path ? 0 : -ENOMEM;
	}
	if (strcmp(option->key, "mode") == 0)
		return socket_parse_mode(config, option, &sink->mode);
	if (strcmp(option->key, "group") == 0)
		return socket_parse_group(config, option, &sink->gid);
	if (strcmp(option->key, "max_subscribers") == 0)
		return socket_parse_number(config, option, 1, SOCKET_MAX_SUBSCRIBERS, false,
					   &sink->max_subscribers);
	if (strcmp(option->key, "subscriber_records") == 0)
		return socket_parse_number(config, option, 16, 1u << 22, false, &sink->max_records);
	if (strcmp(option->key, "subscriber_bytes") == 0)
		return socket_parse_number(config, option, 64 << 10, 1u << 30, true,
					   &sink->max_bytes);
	if (strcmp(option->key, "on_overflow") == 0) {
		if (strcmp(option->value, "drop") == 0 || strcmp(option->value, "disconnect") == 0) {
			sink->disconnect_on_overflow = option->value[0] == 'd' &&
						       option->value[1] == 'i';
			return 0;
		}
		config->log(LOG_ERR, "%s:%u: invalid on_overflow '%s' for sink '%s' (expected drop or disconnect)",
			    option->file, option->line, option->value, config->instance);
		return -EINVAL;
	}
	config->log(LOG_ERR, "%s:%u: unknown option '%s' for sink '%s' (module socket accepts path, mode, group, max_subscribers, subscriber_records, subscriber_bytes and on_overflow)",
		    option->file, option->line, option->key, config->instance);
	return -EINVAL;
}

/* Remove a stale socket at the path, but nothing that is not a socket. */
static int socket_unlink_stale(struct socket_sink *sink)
{
	struct stat st;

	if (lstat(sink->path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		sink->log(LOG_ERR, "socket: sink '%s': '%s' exists and is not a socket; remove it or choose another path",
			  sink->instance, sink->path);
		return -EEXIST;
	}
	return unlink(sink->path) == 0 ? 0 : -errno;
}

/*
 * Bind, set owner and mode, then listen. Until listen(2), connect(2) to the
 * path fails with ECONNREFUSED, so no client connects before the mode and
 * group apply.
 */
static int socket_listen(struct socket_sink *sink)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int err;

	err = socket_unlink_stale(sink);
	if (err)
		return err;
	sink->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sink->listen_fd < 0)
		return -errno;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sink->path);
	if (bind(sink->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    lstat(sink->path, &st) != 0 ||
	    (sink->gid != (gid_t)-1 && chown(sink->path, (uid_t)-1, sink->gid) != 0) ||
	    chmod(sink->path, sink->mode) != 0) {
		err = -errno;
		sink->log(LOG_ERR, "socket: sink '%s': failed to bind '%s': %s", sink->instance,
			  sink->path, strerror(-err));
		return err;
	}
	sink->dev = st.st_dev;
	sink->ino = st.st_ino;
	if (listen(sink->listen_fd, 64) != 0) {
		err = -errno;
		sink->log(LOG_ERR, "socket: sink '%s': failed to listen on '%s': %s",
			  sink->instance, sink->path, strerror(-err));
		return err;
	}
	return 0;
}

static void socket_sink_close(void *state);

static int socket_sink_open(const struct enclave_sink_config *config, void **state)
{
	struct socket_sink *sink = calloc(1, sizeof(*sink));
	int err = 0;

	if (!sink)
		return -ENOMEM;
	sink->log = config->log;
	sink->mode = 0660;
	sink->gid = (gid_t)-1;
	sink->max_subscribers = 64;
	sink->max_records = 65536;
	sink->max_bytes = 16u << 20;
	sink->listen_fd = -1;
	sink->wake_fd = -1;
	pthread_mutex_init(&sink->lock, NULL);
	sink->instance = strdup(config->instance);
	if (!sink->instance)
		err = -ENOMEM;
	for (size_t i = 0; i < config->n_options && !err; i++)
		err = socket_parse_option(sink, config, &config->options[i]);
	if (!err && !sink->path) {
		config->log(LOG_ERR, "socket: sink '%s': option 'path' is required", config->instance);
		err = -EINVAL;
	}
	if (!err) {
		sink->subscribers = calloc(sink->max_subscribers, sizeof(*sink->subscribers));
		sink->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (sink->wake_fd < 0)
			err = -errno;
		if (!sink->subscribers)
			err = -ENOMEM;
	}
	if (!err)
		err = socket_listen(sink);
	if (!err) {
		err = -pthread_create(&sink->thread, NULL, socket_thread, sink);
		sink->thread_started = !err;
	}
	if (err) {
		socket_sink_close(sink);
		return err;
	}
	*state = sink;
	return 0;
}

static void socket_sink_close(void *state)
{
	struct socket_sink *sink = state;
	struct stat st;

	if (!sink)
		return;
	if (sink->thread_started) {
		uint64_t one = 1;

		pthread_mutex_lock(&sink->lock);
		sink->stop = true;
		pthread_mutex_unlock(&sink->lock);
		if (write(sink->wake_fd, &one, sizeof(one)) < 0)
			sink->log(LOG_ERR, "socket: sink '%s': failed to stop its thread: %s",
				  sink->instance, strerror(errno));
		pthread_join(sink->thread, NULL);
	}
	for (size_t i = 0; i < sink->n_subscribers; i++)
		socket_subscriber_free(sink->subscribers[i], sink->max_records);
	if (sink->listen_fd >= 0) {
		/* Unlink only the socket this sink created. */
		if (sink->path && lstat(sink->path, &st) == 0 && st.st_dev == sink->dev &&
		    st.st_ino == sink->ino)
			unlink(sink->path);
		close(sink->listen_fd);
	}
	if (sink->wake_fd >= 0)
		close(sink->wake_fd);
	pthread_mutex_destroy(&sink->lock);
	free(sink->subscribers);
	free(sink->path);
	free(sink->instance);
	free(sink);
}

static int socket_sink_stats(void *state, char *buf, size_t size)
{
	struct socket_sink *sink = state;
	size_t used;
	int len;

	pthread_mutex_lock(&sink->lock);
	len = snprintf(buf, size,
		       "{\"connections\":%llu,\"rejected\":%llu,\"disconnected\":%llu,\"dropped\":%llu,\"subscribers\":[",
		       (unsigned long long)sink->connections, (unsigned long long)sink->rejected,
		       (unsigned long long)sink->disconnected, (unsigned long long)sink->dropped);
	used = len < 0 ? size : (size_t)len;
	for (size_t i = 0; i < sink->n_subscribers && used < size; i++) {
		const struct socket_subscriber *sub = sink->subscribers[i];

		len = snprintf(buf + used, size - used,
			       "%s{\"id\":%llu,\"sent\":%llu,\"dropped\":%llu,\"queued\":%zu}",
			       i ? "," : "", (unsigned long long)sub->id,
			       (unsigned long long)sub->sent, (unsigned long long)sub->dropped,
			       sub->length);
		used += len < 0 ? size : (size_t)len;
	}
	if (used < size) {
		len = snprintf(buf + used, size - used, "]}");
		used += len < 0 ? size : (size_t)len;
	}
	pthread_mutex_unlock(&sink->lock);
	return used >= size ? -ENOSPC : (int)used;
}

__attribute__((visibility("default")))
const struct enclave_sink_ops enclave_sink_ops = {
	.abi_version = ENCLAVE_SINK_ABI_VERSION,
	.struct_size = sizeof(struct enclave_sink_ops),
	.name = "socket",
	.open = socket_sink_open,
	.write = socket_sink_write,
	.close = socket_sink_close,
	.stats = socket_sink_stats,
};

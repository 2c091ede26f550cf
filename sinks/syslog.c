/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syslog sink: each record as one syslog message whose text is the
 * JSON record, sent to the local syslog socket (/dev/log) or to a
 * collector over UDP or TCP.
 *
 * Messages follow RFC 5424 ("<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID
 * MSGID [SD] MSG"), or RFC 3164 with format = rfc3164, which is the default
 * for the local socket because local syslog daemons parse it. Over TCP each
 * message is framed by octet counting (RFC 6587, "LEN SP MSG"). MSG is the
 * JSON record in UTF-8 without a byte order mark. Structured data
 * [SD-ID sequence="N" action="A" container_id="I" container_name="N"]
 * escapes '"', '\' and ']' in values with a backslash, as RFC 5424 section
 * 6.3.3 requires, and replaces control bytes and bytes that are not UTF-8
 * with U+FFFD, so that a value cannot end the element or the message.
 *
 * TCP messages wait in a bounded queue while the collector is unreachable;
 * the sink reconnects with exponential back-off from 100 ms to 30 s. When
 * the queue is full, new messages are dropped and counted. Over UDP and the
 * local socket, a message that cannot be sent at once is dropped and
 * counted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "enclave-sink.h"

#define SYSLOG_MAX_TAG		48	/* APP-NAME */
#define SYSLOG_MAX_SD_ID	32
#define SYSLOG_MAX_HOSTNAME	255
#define SYSLOG_MIN_BACKOFF_MS	100
#define SYSLOG_MAX_BACKOFF_MS	30000
#define SYSLOG_CONNECT_TIMEOUT_MS 1000
#define SYSLOG_DEFAULT_QUEUE	10000

enum syslog_transport { SYSLOG_UNIX, SYSLOG_UDP, SYSLOG_TCP };
enum syslog_format { SYSLOG_DEFAULT_FORMAT, SYSLOG_RFC5424, SYSLOG_RFC3164 };
/* Record kinds with a severity of their own. */
enum syslog_kind { SYSLOG_KIND_DENY, SYSLOG_KIND_AUDIT, SYSLOG_KIND_EVENT, SYSLOG_KIND_REPORT,
		   SYSLOG_N_KINDS };

struct syslog_frame {
	size_t len;
	char data[];
};

struct syslog_sink {
	void (*log)(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	char *instance;
	enum syslog_transport transport;
	enum syslog_format format;
	char *socket_path;
	char *host;
	char *port;
	int facility;			/* LOG_DAEMON etc., already shifted */
	int severity[SYSLOG_N_KINDS];
	char tag[SYSLOG_MAX_TAG + 1];
	char sd_id[SYSLOG_MAX_SD_ID + 1];
	char hostname[SYSLOG_MAX_HOSTNAME + 1];
	struct sockaddr_storage addr;
	socklen_t addr_len;
	int fd;
	bool connected;
	int64_t next_attempt_ms;
	int64_t backoff_ms;
	bool outage_logged;
	/* TCP only: frames waiting to be sent, the head partly sent. */
	struct syslog_frame **queue;
	size_t queue_cap, queue_head, queue_len, head_offset;
	char *buffer;			/* one formatted message */
	size_t buffer_size;
	_Atomic uint64_t sent, dropped, reconnects, queued;
};

static const struct { const char *name; int value; } syslog_facilities[] = {
	{ "kern", LOG_KERN }, { "user", LOG_USER }, { "mail", LOG_MAIL },
	{ "daemon", LOG_DAEMON }, { "auth", LOG_AUTH }, { "syslog", LOG_SYSLOG },
	{ "lpr", LOG_LPR }, { "news", LOG_NEWS }, { "uucp", LOG_UUCP },
	{ "cron", LOG_CRON }, { "authpriv", LOG_AUTHPRIV }, { "ftp", LOG_FTP },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

static const char *const syslog_severities[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

static const char *const syslog_kind_names[SYSLOG_N_KINDS] = {
	"severity.deny", "severity.audit", "severity.event", "severity.report",
};

static int64_t syslog_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Return whether TEXT is 1 to MAX bytes of printable US-ASCII (33 to 126)
 * without any byte of EXCLUDED. */
static bool syslog_is_printable(const char *text, size_t max, const char *excluded)
{
	size_t len = strlen(text);

	if (len == 0 || len > max)
		return false;
	for (const char *c = text; *c; c++) {
		if (*c < 33 || *c > 126 || strchr(excluded, *c))
			return false;
	}
	return true;
}

#define SYSLOG_OPTION_ERROR(config, option, fmt, ...) \
	(config)->log(LOG_ERR, "%s:%u: " fmt, (option)->file, (option)->line, ##__VA_ARGS__)

static int syslog_parse_choice(const struct enclave_sink_config *config,
			       const struct enclave_sink_option *option,
			       const char *const *names, size_t n, const char *expected)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(option->value, names[i]) == 0)
			return (int)i;
	}
	SYSLOG_OPTION_ERROR(config, option, "invalid %s '%s' for sink '%s' (expected %s)",
			    option->key, option->value, config->instance, expected);
	return -EINVAL;
}

static int syslog_parse_facility(struct syslog_sink *sink, const struct enclave_sink_config *config,
				 const struct enclave_sink_option *option)
{
	for (size_t i = 0; i < sizeof(syslog_facilities) / sizeof(syslog_facilities[0]); i++) {
		if (strcmp(option->value, syslog_facilities[i].name) == 0) {
			sink->facility = syslog_facilities[i].value;
			return 0;
		}
	}
	SYSLOG_OPTION_ERROR(config, option, "invalid facility '%s' for sink '%s' (expected kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp or local0 to local7)",
			    option->value, config->instance);
	return -EINVAL;
}

static int syslog_copy(char **dst, const char *value)
{
	free(*dst);
	*dst = strdup(value);
	return *dst ? 0 : -ENOMEM;
}

static int syslog_parse_text(struct syslog_sink *sink, const struct enclave_sink_config *config,
			     const struct enclave_sink_option *option)
{
	if (strcmp(option->key, "tag") == 0) {
		if (!syslog_is_printable(option->value, SYSLOG_MAX_TAG, "")) {
			SYSLOG_OPTION_ERROR(config, option, "invalid tag '%s' for sink '%s' (expected 1 to 48 printable ASCII characters without spaces)",
					    option->value, config->instance);
			return -EINVAL;
		}
		snprintf(sink->tag, sizeof(sink->tag), "%s", option->value);
		return 0;
	}
	if (strcmp(option->key, "sd_id") == 0) {
		if (!syslog_is_printable(option->value, SYSLOG_MAX_SD_ID, "= ]\"") ||
		    !strchr(option->value, '@')) {
			SYSLOG_OPTION_ERROR(config, option, "invalid sd_id '%s' for sink '%s' (expected NAME@NUMBER, 1 to 32 printable ASCII characters without '=', ']' or '\"')",
					    option->value, config->instance);
			return -EINVAL;
		}
		snprintf(sink->sd_id, sizeof(sink->sd_id), "%s", option->value);
		return 0;
	}
	if (strcmp(option->key, "socket") == 0) {
		if (option->value[0] != '/' ||
		    strlen(option->value) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			SYSLOG_OPTION_ERROR(config, option, "invalid socket '%s' for sink '%s' (expected an absolute path of at most 107 bytes)",
					    option->value, config->instance);
			return -EINVAL;
		}
		return syslog_copy(&sink->socket_path, option->value);
	}
	if (strcmp(option->key, "host") == 0)
		return syslog_copy(&sink->host, option->value);
	return syslog_copy(&sink->port, option->value);
}

static int syslog_parse_option(struct syslog_sink *sink, const struct enclave_sink_config *config,
			       const struct enclave_sink_option *option)
{
	static const char *const transports[] = { "unix", "udp", "tcp" };
	static const char *const formats[] = { "", "rfc5424", "rfc3164" };
	const char *key = option->key;
	int value;

	if (strcmp(key, "transport") == 0) {
		value = syslog_parse_choice(config, option, transports, 3, "unix, udp or tcp");
		sink->transport = (enum syslog_transport)value;
		return value < 0 ? value : 0;
	}
	if (strcmp(key, "format") == 0) {
		value = syslog_parse_choice(config, option, formats, 3, "rfc5424 or rfc3164");
		sink->format = (enum syslog_format)value;
		return value <= 0 ? -EINVAL : 0;
	}
	if (strcmp(key, "facility") == 0)
		return syslog_parse_facility(sink, config, option);
	for (int kind = 0; kind < SYSLOG_N_KINDS; kind++) {
		if (strcmp(key, syslog_kind_names[kind]) != 0)
			continue;
		value = syslog_parse_choice(config, option, syslog_severities, 8,
					    "emerg, alert, crit, err, warning, notice, info or debug");
		sink->severity[kind] = value;
		return value < 0 ? value : 0;
	}
	if (strcmp(key, "queue") == 0) {
		char *end;
		unsigned long n = strtoul(option->value, &end, 10);

		if (*end || end == option->value || option->value[0] == '-' || n < 1 ||
		    n > 1000000) {
			SYSLOG_OPTION_ERROR(config, option, "invalid queue '%s' for sink '%s' (expected 1 to 1000000 messages)",
					    option->value, config->instance);
			return -EINVAL;
		}
		sink->queue_cap = n;
		return 0;
	}
	if (!strcmp(key, "tag") || !strcmp(key, "sd_id") || !strcmp(key, "socket") ||
	    !strcmp(key, "host") || !strcmp(key, "port"))
		return syslog_parse_text(sink, config, option);
	SYSLOG_OPTION_ERROR(config, option, "unknown option '%s' for sink '%s' (module syslog accepts transport, socket, host, port, format, facility, tag, sd_id, queue, severity.deny, severity.audit, severity.event and severity.report)",
			    key, config->instance);
	return -EINVAL;
}

/* Resolve host and port once, at open, so that sending never waits for DNS. */
static int syslog_resolve(struct syslog_sink *sink)
{
	struct addrinfo hints = {
		.ai_socktype = sink->transport == SYSLOG_TCP ? SOCK_STREAM : SOCK_DGRAM,
	};
	struct addrinfo *result;
	int ret;

	if (sink->transport == SYSLOG_UNIX) {
		struct sockaddr_un *un = (struct sockaddr_un *)&sink->addr;

		un->sun_family = AF_UNIX;
		snprintf(un->sun_path, sizeof(un->sun_path), "%s",
			 sink->socket_path ? sink->socket_path : "/dev/log");
		sink->addr_len = sizeof(*un);
		return 0;
	}
	if (!sink->host) {
		sink->log(LOG_ERR, "syslog: sink '%s': option 'host' is required with transport %s",
			  sink->instance, sink->transport == SYSLOG_TCP ? "tcp" : "udp");
		return -EINVAL;
	}
	ret = getaddrinfo(sink->host, sink->port ? sink->port : "514", &hints, &result);
	if (ret != 0) {
		sink->log(LOG_ERR, "syslog: sink '%s': failed to resolve '%s' port '%s': %s",
			  sink->instance, sink->host, sink->port ? sink->port : "514",
			  gai_strerror(ret));
		return -EINVAL;
	}
	memcpy(&sink->addr, result->ai_addr, result->ai_addrlen);
	sink->addr_len = result->ai_addrlen;
	freeaddrinfo(result);
	return 0;
}

static void syslog_disconnect(struct syslog_sink *sink)
{
	if (sink->fd >= 0)
		close(sink->fd);
	sink->fd = -1;
	sink->connected = false;
	sink->head_offset = 0;
}

static void syslog_backoff(struct syslog_sink *sink, int err)
{
	if (!sink->outage_logged)
		sink->log(LOG_WARNING, "syslog: sink '%s': failed to connect or send: %s; retrying with back-off up to %d s",
			  sink->instance, strerror(-err), SYSLOG_MAX_BACKOFF_MS / 1000);
	sink->outage_logged = true;
	syslog_disconnect(sink);
	sink->backoff_ms = sink->backoff_ms ? sink->backoff_ms * 2 : SYSLOG_MIN_BACKOFF_MS;
	if (sink->backoff_ms > SYSLOG_MAX_BACKOFF_MS)
		sink->backoff_ms = SYSLOG_MAX_BACKOFF_MS;
	sink->next_attempt_ms = syslog_now_ms() + sink->backoff_ms;
}

/* Connect, waiting at most SYSLOG_CONNECT_TIMEOUT_MS for TCP. */
static int syslog_connect(struct syslog_sink *sink)
{
	int type = sink->transport == SYSLOG_TCP ? SOCK_STREAM : SOCK_DGRAM;
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int err = 0;

	sink->fd = socket(sink->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sink->fd < 0)
		return -errno;
	if (connect(sink->fd, (struct sockaddr *)&sink->addr, sink->addr_len) != 0) {
		if (errno != EINPROGRESS)
			return -errno;
		pfd = (struct pollfd){ .fd = sink->fd, .events = POLLOUT };
		if (poll(&pfd, 1, SYSLOG_CONNECT_TIMEOUT_MS) != 1)
			return -ETIMEDOUT;
		if (getsockopt(sink->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err)
			return -(err ? err : errno);
	}
	sink->connected = true;
	if (sink->outage_logged)
		sink->log(LOG_NOTICE, "syslog: sink '%s': connected again", sink->instance);
	if (sink->outage_logged)
		sink->reconnects++;
	sink->outage_logged = false;
	sink->backoff_ms = 0;
	return 0;
}

/* Connect unless connected or waiting out the back-off. */
static bool syslog_ready(struct syslog_sink *sink)
{
	int err;

	if (sink->connected)
		return true;
	if (syslog_now_ms() < sink->next_attempt_ms)
		return false;
	err = syslog_connect(sink);
	if (err) {
		syslog_backoff(sink, err);
		return false;
	}
	return true;
}

static enum syslog_kind syslog_kind_of(const struct enclave_event *event)
{
	if (event->type == ENCLAVE_EVENT_RECORDS_LOST || event->type == ENCLAVE_EVENT_RECORDS_DROPPED)
		return SYSLOG_KIND_REPORT;
	if (event->action && strcmp(event->action, "deny") == 0)
		return SYSLOG_KIND_DENY;
	if (event->action && strcmp(event->action, "audit") == 0)
		return SYSLOG_KIND_AUDIT;
	return SYSLOG_KIND_EVENT;
}

/* Return the length of the valid UTF-8 sequence at S (N bytes left), or 0. */
static size_t syslog_utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points above U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Write VALUE as an SD-PARAM value (RFC 5424 section 6.3.3) at OUT, which
 * has room for 3 bytes per input byte; return the bytes written. */
static size_t syslog_put_sd_value(char *out, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t n = strlen(value), used = 0;

	for (size_t i = 0; i < n;) {
		size_t len = syslog_utf8_len(s + i, n - i);

		if (len == 0 || (len == 1 && (s[i] < 0x20 || s[i] == 0x7f))) {
			memcpy(out + used, "\xef\xbf\xbd", 3);	/* U+FFFD */
			used += 3;
			i++;
			continue;
		}
		if (s[i] == '"' || s[i] == '\\' || s[i] == ']')
			out[used++] = '\\';
		memcpy(out + used, s + i, len);
		used += len;
		i += len;
	}
	return used;
}

/* Make room for N more bytes after USED in the message buffer. */
static int syslog_reserve(struct syslog_sink *sink, size_t used, size_t n)
{
	char *bigger;

	if (used + n <= sink->buffer_size)
		return 0;
	bigger = realloc(sink->buffer, used + n);
	if (!bigger)
		return -ENOMEM;
	sink->buffer = bigger;
	sink->buffer_size = used + n;
	return 0;
}

/* The room in front of the message for an octet-counting prefix. */
#define SYSLOG_PREFIX_ROOM 24

static size_t syslog_format_header(struct syslog_sink *sink, const struct enclave_event *event,
				   char *out, size_t size)
{
	int pri = sink->facility | sink->severity[syslog_kind_of(event)];
	time_t seconds = event->time_ns / 1000000000;
	long micros = (long)(event->time_ns % 1000000000 / 1000);
	char stamp[64];
	struct tm tm;
	int len;

	if (sink->format == SYSLOG_RFC3164) {
		localtime_r(&seconds, &tm);
		strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
		len = snprintf(out, size, "<%d>%s %s[%d]: ", pri, stamp, sink->tag, (int)getpid());
		return len < 0 ? 0 : (size_t)len;
	}
	gmtime_r(&seconds, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	len = snprintf(out, size, "<%d>1 %s.%06ldZ %s %s %d %s [%s sequence=\"%llu\" action=\"",
		       pri, stamp, micros, sink->hostname, sink->tag, (int)getpid(),
		       event->action && event->action[0] ? event->action : "-", sink->sd_id,
		       (unsigned long long)event->sequence);
	return len < 0 ? 0 : (size_t)len;
}

/* Format EVENT into the buffer; set *start to the frame and return its
 * length, or 0 when out of memory. */
static size_t syslog_format(struct syslog_sink *sink, const struct enclave_event *event,
			    char **start)
{
	size_t id_len = event->container_id ? strlen(event->container_id) : 0;
	size_t name_len = event->container_name ? strlen(event->container_name) : 0;
	size_t used = SYSLOG_PREFIX_ROOM, prefix;
	char lenbuf[SYSLOG_PREFIX_ROOM];

	if (syslog_reserve(sink, 0, SYSLOG_PREFIX_ROOM + 1024 + 3 * (id_len + name_len) +
			   event->json_len + 64))
		return 0;
	used += syslog_format_header(sink, event, sink->buffer + used, 1024);
	if (sink->format != SYSLOG_RFC3164) {
		used += syslog_put_sd_value(sink->buffer + used, event->action ? event->action : "");
		sink->buffer[used++] = '"';
		if (event->container_id) {
			used += (size_t)sprintf(sink->buffer + used, " container_id=\"");
			used += syslog_put_sd_value(sink->buffer + used, event->container_id);
			sink->buffer[used++] = '"';
		}
		if (event->container_name) {
			used += (size_t)sprintf(sink->buffer + used, " container_name=\"");
			used += syslog_put_sd_value(sink->buffer + used, event->container_name);
			sink->buffer[used++] = '"';
		}
		sink->buffer[used++] = ']';
		sink->buffer[used++] = ' ';
	}
	memcpy(sink->buffer + used, event->json, event->json_len);
	used += event->json_len;

	*start = sink->buffer + SYSLOG_PREFIX_ROOM;
	if (sink->transport != SYSLOG_TCP)
		return used - SYSLOG_PREFIX_ROOM;
	/* RFC 6587 octet counting: "MSG-LEN SP SYSLOG-MSG". */
	prefix = (size_t)snprintf(lenbuf, sizeof(lenbuf), "%zu ", used - SYSLOG_PREFIX_ROOM);
	*start -= prefix;
	memcpy(*start, lenbuf, prefix);
	return used - SYSLOG_PREFIX_ROOM + prefix;
}

/* Send one datagram; wait at most 100 ms for room in the socket buffer. */
static int syslog_send_datagram(struct syslog_sink *sink, const char *data, size_t len)
{
	struct pollfd pfd;
	int err;

	if (!syslog_ready(sink))
		return -ENOTCONN;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (send(sink->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
			sink->sent++;
			return 0;
		}
		err = -errno;
		if (err != -EAGAIN)
			break;
		pfd = (struct pollfd){ .fd = sink->fd, .events = POLLOUT };
		poll(&pfd, 1, 100);
	}
	/* ECONNREFUSED: nothing listens (UDP reports it on a later send). The
	 * local socket may be back after a restart of the syslog daemon. */
	if (sink->transport == SYSLOG_UNIX && err != -EAGAIN)
		syslog_backoff(sink, err);
	return err;
}

/* Send queued TCP frames until the socket would block. */
static void syslog_pump(struct syslog_sink *sink)
{
	while (sink->queue_len && syslog_ready(sink)) {
		struct syslog_frame *frame = sink->queue[sink->queue_head];
		ssize_t n = send(sink->fd, frame->data + sink->head_offset,
				 frame->len - sink->head_offset, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			/* The head frame goes again, whole, on the next connection. */
			syslog_backoff(sink, -errno);
			return;
		}
		sink->head_offset += (size_t)n;
		if (sink->head_offset < frame->len)
			continue;
		sink->head_offset = 0;
		sink->queue_head = (sink->queue_head + 1) % sink->queue_cap;
		sink->queue_len--;
		sink->queued = sink->queue_len;
		sink->sent++;
		free(frame);
	}
}

static int syslog_enqueue(struct syslog_sink *sink, const char *data, size_t len)
{
	struct syslog_frame *frame;

	if (sink->queue_len == sink->queue_cap)
		return -ENOBUFS;
	frame = malloc(sizeof(*frame) + len);
	if (!frame)
		return -ENOMEM;
	frame->len = len;
	memcpy(frame->data, data, len);
	sink->queue[(sink->queue_head + sink->queue_len) % sink->queue_cap] = frame;
	sink->queue_len++;
	sink->queued = sink->queue_len;
	return 0;
}

static int syslog_sink_write(void *state, const struct enclave_event *event)
{
	struct syslog_sink *sink = state;
	char *frame;
	size_t len = syslog_format(sink, event, &frame);
	int err;

	if (len == 0)
		return -ENOMEM;
	if (sink->transport != SYSLOG_TCP)
		return syslog_send_datagram(sink, frame, len);
	err = syslog_enqueue(sink, frame, len);
	syslog_pump(sink);
	return err;
}

/* Returns 1 while TCP frames wait, so that the worker calls again. */
static int syslog_sink_flush(void *state)
{
	struct syslog_sink *sink = state;

	if (sink->transport != SYSLOG_TCP)
		return 0;
	syslog_pump(sink);
	return sink->queue_len ? 1 : 0;
}

static int syslog_sink_reopen(void *state)
{
	struct syslog_sink *sink = state;

	/* A local syslog daemon may have recreated its socket. */
	if (sink->transport == SYSLOG_UNIX) {
		syslog_disconnect(sink);
		sink->next_attempt_ms = 0;
	}
	return 0;
}

static void syslog_sink_close(void *state)
{
	struct syslog_sink *sink = state;
	int64_t deadline = syslog_now_ms() + 2000;

	if (!sink)
		return;
	/* Give the collector up to 2 s to take what is queued. */
	while (sink->queue_len && sink->connected && syslog_now_ms() < deadline) {
		struct pollfd pfd = { .fd = sink->fd, .events = POLLOUT };

		poll(&pfd, 1, 100);
		syslog_pump(sink);
	}
	if (sink->queue_len)
		sink->log(LOG_WARNING, "syslog: sink '%s': %zu messages not sent at close",
			  sink->instance, sink->queue_len);
	for (size_t i = 0; i < sink->queue_len; i++)
		free(sink->queue[(sink->queue_head + i) % sink->queue_cap]);
	syslog_disconnect(sink);
	free(sink->queue);
	free(sink->buffer);
	free(sink->socket_path);
	free(sink->host);
	free(sink->port);
	free(sink->instance);
	free(sink);
}

/* HOSTNAME of RFC 5424: printable US-ASCII, or "-" when there is none. */
static void syslog_set_hostname(struct syslog_sink *sink)
{
	char name[SYSLOG_MAX_HOSTNAME + 1] = "";

	if (gethostname(name, sizeof(name) - 1) != 0 ||
	    !syslog_is_printable(name, SYSLOG_MAX_HOSTNAME, ""))
		snprintf(name, sizeof(name), "-");
	snprintf(sink->hostname, sizeof(sink->hostname), "%s", name);
}

static int syslog_sink_open(const struct enclave_sink_config *config, void **state)
{
	struct syslog_sink *sink = calloc(1, sizeof(*sink));
	int err = 0;

	if (!sink)
		return -ENOMEM;
	sink->log = config->log;
	sink->fd = -1;
	sink->facility = LOG_DAEMON;
	sink->severity[SYSLOG_KIND_DENY] = LOG_WARNING;
	sink->severity[SYSLOG_KIND_AUDIT] = LOG_NOTICE;
	sink->severity[SYSLOG_KIND_EVENT] = LOG_INFO;
	sink->severity[SYSLOG_KIND_REPORT] = LOG_WARNING;
	sink->queue_cap = SYSLOG_DEFAULT_QUEUE;
	snprintf(sink->tag, sizeof(sink->tag), "enclave");
	/* 32473 is the enterprise number that RFC 5612 reserves for examples. */
	snprintf(sink->sd_id, sizeof(sink->sd_id), "enclave@32473");
	syslog_set_hostname(sink);
	sink->instance = strdup(config->instance);
	if (!sink->instance)
		err = -ENOMEM;
	for (size_t i = 0; i < config->n_options && !err; i++)
		err = syslog_parse_option(sink, config, &config->options[i]);
	if (!err && sink->format == SYSLOG_DEFAULT_FORMAT)
		sink->format = sink->transport == SYSLOG_UNIX ? SYSLOG_RFC3164 : SYSLOG_RFC5424;
	if (!err)
		err = syslog_resolve(sink);
	if (!err && sink->transport == SYSLOG_TCP) {
		sink->queue = calloc(sink->queue_cap, sizeof(*sink->queue));
		if (!sink->queue)
			err = -ENOMEM;
	}
	if (err) {
		syslog_sink_close(sink);
		return err;
	}
	/* An unreachable collector is no reason to fail: messages wait or
	 * are counted as dropped until it is back. */
	syslog_ready(sink);
	*state = sink;
	return 0;
}

static int syslog_sink_stats(void *state, char *buf, size_t size)
{
	struct syslog_sink *sink = state;
	int len = snprintf(buf, size, "{\"sent\":%llu,\"queued\":%llu,\"reconnects\":%llu}",
			   (unsigned long long)sink->sent, (unsigned long long)sink->queued,
			   (unsigned long long)sink->reconnects);

	return len < 0 || (size_t)len >= size ? -ENOSPC : len;
}

__attribute__((visibility("default")))
const struct enclave_sink_ops enclave_sink_ops = {
	.abi_version = ENCLAVE_SINK_ABI_VERSION,
	.struct_size = sizeof(struct enclave_sink_ops),
	.name = "syslog",
	.open = syslog_sink_open,
	.write = syslog_sink_write,
	.flush = syslog_sink_flush,
	.reopen = syslog_sink_reopen,
	.close = syslog_sink_close,
	.stats = syslog_sink_stats,
};

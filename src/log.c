/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

#define LOG_IDENT	"enclaved"

static bool log_to_stderr = true;
static int log_max_priority = LOG_NOTICE;

/* Indexed by syslog(3) level. Only "error" to "debug" can be configured. */
static const char *const log_priority_names[] = {
	[LOG_EMERG]	= "emerg",
	[LOG_ALERT]	= "alert",
	[LOG_CRIT]	= "crit",
	[LOG_ERR]	= "error",
	[LOG_WARNING]	= "warning",
	[LOG_NOTICE]	= "notice",
	[LOG_INFO]	= "info",
	[LOG_DEBUG]	= "debug",
};

/*
 * Send messages to stderr when FOREGROUND is set, otherwise to syslog(3)
 * with the daemon facility. Safe to call again to switch.
 */
void log_open(bool foreground, int max_priority)
{
	if (!log_to_stderr)
		closelog();

	log_to_stderr = foreground;
	log_max_priority = max_priority;
	if (!foreground)
		openlog(LOG_IDENT, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Close the syslog(3) connection, if open, and fall back to stderr. */
void log_close(void)
{
	if (!log_to_stderr)
		closelog();
	log_to_stderr = true;
}

void log_set_max_priority(int max_priority)
{
	log_max_priority = max_priority;
}

/* Return whether a message of PRIORITY would be written. */
bool log_enabled(int priority)
{
	return LOG_PRI(priority) <= log_max_priority;
}

/* Write one message. Keeps errno, so callers can log and then return it. */
void log_vmsg(int priority, const char *fmt, va_list ap)
{
	int saved_errno = errno;

	if (!log_enabled(priority))
		return;

	if (!log_to_stderr) {
		vsyslog(priority, fmt, ap);
		errno = saved_errno;
		return;
	}

	flockfile(stderr);
	fprintf(stderr, LOG_IDENT ": %s: ", log_priority_name(priority));
	errno = saved_errno;
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	errno = saved_errno;
}

void log_msg(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(priority, fmt, ap);
	va_end(ap);
}

/* Map "error", "warning", "notice", "info" or "debug" to LOG_ERR..LOG_DEBUG. */
int log_priority_parse(const char *name)
{
	int priority;

	if (!name)
		return -1;

	for (priority = LOG_ERR; priority <= LOG_DEBUG; priority++) {
		if (strcmp(name, log_priority_names[priority]) == 0)
			return priority;
	}
	return -1;
}

/* Return the name of the level of a syslog(3) priority, or "unknown". */
const char *log_priority_name(int priority)
{
	if (priority < 0)
		return "unknown";
	return log_priority_names[LOG_PRI(priority)];
}

/* Return how many bytes the escaped form of BYTE takes. */
static size_t log_escape_len(unsigned char byte)
{
	if (byte == '\\')
		return 2;
	if (byte < 0x20 || byte >= 0x7f)
		return 4;
	return 1;
}

/*
 * Copy SRC_LEN untrusted bytes to DST for a log message. Printable ASCII is
 * kept, a backslash becomes "\\" and every other byte "\xNN". DST is always
 * NUL-terminated when DST_SIZE > 0. On truncation, no escape is cut in half.
 * Returns the length written, without the NUL.
 */
size_t log_escape(char *dst, size_t dst_size, const void *src, size_t src_len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *bytes = src;
	size_t out = 0;
	size_t i;

	if (dst_size == 0)
		return 0;

	for (i = 0; i < src_len; i++) {
		unsigned char byte = bytes[i];
		size_t len = log_escape_len(byte);

		if (len >= dst_size - out)
			break;

		if (len == 1) {
			dst[out++] = (char)byte;
		} else if (len == 2) {
			dst[out++] = '\\';
			dst[out++] = '\\';
		} else {
			dst[out++] = '\\';
			dst[out++] = 'x';
			dst[out++] = hex[byte >> 4];
			dst[out++] = hex[byte & 0xf];
		}
	}
	dst[out] = '\0';
	return out;
}

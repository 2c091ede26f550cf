/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's logger: syslog(3) when daemonised, stderr in the foreground.
 *
 * Priorities are syslog(3) levels (LOG_ERR .. LOG_DEBUG). Messages less
 * important than the maximum priority are dropped before formatting. Until
 * log_open() is called, messages go to stderr up to LOG_NOTICE.
 */
#ifndef ENCLAVE_LOG_H
#define ENCLAVE_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

/* Size of a log_escape() buffer that fits LEN source bytes without truncation. */
#define LOG_ESCAPE_SIZE(len)	((len) * 4 + 1)

void log_open(bool foreground, int max_priority);
void log_close(void);
void log_set_max_priority(int max_priority);
bool log_enabled(int priority);

void log_msg(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(int priority, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

int log_priority_parse(const char *name);
const char *log_priority_name(int priority);

size_t log_escape(char *dst, size_t dst_size, const void *src, size_t src_len);

#endif /* ENCLAVE_LOG_H */

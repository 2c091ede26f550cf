/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checks for the unit tests, with no framework to install.
 *
 * Each CHECK* macro counts one pass or one failure, prints
 * "file:line: expected ..., got ..." on failure and evaluates to whether the
 * check passed, so a test can stop early: if (!CHECK(p)) return;
 * A test program ends with: return unit_finish("test-name");
 */
#ifndef ENCLAVE_UNIT_H
#define ENCLAVE_UNIT_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The exit status that automake's test driver reports as SKIP. */
#define UNIT_EXIT_SKIP	77

static unsigned int unit_passed;
static unsigned int unit_failed;

static inline bool unit_count(bool ok)
{
	if (ok)
		unit_passed++;
	else
		unit_failed++;
	return ok;
}

/* Print LEN bytes as a C string literal, so odd bytes stay visible. */
static inline void unit_print_bytes(const char *bytes, size_t len)
{
	size_t i;

	if (!bytes) {
		fputs("NULL", stdout);
		return;
	}

	putchar('"');
	for (i = 0; i < len; i++) {
		unsigned char byte = (unsigned char)bytes[i];

		if (byte == '"' || byte == '\\')
			printf("\\%c", byte);
		else if (byte < 0x20 || byte >= 0x7f)
			printf("\\x%02x", byte);
		else
			putchar(byte);
	}
	putchar('"');
}

static inline bool unit_check(bool ok, const char *file, int line,
			      const char *expr)
{
	if (!ok)
		printf("%s:%d: expected %s, got false\n", file, line, expr);
	return unit_count(ok);
}

static inline bool unit_check_int(long long actual, long long expected,
				  const char *file, int line, const char *expr)
{
	bool ok = actual == expected;

	if (!ok)
		printf("%s:%d: expected %s == %lld, got %lld\n", file, line,
		       expr, expected, actual);
	return unit_count(ok);
}

static inline bool unit_check_uint(unsigned long long actual,
				   unsigned long long expected,
				   const char *file, int line, const char *expr)
{
	bool ok = actual == expected;

	if (!ok)
		printf("%s:%d: expected %s == %llu, got %llu\n", file, line,
		       expr, expected, actual);
	return unit_count(ok);
}

static inline bool unit_check_mem(const char *actual, size_t actual_len,
				  const char *expected, size_t expected_len,
				  const char *file, int line, const char *expr)
{
	bool ok;

	if (!actual || !expected)
		ok = !actual && !expected;
	else
		ok = actual_len == expected_len &&
		     memcmp(actual, expected, actual_len) == 0;

	if (!ok) {
		printf("%s:%d: expected %s == ", file, line, expr);
		unit_print_bytes(expected, expected_len);
		fputs(", got ", stdout);
		unit_print_bytes(actual, actual_len);
		putchar('\n');
	}
	return unit_count(ok);
}

static inline bool unit_check_str(const char *actual, const char *expected,
				  const char *file, int line, const char *expr)
{
	return unit_check_mem(actual, actual ? strlen(actual) : 0,
			      expected, expected ? strlen(expected) : 0,
			      file, line, expr);
}

/* Print the closing line and return the exit status for main(). */
static inline int unit_finish(const char *name)
{
	printf("%s: %u passed, %u failed\n", name, unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}

/* Print why the whole test cannot run here and return the skip status. */
static inline int unit_skip(const char *name, const char *reason)
{
	printf("%s: skipped: %s\n", name, reason);
	return UNIT_EXIT_SKIP;
}

#define CHECK(cond) \
	unit_check(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_EQ_INT(actual, expected) \
	unit_check_int((long long)(actual), (long long)(expected), \
		       __FILE__, __LINE__, #actual)
#define CHECK_EQ_UINT(actual, expected) \
	unit_check_uint((unsigned long long)(actual), \
			(unsigned long long)(expected), __FILE__, __LINE__, \
			#actual)
#define CHECK_EQ_STR(actual, expected) \
	unit_check_str((actual), (expected), __FILE__, __LINE__, #actual)
#define CHECK_EQ_MEM(actual, actual_len, expected, expected_len) \
	unit_check_mem((actual), (actual_len), (expected), (expected_len), \
		       __FILE__, __LINE__, #actual)

#endif /* ENCLAVE_UNIT_H */

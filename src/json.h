/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A JSON writer for event records: appends to one growable buffer, with no
 * allocation per field, and produces a single line of RFC 8259 JSON.
 *
 * Usage: json_object_begin(buf, NULL), then members, then json_object_end().
 * Any allocation failure or misuse (a member outside an object, a key at the
 * top level, nesting deeper than JSON_MAX_DEPTH, an unmatched end) sets a
 * sticky error. After that, every call does nothing and json_buf_failed()
 * returns true until json_buf_reset().
 */
#ifndef ENCLAVE_JSON_H
#define ENCLAVE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH	32

struct json_buf {
	char *data;		/* NUL-terminated once anything was written */
	size_t len;		/* without the NUL */
	size_t cap;
	unsigned int depth;	/* open objects */
	uint32_t nonempty;	/* bit D: the object at depth D + 1 has members */
	bool failed;
};

void json_buf_init(struct json_buf *buf);
void json_buf_reset(struct json_buf *buf);
void json_buf_free(struct json_buf *buf);
bool json_buf_failed(const struct json_buf *buf);

void json_object_begin(struct json_buf *buf, const char *key);
void json_object_end(struct json_buf *buf);

void json_put_u64(struct json_buf *buf, const char *key, uint64_t value);
void json_put_i64(struct json_buf *buf, const char *key, int64_t value);
void json_put_bool(struct json_buf *buf, const char *key, bool value);
void json_put_hex(struct json_buf *buf, const char *key, const void *bytes,
		  size_t len);
bool json_put_string(struct json_buf *buf, const char *key, const char *value,
		     size_t len);

/*
 * The same for a member name that is a string literal, passed as
 * JSON_KEY("name"): the literal and its length, which the compiler
 * computes. The name is copied as it is, without the check and escaping of
 * the functions above, so it must be printable ASCII other than '"' and
 * '\\'. The "" around NAME make anything but a string literal fail to
 * compile.
 */
#define JSON_KEY(name)	("" name ""), (sizeof(name) - 1)

void json_object_begin_literal(struct json_buf *buf, const char *key, size_t key_len);
void json_put_u64_literal(struct json_buf *buf, const char *key, size_t key_len,
			  uint64_t value);
void json_put_i64_literal(struct json_buf *buf, const char *key, size_t key_len,
			  int64_t value);
void json_put_bool_literal(struct json_buf *buf, const char *key, size_t key_len, bool value);
bool json_put_string_literal(struct json_buf *buf, const char *key, size_t key_len,
			     const char *value, size_t len);

#endif /* ENCLAVE_JSON_H */

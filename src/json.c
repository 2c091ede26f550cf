/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define JSON_MIN_CAP		256
/* Maximum output length for one input byte: "\u00XX" or "\ufffd". */
#define JSON_MAX_ESCAPE_LEN	6

static const char json_hex_digits[] = "0123456789abcdef";

void json_buf_init(struct json_buf *buf)
{
	memset(buf, 0, sizeof(*buf));
}

/* Empty the buffer and clear the error, keeping the memory for reuse. */
void json_buf_reset(struct json_buf *buf)
{
	buf->len = 0;
	buf->depth = 0;
	buf->nonempty = 0;
	buf->failed = false;
	if (buf->data)
		buf->data[0] = '\0';
}

/* Release the memory and leave BUF empty, as after json_buf_init(). */
void json_buf_free(struct json_buf *buf)
{
	if (!buf)
		return;

	free(buf->data);
	json_buf_init(buf);
}

bool json_buf_failed(const struct json_buf *buf)
{
	return buf->failed;
}

/* Grow the buffer for EXTRA more bytes and the NUL, or set the sticky
 * error. */
static bool json_grow(struct json_buf *buf, size_t extra)
{
	size_t need;
	size_t cap;
	char *data;

	if (buf->failed)
		return false;
	if (extra > SIZE_MAX - 1 - buf->len)
		goto fail;

	need = buf->len + extra + 1;
	if (need <= buf->cap)
		return true;

	cap = buf->cap ? buf->cap : JSON_MIN_CAP;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;

	data = realloc(buf->data, cap);
	if (!data)
		goto fail;
	buf->data = data;
	buf->cap = cap;
	return true;

fail:
	buf->failed = true;
	return false;
}

/* Make room for EXTRA more bytes and the NUL, or set the sticky error. The
 * check is inline because every member calls it. Whenever cap is not 0,
 * cap >= len + 1 is true, so the subtraction cannot wrap. */
static inline bool json_reserve(struct json_buf *buf, size_t extra)
{
	if (!buf->failed && buf->cap && extra < buf->cap - buf->len)
		return true;
	return json_grow(buf, extra);
}

/* Append LEN bytes that json_reserve() made room for, and the NUL. */
static void json_append(struct json_buf *buf, const char *text, size_t len)
{
	memcpy(buf->data + buf->len, text, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
}

/*
 * Return the length of the well-formed UTF-8 sequence of 2 to 4 bytes that
 * starts at S, or 0 if there is none. The ranges are those of RFC 3629,
 * section 4, which exclude overlong forms, surrogates (U+D800..U+DFFF) and
 * code points above U+10FFFF.
 */
static size_t json_utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char lead = s[0];
	unsigned char low = 0x80;
	unsigned char high = 0xbf;
	size_t len;
	size_t i;

	if (lead >= 0xc2 && lead <= 0xdf)
		len = 2;
	else if (lead >= 0xe0 && lead <= 0xef)
		len = 3;
	else if (lead >= 0xf0 && lead <= 0xf4)
		len = 4;
	else
		return 0;

	/* The second byte is the one that rules out the forbidden ranges. */
	if (lead == 0xe0)
		low = 0xa0;
	else if (lead == 0xed)
		high = 0x9f;
	else if (lead == 0xf0)
		low = 0x90;
	else if (lead == 0xf4)
		high = 0x8f;

	if (avail < len || s[1] < low || s[1] > high)
		return 0;
	for (i = 2; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	return len;
}

/* The bytes that json_write_string() copies unchanged: printable ASCII
 * other than '"' and the backslash. */
static const bool json_plain_bytes[256] = {
	[0x20 ... 0x21] = true,		/* '"' is 0x22 */
	[0x23 ... 0x5b] = true,		/* the backslash is 0x5c */
	[0x5d ... 0x7e] = true,
};

/* Write the escape of an ASCII byte that cannot appear raw in a string. */
static char *json_escape_ascii(char *out, unsigned char byte)
{
	static const char short_escapes[] = {
		['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r',
		['\t'] = 't', ['"'] = '"', ['\\'] = '\\',
	};

	*out++ = '\\';
	if (byte < sizeof(short_escapes) && short_escapes[byte]) {
		*out++ = short_escapes[byte];
		return out;
	}

	memcpy(out, "u00", 3);
	out += 3;
	*out++ = json_hex_digits[byte >> 4];
	*out++ = json_hex_digits[byte & 0xf];
	return out;
}

/* Return whether the 3-byte sequence at S is U+2028 or U+2029. */
static bool json_is_line_separator(const unsigned char *s)
{
	return s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9);
}

#define JSON_BYTES_01	UINT64_C(0x0101010101010101)
#define JSON_BYTES_80	UINT64_C(0x8080808080808080)

/* Return nonzero when any byte of WORD is zero. */
static inline uint64_t json_has_zero_byte(uint64_t word)
{
	return (word - JSON_BYTES_01) & ~word & JSON_BYTES_80;
}

/*
 * Return whether all 8 bytes of WORD are printable ASCII other than '"' and
 * '\\', the bytes that json_write_string() copies unchanged. This checks 8
 * bytes with a few word operations instead of one byte at a time.
 */
static inline bool json_word_is_plain(uint64_t word)
{
	uint64_t below_space = (word - JSON_BYTES_01 * 0x20) & ~word & JSON_BYTES_80;
	uint64_t special = json_has_zero_byte(word ^ (JSON_BYTES_01 * '"')) |
			   json_has_zero_byte(word ^ (JSON_BYTES_01 * '\\')) |
			   json_has_zero_byte(word ^ (JSON_BYTES_01 * 0x7f));

	return (below_space | special | (word & JSON_BYTES_80)) == 0;
}

/*
 * Copy LEN bytes of S to OUT if all of them are plain, and return whether
 * they were. Nearly every string in a record is plain, so this path checks
 * and copies 8 bytes at a time, the last 8 overlapping the ones before.
 */
static inline bool json_copy_plain(char *out, const unsigned char *s, size_t len)
{
	uint64_t word;
	size_t i;

	if (len < sizeof(word)) {
		for (i = 0; i < len; i++) {
			if (!json_plain_bytes[s[i]])
				return false;
			out[i] = (char)s[i];
		}
		return true;
	}
	for (i = 0; i + sizeof(word) <= len; i += sizeof(word)) {
		memcpy(&word, s + i, sizeof(word));
		if (!json_word_is_plain(word))
			return false;
		memcpy(out + i, &word, sizeof(word));
	}
	if (i < len) {
		memcpy(&word, s + len - sizeof(word), sizeof(word));
		if (!json_word_is_plain(word))
			return false;
		memcpy(out + len - sizeof(word), &word, sizeof(word));
	}
	return true;
}

/*
 * Write LEN bytes of S as a quoted JSON string into room that the caller
 * reserved. Returns true if any byte was not well-formed UTF-8 and was
 * replaced by "\ufffd".
 */
static bool json_write_string(struct json_buf *buf, const unsigned char *s,
			      size_t len)
{
	char *out = buf->data + buf->len;
	bool lossy = false;
	size_t i = 0;

	*out++ = '"';
	if (json_copy_plain(out, s, len)) {
		out += len;
		i = len;
	}
	while (i < len) {
		unsigned char byte = s[i];
		size_t seq_len;

		if (json_plain_bytes[byte]) {
			*out++ = (char)byte;
			i++;
			continue;
		}
		if (byte < 0x80) {
			out = json_escape_ascii(out, byte);
			i++;
			continue;
		}

		seq_len = json_utf8_len(s + i, len - i);
		if (seq_len == 0) {
			memcpy(out, "\\ufffd", 6);
			out += 6;
			lossy = true;
			i++;
			continue;
		}

		/* JavaScript before ES2019 reads these two as line breaks. */
		if (seq_len == 3 && json_is_line_separator(s + i)) {
			memcpy(out, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
			out += 6;
		} else {
			memcpy(out, s + i, seq_len);
			out += seq_len;
		}
		i += seq_len;
	}
	*out++ = '"';
	*out = '\0';
	buf->len = (size_t)(out - buf->data);
	return lossy;
}

/* Reserve room for LEN escaped bytes and write them as a string. */
static bool json_put_escaped(struct json_buf *buf, const void *s, size_t len)
{
	if (len > (SIZE_MAX - 2) / JSON_MAX_ESCAPE_LEN) {
		buf->failed = true;
		return false;
	}
	if (!json_reserve(buf, len * JSON_MAX_ESCAPE_LEN + 2))
		return false;
	return json_write_string(buf, s, len);
}

/*
 * Write the comma if COMMA, and KEY as a member name, if KEY is plain and
 * shorter than JSON_SHORT_KEY_LEN, in one pass without strlen(). Returns
 * false, having written nothing, for any other key. Nearly all keys are
 * short literals of the renderer, and this avoids strlen() and a second
 * pass over them.
 */
#define JSON_SHORT_KEY_LEN	32

static inline bool json_put_short_key(struct json_buf *buf, const char *key, bool comma)
{
	const unsigned char *in = (const unsigned char *)key;
	char *out;
	size_t i;

	if (!json_reserve(buf, JSON_SHORT_KEY_LEN + 4))
		return false;
	out = buf->data + buf->len;
	*out = ',';
	out += comma;
	*out++ = '"';
	for (i = 0; in[i]; i++) {
		if (i == JSON_SHORT_KEY_LEN - 1 || !json_plain_bytes[in[i]]) {
			buf->data[buf->len] = '\0';
			return false;
		}
		out[i] = (char)in[i];
	}
	out += i;
	*out++ = '"';
	*out++ = ':';
	*out = '\0';
	buf->len = (size_t)(out - buf->data);
	return true;
}

/* Write the comma, if one is due, and the key of a member. */
static bool json_member_begin(struct json_buf *buf, const char *key)
{
	size_t key_len;
	uint32_t bit;

	if (buf->failed)
		return false;
	if (buf->depth == 0 || !key) {
		buf->failed = true;
		return false;
	}

	bit = UINT32_C(1) << (buf->depth - 1);
	if (json_put_short_key(buf, key, (buf->nonempty & bit) != 0)) {
		buf->nonempty |= bit;
		return true;
	}

	/* One reservation for the comma, the quoted key and the colon. */
	key_len = strlen(key);
	if (key_len > (SIZE_MAX - 4) / JSON_MAX_ESCAPE_LEN) {
		buf->failed = true;
		return false;
	}
	if (!json_reserve(buf, key_len * JSON_MAX_ESCAPE_LEN + 4))
		return false;

	if (buf->nonempty & bit)
		buf->data[buf->len++] = ',';
	buf->nonempty |= bit;
	json_write_string(buf, (const unsigned char *)key, key_len);
	json_append(buf, ":", 1);
	return true;
}

/* Write the comma, if one is due, and KEY, a string literal of KEY_LEN
 * bytes that need no escaping, as the name of a member. */
static bool json_member_begin_literal(struct json_buf *buf, const char *key, size_t key_len)
{
	uint32_t bit;
	char *out;

	if (buf->failed)
		return false;
	if (buf->depth == 0) {
		buf->failed = true;
		return false;
	}
	if (!json_reserve(buf, key_len + 4))
		return false;

	bit = UINT32_C(1) << (buf->depth - 1);
	out = buf->data + buf->len;
	if (buf->nonempty & bit)
		*out++ = ',';
	buf->nonempty |= bit;
	*out++ = '"';
	memcpy(out, key, key_len);
	out += key_len;
	*out++ = '"';
	*out++ = ':';
	*out = '\0';
	buf->len = (size_t)(out - buf->data);
	return true;
}

/* Write the '{' of an object whose member name, if any, is written. */
static void json_open_object(struct json_buf *buf)
{
	if (buf->depth >= JSON_MAX_DEPTH) {
		buf->failed = true;
		return;
	}
	if (!json_reserve(buf, 1))
		return;
	json_append(buf, "{", 1);
	buf->depth++;
	buf->nonempty &= ~(UINT32_C(1) << (buf->depth - 1));
}

/*
 * Open an object: the top-level one when KEY is NULL, which must be the
 * first thing written after init or reset, otherwise a member named KEY.
 */
void json_object_begin(struct json_buf *buf, const char *key)
{
	if (buf->failed)
		return;

	if (!key) {
		if (buf->len != 0 || buf->depth != 0) {
			buf->failed = true;
			return;
		}
	} else if (!json_member_begin(buf, key)) {
		return;
	}
	json_open_object(buf);
}

/* Open an object as a member whose name is a string literal; see
 * JSON_KEY(). */
void json_object_begin_literal(struct json_buf *buf, const char *key, size_t key_len)
{
	if (json_member_begin_literal(buf, key, key_len))
		json_open_object(buf);
}

void json_object_end(struct json_buf *buf)
{
	if (buf->failed)
		return;
	if (buf->depth == 0) {
		buf->failed = true;
		return;
	}
	if (!json_reserve(buf, 1))
		return;
	json_append(buf, "}", 1);
	buf->depth--;
}

/* "00" to "99", so that numbers are written two digits at a time. */
static const char json_digit_pairs[] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Return the number of decimal digits of VALUE. */
static size_t json_count_digits(uint64_t value)
{
	size_t n = 1;

	while (value >= 100) {
		value /= 100;
		n += 2;
	}
	return n + (value >= 10);
}

/* Append VALUE in decimal, with a minus sign when NEGATIVE, written in
 * place from its last digit. */
static void json_append_number(struct json_buf *buf, uint64_t value, bool negative)
{
	size_t len = json_count_digits(value) + negative;
	char *out;

	if (!json_reserve(buf, len))
		return;
	out = buf->data + buf->len + len;
	*out = '\0';
	while (value >= 100) {
		out -= 2;
		memcpy(out, json_digit_pairs + value % 100 * 2, 2);
		value /= 100;
	}
	if (value >= 10) {
		out -= 2;
		memcpy(out, json_digit_pairs + value * 2, 2);
	} else {
		*--out = (char)('0' + value);
	}
	if (negative)
		*--out = '-';
	buf->len += len;
}

/* Append VALUE in decimal; the negation is in unsigned arithmetic, so
 * that INT64_MIN does not overflow. */
static void json_append_i64(struct json_buf *buf, int64_t value)
{
	if (value < 0)
		json_append_number(buf, UINT64_C(0) - (uint64_t)value, true);
	else
		json_append_number(buf, (uint64_t)value, false);
}

static void json_append_bool(struct json_buf *buf, bool value)
{
	const char *text = value ? "true" : "false";
	size_t len = value ? 4 : 5;

	if (json_reserve(buf, len))
		json_append(buf, text, len);
}

void json_put_u64(struct json_buf *buf, const char *key, uint64_t value)
{
	if (json_member_begin(buf, key))
		json_append_number(buf, value, false);
}

void json_put_i64(struct json_buf *buf, const char *key, int64_t value)
{
	if (json_member_begin(buf, key))
		json_append_i64(buf, value);
}

void json_put_bool(struct json_buf *buf, const char *key, bool value)
{
	if (json_member_begin(buf, key))
		json_append_bool(buf, value);
}

void json_put_u64_literal(struct json_buf *buf, const char *key, size_t key_len,
			  uint64_t value)
{
	if (json_member_begin_literal(buf, key, key_len))
		json_append_number(buf, value, false);
}

void json_put_i64_literal(struct json_buf *buf, const char *key, size_t key_len,
			  int64_t value)
{
	if (json_member_begin_literal(buf, key, key_len))
		json_append_i64(buf, value);
}

void json_put_bool_literal(struct json_buf *buf, const char *key, size_t key_len, bool value)
{
	if (json_member_begin_literal(buf, key, key_len))
		json_append_bool(buf, value);
}

/* Write LEN bytes as a string of lowercase hex digits, two per byte. */
void json_put_hex(struct json_buf *buf, const char *key, const void *bytes,
		  size_t len)
{
	const unsigned char *in = bytes;
	char *out;
	size_t i;

	if (!json_member_begin(buf, key))
		return;
	if (len > (SIZE_MAX - 2) / 2) {
		buf->failed = true;
		return;
	}
	if (!json_reserve(buf, len * 2 + 2))
		return;

	out = buf->data + buf->len;
	*out++ = '"';
	for (i = 0; i < len; i++) {
		*out++ = json_hex_digits[in[i] >> 4];
		*out++ = json_hex_digits[in[i] & 0xf];
	}
	*out++ = '"';
	*out = '\0';
	buf->len = (size_t)(out - buf->data);
}

/*
 * Write exactly LEN bytes of VALUE as a string member, NUL bytes included.
 * Returns true ("lossy") when some bytes were not well-formed UTF-8 and were
 * replaced by U+FFFD, so the caller can record the raw bytes elsewhere, for
 * example with json_put_hex(). Returns false otherwise and on error.
 */
bool json_put_string(struct json_buf *buf, const char *key, const char *value,
		     size_t len)
{
	if (!json_member_begin(buf, key))
		return false;
	return json_put_escaped(buf, value, len);
}

/* json_put_string() for a member whose name is a string literal; see
 * JSON_KEY(). */
bool json_put_string_literal(struct json_buf *buf, const char *key, size_t key_len,
			     const char *value, size_t len)
{
	if (!json_member_begin_literal(buf, key, key_len))
		return false;
	return json_put_escaped(buf, value, len);
}

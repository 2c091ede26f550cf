/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the JSON writer. Every case is checked twice: against the exact
 * bytes expected, and by parsing the line with json-c in strict mode with
 * UTF-8 validation and comparing the decoded value.
 */
#include <stdint.h>

#include <json-c/json.h>

#include "json.h"
#include "unit.h"

/* A string literal and its length, embedded NUL bytes included. */
#define BYTES(literal)	literal, sizeof(literal) - 1

/* Name the case after its failed checks, which point into the helpers. */
static void note_case(unsigned int failed_before, const char *name)
{
	if (unit_failed != failed_before)
		printf("  in case: %s\n", name);
}

/*
 * Parse a whole line with json-c in strict mode with UTF-8 validation.
 * Returns the object, or NULL with *ERROR set to json-c's description.
 */
static struct json_object *parse_strict(const char *text, size_t len,
					const char **error)
{
	struct json_tokener *tokener = json_tokener_new();
	struct json_object *root;
	enum json_tokener_error status;

	if (!tokener) {
		*error = "json_tokener_new failed";
		return NULL;
	}
	json_tokener_set_flags(tokener, JSON_TOKENER_STRICT |
			       JSON_TOKENER_VALIDATE_UTF8);

	root = json_tokener_parse_ex(tokener, text, (int)len);
	status = json_tokener_get_error(tokener);
	*error = json_tokener_error_desc(status);
	if (status != json_tokener_success) {
		json_object_put(root);
		root = NULL;
	} else if (json_tokener_get_parse_end(tokener) != len) {
		*error = "trailing bytes after the object";
		json_object_put(root);
		root = NULL;
	} else if (!json_object_is_type(root, json_type_object)) {
		*error = "not an object";
		json_object_put(root);
		root = NULL;
	}

	json_tokener_free(tokener);
	return root;
}

/* Parse a whole line as one check. Returns NULL if the check failed. */
static struct json_object *parse_line(const char *text, size_t len)
{
	struct json_object *root;
	const char *error;

	root = parse_strict(text, len, &error);
	CHECK_EQ_STR(error, json_tokener_error_desc(json_tokener_success));
	return root;
}

/* Check that the line contains no raw control byte, so no line break. */
static void check_one_line(const struct json_buf *buf)
{
	size_t i;
	bool raw_control = false;

	for (i = 0; i < buf->len; i++) {
		if ((unsigned char)buf->data[i] < 0x20)
			raw_control = true;
	}
	CHECK(!raw_control);
	CHECK_EQ_UINT(strlen(buf->data), buf->len);
}

/*
 * Write {"s": INPUT} and check the exact output (EXPECTED is the escaped
 * value without quotes), the lossy result, and json-c's decoded string.
 */
static void check_string(const char *name, const char *input, size_t len,
			 const char *expected, const char *decoded,
			 size_t decoded_len, bool lossy)
{
	unsigned int failed_before = unit_failed;
	struct json_object *root;
	struct json_object *value;
	struct json_buf buf;
	char line[4096];
	bool result;

	json_buf_init(&buf);
	json_object_begin(&buf, NULL);
	result = json_put_string(&buf, "s", input, len);
	json_object_end(&buf);

	CHECK(!json_buf_failed(&buf));
	CHECK_EQ_INT(result, lossy);
	snprintf(line, sizeof(line), "{\"s\":\"%s\"}", expected);
	CHECK_EQ_MEM(buf.data, buf.len, line, strlen(line));
	check_one_line(&buf);

	root = parse_line(buf.data, buf.len);
	if (root && CHECK(json_object_object_get_ex(root, "s", &value)) &&
	    CHECK(json_object_is_type(value, json_type_string)))
		CHECK_EQ_MEM(json_object_get_string(value),
			     (size_t)json_object_get_string_len(value),
			     decoded, decoded_len);

	json_object_put(root);
	json_buf_free(&buf);
	note_case(failed_before, name);
}

/* A case whose input decodes back to itself. */
static void check_kept(const char *name, const char *input, size_t len,
		       const char *expected)
{
	check_string(name, input, len, expected, input, len, false);
}

static void test_string_plain(void)
{
	check_kept("empty string", BYTES(""), "");
	check_kept("plain ASCII", BYTES("hello, world"), "hello, world");
	check_kept("space and tilde", BYTES(" ~"), " ~");
	check_kept("slash kept raw", BYTES("/usr/bin/env"), "/usr/bin/env");
	check_kept("single quote kept raw", BYTES("it's"), "it's");
}

static void test_string_quote_backslash(void)
{
	check_kept("double quote", BYTES("a\"b"), "a\\\"b");
	check_kept("only a quote", BYTES("\""), "\\\"");
	check_kept("backslash", BYTES("a\\b"), "a\\\\b");
	check_kept("backslash before quote", BYTES("\\\""), "\\\\\\\"");
	check_kept("escaped-looking text", BYTES("\\u0041"), "\\\\u0041");
}

static void test_string_short_escapes(void)
{
	check_kept("newline", BYTES("a\nb"), "a\\nb");
	check_kept("carriage return", BYTES("a\rb"), "a\\rb");
	check_kept("tab", BYTES("a\tb"), "a\\tb");
	check_kept("backspace", BYTES("a\bb"), "a\\bb");
	check_kept("form feed", BYTES("a\fb"), "a\\fb");
	check_kept("CRLF", BYTES("\r\n"), "\\r\\n");
}

/* Every byte from 0x00 to 0x1f, alone, then DEL. */
static void test_string_control_bytes(void)
{
	char input[1];
	char expected[8];
	char name[32];
	unsigned int byte;

	for (byte = 0; byte < 0x20; byte++) {
		input[0] = (char)byte;
		switch (byte) {
		case '\b':
			strcpy(expected, "\\b");
			break;
		case '\t':
			strcpy(expected, "\\t");
			break;
		case '\n':
			strcpy(expected, "\\n");
			break;
		case '\f':
			strcpy(expected, "\\f");
			break;
		case '\r':
			strcpy(expected, "\\r");
			break;
		default:
			snprintf(expected, sizeof(expected), "\\u%04x", byte);
			break;
		}
		snprintf(name, sizeof(name), "control byte 0x%02x", byte);
		check_kept(name, input, 1, expected);
	}

	check_kept("DEL", BYTES("\x7f"), "\\u007f");
	check_kept("NUL inside", BYTES("a\0b"), "a\\u0000b");
	check_kept("NUL at end", BYTES("ab\0"), "ab\\u0000");
	check_kept("ESC sequence", BYTES("\x1b[31mred"), "\\u001b[31mred");
}

static void test_string_line_separators(void)
{
	check_kept("U+2028", BYTES("a\xe2\x80\xa8" "b"), "a\\u2028b");
	check_kept("U+2029", BYTES("\xe2\x80\xa9"), "\\u2029");
	check_kept("U+2027 kept raw", BYTES("\xe2\x80\xa7"), "\xe2\x80\xa7");
	check_kept("U+202A kept raw", BYTES("\xe2\x80\xaa"), "\xe2\x80\xaa");
}

static void test_string_valid_utf8(void)
{
	check_kept("2 bytes e-acute", BYTES("caf\xc3\xa9"), "caf\xc3\xa9");
	check_kept("2 bytes U+0080", BYTES("\xc2\x80"), "\xc2\x80");
	check_kept("2 bytes U+07FF", BYTES("\xdf\xbf"), "\xdf\xbf");
	check_kept("3 bytes euro", BYTES("\xe2\x82\xac"), "\xe2\x82\xac");
	check_kept("3 bytes U+0800", BYTES("\xe0\xa0\x80"), "\xe0\xa0\x80");
	check_kept("3 bytes U+D7FF", BYTES("\xed\x9f\xbf"), "\xed\x9f\xbf");
	check_kept("3 bytes U+E000", BYTES("\xee\x80\x80"), "\xee\x80\x80");
	check_kept("3 bytes U+FFFD", BYTES("\xef\xbf\xbd"), "\xef\xbf\xbd");
	check_kept("3 bytes U+FFFF", BYTES("\xef\xbf\xbf"), "\xef\xbf\xbf");
	check_kept("4 bytes emoji", BYTES("\xf0\x9f\x98\x80"),
		   "\xf0\x9f\x98\x80");
	check_kept("4 bytes U+10000", BYTES("\xf0\x90\x80\x80"),
		   "\xf0\x90\x80\x80");
	check_kept("4 bytes U+10FFFF", BYTES("\xf4\x8f\xbf\xbf"),
		   "\xf4\x8f\xbf\xbf");
	check_kept("mixed widths", BYTES("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"),
		   "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z");
}

#define FFFD		"\\ufffd"
#define FFFD_UTF8	"\xef\xbf\xbd"

/* A case whose invalid bytes each decode to U+FFFD. */
static void check_lossy(const char *name, const char *input, size_t len,
			const char *expected, const char *decoded,
			size_t decoded_len)
{
	check_string(name, input, len, expected, decoded, decoded_len, true);
}

static void test_string_invalid_utf8(void)
{
	check_lossy("lone continuation 0x80", BYTES("\x80"), FFFD,
		    BYTES(FFFD_UTF8));
	check_lossy("lone continuation 0xbf inside", BYTES("a\xbf" "b"),
		    "a" FFFD "b", BYTES("a" FFFD_UTF8 "b"));
	check_lossy("overlong slash c0 af", BYTES("\xc0\xaf"), FFFD FFFD,
		    BYTES(FFFD_UTF8 FFFD_UTF8));
	check_lossy("overlong c1 bf", BYTES("\xc1\xbf"), FFFD FFFD,
		    BYTES(FFFD_UTF8 FFFD_UTF8));
	check_lossy("overlong 3 bytes e0 80 af", BYTES("\xe0\x80\xaf"),
		    FFFD FFFD FFFD, BYTES(FFFD_UTF8 FFFD_UTF8 FFFD_UTF8));
	check_lossy("overlong 3 bytes e0 9f bf", BYTES("\xe0\x9f\xbf"),
		    FFFD FFFD FFFD, BYTES(FFFD_UTF8 FFFD_UTF8 FFFD_UTF8));
	check_lossy("overlong 4 bytes f0 8f bf bf", BYTES("\xf0\x8f\xbf\xbf"),
		    FFFD FFFD FFFD FFFD,
		    BYTES(FFFD_UTF8 FFFD_UTF8 FFFD_UTF8 FFFD_UTF8));
	check_lossy("surrogate U+D800", BYTES("\xed\xa0\x80"),
		    FFFD FFFD FFFD, BYTES(FFFD_UTF8 FFFD_UTF8 FFFD_UTF8));
	check_lossy("surrogate U+DFFF", BYTES("\xed\xbf\xbf"),
		    FFFD FFFD FFFD, BYTES(FFFD_UTF8 FFFD_UTF8 FFFD_UTF8));
	check_lossy("above U+10FFFF", BYTES("\xf4\x90\x80\x80"),
		    FFFD FFFD FFFD FFFD,
		    BYTES(FFFD_UTF8 FFFD_UTF8 FFFD_UTF8 FFFD_UTF8));
	check_lossy("lead byte f5", BYTES("\xf5\x80\x80\x80"),
		    FFFD FFFD FFFD FFFD,
		    BYTES(FFFD_UTF8 FFFD_UTF8 FFFD_UTF8 FFFD_UTF8));
	check_lossy("byte 0xfe", BYTES("\xfe"), FFFD, BYTES(FFFD_UTF8));
	check_lossy("byte 0xff", BYTES("\xff"), FFFD, BYTES(FFFD_UTF8));
	check_lossy("bytes ff fe", BYTES("\xff\xfe"), FFFD FFFD,
		    BYTES(FFFD_UTF8 FFFD_UTF8));
}

static void test_string_truncated_utf8(void)
{
	check_lossy("2-byte lead at end", BYTES("ab\xc3"), "ab" FFFD,
		    BYTES("ab" FFFD_UTF8));
	check_lossy("3-byte sequence cut at end", BYTES("a\xe2\x82"),
		    "a" FFFD FFFD, BYTES("a" FFFD_UTF8 FFFD_UTF8));
	check_lossy("4-byte sequence cut at end", BYTES("\xf0\x9f\x98"),
		    FFFD FFFD FFFD, BYTES(FFFD_UTF8 FFFD_UTF8 FFFD_UTF8));
	check_lossy("3-byte sequence cut by ASCII", BYTES("\xe2\x82" "A"),
		    FFFD FFFD "A", BYTES(FFFD_UTF8 FFFD_UTF8 "A"));
	check_lossy("2-byte lead before quote", BYTES("\xc3\""),
		    FFFD "\\\"", BYTES(FFFD_UTF8 "\""));
	check_lossy("valid around invalid", BYTES("\xc3\xa9\xff\xc3\xa9"),
		    "\xc3\xa9" FFFD "\xc3\xa9",
		    BYTES("\xc3\xa9" FFFD_UTF8 "\xc3\xa9"));
}

/* Exactly LEN bytes are written, whatever follows them. */
static void test_string_length(void)
{
	check_kept("prefix of a longer string", "abcdef", 3, "abc");
	check_kept("stops before a quote", "ab\"", 2, "ab");
	check_lossy("length splits a sequence", "\xc3\xa9", 1, FFFD,
		    BYTES(FFFD_UTF8));
}

/* Check a finished object against the exact line and parse it. */
static void check_object(const char *name, const struct json_buf *buf,
			 const char *expected)
{
	unsigned int failed_before = unit_failed;
	struct json_object *root;

	CHECK(!json_buf_failed(buf));
	CHECK_EQ_MEM(buf->data, buf->len, expected, strlen(expected));
	root = parse_line(buf->data, buf->len);
	json_object_put(root);
	note_case(failed_before, name);
}

static void test_key_escaping(void)
{
	struct json_buf buf;
	struct json_object *root;
	struct json_object *value;

	json_buf_init(&buf);
	json_object_begin(&buf, NULL);
	json_put_u64(&buf, "a\"b\\c\n\x01", 1);
	json_object_begin(&buf, "\xff");
	json_object_end(&buf);
	json_object_end(&buf);
	check_object("escaped keys", &buf,
		     "{\"a\\\"b\\\\c\\n\\u0001\":1,\"" FFFD "\":{}}");

	root = parse_line(buf.data, buf.len);
	CHECK(json_object_object_get_ex(root, "a\"b\\c\n\x01", &value));
	CHECK(json_object_object_get_ex(root, FFFD_UTF8, &value));
	json_object_put(root);
	json_buf_free(&buf);
}

static void test_object_empty(void)
{
	struct json_buf buf;

	json_buf_init(&buf);
	json_object_begin(&buf, NULL);
	json_object_end(&buf);
	check_object("empty top-level object", &buf, "{}");
	json_buf_free(&buf);
}

static void test_object_commas(void)
{
	struct json_buf buf;

	json_buf_init(&buf);
	json_object_begin(&buf, NULL);
	json_put_u64(&buf, "a", 1);
	json_put_bool(&buf, "b", true);
	json_put_bool(&buf, "c", false);
	json_put_string(&buf, "d", "x", 1);
	json_put_hex(&buf, "e", "\x01", 1);
	json_put_i64(&buf, "f", -1);
	json_object_end(&buf);
	check_object("one comma between members", &buf,
		     "{\"a\":1,\"b\":true,\"c\":false,\"d\":\"x\","
		     "\"e\":\"01\",\"f\":-1}");
	json_buf_free(&buf);
}

static void test_literal_keys(void)
{
	struct json_buf buf;

	json_buf_init(&buf);
	json_object_begin(&buf, NULL);
	json_put_u64_literal(&buf, JSON_KEY("a"), 1);
	json_put_bool_literal(&buf, JSON_KEY("b"), true);
	json_put_bool_literal(&buf, JSON_KEY("c"), false);
	json_object_begin_literal(&buf, JSON_KEY("d"));
	json_put_string_literal(&buf, JSON_KEY("e"), "x\"", 2);
	json_put_i64_literal(&buf, JSON_KEY("f"), INT64_MIN);
	json_object_end(&buf);
	json_put_u64(&buf, "g", 2);
	json_put_string_literal(&buf, JSON_KEY(""), "", 0);
	json_object_end(&buf);
	check_object("literal keys write what the other functions write", &buf,
		     "{\"a\":1,\"b\":true,\"c\":false,"
		     "\"d\":{\"e\":\"x\\\"\",\"f\":-9223372036854775808},"
		     "\"g\":2,\"\":\"\"}");
	json_buf_free(&buf);

	/* A member outside an object is misuse, as with the other functions. */
	json_buf_init(&buf);
	json_put_u64_literal(&buf, JSON_KEY("a"), 1);
	CHECK(json_buf_failed(&buf));
	json_buf_free(&buf);
}

static void test_object_nested(void)
{
	struct json_buf buf;
	struct json_object *root;
	struct json_object *value;

	json_buf_init(&buf);
	json_object_begin(&buf, NULL);
	json_object_begin(&buf, "a");
	json_object_begin(&buf, "b");
	json_object_end(&buf);
	json_object_end(&buf);
	json_object_begin(&buf, "c");
	json_put_u64(&buf, "d", 1);
	json_put_bool(&buf, "e", false);
	json_object_end(&buf);
	json_object_begin(&buf, "g");
	json_object_begin(&buf, "h");
	json_put_string(&buf, "i", "j", 1);
	json_object_end(&buf);
	json_put_u64(&buf, "k", 2);
	json_object_end(&buf);
	json_put_string(&buf, "f", "x", 1);
	json_object_end(&buf);
	check_object("nested objects", &buf,
		     "{\"a\":{\"b\":{}},\"c\":{\"d\":1,\"e\":false},"
		     "\"g\":{\"h\":{\"i\":\"j\"},\"k\":2},\"f\":\"x\"}");

	root = parse_line(buf.data, buf.len);
	CHECK(json_object_object_get_ex(root, "g", &value) &&
	      json_object_object_get_ex(value, "k", &value) &&
	      json_object_get_int(value) == 2);
	json_object_put(root);
	json_buf_free(&buf);
}

static void test_numbers(void)
{
	struct json_buf buf;
	struct json_object *root;
	struct json_object *value;

	json_buf_init(&buf);
	json_object_begin(&buf, NULL);
	json_put_u64(&buf, "zero", 0);
	json_put_u64(&buf, "u64max", UINT64_MAX);
	json_put_i64(&buf, "i64min", INT64_MIN);
	json_put_i64(&buf, "i64max", INT64_MAX);
	json_put_i64(&buf, "minus1", -1);
	json_put_i64(&buf, "izero", 0);
	json_object_end(&buf);
	check_object("integer limits", &buf,
		     "{\"zero\":0,\"u64max\":18446744073709551615,"
		     "\"i64min\":-9223372036854775808,"
		     "\"i64max\":9223372036854775807,\"minus1\":-1,"
		     "\"izero\":0}");

	root = parse_line(buf.data, buf.len);
	if (CHECK(json_object_object_get_ex(root, "u64max", &value)))
		CHECK_EQ_UINT(json_object_get_uint64(value), UINT64_MAX);
	if (CHECK(json_object_object_get_ex(root, "i64min", &value)))
		CHECK(json_object_get_int64(value) == INT64_MIN);
	if (CHECK(json_object_object_get_ex(root, "i64max", &value)))
		CHECK(json_object_get_int64(value) == INT64_MAX);
	if (CHECK(json_object_object_get_ex(root, "minus1", &value)))
		CHECK_EQ_INT(json_object_get_int64(value), -1);
	json_object_put(root);
	json_buf_free(&buf);
}

static void test_hex(void)
{
	static const unsigned char bytes[] = { 0x00, 0x01, 0x7f, 0xab, 0xff };
	struct json_buf buf;
	struct json_object *root;
	struct json_object *value;

	json_buf_init(&buf);
	json_object_begin(&buf, NULL);
	json_put_hex(&buf, "raw", bytes, sizeof(bytes));
	json_put_hex(&buf, "none", NULL, 0);
	json_object_end(&buf);
	check_object("lowercase hex", &buf,
		     "{\"raw\":\"00017fabff\",\"none\":\"\"}");

	root = parse_line(buf.data, buf.len);
	if (CHECK(json_object_object_get_ex(root, "raw", &value)))
		CHECK_EQ_STR(json_object_get_string(value), "00017fabff");
	json_object_put(root);
	json_buf_free(&buf);
}

static void test_reset_reuse(void)
{
	struct json_buf buf;
	char *data;
	size_t cap;

	json_buf_init(&buf);
	json_object_begin(&buf, NULL);
	json_put_u64(&buf, "a", 1);
	json_object_end(&buf);
	data = buf.data;
	cap = buf.cap;

	json_buf_reset(&buf);
	CHECK_EQ_UINT(buf.len, 0);
	CHECK_EQ_STR(buf.data, "");
	CHECK(buf.data == data);
	CHECK_EQ_UINT(buf.cap, cap);

	json_object_begin(&buf, NULL);
	json_put_u64(&buf, "b", 2);
	json_object_end(&buf);
	check_object("second record after reset", &buf, "{\"b\":2}");
	json_buf_free(&buf);
}

static void test_growth(void)
{
	size_t len = 100000;
	char *input = malloc(len);
	struct json_buf buf;
	struct json_object *root;
	struct json_object *value;

	if (!CHECK(input != NULL))
		return;
	memset(input, '\x01', len);

	json_buf_init(&buf);
	json_object_begin(&buf, NULL);
	json_put_u64(&buf, "n", 7);
	CHECK(!json_put_string(&buf, "s", input, len));
	json_object_end(&buf);
	CHECK(!json_buf_failed(&buf));
	CHECK_EQ_UINT(buf.len, len * 6 + strlen("{\"n\":7,\"s\":\"\"}"));
	CHECK(buf.len < buf.cap);

	root = parse_line(buf.data, buf.len);
	if (CHECK(json_object_object_get_ex(root, "s", &value)))
		CHECK_EQ_MEM(json_object_get_string(value),
			     (size_t)json_object_get_string_len(value),
			     input, len);
	json_object_put(root);
	json_buf_free(&buf);
	free(input);
}

static void test_misuse_sets_error(void)
{
	struct json_buf buf;
	unsigned int i;

	json_buf_init(&buf);
	json_put_u64(&buf, "a", 1);
	CHECK(json_buf_failed(&buf));
	json_object_begin(&buf, NULL);
	CHECK_EQ_UINT(buf.len, 0);

	json_buf_reset(&buf);
	CHECK(!json_buf_failed(&buf));
	json_object_end(&buf);
	CHECK(json_buf_failed(&buf));

	json_buf_reset(&buf);
	json_object_begin(&buf, NULL);
	json_object_end(&buf);
	json_object_begin(&buf, NULL);
	CHECK(json_buf_failed(&buf));

	json_buf_reset(&buf);
	json_object_begin(&buf, "key");
	CHECK(json_buf_failed(&buf));

	json_buf_reset(&buf);
	json_object_begin(&buf, NULL);
	json_object_begin(&buf, NULL);
	CHECK(json_buf_failed(&buf));

	json_buf_reset(&buf);
	json_object_begin(&buf, NULL);
	CHECK(!json_put_string(&buf, NULL, "x", 1));
	CHECK(json_buf_failed(&buf));

	json_buf_reset(&buf);
	json_object_begin(&buf, NULL);
	for (i = 1; i < JSON_MAX_DEPTH; i++)
		json_object_begin(&buf, "d");
	CHECK(!json_buf_failed(&buf));
	CHECK_EQ_UINT(buf.depth, JSON_MAX_DEPTH);
	json_object_begin(&buf, "d");
	CHECK(json_buf_failed(&buf));

	json_buf_free(&buf);
	json_buf_free(&buf);
	json_buf_free(NULL);
	CHECK(buf.data == NULL);
}

/* A small xorshift generator, so every run tests the same strings. */
static uint32_t next_random(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* Pick bytes from the ranges where the UTF-8 and escaping rules change. */
static char random_byte(uint32_t *state)
{
	static const unsigned char edges[] = {
		0x00, 0x0a, 0x1f, 0x20, '"', '\\', 0x7e, 0x7f, 0x80, 0x8f,
		0x90, 0x9f, 0xa0, 0xa8, 0xa9, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf,
		0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xfe, 0xff,
	};
	uint32_t r = next_random(state);

	if (r % 4 == 0)
		return (char)(r >> 8);
	return (char)edges[(r >> 8) % sizeof(edges)];
}

/*
 * Random strings must always give one line that json-c parses, and a string
 * that is not lossy must decode to exactly the input.
 */
static void test_random_strings(void)
{
	unsigned int parse_failures = 0;
	unsigned int roundtrip_failures = 0;
	unsigned int raw_controls = 0;
	uint32_t state = 0x2545f491;
	unsigned int round;

	for (round = 0; round < 5000; round++) {
		char input[24];
		size_t len = next_random(&state) % sizeof(input);
		struct json_object *root;
		struct json_object *value;
		struct json_buf buf;
		const char *error;
		bool lossy;
		size_t i;

		for (i = 0; i < len; i++)
			input[i] = random_byte(&state);

		json_buf_init(&buf);
		json_object_begin(&buf, NULL);
		lossy = json_put_string(&buf, "s", input, len);
		json_object_end(&buf);

		for (i = 0; i < buf.len; i++)
			raw_controls += (unsigned char)buf.data[i] < 0x20;

		root = parse_strict(buf.data, buf.len, &error);
		if (!root)
			parse_failures++;
		else if (!lossy && (!json_object_object_get_ex(root, "s", &value) ||
			 (size_t)json_object_get_string_len(value) != len ||
			 memcmp(json_object_get_string(value), input, len) != 0))
			roundtrip_failures++;

		json_object_put(root);
		json_buf_free(&buf);
	}
	CHECK_EQ_UINT(parse_failures, 0);
	CHECK_EQ_UINT(roundtrip_failures, 0);
	CHECK_EQ_UINT(raw_controls, 0);
}

int main(void)
{
	test_string_plain();
	test_string_quote_backslash();
	test_string_short_escapes();
	test_string_control_bytes();
	test_string_line_separators();
	test_string_valid_utf8();
	test_string_invalid_utf8();
	test_string_truncated_utf8();
	test_string_length();
	test_key_escaping();
	test_object_empty();
	test_object_commas();
	test_literal_keys();
	test_object_nested();
	test_numbers();
	test_hex();
	test_reset_reuse();
	test_growth();
	test_misuse_sets_error();
	test_random_strings();
	return unit_finish("test-json");
}

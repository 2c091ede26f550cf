/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the configuration parser: each configuration text is written to a
 * file in a temporary directory and loaded with config_load().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "unit.h"

#define ERR_SIZE	1024

static char temp_dir[] = "/tmp/test-config.XXXXXX";
static unsigned int temp_count;

/* Write LEN bytes to a new file with MODE and return its path, which the
 * next call overwrites. */
static const char *write_file(const char *text, size_t len, mode_t mode)
{
	static char path[256];
	FILE *file;

	snprintf(path, sizeof(path), "%s/%u.conf", temp_dir, ++temp_count);
	file = fopen(path, "w");
	if (!file || fwrite(text, 1, len, file) != len || fclose(file) != 0) {
		printf("test-config: failed to write %s: %s\n", path,
		       strerror(errno));
		exit(1);
	}
	if (chmod(path, mode) < 0) {
		printf("test-config: failed to chmod %s: %s\n", path,
		       strerror(errno));
		exit(1);
	}
	return path;
}

static const char *write_config(const char *text)
{
	return write_file(text, strlen(text), 0600);
}

/* Format the expected message: the path followed by SUFFIX. */
static const char *expected_message(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *expected_message(const char *path, const char *fmt, ...)
{
	static char message[ERR_SIZE];
	size_t len;
	va_list ap;

	len = (size_t)snprintf(message, sizeof(message), "%s", path);
	va_start(ap, fmt);
	vsnprintf(message + len, sizeof(message) - len, fmt, ap);
	va_end(ap);
	return message;
}

/* Load TEXT, which must be rejected with -EINVAL and "path" + SUFFIX. */
static void check_rejected_bytes(const char *name, const char *text,
				 size_t len, const char *suffix)
{
	unsigned int failed_before = unit_failed;
	struct config *config = (struct config *)1;
	char err[ERR_SIZE] = "";
	const char *path;
	int r;

	path = write_file(text, len, 0600);
	r = config_load(path, &config, err, sizeof(err));
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(config == NULL);
	CHECK_EQ_STR(err, expected_message(path, "%s", suffix));
	if (unit_failed != failed_before)
		printf("  in case: %s\n", name);
	config_free(r == 0 ? config : NULL);
}

static void check_rejected(const char *name, const char *text,
			   const char *suffix)
{
	check_rejected_bytes(name, text, strlen(text), suffix);
}

/* Load TEXT, which must be accepted, and return the config or NULL. */
static struct config *load_valid(const char *text)
{
	struct config *config = NULL;
	char err[ERR_SIZE] = "";
	int r;

	r = config_load(write_config(text), &config, err, sizeof(err));
	CHECK_EQ_INT(r, 0);
	CHECK_EQ_STR(err, "");
	if (r == 0 && !CHECK(config != NULL))
		return NULL;
	return config;
}

struct rejected_case {
	const char *name;
	const char *text;
	const char *message;	/* after the path */
};

static const struct rejected_case syntax_cases[] = {
	{ "unknown section", "[deamon]\n",
	  ":1: unknown section '[deamon]' (expected [daemon], [policy], [level NAME], [rule NAME] or [sink NAME])" },
	{ "unknown section escaped", "# x\n[\x01\xff\\]\n",
	  ":2: unknown section '[\\x01\\xff\\\\]' (expected [daemon], [policy], [level NAME], [rule NAME] or [sink NAME])" },
	{ "section names are case-sensitive", "[Daemon]\n",
	  ":1: unknown section '[Daemon]' (expected [daemon], [policy], [level NAME], [rule NAME] or [sink NAME])" },
	{ "section header without bracket", "[daemon\n",
	  ":1: invalid section header '[daemon' (expected [daemon], [policy], [level NAME], [rule NAME] or [sink NAME])" },
	{ "section header with comment", "[daemon] # main\n",
	  ":1: invalid section header '[daemon] # main' (expected [daemon], [policy], [level NAME], [rule NAME] or [sink NAME])" },
	{ "key outside section", "log_level = info\n",
	  ":1: key 'log_level' is outside any section (put it under [daemon], [policy], [level NAME], [rule NAME] or [sink NAME])" },
	{ "key outside section after comments", "# c\n\n  # d\nruntime = crun\n",
	  ":4: key 'runtime' is outside any section (put it under [daemon], [policy], [level NAME], [rule NAME] or [sink NAME])" },
	{ "missing equals sign", "[daemon]\nlog_level info\n",
	  ":2: missing '=' in 'log_level info' (expected KEY = VALUE)" },
	{ "missing equals sign escaped", "[daemon]\n\x1b[2J\n",
	  ":2: missing '=' in '\\x1b[2J' (expected KEY = VALUE)" },
	{ "empty key", "[daemon]\n = info\n",
	  ":2: missing key before '='" },
	{ "empty value", "[daemon]\nlog_level =\n",
	  ":2: missing value for 'log_level'" },
	{ "blank value", "[daemon]\nlog_level = \t \n",
	  ":2: missing value for 'log_level'" },
	{ "key with blank", "[daemon]\nlog level = info\n",
	  ":2: invalid key 'log level' (expected letters, digits, '_', '.' or '-')" },
	{ "key with control byte", "[daemon]\nlog\x7flevel = info\n",
	  ":2: invalid key 'log\\x7flevel' (expected letters, digits, '_', '.' or '-')" },
	{ "unknown key in daemon", "[daemon]\nloglevel = info\n",
	  ":2: unknown key 'loglevel' in [daemon]" },
	{ "unknown key in policy", "[policy]\nmode = audit\n",
	  ":2: unknown key 'mode' in [policy]" },
	{ "policy key in daemon", "[daemon]\ndefault_mode = audit\n",
	  ":2: unknown key 'default_mode' in [daemon] (it belongs in [policy])" },
	{ "daemon key in policy", "[policy]\nlog_level = info\n",
	  ":2: unknown key 'log_level' in [policy] (it belongs in [daemon])" },
	{ "duplicate key", "[daemon]\nlog_level = info\nlog_level = debug\n",
	  ":3: duplicate key 'log_level' (first set on line 2)" },
	{ "duplicate key in reopened section",
	  "[daemon]\nstats_interval = 5\n[policy]\n[daemon]\nstats_interval = 5\n",
	  ":5: duplicate key 'stats_interval' (first set on line 2)" },
	{ "duplicate policy key",
	  "[policy]\ndefault_mode = audit\ndefault_mode = enforce\n",
	  ":3: duplicate key 'default_mode' (first set on line 2)" },
};

static const struct rejected_case sink_cases[] = {
	{ "duplicate sink", "[sink a]\nmodule = json\n[sink a]\nmodule = json\n",
	  ":3: duplicate sink 'a' (first defined on line 1)" },
	{ "sink without module before section",
	  "[daemon]\n[sink out]\npath = /x\n[policy]\n",
	  ":2: [sink out] has no 'module' key" },
	{ "sink without module at end", "[sink out]\npath = /x\n",
	  ":1: [sink out] has no 'module' key" },
	{ "empty sink at end", "[sink out]",
	  ":1: [sink out] has no 'module' key" },
	{ "sink without name", "[sink]\n",
	  ":1: missing sink name in '[sink]' (expected [sink NAME])" },
	{ "sink with blank name", "[sink  \t]\n",
	  ":1: missing sink name in '[sink]' (expected [sink NAME])" },
	{ "sink name with slash", "[sink a/b]\n",
	  ":1: invalid sink name 'a/b' (expected 1 to 64 letters, digits, '_', '.' or '-')" },
	{ "sink name with blank", "[sink a b]\n",
	  ":1: invalid sink name 'a b' (expected 1 to 64 letters, digits, '_', '.' or '-')" },
	{ "sink name of 65 bytes",
	  "[sink aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffffghijk]\n",
	  ":1: invalid sink name 'aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffffghijk' (expected 1 to 64 letters, digits, '_', '.' or '-')" },
	{ "sinks without separator", "[sinkout]\n",
	  ":1: unknown section '[sinkout]' (expected [daemon], [policy], [level NAME], [rule NAME] or [sink NAME])" },
	{ "duplicate module", "[sink a]\nmodule = json\nmodule = syslog\n",
	  ":3: duplicate key 'module' (first set on line 2)" },
	{ "module with uppercase", "[sink a]\nmodule = Json\n",
	  ":2: invalid module 'Json' (expected a name of a-z, 0-9, '_' and '-', or an absolute path)" },
	{ "module with relative path", "[sink a]\nmodule = ../json\n",
	  ":2: invalid module '../json' (expected a name of a-z, 0-9, '_' and '-', or an absolute path)" },
	{ "module with suffix", "[sink a]\nmodule = json.so\n",
	  ":2: invalid module 'json.so' (expected a name of a-z, 0-9, '_' and '-', or an absolute path)" },
	{ "sink option without value", "[sink a]\nmodule = json\npath =\n",
	  ":3: missing value for 'path'" },
};

#define LOG_LEVEL_EXPECTED \
	"(expected error, warning, notice, info or debug)"
#define RINGBUF_EXPECTED \
	"(expected a power of two from 64K to 1G, such as 4M)"
#define INTERVAL_EXPECTED "(expected seconds from 1 to 86400)"

static const struct rejected_case value_cases[] = {
	{ "log_level abbreviated", "[daemon]\nlog_level = warn\n",
	  ":2: invalid log_level 'warn' " LOG_LEVEL_EXPECTED },
	{ "log_level uppercase", "[daemon]\nlog_level = INFO\n",
	  ":2: invalid log_level 'INFO' " LOG_LEVEL_EXPECTED },
	{ "log_level with trailing comment",
	  "[daemon]\nlog_level = info # quiet\n",
	  ":2: invalid log_level 'info # quiet' " LOG_LEVEL_EXPECTED },
	{ "log_level with backslash", "[daemon]\nlog_level = a\\b\n",
	  ":2: invalid log_level 'a\\\\b' " LOG_LEVEL_EXPECTED },
	{ "ringbuf_size not a power of two", "[daemon]\nringbuf_size = 3M\n",
	  ":2: invalid ringbuf_size '3M' " RINGBUF_EXPECTED },
	{ "ringbuf_size too small", "[daemon]\nringbuf_size = 32K\n",
	  ":2: invalid ringbuf_size '32K' " RINGBUF_EXPECTED },
	{ "ringbuf_size too large", "[daemon]\nringbuf_size = 2G\n",
	  ":2: invalid ringbuf_size '2G' " RINGBUF_EXPECTED },
	{ "ringbuf_size zero", "[daemon]\nringbuf_size = 0\n",
	  ":2: invalid ringbuf_size '0' " RINGBUF_EXPECTED },
	{ "ringbuf_size with unit", "[daemon]\nringbuf_size = 4MB\n",
	  ":2: invalid ringbuf_size '4MB' " RINGBUF_EXPECTED },
	{ "ringbuf_size with blank", "[daemon]\nringbuf_size = 4 M\n",
	  ":2: invalid ringbuf_size '4 M' " RINGBUF_EXPECTED },
	{ "ringbuf_size negative", "[daemon]\nringbuf_size = -4M\n",
	  ":2: invalid ringbuf_size '-4M' " RINGBUF_EXPECTED },
	{ "ringbuf_size hex", "[daemon]\nringbuf_size = 0x400000\n",
	  ":2: invalid ringbuf_size '0x400000' " RINGBUF_EXPECTED },
	{ "ringbuf_size overflow",
	  "[daemon]\nringbuf_size = 18446744073709551616\n",
	  ":2: invalid ringbuf_size '18446744073709551616' " RINGBUF_EXPECTED },
	{ "ringbuf_size overflow by suffix",
	  "[daemon]\nringbuf_size = 17179869184G\n",
	  ":2: invalid ringbuf_size '17179869184G' " RINGBUF_EXPECTED },
	{ "ringbuf_size 2^32 wraps to zero",
	  "[daemon]\nringbuf_size = 4294967296\n",
	  ":2: invalid ringbuf_size '4294967296' " RINGBUF_EXPECTED },
	{ "runtime of 16 bytes", "[daemon]\nruntime = abcdefghijklmnop\n",
	  ":2: runtime 'abcdefghijklmnop' is too long (max 15 bytes, the length of a task's comm)" },
	{ "runtime duplicate", "[daemon]\nruntime = crun\nruntime = crun\n",
	  ":3: duplicate runtime 'crun'" },
	{ "runtime escaped", "[daemon]\nruntime = \x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\n",
	  ":2: runtime '\\x80\\x81\\x82\\x83\\x84\\x85\\x86\\x87\\x88\\x89\\x8a\\x8b\\x8c\\x8d\\x8e\\x8f' is too long (max 15 bytes, the length of a task's comm)" },
	{ "sink_dir relative", "[daemon]\nsink_dir = lib/sinks\n",
	  ":2: invalid sink_dir 'lib/sinks' (expected an absolute path)" },
	{ "stats_interval zero", "[daemon]\nstats_interval = 0\n",
	  ":2: invalid stats_interval '0' " INTERVAL_EXPECTED },
	{ "stats_interval too large", "[daemon]\nstats_interval = 86401\n",
	  ":2: invalid stats_interval '86401' " INTERVAL_EXPECTED },
	{ "stats_interval with unit", "[daemon]\nstats_interval = 10s\n",
	  ":2: invalid stats_interval '10s' " INTERVAL_EXPECTED },
	{ "stats_interval negative", "[daemon]\nstats_interval = -1\n",
	  ":2: invalid stats_interval '-1' " INTERVAL_EXPECTED },
	{ "stats_interval fraction", "[daemon]\nstats_interval = 1.5\n",
	  ":2: invalid stats_interval '1.5' " INTERVAL_EXPECTED },
	{ "default_level unknown", "[policy]\ndefault_level = strict\n",
	  ":2: invalid default_level 'strict' (expected privileged, baseline or restricted)" },
	{ "default_mode unknown", "[policy]\ndefault_mode = permissive\n",
	  ":2: invalid default_mode 'permissive' (expected enforce or audit)" },
};

static void check_rejected_table(const struct rejected_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		check_rejected(cases[i].name, cases[i].text, cases[i].message);
}

static void test_rejected_syntax(void)
{
	check_rejected_table(syntax_cases,
			     sizeof(syntax_cases) / sizeof(syntax_cases[0]));
}

static void test_rejected_sinks(void)
{
	check_rejected_table(sink_cases,
			     sizeof(sink_cases) / sizeof(sink_cases[0]));
}

static void test_rejected_values(void)
{
	check_rejected_table(value_cases,
			     sizeof(value_cases) / sizeof(value_cases[0]));
}

static void test_too_many_runtimes(void)
{
	char text[1024] = "[daemon]\n";
	char line[64];
	int i;

	for (i = 0; i < ENCLAVE_MAX_RUNTIMES + 1; i++) {
		snprintf(line, sizeof(line), "runtime = rt%d\n", i);
		strcat(text, line);
	}
	check_rejected("17 runtimes", text, ":18: too many runtimes (max 16)");
}

static void test_long_lines(void)
{
	size_t size = CONFIG_MAX_LINE + 64;
	char *text = malloc(size);
	struct config *config;

	if (!CHECK(text != NULL))
		return;

	/* A comment line of exactly 4096 bytes is accepted. */
	memset(text, '#', size);
	memcpy(text, "[daemon]\n", 9);
	text[9 + CONFIG_MAX_LINE] = '\n';
	text[9 + CONFIG_MAX_LINE + 1] = '\0';
	config = load_valid(text);
	config_free(config);

	/* One byte more is rejected, even in a comment. */
	text[9 + CONFIG_MAX_LINE] = '#';
	text[9 + CONFIG_MAX_LINE + 1] = '\n';
	text[9 + CONFIG_MAX_LINE + 2] = '\0';
	check_rejected("4097-byte comment", text,
		       ":2: line is longer than 4096 bytes");

	/* The same without a final newline. */
	text[9 + CONFIG_MAX_LINE + 1] = '\0';
	check_rejected("4097-byte last line", text,
		       ":2: line is longer than 4096 bytes");
	free(text);
}

/* An invalid value longer than 100 bytes is quoted in part. */
static void test_long_value_quoted(void)
{
	char text[512] = "[daemon]\nlog_level = ";
	char message[512] = ":2: invalid log_level '";
	size_t i;

	for (i = 0; i < 150; i++)
		strcat(text, i < 100 ? "\\" : "x");
	strcat(text, "\n");

	for (i = 0; i < 100; i++)
		strcat(message, "\\\\");
	strcat(message, "...' " LOG_LEVEL_EXPECTED);
	check_rejected("value quoted in part", text, message);
}

static void test_nul_bytes(void)
{
	static const char in_value[] = "[daemon]\nlog_level = in\0fo\n";
	static const char in_comment[] = "# a\0b\n[daemon]\n";
	static const char at_end[] = "[daemon]\n\0";

	check_rejected_bytes("NUL in value", in_value, sizeof(in_value) - 1,
			     ":2: NUL byte in line");
	check_rejected_bytes("NUL in comment", in_comment,
			     sizeof(in_comment) - 1, ":1: NUL byte in line");
	check_rejected_bytes("NUL as last byte", at_end, sizeof(at_end) - 1,
			     ":2: NUL byte in line");
}

static void check_default_runtimes(const struct config *config)
{
	CHECK_EQ_UINT(config->n_runtimes, 3);
	CHECK_EQ_STR(config->runtimes[0], "runc:[2:INIT]");
	CHECK_EQ_STR(config->runtimes[1], "crun");
	CHECK_EQ_STR(config->runtimes[2], "youki:[2:INIT]");
	CHECK_EQ_STR(config->runtimes[3], "");
}

static void check_defaults(const char *name, const char *text)
{
	unsigned int failed_before = unit_failed;
	struct config *config = load_valid(text);

	if (!config)
		goto out;

	CHECK_EQ_INT(config->log_priority, LOG_NOTICE);
	CHECK_EQ_UINT(config->ringbuf_size, 4u << 20);
	check_default_runtimes(config);
#ifdef SINKDIR
	CHECK_EQ_STR(config->sink_dir, SINKDIR);
#else
	CHECK_EQ_STR(config->sink_dir, "/usr/local/lib/enclave/sinks");
#endif
	CHECK_EQ_UINT(config->stats_interval, 10);
	CHECK_EQ_UINT(config->default_level, ENCLAVE_LEVEL_BASELINE);
	CHECK_EQ_UINT(config->default_mode, ENCLAVE_MODE_ENFORCE);
	CHECK_EQ_UINT(config->n_sinks, 0);
	CHECK(config->sinks == NULL);
out:
	if (unit_failed != failed_before)
		printf("  in case: %s\n", name);
	config_free(config);
}

static void test_defaults(void)
{
	check_defaults("empty file", "");
	check_defaults("comments and blanks only",
		       "# enclave\n\n   \t\n\t# indented comment\n");
	check_defaults("empty sections", "[daemon]\n[policy]\n");
	check_defaults("no final newline", "[daemon]");
}

static const char full_config[] =
	"# enclave configuration\n"
	"[daemon]\n"
	"log_level = debug\n"
	"  ringbuf_size\t=\t256K  \n"
	"runtime = runc:[2:INIT]\n"
	"runtime = abcdefghijklmno\n"
	"sink_dir = /opt/enclave/sinks\n"
	"stats_interval = 86400\n"
	"\n"
	"[policy]\n"
	"default_level = restricted\n"
	"default_mode = audit\n"
	"\n"
	"[sink audit-log]\n"
	"module = json\n"
	"path = /var/log/enclave/events.json\n"
	"format = a = b # not a comment\n"
	"path = /second\n"
	"[sink Remote_2.x]\n"
	"module = /opt/sinks/remote.so\n";

static void check_full_sinks(const struct config *config)
{
	const struct config_sink *sink;

	if (!CHECK_EQ_UINT(config->n_sinks, 2))
		return;

	sink = &config->sinks[0];
	CHECK_EQ_STR(sink->instance, "audit-log");
	CHECK_EQ_STR(sink->module, "json");
	CHECK_EQ_UINT(sink->line, 14);
	if (CHECK_EQ_UINT(sink->n_options, 3)) {
		CHECK_EQ_STR(sink->options[0].key, "path");
		CHECK_EQ_STR(sink->options[0].value,
			     "/var/log/enclave/events.json");
		CHECK(sink->options[0].file == config->path);
		CHECK_EQ_UINT(sink->options[0].line, 16);
		CHECK_EQ_STR(sink->options[1].key, "format");
		CHECK_EQ_STR(sink->options[1].value, "a = b # not a comment");
		CHECK_EQ_UINT(sink->options[1].line, 17);
		CHECK_EQ_STR(sink->options[2].key, "path");
		CHECK_EQ_STR(sink->options[2].value, "/second");
		CHECK_EQ_UINT(sink->options[2].line, 18);
	}

	sink = &config->sinks[1];
	CHECK_EQ_STR(sink->instance, "Remote_2.x");
	CHECK_EQ_STR(sink->module, "/opt/sinks/remote.so");
	CHECK_EQ_UINT(sink->line, 19);
	CHECK_EQ_UINT(sink->n_options, 0);
}

static void test_full_config(void)
{
	const char *path = write_config(full_config);
	struct config *config = NULL;
	char err[ERR_SIZE] = "x";
	size_t i;
	int r;

	r = config_load(path, &config, err, sizeof(err));
	CHECK_EQ_INT(r, 0);
	CHECK_EQ_STR(err, "");
	if (!CHECK(config != NULL))
		return;

	CHECK_EQ_STR(config->path, path);
	CHECK(config->path != path);
	CHECK_EQ_INT(config->log_priority, LOG_DEBUG);
	CHECK_EQ_UINT(config->ringbuf_size, 256u << 10);
	CHECK_EQ_UINT(config->n_runtimes, 2);
	CHECK_EQ_STR(config->runtimes[0], "runc:[2:INIT]");
	CHECK_EQ_MEM(config->runtimes[1], ENCLAVE_COMM_LEN,
		     "abcdefghijklmno", ENCLAVE_COMM_LEN);
	for (i = 2; i < ENCLAVE_MAX_RUNTIMES; i++)
		CHECK_EQ_MEM(config->runtimes[i], ENCLAVE_COMM_LEN,
			     "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
			     ENCLAVE_COMM_LEN);
	CHECK_EQ_STR(config->sink_dir, "/opt/enclave/sinks");
	CHECK_EQ_UINT(config->stats_interval, 86400);
	CHECK_EQ_UINT(config->default_level, ENCLAVE_LEVEL_RESTRICTED);
	CHECK_EQ_UINT(config->default_mode, ENCLAVE_MODE_AUDIT);
	check_full_sinks(config);
	config_free(config);
}

/* One runtime line drops the whole default list and pads with NUL. */
static void test_runtime_replaces_defaults(void)
{
	struct config *config = load_valid("[daemon]\nruntime = crun\n");

	if (!config)
		return;
	CHECK_EQ_UINT(config->n_runtimes, 1);
	CHECK_EQ_MEM(config->runtimes[0], ENCLAVE_COMM_LEN,
		     "crun\0\0\0\0\0\0\0\0\0\0\0\0", ENCLAVE_COMM_LEN);
	CHECK_EQ_STR(config->runtimes[1], "");
	CHECK_EQ_STR(config->runtimes[2], "");
	config_free(config);
}

static void test_max_runtimes(void)
{
	char text[1024] = "[daemon]\n";
	struct config *config;
	char line[64];
	int i;

	for (i = 0; i < ENCLAVE_MAX_RUNTIMES; i++) {
		snprintf(line, sizeof(line), "runtime = rt%d\n", i);
		strcat(text, line);
	}
	config = load_valid(text);
	if (!config)
		return;
	CHECK_EQ_UINT(config->n_runtimes, ENCLAVE_MAX_RUNTIMES);
	CHECK_EQ_STR(config->runtimes[ENCLAVE_MAX_RUNTIMES - 1], "rt15");
	config_free(config);
}

static void check_ringbuf_size(const char *value, uint32_t expected)
{
	char text[128];
	struct config *config;

	snprintf(text, sizeof(text), "[daemon]\nringbuf_size = %s\n", value);
	config = load_valid(text);
	if (config)
		CHECK_EQ_UINT(config->ringbuf_size, expected);
	config_free(config);
}

static void test_ringbuf_sizes(void)
{
	check_ringbuf_size("64K", 64u << 10);
	check_ringbuf_size("64k", 64u << 10);
	check_ringbuf_size("65536", 65536);
	check_ringbuf_size("4M", 4u << 20);
	check_ringbuf_size("16m", 16u << 20);
	check_ringbuf_size("1G", 1u << 30);
	check_ringbuf_size("1g", 1u << 30);
	check_ringbuf_size("1073741824", 1u << 30);
	check_ringbuf_size("0004M", 4u << 20);
}

static void test_valid_edges(void)
{
	struct config *config;

	config = load_valid("[daemon]\r\nlog_level = error\r\n"
			    "stats_interval = 1\r\n");
	if (config) {
		CHECK_EQ_INT(config->log_priority, LOG_ERR);
		CHECK_EQ_UINT(config->stats_interval, 1);
	}
	config_free(config);

	config = load_valid("[ daemon ]\nlog_level = warning\n"
			    "[sink  a.b-c_D]\nmodule = my-sink_2\n");
	if (config) {
		CHECK_EQ_INT(config->log_priority, LOG_WARNING);
		CHECK_EQ_UINT(config->n_sinks, 1);
		CHECK_EQ_STR(config->sinks[0].instance, "a.b-c_D");
		CHECK_EQ_STR(config->sinks[0].module, "my-sink_2");
	}
	config_free(config);

	/* A 64-byte sink name is the maximum. */
	config = load_valid("[sink aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd"
			    "eeeeeeeeeeffffffffffghij]\nmodule = json\n");
	if (config)
		CHECK_EQ_UINT(strlen(config->sinks[0].instance), 64);
	config_free(config);

	config = load_valid("[policy]\ndefault_level = privileged\n"
			    "default_mode = enforce\n");
	if (config) {
		CHECK_EQ_UINT(config->default_level, ENCLAVE_LEVEL_PRIVILEGED);
		CHECK_EQ_UINT(config->default_mode, ENCLAVE_MODE_ENFORCE);
	}
	config_free(config);
}

static void check_file_error(const char *name, const char *path, int expected,
			     const char *suffix)
{
	unsigned int failed_before = unit_failed;
	struct config *config = NULL;
	char err[ERR_SIZE] = "";
	int r;

	r = config_load(path, &config, err, sizeof(err));
	CHECK_EQ_INT(r, expected);
	CHECK(config == NULL);
	CHECK_EQ_STR(err, expected_message(path, "%s", suffix));
	if (unit_failed != failed_before)
		printf("  in case: %s\n", name);
	config_free(r == 0 ? config : NULL);
}

static void test_file_errors(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/missing.conf", temp_dir);
	check_file_error("missing file", path, -ENOENT,
			 ": failed to open: No such file or directory");

	check_file_error("directory", temp_dir, -EINVAL,
			 ": not a regular file");

	snprintf(path, sizeof(path), "%s/fifo.conf", temp_dir);
	if (CHECK_EQ_INT(mkfifo(path, 0600), 0))
		check_file_error("FIFO", path, -EINVAL,
				 ": not a regular file");
}

static void check_unsafe_mode(const char *path, mode_t mode)
{
	char suffix[128];

	CHECK_EQ_INT(chmod(path, mode), 0);
	snprintf(suffix, sizeof(suffix), ": must be owned by root and not writable by group or others (owner 0, mode 0%03o)",
		 (unsigned int)mode);
	check_file_error("unsafe mode", path, -EPERM, suffix);
}

static void test_ownership(void)
{
	const char *path = write_config("[daemon]\n");
	struct config *config = NULL;
	char copy[256];
	char err[ERR_SIZE];

	snprintf(copy, sizeof(copy), "%s", path);
	if (geteuid() != 0) {
		/* The check applies only to a daemon running as root. */
		printf("test-config: not root, so the ownership check is not exercised\n");
		CHECK_EQ_INT(chmod(copy, 0666), 0);
		CHECK_EQ_INT(config_load(copy, &config, err, sizeof(err)), 0);
		config_free(config);
		return;
	}

	check_unsafe_mode(copy, 0666);
	check_unsafe_mode(copy, 0620);
	check_unsafe_mode(copy, 0602);
	check_unsafe_mode(copy, 04622);

	CHECK_EQ_INT(chmod(copy, 0644), 0);
	CHECK_EQ_INT(config_load(copy, &config, err, sizeof(err)), 0);
	config_free(config);

	CHECK_EQ_INT(chown(copy, 65534, 0), 0);
	check_file_error("owned by nobody", copy, -EPERM,
			 ": must be owned by root and not writable by group or others (owner 65534, mode 0644)");
}

/* The error buffer is optional, and a short one is still terminated. */
static void test_error_buffer(void)
{
	const char *path = write_config("[nope]\n");
	struct config *config = NULL;
	char err[8];

	CHECK_EQ_INT(config_load(path, &config, NULL, 0), -EINVAL);
	CHECK(config == NULL);

	memset(err, 'x', sizeof(err));
	CHECK_EQ_INT(config_load(path, &config, err, sizeof(err)), -EINVAL);
	CHECK_EQ_MEM(err, strlen(err), path, sizeof(err) - 1);
}

static void test_names(void)
{
	CHECK_EQ_STR(config_level_name(ENCLAVE_LEVEL_PRIVILEGED), "privileged");
	CHECK_EQ_STR(config_level_name(ENCLAVE_LEVEL_BASELINE), "baseline");
	CHECK_EQ_STR(config_level_name(ENCLAVE_LEVEL_RESTRICTED), "restricted");
	CHECK_EQ_STR(config_level_name(3), "unknown");
	CHECK_EQ_STR(config_level_name(UINT32_MAX), "unknown");
	CHECK_EQ_STR(config_mode_name(ENCLAVE_MODE_ENFORCE), "enforce");
	CHECK_EQ_STR(config_mode_name(ENCLAVE_MODE_AUDIT), "audit");
	CHECK_EQ_STR(config_mode_name(2), "unknown");
	config_free(NULL);
}

/*
 * The parser quotes values with log_escape() and parses log_level with
 * log_priority_parse(), so the logging helpers are tested here too.
 */
static void check_escape(const char *input, size_t len, size_t dst_size,
			 const char *expected)
{
	char dst[72];
	size_t written;

	memset(dst, 'Z', sizeof(dst));
	written = log_escape(dst, dst_size, input, len);
	CHECK_EQ_STR(dst, expected);
	CHECK_EQ_UINT(written, strlen(expected));
	CHECK(dst[dst_size] == 'Z');
}

static void test_log_escape(void)
{
	char dst[LOG_ESCAPE_SIZE(4)];
	char guard = 'Z';

	check_escape("runc:[2:INIT]", 13, 64, "runc:[2:INIT]");
	check_escape(" ~\"'", 4, 64, " ~\"'");
	check_escape("a\\b", 3, 64, "a\\\\b");
	check_escape("\0\n\x1f\x7f", 4, 64, "\\x00\\x0a\\x1f\\x7f");
	check_escape("\x80\xc3\xa9\xff", 4, 64, "\\x80\\xc3\\xa9\\xff");
	check_escape("", 0, 64, "");

	/* Truncation keeps every escape whole and always terminates. */
	check_escape("ab\x01", 3, 1, "");
	check_escape("ab\x01", 3, 3, "ab");
	check_escape("ab\x01", 3, 6, "ab");
	check_escape("ab\x01", 3, 7, "ab\\x01");
	check_escape("a\\", 2, 3, "a");
	check_escape("a\\", 2, 4, "a\\\\");

	CHECK_EQ_UINT(log_escape(&guard, 0, "abc", 3), 0);
	CHECK(guard == 'Z');
	CHECK_EQ_UINT(log_escape(dst, sizeof(dst), "\xff\xff\xff\xff", 4), 16);
	CHECK_EQ_STR(dst, "\\xff\\xff\\xff\\xff");
}

static void test_log_priorities(void)
{
	CHECK_EQ_INT(log_priority_parse("error"), LOG_ERR);
	CHECK_EQ_INT(log_priority_parse("warning"), LOG_WARNING);
	CHECK_EQ_INT(log_priority_parse("notice"), LOG_NOTICE);
	CHECK_EQ_INT(log_priority_parse("info"), LOG_INFO);
	CHECK_EQ_INT(log_priority_parse("debug"), LOG_DEBUG);
	CHECK_EQ_INT(log_priority_parse("crit"), -1);
	CHECK_EQ_INT(log_priority_parse("Error"), -1);
	CHECK_EQ_INT(log_priority_parse(""), -1);
	CHECK_EQ_INT(log_priority_parse(NULL), -1);

	CHECK_EQ_STR(log_priority_name(LOG_ERR), "error");
	CHECK_EQ_STR(log_priority_name(LOG_WARNING), "warning");
	CHECK_EQ_STR(log_priority_name(LOG_NOTICE), "notice");
	CHECK_EQ_STR(log_priority_name(LOG_INFO), "info");
	CHECK_EQ_STR(log_priority_name(LOG_DEBUG), "debug");
	CHECK_EQ_STR(log_priority_name(LOG_CRIT), "crit");
	CHECK_EQ_STR(log_priority_name(LOG_DAEMON | LOG_ERR), "error");
	CHECK_EQ_STR(log_priority_name(-1), "unknown");
}

/* Messages in the foreground go to stderr, one line each. */
static void test_log_stderr(void)
{
	char path[256];
	char output[256] = "";
	int saved_stderr;
	int fd;
	ssize_t len;

	snprintf(path, sizeof(path), "%s/stderr.log", temp_dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (!CHECK(fd >= 0))
		return;
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);

	log_open(true, LOG_INFO);
	CHECK(log_enabled(LOG_INFO));
	CHECK(!log_enabled(LOG_DEBUG));
	log_msg(LOG_WARNING, "sink '%s' failed: %d", "out", 42);
	log_msg(LOG_DEBUG, "dropped");
	log_set_max_priority(LOG_DEBUG);
	errno = ENOENT;
	log_msg(LOG_DEBUG, "kept");
	CHECK_EQ_INT(errno, ENOENT);
	log_set_max_priority(LOG_ERR);
	log_msg(LOG_NOTICE, "dropped");
	log_msg(LOG_ERR, "last");
	log_set_max_priority(LOG_NOTICE);
	fflush(stderr);

	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	len = pread(fd, output, sizeof(output) - 1, 0);
	close(fd);
	unlink(path);
	CHECK(len >= 0);
	CHECK_EQ_STR(output,
		     "enclaved: warning: sink 'out' failed: 42\n"
		     "enclaved: debug: kept\n"
		     "enclaved: error: last\n");
}

/* Remove the files of the temporary directory, then the directory. */
static void remove_temp_dir(void)
{
	char path[256];
	unsigned int i;

	for (i = 1; i <= temp_count; i++) {
		snprintf(path, sizeof(path), "%s/%u.conf", temp_dir, i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/fifo.conf", temp_dir);
	unlink(path);
	if (rmdir(temp_dir) < 0)
		printf("test-config: failed to remove %s: %s\n", temp_dir,
		       strerror(errno));
}

int main(void)
{
	if (!mkdtemp(temp_dir)) {
		printf("test-config: failed to create %s: %s\n", temp_dir,
		       strerror(errno));
		return 1;
	}

	test_rejected_syntax();
	test_rejected_sinks();
	test_rejected_values();
	test_too_many_runtimes();
	test_long_lines();
	test_long_value_quoted();
	test_nul_bytes();
	test_defaults();
	test_full_config();
	test_runtime_replaces_defaults();
	test_max_runtimes();
	test_ringbuf_sizes();
	test_valid_edges();
	test_file_errors();
	test_ownership();
	test_error_buffer();
	test_names();
	test_log_escape();
	test_log_priorities();
	test_log_stderr();

	remove_temp_dir();
	return unit_finish("test-config");
}

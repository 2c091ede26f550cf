/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "policy.h"
#include "record.h"

#ifndef SINKDIR
#define SINKDIR "/usr/local/lib/enclave/sinks"
#endif

#define CONFIG_DEFAULT_RINGBUF_SIZE	(UINT32_C(4) << 20)
#define CONFIG_MIN_RINGBUF_SIZE		(UINT32_C(64) << 10)
#define CONFIG_MAX_RINGBUF_SIZE		(UINT32_C(1) << 30)
#define CONFIG_DEFAULT_STATS_INTERVAL	10
#define CONFIG_MAX_STATS_INTERVAL	86400
#define CONFIG_DEFAULT_CONTROL_SOCKET	"/run/enclave/control.sock"
#define CONFIG_MAX_SOCKET_PATH		107	/* sun_path without its NUL */
/* Maximum bytes of a value quoted in a message. Longer values end in "...". */
#define CONFIG_QUOTE_MAX		100
#define CONFIG_QUOTE_SIZE		(LOG_ESCAPE_SIZE(CONFIG_QUOTE_MAX) + 3)

#define CONFIG_ARRAY_SIZE(array)	(sizeof(array) / sizeof((array)[0]))
#define CONFIG_MAX_RULE_NAME		64
#define CONFIG_DEFAULT_PODMAN_STORAGE	"/var/lib/containers/storage"
#define CONFIG_SECTIONS \
	"[daemon], [policy], [level NAME], [rule NAME] or [sink NAME]"

static const char *const config_default_runtimes[] = {
	"runc:[2:INIT]",
	"crun",
	"youki:[2:INIT]",
};

_Static_assert(CONFIG_ARRAY_SIZE(config_default_runtimes) <= ENCLAVE_MAX_RUNTIMES,
	       "the default runtimes must fit in struct config");

/* The --root directories of runc, crun and youki when run as root. */
static const char *const config_default_state_dirs[] = {
	"/run/runc",
	"/run/crun",
	"/run/youki",
};

_Static_assert(CONFIG_ARRAY_SIZE(config_default_state_dirs) <= CONFIG_MAX_STATE_DIRS,
	       "the default state directories must fit in struct config");
_Static_assert(ENCLAVE_HOOK_MAX <= 64, "log_allowed has one bit per hook");

static const char *const config_level_names[] = {
	[ENCLAVE_LEVEL_PRIVILEGED]	= "privileged",
	[ENCLAVE_LEVEL_BASELINE]	= "baseline",
	[ENCLAVE_LEVEL_RESTRICTED]	= "restricted",
};

static const char *const config_mode_names[] = {
	[ENCLAVE_MODE_ENFORCE]	= "enforce",
	[ENCLAVE_MODE_AUDIT]	= "audit",
};

enum config_section {
	CONFIG_SECTION_NONE,
	CONFIG_SECTION_DAEMON,
	CONFIG_SECTION_POLICY,
	CONFIG_SECTION_SINK,
	CONFIG_SECTION_LEVEL,
	CONFIG_SECTION_RULE,
};

/* The keys of [daemon] and [policy], indexes of config_keys[]. */
enum config_key_id {
	CONFIG_KEY_LOG_LEVEL,
	CONFIG_KEY_RINGBUF_SIZE,
	CONFIG_KEY_RUNTIME,
	CONFIG_KEY_SINK_DIR,
	CONFIG_KEY_STATS_INTERVAL,
	CONFIG_KEY_CONTROL_SOCKET,
	CONFIG_KEY_DEFAULT_LEVEL,
	CONFIG_KEY_DEFAULT_MODE,
	CONFIG_KEY_LOG_ALLOWED,
	CONFIG_KEY_ALLOWED_RATE,
	CONFIG_KEY_STATE_DIRS,
	CONFIG_KEY_PODMAN_STORAGE,
	CONFIG_N_KEYS,
};

struct config_parser {
	struct config *config;
	const char *path;
	unsigned int line;		/* 0 for errors about the whole file */
	enum config_section section;
	unsigned int key_lines[CONFIG_N_KEYS];	/* where each key was set */
	unsigned int module_line;	/* of "module" in the current sink */
	uint8_t level;			/* of the current [level NAME] */
	unsigned int rule_level_line;	/* of "level" in the current rule */
	unsigned int rule_mode_line;	/* of "mode" in the current rule */
	bool runtimes_set;		/* the default list was replaced */
	char *err;
	size_t err_size;
};

struct config_key {
	const char *name;
	enum config_section section;
	bool repeatable;
	int (*parse)(struct config_parser *parser, const char *value);
};

/*
 * Write "path:line: message" (or "path: message" when no line applies) to
 * the caller's error buffer and return ERROR, a negative errno.
 */
__attribute__((format(printf, 3, 4)))
static int config_fail(struct config_parser *parser, int error,
		       const char *fmt, ...)
{
	va_list ap;
	int len;

	if (!parser->err || parser->err_size == 0)
		return error;

	if (parser->line)
		len = snprintf(parser->err, parser->err_size, "%s:%u: ",
			       parser->path, parser->line);
	else
		len = snprintf(parser->err, parser->err_size, "%s: ",
			       parser->path);
	if (len < 0 || (size_t)len >= parser->err_size)
		return error;

	va_start(ap, fmt);
	vsnprintf(parser->err + len, parser->err_size - (size_t)len, fmt, ap);
	va_end(ap);
	return error;
}

/* Escape TEXT from the file into DST (CONFIG_QUOTE_SIZE bytes). */
static const char *config_quote(char *dst, const char *text)
{
	size_t len = strlen(text);
	size_t out;

	if (len <= CONFIG_QUOTE_MAX) {
		log_escape(dst, CONFIG_QUOTE_SIZE, text, len);
		return dst;
	}

	out = log_escape(dst, CONFIG_QUOTE_SIZE, text, CONFIG_QUOTE_MAX);
	memcpy(dst + out, "...", 4);
	return dst;
}

/* Reject VALUE of KEY, saying which values are valid. */
static int config_fail_value(struct config_parser *parser, const char *key,
			     const char *value, const char *expected)
{
	char quoted[CONFIG_QUOTE_SIZE];

	return config_fail(parser, -EINVAL, "invalid %s '%s' (expected %s)",
			   key, config_quote(quoted, value), expected);
}

static bool config_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Strip blanks from both ends of TEXT, in place. */
static char *config_trim(char *text)
{
	char *end;

	while (config_is_blank(*text))
		text++;
	end = text + strlen(text);
	while (end > text && config_is_blank(end[-1]))
		end--;
	*end = '\0';
	return text;
}

/* Return whether TEXT is non-empty and contains only a-z, 0-9, A-Z (when
 * UPPERCASE is set) and bytes of ALLOWED. */
static bool config_is_word(const char *text, const char *allowed,
			   bool uppercase)
{
	const char *c;

	if (*text == '\0')
		return false;

	for (c = text; *c; c++) {
		bool valid = (*c >= 'a' && *c <= 'z') ||
			     (*c >= '0' && *c <= '9') ||
			     (uppercase && *c >= 'A' && *c <= 'Z') ||
			     strchr(allowed, *c) != NULL;

		if (!valid)
			return false;
	}
	return true;
}

/* Parse decimal digits at *TEXT, advancing past them. */
static int config_parse_digits(const char **text, uint64_t *out)
{
	const char *c = *text;
	uint64_t value = 0;

	if (*c < '0' || *c > '9')
		return -EINVAL;

	for (; *c >= '0' && *c <= '9'; c++) {
		if (value > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		value = value * 10 + (uint64_t)(*c - '0');
	}
	*text = c;
	*out = value;
	return 0;
}

/* Parse a decimal number of bytes with an optional K, M or G (x 1024^n). */
static int config_parse_size(const char *text, uint64_t *out)
{
	unsigned int shift;
	uint64_t value;
	int r;

	r = config_parse_digits(&text, &value);
	if (r < 0)
		return r;

	switch (*text) {
	case '\0':
		shift = 0;
		break;
	case 'K': case 'k':
		shift = 10;
		break;
	case 'M': case 'm':
		shift = 20;
		break;
	case 'G': case 'g':
		shift = 30;
		break;
	default:
		return -EINVAL;
	}
	if (shift && text[1] != '\0')
		return -EINVAL;
	if (value > UINT64_MAX >> shift)
		return -ERANGE;

	*out = value << shift;
	return 0;
}

static int config_parse_log_level(struct config_parser *parser,
				  const char *value)
{
	int priority = log_priority_parse(value);

	if (priority < 0)
		return config_fail_value(parser, "log_level", value,
					 "error, warning, notice, info or debug");
	parser->config->log_priority = priority;
	return 0;
}

/* The kernel requires a BPF ring buffer size that is a power of two and a
 * multiple of the page size. 64K is a multiple of 4K, 16K and 64K pages. */
static int config_parse_ringbuf_size(struct config_parser *parser,
				     const char *value)
{
	uint64_t size;

	if (config_parse_size(value, &size) < 0 ||
	    size < CONFIG_MIN_RINGBUF_SIZE || size > CONFIG_MAX_RINGBUF_SIZE ||
	    (size & (size - 1)) != 0)
		return config_fail_value(parser, "ringbuf_size", value,
					 "a power of two from 64K to 1G, such as 4M");
	parser->config->ringbuf_size = (uint32_t)size;
	return 0;
}

/* The first "runtime" line replaces the default list, and later ones add to it. */
static int config_parse_runtime(struct config_parser *parser,
				const char *value)
{
	struct config *config = parser->config;
	char quoted[CONFIG_QUOTE_SIZE];
	size_t len = strlen(value);
	size_t i;

	if (len >= ENCLAVE_COMM_LEN)
		return config_fail(parser, -EINVAL,
			"runtime '%s' is too long (max %d bytes, the length of a task's comm)",
			config_quote(quoted, value), ENCLAVE_COMM_LEN - 1);

	if (!parser->runtimes_set) {
		memset(config->runtimes, 0, sizeof(config->runtimes));
		config->n_runtimes = 0;
		parser->runtimes_set = true;
	}

	for (i = 0; i < config->n_runtimes; i++) {
		if (strcmp(config->runtimes[i], value) == 0)
			return config_fail(parser, -EINVAL, "duplicate runtime '%s'",
					   config_quote(quoted, value));
	}
	if (config->n_runtimes == ENCLAVE_MAX_RUNTIMES)
		return config_fail(parser, -EINVAL, "too many runtimes (max %d)",
				   ENCLAVE_MAX_RUNTIMES);

	memcpy(config->runtimes[config->n_runtimes++], value, len);
	return 0;
}

static int config_parse_sink_dir(struct config_parser *parser,
				 const char *value)
{
	char *copy;

	if (value[0] != '/')
		return config_fail_value(parser, "sink_dir", value,
					 "an absolute path");

	copy = strdup(value);
	if (!copy)
		return config_fail(parser, -ENOMEM, "out of memory");
	free(parser->config->sink_dir);
	parser->config->sink_dir = copy;
	return 0;
}

static int config_parse_control_socket(struct config_parser *parser,
				       const char *value)
{
	char *copy;

	if (value[0] != '/' || strlen(value) > CONFIG_MAX_SOCKET_PATH)
		return config_fail_value(parser, "control_socket", value,
					 "an absolute path of at most 107 bytes");

	copy = strdup(value);
	if (!copy)
		return config_fail(parser, -ENOMEM, "out of memory");
	free(parser->config->control_socket);
	parser->config->control_socket = copy;
	return 0;
}

static int config_parse_stats_interval(struct config_parser *parser,
				       const char *value)
{
	const char *end = value;
	uint64_t seconds;

	if (config_parse_digits(&end, &seconds) < 0 || *end != '\0' ||
	    seconds < 1 || seconds > CONFIG_MAX_STATS_INTERVAL)
		return config_fail_value(parser, "stats_interval", value,
					 "seconds from 1 to 86400");
	parser->config->stats_interval = (uint32_t)seconds;
	return 0;
}

/* Return the index of VALUE in NAMES (N entries), or -1. */
static int config_find_name(const char *const *names, size_t n,
			    const char *value)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(names[i], value) == 0)
			return (int)i;
	}
	return -1;
}

static int config_parse_default_level(struct config_parser *parser,
				      const char *value)
{
	int level = config_find_name(config_level_names,
				     CONFIG_ARRAY_SIZE(config_level_names),
				     value);

	if (level < 0)
		return config_fail_value(parser, "default_level", value,
					 "privileged, baseline or restricted");
	parser->config->default_level = (uint8_t)level;
	return 0;
}

static int config_parse_default_mode(struct config_parser *parser,
				     const char *value)
{
	int mode = config_find_name(config_mode_names,
				    CONFIG_ARRAY_SIZE(config_mode_names), value);

	if (mode < 0)
		return config_fail_value(parser, "default_mode", value,
					 "enforce or audit");
	parser->config->default_mode = (uint8_t)mode;
	return 0;
}

/* Parse "HOOK [HOOK ...]" or "all": hooks whose allowed calls are recorded. */
static int config_parse_log_allowed(struct config_parser *parser,
				    const char *value)
{
	char quoted[CONFIG_QUOTE_SIZE];
	uint64_t hooks = 0;
	char *copy = strdup(value);
	char *save = NULL;
	char *word;
	int r = 0;

	if (!copy)
		return config_fail(parser, -ENOMEM, "out of memory");

	for (word = strtok_r(copy, " \t", &save); word;
	     word = strtok_r(NULL, " \t", &save)) {
		unsigned int hook;

		if (strcmp(word, "all") == 0) {
			hooks |= ((UINT64_C(1) << ENCLAVE_HOOK_MAX) - 1) &
				 ~(UINT64_C(1) << ENCLAVE_HOOK_NONE);
			continue;
		}
		for (hook = ENCLAVE_HOOK_NONE + 1; hook < ENCLAVE_HOOK_MAX; hook++) {
			if (strcmp(record_hook_name(hook), word) == 0)
				break;
		}
		if (hook == ENCLAVE_HOOK_MAX) {
			r = config_fail(parser, -EINVAL,
				"invalid log_allowed hook '%s' (expected all or hook names such as file_open and sb_mount, listed in docs/POLICY.md)",
				config_quote(quoted, word));
			goto out;
		}
		hooks |= UINT64_C(1) << hook;
	}
	parser->config->log_allowed = hooks;
out:
	free(copy);
	return r;
}

static int config_parse_allowed_rate(struct config_parser *parser,
				     const char *value)
{
	const char *end = value;
	uint64_t rate;

	if (config_parse_digits(&end, &rate) < 0 || *end != '\0' ||
	    rate < 1 || rate > CONFIG_MAX_ALLOWED_RATE)
		return config_fail_value(parser, "allowed_rate", value,
					 "records per second and CPU from 1 to 1000000");
	parser->config->allowed_rate = (uint32_t)rate;
	return 0;
}

/* Parse "DIR [DIR ...]", which replaces the default state directories. */
static int config_parse_state_dirs(struct config_parser *parser,
				   const char *value)
{
	struct config *config = parser->config;
	char quoted[CONFIG_QUOTE_SIZE];
	char *copy = strdup(value);
	char *save = NULL;
	char *word;
	size_t i;
	int r = 0;

	if (!copy)
		return config_fail(parser, -ENOMEM, "out of memory");

	for (i = 0; i < config->n_state_dirs; i++)
		free(config->state_dirs[i]);
	config->n_state_dirs = 0;

	for (word = strtok_r(copy, " \t", &save); word;
	     word = strtok_r(NULL, " \t", &save)) {
		if (word[0] != '/') {
			r = config_fail_value(parser, "runtime_state_dirs", word,
					      "absolute paths");
			goto out;
		}
		if (config->n_state_dirs == CONFIG_MAX_STATE_DIRS) {
			r = config_fail(parser, -EINVAL,
				"too many runtime_state_dirs '%s' (max %d)",
				config_quote(quoted, value), CONFIG_MAX_STATE_DIRS);
			goto out;
		}
		config->state_dirs[config->n_state_dirs] = strdup(word);
		if (!config->state_dirs[config->n_state_dirs]) {
			r = config_fail(parser, -ENOMEM, "out of memory");
			goto out;
		}
		config->n_state_dirs++;
	}
out:
	free(copy);
	return r;
}

static int config_parse_podman_storage(struct config_parser *parser,
				       const char *value)
{
	char *copy;

	if (value[0] != '/')
		return config_fail_value(parser, "podman_storage", value,
					 "an absolute path");

	copy = strdup(value);
	if (!copy)
		return config_fail(parser, -ENOMEM, "out of memory");
	free(parser->config->podman_storage);
	parser->config->podman_storage = copy;
	return 0;
}

static const struct config_key config_keys[CONFIG_N_KEYS] = {
	[CONFIG_KEY_LOG_LEVEL] = {
		"log_level", CONFIG_SECTION_DAEMON, false,
		config_parse_log_level,
	},
	[CONFIG_KEY_RINGBUF_SIZE] = {
		"ringbuf_size", CONFIG_SECTION_DAEMON, false,
		config_parse_ringbuf_size,
	},
	[CONFIG_KEY_RUNTIME] = {
		"runtime", CONFIG_SECTION_DAEMON, true,
		config_parse_runtime,
	},
	[CONFIG_KEY_SINK_DIR] = {
		"sink_dir", CONFIG_SECTION_DAEMON, false,
		config_parse_sink_dir,
	},
	[CONFIG_KEY_STATS_INTERVAL] = {
		"stats_interval", CONFIG_SECTION_DAEMON, false,
		config_parse_stats_interval,
	},
	[CONFIG_KEY_CONTROL_SOCKET] = {
		"control_socket", CONFIG_SECTION_DAEMON, false,
		config_parse_control_socket,
	},
	[CONFIG_KEY_DEFAULT_LEVEL] = {
		"default_level", CONFIG_SECTION_POLICY, false,
		config_parse_default_level,
	},
	[CONFIG_KEY_DEFAULT_MODE] = {
		"default_mode", CONFIG_SECTION_POLICY, false,
		config_parse_default_mode,
	},
	[CONFIG_KEY_LOG_ALLOWED] = {
		"log_allowed", CONFIG_SECTION_POLICY, false,
		config_parse_log_allowed,
	},
	[CONFIG_KEY_ALLOWED_RATE] = {
		"allowed_rate", CONFIG_SECTION_POLICY, false,
		config_parse_allowed_rate,
	},
	[CONFIG_KEY_STATE_DIRS] = {
		"runtime_state_dirs", CONFIG_SECTION_DAEMON, false,
		config_parse_state_dirs,
	},
	[CONFIG_KEY_PODMAN_STORAGE] = {
		"podman_storage", CONFIG_SECTION_DAEMON, false,
		config_parse_podman_storage,
	},
};

static const char *config_section_name(enum config_section section)
{
	return section == CONFIG_SECTION_DAEMON ? "[daemon]" : "[policy]";
}

/* Handle KEY = VALUE in [daemon] or [policy]. */
static int config_parse_keyword(struct config_parser *parser, const char *key,
				const char *value)
{
	const struct config_key *entry;
	unsigned int id;

	for (id = 0; id < CONFIG_N_KEYS; id++) {
		entry = &config_keys[id];
		if (strcmp(entry->name, key) == 0)
			break;
	}
	if (id == CONFIG_N_KEYS)
		return config_fail(parser, -EINVAL, "unknown key '%s' in %s",
				   key, config_section_name(parser->section));
	if (entry->section != parser->section)
		return config_fail(parser, -EINVAL, "unknown key '%s' in %s (it belongs in %s)",
				   key, config_section_name(parser->section),
				   config_section_name(entry->section));

	if (!entry->repeatable && parser->key_lines[id])
		return config_fail(parser, -EINVAL, "duplicate key '%s' (first set on line %u)",
				   key, parser->key_lines[id]);
	parser->key_lines[id] = parser->line;

	return entry->parse(parser, value);
}

static struct config_sink *config_current_sink(struct config_parser *parser)
{
	return &parser->config->sinks[parser->config->n_sinks - 1];
}

/* A module is a file name in sink_dir (without ".so") or an absolute path. */
static bool config_is_module(const char *value)
{
	return value[0] == '/' || config_is_word(value, "_-", false);
}

static int config_add_option(struct config_parser *parser,
			     struct config_sink *sink, const char *key,
			     const char *value)
{
	struct enclave_sink_option *options;
	struct enclave_sink_option *option;

	options = realloc(sink->options,
			  (sink->n_options + 1) * sizeof(*options));
	if (!options)
		return config_fail(parser, -ENOMEM, "out of memory");
	sink->options = options;

	option = &options[sink->n_options];
	option->key = strdup(key);
	option->value = strdup(value);
	option->file = parser->config->path;
	option->line = parser->line;
	if (!option->key || !option->value) {
		free((char *)option->key);
		free((char *)option->value);
		return config_fail(parser, -ENOMEM, "out of memory");
	}
	sink->n_options++;
	return 0;
}

/* Handle KEY = VALUE in [sink NAME]. Keys other than "module" may repeat,
 * and the sink decides what a repeated key means. */
static int config_parse_sink_key(struct config_parser *parser, const char *key,
				 const char *value)
{
	struct config_sink *sink = config_current_sink(parser);

	if (strcmp(key, "module") != 0)
		return config_add_option(parser, sink, key, value);

	if (sink->module)
		return config_fail(parser, -EINVAL, "duplicate key 'module' (first set on line %u)",
				   parser->module_line);
	if (!config_is_module(value))
		return config_fail_value(parser, "module", value,
					 "a name of a-z, 0-9, '_' and '-', or an absolute path");

	sink->module = strdup(value);
	if (!sink->module)
		return config_fail(parser, -ENOMEM, "out of memory");
	parser->module_line = parser->line;
	return 0;
}

/*
 * Check that PATH of KEY is absolute and normalised, as the kernel builds
 * the paths that it compares with the rules: no "//", no "." or ".."
 * component, no trailing '/', not "/", no control byte and shorter than
 * ENCLAVE_PATH_LEN.
 */
static int config_check_path(struct config_parser *parser, const char *key,
			     const char *path)
{
	char quoted[CONFIG_QUOTE_SIZE];
	const char *c;

	if (strlen(path) >= ENCLAVE_PATH_LEN)
		return config_fail(parser, -EINVAL,
			"%s path '%s' is too long (max %d bytes)", key,
			config_quote(quoted, path), ENCLAVE_PATH_LEN - 1);
	for (c = path; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return config_fail(parser, -EINVAL,
				"%s path '%s' contains a control byte", key,
				config_quote(quoted, path));
	}
	if (strcmp(path, "/") == 0)
		return config_fail(parser, -EINVAL,
			"%s path '/' would cover every file (name a directory or file below /)",
			key);
	if (path[0] != '/' || strstr(path, "//") || path[strlen(path) - 1] == '/' ||
	    strstr(path, "/./") || strstr(path, "/../") ||
	    (strlen(path) >= 2 && strcmp(path + strlen(path) - 2, "/.") == 0) ||
	    (strlen(path) >= 3 && strcmp(path + strlen(path) - 3, "/..") == 0))
		return config_fail_value(parser, key, path,
			"an absolute path without '//', '.' or '..' components or a trailing '/'");
	return 0;
}

/* A filesystem type as mount(2) takes it, such as tmpfs or fuse.sshfs. */
static int config_check_fstype(struct config_parser *parser, const char *key,
			       const char *name)
{
	if (strlen(name) >= ENCLAVE_FSTYPE_LEN || !config_is_word(name, "._-", false))
		return config_fail_value(parser, key, name,
			"a filesystem type of 1 to 31 bytes of a-z, 0-9, '.', '_' and '-'");
	return 0;
}

static const char *const config_action_keys[] = {
	[CONFIG_ACTION_DENY] = "deny",
	[CONFIG_ACTION_DENY_WRITE] = "deny_write",
	[CONFIG_ACTION_ALLOW] = "allow",
	[CONFIG_ACTION_MOUNT_ALLOW] = "mount_allow",
	[CONFIG_ACTION_MOUNT_DENY] = "mount_deny",
};

/* Reject a line that repeats or contradicts an earlier one of its level. */
static int config_check_level_repeat(struct config_parser *parser,
				     enum config_action action,
				     const char *value)
{
	const struct config *config = parser->config;
	bool mount = action == CONFIG_ACTION_MOUNT_ALLOW ||
		     action == CONFIG_ACTION_MOUNT_DENY;
	char quoted[CONFIG_QUOTE_SIZE];
	size_t i;

	for (i = 0; i < config->n_level_entries; i++) {
		const struct config_level_entry *entry = &config->level_entries[i];
		bool entry_mount = entry->action == CONFIG_ACTION_MOUNT_ALLOW ||
				   entry->action == CONFIG_ACTION_MOUNT_DENY;

		if (entry->level != parser->level || entry_mount != mount ||
		    strcmp(entry->value, value) != 0)
			continue;
		if (entry->action == action)
			return config_fail(parser, -EINVAL,
				"duplicate %s '%s' (first on line %u)",
				config_action_keys[action],
				config_quote(quoted, value), entry->line);
		if (mount)
			return config_fail(parser, -EINVAL,
				"%s '%s' conflicts with line %u",
				config_action_keys[action],
				config_quote(quoted, value), entry->line);
	}
	return 0;
}

static int config_add_level_entry(struct config_parser *parser,
				  enum config_action action, const char *value)
{
	struct config *config = parser->config;
	struct config_level_entry *entries;
	struct config_level_entry *entry;

	if (config->n_level_entries == CONFIG_MAX_LEVEL_ENTRIES)
		return config_fail(parser, -EINVAL,
			"too many lines in [level NAME] sections (max %d)",
			CONFIG_MAX_LEVEL_ENTRIES);

	entries = realloc(config->level_entries,
			  (config->n_level_entries + 1) * sizeof(*entries));
	if (!entries)
		return config_fail(parser, -ENOMEM, "out of memory");
	config->level_entries = entries;

	entry = &entries[config->n_level_entries];
	entry->value = strdup(value);
	if (!entry->value)
		return config_fail(parser, -ENOMEM, "out of memory");
	entry->level = parser->level;
	entry->action = (uint8_t)action;
	entry->line = parser->line;
	config->n_level_entries++;
	return 0;
}

/* Handle KEY = VALUE in [level baseline] or [level restricted]. */
static int config_parse_level_key(struct config_parser *parser,
				  const char *key, const char *value)
{
	int found = config_find_name(config_action_keys,
				     CONFIG_ARRAY_SIZE(config_action_keys), key);
	enum config_action action;
	int r;

	if (found < 0)
		return config_fail(parser, -EINVAL,
			"unknown key '%s' in [level %s] (expected deny, deny_write, allow, mount_allow or mount_deny)",
			key, config_level_name(parser->level));
	action = (enum config_action)found;

	if (action == CONFIG_ACTION_MOUNT_ALLOW || action == CONFIG_ACTION_MOUNT_DENY) {
		if (parser->level == ENCLAVE_LEVEL_RESTRICTED)
			return config_fail(parser, -EINVAL,
				"%s has no effect in [level restricted], which denies every mount (put it in [level baseline])",
				key);
		r = config_check_fstype(parser, key, value);
	} else {
		r = config_check_path(parser, key, value);
	}
	if (r < 0)
		return r;

	r = config_check_level_repeat(parser, action, value);
	if (r < 0)
		return r;
	return config_add_level_entry(parser, action, value);
}

static const char *const config_match_fields[] = {
	[CONFIG_MATCH_ID] = "match.id",
	[CONFIG_MATCH_NAME] = "match.name",
	[CONFIG_MATCH_IMAGE] = "match.image",
	[CONFIG_MATCH_RUNTIME] = "match.runtime",
};

#define CONFIG_ANNOTATION_PREFIX	"match.annotation."

static struct config_rule *config_current_rule(struct config_parser *parser)
{
	return &parser->config->rules[parser->config->n_rules - 1];
}

static int config_add_match(struct config_parser *parser, const char *key,
			    const char *value)
{
	struct config_rule *rule = config_current_rule(parser);
	size_t prefix = strlen(CONFIG_ANNOTATION_PREFIX);
	int field = config_find_name(config_match_fields,
				     CONFIG_ARRAY_SIZE(config_match_fields), key);
	struct config_match *matches;
	struct config_match *match;
	size_t i;

	if (field < 0 && strncmp(key, CONFIG_ANNOTATION_PREFIX, prefix) == 0 &&
	    key[prefix] != '\0')
		field = CONFIG_MATCH_ANNOTATION;
	if (field < 0)
		return config_fail(parser, -EINVAL,
			"unknown key '%s' in [rule %s] (expected match.id, match.name, match.image, match.runtime, match.annotation.KEY, level or mode)",
			key, rule->name);

	for (i = 0; i < rule->n_matches; i++) {
		const struct config_match *other = &rule->matches[i];

		if (other->field == field &&
		    (field != CONFIG_MATCH_ANNOTATION ||
		     strcmp(other->annotation, key + prefix) == 0))
			return config_fail(parser, -EINVAL,
				"duplicate key '%s' in [rule %s]", key, rule->name);
	}
	if (rule->n_matches == CONFIG_MAX_MATCHES)
		return config_fail(parser, -EINVAL,
			"too many match keys in [rule %s] (max %d)", rule->name,
			CONFIG_MAX_MATCHES);

	matches = realloc(rule->matches, (rule->n_matches + 1) * sizeof(*matches));
	if (!matches)
		return config_fail(parser, -ENOMEM, "out of memory");
	rule->matches = matches;

	match = &matches[rule->n_matches];
	memset(match, 0, sizeof(*match));
	match->field = (uint8_t)field;
	match->glob = strdup(value);
	if (field == CONFIG_MATCH_ANNOTATION)
		match->annotation = strdup(key + prefix);
	if (!match->glob || (field == CONFIG_MATCH_ANNOTATION && !match->annotation)) {
		free(match->glob);
		free(match->annotation);
		return config_fail(parser, -ENOMEM, "out of memory");
	}
	rule->n_matches++;
	return 0;
}

/* Handle KEY = VALUE in [rule NAME]. */
static int config_parse_rule_key(struct config_parser *parser, const char *key,
				 const char *value)
{
	struct config_rule *rule = config_current_rule(parser);
	int found;

	if (strcmp(key, "level") == 0) {
		if (parser->rule_level_line)
			return config_fail(parser, -EINVAL, "duplicate key 'level' (first set on line %u)",
					   parser->rule_level_line);
		found = config_find_name(config_level_names,
					 CONFIG_ARRAY_SIZE(config_level_names), value);
		if (found < 0)
			return config_fail_value(parser, "level", value,
						 "privileged, baseline or restricted");
		rule->level = (uint8_t)found;
		rule->level_set = true;
		parser->rule_level_line = parser->line;
		return 0;
	}
	if (strcmp(key, "mode") == 0) {
		if (parser->rule_mode_line)
			return config_fail(parser, -EINVAL, "duplicate key 'mode' (first set on line %u)",
					   parser->rule_mode_line);
		found = config_find_name(config_mode_names,
					 CONFIG_ARRAY_SIZE(config_mode_names), value);
		if (found < 0)
			return config_fail_value(parser, "mode", value,
						 "enforce or audit");
		rule->mode = (uint8_t)found;
		rule->mode_set = true;
		parser->rule_mode_line = parser->line;
		return 0;
	}
	return config_add_match(parser, key, value);
}

/* Parse "key = value", already stripped of blanks at both ends. */
static int config_parse_assignment(struct config_parser *parser, char *text)
{
	char quoted[CONFIG_QUOTE_SIZE];
	char *equals = strchr(text, '=');
	char *key;
	char *value;

	if (!equals)
		return config_fail(parser, -EINVAL, "missing '=' in '%s' (expected KEY = VALUE)",
				   config_quote(quoted, text));
	*equals = '\0';
	key = config_trim(text);
	value = config_trim(equals + 1);

	if (*key == '\0')
		return config_fail(parser, -EINVAL, "missing key before '='");
	/* Annotation keys such as app.kubernetes.io/name contain a '/'. */
	if (parser->section == CONFIG_SECTION_RULE &&
	    !config_is_word(key, "_.-/", true))
		return config_fail(parser, -EINVAL,
			"invalid key '%s' (expected letters, digits, '_', '.', '-' or '/')",
			config_quote(quoted, key));
	if (parser->section != CONFIG_SECTION_RULE &&
	    !config_is_word(key, "_.-", true))
		return config_fail(parser, -EINVAL,
			"invalid key '%s' (expected letters, digits, '_', '.' or '-')",
			config_quote(quoted, key));
	if (parser->section == CONFIG_SECTION_NONE)
		return config_fail(parser, -EINVAL,
			"key '%s' is outside any section (put it under %s)",
			key, CONFIG_SECTIONS);
	if (*value == '\0')
		return config_fail(parser, -EINVAL, "missing value for '%s'",
				   key);

	if (parser->section == CONFIG_SECTION_SINK)
		return config_parse_sink_key(parser, key, value);
	if (parser->section == CONFIG_SECTION_LEVEL)
		return config_parse_level_key(parser, key, value);
	if (parser->section == CONFIG_SECTION_RULE)
		return config_parse_rule_key(parser, key, value);
	return config_parse_keyword(parser, key, value);
}

/* A [rule NAME] section needs a match key and sets a level or a mode. */
static int config_end_rule(struct config_parser *parser)
{
	struct config_rule *rule = config_current_rule(parser);
	unsigned int line = parser->line;

	parser->line = rule->line;
	if (rule->n_matches == 0)
		return config_fail(parser, -EINVAL,
			"[rule %s] has no match key (add match.id, match.name, match.image, match.runtime or match.annotation.KEY)",
			rule->name);
	if (!rule->level_set && !rule->mode_set)
		return config_fail(parser, -EINVAL,
			"[rule %s] sets neither 'level' nor 'mode'", rule->name);
	parser->line = line;
	return 0;
}

/* End the current section. A [sink NAME] section must have set "module". */
static int config_end_section(struct config_parser *parser)
{
	struct config_sink *sink;

	if (parser->section == CONFIG_SECTION_RULE)
		return config_end_rule(parser);
	if (parser->section != CONFIG_SECTION_SINK)
		return 0;

	sink = config_current_sink(parser);
	if (sink->module)
		return 0;
	parser->line = sink->line;
	return config_fail(parser, -EINVAL, "[sink %s] has no 'module' key",
			   sink->instance);
}

static int config_begin_sink(struct config_parser *parser, const char *name)
{
	struct config *config = parser->config;
	char quoted[CONFIG_QUOTE_SIZE];
	struct config_sink *sinks;
	struct config_sink *sink;
	size_t i;

	if (*name == '\0')
		return config_fail(parser, -EINVAL,
			"missing sink name in '[sink]' (expected [sink NAME])");
	if (strlen(name) > CONFIG_MAX_SINK_NAME || !config_is_word(name, "_.-", true))
		return config_fail(parser, -EINVAL,
			"invalid sink name '%s' (expected 1 to %d letters, digits, '_', '.' or '-')",
			config_quote(quoted, name), CONFIG_MAX_SINK_NAME);
	for (i = 0; i < config->n_sinks; i++) {
		if (strcmp(config->sinks[i].instance, name) == 0)
			return config_fail(parser, -EINVAL,
				"duplicate sink '%s' (first defined on line %u)",
				name, config->sinks[i].line);
	}

	sinks = realloc(config->sinks, (config->n_sinks + 1) * sizeof(*sinks));
	if (!sinks)
		return config_fail(parser, -ENOMEM, "out of memory");
	config->sinks = sinks;

	sink = &sinks[config->n_sinks];
	memset(sink, 0, sizeof(*sink));
	sink->instance = strdup(name);
	if (!sink->instance)
		return config_fail(parser, -ENOMEM, "out of memory");
	sink->line = parser->line;
	config->n_sinks++;

	parser->section = CONFIG_SECTION_SINK;
	parser->module_line = 0;
	return 0;
}

static int config_begin_level(struct config_parser *parser, const char *name)
{
	char quoted[CONFIG_QUOTE_SIZE];

	if (strcmp(name, "privileged") == 0)
		return config_fail(parser, -EINVAL,
			"[level privileged] cannot have rules, because privileged denies nothing");
	if (strcmp(name, "baseline") == 0) {
		parser->level = ENCLAVE_LEVEL_BASELINE;
	} else if (strcmp(name, "restricted") == 0) {
		parser->level = ENCLAVE_LEVEL_RESTRICTED;
	} else {
		return config_fail(parser, -EINVAL,
			"invalid level '%s' in '[level NAME]' (expected baseline or restricted)",
			config_quote(quoted, name));
	}
	parser->section = CONFIG_SECTION_LEVEL;
	return 0;
}

static int config_begin_rule(struct config_parser *parser, const char *name)
{
	struct config *config = parser->config;
	char quoted[CONFIG_QUOTE_SIZE];
	struct config_rule *rules;
	struct config_rule *rule;
	size_t i;

	if (strlen(name) > CONFIG_MAX_RULE_NAME || !config_is_word(name, "_.-", true))
		return config_fail(parser, -EINVAL,
			"invalid rule name '%s' (expected 1 to %d letters, digits, '_', '.' or '-')",
			config_quote(quoted, name), CONFIG_MAX_RULE_NAME);
	for (i = 0; i < config->n_rules; i++) {
		if (strcmp(config->rules[i].name, name) == 0)
			return config_fail(parser, -EINVAL,
				"duplicate rule '%s' (first defined on line %u)",
				name, config->rules[i].line);
	}
	if (config->n_rules == CONFIG_MAX_RULES)
		return config_fail(parser, -EINVAL, "too many rules (max %d)",
				   CONFIG_MAX_RULES);

	rules = realloc(config->rules, (config->n_rules + 1) * sizeof(*rules));
	if (!rules)
		return config_fail(parser, -ENOMEM, "out of memory");
	config->rules = rules;

	rule = &rules[config->n_rules];
	memset(rule, 0, sizeof(*rule));
	rule->name = strdup(name);
	if (!rule->name)
		return config_fail(parser, -ENOMEM, "out of memory");
	rule->line = parser->line;
	config->n_rules++;

	parser->section = CONFIG_SECTION_RULE;
	parser->rule_level_line = 0;
	parser->rule_mode_line = 0;
	return 0;
}

/* Return the NAME of "[PREFIX NAME]" in TEXT, or NULL when TEXT has
 * another prefix. NAME may be empty. */
static char *config_section_argument(char *text, const char *prefix)
{
	size_t len = strlen(prefix);

	if (strncmp(text, prefix, len) != 0 ||
	    (text[len] != '\0' && !config_is_blank(text[len])))
		return NULL;
	return config_trim(text + len);
}

/* Parse a section header, already stripped of blanks at both ends. */
static int config_parse_section(struct config_parser *parser, char *text)
{
	char quoted[CONFIG_QUOTE_SIZE];
	size_t len = strlen(text);
	char *argument;
	char *name;
	int r;

	if (len < 2 || text[len - 1] != ']')
		return config_fail(parser, -EINVAL,
			"invalid section header '%s' (expected %s)",
			config_quote(quoted, text), CONFIG_SECTIONS);

	r = config_end_section(parser);
	if (r < 0)
		return r;

	text[len - 1] = '\0';
	name = config_trim(text + 1);
	if (strcmp(name, "daemon") == 0) {
		parser->section = CONFIG_SECTION_DAEMON;
	} else if (strcmp(name, "policy") == 0) {
		parser->section = CONFIG_SECTION_POLICY;
	} else if (strncmp(name, "sink", 4) == 0 &&
		   (name[4] == '\0' || config_is_blank(name[4]))) {
		return config_begin_sink(parser, config_trim(name + 4));
	} else if ((argument = config_section_argument(name, "level"))) {
		if (*argument == '\0')
			return config_fail(parser, -EINVAL,
				"missing level in '[level]' (expected [level baseline] or [level restricted])");
		return config_begin_level(parser, argument);
	} else if ((argument = config_section_argument(name, "rule"))) {
		if (*argument == '\0')
			return config_fail(parser, -EINVAL,
				"missing rule name in '[rule]' (expected [rule NAME])");
		return config_begin_rule(parser, argument);
	} else {
		return config_fail(parser, -EINVAL,
			"unknown section '[%s]' (expected %s)",
			config_quote(quoted, name), CONFIG_SECTIONS);
	}
	return 0;
}

static int config_parse_line(struct config_parser *parser, char *line)
{
	char *text = config_trim(line);

	if (*text == '\0' || *text == '#')
		return 0;
	if (*text == '[')
		return config_parse_section(parser, text);
	return config_parse_assignment(parser, text);
}

/*
 * Read the next line into LINE (CONFIG_MAX_LINE + 1 bytes) without its
 * newline. Returns 1 for a line, 0 at the end of the file or a negative
 * errno.
 */
static int config_read_line(struct config_parser *parser, FILE *file,
			    char *line)
{
	size_t len = 0;
	int c;

	parser->line++;
	while ((c = getc(file)) != EOF && c != '\n') {
		if (c == '\0')
			return config_fail(parser, -EINVAL, "NUL byte in line");
		if (len == CONFIG_MAX_LINE)
			return config_fail(parser, -EINVAL, "line is longer than %d bytes",
					   CONFIG_MAX_LINE);
		line[len++] = (char)c;
	}
	if (ferror(file)) {
		int error = errno;

		parser->line = 0;
		return config_fail(parser, -error, "failed to read: %s",
				   strerror(error));
	}
	if (c == EOF && len == 0)
		return 0;

	line[len] = '\0';
	return 1;
}

/* Merge the [level NAME] sections with the built-in rules. */
static int config_merge_policy(struct config_parser *parser)
{
	char message[CONFIG_MAX_LINE];
	int r;

	r = policy_merge(parser->config, &parser->line, message, sizeof(message));
	if (r == -EINVAL)
		return config_fail(parser, r, "%s", message);
	if (r < 0)
		return config_fail(parser, r, "out of memory");
	return 0;
}

static int config_parse_file(struct config_parser *parser, FILE *file)
{
	char line[CONFIG_MAX_LINE + 1];
	int r;

	while ((r = config_read_line(parser, file, line)) > 0) {
		r = config_parse_line(parser, line);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	r = config_end_section(parser);
	if (r < 0)
		return r;
	return config_merge_policy(parser);
}

/*
 * Reject a file that is not regular. When the daemon runs as root, also
 * reject one that someone other than root could have written, because it
 * names modules that the daemon loads into itself. The directories on the
 * path are not checked.
 * NOTE: a daemon started as another user with BPF capabilities skips the
 * ownership check.
 */
static int config_check_file(struct config_parser *parser, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int error = errno;

		return config_fail(parser, -error, "failed to stat: %s",
				   strerror(error));
	}
	if (!S_ISREG(st.st_mode))
		return config_fail(parser, -EINVAL, "not a regular file");

	if (geteuid() == 0 &&
	    (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0))
		return config_fail(parser, -EPERM,
			"must be owned by root and not writable by group or others (owner %u, mode 0%03o)",
			(unsigned int)st.st_uid,
			(unsigned int)(st.st_mode & 07777));
	return 0;
}

/* Allocate a configuration with every default set. */
static struct config *config_new(const char *path)
{
	struct config *config = calloc(1, sizeof(*config));
	size_t i;

	if (!config)
		return NULL;

	config->log_priority = LOG_NOTICE;
	config->ringbuf_size = CONFIG_DEFAULT_RINGBUF_SIZE;
	for (i = 0; i < CONFIG_ARRAY_SIZE(config_default_runtimes); i++)
		strncpy(config->runtimes[i], config_default_runtimes[i],
			ENCLAVE_COMM_LEN - 1);
	config->n_runtimes = i;
	config->stats_interval = CONFIG_DEFAULT_STATS_INTERVAL;
	config->default_level = ENCLAVE_LEVEL_BASELINE;
	config->default_mode = ENCLAVE_MODE_ENFORCE;
	config->allowed_rate = CONFIG_DEFAULT_ALLOWED_RATE;
	for (i = 0; i < CONFIG_ARRAY_SIZE(config_default_state_dirs); i++) {
		config->state_dirs[i] = strdup(config_default_state_dirs[i]);
		if (!config->state_dirs[i]) {
			config_free(config);
			return NULL;
		}
		config->n_state_dirs = i + 1;
	}

	config->path = strdup(path);
	config->sink_dir = strdup(SINKDIR);
	config->podman_storage = strdup(CONFIG_DEFAULT_PODMAN_STORAGE);
	config->control_socket = strdup(CONFIG_DEFAULT_CONTROL_SOCKET);
	if (!config->path || !config->sink_dir || !config->podman_storage ||
	    !config->control_socket) {
		config_free(config);
		return NULL;
	}
	return config;
}

/*
 * Parse the file at PATH into *OUT. On error, *OUT is NULL, ERR contains one
 * message ("path:line: problem", or "path: problem" about the whole file)
 * and the return is a negative errno: -EINVAL for invalid content, -EPERM
 * for unsafe ownership or mode, or the error of open(2) or read(2).
 */
int config_load(const char *path, struct config **out, char *err,
		size_t err_size)
{
	struct config_parser parser = {
		.path = path,
		.err = err,
		.err_size = err_size,
	};
	FILE *file = NULL;
	int fd = -1;
	int r;

	*out = NULL;
	if (err && err_size)
		err[0] = '\0';

	parser.config = config_new(path);
	if (!parser.config)
		return config_fail(&parser, -ENOMEM, "out of memory");

	/* With O_NONBLOCK, opening a FIFO does not block before fstat() rejects it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		config_fail(&parser, r, "failed to open: %s", strerror(-r));
		goto out;
	}
	r = config_check_file(&parser, fd);
	if (r < 0)
		goto out;

	file = fdopen(fd, "r");
	if (!file) {
		r = -errno;
		config_fail(&parser, r, "failed to open: %s", strerror(-r));
		goto out;
	}
	fd = -1;

	r = config_parse_file(&parser, file);
	if (r < 0)
		goto out;

	*out = parser.config;
	parser.config = NULL;
out:
	if (file)
		fclose(file);
	if (fd >= 0)
		close(fd);
	config_free(parser.config);
	return r;
}

static void config_sink_free(struct config_sink *sink)
{
	size_t i;

	for (i = 0; i < sink->n_options; i++) {
		free((char *)sink->options[i].key);
		free((char *)sink->options[i].value);
	}
	free(sink->options);
	free(sink->instance);
	free(sink->module);
}

static void config_rule_free(struct config_rule *rule)
{
	size_t i;

	for (i = 0; i < rule->n_matches; i++) {
		free(rule->matches[i].annotation);
		free(rule->matches[i].glob);
	}
	free(rule->matches);
	free(rule->name);
}

void config_free(struct config *config)
{
	size_t i;

	if (!config)
		return;

	for (i = 0; i < config->n_sinks; i++)
		config_sink_free(&config->sinks[i]);
	free(config->sinks);
	for (i = 0; i < config->n_rules; i++)
		config_rule_free(&config->rules[i]);
	free(config->rules);
	for (i = 0; i < config->n_level_entries; i++)
		free(config->level_entries[i].value);
	free(config->level_entries);
	free(config->path_rules);
	free(config->fstype_rules);
	for (i = 0; i < config->n_state_dirs; i++)
		free(config->state_dirs[i]);
	free(config->podman_storage);
	free(config->sink_dir);
	free(config->control_socket);
	free(config->path);
	free(config);
}

/* Return the configuration name of an enum enclave_level, or "unknown". */
const char *config_level_name(unsigned int level)
{
	if (level >= CONFIG_ARRAY_SIZE(config_level_names))
		return "unknown";
	return config_level_names[level];
}

/* Return the configuration name of an enum enclave_mode, or "unknown". */
const char *config_mode_name(unsigned int mode)
{
	if (mode >= CONFIG_ARRAY_SIZE(config_mode_names))
		return "unknown";
	return config_mode_names[mode];
}

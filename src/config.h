/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration file of enclaved.
 *
 * Each line is blank, a comment starting with '#', a section header
 * ([daemon], [policy], [level NAME], [rule NAME] or [sink NAME]) or
 * "key = value" inside a section.
 * Blanks around keys and values are ignored. A '#' after a value is part of
 * the value, because there are no trailing comments. In a [sink NAME]
 * section, "module" names the sink and every other key is passed to it.
 */
#ifndef ENCLAVE_CONFIG_H
#define ENCLAVE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "enclave.h"
#include "enclave-sink.h"

#define CONFIG_MAX_LINE		4096	/* bytes, without the newline */
#define CONFIG_MAX_SINK_NAME	64
#define CONFIG_MAX_STATE_DIRS	8
#define CONFIG_MAX_RULES	256
#define CONFIG_MAX_MATCHES	16	/* match keys in one [rule NAME] */
#define CONFIG_MAX_LEVEL_ENTRIES 4096	/* lines of all [level NAME] sections */
#define CONFIG_DEFAULT_ALLOWED_RATE	100
#define CONFIG_MAX_ALLOWED_RATE	1000000

/* The action of a line of a [level NAME] section. */
enum config_action {
	CONFIG_ACTION_DENY,		/* deny = PATH */
	CONFIG_ACTION_DENY_WRITE,	/* deny_write = PATH */
	CONFIG_ACTION_ALLOW,		/* allow = PATH */
	CONFIG_ACTION_MOUNT_ALLOW,	/* mount_allow = FSTYPE */
	CONFIG_ACTION_MOUNT_DENY,	/* mount_deny = FSTYPE */
};

/* One line of a [level baseline] or [level restricted] section. */
struct config_level_entry {
	char *value;			/* a normalised path or a filesystem type */
	uint8_t level;			/* enum enclave_level of the section */
	uint8_t action;			/* enum config_action */
	unsigned int line;
};

/* A merged path rule: the lowest level that denies each access. */
struct config_path_rule {
	char path[ENCLAVE_PATH_LEN];
	uint8_t open_level;		/* enum enclave_level or ENCLAVE_LEVEL_NEVER */
	uint8_t write_level;
};

/* A filesystem type that some level allows to be mounted. */
struct config_fstype_rule {
	char name[ENCLAVE_FSTYPE_LEN];
	uint8_t level;			/* the lowest level that denies it */
};

enum config_match_field {
	CONFIG_MATCH_ID,
	CONFIG_MATCH_NAME,
	CONFIG_MATCH_IMAGE,
	CONFIG_MATCH_RUNTIME,
	CONFIG_MATCH_ANNOTATION,
};

/* match.FIELD = GLOB, or match.annotation.KEY = GLOB. */
struct config_match {
	uint8_t field;			/* enum config_match_field */
	char *annotation;		/* KEY, for CONFIG_MATCH_ANNOTATION only */
	char *glob;			/* an fnmatch(3) pattern, flags 0 */
};

/* A [rule NAME] section. */
struct config_rule {
	char *name;
	unsigned int line;		/* of the section header */
	struct config_match *matches;	/* all must match */
	size_t n_matches;
	bool level_set;
	bool mode_set;
	uint8_t level;			/* enum enclave_level, when level_set */
	uint8_t mode;			/* enum enclave_mode, when mode_set */
};

struct config_sink {
	char *instance;			/* NAME from [sink NAME] */
	char *module;			/* a name in sink_dir or an absolute path */
	unsigned int line;		/* line of the section header */
	/* The other keys in file order. Keys and values are owned, and file
	 * points to the path of the struct config. */
	struct enclave_sink_option *options;
	size_t n_options;
};

struct config {
	char *path;
	int log_priority;		/* syslog(3) level, default LOG_NOTICE */
	uint32_t ringbuf_size;		/* bytes, default 4 MiB */
	/* Comms of container runtimes' init processes, NUL-padded. */
	char runtimes[ENCLAVE_MAX_RUNTIMES][ENCLAVE_COMM_LEN];
	size_t n_runtimes;
	char *sink_dir;
	uint32_t stats_interval;	/* seconds, default 10 */
	char *control_socket;		/* path, default /run/enclave/control.sock */
	uint8_t default_level;		/* enum enclave_level */
	uint8_t default_mode;		/* enum enclave_mode */
	uint32_t allowed_rate;		/* allow records per second and CPU */
	uint64_t log_allowed;		/* bit (1 << hook) of enum enclave_hook */
	/* Directories of runtime state (runc --root), searched in order. */
	char *state_dirs[CONFIG_MAX_STATE_DIRS];
	size_t n_state_dirs;
	char *podman_storage;		/* podman's storage root (graphroot) */
	struct config_sink *sinks;
	size_t n_sinks;
	/* Lines of the [level NAME] sections in file order, as written. */
	struct config_level_entry *level_entries;
	size_t n_level_entries;
	/* The built-in and configured path and mount rules, merged. */
	struct config_path_rule *path_rules;	/* at most ENCLAVE_MAX_PATH_RULES */
	size_t n_path_rules;
	struct config_fstype_rule *fstype_rules;
	size_t n_fstype_rules;
	struct config_rule *rules;	/* in file order */
	size_t n_rules;
};

int config_load(const char *path, struct config **out, char *err,
		size_t err_size);
void config_free(struct config *config);
const char *config_level_name(unsigned int level);
const char *config_mode_name(unsigned int mode);

#endif /* ENCLAVE_CONFIG_H */

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration file of enclaved.
 *
 * Each line is blank, a comment starting with '#', a section header
 * ([daemon], [policy] or [sink NAME]) or "key = value" inside a section.
 * Blanks around keys and values are ignored. A '#' after a value is part of
 * the value, because there are no trailing comments. In a [sink NAME]
 * section, "module" names the sink and every other key is passed to it.
 */
#ifndef ENCLAVE_CONFIG_H
#define ENCLAVE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "enclave.h"
#include "enclave-sink.h"

#define CONFIG_MAX_LINE		4096	/* bytes, without the newline */
#define CONFIG_MAX_SINK_NAME	64

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
	struct config_sink *sinks;
	size_t n_sinks;
};

int config_load(const char *path, struct config **out, char *err,
		size_t err_size);
void config_free(struct config *config);
const char *config_level_name(unsigned int level);
const char *config_mode_name(unsigned int mode);

#endif /* ENCLAVE_CONFIG_H */

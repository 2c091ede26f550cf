/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the JSON-lines sink module, loaded with dlopen as enclaved loads
 * it: option checks, write failures (a file size limit replaces a full
 * disk), lines cut short by a failure, and reopening after a rename.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "enclave-sink.h"
#include "unit.h"

static const struct enclave_sink_ops *ops;
static char logged[4096];
static char dir[] = "/tmp/test-json-sink.XXXXXX";

static void capture_log(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(logged, sizeof(logged), fmt, ap);
	va_end(ap);
}

/* Open a sink from a configuration on this function's stack, which is gone
 * when the sink is used: the sink must not keep pointers into it. */
static int open_sink(const char *path, const char *mode, void **state)
{
	struct enclave_sink_option options[2] = {
		{ "path", path, "test.conf", 3 },
		{ "mode", mode, "test.conf", 4 },
	};
	struct enclave_sink_config config = {
		.instance = "events",
		.options = options,
		.n_options = mode ? 2 : 1,
		.log = capture_log,
	};
	int err;

	logged[0] = '\0';
	err = ops->open(&config, state);
	memset(&config, 0xa5, sizeof(config));
	memset(options, 0xa5, sizeof(options));
	return err;
}

static struct enclave_event make_event(uint64_t sequence, const char *json)
{
	struct enclave_event event = {
		.struct_size = sizeof(event),
		.type = ENCLAVE_EVENT_PROCESS_EXEC,
		.sequence = sequence,
		.json = json,
		.json_len = strlen(json),
	};

	return event;
}

/* Count the lines of PATH and check that each parses as a JSON object. */
static int count_json_lines(const char *path)
{
	char line[8192];
	FILE *file = fopen(path, "r");
	int count = 0;

	if (!file)
		return -1;
	while (fgets(line, sizeof(line), file)) {
		json_object *object = json_tokener_parse(line);

		if (!CHECK(object && json_object_is_type(object, json_type_object)))
			printf("  line %d does not parse: %s", count + 1, line);
		json_object_put(object);
		count++;
	}
	fclose(file);
	return count;
}

static void test_options(void)
{
	char path[PATH_MAX], fifo[PATH_MAX], link[PATH_MAX], message[PATH_MAX + 128];
	void *state = NULL;

	CHECK_EQ_INT(open_sink("relative.json", NULL, &state), -EINVAL);
	CHECK_EQ_STR(logged, "test.conf:3: path 'relative.json' of sink 'events' is not absolute");

	snprintf(path, sizeof(path), "%s/events.json", dir);
	CHECK_EQ_INT(open_sink(path, "0666", &state), -EINVAL);
	CHECK_EQ_STR(logged, "test.conf:4: mode '0666' for sink 'events' lets anyone forge records: drop the write bit for others");
	CHECK_EQ_INT(open_sink(path, "0999", &state), -EINVAL);
	CHECK_EQ_STR(logged, "test.conf:4: invalid mode '0999' for sink 'events': expected octal 0000..0666");

	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	CHECK_EQ_INT(mkfifo(fifo, 0600), 0);
	/* Opened without blocking: with no reader, that fails at once. */
	CHECK_EQ_INT(open_sink(fifo, NULL, &state), -ENXIO);
	snprintf(message, sizeof(message),
		 "json: sink 'events': failed to open '%s': No such device or address", fifo);
	CHECK_EQ_STR(logged, message);

	snprintf(path, sizeof(path), "%s/target.json", dir);
	snprintf(link, sizeof(link), "%s/link.json", dir);
	CHECK_EQ_INT(symlink(path, link), 0);
	CHECK_EQ_INT(open_sink(link, NULL, &state), -ELOOP);
	snprintf(message, sizeof(message),
		 "json: sink 'events': '%s' is a symbolic link, which the sink does not follow: name the file itself",
		 link);
	CHECK_EQ_STR(logged, message);
}

static void test_write_failure(void)
{
	static const char record[] = "{\"event\":{\"action\":\"process_exec\"}}";
	struct rlimit limit = { .rlim_cur = 100, .rlim_max = RLIM_INFINITY };
	struct rlimit unlimited = { .rlim_cur = RLIM_INFINITY, .rlim_max = RLIM_INFINITY };
	char path[PATH_MAX], message[PATH_MAX + 128];
	struct enclave_event event;
	struct stat st;
	void *state = NULL;
	int err;

	snprintf(path, sizeof(path), "%s/full.json", dir);
	if (!CHECK_EQ_INT(open_sink(path, "0640", &state), 0))
		return;
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0640);

	/* Three lines of 36 bytes fit under 100 bytes only in part. */
	CHECK_EQ_INT(setrlimit(RLIMIT_FSIZE, &limit), 0);
	for (uint64_t i = 1; i <= 3; i++) {
		event = make_event(i, record);
		CHECK_EQ_INT(ops->write(state, &event), 0);
	}
	err = ops->flush(state);
	CHECK_EQ_INT(err, -EFBIG);
	snprintf(message, sizeof(message),
		 "json: sink 'events': failed to write 3 records to '%s/full.json': File too large; they are dropped",
		 dir);
	CHECK_EQ_STR(logged, message);
	CHECK_EQ_INT(setrlimit(RLIMIT_FSIZE, &unlimited), 0);

	/* The cut line is ended before the next record, which parses. */
	event = make_event(4, record);
	CHECK_EQ_INT(ops->write(state, &event), 0);
	CHECK_EQ_INT(ops->flush(state), 0);
	snprintf(path, sizeof(path), "%s/full.json", dir);
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_size, 100 + 1 + 36);
	ops->close(state);
}

static void test_reopen(void)
{
	static const char record[] = "{\"n\":1}";
	char path[PATH_MAX], rotated[PATH_MAX];
	struct enclave_event event = make_event(1, record);
	void *state = NULL;

	snprintf(path, sizeof(path), "%s/rotate.json", dir);
	snprintf(rotated, sizeof(rotated), "%s/rotate.json.1", dir);
	if (!CHECK_EQ_INT(open_sink(path, NULL, &state), 0))
		return;
	CHECK_EQ_INT(ops->write(state, &event), 0);
	CHECK_EQ_INT(ops->flush(state), 0);
	CHECK_EQ_INT(rename(path, rotated), 0);

	/* A record buffered before the reopen goes to the old file. */
	CHECK_EQ_INT(ops->write(state, &event), 0);
	CHECK_EQ_INT(ops->reopen(state), 0);
	CHECK_EQ_INT(ops->write(state, &event), 0);
	ops->close(state);

	CHECK_EQ_INT(count_json_lines(rotated), 2);
	CHECK_EQ_INT(count_json_lines(path), 1);
}

int main(void)
{
	const char *sink_dir = getenv("ENCLAVE_SINK_DIR");
	char module[PATH_MAX];
	void *handle;

	if (!sink_dir)
		return unit_skip("test-json-sink", "ENCLAVE_SINK_DIR is not set: run it with make check");
	snprintf(module, sizeof(module), "%s/json.so", sink_dir);
	handle = dlopen(module, RTLD_NOW);
	if (!handle) {
		printf("test-json-sink: failed to load '%s': %s\n", module, dlerror());
		return 1;
	}
	ops = dlsym(handle, ENCLAVE_SINK_SYMBOL);
	if (!CHECK(ops != NULL) || !CHECK(mkdtemp(dir) != NULL))
		return unit_finish("test-json-sink");
	CHECK_EQ_UINT(ops->abi_version, ENCLAVE_SINK_ABI_VERSION);
	CHECK_EQ_UINT(ops->struct_size, sizeof(*ops));
	CHECK_EQ_STR(ops->name, "json");

	/* The file size limit makes write(2) fail with EFBIG, not kill. */
	signal(SIGXFSZ, SIG_IGN);
	test_options();
	test_write_failure();
	test_reopen();

	snprintf(module, sizeof(module), "rm -rf '%s'", dir);
	if (system(module) != 0)
		printf("test-json-sink: failed to remove '%s'\n", dir);
	dlclose(handle);
	return unit_finish("test-json-sink");
}

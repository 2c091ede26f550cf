/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of runtime_state_read() on state files written to a temporary
 * directory in the formats of runc 1.1.5, crun 1.8.1 and podman 4.3.1, and
 * on hostile files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "runtime_state.h"
#include "unit.h"

static char temp_dir[] = "/tmp/test-runtime-state.XXXXXX";
static char runc_dir[300], crun_dir[300], storage[300];

static void write_at(const char *dir, const char *name, const char *text)
{
	char file_path[600];
	FILE *file;

	snprintf(file_path, sizeof(file_path), "%s/%s", dir, name);
	file = fopen(file_path, "w");
	if (!file || fputs(text, file) < 0 || fclose(file) != 0) {
		printf("test-runtime-state: failed to write %s\n", file_path);
		exit(1);
	}
}

static const char *annotation(const struct runtime_state *state, const char *key)
{
	size_t i;

	for (i = 0; i < state->n_annotations; i++) {
		if (strcmp(state->annotation_keys[i], key) == 0)
			return state->annotation_values[i];
	}
	return NULL;
}

static struct config config;

static void test_runc(void)
{
	char bundle[400], state_json[1200], id_dir[400];
	struct runtime_state state;

	snprintf(bundle, sizeof(bundle), "%s/bundle", temp_dir);
	mkdir(bundle, 0700);
	write_at(bundle, "config.json",
		 "{\"annotations\": {\"from\": \"bundle\"}}");
	snprintf(id_dir, sizeof(id_dir), "%s/c1", runc_dir);
	mkdir(id_dir, 0700);
	snprintf(state_json, sizeof(state_json),
		 "{\"id\": \"c1\", \"init_process_pid\": 4007, \"config\": {\"labels\": ["
		 "\"io.kubernetes.pod.namespace=prod\", \"enclave.policy=restricted\", "
		 "\"eq=a=b\", \"bundle=%s\"]}}", bundle);
	write_at(id_dir, "state.json", state_json);

	CHECK_EQ_INT(runtime_state_read(&config, "runc:[2:INIT]", "c1", &state), 0);
	CHECK_EQ_STR(state.state_dir, runc_dir);
	CHECK_EQ_STR(state.bundle, bundle);
	CHECK_EQ_UINT(state.n_annotations, 3);
	CHECK_EQ_STR(annotation(&state, "io.kubernetes.pod.namespace"), "prod");
	CHECK_EQ_STR(annotation(&state, "enclave.policy"), "restricted");
	CHECK_EQ_STR(annotation(&state, "eq"), "a=b");
	CHECK(state.name == NULL);
	runtime_state_free(&state);

	/* Without annotation labels, the bundle's config.json is read. */
	snprintf(state_json, sizeof(state_json),
		 "{\"config\": {\"labels\": [\"bundle=%s\"]}}", bundle);
	write_at(id_dir, "state.json", state_json);
	CHECK_EQ_INT(runtime_state_read(&config, NULL, "c1", &state), 0);
	CHECK_EQ_UINT(state.n_annotations, 1);
	CHECK_EQ_STR(annotation(&state, "from"), "bundle");
	runtime_state_free(&state);
}

static void test_crun(void)
{
	char id_dir[400];
	struct runtime_state state;

	snprintf(id_dir, sizeof(id_dir), "%s/c2", crun_dir);
	mkdir(id_dir, 0700);
	write_at(id_dir, "status", "{\"pid\": 6007, \"bundle\": \"/nonexistent/bundle\", "
		 "\"rootfs\": \"rootfs\", \"owner\": \"root\"}");
	write_at(id_dir, "config.json", "{\"ociVersion\": \"1.0.2-dev\", \"annotations\": "
		 "{\"enclave.mode\": \"enforce\", \"n\": 5}}");

	CHECK_EQ_INT(runtime_state_read(&config, "crun", "c2", &state), 0);
	CHECK_EQ_STR(state.state_dir, crun_dir);
	CHECK_EQ_STR(state.bundle, "/nonexistent/bundle");
	CHECK_EQ_UINT(state.n_annotations, 1);
	CHECK_EQ_STR(annotation(&state, "enclave.mode"), "enforce");
	CHECK(state.annotations_skipped);
	runtime_state_free(&state);

	CHECK_EQ_INT(runtime_state_read(&config, "crun", "nosuch", &state), -ENOENT);
	CHECK_EQ_INT(runtime_state_read(&config, "crun", "..", &state), -EINVAL);
	CHECK_EQ_INT(runtime_state_read(&config, "crun", "a/b", &state), -EINVAL);
}

#define PODMAN_ID "829f85955e6e7ded62d30c3049329ae0a97ba8f723eb935574a2da8c9216f094"

static void test_podman(void)
{
	char dir[600];
	struct runtime_state state;

	snprintf(dir, sizeof(dir), "%s/vfs-containers", storage);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/vfs-containers/" PODMAN_ID, storage);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/vfs-containers/" PODMAN_ID "/userdata", storage);
	mkdir(dir, 0700);
	write_at(dir, "config.json", "{\"annotations\": {\"io.container.manager\": \"libpod\"}}");
	snprintf(dir, sizeof(dir), "%s/vfs-containers", storage);
	write_at(dir, "containers.json",
		 "[{\"id\": \"other\", \"names\": [\"x\"]}, {\"id\": \"" PODMAN_ID "\", "
		 "\"names\": [\"policy-pod\"], \"image\": \"1909db8f\", "
		 "\"metadata\": \"{\\\"image-name\\\":\\\"localhost/policy-test:1\\\","
		 "\\\"name\\\":\\\"policy-pod\\\"}\"}]");

	CHECK_EQ_INT(runtime_state_read(&config, "runc:[2:INIT]", PODMAN_ID, &state), 0);
	CHECK_EQ_STR(state.name, "policy-pod");
	CHECK_EQ_STR(state.image, "localhost/policy-test:1");
	CHECK_EQ_UINT(state.n_annotations, 1);
	CHECK_EQ_STR(annotation(&state, "io.container.manager"), "libpod");
	runtime_state_free(&state);
}

static void test_hostile(void)
{
	char id_dir[400], target[600];
	struct runtime_state state;
	char *big;
	int fd;

	/* A link in place of the state file. */
	snprintf(id_dir, sizeof(id_dir), "%s/link", runc_dir);
	mkdir(id_dir, 0700);
	snprintf(target, sizeof(target), "%s/link/state.json", runc_dir);
	CHECK_EQ_INT(symlink("/etc/passwd", target), 0);
	CHECK_EQ_INT(runtime_state_read(&config, NULL, "link", &state), -ELOOP);

	/* A link in place of the container's directory: openat(2) with
	 * O_DIRECTORY | O_NOFOLLOW fails with ENOTDIR. */
	snprintf(target, sizeof(target), "%s/dirlink", runc_dir);
	CHECK_EQ_INT(symlink(id_dir, target), 0);
	CHECK_EQ_INT(runtime_state_read(&config, NULL, "dirlink", &state), -ENOTDIR);

	/* A file over 4 MiB, even if it is sparse. */
	snprintf(id_dir, sizeof(id_dir), "%s/big", runc_dir);
	mkdir(id_dir, 0700);
	write_at(id_dir, "state.json", "{}");
	snprintf(target, sizeof(target), "%s/state.json", id_dir);
	fd = open(target, O_WRONLY);
	CHECK(fd >= 0 && ftruncate(fd, (4 << 20) + 1) == 0);
	close(fd);
	CHECK_EQ_INT(runtime_state_read(&config, NULL, "big", &state), -EFBIG);

	/* Wrong types are skipped, not trusted. */
	snprintf(id_dir, sizeof(id_dir), "%s/types", runc_dir);
	mkdir(id_dir, 0700);
	write_at(id_dir, "state.json", "{\"bundle\": 7, \"config\": {\"labels\": "
		 "[1, null, \"noequals\", \"=v\", \"k=v\"]}}");
	CHECK_EQ_INT(runtime_state_read(&config, NULL, "types", &state), 0);
	CHECK(state.bundle == NULL);
	CHECK_EQ_UINT(state.n_annotations, 1);
	CHECK_EQ_STR(annotation(&state, "k"), "v");
	CHECK(state.annotations_skipped);
	runtime_state_free(&state);

	write_at(id_dir, "state.json", "[\"bundle=/x\"]");
	CHECK_EQ_INT(runtime_state_read(&config, NULL, "types", &state), -EINVAL);

	/* Not UTF-8, trailing bytes, an escaped NUL. */
	write_at(id_dir, "state.json", "{\"config\": {\"labels\": [\"k=\xff\"]}}");
	CHECK_EQ_INT(runtime_state_read(&config, NULL, "types", &state), -EINVAL);
	write_at(id_dir, "state.json", "{} {}");
	CHECK_EQ_INT(runtime_state_read(&config, NULL, "types", &state), -EINVAL);
	write_at(id_dir, "state.json", "{\"config\": {\"labels\": [\"k=a\\u0000b\"]}}");
	CHECK_EQ_INT(runtime_state_read(&config, NULL, "types", &state), 0);
	CHECK_EQ_UINT(state.n_annotations, 0);
	runtime_state_free(&state);

	/* More annotations than the cap. */
	big = malloc(64 * 1024);
	if (!CHECK(big != NULL))
		return;
	strcpy(big, "{\"annotations\": {");
	for (fd = 0; fd < RUNTIME_STATE_MAX_ANNOTATIONS + 10; fd++)
		sprintf(big + strlen(big), "%s\"k%d\": \"v\"", fd ? ", " : "", fd);
	strcat(big, "}}");
	write_at(id_dir, "state.json", big);
	CHECK_EQ_INT(runtime_state_read(&config, NULL, "types", &state), 0);
	CHECK_EQ_UINT(state.n_annotations, RUNTIME_STATE_MAX_ANNOTATIONS);
	CHECK(state.annotations_skipped);
	runtime_state_free(&state);
	free(big);
}

int main(void)
{
	char *dirs[2];
	char command[400];
	int status;

	if (!mkdtemp(temp_dir)) {
		printf("test-runtime-state: failed to create %s\n", temp_dir);
		return 1;
	}
	snprintf(runc_dir, sizeof(runc_dir), "%s/runc", temp_dir);
	snprintf(crun_dir, sizeof(crun_dir), "%s/crun", temp_dir);
	snprintf(storage, sizeof(storage), "%s/storage", temp_dir);
	mkdir(runc_dir, 0700);
	mkdir(crun_dir, 0700);
	mkdir(storage, 0700);
	dirs[0] = crun_dir;
	dirs[1] = runc_dir;
	config.state_dirs[0] = dirs[0];
	config.state_dirs[1] = dirs[1];
	config.n_state_dirs = 2;
	config.podman_storage = storage;

	test_runc();
	test_crun();
	test_podman();
	test_hostile();

	snprintf(command, sizeof(command), "rm -rf '%s'", temp_dir);
	status = system(command);
	(void)status;
	return unit_finish("test-runtime-state");
}

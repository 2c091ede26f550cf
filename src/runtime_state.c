/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading of the state that container runtimes keep for each container.
 * The formats were read from containers run on Debian 12 with runc 1.1.5,
 * crun 1.8.1 and podman 4.3.1:
 *
 * - runc: STATE_DIR/ID/state.json, whose config.labels array contains
 *   "bundle=PATH" and each OCI annotation as "KEY=VALUE".
 * - crun: STATE_DIR/ID/status, whose "bundle" member is the bundle path,
 *   and STATE_DIR/ID/config.json, a copy of the bundle's config.json.
 * - youki: STATE_DIR/ID/state.json with "bundle" and "annotations" members.
 *   NOTE: the youki format is taken from its documentation, not from a run.
 * - podman: STORAGE/DRIVER-containers/containers.json lists each container's
 *   "names" and a "metadata" string, a JSON object with "image-name". The
 *   bundle is STORAGE/DRIVER-containers/ID/userdata.
 *
 * Every file is opened with O_NOFOLLOW, so a symbolic link in place of a
 * state file (ELOOP) or of a container's directory (ENOTDIR) is rejected. The
 * configured directories and a bundle path, which root chose, may contain
 * links. Files larger than RUNTIME_STATE_MAX_FILE and JSON that is not
 * valid UTF-8 are rejected.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "runtime_state.h"

/* Subdirectories of podman's storage root, one per storage driver. */
static const char *const runtime_state_podman_drivers[] = {
	"overlay-containers",
	"vfs-containers",
	"btrfs-containers",
};

#define RUNTIME_STATE_ARRAY_SIZE(array)	(sizeof(array) / sizeof((array)[0]))

static int runtime_state_parse(const char *text, size_t len, json_object **out)
{
	struct json_tokener *tokener = json_tokener_new();
	json_object *root;
	int r = 0;

	if (!tokener)
		return -ENOMEM;
	json_tokener_set_flags(tokener, JSON_TOKENER_STRICT |
					JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tokener, text, (int)len);
	if (!root || json_tokener_get_error(tokener) != json_tokener_success ||
	    json_tokener_get_parse_end(tokener) != len) {
		json_object_put(root);
		r = -EINVAL;
	} else {
		*out = root;
	}
	json_tokener_free(tokener);
	return r;
}

/* Parse the regular file NAME in DIR_FD, which must not be a link. */
static int runtime_state_read_json(int dir_fd, const char *name,
				   json_object **out)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;
	int r;

	fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
				  O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if (st.st_size > RUNTIME_STATE_MAX_FILE) {
		r = -EFBIG;
		goto out;
	}

	/* One byte more than the limit shows a file that grew meanwhile. */
	text = malloc(RUNTIME_STATE_MAX_FILE + 1);
	if (!text) {
		r = -ENOMEM;
		goto out;
	}
	while ((n = read(fd, text + len, RUNTIME_STATE_MAX_FILE + 1 - len)) > 0) {
		len += (size_t)n;
		if (len > RUNTIME_STATE_MAX_FILE) {
			r = -EFBIG;
			goto out;
		}
	}
	if (n < 0) {
		r = -errno;
		goto out;
	}
	r = runtime_state_parse(text, len, out);
out:
	free(text);
	close(fd);
	return r;
}

/* Return the string member KEY of OBJECT if it has no NUL byte, or NULL. */
static const char *runtime_state_string(json_object *object, const char *key)
{
	json_object *member;
	const char *text;

	if (!json_object_is_type(object, json_type_object) ||
	    !json_object_object_get_ex(object, key, &member) ||
	    !json_object_is_type(member, json_type_string))
		return NULL;
	text = json_object_get_string(member);
	if (strlen(text) != (size_t)json_object_get_string_len(member))
		return NULL;
	return text;
}

static int runtime_state_set(char **field, const char *value)
{
	char *copy = strdup(value);

	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

/* Add KEY = VALUE, or skip it when it is too long or over the count. */
static int runtime_state_add(struct runtime_state *state, const char *key,
			     size_t key_len, const char *value)
{
	char **keys, **values;
	size_t n = state->n_annotations;

	if (key_len == 0 || key_len > RUNTIME_STATE_MAX_KEY ||
	    strlen(value) > RUNTIME_STATE_MAX_VALUE ||
	    n == RUNTIME_STATE_MAX_ANNOTATIONS) {
		state->annotations_skipped = true;
		return 0;
	}

	keys = realloc(state->annotation_keys, (n + 1) * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	state->annotation_keys = keys;
	values = realloc(state->annotation_values, (n + 1) * sizeof(*values));
	if (!values)
		return -ENOMEM;
	state->annotation_values = values;

	keys[n] = strndup(key, key_len);
	values[n] = strdup(value);
	if (!keys[n] || !values[n]) {
		free(keys[n]);
		free(values[n]);
		return -ENOMEM;
	}
	state->n_annotations++;
	return 0;
}

/* Add the "annotations" object of OBJECT (an OCI config.json or youki's
 * state.json). Returns 1 when OBJECT has one, 0 when not, or -errno. */
static int runtime_state_add_object(struct runtime_state *state,
				    json_object *object)
{
	json_object *annotations;
	int r;

	if (!json_object_is_type(object, json_type_object) ||
	    !json_object_object_get_ex(object, "annotations", &annotations) ||
	    !json_object_is_type(annotations, json_type_object))
		return 0;

	json_object_object_foreach(annotations, key, member) {
		const char *value;

		if (!json_object_is_type(member, json_type_string)) {
			state->annotations_skipped = true;
			continue;
		}
		value = json_object_get_string(member);
		if (strlen(value) != (size_t)json_object_get_string_len(member)) {
			state->annotations_skipped = true;
			continue;
		}
		r = runtime_state_add(state, key, strlen(key), value);
		if (r < 0)
			return r;
	}
	return 1;
}

/* Read runc's config.labels: "bundle=PATH" and annotations "KEY=VALUE".
 * Returns 1 when an annotation was found, 0 when not, or -errno. */
static int runtime_state_add_labels(struct runtime_state *state,
				    json_object *root)
{
	json_object *config, *labels;
	bool found = false;
	size_t i, n;
	int r;

	if (!json_object_object_get_ex(root, "config", &config) ||
	    !json_object_is_type(config, json_type_object) ||
	    !json_object_object_get_ex(config, "labels", &labels) ||
	    !json_object_is_type(labels, json_type_array))
		return 0;

	n = json_object_array_length(labels);
	for (i = 0; i < n; i++) {
		json_object *label = json_object_array_get_idx(labels, i);
		const char *text, *equals;

		if (!json_object_is_type(label, json_type_string))
			continue;
		text = json_object_get_string(label);
		if (strlen(text) != (size_t)json_object_get_string_len(label))
			continue;
		equals = strchr(text, '=');
		if (!equals)
			continue;
		if (strncmp(text, "bundle=", 7) == 0) {
			r = runtime_state_set(&state->bundle, equals + 1);
		} else {
			r = runtime_state_add(state, text, (size_t)(equals - text),
					      equals + 1);
			found = true;
		}
		if (r < 0)
			return r;
	}
	return found;
}

/* Read the annotations of the bundle's config.json. A missing file is no
 * error, because the bundle may be gone when the container is old. */
static int runtime_state_read_bundle(struct runtime_state *state)
{
	json_object *root = NULL;
	int dir_fd;
	int r;

	if (!state->bundle || state->bundle[0] != '/')
		return 0;
	dir_fd = open(state->bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = runtime_state_read_json(dir_fd, "config.json", &root);
	close(dir_fd);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = runtime_state_add_object(state, root);
	json_object_put(root);
	return r < 0 ? r : 0;
}

/* Read STATE_DIR/ID: runc's or youki's state.json, or crun's status and
 * config.json. */
static int runtime_state_read_container(struct runtime_state *state, int id_fd)
{
	json_object *root = NULL;
	const char *bundle;
	int found;
	int r;

	r = runtime_state_read_json(id_fd, "state.json", &root);
	if (r == -ENOENT) {
		r = runtime_state_read_json(id_fd, "status", &root);
		if (r < 0)
			return r;
		bundle = runtime_state_string(root, "bundle");
		r = bundle ? runtime_state_set(&state->bundle, bundle) : 0;
		json_object_put(root);
		if (r < 0)
			return r;
		r = runtime_state_read_json(id_fd, "config.json", &root);
		if (r == -ENOENT)
			return runtime_state_read_bundle(state);
		if (r < 0)
			return r;
		found = runtime_state_add_object(state, root);
		json_object_put(root);
		return found < 0 ? found : 0;
	}
	if (r < 0)
		return r;

	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return -EINVAL;
	}
	bundle = runtime_state_string(root, "bundle");
	r = bundle ? runtime_state_set(&state->bundle, bundle) : 0;
	found = r < 0 ? r : runtime_state_add_object(state, root);
	if (found == 0)
		found = runtime_state_add_labels(state, root);
	json_object_put(root);
	if (found < 0)
		return found;
	/* No annotation in the state: the bundle may still have some. */
	return found ? 0 : runtime_state_read_bundle(state);
}

/* Search one state directory. Returns 0, -ENOENT or another -errno. */
static int runtime_state_search_dir(struct runtime_state *state,
				    const char *dir, const char *id)
{
	int dir_fd, id_fd;
	int r;

	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return errno == ENOTDIR ? -ENOENT : -errno;
	id_fd = openat(dir_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = id_fd < 0 ? -errno : 0;
	close(dir_fd);
	if (r < 0)
		return r;

	r = runtime_state_read_container(state, id_fd);
	close(id_fd);
	if (r == 0)
		r = runtime_state_set(&state->state_dir, dir);
	return r;
}

/* Return whether the last component of DIR is the runtime of COMM, such as
 * "runc" for "runc:[2:INIT]". */
static bool runtime_state_dir_matches(const char *dir, const char *comm)
{
	const char *base = strrchr(dir, '/');
	size_t len;

	if (!comm)
		return false;
	base = base ? base + 1 : dir;
	len = strcspn(comm, ":");
	return len > 0 && strlen(base) == len && strncmp(base, comm, len) == 0;
}

static bool runtime_state_valid_id(const char *id)
{
	size_t len = strlen(id);

	return len > 0 && len <= RUNTIME_STATE_MAX_ID && !strchr(id, '/') &&
	       strcmp(id, ".") != 0 && strcmp(id, "..") != 0;
}

/* Copy the podman name and image of ID from one containers.json. */
static int runtime_state_podman_list(struct runtime_state *state, int driver_fd,
				     const char *id)
{
	json_object *list = NULL;
	json_object *metadata = NULL;
	size_t i, n;
	int r;

	r = runtime_state_read_json(driver_fd, "containers.json", &list);
	if (r < 0)
		return r;
	if (!json_object_is_type(list, json_type_array)) {
		json_object_put(list);
		return -EINVAL;
	}

	r = -ENOENT;
	n = json_object_array_length(list);
	for (i = 0; i < n && r == -ENOENT; i++) {
		json_object *entry = json_object_array_get_idx(list, i);
		json_object *names, *first;
		const char *text;

		text = runtime_state_string(entry, "id");
		if (!text || strcmp(text, id) != 0)
			continue;
		r = 0;
		if (json_object_object_get_ex(entry, "names", &names) &&
		    json_object_is_type(names, json_type_array) &&
		    (first = json_object_array_get_idx(names, 0)) &&
		    json_object_is_type(first, json_type_string))
			r = runtime_state_set(&state->name, json_object_get_string(first));
		text = runtime_state_string(entry, "metadata");
		if (r == 0 && text &&
		    runtime_state_parse(text, strlen(text), &metadata) == 0) {
			const char *image = runtime_state_string(metadata, "image-name");

			if (image)
				r = runtime_state_set(&state->image, image);
			json_object_put(metadata);
		}
	}
	json_object_put(list);
	return r;
}

/* Read podman's name, image and, when no runtime state gave them, the
 * annotations of its bundle (userdata). Returns 0, -ENOENT or -errno. */
static int runtime_state_read_podman(struct runtime_state *state,
				     const char *storage, const char *id)
{
	int storage_fd;
	size_t i;
	int r = -ENOENT;

	storage_fd = open(storage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (storage_fd < 0)
		return -ENOENT;

	for (i = 0; i < RUNTIME_STATE_ARRAY_SIZE(runtime_state_podman_drivers); i++) {
		int driver_fd = openat(storage_fd, runtime_state_podman_drivers[i],
				       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		json_object *config = NULL;
		int id_fd;

		if (driver_fd < 0)
			continue;
		r = runtime_state_podman_list(state, driver_fd, id);
		if (r == -ENOENT) {
			close(driver_fd);
			continue;
		}
		id_fd = r == 0 ? openat(driver_fd, id, O_RDONLY | O_DIRECTORY |
					O_NOFOLLOW | O_CLOEXEC) : -1;
		close(driver_fd);
		if (id_fd >= 0 && state->n_annotations == 0) {
			int userdata_fd = openat(id_fd, "userdata", O_RDONLY |
						 O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (userdata_fd >= 0 &&
			    runtime_state_read_json(userdata_fd, "config.json", &config) == 0) {
				r = runtime_state_add_object(state, config);
				r = r < 0 ? r : 0;
				json_object_put(config);
			}
			if (userdata_fd >= 0)
				close(userdata_fd);
		}
		if (id_fd >= 0)
			close(id_fd);
		break;
	}
	close(storage_fd);
	return r;
}

/*
 * Fill *OUT with the runtimes' state of CONTAINER_ID: the
 * state directories of CONFIG in order, the one named for RUNTIME_COMM
 * first (NULL for no preference), then podman's storage for the name and
 * the image. Returns 0, -ENOENT when no state has the container, -ELOOP
 * or -ENOTDIR for a link in place of a state file or directory, -EFBIG for a file over 4 MiB,
 * -EINVAL for invalid JSON or an invalid id, or another -errno. On error,
 * *OUT is empty.
 */
int runtime_state_read(const struct config *config, const char *runtime_comm,
		       const char *container_id, struct runtime_state *out)
{
	int r = -ENOENT;
	int podman;
	size_t pass, i;

	memset(out, 0, sizeof(*out));
	if (!runtime_state_valid_id(container_id))
		return -EINVAL;

	for (pass = 0; pass < 2 && r == -ENOENT; pass++) {
		for (i = 0; i < config->n_state_dirs && r == -ENOENT; i++) {
			const char *dir = config->state_dirs[i];

			if (runtime_state_dir_matches(dir, runtime_comm) != (pass == 0))
				continue;
			r = runtime_state_search_dir(out, dir, container_id);
		}
	}
	if (r < 0 && r != -ENOENT)
		goto fail;

	podman = runtime_state_read_podman(out, config->podman_storage,
					   container_id);
	if (podman < 0 && podman != -ENOENT) {
		r = podman;
		goto fail;
	}
	if (r == 0 || podman == 0)
		return 0;
	r = -ENOENT;
fail:
	runtime_state_free(out);
	return r;
}

void runtime_state_free(struct runtime_state *state)
{
	size_t i;

	if (!state)
		return;
	for (i = 0; i < state->n_annotations; i++) {
		free(state->annotation_keys[i]);
		free(state->annotation_values[i]);
	}
	free(state->annotation_keys);
	free(state->annotation_values);
	free(state->state_dir);
	free(state->bundle);
	free(state->name);
	free(state->image);
	memset(state, 0, sizeof(*state));
}

/* Point the name, image and annotations of ATTRS into STATE. */
void runtime_state_attrs(const struct runtime_state *state,
			 struct container_attrs *attrs)
{
	attrs->name = state->name;
	attrs->image = state->image;
	attrs->n_annotations = state->n_annotations;
	attrs->annotation_keys = (const char *const *)state->annotation_keys;
	attrs->annotation_values = (const char *const *)state->annotation_values;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container metadata in user space: the id and name that records carry,
 * resolved from the cgroup the kernel registered.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <json-c/json.h>

#include "container.h"
#include "log.h"

/* Bound on the table, far above the kernel map, so that lost stop records
 * cannot grow it without limit. */
#define CONTAINER_TABLE_MAX	65536

/* file_handle type of kernfs (cgroupfs) nodes; the handle is the node id. */
#define FILEID_KERNFS		0xfe

struct container_table {
	void *root;			/* tsearch(3) tree of struct container_meta */
	size_t count;
	int cgroup_fd;			/* the cgroup2 mount, for open_by_handle_at */
	bool warned_full;
};

/* podman's container lists, one per storage driver it may use. */
static const char *const podman_lists[] = {
	"/var/lib/containers/storage/overlay-containers/containers.json",
	"/var/lib/containers/storage/vfs-containers/containers.json",
	"/var/lib/containers/storage/btrfs-containers/containers.json",
};

static int compare_meta(const void *a, const void *b)
{
	const struct container_meta *x = a, *y = b;

	return x->cgroup_id < y->cgroup_id ? -1 : x->cgroup_id > y->cgroup_id;
}

int container_table_new(const char *cgroup_root, struct container_table **out)
{
	struct container_table *table = calloc(1, sizeof(*table));

	if (!table)
		return -ENOMEM;
	table->cgroup_fd = open(cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (table->cgroup_fd < 0)
		log_msg(LOG_WARNING,
			"container: failed to open cgroup2 mount '%s': %s; containers that started before enclaved are reported without id",
			cgroup_root, strerror(errno));
	*out = table;
	return 0;
}

static void free_meta(void *node)
{
	struct container_meta *meta = node;

	free(meta->annotations);
	free(meta);
}

void container_table_free(struct container_table *table)
{
	if (!table)
		return;
	tdestroy(table->root, free_meta);
	if (table->cgroup_fd >= 0)
		close(table->cgroup_fd);
	free(table);
}

/* Copy the first name of podman container ID from one containers.json. */
static bool podman_name_from(const char *list, const char *id, char *name, size_t size)
{
	json_object *root = json_object_from_file(list);
	bool found = false;
	size_t n;

	if (!root || !json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		return false;
	}
	n = json_object_array_length(root);
	for (size_t i = 0; i < n && !found; i++) {
		json_object *entry = json_object_array_get_idx(root, i);
		json_object *cid, *names, *first;
		const char *entry_id;

		if (!json_object_object_get_ex(entry, "id", &cid))
			continue;
		entry_id = json_object_get_string(cid);
		if (!entry_id || strcmp(entry_id, id) != 0)
			continue;
		if (!json_object_object_get_ex(entry, "names", &names) ||
		    !json_object_is_type(names, json_type_array))
			break;
		first = json_object_array_get_idx(names, 0);
		if (first && json_object_is_type(first, json_type_string)) {
			snprintf(name, size, "%s", json_object_get_string(first));
			found = true;
		}
	}
	json_object_put(root);
	return found;
}

/*
 * Fill in the name: runc and crun containers are named by their id; podman
 * keeps names in the container list of its storage.
 * NOTE: only podman's default storage root is read, so containers of a
 * podman started with --root elsewhere get no name.
 */
static void resolve_name(struct container_meta *meta, const char *cgroup_name)
{
	if (strncmp(cgroup_name, "libpod-", 7) != 0) {
		snprintf(meta->name, sizeof(meta->name), "%s", meta->id);
		return;
	}
	for (size_t i = 0; i < sizeof(podman_lists) / sizeof(podman_lists[0]); i++) {
		if (podman_name_from(podman_lists[i], meta->id, meta->name, sizeof(meta->name)))
			return;
	}
	meta->name[0] = '\0';
}

/* Point the record view at the fields; call after changing them. */
void container_meta_link(struct container_meta *meta)
{
	meta->view.id = meta->id[0] ? meta->id : NULL;
	meta->view.name = meta->name[0] ? meta->name : NULL;
	meta->view.runtime = meta->runtime[0] ? meta->runtime : NULL;
	meta->view.image = meta->image[0] ? meta->image : NULL;
	meta->view.rule = meta->rule[0] ? meta->rule : NULL;
}

static struct container_meta *insert(struct container_table *table, uint64_t cgroup_id)
{
	struct container_meta key = { .cgroup_id = cgroup_id };
	struct container_meta *meta, **slot;

	slot = tfind(&key, &table->root, compare_meta);
	if (slot)
		return *slot;
	if (table->count >= CONTAINER_TABLE_MAX) {
		if (!table->warned_full)
			log_msg(LOG_WARNING,
				"container: metadata table full (%d containers); new containers are reported without id and name",
				CONTAINER_TABLE_MAX);
		table->warned_full = true;
		return NULL;
	}
	meta = calloc(1, sizeof(*meta));
	if (!meta)
		return NULL;
	meta->cgroup_id = cgroup_id;
	slot = tsearch(meta, &table->root, compare_meta);
	if (!slot) {
		free(meta);
		return NULL;
	}
	table->count++;
	return meta;
}

/* Record the container that the kernel registered in cgroup CGROUP_ID. */
struct container_meta *container_table_add(struct container_table *table, uint64_t cgroup_id,
					   const char *cgroup_name, const char *runtime)
{
	struct container_meta *meta = insert(table, cgroup_id);

	if (!meta)
		return NULL;
	record_container_id(cgroup_name, meta->id, sizeof(meta->id));
	resolve_name(meta, cgroup_name);
	snprintf(meta->runtime, sizeof(meta->runtime), "%s", runtime);
	container_meta_link(meta);
	return meta;
}

/* Find the last path component of cgroup CGROUP_ID through its file handle. */
static int cgroup_name_by_id(struct container_table *table, uint64_t cgroup_id,
			     char *name, size_t size)
{
	struct {
		struct file_handle handle;
		uint64_t id;
	} fh = { .handle = { .handle_bytes = sizeof(uint64_t),
			     .handle_type = FILEID_KERNFS } };
	char link[64], path[4096];
	const char *last;
	ssize_t len;
	int fd;

	if (table->cgroup_fd < 0)
		return -ENOENT;
	memcpy(fh.handle.f_handle, &cgroup_id, sizeof(cgroup_id));
	fd = open_by_handle_at(table->cgroup_fd, &fh.handle, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, path, sizeof(path) - 1);
	close(fd);
	if (len < 0)
		return -errno;
	path[len] = '\0';
	last = strrchr(path, '/');
	last = last ? last + 1 : path;
	if (strlen(last) >= size)
		return -ENAMETOOLONG;
	memcpy(name, last, strlen(last) + 1);
	return 0;
}

/* Return the metadata of cgroup CGROUP_ID; a cgroup first seen here (a
 * container that started before enclaved) is resolved through cgroupfs. */
struct container_meta *container_table_lookup(struct container_table *table, uint64_t cgroup_id)
{
	struct container_meta key = { .cgroup_id = cgroup_id };
	struct container_meta **slot = tfind(&key, &table->root, compare_meta);
	char cgroup_name[256];
	int err;

	if (slot)
		return *slot;
	err = cgroup_name_by_id(table, cgroup_id, cgroup_name, sizeof(cgroup_name));
	if (err) {
		/* Remember the failure until the cgroup goes, so that every
		 * record of this container does not retry the system calls. */
		log_msg(LOG_DEBUG, "container: failed to resolve cgroup %llu: %s",
			(unsigned long long)cgroup_id, strerror(-err));
		cgroup_name[0] = '\0';
	}
	return container_table_add(table, cgroup_id, cgroup_name, "");
}

/* Return the metadata of cgroup CGROUP_ID, or NULL when it has none yet. */
struct container_meta *container_table_find(struct container_table *table, uint64_t cgroup_id)
{
	struct container_meta key = { .cgroup_id = cgroup_id };
	struct container_meta **slot = tfind(&key, &table->root, compare_meta);

	return slot ? *slot : NULL;
}

/* twalk(3) takes no context argument, so the walk's is kept here; the
 * daemon is single-threaded. */
static void (*walk_fn)(struct container_meta *meta, void *ctx);
static void *walk_ctx;

static void walk_node(const void *node, VISIT which, int depth)
{
	(void)depth;
	if (which == postorder || which == leaf)
		walk_fn(*(struct container_meta *const *)node, walk_ctx);
}

/* Call fn for every container; fn must not add or remove containers. */
void container_table_for_each(struct container_table *table,
			      void (*fn)(struct container_meta *meta, void *ctx), void *ctx)
{
	walk_fn = fn;
	walk_ctx = ctx;
	twalk(table->root, walk_node);
	walk_fn = NULL;
	walk_ctx = NULL;
}

void container_table_remove(struct container_table *table, uint64_t cgroup_id)
{
	struct container_meta key = { .cgroup_id = cgroup_id };
	struct container_meta **slot = tfind(&key, &table->root, compare_meta);
	struct container_meta *meta;

	if (!slot)
		return;
	meta = *slot;
	tdelete(&key, &table->root, compare_meta);
	free(meta->annotations);
	free(meta);
	table->count--;
}

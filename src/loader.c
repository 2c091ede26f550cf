/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The BPF side's lifecycle: open the skeleton, set its read-only data and
 * map sizes, load, fill the maps, attach each program, and read the ring
 * buffer. Nothing is pinned, so everything is detached when enclaved exits.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "enclave.skel.h"
#include "loader.h"
#include "log.h"

#define LOADER_MAX_LINKS 64

struct loader {
	struct enclave_bpf *skel;
	struct ring_buffer *ringbuf;
	struct bpf_link *links[LOADER_MAX_LINKS];
	size_t n_links;
	loader_record_fn on_record;
	void *ctx;
};

/* The program that libbpf last named in a warning: libbpf's load call
 * returns only an errno, and this is how the failed program is named. */
static char last_program[64];

static int print_libbpf(enum libbpf_print_level level, const char *format, va_list args)
{
	static bool in_verifier_log;
	char line[1024];
	const char *name;
	int priority;
	size_t len;

	vsnprintf(line, sizeof(line), format, args);
	len = strlen(line);
	if (len > 0 && line[len - 1] == '\n')
		line[len - 1] = '\0';

	name = strstr(line, "prog '");
	if (level == LIBBPF_WARN && name) {
		name += strlen("prog '");
		len = strcspn(name, "'");
		if (len >= sizeof(last_program))
			len = sizeof(last_program) - 1;
		memcpy(last_program, name, len);
		last_program[len] = '\0';
	}
	/* Warnings (CO-RE relocations, attach failures) show at the default
	 * level; the verifier log between its markers only at debug. */
	if (strstr(line, "-- BEGIN PROG LOAD LOG --"))
		in_verifier_log = true;
	priority = level == LIBBPF_WARN && !in_verifier_log ? LOG_WARNING : LOG_DEBUG;
	if (strstr(line, "-- END PROG LOAD LOG --"))
		in_verifier_log = false;
	log_msg(priority, "libbpf: %s", line);
	return 0;
}

/* Describe the first line of PATH for a message: "reads 'LINE'", or why it
 * cannot be read. */
static void describe_file(const char *path, char *buf, size_t size)
{
	char line[256];
	FILE *file = fopen(path, "re");

	if (!file) {
		snprintf(buf, size, "cannot be read: %s", strerror(errno));
		return;
	}
	if (!fgets(line, sizeof(line), file))
		line[0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	fclose(file);
	snprintf(buf, size, "reads '%s'", line);
}

/* Describe the lsm= parameter of the kernel command line for a message. */
static void describe_lsm_parameter(char *buf, size_t size)
{
	char cmdline[4096] = "";
	FILE *file = fopen("/proc/cmdline", "re");
	const char *lsm;

	if (file) {
		if (!fgets(cmdline, sizeof(cmdline), file))
			cmdline[0] = '\0';
		fclose(file);
	}
	lsm = strstr(cmdline, "lsm=");
	while (lsm && lsm != cmdline && lsm[-1] != ' ')
		lsm = strstr(lsm + 1, "lsm=");
	if (!lsm) {
		snprintf(buf, size, "has no lsm= parameter");
		return;
	}
	snprintf(buf, size, "has %.*s", (int)strcspn(lsm, " \n"), lsm);
}

static void report_load_failure(const struct enclave_bpf *skel, int err)
{
	const char *name = last_program[0] ? last_program : "(unknown)";
	struct bpf_program *prog;
	char lsm[256], lockdown[256], cmdline[256];

	prog = bpf_object__find_program_by_name(skel->obj, name);
	if (!prog || bpf_program__type(prog) != BPF_PROG_TYPE_LSM) {
		log_msg(LOG_ERR,
			"bpf: failed to load program '%s': %s (errno %d); set log_level = debug for libbpf's log",
			name, strerror(-err), -err);
		return;
	}

	describe_file("/sys/kernel/security/lsm", lsm, sizeof(lsm));
	describe_file("/sys/kernel/security/lockdown", lockdown, sizeof(lockdown));
	describe_lsm_parameter(cmdline, sizeof(cmdline));
	log_msg(LOG_ERR,
		"bpf: failed to load LSM program '%s': %s (errno %d); this kernel does not allow BPF LSM programs. Check that /sys/kernel/security/lsm lists bpf (it %s), that the boot command line ends its lsm= list with bpf, e.g. lsm=lockdown,capability,landlock,yama,bpf (it %s), and that kernel lockdown does not forbid BPF (/sys/kernel/security/lockdown %s)",
		name, strerror(-err), -err, lsm, cmdline, lockdown);
}

/* Inode number of the host's mount namespace: that of PID 1, which is the
 * host's even when enclaved runs in a private one (systemd's ProtectSystem).
 * Where PID 1 cannot be inspected, enclaved's own namespace is taken. */
static int host_mount_namespace(__u64 *inode)
{
	struct stat st;
	int err;

	if (stat("/proc/1/ns/mnt", &st) == 0) {
		*inode = st.st_ino;
		return 0;
	}
	log_msg(LOG_WARNING, "bpf: failed to stat '/proc/1/ns/mnt': %s; taking enclaved's own mount namespace as the host's, which is wrong if enclaved runs in a private one (systemd's PrivateTmp=, ProtectSystem= or ProtectProc=invisible)",
		strerror(errno));
	if (stat("/proc/self/ns/mnt", &st) == 0) {
		*inode = st.st_ino;
		return 0;
	}
	err = -errno;
	log_msg(LOG_ERR, "bpf: failed to stat '/proc/self/ns/mnt': %s", strerror(-err));
	return err;
}

static int fill_runtimes(struct enclave_bpf *skel, const struct config *config)
{
	__u8 one = 1;

	for (size_t i = 0; i < config->n_runtimes; i++) {
		struct enclave_runtime_key key = {};

		memcpy(key.comm, config->runtimes[i], sizeof(key.comm));
		if (bpf_map__update_elem(skel->maps.runtimes, &key, sizeof(key), &one,
					 sizeof(one), BPF_ANY)) {
			int err = -errno;

			log_msg(LOG_ERR, "bpf: failed to add runtime '%s' to map 'runtimes': %s",
				config->runtimes[i], strerror(-err));
			return err;
		}
	}
	return 0;
}

static int update_elem(struct bpf_map *map, const void *key, size_t key_size,
		       const void *value, size_t value_size, const char *what)
{
	if (bpf_map__update_elem(map, key, key_size, value, value_size, BPF_ANY)) {
		int err = -errno;

		log_msg(LOG_ERR, "bpf: failed to update %s in map '%s': %s", what,
			bpf_map__name(map), strerror(-err));
		return err;
	}
	return 0;
}

static bool key_listed(const void *key, size_t key_size, const void *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(key, (const char *)keys + i * key_size, key_size) == 0)
			return true;
	return false;
}

/* Delete the keys of a map that are not in keys[n]. */
static int delete_unlisted(struct bpf_map *map, size_t key_size, const void *keys, size_t n)
{
	char key[ENCLAVE_PATH_LEN], next[ENCLAVE_PATH_LEN];
	bool first = true;
	int err = 0;

	if (key_size > sizeof(key))
		return -EINVAL;
	/* Deleting the current key would restart the walk, so each key is
	 * deleted after its successor has been read. */
	while (bpf_map__get_next_key(map, first ? NULL : key, next, key_size) == 0) {
		if (!first && !key_listed(key, key_size, keys, n) &&
		    bpf_map__delete_elem(map, key, key_size, 0) && errno != ENOENT)
			err = -errno;
		memcpy(key, next, key_size);
		first = false;
	}
	if (!first && !key_listed(key, key_size, keys, n) &&
	    bpf_map__delete_elem(map, key, key_size, 0) && errno != ENOENT)
		err = -errno;
	if (err)
		log_msg(LOG_ERR, "bpf: failed to delete from map '%s': %s", bpf_map__name(map),
			strerror(-err));
	return err;
}

/*
 * Write the shapes of the path rules keys. The programs look up only the
 * prefixes that a shape lists. With widen set, the map keeps the shapes it
 * has as well, so between the two writes it lists both the old rules and
 * the new ones, and no rule in the map is skipped at any moment.
 */
static int write_path_shapes(struct bpf_map *map, const struct enclave_path_shape *shapes,
			     bool widen)
{
	for (__u32 len = 0; len < ENCLAVE_PATH_LEN; len++) {
		struct enclave_path_shape shape = shapes[len];
		struct enclave_path_shape current;

		if (widen && bpf_map__lookup_elem(map, &len, sizeof(len), &current,
						  sizeof(current), 0) == 0) {
			for (size_t i = 0; i < 4; i++)
				shape.last_byte[i] |= current.last_byte[i];
		}
		if (bpf_map__update_elem(map, &len, sizeof(len), &shape, sizeof(shape), 0)) {
			int err = -errno;

			log_msg(LOG_ERR, "bpf: failed to update map '%s' at %u: %s",
				bpf_map__name(map), len, strerror(-err));
			return err;
		}
	}
	return 0;
}

/*
 * Write the path rules, mount types and settings. New and changed entries
 * go in before stale ones are deleted, so that no rule present in both the
 * old and the new tables is ever missing from the kernel's view.
 */
int loader_apply_tables(struct loader *loader, const struct loader_tables *tables)
{
	struct enclave_bpf *skel = loader->skel;
	__u32 zero = 0;
	int err;

	err = write_path_shapes(skel->maps.path_rule_shapes, tables->path_shapes, true);
	if (err)
		return err;
	for (size_t i = 0; i < tables->n_path_rules; i++) {
		err = update_elem(skel->maps.path_rules, &tables->path_keys[i],
				  sizeof(tables->path_keys[i]), &tables->path_rules[i],
				  sizeof(tables->path_rules[i]), tables->path_keys[i].path);
		if (err)
			return err;
	}
	for (size_t i = 0; i < tables->n_fstypes; i++) {
		err = update_elem(skel->maps.fstypes, &tables->fstype_keys[i],
				  sizeof(tables->fstype_keys[i]), &tables->fstype_levels[i],
				  sizeof(tables->fstype_levels[i]), tables->fstype_keys[i].name);
		if (err)
			return err;
	}
	err = delete_unlisted(skel->maps.path_rules, sizeof(struct enclave_path_key),
			      tables->path_keys, tables->n_path_rules);
	if (err)
		return err;
	err = write_path_shapes(skel->maps.path_rule_shapes, tables->path_shapes, false);
	if (err)
		return err;
	err = update_elem(skel->maps.settings, &zero, sizeof(zero), &tables->settings,
			  sizeof(tables->settings), "the settings");
	if (err)
		return err;
	return delete_unlisted(skel->maps.fstypes, sizeof(struct enclave_fstype_key),
			       tables->fstype_keys, tables->n_fstypes);
}

/* Write a container's policy; with must_exist, only over an entry that the
 * kernel still has, so a container that is gone does not come back. */
int loader_set_policy(struct loader *loader, uint64_t cgroup_id,
		      const struct enclave_policy *policy, bool must_exist)
{
	if (bpf_map__update_elem(loader->skel->maps.policies, &cgroup_id, sizeof(cgroup_id),
				 policy, sizeof(*policy), must_exist ? BPF_EXIST : BPF_ANY))
		return -errno;
	return 0;
}

int loader_get_policy(struct loader *loader, uint64_t cgroup_id, struct enclave_policy *policy)
{
	if (bpf_map__lookup_elem(loader->skel->maps.policies, &cgroup_id, sizeof(cgroup_id),
				 policy, sizeof(*policy), 0))
		return -errno;
	return 0;
}

int loader_get_container(struct loader *loader, uint64_t cgroup_id,
			 struct enclave_container *container)
{
	if (bpf_map__lookup_elem(loader->skel->maps.containers, &cgroup_id, sizeof(cgroup_id),
				 container, sizeof(*container), 0))
		return -errno;
	return 0;
}

/* Add a container found at start-up; -EEXIST when the kernel has it. */
int loader_add_container(struct loader *loader, uint64_t cgroup_id,
			 const struct enclave_container *container)
{
	if (bpf_map__update_elem(loader->skel->maps.containers, &cgroup_id, sizeof(cgroup_id),
				 container, sizeof(*container), BPF_NOEXIST))
		return -errno;
	return 0;
}

/* Call fn for every container's own cgroup id in the policies map. */
int loader_for_each_policy(struct loader *loader,
			   void (*fn)(void *ctx, uint64_t cgroup_id,
				      const struct enclave_policy *policy),
			   void *ctx)
{
	struct bpf_map *map = loader->skel->maps.policies;
	uint64_t ids[256];
	uint64_t key, next;
	bool first = true;

	/* Collect first, because fn may update entries. */
	for (;;) {
		size_t n = 0;

		while (n < sizeof(ids) / sizeof(ids[0]) &&
		       bpf_map__get_next_key(map, first ? NULL : &key, &next, sizeof(next)) == 0) {
			ids[n++] = next;
			key = next;
			first = false;
		}
		for (size_t i = 0; i < n; i++) {
			struct enclave_policy policy;

			if (loader_get_policy(loader, ids[i], &policy) == 0)
				fn(ctx, ids[i], &policy);
		}
		if (n < sizeof(ids) / sizeof(ids[0]))
			return 0;
	}
}

static int attach_all(struct loader *loader)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, loader->skel->obj) {
		struct bpf_link *link;

		if (!bpf_program__autoload(prog))
			continue;
		if (loader->n_links == LOADER_MAX_LINKS) {
			log_msg(LOG_ERR, "bpf: failed to attach program '%s': more than %d programs",
				bpf_program__name(prog), LOADER_MAX_LINKS);
			return -E2BIG;
		}
		link = bpf_program__attach(prog);
		if (!link) {
			int err = -errno;

			log_msg(LOG_ERR, "bpf: failed to attach program '%s': %s",
				bpf_program__name(prog), strerror(-err));
			return err;
		}
		loader->links[loader->n_links++] = link;
	}
	return 0;
}

/*
 * Skip the LSM programs whose hook this kernel lacks, so that the others
 * still load. The path hooks need CONFIG_SECURITY_PATH, and userns_create
 * came with Linux 6.1. Each skipped hook is logged as not enforced.
 */
static int skip_missing_hooks(struct enclave_bpf *skel)
{
	struct bpf_program *prog;
	struct btf *vmlinux;
	int err;

	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		err = -errno;
		log_msg(LOG_ERR, "bpf: failed to read the kernel's BTF: %s", strerror(-err));
		return err;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		const char *section = bpf_program__section_name(prog);
		char func[128];

		if (strncmp(section, "lsm/", 4) != 0)
			continue;
		snprintf(func, sizeof(func), "bpf_lsm_%s", section + 4);
		if (btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC) >= 0)
			continue;
		bpf_program__set_autoload(prog, false);
		log_msg(LOG_WARNING, "bpf: this kernel has no LSM hook '%s'; it is not enforced",
			section + 4);
	}
	btf__free(vmlinux);
	return 0;
}

static int handle_sample(void *ctx, void *data, size_t size)
{
	struct loader *loader = ctx;

	return loader->on_record(loader->ctx, data, size);
}

static int open_and_load(struct loader *loader, const struct config *config)
{
	struct enclave_bpf *skel;
	int err;

	skel = enclave_bpf__open();
	if (!skel) {
		err = -errno;
		log_msg(LOG_ERR, "bpf: failed to open the BPF object: %s", strerror(-err));
		return err;
	}
	loader->skel = skel;

	err = host_mount_namespace((__u64 *)&skel->rodata->host_mnt_ns);
	if (err)
		return err;

	/* Exec, exit and allow records wake enclaved from this fill level. */
	skel->rodata->wakeup_bytes = config->ringbuf_size / 8;
	err = bpf_map__set_max_entries(skel->maps.events, config->ringbuf_size);
	if (err) {
		log_msg(LOG_ERR, "bpf: failed to size ring buffer to %u bytes: %s",
			config->ringbuf_size, strerror(-err));
		return err;
	}

	err = skip_missing_hooks(skel);
	if (err)
		return err;

	last_program[0] = '\0';
	err = enclave_bpf__load(skel);
	if (err) {
		report_load_failure(skel, err);
		return err;
	}
	return 0;
}

/* Load, fill and attach the BPF programs and open the ring buffer. */
int loader_start(const struct config *config, const struct loader_tables *tables,
		 loader_record_fn on_record, void *ctx, struct loader **out)
{
	struct loader *loader = calloc(1, sizeof(*loader));
	int err;

	if (!loader)
		return -ENOMEM;
	loader->on_record = on_record;
	loader->ctx = ctx;
	libbpf_set_print(print_libbpf);

	err = open_and_load(loader, config);
	if (err)
		goto fail;

	err = fill_runtimes(loader->skel, config);
	if (err)
		goto fail;
	err = loader_apply_tables(loader, tables);
	if (err)
		goto fail;

	loader->ringbuf = ring_buffer__new(bpf_map__fd(loader->skel->maps.events),
					   handle_sample, loader, NULL);
	if (!loader->ringbuf) {
		err = -errno;
		log_msg(LOG_ERR, "bpf: failed to open ring buffer 'events': %s", strerror(-err));
		goto fail;
	}

	err = attach_all(loader);
	if (err)
		goto fail;

	log_msg(LOG_NOTICE, "bpf: %zu programs attached, ring buffer %u bytes",
		loader->n_links, config->ringbuf_size);
	*out = loader;
	return 0;
fail:
	loader_stop(loader);
	return err;
}

int loader_epoll_fd(const struct loader *loader)
{
	return ring_buffer__epoll_fd(loader->ringbuf);
}

/* Hand every queued record to the callback; returns the count or -errno. */
int loader_consume(struct loader *loader)
{
	return ring_buffer__consume(loader->ringbuf);
}

/* Sum the per-CPU counts of records that found the ring buffer full. */
int loader_read_lost(struct loader *loader, uint64_t total[ENCLAVE_HOOK_MAX])
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *values;

	if (ncpus <= 0)
		return ncpus < 0 ? ncpus : -EINVAL;
	values = calloc((size_t)ncpus, sizeof(*values));
	if (!values)
		return -ENOMEM;

	for (__u32 hook = 0; hook < ENCLAVE_HOOK_MAX; hook++) {
		total[hook] = 0;
		if (bpf_map__lookup_elem(loader->skel->maps.lost, &hook, sizeof(hook), values,
					 sizeof(*values) * ncpus, 0))
			continue;
		for (int cpu = 0; cpu < ncpus; cpu++)
			total[hook] += values[cpu];
	}
	free(values);
	return 0;
}

/* Detach every program, so that no new record arrives. */
void loader_detach(struct loader *loader)
{
	for (size_t i = 0; i < loader->n_links; i++)
		bpf_link__destroy(loader->links[i]);
	loader->n_links = 0;
}

/* Detach and unload everything; loader may be NULL. */
void loader_stop(struct loader *loader)
{
	if (!loader)
		return;
	loader_detach(loader);
	ring_buffer__free(loader->ringbuf);
	enclave_bpf__destroy(loader->skel);
	free(loader);
}

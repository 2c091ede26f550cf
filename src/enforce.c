/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Enforcement from user space. This file writes the policy tables into the
 * kernel's maps and resolves each container's policy when it starts and on
 * every reload. It continues the entrypoints that the kernel stopped until
 * their policy was known, and adopts containers that were running before
 * enclaved started.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "enforce.h"
#include "log.h"
#include "policy.h"
#include "record.h"
#include "runtime_state.h"

#define ENFORCE_MAX_ANNOTATIONS	256
#define ENFORCE_MAX_CGROUP_DEPTH 32	/* sub-cgroups followed at adoption */

/* ---- tables ---------------------------------------------------------------- */

void enforce_tables_free(struct enforce_tables *tables)
{
	free(tables->path_keys);
	free(tables->path_rules);
	free(tables->fstype_keys);
	free(tables->fstype_levels);
	memset(tables, 0, sizeof(*tables));
}

static size_t find_key(const struct enforce_tables *tables, const char *path)
{
	for (size_t i = 0; i < tables->n_path_rules; i++)
		if (strcmp(tables->path_keys[i].path, path) == 0)
			return i;
	return SIZE_MAX;
}

/*
 * Mark every directory above a rule with the lowest level of the rules
 * below it. The kernel denies renaming such a directory at that level,
 * because the rename would move the files under the rule to paths that no
 * rule covers.
 */
static int add_rule_ancestors(struct enforce_tables *tables)
{
	size_t n_rules = tables->n_path_rules;

	for (size_t i = 0; i < n_rules; i++)
		tables->path_rules[i].below_level = ENCLAVE_LEVEL_NEVER;
	for (size_t i = 0; i < n_rules; i++) {
		const struct enclave_path_rule *rule = &tables->path_rules[i];
		uint8_t level = rule->open_level < rule->write_level ? rule->open_level :
								       rule->write_level;
		char prefix[ENCLAVE_PATH_LEN];

		if (level == ENCLAVE_LEVEL_NEVER)
			continue;
		snprintf(prefix, sizeof(prefix), "%s", tables->path_keys[i].path);
		for (char *slash = strrchr(prefix, '/'); slash && slash != prefix;
		     slash = strrchr(prefix, '/')) {
			size_t at;

			*slash = '\0';
			at = find_key(tables, prefix);
			if (at == SIZE_MAX) {
				if (tables->n_path_rules == ENCLAVE_MAX_PATH_ENTRIES)
					return -E2BIG;
				at = tables->n_path_rules++;
				memset(&tables->path_keys[at], 0, sizeof(tables->path_keys[at]));
				memcpy(tables->path_keys[at].path, prefix, strlen(prefix));
				tables->path_rules[at] = (struct enclave_path_rule){
					.open_level = ENCLAVE_LEVEL_NEVER,
					.write_level = ENCLAVE_LEVEL_NEVER,
					.below_level = ENCLAVE_LEVEL_NEVER,
				};
			}
			if (level < tables->path_rules[at].below_level)
				tables->path_rules[at].below_level = level;
		}
	}
	return 0;
}

/* Build the kernel's policy tables from a configuration. */
int enforce_tables_build(const struct config *config, struct enforce_tables *tables)
{
	struct enclave_path_key *keys;
	struct enclave_path_rule *rules;
	int err;

	memset(tables, 0, sizeof(*tables));
	err = policy_path_rules(config, &tables->path_keys, &tables->path_rules,
				&tables->n_path_rules);
	if (err)
		return err;
	/* Room for the directories above the rules. */
	keys = realloc(tables->path_keys, ENCLAVE_MAX_PATH_ENTRIES * sizeof(*keys));
	if (keys)
		tables->path_keys = keys;
	rules = realloc(tables->path_rules, ENCLAVE_MAX_PATH_ENTRIES * sizeof(*rules));
	if (rules)
		tables->path_rules = rules;
	err = !keys || !rules ? -ENOMEM : add_rule_ancestors(tables);
	if (err) {
		enforce_tables_free(tables);
		return err;
	}
	err = policy_fstypes(config, &tables->fstype_keys, &tables->fstype_levels,
			     &tables->n_fstypes);
	if (err) {
		enforce_tables_free(tables);
		return err;
	}
	policy_settings(config, &tables->view.settings);
	for (size_t i = 0; i < tables->n_path_rules; i++) {
		const char *key = tables->path_keys[i].path;
		size_t len = strnlen(key, ENCLAVE_PATH_LEN);
		unsigned char last;

		if (len == 0 || len == ENCLAVE_PATH_LEN)
			continue;
		last = (unsigned char)key[len - 1];
		tables->view.path_shapes[len].last_byte[last / 64] |= 1ULL << (last % 64);
	}
	tables->view.path_keys = tables->path_keys;
	tables->view.path_rules = tables->path_rules;
	tables->view.n_path_rules = tables->n_path_rules;
	tables->view.fstype_keys = tables->fstype_keys;
	tables->view.fstype_levels = tables->fstype_levels;
	tables->view.n_fstypes = tables->n_fstypes;
	return 0;
}

/* ---- resolution ------------------------------------------------------------ */

/* Keep a container's OCI annotations as "key\0value\0" pairs. */
static void store_annotations(struct container_meta *meta, const struct runtime_state *state)
{
	size_t size = 0, off = 0;
	char *buf;

	for (size_t i = 0; i < state->n_annotations; i++)
		size += strlen(state->annotation_keys[i]) + strlen(state->annotation_values[i]) + 2;
	buf = size ? malloc(size) : NULL;
	if (size && !buf) {
		log_msg(LOG_WARNING, "container %s: out of memory for its annotations", meta->id);
		return;
	}
	for (size_t i = 0; i < state->n_annotations; i++) {
		size_t klen = strlen(state->annotation_keys[i]) + 1;
		size_t vlen = strlen(state->annotation_values[i]) + 1;

		memcpy(buf + off, state->annotation_keys[i], klen);
		off += klen;
		memcpy(buf + off, state->annotation_values[i], vlen);
		off += vlen;
	}
	free(meta->annotations);
	meta->annotations = buf;
	meta->n_annotations = state->n_annotations;
}

/* Read what the runtime keeps of a container: annotations, image, name.
 * Returns false when no runtime has state for it. */
static bool read_runtime_state(struct enforcer *e, struct container_meta *meta)
{
	struct runtime_state state;
	int err;

	err = runtime_state_read(e->config, meta->runtime, meta->id, &state);
	if (err) {
		log_msg(LOG_INFO, "container %s: no runtime state found (%s); rules on annotations and image do not match it",
			meta->id, strerror(-err));
		return false;
	}
	store_annotations(meta, &state);
	if (state.image && !meta->image[0])
		snprintf(meta->image, sizeof(meta->image), "%s", state.image);
	if (state.name && !meta->name[0])
		snprintf(meta->name, sizeof(meta->name), "%s", state.name);
	runtime_state_free(&state);
	container_meta_link(meta);
	return true;
}

static void log_ignored(const struct container_meta *meta, unsigned int ignored)
{
	if (ignored & POLICY_IGNORED_RELAX_LEVEL)
		log_msg(LOG_WARNING, "container %s: annotation %s would lower its policy; ignored",
			meta->id, POLICY_ANNOTATION_LEVEL);
	if (ignored & POLICY_IGNORED_RELAX_MODE)
		log_msg(LOG_WARNING, "container %s: annotation %s would switch it to audit; ignored",
			meta->id, POLICY_ANNOTATION_MODE);
	if (ignored & POLICY_IGNORED_INVALID_LEVEL)
		log_msg(LOG_WARNING, "container %s: annotation %s is not privileged, baseline or restricted; ignored",
			meta->id, POLICY_ANNOTATION_LEVEL);
	if (ignored & POLICY_IGNORED_INVALID_MODE)
		log_msg(LOG_WARNING, "container %s: annotation %s is not enforce or audit; ignored",
			meta->id, POLICY_ANNOTATION_MODE);
}

/* Choose the policy of a container from the configuration and its metadata. */
static struct enclave_policy resolve(struct enforcer *e, struct container_meta *meta)
{
	const char *keys[ENFORCE_MAX_ANNOTATIONS], *values[ENFORCE_MAX_ANNOTATIONS];
	struct container_attrs attrs = {
		.id = meta->id,
		.name = meta->name,
		.image = meta->image,
		.runtime = meta->runtime,
		.annotation_keys = keys,
		.annotation_values = values,
	};
	struct enclave_policy policy = {0};
	struct policy_choice choice;
	const char *next = meta->annotations;

	for (size_t i = 0; i < meta->n_annotations && i < ENFORCE_MAX_ANNOTATIONS; i++) {
		keys[i] = next;
		next += strlen(next) + 1;
		values[i] = next;
		next += strlen(next) + 1;
		attrs.n_annotations++;
	}
	policy_resolve(e->config, &attrs, &choice);
	log_ignored(meta, choice.ignored);

	snprintf(meta->rule, sizeof(meta->rule), "%s", choice.rule ? choice.rule : "");
	meta->view.level = choice.level;
	meta->view.mode = choice.mode;
	meta->policy_known = true;
	container_meta_link(meta);

	policy.level = choice.level;
	policy.mode = choice.mode;
	return policy;
}

/* Write the policy into the kernel; false when the container is gone. */
static bool apply(struct enforcer *e, struct container_meta *meta, bool must_exist)
{
	struct enclave_policy policy = resolve(e, meta);
	int err = loader_set_policy(e->loader, meta->cgroup_id, &policy, must_exist);

	if (err == -ENOENT)
		return false;
	if (err) {
		log_msg(LOG_ERR, "container %s: failed to write its policy: %s; it stays restricted and enforced",
			meta->id, strerror(-err));
		return false;
	}
	return true;
}

/* Continue an entrypoint that the kernel stopped until its policy was known. */
static void resume(const struct container_meta *meta, uint32_t pid)
{
	if (pid == 0 || kill((pid_t)pid, SIGCONT) == 0)
		return;
	if (errno != ESRCH)
		log_msg(LOG_ERR, "container %s: failed to continue its entrypoint (PID %u): %s",
			meta->id, pid, strerror(errno));
}

/* Resolve and apply the policy of a container that the kernel registered. */
void enforce_container_started(struct enforcer *e, struct container_meta *meta,
			       const struct enclave_rec_container *rec)
{
	bool applied;

	read_runtime_state(e, meta);
	applied = apply(e, meta, true);
	if (rec->policy_flags & ENCLAVE_POLICY_PENDING)
		resume(meta, rec->proc.pid);
	if (applied)
		log_msg(LOG_INFO, "container %s: policy %s, %s (%s)", meta->id,
			config_level_name(meta->view.level), config_mode_name(meta->view.mode),
			meta->rule[0] ? meta->rule : "default");
}

/*
 * A container whose start record was lost to a full ring buffer is still
 * pending: its entrypoint waits. Resolve such containers from the kernel's
 * maps. Called periodically and after every loss report.
 */
static void resume_one(void *ctx, uint64_t cgroup_id, const struct enclave_policy *policy)
{
	struct enforcer *e = ctx;
	struct enclave_container container;
	struct container_meta *meta;

	if (!(policy->flags & ENCLAVE_POLICY_PENDING))
		return;
	if (loader_get_container(e->loader, cgroup_id, &container))
		return;
	meta = container_table_lookup(e->containers, cgroup_id);
	if (!meta)
		return;
	if (!meta->runtime[0]) {
		snprintf(meta->runtime, sizeof(meta->runtime), "%.*s",
			 (int)strnlen(container.runtime, sizeof(container.runtime)),
			 container.runtime);
		container_meta_link(meta);
	}
	read_runtime_state(e, meta);
	if (apply(e, meta, true))
		log_msg(LOG_WARNING, "container %s: resolved its policy late, its start record was lost",
			meta->id);
	resume(meta, container.init_tgid);
}

void enforce_resume_pending(struct enforcer *e)
{
	loader_for_each_policy(e->loader, resume_one, e);
}

/* ---- reload ---------------------------------------------------------------- */

static void reapply(struct container_meta *meta, void *ctx)
{
	struct enforcer *e = ctx;

	if (meta->policy_known)
		apply(e, meta, true);
}

/*
 * Switch to a new configuration: the tables first, then each container's
 * policy, each an atomic map update, so enforcement never pauses. The
 * caller keeps the old configuration alive until this returns.
 */
int enforce_reload(struct enforcer *e, const struct config *config)
{
	struct enforce_tables tables;
	int err;

	err = enforce_tables_build(config, &tables);
	if (err)
		return err;
	err = loader_apply_tables(e->loader, &tables.view);
	enforce_tables_free(&tables);
	if (err)
		return err;
	e->config = config;
	container_table_for_each(e->containers, reapply, e);
	return 0;
}

/* ---- adoption -------------------------------------------------------------- */

static int read_small_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t len;

	if (fd < 0)
		return -errno;
	len = read(fd, buf, size - 1);
	close(fd);
	if (len < 0)
		return -errno;
	buf[len] = '\0';
	return (int)len;
}

static int mount_ns_of(pid_t pid, ino_t *inode)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	if (stat(path, &st))
		return -errno;
	*inode = st.st_ino;
	return 0;
}

/* The cgroup v2 path of a process, from the "0::" line of /proc/PID/cgroup. */
static int cgroup_of(pid_t pid, char *path, size_t size)
{
	char file[64], buf[4096];
	const char *line;
	size_t len;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", pid);
	if (read_small_file(file, buf, sizeof(buf)) < 0)
		return -ENOENT;
	line = strstr(buf, "0::");
	if (!line || (line != buf && line[-1] != '\n'))
		return -ENOENT;
	line += 3;
	len = strcspn(line, "\n");
	if (len == 0 || len >= size)
		return -ENAMETOOLONG;
	memcpy(path, line, len);
	path[len] = '\0';
	return 0;
}

/* Read the state letter and the parent of a process from /proc/PID/stat. */
static pid_t parent_of(pid_t pid, char *state)
{
	char file[64], buf[1024];
	const char *end;
	int ppid;

	snprintf(file, sizeof(file), "/proc/%d/stat", pid);
	if (read_small_file(file, buf, sizeof(buf)) < 0)
		return -1;
	/* The comm field may contain spaces and parentheses: skip to the last ')'. */
	end = strrchr(buf, ')');
	if (!end || sscanf(end + 1, " %c %d", state, &ppid) != 2)
		return -1;
	return ppid;
}

/* Register CGROUP and every cgroup below it, as cgroup_mkdir would have. */
static void add_cgroup_tree(struct enforcer *e, int dirfd, uint64_t cgroup_id,
			    const struct enclave_container *container, int depth)
{
	struct dirent *entry;
	DIR *dir;
	int err = loader_add_container(e->loader, cgroup_id, container);

	if (err && err != -EEXIST)
		log_msg(LOG_WARNING, "container: failed to register cgroup %llu: %s",
			(unsigned long long)cgroup_id, strerror(-err));
	if (depth >= ENFORCE_MAX_CGROUP_DEPTH)
		return;
	dir = fdopendir(dirfd);
	if (!dir) {
		close(dirfd);
		return;
	}
	while ((entry = readdir(dir))) {
		struct stat st;
		int child;

		if (entry->d_type != DT_DIR || entry->d_name[0] == '.')
			continue;
		child = openat(dirfd, entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (child < 0)
			continue;
		if (fstat(child, &st)) {
			close(child);
			continue;
		}
		add_cgroup_tree(e, child, st.st_ino, container, depth + 1);
	}
	closedir(dir);
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Fill the process part of a start record from /proc. */
static void describe_process(pid_t pid, pid_t ppid, uint64_t cgroup_id, struct enclave_proc *proc)
{
	char path[64], buf[4096];
	const char *uid;
	ssize_t len;

	proc->cgroup_id = cgroup_id;
	proc->pid = proc->tid = (uint32_t)pid;
	proc->ppid = (uint32_t)ppid;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (read_small_file(path, buf, sizeof(buf)) > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(proc->comm, sizeof(proc->comm), "%.*s", (int)sizeof(proc->comm) - 1, buf);
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	len = readlink(path, proc->exe, sizeof(proc->exe) - 1);
	proc->exe[len > 0 ? len : 0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_small_file(path, buf, sizeof(buf)) > 0 && (uid = strstr(buf, "\nUid:")))
		proc->uid = (uint32_t)strtoul(uid + 5, NULL, 10);
}

/*
 * Adopt the container whose top process is PID, in cgroup PATH: its policy
 * goes into the kernel before its cgroups do, so that no moment passes in
 * which the kernel has the container but not its policy.
 */
static bool adopt(struct enforcer *e, pid_t pid, pid_t ppid, char state, const char *path)
{
	struct enclave_rec_container rec = {0};
	struct enclave_container container = {0};
	struct container_meta *meta;
	char full[4200];
	const char *leaf;
	struct stat st;
	int fd;

	snprintf(full, sizeof(full), "/sys/fs/cgroup%s", path);
	fd = open(full, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) || loader_get_container(e->loader, st.st_ino, &container) == 0) {
		close(fd);
		return false;
	}
	leaf = strrchr(path, '/');
	leaf = leaf ? leaf + 1 : path;

	rec.hdr.type = ENCLAVE_REC_CONTAINER_START;
	rec.hdr.size = sizeof(rec);
	rec.hdr.time_ns = boottime_ns();
	describe_process(pid, ppid, st.st_ino, &rec.proc);
	rec.flags = ENCLAVE_CONTAINER_ADOPTED;
	snprintf(rec.cgroup_name, sizeof(rec.cgroup_name), "%.*s",
		 (int)sizeof(rec.cgroup_name) - 1, leaf);

	/* A service with a private mount namespace (systemd's PrivateTmp=)
	 * looks the same from /proc: only a runtime's state makes it a
	 * container. */
	meta = container_table_add(e->containers, st.st_ino, leaf, "");
	if (!meta || !read_runtime_state(e, meta)) {
		if (meta)
			container_table_remove(e->containers, st.st_ino);
		close(fd);
		return false;
	}
	meta->view.adopted = true;
	if (!apply(e, meta, false)) {
		close(fd);
		return false;
	}

	container.cgroup_id = st.st_ino;
	container.start_ns = rec.hdr.time_ns;
	container.init_tgid = (uint32_t)pid;
	container.flags = ENCLAVE_CONTAINER_ADOPTED;
	add_cgroup_tree(e, fd, st.st_ino, &container, 0);

	log_msg(LOG_NOTICE, "container %s: adopted (PID %d), policy %s, %s", meta->id, pid,
		config_level_name(meta->view.level), config_mode_name(meta->view.mode));
	/* An entrypoint that an earlier enclaved stopped, and that was never
	 * continued because that daemon ended first, waits for this one.
	 * Runtimes pause containers with the cgroup freezer, not with stop
	 * signals, so a stopped top process is taken to be such an entrypoint. */
	if (state == 'T') {
		log_msg(LOG_NOTICE, "container %s: continuing its stopped entrypoint (PID %d)",
			meta->id, pid);
		resume(meta, (uint32_t)pid);
	}
	e->emit(e->emit_ctx, &rec, sizeof(rec));
	return true;
}

/*
 * Find containers that were running before enclaved started. The top process
 * of a container is in a mount namespace other than the host's. Its parent
 * (the runtime, a shim such as conmon, or PID 1 after a detach) is in the
 * host's, and it has a cgroup of its own below the root.
 */
int enforce_adopt(struct enforcer *e)
{
	struct dirent *entry;
	ino_t host_ns = 0;
	DIR *proc;
	int adopted = 0;

	int err = mount_ns_of(1, &host_ns);

	if (err)
		return err;
	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((entry = readdir(proc))) {
		char path[4096], parent_path[4096];
		ino_t ns = 0, parent_ns = 0;
		pid_t pid, ppid;
		char state = '?';

		if (!isdigit((unsigned char)entry->d_name[0]))
			continue;
		pid = (pid_t)strtol(entry->d_name, NULL, 10);
		if (pid <= 1 || mount_ns_of(pid, &ns) || ns == host_ns)
			continue;
		ppid = parent_of(pid, &state);
		if (ppid <= 0 || mount_ns_of(ppid, &parent_ns) || parent_ns != host_ns)
			continue;
		if (cgroup_of(pid, path, sizeof(path)) || strcmp(path, "/") == 0)
			continue;
		if (cgroup_of(ppid, parent_path, sizeof(parent_path)) == 0 &&
		    strcmp(path, parent_path) == 0)
			continue;
		if (adopt(e, pid, ppid, state, path))
			adopted++;
	}
	closedir(proc);
	return adopted;
}

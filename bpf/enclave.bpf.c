// SPDX-License-Identifier: GPL-2.0-only
/*
 * enclave's kernel side: container tracking and the LSM hooks.
 *
 * A container is a cgroup v2 subtree. It is registered in the containers map
 * when a container runtime's init execs the entrypoint, before the entrypoint
 * runs its first instruction. Every hook finds the container of the current
 * task by its cgroup id or the id of an ancestor. A task whose cgroup has no
 * registered ancestor is a host task and is never denied.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "enclave.h"

#define EPERM 1
#define EEXIST 17

char LICENSE[] SEC("license") = "GPL";

/* Inode number of the host's mount namespace, set by enclaved before load. */
const volatile __u64 host_mnt_ns;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);	/* enclaved sets ringbuf_size */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct enclave_container);
} containers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ENCLAVE_MAX_RUNTIMES);
	__type(key, struct enclave_runtime_key);
	__type(value, __u8);
} runtimes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct enclave_settings);
} settings SEC(".maps");

/* Records that found the ring buffer full, per CPU and per hook. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ENCLAVE_HOOK_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct enclave_task);
} tasks SEC(".maps");

static __always_inline void count_lost(__u32 hook)
{
	__u64 *count = bpf_map_lookup_elem(&lost, &hook);

	/* Programs on one CPU can preempt each other, so the add is atomic. */
	if (count)
		__sync_fetch_and_add(count, 1);
}

/* Reserve a record and fill its header; a full buffer is counted. */
static __always_inline void *reserve(__u32 size, __u16 type, __u32 hook)
{
	struct enclave_hdr *hdr = bpf_ringbuf_reserve(&events, size, 0);

	if (!hdr) {
		count_lost(hook);
		return NULL;
	}
	/* Ring buffer memory contains earlier records: clear padding and the
	 * tails of strings so that no record carries another's bytes. */
	__builtin_memset(hdr, 0, size);
	hdr->type = type;
	hdr->size = size;
	hdr->cpu = bpf_get_smp_processor_id();
	hdr->time_ns = bpf_ktime_get_boot_ns();
	return hdr;
}

static __always_inline bool in_host_mount_ns(struct task_struct *task)
{
	return BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum) == host_mnt_ns;
}

/*
 * Return the container of the current task: its own cgroup or the nearest
 * registered ancestor, so that sub-cgroups made inside a container count.
 * A task in the host's mount namespace is never in a container, even in a
 * container's cgroup: that happens when a runtime runs a container without
 * a cgroup of its own (podman --cgroups=disabled), whose cgroup host
 * processes then share.
 */
static __always_inline struct enclave_container *current_container(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct enclave_container *container;
	__u64 id = bpf_get_current_cgroup_id();
	int level;

	if (in_host_mount_ns(task))
		return NULL;

	container = bpf_map_lookup_elem(&containers, &id);
	if (container)
		return container;

	level = BPF_CORE_READ(task, cgroups, dfl_cgrp, level);
	for (int up = 1; up < ENCLAVE_MAX_CGROUP_DEPTH; up++) {
		if (level - up < 1)
			break;
		id = bpf_get_current_ancestor_cgroup_id(level - up);
		container = bpf_map_lookup_elem(&containers, &id);
		if (container)
			return container;
	}
	return NULL;
}

static __always_inline void fill_proc(struct enclave_proc *proc, __u64 cgroup_id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct enclave_task *info;
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	proc->cgroup_id = cgroup_id;
	proc->pid = pid_tgid >> 32;
	proc->tid = (__u32)pid_tgid;
	proc->ppid = BPF_CORE_READ(task, real_parent, tgid);
	proc->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(proc->comm, sizeof(proc->comm));

	info = bpf_task_storage_get(&tasks, task, 0, 0);
	if (info)
		__builtin_memcpy(proc->exe, info->exe, sizeof(proc->exe));
	else
		proc->exe[0] = '\0';
}

/*
 * Record a decision and return the errno for the hook. The verdict is taken
 * before the record is reserved, so a full ring buffer never changes it.
 */
static __always_inline int decide(struct enclave_container *container,
				  __u32 hook, __s64 arg, bool deny)
{
	struct enclave_rec_decision *rec;
	__u8 verdict = ENCLAVE_VERDICT_ALLOW;
	int error = 0;

	if (deny && container->mode == ENCLAVE_MODE_AUDIT) {
		verdict = ENCLAVE_VERDICT_AUDIT;
	} else if (deny) {
		verdict = ENCLAVE_VERDICT_DENY;
		error = -EPERM;
	} else {
		return 0;
	}

	rec = reserve(sizeof(*rec), ENCLAVE_REC_DECISION, hook);
	if (!rec)
		return error;
	fill_proc(&rec->proc, container->cgroup_id);
	rec->arg = arg;
	rec->error = -error;
	rec->hook = hook;
	rec->verdict = verdict;
	rec->level = container->level;
	rec->mode = container->mode;
	bpf_ringbuf_submit(rec, 0);
	return error;
}

static __always_inline bool has_runtime_comm(void)
{
	struct enclave_runtime_key key = {};

	bpf_get_current_comm(key.comm, sizeof(key.comm));
	return bpf_map_lookup_elem(&runtimes, &key) != NULL;
}

static __always_inline void emit_container_start(struct enclave_container *container,
						 struct task_struct *task)
{
	struct enclave_rec_container *rec;
	const char *name;

	rec = reserve(sizeof(*rec), ENCLAVE_REC_CONTAINER_START, ENCLAVE_HOOK_NONE);
	if (!rec)
		return;
	fill_proc(&rec->proc, container->cgroup_id);
	rec->exit_code = 0;
	rec->level = container->level;
	rec->mode = container->mode;
	__builtin_memcpy(rec->runtime, container->runtime, sizeof(rec->runtime));
	name = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, name);
	bpf_probe_read_kernel_str(rec->cgroup_name, sizeof(rec->cgroup_name), name);
	bpf_ringbuf_submit(rec, 0);
}

/* Record that a container starts untracked, so that it is not silent. */
static __always_inline void report_untracked(struct task_struct *task, __u64 cgroup_id,
					     __s64 reason)
{
	struct enclave_container container = {
		.cgroup_id = cgroup_id,
		.mode = ENCLAVE_MODE_AUDIT,
	};
	struct enclave_rec_decision *rec;

	rec = reserve(sizeof(*rec), ENCLAVE_REC_DECISION, ENCLAVE_HOOK_BPRM_CHECK);
	if (!rec)
		return;
	fill_proc(&rec->proc, container.cgroup_id);
	rec->arg = reason;
	rec->hook = ENCLAVE_HOOK_BPRM_CHECK;
	rec->verdict = ENCLAVE_VERDICT_UNTRACKED;
	rec->mode = container.mode;
	bpf_ringbuf_submit(rec, 0);
}

/*
 * Register the container whose runtime init is exec'ing the entrypoint.
 * Returns 1 when it did, 0 when the task starts no container, and -EPERM
 * when the containers map is full: a container that enclave cannot track
 * does not start.
 */
static __always_inline int register_container(struct task_struct *task)
{
	struct enclave_container container = {};
	struct enclave_settings *config;
	__u32 zero = 0;
	bool host_ns;
	__u64 id;
	long err;

	if (!has_runtime_comm())
		return 0;

	/*
	 * These containers are indistinguishable from host processes, so they
	 * are reported and not registered: one that a runtime left in its
	 * parent's cgroup (podman --cgroups=disabled, or a cgroupsPath naming
	 * the caller's own cgroup), which host processes share; one without a
	 * mount namespace of its own (a PID namespace test would miss
	 * --pid=host containers, so the mount namespace is the test); and one
	 * in the root cgroup. A runtime's own hooks run in its cgroup and in
	 * the host's mount namespace, and are not reported.
	 */
	id = bpf_get_current_cgroup_id();
	host_ns = in_host_mount_ns(task);
	if (BPF_CORE_READ(task, real_parent, cgroups, dfl_cgrp, kn, id) == id) {
		if (!host_ns)
			report_untracked(task, id, ENCLAVE_UNTRACKED_SHARED_CGROUP);
		return 0;
	}
	if (host_ns) {
		report_untracked(task, id, ENCLAVE_UNTRACKED_HOST_MOUNT_NS);
		return 0;
	}
	if (BPF_CORE_READ(task, cgroups, dfl_cgrp, level) < 1) {
		report_untracked(task, id, ENCLAVE_UNTRACKED_ROOT_CGROUP);
		return 0;
	}

	config = bpf_map_lookup_elem(&settings, &zero);
	container.cgroup_id = id;
	container.start_ns = bpf_ktime_get_boot_ns();
	container.init_tgid = bpf_get_current_pid_tgid() >> 32;
	container.level = config ? config->default_level : ENCLAVE_LEVEL_RESTRICTED;
	container.mode = config ? config->default_mode : ENCLAVE_MODE_ENFORCE;
	bpf_get_current_comm(container.runtime, sizeof(container.runtime));

	err = bpf_map_update_elem(&containers, &id, &container, BPF_NOEXIST);
	if (err == -EEXIST)	/* another init of this container won the race */
		return 1;
	if (err) {
		container.mode = ENCLAVE_MODE_ENFORCE;
		return decide(&container, ENCLAVE_HOOK_BPRM_CHECK, 0, true);
	}
	emit_container_start(&container, task);
	return 1;
}

/*
 * Note the file being exec'd, resolved by bpf_d_path() as /proc/PID/exe
 * would show it; for a script, the last call names its interpreter. The
 * path becomes the task's executable when the exec commits.
 */
static __always_inline void note_exec_file(struct task_struct *task,
					   struct linux_binprm *bprm)
{
	struct enclave_task *info;
	struct path *path;

	info = bpf_task_storage_get(&tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!info)
		return;
	path = (struct path *)&bprm->file->f_path;
	if (bpf_d_path(path, info->exe_pending, sizeof(info->exe_pending)) < 0)
		bpf_probe_read_kernel_str(info->exe_pending, sizeof(info->exe_pending),
					  bprm->filename);
}

/* Registers new containers and notes what container tasks exec. */
SEC("lsm/bprm_check_security")
int BPF_PROG(lsm_bprm_check_security, struct linux_binprm *bprm, int ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	int registered;

	if (ret)
		return ret;
	if (!current_container()) {
		registered = register_container(task);
		if (registered <= 0)
			return registered;
	}
	note_exec_file(task, bprm);
	return 0;
}

/* Fails closed: the level, not a missing entry, decides inside a container. */
SEC("lsm/syslog")
int BPF_PROG(lsm_syslog, int type, int ret)
{
	struct enclave_container *container;

	if (ret)
		return ret;
	container = current_container();
	if (!container)
		return 0;
	return decide(container, ENCLAVE_HOOK_SYSLOG, type,
		      container->level >= ENCLAVE_LEVEL_BASELINE);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(tp_sched_process_exec, struct task_struct *task, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	struct enclave_container *container = current_container();
	struct enclave_rec_exec *rec;
	struct enclave_task *info;

	if (!container)
		return 0;

	info = bpf_task_storage_get(&tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (info && info->exe_pending[0]) {
		__builtin_memcpy(info->exe, info->exe_pending, sizeof(info->exe));
		info->exe_pending[0] = '\0';
	} else if (info) {
		bpf_probe_read_kernel_str(info->exe, sizeof(info->exe), bprm->filename);
	}

	rec = reserve(sizeof(*rec), ENCLAVE_REC_PROCESS_EXEC, ENCLAVE_HOOK_NONE);
	if (!rec)
		return 0;
	fill_proc(&rec->proc, container->cgroup_id);
	rec->old_tid = old_pid;
	rec->pad = 0;
	bpf_ringbuf_submit(rec, 0);
	return 0;
}

/* Children inherit the executable of their parent until they exec. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(tp_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	struct enclave_task *from, *to;

	from = bpf_task_storage_get(&tasks, parent, 0, 0);
	if (!from)
		return 0;
	to = bpf_task_storage_get(&tasks, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (to)
		__builtin_memcpy(to->exe, from->exe, sizeof(to->exe));
	return 0;
}

static __always_inline void emit_container_stop(struct enclave_container *container,
						int exit_code)
{
	struct enclave_rec_container *rec;

	rec = reserve(sizeof(*rec), ENCLAVE_REC_CONTAINER_STOP, ENCLAVE_HOOK_NONE);
	if (!rec)
		return;
	fill_proc(&rec->proc, container->cgroup_id);
	rec->exit_code = exit_code;
	rec->level = container->level;
	rec->mode = container->mode;
	__builtin_memcpy(rec->runtime, container->runtime, sizeof(rec->runtime));
	rec->cgroup_name[0] = '\0';
	bpf_ringbuf_submit(rec, 0);
}

/* One exit record per process, when its last thread exits. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(tp_sched_process_exit, struct task_struct *task)
{
	struct enclave_container *container;
	struct enclave_rec_exit *rec;
	int exit_code;

	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	container = current_container();
	if (!container)
		return 0;

	exit_code = BPF_CORE_READ(task, exit_code);
	rec = reserve(sizeof(*rec), ENCLAVE_REC_PROCESS_EXIT, ENCLAVE_HOOK_NONE);
	if (rec) {
		fill_proc(&rec->proc, container->cgroup_id);
		rec->exit_code = exit_code;
		rec->pad = 0;
		bpf_ringbuf_submit(rec, 0);
	}

	if (task->tgid == container->init_tgid)
		emit_container_stop(container, exit_code);
	return 0;
}

/*
 * A cgroup created below a container's belongs to that container, however
 * deep: its entry is a copy of its parent's, so a lookup never needs to
 * walk up. If the map is full, the lookup's walk over ancestors is what
 * still finds the container, up to ENCLAVE_MAX_CGROUP_DEPTH levels.
 */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(tp_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	__u64 parent_id = BPF_CORE_READ(cgrp, self.parent, cgroup, kn, id);
	__u64 id = BPF_CORE_READ(cgrp, kn, id);
	struct enclave_container *container;

	container = bpf_map_lookup_elem(&containers, &parent_id);
	if (!container)
		return 0;
	if (bpf_map_update_elem(&containers, &id, container, BPF_NOEXIST))
		count_lost(ENCLAVE_HOOK_NONE);
	return 0;
}

/* A removed cgroup can hold no task, so its entry goes with it. */
SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(tp_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	__u64 id = BPF_CORE_READ(cgrp, kn, id);
	struct enclave_container *container;
	struct enclave_rec_cgroup *rec;
	__u64 container_id;

	container = bpf_map_lookup_elem(&containers, &id);
	if (!container)
		return 0;
	container_id = container->cgroup_id;
	bpf_map_delete_elem(&containers, &id);

	rec = reserve(sizeof(*rec), ENCLAVE_REC_CGROUP_REMOVED, ENCLAVE_HOOK_NONE);
	if (!rec)
		return 0;
	rec->cgroup_id = id;
	rec->container_id = container_id;
	bpf_ringbuf_submit(rec, 0);
	return 0;
}

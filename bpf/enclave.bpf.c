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
#define SIGSTOP 19

#define AF_PACKET 17
#define SOCK_RAW 3
#define SOCK_TYPE_MASK 0xf

#define MS_REMOUNT 32
#define MS_BIND 4096
#define MS_MOVE 8192
#define MS_UNBINDABLE (1 << 17)
#define MS_PRIVATE (1 << 18)
#define MS_SLAVE (1 << 19)
#define MS_SHARED (1 << 20)
#define MS_PROPAGATION (MS_UNBINDABLE | MS_PRIVATE | MS_SLAVE | MS_SHARED)
#define MS_REC 16384
#define MS_SILENT 32768

#define FMODE_WRITE 0x2
#define S_IFMT 00170000
#define S_IFCHR 0020000
#define MINORBITS 20
#define MKDEV(ma, mi) (((ma) << MINORBITS) | (mi))

#define PTRACE_MODE_NOAUDIT 0x04

/* Magic numbers of the filesystems judged by their own paths. */
#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572
#define SECURITYFS_MAGIC 0x73636673
#define DEBUGFS_MAGIC 0x64626720
#define TRACEFS_MAGIC 0x74726163
#define EFIVARFS_MAGIC 0xde5e81e4
#define CGROUP2_SUPER_MAGIC 0x63677270
#define BPF_FS_MAGIC 0xcafe4a11

/* Steps of the walk from an object up to the root: components plus mount
 * crossings. A deeper object is denied on trees with rules. */
#define WALK_MAX_STEPS 192
/* Components kept from the top of the walk, a power of two: 255 bytes hold
 * at most 127 components, so every path that fits is kept whole. */
#define WALK_RING 128

char LICENSE[] SEC("license") = "GPL";

/* Inode number of the host's mount namespace, set by enclaved before load. */
const volatile __u64 host_mnt_ns;
/* Pending bytes in the ring buffer from which every record wakes enclaved;
 * enclaved sets an eighth of ringbuf_size. */
const volatile __u64 wakeup_bytes = 512 << 10;

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
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct enclave_policy);
} policies SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ENCLAVE_MAX_PATH_ENTRIES);
	__type(key, struct enclave_path_key);
	__type(value, struct enclave_path_rule);
} path_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ENCLAVE_PATH_LEN);
	__type(key, __u32);
	__type(value, struct enclave_path_shape);
} path_rule_shapes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, struct enclave_fstype_key);
	__type(value, __u8);
} fstypes SEC(".maps");

/* Token buckets of the allow records, per CPU and per hook. */
struct allow_bucket {
	__u64 last_ns;
	__u64 tokens;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ENCLAVE_HOOK_MAX);
	__type(key, __u32);
	__type(value, struct allow_bucket);
} allow_buckets SEC(".maps");

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

/* Set when a record went into the ring buffer without a wake-up. */
__u32 unwoken_records;

/*
 * Submit a record that no process waits for: exec, exit, container stop,
 * cgroup removal and allow records. It does not wake enclaved, because a
 * wake-up costs more than the record, and enclaved drains the buffer every
 * 100 ms anyway. Once wakeup_bytes are pending every record wakes it, so
 * that a burst does not wait for the timer.
 */
static __always_inline void submit_batched(void *rec)
{
	__u64 pending = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	if (pending >= wakeup_bytes) {
		bpf_ringbuf_submit(rec, BPF_RB_FORCE_WAKEUP);
		return;
	}
	/* Test first: a store from every CPU would bounce the cache line. */
	if (!unwoken_records)
		unwoken_records = 1;
	bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
}

/*
 * Submit a record that enclaved acts on or that operators watch for:
 * container starts (the entrypoint waits for its policy), denies, audits
 * and untracked containers. Without a flag the kernel wakes enclaved only
 * when this record is the first unread one, which an earlier batched
 * record prevents, so after one the wake-up is forced.
 */
static __always_inline void submit_urgent(void *rec)
{
	if (unwoken_records) {
		unwoken_records = 0;
		bpf_ringbuf_submit(rec, BPF_RB_FORCE_WAKEUP);
		return;
	}
	bpf_ringbuf_submit(rec, 0);
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

/* Plain loads through BTF pointers: every hook call of a host process
 * takes this test, and a helper call per field would cost more. */
static __always_inline bool in_host_mount_ns(struct task_struct *task)
{
	return task->nsproxy->mnt_ns->ns.inum == host_mnt_ns;
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
	__u64 id;
	int level;

	if (in_host_mount_ns(task))
		return NULL;

	id = bpf_get_current_cgroup_id();
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

/* The policy of a container; a missing entry fails closed. */
static __always_inline struct enclave_policy container_policy(const struct enclave_container *container)
{
	struct enclave_policy fallback = {
		.level = ENCLAVE_LEVEL_RESTRICTED,
		.mode = ENCLAVE_MODE_ENFORCE,
	};
	struct enclave_policy *policy;

	policy = bpf_map_lookup_elem(&policies, &container->cgroup_id);
	return policy ? *policy : fallback;
}

/* The object and arguments of one hook call, for the decision record. */
struct judgement {
	struct enclave_container *container;
	struct enclave_policy policy;
	struct enclave_task *task;	/* holds the path when has_path */
	const char *name;		/* kernel string: fs type, module, comm */
	__s64 arg;
	__s64 arg2;
	__u32 hook;
	__u8 object_flags;
	bool has_path;
	/* The hook may deny for a reason other than the path, so a record
	 * needs the path the task used even when the path is allowed. */
	bool names_path;
};

static __always_inline struct judgement judgement_of(struct enclave_container *container,
						     __u32 hook)
{
	struct judgement j = {
		.container = container,
		.policy = container_policy(container),
		.hook = hook,
	};

	return j;
}

/* Whether the configuration requests allow records of hook. */
static __always_inline bool allow_logged(__u32 hook)
{
	struct enclave_settings *config;
	__u32 zero = 0;

	config = bpf_map_lookup_elem(&settings, &zero);
	return config && hook < 64 && (config->log_allowed & (1ULL << hook));
}

/* Allow records are rate-limited per CPU and hook to allowed_rate a second. */
static __always_inline bool allow_record_wanted(__u32 hook)
{
	struct enclave_settings *config;
	struct allow_bucket *bucket;
	__u32 zero = 0;
	__u64 now;

	config = bpf_map_lookup_elem(&settings, &zero);
	if (!config || hook >= 64 || !(config->log_allowed & (1ULL << hook)))
		return false;
	bucket = bpf_map_lookup_elem(&allow_buckets, &hook);
	if (!bucket)
		return false;
	now = bpf_ktime_get_boot_ns();
	if (now - bucket->last_ns >= 1000000000ULL) {
		bucket->last_ns = now;
		bucket->tokens = config->allowed_rate;
	}
	if (bucket->tokens == 0)
		return false;
	bucket->tokens--;
	return true;
}

/*
 * Record a decision and return the errno for the hook. The verdict is taken
 * before the record is reserved, so a full ring buffer never changes it.
 */
static __always_inline int decide(struct judgement *j, bool deny)
{
	struct enclave_rec_decision *rec;
	__u8 verdict = ENCLAVE_VERDICT_ALLOW;
	int error = 0;

	if (deny && j->policy.mode == ENCLAVE_MODE_AUDIT) {
		verdict = ENCLAVE_VERDICT_AUDIT;
	} else if (deny) {
		verdict = ENCLAVE_VERDICT_DENY;
		error = -EPERM;
	} else if (!allow_record_wanted(j->hook)) {
		return 0;
	}

	rec = reserve(sizeof(*rec), ENCLAVE_REC_DECISION, j->hook);
	if (!rec)
		return error;
	fill_proc(&rec->proc, j->container->cgroup_id);
	rec->arg = j->arg;
	rec->arg2 = j->arg2;
	rec->error = -error;
	rec->hook = j->hook;
	rec->verdict = verdict;
	rec->level = j->policy.level;
	rec->mode = j->policy.mode;
	rec->object_flags = j->object_flags;
	if (j->name)
		bpf_probe_read_kernel_str(rec->name, sizeof(rec->name), j->name);
	if (j->has_path && j->task)
		__builtin_memcpy(rec->path, j->task->path, sizeof(rec->path));
	if (verdict == ENCLAVE_VERDICT_ALLOW)
		submit_batched(rec);
	else
		submit_urgent(rec);
	return error;
}

/* ---- paths ---------------------------------------------------------------- */

static __always_inline struct mount *real_mount(struct vfsmount *vfsmnt)
{
	return (struct mount *)((void *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
}

/*
 * The loops below run through bpf_loop(): Linux 6.1's verifier rejects a
 * bounded loop whose head the compiler reaches by falling through, which
 * clang emits for these loops, and a callback is verified once.
 */

struct walk_ctx {
	struct enclave_task *task;
	__u64 dentry;			/* struct dentry * */
	__u64 vfsmnt;			/* struct vfsmount * */
	__u64 mnt_root;			/* vfsmnt->mnt_root, read once per mount */
	int n;
	bool in_sb;
	bool done;
};

static long walk_step(__u32 index, void *data)
{
	struct walk_ctx *w = data;
	struct dentry *dentry = (struct dentry *)w->dentry;
	struct vfsmount *vfsmnt = (struct vfsmount *)w->vfsmnt;
	struct dentry *parent;

	if (!w->in_sb && w->dentry == w->mnt_root) {
		struct mount *mnt = real_mount(vfsmnt);
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		if (up == mnt)	/* the root of a mount namespace */
			goto done;
		w->dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		w->vfsmnt = (__u64)up + bpf_core_field_offset(struct mount, mnt);
		w->mnt_root = (__u64)BPF_CORE_READ(up, mnt.mnt_root);
		return 0;
	}
	parent = BPF_CORE_READ(dentry, d_parent);
	if (parent == dentry || !parent)
		goto done;
	w->task->walk[w->n & (WALK_RING - 1)] = w->dentry;
	w->n++;
	w->dentry = (__u64)parent;
	return 0;
done:
	w->done = true;
	return 1;
}

/*
 * Walk from a dentry up to the root of the task's mount namespace and keep
 * the dentries of the last WALK_RING components, which are the top of the
 * path, in task->walk. The walk ignores the task's root directory, so that
 * a chroot(2) inside a container cannot make a path look shorter.
 * With in_sb the walk stays in the dentry's filesystem and stops at its
 * root, which gives the filesystem's own path under bind mounts. Returns
 * the number of components, or -1 when the root is more than
 * WALK_MAX_STEPS steps away.
 */
static __always_inline int walk_up(struct enclave_task *t, struct dentry *dentry,
				   struct vfsmount *vfsmnt, bool in_sb)
{
	struct walk_ctx w = {
		.task = t,
		.dentry = (__u64)dentry,
		.vfsmnt = (__u64)vfsmnt,
		.mnt_root = (__u64)vfsmnt->mnt_root,
		.in_sb = in_sb,
	};

	bpf_loop(WALK_MAX_STEPS, walk_step, &w, 0);
	return w.done ? w.n : -1;
}

/* Matching of a path against the path rules while the path is built. */
struct match_ctx {
	struct enclave_task *task;
	int n;			/* components in task->walk */
	int off;		/* length of the path so far */
	__u8 level;
	bool write;
	bool moving;		/* the object is renamed away from its path */
	bool truncated;
	bool match;		/* false: only build the path */
	bool deny;
};

/*
 * Look up the first len bytes of task->path in the path rules. They end at
 * a component boundary and NUL bytes follow them up to the key's size, so
 * task->path itself is the key. A rule for /etc matches /etc and /etc/x,
 * never /etcfoo. A prefix whose length and last byte no rule has is not
 * looked up. at_end is set for the whole path or its cut.
 */
static __always_inline void match_prefix(struct match_ctx *m, int len, bool at_end)
{
	struct enclave_path_rule *rule;
	struct enclave_path_shape *shape;
	__u32 key = len;
	__u8 last;

	if (!m->match || m->deny || len <= 0 || len >= ENCLAVE_PATH_LEN)
		return;
	last = m->task->path[(len - 1) & (ENCLAVE_PATH_LEN - 1)];
	shape = bpf_map_lookup_elem(&path_rule_shapes, &key);
	if (shape && !(shape->last_byte[(last >> 6) & 3] & (1ULL << (last & 63))))
		return;
	rule = bpf_map_lookup_elem(&path_rules, m->task->path);
	if (rule && (m->level >= rule->open_level ||
		     (m->write && m->level >= rule->write_level) ||
		     (m->moving && at_end && m->level >= rule->below_level)))
		m->deny = true;
}

/* Filesystems judged by their own path below their usual mount point. */
static __always_inline bool has_fixed_mount_point(unsigned long magic)
{
	switch (magic) {
	case PROC_SUPER_MAGIC:
	case SYSFS_MAGIC:
	case SECURITYFS_MAGIC:
	case DEBUGFS_MAGIC:
	case TRACEFS_MAGIC:
	case EFIVARFS_MAGIC:
	case CGROUP2_SUPER_MAGIC:
	case BPF_FS_MAGIC:
		return true;
	default:
		return false;
	}
}

/* Write text at the start of task->path and match it; evaluates to its
 * length. Writing the mount point one component at a time matches each of
 * its prefixes. */
#define PUT_PREFIX(m, text, at_end)					\
	({								\
		__builtin_memcpy((m)->task->path, text, sizeof(text));	\
		match_prefix(m, sizeof(text) - 1, at_end);		\
		(int)sizeof(text) - 1;					\
	})

/* Write and match the mount point of a filesystem with a fixed one;
 * returns its length, 0 for other filesystems. */
static __always_inline int fs_prefix(struct match_ctx *m, unsigned long magic, bool at_end)
{
	switch (magic) {
	case PROC_SUPER_MAGIC:
		return PUT_PREFIX(m, "/proc", at_end);
	case SYSFS_MAGIC:
		return PUT_PREFIX(m, "/sys", at_end);
	case SECURITYFS_MAGIC:
		PUT_PREFIX(m, "/sys", false);
		PUT_PREFIX(m, "/sys/kernel", false);
		return PUT_PREFIX(m, "/sys/kernel/security", at_end);
	case DEBUGFS_MAGIC:
		PUT_PREFIX(m, "/sys", false);
		PUT_PREFIX(m, "/sys/kernel", false);
		return PUT_PREFIX(m, "/sys/kernel/debug", at_end);
	case TRACEFS_MAGIC:
		PUT_PREFIX(m, "/sys", false);
		PUT_PREFIX(m, "/sys/kernel", false);
		return PUT_PREFIX(m, "/sys/kernel/tracing", at_end);
	case EFIVARFS_MAGIC:
		PUT_PREFIX(m, "/sys", false);
		PUT_PREFIX(m, "/sys/firmware", false);
		PUT_PREFIX(m, "/sys/firmware/efi", false);
		return PUT_PREFIX(m, "/sys/firmware/efi/efivars", at_end);
	case CGROUP2_SUPER_MAGIC:
		PUT_PREFIX(m, "/sys", false);
		PUT_PREFIX(m, "/sys/fs", false);
		return PUT_PREFIX(m, "/sys/fs/cgroup", at_end);
	case BPF_FS_MAGIC:
		PUT_PREFIX(m, "/sys", false);
		PUT_PREFIX(m, "/sys/fs", false);
		return PUT_PREFIX(m, "/sys/fs/bpf", at_end);
	default:
		return 0;
	}
}

/* Append the next component of task->walk to task->path and match the
 * path so far. */
static long build_step(__u32 index, void *data)
{
	struct match_ctx *m = data;
	struct enclave_task *t = m->task;
	struct dentry *dentry;
	const unsigned char *name;
	int off = m->off;
	long len;

	if ((int)index >= m->n)
		return 1;
	if (off < 0 || off >= ENCLAVE_PATH_LEN - 1) {
		m->truncated = true;
		return 1;
	}
	t->path[off & (ENCLAVE_PATH_LEN - 1)] = '/';
	off++;
	dentry = (struct dentry *)t->walk[(m->n - 1 - index) & (WALK_RING - 1)];
	name = BPF_CORE_READ(dentry, d_name.name);
	len = bpf_probe_read_kernel_str(&t->path[off & (ENCLAVE_PATH_LEN - 1)],
					ENCLAVE_PATH_LEN, name);
	if (len > 1)
		off += len - 1;
	m->off = off;
	if (off < ENCLAVE_PATH_LEN)
		match_prefix(m, off, (int)index == m->n - 1);
	return 0;
}

/*
 * Write the path of the n components in task->walk to task->path, top
 * first, after the mount point of magic when the filesystem has a fixed
 * one, and match every prefix that ends at a component boundary; m->deny
 * is the verdict. A truncated path is matched at its cut too, which can
 * only deny more. Returns ENCLAVE_OBJECT_TRUNCATED when the path did not
 * fit in ENCLAVE_PATH_LEN - 1 bytes.
 */
static __always_inline __u8 build_path(struct match_ctx *m, int n, unsigned long magic)
{
	struct enclave_task *t = m->task;
	bool cut = false;
	__u8 flags = 0;
	int off;

	/* The bytes after the path are part of each key: clear them. */
	__builtin_memset(t->path, 0, ENCLAVE_PATH_LEN);
	m->n = n;
	m->truncated = false;
	m->off = fs_prefix(m, magic, n == 0);
	bpf_loop(WALK_RING, build_step, m, 0);
	off = m->off;
	if (m->truncated || n > WALK_RING)
		cut = true;
	if (off > ENCLAVE_PATH_LEN - 1) {
		cut = true;
		off = ENCLAVE_PATH_LEN - 1;
	}
	if (off <= 0) {
		/* The root itself. No rule is for "/", but match it as before. */
		t->path[0] = '/';
		off = 1;
		match_prefix(m, off, true);
	}
	t->path[off & (ENCLAVE_PATH_LEN - 1)] = '\0';
	t->path[ENCLAVE_PATH_LEN - 1] = '\0';
	if (cut) {
		flags |= ENCLAVE_OBJECT_TRUNCATED;
		match_prefix(m, off, true);
	}
	return flags;
}

static __always_inline struct enclave_task *walk_storage(void)
{
	return bpf_task_storage_get(&tasks, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
}

/*
 * Judge an access to the object at dentry in vfsmnt against the path rules
 * of the container's level, and leave the judged path in the record. The
 * object is judged by the path the task opened it at and, under a bind
 * mount of a subtree, by the path inside its filesystem. Pseudo filesystems
 * are judged by the path at their usual mount point, wherever they are.
 * When the path cannot be resolved, the access is denied. dentry and
 * vfsmnt are BTF pointers from the hook's arguments, read with plain loads.
 */
static __always_inline bool judge_path(struct judgement *j, struct dentry *dentry,
				       struct vfsmount *vfsmnt, bool write, bool moving)
{
	struct super_block *sb = dentry->d_sb;
	unsigned long magic = sb->s_magic;
	struct enclave_task *t = walk_storage();
	struct match_ctx m = {
		.task = t,
		.level = j->policy.level,
		.write = write,
		.moving = moving,
		.match = true,
	};
	int n;

	if (!t) {
		j->object_flags |= ENCLAVE_OBJECT_UNRESOLVED;
		return true;
	}
	j->task = t;
	j->has_path = true;

	if (has_fixed_mount_point(magic)) {
		j->object_flags |= ENCLAVE_OBJECT_FS_PATH;
		n = walk_up(t, dentry, vfsmnt, true);
		if (n < 0)
			goto unresolved;
		j->object_flags |= build_path(&m, n, magic);
		return m.deny;
	}

	n = walk_up(t, dentry, vfsmnt, false);
	if (n < 0)
		goto unresolved;
	j->object_flags |= build_path(&m, n, 0);
	if (m.deny)
		return true;

	if (vfsmnt->mnt_root == sb->s_root)
		return false;
	/* A bind mount of a subtree: judge the filesystem's own path too. */
	n = walk_up(t, dentry, vfsmnt, true);
	if (n < 0)
		goto unresolved;
	j->object_flags = build_path(&m, n, 0) | ENCLAVE_OBJECT_FS_PATH;
	if (m.deny)
		return true;
	/*
	 * Allowed by the path. Unless the hook may still deny, or allow
	 * records are on, no record names the path, so the third walk is
	 * spared on every open in a container whose root is a bind mount
	 * (runc and crun bundles).
	 */
	if (!j->names_path && !allow_logged(j->hook))
		return false;
	n = walk_up(t, dentry, vfsmnt, false);
	m.match = false;
	j->object_flags = n < 0 ? ENCLAVE_OBJECT_UNRESOLVED : build_path(&m, n, 0);
	return false;

unresolved:
	j->object_flags |= ENCLAVE_OBJECT_UNRESOLVED;
	t->path[0] = '\0';
	return true;
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
	rec->flags = container->flags;
	rec->policy_flags = ENCLAVE_POLICY_PENDING;
	__builtin_memcpy(rec->runtime, container->runtime, sizeof(rec->runtime));
	name = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, name);
	bpf_probe_read_kernel_str(rec->cgroup_name, sizeof(rec->cgroup_name), name);
	submit_urgent(rec);
}

/* Record that a container starts untracked, so that it is not silent. */
static __always_inline void report_untracked(struct task_struct *task, __u64 cgroup_id,
					     __s64 reason)
{
	struct enclave_container container = {
		.cgroup_id = cgroup_id,
	};
	struct enclave_rec_decision *rec;

	rec = reserve(sizeof(*rec), ENCLAVE_REC_DECISION, ENCLAVE_HOOK_BPRM_CHECK);
	if (!rec)
		return;
	fill_proc(&rec->proc, container.cgroup_id);
	rec->arg = reason;
	rec->hook = ENCLAVE_HOOK_BPRM_CHECK;
	rec->verdict = ENCLAVE_VERDICT_UNTRACKED;
	rec->mode = ENCLAVE_MODE_AUDIT;
	submit_urgent(rec);
}

/*
 * Register the container whose runtime init is exec'ing the entrypoint.
 * Returns 1 when it did, 0 when the task starts no container, and -EPERM
 * when the containers map is full: a container that enclave cannot track
 * does not start.
 */
static __always_inline int register_container(struct task_struct *task)
{
	struct enclave_policy pending = {
		.level = ENCLAVE_LEVEL_RESTRICTED,
		.mode = ENCLAVE_MODE_ENFORCE,
		.flags = ENCLAVE_POLICY_PENDING,
	};
	struct enclave_container container = {};
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

	container.cgroup_id = id;
	container.start_ns = bpf_ktime_get_boot_ns();
	container.init_tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(container.runtime, sizeof(container.runtime));

	/*
	 * Until enclaved resolves the container's policy, it is restricted and
	 * the entrypoint stops before its first instruction: the stop signal
	 * is delivered on the return from execve. enclaved writes the policy
	 * and continues it, so the entrypoint runs under its own policy.
	 */
	err = bpf_map_update_elem(&policies, &id, &pending, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		struct judgement j = judgement_of(&container, ENCLAVE_HOOK_BPRM_CHECK);

		return decide(&j, true);
	}
	err = bpf_map_update_elem(&containers, &id, &container, BPF_NOEXIST);
	if (err == -EEXIST)	/* another init of this container won the race */
		return 1;
	if (err) {
		struct judgement j = judgement_of(&container, ENCLAVE_HOOK_BPRM_CHECK);

		bpf_map_delete_elem(&policies, &id);
		j.policy = pending;
		return decide(&j, true);
	}
	/*
	 * The signal goes to this thread, not to the process: runc's init is
	 * a multi-threaded Go program, and another thread could take a
	 * process-wide stop, which the exec's de_thread() then cancels. A
	 * thread's own pending signals survive the exec.
	 */
	bpf_send_signal_thread(SIGSTOP);
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
	submit_batched(rec);
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
	rec->flags = container->flags;
	__builtin_memcpy(rec->runtime, container->runtime, sizeof(rec->runtime));
	rec->cgroup_name[0] = '\0';
	submit_batched(rec);
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
		submit_batched(rec);
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
	if (id == container_id)
		bpf_map_delete_elem(&policies, &id);

	rec = reserve(sizeof(*rec), ENCLAVE_REC_CGROUP_REMOVED, ENCLAVE_HOOK_NONE);
	if (!rec)
		return 0;
	rec->cgroup_id = id;
	rec->container_id = container_id;
	submit_batched(rec);
	return 0;
}

/* ---- LSM hooks ------------------------------------------------------------- */

/*
 * Every hook starts here: a task outside containers, and a call that an
 * earlier LSM program already denied, are left alone. Fails closed: the
 * level, not a missing policy, decides inside a container.
 */
#define JUDGE_START(hook, ret)						\
	struct enclave_container *container;				\
	struct judgement j;						\
									\
	if (ret)							\
		return ret;						\
	container = current_container();				\
	if (!container)							\
		return 0;						\
	j = judgement_of(container, hook)

SEC("lsm/syslog")
int BPF_PROG(lsm_syslog, int type, int ret)
{
	JUDGE_START(ENCLAVE_HOOK_SYSLOG, ret);
	j.arg = type;
	return decide(&j, j.policy.level >= ENCLAVE_LEVEL_BASELINE);
}

static __always_inline bool is_kernel_memory_device(struct inode *inode)
{
	umode_t mode = inode->i_mode;
	dev_t rdev = inode->i_rdev;

	if ((mode & S_IFMT) != S_IFCHR)
		return false;
	/* /dev/mem, /dev/kmem and /dev/port, wherever their nodes are. */
	return rdev == MKDEV(1, 1) || rdev == MKDEV(1, 2) || rdev == MKDEV(1, 4);
}

SEC("lsm/file_open")
int BPF_PROG(lsm_file_open, struct file *file, int ret)
{
	bool write, deny;

	JUDGE_START(ENCLAVE_HOOK_FILE_OPEN, ret);
	if (j.policy.level == ENCLAVE_LEVEL_PRIVILEGED)
		return decide(&j, false);
	/* file is a BTF pointer: plain loads, no helper calls, on every open. */
	write = file->f_mode & FMODE_WRITE;
	j.arg = write;
	j.names_path = is_kernel_memory_device(file->f_inode);
	deny = judge_path(&j, file->f_path.dentry, file->f_path.mnt, write, false);
	if (j.names_path)
		deny = true;
	return decide(&j, deny);
}

/* A change to the object at dentry in the mount of dir: a write. moving
 * is set for the source of a rename, which must not carry a rule's files
 * away from the rule's path. */
static __always_inline int judge_change(__u32 hook, struct dentry *dentry,
					struct vfsmount *vfsmnt, bool moving, int ret)
{
	JUDGE_START(hook, ret);
	if (j.policy.level == ENCLAVE_LEVEL_PRIVILEGED)
		return decide(&j, false);
	j.arg = 1;
	return decide(&j, judge_path(&j, dentry, vfsmnt, true, moving));
}

static __always_inline int judge_write(__u32 hook, struct dentry *dentry,
				       struct vfsmount *vfsmnt, int ret)
{
	return judge_change(hook, dentry, vfsmnt, false, ret);
}

SEC("lsm/path_truncate")
int BPF_PROG(lsm_path_truncate, const struct path *path, int ret)
{
	return judge_write(ENCLAVE_HOOK_PATH_TRUNCATE, path->dentry, path->mnt, ret);
}

SEC("lsm/path_unlink")
int BPF_PROG(lsm_path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	return judge_write(ENCLAVE_HOOK_PATH_UNLINK, dentry, dir->mnt, ret);
}

SEC("lsm/path_mkdir")
int BPF_PROG(lsm_path_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode,
	     int ret)
{
	return judge_write(ENCLAVE_HOOK_PATH_MKDIR, dentry, dir->mnt, ret);
}

SEC("lsm/path_rmdir")
int BPF_PROG(lsm_path_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	return judge_write(ENCLAVE_HOOK_PATH_RMDIR, dentry, dir->mnt, ret);
}

SEC("lsm/path_mknod")
int BPF_PROG(lsm_path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode,
	     unsigned int dev, int ret)
{
	return judge_write(ENCLAVE_HOOK_PATH_MKNOD, dentry, dir->mnt, ret);
}

SEC("lsm/path_symlink")
int BPF_PROG(lsm_path_symlink, const struct path *dir, struct dentry *dentry,
	     const char *old_name, int ret)
{
	return judge_write(ENCLAVE_HOOK_PATH_SYMLINK, dentry, dir->mnt, ret);
}

/* A hard link is judged at both names: it must not open a way into a tree
 * with rules, nor take a file out of one. */
SEC("lsm/path_link")
int BPF_PROG(lsm_path_link, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, int ret)
{
	struct vfsmount *vfsmnt = new_dir->mnt;

	ret = judge_write(ENCLAVE_HOOK_PATH_LINK, old_dentry, vfsmnt, ret);
	return judge_write(ENCLAVE_HOOK_PATH_LINK, new_dentry, vfsmnt, ret);
}

SEC("lsm/path_rename")
int BPF_PROG(lsm_path_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	ret = judge_change(ENCLAVE_HOOK_PATH_RENAME, old_dentry, old_dir->mnt, true,
			   ret);
	return judge_write(ENCLAVE_HOOK_PATH_RENAME, new_dentry, new_dir->mnt, ret);
}

SEC("lsm/path_chmod")
int BPF_PROG(lsm_path_chmod, const struct path *path, umode_t mode, int ret)
{
	return judge_write(ENCLAVE_HOOK_PATH_CHMOD, path->dentry, path->mnt, ret);
}

/* kuid_t and kgid_t are structs of one u32, passed as such. */
SEC("lsm/path_chown")
int BPF_PROG(lsm_path_chown, const struct path *path, unsigned long uid, unsigned long gid, int ret)
{
	return judge_write(ENCLAVE_HOOK_PATH_CHOWN, path->dentry, path->mnt, ret);
}

/*
 * The runtime's own mounts happen before the entrypoint's exec registers the
 * container, so every mount judged here is the workload's. Propagation
 * changes are allowed at every level, and restricted denies every other
 * mount. Baseline denies bind mounts, remounts, moves and new mounts of the
 * types that the mount types map does not allow.
 */
SEC("lsm/sb_mount")
int BPF_PROG(lsm_sb_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags, void *data, int ret)
{
	struct enclave_fstype_key key = {};
	__u8 deny_level = ENCLAVE_LEVEL_BASELINE;
	__u8 *allowed;
	bool deny;

	JUDGE_START(ENCLAVE_HOOK_SB_MOUNT, ret);
	j.arg = flags;
	if (j.policy.level == ENCLAVE_LEVEL_PRIVILEGED)
		return decide(&j, false);
	if ((flags & MS_PROPAGATION) && !(flags & (MS_REMOUNT | MS_BIND)))
		return decide(&j, false);

	j.names_path = true;
	judge_path(&j, path->dentry, path->mnt, false, false);
	if (flags & (MS_REMOUNT | MS_BIND | MS_MOVE)) {
		j.name = dev_name;
		return decide(&j, true);
	}
	j.name = type;
	if (type)
		bpf_probe_read_kernel_str(key.name, sizeof(key.name), type);
	allowed = bpf_map_lookup_elem(&fstypes, &key);
	if (allowed)
		deny_level = *allowed;
	deny = j.policy.level >= ENCLAVE_LEVEL_RESTRICTED || j.policy.level >= deny_level;
	return decide(&j, deny);
}

/* The new mount API attaches a mount with move_mount(2). */
SEC("lsm/move_mount")
int BPF_PROG(lsm_move_mount, const struct path *from_path, const struct path *to_path, int ret)
{
	JUDGE_START(ENCLAVE_HOOK_MOVE_MOUNT, ret);
	if (j.policy.level == ENCLAVE_LEVEL_PRIVILEGED)
		return decide(&j, false);
	j.names_path = true;
	judge_path(&j, to_path->dentry, to_path->mnt, false, false);
	return decide(&j, true);
}

/* Restricted: no change of a uid to 0 (root in the initial namespace). */
static __always_inline bool gains_root(const struct cred *new, const struct cred *old)
{
	return (BPF_CORE_READ(new, uid.val) == 0 && BPF_CORE_READ(old, uid.val) != 0) ||
	       (BPF_CORE_READ(new, euid.val) == 0 && BPF_CORE_READ(old, euid.val) != 0) ||
	       (BPF_CORE_READ(new, suid.val) == 0 && BPF_CORE_READ(old, suid.val) != 0) ||
	       (BPF_CORE_READ(new, fsuid.val) == 0 && BPF_CORE_READ(old, fsuid.val) != 0);
}

SEC("lsm/task_fix_setuid")
int BPF_PROG(lsm_task_fix_setuid, struct cred *new, const struct cred *old, int flags, int ret)
{
	JUDGE_START(ENCLAVE_HOOK_TASK_FIX_SETUID, ret);
	j.arg = BPF_CORE_READ(new, euid.val);
	j.arg2 = BPF_CORE_READ(old, euid.val);
	return decide(&j, j.policy.level >= ENCLAVE_LEVEL_RESTRICTED && gains_root(new, old));
}

/* The exec of a set-user-ID-root file, after the kernel computed its creds. */
SEC("lsm/bprm_creds_from_file")
int BPF_PROG(lsm_bprm_creds_from_file, struct linux_binprm *bprm, struct file *file, int ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	const struct cred *old = BPF_CORE_READ(task, cred);
	const struct cred *new = BPF_CORE_READ(bprm, cred);

	JUDGE_START(ENCLAVE_HOOK_BPRM_CREDS, ret);
	if (j.policy.level < ENCLAVE_LEVEL_RESTRICTED)
		return decide(&j, false);
	j.arg = BPF_CORE_READ(new, euid.val);
	j.arg2 = BPF_CORE_READ(old, euid.val);
	j.names_path = true;
	judge_path(&j, file->f_path.dentry, file->f_path.mnt, false, false);
	return decide(&j, gains_root(new, old));
}

/*
 * No ptrace, and no access that ptrace rules guard (/proc/PID/root, mem,
 * environ), to a task outside the container. Checks that the kernel makes
 * without audit, such as the fields of /proc/PID/stat, are denied without a
 * record, so that ps(1) does not flood the records.
 */
SEC("lsm/ptrace_access_check")
int BPF_PROG(lsm_ptrace_access_check, struct task_struct *child, unsigned int mode, int ret)
{
	struct enclave_container *target;
	__u64 id;
	bool outside;

	JUDGE_START(ENCLAVE_HOOK_PTRACE, ret);
	if (j.policy.level == ENCLAVE_LEVEL_PRIVILEGED)
		return decide(&j, false);
	id = BPF_CORE_READ(child, cgroups, dfl_cgrp, kn, id);
	target = bpf_map_lookup_elem(&containers, &id);
	outside = !target || target->cgroup_id != container->cgroup_id || in_host_mount_ns(child);
	if (outside && (mode & PTRACE_MODE_NOAUDIT))
		return j.policy.mode == ENCLAVE_MODE_AUDIT ? 0 : -EPERM;
	j.arg = BPF_CORE_READ(child, tgid);
	j.arg2 = mode;
	j.name = (const char *)child->comm;
	return decide(&j, outside);
}

SEC("lsm/bpf")
int BPF_PROG(lsm_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	JUDGE_START(ENCLAVE_HOOK_BPF, ret);
	j.arg = cmd;
	return decide(&j, j.policy.level >= ENCLAVE_LEVEL_BASELINE);
}

SEC("lsm/kernel_module_request")
int BPF_PROG(lsm_kernel_module_request, char *kmod_name, int ret)
{
	JUDGE_START(ENCLAVE_HOOK_MODULE_REQUEST, ret);
	j.name = kmod_name;
	return decide(&j, j.policy.level >= ENCLAVE_LEVEL_BASELINE);
}

/* Modules, and kexec images, read from a file (finit_module, kexec_file_load). */
SEC("lsm/kernel_read_file")
int BPF_PROG(lsm_kernel_read_file, struct file *file, enum kernel_read_file_id id,
	     bool contents, int ret)
{
	bool kernel_code = id == READING_MODULE || id == READING_KEXEC_IMAGE ||
			   id == READING_KEXEC_INITRAMFS;

	JUDGE_START(ENCLAVE_HOOK_KERNEL_READ_FILE, ret);
	j.arg = id;
	if (j.policy.level == ENCLAVE_LEVEL_PRIVILEGED || !kernel_code)
		return decide(&j, false);
	j.names_path = true;
	judge_path(&j, file->f_path.dentry, file->f_path.mnt, false, false);
	return decide(&j, true);
}

/* Modules and kexec images from memory (init_module, kexec_load). */
SEC("lsm/kernel_load_data")
int BPF_PROG(lsm_kernel_load_data, enum kernel_load_data_id id, bool contents, int ret)
{
	bool kernel_code = id == LOADING_MODULE || id == LOADING_KEXEC_IMAGE;

	JUDGE_START(ENCLAVE_HOOK_KERNEL_LOAD_DATA, ret);
	j.arg = id;
	return decide(&j, j.policy.level >= ENCLAVE_LEVEL_BASELINE && kernel_code);
}

/* Restricted: no packet sockets and no raw sockets of any family. */
SEC("lsm/socket_create")
int BPF_PROG(lsm_socket_create, int family, int type, int protocol, int kern, int ret)
{
	if (kern)
		return ret;
	JUDGE_START(ENCLAVE_HOOK_SOCKET_CREATE, ret);
	j.arg = family;
	j.arg2 = type;
	return decide(&j, j.policy.level >= ENCLAVE_LEVEL_RESTRICTED &&
			  (family == AF_PACKET || (type & SOCK_TYPE_MASK) == SOCK_RAW));
}

/* perf events expose kernel addresses and have been a source of kernel
 * exploits; containers below privileged get none. */
SEC("lsm/perf_event_open")
int BPF_PROG(lsm_perf_event_open, struct perf_event_attr *attr, int type, int ret)
{
	JUDGE_START(ENCLAVE_HOOK_PERF_EVENT_OPEN, ret);
	j.arg = BPF_CORE_READ(attr, type);
	j.arg2 = type;
	return decide(&j, j.policy.level >= ENCLAVE_LEVEL_BASELINE);
}

/* New user namespaces give a task capabilities over fresh namespaces, the
 * first step of many kernel exploits; restricted containers create none. */
SEC("lsm/userns_create")
int BPF_PROG(lsm_userns_create, const struct cred *cred, int ret)
{
	JUDGE_START(ENCLAVE_HOOK_USERNS_CREATE, ret);
	return decide(&j, j.policy.level >= ENCLAVE_LEVEL_RESTRICTED);
}

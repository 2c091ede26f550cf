/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Records and map values shared by the BPF programs and enclaved.
 *
 * Everything here crosses the ring buffer or sits in a map that user space
 * reads or writes, so it uses fixed-width types and fixed arrays only, puts
 * the largest fields first and pads explicitly. Every record starts with
 * struct enclave_hdr. User space checks the sizes with static assertions in
 * src/record.c; change both sides together.
 */
#ifndef ENCLAVE_H
#define ENCLAVE_H

#define ENCLAVE_COMM_LEN	16	/* TASK_COMM_LEN */
#define ENCLAVE_EXE_LEN		256
#define ENCLAVE_CGROUP_NAME_LEN	128
#define ENCLAVE_MAX_RUNTIMES	16
#define ENCLAVE_MAX_CGROUP_DEPTH 16	/* ancestors searched for a container */
/* Longest path prefix a rule can name, with its NUL; the kernel builds the
 * first ENCLAVE_PATH_LEN - 1 bytes of every judged path. */
#define ENCLAVE_PATH_LEN	256
#define ENCLAVE_MAX_PATH_RULES	1024
/* Rules plus the directories above them (struct enclave_path_rule). */
#define ENCLAVE_MAX_PATH_ENTRIES	(4 * ENCLAVE_MAX_PATH_RULES)
#define ENCLAVE_FSTYPE_LEN	32

enum enclave_record_type {
	ENCLAVE_REC_CONTAINER_START	= 1,
	ENCLAVE_REC_CONTAINER_STOP	= 2,
	ENCLAVE_REC_PROCESS_EXEC	= 3,
	ENCLAVE_REC_PROCESS_EXIT	= 4,
	ENCLAVE_REC_DECISION		= 5,
	/* A registered cgroup was removed; for enclaved only, never a sink. */
	ENCLAVE_REC_CGROUP_REMOVED	= 6,
	ENCLAVE_REC_TYPE_MAX		= 7,
};

/* Hooks, also the index of the per-CPU reserve-failure counters. */
enum enclave_hook {
	ENCLAVE_HOOK_NONE		= 0,	/* process and container events ("lifecycle") */
	ENCLAVE_HOOK_SYSLOG		= 1,
	ENCLAVE_HOOK_BPRM_CHECK		= 2,	/* a container that could not be tracked */
	ENCLAVE_HOOK_FILE_OPEN		= 3,
	ENCLAVE_HOOK_PATH_TRUNCATE	= 4,
	ENCLAVE_HOOK_PATH_UNLINK	= 5,
	ENCLAVE_HOOK_PATH_MKDIR		= 6,
	ENCLAVE_HOOK_PATH_RMDIR		= 7,
	ENCLAVE_HOOK_PATH_MKNOD		= 8,
	ENCLAVE_HOOK_PATH_SYMLINK	= 9,
	ENCLAVE_HOOK_PATH_LINK		= 10,
	ENCLAVE_HOOK_PATH_RENAME	= 11,
	ENCLAVE_HOOK_PATH_CHMOD		= 12,
	ENCLAVE_HOOK_PATH_CHOWN		= 13,
	ENCLAVE_HOOK_SB_MOUNT		= 14,
	ENCLAVE_HOOK_MOVE_MOUNT		= 15,
	ENCLAVE_HOOK_TASK_FIX_SETUID	= 16,
	ENCLAVE_HOOK_BPRM_CREDS		= 17,	/* exec of a set-user-ID file */
	ENCLAVE_HOOK_PTRACE		= 18,
	ENCLAVE_HOOK_BPF		= 19,
	ENCLAVE_HOOK_MODULE_REQUEST	= 20,
	ENCLAVE_HOOK_KERNEL_READ_FILE	= 21,
	ENCLAVE_HOOK_KERNEL_LOAD_DATA	= 22,
	ENCLAVE_HOOK_SOCKET_CREATE	= 23,
	ENCLAVE_HOOK_PERF_EVENT_OPEN	= 24,
	ENCLAVE_HOOK_USERNS_CREATE	= 25,
	ENCLAVE_HOOK_MAX		= 26,
};

enum enclave_level {
	ENCLAVE_LEVEL_PRIVILEGED	= 0,
	ENCLAVE_LEVEL_BASELINE		= 1,
	ENCLAVE_LEVEL_RESTRICTED	= 2,
	/* In a path rule: no level denies this access. */
	ENCLAVE_LEVEL_NEVER		= 0xff,
};

enum enclave_mode {
	ENCLAVE_MODE_ENFORCE		= 0,
	ENCLAVE_MODE_AUDIT		= 1,
};

enum enclave_verdict {
	ENCLAVE_VERDICT_ALLOW		= 0,
	ENCLAVE_VERDICT_DENY		= 1,
	ENCLAVE_VERDICT_AUDIT		= 2,	/* would deny, allowed in audit mode */
	/* A runtime init that shares its parent's cgroup execs an entrypoint:
	 * the container has no cgroup of its own, so it cannot be tracked. */
	ENCLAVE_VERDICT_UNTRACKED	= 3,
};

/* Why a container is untracked: the arg of its decision record. */
enum enclave_untracked_reason {
	ENCLAVE_UNTRACKED_SHARED_CGROUP	= 1,	/* its runtime's parent's cgroup */
	ENCLAVE_UNTRACKED_HOST_MOUNT_NS	= 2,	/* no mount namespace of its own */
	ENCLAVE_UNTRACKED_ROOT_CGROUP	= 3,
};

/* Value of the containers map, keyed by the id of the container's cgroup
 * or of a cgroup created below it. */
struct enclave_container {
	__u64 cgroup_id;		/* the container's own cgroup */
	__u64 start_ns;			/* CLOCK_BOOTTIME */
	__u32 init_tgid;		/* the runtime init that exec'd the entrypoint */
	__u8 flags;			/* ENCLAVE_CONTAINER_* */
	__u8 pad[3];
	char runtime[ENCLAVE_COMM_LEN];	/* comm of the runtime init */
};

/* Found by enclaved at start-up, already running. */
#define ENCLAVE_CONTAINER_ADOPTED	0x1

/*
 * Value of the policies map, keyed by a container's own cgroup id. When the
 * kernel registers a container, it inserts ENCLAVE_POLICY_PENDING with the
 * restricted level and stops the entrypoint before its first instruction.
 * enclaved then writes the resolved policy and continues the entrypoint.
 * A container without an entry is judged as restricted and enforced.
 */
struct enclave_policy {
	__u8 level;			/* enum enclave_level */
	__u8 mode;			/* enum enclave_mode */
	__u8 flags;			/* ENCLAVE_POLICY_* */
	__u8 pad[5];
};

#define ENCLAVE_POLICY_PENDING		0x1

/* Key of the path rules map: a path prefix that ends at a component
 * boundary, NUL-padded, never "/" and never with a trailing '/'. */
struct enclave_path_key {
	char path[ENCLAVE_PATH_LEN];
};

/* Value of the path rules map: the lowest level that denies each access,
 * or ENCLAVE_LEVEL_NEVER. A rule covers the path and everything below it. */
struct enclave_path_rule {
	__u8 open_level;		/* any open */
	__u8 write_level;		/* opens for writing and the path hooks */
	/* Renaming this directory would move a rule's files to paths no rule
	 * covers: the lowest level of the rules below it. Entries that exist
	 * only for this have ENCLAVE_LEVEL_NEVER in the other two fields. */
	__u8 below_level;
	__u8 pad[5];
};

/*
 * Value of the path rule shapes array map, indexed by a key's length: bit b
 * (of word b / 64) is set when a path rules key of that length ends in the
 * byte b. The programs look up no other prefixes, because a lookup hashes
 * the whole key. It may have extra bits, never fewer than the rules need.
 */
struct enclave_path_shape {
	__u64 last_byte[4];
};

/* Key of the mount types map: a filesystem type name, NUL-padded. The value
 * (__u8) is the lowest level that denies mounting it; a type not in the map
 * is denied from baseline up. */
struct enclave_fstype_key {
	char name[ENCLAVE_FSTYPE_LEN];
};

/* Key of the runtimes map: a runtime init's comm, NUL-padded. */
struct enclave_runtime_key {
	char comm[ENCLAVE_COMM_LEN];
};

/* Value of the settings array map (one entry). User space may update it. */
struct enclave_settings {
	__u8 default_level;		/* enum enclave_level */
	__u8 default_mode;		/* enum enclave_mode */
	__u8 pad[2];
	__u32 allowed_rate;		/* allow records per second and CPU */
	__u64 log_allowed;		/* bit (1 << hook): record allowed calls */
};

/* Per-task storage of a container process. */
struct enclave_task {
	/* The executable as /proc/PID/exe shows it, relative to the task's
	 * root; inherited on fork. */
	char exe[ENCLAVE_EXE_LEN];
	char exe_pending[ENCLAVE_EXE_LEN];	/* of an exec not yet committed */
	/* Scratch of the path walk. It lives here and not in a per-CPU map
	 * because a task runs one hook at a time, while another task can
	 * preempt it on the same CPU. */
	__u64 walk[128];		/* WALK_RING dentries */
	char path[2 * ENCLAVE_PATH_LEN];	/* twice, so that every bounded
						 * write below the first half fits */
};

struct enclave_hdr {
	__u16 type;			/* enum enclave_record_type */
	__u16 size;			/* of the whole record */
	__u32 cpu;
	__u64 time_ns;			/* CLOCK_BOOTTIME */
};

/* The task a record is about. */
struct enclave_proc {
	__u64 cgroup_id;		/* the container's cgroup, not the task's */
	__u32 pid;			/* tgid, in the initial PID namespace */
	__u32 tid;
	__u32 ppid;			/* tgid of real_parent */
	__u32 uid;			/* real uid, in the initial user namespace */
	char comm[ENCLAVE_COMM_LEN];
	char exe[ENCLAVE_EXE_LEN];
};

struct enclave_rec_container {
	struct enclave_hdr hdr;
	struct enclave_proc proc;	/* start: the runtime init; stop: the entrypoint */
	__s32 exit_code;		/* stop: wait status of the entrypoint */
	__u8 flags;			/* ENCLAVE_CONTAINER_*, start only */
	__u8 policy_flags;		/* ENCLAVE_POLICY_*, start only */
	__u8 pad[2];
	char runtime[ENCLAVE_COMM_LEN];
	char cgroup_name[ENCLAVE_CGROUP_NAME_LEN];	/* last component of its path */
};

struct enclave_rec_exec {
	struct enclave_hdr hdr;
	struct enclave_proc proc;	/* after the exec */
	__u32 old_tid;			/* differs when a non-leader thread exec'd */
	__u32 pad;
};

struct enclave_rec_exit {
	struct enclave_hdr hdr;
	struct enclave_proc proc;
	__s32 exit_code;		/* wait status, as for waitpid(2) */
	__u32 pad;
};

/* Object flags of a decision record. */
#define ENCLAVE_OBJECT_TRUNCATED	0x1	/* path holds only its first bytes */
#define ENCLAVE_OBJECT_UNRESOLVED	0x2	/* the walk to the root gave up */
#define ENCLAVE_OBJECT_FS_PATH		0x4	/* path is the filesystem's own path */

struct enclave_rec_decision {
	struct enclave_hdr hdr;
	struct enclave_proc proc;
	__s64 arg;			/* per hook, see record.c */
	__s64 arg2;
	__s32 error;			/* errno returned to the task, 0 when allowed */
	__u16 hook;			/* enum enclave_hook */
	__u8 verdict;			/* enum enclave_verdict */
	__u8 level;
	__u8 mode;
	__u8 object_flags;		/* ENCLAVE_OBJECT_* */
	__u8 pad[6];
	char name[ENCLAVE_FSTYPE_LEN * 2];	/* fs type, module, target comm */
	char path[ENCLAVE_PATH_LEN];
};

struct enclave_rec_cgroup {
	struct enclave_hdr hdr;
	__u64 cgroup_id;		/* of the removed cgroup */
	__u64 container_id;		/* cgroup id of its container */
};

#endif /* ENCLAVE_H */

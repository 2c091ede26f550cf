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
	ENCLAVE_HOOK_MAX		= 3,
};

enum enclave_level {
	ENCLAVE_LEVEL_PRIVILEGED	= 0,
	ENCLAVE_LEVEL_BASELINE		= 1,
	ENCLAVE_LEVEL_RESTRICTED	= 2,
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
	__u8 level;			/* enum enclave_level */
	__u8 mode;			/* enum enclave_mode */
	__u8 pad[2];
	char runtime[ENCLAVE_COMM_LEN];	/* comm of the runtime init */
};

/* Key of the runtimes map: a runtime init's comm, NUL-padded. */
struct enclave_runtime_key {
	char comm[ENCLAVE_COMM_LEN];
};

/* Value of the settings array map (one entry). User space may update it. */
struct enclave_settings {
	__u8 default_level;		/* enum enclave_level */
	__u8 default_mode;		/* enum enclave_mode */
	__u8 pad[6];
};

/* Per-task storage of a container process. */
struct enclave_task {
	/* The executable as /proc/PID/exe shows it, relative to the task's
	 * root; inherited on fork. */
	char exe[ENCLAVE_EXE_LEN];
	char exe_pending[ENCLAVE_EXE_LEN];	/* of an exec not yet committed */
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
	__u8 level;
	__u8 mode;
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

struct enclave_rec_decision {
	struct enclave_hdr hdr;
	struct enclave_proc proc;
	__s64 arg;			/* syslog: the SYSLOG_ACTION_* type;
					 * untracked: enum enclave_untracked_reason */
	__s32 error;			/* errno returned to the task, 0 when allowed */
	__u16 hook;			/* enum enclave_hook */
	__u8 verdict;			/* enum enclave_verdict */
	__u8 level;
	__u8 mode;
	__u8 pad[7];
};

struct enclave_rec_cgroup {
	struct enclave_hdr hdr;
	__u64 cgroup_id;		/* of the removed cgroup */
	__u64 container_id;		/* cgroup id of its container */
};

#endif /* ENCLAVE_H */

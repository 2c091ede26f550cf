// SPDX-License-Identifier: GPL-2.0-only
/*
 * The floor of the hook benchmarks: a BPF LSM program on each hook that
 * enclaved guards, which only returns the verdict it is given. What it
 * costs is what any BPF LSM design pays for the trampoline and the call.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* The verdict so far is the hook's last argument, after nargs others. */
#define FLOOR(hook, nargs)					\
	SEC("lsm/" #hook)					\
	int floor_##hook(unsigned long long *ctx)		\
	{							\
		return (int)ctx[nargs];				\
	}

FLOOR(bprm_check_security, 1)
FLOOR(syslog, 1)
FLOOR(file_open, 1)
FLOOR(path_truncate, 1)
FLOOR(path_unlink, 2)
FLOOR(path_mkdir, 3)
FLOOR(path_rmdir, 2)
FLOOR(path_mknod, 4)
FLOOR(path_symlink, 3)
FLOOR(path_link, 3)
FLOOR(path_rename, 5)
FLOOR(path_chmod, 2)
FLOOR(path_chown, 3)
FLOOR(sb_mount, 5)
FLOOR(move_mount, 2)
FLOOR(task_fix_setuid, 3)
FLOOR(bprm_creds_from_file, 2)
FLOOR(ptrace_access_check, 2)
FLOOR(bpf, 3)
FLOOR(kernel_module_request, 1)
FLOOR(kernel_read_file, 3)
FLOOR(kernel_load_data, 2)
FLOOR(socket_create, 4)
FLOOR(perf_event_open, 2)
FLOOR(userns_create, 1)

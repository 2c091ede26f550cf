// SPDX-License-Identifier: GPL-2.0-only
/*
 * A BPF LSM program for the tests, run before enclaved's: it denies
 * syslog(2) with EACCES to tasks whose comm is "eacces-probe", so that a
 * test can check that enclaved passes an earlier verdict on unchanged.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define EACCES 13

char LICENSE[] SEC("license") = "GPL";

SEC("lsm/syslog")
int BPF_PROG(first_syslog, int type, int ret)
{
	static const char probe[] = "eacces-probe";
	char comm[16];

	if (ret)
		return ret;
	bpf_get_current_comm(comm, sizeof(comm));
	for (int i = 0; i < sizeof(probe); i++) {
		if (comm[i] != probe[i])
			return 0;
	}
	return -EACCES;
}

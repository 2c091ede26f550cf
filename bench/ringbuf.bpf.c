// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * The producer of the ring-buffer benchmark. Each BPF_PROG_TEST_RUN call
 * reserves, fills and submits a batch of decision records in the ring
 * buffer, like those that the file_open program submits for a denied open.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "enclave.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);	/* the benchmark sets ringbuf_size */
} events SEC(".maps");

/* The record that every submitted record starts as: the benchmark fills
 * it in before the first run. */
struct enclave_rec_decision record_template;

/* Reserves that found the ring buffer full; the benchmark requires 0. */
__u64 reserve_failed;

static long produce_record(__u64 index, void *ctx)
{
	struct enclave_rec_decision *rec;

	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		__sync_fetch_and_add(&reserve_failed, 1);
		return 0;
	}
	__builtin_memcpy(rec, &record_template, sizeof(*rec));
	rec->hdr.cpu = bpf_get_smp_processor_id();
	rec->hdr.time_ns = bpf_ktime_get_boot_ns();
	rec->proc.tid = rec->proc.pid + (__u32)(index & 0xff);
	bpf_ringbuf_submit(rec, 0);
	return 0;
}

/* args[0] of the test run's context is the number of records to submit. */
SEC("raw_tp")
int produce_batch(struct bpf_raw_tracepoint_args *ctx)
{
	bpf_loop((__u32)ctx->args[0], produce_record, NULL, 0);
	return 0;
}

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Container start and stop records carry the container's id, and exec and
# exit records of its processes carry their PIDs, exit codes and order, for
# runc, crun and podman containers.
set -eu

. "$ENCLAVE_SRCDIR/tests/e2e/lib.sh"
guest_setup
. "$ENCLAVE_SRCDIR/tests/e2e/daemon.sh"
trap 'enclaved_kill; e2e_cleanup' EXIT

podman_setup
podman_import enclave-busybox
enclaved_start

# A path with a slash makes busybox sh exec instead of running its applet.
ENTRYPOINT='/ctl/waiter /bin/true; exit 3'

# check_lifecycle ID NAME INIT CHILD RUNTIME: the records of one container
# whose entrypoint (PID INIT) ran the waiter (PID CHILD) and exited with 3.
check_lifecycle() {
	id=$1 name=$2 init=$3 child=$4 runtime=$5
	sel=".container.id == \"$id\""

	start=$(wait_record "$sel and .event.action == \"container_start\"") ||
		fail "$id: no container_start record"
	expect_field "$start" .process.pid "$init"
	expect_field "$start" .process.name "$runtime"
	expect_field "$start" .container.runtime "$runtime"
	expect_field "$start" .container.name "$name"
	expect_field "$start" .enclave.policy baseline
	expect_field "$start" .enclave.mode enforce

	stop=$(wait_record "$sel and .event.action == \"container_stop\"") ||
		fail "$id: no container_stop record"
	expect_field "$stop" .process.pid "$init"
	expect_field "$stop" .process.exit_code 3
	expect_field "$stop" .container.name "$name"

	entry=$(wait_record "$sel and .event.action == \"process_exec\" and .process.pid == $init")
	expect_field "$entry" .process.name sh
	expect_field "$entry" .process.executable /bin/busybox

	waiter=$(wait_record "$sel and .event.action == \"process_exec\" and .process.pid == $child and .process.name == \"waiter\"")
	expect_field "$waiter" .process.executable /bin/busybox
	expect_field "$waiter" .process.parent.pid "$init"
	true_exec=$(wait_record "$sel and .event.action == \"process_exec\" and .process.pid == $child and .process.name == \"true\"")
	expect_field "$true_exec" .process.executable /bin/busybox

	child_exit=$(wait_record "$sel and .event.action == \"process_exit\" and .process.pid == $child")
	expect_field "$child_exit" .process.exit_code 0
	expect_field "$child_exit" .process.name true
	init_exit=$(wait_record "$sel and .event.action == \"process_exit\" and .process.pid == $init")
	expect_field "$init_exit" .process.exit_code 3

	# One start and one stop, and the records in the order they happened.
	[ "$(records "$sel and .event.action == \"container_start\"" | wc -l)" -eq 1 ] ||
		fail "$id: more than one container_start record"
	[ "$(records "$sel and .event.action == \"container_stop\"" | wc -l)" -eq 1 ] ||
		fail "$id: more than one container_stop record"
	order=$(printf '%s\n' "$start" "$entry" "$waiter" "$true_exec" "$child_exit" \
		"$init_exit" "$stop" | jq -s 'map(.event.sequence) | . == sort and
		(unique | length) == 7')
	[ "$order" = true ] || fail "$id: records out of order"
	note "$id: start, exec, exit and stop records are complete and in order"
}

for runtime in runc crun; do
	id=life-$runtime
	make_ctl "$WORK/ctl-$id"
	make_bundle "$WORK/bundle-$id" "$id" sh -c "$ENTRYPOINT"
	bundle_add_ctl "$WORK/bundle-$id" "$WORK/ctl-$id"
	oci_runtime "$runtime" run --pid-file "$WORK/$id.pid" --bundle "$WORK/bundle-$id" \
		"$id" < /dev/null > "$WORK/$id.out" 2>&1 &
	run_pid=$!
	init=$(wait_file "$WORK/$id.pid")
	child=$(find_waiter "$(cgroup_dir_of "$init")")
	release_waiter "$WORK/ctl-$id/go"
	status=0
	wait "$run_pid" || status=$?
	[ "$status" -eq 3 ] || fail "$runtime run exited with $status, expected 3"
	check_lifecycle "$id" "$id" "$init" "$child" "$(runtime_comm "$runtime")"
done

for runtime in runc crun; do
	name=life-podman-$runtime
	make_ctl "$WORK/ctl-$name"
	podman_cmd run --rm --runtime "$runtime" --name "$name" --cidfile "$WORK/$name.cid" \
		-v "$WORK/ctl-$name:/ctl" enclave-busybox sh -c "$ENTRYPOINT" \
		> "$WORK/$name.out" 2>&1 &
	run_pid=$!
	cid=$(wait_file "$WORK/$name.cid")
	start=$(wait_record ".event.action == \"container_start\" and .container.id == \"$cid\"") ||
		fail "podman ($runtime): no container_start record"
	init=$(printf '%s\n' "$start" | jq -r .process.pid)
	child=$(find_waiter "$(cgroup_dir_of "$init")")
	release_waiter "$WORK/ctl-$name/go"
	status=0
	wait "$run_pid" || status=$?
	[ "$status" -eq 3 ] || fail "podman run ($runtime) exited with $status, expected 3"
	check_lifecycle "$cid" "$name" "$init" "$child" "$(runtime_comm "$runtime")"
done

enclaved_stop
echo "PASS: lifecycle records of runc, crun and podman containers"

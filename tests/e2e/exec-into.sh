#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Processes that runc exec, crun exec and podman exec start in a running
# container belong to that container: their dmesg is denied and recorded
# with the container's id and the exec'd process's PID.
set -eu

. "$ENCLAVE_SRCDIR/tests/e2e/lib.sh"
guest_setup
. "$ENCLAVE_SRCDIR/tests/e2e/daemon.sh"
trap 'enclaved_kill; e2e_cleanup' EXIT

podman_setup
podman_import enclave-busybox
enclaved_start

for runtime in runc crun; do
	id=exec-$runtime
	make_bundle "$WORK/bundle-$id" "$id" sleep 1000
	oci_start "$runtime" "$id"
	init=$(container_pid "$runtime" "$id")
	wait_record ".event.action == \"container_start\" and .container.id == \"$id\"" > /dev/null ||
		fail "$runtime: no container_start record for $id"

	status=0
	out=$(oci_runtime "$runtime" exec --pid-file "$WORK/$id.exec.pid" "$id" dmesg \
		< /dev/null 2>&1) || status=$?
	[ "$status" -ne 0 ] || fail "$runtime exec: dmesg succeeded: $out"
	case "$out" in
	*"dmesg: klogctl: Operation not permitted"*) ;;
	*) fail "$runtime exec: dmesg did not fail with EPERM: $out" ;;
	esac
	pid=$(cat "$WORK/$id.exec.pid")
	[ "$pid" != "$init" ] || fail "$runtime exec: the exec'd PID is the init's"
	record=$(wait_record ".event.action == \"deny\" and .process.pid == $pid") ||
		fail "$runtime exec: no deny record for PID $pid"
	expect_dmesg_deny "$record" "$id" "$pid" "$(runtime_comm "$runtime")"
	exec_record=$(wait_record ".event.action == \"process_exec\" and .process.pid == $pid")
	expect_field "$exec_record" .container.id "$id"
	expect_field "$exec_record" .process.name dmesg
	note "$runtime exec: dmesg (PID $pid) denied and attributed to $id"
	oci_stop "$runtime" "$id"
done

for runtime in runc crun; do
	name=exec-podman-$runtime
	make_ctl "$WORK/ctl-$name"
	cid=$(podman_cmd run -d --runtime "$runtime" --cap-add SYSLOG --name "$name" \
		-v "$WORK/ctl-$name:/ctl" enclave-busybox sleep 1000)
	start=$(wait_record ".event.action == \"container_start\" and .container.id == \"$cid\"") ||
		fail "podman ($runtime): no container_start record for $cid"
	init=$(printf '%s\n' "$start" | jq -r .process.pid)

	podman_cmd exec "$name" sh -c '/ctl/waiter dmesg; echo "status=$?"' \
		> "$WORK/$name.out" 2>&1 &
	exec_pid=$!
	pid=$(find_waiter "$(cgroup_dir_of "$init")")
	release_waiter "$WORK/ctl-$name/go"
	wait "$exec_pid" || fail "podman ($runtime) exec failed: $(cat "$WORK/$name.out")"
	out=$(cat "$WORK/$name.out")
	# podman exec relays stdout and stderr separately, in either order.
	case "$out" in
	*"dmesg: klogctl: Operation not permitted"*) ;;
	*) fail "podman ($runtime) exec: dmesg did not fail with EPERM: $out" ;;
	esac
	case "$out" in
	*"status=1"*) ;;
	*) fail "podman ($runtime) exec: dmesg exited with other than 1: $out" ;;
	esac
	record=$(wait_record ".event.action == \"deny\" and .process.pid == $pid") ||
		fail "podman ($runtime) exec: no deny record for PID $pid"
	expect_dmesg_deny "$record" "$cid" "$pid" "$(runtime_comm "$runtime")"
	expect_field "$record" .container.name "$name"
	note "podman ($runtime) exec: dmesg (PID $pid) denied and attributed to $cid"
	podman_stop "$name"
done

enclaved_stop
echo "PASS: exec'd processes are judged as part of their container"

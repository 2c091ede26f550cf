#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# dmesg inside runc, crun and podman containers (podman with runc and with
# crun) is denied with EPERM under the baseline policy, both as the
# entrypoint and from a shell inside. Each denial is recorded with the
# container's id and the PID of that dmesg process. A control run without
# enclaved shows that the kernel itself lets these containers read the log.
set -eu

. "$ENCLAVE_SRCDIR/tests/e2e/lib.sh"
guest_setup
. "$ENCLAVE_SRCDIR/tests/e2e/daemon.sh"
trap 'enclaved_kill; e2e_cleanup' EXIT

podman_setup
podman_import enclave-busybox

# bundle ID ARG...: a bundle whose container mounts $WORK/ctl-ID at /ctl.
bundle() {
	id=$1
	shift
	make_ctl "$WORK/ctl-$id"
	make_bundle "$WORK/bundle-$id" "$id" "$@"
	bundle_add_ctl "$WORK/bundle-$id" "$WORK/ctl-$id"
}

# run_oci RUNTIME ID: run container ID in the foreground, with its init's
# PID in $WORK/ID.pid.
run_oci() {
	oci_runtime "$1" run --pid-file "$WORK/$2.pid" --bundle "$WORK/bundle-$2" "$2" \
		< /dev/null
}

# Control: without enclaved every runtime's dmesg succeeds.
for runtime in runc crun; do
	bundle "control-$runtime" dmesg
	out=$(run_oci "$runtime" "control-$runtime" 2>&1) ||
		fail "control: dmesg in a $runtime container failed: $out"
	[ -n "$out" ] || fail "control: dmesg in a $runtime container printed nothing"
	out=$(podman_cmd run --rm --runtime "$runtime" --cap-add SYSLOG \
		enclave-busybox dmesg 2>&1) ||
		fail "control: dmesg in a podman container ($runtime) failed: $out"
	[ -n "$out" ] || fail "control: dmesg in a podman container ($runtime) printed nothing"
done
note "control: dmesg succeeds in runc, crun and podman containers without enclaved"

enclaved_start

# expect_eperm OUTPUT STATUS WHAT: dmesg failed the way busybox reports EPERM.
expect_eperm() {
	[ "$2" -ne 0 ] || fail "$3: dmesg succeeded under enclaved: $1"
	case "$1" in
	*"dmesg: klogctl: Operation not permitted"*) ;;
	*) fail "$3: dmesg did not fail with EPERM: $1" ;;
	esac
}

for runtime in runc crun; do
	comm=$(runtime_comm "$runtime")

	# dmesg as the entrypoint: its PID is the container's init PID.
	id=entry-$runtime
	bundle "$id" dmesg
	status=0
	out=$(run_oci "$runtime" "$id" 2>&1) || status=$?
	expect_eperm "$out" "$status" "$runtime entrypoint"
	pid=$(cat "$WORK/$id.pid")
	record=$(wait_record ".event.action == \"deny\" and .process.pid == $pid") ||
		fail "$runtime entrypoint: no deny record for PID $pid"
	expect_dmesg_deny "$record" "$id" "$pid" "$comm"
	expect_field "$record" .container.name "$id"
	note "$runtime: entrypoint dmesg (PID $pid) denied and recorded"

	# dmesg from a shell inside: the waiter's PID becomes dmesg's at exec.
	id=shell-$runtime
	bundle "$id" sh -c '/ctl/waiter dmesg; echo "status=$?"'
	run_oci "$runtime" "$id" > "$WORK/$id.out" 2>&1 &
	run_pid=$!
	init=$(wait_file "$WORK/$id.pid")
	pid=$(find_waiter "$(cgroup_dir_of "$init")")
	release_waiter "$WORK/ctl-$id/go"
	wait "$run_pid" || fail "$runtime shell: the container failed: $(cat "$WORK/$id.out")"
	out=$(cat "$WORK/$id.out")
	expect_eperm "$out" 1 "$runtime shell"
	case "$out" in
	*"status=1"*) ;;
	*) fail "$runtime shell: dmesg exited with other than 1: $out" ;;
	esac
	record=$(wait_record ".event.action == \"deny\" and .process.pid == $pid") ||
		fail "$runtime shell: no deny record for PID $pid"
	expect_dmesg_deny "$record" "$id" "$pid" "$comm"
	expect_field "$record" .process.parent.pid "$init"
	note "$runtime: dmesg from a shell (PID $pid) denied and recorded"
done

for runtime in runc crun; do
	comm=$(runtime_comm "$runtime")

	name=podman-$runtime
	status=0
	out=$(podman_cmd run --rm --runtime "$runtime" --cap-add SYSLOG --name "$name" \
		--cidfile "$WORK/$name.cid" enclave-busybox dmesg 2>&1) || status=$?
	expect_eperm "$out" "$status" "podman ($runtime) entrypoint"
	cid=$(cat "$WORK/$name.cid")
	record=$(wait_record ".event.action == \"deny\" and .container.id == \"$cid\"") ||
		fail "podman ($runtime) entrypoint: no deny record for container $cid"
	pid=$(printf '%s\n' "$record" | jq -r .process.pid)
	# The entrypoint's PID is that of the runtime init in container_start.
	start=$(wait_record ".event.action == \"container_start\" and .container.id == \"$cid\"")
	expect_field "$start" .process.pid "$pid"
	expect_dmesg_deny "$record" "$cid" "$pid" "$comm"
	expect_field "$record" .container.name "$name"
	note "podman ($runtime): entrypoint dmesg (PID $pid) denied and recorded"

	name=podman-shell-$runtime
	make_ctl "$WORK/ctl-$name"
	podman_cmd run --rm --runtime "$runtime" --cap-add SYSLOG --name "$name" \
		--cidfile "$WORK/$name.cid" -v "$WORK/ctl-$name:/ctl" enclave-busybox \
		sh -c '/ctl/waiter dmesg; echo "status=$?"' > "$WORK/$name.out" 2>&1 &
	run_pid=$!
	cid=$(wait_file "$WORK/$name.cid")
	start=$(wait_record ".event.action == \"container_start\" and .container.id == \"$cid\"") ||
		fail "podman ($runtime) shell: no container_start record for $cid"
	init=$(printf '%s\n' "$start" | jq -r .process.pid)
	pid=$(find_waiter "$(cgroup_dir_of "$init")")
	release_waiter "$WORK/ctl-$name/go"
	wait "$run_pid" || fail "podman ($runtime) shell: the container failed: $(cat "$WORK/$name.out")"
	out=$(cat "$WORK/$name.out")
	expect_eperm "$out" 1 "podman ($runtime) shell"
	record=$(wait_record ".event.action == \"deny\" and .process.pid == $pid") ||
		fail "podman ($runtime) shell: no deny record for PID $pid"
	expect_dmesg_deny "$record" "$cid" "$pid" "$comm"
	expect_field "$record" .container.name "$name"
	expect_field "$record" .process.parent.pid "$init"
	note "podman ($runtime): dmesg from a shell (PID $pid) denied and recorded"
done

enclaved_stop
# Exactly the eight dmesg processes above were denied.
denied=$(records '.event.action == "deny"' | jq -s 'map(.process.pid) | unique | length')
[ "$denied" -eq 8 ] || fail "deny records name $denied processes, expected 8"
echo "PASS: dmesg denied in runc, crun and podman containers"

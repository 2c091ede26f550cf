#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Check the container fixtures of lib.sh inside the test VM, without enclaved:
# for runc, crun, podman with runc and podman with crun, dmesg succeeds as
# the entrypoint, from a shell in the container and through exec into a
# running container. With kernel.dmesg_restrict=1, dmesg succeeds only with
# the CAP_SYSLOG that the fixtures grant. The script also prints the active
# LSMs, the cgroup path of each container and the time each step takes.
set -eu

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

guest_setup

TIMINGS=$E2E_DIR/timings
: >"$TIMINGS"

# Run ARG... and record its duration under LABEL in $TIMINGS. The output of
# ARG... goes to $E2E_DIR/output and its status is returned.
timed() {
	timed_label=$1
	shift
	timed_start=$(now_ms)
	timed_status=0
	"$@" >"$E2E_DIR/output" 2>&1 || timed_status=$?
	printf '%6d ms  %s\n' $(($(now_ms) - timed_start)) "$timed_label" >>"$TIMINGS"
	return "$timed_status"
}

# Check that the last output of timed is not empty.
expect_output() {
	[ -s "$E2E_DIR/output" ] || fail "$1: dmesg printed nothing"
}

# Fail with LABEL and the last output of timed.
fail_with_output() {
	fail "$1: $(cat "$E2E_DIR/output")"
}

# Check that a process started with EXEC-COMMAND... (an exec into a running
# container) runs in the container's cgroup CGROUP. LABEL names the runtime.
# The exec'd "sleep 999" differs from the containers' init, "sleep 1000".
check_exec_cgroup() {
	exec_label=$1
	exec_cgroup=$2
	shift 2
	"$@" sleep 999 >"$E2E_DIR/exec-output" 2>&1 &
	exec_job=$!
	exec_pid=$(wait_for_cgroup_process "$exec_cgroup" "sleep 999") ||
		fail "$exec_label: the process started by exec is not in the container cgroup '$exec_cgroup': $(cat "$E2E_DIR/exec-output")"
	note "$exec_label: exec'd process $exec_pid runs in the container cgroup"
	kill "$exec_pid"
	wait "$exec_job" || true
}

lsm=$(cat /sys/kernel/security/lsm)
note "active LSMs: $lsm"
case ",$lsm," in
*,bpf,*) ;;
*) fail "the BPF LSM is not active: /sys/kernel/security/lsm is '$lsm'" ;;
esac
note "lockdown: $(cat /sys/kernel/security/lockdown)"
note "kernel: $(uname -r)"

set_dmesg_restrict 1
dmesg >/dev/null || fail "dmesg failed for root in the VM with kernel.dmesg_restrict=1"
set_dmesg_restrict 0

# --- runc and crun --------------------------------------------------------------

check_oci_runtime() {
	runtime=$1

	make_bundle "$E2E_DIR/$runtime-entry" "$runtime-entry" dmesg
	timed "$runtime: run, dmesg as entrypoint" oci_run "$runtime" "$runtime-entry" ||
		fail_with_output "$runtime: dmesg as entrypoint failed"
	expect_output "$runtime: dmesg as entrypoint"

	make_bundle "$E2E_DIR/$runtime-shell" "$runtime-shell" \
		sh -c 'dmesg >/tmp/dmesg && test -s /tmp/dmesg && echo dmesg-ok'
	timed "$runtime: run, dmesg from sh -c" oci_run "$runtime" "$runtime-shell" ||
		fail_with_output "$runtime: dmesg from a shell failed"
	grep -qx dmesg-ok "$E2E_DIR/output" ||
		fail_with_output "$runtime: dmesg from a shell printed nothing"

	make_bundle "$E2E_DIR/$runtime-detached" "$runtime-detached" sleep 1000
	timed "$runtime: run --detach" oci_start "$runtime" "$runtime-detached"
	pid=$(container_pid "$runtime" "$runtime-detached")
	cgroup=$(cgroup_path_of_pid "$pid")
	note "$runtime: container cgroup '$cgroup', id $(cgroup_id_of_path "$cgroup"), init pid $pid ($(cat "/proc/$pid/comm"))"
	timed "$runtime: exec dmesg" oci_exec "$runtime" "$runtime-detached" dmesg ||
		fail_with_output "$runtime: exec dmesg failed"
	expect_output "$runtime: exec dmesg"
	check_exec_cgroup "$runtime" "$cgroup" oci_exec "$runtime" "$runtime-detached"

	set_dmesg_restrict 1
	timed "$runtime: exec dmesg, dmesg_restrict=1" \
		oci_exec "$runtime" "$runtime-detached" dmesg ||
		fail_with_output "$runtime: exec dmesg with CAP_SYSLOG and kernel.dmesg_restrict=1 failed"
	timed "$runtime: stop" oci_stop "$runtime" "$runtime-detached"

	make_bundle "$E2E_DIR/$runtime-nocap" "$runtime-nocap" dmesg
	bundle_edit "$E2E_DIR/$runtime-nocap" \
		'.process.capabilities |= map_values(. - ["CAP_SYSLOG"])'
	if timed "$runtime: run, dmesg without CAP_SYSLOG" oci_run "$runtime" "$runtime-nocap"; then
		fail "$runtime: dmesg without CAP_SYSLOG succeeded with kernel.dmesg_restrict=1"
	fi
	set_dmesg_restrict 0
}

check_oci_runtime runc
check_oci_runtime crun

# --- podman ---------------------------------------------------------------------

podman_setup
timed "podman: import" podman_import enclave-busybox ||
	fail_with_output "podman: import failed"
IMAGE=localhost/enclave-busybox:latest

check_podman() {
	PODMAN_RUNTIME=$1
	export PODMAN_RUNTIME
	label="podman+$1"

	timed "$label: run, dmesg as entrypoint" \
		podman_cmd run --rm --network none --cap-add SYSLOG "$IMAGE" dmesg ||
		fail_with_output "$label: dmesg as entrypoint failed"
	expect_output "$label: dmesg as entrypoint"

	timed "$label: run, dmesg from sh -c" \
		podman_cmd run --rm --network none --cap-add SYSLOG "$IMAGE" \
		sh -c 'dmesg >/tmp/dmesg && test -s /tmp/dmesg && echo dmesg-ok' ||
		fail_with_output "$label: dmesg from a shell failed"
	grep -qx dmesg-ok "$E2E_DIR/output" ||
		fail_with_output "$label: dmesg from a shell printed nothing"

	name=smoke-$1
	timed "$label: run --detach" podman_start "$name" "$IMAGE" sleep 1000
	pid=$(container_pid podman "$name")
	cgroup=$(cgroup_path_of_pid "$pid")
	note "$label: container cgroup '$cgroup', id $(cgroup_id_of_path "$cgroup"), init pid $pid ($(cat "/proc/$pid/comm"))"
	podman_cmd inspect --format '{{.OCIRuntime}}' "$name" >"$E2E_DIR/output" ||
		fail_with_output "$label: podman inspect failed"
	[ "$(cat "$E2E_DIR/output")" = "$1" ] ||
		fail_with_output "$label: container runs with the wrong OCI runtime"
	check_exec_cgroup "$label" "$cgroup" podman_cmd exec "$name"
	timed "$label: exec dmesg" podman_cmd exec "$name" dmesg ||
		fail_with_output "$label: exec dmesg failed"
	expect_output "$label: exec dmesg"

	set_dmesg_restrict 1
	timed "$label: exec dmesg, dmesg_restrict=1" podman_cmd exec "$name" dmesg ||
		fail_with_output "$label: exec dmesg with CAP_SYSLOG and kernel.dmesg_restrict=1 failed"
	timed "$label: rm --force" podman_stop "$name"

	if timed "$label: run, dmesg without CAP_SYSLOG" \
		podman_cmd run --rm --network none "$IMAGE" dmesg; then
		fail "$label: dmesg without CAP_SYSLOG succeeded with kernel.dmesg_restrict=1"
	fi
	set_dmesg_restrict 0
}

check_podman runc
check_podman crun

echo "Timings (TCG guest):"
cat "$TIMINGS"
echo "PASS: container fixtures work for runc, crun, podman+runc and podman+crun"

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The configured default level and mode decide: privileged allows syslog(2)
# and records no decision, baseline and restricted deny it, and audit mode
# allows it with an audit record. Sub-cgroups that a container's processes
# are moved into belong to the container at any depth.
set -eu

. "$ENCLAVE_SRCDIR/tests/e2e/lib.sh"
guest_setup
. "$ENCLAVE_SRCDIR/tests/e2e/daemon.sh"
trap 'enclaved_kill; e2e_cleanup' EXIT

# probe ID: run klogctl as the entrypoint of a new runc container ID; sets
# PROBE_OUT, PROBE_STATUS and PROBE_PID.
probe() {
	make_bundle "$WORK/bundle-$1" "$1" /klogctl
	cp "$ENCLAVE_BUILDDIR/tests/e2e/klogctl" "$WORK/bundle-$1/rootfs/klogctl"
	PROBE_STATUS=0
	PROBE_OUT=$(oci_runtime runc run --pid-file "$WORK/$1.pid" --bundle "$WORK/bundle-$1" \
		"$1" < /dev/null 2>&1) || PROBE_STATUS=$?
	PROBE_PID=$(cat "$WORK/$1.pid")
	wait_record ".container.id == \"$1\" and .event.action == \"container_stop\"" > /dev/null ||
		fail "$1: no container_stop record"
}

# level_case LEVEL MODE: start enclaved with that default and probe.
level_case() {
	rm -f "$EVENTS"
	enclaved_start "default_level = $1" "default_mode = $2"
	id=probe-$1-$2
	probe "$id"
	start=$(wait_record ".container.id == \"$id\" and .event.action == \"container_start\"")
	expect_field "$start" .enclave.policy "$1"
	expect_field "$start" .enclave.mode "$2"
}

level_case privileged enforce
[ "$PROBE_STATUS" -eq 0 ] || fail "privileged: syslog(2) failed: $PROBE_OUT"
[ "$(records '.event.action == "deny" or .event.action == "audit"' | wc -l)" -eq 0 ] ||
	fail "privileged: a decision was recorded"
enclaved_stop
note "privileged: syslog(2) allowed, nothing recorded"

for level in baseline restricted; do
	level_case "$level" enforce
	[ "$PROBE_STATUS" -eq 1 ] && [ "$PROBE_OUT" = "errno 1" ] ||
		fail "$level: syslog(2) not denied with EPERM: $PROBE_OUT"
	record=$(wait_record ".event.action == \"deny\" and .process.pid == $PROBE_PID") ||
		fail "$level: no deny record"
	expect_field "$record" .enclave.policy "$level"
	expect_field "$record" .enclave.mode enforce
	expect_field "$record" .enclave.errno 1
	expect_field "$record" .event.outcome failure
	enclaved_stop
	note "$level: syslog(2) denied and recorded"
done

level_case baseline audit
[ "$PROBE_STATUS" -eq 0 ] || fail "audit: syslog(2) failed: $PROBE_OUT"
record=$(wait_record ".event.action == \"audit\" and .process.pid == $PROBE_PID") ||
	fail "audit: no audit record"
expect_field "$record" .event.outcome success
expect_field "$record" .enclave.policy baseline
expect_field "$record" .enclave.mode audit
expect_field "$record" .enclave.errno 0
expect_field "$record" .enclave.hook syslog
[ "$(records '.event.action == "deny"' | wc -l)" -eq 0 ] || fail "audit: a deny was recorded"
enclaved_stop
note "audit: syslog(2) allowed and recorded as audit"

# Sub-cgroups, made after the container started, 3 and 20 levels deep.
rm -f "$EVENTS"
enclaved_start
make_bundle "$WORK/bundle-nest" nest sleep 1000
cp "$ENCLAVE_BUILDDIR/tests/e2e/klogctl" "$WORK/bundle-nest/rootfs/klogctl"
make_ctl "$WORK/ctl-nest"
bundle_add_ctl "$WORK/bundle-nest" "$WORK/ctl-nest"
oci_start runc nest
top=$(cgroup_dir_of "$(container_pid runc nest)")
wait_record '.container.id == "nest" and .event.action == "container_start"' > /dev/null ||
	fail "nest: no container_start record"
status=$("$ENCLAVE_BUILDDIR/enclavectl" status) || fail "enclavectl status failed"
expect_field "$status" '.containers[] | select(.id == "nest") | .policy' baseline
expect_field "$status" '.containers[] | select(.id == "nest") | .mode' enforce
expect_field "$status" '.containers[] | select(.id == "nest") | .rule' default
expect_field "$status" '.containers[] | select(.id == "nest") | .adopted' false
for depth in 3 20; do
	dir=$top
	i=0
	while [ "$i" -lt "$depth" ]; do
		dir=$dir/d$i
		i=$((i + 1))
	done
	mkdir -p "$dir"
	oci_exec runc nest /ctl/waiter /klogctl > "$WORK/nest-$depth.out" 2>&1 &
	exec_pid=$!
	waiter=$(find_waiter "$top")
	echo "$waiter" > "$dir/cgroup.procs"
	release_waiter "$WORK/ctl-nest/go"
	status=0
	wait "$exec_pid" || status=$?
	[ "$status" -eq 1 ] && [ "$(cat "$WORK/nest-$depth.out")" = "errno 1" ] ||
		fail "depth $depth: syslog(2) not denied: $(cat "$WORK/nest-$depth.out")"
	record=$(wait_record ".event.action == \"deny\" and .process.pid == $waiter") ||
		fail "depth $depth: no deny record"
	expect_field "$record" .container.id nest
	note "a process $depth cgroup levels below the container is denied"
done
oci_stop runc nest
enclaved_stop
echo "PASS: levels, audit mode and sub-cgroups"

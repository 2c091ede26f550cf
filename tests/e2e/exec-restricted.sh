#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# runc exec, crun exec and podman exec into a container at restricted. The
# runtime's own work of entering the container is not denied, so a harmless
# command exits 0 with no deny record. What the exec'd process then does is
# judged under that container's policy, restricted by a rule while the
# default is baseline: syslog(2) fails with EPERM and the deny record names
# the container. An exec registers no new container, and an exec as
# another user is not denied either.
set -eu

. "$ENCLAVE_SRCDIR/tests/e2e/lib.sh"
guest_setup
. "$ENCLAVE_SRCDIR/tests/e2e/daemon.sh"
trap 'show_records_on_failure $?; enclaved_kill; e2e_cleanup' EXIT

KLOGCTL=$ENCLAVE_BUILDDIR/tests/e2e/klogctl

ENCLAVED_SECTIONS='[rule exec-oci]
match.id = exec-r-*
level = restricted
[rule exec-podman]
match.name = exec-r-podman
level = restricted'
enclaved_start "default_level = baseline"

# counts ID: "STARTS|DENIES|DENY_POLICY|DENY_NAME|DENY_HOOK", the numbers of
# container_start and deny records of container ID and fields of its last
# deny record. It runs jq once, because each run costs seconds in the VM.
counts() {
	jq -rs --arg id "$1" '
		map(select(.container.id == $id)) as $r
		| ($r | map(select(.event.action == "deny"))) as $d
		| [($r | map(select(.event.action == "container_start")) | length),
		   ($d | length), $d[-1].enclave.policy, $d[-1].process.name,
		   $d[-1].enclave.hook]
		| map(tostring) | join("|")' "$EVENTS"
}

# expect_counts ID STARTS DENIES [POLICY NAME HOOK]
expect_counts() {
	IFS='|' read -r starts denies d_policy d_name d_hook <<EOF
$(counts "$1")
EOF
	[ "$starts" -eq "$2" ] || fail "$1: $starts container_start records, expected $2"
	[ "$denies" -eq "$3" ] || fail "$1: $denies deny records, expected $3"
	[ "$3" -gt 0 ] || return 0
	[ "$d_policy" = "$4" ] || fail "$1: the deny record has policy '$d_policy', expected '$4'"
	[ "$d_name" = "$5" ] || fail "$1: the deny record names process '$d_name', expected '$5'"
	[ "$d_hook" = "$6" ] || fail "$1: the deny record has hook '$d_hook', expected '$6'"
}

# wait_denies ID N: wait up to 20 s for N deny records of container ID.
wait_denies() {
	_i=0
	while [ "$(jq -s --arg id "$1" 'map(select(.container.id == $id and
		.event.action == "deny")) | length' "$EVENTS")" -lt "$2" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 40 ] || return 1
		sleep 0.5
	done
}

# oci_case RUNTIME: start a container at restricted with RUNTIME, exec a
# harmless command and klogctl into it.
oci_case() {
	id=exec-r-$1
	make_bundle "$WORK/bundle-$id" "$id" sleep 1000
	cp "$KLOGCTL" "$WORK/bundle-$id/rootfs/klogctl"
	oci_start "$1" "$id"
	start=$(wait_record ".container.id == \"$id\" and .event.action == \"container_start\"") ||
		fail "$id: no container_start record"
	expect_field "$start" .enclave.policy restricted
	expect_field "$start" .enclave.rule exec-oci

	status=0
	out=$(oci_exec "$1" "$id" /bin/echo harmless 2>&1) || status=$?
	[ "$status" -eq 0 ] || fail "$id: '$1 exec $id echo' exited with $status: $out"
	[ "$out" = harmless ] || fail "$id: '$1 exec $id echo' printed '$out', expected 'harmless'"
	# The exec's process_exit record comes after anything it was denied.
	wait_record ".container.id == \"$id\" and .event.action == \"process_exit\" and .process.name == \"echo\"" > /dev/null ||
		fail "$id: no process_exit record for echo"
	expect_counts "$id" 1 0
	note "$id: '$1 exec' of a harmless command exits 0, no deny record"

	# The runtime's switch to another user is no change to uid 0, which is
	# what restricted denies.
	status=0
	out=$(oci_runtime "$1" exec --user 1000:1000 "$id" /bin/sh -c 'id -u' < /dev/null 2>&1) ||
		status=$?
	[ "$status" -eq 0 ] || fail "$id: '$1 exec --user 1000:1000 $id id -u' exited with $status: $out"
	[ "$out" = 1000 ] || fail "$id: 'id -u' printed '$out', expected '1000'"
	wait_record ".container.id == \"$id\" and .event.action == \"process_exit\" and .process.name == \"id\"" > /dev/null ||
		fail "$id: no process_exit record for id"
	expect_counts "$id" 1 0
	note "$id: '$1 exec --user 1000:1000' exits 0, no deny record"

	status=0
	out=$(oci_exec "$1" "$id" /klogctl 2>&1) || status=$?
	[ "$status" -eq 1 ] || fail "$id: '$1 exec $id /klogctl' exited with $status, expected 1: $out"
	[ "$out" = "errno 1" ] || fail "$id: klogctl printed '$out', expected 'errno 1'"
	wait_denies "$id" 1 || fail "$id: no deny record for klogctl"
	expect_counts "$id" 1 1 restricted klogctl syslog
	note "$id: syslog(2) from '$1 exec' denied at restricted"
	oci_stop "$1" "$id"
}

oci_case runc
oci_case crun

podman_setup
podman_import exec
name=exec-r-podman
podman_start "$name" localhost/exec:latest sleep 1000
id=$(podman_cmd inspect --format '{{.Id}}' "$name") || fail "$name: podman inspect failed"
start=$(wait_record ".container.id == \"$id\" and .event.action == \"container_start\"") ||
	fail "$name: no container_start record"
expect_field "$start" .enclave.policy restricted
expect_field "$start" .enclave.rule exec-podman
expect_field "$start" .container.name "$name"

status=0
out=$(podman_cmd exec "$name" echo harmless 2>&1) || status=$?
[ "$status" -eq 0 ] || fail "$name: 'podman exec $name echo' exited with $status: $out"
[ "$out" = harmless ] || fail "$name: 'podman exec $name echo' printed '$out', expected 'harmless'"
wait_record ".container.id == \"$id\" and .event.action == \"process_exit\" and .process.name == \"echo\"" > /dev/null ||
	fail "$name: no process_exit record for echo"
expect_counts "$id" 1 0
note "$name: 'podman exec' of a harmless command exits 0, no deny record"

status=0
out=$(podman_cmd exec "$name" dmesg 2>&1) || status=$?
[ "$status" -eq 1 ] || fail "$name: 'podman exec $name dmesg' exited with $status, expected 1: $out"
[ "$out" = "dmesg: klogctl: Operation not permitted" ] ||
	fail "$name: dmesg printed '$out', expected 'dmesg: klogctl: Operation not permitted'"
# busybox dmesg requests the buffer size first and then reads it: two calls,
# both denied.
wait_denies "$id" 2 || fail "$name: fewer than 2 deny records for dmesg"
expect_counts "$id" 1 2 restricted dmesg syslog
note "$name: syslog(2) from 'podman exec' denied at restricted"
podman_stop "$name"

enclaved_stop
echo "PASS: runc, crun and podman exec into a restricted container"

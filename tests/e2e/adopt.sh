#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Containers that were running before enclaved started are adopted, with a
# container_start record that has enclave.adopted true and the container's
# id. From then on their processes are enforced: the entrypoint's own loop,
# a process exec'd in afterwards, and a process in a sub-cgroup made before
# enclaved started. Rules apply to adopted containers too. Host processes
# stay unaffected. An entrypoint that a killed enclaved left stopped is
# continued by the next one.
set -eu

. "$ENCLAVE_SRCDIR/tests/e2e/lib.sh"
guest_setup
. "$ENCLAVE_SRCDIR/tests/e2e/daemon.sh"
trap 'show_records_on_failure $?; enclaved_kill; e2e_cleanup; stop_service' EXIT

SERVICE_CGROUP=/sys/fs/cgroup/e2e-service
SERVICE_PID=

stop_service() {
	[ -z "$SERVICE_PID" ] || kill "$SERVICE_PID" 2> /dev/null || true
	[ -z "$SERVICE_PID" ] || wait "$SERVICE_PID" 2> /dev/null || true
	rmdir "$SERVICE_CGROUP" 2> /dev/null || true
}

KLOGCTL=$ENCLAVE_BUILDDIR/tests/e2e/klogctl

# enclaved finds the containers of the e2e helpers in these state directories.
ENCLAVED_DAEMON_CONFIG="runtime_state_dirs = $E2E_DIR/runc-state $E2E_DIR/crun-state"
ENCLAVED_SECTIONS='[rule adopt-crun]
match.id = adopt-crun
level = restricted'

# The entrypoint runs klogctl every half second and leaves the last output
# in /ctl/loop.out.
LOOP='while :; do /klogctl > /ctl/loop.new; mv /ctl/loop.new /ctl/loop.out; sleep 0.5; done'

# start_container RUNTIME ID: a container whose entrypoint is the loop, with
# the control directory $WORK/ctl-ID as /ctl.
start_container() {
	make_bundle "$WORK/bundle-$2" "$2" /bin/sh -c "$LOOP"
	cp "$KLOGCTL" "$WORK/bundle-$2/rootfs/klogctl"
	make_ctl "$WORK/ctl-$2"
	bundle_add_ctl "$WORK/bundle-$2" "$WORK/ctl-$2"
	oci_start "$1" "$2"
}

# wait_loop ID EXPECTED: wait up to 30 s for the loop of container ID to
# print EXPECTED (a shell pattern).
wait_loop() {
	_i=0
	while :; do
		_out=$(cat "$WORK/ctl-$1/loop.out" 2> /dev/null || true)
		case $_out in
		$2) return 0 ;;
		esac
		_i=$((_i + 1))
		[ "$_i" -lt 300 ] || fail "$1: the loop printed '$_out', expected '$2'"
		sleep 0.1
	done
}

# Before enclaved: both containers run, syslog(2) succeeds in them.
start_container runc adopt-runc
start_container crun adopt-crun
wait_loop adopt-runc 'ok *'
wait_loop adopt-crun 'ok *'

# A host service with a mount namespace of its own in a cgroup of its own,
# running the same loop with the host's klogctl.
mkdir -p "$SERVICE_CGROUP" "$WORK/ctl-service"
unshare -m /bin/sh -c "while :; do $KLOGCTL > $WORK/ctl-service/loop.new; mv $WORK/ctl-service/loop.new $WORK/ctl-service/loop.out; sleep 0.5; done" &
SERVICE_PID=$!
echo "$SERVICE_PID" > "$SERVICE_CGROUP/cgroup.procs"
wait_loop service 'ok *'

# A process of adopt-runc waits in a sub-cgroup made before enclaved starts.
top=$(cgroup_dir_of "$(container_pid runc adopt-runc)")
mkdir "$top/sub"
oci_exec runc adopt-runc /ctl/waiter /klogctl > "$WORK/sub.out" 2>&1 &
sub_exec=$!
waiter=$(find_waiter "$top")
echo "$waiter" > "$top/sub/cgroup.procs"
note "waiter $waiter moved to the sub-cgroup before enclaved starts"

enclaved_start "default_level = baseline"

# check_adopted ID POLICY RULE: the container_start record of an adopted
# container.
check_adopted() {
	start=$(wait_record ".container.id == \"$1\" and .event.action == \"container_start\"") ||
		fail "$1: no container_start record after adoption"
	expect_field "$start" .enclave.adopted true
	expect_field "$start" .enclave.policy "$2"
	expect_field "$start" .enclave.mode enforce
	expect_field "$start" .enclave.rule "$3"
	expect_field "$start" .enclave.cgroup "$1"
	n=$(records ".container.id == \"$1\" and .event.action == \"container_start\"" | wc -l)
	[ "$n" -eq 1 ] || fail "$1: $n container_start records, expected 1"
	grep -q "container $1: adopted (PID [0-9]*), policy $2, enforce" "$ENCLAVED_LOG" ||
		fail "$1: no 'adopted' line in the log"
}
check_adopted adopt-runc baseline default
check_adopted adopt-crun restricted adopt-crun
note "both containers adopted"

# The entrypoints' loops, which started before enclaved, are now denied.
wait_loop adopt-runc 'errno 1'
wait_loop adopt-crun 'errno 1'
for pair in adopt-runc:baseline adopt-crun:restricted; do
	id=${pair%%:*}
	record=$(wait_record ".container.id == \"$id\" and .event.action == \"deny\" and .process.name == \"klogctl\"") ||
		fail "$id: no deny record for the loop's klogctl"
	expect_field "$record" .enclave.hook syslog
	expect_field "$record" .enclave.policy "${pair#*:}"
	expect_field "$record" .enclave.errno 1
done
note "the entrypoints' loops are denied after adoption"

# A process exec'd in after adoption is denied.
for pair in runc:baseline crun:restricted; do
	runtime=${pair%%:*}
	id=adopt-$runtime
	status=0
	out=$(oci_exec "$runtime" "$id" /klogctl 2>&1) || status=$?
	[ "$status" -eq 1 ] || fail "$id: '$runtime exec /klogctl' exited with $status, expected 1: $out"
	[ "$out" = "errno 1" ] || fail "$id: klogctl printed '$out', expected 'errno 1'"
	note "$id: syslog(2) from '$runtime exec' denied"
done

# The process in the sub-cgroup made before enclaved started is denied.
release_waiter "$WORK/ctl-adopt-runc/go"
status=0
wait "$sub_exec" || status=$?
[ "$status" -eq 1 ] || fail "sub-cgroup: klogctl exited with $status, expected 1: $(cat "$WORK/sub.out")"
[ "$(cat "$WORK/sub.out")" = "errno 1" ] ||
	fail "sub-cgroup: klogctl printed '$(cat "$WORK/sub.out")', expected 'errno 1'"
record=$(wait_record ".event.action == \"deny\" and .process.pid == $waiter") ||
	fail "sub-cgroup: no deny record for PID $waiter"
expect_field "$record" .container.id adopt-runc
expect_field "$record" .enclave.policy baseline
expect_field "$record" .enclave.hook syslog
note "a process in a sub-cgroup made before enclaved started is denied"

# The service was not adopted: a new round of its loop still succeeds.
rm -f "$WORK/ctl-service/loop.out"
wait_loop service 'ok *'
if grep -q "adopted (PID $SERVICE_PID)" "$ENCLAVED_LOG"; then
	fail "the host service (PID $SERVICE_PID) was adopted"
fi
note "the host service with its own mount namespace and cgroup is not adopted"

# Host processes are not judged.
out=$("$KLOGCTL") || fail "host: syslog(2) failed: $out"
sleep 1
n=$(records '.event.action == "deny" and (.container.id | not)' | wc -l)
[ "$n" -eq 0 ] || fail "host: $n deny records without a container"
note "host: syslog(2) allowed"

# An entrypoint that enclaved stopped and never continued, because that
# daemon died first, is continued by the next one and enforced.
kill -STOP "$ENCLAVED_PID"
start_container runc adopt-held
held_pid=$(container_pid runc adopt-held)
i=0
until [ "$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$held_pid/stat")" = T ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "adopt-held: the entrypoint (PID $held_pid) is not stopped"
	sleep 0.1
done
kill -KILL "$ENCLAVED_PID"
wait "$ENCLAVED_PID" 2> /dev/null || true
ENCLAVED_PID=
sleep 1
[ ! -e "$WORK/ctl-adopt-held/loop.out" ] || fail "adopt-held: the entrypoint ran while stopped"
enclaved_start "default_level = baseline"
check_adopted adopt-held baseline default
grep -q "container adopt-held: continuing its stopped entrypoint (PID $held_pid)" "$ENCLAVED_LOG" ||
	fail "adopt-held: no 'continuing' line in the log"
wait_loop adopt-held 'errno 1'
note "an entrypoint left stopped by a daemon that died is continued and enforced"

oci_stop runc adopt-runc
oci_stop crun adopt-crun
oci_stop runc adopt-held
enclaved_stop
echo "PASS: containers running before enclaved are adopted and enforced"

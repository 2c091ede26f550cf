#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A full ring buffer never changes a verdict: while enclaved is stopped and
# cannot drain its 64 KiB ring buffer, a container floods it with exec
# records, and a syslog(2) call in the container is still denied. The lost
# records are counted per hook and reported in-band once enclaved runs
# again, and enforcement goes on.
set -eu

. "$ENCLAVE_SRCDIR/tests/e2e/lib.sh"
guest_setup
. "$ENCLAVE_SRCDIR/tests/e2e/daemon.sh"
trap 'kill -CONT "$ENCLAVED_PID" 2> /dev/null || true; enclaved_kill; e2e_cleanup' EXIT

ENCLAVED_DAEMON_CONFIG='ringbuf_size = 64K'
enclaved_start

make_bundle "$WORK/bundle" flood sleep 1000
cp "$ENCLAVE_BUILDDIR/tests/e2e/klogctl" "$WORK/bundle/rootfs/klogctl"
oci_start runc flood
wait_record '.container.id == "flood" and .event.action == "container_start"' > /dev/null ||
	fail "no container_start record for flood"

kill -STOP "$ENCLAVED_PID"
# About 600 exec and exit records of some 330 bytes each: three times what
# the ring buffer holds.
oci_exec runc flood sh -c 'i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i + 1)); done' ||
	fail "the flood in the container failed"
status=0
out=$(oci_runtime runc exec --pid-file "$WORK/probe.pid" flood /klogctl < /dev/null) ||
	status=$?
probe=$(cat "$WORK/probe.pid")
[ "$status" -eq 1 ] && [ "$out" = "errno 1" ] ||
	fail "syslog(2) with the ring buffer full: status $status, output '$out', expected EPERM"
kill -CONT "$ENCLAVED_PID"

report=$(wait_record '.event.action == "records_lost"') ||
	fail "no records_lost record after the flood"
note "loss report: $report"
expect_field "$report" .enclave.lost.syslog.total 1
expect_field "$report" .enclave.lost.syslog.count 1
lost_events=$(printf '%s\n' "$report" | jq .enclave.lost.lifecycle.total)
[ "$lost_events" -gt 300 ] || fail "only $lost_events process records counted as lost, expected over 300"
total=$(printf '%s\n' "$report" | jq .enclave.lost.total)
[ "$total" -eq $((lost_events + 1)) ] || fail "enclave.lost.total is $total, expected $((lost_events + 1))"
[ "$(records ".event.action == \"deny\" and .process.pid == $probe" | wc -l)" -eq 0 ] ||
	fail "the probe's deny record was delivered, so the ring buffer was not full"

# With the buffer drained, the next denial is delivered again.
status=0
out=$(oci_runtime runc exec --pid-file "$WORK/probe2.pid" flood /klogctl < /dev/null) ||
	status=$?
[ "$status" -eq 1 ] && [ "$out" = "errno 1" ] || fail "second probe: status $status, output '$out'"
probe2=$(cat "$WORK/probe2.pid")
record=$(wait_record ".event.action == \"deny\" and .process.pid == $probe2") ||
	fail "no deny record for the second probe"
expect_field "$record" .container.id flood
expect_field "$record" .enclave.syslog.type 10
oci_stop runc flood
enclaved_stop

# The sequence numbers of the delivered records have no gap: losses happen
# before numbering and are reported, never hidden as gaps.
jq -s -e 'map(.event.sequence) as $seq | $seq == [range(1; ($seq | length) + 1)]' \
	"$EVENTS" > /dev/null || fail "sequence numbers are not 1..N"
grep -q 'records lost because the ring buffer was full' "$ENCLAVED_LOG" ||
	fail "enclaved did not log the loss"
echo "PASS: a full ring buffer loses records, counts them, and never allows"

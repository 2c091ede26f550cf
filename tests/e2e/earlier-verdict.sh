#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# enclaved composes with another BPF LSM program on the same hook: a
# container process that the other program denies with EACCES gets EACCES,
# not enclaved's EPERM, and enclaved records nothing for a decision it did
# not take, while other container processes still get EPERM.
#
# On x86-64 the 6.1 kernel stops running a hook's BPF LSM programs at the
# first one that returns non-zero, so enclaved's own program never sees the
# earlier verdict in its ret argument here; it passes a non-zero ret on for
# kernels that run every program.
set -eu

. "$ENCLAVE_SRCDIR/tests/e2e/lib.sh"
guest_setup
. "$ENCLAVE_SRCDIR/tests/e2e/daemon.sh"
FIRST_PID=
trap 'enclaved_kill; [ -z "$FIRST_PID" ] || kill "$FIRST_PID"; e2e_cleanup' EXIT

# The kernel runs the BPF LSM programs of a hook newest link first
# (bpf_trampoline_link_prog adds links at the head of the list in 6.1), so
# the other program is attached after enclaved's to run before it. Attached
# the other way round, enclaved's EPERM would win.
enclaved_start
"$ENCLAVE_BUILDDIR/tests/e2e/first-lsm" "$ENCLAVE_BUILDDIR/tests/e2e/first-lsm.bpf.o" \
	> "$WORK/first.out" 2>&1 &
FIRST_PID=$!
wait_file "$WORK/first.out" > /dev/null
[ "$(cat "$WORK/first.out")" = attached ] ||
	fail "the earlier LSM program did not attach: $(cat "$WORK/first.out")"

make_bundle "$WORK/bundle" layered sleep 1000
cp "$ENCLAVE_BUILDDIR/tests/e2e/klogctl" "$WORK/bundle/rootfs/eacces-probe"
cp "$ENCLAVE_BUILDDIR/tests/e2e/klogctl" "$WORK/bundle/rootfs/eperm-probe"
oci_start runc layered

status=0
out=$(oci_runtime runc exec --pid-file "$WORK/eacces.pid" layered /eacces-probe \
	< /dev/null) || status=$?
[ "$status" -eq 1 ] && [ "$out" = "errno 13" ] ||
	fail "eacces-probe: status $status, output '$out', expected errno 13 (EACCES)"
eacces=$(cat "$WORK/eacces.pid")

status=0
out=$(oci_runtime runc exec --pid-file "$WORK/eperm.pid" layered /eperm-probe \
	< /dev/null) || status=$?
[ "$status" -eq 1 ] && [ "$out" = "errno 1" ] ||
	fail "eperm-probe: status $status, output '$out', expected errno 1 (EPERM)"
eperm=$(cat "$WORK/eperm.pid")

record=$(wait_record ".event.action == \"deny\" and .process.pid == $eperm") ||
	fail "no deny record for eperm-probe"
expect_field "$record" .container.id layered
expect_field "$record" .process.name eperm-probe
# The exit record of eacces-probe follows its syslog call, so once it is
# there, a deny record of enclaved's for that call would be too.
wait_record ".event.action == \"process_exit\" and .process.pid == $eacces" > /dev/null ||
	fail "no exit record for eacces-probe"
[ "$(records ".event.action == \"deny\" and .process.pid == $eacces" | wc -l)" -eq 0 ] ||
	fail "enclaved recorded a denial that the earlier program made"
oci_stop runc layered
enclaved_stop
echo "PASS: an earlier program's verdict stands and is not recorded as enclaved's"

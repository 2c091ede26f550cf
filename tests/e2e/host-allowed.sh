#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Host processes are never denied, even while a container runs and even
# when a host process is named like a container runtime, sits in a cgroup
# of its own or is moved into a container's cgroup; and they are never
# recorded, except one that looks like a runtime starting a container in
# its own cgroup, which is reported as an untracked container.
set -eu

. "$ENCLAVE_SRCDIR/tests/e2e/lib.sh"
guest_setup
. "$ENCLAVE_SRCDIR/tests/e2e/daemon.sh"
trap 'enclaved_kill; e2e_cleanup' EXIT

enclaved_start
make_bundle "$WORK/bundle" busy sleep 1000
oci_start runc busy
wait_record '.event.action == "container_start" and .container.id == "busy"' > /dev/null ||
	fail "no container_start record for the running container"

# host_dmesg WHAT COMMAND...: COMMAND runs dmesg on the host and succeeds.
host_dmesg() {
	what=$1
	shift
	out=$("$@" 2>&1) || fail "$what: dmesg on the host failed: $out"
	[ -n "$out" ] || fail "$what: dmesg on the host printed nothing"
}

host_dmesg "host shell" dmesg
sh -c 'echo $$ > "$1"; exec dmesg' sh "$WORK/plain.pid" > /dev/null ||
	fail "host shell: dmesg failed"
plain=$(cat "$WORK/plain.pid")

# Host processes whose comm is a runtime's exec dmesg: they are in the
# host's mount namespace, so they start no container.
named=
for comm in crun 'runc:[2:INIT]'; do
	printf '#!/bin/sh\necho $$ > "%s/named.pid"\nexec dmesg\n' "$WORK" > "$WORK/$comm"
	chmod 0755 "$WORK/$comm"
	host_dmesg "process named $comm" "$WORK/$comm"
	named="$named $(cat "$WORK/named.pid")"
done

# A host process in a cgroup of its own is still a host process.
mkdir /sys/fs/cgroup/enclave-host-test
host_dmesg "process in its own cgroup" sh -c \
	"echo \$\$ > /sys/fs/cgroup/enclave-host-test/cgroup.procs; echo \$\$ > '$WORK/cg.pid'; exec dmesg"
grouped=$(cat "$WORK/cg.pid")

# A host process moved into the running container's cgroup is still a host
# process: it is in the host's mount namespace.
busy_cgroup=$(cgroup_dir_of "$(container_pid runc busy)")
host_dmesg "process in a container's cgroup" sh -c \
	"echo \$\$ > '$busy_cgroup/cgroup.procs'; echo \$\$ > '$WORK/moved.pid'; exec dmesg"
moved=$(cat "$WORK/moved.pid")

# A host process named like a runtime, in a private mount namespace (as
# systemd's PrivateTmp= gives services) and in its parent's cgroup, looks
# like a runtime starting a container without a cgroup of its own: it is
# reported as untracked, and the cgroup does not become a container.
mkdir /sys/fs/cgroup/enclave-svc
printf '#!/bin/sh\necho $$ > "%s/svc.pid"\nexec dmesg\n' "$WORK" > "$WORK/crun"
chmod 0755 "$WORK/crun"
host_dmesg "runtime-named process in a private mount namespace" sh -c \
	"echo \$\$ > /sys/fs/cgroup/enclave-svc/cgroup.procs; unshare -m '$WORK/crun'; true"
svc=$(cat "$WORK/svc.pid")
host_dmesg "other process of that cgroup" sh -c \
	"echo \$\$ > /sys/fs/cgroup/enclave-svc/cgroup.procs; echo \$\$ > '$WORK/svc2.pid'; exec unshare -m dmesg"
svc2=$(cat "$WORK/svc2.pid")
untracked=$(wait_record ".event.action == \"container_untracked\" and .process.pid == $svc") ||
	fail "no container_untracked record for the runtime-named process"
expect_field "$untracked" .process.name crun
expect_field "$untracked" .enclave.hook bprm_check_security
expect_field "$untracked" '.container.id // "none"' none
expect_field "$untracked" .enclave.untracked shared_cgroup

# A container without a mount namespace of its own runs in the host's: it
# is reported as untracked and not enforced.
make_bundle "$WORK/bundle-nomnt" nomnt /klogctl
cp "$ENCLAVE_BUILDDIR/tests/e2e/klogctl" "$WORK/bundle-nomnt/rootfs/klogctl"
bundle_edit "$WORK/bundle-nomnt" '.linux.namespaces |= map(select(.type != "mount"))
	| .linux.maskedPaths = [] | .linux.readonlyPaths = []'
out=$(oci_runtime runc run --pid-file "$WORK/nomnt.pid" --bundle "$WORK/bundle-nomnt" nomnt \
	< /dev/null 2>&1) || fail "container without a mount namespace failed: $out"
nomnt=$(cat "$WORK/nomnt.pid")
untracked=$(wait_record ".event.action == \"container_untracked\" and .process.pid == $nomnt") ||
	fail "no container_untracked record for the container without a mount namespace"
expect_field "$untracked" .enclave.untracked host_mount_namespace
expect_field "$untracked" .process.name 'runc:[2:INIT]'

oci_stop runc busy
enclaved_stop
[ "$(records ".process.pid == $svc" | wc -l)" -eq 1 ] ||
	fail "the runtime-named process has other records than container_untracked"
for pid in $plain $named $grouped $moved $svc2; do
	count=$(records ".process.pid == $pid" | wc -l)
	[ "$count" -eq 0 ] || fail "host PID $pid has $count records: $(records ".process.pid == $pid")"
done
denies=$(records '.event.action == "deny"' | wc -l)
[ "$denies" -eq 0 ] || fail "$denies deny records while only host processes ran dmesg"
[ "$(records ".process.pid == $nomnt" | wc -l)" -eq 1 ] ||
	fail "the untracked container has other records than container_untracked"
starts=$(records '.event.action == "container_start"' | wc -l)
[ "$starts" -eq 1 ] || fail "$starts container_start records, expected 1 (busy)"
rmdir /sys/fs/cgroup/enclave-host-test /sys/fs/cgroup/enclave-svc 2> /dev/null || true
echo "PASS: host processes ran dmesg undisturbed and unrecorded"

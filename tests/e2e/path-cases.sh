#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Path rules judge the path that the kernel resolved, whatever name the
# process used. The cases cover symbolic links, "..", "//", relative names
# from a working directory inside a denied tree, /proc/self/root,
# /proc/self/cwd, and a chroot to a directory above a denied tree. Files of proc and sysfs are judged by their
# own paths wherever they are mounted, and bind mounts of a denied subtree by
# the path inside their filesystem. A path longer than 255 bytes is judged by
# its first 255 bytes, and a path deeper than the kernel walks is denied. A
# rule matches whole components only, and a rule with more components than
# fit in one walk still matches.
#
# One runc container at baseline runs every case; the container has every
# capability and no masked or read-only paths, so that enclave, not the
# runtime, is what denies, and no PID namespace, so that the PIDs that the
# actions print are those in the records.
set -eu

. "$ENCLAVE_SRCDIR/tests/e2e/lib.sh"
guest_setup
. "$ENCLAVE_SRCDIR/tests/e2e/daemon.sh"

# A host directory that the container gets as a bind mount. It is in
# the guest's root file system (a tmpfs overlay, discarded at power-off) and
# not below /tmp, so that the path inside its file system is this path.
KEYS=/srv/enclave-e2e-keys
trap 'show_records_on_failure $?; enclaved_kill; e2e_cleanup; rm -rf "$KEYS"' EXIT

ACTIONS=$ENCLAVE_BUILDDIR/tests/e2e/actions
ID=paths
BUNDLE=$WORK/bundle-$ID
ROOT=$BUNDLE/rootfs
OUT=$WORK/out-$ID

# A file name of 255 bytes, the maximum, and the depth of the long paths.
NAME=$(printf '%0255d' 0 | tr 0 n)
LONG_DEPTH=40
# Deeper than the 192 steps that the kernel side walks towards the root.
UNRESOLVED_DEPTH=200
# More components than the 64 that one walk keeps (80 with "/many").
MANY_DEPTH=79

# repeat N TEXT: TEXT N times.
repeat() {
	_i=0
	while [ "$_i" -lt "$1" ]; do
		printf '%s' "$2"
		_i=$((_i + 1))
	done
}
MANY=/many$(repeat "$MANY_DEPTH" /d)

# make_long_tree DIR: LONG_DEPTH directories named NAME below DIR, made one
# relative step at a time because the whole path exceeds PATH_MAX, and a
# file f at the bottom.
make_long_tree() {
	(
		cd -P "$1" || exit 1
		i=0
		while [ "$i" -lt "$LONG_DEPTH" ]; do
			mkdir "$NAME" && cd -P "$NAME" || exit 1
			i=$((i + 1))
		done
		echo data > f
	) || fail "failed to create $LONG_DEPTH directories below '$1'"
}

# long_open DIR: the plan's command that opens f at the bottom of the long
# tree below DIR by a relative name.
long_open() {
	echo "( cd -P $1 || exit 1; i=0; while [ \$i -lt $LONG_DEPTH ]; do cd -P $NAME || exit 1; i=\$((i + 1)); done; /actions read f )"
}

# prepare_tree: the files, links and deep trees that the cases use.
prepare_tree() {
	mkdir -p "$ROOT/etc/secret/sub" "$ROOT/etc/secretfoo" "$ROOT/etc/other" \
		"$ROOT/mnt/fw" "$ROOT/mnt/keys" "$ROOT/mnt/proc2" "$ROOT/long-open" \
		"$ROOT/etc/secret/long" "$ROOT$MANY" "$KEYS"
	for f in etc/secret/key etc/secret/sub/key etc/secretfoo/key etc/secret.bak \
		"${MANY#/}/f"; do
		echo data > "$ROOT/$f"
	done
	echo data > "$KEYS/key"
	ln -s /proc/kcore "$ROOT/link-kcore"
	ln -s /etc/secret/key "$ROOT/link-key"
	ln -s secret/key "$ROOT/etc/link-rel"
	ln -s /link-dir2 "$ROOT/link-dir1"
	ln -s /etc/secret "$ROOT/link-dir2"
	ln -s /proc/sys/kernel/hostname "$ROOT/link-hostname"
	make_long_tree "$ROOT/etc/secret/long"
	make_long_tree "$ROOT/long-open"
	mkdir -p "$ROOT/walk$(repeat "$UNRESOLVED_DEPTH" /d)"
	echo data > "$ROOT/walk$(repeat "$UNRESOLVED_DEPTH" /d)/f"
	cp "$ACTIONS" "$ROOT/actions"
	# For a chroot to /etc, where /etc/secret/key is /secret/key.
	cp "$ACTIONS" "$ROOT/etc/actions"
}

LONG_DENIED=$(printf '/etc/secret/long/%s' "$NAME" | cut -c 1-255)

# name|expect|hook|object|flags|command, where expect is ok or deny, and
# flags lists the record's object flags: fs (object_filesystem_path), trunc
# (object_truncated), unres (object_unresolved), or - for none.
CASES="symlink_kcore|deny|file_open|/proc/kcore|fs|/actions read /link-kcore
symlink_key|deny|file_open|/etc/secret/key|-|/actions read /link-key
symlink_relative|deny|file_open|/etc/secret/key|-|/actions read /etc/link-rel
symlink_dir_chain|deny|file_open|/etc/secret/key|-|/actions read /link-dir1/key
dotdot_slashes|deny|file_open|/etc/secret/key|-|/actions read /etc//other/../secret//key
dot_tmp|deny|file_open|/etc/secret/sub/key|-|/actions read /tmp/../etc/./secret/sub/./key
dotdot_proc|deny|file_open|/proc/kcore|fs|/actions read /proc/self/../kcore
relative_cwd|deny|file_open|/etc/secret/key|-|( cd /etc/secret && /actions read key )
relative_dotdot|deny|file_open|/etc/secret/key|-|( cd /etc/secret/sub && /actions read ../key )
relative_sibling|deny|file_open|/etc/secret/key|-|( cd /etc/other && /actions read ../secret/key )
proc_self_root|deny|file_open|/etc/secret/key|-|/actions read /proc/self/root/etc/secret/key
proc_self_cwd|deny|file_open|/etc/secret/key|-|( cd /etc/secret && /actions read /proc/self/cwd/key )
chroot_parent|deny|file_open|/etc/secret/key|-|chroot /etc /actions read /secret/key
directory_open|deny|file_open|/etc/secret|-|/actions read /etc/secret
link_out|deny|path_link|/etc/secret/key|-|/actions link /etc/secret/key /tmp/hardlink
long_denied|deny|file_open|$LONG_DENIED|trunc|$(long_open /etc/secret/long)
long_allowed|ok|-|-|-|$(long_open /long-open)
unresolved|deny|file_open||unres|( cd -P /walk$(repeat "$UNRESOLVED_DEPTH" /d) && /actions read f )
many_components|deny|file_open|$MANY/f|-|/actions read $MANY/f
firmware_bind|deny|file_open|/sys/firmware|fs|/actions read /mnt/fw
keys_bind|deny|file_open|$KEYS/key|fs|/actions read /mnt/keys/key
proc_elsewhere|deny|file_open|/proc/kcore|fs|/actions read /mnt/proc2/kcore
component_prefix|ok|-|-|-|/actions read /etc/secretfoo/key
component_suffix|ok|-|-|-|/actions read /etc/secret.bak
hostname_read|ok|-|-|-|/actions read /link-hostname
hostname_write|deny|file_open|/proc/sys/kernel/hostname|fs|/actions write /link-hostname"

# write_plan FILE: a script that runs every case and writes the output of
# case NAME to /out/NAME.
write_plan() {
	echo "$CASES" | while IFS='|' read -r name expect hook object flags cmd; do
		printf '%s > /out/%s 2>&1\n' "$cmd" "$name"
	done > "$1"
	echo 'exit 0' >> "$1"
}

# result NAME: "PID STATUS" from the output of case NAME, STATUS being ok or
# errno:N.
result() {
	[ -s "$OUT/$1" ] || fail "case $1: no output in $OUT/$1"
	awk '$3 == "ok" { print $2, "ok"; exit } $3 == "errno" { print $2, "errno:" $4; exit }
	     { print "bad", "bad"; exit }' "$OUT/$1"
}

# decisions PID: one line "COUNT|ACTION|ID|HOOK|OBJECT|POLICY|ERRNO|FS|TRUNC|UNRES"
# with the number of deny and audit records of the actions program that ran
# as process PID and the fields of the first. The shell that ran it before
# the exec is left out: in the long trees, its getcwd() falls back to
# opening every parent directory, which is denied below /etc/secret. One jq
# run per case, because each run costs seconds in the VM.
decisions() {
	jq -rs --argjson pid "$1" '
		map(select(.process.pid == $pid and .process.name == "actions" and
			   (.event.action == "deny" or .event.action == "audit")))
		| [length] + (.[0] | [.event.action, .container.id, .enclave.hook,
			.enclave.object, .enclave.policy, .enclave.errno,
			.enclave.object_filesystem_path, .enclave.object_truncated,
			.enclave.object_unresolved])
		| map(tostring) | join("|")' "$EVENTS"
}

# expect_value CASE FIELD GOT EXPECTED
expect_value() {
	[ "$3" = "$4" ] || fail "case $1: $2 is '$3', expected '$4'"
}

# flag_value FLAGS NAME: "true" when FLAGS lists NAME, else "null".
flag_value() {
	case ",$1," in
	*",$2,"*) echo true ;;
	*) echo null ;;
	esac
}

# check_case NAME EXPECT HOOK OBJECT FLAGS: the outcome and record of one case.
check_case() {
	name=$1 expect=$2 hook=$3 object=$4 flags=$5
	got=$(result "$name")
	pid=${got% *}
	status=${got#* }
	[ "$pid" != bad ] || fail "case $name: unreadable output: $(cat "$OUT/$name")"
	line=$(decisions "$pid")
	IFS='|' read -r n r_action r_id r_hook r_object r_policy r_errno r_fs r_trunc r_unres <<EOF
$line
EOF
	if [ "$expect" = ok ]; then
		[ "$status" = ok ] || fail "case $name: expected the call to succeed, got $status"
		if [ "$n" -ne 0 ]; then
			records ".process.pid == $pid" | head -n 5 >&2
			fail "case $name: $n deny or audit records for PID $pid (the first 5 records of the PID above)"
		fi
		note "case $name: allowed, no record"
		return 0
	fi
	[ "$status" = errno:1 ] || fail "case $name: expected errno:1 (EPERM), got $status"
	if [ "$n" -ne 1 ]; then
		records ".process.pid == $pid" | head -n 5 >&2
		fail "case $name: $n deny or audit records for PID $pid, expected 1 (the first 5 records of the PID above)"
	fi
	expect_value "$name" event.action "$r_action" deny
	expect_value "$name" container.id "$r_id" "$ID"
	expect_value "$name" enclave.hook "$r_hook" "$hook"
	expect_value "$name" enclave.object "$r_object" "$object"
	expect_value "$name" enclave.policy "$r_policy" baseline
	expect_value "$name" enclave.errno "$r_errno" 1
	expect_value "$name" enclave.object_filesystem_path "$r_fs" "$(flag_value "$flags" fs)"
	expect_value "$name" enclave.object_truncated "$r_trunc" "$(flag_value "$flags" trunc)"
	expect_value "$name" enclave.object_unresolved "$r_unres" "$(flag_value "$flags" unres)"
	note "case $name: denied as '$(printf '%.60s' "$object")'"
}

# check_cases: check every case, each in a subshell so that one failure does
# not hide the outcome of the others, and fail naming the cases that failed.
check_cases() {
	rm -f "$WORK/failed"
	echo "$CASES" | while IFS='|' read -r name expect hook object flags cmd; do
		(check_case "$name" "$expect" "$hook" "$object" "$flags") ||
			echo "$name" >> "$WORK/failed"
	done
	[ ! -s "$WORK/failed" ] || fail "cases failed: $(tr '\n' ' ' < "$WORK/failed")"
}

ALL_CAPS=$(grep -o '^#define CAP_[A-Z_]*' /usr/include/linux/capability.h |
	awk '{print $2}' | grep -v 'CAP_LAST_CAP' | jq -R . | jq -sc .)

ENCLAVED_SECTIONS="[level baseline]
deny = /etc/secret
deny = $KEYS
deny = $MANY"
enclaved_start "default_level = baseline"

make_bundle "$BUNDLE" "$ID" /bin/sh /plan.sh
prepare_tree
mkdir -p "$OUT"
write_plan "$ROOT/plan.sh"
bundle_edit "$BUNDLE" "
	.process.capabilities |= map_values($ALL_CAPS)
	| .linux.maskedPaths = [] | .linux.readonlyPaths = []
	| .linux.namespaces |= map(select(.type != \"pid\"))
	| .mounts += [
		{destination: \"/out\", type: \"bind\", source: \"$OUT\", options: [\"rbind\", \"rw\"]},
		{destination: \"/mnt/fw\", type: \"bind\", source: \"/sys/firmware\", options: [\"rbind\", \"ro\"]},
		{destination: \"/mnt/keys\", type: \"bind\", source: \"$KEYS\", options: [\"rbind\", \"ro\"]},
		{destination: \"/mnt/proc2\", type: \"proc\", source: \"proc\"}]"
oci_runtime runc run --bundle "$BUNDLE" "$ID" < /dev/null > "$WORK/$ID.log" 2>&1 ||
	fail "the container failed: $(cat "$WORK/$ID.log")"
wait_record ".container.id == \"$ID\" and .event.action == \"container_stop\"" > /dev/null ||
	fail "no container_stop record"
start=$(wait_record ".container.id == \"$ID\" and .event.action == \"container_start\"")
expect_field "$start" .enclave.policy baseline

check_cases

# The same files opened from the host, by their paths in the bundle, are not
# judged: the opens succeed and no record follows.
before=$(records 'true' | wc -l)
"$ACTIONS" read "$ROOT/etc/secret/key" > "$WORK/host.out" ||
	fail "host: reading '$ROOT/etc/secret/key' failed: $(cat "$WORK/host.out")"
"$ACTIONS" read "$KEYS/key" > "$WORK/host.out" ||
	fail "host: reading '$KEYS/key' failed: $(cat "$WORK/host.out")"
sleep 1
after=$(records 'true' | wc -l)
[ "$after" -eq "$before" ] || fail "host: $((after - before)) records for host opens"

enclaved_stop
echo "PASS: path cases judged by the resolved path"

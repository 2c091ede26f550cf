#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The policy matrix: every action below runs in containers under each level,
# in audit mode and on the host. Each row states what each level must
# do: "ok" (the call succeeds, no deny record), "deny" (EPERM and a deny
# record naming the hook, the object and the container), "errno:N" (the
# kernel's own error, no record) or "deny:N" (error N and a deny record).
# A denied ptrace check ends as EACCES for files under /proc/PID. Module
# requests fail with EAFNOSUPPORT either way, and the proof of the denial is
# that modprobe never ran.
#
# The container has every capability, no PID namespace (so that host
# processes are visible), no masked or read-only paths and no
# no_new_privileges, so that enclave, not the runtime, is what denies.
set -eu

. "$ENCLAVE_SRCDIR/tests/e2e/lib.sh"
guest_setup
. "$ENCLAVE_SRCDIR/tests/e2e/daemon.sh"
trap 'enclaved_kill; [ -z "${SLEEPER:-}" ] || kill "$SLEEPER" 2>/dev/null; e2e_cleanup' EXIT

ACTIONS=$ENCLAVE_BUILDDIR/tests/e2e/actions

# name|hook|object|privileged|baseline|restricted|command
MATRIX='syslog|syslog|SIZE_BUFFER|ok|deny|deny|syslog
kcore|file_open|/proc/kcore|ok|deny|deny|read /proc/kcore
proc_sys_write|file_open|/proc/sys/kernel/hostname|ok|deny|deny|write /proc/sys/kernel/hostname
proc_sys_read|file_open|-|ok|ok|ok|read /proc/sys/kernel/hostname
sys_kernel_read|file_open|/sys/kernel/uevent_seqnum|ok|ok|deny|read /sys/kernel/uevent_seqnum
sa_token|file_open|/var/run/secrets/kubernetes.io/serviceaccount/token|ok|ok|deny|read /var/run/secrets/kubernetes.io/serviceaccount/token
locked_write|file_open|/locked/f|ok|deny|deny|write /locked/f
chroot_write|file_open|/locked/f|ok|deny|deny|chroot_write /locked /f
open_write|file_open|-|ok|ok|ok|write /open/f
truncate|path_truncate|/locked/f|ok|deny|deny|truncate /locked/f
truncate_ok|path_truncate|-|ok|ok|ok|truncate /open/f
unlink|path_unlink|/locked/u|ok|deny|deny|unlink /locked/u
unlink_ok|path_unlink|-|ok|ok|ok|unlink /open/u
mkdir|path_mkdir|/locked/d|ok|deny|deny|mkdir /locked/d
mkdir_ok|path_mkdir|-|ok|ok|ok|mkdir /open/d
rmdir|path_rmdir|/locked/r|ok|deny|deny|rmdir /locked/r
rmdir_ok|path_rmdir|-|ok|ok|ok|rmdir /open/r
mknod|path_mknod|/locked/n|ok|deny|deny|mknod /locked/n
mknod_ok|path_mknod|-|ok|ok|ok|mknod /open/n
symlink|path_symlink|/locked/s|ok|deny|deny|symlink /locked/s
symlink_ok|path_symlink|-|ok|ok|ok|symlink /open/s
link|path_link|/locked/l|ok|deny|deny|link /open/f /locked/l
link_ok|path_link|-|ok|ok|ok|link /open/f /open/l
rename|path_rename|/locked/x|ok|deny|deny|rename /open/x /locked/x
rename_ok|path_rename|-|ok|ok|ok|rename /open/y /open/z
rename_parent|path_rename|/moved|ok|deny|deny|rename /moved /moved2
chmod|path_chmod|/locked/f|ok|deny|deny|chmod /locked/f
chmod_ok|path_chmod|-|ok|ok|ok|chmod /open/f
chown|path_chown|/locked/f|ok|deny|deny|chown /locked/f
chown_ok|path_chown|-|ok|ok|ok|chown /open/f
mount_sysfs|sb_mount|/mnt/m1|ok|deny|deny|mount sysfs /mnt/m1
mount_tmpfs|sb_mount|/mnt/m2|ok|ok|deny|mount tmpfs /mnt/m2
bind|sb_mount|/mnt/m3|ok|deny|deny|bind /open /mnt/m3
propagation|sb_mount|-|ok|ok|ok|private /
move_mount|move_mount|/mnt/m4|ok|deny|deny|move_mount /mnt/m4
setuid_root|task_fix_setuid|euid 0|ok|ok|deny|setuid_root
setuid_exec|bprm_creds_from_file|/actions-suid|ok|ok|deny|exec_setuid /actions-suid
ptrace_host|ptrace_access_check|pid @HOSTPID@|ok|deny|deny|ptrace @HOSTPID@
ptrace_child|ptrace_access_check|-|ok|ok|ok|ptrace_child
host_mount_ns|ptrace_access_check|pid @HOSTPID@|ok|deny:13|deny:13|read /proc/@HOSTPID@/ns/mnt
bpf|bpf|bpf command 0|ok|deny|deny|bpf
finit_module|kernel_read_file|/actions|errno:8|deny|deny|finit_module /actions
init_module|kernel_load_data|module|errno:8|deny|deny|init_module
module_request|kernel_module_request|net-pf-9|errno:97|deny:97|deny:97|module_request
raw_socket|socket_create|family 2 type 3|ok|ok|deny|raw_socket
packet_socket|socket_create|family 17 type 3|ok|ok|deny|packet_socket
udp_socket|socket_create|-|ok|ok|ok|udp_socket
perf|perf_event_open|perf type 1|ok|deny|deny|perf
userns|userns_create|user namespace|ok|ok|deny|userns'

ALL_CAPS=$(grep -o '^#define CAP_[A-Z_]*' /usr/include/linux/capability.h |
	awk '{print $2}' | grep -v -e CAP_LAST_CAP -e CAP_TO_ | jq -R . | jq -sc .)

# A host process for the ptrace rows, visible from the container.
sleep 1000 &
SLEEPER=$!

# modprobe is replaced by a script that notes each request, so that a
# request that enclave denies shows as one that never reached modprobe.
cat > "$WORK/modprobe" << EOF
#!/bin/sh
echo "\$*" >> "$WORK/modprobe.calls"
exit 1
EOF
chmod 0755 "$WORK/modprobe"
echo "$WORK/modprobe" > /proc/sys/kernel/modprobe

# prepare_tree ROOT: the files and directories that the actions touch.
prepare_tree() {
	mkdir -p "$1/locked/r" "$1/moved/locked" "$1/open/r" "$1/mnt/m1" "$1/mnt/m2" \
		"$1/mnt/m3" "$1/mnt/m4" "$1/var/run/secrets/kubernetes.io/serviceaccount"
	for f in locked/f locked/u open/f open/u open/x open/y \
		var/run/secrets/kubernetes.io/serviceaccount/token; do
		echo data > "$1/$f"
	done
	cp "$ACTIONS" "$1/actions"
	cp "$ACTIONS" "$1/actions-suid"
	chmod 4755 "$1/actions-suid"
}

# write_plan FILE OUTDIR: a script that runs every row and writes the
# output of row NAME to OUTDIR/NAME.
write_plan() {
	echo "$MATRIX" | while IFS='|' read -r name hook object p b r cmd; do
		cmd=$(echo "$cmd" | sed "s/@HOSTPID@/$SLEEPER/")
		echo "/actions $cmd > $2/$name 2>&1"
	done > "$1"
	# The last action may fail by design; the plan itself succeeds.
	echo "exit 0" >> "$1"
}

# run_container RUNTIME ID: run the plan as the entrypoint of a container
# whose policy comes from a rule on its id (runc and crun) or its name
# (podman). Prints the container id that its records carry.
run_container() {
	mkdir -p "$WORK/out-$2"
	case $1 in
	runc | crun)
		bundle=$WORK/bundle-$2
		make_bundle "$bundle" "$2" /bin/sh /plan.sh
		prepare_tree "$bundle/rootfs"
		write_plan "$bundle/rootfs/plan.sh" /out
		bundle_edit "$bundle" "
			.process.capabilities |= map_values($ALL_CAPS)
			| .process.noNewPrivileges = false
			| .linux.namespaces |= map(select(.type != \"pid\"))
			| .linux.maskedPaths = [] | .linux.readonlyPaths = []
			| .mounts += [{\"destination\": \"/out\", \"type\": \"bind\",
				       \"source\": \"$WORK/out-$2\", \"options\": [\"rbind\", \"rw\"]}]"
		oci_runtime "$1" run --bundle "$bundle" "$2" < /dev/null > "$WORK/$2.log" 2>&1 ||
			fail "$2: the container failed: $(cat "$WORK/$2.log")"
		id=$2
		;;
	podman)
		image=$WORK/image-$2
		make_rootfs "$image"
		prepare_tree "$image"
		write_plan "$image/plan.sh" /out
		tar -C "$image" -cf "$image.tar" . || fail "failed to pack '$image'"
		podman_cmd import --quiet "$image.tar" "localhost/$2:latest" > /dev/null ||
			fail "failed to import '$image.tar' with podman"
		# --privileged: every capability, no seccomp filter, nothing
		# masked or read-only, so that enclave is what denies.
		podman_cmd run --name "$2" --privileged --pid host --network none \
			--volume "$WORK/out-$2:/out" "localhost/$2:latest" /bin/sh /plan.sh \
			< /dev/null > "$WORK/$2.log" 2>&1 ||
			fail "$2: the container failed: $(cat "$WORK/$2.log")"
		id=$(podman_cmd inspect --format '{{.Id}}' "$2") ||
			fail "$2: podman inspect failed"
		;;
	esac
	wait_record ".container.id == \"$id\" and .event.action == \"container_stop\"" > /dev/null ||
		fail "$2: no container_stop record"
	echo "$id"
}

# result OUTDIR NAME: "pid STATUS", STATUS being ok or errno:N.
result() {
	[ -s "$1/$2" ] || fail "row $2: no output in $1/$2"
	awk '$3 == "ok" { print $2, "ok"; exit } $3 == "errno" { print $2, "errno:" $4; exit }
	     { print "bad", "bad"; exit }' "$1/$2"
}

# check_rows OUTDIR COLUMN ID LEVEL MODE: compare each row's result and
# records with the column's expectation (4 privileged, 5 baseline, 6
# restricted, 0 for the host, where the privileged column holds).
check_rows() {
	echo "$MATRIX" | while IFS='|' read -r name hook object p b r cmd; do
		case $2 in
		4 | 0) want=$p ;;
		5) want=$b ;;
		6) want=$r ;;
		esac
		object=$(echo "$object" | sed "s/@HOSTPID@/$SLEEPER/")
		set -- "$1" "$2" "$3" "$4" "$5"
		got=$(result "$1" "$name")
		pid=${got% *}
		status=${got#* }
		[ "$pid" != bad ] || fail "row $name: unreadable output: $(cat "$1/$name")"

		action=deny
		expect_status=$want
		case $want in
		deny) expect_status=errno:1 ;;
		deny:*) expect_status=errno:${want#deny:} ;;
		esac
		if [ "$5" = audit ] && [ "${want%%:*}" = deny ]; then
			# Audit mode allows what enforce mode denies: the call
			# ends as it does under privileged, with an audit record.
			action=audit
			expect_status=$p
		fi
		[ "$status" = "$expect_status" ] ||
			fail "row $name ($4 $5): expected $expect_status, got $status"

		if [ "${want%%:*}" = deny ] && [ "$2" != 0 ]; then
			record=$(wait_record ".process.pid == $pid and .enclave.hook == \"$hook\" and .event.action == \"$action\"") ||
				fail "row $name ($4 $5): no $action record for PID $pid on $hook"
			expect_field "$record" .container.id "$3"
			expect_field "$record" .enclave.object "$object"
			expect_field "$record" .enclave.policy "$4"
			expect_field "$record" .enclave.mode "$5"
			if [ "$action" = deny ]; then
				expect_field "$record" .enclave.errno 1
				expect_field "$record" .event.outcome failure
			else
				expect_field "$record" .enclave.errno 0
				expect_field "$record" .event.outcome success
			fi
		else
			n=$(records ".process.pid == $pid and (.event.action == \"deny\" or .event.action == \"audit\")" | wc -l)
			[ "$n" -eq 0 ] || fail "row $name ($4 $5): $n deny or audit records for PID $pid"
		fi
	done
}

# modprobe_calls: how many requests reached modprobe so far.
modprobe_calls() {
	if [ -f "$WORK/modprobe.calls" ]; then
		wc -l < "$WORK/modprobe.calls"
	else
		echo 0
	fi
}

# Rules select each container's level and mode by id or by podman name. The
# default is the strictest, so a rule that fails to match shows.
ENCLAVED_SECTIONS='[level baseline]
deny_write = /locked
deny_write = /moved/locked
[rule privileged]
match.id = *-privileged
level = privileged
[rule baseline]
match.id = *-baseline
level = baseline
[rule podman-baseline]
match.name = podman-baseline
level = baseline
[rule restricted]
match.id = *-restricted
level = restricted
[rule audit]
match.id = *-audit
level = restricted
mode = audit'
enclaved_start "default_level = restricted" "default_mode = enforce"
podman_setup

# RUNTIME:LEVEL:MODE, the level being a column of the matrix; "audit" runs
# restricted in audit mode.
for case in runc:privileged:enforce runc:baseline:enforce runc:restricted:enforce \
	runc:restricted:audit crun:restricted:enforce crun:privileged:enforce \
	podman:baseline:enforce; do
	runtime=${case%%:*}
	rest=${case#*:}
	level=${rest%%:*}
	mode=${rest#*:}
	case $level in
	privileged) column=4 ;;
	baseline) column=5 ;;
	restricted) column=6 ;;
	esac
	name=$runtime-$level
	rule=$level
	[ "$mode" = enforce ] || { name=$runtime-audit; rule=audit; }
	[ "$runtime" != podman ] || rule=podman-$level
	calls=$(modprobe_calls)
	id=$(run_container "$runtime" "$name")
	start=$(wait_record ".container.id == \"$id\" and .event.action == \"container_start\"")
	expect_field "$start" .enclave.policy "$level"
	expect_field "$start" .enclave.mode "$mode"
	expect_field "$start" .enclave.rule "$rule"
	check_rows "$WORK/out-$name" "$column" "$id" "$level" "$mode"
	new_calls=$(($(modprobe_calls) - calls))
	want_calls=1
	if [ "$level" != privileged ] && [ "$mode" = enforce ]; then
		want_calls=0
	fi
	[ "$new_calls" -eq "$want_calls" ] ||
		fail "$name: modprobe ran $new_calls times, expected $want_calls"
	note "$name ($mode): every row as expected"
done

# The same actions from a host process: all as under privileged, and no
# record for any of them.
prepare_tree ""
mkdir -p "$WORK/out-host"
write_plan "$WORK/host-plan.sh" "$WORK/out-host"
calls=$(modprobe_calls)
before=$(records 'true' | wc -l)
/bin/sh "$WORK/host-plan.sh"
check_rows "$WORK/out-host" 0 host privileged enforce
[ "$(($(modprobe_calls) - calls))" -eq 1 ] || fail "host: the module request did not reach modprobe"
sleep 2
after=$(records 'true' | wc -l)
[ "$after" -eq "$before" ] || fail "host: $((after - before)) records for host processes"
note "host: every row as under privileged, no record"

enclaved_stop
echo "PASS: policy matrix for privileged, baseline, restricted, audit and the host"

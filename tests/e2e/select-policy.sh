#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Per-container policy selection. [rule] sections match on the container's
# id, its OCI annotations and (for podman) its name, and the first match
# wins. The annotation enclave.policy can tighten a container's level but
# never relax it. The probe is syslog(2) from the static klogctl as the
# entrypoint: allowed at privileged, denied with EPERM at baseline and
# restricted.
set -eu

. "$ENCLAVE_SRCDIR/tests/e2e/lib.sh"
guest_setup
. "$ENCLAVE_SRCDIR/tests/e2e/daemon.sh"
trap 'show_records_on_failure $?; enclaved_kill; e2e_cleanup' EXIT

# enclaved reads annotations from the state directories of the runtimes:
# those of the e2e helpers, and the default ones for podman's containers.
ENCLAVED_DAEMON_CONFIG="runtime_state_dirs = $E2E_DIR/runc-state $E2E_DIR/crun-state /run/runc /run/crun"

ENCLAVED_SECTIONS='[rule sel-privileged]
match.id = sel-privileged
level = privileged
[rule sel-restricted]
match.id = sel-restricted
level = restricted
[rule sel-tier]
match.annotation.example.com/tier = trusted
level = privileged
[rule sel-glob]
match.id = sel-glob-*
level = privileged
[rule sel-podman]
match.name = podman-sel
level = privileged'

# probe ID [JQ_FILTER]: run klogctl as the entrypoint of a new runc container
# ID, its bundle edited with JQ_FILTER; sets PROBE_OUT, PROBE_STATUS and
# PROBE_PID.
probe() {
	make_bundle "$WORK/bundle-$1" "$1" /klogctl
	cp "$ENCLAVE_BUILDDIR/tests/e2e/klogctl" "$WORK/bundle-$1/rootfs/klogctl"
	if [ -n "${2:-}" ]; then
		bundle_edit "$WORK/bundle-$1" "$2"
	fi
	PROBE_STATUS=0
	PROBE_OUT=$(oci_runtime runc run --pid-file "$WORK/$1.pid" --bundle "$WORK/bundle-$1" \
		"$1" < /dev/null 2>&1) || PROBE_STATUS=$?
	PROBE_PID=$(cat "$WORK/$1.pid")
	wait_record ".container.id == \"$1\" and .event.action == \"container_stop\"" > /dev/null ||
		fail "$1: no container_stop record"
}

# summary ID: "POLICY|MODE|RULE|DENIES|DENY_POLICY" from the container_start
# record of container ID and its deny records, in one jq run because each
# run costs seconds in the VM.
summary() {
	jq -rs --arg id "$1" '
		map(select(.container.id == $id)) as $r
		| ($r | map(select(.event.action == "container_start")) | .[0].enclave) as $s
		| ($r | map(select(.event.action == "deny"))) as $d
		| [$s.policy, $s.mode, $s.rule, ($d | length), $d[0].enclave.policy]
		| map(tostring) | join("|")' "$EVENTS"
}

# expect_selected ID POLICY RULE DENIES: container ID started at POLICY,
# chosen by RULE, and has DENIES deny records, each at POLICY.
expect_selected() {
	IFS='|' read -r s_policy s_mode s_rule denies d_policy <<EOF
$(summary "$1")
EOF
	[ "$s_policy" = "$2" ] || fail "$1: container_start has policy '$s_policy', expected '$2'"
	[ "$s_mode" = enforce ] || fail "$1: container_start has mode '$s_mode', expected 'enforce'"
	[ "$s_rule" = "$3" ] || fail "$1: container_start has rule '$s_rule', expected '$3'"
	[ "$denies" -eq "$4" ] || fail "$1: $denies deny records at $2, expected $4"
	[ "$4" -eq 0 ] || [ "$d_policy" = "$2" ] ||
		fail "$1: the deny record has policy '$d_policy', expected '$2'"
}

# expect_probe ID OUTCOME POLICY RULE: OUTCOME is allowed (klogctl printed
# "ok SIZE", no deny record) or denied (EPERM and one deny record at POLICY).
expect_probe() {
	case $2 in
	allowed)
		[ "$PROBE_STATUS" -eq 0 ] || fail "$1: syslog(2) failed at $3: $PROBE_OUT"
		case $PROBE_OUT in
		'ok '*) ;;
		*) fail "$1: klogctl printed '$PROBE_OUT', expected 'ok SIZE'" ;;
		esac
		expect_selected "$1" "$3" "$4" 0
		;;
	denied)
		[ "$PROBE_STATUS" -eq 1 ] || fail "$1: klogctl exited with $PROBE_STATUS, expected 1: $PROBE_OUT"
		[ "$PROBE_OUT" = "errno 1" ] || fail "$1: klogctl printed '$PROBE_OUT', expected 'errno 1'"
		expect_selected "$1" "$3" "$4" 1
		;;
	esac
	note "$1: $2 at $3 (rule $4)"
}

annotate() {
	echo ".annotations[\"$1\"] = \"$2\""
}

# run_case ID OUTCOME POLICY RULE [JQ_FILTER]: probe and check container ID
# in a subshell, so that one failing case does not hide the others. A
# failing case is listed in $WORK/failed.
run_case() {
	(
		probe "$1" "${5:-}"
		expect_probe "$1" "$2" "$3" "$4"
	) || echo "$1" >> "$WORK/failed"
}

# Part 1: default baseline; rules select privileged and restricted, and an
# annotation cannot relax.
enclaved_start "default_level = baseline"

run_case sel-privileged allowed privileged sel-privileged
run_case sel-restricted denied restricted sel-restricted
run_case sel-default denied baseline default
run_case sel-relax denied baseline default "$(annotate enclave.policy privileged)"
grep -q "container sel-relax: annotation enclave.policy would lower its policy; ignored" \
	"$ENCLAVED_LOG" || fail "sel-relax: no warning that the annotation was ignored"
run_case sel-annotated allowed privileged sel-tier "$(annotate example.com/tier trusted)"
run_case sel-other-tier denied baseline default "$(annotate example.com/tier untrusted)"
# A rule's privileged level is tightened by the container's own annotation.
run_case sel-glob-tight denied restricted sel-glob "$(annotate enclave.policy restricted)"

# held_case RUNTIME ID: the entrypoint waits, stopped, until enclaved has
# resolved its policy. enclaved is stopped meanwhile, so an entrypoint that
# ran on would run at the kernel's interim level, restricted, and fail.
held_case() {
	make_bundle "$WORK/bundle-$2" "$2" /klogctl
	cp "$ENCLAVE_BUILDDIR/tests/e2e/klogctl" "$WORK/bundle-$2/rootfs/klogctl"
	kill -STOP "$ENCLAVED_PID"
	oci_runtime "$1" run --bundle "$WORK/bundle-$2" "$2" < /dev/null > "$WORK/$2.out" 2>&1 &
	run_pid=$!
	sleep 5
	held=yes
	kill -0 "$run_pid" 2> /dev/null || held="no, '$1 run' exited"
	[ ! -s "$WORK/$2.out" ] || held="no, klogctl printed '$(cat "$WORK/$2.out")'"
	kill -CONT "$ENCLAVED_PID"
	status=0
	wait "$run_pid" || status=$?
	[ "$held" = yes ] || fail "$2: the entrypoint did not wait for enclaved: $held"
	PROBE_OUT=$(cat "$WORK/$2.out")
	PROBE_STATUS=$status
	expect_probe "$2" allowed privileged sel-glob
	note "$2: the $1 entrypoint waited 5 s for enclaved and then ran at privileged"
}

(held_case runc sel-glob-held-runc) || echo sel-glob-held-runc >> "$WORK/failed"
(held_case crun sel-glob-held-crun) || echo sel-glob-held-crun >> "$WORK/failed"

# podman: the rule matches the container's name, read from podman's storage.
podman_setup
podman_import sel

# podman_probe NAME: run busybox dmesg in podman container NAME; sets
# PROBE_STATUS, PROBE_OUT (its first line) and PROBE_ID (the container id).
podman_probe() {
	PROBE_STATUS=0
	podman_cmd run --name "$1" --network none --cap-add SYSLOG localhost/sel:latest \
		dmesg > "$WORK/$1.out" 2>&1 || PROBE_STATUS=$?
	PROBE_OUT=$(head -n 1 "$WORK/$1.out")
	wait_record ".container.name == \"$1\" and .event.action == \"container_stop\"" > /dev/null ||
		fail "$1: no container_stop record"
	PROBE_ID=$(podman_cmd inspect --format '{{.Id}}' "$1") ||
		fail "$1: podman inspect failed"
	podman_cmd rm --force --time 0 "$1" > /dev/null
}

(
	podman_probe podman-sel
	[ "$PROBE_STATUS" -eq 0 ] || fail "podman-sel: dmesg failed at privileged: $PROBE_OUT"
	expect_selected "$PROBE_ID" privileged sel-podman 0
	note "podman-sel: allowed at privileged (rule sel-podman)"
) || echo podman-sel >> "$WORK/failed"

(
	podman_probe podman-other
	[ "$PROBE_STATUS" -eq 1 ] ||
		fail "podman-other: dmesg exited with $PROBE_STATUS, expected 1: $PROBE_OUT"
	[ "$PROBE_OUT" = "dmesg: klogctl: Operation not permitted" ] ||
		fail "podman-other: dmesg printed '$PROBE_OUT', expected 'dmesg: klogctl: Operation not permitted'"
	# busybox dmesg requests the buffer size first and then reads it: two
	# calls, both denied.
	expect_selected "$PROBE_ID" baseline default 2
	note "podman-other: denied at baseline (default)"
) || echo podman-other >> "$WORK/failed"
enclaved_stop

# Part 2: default privileged; an annotation tightens it.
rm -f "$EVENTS"
ENCLAVED_SECTIONS=
enclaved_start "default_level = privileged"

run_case tight-default allowed privileged default
run_case tight-annotated denied restricted default "$(annotate enclave.policy restricted)"
run_case tight-baseline denied baseline default "$(annotate enclave.policy baseline)"
enclaved_stop

[ ! -s "$WORK/failed" ] || fail "cases failed: $(tr '\n' ' ' < "$WORK/failed")"
echo "PASS: rules on id, annotation and name select the level; annotations only tighten"

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# SIGHUP reloads the configuration while a container runs. A container loops
# on an open of /proc/kcore, which baseline denies. During 20 reloads that
# alternate between two valid configurations that both deny it, no open
# succeeds. A configuration with an error, whose valid lines before the error
# would make the container privileged, is rejected with "file:line:" and
# nothing of it applies: opens stay denied and deny records keep coming. A
# valid configuration that makes the container privileged then applies to
# the running container: its opens succeed. A second container, which
# tightened itself to restricted with the annotation enclave.policy, loops on
# an open below /sys/kernel that only restricted denies: it stays denied
# through every reload, because each reload resolves the policy again from
# the same annotations.
set -eu

. "$ENCLAVE_SRCDIR/tests/e2e/lib.sh"
guest_setup
. "$ENCLAVE_SRCDIR/tests/e2e/daemon.sh"
trap 'show_records_on_failure $?; enclaved_kill; e2e_cleanup' EXIT

ACTIONS=$ENCLAVE_BUILDDIR/tests/e2e/actions
ID=reload-loop
OUT=$WORK/out-$ID
CONF=$WORK/enclave.conf
RELOADS=20

# enclaved reads the annotations from runc's state directory.
ENCLAVED_DAEMON_CONFIG="runtime_state_dirs = $E2E_DIR/runc-state"
ENCLAVED_SECTIONS='[level baseline]
deny = /srv/reload-a'
enclaved_start "default_level = baseline"

# Configuration A is what enclaved started with. B adds a path rule and a
# rule that matches no container, so both keep the container at baseline.
cp "$CONF" "$WORK/conf-a"
{
	cat "$WORK/conf-a"
	echo "[level baseline]"
	echo "deny = /srv/reload-b"
	echo "[rule reload-other]"
	echo "match.id = other-*"
	echo "level = privileged"
} > "$WORK/conf-b"

# The rule that would make the container privileged comes first and the
# error after it, so a reload that applied part of the file would show.
{
	cat "$WORK/conf-a"
	echo "[rule reload-privileged]"
	echo "match.id = $ID"
	echo "level = privileged"
	echo "[policy]"
	echo "default_mode = lenient"
} > "$WORK/conf-bad"
BAD_LINE=$(wc -l < "$WORK/conf-bad")

{
	cat "$WORK/conf-a"
	echo "[rule reload-privileged]"
	echo "match.id = $ID"
	echo "level = privileged"
} > "$WORK/conf-privileged"

# install_config FILE: make FILE the configuration that enclaved reads.
install_config() {
	cp "$1" "$CONF.new"
	chmod 0644 "$CONF.new"
	mv "$CONF.new" "$CONF"
}

# log_count TEXT: the number of log lines that contain TEXT.
log_count() {
	grep -c -F "$1" "$ENCLAVED_LOG" || true
}

# reload_with FILE: install FILE, send SIGHUP and wait up to 30 s for the
# log line of its outcome, "configuration reloaded" or "stays in force".
reload_with() {
	_done=$(($(log_count 'configuration reloaded') + $(log_count 'stays in force')))
	install_config "$1"
	kill -HUP "$ENCLAVED_PID"
	_i=0
	while [ "$(($(log_count 'configuration reloaded') + $(log_count 'stays in force')))" -le "$_done" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 300 ] || fail "no outcome in the log 30 s after SIGHUP with '$1'"
		sleep 0.1
	done
}

opens_ok() {
	grep -c ' ok$' "$OUT/log" || true
}

opens_denied() {
	grep -c ' errno 1$' "$OUT/log" || true
}

deny_records() {
	grep -c '"action":"deny"' "$EVENTS" || true
}

# wait_more COMMAND COUNT: wait up to 30 s for COMMAND to print more than COUNT.
wait_more() {
	_i=0
	while [ "$($1)" -le "$2" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 300 ] || return 1
		sleep 0.1
	done
}

# start_loop ID PATH [JQ_FILTER]: start container ID, whose entrypoint loops
# on opening PATH with actions, which appends "read PID ok" or "read PID
# errno N" to $WORK/out-ID/log. CAP_SYS_RAWIO lets /proc/kcore open at
# privileged, and without masked paths /proc/kcore is the real one, not
# /dev/null.
start_loop() {
	make_bundle "$WORK/bundle-$1" "$1" /bin/sh -c \
		"while :; do /actions read $2 >> /out/log; sleep 0.1; done"
	cp "$ACTIONS" "$WORK/bundle-$1/rootfs/actions"
	mkdir -p "$WORK/out-$1"
	: > "$WORK/out-$1/log"
	bundle_edit "$WORK/bundle-$1" "
		.process.capabilities |= map_values(. + [\"CAP_SYS_RAWIO\"] | unique)
		| .linux.maskedPaths = [] | .linux.readonlyPaths = []
		| .mounts += [{destination: \"/out\", type: \"bind\", source: \"$WORK/out-$1\",
			       options: [\"rbind\", \"rw\"]}]
		${3:+| $3}"
	oci_start runc "$1"
}

ANNOTATED=reload-annotated
ANNOTATED_LOG=$WORK/out-$ANNOTATED/log

annotated_ok() {
	grep -c ' ok$' "$ANNOTATED_LOG" || true
}

annotated_denied() {
	grep -c ' errno 1$' "$ANNOTATED_LOG" || true
}

# check_annotated WHEN: the annotated container's loop is still denied, and
# none of its opens succeeded.
check_annotated() {
	wait_more annotated_denied "$(annotated_denied)" ||
		fail "$ANNOTATED: no new denied open $1: $(tail -n 1 "$ANNOTATED_LOG")"
	[ "$(annotated_ok)" -eq 0 ] ||
		fail "$ANNOTATED: $(annotated_ok) opens of /sys/kernel/uevent_seqnum succeeded $1"
}

start_loop "$ID" /proc/kcore
wait_more opens_denied 2 || fail "the loop did not start: $(tail -n 3 "$OUT/log")"
[ "$(opens_ok)" -eq 0 ] || fail "an open of /proc/kcore succeeded at baseline before any reload"
note "the loop runs, its opens are denied"

start_loop "$ANNOTATED" /sys/kernel/uevent_seqnum '.annotations["enclave.policy"] = "restricted"'
start=$(wait_record ".container.id == \"$ANNOTATED\" and .event.action == \"container_start\"") ||
	fail "$ANNOTATED: no container_start record"
expect_field "$start" .enclave.policy restricted
check_annotated "before any reload"
note "$ANNOTATED runs at restricted, its opens are denied"

# 20 reloads, alternating B and A.
i=0
while [ "$i" -lt "$RELOADS" ]; do
	if [ $((i % 2)) -eq 0 ]; then
		reload_with "$WORK/conf-b"
	else
		reload_with "$WORK/conf-a"
	fi
	i=$((i + 1))
done
n=$(log_count 'daemon: configuration reloaded')
[ "$n" -eq "$RELOADS" ] || fail "$n reloads logged, expected $RELOADS: $(grep -F 'stays in force' "$ENCLAVED_LOG")"
ok=$(opens_ok)
[ "$ok" -eq 0 ] || fail "$ok opens of /proc/kcore succeeded during $RELOADS reloads"
denied=$(opens_denied)
wait_more opens_denied "$denied" || fail "the loop stopped after the reloads"
note "$RELOADS reloads: no open succeeded, $(opens_denied) denied so far"
check_annotated "after $RELOADS reloads"

# A configuration with an error is rejected, and nothing of it applies.
before_denied=$(opens_denied)
before_records=$(deny_records)
reload_with "$WORK/conf-bad"
grep -q "^enclaved: error: $CONF:$BAD_LINE: .*; the running configuration stays in force" \
	"$ENCLAVED_LOG" ||
	fail "no '$CONF:$BAD_LINE: ...; the running configuration stays in force' line in the log: $(tail -n 3 "$ENCLAVED_LOG")"
[ "$(log_count 'daemon: configuration reloaded')" -eq "$RELOADS" ] ||
	fail "the configuration with an error was reported as reloaded"
wait_more opens_denied "$((before_denied + 2))" || fail "the loop's opens stopped being denied after the rejected reload"
wait_more deny_records "$((before_records + 2))" || fail "no new deny records after the rejected reload"
ok=$(opens_ok)
[ "$ok" -eq 0 ] || fail "$ok opens of /proc/kcore succeeded after the rejected reload"
note "the configuration with an error at line $BAD_LINE is rejected, opens stay denied"

# A valid configuration that makes the container privileged applies to it.
reload_with "$WORK/conf-privileged"
[ "$(log_count 'daemon: configuration reloaded')" -eq $((RELOADS + 1)) ] ||
	fail "the configuration that makes $ID privileged was not reloaded: $(tail -n 3 "$ENCLAVED_LOG")"
wait_more opens_ok 2 || fail "no open of /proc/kcore succeeded after $ID became privileged: $(tail -n 3 "$OUT/log")"
# Records written before the reload may still arrive, so wait a moment.
# After that, no deny record may follow.
sleep 2
records_then=$(deny_records)
ok_then=$(opens_ok)
wait_more opens_ok "$((ok_then + 2))" || fail "the loop stopped after $ID became privileged"
n=$(jq -s --arg id "$ID" --argjson after "$records_then" '
	[.[] | select(.event.action == "deny")] | .[$after:]
	| map(select(.container.id == $id)) | length' "$EVENTS")
[ "$n" -eq 0 ] || fail "$n deny records of $ID after it became privileged"
tail -n 1 "$OUT/log" | grep -q ' ok$' || fail "the last open failed: $(tail -n 1 "$OUT/log")"
note "after the reload to privileged, $(opens_ok) opens succeeded"
check_annotated "after the reload that made $ID privileged"
note "$ANNOTATED stayed at restricted through every reload"

oci_stop runc "$ID"
oci_stop runc "$ANNOTATED"
enclaved_stop
echo "PASS: reloads apply to running containers, and a bad configuration changes nothing"

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The whole path once with the real daemon: enclaved denies dmesg in a runc
# container. Its deny record reaches an rsyslogd in the guest over UDP and
# TCP, the JSON file and an "enclavectl tail" subscriber with a filter, each
# with the same JSON record. "enclavectl status" reports the counters to
# root only.
set -eu

. "$ENCLAVE_SRCDIR/tests/e2e/lib.sh"
guest_setup
. "$ENCLAVE_SRCDIR/tests/e2e/daemon.sh"
ENCLAVECTL=$ENCLAVE_BUILDDIR/enclavectl
RSYSLOG_PID=
trap 'enclaved_kill; e2e_cleanup; [ -z "$RSYSLOG_PID" ] || kill "$RSYSLOG_PID"' EXIT

UDP_PORT=20514
TCP_PORT=20515
mkdir -p "$WORK/rsyslog"
sed -e "s|@WORK@|$WORK|g" -e "s|@UDP_PORT@|$UDP_PORT|g" -e "s|@TCP_PORT@|$TCP_PORT|g" \
	"$ENCLAVE_SRCDIR/tests/sinks/rsyslog.conf.in" > "$WORK/rsyslog.conf"
rsyslogd -n -f "$WORK/rsyslog.conf" -i "$WORK/rsyslog.pid" > "$WORK/rsyslog.out" 2>&1 &
RSYSLOG_PID=$!
i=0
until ss -Hltn "sport = :$TCP_PORT" | grep -q LISTEN; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || fail "rsyslogd did not listen within 30 s: $(cat "$WORK/rsyslog.out")"
	sleep 0.1
done

SOCK=$WORK/events.sock
CONTROL=$WORK/control.sock
ENCLAVED_DAEMON_CONFIG="control_socket = $CONTROL"
enclaved_start \
	"[sink udp]" "module = syslog" "transport = udp" "host = 127.0.0.1" "port = $UDP_PORT" \
	"[sink tcp]" "module = syslog" "transport = tcp" "host = 127.0.0.1" "port = $TCP_PORT" \
	"[sink sock]" "module = socket" "path = $SOCK" "mode = 0600"

"$ENCLAVECTL" tail -s "$SOCK" -a deny > "$WORK/tail.out" 2> "$WORK/tail.err" &
tail_pid=$!
i=0
until grep -q "subscriber 1 connected" "$ENCLAVED_LOG"; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "enclavectl tail did not subscribe: $(cat "$WORK/tail.err")"
	sleep 0.1
done

make_bundle "$WORK/bundle" box1 dmesg
status=0
out=$(oci_run runc box1 2>&1) || status=$?
[ "$status" -ne 0 ] || fail "dmesg succeeded in the container under enclaved: $out"
case "$out" in
*"dmesg: klogctl: Operation not permitted"*) ;;
*) fail "dmesg did not fail with EPERM: $out" ;;
esac
record=$(wait_record '.event.action == "deny" and .container.id == "box1"') ||
	fail "no deny record for box1 in the JSON file"
seq=$(printf '%s\n' "$record" | jq .event.sequence)
wait_record '.event.action == "container_stop" and .container.id == "box1"' > /dev/null ||
	fail "no container_stop record for box1"

# wait_syslog FILE: the message of the deny record, as rsyslogd parsed it.
wait_syslog() {
	i=0
	while :; do
		found=$(jq -c --argjson seq "$seq" 'select((.msg | fromjson).event.sequence == $seq)' \
			"$1" 2> /dev/null | head -n 1)
		[ -z "$found" ] || break
		i=$((i + 1))
		[ "$i" -lt 200 ] || fail "no message for record $seq in $1"
		sleep 0.1
	done
	printf '%s\n' "$found"
}
host=$(hostname)
for transport in udp tcp; do
	message=$(wait_syslog "$WORK/$transport.log")
	expect_field "$message" .pri 28
	expect_field "$message" .version 1
	expect_field "$message" .hostname "$host"
	expect_field "$message" .app enclave
	expect_field "$message" .procid "$ENCLAVED_PID"
	expect_field "$message" .msgid deny
	expect_field "$message" .sd "[enclave@32473 sequence=\"$seq\" action=\"deny\" container_id=\"box1\" container_name=\"box1\"]"
	[ "$(printf '%s\n' "$message" | jq -r .msg)" = "$record" ] ||
		fail "$transport: the message text differs from the JSON file's record: $message"
	note "$transport: record $seq reached rsyslogd"
done

i=0
until [ -s "$WORK/tail.out" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "enclavectl tail printed nothing"
	sleep 0.1
done
[ "$(head -n 1 "$WORK/tail.out")" = "$record" ] ||
	fail "enclavectl tail printed $(head -n 1 "$WORK/tail.out"), expected $record"

"$ENCLAVECTL" status -s "$CONTROL" > "$WORK/status.json" || fail "enclavectl status failed"
expect_field "$(cat "$WORK/status.json")" .ringbuf.lost.syslog 0
expect_field "$(cat "$WORK/status.json")" .sinks.sock.module socket
expect_field "$(cat "$WORK/status.json")" .sinks.sock.stats.subscribers[0].dropped 0
expect_field "$(cat "$WORK/status.json")" .sinks.udp.dropped 0
expect_field "$(cat "$WORK/status.json")" .sinks.tcp.failed 0
total=$(jq .sequence "$WORK/status.json")
[ "$total" -ge "$seq" ] || fail "status reports sequence $total, below record $seq"
status=0
setpriv --reuid 65534 --regid 65534 --clear-groups "$ENCLAVECTL" status -s "$CONTROL" \
	> /dev/null 2> "$WORK/status.err" || status=$?
[ "$status" -eq 1 ] || fail "enclavectl status as nobody exited with $status, expected 1"
grep -q "Permission denied" "$WORK/status.err" ||
	fail "enclavectl status as nobody was not refused with EACCES: $(cat "$WORK/status.err")"

enclaved_stop
wait "$tail_pid" || fail "enclavectl tail exited with an error: $(cat "$WORK/tail.err")"
# Every record went to every sink; the subscriber got the deny records only.
records=$(wc -l < "$EVENTS")
for transport in udp tcp; do
	messages=$(wc -l < "$WORK/$transport.log")
	[ "$messages" -eq "$records" ] ||
		fail "$transport: rsyslogd got $messages messages for $records records"
done
denies=$(records '.event.action == "deny"' | wc -l)
lines=$(wc -l < "$WORK/tail.out")
[ "$lines" -eq "$denies" ] || fail "enclavectl tail printed $lines lines for $denies deny records"
echo "PASS: a deny record reached rsyslogd over UDP and TCP and a subscriber"

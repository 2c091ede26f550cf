# SPDX-License-Identifier: Apache-2.0
# Helpers for the sink tests on the host: a work directory, a sink-feed
# configuration, and an rsyslogd of the test's own on loopback, with its
# own configuration, PID file and work directory. Helper-internal
# variables start with "_sk_", because POSIX sh has no local variables.
#
# Needs: ENCLAVE_BUILDDIR, ENCLAVE_SINK_DIR.

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

skip() {
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

FEED=$ENCLAVE_BUILDDIR/tests/sinks/sink-feed
ENCLAVECTL=$ENCLAVE_BUILDDIR/enclavectl
RSYSLOG_PID=

# Create the work directory $WORK, mode 0755 (logrotate checks the modes
# of directories), and remove it at exit.
sink_setup() {
	command -v jq > /dev/null || fail "jq not found: install the Debian package jq"
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/enclave-sink.XXXXXX") || fail "failed to create a work directory"
	chmod 0755 "$WORK"
	trap 'sink_cleanup' EXIT
}

# Stop rsyslogd and every process that the test started and left running,
# by PID, so that a failing test ends instead of waiting for them.
sink_cleanup() {
	rsyslog_stop
	for _sk_pid in $(ps -o pid= --ppid "$$"); do
		[ "$_sk_pid" -eq "$$" ] || kill "$_sk_pid" 2> /dev/null || true
	done
	if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
		rm -rf "$WORK"
	fi
}

# Write $WORK/feed.conf: [daemon] with the sink directory, then the lines
# given as arguments.
feed_config() {
	{
		echo "[daemon]"
		echo "sink_dir = $ENCLAVE_SINK_DIR"
		echo "log_level = info"
		for _sk_line in "$@"; do
			echo "$_sk_line"
		done
	} > "$WORK/feed.conf"
	chmod 0644 "$WORK/feed.conf"
}

# Pick a pair of high loopback ports in $UDP_PORT and $TCP_PORT.
pick_ports() {
	_sk_base=$((20000 + ($$ % 20000) * 2))
	UDP_PORT=$_sk_base
	TCP_PORT=$((_sk_base + 1))
}

# Start rsyslogd with inputs on 127.0.0.1:$UDP_PORT (UDP),
# 127.0.0.1:$TCP_PORT (TCP) and the Unix datagram socket $WORK/log.sock,
# writing each message's parsed fields as one JSON line to $WORK/udp.log,
# $WORK/tcp.log and $WORK/unix.log.
rsyslog_start() {
	command -v rsyslogd > /dev/null ||
		skip "rsyslogd not found: install the Debian package rsyslog (scripts/install-deps does)"
	[ -n "${WORK:-}" ] || fail "rsyslog_start: call sink_setup first"
	pick_ports
	mkdir -p "$WORK/rsyslog"
	sed -e "s|@WORK@|$WORK|g" -e "s|@UDP_PORT@|$UDP_PORT|g" -e "s|@TCP_PORT@|$TCP_PORT|g" \
		"$ENCLAVE_SRCDIR/tests/sinks/rsyslog.conf.in" > "$WORK/rsyslog.conf"
	rsyslogd -n -f "$WORK/rsyslog.conf" -i "$WORK/rsyslog.pid" > "$WORK/rsyslog.out" 2>&1 &
	RSYSLOG_PID=$!
	_sk_i=0
	until ss -Hltn "sport = :$TCP_PORT" | grep -q LISTEN && [ -S "$WORK/log.sock" ]; do
		_sk_i=$((_sk_i + 1))
		if [ "$_sk_i" -ge 100 ] || ! kill -0 "$RSYSLOG_PID" 2> /dev/null; then
			cat "$WORK/rsyslog.out" >&2
			fail "rsyslogd did not listen on 127.0.0.1:$TCP_PORT within 10 s"
		fi
		sleep 0.1
	done
}

rsyslog_stop() {
	[ -n "$RSYSLOG_PID" ] || return 0
	kill "$RSYSLOG_PID" 2> /dev/null || true
	wait "$RSYSLOG_PID" 2> /dev/null || true
	RSYSLOG_PID=
}

# Wait up to 30 s until FILE has COUNT lines.
wait_lines() {
	_sk_i=0
	while [ "$(cat "$1" 2> /dev/null | wc -l)" -lt "$2" ]; do
		_sk_i=$((_sk_i + 1))
		[ "$_sk_i" -lt 300 ] ||
			fail "$1 has $(cat "$1" 2> /dev/null | wc -l) lines after 30 s, expected $2"
		sleep 0.1
	done
}

# Check that the values of jq expression EXPR over FILE's lines are
# exactly 1..COUNT in order.
expect_sequences() {
	jq -s -e --argjson n "$3" "map($2) == [range(1; \$n + 1)]" "$1" > /dev/null ||
		fail "$1: $2 is not 1..$3 in order (first values: $(jq -c "$2" "$1" | head -n 5 | tr '\n' ' '))"
}

# SPDX-License-Identifier: Apache-2.0
# Helpers for end-to-end tests that run enclaved in the guest: start and
# stop it, find records in its JSON output, and start container processes
# whose host PID the test learns before they act. Their own variables start
# with "_ed_", because POSIX sh has no local variables.
#
# Needs: ENCLAVED, ENCLAVE_SINK_DIR, lib.sh sourced and guest_setup run.

WORK=$E2E_DIR

EVENTS="$WORK/events.json"
ENCLAVED_LOG="$WORK/enclaved.log"
ENCLAVED_PID=

# Start enclaved with the JSON sink writing to $EVENTS; extra configuration
# lines for [policy] come as arguments, ENCLAVED_DAEMON_CONFIG may hold lines
# for [daemon], and ENCLAVED_SECTIONS whole sections ([level NAME], [rule
# NAME]). Waits until the programs are attached.
enclaved_start() {
	{
		echo "[daemon]"
		echo "log_level = info"
		echo "sink_dir = $ENCLAVE_SINK_DIR"
		echo "stats_interval = 1"
		if [ -n "${ENCLAVED_DAEMON_CONFIG:-}" ]; then
			echo "$ENCLAVED_DAEMON_CONFIG"
		fi
		echo "[policy]"
		for _ed_line in "$@"; do
			echo "$_ed_line"
		done
		if [ -n "${ENCLAVED_SECTIONS:-}" ]; then
			echo "$ENCLAVED_SECTIONS"
		fi
		echo "[sink events]"
		echo "module = json"
		echo "path = $EVENTS"
	} > "$WORK/enclave.conf"
	chmod 0644 "$WORK/enclave.conf"

	"$ENCLAVED" -f -c "$WORK/enclave.conf" 2> "$ENCLAVED_LOG" &
	ENCLAVED_PID=$!
	_ed_i=0
	while ! grep -q 'daemon: running' "$ENCLAVED_LOG"; do
		if ! kill -0 "$ENCLAVED_PID" 2> /dev/null; then
			cat "$ENCLAVED_LOG" >&2
			fail "enclaved exited during start-up"
		fi
		_ed_i=$((_ed_i + 1))
		[ "$_ed_i" -lt 600 ] || fail "enclaved did not start within 60 s"
		sleep 0.1
	done
	note "enclaved running as PID $ENCLAVED_PID"
}

# Stop enclaved with SIGTERM and check that it exits with status 0.
enclaved_stop() {
	[ -n "$ENCLAVED_PID" ] || return 0
	kill -TERM "$ENCLAVED_PID"
	_ed_status=0
	wait "$ENCLAVED_PID" || _ed_status=$?
	ENCLAVED_PID=
	if [ "$_ed_status" -ne 0 ]; then
		cat "$ENCLAVED_LOG" >&2
		fail "enclaved exited with status $_ed_status after SIGTERM"
	fi
}

# Print the records that match a jq condition, one per line.
records() {
	jq -c "select($1)" "$EVENTS"
}

# Wait up to 20 s for a record that matches a jq condition; print the first.
wait_record() {
	_ed_i=0
	while :; do
		_ed_found=$(jq -c "select($1)" "$EVENTS" 2> /dev/null | head -n 1)
		if [ -n "$_ed_found" ]; then
			printf '%s\n' "$_ed_found"
			return 0
		fi
		_ed_i=$((_ed_i + 1))
		if [ "$_ed_i" -ge 200 ]; then
			echo "no record matches: $1" >&2
			echo "records so far:" >&2
			cat "$EVENTS" >&2
			return 1
		fi
		sleep 0.1
	done
}

# Check that field PATH (a jq path) of RECORD equals EXPECTED (jq -r text).
expect_field() {
	_ed_got=$(printf '%s\n' "$1" | jq -r "$2")
	[ "$_ed_got" = "$3" ] ||
		fail "$2 is '$_ed_got', expected '$3' in record: $1"
}

# Check every field of a syslog deny record for a dmesg process.
expect_dmesg_deny() {
	expect_field "$1" .event.action deny
	expect_field "$1" .event.outcome failure
	expect_field "$1" .container.id "$2"
	expect_field "$1" .container.runtime "$4"
	expect_field "$1" .process.pid "$3"
	expect_field "$1" .process.name dmesg
	expect_field "$1" .process.executable /bin/busybox
	expect_field "$1" .user.id 0
	expect_field "$1" .enclave.hook syslog
	expect_field "$1" .enclave.policy baseline
	expect_field "$1" .enclave.mode enforce
	expect_field "$1" .enclave.errno 1
}

# The cgroup directory of a process.
cgroup_dir_of() {
	echo "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$1/cgroup")"
}

# Make directory DIR for containers to see as /ctl: the FIFO "go" and the
# script "waiter", which blocks on the FIFO and then execs its arguments, so
# that the test learns its host PID before the exec.
make_ctl() {
	mkdir -p "$1"
	rm -f "$1/go"
	mkfifo "$1/go"
	cat > "$1/waiter" << 'SCRIPT'
#!/bin/sh
read -r _ < /ctl/go
exec "$@"
SCRIPT
	chmod 0755 "$1/waiter"
}

# Print the PID of the process named "waiter" in cgroup directory $1.
find_waiter() {
	_ed_i=0
	while [ "$_ed_i" -lt 300 ]; do
		for _ed_pid in $(cat "$1/cgroup.procs" 2> /dev/null); do
			if [ "$(cat "/proc/$_ed_pid/comm" 2> /dev/null)" = waiter ]; then
				echo "$_ed_pid"
				return 0
			fi
		done
		_ed_i=$((_ed_i + 1))
		sleep 0.1
	done
	echo "no waiter process in $1" >&2
	return 1
}

# Let the waiter that reads FIFO $1 go on.
release_waiter() {
	echo go > "$1"
}

# Stop enclaved without checking how it exits, for traps on failure paths.
enclaved_kill() {
	[ -n "$ENCLAVED_PID" ] || return 0
	kill -TERM "$ENCLAVED_PID" 2> /dev/null || true
	wait "$ENCLAVED_PID" 2> /dev/null || true
	ENCLAVED_PID=
	if [ -s "$ENCLAVED_LOG" ]; then
		echo "--- enclaved log"
		grep -v 'libbpf:' "$ENCLAVED_LOG" || true
	fi
}

# Wait up to 30 s for FILE to be non-empty, then print its content.
wait_file() {
	_ed_i=0
	while [ ! -s "$1" ]; do
		_ed_i=$((_ed_i + 1))
		[ "$_ed_i" -lt 300 ] || { echo "$1 did not appear" >&2; return 1; }
		sleep 0.1
	done
	cat "$1"
}

# The comm of the process from which a runtime execs the entrypoint.
runtime_comm() {
	case "$1" in
	runc) echo 'runc:[2:INIT]' ;;
	*) echo "$1" ;;
	esac
}

# Let the container of bundle DIR see host directory CTL as /ctl.
bundle_add_ctl() {
	bundle_edit "$1" ".mounts += [{destination: \"/ctl\", type: \"bind\",
		source: \"$2\", options: [\"rbind\", \"rw\"]}]"
}

# Remove every container that a test left behind.
e2e_cleanup() {
	for _ed_runtime in runc crun; do
		for _ed_id in $(oci_runtime "$_ed_runtime" list -q 2> /dev/null); do
			oci_runtime "$_ed_runtime" delete --force "$_ed_id" > /dev/null 2>&1 || true
		done
	done
	if [ -n "${PODMAN_DIR:-}" ]; then
		podman_cmd rm --all --force --time 0 > /dev/null 2>&1 || true
	fi
}

# Print the last 20 records to stderr when the test is failing, for traps on
# failure paths: "trap 'show_records_on_failure $?; enclaved_kill' EXIT".
show_records_on_failure() {
	[ "$1" -ne 0 ] && [ -s "$EVENTS" ] || return 0
	echo "--- last 20 records" >&2
	tail -n 20 "$EVENTS" >&2
}

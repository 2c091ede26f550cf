#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Allowed calls are recorded only for the hooks in log_allowed, and at most
# allowed_rate of them a second per CPU and hook. A container opens a file
# 300 times in a burst and gets allow records for the first opens of each
# second only, and none for the hooks that are not listed.
set -eu

. "$ENCLAVE_SRCDIR/tests/e2e/lib.sh"
guest_setup
. "$ENCLAVE_SRCDIR/tests/e2e/daemon.sh"
trap 'enclaved_kill; e2e_cleanup' EXIT

RATE=5
CPUS=$(grep -c '^processor' /proc/cpuinfo)

enclaved_start "default_level = baseline" "log_allowed = file_open" "allowed_rate = $RATE"

make_bundle "$WORK/bundle-allow" allow /bin/sh -c \
	'i=0; while [ $i -lt 300 ]; do cat /etc/passwd > /dev/null; i=$((i + 1)); done; /bin/mkdir /tmp/d'
oci_runtime runc run --bundle "$WORK/bundle-allow" allow < /dev/null > "$WORK/allow.log" 2>&1 ||
	fail "the container failed: $(cat "$WORK/allow.log")"
wait_record '.container.id == "allow" and .event.action == "container_stop"' > /dev/null ||
	fail "no container_stop record"

allows=$(records '.container.id == "allow" and .event.action == "allow"')
n=$(printf '%s\n' "$allows" | grep -c . || true)
passwd_opens=$(printf '%s\n' "$allows" | jq -c 'select(.enclave.object == "/etc/passwd")' | grep -c . || true)

# The burst takes at least a second in the VM, never more than 60.
[ "$passwd_opens" -ge 1 ] || fail "no allow record for the opens of /etc/passwd"
[ "$n" -le $((RATE * CPUS * 61)) ] || fail "$n allow records: more than $RATE a second per CPU"
[ "$passwd_opens" -lt 300 ] || fail "every one of the 300 opens was recorded: no rate limit"

# The kernel's one-second windows start at the first allowed call, so a
# wall-clock second overlaps at most two of them on each CPU.
printf '%s\n' "$allows" | jq -r '.["@timestamp"][0:19]' | sort | uniq -c |
	while read -r count second; do
		[ "$count" -le $((2 * RATE * CPUS)) ] ||
			fail "$count allow records in the second $second, more than two windows of $RATE per CPU"
	done

record=$(printf '%s\n' "$allows" | jq -c 'select(.enclave.object == "/etc/passwd")' | head -n 1)
expect_field "$record" .enclave.hook file_open
expect_field "$record" .enclave.errno 0
expect_field "$record" .event.outcome success
expect_field "$record" .enclave.policy baseline

# mkdir goes through path_mkdir, which is not in log_allowed.
[ "$(records '.container.id == "allow" and .enclave.hook == "path_mkdir"' | wc -l)" -eq 0 ] ||
	fail "an allowed path_mkdir was recorded although only file_open is logged"

enclaved_stop
echo "PASS: allow records for file_open only, $passwd_opens of 300 opens, at most $RATE a second per CPU"

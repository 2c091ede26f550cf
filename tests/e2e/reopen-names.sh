#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# SIGHUP makes the JSON sink reopen its file after a rename, as logrotate
# does, with no record lost or written twice across the two files; and
# records of a process whose name contains a newline, a quote, a backslash, a
# control byte and invalid UTF-8 stay one well-formed JSON line each.
set -eu

. "$ENCLAVE_SRCDIR/tests/e2e/lib.sh"
guest_setup
. "$ENCLAVE_SRCDIR/tests/e2e/daemon.sh"
trap 'enclaved_kill; e2e_cleanup' EXIT

enclaved_start

# A program with a hostile name, exec'd inside the container: a newline, a
# quote, a backslash, an escape byte and two bytes that are not UTF-8.
hostile=$(printf 'x\n"\\\033\377\376')
make_bundle "$WORK/bundle" names /launch
cp "$ENCLAVE_BUILDDIR/tests/e2e/klogctl" "$WORK/bundle/rootfs/$hostile"
# The bundle's JSON cannot carry bytes that are not UTF-8, so a script
# execs the program.
cat > "$WORK/bundle/rootfs/launch" << 'SCRIPT'
#!/bin/sh
exec "/$(printf 'x\n"\\\033\377\376')"
SCRIPT
chmod 0755 "$WORK/bundle/rootfs/launch"
status=0
out=$(oci_run runc names 2>&1) || status=$?
[ "$status" -eq 1 ] && [ "$out" = "errno 1" ] ||
	fail "the hostile program was not denied with EPERM: status $status, output '$out'"
wait_record '.container.id == "names" and .event.action == "container_stop"' > /dev/null ||
	fail "no container_stop record for names"

# Rotate by rename, then SIGHUP, then more records.
mv "$EVENTS" "$EVENTS.1"
kill -HUP "$ENCLAVED_PID"
i=0
while [ ! -e "$EVENTS" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "enclaved did not reopen $EVENTS after SIGHUP"
	sleep 0.1
done
make_bundle "$WORK/bundle2" after true
oci_run runc after > /dev/null 2>&1 || fail "container 'after' failed"
wait_record '.container.id == "after" and .event.action == "container_stop"' > /dev/null ||
	fail "no container_stop record for 'after' in the new file"
enclaved_stop

# Every line of both files parses on its own.
for file in "$EVENTS.1" "$EVENTS"; do
	lines=$(wc -l < "$file")
	parsed=$(jq -c . "$file" | wc -l) || fail "$file does not parse as JSON lines"
	[ "$lines" -eq "$parsed" ] || fail "$file: $lines lines but $parsed JSON values"
done

# The hostile name came out as U+FFFD for each invalid byte, with the raw
# bytes in hex, in the deny record of that process.
expected_name=$(printf 'x\n"\\\033\357\277\275\357\277\275')
record=$(jq -c 'select(.container.id == "names" and .event.action == "deny")' "$EVENTS.1" |
	head -n 1)
[ -n "$record" ] || fail "no deny record for the hostile name"
name=$(printf '%s\n' "$record" | jq -j .process.name)
[ "$name" = "$expected_name" ] ||
	fail "process.name decodes to $(printf %s "$name" | od -An -c), expected $(printf %s "$expected_name" | od -An -c)"
expect_field "$record" '.enclave.raw["process.name"]' 780a225c1bfffe
expect_field "$record" .enclave.errno 1

# Sequence numbers run on from one file to the next without gap or repeat.
cat "$EVENTS.1" "$EVENTS" | jq -s -e '
	map(.event.sequence) as $seq
	| $seq == [range(1; ($seq | length) + 1)]' > /dev/null ||
	fail "sequence numbers across the rotated files are not 1..N: $(cat "$EVENTS.1" "$EVENTS" | jq -c .event.sequence | tr '\n' ' ')"
[ -s "$EVENTS" ] || fail "no records were written after the reopen"
echo "PASS: reopen on SIGHUP and hostile names"

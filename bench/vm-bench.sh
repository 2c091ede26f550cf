# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=sh
#
# The hook and memory benchmarks, run as root inside the test VM by
# bench/run (tests/vm/enclave-vm). Prints one "vm ..." line per figure.
#
# Hook cost: a loop of open(2)/close(2) and a loop of fork(2)+execve(2)
# run on the VM's host and in a runc container. They run under three
# configurations. "none" has no BPF LSM program. "floor" has
# bench/floor.bpf.c, a program on every hook enclaved guards that returns
# its input. "enclaved" runs enclaved with the shipped configuration. The configurations take turns in each round, in a rotating
# order, and each figure is the median over the rounds.
# Then, with kernel.bpf_stats_enabled, the same loops once more under floor
# and under enclaved give the run time of the BPF programs per iteration.
#
# Memory: enclaved's resident set and the kernel memory charged to its
# cgroup (its maps, ring buffer and task storage) at start, and with 1, 100
# and 1000 containers that hold 10000 processes between them.
#
# Environment: ENCLAVE_BUILDDIR, ENCLAVE_SRCDIR, ENCLAVED and
# ENCLAVE_SINK_DIR as for the VM tests; ENCLAVE_BENCH_ROUNDS (default 5),
# ENCLAVE_BENCH_OPEN (open/close iterations, default 20000),
# ENCLAVE_BENCH_EXEC (fork+exec iterations, default 200),
# ENCLAVE_BENCH_PROCESSES (default 10000) and ENCLAVE_BENCH_CONTAINERS
# (default "1 100 1000").
set -eu

. "$ENCLAVE_SRCDIR/tests/e2e/lib.sh"
guest_setup

ROUNDS=${ENCLAVE_BENCH_ROUNDS:-5}
OPEN_N=${ENCLAVE_BENCH_OPEN:-20000}
EXEC_N=${ENCLAVE_BENCH_EXEC:-200}
PROCESSES=${ENCLAVE_BENCH_PROCESSES:-10000}
CONTAINER_COUNTS=${ENCLAVE_BENCH_CONTAINERS:-1 100 1000}

# The loops run on tmpfs: files on the host share cost far more to open.
BENCH_DIR=/tmp/enclave-bench
FILE=$BENCH_DIR/file
HOOKLOOP=$BENCH_DIR/hookloop
RESULTS=$E2E_DIR/results
STATS=$E2E_DIR/stats
DAEMON_CGROUP=/sys/fs/cgroup/enclave-bench-daemon
CONTAINER_CGROUP=/sys/fs/cgroup/enclave-bench-containers
FLOOR_PID=
ENCLAVED_PID=

mkdir -p "$BENCH_DIR"
: >"$FILE"
cp "$ENCLAVE_BUILDDIR/bench/hookloop" "$HOOKLOOP"
: >"$RESULTS"
: >"$STATS"
: >"$E2E_DIR/breakdown"

make_bundle "$E2E_DIR/bench" bench /hookloop suite "$OPEN_N" "$EXEC_N" "$FILE"
BUNDLE=$(bundle_dir bench)
cp "$HOOKLOOP" "$BUNDLE/rootfs/hookloop"
mkdir -p "$BUNDLE/rootfs$BENCH_DIR"
: >"$BUNDLE/rootfs$FILE"
# The same rootfs as the lower layer of an overlay, as container engines
# with overlay storage mount it: the container's root is then the root of a
# filesystem. The bundle "bench-dir" keeps the plain directory, which runc
# bind-mounts, so that the container's root is a bind mount of a subtree.
cp -a "$E2E_DIR/bench" "$E2E_DIR/bench-dir"
ln -sfn "$E2E_DIR/bench-dir" "$E2E_DIR/bundles/bench-dir"
mkdir -p "$E2E_DIR/overlay/upper" "$E2E_DIR/overlay/work" "$E2E_DIR/overlay/root"
mount -t overlay overlay -o "lowerdir=$BUNDLE/rootfs,upperdir=$E2E_DIR/overlay/upper,workdir=$E2E_DIR/overlay/work" \
	"$E2E_DIR/overlay/root" || fail "failed to mount the overlay rootfs"
bundle_edit "$BUNDLE" ".root.path = \"$E2E_DIR/overlay/root\""

# enclaved's shipped configuration, with its files on tmpfs.
sed -e "s|@logdir@|$E2E_DIR|" -e "s|^\[daemon\]$|[daemon]\nsink_dir = $ENCLAVE_SINK_DIR|" \
	"$ENCLAVE_SRCDIR/etc/enclave.conf.in" >"$E2E_DIR/enclave.conf"
chmod 0644 "$E2E_DIR/enclave.conf"

# --- configurations -------------------------------------------------------------

# Wait until file $1 contains the text $2, or fail with $3 after 120 s.
wait_for_text() {
	_vb_i=0
	while ! grep -q "$2" "$1"; do
		_vb_i=$((_vb_i + 1))
		if [ "$_vb_i" -ge 1200 ]; then
			cat "$1" >&2
			fail "$3"
		fi
		sleep 0.1
	done
}

start_floor() {
	"$ENCLAVE_BUILDDIR/bench/lsm-floor" "$ENCLAVE_BUILDDIR/bench/floor.bpf.o" \
		>"$E2E_DIR/floor.log" 2>&1 &
	FLOOR_PID=$!
	wait_for_text "$E2E_DIR/floor.log" attached "the floor programs were not attached within 120 s"
}

stop_floor() {
	kill -TERM "$FLOOR_PID"
	wait "$FLOOR_PID" || fail "lsm-floor exited with status $?"
	FLOOR_PID=
}

# Start enclaved, in the cgroup $1 when given, so that the kernel memory
# of its maps is charged there.
start_enclaved() {
	rm -f "$E2E_DIR/events.json"
	(
		if [ -n "${1:-}" ]; then
			echo 0 >"$1/cgroup.procs"
		fi
		exec "$ENCLAVED" -f -c "$E2E_DIR/enclave.conf"
	) 2>"$E2E_DIR/enclaved.log" &
	ENCLAVED_PID=$!
	wait_for_text "$E2E_DIR/enclaved.log" 'daemon: running' "enclaved did not start within 120 s"
}

stop_enclaved() {
	kill -TERM "$ENCLAVED_PID"
	wait "$ENCLAVED_PID" || fail "enclaved exited with status $? after SIGTERM"
	ENCLAVED_PID=
}

start_config() {
	case $1 in
	none) ;;
	floor) start_floor ;;
	enclaved) start_enclaved ;;
	esac
}

stop_config() {
	case $1 in
	none) ;;
	floor) stop_floor ;;
	enclaved) stop_enclaved ;;
	esac
}

# --- the loops ----------------------------------------------------------------------

# Run the loops on the host and in a container under configuration $1 and
# append "CONFIG PLACE OP NS" lines to $RESULTS.
run_loops() {
	"$HOOKLOOP" suite "$OPEN_N" "$EXEC_N" "$FILE" >"$E2E_DIR/host.out" ||
		fail "the host loops failed under $1"
	oci_run runc bench >"$E2E_DIR/container.out" 2>&1 ||
		fail "the container loops failed under $1: $(cat "$E2E_DIR/container.out")"
	for _vb_place in host container; do
		grep -q '^exec ' "$E2E_DIR/$_vb_place.out" ||
			fail "no result from the $_vb_place loops under $1: $(cat "$E2E_DIR/$_vb_place.out")"
		awk -v config="$1" -v place="$_vb_place" '$3 == "ns/op" { print config, place, $1, $2 }' \
			"$E2E_DIR/$_vb_place.out" >>"$RESULTS"
	done
}

configs="none floor enclaved"
round=1
while [ "$round" -le "$ROUNDS" ]; do
	for config in $configs; do
		start_config "$config"
		run_loops "$config"
		stop_config "$config"
	done
	note "round $round of $ROUNDS done"
	# Rotate the order, so that no configuration always runs first.
	configs="${configs#* } ${configs%% *}"
	round=$((round + 1))
done

# --- run time of the BPF programs -------------------------------------------------

# Print "NAME RUN_TIME_NS RUN_CNT" for every loaded BPF program.
prog_stats() {
	bpftool -j prog show | jq -r '.[] | "\(.name) \(.run_time_ns // 0) \(.run_cnt // 0)"'
}

# Append "CONFIG PLACE NS_PER_ITERATION" lines to $STATS: the run time of
# all BPF programs during each loop, divided by its iterations.
measure_stats() {
	prog_stats >"$E2E_DIR/stats.0"
	"$HOOKLOOP" open "$OPEN_N" "$FILE" >/dev/null
	prog_stats >"$E2E_DIR/stats.1"
	"$HOOKLOOP" exec "$EXEC_N" >/dev/null
	prog_stats >"$E2E_DIR/stats.2"

	bundle_edit "$BUNDLE" ".process.args = [\"/hookloop\", \"open\", \"$OPEN_N\", \"$FILE\"]"
	oci_run runc bench >/dev/null
	prog_stats >"$E2E_DIR/stats.3"
	bundle_edit "$BUNDLE" ".process.args = [\"/hookloop\", \"exec\", \"$EXEC_N\"]"
	oci_run runc bench >/dev/null
	prog_stats >"$E2E_DIR/stats.4"
	bundle_edit "$BUNDLE" ".process.args = [\"/hookloop\", \"suite\", \"$OPEN_N\", \"$EXEC_N\", \"$FILE\"]"

	bundle_edit "$E2E_DIR/bench-dir" ".process.args = [\"/hookloop\", \"open\", \"$OPEN_N\", \"$FILE\"]"
	oci_run runc bench-dir >/dev/null
	prog_stats >"$E2E_DIR/stats.5"

	# hookloop runs 1000 open and 10 fork+exec iterations before it starts
	# timing, and the programs run for those too.
	set -- "host open $((OPEN_N + 1000))" "host exec $((EXEC_N + 10))" \
		"container open $((OPEN_N + 1000))" "container exec $((EXEC_N + 10))" \
		"bind-root open $((OPEN_N + 1000))"
	_vb_i=0
	for _vb_run in "$@"; do
		# shellcheck disable=SC2086
		set -- $_vb_run
		awk -v config="$config" -v place="$1" -v op="$2" -v n="$3" \
			-v breakdown="$E2E_DIR/breakdown" '
			NR == FNR { before[$1] = $2; next }
			{
				ns += $2 - before[$1]
				if ($2 - before[$1] >= n)
					printf "vm bpf-prog %-8s %-9s %-4s %-28s %.0f ns/op\n",
						config, place, op, $1, ($2 - before[$1]) / n >>breakdown
			}
			END { printf "%s %s %s %.1f\n", config, place, op, ns / n }
		' "$E2E_DIR/stats.$_vb_i" "$E2E_DIR/stats.$((_vb_i + 1))" >>"$STATS"
		_vb_i=$((_vb_i + 1))
	done
}

echo 1 >/proc/sys/kernel/bpf_stats_enabled
for config in floor enclaved; do
	start_config "$config"
	measure_stats
	stop_config "$config"
done
echo 0 >/proc/sys/kernel/bpf_stats_enabled

# --- memory ---------------------------------------------------------------------------

# Print enclaved's resident set and its cgroup's kernel memory, in KiB.
memory_line() {
	_vb_rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$ENCLAVED_PID/status")
	_vb_kernel=$(awk '$1 == "kernel" { print int($2 / 1024) }' "$DAEMON_CGROUP/memory.stat")
	echo "rss $_vb_rss kernel $_vb_kernel"
}

echo +memory >/sys/fs/cgroup/cgroup.subtree_control
mkdir -p "$DAEMON_CGROUP" "$CONTAINER_CGROUP"
: >"$E2E_DIR/memory"
for count in $CONTAINER_COUNTS; do
	per_container=$((PROCESSES / count))
	[ "$per_container" -ge 1 ] || fail "ENCLAVE_BENCH_PROCESSES ($PROCESSES) must be at least the number of containers ($count)"
	start_enclaved "$DAEMON_CGROUP"
	echo "0 0 $(memory_line)" >>"$E2E_DIR/memory"

	rm -f "$E2E_DIR/hold" "$E2E_DIR/containers.out"
	mkfifo "$E2E_DIR/hold"
	"$HOOKLOOP" containers "$count" "$per_container" "$CONTAINER_CGROUP" \
		<"$E2E_DIR/hold" >"$E2E_DIR/containers.out" &
	hold_pid=$!
	exec 9>"$E2E_DIR/hold"
	wait_for_text "$E2E_DIR/containers.out" ready "the $count containers did not start within 120 s"
	# Every container's start record has gone through the sink.
	_vb_i=0
	while [ "$(grep -c '"container_start"' "$E2E_DIR/events.json" || true)" -lt "$count" ]; do
		_vb_i=$((_vb_i + 1))
		[ "$_vb_i" -lt 600 ] || fail "enclaved did not record $count container starts within 60 s"
		sleep 0.1
	done
	echo "$count $((per_container * count)) $(memory_line)" >>"$E2E_DIR/memory"
	exec 9>&-
	wait "$hold_pid" || fail "hookloop containers exited with status $?"
	stop_enclaved
done

# --- report ---------------------------------------------------------------------------

# Every figure: medians over the rounds, the spread as min-max in percent
# of the median, and the overhead against "none" in the same rounds. Then
# the BPF run time per iteration against the iteration time without
# enclaved, and the twelve programs of enclaved that cost most per
# iteration.
awk '
	NR == FNR { key = $1 " " $2 " " $3; v[key, ++n[key]] = $4; next }
	{ bpf[$1 " " $2 " " $3] = $4 }
	function median(key,    i, j, t, c) {
		c = n[key]
		for (i = 1; i <= c; i++) s[i] = v[key, i]
		for (i = 2; i <= c; i++)
			for (j = i; j > 1 && s[j - 1] > s[j]; j--) { t = s[j]; s[j] = s[j - 1]; s[j - 1] = t }
		lo = s[1]; hi = s[c]
		return c % 2 ? s[(c + 1) / 2] : (s[c / 2] + s[c / 2 + 1]) / 2
	}
	function target(place, op) {
		return op == "exec" ? 3 : place == "host" ? 2 : 5
	}
	function print_bpf_time(place, op, base,    fl, en) {
		fl = bpf["floor " place " " op]; en = bpf["enclaved " place " " op]
		printf "vm bpf-time %-9s %-4s floor %.0f ns/op (%.2f%%)  enclaved %.0f ns/op (%.2f%%)  ratio %.2f",
			place, op, fl, fl / base * 100, en, en / base * 100, (fl > 0 ? en / fl : 0)
		if (place == "bind-root")
			printf "\n"
		else
			printf "  target <=%d%%: %s\n", target(place, op),
				en / base * 100 <= target(place, op) ? "met" : "MISSED"
	}
	END {
		split("host container", places, " ")
		split("open exec", ops, " ")
		for (p = 1; p <= 2; p++) for (o = 1; o <= 2; o++) {
			place = places[p]; op = ops[o]
			base = median("none " place " " op); blo = lo; bhi = hi
			fl = median("floor " place " " op); flo = lo; fhi = hi
			en = median("enclaved " place " " op); elo = lo; ehi = hi
			over = (en / base - 1) * 100
			printf "vm %-9s %-4s none %.2f us [%.2f-%.2f]  floor %.2f us [%.2f-%.2f] %+.1f%%  enclaved %.2f us [%.2f-%.2f] %+.1f%%  target <=%d%%: %s\n",
				place, op, base / 1000, blo / 1000, bhi / 1000,
				fl / 1000, flo / 1000, fhi / 1000, (fl / base - 1) * 100,
				en / 1000, elo / 1000, ehi / 1000, over, target(place, op),
				over <= target(place, op) ? "met" : "MISSED"
			if (place == "container" && op == "open") {
				if (fl > base)
					printf "vm container open enclaved overhead / floor overhead %.2f  target <=1.5: %s\n",
						(en - base) / (fl - base), en - base <= 1.5 * (fl - base) ? "met" : "MISSED"
				else
					printf "vm container open enclaved overhead / floor overhead: floor within noise (%+.1f%%), see bpf-time\n",
						(fl / base - 1) * 100
			}
		}
		for (p = 1; p <= 2; p++) for (o = 1; o <= 2; o++)
			print_bpf_time(places[p], ops[o], median("none " places[p] " " ops[o]))
		# The open loop in a container whose root is a bind mount.
		print_bpf_time("bind-root", "open", median("none container open"))
	}
' "$RESULTS" "$STATS"

sort -k7,7nr "$E2E_DIR/breakdown" | awk '$3 == "enclaved"' | head -n 12

awk '{
	printf "vm memory containers %d processes %d  enclaved rss %d KiB  kernel %d KiB\n", $1, $2, $4, $6
}' "$E2E_DIR/memory"

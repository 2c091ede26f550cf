# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=sh
#
# Helpers for the end-to-end tests, which run as root inside the test VM
# (tests/vm/run-guest-test starts them with tests/vm/enclave-vm). Source this
# file from a test script and call guest_setup first:
#
#     . "$(dirname "$0")/lib.sh"
#     guest_setup
#
# The helpers run under POSIX sh (dash, busybox sh) and bash. They keep every
# file on tmpfs, below $E2E_DIR, because files on the host share are slow in
# the guest. Helper-internal variables start with "_e2e_" since POSIX sh has
# no local variables.
#
# Containers:
#   make_bundle DIR ID ARG...   OCI bundle for runc and crun
#   oci_run RUNTIME ID          run in the foreground (RUNTIME is runc or crun),
#                               also runc_run ID and crun_run ID
#   oci_start RUNTIME ID        run detached, also runc_start and crun_start
#   oci_exec RUNTIME ID ARG...  also runc_exec and crun_exec
#   oci_stop RUNTIME ID         kill and delete, also runc_stop and crun_stop
#   podman_setup, podman_import NAME, podman_cmd ARG...,
#   podman_start NAME IMAGE ARG..., podman_stop NAME
#   container_pid RUNTIME ID, container_cgroup_path RUNTIME ID,
#   container_cgroup_id RUNTIME ID   (RUNTIME is runc, crun or podman)
#   cgroup_path_of_pid PID, cgroup_id_of_path PATH,
#   wait_for_cgroup_process PATH CMDLINE

# Print "FAIL: MESSAGE" to stderr and exit 1.
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# Print "SKIP: MESSAGE" to stderr and exit 77, the automake skip status.
skip() {
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

note() {
	printf 'NOTE: %s\n' "$*" >&2
}

# Print the time in milliseconds since the epoch.
now_ms() {
	_e2e_ns=$(date +%s%N)
	echo $((_e2e_ns / 1000000))
}

# Prepare the guest for a test: allow dmesg for everyone, so that only an LSM
# can deny it, and create the work directory $E2E_DIR on tmpfs.
guest_setup() {
	if [ "${ENCLAVE_VM_GUEST:-}" != 1 ]; then
		fail "this test changes kernel settings and must run inside the test VM: run it with tests/vm/run-guest-test"
	fi
	set_dmesg_restrict 0
	E2E_DIR=$(mktemp -d /tmp/e2e.XXXXXX) ||
		fail "failed to create a work directory in /tmp"
	export E2E_DIR
	E2E_BUSYBOX=$(command -v busybox) ||
		fail "busybox not found in PATH: install the Debian package busybox-static"
	export E2E_BUSYBOX
}

# Set the sysctl kernel.dmesg_restrict to $1 (0 or 1).
set_dmesg_restrict() {
	echo "$1" >/proc/sys/kernel/dmesg_restrict ||
		fail "failed to set kernel.dmesg_restrict to $1"
}

# --- root file system ---------------------------------------------------------

# Build the template rootfs once: static busybox with every applet as a
# relative symlink at its usual path, and the files that tools expect.
_e2e_make_rootfs_template() {
	_e2e_template=$E2E_DIR/rootfs-template
	if [ -d "$_e2e_template" ]; then
		return 0
	fi
	_e2e_tmp=$_e2e_template.tmp
	rm -rf "$_e2e_tmp"
	for _e2e_sub in bin sbin usr/bin usr/sbin etc root proc sys dev tmp var/tmp run; do
		mkdir -p "$_e2e_tmp/$_e2e_sub" || fail "failed to create '$_e2e_tmp/$_e2e_sub'"
	done
	chmod 1777 "$_e2e_tmp/tmp" "$_e2e_tmp/var/tmp"
	cp "$E2E_BUSYBOX" "$_e2e_tmp/bin/busybox" ||
		fail "failed to copy '$E2E_BUSYBOX' into the rootfs"

	"$E2E_BUSYBOX" --list-full >"$E2E_DIR/applets" ||
		fail "failed to list the applets of '$E2E_BUSYBOX'"
	while IFS= read -r _e2e_applet; do
		case $_e2e_applet in
		bin/busybox) continue ;;
		bin/*) _e2e_target=busybox ;;
		sbin/*) _e2e_target=../bin/busybox ;;
		usr/bin/* | usr/sbin/*) _e2e_target=../../bin/busybox ;;
		*) continue ;;
		esac
		ln -s "$_e2e_target" "$_e2e_tmp/$_e2e_applet" ||
			fail "failed to create the applet link '$_e2e_applet'"
	done <"$E2E_DIR/applets"

	cat >"$_e2e_tmp/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
	cat >"$_e2e_tmp/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
	echo 'hosts: files' >"$_e2e_tmp/etc/nsswitch.conf"
	mv "$_e2e_tmp" "$_e2e_template"
}

# Create DIR as a busybox rootfs.
make_rootfs() {
	_e2e_make_rootfs_template
	mkdir -p "$1" || fail "failed to create the rootfs directory '$1'"
	cp -a "$E2E_DIR/rootfs-template/." "$1/" ||
		fail "failed to copy the rootfs template to '$1'"
}

# --- OCI bundles for runc and crun ----------------------------------------------

# Create the OCI bundle DIR for container ID with process.args ARG..., from
# the default spec of runc: no terminal, a writable rootfs, hostname ID and
# CAP_SYSLOG in every capability set. oci_run and the other helpers find the
# bundle by ID.
make_bundle() {
	[ "$#" -ge 3 ] || fail "usage: make_bundle DIR ID ARG..."
	_e2e_bundle=$1
	_e2e_id=$2
	shift 2
	mkdir -p "$_e2e_bundle" "$E2E_DIR/bundles" ||
		fail "failed to create the bundle directory '$_e2e_bundle'"
	_e2e_bundle=$(cd "$_e2e_bundle" && pwd)
	make_rootfs "$_e2e_bundle/rootfs"
	rm -f "$_e2e_bundle/config.json"
	runc spec --bundle "$_e2e_bundle" ||
		fail "failed to write the default spec with 'runc spec' in '$_e2e_bundle'"

	# Pass each argument as "--arg aN VALUE", which jq takes verbatim even
	# when VALUE starts with a dash.
	_e2e_argc=$#
	_e2e_index=0
	while [ "$_e2e_index" -lt "$_e2e_argc" ]; do
		set -- "$@" --arg "a$_e2e_index" "$1"
		shift
		_e2e_index=$((_e2e_index + 1))
	done
	# Ambient capabilities take effect only when they are also inheritable.
	jq "$@" --arg hostname "$_e2e_id" --argjson argc "$_e2e_argc" '
		.process.args = [range($argc) as $i | $ARGS.named["a\($i)"]]
		| .process.terminal = false
		| .root.readonly = false
		| .hostname = $hostname
		| .process.capabilities.inheritable =
			(.process.capabilities.inheritable // .process.capabilities.ambient // [])
		| .process.capabilities |= map_values(. + ["CAP_SYSLOG"] | unique)
	' <"$_e2e_bundle/config.json" >"$_e2e_bundle/config.json.tmp" ||
		fail "failed to edit '$_e2e_bundle/config.json' with jq"
	mv "$_e2e_bundle/config.json.tmp" "$_e2e_bundle/config.json"
	ln -sfn "$_e2e_bundle" "$E2E_DIR/bundles/$_e2e_id"
}

# Apply the jq FILTER to the config.json of bundle DIR, for example
#     bundle_edit "$dir" '.process.capabilities |= map_values(. - ["CAP_SYSLOG"])'
bundle_edit() {
	jq "$2" <"$1/config.json" >"$1/config.json.tmp" ||
		fail "failed to apply jq filter '$2' to '$1/config.json'"
	mv "$1/config.json.tmp" "$1/config.json"
}

# Print the bundle directory of container ID.
bundle_dir() {
	[ -e "$E2E_DIR/bundles/$1" ] || fail "no bundle for container '$1': call make_bundle first"
	echo "$E2E_DIR/bundles/$1"
}

_e2e_check_oci_runtime() {
	case $1 in
	runc | crun) ;;
	*) fail "invalid OCI runtime '$1': expected runc or crun" ;;
	esac
}

# Run RUNTIME (runc or crun) with its state directory on tmpfs.
oci_runtime() {
	_e2e_check_oci_runtime "$1"
	_e2e_runtime=$1
	shift
	"$_e2e_runtime" --root "$E2E_DIR/$_e2e_runtime-state" "$@"
}

# Run container ID in the foreground and return its exit status. The
# container's stdout and stderr are those of the caller.
oci_run() {
	_e2e_bundle=$(bundle_dir "$2")
	oci_runtime "$1" run --bundle "$_e2e_bundle" "$2" </dev/null
}

# Start container ID detached. Its stdout and stderr go to $E2E_DIR/ID.log.
oci_start() {
	_e2e_bundle=$(bundle_dir "$2")
	oci_runtime "$1" run --detach --bundle "$_e2e_bundle" "$2" \
		</dev/null >"$E2E_DIR/$2.log" 2>&1 ||
		fail "failed to start container '$2' with $1: $(cat "$E2E_DIR/$2.log")"
}

# Run ARG... in the running container ID and return its exit status.
oci_exec() {
	_e2e_runtime=$1
	_e2e_id=$2
	shift 2
	oci_runtime "$_e2e_runtime" exec "$_e2e_id" "$@" </dev/null
}

# Kill container ID and delete it.
oci_stop() {
	oci_runtime "$1" kill "$2" KILL 2>/dev/null || true
	oci_runtime "$1" delete --force "$2" ||
		fail "failed to delete container '$2' with $1"
}

runc_run() { oci_run runc "$@"; }
runc_start() { oci_start runc "$@"; }
runc_exec() { oci_exec runc "$@"; }
runc_stop() { oci_stop runc "$@"; }
crun_run() { oci_run crun "$@"; }
crun_start() { oci_start crun "$@"; }
crun_exec() { oci_exec crun "$@"; }
crun_stop() { oci_stop crun "$@"; }

# --- podman -------------------------------------------------------------------

# Configure podman for offline use with its storage on tmpfs: vfs storage,
# cgroupfs cgroups, a file for events and no network. The configuration files
# also serve podman's cleanup processes, which conmon starts.
podman_setup() {
	PODMAN_DIR=$E2E_DIR/podman
	PODMAN_ROOT=/var/lib/containers/storage
	PODMAN_RUNROOT=/run/containers/storage
	mkdir -p "$PODMAN_ROOT" "$PODMAN_RUNROOT" "$PODMAN_DIR/tmp" ||
		fail "failed to create the podman directories in '$PODMAN_DIR'"
	cat >"$PODMAN_DIR/containers.conf" <<EOF
[containers]
netns = "none"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$PODMAN_DIR/tmp"
EOF
	# podman's default storage root, which enclaved reads container names
	# from; it is on the guest's tmpfs.
	cat >"$PODMAN_DIR/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$PODMAN_ROOT"
runroot = "$PODMAN_RUNROOT"
EOF
	# No registry: images come from podman_import only.
	cat >"$PODMAN_DIR/registries.conf" <<'EOF'
unqualified-search-registries = []
short-name-mode = "disabled"
EOF
	CONTAINERS_CONF=$PODMAN_DIR/containers.conf
	CONTAINERS_STORAGE_CONF=$PODMAN_DIR/storage.conf
	CONTAINERS_REGISTRIES_CONF=$PODMAN_DIR/registries.conf
	export PODMAN_DIR PODMAN_ROOT PODMAN_RUNROOT CONTAINERS_CONF CONTAINERS_STORAGE_CONF CONTAINERS_REGISTRIES_CONF
}

# Run podman with the global options of podman_setup. PODMAN_RUNTIME, if set,
# selects the OCI runtime (runc or crun); "podman_cmd --runtime runc ..."
# works as well.
podman_cmd() {
	[ -n "${PODMAN_DIR:-}" ] || fail "podman_cmd: call podman_setup first"
	if [ -n "${PODMAN_RUNTIME:-}" ]; then
		set -- --runtime "$PODMAN_RUNTIME" "$@"
	fi
	podman --root "$PODMAN_ROOT" --runroot "$PODMAN_RUNROOT" \
		--storage-driver vfs --cgroup-manager cgroupfs \
		--events-backend file --tmpdir "$PODMAN_DIR/tmp" "$@"
}

# Create the image localhost/NAME:latest from a busybox rootfs tarball.
podman_import() {
	_e2e_image_dir=$E2E_DIR/image-$1
	make_rootfs "$_e2e_image_dir"
	tar -C "$_e2e_image_dir" -cf "$_e2e_image_dir.tar" . ||
		fail "failed to pack '$_e2e_image_dir' into '$_e2e_image_dir.tar'"
	podman_cmd import --quiet "$_e2e_image_dir.tar" "localhost/$1:latest" >/dev/null ||
		fail "failed to import '$_e2e_image_dir.tar' as image '$1' with podman"
	rm -rf "$_e2e_image_dir" "$_e2e_image_dir.tar"
}

# Start container NAME from IMAGE detached, with CAP_SYSLOG, running ARG....
podman_start() {
	_e2e_name=$1
	_e2e_image=$2
	shift 2
	podman_cmd run --detach --name "$_e2e_name" --network none \
		--cap-add SYSLOG "$_e2e_image" "$@" >/dev/null ||
		fail "failed to start podman container '$_e2e_name' from '$_e2e_image'"
}

# Remove container NAME without waiting for it to stop.
podman_stop() {
	podman_cmd rm --force --time 0 "$1" >/dev/null ||
		fail "failed to remove podman container '$1'"
}

# --- container processes and cgroups ----------------------------------------------

# Print the pid, in the VM's pid namespace, of the init process of running
# container ID. RUNTIME is runc, crun or podman.
container_pid() {
	case $1 in
	podman)
		_e2e_pid=$(podman_cmd inspect --format '{{.State.Pid}}' "$2") ||
			fail "failed to inspect podman container '$2'"
		;;
	*)
		_e2e_pid=$(oci_runtime "$1" state "$2" | jq -r .pid) ||
			fail "failed to read the state of container '$2' from $1"
		;;
	esac
	case $_e2e_pid in
	'' | 0 | *[!0-9]*) fail "container '$2' of $1 has no running init process (pid '$_e2e_pid')" ;;
	esac
	echo "$_e2e_pid"
}

# Print the cgroup v2 path of process PID, relative to /sys/fs/cgroup.
cgroup_path_of_pid() {
	_e2e_cgroup=$(sed -n 's/^0:://p' "/proc/$1/cgroup") ||
		fail "failed to read '/proc/$1/cgroup'"
	[ -n "$_e2e_cgroup" ] || fail "process $1 is in no cgroup v2 group"
	echo "$_e2e_cgroup"
}

# Print the id of the cgroup at PATH (relative to /sys/fs/cgroup): the inode
# number of its directory, which is what bpf_get_current_cgroup_id() returns.
cgroup_id_of_path() {
	stat -c %i "/sys/fs/cgroup$1" ||
		fail "failed to read the inode number of '/sys/fs/cgroup$1'"
}

# Wait up to 30 s for a process whose arguments, joined by spaces, are
# CMDLINE to appear in the cgroup at PATH (relative to /sys/fs/cgroup), and
# print its pid.
wait_for_cgroup_process() {
	_e2e_deadline=$(($(date +%s) + 30))
	while [ "$(date +%s)" -lt "$_e2e_deadline" ]; do
		while read -r _e2e_pid; do
			_e2e_cmdline=$(tr '\0' ' ' <"/proc/$_e2e_pid/cmdline" 2>/dev/null) || continue
			if [ "$_e2e_cmdline" = "$2 " ]; then
				echo "$_e2e_pid"
				return 0
			fi
		done <"/sys/fs/cgroup$1/cgroup.procs"
		sleep 0.1
	done
	return 1
}

container_cgroup_path() {
	_e2e_pid=$(container_pid "$1" "$2") || exit 1
	cgroup_path_of_pid "$_e2e_pid"
}

container_cgroup_id() {
	_e2e_path=$(container_cgroup_path "$1" "$2") || exit 1
	cgroup_id_of_path "$_e2e_path"
}

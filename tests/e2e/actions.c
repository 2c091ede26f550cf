// SPDX-License-Identifier: Apache-2.0
/*
 * The actions of the policy tests, one per run: "actions NAME [ARG]" tries
 * the action, prints "NAME PID ok" or "NAME PID errno N" and exits 0 when it
 * succeeded and 1 when it failed. PID is the process that made the call, so
 * that the test can find its record. Built static, to run in a container
 * whose root holds only busybox.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#define SYSLOG_ACTION_SIZE_BUFFER 10
#ifndef FSCONFIG_CMD_CREATE
#define FSCONFIG_CMD_CREATE 6
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x4
#endif

static const char *action;

static int report(int ret)
{
	if (ret < 0) {
		printf("%s %d errno %d\n", action, getpid(), errno);
		return 1;
	}
	printf("%s %d ok\n", action, getpid());
	return 0;
}

static int open_close(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int bpf_map_create(void)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	fd = (int)syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int perf_open(void)
{
	struct perf_event_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Mount a new tmpfs with the new mount API and attach it at target. */
static int new_api_mount(const char *target)
{
	int fs, mnt, ret;

	fs = (int)syscall(SYS_fsopen, "tmpfs", 0);
	if (fs < 0)
		return -1;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		close(fs);
		return -1;
	}
	mnt = (int)syscall(SYS_fsmount, fs, 0, 0);
	close(fs);
	if (mnt < 0)
		return -1;
	ret = (int)syscall(SYS_move_mount, mnt, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH);
	close(mnt);
	return ret;
}

/* Attach to a child of our own, which is inside the container. */
static int ptrace_child(void)
{
	pid_t child = fork();
	int ret, saved;

	if (child < 0)
		return -1;
	if (child == 0) {
		pause();
		_exit(0);
	}
	ret = (int)ptrace(PTRACE_ATTACH, child, NULL, NULL);
	saved = errno;
	if (ret == 0)
		waitpid(child, NULL, 0);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	errno = saved;
	return ret;
}

static int ptrace_pid(const char *arg)
{
	pid_t pid = (pid_t)strtol(arg ? arg : "0", NULL, 10);

	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
		return -1;
	waitpid(pid, NULL, __WALL);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return 0;
}

/* Switch the effective uid to 1000 and back: the way back gains root. */
static int setuid_root(void)
{
	if (setresuid(-1, 1000, -1) < 0)
		return -1;
	return setresuid(-1, 0, -1);
}

/* Drop to uid 1000 and exec a set-user-ID-root copy of this program. */
static int exec_setuid(const char *path)
{
	char *argv[] = { (char *)path, (char *)"noop", NULL };

	if (setresgid(1000, 1000, 1000) < 0 || setresuid(1000, 1000, 1000) < 0)
		return -1;
	execv(path, argv);
	return -1;
}

static int finit_module_of(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -1;
	ret = (int)syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return ret;
}

static int init_module_of_junk(void)
{
	static const char junk[64] = "not a module";

	return (int)syscall(SYS_init_module, junk, sizeof(junk), "");
}

static int socket_of(int family, int type, int protocol)
{
	int fd = socket(family, type | SOCK_CLOEXEC, protocol);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int file_action(const char *name, const char *arg)
{
	if (strcmp(name, "read") == 0)
		return open_close(arg, O_RDONLY);
	if (strcmp(name, "write") == 0)
		return open_close(arg, O_WRONLY);
	if (strcmp(name, "truncate") == 0)
		return truncate(arg, 0);
	if (strcmp(name, "unlink") == 0)
		return unlink(arg);
	if (strcmp(name, "mkdir") == 0)
		return mkdir(arg, 0755);
	if (strcmp(name, "rmdir") == 0)
		return rmdir(arg);
	if (strcmp(name, "mknod") == 0)
		return mknod(arg, S_IFIFO | 0644, 0);
	if (strcmp(name, "symlink") == 0)
		return symlink("/etc/hostname", arg);
	if (strcmp(name, "chmod") == 0)
		return chmod(arg, 0600);
	if (strcmp(name, "chown") == 0)
		return chown(arg, 1000, 1000);
	return 1;
}

int main(int argc, char **argv)
{
	const char *arg = argc > 2 ? argv[2] : NULL;
	const char *arg2 = argc > 3 ? argv[3] : NULL;
	int ret;

	if (argc < 2) {
		fprintf(stderr, "usage: actions NAME [ARG [ARG2]]\n");
		return 2;
	}
	action = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (strcmp(action, "noop") == 0)
		return report(0);
	if (strcmp(action, "syslog") == 0)
		return report(klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0));
	if (strcmp(action, "link") == 0)
		return report(link(arg, arg2));
	if (strcmp(action, "rename") == 0)
		return report(rename(arg, arg2));
	if (strcmp(action, "mount") == 0)	/* mount TYPE TARGET */
		return report(mount("none", arg2, arg, 0, NULL));
	if (strcmp(action, "bind") == 0)	/* bind SOURCE TARGET */
		return report(mount(arg, arg2, NULL, MS_BIND, NULL));
	if (strcmp(action, "chroot_write") == 0)	/* chroot_write DIR FILE */
		return report(chroot(arg) == 0 && chdir("/") == 0 ?
			      open_close(arg2, O_WRONLY) : -1);
	if (strcmp(action, "private") == 0)	/* a propagation change */
		return report(mount(NULL, arg, NULL, MS_PRIVATE | MS_REC, NULL));
	if (strcmp(action, "move_mount") == 0)
		return report(new_api_mount(arg));
	if (strcmp(action, "setuid_root") == 0)
		return report(setuid_root());
	if (strcmp(action, "exec_setuid") == 0)
		return report(exec_setuid(arg));
	if (strcmp(action, "ptrace_child") == 0)
		return report(ptrace_child());
	if (strcmp(action, "ptrace") == 0)
		return report(ptrace_pid(arg));
	if (strcmp(action, "bpf") == 0)
		return report(bpf_map_create());
	if (strcmp(action, "finit_module") == 0)
		return report(finit_module_of(arg));
	if (strcmp(action, "init_module") == 0)
		return report(init_module_of_junk());
	if (strcmp(action, "module_request") == 0)	/* AF_X25 has no module here */
		return report(socket_of(9, SOCK_SEQPACKET, 0));
	if (strcmp(action, "raw_socket") == 0)
		return report(socket_of(AF_INET, SOCK_RAW, IPPROTO_ICMP));
	if (strcmp(action, "packet_socket") == 0)
		return report(socket_of(AF_PACKET, SOCK_RAW, 0));
	if (strcmp(action, "udp_socket") == 0)
		return report(socket_of(AF_INET, SOCK_DGRAM, 0));
	if (strcmp(action, "perf") == 0)
		return report(perf_open());
	if (strcmp(action, "userns") == 0)
		return report(unshare(CLONE_NEWUSER));

	ret = file_action(action, arg);
	if (ret == 1 || !arg) {
		fprintf(stderr, "actions: unknown action '%s' or missing argument\n", action);
		return 2;
	}
	return report(ret);
}

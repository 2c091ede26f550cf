/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The workload of the hook benchmarks. It is linked statically, because it
 * also runs inside busybox containers.
 *
 *   hookloop open N PATH    N open(2)/close(2) pairs on PATH
 *   hookloop exec N         N fork(2) + execve(2) of itself + waitpid(2)
 *   hookloop suite N M PATH open N PATH, then exec M
 *   hookloop exit           exit 0 (the exec target)
 *   hookloop hold N FD      become N processes that sleep until killed; the
 *                           first writes "N\n" to FD when all exist
 *   hookloop containers C P DIR
 *                           start C synthetic containers of P processes each
 *                           (see start_containers), print "ready", wait for
 *                           end of input, then kill them
 *
 * The loops print "open NS ns/op" and "exec NS ns/op", the mean wall-clock
 * time of one iteration. Untimed warm-up iterations come first: 1000 opens
 * and 10 fork+execs (bench/vm-bench.sh counts them in the BPF run time).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The comm that enclaved's default runtime list names for runc's init. */
#define RUNTIME_COMM "runc:[2:INIT]"
#define WARMUP 1000		/* untimed opens */
#define EXEC_WARMUP 10		/* untimed fork+execs */

static char self[PATH_MAX];

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long parse_count(const char *text)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(text, &end, 10);
	if (errno || *end || n < 1 || n > 100000000) {
		fprintf(stderr, "hookloop: invalid count '%s': expected 1 to 100000000\n", text);
		exit(2);
	}
	return n;
}

static void open_once(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		fprintf(stderr, "hookloop: failed to open '%s': %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

static void loop_open(long n, const char *path)
{
	double start;

	for (int i = 0; i < WARMUP; i++)
		open_once(path);
	start = now_ns();
	for (long i = 0; i < n; i++)
		open_once(path);
	printf("open %.1f ns/op\n", (now_ns() - start) / n);
}

static void exec_once(void)
{
	char *argv[] = { "hookloop", "exit", NULL };
	char *envp[] = { NULL };
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		fprintf(stderr, "hookloop: failed to fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		execve(self, argv, envp);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "hookloop: the exec of '%s' failed (status 0x%x)\n", self, status);
		exit(1);
	}
}

static void loop_exec(long n)
{
	double start;

	for (int i = 0; i < EXEC_WARMUP; i++)
		exec_once();
	start = now_ns();
	for (long i = 0; i < n; i++)
		exec_once();
	printf("exec %.1f ns/op\n", (now_ns() - start) / n);
}

/* Become n processes that sleep until killed, then report on fd. */
static int hold(long n, int fd)
{
	for (long i = 1; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "hookloop: failed to fork process %ld of %ld: %s\n", i + 1,
				n, strerror(errno));
			return 1;
		}
		if (pid == 0) {
			close(fd);
			for (;;)
				pause();
		}
	}
	dprintf(fd, "%ld\n", n);
	close(fd);
	for (;;)
		pause();
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		fprintf(stderr, "hookloop: failed to write '%s': %s\n", path, strerror(errno));
		_exit(1);
	}
	close(fd);
}

/*
 * Start one synthetic container, doing what runc's init does as far as
 * enclaved can observe. The child moves into a cgroup of its own and a mount namespace
 * of its own, takes runc's init comm and execs the entrypoint, which
 * enclaved registers as a container.
 */
static void start_container(const char *cgroup, long processes, int fd)
{
	char procs[PATH_MAX + 32], count[32], fdtext[16];
	char *argv[] = { "hookloop", "hold", count, fdtext, NULL };
	char *envp[] = { NULL };
	pid_t pid;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup);
	snprintf(count, sizeof(count), "%ld", processes);
	snprintf(fdtext, sizeof(fdtext), "%d", fd);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "hookloop: failed to fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid > 0)
		return;
	write_file(procs, "0");
	if (unshare(CLONE_NEWNS) != 0) {
		fprintf(stderr, "hookloop: failed to unshare the mount namespace: %s\n",
			strerror(errno));
		_exit(1);
	}
	prctl(PR_SET_NAME, RUNTIME_COMM);
	execve(self, argv, envp);
	fprintf(stderr, "hookloop: failed to exec '%s': %s\n", self, strerror(errno));
	_exit(1);
}

/* Start c containers of p processes each below the cgroup directory dir,
 * wait until every process exists, and kill them when input ends. */
static int start_containers(long c, long p, const char *dir)
{
	char path[PATH_MAX], line[64], buf[4096];
	long ready = 0;
	int pipefd[2];
	FILE *in;

	if (pipe(pipefd) != 0) {
		fprintf(stderr, "hookloop: failed to create a pipe: %s\n", strerror(errno));
		return 1;
	}
	for (long i = 0; i < c; i++) {
		snprintf(path, sizeof(path), "%s/bench-%ld", dir, i);
		if (mkdir(path, 0755) != 0) {
			fprintf(stderr, "hookloop: failed to create the cgroup '%s': %s\n", path,
				strerror(errno));
			return 1;
		}
		start_container(path, p, pipefd[1]);
	}
	close(pipefd[1]);
	in = fdopen(pipefd[0], "r");
	while (ready < c * p && fgets(line, sizeof(line), in))
		ready += atol(line);
	if (ready != c * p) {
		fprintf(stderr, "hookloop: only %ld of %ld processes started\n", ready, c * p);
		return 1;
	}
	printf("ready %ld containers, %ld processes\n", c, c * p);
	fflush(stdout);

	while (read(0, buf, sizeof(buf)) > 0)
		;
	for (long i = 0; i < c; i++) {
		snprintf(path, sizeof(path), "%s/bench-%ld/cgroup.kill", dir, i);
		write_file(path, "1");
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	for (long i = 0; i < c; i++) {
		snprintf(path, sizeof(path), "%s/bench-%ld", dir, i);
		/* A cgroup stays busy until its last task is reaped. */
		for (int tries = 0; rmdir(path) != 0 && errno == EBUSY && tries < 1000; tries++)
			usleep(10000);
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: hookloop open N PATH | exec N | suite N M PATH | exit | hold N FD | containers C P DIR\n");
	return 2;
}

int main(int argc, char **argv)
{
	ssize_t len;

	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "exit") == 0)
		return 0;
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0) {
		fprintf(stderr, "hookloop: failed to read /proc/self/exe: %s\n", strerror(errno));
		return 1;
	}
	self[len] = '\0';
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (strcmp(argv[1], "open") == 0 && argc == 4)
		loop_open(parse_count(argv[2]), argv[3]);
	else if (strcmp(argv[1], "exec") == 0 && argc == 3)
		loop_exec(parse_count(argv[2]));
	else if (strcmp(argv[1], "suite") == 0 && argc == 5) {
		loop_open(parse_count(argv[2]), argv[4]);
		loop_exec(parse_count(argv[3]));
	} else if (strcmp(argv[1], "hold") == 0 && argc == 4)
		return hold(parse_count(argv[2]), atoi(argv[3]));
	else if (strcmp(argv[1], "containers") == 0 && argc == 5)
		return start_containers(parse_count(argv[2]), parse_count(argv[3]), argv[4]);
	else
		return usage();
	return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Load the floor programs of the hook benchmarks (floor.bpf.o), attach each
 * whose hook this kernel has, print "attached N" and keep them attached
 * until SIGTERM or SIGINT.
 * Usage: lsm-floor OBJECT
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define MAX_LINKS 64

static volatile sig_atomic_t stop;

static void on_signal(int signum)
{
	stop = 1;
}

/* Leave out the programs whose hook the kernel lacks, as enclaved does. */
static int skip_missing_hooks(struct bpf_object *obj)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct bpf_program *prog;

	if (!vmlinux) {
		fprintf(stderr, "lsm-floor: failed to read the kernel's BTF: %s\n",
			strerror(errno));
		return -1;
	}
	bpf_object__for_each_program(prog, obj) {
		const char *section = bpf_program__section_name(prog);
		char func[128];

		snprintf(func, sizeof(func), "bpf_lsm_%s", section + strlen("lsm/"));
		if (btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC) < 0) {
			bpf_program__set_autoload(prog, false);
			fprintf(stderr, "lsm-floor: this kernel has no LSM hook '%s'\n", func + 8);
		}
	}
	btf__free(vmlinux);
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[MAX_LINKS];
	struct bpf_program *prog;
	struct bpf_object *obj;
	sigset_t mask, old;
	int n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: lsm-floor OBJECT\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "lsm-floor: failed to open '%s': %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (skip_missing_hooks(obj) != 0)
		return 1;
	if (bpf_object__load(obj) != 0) {
		fprintf(stderr, "lsm-floor: failed to load '%s': %s\n", argv[1], strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__autoload(prog) || n == MAX_LINKS)
			continue;
		links[n] = bpf_program__attach(prog);
		if (!links[n]) {
			fprintf(stderr, "lsm-floor: failed to attach '%s': %s\n",
				bpf_program__name(prog), strerror(errno));
			return 1;
		}
		n++;
	}
	/* Signals stay blocked except inside sigsuspend, so none is missed. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, &old);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("attached %d\n", n);
	fflush(stdout);
	while (!stop)
		sigsuspend(&old);
	for (int i = 0; i < n; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Load and attach the BPF LSM programs of an object file, print "attached"
 * and keep them attached until SIGTERM or SIGINT.
 * Usage: first-lsm OBJECT
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int signum)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_link *links[8];
	int n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: first-lsm OBJECT\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "first-lsm: failed to load '%s'\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		if (n == 8)
			break;
		links[n] = bpf_program__attach(prog);
		if (!links[n]) {
			fprintf(stderr, "first-lsm: failed to attach '%s'\n",
				bpf_program__name(prog));
			return 1;
		}
		n++;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("attached\n");
	fflush(stdout);
	while (!stop)
		pause();
	for (int i = 0; i < n; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* enclaved: mandatory access control for containers with BPF LSM. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: enclaved [-f] [-c FILE]\n"
		"Enforce mandatory access control on containers with BPF LSM programs.\n"
		"\n"
		"  -c, --config FILE  read the configuration from FILE (default %s)\n"
		"  -f, --foreground   stay in the foreground and log to stderr\n"
		"  -h, --help         print this help and exit\n"
		"      --version      print the version and exit\n"
		"\n"
		"Signals: SIGHUP reopens the sinks' output files; SIGINT and SIGTERM stop.\n",
		SYSCONFDIR "/enclave.conf");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *config_path = SYSCONFDIR "/enclave.conf";
	bool foreground = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:fh", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("enclaved %s\n", PACKAGE_VERSION);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "enclaved: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	return daemon_run(config_path, foreground) ? EXIT_FAILURE : EXIT_SUCCESS;
}

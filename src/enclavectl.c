/* SPDX-License-Identifier: Apache-2.0 */
/*
 * enclavectl: the client of enclaved's sockets. "tail" prints the records
 * of a socket sink as JSON lines; "status" prints the daemon's counters
 * from the control socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#define ENCLAVECTL_EVENTS_SOCKET	"/run/enclave/events.sock"
#define ENCLAVECTL_CONTROL_SOCKET	"/run/enclave/control.sock"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: enclavectl tail [-s SOCKET] [-t TYPE]... [-a ACTION]... [-c CONTAINER]...\n"
		"       enclavectl status [-s SOCKET]\n"
		"\n"
		"tail prints the records of a socket sink, one JSON line each, until the\n"
		"daemon closes the connection. Filters of one kind match any of their\n"
		"values; filters of different kinds must all match.\n"
		"  -s, --socket PATH        the sink's socket (default %s)\n"
		"  -t, --type TYPE          container, process, decision or report\n"
		"  -a, --action ACTION      an event.action, such as deny or process_exec\n"
		"  -c, --container PATTERN  a container id or name, with * and ? wildcards\n"
		"\n"
		"status prints the counters of enclaved and the policy of each known\n"
		"container as one JSON line.\n"
		"  -s, --socket PATH        the control socket (default %s)\n",
		ENCLAVECTL_EVENTS_SOCKET, ENCLAVECTL_CONTROL_SOCKET);
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "enclavectl: socket path '%s' is longer than %zu bytes\n", path,
			sizeof(addr.sun_path) - 1);
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		fprintf(stderr, "enclavectl: failed to connect to '%s': %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copy everything from FD to stdout. A first line {"error":...} is the
 * daemon's rejection: it goes to stderr, and the status is 1. */
static int copy_stream(int fd)
{
	char buf[65536];
	size_t total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "enclavectl: failed to read: %s\n", strerror(errno));
			return 1;
		}
		if (total == 0 && strncmp(buf, "{\"error\":", 9) == 0) {
			fprintf(stderr, "enclavectl: rejected: %.*s", (int)n, buf);
			return 1;
		}
		total += (size_t)n;
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n || fflush(stdout) != 0) {
			fprintf(stderr, "enclavectl: failed to write to stdout: %s\n",
				strerror(errno));
			return 1;
		}
	}
	return 0;
}

static void add_value(json_object *filter, const char *key, const char *value)
{
	json_object *array;

	if (!json_object_object_get_ex(filter, key, &array)) {
		array = json_object_new_array();
		json_object_object_add(filter, key, array);
	}
	json_object_array_add(array, json_object_new_string(value));
}

static int run_tail(int argc, char **argv)
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "type", required_argument, NULL, 't' },
		{ "action", required_argument, NULL, 'a' },
		{ "container", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = ENCLAVECTL_EVENTS_SOCKET;
	json_object *filter = json_object_new_object();
	char *line = NULL;
	int opt, fd, status;

	while ((opt = getopt_long(argc, argv, "s:t:a:c:h", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 't':
			add_value(filter, "type", optarg);
			break;
		case 'a':
			add_value(filter, "action", optarg);
			break;
		case 'c':
			add_value(filter, "container", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	fd = connect_to(path);
	if (fd < 0 || asprintf(&line, "%s\n",
			       json_object_to_json_string_ext(filter, JSON_C_TO_STRING_PLAIN)) < 0 ||
	    send_all(fd, line, strlen(line)) != 0) {
		if (fd >= 0)
			fprintf(stderr, "enclavectl: failed to send the filter: %s\n", strerror(errno));
		status = 1;
	} else {
		status = copy_stream(fd);
	}
	free(line);
	json_object_put(filter);
	if (fd >= 0)
		close(fd);
	return status;
}

static int run_status(int argc, char **argv)
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = ENCLAVECTL_CONTROL_SOCKET;
	int opt, fd, status;

	while ((opt = getopt_long(argc, argv, "s:h", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	fd = connect_to(path);
	if (fd < 0)
		return 1;
	if (send_all(fd, "status\n", 7) != 0) {
		fprintf(stderr, "enclavectl: failed to send the request: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	status = copy_stream(fd);
	close(fd);
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "tail") == 0)
		return run_tail(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return run_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "enclavectl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}

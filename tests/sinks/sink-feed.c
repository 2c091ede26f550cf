/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A test driver for the sinks without BPF. It loads the sinks of a
 * configuration file with the daemon's loader and renders synthetic kernel
 * records with the daemon's renderer. Then it pushes them through the
 * daemon's pipeline, as enclaved does with records from the ring buffer.
 *
 * Usage: sink-feed -c CONFIG [-n COUNT] [-r RATE] [-H] [-w FILE] [-p PIDFILE]
 *   -n COUNT   records to send (default 1000)
 *   -r RATE    records per second, 0 for as fast as possible (default 0)
 *   -H         hostile strings in comm, executable, cgroup and container
 *   -w FILE    wait until FILE exists before sending
 *   -p PIDFILE write the PID, once the sinks are open
 *   -d MS      wait MS milliseconds after the sinks took the last record
 *   -e FILE    then wait until FILE exists before closing the sinks
 * SIGHUP reopens the sinks' outputs, as in enclaved. At the end it prints
 * one JSON line: the sinks' counters and the peak RSS (vm_hwm_kib).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "log.h"
#include "record.h"
#include "sink.h"

static volatile sig_atomic_t reopen_requested;

struct feed_options {
	const char *config;
	unsigned long count;
	unsigned long rate;
	int hostile;
	const char *wait_file;
	const char *pid_file;
	const char *end_file;
	unsigned long delay_ms;
};

static void on_sighup(int signum)
{
	reopen_requested = 1;
}

static int64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void copy_field(char *dst, size_t size, const char *src)
{
	memset(dst, 0, size);
	strncpy(dst, src, size - 1);
}

/* Fill the process of record I. Hostile names hold a newline, quotes, a
 * backslash, a bracket, control bytes, invalid UTF-8 and text that looks
 * like a JSON record or a syslog header. */
static void fill_proc(struct enclave_proc *proc, unsigned long i, int hostile)
{
	proc->cgroup_id = 4242;
	proc->pid = 1000 + (uint32_t)(i % 50000);
	proc->tid = proc->pid;
	proc->ppid = 999;
	proc->uid = 0;
	if (hostile) {
		copy_field(proc->comm, sizeof(proc->comm), "x\n\"\\]\033\377\376\r\001");
		copy_field(proc->exe, sizeof(proc->exe),
			   "/bin/a\nb\"c\\d]e\001\x7f\xff\xc3\x28 {\"event\":{\"action\":\"forged\"}}\n<13>1 - - - - - forged\n8 <13>1 x");
	} else {
		copy_field(proc->comm, sizeof(proc->comm), "dmesg");
		copy_field(proc->exe, sizeof(proc->exe), "/bin/busybox");
	}
}

/* Render record I: exec, deny, audit and exit in turn. */
static int render(unsigned long i, const struct feed_options *opts,
		  const struct record_context *rc, struct json_buf *buf,
		  struct enclave_event *event)
{
	union {
		struct enclave_rec_exec exec;
		struct enclave_rec_exit exit;
		struct enclave_rec_decision decision;
	} rec;
	struct enclave_hdr *hdr = &rec.exec.hdr;
	size_t size;

	memset(&rec, 0, sizeof(rec));
	switch (i % 4) {
	case 0:
		hdr->type = ENCLAVE_REC_PROCESS_EXEC;
		size = sizeof(rec.exec);
		fill_proc(&rec.exec.proc, i, opts->hostile);
		break;
	case 3:
		hdr->type = ENCLAVE_REC_PROCESS_EXIT;
		size = sizeof(rec.exit);
		fill_proc(&rec.exit.proc, i, opts->hostile);
		break;
	default:
		hdr->type = ENCLAVE_REC_DECISION;
		size = sizeof(rec.decision);
		fill_proc(&rec.decision.proc, i, opts->hostile);
		rec.decision.hook = ENCLAVE_HOOK_SYSLOG;
		rec.decision.arg = 10;
		rec.decision.verdict = i % 4 == 1 ? ENCLAVE_VERDICT_DENY : ENCLAVE_VERDICT_AUDIT;
		rec.decision.error = i % 4 == 1 ? 1 : 0;
		rec.decision.level = ENCLAVE_LEVEL_BASELINE;
		break;
	}
	hdr->size = (uint16_t)size;
	hdr->time_ns = (uint64_t)clock_ns(CLOCK_BOOTTIME);
	return record_render(&rec, size, rc, buf, event);
}

static void wait_for_file(const char *path)
{
	while (path && access(path, F_OK) != 0)
		usleep(10000);
}

static void print_status(struct sink_set *sinks)
{
	json_object *object = json_object_new_object();
	json_object *by_sink = json_object_new_object();
	char line[256];
	long hwm = -1;
	FILE *status = fopen("/proc/self/status", "r");

	while (status && fgets(line, sizeof(line), status)) {
		if (sscanf(line, "VmHWM: %ld", &hwm) == 1)
			break;
	}
	if (status)
		fclose(status);
	sink_set_status(sinks, by_sink);
	json_object_object_add(object, "sinks", by_sink);
	json_object_object_add(object, "vm_hwm_kib", json_object_new_int64(hwm));
	printf("%s\n", json_object_to_json_string_ext(object, JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
	json_object_put(object);
}

/* Wait up to 10 s until every sink took everything that was queued. */
static void wait_for_queues(struct sink_set *sinks)
{
	for (int i = 0; i < 1000; i++) {
		json_object *object = json_object_new_object();
		bool busy = false;

		sink_set_status(sinks, object);
		json_object_object_foreach(object, name, entry) {
			json_object *queued, *written, *failed;

			json_object_object_get_ex(entry, "queued", &queued);
			json_object_object_get_ex(entry, "written", &written);
			json_object_object_get_ex(entry, "failed", &failed);
			busy |= json_object_get_uint64(queued) !=
				json_object_get_uint64(written) + json_object_get_uint64(failed);
			(void)name;
		}
		json_object_put(object);
		if (!busy)
			return;
		usleep(10000);
	}
}

static void feed(struct sink_set *sinks, const struct feed_options *opts)
{
	struct record_container container = { .id = "box1", .name = "box1", .runtime = "runc" };
	struct record_context rc = { .container = &container };
	struct enclave_event event;
	struct json_buf buf;
	int64_t start = clock_ns(CLOCK_MONOTONIC);

	json_buf_init(&buf);
	if (opts->hostile) {
		container.id = "box\n\"\\]\001\xff";
		container.name = "web\n<13>1 2026-01-01T00:00:00Z h forged - - - {\"x\":1}\"]\\\033\xfe";
	}
	rc.boot_to_realtime_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	for (unsigned long i = 0; i < opts->count; i++) {
		if (reopen_requested) {
			reopen_requested = 0;
			sink_set_reopen(sinks);
		}
		rc.sequence = i + 1;
		if (render(i, opts, &rc, &buf, &event) != 0) {
			fprintf(stderr, "sink-feed: failed to render record %lu\n", i + 1);
			exit(1);
		}
		sink_set_write(sinks, &event);
		sink_set_flush(sinks);
		while (opts->rate &&
		       (clock_ns(CLOCK_MONOTONIC) - start) / 1000 < (int64_t)((i + 1) * 1000000 / opts->rate))
			usleep(500);
	}
	/* The drop report that enclaved writes at its stats interval. The
	 * workers get that long to take the records first, as in enclaved, so
	 * that the report counts every failed write. */
	sink_set_flush(sinks);
	wait_for_queues(sinks);
	if (sink_set_render_dropped(sinks, opts->count + 1, clock_ns(CLOCK_REALTIME), &buf,
				    &event) > 0)
		sink_set_write(sinks, &event);
	sink_set_flush(sinks);
	json_buf_free(&buf);
}

int main(int argc, char **argv)
{
	struct feed_options opts = { .count = 1000 };
	struct sink_set *sinks;
	struct config *config;
	char err[1024];
	int opt;

	while ((opt = getopt(argc, argv, "c:n:r:Hw:p:d:e:")) != -1) {
		switch (opt) {
		case 'c': opts.config = optarg; break;
		case 'n': opts.count = strtoul(optarg, NULL, 10); break;
		case 'r': opts.rate = strtoul(optarg, NULL, 10); break;
		case 'H': opts.hostile = 1; break;
		case 'w': opts.wait_file = optarg; break;
		case 'p': opts.pid_file = optarg; break;
		case 'd': opts.delay_ms = strtoul(optarg, NULL, 10); break;
		case 'e': opts.end_file = optarg; break;
		default:
			fprintf(stderr, "usage: sink-feed -c CONFIG [-n COUNT] [-r RATE] [-H] [-w FILE] [-p PIDFILE] [-d MS] [-e FILE]\n");
			return 2;
		}
	}
	if (!opts.config) {
		fprintf(stderr, "sink-feed: -c CONFIG is required\n");
		return 2;
	}
	log_open(true, LOG_INFO);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, on_sighup);
	if (config_load(opts.config, &config, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	log_set_max_priority(config->log_priority);
	if (sink_set_open(config, &sinks) != 0)
		return 1;
	if (opts.pid_file) {
		FILE *pid = fopen(opts.pid_file, "w");

		if (!pid || fprintf(pid, "%d\n", (int)getpid()) < 0 || fclose(pid) != 0) {
			fprintf(stderr, "sink-feed: failed to write '%s'\n", opts.pid_file);
			return 1;
		}
	}
	wait_for_file(opts.wait_file);
	feed(sinks, &opts);
	wait_for_queues(sinks);
	fprintf(stderr, "sink-feed: sent %lu records\n", opts.count);
	usleep((useconds_t)opts.delay_ms * 1000);
	wait_for_file(opts.end_file);
	print_status(sinks);
	sink_set_close(sinks);
	config_free(config);
	return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host ring-buffer benchmark. A BPF program run with BPF_PROG_TEST_RUN
 * on CPU 1 produces decision records (a denied open of /etc/shadow in a
 * registered container) into a BPF ring buffer. CPU 0 consumes them in
 * three ways, each timed over several runs:
 *
 *   raw     libbpf's ring_buffer__poll() with a callback that only counts
 *   json    enclaved's consumer path into the json sink, writing a file
 *   socket  enclaved's consumer path into the socket sink, with one
 *           subscriber process that reads every line
 *
 * The producer waits before each batch until the batch fits into the ring
 * buffer and the sink's queue, so no record is ever dropped. Any failed
 * reserve, queue drop, failed write or missing line fails the benchmark.
 *
 * Usage: ringbuf-bench [-s SINK_DIR] [-t DIR] [-d SECONDS] [-r RUNS] [-b BATCH] [-m MODE]
 *                      [-R MIB]
 * It needs root (BPF_PROG_TEST_RUN of a raw_tp program) and 2 CPUs.
 * NOTE: the rates assume that nothing else runs on CPUs 0 and 1. Another
 * busy process there lowers them, while CPU time per record changes less.
 * The raw rate is bounded by the producer, whose speed varied between
 * invocations and with the ring buffer's size. On a 2-CPU VM the raw rate
 * was 1.9 to 2.9 M records/s with 4 MiB, and 1.2 to 7.2 M with 16 MiB.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "config.h"
#include "consumer.h"
#include "container.h"
#include "log.h"
#include "pipeline.h"
#include "record.h"
#include "sink.h"
#include "ringbuf.skel.h"

#define BENCH_CONSUMER_CPU	0
#define BENCH_PRODUCER_CPU	1
#define BENCH_CGROUP_ID		UINT64_C(0x7e57c0de)
#define BENCH_CGROUP_NAME \
	"docker-4f6c1b2a9d8e7f60514a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e.scope"
#define BENCH_DRAIN_TIMEOUT_NS	(INT64_C(20) * 1000000000)
#define BENCH_MAX_RUNS		15
#define BENCH_MAX_PARENT_LEN	64
#define BENCH_DIR_SIZE		(BENCH_MAX_PARENT_LEN + 32)
#define BENCH_PATH_SIZE		(BENCH_DIR_SIZE + 16)

/* Targets for the json sink on one core, from the product's goals. */
#define TARGET_JSON_RATE	1.0	/* M records/s */
#define TARGET_JSON_CPU		1.0	/* us of CPU per record */
#define TARGET_JSON_RATIO	0.80	/* of the raw rate */

enum bench_mode {
	BENCH_RAW,
	BENCH_JSON,
	BENCH_SOCKET,
	BENCH_MODES,
};

static const char *const mode_names[BENCH_MODES] = { "raw", "json", "socket" };

struct bench_options {
	const char *sink_dir;
	const char *tmp_parent;		/* tmpfs, for the JSON file */
	double seconds;			/* of each run */
	unsigned int runs;
	unsigned int batch;		/* records per BPF_PROG_TEST_RUN */
	int only_mode;			/* -m: run one mode, or -1 for all */
	uint32_t ringbuf_size;		/* bytes, a power of two */
};

struct bench {
	struct bench_options opts;
	struct ringbuf_bench *skel;
	int prog_fd;
	uint32_t ringbuf_size;
	/* The socket path must fit in sun_path (108 bytes), hence the bound of
	 * BENCH_MAX_PARENT_LEN on -t. */
	char dir[BENCH_DIR_SIZE];	/* the work directory */
	char config_path[BENCH_MODES][BENCH_PATH_SIZE];
	char output_path[BENCH_MODES][BENCH_PATH_SIZE];
	struct container_table *containers;
	char container_id[CONTAINER_ID_LEN];
	size_t json_len;		/* of one rendered record */
};

/* One timed run of one mode. */
struct bench_run {
	struct bench *bench;
	enum bench_mode mode;
	struct config *config;
	struct sink_set *sinks;
	struct consumer consumer;
	struct ring_buffer *ringbuf;
	_Atomic uint64_t counted;	/* raw mode: records the callback saw */
	_Atomic uint64_t *received;	/* socket mode: lines the subscriber read */
	pid_t reader;
	uint64_t window;		/* records allowed in flight */
	_Atomic bool stop;		/* set to end the producer thread */
	/* Written by the producer thread. */
	_Atomic uint64_t produced;
	int64_t producer_cpu_ns;
	int64_t producer_busy_ns;	/* inside BPF_PROG_TEST_RUN */
	struct rusage producer_usage;
	int producer_err;
};

struct bench_result {
	double rate;			/* M records/s */
	double cpu_us;			/* per record, all but the producer thread */
	double user_us, system_us;	/* the same, split by getrusage(2) */
	double producer_us;		/* wall time per record in the producer */
};

static int64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double timeval_us(const struct timeval *tv)
{
	return (double)tv->tv_sec * 1e6 + (double)tv->tv_usec;
}

static void sleep_us(long us)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = us * 1000 };

	nanosleep(&ts, NULL);
}

static int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		fprintf(stderr, "ringbuf-bench: failed to pin to CPU %d: %s\n", cpu,
			strerror(errno));
		return -errno;
	}
	return 0;
}

static void copy_field(char *dst, size_t size, const char *src)
{
	memset(dst, 0, size);
	strncpy(dst, src, size - 1);
}

/* The record that the BPF program copies into every reservation. */
static void fill_template(struct enclave_rec_decision *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->hdr.type = ENCLAVE_REC_DECISION;
	rec->hdr.size = sizeof(*rec);
	rec->proc.cgroup_id = BENCH_CGROUP_ID;
	rec->proc.pid = 4242;
	rec->proc.tid = 4242;
	rec->proc.ppid = 4200;
	rec->proc.uid = 1000;
	copy_field(rec->proc.comm, sizeof(rec->proc.comm), "cat");
	copy_field(rec->proc.exe, sizeof(rec->proc.exe), "/usr/bin/cat");
	rec->hook = ENCLAVE_HOOK_FILE_OPEN;
	rec->verdict = ENCLAVE_VERDICT_DENY;
	rec->level = ENCLAVE_LEVEL_RESTRICTED;
	rec->mode = ENCLAVE_MODE_ENFORCE;
	rec->error = 1;			/* EPERM */
	copy_field(rec->path, sizeof(rec->path), "/etc/shadow");
}

static int load_producer(struct bench *b)
{
	struct ringbuf_bench *skel = ringbuf_bench__open();
	int err;

	if (!skel) {
		fprintf(stderr, "ringbuf-bench: failed to open the BPF object: %s\n",
			strerror(errno));
		return -errno;
	}
	b->skel = skel;
	err = bpf_map__set_max_entries(skel->maps.events, b->ringbuf_size);
	if (err) {
		fprintf(stderr, "ringbuf-bench: failed to size the ring buffer to %u bytes: %s\n",
			b->ringbuf_size, strerror(-err));
		return err;
	}
	fill_template(&skel->bss->record_template);
	err = ringbuf_bench__load(skel);
	if (err) {
		fprintf(stderr, "ringbuf-bench: failed to load program 'produce_batch': %s\n",
			strerror(-err));
		return err;
	}
	b->prog_fd = bpf_program__fd(skel->progs.produce_batch);
	return 0;
}

/* Run the producer once: BATCH records into the ring buffer. */
static int produce(const struct bench *b, uint64_t batch)
{
	uint64_t args[1] = { batch };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));
	int err = bpf_prog_test_run_opts(b->prog_fd, &opts);

	return err ? -errno : 0;
}

static int write_config(const char *path, const struct bench *b, const char *sink)
{
	FILE *file = fopen(path, "w");

	if (!file) {
		fprintf(stderr, "ringbuf-bench: failed to create '%s': %s\n", path,
			strerror(errno));
		return -errno;
	}
	fprintf(file, "[daemon]\nsink_dir = %s\nlog_level = warning\nringbuf_size = %u\n\n%s",
		b->opts.sink_dir, b->ringbuf_size, sink);
	if (fclose(file) != 0) {
		fprintf(stderr, "ringbuf-bench: failed to write '%s': %s\n", path,
			strerror(errno));
		return -EIO;
	}
	return 0;
}

/* Create the work directory and the configuration of each mode. */
static int write_configs(struct bench *b)
{
	char sink[2 * PATH_MAX];
	int err;

	snprintf(b->dir, sizeof(b->dir), "%s/ringbuf-bench.XXXXXX", b->opts.tmp_parent);
	if (!mkdtemp(b->dir)) {
		fprintf(stderr, "ringbuf-bench: failed to create a directory in '%s': %s\n",
			b->opts.tmp_parent, strerror(errno));
		return -errno;
	}
	chmod(b->dir, 0755);
	for (int mode = BENCH_JSON; mode < BENCH_MODES; mode++)
		snprintf(b->config_path[mode], BENCH_PATH_SIZE, "%s/%s.conf", b->dir, mode_names[mode]);
	snprintf(b->output_path[BENCH_JSON], BENCH_PATH_SIZE, "%s/records.json", b->dir);
	snprintf(b->output_path[BENCH_SOCKET], BENCH_PATH_SIZE, "%s/records.sock", b->dir);

	snprintf(sink, sizeof(sink), "[sink bench-json]\nmodule = json\npath = %s\n",
		 b->output_path[BENCH_JSON]);
	err = write_config(b->config_path[BENCH_JSON], b, sink);
	if (err)
		return err;
	snprintf(sink, sizeof(sink), "[sink bench-socket]\nmodule = socket\npath = %s\n",
		 b->output_path[BENCH_SOCKET]);
	return write_config(b->config_path[BENCH_SOCKET], b, sink);
}

/* Register the container of the records and measure one rendered record. */
static int set_up_container(struct bench *b)
{
	struct record_context rc = { .sequence = 1 };
	struct enclave_rec_decision rec;
	struct container_meta *meta;
	struct enclave_event event;
	struct json_buf json;
	int err;

	err = container_table_new("/sys/fs/cgroup", &b->containers);
	if (err)
		return err;
	meta = container_table_add(b->containers, BENCH_CGROUP_ID, BENCH_CGROUP_NAME, "runc");
	if (!meta)
		return -ENOMEM;
	snprintf(b->container_id, sizeof(b->container_id), "%s", meta->id);

	fill_template(&rec);
	rc.container = &meta->view;
	json_buf_init(&json);
	err = record_render(&rec, sizeof(rec), &rc, &json, &event);
	b->json_len = event.json_len;
	json_buf_free(&json);
	return err;
}

/* Records that left the consumer's reach: counted, written or received. */
static uint64_t run_delivered(struct bench_run *run)
{
	switch (run->mode) {
	case BENCH_RAW:
		return atomic_load_explicit(&run->counted, memory_order_acquire);
	case BENCH_JSON:
		return sink_set_done(run->sinks, 0);
	default:
		return atomic_load_explicit(run->received, memory_order_acquire);
	}
}

static uint64_t run_consumed(struct bench_run *run)
{
	if (run->mode == BENCH_RAW)
		return atomic_load_explicit(&run->counted, memory_order_relaxed);
	return run->consumer.sequence;
}

/*
 * The producer thread: before each batch, wait until the records in flight
 * (produced but not yet delivered) leave room for it in the window, so that
 * neither the ring buffer nor a queue can overflow.
 */
static void *producer_thread(void *arg)
{
	struct bench_run *run = arg;
	uint64_t batch = run->bench->opts.batch;
	uint64_t produced = 0;
	int64_t start_ns;

	/* A thread name of its own separates its samples in perf and top. */
	pthread_setname_np(pthread_self(), "bench-producer");

	while (!atomic_load_explicit(&run->stop, memory_order_relaxed)) {
		/* The producer has its own CPU, and its time is not counted, so
		 * it polls; yielding lets the subscriber process run there. */
		if (produced + batch > run_delivered(run) + run->window) {
			sched_yield();
			continue;
		}
		start_ns = clock_ns(CLOCK_MONOTONIC);
		run->producer_err = produce(run->bench, batch);
		run->producer_busy_ns += clock_ns(CLOCK_MONOTONIC) - start_ns;
		if (run->producer_err)
			break;
		produced += batch;
		atomic_store_explicit(&run->produced, produced, memory_order_release);
	}
	run->producer_cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	getrusage(RUSAGE_THREAD, &run->producer_usage);
	return NULL;
}

static int count_record(void *ctx, void *data, size_t size)
{
	struct bench_run *run = ctx;
	uint64_t counted = atomic_load_explicit(&run->counted, memory_order_relaxed);

	atomic_store_explicit(&run->counted, counted + 1, memory_order_release);
	return 0;
}

/* The subscriber: count the lines of the stream until it ends. Only
 * async-signal-safe calls, because the parent has threads. */
static void reader_main(const char *path, _Atomic uint64_t *received)
{
	static char buf[256 * 1024];
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	uint64_t lines = 0;
	cpu_set_t cpus;
	int fd = -1;

	CPU_ZERO(&cpus);
	CPU_SET(BENCH_PRODUCER_CPU, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	for (int i = 0; i < 5000; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
		sleep_us(1000);
	}
	if (fd < 0)
		_exit(2);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		const char *at = buf, *end = buf + (n > 0 ? n : 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		while ((at = memchr(at, '\n', (size_t)(end - at)))) {
			lines++;
			at++;
		}
		atomic_store_explicit(received, lines, memory_order_release);
	}
	_exit(0);
}

/* Return the number of subscribers of the socket sink, or -1. */
static int socket_subscribers(struct sink_set *sinks)
{
	json_object *status = json_object_new_object();
	json_object *sink, *stats, *list;
	int n = -1;

	sink_set_status(sinks, status);
	if (json_object_object_get_ex(status, "bench-socket", &sink) &&
	    json_object_object_get_ex(sink, "stats", &stats) &&
	    json_object_object_get_ex(stats, "subscribers", &list))
		n = (int)json_object_array_length(list);
	json_object_put(status);
	return n;
}

static int start_reader(struct bench_run *run)
{
	const char *path = run->bench->output_path[BENCH_SOCKET];

	run->reader = fork();
	if (run->reader < 0) {
		fprintf(stderr, "ringbuf-bench: failed to fork the subscriber: %s\n",
			strerror(errno));
		return -errno;
	}
	if (run->reader == 0)
		reader_main(path, run->received);
	for (int i = 0; i < 5000; i++) {
		if (socket_subscribers(run->sinks) == 1)
			return 0;
		sleep_us(1000);
	}
	fprintf(stderr, "ringbuf-bench: the subscriber did not connect to '%s' within 5 s\n",
		path);
	return -ETIMEDOUT;
}

/* Records that fit in a ring buffer of SIZE bytes: each takes an 8-byte
 * header and is rounded up to 8 bytes. */
static uint64_t ringbuf_records(uint32_t size)
{
	return size / ((sizeof(struct enclave_rec_decision) + 8 + 7) / 8 * 8);
}

/*
 * Set the window: the ring buffer, the queue with its default bounds, and
 * the socket sink's default subscriber queue. The queue also contains the
 * batch being written, which the sink already counts as written. The byte
 * bounds count each record with 512 bytes to spare for the copies' headers
 * and ids.
 */
static void set_window(struct bench_run *run)
{
	const struct bench *b = run->bench;
	uint64_t record_bytes = b->json_len + 512;
	uint64_t window = ringbuf_records(b->ringbuf_size);

	if (run->mode != BENCH_RAW) {
		if (window > PIPELINE_DEFAULT_RECORDS - PIPELINE_BATCH)
			window = PIPELINE_DEFAULT_RECORDS - PIPELINE_BATCH;
		if (window > PIPELINE_DEFAULT_BYTES / record_bytes - PIPELINE_BATCH)
			window = PIPELINE_DEFAULT_BYTES / record_bytes - PIPELINE_BATCH;
	}
	if (run->mode == BENCH_SOCKET && window > (16u << 20) / record_bytes)
		window = (16u << 20) / record_bytes;
	run->window = window;
}

static int open_run(struct bench_run *run)
{
	struct bench *b = run->bench;
	char err[1024];
	void *ctx = run;
	ring_buffer_sample_fn fn = count_record;

	consumer_init(&run->consumer);
	if (run->mode != BENCH_RAW) {
		if (config_load(b->config_path[run->mode], &run->config, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			return -EINVAL;
		}
		if (sink_set_open(run->config, &run->sinks) != 0)
			return -EIO;
		run->consumer.containers = b->containers;
		run->consumer.sinks = run->sinks;
		fn = consumer_handle_record;
		ctx = &run->consumer;
	}
	run->ringbuf = ring_buffer__new(bpf_map__fd(b->skel->maps.events), fn, ctx, NULL);
	if (!run->ringbuf) {
		fprintf(stderr, "ringbuf-bench: failed to create the ring buffer consumer: %s\n",
			strerror(errno));
		return -errno;
	}
	set_window(run);
	if (b->opts.batch > run->window) {
		fprintf(stderr, "ringbuf-bench: %s: -b %u is more than the %llu records that fit in the ring buffer and the queues; use a smaller batch\n",
			mode_names[run->mode], b->opts.batch, (unsigned long long)run->window);
		return -EINVAL;
	}
	if (run->mode == BENCH_SOCKET)
		return start_reader(run);
	return 0;
}

/* Wait up to 10 ms for records and consume them, as enclaved's event loop
 * does when the ring buffer's epoll file descriptor becomes readable. */
static void consume(struct bench_run *run)
{
	ring_buffer__poll(run->ringbuf, 10);
	if (run->sinks)
		sink_set_flush(run->sinks);
}

/* Consume until everything produced is delivered, or time out. */
static int drain(struct bench_run *run, uint64_t produced)
{
	int64_t deadline = clock_ns(CLOCK_MONOTONIC) + BENCH_DRAIN_TIMEOUT_NS;

	while (run_consumed(run) < produced || run_delivered(run) < produced) {
		if (clock_ns(CLOCK_MONOTONIC) > deadline) {
			fprintf(stderr, "ringbuf-bench: %s: timed out with %llu of %llu records consumed and %llu delivered\n",
				mode_names[run->mode], (unsigned long long)run_consumed(run),
				(unsigned long long)produced,
				(unsigned long long)run_delivered(run));
			return -ETIMEDOUT;
		}
		if (run_consumed(run) < produced) {
			consume(run);
		} else {
			sleep_us(50);
		}
	}
	return 0;
}

/* Time one run: produce for the run's duration and consume on this thread,
 * as enclaved's event loop does, then drain. */
static int time_run(struct bench_run *run, struct bench_result *result)
{
	const struct bench *b = run->bench;
	int64_t start_ns, cpu_start_ns, end_ns, deadline;
	struct rusage usage_start, usage_end;
	pthread_attr_t attr;
	pthread_t producer;
	cpu_set_t cpus;
	uint64_t produced;
	int err;

	CPU_ZERO(&cpus);
	CPU_SET(BENCH_PRODUCER_CPU, &cpus);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);

	getrusage(RUSAGE_SELF, &usage_start);
	start_ns = clock_ns(CLOCK_MONOTONIC);
	cpu_start_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	deadline = start_ns + (int64_t)(b->opts.seconds * 1e9);
	err = -pthread_create(&producer, &attr, producer_thread, run);
	pthread_attr_destroy(&attr);
	if (err) {
		fprintf(stderr, "ringbuf-bench: failed to start the producer: %s\n",
			strerror(-err));
		return err;
	}
	while (clock_ns(CLOCK_MONOTONIC) < deadline)
		consume(run);
	atomic_store(&run->stop, true);
	pthread_join(producer, NULL);
	if (run->producer_err) {
		fprintf(stderr, "ringbuf-bench: failed to run program 'produce_batch': %s\n",
			strerror(-run->producer_err));
		return run->producer_err;
	}
	produced = atomic_load(&run->produced);
	if (produced == 0) {
		fprintf(stderr, "ringbuf-bench: %s: no record was produced\n", mode_names[run->mode]);
		return -EIO;
	}
	/* Records whose reserve failed never arrive; check_run() reports them. */
	err = drain(run, produced - b->skel->bss->reserve_failed);
	if (err)
		return err;
	end_ns = clock_ns(CLOCK_MONOTONIC);
	result->rate = (double)produced / (double)(end_ns - start_ns) * 1e3;
	result->cpu_us = (double)(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu_start_ns -
				  run->producer_cpu_ns) / (double)produced / 1e3;
	result->producer_us = (double)run->producer_busy_ns / (double)produced / 1e3;
	getrusage(RUSAGE_SELF, &usage_end);
	result->user_us = (timeval_us(&usage_end.ru_utime) - timeval_us(&usage_start.ru_utime) -
			   timeval_us(&run->producer_usage.ru_utime)) / (double)produced;
	result->system_us = (timeval_us(&usage_end.ru_stime) - timeval_us(&usage_start.ru_stime) -
			     timeval_us(&run->producer_usage.ru_stime)) / (double)produced;
	return 0;
}

static uint64_t status_u64(json_object *object, const char *key)
{
	json_object *value;

	if (!json_object_object_get_ex(object, key, &value))
		return UINT64_MAX;
	return json_object_get_uint64(value);
}

/* Check the sink's counters: every record queued and written, none
 * dropped, failed or lost in the module. */
static int check_sink_counters(struct bench_run *run, uint64_t produced)
{
	const char *instance = run->mode == BENCH_JSON ? "bench-json" : "bench-socket";
	const char *lost_key = run->mode == BENCH_JSON ? "lost" : "dropped";
	json_object *status = json_object_new_object();
	json_object *sink = NULL, *stats = NULL;
	uint64_t queued, written, dropped, failed, lost;
	int err = 0;

	sink_set_status(run->sinks, status);
	json_object_object_get_ex(status, instance, &sink);
	json_object_object_get_ex(sink, "stats", &stats);
	queued = status_u64(sink, "queued");
	written = status_u64(sink, "written");
	dropped = status_u64(sink, "dropped");
	failed = status_u64(sink, "failed");
	lost = status_u64(stats, lost_key);
	if (queued != produced || written != produced || dropped || failed || lost) {
		fprintf(stderr, "ringbuf-bench: %s: %llu records produced, but the sink counts %llu queued, %llu written, %llu dropped, %llu failed, %llu %s\n",
			mode_names[run->mode], (unsigned long long)produced,
			(unsigned long long)queued, (unsigned long long)written,
			(unsigned long long)dropped, (unsigned long long)failed,
			(unsigned long long)lost, lost_key);
		err = -EPROTO;
	}
	json_object_put(status);
	return err;
}

/* Check that LINE is the rendered record SEQUENCE of the template. */
static int check_line(const struct bench *b, const char *line, uint64_t sequence)
{
	json_object *root = json_tokener_parse(line);
	json_object *value;
	const char *action = NULL, *path = NULL, *id = NULL;
	uint64_t seen = 0;
	int err = 0;

	if (json_object_object_get_ex(root, "event", &value)) {
		json_object *member;

		if (json_object_object_get_ex(value, "action", &member))
			action = json_object_get_string(member);
		if (json_object_object_get_ex(value, "sequence", &member))
			seen = json_object_get_uint64(member);
	}
	if (json_object_object_get_ex(root, "file", &value) &&
	    json_object_object_get_ex(value, "path", &value))
		path = json_object_get_string(value);
	if (json_object_object_get_ex(root, "container", &value) &&
	    json_object_object_get_ex(value, "id", &value))
		id = json_object_get_string(value);
	if (!action || strcmp(action, "deny") || !path || strcmp(path, "/etc/shadow") ||
	    !id || strcmp(id, b->container_id) || seen != sequence) {
		fprintf(stderr, "ringbuf-bench: json: record %llu is not the expected deny of /etc/shadow in container %s: %s\n",
			(unsigned long long)sequence, b->container_id, line);
		err = -EPROTO;
	}
	json_object_put(root);
	return err;
}

/* Count the lines of the JSON file and check its first and last record. */
static int check_json_file(const struct bench *b, uint64_t produced)
{
	static char buf[1 << 20];
	char first[4096] = "", last[4096] = "";
	size_t first_len = 0, last_len = 0;
	uint64_t lines = 0;
	FILE *file = fopen(b->output_path[BENCH_JSON], "r");
	size_t n;
	int err;

	if (!file) {
		fprintf(stderr, "ringbuf-bench: failed to open '%s': %s\n",
			b->output_path[BENCH_JSON], strerror(errno));
		return -errno;
	}
	while ((n = fread(buf, 1, sizeof(buf), file)) > 0) {
		for (size_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				if (lines++ == 0)
					first[first_len] = '\0';
				last[last_len] = '\0';
				last_len = 0;
				continue;
			}
			if (lines == 0 && first_len < sizeof(first) - 1)
				first[first_len++] = buf[i];
			if (last_len < sizeof(last) - 1)
				last[last_len++] = buf[i];
		}
	}
	fclose(file);
	if (lines != produced) {
		fprintf(stderr, "ringbuf-bench: json: %llu records produced, but '%s' has %llu lines\n",
			(unsigned long long)produced, b->output_path[BENCH_JSON],
			(unsigned long long)lines);
		return -EPROTO;
	}
	err = check_line(b, first, 1);
	if (!err)
		err = check_line(b, last, produced);
	return err;
}

/* Close the sinks, which ends the subscriber's stream, and collect it. */
static int finish_reader(struct bench_run *run, uint64_t produced)
{
	uint64_t received;
	int status;

	if (waitpid(run->reader, &status, 0) < 0) {
		fprintf(stderr, "ringbuf-bench: failed to wait for the subscriber: %s\n",
			strerror(errno));
		return -errno;
	}
	run->reader = 0;
	received = atomic_load(run->received);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || received != produced) {
		fprintf(stderr, "ringbuf-bench: socket: %llu records produced, but the subscriber read %llu lines (wait status %d)\n",
			(unsigned long long)produced, (unsigned long long)received, status);
		return -EPROTO;
	}
	return 0;
}

/* Check every count of a finished run, closing its sinks on the way. */
static int check_run(struct bench_run *run)
{
	struct bench *b = run->bench;
	uint64_t produced = atomic_load(&run->produced);
	uint64_t failed = b->skel->bss->reserve_failed;
	int err = 0;

	if (failed) {
		fprintf(stderr, "ringbuf-bench: %s: %llu reserves found the ring buffer full\n",
			mode_names[run->mode], (unsigned long long)failed);
		err = -EPROTO;
	}
	if (run->mode != BENCH_RAW && (run->consumer.sequence != produced ||
				       run->consumer.invalid_records)) {
		fprintf(stderr, "ringbuf-bench: %s: %llu records produced, but the consumer numbered %llu and rejected %llu\n",
			mode_names[run->mode], (unsigned long long)produced,
			(unsigned long long)run->consumer.sequence,
			(unsigned long long)run->consumer.invalid_records);
		err = -EPROTO;
	}
	if (run->mode != BENCH_RAW && !err)
		err = check_sink_counters(run, produced);
	sink_set_close(run->sinks);
	run->sinks = NULL;
	if (run->mode == BENCH_JSON && !err)
		err = check_json_file(b, produced);
	if (run->mode == BENCH_SOCKET && run->reader > 0) {
		int reader_err = finish_reader(run, produced);

		err = err ? err : reader_err;
	}
	return err;
}

static void close_run(struct bench_run *run)
{
	ring_buffer__free(run->ringbuf);
	sink_set_close(run->sinks);
	if (run->reader > 0) {
		kill(run->reader, SIGTERM);
		waitpid(run->reader, NULL, 0);
	}
	consumer_free(&run->consumer);
	config_free(run->config);
	if (run->mode == BENCH_JSON)
		unlink(run->bench->output_path[BENCH_JSON]);
}

static int run_mode(struct bench *b, enum bench_mode mode, _Atomic uint64_t *received,
		    struct bench_result *result)
{
	struct bench_run run = { .bench = b, .mode = mode, .received = received };
	int err;

	atomic_store(received, 0);
	b->skel->bss->reserve_failed = 0;
	err = open_run(&run);
	if (!err)
		err = time_run(&run, result);
	if (!err || err == -ETIMEDOUT)
		err = check_run(&run) ? -EPROTO : err;
	close_run(&run);
	return err;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sort VALUES and return the median. */
static double median(double *values, unsigned int n)
{
	qsort(values, n, sizeof(*values), compare_double);
	return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/*
 * Print the producer's time per record in the raw runs. The raw rate can
 * be no higher than its inverse, so when the two are close, the raw rate
 * measures the producer, not the consumer.
 */
static void print_producer(const struct bench *b,
			   struct bench_result results[BENCH_MODES][BENCH_MAX_RUNS])
{
	double busy[BENCH_MAX_RUNS], producer_us;

	for (unsigned int i = 0; i < b->opts.runs; i++)
		busy[i] = results[BENCH_RAW][i].producer_us;
	producer_us = median(busy, b->opts.runs);
	printf("host ringbuf producer bpf %.3f us/rec, so the raw rate is at most %.2f M rec/s\n",
	       producer_us, 1 / producer_us);
}

static void print_results(const struct bench *b,
			  struct bench_result results[BENCH_MODES][BENCH_MAX_RUNS])
{
	unsigned int n = b->opts.runs;
	double rate[BENCH_MODES], cpu[BENCH_MODES];

	for (int mode = 0; mode < BENCH_MODES; mode++) {
		double rates[BENCH_MAX_RUNS], cpus[BENCH_MAX_RUNS];
		double user[BENCH_MAX_RUNS], system[BENCH_MAX_RUNS];
		char label[16];

		if (b->opts.only_mode >= 0 && b->opts.only_mode != mode)
			continue;

		for (unsigned int i = 0; i < n; i++) {
			rates[i] = results[mode][i].rate;
			cpus[i] = results[mode][i].cpu_us;
			user[i] = results[mode][i].user_us;
			system[i] = results[mode][i].system_us;
		}
		rate[mode] = median(rates, n);
		cpu[mode] = median(cpus, n);
		snprintf(label, sizeof(label), "%s", mode_names[mode]);
		printf("host ringbuf %-8s rate %.2f M rec/s  cpu %.3f us/rec", label, rate[mode],
		       cpu[mode]);
		if (b->opts.only_mode >= 0) {
			/* Without the raw runs there is no ratio to report. */
		} else if (mode == BENCH_JSON) {
			bool met = rate[mode] >= TARGET_JSON_RATE && cpu[mode] <= TARGET_JSON_CPU &&
				   rate[mode] / rate[BENCH_RAW] >= TARGET_JSON_RATIO;

			printf("  ratio-to-raw %.3f  target >=%.1f M rec/s, <=%.1f us/rec, ratio >=%.2f: %s",
			       rate[mode] / rate[BENCH_RAW], TARGET_JSON_RATE, TARGET_JSON_CPU,
			       TARGET_JSON_RATIO, met ? "met" : "MISSED");
		} else if (mode == BENCH_SOCKET) {
			printf("  ratio-to-raw %.3f", rate[mode] / rate[BENCH_RAW]);
		}
		printf("\n");
		printf("host ringbuf %-8s spread of %u runs: rate %.2f-%.2f M rec/s  cpu %.3f-%.3f us/rec  (median user %.3f, system %.3f us/rec)\n",
		       label, n, rates[0], rates[n - 1], cpus[0], cpus[n - 1], median(user, n),
		       median(system, n));
	}
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ringbuf-bench [-s SINK_DIR] [-t DIR] [-d SECONDS] [-r RUNS] [-b BATCH] [-m MODE] [-R MIB]\n"
		"  -s SINK_DIR  directory of json.so and socket.so (default $ENCLAVE_SINK_DIR,\n"
		"               else sinks/.libs of the build directory)\n"
		"  -t DIR       tmpfs directory for the work directory (default /dev/shm)\n"
		"  -d SECONDS   duration of each run (default 2)\n"
		"  -r RUNS      runs of each mode, the median is reported (default 3, max 15)\n"
		"  -b BATCH     records per run of the BPF program (default 1000)\n"
		"  -m MODE      run only raw, json or socket, for profiling\n"
		"  -R MIB       ring buffer size in MiB, a power of two (default 4, as enclaved)\n");
}

/* Return the mode named NAME, or BENCH_MODES when there is none. */
static int parse_mode(const char *name)
{
	int mode = 0;

	while (mode < BENCH_MODES && strcmp(name, mode_names[mode]) != 0)
		mode++;
	return mode;
}

static int parse_options(int argc, char **argv, struct bench_options *opts)
{
	int opt;

	opts->sink_dir = getenv("ENCLAVE_SINK_DIR") ? getenv("ENCLAVE_SINK_DIR") : "sinks/.libs";
	opts->tmp_parent = "/dev/shm";
	opts->seconds = 2;
	opts->runs = 3;
	opts->batch = 1000;
	opts->only_mode = -1;
	opts->ringbuf_size = 4u << 20;
	while ((opt = getopt(argc, argv, "s:t:d:r:b:m:R:h")) != -1) {
		switch (opt) {
		case 's': opts->sink_dir = optarg; break;
		case 't': opts->tmp_parent = optarg; break;
		case 'd': opts->seconds = strtod(optarg, NULL); break;
		case 'r': opts->runs = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'b': opts->batch = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'm': opts->only_mode = parse_mode(optarg); break;
		case 'R': {
			unsigned long mib = strtoul(optarg, NULL, 10);

			/* Out of range becomes 0, which the check below rejects. */
			opts->ringbuf_size = mib >= 1 && mib <= 1024 ? (uint32_t)mib << 20 : 0;
			break;
		}
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (opts->ringbuf_size < (1u << 20) || opts->ringbuf_size > (1u << 30) ||
	    (opts->ringbuf_size & (opts->ringbuf_size - 1))) {
		fprintf(stderr, "ringbuf-bench: invalid -R: expected a power of two from 1 to 1024 MiB\n");
		return -EINVAL;
	}
	if (opts->only_mode == BENCH_MODES) {
		fprintf(stderr, "ringbuf-bench: invalid -m: expected raw, json or socket\n");
		return -EINVAL;
	}
	if (strlen(opts->tmp_parent) > BENCH_MAX_PARENT_LEN) {
		fprintf(stderr, "ringbuf-bench: -t '%s' is longer than %d bytes, too long for the socket path\n",
			opts->tmp_parent, BENCH_MAX_PARENT_LEN);
		return -ENAMETOOLONG;
	}
	if (opts->seconds <= 0 || opts->seconds > 60 || opts->runs < 1 ||
	    opts->runs > BENCH_MAX_RUNS || opts->batch < 1 || opts->batch > 100000) {
		fprintf(stderr, "ringbuf-bench: invalid option: -d must be above 0 and at most 60 seconds, -r 1 to %d runs, -b 1 to 100000 records\n",
			BENCH_MAX_RUNS);
		return -EINVAL;
	}
	return 0;
}

/* Resolve the sink directory, which configurations require to be absolute. */
static int resolve_sink_dir(struct bench_options *opts)
{
	static char path[PATH_MAX];

	if (!realpath(opts->sink_dir, path)) {
		fprintf(stderr, "ringbuf-bench: sink directory '%s' not found: %s; pass -s DIR\n",
			opts->sink_dir, strerror(errno));
		return -ENOENT;
	}
	opts->sink_dir = path;
	return 0;
}

static int run_all(struct bench *b)
{
	static struct bench_result results[BENCH_MODES][BENCH_MAX_RUNS];
	_Atomic uint64_t *received;
	int err = 0;

	/* Shared with the forked subscriber of the socket runs. */
	received = mmap(NULL, sizeof(*received), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (received == MAP_FAILED) {
		fprintf(stderr, "ringbuf-bench: failed to map a counter: %s\n", strerror(errno));
		return -errno;
	}
	/* The modes take turns, so that a slow spell of the machine spreads
	 * over all of them. */
	for (unsigned int i = 0; i < b->opts.runs && !err; i++) {
		for (int mode = 0; mode < BENCH_MODES && !err; mode++) {
			if (b->opts.only_mode < 0 || b->opts.only_mode == mode)
				err = run_mode(b, mode, received, &results[mode][i]);
		}
	}
	munmap(received, sizeof(*received));
	if (!err)
		print_results(b, results);
	if (!err && (b->opts.only_mode < 0 || b->opts.only_mode == BENCH_RAW))
		print_producer(b, results);
	return err;
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	int err;

	if (parse_options(argc, argv, &b.opts) || resolve_sink_dir(&b.opts))
		return 2;
	b.ringbuf_size = b.opts.ringbuf_size;
	log_open(true, LOG_WARNING);
	signal(SIGPIPE, SIG_IGN);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fprintf(stderr, "ringbuf-bench: needs 2 CPUs, one to produce and one to consume\n");
		return 1;
	}
	/* Threads inherit the affinity: the sinks' threads share CPU 0 with
	 * the consumer. The producer and the subscriber process use CPU 1. */
	err = pin_to_cpu(BENCH_CONSUMER_CPU);
	if (!err)
		err = load_producer(&b);
	if (!err)
		err = write_configs(&b);
	if (!err)
		err = set_up_container(&b);
	if (!err)
		err = run_all(&b);

	container_table_free(b.containers);
	ringbuf_bench__destroy(b.skel);
	for (int mode = BENCH_JSON; mode < BENCH_MODES && b.dir[0]; mode++)
		unlink(b.config_path[mode]);
	if (b.dir[0])
		rmdir(b.dir);
	return err ? 1 : 0;
}

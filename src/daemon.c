/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon: start-up in order (configuration, sinks, BPF programs), then a
 * libev loop that reads the ring buffer, renders each record once and hands
 * it to every sink, and handles signals and the periodic loss report.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "config.h"
#include "consumer.h"
#include "container.h"
#include "control.h"
#include "daemon.h"
#include "enforce.h"
#include "loader.h"
#include "log.h"
#include "record.h"
#include "sink.h"

struct daemon {
	struct config *config;
	struct sink_set *sinks;
	struct loader *loader;
	struct container_table *containers;
	struct enforcer enforcer;
	struct control *control;
	struct consumer consumer;	/* sequence numbers and the JSON buffer */
	uint64_t lost_reported[ENCLAVE_HOOK_MAX];
	bool running;			/* start-up finished */
	struct ev_loop *loop;
	ev_io ringbuf_watcher;
	ev_signal sigint_watcher;
	ev_signal sigterm_watcher;
	ev_signal sighup_watcher;
	ev_timer stats_timer;
	ev_timer drain_timer;
};

/* Seconds between drains of the ring buffer. Exec, exit and allow records
 * do not wake enclaved until an eighth of the buffer is pending, so this
 * is how late they can reach the sinks. */
#define DRAIN_INTERVAL 0.1

static int64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void start_enforcing(void *ctx, struct container_meta *meta,
			    const struct enclave_rec_container *rec)
{
	struct daemon *d = ctx;

	enforce_container_started(&d->enforcer, meta, rec);
}

/* Report records that the kernel could not queue since the last report. */
static void report_lost(struct daemon *d)
{
	struct record_lost lost = {0};
	struct record_context rc = {0};
	struct enclave_event event;
	uint64_t delta = 0;

	if (loader_read_lost(d->loader, lost.total) != 0)
		return;
	for (unsigned int hook = 0; hook < ENCLAVE_HOOK_MAX; hook++) {
		lost.delta[hook] = lost.total[hook] - d->lost_reported[hook];
		delta += lost.delta[hook];
	}
	if (delta == 0)
		return;

	memcpy(d->lost_reported, lost.total, sizeof(lost.total));
	log_msg(LOG_WARNING,
		"ringbuf: %llu records lost because the ring buffer was full; raise ringbuf_size",
		(unsigned long long)delta);
	rc.sequence = ++d->consumer.sequence;
	if (record_render_lost(&lost, &rc, clock_ns(CLOCK_REALTIME), &d->consumer.json,
			       &event) == 0)
		sink_set_write(d->sinks, &event);
}

/* Report records that sink queues dropped or sinks failed to write. */
static void report_dropped(struct daemon *d)
{
	struct enclave_event event;

	if (sink_set_render_dropped(d->sinks, d->consumer.sequence + 1, clock_ns(CLOCK_REALTIME),
				    &d->consumer.json, &event) <= 0)
		return;
	d->consumer.sequence++;
	sink_set_write(d->sinks, &event);
}

static void add_container_status(struct container_meta *meta, void *ctx)
{
	json_object *entry = json_object_new_object();

	json_object_object_add(entry, "id", json_object_new_string(meta->id));
	if (meta->name[0])
		json_object_object_add(entry, "name", json_object_new_string(meta->name));
	if (meta->policy_known) {
		json_object_object_add(entry, "policy",
				       json_object_new_string(config_level_name(meta->view.level)));
		json_object_object_add(entry, "mode",
				       json_object_new_string(config_mode_name(meta->view.mode)));
		json_object_object_add(entry, "rule",
				       json_object_new_string(meta->rule[0] ? meta->rule : "default"));
	}
	json_object_object_add(entry, "adopted", json_object_new_boolean(meta->view.adopted));
	json_object_array_add(ctx, entry);
}

/* Fill the reply to a status request on the control socket. */
static void control_status(void *ctx, json_object *object)
{
	struct daemon *d = ctx;
	uint64_t lost[ENCLAVE_HOOK_MAX] = {0};
	json_object *ringbuf = json_object_new_object();
	json_object *sinks = json_object_new_object();
	json_object *containers;

	json_object_object_add(object, "sequence", json_object_new_uint64(d->consumer.sequence));
	if (loader_read_lost(d->loader, lost) == 0) {
		json_object *by_hook = json_object_new_object();

		for (unsigned int hook = 0; hook < ENCLAVE_HOOK_MAX; hook++)
			json_object_object_add(by_hook, record_hook_name(hook),
					       json_object_new_uint64(lost[hook]));
		json_object_object_add(ringbuf, "lost", by_hook);
	}
	json_object_object_add(ringbuf, "invalid", json_object_new_uint64(d->consumer.invalid_records));
	json_object_object_add(object, "ringbuf", ringbuf);
	sink_set_status(d->sinks, sinks);
	json_object_object_add(object, "sinks", sinks);
	containers = json_object_new_array();
	container_table_for_each(d->containers, add_container_status, containers);
	json_object_object_add(object, "containers", containers);
}

static void on_ringbuf(struct ev_loop *loop, ev_io *watcher, int revents)
{
	struct daemon *d = watcher->data;
	int n = loader_consume(d->loader);

	if (n < 0)
		log_msg(LOG_WARNING, "ringbuf: failed to consume records: %s", strerror(-n));
	sink_set_flush(d->sinks);
}

static void on_drain(struct ev_loop *loop, ev_timer *watcher, int revents)
{
	on_ringbuf(loop, &((struct daemon *)watcher->data)->ringbuf_watcher, EV_READ);
}

static void on_stats(struct ev_loop *loop, ev_timer *watcher, int revents)
{
	struct daemon *d = watcher->data;

	consumer_update_clock(&d->consumer);
	report_lost(d);
	report_dropped(d);
	enforce_resume_pending(&d->enforcer);
	sink_set_flush(d->sinks);
}

static void on_stop_signal(struct ev_loop *loop, ev_signal *watcher, int revents)
{
	log_msg(LOG_NOTICE, "daemon: received %s, stopping", strsignal(watcher->signum));
	ev_break(loop, EVBREAK_ALL);
}

/* Warn about settings that only a restart applies. */
static void warn_restart_needed(const struct config *old, const struct config *new)
{
	bool sinks_changed = old->n_sinks != new->n_sinks;

	for (size_t i = 0; !sinks_changed && i < old->n_sinks; i++) {
		const struct config_sink *a = &old->sinks[i], *b = &new->sinks[i];

		sinks_changed = strcmp(a->instance, b->instance) || strcmp(a->module, b->module) ||
				a->n_options != b->n_options;
		for (size_t j = 0; !sinks_changed && j < a->n_options; j++)
			sinks_changed = strcmp(a->options[j].key, b->options[j].key) ||
					strcmp(a->options[j].value, b->options[j].value);
	}
	if (sinks_changed)
		log_msg(LOG_WARNING, "daemon: the [sink] sections changed; they take effect at the next restart");
	if (old->ringbuf_size != new->ringbuf_size || strcmp(old->sink_dir, new->sink_dir) ||
	    strcmp(old->control_socket, new->control_socket) ||
	    old->n_runtimes != new->n_runtimes ||
	    memcmp(old->runtimes, new->runtimes, sizeof(old->runtimes)))
		log_msg(LOG_WARNING, "daemon: ringbuf_size, sink_dir, control_socket and runtime take effect at the next restart");
}

/*
 * Load the configuration again and apply its policy to every container. A
 * configuration with an error is rejected as a whole and the running one
 * stays in force.
 */
static void reload(struct daemon *d)
{
	struct config *config;
	char err[1024];
	int ret;

	ret = config_load(d->config->path, &config, err, sizeof(err));
	if (ret) {
		log_msg(LOG_ERR, "%s; the running configuration stays in force", err);
		return;
	}
	ret = enforce_reload(&d->enforcer, config);
	if (ret) {
		log_msg(LOG_ERR, "daemon: failed to apply '%s': %s; the running configuration stays in force",
			config->path, strerror(-ret));
		/* Part of the tables may be written: put the running ones back. */
		if (enforce_reload(&d->enforcer, d->config))
			log_msg(LOG_ERR, "daemon: failed to restore the running configuration's tables");
		config_free(config);
		return;
	}
	warn_restart_needed(d->config, config);
	log_set_max_priority(config->log_priority);
	if (config->stats_interval != d->config->stats_interval) {
		ev_timer_set(&d->stats_timer, config->stats_interval, config->stats_interval);
		ev_timer_again(d->loop, &d->stats_timer);
	}
	config_free(d->config);
	d->config = config;
	log_msg(LOG_NOTICE, "daemon: configuration reloaded");
}

static void on_sighup(struct ev_loop *loop, ev_signal *watcher, int revents)
{
	struct daemon *d = watcher->data;

	log_msg(LOG_NOTICE, "daemon: received SIGHUP, reloading '%s' and reopening sink outputs",
		d->config->path);
	reload(d);
	sink_set_flush(d->sinks);
	sink_set_reopen(d->sinks);
}

static void watch_signal(struct daemon *d, ev_signal *watcher,
			 void (*cb)(struct ev_loop *, ev_signal *, int), int signum)
{
	ev_signal_init(watcher, cb, signum);
	watcher->data = d;
	ev_signal_start(d->loop, watcher);
}

static int run_loop(struct daemon *d)
{
	d->loop = ev_default_loop(EVFLAG_AUTO);
	if (!d->loop) {
		log_msg(LOG_ERR, "daemon: failed to create the event loop");
		return -ENOMEM;
	}

	ev_io_init(&d->ringbuf_watcher, on_ringbuf, loader_epoll_fd(d->loader), EV_READ);
	d->ringbuf_watcher.data = d;
	ev_io_start(d->loop, &d->ringbuf_watcher);

	ev_timer_init(&d->stats_timer, on_stats, d->config->stats_interval,
		      d->config->stats_interval);
	d->stats_timer.data = d;
	ev_timer_start(d->loop, &d->stats_timer);
	ev_timer_init(&d->drain_timer, on_drain, DRAIN_INTERVAL, DRAIN_INTERVAL);
	d->drain_timer.data = d;
	ev_timer_start(d->loop, &d->drain_timer);

	watch_signal(d, &d->sigint_watcher, on_stop_signal, SIGINT);
	watch_signal(d, &d->sigterm_watcher, on_stop_signal, SIGTERM);
	watch_signal(d, &d->sighup_watcher, on_sighup, SIGHUP);

	if (control_open(d->loop, d->config->control_socket, control_status, d, &d->control))
		return -EIO;
	d->running = true;
	log_msg(LOG_NOTICE, "daemon: running with configuration '%s'", d->config->path);
	ev_run(d->loop, 0);
	return 0;
}

/* Detach first so that nothing new arrives, then deliver what is queued. */
static void shut_down(struct daemon *d)
{
	if (d->loader) {
		loader_detach(d->loader);
		loader_consume(d->loader);
		report_lost(d);
	}
	control_close(d->control);
	if (d->sinks)
		report_dropped(d);
	loader_stop(d->loader);
	sink_set_close(d->sinks);
	container_table_free(d->containers);
	consumer_free(&d->consumer);
	if (d->running)
		log_msg(LOG_NOTICE, "daemon: stopped after %llu records",
			(unsigned long long)d->consumer.sequence);
	config_free(d->config);
}

static void emit_record(void *ctx, const void *record, size_t size)
{
	struct daemon *d = ctx;

	consumer_handle_record(&d->consumer, (void *)record, size);
}

static int start(struct daemon *d, const char *config_path)
{
	struct enforce_tables tables;
	char err[1024];
	int ret;

	ret = config_load(config_path, &d->config, err, sizeof(err));
	if (ret) {
		log_msg(LOG_ERR, "%s", err);
		return ret;
	}
	log_set_max_priority(d->config->log_priority);

	if (geteuid() != 0) {
		log_msg(LOG_ERR, "daemon: must run as root: loading BPF LSM programs needs CAP_BPF and CAP_SYS_ADMIN, and enclaved trusts only root-owned configuration and modules");
		return -EPERM;
	}

	ret = container_table_new("/sys/fs/cgroup", &d->containers);
	if (ret)
		return ret;
	ret = sink_set_open(d->config, &d->sinks);
	if (ret)
		return ret;
	d->consumer.containers = d->containers;
	d->consumer.sinks = d->sinks;
	d->consumer.container_started = start_enforcing;
	d->consumer.container_started_ctx = d;
	consumer_update_clock(&d->consumer);

	ret = enforce_tables_build(d->config, &tables);
	if (ret) {
		log_msg(LOG_ERR, "daemon: failed to build the policy tables: %s", strerror(-ret));
		return ret;
	}
	ret = loader_start(d->config, &tables.view, consumer_handle_record, &d->consumer,
			   &d->loader);
	enforce_tables_free(&tables);
	if (ret)
		return ret;

	d->enforcer.loader = d->loader;
	d->enforcer.containers = d->containers;
	d->enforcer.config = d->config;
	d->enforcer.emit = emit_record;
	d->enforcer.emit_ctx = d;
	ret = enforce_adopt(&d->enforcer);
	if (ret < 0)
		log_msg(LOG_ERR, "daemon: failed to look for running containers: %s; they are not enforced",
			strerror(-ret));
	else if (ret > 0)
		log_msg(LOG_NOTICE, "daemon: adopted %d running containers", ret);
	/* Hand the records of adopted containers to the sinks. */
	sink_set_flush(d->sinks);
	return 0;
}

/* Run enclaved until SIGINT or SIGTERM. Start-up errors are reported on
 * stderr before the daemon detaches, so that the exit status reflects them. */
int daemon_run(const char *config_path, bool foreground)
{
	struct daemon d = {0};
	int ret;

	log_open(true, LOG_NOTICE);
	signal(SIGPIPE, SIG_IGN);
	consumer_init(&d.consumer);

	ret = start(&d, config_path);
	if (ret)
		goto out;

	if (!foreground) {
		if (daemon(0, 0) != 0) {
			ret = -errno;
			log_msg(LOG_ERR, "daemon: failed to detach: %s", strerror(-ret));
			goto out;
		}
		log_open(false, d.config->log_priority);
	}
	ret = run_loop(&d);
out:
	shut_down(&d);
	return ret;
}

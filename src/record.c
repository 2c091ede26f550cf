/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Validation of kernel records and their rendering as JSON objects whose
 * field names follow the Elastic Common Schema; enclave's own fields live
 * under "enclave".
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>

#include "record.h"

_Static_assert(sizeof(struct enclave_hdr) == 16, "enclave_hdr layout");
_Static_assert(sizeof(struct enclave_proc) == 296, "enclave_proc layout");
_Static_assert(sizeof(struct enclave_rec_container) == 464, "container record layout");
_Static_assert(sizeof(struct enclave_rec_exec) == 320, "exec record layout");
_Static_assert(sizeof(struct enclave_rec_exit) == 320, "exit record layout");
_Static_assert(sizeof(struct enclave_rec_decision) == 336, "decision record layout");
_Static_assert(sizeof(struct enclave_rec_cgroup) == 32, "cgroup record layout");
_Static_assert(sizeof(struct enclave_container) == 40, "containers map value layout");
_Static_assert(sizeof(struct enclave_settings) == 8, "settings map value layout");

/* Names of the fields whose bytes were not valid UTF-8; see add_string(). */
#define RECORD_MAX_LOSSY 8

struct record_writer {
	struct json_buf *buf;
	const char *lossy[RECORD_MAX_LOSSY];
	const void *lossy_bytes[RECORD_MAX_LOSSY];
	size_t lossy_len[RECORD_MAX_LOSSY];
	unsigned int n_lossy;
};

static const char *const hook_names[ENCLAVE_HOOK_MAX] = {
	[ENCLAVE_HOOK_NONE] = "lifecycle",	/* container and process events */
	[ENCLAVE_HOOK_SYSLOG] = "syslog",
	[ENCLAVE_HOOK_BPRM_CHECK] = "bprm_check_security",
};

/* The SYSLOG_ACTION_* names of include/linux/syslog.h. */
static const char *const syslog_actions[] = {
	"CLOSE", "OPEN", "READ", "READ_ALL", "READ_CLEAR", "CLEAR",
	"CONSOLE_OFF", "CONSOLE_ON", "CONSOLE_LEVEL", "SIZE_UNREAD", "SIZE_BUFFER",
};

static const char *const untracked_reasons[] = {
	[ENCLAVE_UNTRACKED_SHARED_CGROUP] = "shared_cgroup",
	[ENCLAVE_UNTRACKED_HOST_MOUNT_NS] = "host_mount_namespace",
	[ENCLAVE_UNTRACKED_ROOT_CGROUP] = "root_cgroup",
};

static const char *const level_names[] = { "privileged", "baseline", "restricted" };
static const char *const mode_names[] = { "enforce", "audit" };

static size_t record_expected_size(unsigned int type)
{
	switch (type) {
	case ENCLAVE_REC_CONTAINER_START:
	case ENCLAVE_REC_CONTAINER_STOP:
		return sizeof(struct enclave_rec_container);
	case ENCLAVE_REC_PROCESS_EXEC:
		return sizeof(struct enclave_rec_exec);
	case ENCLAVE_REC_PROCESS_EXIT:
		return sizeof(struct enclave_rec_exit);
	case ENCLAVE_REC_DECISION:
		return sizeof(struct enclave_rec_decision);
	case ENCLAVE_REC_CGROUP_REMOVED:
		return sizeof(struct enclave_rec_cgroup);
	default:
		return 0;
	}
}

/* Return the record type, or -EINVAL when size or type do not match. */
int record_validate(const void *data, size_t size)
{
	const struct enclave_hdr *hdr = data;
	size_t expected;

	if (size < sizeof(*hdr))
		return -EINVAL;
	expected = record_expected_size(hdr->type);
	if (expected == 0 || hdr->size != expected || size < expected)
		return -EINVAL;
	return hdr->type;
}

const char *record_hook_name(unsigned int hook)
{
	return hook < ENCLAVE_HOOK_MAX ? hook_names[hook] : "unknown";
}

const char *record_action_name(unsigned int type, unsigned int verdict)
{
	switch (type) {
	case ENCLAVE_REC_CONTAINER_START:
		return "container_start";
	case ENCLAVE_REC_CONTAINER_STOP:
		return "container_stop";
	case ENCLAVE_REC_PROCESS_EXEC:
		return "process_exec";
	case ENCLAVE_REC_PROCESS_EXIT:
		return "process_exit";
	case ENCLAVE_REC_DECISION:
		if (verdict == ENCLAVE_VERDICT_DENY)
			return "deny";
		if (verdict == ENCLAVE_VERDICT_UNTRACKED)
			return "container_untracked";
		return verdict == ENCLAVE_VERDICT_AUDIT ? "audit" : "allow";
	default:
		return "unknown";
	}
}

static const char *name_of(const char *const *names, size_t n, unsigned int index)
{
	return index < n ? names[index] : "unknown";
}

/* Name why a container is untracked: enclave.untracked in its record. */
const char *record_untracked_reason(int64_t reason)
{
	if (reason < ENCLAVE_UNTRACKED_SHARED_CGROUP || reason > ENCLAVE_UNTRACKED_ROOT_CGROUP)
		return "unknown";
	return untracked_reasons[reason];
}

/* Write "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" (UTC) and return its length. */
size_t record_format_time(char *dst, size_t dst_size, int64_t realtime_ns)
{
	time_t seconds = realtime_ns / 1000000000;
	long nanoseconds = realtime_ns % 1000000000;
	struct tm tm;
	int n;

	if (nanoseconds < 0) {
		nanoseconds += 1000000000;
		seconds -= 1;
	}
	if (!gmtime_r(&seconds, &tm))
		memset(&tm, 0, sizeof(tm));
	n = snprintf(dst, dst_size, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		     tm.tm_hour, tm.tm_min, tm.tm_sec, nanoseconds);
	return n < 0 ? 0 : (size_t)n;
}

/*
 * Derive a container id from the last component of its cgroup path: the
 * runtime's prefix and systemd's ".scope" suffix are removed, so that
 * "libpod-<id>", "docker-<id>.scope" and "crio-<id>.scope" yield <id>, and a
 * cgroup named after the container (runc and crun with cgroupfs) yields the
 * name itself.
 */
void record_container_id(const char *cgroup_name, char *id, size_t id_size)
{
	static const char *const prefixes[] = {
		"libpod-", "docker-", "crio-", "cri-containerd-",
	};
	const char *start = cgroup_name;
	size_t len;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t plen = strlen(prefixes[i]);

		if (strncmp(start, prefixes[i], plen) == 0 && start[plen]) {
			start += plen;
			break;
		}
	}
	len = strlen(start);
	if (len > 6 && strcmp(start + len - 6, ".scope") == 0)
		len -= 6;
	if (len >= id_size)
		len = id_size - 1;
	memcpy(id, start, len);
	id[len] = '\0';
}

/* Write a kernel string field. Bytes that are not valid UTF-8 come out as
 * U+FFFD, and the field is listed so that its raw bytes go into
 * enclave.raw as hex. */
static void add_string(struct record_writer *w, const char *key, const char *path,
		       const char *value, size_t max_len)
{
	size_t len = strnlen(value, max_len);

	if (!json_put_string(w->buf, key, value, len))
		return;
	if (w->n_lossy < RECORD_MAX_LOSSY) {
		w->lossy[w->n_lossy] = path;
		w->lossy_bytes[w->n_lossy] = value;
		w->lossy_len[w->n_lossy] = len;
		w->n_lossy++;
	}
}

static void add_event(struct json_buf *buf, const char *action, const char *outcome,
		      uint64_t sequence)
{
	json_object_begin(buf, "event");
	json_put_string(buf, "kind", "event", 5);
	json_put_string(buf, "action", action, strlen(action));
	if (outcome)
		json_put_string(buf, "outcome", outcome, strlen(outcome));
	json_put_u64(buf, "sequence", sequence);
	json_object_end(buf);
}

static void add_container(struct record_writer *w, const struct record_context *ctx,
			  const char *runtime)
{
	const struct record_container *c = ctx->container;

	json_object_begin(w->buf, "container");
	if (c && c->id)
		json_put_string(w->buf, "id", c->id, strlen(c->id));
	if (c && c->name)
		json_put_string(w->buf, "name", c->name, strlen(c->name));
	if (runtime)
		add_string(w, "runtime", "container.runtime", runtime, ENCLAVE_COMM_LEN);
	else if (c && c->runtime)
		json_put_string(w->buf, "runtime", c->runtime, strlen(c->runtime));
	json_object_end(w->buf);
}

/* Write the end of a process from its wait status: exit_code is the
 * status passed to exit(2), or 128 + the signal number as shells report
 * it, and enclave.signal names the signal that killed it. */
static void add_exit(struct json_buf *buf, int32_t wait_status)
{
	if (WIFSIGNALED(wait_status))
		json_put_i64(buf, "exit_code", 128 + WTERMSIG(wait_status));
	else
		json_put_i64(buf, "exit_code", WEXITSTATUS(wait_status));
}

static void add_process(struct record_writer *w, const struct enclave_proc *proc,
			bool has_exit, int32_t wait_status)
{
	char uid[16];

	json_object_begin(w->buf, "process");
	json_put_u64(w->buf, "pid", proc->pid);
	json_object_begin(w->buf, "thread");
	json_put_u64(w->buf, "id", proc->tid);
	json_object_end(w->buf);
	add_string(w, "name", "process.name", proc->comm, sizeof(proc->comm));
	if (proc->exe[0])
		add_string(w, "executable", "process.executable", proc->exe,
			   sizeof(proc->exe));
	json_object_begin(w->buf, "parent");
	json_put_u64(w->buf, "pid", proc->ppid);
	json_object_end(w->buf);
	if (has_exit)
		add_exit(w->buf, wait_status);
	json_object_end(w->buf);

	/* ECS makes user.id a keyword, so it is a string. */
	snprintf(uid, sizeof(uid), "%u", proc->uid);
	json_object_begin(w->buf, "user");
	json_put_string(w->buf, "id", uid, strlen(uid));
	json_object_end(w->buf);
}

/* Name the signal that ended a process, if one did. */
static void add_signal(struct json_buf *buf, int32_t wait_status)
{
	if (WIFSIGNALED(wait_status))
		json_put_i64(buf, "signal", WTERMSIG(wait_status));
}

static void add_policy(struct json_buf *buf, unsigned int level, unsigned int mode)
{
	const char *level_name = name_of(level_names, 3, level);
	const char *mode_name = name_of(mode_names, 2, mode);

	json_put_string(buf, "policy", level_name, strlen(level_name));
	json_put_string(buf, "mode", mode_name, strlen(mode_name));
}

static void add_raw(struct record_writer *w)
{
	if (w->n_lossy == 0)
		return;
	json_object_begin(w->buf, "raw");
	for (unsigned int i = 0; i < w->n_lossy; i++)
		json_put_hex(w->buf, w->lossy[i], w->lossy_bytes[i], w->lossy_len[i]);
	json_object_end(w->buf);
}

/* Write the syslog(2) type of a decision; the kernel passes an int. */
static void add_syslog_type(struct json_buf *buf, int64_t type)
{
	const char *name = type >= 0 && type < 11 ? syslog_actions[type] : "unknown";

	json_object_begin(buf, "syslog");
	json_put_i64(buf, "type", type);
	json_put_string(buf, "action", name, strlen(name));
	json_object_end(buf);
}

static void render_decision(struct record_writer *w, const struct enclave_rec_decision *rec,
			    const struct record_context *ctx)
{
	const char *hook = record_hook_name(rec->hook);
	const char *action = record_action_name(rec->hdr.type, rec->verdict);
	const char *outcome = rec->verdict == ENCLAVE_VERDICT_DENY ? "failure" : "success";
	bool untracked = rec->verdict == ENCLAVE_VERDICT_UNTRACKED;

	/* An untracked container is no decision on an action: no outcome. */
	add_event(w->buf, action, untracked ? NULL : outcome, ctx->sequence);
	add_container(w, ctx, NULL);
	add_process(w, &rec->proc, false, 0);

	json_object_begin(w->buf, "enclave");
	json_put_string(w->buf, "hook", hook, strlen(hook));
	if (!untracked) {
		add_policy(w->buf, rec->level, rec->mode);
		json_put_i64(w->buf, "errno", rec->error);
	} else {
		const char *reason = record_untracked_reason(rec->arg);

		json_put_string(w->buf, "untracked", reason, strlen(reason));
	}
	if (rec->hook == ENCLAVE_HOOK_SYSLOG)
		add_syslog_type(w->buf, rec->arg);
	add_raw(w);
	json_object_end(w->buf);
}

static void render_container(struct record_writer *w, const struct enclave_rec_container *rec,
			     const struct record_context *ctx)
{
	bool stop = rec->hdr.type == ENCLAVE_REC_CONTAINER_STOP;

	add_event(w->buf, record_action_name(rec->hdr.type, 0), NULL, ctx->sequence);
	add_container(w, ctx, rec->runtime);
	add_process(w, &rec->proc, stop, rec->exit_code);

	json_object_begin(w->buf, "enclave");
	add_policy(w->buf, rec->level, rec->mode);
	if (stop)
		add_signal(w->buf, rec->exit_code);
	if (!stop)
		add_string(w, "cgroup", "enclave.cgroup", rec->cgroup_name,
			   sizeof(rec->cgroup_name));
	add_raw(w);
	json_object_end(w->buf);
}

static void render_process(struct record_writer *w, const void *data,
			   const struct record_context *ctx)
{
	const struct enclave_hdr *hdr = data;
	const struct enclave_rec_exit *exit_rec = data;
	bool is_exit = hdr->type == ENCLAVE_REC_PROCESS_EXIT;

	/* exec and exit records share their layout up to and including proc. */
	add_event(w->buf, record_action_name(hdr->type, 0), NULL, ctx->sequence);
	add_container(w, ctx, NULL);
	add_process(w, &exit_rec->proc, is_exit, is_exit ? exit_rec->exit_code : 0);
	if (w->n_lossy || (is_exit && WIFSIGNALED(exit_rec->exit_code))) {
		json_object_begin(w->buf, "enclave");
		if (is_exit)
			add_signal(w->buf, exit_rec->exit_code);
		add_raw(w);
		json_object_end(w->buf);
	}
}

static void begin_record(struct json_buf *buf, int64_t realtime_ns)
{
	char stamp[40];
	size_t len = record_format_time(stamp, sizeof(stamp), realtime_ns);

	json_buf_reset(buf);
	json_object_begin(buf, NULL);
	json_put_string(buf, "@timestamp", stamp, len);
}

static int finish_record(struct json_buf *buf, struct enclave_event *event, uint32_t type,
			 const char *action, uint64_t sequence, int64_t realtime_ns)
{
	json_object_end(buf);
	if (json_buf_failed(buf))
		return -ENOMEM;

	memset(event, 0, sizeof(*event));
	event->struct_size = sizeof(*event);
	event->type = type;
	event->sequence = sequence;
	event->time_ns = realtime_ns;
	event->action = action;
	event->json = buf->data;
	event->json_len = buf->len;
	return 0;
}

/* Render a kernel record, checked by record_validate(), into buf and event. */
int record_render(const void *data, size_t size, const struct record_context *ctx,
		  struct json_buf *buf, struct enclave_event *event)
{
	const struct enclave_hdr *hdr = data;
	struct record_writer w = { .buf = buf };
	int64_t realtime_ns = (int64_t)hdr->time_ns + ctx->boot_to_realtime_ns;
	const char *action;
	unsigned int verdict = 0;
	int type = record_validate(data, size);

	if (type < 0)
		return type;

	begin_record(buf, realtime_ns);
	switch (type) {
	case ENCLAVE_REC_DECISION:
		verdict = ((const struct enclave_rec_decision *)data)->verdict;
		render_decision(&w, data, ctx);
		break;
	case ENCLAVE_REC_CONTAINER_START:
	case ENCLAVE_REC_CONTAINER_STOP:
		render_container(&w, data, ctx);
		break;
	default:
		render_process(&w, data, ctx);
		break;
	}
	action = record_action_name(type, verdict);
	/* enum enclave_event_type numbers the kernel record types alike. */
	if (finish_record(buf, event, (uint32_t)type, action, ctx->sequence, realtime_ns))
		return -ENOMEM;
	if (ctx->container) {
		event->container_id = ctx->container->id;
		event->container_name = ctx->container->name;
	}
	return 0;
}

/* Render the in-band report of records that the kernel could not queue. */
int record_render_lost(const struct record_lost *lost, const struct record_context *ctx,
		       int64_t realtime_ns, struct json_buf *buf, struct enclave_event *event)
{
	uint64_t delta = 0, total = 0;

	begin_record(buf, realtime_ns);
	add_event(buf, "records_lost", NULL, ctx->sequence);
	json_object_begin(buf, "enclave");
	json_object_begin(buf, "lost");
	for (unsigned int hook = 0; hook < ENCLAVE_HOOK_MAX; hook++) {
		json_object_begin(buf, record_hook_name(hook));
		json_put_u64(buf, "count", lost->delta[hook]);
		json_put_u64(buf, "total", lost->total[hook]);
		json_object_end(buf);
		delta += lost->delta[hook];
		total += lost->total[hook];
	}
	json_put_u64(buf, "count", delta);
	json_put_u64(buf, "total", total);
	json_object_end(buf);
	json_object_end(buf);
	return finish_record(buf, event, ENCLAVE_EVENT_RECORDS_LOST, "records_lost",
			     ctx->sequence, realtime_ns);
}

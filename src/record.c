/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Validation of kernel records and their rendering as JSON objects whose
 * field names follow the Elastic Common Schema; enclave's own fields live
 * under "enclave".
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
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
_Static_assert(sizeof(struct enclave_rec_decision) == 664, "decision record layout");
_Static_assert(sizeof(struct enclave_rec_cgroup) == 32, "cgroup record layout");
_Static_assert(sizeof(struct enclave_container) == 40, "containers map value layout");
_Static_assert(sizeof(struct enclave_settings) == 16, "settings map value layout");
_Static_assert(sizeof(struct enclave_path_shape) == 32, "path rule shapes map value layout");
_Static_assert(sizeof(struct enclave_policy) == 8, "policies map value layout");
_Static_assert(sizeof(struct enclave_path_rule) == 8, "path rules map value layout");

/* Length of "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ". */
#define RECORD_TIME_LEN 30

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
	[ENCLAVE_HOOK_FILE_OPEN] = "file_open",
	[ENCLAVE_HOOK_PATH_TRUNCATE] = "path_truncate",
	[ENCLAVE_HOOK_PATH_UNLINK] = "path_unlink",
	[ENCLAVE_HOOK_PATH_MKDIR] = "path_mkdir",
	[ENCLAVE_HOOK_PATH_RMDIR] = "path_rmdir",
	[ENCLAVE_HOOK_PATH_MKNOD] = "path_mknod",
	[ENCLAVE_HOOK_PATH_SYMLINK] = "path_symlink",
	[ENCLAVE_HOOK_PATH_LINK] = "path_link",
	[ENCLAVE_HOOK_PATH_RENAME] = "path_rename",
	[ENCLAVE_HOOK_PATH_CHMOD] = "path_chmod",
	[ENCLAVE_HOOK_PATH_CHOWN] = "path_chown",
	[ENCLAVE_HOOK_SB_MOUNT] = "sb_mount",
	[ENCLAVE_HOOK_MOVE_MOUNT] = "move_mount",
	[ENCLAVE_HOOK_TASK_FIX_SETUID] = "task_fix_setuid",
	[ENCLAVE_HOOK_BPRM_CREDS] = "bprm_creds_from_file",
	[ENCLAVE_HOOK_PTRACE] = "ptrace_access_check",
	[ENCLAVE_HOOK_BPF] = "bpf",
	[ENCLAVE_HOOK_MODULE_REQUEST] = "kernel_module_request",
	[ENCLAVE_HOOK_KERNEL_READ_FILE] = "kernel_read_file",
	[ENCLAVE_HOOK_KERNEL_LOAD_DATA] = "kernel_load_data",
	[ENCLAVE_HOOK_SOCKET_CREATE] = "socket_create",
	[ENCLAVE_HOOK_PERF_EVENT_OPEN] = "perf_event_open",
	[ENCLAVE_HOOK_USERNS_CREATE] = "userns_create",
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

/* Write VALUE as exactly DIGITS decimal digits, with leading zeros. */
static void put_digits(char *dst, unsigned long value, unsigned int digits)
{
	while (digits--) {
		dst[digits] = (char)('0' + value % 10);
		value /= 10;
	}
}

/*
 * Write "YYYY-MM-DDTHH:MM:SS." for SECONDS since the epoch (UTC) into DST.
 * Days become dates by the proleptic Gregorian calendar's 400-year cycles
 * of 146097 days, counted from 0000-03-01 so that leap days end a year.
 * This replaces glibc's gmtime_r(3), which takes a lock and calls tzset on
 * each call, although UTC needs neither.
 */
static void format_date_time(char *dst, int64_t seconds)
{
	int64_t days = seconds / 86400, second_of_day = seconds % 86400;
	int64_t era, day_of_era, year_of_era, day_of_year, month_index, year;
	unsigned int month, day;

	if (second_of_day < 0) {
		second_of_day += 86400;
		days--;
	}
	days += 719468;			/* days from 0000-03-01 to 1970-01-01 */
	era = (days >= 0 ? days : days - 146096) / 146097;
	day_of_era = days - era * 146097;
	year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 -
		       day_of_era / 146096) / 365;
	day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	month_index = (5 * day_of_year + 2) / 153;	/* 0 is March */
	day = (unsigned int)(day_of_year - (153 * month_index + 2) / 5 + 1);
	month = (unsigned int)(month_index < 10 ? month_index + 3 : month_index - 9);
	year = year_of_era + era * 400 + (month <= 2);

	put_digits(dst, (unsigned long)year, 4);
	dst[4] = '-';
	put_digits(dst + 5, month, 2);
	dst[7] = '-';
	put_digits(dst + 8, day, 2);
	dst[10] = 'T';
	put_digits(dst + 11, (unsigned long)(second_of_day / 3600), 2);
	dst[13] = ':';
	put_digits(dst + 14, (unsigned long)(second_of_day / 60 % 60), 2);
	dst[16] = ':';
	put_digits(dst + 17, (unsigned long)(second_of_day % 60), 2);
	dst[19] = '.';
}

/*
 * Write "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" (UTC) and return its length, 30,
 * as snprintf(3) would: DST gets at most DST_SIZE - 1 bytes and a NUL.
 * The int64_t nanoseconds of REALTIME_NS span the years 1677 to 2262, so
 * the year always has 4 digits.
 */
size_t record_format_time(char *dst, size_t dst_size, int64_t realtime_ns)
{
	/* Records come in bursts within one second: its text is kept. */
	static _Thread_local int64_t cached_seconds = INT64_MIN;
	static _Thread_local char cached[20];
	char stamp[RECORD_TIME_LEN + 1];
	int64_t seconds = realtime_ns / 1000000000;
	long nanoseconds = realtime_ns % 1000000000;
	size_t len = RECORD_TIME_LEN;

	if (nanoseconds < 0) {
		nanoseconds += 1000000000;
		seconds -= 1;
	}
	if (seconds != cached_seconds) {
		format_date_time(cached, seconds);
		cached_seconds = seconds;
	}
	memcpy(stamp, cached, sizeof(cached));
	put_digits(stamp + 20, (unsigned long)nanoseconds, 9);
	stamp[29] = 'Z';
	if (dst_size == 0)
		return len;
	if (len > dst_size - 1)
		len = dst_size - 1;
	memcpy(dst, stamp, len);
	dst[len] = '\0';
	return RECORD_TIME_LEN;
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

/* Write a kernel string field as the member KEY, passed as JSON_KEY(). Bytes
 * that are not valid UTF-8 come out as U+FFFD, and the field is listed so
 * that its raw bytes go into enclave.raw as hex. */
static void add_string(struct record_writer *w, const char *key, size_t key_len,
		       const char *path, const char *value, size_t max_len)
{
	size_t len = strnlen(value, max_len);

	if (!json_put_string_literal(w->buf, key, key_len, value, len))
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
	json_object_begin_literal(buf, JSON_KEY("event"));
	json_put_string_literal(buf, JSON_KEY("kind"), "event", 5);
	json_put_string_literal(buf, JSON_KEY("action"), action, strlen(action));
	if (outcome)
		json_put_string_literal(buf, JSON_KEY("outcome"), outcome, strlen(outcome));
	json_put_u64_literal(buf, JSON_KEY("sequence"), sequence);
	json_object_end(buf);
}

static void add_container(struct record_writer *w, const struct record_context *ctx,
			  const char *runtime)
{
	const struct record_container *c = ctx->container;

	json_object_begin_literal(w->buf, JSON_KEY("container"));
	if (c && c->id)
		json_put_string_literal(w->buf, JSON_KEY("id"), c->id, strlen(c->id));
	if (c && c->name)
		json_put_string_literal(w->buf, JSON_KEY("name"), c->name, strlen(c->name));
	if (c && c->image && c->image[0]) {
		json_object_begin_literal(w->buf, JSON_KEY("image"));
		json_put_string_literal(w->buf, JSON_KEY("name"), c->image, strlen(c->image));
		json_object_end(w->buf);
	}
	if (runtime)
		add_string(w, JSON_KEY("runtime"), "container.runtime", runtime, ENCLAVE_COMM_LEN);
	else if (c && c->runtime)
		json_put_string_literal(w->buf, JSON_KEY("runtime"), c->runtime,
					strlen(c->runtime));
	json_object_end(w->buf);
}

/* Write the end of a process from its wait status: exit_code is the
 * status passed to exit(2), or 128 + the signal number as shells report
 * it, and enclave.signal names the signal that killed it. */
static void add_exit(struct json_buf *buf, int32_t wait_status)
{
	if (WIFSIGNALED(wait_status))
		json_put_i64_literal(buf, JSON_KEY("exit_code"), 128 + WTERMSIG(wait_status));
	else
		json_put_i64_literal(buf, JSON_KEY("exit_code"), WEXITSTATUS(wait_status));
}

/* Write VALUE in decimal, without a NUL, and return its length. */
static size_t format_u32(char *dst, uint32_t value)
{
	char digits[10];
	size_t len = 0;

	do {
		digits[sizeof(digits) - ++len] = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	memcpy(dst, digits + sizeof(digits) - len, len);
	return len;
}

static void add_process(struct record_writer *w, const struct enclave_proc *proc,
			bool has_exit, int32_t wait_status)
{
	char uid[16];
	size_t uid_len = format_u32(uid, proc->uid);

	json_object_begin_literal(w->buf, JSON_KEY("process"));
	json_put_u64_literal(w->buf, JSON_KEY("pid"), proc->pid);
	json_object_begin_literal(w->buf, JSON_KEY("thread"));
	json_put_u64_literal(w->buf, JSON_KEY("id"), proc->tid);
	json_object_end(w->buf);
	add_string(w, JSON_KEY("name"), "process.name", proc->comm, sizeof(proc->comm));
	if (proc->exe[0])
		add_string(w, JSON_KEY("executable"), "process.executable", proc->exe,
			   sizeof(proc->exe));
	json_object_begin_literal(w->buf, JSON_KEY("parent"));
	json_put_u64_literal(w->buf, JSON_KEY("pid"), proc->ppid);
	json_object_end(w->buf);
	if (has_exit)
		add_exit(w->buf, wait_status);
	json_object_end(w->buf);

	/* ECS makes user.id a keyword, so it is a string. */
	json_object_begin_literal(w->buf, JSON_KEY("user"));
	json_put_string_literal(w->buf, JSON_KEY("id"), uid, uid_len);
	json_object_end(w->buf);
}

/* Name the signal that ended a process, if one did. */
static void add_signal(struct json_buf *buf, int32_t wait_status)
{
	if (WIFSIGNALED(wait_status))
		json_put_i64_literal(buf, JSON_KEY("signal"), WTERMSIG(wait_status));
}

static void add_policy(struct json_buf *buf, unsigned int level, unsigned int mode)
{
	const char *level_name = name_of(level_names, 3, level);
	const char *mode_name = name_of(mode_names, 2, mode);

	json_put_string_literal(buf, JSON_KEY("policy"), level_name, strlen(level_name));
	json_put_string_literal(buf, JSON_KEY("mode"), mode_name, strlen(mode_name));
}

static void add_raw(struct record_writer *w)
{
	if (w->n_lossy == 0)
		return;
	json_object_begin_literal(w->buf, JSON_KEY("raw"));
	for (unsigned int i = 0; i < w->n_lossy; i++)
		json_put_hex(w->buf, w->lossy[i], w->lossy_bytes[i], w->lossy_len[i]);
	json_object_end(w->buf);
}

/* Write the syslog(2) type of a decision; the kernel passes an int. */
static void add_syslog_type(struct json_buf *buf, int64_t type)
{
	const char *name = type >= 0 && type < 11 ? syslog_actions[type] : "unknown";

	json_object_begin_literal(buf, JSON_KEY("syslog"));
	json_put_i64_literal(buf, JSON_KEY("type"), type);
	json_put_string_literal(buf, JSON_KEY("action"), name, strlen(name));
	json_object_end(buf);
}

static const char *const load_data_ids[] = {
	"unknown", "firmware", "module", "kexec_image", "kexec_initramfs", "policy",
	"x509_certificate",
};

/* The object of a decision as one string: what the hook judged. */
static void add_object(struct record_writer *w, const struct enclave_rec_decision *rec)
{
	char text[64];
	const char *name;

	switch (rec->hook) {
	case ENCLAVE_HOOK_SYSLOG:
		name = rec->arg >= 0 && rec->arg < 11 ? syslog_actions[rec->arg] : "unknown";
		json_put_string_literal(w->buf, JSON_KEY("object"), name, strlen(name));
		return;
	case ENCLAVE_HOOK_MODULE_REQUEST:
		add_string(w, JSON_KEY("object"), "enclave.object", rec->name, sizeof(rec->name));
		return;
	case ENCLAVE_HOOK_KERNEL_LOAD_DATA:
		name = name_of(load_data_ids, 7, (unsigned int)rec->arg);
		json_put_string_literal(w->buf, JSON_KEY("object"), name, strlen(name));
		return;
	case ENCLAVE_HOOK_TASK_FIX_SETUID:
		snprintf(text, sizeof(text), "euid %lld", (long long)rec->arg);
		break;
	case ENCLAVE_HOOK_PTRACE:
		snprintf(text, sizeof(text), "pid %lld", (long long)rec->arg);
		break;
	case ENCLAVE_HOOK_BPF:
		snprintf(text, sizeof(text), "bpf command %lld", (long long)rec->arg);
		break;
	case ENCLAVE_HOOK_SOCKET_CREATE:
		snprintf(text, sizeof(text), "family %lld type %lld", (long long)rec->arg,
			 (long long)(rec->arg2 & 0xf));
		break;
	case ENCLAVE_HOOK_PERF_EVENT_OPEN:
		snprintf(text, sizeof(text), "perf type %lld", (long long)rec->arg);
		break;
	case ENCLAVE_HOOK_USERNS_CREATE:
		snprintf(text, sizeof(text), "user namespace");
		break;
	default:
		if (rec->path[0] || rec->object_flags)
			add_string(w, JSON_KEY("object"), "enclave.object", rec->path,
				   sizeof(rec->path));
		return;
	}
	json_put_string_literal(w->buf, JSON_KEY("object"), text, strlen(text));
}

/* Hook-specific fields of a decision beside enclave.object. */
static void add_hook_fields(struct record_writer *w, const struct enclave_rec_decision *rec)
{
	struct json_buf *buf = w->buf;

	if (rec->object_flags & ENCLAVE_OBJECT_TRUNCATED)
		json_put_bool_literal(buf, JSON_KEY("object_truncated"), true);
	if (rec->object_flags & ENCLAVE_OBJECT_UNRESOLVED)
		json_put_bool_literal(buf, JSON_KEY("object_unresolved"), true);
	if (rec->object_flags & ENCLAVE_OBJECT_FS_PATH)
		json_put_bool_literal(buf, JSON_KEY("object_filesystem_path"), true);

	switch (rec->hook) {
	case ENCLAVE_HOOK_SYSLOG:
		add_syslog_type(buf, rec->arg);
		break;
	case ENCLAVE_HOOK_FILE_OPEN:
		json_put_bool_literal(buf, JSON_KEY("write"), rec->arg != 0);
		break;
	case ENCLAVE_HOOK_SB_MOUNT:
		/* MS_REMOUNT, MS_BIND and MS_MOVE name a source, a new mount its
		 * filesystem type. */
		json_object_begin_literal(buf, JSON_KEY("mount"));
		json_put_u64_literal(buf, JSON_KEY("flags"), (uint64_t)rec->arg);
		if (rec->name[0] && (rec->arg & (32 | 4096 | 8192)))
			add_string(w, JSON_KEY("source"), "enclave.mount.source", rec->name,
				   sizeof(rec->name));
		else if (rec->name[0])
			add_string(w, JSON_KEY("type"), "enclave.mount.type", rec->name,
				   sizeof(rec->name));
		json_object_end(buf);
		break;
	case ENCLAVE_HOOK_TASK_FIX_SETUID:
	case ENCLAVE_HOOK_BPRM_CREDS:
		json_object_begin_literal(buf, JSON_KEY("setuid"));
		json_put_i64_literal(buf, JSON_KEY("euid"), rec->arg);
		json_put_i64_literal(buf, JSON_KEY("old_euid"), rec->arg2);
		json_object_end(buf);
		break;
	case ENCLAVE_HOOK_PTRACE:
		json_object_begin_literal(buf, JSON_KEY("target"));
		json_put_i64_literal(buf, JSON_KEY("pid"), rec->arg);
		add_string(w, JSON_KEY("name"), "enclave.target.name", rec->name, ENCLAVE_COMM_LEN);
		json_put_i64_literal(buf, JSON_KEY("mode"), rec->arg2);
		json_object_end(buf);
		break;
	case ENCLAVE_HOOK_BPF:
		json_object_begin_literal(buf, JSON_KEY("bpf"));
		json_put_i64_literal(buf, JSON_KEY("cmd"), rec->arg);
		json_object_end(buf);
		break;
	case ENCLAVE_HOOK_KERNEL_READ_FILE:
	case ENCLAVE_HOOK_KERNEL_LOAD_DATA:
		json_put_i64_literal(buf, JSON_KEY("read_id"), rec->arg);
		break;
	case ENCLAVE_HOOK_SOCKET_CREATE:
		json_object_begin_literal(buf, JSON_KEY("socket"));
		json_put_i64_literal(buf, JSON_KEY("family"), rec->arg);
		json_put_i64_literal(buf, JSON_KEY("type"), rec->arg2);
		json_object_end(buf);
		break;
	case ENCLAVE_HOOK_PERF_EVENT_OPEN:
		json_object_begin_literal(buf, JSON_KEY("perf"));
		json_put_i64_literal(buf, JSON_KEY("type"), rec->arg);
		json_object_end(buf);
		break;
	default:
		break;
	}
}

static bool hook_judges_path(unsigned int hook)
{
	return (hook >= ENCLAVE_HOOK_FILE_OPEN && hook <= ENCLAVE_HOOK_MOVE_MOUNT) ||
	       hook == ENCLAVE_HOOK_BPRM_CREDS || hook == ENCLAVE_HOOK_KERNEL_READ_FILE;
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
	if (!untracked && hook_judges_path(rec->hook) && rec->path[0]) {
		json_object_begin_literal(w->buf, JSON_KEY("file"));
		add_string(w, JSON_KEY("path"), "file.path", rec->path, sizeof(rec->path));
		json_object_end(w->buf);
	}

	json_object_begin_literal(w->buf, JSON_KEY("enclave"));
	json_put_string_literal(w->buf, JSON_KEY("hook"), hook, strlen(hook));
	if (!untracked) {
		add_policy(w->buf, rec->level, rec->mode);
		json_put_i64_literal(w->buf, JSON_KEY("errno"), rec->error);
		add_object(w, rec);
		add_hook_fields(w, rec);
	} else {
		const char *reason = record_untracked_reason(rec->arg);

		json_put_string_literal(w->buf, JSON_KEY("untracked"), reason, strlen(reason));
	}
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

	json_object_begin_literal(w->buf, JSON_KEY("enclave"));
	if (ctx->container) {
		const char *rule = ctx->container->rule ? ctx->container->rule : "default";

		add_policy(w->buf, ctx->container->level, ctx->container->mode);
		json_put_string_literal(w->buf, JSON_KEY("rule"), rule, strlen(rule));
	}
	if (!stop && ctx->container && ctx->container->adopted)
		json_put_bool_literal(w->buf, JSON_KEY("adopted"), true);
	if (stop)
		add_signal(w->buf, rec->exit_code);
	if (!stop)
		add_string(w, JSON_KEY("cgroup"), "enclave.cgroup", rec->cgroup_name,
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
		json_object_begin_literal(w->buf, JSON_KEY("enclave"));
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
	json_put_string_literal(buf, JSON_KEY("@timestamp"), stamp, len);
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
	json_object_begin_literal(buf, JSON_KEY("enclave"));
	json_object_begin_literal(buf, JSON_KEY("lost"));
	for (unsigned int hook = 0; hook < ENCLAVE_HOOK_MAX; hook++) {
		json_object_begin(buf, record_hook_name(hook));
		json_put_u64_literal(buf, JSON_KEY("count"), lost->delta[hook]);
		json_put_u64_literal(buf, JSON_KEY("total"), lost->total[hook]);
		json_object_end(buf);
		delta += lost->delta[hook];
		total += lost->total[hook];
	}
	json_put_u64_literal(buf, JSON_KEY("count"), delta);
	json_put_u64_literal(buf, JSON_KEY("total"), total);
	json_object_end(buf);
	json_object_end(buf);
	return finish_record(buf, event, ENCLAVE_EVENT_RECORDS_LOST, "records_lost",
			     ctx->sequence, realtime_ns);
}

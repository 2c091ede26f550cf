/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of record validation and rendering: kernel records built by hand are
 * rendered, parsed back with json-c and checked field by field.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "record.h"
#include "unit.h"

/* 2026-12-04T15:00:00Z as nanoseconds since the epoch. */
#define REALTIME_BASE_NS 1796396400000000000LL

static const struct record_container box = {
	.id = "mybox", .name = "mybox", .runtime = "runc:[2:INIT]",
	.level = ENCLAVE_LEVEL_BASELINE, .mode = ENCLAVE_MODE_AUDIT, .rule = "web",
};

static const struct record_container adopted_box = {
	.id = "old", .name = "old", .runtime = "crun", .image = "alpine:3",
	.level = ENCLAVE_LEVEL_RESTRICTED, .mode = ENCLAVE_MODE_ENFORCE, .adopted = true,
};

/* Look up a dotted path such as "process.parent.pid". */
static struct json_object *get(struct json_object *root, const char *path)
{
	char key[128];
	const char *dot;
	struct json_object *node = root;

	while (node && *path) {
		size_t len;

		dot = strchr(path, '.');
		len = dot ? (size_t)(dot - path) : strlen(path);
		memcpy(key, path, len);
		key[len] = '\0';
		if (!json_object_object_get_ex(node, key, &node))
			return NULL;
		path += len + (dot ? 1 : 0);
	}
	return node;
}

static const char *get_str(struct json_object *root, const char *path)
{
	struct json_object *node = get(root, path);

	return node && json_object_is_type(node, json_type_string) ?
	       json_object_get_string(node) : NULL;
}

static int64_t get_int(struct json_object *root, const char *path)
{
	struct json_object *node = get(root, path);

	return node && json_object_is_type(node, json_type_int) ?
	       json_object_get_int64(node) : -999;
}

static struct json_object *parse(const struct enclave_event *event)
{
	struct json_tokener *tokener = json_tokener_new();
	struct json_object *root;

	json_tokener_set_flags(tokener, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tokener, event->json, (int)event->json_len);
	if (json_tokener_get_error(tokener) != json_tokener_success ||
	    json_tokener_get_parse_end(tokener) != event->json_len) {
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tokener);
	return root;
}

static void fill_proc(struct enclave_proc *proc)
{
	proc->cgroup_id = 4242;
	proc->pid = 1234;
	proc->tid = 1235;
	proc->ppid = 1200;
	proc->uid = 1000;
	/* A quote, a newline and a byte that is not UTF-8. */
	memcpy(proc->comm, "dm\"e\n\xff", 7);
	strcpy(proc->exe, "/bin/dmesg");
}

static void test_decision_fields(void)
{
	struct enclave_rec_decision rec = {0};
	struct record_context ctx = {
		.sequence = 42,
		.boot_to_realtime_ns = REALTIME_BASE_NS,
		.container = &box,
	};
	struct json_buf buf;
	struct enclave_event event;
	struct json_object *root;

	rec.hdr.type = ENCLAVE_REC_DECISION;
	rec.hdr.size = sizeof(rec);
	rec.hdr.time_ns = 1500000123;
	fill_proc(&rec.proc);
	rec.arg = 3;
	rec.error = 1;
	rec.hook = ENCLAVE_HOOK_SYSLOG;
	rec.verdict = ENCLAVE_VERDICT_DENY;
	rec.level = ENCLAVE_LEVEL_BASELINE;
	rec.mode = ENCLAVE_MODE_ENFORCE;

	json_buf_init(&buf);
	CHECK_EQ_INT(record_render(&rec, sizeof(rec), &ctx, &buf, &event), 0);
	CHECK_EQ_INT(event.type, ENCLAVE_EVENT_DECISION);
	CHECK_EQ_UINT(event.sequence, 42);
	CHECK_EQ_STR(event.action, "deny");
	CHECK(memchr(event.json, '\n', event.json_len) == NULL);

	root = parse(&event);
	if (!CHECK(root != NULL)) {
		json_buf_free(&buf);
		return;
	}
	CHECK_EQ_STR(get_str(root, "@timestamp"), "2026-12-04T15:00:01.500000123Z");
	CHECK_EQ_STR(get_str(root, "event.kind"), "event");
	CHECK_EQ_STR(get_str(root, "event.action"), "deny");
	CHECK_EQ_STR(get_str(root, "event.outcome"), "failure");
	CHECK_EQ_INT(get_int(root, "event.sequence"), 42);
	CHECK_EQ_STR(get_str(root, "container.id"), "mybox");
	CHECK_EQ_STR(get_str(root, "container.name"), "mybox");
	CHECK_EQ_STR(get_str(root, "container.runtime"), "runc:[2:INIT]");
	CHECK_EQ_INT(get_int(root, "process.pid"), 1234);
	CHECK_EQ_INT(get_int(root, "process.thread.id"), 1235);
	CHECK_EQ_INT(get_int(root, "process.parent.pid"), 1200);
	CHECK_EQ_STR(get_str(root, "process.name"), "dm\"e\n\xef\xbf\xbd");
	CHECK_EQ_STR(get_str(root, "process.executable"), "/bin/dmesg");
	CHECK_EQ_STR(get_str(root, "user.id"), "1000");
	CHECK_EQ_STR(get_str(root, "enclave.hook"), "syslog");
	CHECK_EQ_STR(get_str(root, "enclave.policy"), "baseline");
	CHECK_EQ_STR(get_str(root, "enclave.mode"), "enforce");
	CHECK_EQ_INT(get_int(root, "enclave.errno"), 1);
	CHECK_EQ_INT(get_int(root, "enclave.syslog.type"), 3);
	CHECK_EQ_STR(get_str(root, "enclave.syslog.action"), "READ_ALL");
	/* The raw bytes of the lossy field, keyed by its dotted name. */
	{
		struct json_object *raw = get(root, "enclave.raw"), *hex = NULL;

		CHECK(raw != NULL);
		if (raw)
			CHECK(json_object_object_get_ex(raw, "process.name", &hex));
		CHECK_EQ_STR(hex ? json_object_get_string(hex) : NULL, "646d22650aff");
	}
	json_object_put(root);
	json_buf_free(&buf);
}

static void test_audit_outcome(void)
{
	struct enclave_rec_decision rec = {0};
	struct record_context ctx = { .sequence = 1, .container = NULL };
	struct json_buf buf;
	struct enclave_event event;
	struct json_object *root;

	rec.hdr.type = ENCLAVE_REC_DECISION;
	rec.hdr.size = sizeof(rec);
	strcpy(rec.proc.comm, "dmesg");
	rec.hook = ENCLAVE_HOOK_SYSLOG;
	rec.verdict = ENCLAVE_VERDICT_AUDIT;
	rec.mode = ENCLAVE_MODE_AUDIT;
	rec.level = ENCLAVE_LEVEL_RESTRICTED;

	json_buf_init(&buf);
	CHECK_EQ_INT(record_render(&rec, sizeof(rec), &ctx, &buf, &event), 0);
	root = parse(&event);
	CHECK(root != NULL);
	CHECK_EQ_STR(get_str(root, "event.action"), "audit");
	CHECK_EQ_STR(get_str(root, "event.outcome"), "success");
	CHECK_EQ_STR(get_str(root, "enclave.mode"), "audit");
	CHECK_EQ_STR(get_str(root, "enclave.policy"), "restricted");
	CHECK_EQ_INT(get_int(root, "enclave.errno"), 0);
	/* Without metadata the container object is empty, never invented. */
	CHECK(get(root, "container") != NULL);
	CHECK(get(root, "container.id") == NULL);
	CHECK(get(root, "enclave.raw") == NULL);
	CHECK(get(root, "process.executable") == NULL);
	json_object_put(root);
	json_buf_free(&buf);
}

static void test_untracked_and_odd_type(void)
{
	struct enclave_rec_decision rec = {0};
	struct record_context ctx = { .sequence = 3 };
	struct json_buf buf;
	struct enclave_event event;
	struct json_object *root;

	rec.hdr.type = ENCLAVE_REC_DECISION;
	rec.hdr.size = sizeof(rec);
	strcpy(rec.proc.comm, "crun");
	rec.hook = ENCLAVE_HOOK_BPRM_CHECK;
	rec.verdict = ENCLAVE_VERDICT_UNTRACKED;
	rec.arg = ENCLAVE_UNTRACKED_HOST_MOUNT_NS;

	json_buf_init(&buf);
	CHECK_EQ_INT(record_render(&rec, sizeof(rec), &ctx, &buf, &event), 0);
	CHECK_EQ_STR(event.action, "container_untracked");
	root = parse(&event);
	CHECK(root != NULL);
	CHECK_EQ_STR(get_str(root, "event.action"), "container_untracked");
	CHECK(get(root, "event.outcome") == NULL);
	CHECK(get(root, "enclave.policy") == NULL);
	CHECK(get(root, "enclave.errno") == NULL);
	CHECK_EQ_STR(get_str(root, "enclave.hook"), "bprm_check_security");
	CHECK_EQ_STR(get_str(root, "enclave.untracked"), "host_mount_namespace");
	json_object_put(root);
	CHECK_EQ_STR(record_untracked_reason(ENCLAVE_UNTRACKED_SHARED_CGROUP), "shared_cgroup");
	CHECK_EQ_STR(record_untracked_reason(ENCLAVE_UNTRACKED_ROOT_CGROUP), "root_cgroup");
	CHECK_EQ_STR(record_untracked_reason(0), "unknown");
	CHECK_EQ_STR(record_untracked_reason(4), "unknown");

	/* The kernel passes syslog(2)'s type as an int, unchecked. */
	rec.hook = ENCLAVE_HOOK_SYSLOG;
	rec.verdict = ENCLAVE_VERDICT_DENY;
	rec.arg = -1;
	CHECK_EQ_INT(record_render(&rec, sizeof(rec), &ctx, &buf, &event), 0);
	root = parse(&event);
	CHECK(root != NULL);
	CHECK_EQ_INT(get_int(root, "enclave.syslog.type"), -1);
	CHECK_EQ_STR(get_str(root, "enclave.syslog.action"), "unknown");
	json_object_put(root);

	rec.arg = 11;
	CHECK_EQ_INT(record_render(&rec, sizeof(rec), &ctx, &buf, &event), 0);
	root = parse(&event);
	CHECK(root != NULL);
	CHECK_EQ_STR(get_str(root, "enclave.syslog.action"), "unknown");
	json_object_put(root);
	json_buf_free(&buf);
}

static void test_container_start_stop(void)
{
	struct enclave_rec_container rec = {0};
	struct record_context ctx = { .sequence = 7, .container = &box };
	struct json_buf buf;
	struct enclave_event event;
	struct json_object *root;

	rec.hdr.type = ENCLAVE_REC_CONTAINER_START;
	rec.hdr.size = sizeof(rec);
	fill_proc(&rec.proc);
	strcpy(rec.runtime, "crun");
	strcpy(rec.cgroup_name, "mybox");

	json_buf_init(&buf);
	CHECK_EQ_INT(record_render(&rec, sizeof(rec), &ctx, &buf, &event), 0);
	CHECK_EQ_INT(event.type, ENCLAVE_EVENT_CONTAINER_START);
	root = parse(&event);
	CHECK(root != NULL);
	CHECK_EQ_STR(get_str(root, "event.action"), "container_start");
	CHECK(get(root, "event.outcome") == NULL);
	CHECK_EQ_STR(get_str(root, "container.runtime"), "crun");
	CHECK_EQ_STR(get_str(root, "container.id"), "mybox");
	CHECK_EQ_STR(get_str(root, "enclave.cgroup"), "mybox");
	CHECK_EQ_STR(get_str(root, "enclave.policy"), "baseline");
	CHECK_EQ_STR(get_str(root, "enclave.mode"), "audit");
	CHECK_EQ_STR(get_str(root, "enclave.rule"), "web");
	CHECK(get(root, "enclave.adopted") == NULL);
	CHECK(get(root, "container.image.name") == NULL);
	CHECK(get(root, "process.exit_code") == NULL);
	json_object_put(root);

	ctx.container = &adopted_box;
	CHECK_EQ_INT(record_render(&rec, sizeof(rec), &ctx, &buf, &event), 0);
	root = parse(&event);
	CHECK(root != NULL);
	CHECK_EQ_STR(get_str(root, "enclave.policy"), "restricted");
	CHECK_EQ_STR(get_str(root, "enclave.mode"), "enforce");
	CHECK_EQ_STR(get_str(root, "enclave.rule"), "default");
	CHECK(json_object_get_boolean(get(root, "enclave.adopted")));
	CHECK_EQ_STR(get_str(root, "container.image.name"), "alpine:3");
	json_object_put(root);
	ctx.container = &box;

	rec.hdr.type = ENCLAVE_REC_CONTAINER_STOP;
	rec.exit_code = 3 << 8;	/* exit(3) */
	CHECK_EQ_INT(record_render(&rec, sizeof(rec), &ctx, &buf, &event), 0);
	CHECK_EQ_INT(event.type, ENCLAVE_EVENT_CONTAINER_STOP);
	root = parse(&event);
	CHECK(root != NULL);
	CHECK_EQ_STR(get_str(root, "event.action"), "container_stop");
	CHECK_EQ_INT(get_int(root, "process.exit_code"), 3);
	CHECK(get(root, "enclave.signal") == NULL);
	CHECK(get(root, "enclave.cgroup") == NULL);
	json_object_put(root);
	json_buf_free(&buf);
}

/* Render a decision of HOOK with the given object fields. */
static struct json_object *render_hook(struct enclave_rec_decision *rec, unsigned int hook,
				       struct json_buf *buf)
{
	struct record_context ctx = { .sequence = 5, .container = &box };
	struct enclave_event event;

	rec->hdr.type = ENCLAVE_REC_DECISION;
	rec->hdr.size = sizeof(*rec);
	fill_proc(&rec->proc);
	rec->hook = hook;
	rec->verdict = ENCLAVE_VERDICT_DENY;
	rec->error = 1;
	rec->level = ENCLAVE_LEVEL_RESTRICTED;
	if (record_render(rec, sizeof(*rec), &ctx, buf, &event) != 0)
		return NULL;
	return parse(&event);
}

static void test_decision_objects(void)
{
	struct enclave_rec_decision rec;
	struct json_object *root;
	struct json_buf buf;

	json_buf_init(&buf);

	memset(&rec, 0, sizeof(rec));
	strcpy(rec.path, "/proc/sys/kernel/hostname");
	rec.arg = 1;
	rec.object_flags = ENCLAVE_OBJECT_FS_PATH;
	root = render_hook(&rec, ENCLAVE_HOOK_FILE_OPEN, &buf);
	CHECK(root != NULL);
	CHECK_EQ_STR(get_str(root, "enclave.hook"), "file_open");
	CHECK_EQ_STR(get_str(root, "enclave.object"), "/proc/sys/kernel/hostname");
	CHECK_EQ_STR(get_str(root, "file.path"), "/proc/sys/kernel/hostname");
	CHECK(json_object_get_boolean(get(root, "enclave.write")));
	CHECK(json_object_get_boolean(get(root, "enclave.object_filesystem_path")));
	CHECK(get(root, "enclave.object_truncated") == NULL);
	json_object_put(root);

	/* A path cut at the buffer and one that could not be resolved. */
	memset(&rec, 0, sizeof(rec));
	memset(rec.path, 'a', sizeof(rec.path) - 1);
	rec.path[0] = '/';
	rec.object_flags = ENCLAVE_OBJECT_TRUNCATED;
	root = render_hook(&rec, ENCLAVE_HOOK_PATH_MKDIR, &buf);
	CHECK(root != NULL);
	CHECK_EQ_INT(strlen(get_str(root, "enclave.object")), ENCLAVE_PATH_LEN - 1);
	CHECK(json_object_get_boolean(get(root, "enclave.object_truncated")));
	json_object_put(root);

	memset(&rec, 0, sizeof(rec));
	rec.object_flags = ENCLAVE_OBJECT_UNRESOLVED;
	root = render_hook(&rec, ENCLAVE_HOOK_PATH_UNLINK, &buf);
	CHECK(root != NULL);
	CHECK_EQ_STR(get_str(root, "enclave.object"), "");
	CHECK(json_object_get_boolean(get(root, "enclave.object_unresolved")));
	CHECK(get(root, "file.path") == NULL);
	json_object_put(root);

	memset(&rec, 0, sizeof(rec));
	strcpy(rec.path, "/mnt");
	strcpy(rec.name, "sysfs");
	root = render_hook(&rec, ENCLAVE_HOOK_SB_MOUNT, &buf);
	CHECK(root != NULL);
	CHECK_EQ_STR(get_str(root, "enclave.object"), "/mnt");
	CHECK_EQ_STR(get_str(root, "enclave.mount.type"), "sysfs");
	CHECK(get(root, "enclave.mount.source") == NULL);
	json_object_put(root);

	rec.arg = 4096;	/* MS_BIND */
	strcpy(rec.name, "/etc");
	root = render_hook(&rec, ENCLAVE_HOOK_SB_MOUNT, &buf);
	CHECK(root != NULL);
	CHECK_EQ_STR(get_str(root, "enclave.mount.source"), "/etc");
	CHECK_EQ_INT(get_int(root, "enclave.mount.flags"), 4096);
	json_object_put(root);

	memset(&rec, 0, sizeof(rec));
	rec.arg = 1;
	rec.arg2 = 0x12;
	strcpy(rec.name, "sshd");
	root = render_hook(&rec, ENCLAVE_HOOK_PTRACE, &buf);
	CHECK(root != NULL);
	CHECK_EQ_STR(get_str(root, "enclave.object"), "pid 1");
	CHECK_EQ_INT(get_int(root, "enclave.target.pid"), 1);
	CHECK_EQ_STR(get_str(root, "enclave.target.name"), "sshd");
	json_object_put(root);

	memset(&rec, 0, sizeof(rec));
	rec.arg = 17;
	rec.arg2 = 3 | 0x80000;	/* SOCK_RAW | SOCK_CLOEXEC */
	root = render_hook(&rec, ENCLAVE_HOOK_SOCKET_CREATE, &buf);
	CHECK(root != NULL);
	CHECK_EQ_STR(get_str(root, "enclave.object"), "family 17 type 3");
	json_object_put(root);

	memset(&rec, 0, sizeof(rec));
	strcpy(rec.name, "net-pf-9");
	root = render_hook(&rec, ENCLAVE_HOOK_MODULE_REQUEST, &buf);
	CHECK(root != NULL);
	CHECK_EQ_STR(get_str(root, "enclave.object"), "net-pf-9");
	json_object_put(root);

	memset(&rec, 0, sizeof(rec));
	rec.arg = 2;	/* LOADING_MODULE */
	root = render_hook(&rec, ENCLAVE_HOOK_KERNEL_LOAD_DATA, &buf);
	CHECK(root != NULL);
	CHECK_EQ_STR(get_str(root, "enclave.object"), "module");
	json_object_put(root);

	memset(&rec, 0, sizeof(rec));
	root = render_hook(&rec, ENCLAVE_HOOK_USERNS_CREATE, &buf);
	CHECK(root != NULL);
	CHECK_EQ_STR(get_str(root, "enclave.object"), "user namespace");
	json_object_put(root);

	json_buf_free(&buf);
}

static void test_exec_exit(void)
{
	struct enclave_rec_exit rec = {0};
	struct record_context ctx = { .sequence = 9, .container = &box };
	struct json_buf buf;
	struct enclave_event event;
	struct json_object *root;

	rec.hdr.type = ENCLAVE_REC_PROCESS_EXIT;
	rec.hdr.size = sizeof(rec);
	rec.proc.pid = 77;
	rec.proc.tid = 77;
	strcpy(rec.proc.comm, "sh");
	strcpy(rec.proc.exe, "/bin/sh");
	rec.exit_code = 9;	/* killed by SIGKILL */

	json_buf_init(&buf);
	CHECK_EQ_INT(record_render(&rec, sizeof(rec), &ctx, &buf, &event), 0);
	root = parse(&event);
	CHECK(root != NULL);
	CHECK_EQ_STR(get_str(root, "event.action"), "process_exit");
	CHECK_EQ_INT(get_int(root, "process.pid"), 77);
	CHECK_EQ_INT(get_int(root, "process.exit_code"), 137);
	CHECK_EQ_INT(get_int(root, "enclave.signal"), 9);
	CHECK_EQ_STR(get_str(root, "process.executable"), "/bin/sh");
	json_object_put(root);

	rec.exit_code = 0;
	CHECK_EQ_INT(record_render(&rec, sizeof(rec), &ctx, &buf, &event), 0);
	root = parse(&event);
	CHECK(root != NULL);
	CHECK_EQ_INT(get_int(root, "process.exit_code"), 0);
	CHECK(get(root, "enclave") == NULL);
	json_object_put(root);

	/* struct enclave_rec_exec has the same size; only the type differs. */
	rec.hdr.type = ENCLAVE_REC_PROCESS_EXEC;
	CHECK_EQ_INT(record_render(&rec, sizeof(rec), &ctx, &buf, &event), 0);
	root = parse(&event);
	CHECK(root != NULL);
	CHECK_EQ_STR(get_str(root, "event.action"), "process_exec");
	CHECK(get(root, "process.exit_code") == NULL);
	json_object_put(root);
	json_buf_free(&buf);
}

static void test_validate(void)
{
	struct enclave_rec_decision rec = {0};

	rec.hdr.type = ENCLAVE_REC_DECISION;
	rec.hdr.size = sizeof(rec);
	CHECK_EQ_INT(record_validate(&rec, sizeof(rec)), ENCLAVE_REC_DECISION);
	CHECK_EQ_INT(record_validate(&rec, sizeof(rec) - 1), -EINVAL);
	CHECK_EQ_INT(record_validate(&rec, sizeof(rec.hdr) - 1), -EINVAL);

	rec.hdr.size = sizeof(rec) - 8;
	CHECK_EQ_INT(record_validate(&rec, sizeof(rec)), -EINVAL);

	rec.hdr.size = sizeof(struct enclave_rec_exec);
	rec.hdr.type = ENCLAVE_REC_PROCESS_EXEC;
	CHECK_EQ_INT(record_validate(&rec, sizeof(rec)), ENCLAVE_REC_PROCESS_EXEC);

	rec.hdr.type = ENCLAVE_REC_CGROUP_REMOVED;
	rec.hdr.size = sizeof(struct enclave_rec_cgroup);
	CHECK_EQ_INT(record_validate(&rec, sizeof(struct enclave_rec_cgroup)),
		     ENCLAVE_REC_CGROUP_REMOVED);

	rec.hdr.type = 0;
	CHECK_EQ_INT(record_validate(&rec, sizeof(rec)), -EINVAL);
	rec.hdr.type = ENCLAVE_REC_TYPE_MAX;
	CHECK_EQ_INT(record_validate(&rec, sizeof(rec)), -EINVAL);
}

static void test_container_id(void)
{
	static const struct {
		const char *cgroup;
		const char *id;
	} cases[] = {
		{ "libpod-0123abcd", "0123abcd" },
		{ "docker-0123abcd.scope", "0123abcd" },
		{ "crio-ffee.scope", "ffee" },
		{ "cri-containerd-77.scope", "77" },
		{ "mybox", "mybox" },
		{ "libpod-", "libpod-" },
		{ ".scope", ".scope" },
	};
	char id[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		record_container_id(cases[i].cgroup, id, sizeof(id));
		CHECK_EQ_STR(id, cases[i].id);
	}
	record_container_id("abcdefgh", id, 4);
	CHECK_EQ_STR(id, "abc");
}

static void test_time_format(void)
{
	char stamp[40];

	CHECK_EQ_UINT(record_format_time(stamp, sizeof(stamp), 0), 30);
	CHECK_EQ_STR(stamp, "1970-01-01T00:00:00.000000000Z");
	record_format_time(stamp, sizeof(stamp), REALTIME_BASE_NS + 999999999);
	CHECK_EQ_STR(stamp, "2026-12-04T15:00:00.999999999Z");
	record_format_time(stamp, sizeof(stamp), -1);
	CHECK_EQ_STR(stamp, "1969-12-31T23:59:59.999999999Z");
}

static void test_lost_report(void)
{
	struct record_lost lost = {
		.delta = { 5, 2, 0 },
		.total = { 10, 2, 1 },
	};
	struct record_context ctx = { .sequence = 100 };
	struct json_buf buf;
	struct enclave_event event;
	struct json_object *root;

	json_buf_init(&buf);
	CHECK_EQ_INT(record_render_lost(&lost, &ctx, REALTIME_BASE_NS, &buf, &event), 0);
	CHECK_EQ_INT(event.type, ENCLAVE_EVENT_RECORDS_LOST);
	root = parse(&event);
	CHECK(root != NULL);
	CHECK_EQ_STR(get_str(root, "@timestamp"), "2026-12-04T15:00:00.000000000Z");
	CHECK_EQ_STR(get_str(root, "event.action"), "records_lost");
	CHECK_EQ_INT(get_int(root, "event.sequence"), 100);
	CHECK_EQ_INT(get_int(root, "enclave.lost.count"), 7);
	CHECK_EQ_INT(get_int(root, "enclave.lost.total"), 13);
	CHECK_EQ_INT(get_int(root, "enclave.lost.syslog.count"), 2);
	CHECK_EQ_INT(get_int(root, "enclave.lost.lifecycle.total"), 10);
	CHECK_EQ_INT(get_int(root, "enclave.lost.bprm_check_security.total"), 1);
	json_object_put(root);
	json_buf_free(&buf);
}

int main(void)
{
	test_decision_fields();
	test_audit_outcome();
	test_untracked_and_odd_type();
	test_container_start_stop();
	test_decision_objects();
	test_exec_exit();
	test_validate();
	test_container_id();
	test_time_format();
	test_lost_report();
	return unit_finish("test-record");
}

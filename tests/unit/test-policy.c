/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the [policy], [level NAME] and [rule NAME] configuration and of
 * policy.c: merged path and mount tables, rule matching and annotations.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "policy.h"
#include "unit.h"

#define ERR_SIZE	1024
#define B		ENCLAVE_LEVEL_BASELINE
#define R		ENCLAVE_LEVEL_RESTRICTED
#define NEVER		ENCLAVE_LEVEL_NEVER

static char temp_dir[] = "/tmp/test-policy.XXXXXX";
static char path[256];

static void write_config(const char *text)
{
	FILE *file;

	snprintf(path, sizeof(path), "%s/enclave.conf", temp_dir);
	file = fopen(path, "w");
	if (!file || fputs(text, file) < 0 || fclose(file) != 0) {
		printf("test-policy: failed to write %s\n", path);
		exit(1);
	}
}

static struct config *load(const char *text)
{
	struct config *config = NULL;
	char err[ERR_SIZE] = "";
	int r;

	write_config(text);
	r = config_load(path, &config, err, sizeof(err));
	CHECK_EQ_INT(r, 0);
	CHECK_EQ_STR(err, "");
	return config;
}

static void check_rejected(const char *name, const char *text,
			   const char *suffix)
{
	unsigned int failed_before = unit_failed;
	struct config *config = NULL;
	char expected[ERR_SIZE];
	char err[ERR_SIZE] = "";
	int r;

	write_config(text);
	r = config_load(path, &config, err, sizeof(err));
	snprintf(expected, sizeof(expected), "%s%s", path, suffix);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(config == NULL);
	CHECK_EQ_STR(err, expected);
	if (unit_failed != failed_before)
		printf("  in case: %s\n", name);
	config_free(config);
}

struct rejected_case {
	const char *name;
	const char *text;
	const char *message;
};

#define PATH_EXPECTED "(expected an absolute path without '//', '.' or '..' components or a trailing '/')"

static const struct rejected_case rejected_cases[] = {
	{ "log_allowed unknown hook", "[policy]\nlog_allowed = file_open opne\n",
	  ":2: invalid log_allowed hook 'opne' (expected all or hook names such as file_open and sb_mount, listed in docs/POLICY.md)" },
	{ "log_allowed lifecycle", "[policy]\nlog_allowed = lifecycle\n",
	  ":2: invalid log_allowed hook 'lifecycle' (expected all or hook names such as file_open and sb_mount, listed in docs/POLICY.md)" },
	{ "allowed_rate zero", "[policy]\nallowed_rate = 0\n",
	  ":2: invalid allowed_rate '0' (expected records per second and CPU from 1 to 1000000)" },
	{ "allowed_rate too large", "[policy]\nallowed_rate = 1000001\n",
	  ":2: invalid allowed_rate '1000001' (expected records per second and CPU from 1 to 1000000)" },
	{ "state dir relative", "[daemon]\nruntime_state_dirs = /run/runc run/crun\n",
	  ":2: invalid runtime_state_dirs 'run/crun' (expected absolute paths)" },
	{ "podman storage relative", "[daemon]\npodman_storage = var\n",
	  ":2: invalid podman_storage 'var' (expected an absolute path)" },
	{ "level privileged", "[level privileged]\n",
	  ":1: [level privileged] cannot have rules, because privileged denies nothing" },
	{ "level unknown", "[level strict]\n",
	  ":1: invalid level 'strict' in '[level NAME]' (expected baseline or restricted)" },
	{ "level missing", "[level]\n",
	  ":1: missing level in '[level]' (expected [level baseline] or [level restricted])" },
	{ "level unknown key", "[level baseline]\nblock = /x\n",
	  ":2: unknown key 'block' in [level baseline] (expected deny, deny_write, allow, mount_allow or mount_deny)" },
	{ "path relative", "[level baseline]\ndeny = etc/shadow\n",
	  ":2: invalid deny 'etc/shadow' " PATH_EXPECTED },
	{ "path double slash", "[level baseline]\ndeny = /etc//shadow\n",
	  ":2: invalid deny '/etc//shadow' " PATH_EXPECTED },
	{ "path dot", "[level baseline]\ndeny = /etc/./shadow\n",
	  ":2: invalid deny '/etc/./shadow' " PATH_EXPECTED },
	{ "path dot dot", "[level baseline]\ndeny_write = /etc/../shadow\n",
	  ":2: invalid deny_write '/etc/../shadow' " PATH_EXPECTED },
	{ "path trailing dot dot", "[level baseline]\ndeny = /etc/..\n",
	  ":2: invalid deny '/etc/..' " PATH_EXPECTED },
	{ "path trailing dot", "[level baseline]\ndeny = /etc/.\n",
	  ":2: invalid deny '/etc/.' " PATH_EXPECTED },
	{ "path trailing slash", "[level baseline]\ndeny = /etc/\n",
	  ":2: invalid deny '/etc/' " PATH_EXPECTED },
	{ "path root", "[level restricted]\ndeny = /\n",
	  ":2: deny path '/' would cover every file (name a directory or file below /)" },
	{ "path control byte", "[level baseline]\ndeny = /etc/a\x01\n",
	  ":2: deny path '/etc/a\\x01' contains a control byte" },
	{ "duplicate deny", "[level baseline]\ndeny = /x\n[level baseline]\ndeny = /x\n",
	  ":4: duplicate deny '/x' (first on line 2)" },
	{ "fstype uppercase", "[level baseline]\nmount_allow = NFS\n",
	  ":2: invalid mount_allow 'NFS' (expected a filesystem type of 1 to 31 bytes of a-z, 0-9, '.', '_' and '-')" },
	{ "fstype too long", "[level baseline]\nmount_allow = abcdefghijklmnopqrstuvwxyz012345\n",
	  ":2: invalid mount_allow 'abcdefghijklmnopqrstuvwxyz012345' (expected a filesystem type of 1 to 31 bytes of a-z, 0-9, '.', '_' and '-')" },
	{ "mount in restricted", "[level restricted]\nmount_allow = nfs\n",
	  ":2: mount_allow has no effect in [level restricted], which denies every mount (put it in [level baseline])" },
	{ "mount allow and deny", "[level baseline]\nmount_allow = nfs\nmount_deny = nfs\n",
	  ":3: mount_deny 'nfs' conflicts with line 2" },
	{ "mount deny not allowed", "[level baseline]\nmount_deny = nfs\n",
	  ":2: mount_deny 'nfs' has no effect, because baseline does not allow that type" },
	{ "allow matches nothing", "[level baseline]\nallow = /etc\n",
	  ":2: allow '/etc' in [level baseline] matches no built-in denial at or below it" },
	{ "allow of baseline in restricted", "[level restricted]\nallow = /proc/kcore\n",
	  ":2: allow '/proc/kcore' in [level restricted] cannot remove the built-in denial of '/proc/kcore' in [level baseline] (put the allow in [level baseline])" },
	{ "allow conflicts same level",
	  "[level baseline]\ndeny = /srv/a\nallow = /srv\n",
	  ":3: allow '/srv' conflicts with line 2, which denies '/srv/a' in [level baseline]" },
	{ "allow conflicts lower level",
	  "[level restricted]\nallow = /srv\n[level baseline]\ndeny = /srv/a\n",
	  ":2: allow '/srv' in [level restricted] conflicts with line 4, which denies '/srv/a' in [level baseline] (a level applies the denials of the levels below it)" },
	{ "allow below a denied path", "[level baseline]\nallow = /proc/sys/kernel\n",
	  ":2: allow '/proc/sys/kernel' in [level baseline] matches no built-in denial at or below it" },
	{ "allow below a denied path that matches",
	  "[level baseline]\ndeny = /srv/data/keys\nallow = /sys/kernel/debug\n",
	  ":3: allow '/sys/kernel/debug' in [level baseline] matches no built-in denial at or below it" },
	{ "rule without match", "[rule a]\nlevel = privileged\n",
	  ":1: [rule a] has no match key (add match.id, match.name, match.image, match.runtime or match.annotation.KEY)" },
	{ "rule without level or mode", "[rule a]\nmatch.name = x\n[policy]\n",
	  ":1: [rule a] sets neither 'level' nor 'mode'" },
	{ "rule unknown key", "[rule a]\nmatch.label = x\n",
	  ":2: unknown key 'match.label' in [rule a] (expected match.id, match.name, match.image, match.runtime, match.annotation.KEY, level or mode)" },
	{ "rule empty annotation key", "[rule a]\nmatch.annotation. = x\n",
	  ":2: unknown key 'match.annotation.' in [rule a] (expected match.id, match.name, match.image, match.runtime, match.annotation.KEY, level or mode)" },
	{ "rule duplicate match", "[rule a]\nmatch.name = x\nmatch.name = y\n",
	  ":3: duplicate key 'match.name' in [rule a]" },
	{ "rule duplicate annotation", "[rule a]\nmatch.annotation.a/b = x\nmatch.annotation.a/b = y\n",
	  ":3: duplicate key 'match.annotation.a/b' in [rule a]" },
	{ "rule bad level", "[rule a]\nmatch.name = x\nlevel = none\n",
	  ":3: invalid level 'none' (expected privileged, baseline or restricted)" },
	{ "rule bad mode", "[rule a]\nmatch.name = x\nmode = warn\n",
	  ":3: invalid mode 'warn' (expected enforce or audit)" },
	{ "rule duplicate level", "[rule a]\nmatch.name = x\nlevel = baseline\nlevel = baseline\n",
	  ":4: duplicate key 'level' (first set on line 3)" },
	{ "rule duplicate name", "[rule a]\nmatch.name = x\nmode = audit\n[rule a]\n",
	  ":4: duplicate rule 'a' (first defined on line 1)" },
	{ "rule invalid name", "[rule a b]\n",
	  ":1: invalid rule name 'a b' (expected 1 to 64 letters, digits, '_', '.' or '-')" },
	{ "rule missing name", "[rule]\n",
	  ":1: missing rule name in '[rule]' (expected [rule NAME])" },
	{ "slash in daemon key", "[daemon]\na/b = 1\n",
	  ":2: invalid key 'a/b' (expected letters, digits, '_', '.' or '-')" },
};

static void test_rejected(void)
{
	size_t i;

	for (i = 0; i < sizeof(rejected_cases) / sizeof(rejected_cases[0]); i++)
		check_rejected(rejected_cases[i].name, rejected_cases[i].text,
			       rejected_cases[i].message);
}

static void test_path_too_long(void)
{
	char text[600] = "[level baseline]\ndeny = /";
	char message[600] = ":2: deny path '/";
	char name[300];

	memset(name, 'a', 255);
	name[255] = '\0';
	strcat(text, name);
	strcat(text, "\n");
	memcpy(message + strlen(message), name, 99);
	message[strlen(":2: deny path '/") + 99] = '\0';
	strcat(message, "...' is too long (max 255 bytes)");
	check_rejected("path of 256 bytes", text, message);
}

struct expected_rule {
	const char *path;
	uint8_t open_level;
	uint8_t write_level;
};

/* The built-in table, sorted by path. */
static const struct expected_rule default_rules[] = {
	{ "/dev/kmem", B, B },
	{ "/dev/mem", B, B },
	{ "/dev/port", B, B },
	{ "/proc/kallsyms", B, B },
	{ "/proc/kcore", B, B },
	{ "/proc/kmsg", B, B },
	{ "/proc/sys", NEVER, B },
	{ "/proc/sysrq-trigger", B, B },
	{ "/run/secrets/kubernetes.io/serviceaccount", R, R },
	{ "/sys/firmware", B, B },
	{ "/sys/fs/cgroup", NEVER, R },
	{ "/sys/kernel", R, B },
	{ "/var/run/secrets/kubernetes.io/serviceaccount", R, R },
};

static void check_table(const struct config *config,
			const struct expected_rule *expected, size_t n)
{
	struct enclave_path_key *keys = NULL;
	struct enclave_path_rule *values = NULL;
	size_t count = 0;
	size_t i;

	if (!CHECK_EQ_INT(policy_path_rules(config, &keys, &values, &count), 0))
		return;
	CHECK_EQ_UINT(count, n);
	for (i = 0; i < n && i < count; i++) {
		char padded[ENCLAVE_PATH_LEN] = "";

		strcpy(padded, expected[i].path);
		CHECK_EQ_STR(keys[i].path, expected[i].path);
		CHECK(memcmp(keys[i].path, padded, sizeof(padded)) == 0);
		CHECK_EQ_UINT(values[i].open_level, expected[i].open_level);
		CHECK_EQ_UINT(values[i].write_level, expected[i].write_level);
		CHECK_EQ_UINT(values[i].pad[0], 0);
	}
	free(keys);
	free(values);
}

static bool has_fstype(const struct enclave_fstype_key *keys, const __u8 *values,
		       size_t n, const char *name, __u8 level)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(keys[i].name, name) == 0)
			return values[i] == level;
	}
	return false;
}

static void test_default_tables(void)
{
	static const char *const types[] = {
		"tmpfs", "ramfs", "mqueue", "devpts", "proc", "overlay", "fuse",
	};
	struct config *config = load("");
	struct enclave_fstype_key *keys = NULL;
	struct enclave_settings settings;
	__u8 *values = NULL;
	size_t n = 0;
	size_t i;

	if (!config)
		return;
	check_table(config, default_rules,
		    sizeof(default_rules) / sizeof(default_rules[0]));

	CHECK_EQ_INT(policy_fstypes(config, &keys, &values, &n), 0);
	CHECK_EQ_UINT(n, 7);
	for (i = 0; i < 7; i++)
		CHECK(has_fstype(keys, values, n, types[i], R));
	free(keys);
	free(values);

	policy_settings(config, &settings);
	CHECK_EQ_UINT(settings.default_level, B);
	CHECK_EQ_UINT(settings.default_mode, ENCLAVE_MODE_ENFORCE);
	CHECK_EQ_UINT(settings.allowed_rate, 100);
	CHECK_EQ_UINT(settings.log_allowed, 0);
	CHECK_EQ_UINT(config->n_state_dirs, 3);
	CHECK_EQ_STR(config->state_dirs[0], "/run/runc");
	CHECK_EQ_STR(config->state_dirs[1], "/run/crun");
	CHECK_EQ_STR(config->state_dirs[2], "/run/youki");
	CHECK_EQ_STR(config->podman_storage, "/var/lib/containers/storage");
	config_free(config);
}

static void test_settings(void)
{
	struct config *config = load(
		"[policy]\ndefault_level = restricted\ndefault_mode = audit\n"
		"log_allowed = file_open  sb_mount\tuserns_create\n"
		"allowed_rate = 1000000\n"
		"[daemon]\nruntime_state_dirs = /a /b/c\npodman_storage = /srv/podman\n");
	struct enclave_settings settings;

	if (!config)
		return;
	policy_settings(config, &settings);
	CHECK_EQ_UINT(settings.default_level, R);
	CHECK_EQ_UINT(settings.default_mode, ENCLAVE_MODE_AUDIT);
	CHECK_EQ_UINT(settings.allowed_rate, 1000000);
	CHECK_EQ_UINT(settings.log_allowed, (1u << ENCLAVE_HOOK_FILE_OPEN) |
		      (1u << ENCLAVE_HOOK_SB_MOUNT) | (1u << ENCLAVE_HOOK_USERNS_CREATE));
	CHECK_EQ_UINT(config->n_state_dirs, 2);
	CHECK_EQ_STR(config->state_dirs[0], "/a");
	CHECK_EQ_STR(config->state_dirs[1], "/b/c");
	CHECK_EQ_STR(config->podman_storage, "/srv/podman");
	config_free(config);

	config = load("[policy]\nlog_allowed = all\nallowed_rate = 1\n");
	if (!config)
		return;
	policy_settings(config, &settings);
	CHECK_EQ_UINT(settings.log_allowed, 0x3fffffeu);
	CHECK_EQ_UINT(settings.allowed_rate, 1);
	config_free(config);
}

/* Configured entries, inheritance and allow. */
static void test_level_merge(void)
{
	/* Sorted by strcmp. /srv/secret/sub inherits the open denial of
	 * /srv/secret, and /sys/kernel keeps the write denial of baseline. */
	static const struct expected_rule expected[] = {
		{ "/dev/kmem", B, B },
		{ "/dev/mem", B, B },
		{ "/dev/port", B, B },
		{ "/etc/shadow", R, R },
		{ "/proc/kallsyms", B, B },
		{ "/proc/kmsg", B, B },
		{ "/proc/sys", NEVER, B },
		{ "/proc/sys/kernel", R, B },
		{ "/proc/sysrq-trigger", B, B },
		{ "/srv/secret", B, B },
		{ "/srv/secret/sub", B, B },
		{ "/sys/firmware", B, B },
		{ "/sys/fs/cgroup", NEVER, R },
		{ "/sys/kernel", NEVER, B },
	};
	struct config *config = load(
		"[level restricted]\n"
		"deny = /proc/sys/kernel\n"
		"deny = /etc/shadow\n"
		"allow = /run/secrets\n"
		"allow = /var/run/secrets/kubernetes.io/serviceaccount\n"
		"allow = /sys/kernel\n"
		"[level baseline]\n"
		"deny = /srv/secret\n"
		"allow = /proc/kcore\n"
		"deny_write = /srv/secret/sub\n"
		"mount_allow = nfs4\n"
		"mount_deny = fuse\n"
		"mount_allow = tmpfs\n");
	struct enclave_fstype_key *keys = NULL;
	__u8 *values = NULL;
	size_t n = 0;

	if (!config)
		return;
	check_table(config, expected, sizeof(expected) / sizeof(expected[0]));

	CHECK_EQ_INT(policy_fstypes(config, &keys, &values, &n), 0);
	CHECK_EQ_UINT(n, 7);
	CHECK(has_fstype(keys, values, n, "nfs4", R));
	CHECK(has_fstype(keys, values, n, "tmpfs", R));
	CHECK(!has_fstype(keys, values, n, "fuse", R));
	free(keys);
	free(values);
	config_free(config);
}

static void test_sub_path_inherits(void)
{
	struct config *config = load("[level baseline]\ndeny_write = /srv/secret/sub\n"
				     "deny = /srv/secret\n");
	size_t i;

	if (!config)
		return;
	for (i = 0; i < config->n_path_rules; i++) {
		if (strcmp(config->path_rules[i].path, "/srv/secret/sub") == 0) {
			CHECK_EQ_UINT(config->path_rules[i].open_level, B);
			CHECK_EQ_UINT(config->path_rules[i].write_level, B);
		}
	}
	CHECK_EQ_UINT(config->n_path_rules, 15);
	config_free(config);
}

static void test_too_many_paths(void)
{
	size_t size = 64 * 1100;
	char *text = malloc(size);
	char expected[128];
	size_t len;
	int i;

	if (!CHECK(text != NULL))
		return;
	len = (size_t)snprintf(text, size, "[level baseline]\n");
	for (i = 0; i < ENCLAVE_MAX_PATH_RULES; i++)
		len += (size_t)snprintf(text + len, size - len, "deny = /d/%d\n", i);
	/* 13 built-in paths plus 1011 fill the table; line 1013 is one more. */
	snprintf(expected, sizeof(expected), ":%d: too many denied paths (max 1024)",
		 ENCLAVE_MAX_PATH_RULES - 13 + 2);
	check_rejected("1025 paths", text, expected);
	free(text);
}

static const char rules_config[] =
	"[policy]\ndefault_level = baseline\ndefault_mode = enforce\n"
	"[rule monitoring]\n"
	"match.name = monitor-*\n"
	"match.annotation.io.kubernetes.pod.namespace = kube-system\n"
	"level = privileged\n"
	"[rule audit-new]\n"
	"match.image = docker.io/library/*:latest\n"
	"mode = audit\n"
	"[rule catch-monitor]\n"
	"match.name = monitor-*\n"
	"level = restricted\n"
	"[rule labelled]\n"
	"match.annotation.app.kubernetes.io/name = [ab]pi?\n"
	"match.runtime = crun\n"
	"level = restricted\n"
	"mode = audit\n"
	"[rule by-id]\n"
	"match.id = 0123*\n"
	"level = privileged\n";

static void resolve(const struct config *config, const char *name,
		    const char *image, const char *runtime, size_t n,
		    const char *const *keys, const char *const *values,
		    struct policy_choice *choice)
{
	struct container_attrs attrs = {
		.id = "abcdef",
		.name = name,
		.image = image,
		.runtime = runtime,
		.n_annotations = n,
		.annotation_keys = keys,
		.annotation_values = values,
	};

	policy_resolve(config, &attrs, choice);
}

static void test_rules(void)
{
	static const char *const ns_keys[] = { "io.kubernetes.pod.namespace" };
	static const char *const ns_system[] = { "kube-system" };
	static const char *const ns_other[] = { "default" };
	static const char *const app_keys[] = { "app.kubernetes.io/name" };
	static const char *const app_values[] = { "api1" };
	struct config *config = load(rules_config);
	struct container_attrs by_id = { .id = "0123456" };
	struct policy_choice choice;

	if (!config)
		return;

	/* Both match keys match: the first rule wins. */
	resolve(config, "monitor-1", NULL, "runc", 1, ns_keys, ns_system, &choice);
	CHECK_EQ_UINT(choice.level, ENCLAVE_LEVEL_PRIVILEGED);
	CHECK_EQ_UINT(choice.mode, ENCLAVE_MODE_ENFORCE);
	CHECK_EQ_STR(choice.rule, "monitoring");
	CHECK(!choice.tightened);
	CHECK_EQ_UINT(choice.ignored, 0);

	/* One of two keys differs: the AND fails, a later rule matches. */
	resolve(config, "monitor-1", NULL, "runc", 1, ns_keys, ns_other, &choice);
	CHECK_EQ_UINT(choice.level, R);
	CHECK_EQ_STR(choice.rule, "catch-monitor");

	/* An unknown annotation matches nothing. */
	resolve(config, "monitor-1", NULL, "runc", 0, NULL, NULL, &choice);
	CHECK_EQ_STR(choice.rule, "catch-monitor");

	/* '*' matches '/' in image names; the rule sets only the mode. */
	resolve(config, "web", "docker.io/library/nginx:latest", "runc", 0, NULL,
		NULL, &choice);
	CHECK_EQ_STR(choice.rule, "audit-new");
	CHECK_EQ_UINT(choice.level, B);
	CHECK_EQ_UINT(choice.mode, ENCLAVE_MODE_AUDIT);

	resolve(config, "web", "docker.io/library/nginx:1.25", "runc", 0, NULL,
		NULL, &choice);
	CHECK(choice.rule == NULL);
	CHECK_EQ_UINT(choice.level, B);
	CHECK_EQ_UINT(choice.mode, ENCLAVE_MODE_ENFORCE);

	/* Bracket and '?' globs, annotation key with '/'. */
	resolve(config, "x", NULL, "crun", 1, app_keys, app_values, &choice);
	CHECK_EQ_STR(choice.rule, "labelled");
	CHECK_EQ_UINT(choice.level, R);
	CHECK_EQ_UINT(choice.mode, ENCLAVE_MODE_AUDIT);
	resolve(config, "x", NULL, "runc", 1, app_keys, app_values, &choice);
	CHECK(choice.rule == NULL);

	/* An empty name is unknown and matches no glob. */
	resolve(config, "", NULL, NULL, 0, NULL, NULL, &choice);
	CHECK(choice.rule == NULL);

	policy_resolve(config, &by_id, &choice);
	CHECK_EQ_STR(choice.rule, "by-id");
	CHECK_EQ_UINT(choice.level, ENCLAVE_LEVEL_PRIVILEGED);
	config_free(config);
}

static void test_star_needs_value(void)
{
	struct config *config = load("[rule any]\nmatch.image = *\nlevel = privileged\n");
	static const char *const keys[] = { "a" };
	static const char *const empty[] = { "" };
	struct container_attrs attrs = { .id = "x" };
	struct policy_choice choice;

	if (!config)
		return;
	policy_resolve(config, &attrs, &choice);
	CHECK(choice.rule == NULL);
	attrs.image = "busybox";
	policy_resolve(config, &attrs, &choice);
	CHECK_EQ_STR(choice.rule, "any");
	config_free(config);

	/* An annotation present with an empty value matches '*'. */
	config = load("[rule any]\nmatch.annotation.a = *\nmode = audit\n");
	if (!config)
		return;
	attrs.n_annotations = 1;
	attrs.annotation_keys = keys;
	attrs.annotation_values = empty;
	policy_resolve(config, &attrs, &choice);
	CHECK_EQ_STR(choice.rule, "any");
	config_free(config);
}

static void check_annotations(const struct config *config, const char *level,
			      const char *mode, uint8_t expected_level,
			      uint8_t expected_mode, bool tightened,
			      unsigned int ignored)
{
	const char *keys[2] = { POLICY_ANNOTATION_LEVEL, POLICY_ANNOTATION_MODE };
	const char *values[2] = { level, mode };
	unsigned int failed_before = unit_failed;
	struct container_attrs attrs = {
		.name = "svc",
		.n_annotations = 2,
		.annotation_keys = keys,
		.annotation_values = values,
	};
	struct policy_choice choice;

	policy_resolve(config, &attrs, &choice);
	CHECK_EQ_UINT(choice.level, expected_level);
	CHECK_EQ_UINT(choice.mode, expected_mode);
	CHECK_EQ_INT(choice.tightened, tightened);
	CHECK_EQ_UINT(choice.ignored, ignored);
	if (unit_failed != failed_before)
		printf("  in case: %s %s\n", level, mode);
}

static void test_annotations(void)
{
	struct config *config = load("[policy]\ndefault_mode = audit\n"
				     "[rule svc]\nmatch.name = svc\nlevel = baseline\n");

	if (!config)
		return;
	check_annotations(config, "restricted", "enforce", R, ENCLAVE_MODE_ENFORCE,
			  true, 0);
	check_annotations(config, "baseline", "audit", B, ENCLAVE_MODE_AUDIT,
			  false, 0);
	check_annotations(config, "privileged", "audit", B, ENCLAVE_MODE_AUDIT,
			  false, POLICY_IGNORED_RELAX_LEVEL);
	check_annotations(config, "Restricted", "on", B, ENCLAVE_MODE_AUDIT, false,
			  POLICY_IGNORED_INVALID_LEVEL | POLICY_IGNORED_INVALID_MODE);
	config_free(config);

	config = load("[policy]\ndefault_level = restricted\n");
	if (!config)
		return;
	check_annotations(config, "privileged", "audit", R, ENCLAVE_MODE_ENFORCE,
			  false, POLICY_IGNORED_RELAX_LEVEL | POLICY_IGNORED_RELAX_MODE);
	config_free(config);
}

int main(void)
{
	if (!mkdtemp(temp_dir)) {
		printf("test-policy: failed to create %s\n", temp_dir);
		return 1;
	}

	test_rejected();
	test_path_too_long();
	test_default_tables();
	test_settings();
	test_level_merge();
	test_sub_path_inherits();
	test_too_many_paths();
	test_rules();
	test_star_needs_value();
	test_annotations();

	unlink(path);
	rmdir(temp_dir);
	return unit_finish("test-policy");
}

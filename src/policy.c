/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Built-in path and mount rules, their merge with the [level NAME] sections,
 * and the choice of a container's level and mode.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define POLICY_ARRAY_SIZE(array)	(sizeof(array) / sizeof((array)[0]))
/* Mount types a configuration can allow; the kernel's map has this many
 * entries at most. */
#define POLICY_MAX_FSTYPES		64

struct policy_builtin_path {
	const char *path;
	uint8_t level;
	uint8_t action;			/* CONFIG_ACTION_DENY or _DENY_WRITE */
};

/*
 * The denials every configuration starts with; docs/POLICY.md explains each.
 * Writes below /sys/fs/cgroup are denied only in restricted, because
 * containers that run systemd or a nested runtime write to the cgroup
 * subtree that their runtime delegates to them.
 */
static const struct policy_builtin_path policy_builtin_paths[] = {
	{ "/proc/sysrq-trigger", ENCLAVE_LEVEL_BASELINE, CONFIG_ACTION_DENY },
	{ "/proc/kcore", ENCLAVE_LEVEL_BASELINE, CONFIG_ACTION_DENY },
	{ "/proc/kallsyms", ENCLAVE_LEVEL_BASELINE, CONFIG_ACTION_DENY },
	{ "/proc/kmsg", ENCLAVE_LEVEL_BASELINE, CONFIG_ACTION_DENY },
	{ "/sys/firmware", ENCLAVE_LEVEL_BASELINE, CONFIG_ACTION_DENY },
	{ "/dev/mem", ENCLAVE_LEVEL_BASELINE, CONFIG_ACTION_DENY },
	{ "/dev/kmem", ENCLAVE_LEVEL_BASELINE, CONFIG_ACTION_DENY },
	{ "/dev/port", ENCLAVE_LEVEL_BASELINE, CONFIG_ACTION_DENY },
	{ "/proc/sys", ENCLAVE_LEVEL_BASELINE, CONFIG_ACTION_DENY_WRITE },
	{ "/sys/kernel", ENCLAVE_LEVEL_BASELINE, CONFIG_ACTION_DENY_WRITE },
	{ "/var/run/secrets/kubernetes.io/serviceaccount",
	  ENCLAVE_LEVEL_RESTRICTED, CONFIG_ACTION_DENY },
	{ "/run/secrets/kubernetes.io/serviceaccount",
	  ENCLAVE_LEVEL_RESTRICTED, CONFIG_ACTION_DENY },
	{ "/sys/kernel", ENCLAVE_LEVEL_RESTRICTED, CONFIG_ACTION_DENY },
	{ "/sys/fs/cgroup", ENCLAVE_LEVEL_RESTRICTED, CONFIG_ACTION_DENY_WRITE },
};

/*
 * Filesystem types that baseline allows to be mounted; restricted denies
 * every mount. These are the types that container runtimes and tools inside
 * containers mount without host access. A FUSE mount also needs /dev/fuse,
 * which runtimes do not pass by default. The kernel compares the whole type
 * name, so a FUSE subtype such as "fuse.sshfs" needs its own mount_allow.
 */
static const char *const policy_builtin_fstypes[] = {
	"tmpfs", "ramfs", "mqueue", "devpts", "proc", "overlay", "fuse",
};

/* A denial during the merge: built in (line 0) or from the file. */
struct policy_denial {
	const char *path;
	uint8_t level;
	uint8_t action;
	unsigned int line;
	bool removed;
};

struct policy_merge_state {
	struct config *config;
	struct policy_denial *denials;
	size_t n_denials;
	unsigned int *line;
	char *message;
	size_t message_size;
};

__attribute__((format(printf, 3, 4)))
static int policy_fail(struct policy_merge_state *state, unsigned int line,
		       const char *fmt, ...)
{
	va_list ap;

	*state->line = line;
	va_start(ap, fmt);
	vsnprintf(state->message, state->message_size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Return whether PATH is PREFIX or below it. Both are normalised. */
static bool policy_path_covers(const char *prefix, const char *path)
{
	size_t len = strlen(prefix);

	return strncmp(prefix, path, len) == 0 &&
	       (path[len] == '\0' || path[len] == '/');
}

static const char *policy_level_section(uint8_t level)
{
	return level == ENCLAVE_LEVEL_BASELINE ? "[level baseline]" :
						 "[level restricted]";
}

static int policy_collect_denials(struct policy_merge_state *state)
{
	const struct config *config = state->config;
	size_t n = POLICY_ARRAY_SIZE(policy_builtin_paths) +
		   config->n_level_entries;
	size_t i;

	state->denials = calloc(n, sizeof(*state->denials));
	if (!state->denials)
		return -ENOMEM;

	for (i = 0; i < POLICY_ARRAY_SIZE(policy_builtin_paths); i++) {
		struct policy_denial *denial = &state->denials[state->n_denials++];

		denial->path = policy_builtin_paths[i].path;
		denial->level = policy_builtin_paths[i].level;
		denial->action = policy_builtin_paths[i].action;
	}
	for (i = 0; i < config->n_level_entries; i++) {
		const struct config_level_entry *entry = &config->level_entries[i];
		struct policy_denial *denial;

		if (entry->action != CONFIG_ACTION_DENY &&
		    entry->action != CONFIG_ACTION_DENY_WRITE)
			continue;
		denial = &state->denials[state->n_denials++];
		denial->path = entry->value;
		denial->level = entry->level;
		denial->action = entry->action;
		denial->line = entry->line;
	}
	return 0;
}

/*
 * Apply one allow: remove the built-in denials of its path and below from
 * its level up. Built-in denials of lower levels stay, because the kernel
 * applies each level's denials to every level above it and so cannot deny a
 * path at baseline only. For the same reason, a configured denial at or
 * below the path is an error unless it is at a higher level.
 */
static int policy_apply_allow(struct policy_merge_state *state,
			      const struct config_level_entry *allow)
{
	const char *section = policy_level_section(allow->level);
	const struct policy_denial *lower = NULL;
	bool matched = false;
	size_t i;

	for (i = 0; i < state->n_denials; i++) {
		struct policy_denial *denial = &state->denials[i];

		if (!policy_path_covers(allow->value, denial->path))
			continue;

		if (denial->line && denial->level >= allow->level) {
			if (denial->level == allow->level)
				return policy_fail(state, allow->line,
					"allow '%s' conflicts with line %u, which denies '%s' in %s",
					allow->value, denial->line, denial->path,
					section);
			continue;
		}
		if (denial->line)
			return policy_fail(state, allow->line,
				"allow '%s' in %s conflicts with line %u, which denies '%s' in %s (a level applies the denials of the levels below it)",
				allow->value, section, denial->line, denial->path,
				policy_level_section(denial->level));
		if (denial->level < allow->level) {
			if (!lower)
				lower = denial;
			continue;
		}
		denial->removed = true;
		matched = true;
	}
	if (!matched && lower)
		return policy_fail(state, allow->line,
			"allow '%s' in %s cannot remove the built-in denial of '%s' in %s (put the allow in %s)",
			allow->value, section, lower->path,
			policy_level_section(lower->level),
			policy_level_section(lower->level));
	if (!matched)
		return policy_fail(state, allow->line,
			"allow '%s' in %s matches no built-in denial at or below it",
			allow->value, section);
	return 0;
}

/* Reject an allow below a path that stays denied: a rule covers everything
 * below its path, so the allow would have no effect. */
static int policy_check_allow_ancestors(struct policy_merge_state *state,
					const struct config_level_entry *allow)
{
	size_t i;

	for (i = 0; i < state->n_denials; i++) {
		const struct policy_denial *denial = &state->denials[i];

		if (denial->removed || strcmp(denial->path, allow->value) == 0 ||
		    !policy_path_covers(denial->path, allow->value))
			continue;
		return policy_fail(state, allow->line,
			"allow '%s' is below '%s', which stays denied in %s (allow '%s' instead and deny what should stay denied)",
			allow->value, denial->path,
			policy_level_section(denial->level), denial->path);
	}
	return 0;
}

static struct config_path_rule *policy_find_rule(struct config *config,
						 const char *path)
{
	size_t i;

	for (i = 0; i < config->n_path_rules; i++) {
		if (strcmp(config->path_rules[i].path, path) == 0)
			return &config->path_rules[i];
	}
	return NULL;
}

static int policy_compare_rules(const void *a, const void *b)
{
	const struct config_path_rule *x = a, *y = b;

	return strcmp(x->path, y->path);
}

static uint8_t policy_min_level(uint8_t a, uint8_t b)
{
	return a < b ? a : b;
}

/*
 * Give every rule the levels of the rules above it. The kernel may then
 * use the longest matching prefix or every matching prefix with the same
 * result.
 */
static void policy_fold_ancestors(struct config *config)
{
	size_t i, j;

	for (i = 0; i < config->n_path_rules; i++) {
		struct config_path_rule *rule = &config->path_rules[i];

		for (j = 0; j < config->n_path_rules; j++) {
			const struct config_path_rule *above = &config->path_rules[j];

			if (i == j || !policy_path_covers(above->path, rule->path))
				continue;
			rule->open_level = policy_min_level(rule->open_level,
							    above->open_level);
			rule->write_level = policy_min_level(rule->write_level,
							     above->write_level);
		}
	}
}

/* Merge the denials that remain into config->path_rules. A deny also
 * denies writing, because it covers every access. */
static int policy_build_rules(struct policy_merge_state *state)
{
	struct config *config = state->config;
	size_t i;

	config->path_rules = calloc(ENCLAVE_MAX_PATH_RULES,
				    sizeof(*config->path_rules));
	if (!config->path_rules)
		return -ENOMEM;

	for (i = 0; i < state->n_denials; i++) {
		const struct policy_denial *denial = &state->denials[i];
		struct config_path_rule *rule;

		if (denial->removed)
			continue;
		rule = policy_find_rule(config, denial->path);
		if (!rule) {
			if (config->n_path_rules == ENCLAVE_MAX_PATH_RULES)
				return policy_fail(state, denial->line,
					"too many denied paths (max %d)",
					ENCLAVE_MAX_PATH_RULES);
			rule = &config->path_rules[config->n_path_rules++];
			snprintf(rule->path, sizeof(rule->path), "%s", denial->path);
			rule->open_level = ENCLAVE_LEVEL_NEVER;
			rule->write_level = ENCLAVE_LEVEL_NEVER;
		}
		if (denial->action == CONFIG_ACTION_DENY)
			rule->open_level = policy_min_level(rule->open_level,
							    denial->level);
		rule->write_level = policy_min_level(rule->write_level,
						     denial->level);
	}
	qsort(config->path_rules, config->n_path_rules,
	      sizeof(*config->path_rules), policy_compare_rules);
	policy_fold_ancestors(config);
	return 0;
}

static int policy_merge_paths(struct policy_merge_state *state)
{
	const struct config *config = state->config;
	size_t i;
	int r;

	r = policy_collect_denials(state);
	if (r < 0)
		return r;

	for (i = 0; i < config->n_level_entries; i++) {
		if (config->level_entries[i].action != CONFIG_ACTION_ALLOW)
			continue;
		r = policy_apply_allow(state, &config->level_entries[i]);
		if (r < 0)
			return r;
	}
	for (i = 0; i < config->n_level_entries; i++) {
		if (config->level_entries[i].action != CONFIG_ACTION_ALLOW)
			continue;
		r = policy_check_allow_ancestors(state, &config->level_entries[i]);
		if (r < 0)
			return r;
	}
	return policy_build_rules(state);
}

static struct config_fstype_rule *policy_find_fstype(struct config *config,
						     const char *name)
{
	size_t i;

	for (i = 0; i < config->n_fstype_rules; i++) {
		if (strcmp(config->fstype_rules[i].name, name) == 0)
			return &config->fstype_rules[i];
	}
	return NULL;
}

static void policy_add_fstype(struct config *config, const char *name)
{
	struct config_fstype_rule *rule = &config->fstype_rules[config->n_fstype_rules++];

	snprintf(rule->name, sizeof(rule->name), "%s", name);
	rule->level = ENCLAVE_LEVEL_RESTRICTED;
}

/* Apply mount_allow and mount_deny, which config.c accepts in
 * [level baseline] only, to the built-in mount types. */
static int policy_merge_fstypes(struct policy_merge_state *state)
{
	struct config *config = state->config;
	size_t i;

	config->fstype_rules = calloc(POLICY_MAX_FSTYPES,
				      sizeof(*config->fstype_rules));
	if (!config->fstype_rules)
		return -ENOMEM;
	for (i = 0; i < POLICY_ARRAY_SIZE(policy_builtin_fstypes); i++)
		policy_add_fstype(config, policy_builtin_fstypes[i]);

	for (i = 0; i < config->n_level_entries; i++) {
		const struct config_level_entry *entry = &config->level_entries[i];
		struct config_fstype_rule *rule;

		if (entry->action != CONFIG_ACTION_MOUNT_ALLOW &&
		    entry->action != CONFIG_ACTION_MOUNT_DENY)
			continue;
		rule = policy_find_fstype(config, entry->value);
		if (entry->action == CONFIG_ACTION_MOUNT_DENY) {
			if (!rule)
				return policy_fail(state, entry->line,
					"mount_deny '%s' has no effect, because baseline does not allow that type",
					entry->value);
			*rule = config->fstype_rules[--config->n_fstype_rules];
			continue;
		}
		if (rule)
			continue;
		if (config->n_fstype_rules == POLICY_MAX_FSTYPES)
			return policy_fail(state, entry->line,
				"too many mount types (max %d)", POLICY_MAX_FSTYPES);
		policy_add_fstype(config, entry->value);
	}
	return 0;
}

/*
 * Merge the built-in rules with the [level NAME] sections into
 * config->path_rules and config->fstype_rules. On an invalid combination,
 * store the line and the message and return -EINVAL; config_load() formats
 * them as "file:line: message".
 */
int policy_merge(struct config *config, unsigned int *line, char *message,
		 size_t message_size)
{
	struct policy_merge_state state = {
		.config = config,
		.line = line,
		.message = message,
		.message_size = message_size,
	};
	int r;

	r = policy_merge_paths(&state);
	if (r == 0)
		r = policy_merge_fstypes(&state);
	free(state.denials);
	return r;
}

static const char *policy_attr_value(const struct config_match *match,
				     const struct container_attrs *attrs)
{
	size_t i;

	switch (match->field) {
	case CONFIG_MATCH_ID:
		return attrs->id && attrs->id[0] ? attrs->id : NULL;
	case CONFIG_MATCH_NAME:
		return attrs->name && attrs->name[0] ? attrs->name : NULL;
	case CONFIG_MATCH_IMAGE:
		return attrs->image && attrs->image[0] ? attrs->image : NULL;
	case CONFIG_MATCH_RUNTIME:
		return attrs->runtime && attrs->runtime[0] ? attrs->runtime : NULL;
	default:
		break;
	}

	for (i = 0; i < attrs->n_annotations; i++) {
		const char *key = attrs->annotation_keys[i];
		const char *value = attrs->annotation_values[i];

		if (key && value && strcmp(key, match->annotation) == 0)
			return value;
	}
	return NULL;
}

/* Return whether every match key of RULE matches ATTRS. With fnmatch(3)
 * flags 0, '*' also matches '/' and a leading '.'. */
bool policy_rule_matches(const struct config_rule *rule,
			 const struct container_attrs *attrs)
{
	size_t i;

	if (rule->n_matches == 0)
		return false;

	for (i = 0; i < rule->n_matches; i++) {
		const struct config_match *match = &rule->matches[i];
		const char *value = policy_attr_value(match, attrs);

		if (!value || fnmatch(match->glob, value, 0) != 0)
			return false;
	}
	return true;
}

static int policy_find_name(const char *value, const char *(*name)(unsigned int),
			    unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (strcmp(name(i), value) == 0)
			return (int)i;
	}
	return -1;
}

/* Apply enclave.policy and enclave.mode, which may only tighten CHOICE. */
static void policy_apply_annotation(const char *key, const char *value,
				    struct policy_choice *choice)
{
	int parsed;

	if (strcmp(key, POLICY_ANNOTATION_LEVEL) == 0) {
		parsed = policy_find_name(value, config_level_name,
					  ENCLAVE_LEVEL_RESTRICTED + 1);
		if (parsed < 0) {
			choice->ignored |= POLICY_IGNORED_INVALID_LEVEL;
		} else if (parsed < choice->level) {
			choice->ignored |= POLICY_IGNORED_RELAX_LEVEL;
		} else if (parsed > choice->level) {
			choice->level = (uint8_t)parsed;
			choice->tightened = true;
		}
		return;
	}

	if (strcmp(key, POLICY_ANNOTATION_MODE) != 0)
		return;
	parsed = policy_find_name(value, config_mode_name, ENCLAVE_MODE_AUDIT + 1);
	if (parsed < 0) {
		choice->ignored |= POLICY_IGNORED_INVALID_MODE;
	} else if (parsed == ENCLAVE_MODE_AUDIT &&
		   choice->mode == ENCLAVE_MODE_ENFORCE) {
		choice->ignored |= POLICY_IGNORED_RELAX_MODE;
	} else if (parsed != choice->mode) {
		choice->mode = (uint8_t)parsed;
		choice->tightened = true;
	}
}

/*
 * Choose the level and mode of a container: those of the first [rule NAME]
 * that matches, or the defaults of [policy]. The container's own
 * annotations may then raise the level or switch audit to enforce, but
 * never relax what the root-owned configuration chose.
 */
void policy_resolve(const struct config *config,
		    const struct container_attrs *attrs,
		    struct policy_choice *choice)
{
	size_t i;

	memset(choice, 0, sizeof(*choice));
	choice->level = config->default_level;
	choice->mode = config->default_mode;

	for (i = 0; i < config->n_rules; i++) {
		const struct config_rule *rule = &config->rules[i];

		if (!policy_rule_matches(rule, attrs))
			continue;
		if (rule->level_set)
			choice->level = rule->level;
		if (rule->mode_set)
			choice->mode = rule->mode;
		choice->rule = rule->name;
		break;
	}

	for (i = 0; i < attrs->n_annotations; i++) {
		const char *key = attrs->annotation_keys[i];
		const char *value = attrs->annotation_values[i];

		if (key && value)
			policy_apply_annotation(key, value, choice);
	}
}

/*
 * Build the entries of the kernel's path rules map into *KEYS and *VALUES
 * (N entries each, freed by the caller with free(3)). Returns 0 or -ENOMEM.
 */
int policy_path_rules(const struct config *config,
		      struct enclave_path_key **keys,
		      struct enclave_path_rule **values, size_t *n)
{
	size_t count = config->n_path_rules;
	size_t i;

	*keys = calloc(count ? count : 1, sizeof(**keys));
	*values = calloc(count ? count : 1, sizeof(**values));
	if (!*keys || !*values) {
		free(*keys);
		free(*values);
		*keys = NULL;
		*values = NULL;
		return -ENOMEM;
	}

	for (i = 0; i < count; i++) {
		const struct config_path_rule *rule = &config->path_rules[i];

		memcpy((*keys)[i].path, rule->path, sizeof((*keys)[i].path));
		(*values)[i].open_level = rule->open_level;
		(*values)[i].write_level = rule->write_level;
	}
	*n = count;
	return 0;
}

/* Build the entries of the kernel's mount types map, like
 * policy_path_rules(). */
int policy_fstypes(const struct config *config,
		   struct enclave_fstype_key **keys, __u8 **values, size_t *n)
{
	size_t count = config->n_fstype_rules;
	size_t i;

	*keys = calloc(count ? count : 1, sizeof(**keys));
	*values = calloc(count ? count : 1, sizeof(**values));
	if (!*keys || !*values) {
		free(*keys);
		free(*values);
		*keys = NULL;
		*values = NULL;
		return -ENOMEM;
	}

	for (i = 0; i < count; i++) {
		memcpy((*keys)[i].name, config->fstype_rules[i].name,
		       sizeof((*keys)[i].name));
		(*values)[i] = config->fstype_rules[i].level;
	}
	*n = count;
	return 0;
}

void policy_settings(const struct config *config,
		     struct enclave_settings *settings)
{
	memset(settings, 0, sizeof(*settings));
	settings->default_level = config->default_level;
	settings->default_mode = config->default_mode;
	settings->allowed_rate = config->allowed_rate;
	settings->log_allowed = config->log_allowed;
}

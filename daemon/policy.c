// SPDX-License-Identifier: MIT
/*
 * gconvd's policy file, parsed with inih.  Every error names the file and
 * line; nothing of a bad file is used (SIGHUP keeps the old policy).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

#define DEFAULT_MAX_QUEUED    64
#define DEFAULT_MAX_IN_FLIGHT 4
#define MAX_TENANTS	      4096
#define MAX_LIST	      4096

struct parse_state {
	struct policy *p;
	const char *what;
	int line;		   /* of the current line, for messages */
	char err[256];		   /* the first error */
	int err_line;		   /* its line */
	struct tenant_policy *cur; /* the tenant of the current section */
	struct model_policy *model; /* the model of the current section */
	int in_gconvd;
	int have_section;
	int prev_key; /* inih's prev_name: indented lines continue it */
};

static int fail(struct parse_state *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parse_state *st, const char *fmt, ...)
{
	va_list ap;

	if (!st->err[0]) {
		st->err_line = st->line;
		va_start(ap, fmt);
		vsnprintf(st->err, sizeof(st->err), fmt, ap);
		va_end(ap);
	}
	return 0;
}

int parse_duration(const char *s, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {
		{ "ns", 1 },	       { "us", 1000 }, { "ms", 1000000 },
		{ "s", 1000000000 },
	};
	unsigned long long v;
	char *end;
	size_t i;

	if (!*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || v > 3600ull * 1000000000)
		return -EINVAL;
	if (!*end) {
		if (v)
			return -EINVAL; /* a unit is needed, but for 0 */
		*out = 0;
		return 0;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(end, units[i].unit)) {
			if (v > 3600ull * 1000000000 / units[i].ns)
				return -EINVAL;
			*out = v * units[i].ns;
			return 0;
		}
	}
	return -EINVAL;
}

int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	unsigned int shift = 0;

	if (!*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		end++;
		break;
	case 'M':
	case 'm':
		shift = 20;
		end++;
		break;
	case 'G':
	case 'g':
		shift = 30;
		end++;
		break;
	case 'T':
	case 't':
		shift = 40;
		end++;
		break;
	default:
		break;
	}
	if (*end == 'i' && shift)
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* Split a comma/space separated list; calls @fn for each item. */
static int for_each_item(struct parse_state *st, const char *value,
			 int (*fn)(struct parse_state *, const char *))
{
	char buf[INI_MAX_LINE + 1], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", value);
	for (tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save))
		if (!fn(st, tok))
			return 0;
	return 1;
}

static int grow(void **arr, size_t *n, size_t size)
{
	void *a;

	if (*n >= MAX_LIST)
		return -E2BIG;
	a = realloc(*arr, (*n + 1) * size);
	if (!a)
		return -ENOMEM;
	*arr = a;
	return 0;
}

static int add_user(struct parse_state *st, const char *s)
{
	struct tenant_policy *t = st->cur;
	uint32_t id;
	uid_t uid;

	if (!parse_u32(s, 0, UINT32_MAX - 1, &id)) {
		uid = id;
	} else {
		struct passwd *pw = getpwnam(s);

		if (!pw)
			return fail(st, "%s:%d: unknown user '%s'", st->what,
				    st->line, s);
		uid = pw->pw_uid;
	}
	if (grow((void **)&t->uids, &t->nuids, sizeof(*t->uids)))
		return fail(st, "%s:%d: too many users", st->what, st->line);
	t->uids[t->nuids++] = uid;
	return 1;
}

static int add_group(struct parse_state *st, const char *s)
{
	struct tenant_policy *t = st->cur;
	uint32_t id;
	gid_t gid;

	if (!parse_u32(s, 0, UINT32_MAX - 1, &id)) {
		gid = id;
	} else {
		struct group *gr = getgrnam(s);

		if (!gr)
			return fail(st, "%s:%d: unknown group '%s'", st->what,
				    st->line, s);
		gid = gr->gr_gid;
	}
	if (grow((void **)&t->gids, &t->ngids, sizeof(*t->gids)))
		return fail(st, "%s:%d: too many groups", st->what, st->line);
	t->gids[t->ngids++] = gid;
	return 1;
}

static int add_model(struct parse_state *st, const char *s)
{
	struct tenant_policy *t = st->cur;

	if (!strcmp(s, "*")) {
		t->all_models = 1;
		return 1;
	}
	if (strlen(s) >= POLICY_NAME_LEN)
		return fail(st,
			    "%s:%d: model name '%s' is longer than %d bytes",
			    st->what, st->line, s, POLICY_NAME_LEN - 1);
	if (grow((void **)&t->models, &t->nmodels, sizeof(*t->models)))
		return fail(st, "%s:%d: too many models", st->what, st->line);
	t->models[t->nmodels] = strdup(s);
	if (!t->models[t->nmodels])
		return fail(st, "%s:%d: out of memory", st->what, st->line);
	t->nmodels++;
	return 1;
}

/* A name valid_name() accepted (shorter than POLICY_NAME_LEN) into @dst. */
static void copy_name(char dst[POLICY_NAME_LEN], const char *name)
{
	size_t n = strnlen(name, POLICY_NAME_LEN - 1);

	memcpy(dst, name, n);
	dst[n] = '\0';
}

static void tenant_defaults(struct tenant_policy *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	copy_name(t->name, name);
	t->weight = 1;
	t->priority = PRIO_NORMAL;
	t->max_queued = DEFAULT_MAX_QUEUED;
	t->max_in_flight = DEFAULT_MAX_IN_FLIGHT;
	t->all_models = 1;
}

static int valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n >= POLICY_NAME_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return 0;
	return 1;
}

static int new_model(struct parse_state *st, const char *name)
{
	struct policy *p = st->p;
	struct model_policy *m;
	size_t i;

	while (*name == ' ')
		name++;
	if (!valid_name(name))
		return fail(st,
			    "%s:%d: bad model name '%s' (1-%d letters, "
			    "digits, '-', '_', '.')",
			    st->what, st->line, name, POLICY_NAME_LEN - 1);
	for (i = 0; i < p->nmodels; i++)
		if (!strcmp(p->models[i].name, name))
			return fail(st, "%s:%d: model '%s' is defined twice",
				    st->what, st->line, name);
	if (p->nmodels >= MAX_TENANTS)
		return fail(st, "%s:%d: more than %d models", st->what,
			    st->line, MAX_TENANTS);
	m = realloc(p->models, (p->nmodels + 1) * sizeof(*m));
	if (!m)
		return fail(st, "%s:%d: out of memory", st->what, st->line);
	p->models = m;
	st->model = &m[p->nmodels++];
	memset(st->model, 0, sizeof(*st->model));
	copy_name(st->model->name, name);
	st->model->max_batch = 1;
	st->model->batch_delay_ns = POLICY_DEFAULT_BATCH_DELAY;
	return 1;
}

static int new_section(struct parse_state *st, const char *section)
{
	struct policy *p = st->p;
	struct tenant_policy *t;
	const char *name;
	size_t i;

	st->cur = NULL;
	st->model = NULL;
	st->in_gconvd = 0;
	if (!strcmp(section, "gconvd")) {
		st->in_gconvd = 1;
		return 1;
	}
	if (!strncmp(section, "model ", 6))
		return new_model(st, section + 6);
	if (strncmp(section, "tenant ", 7))
		return fail(st,
			    "%s:%d: unknown section [%s] (expected [gconvd], "
			    "[tenant NAME] or [model NAME])",
			    st->what, st->line, section);
	name = section + 7;
	while (*name == ' ')
		name++;
	if (!valid_name(name))
		return fail(st,
			    "%s:%d: bad tenant name '%s' (1-%d letters, "
			    "digits, '-', '_', '.')",
			    st->what, st->line, name, POLICY_NAME_LEN - 1);
	for (i = 0; i < p->ntenants; i++)
		if (!strcmp(p->tenants[i].name, name))
			return fail(st, "%s:%d: tenant '%s' is defined twice",
				    st->what, st->line, name);
	if (p->ntenants >= MAX_TENANTS)
		return fail(st, "%s:%d: more than %d tenants", st->what,
			    st->line, MAX_TENANTS);
	t = realloc(p->tenants, (p->ntenants + 1) * sizeof(*t));
	if (!t)
		return fail(st, "%s:%d: out of memory", st->what, st->line);
	p->tenants = t;
	st->cur = &t[p->ntenants++];
	tenant_defaults(st->cur, name);
	/* "models =" lists replace the default "*" */
	st->cur->all_models = -1;
	return 1;
}

static int gconvd_key(struct parse_state *st, const char *key,
		      const char *value)
{
	struct policy *p = st->p;

	if (!strcmp(key, "unknown-users")) {
		if (!strcmp(value, "refuse"))
			p->unknown = UNKNOWN_REFUSE;
		else if (!strcmp(value, "default"))
			p->unknown = UNKNOWN_DEFAULT;
		else
			return fail(st,
				    "%s:%d: unknown-users must be 'refuse' or "
				    "'default', not '%s'",
				    st->what, st->line, value);
		return 1;
	}
	if (!strcmp(key, "admin-group")) {
		struct group *gr = getgrnam(value);
		uint32_t id;

		if (gr) {
			p->admin_gid = gr->gr_gid;
		} else if (!parse_u32(value, 0, UINT32_MAX - 1, &id)) {
			p->admin_gid = id;
		} else {
			return fail(st, "%s:%d: unknown group '%s'", st->what,
				    st->line, value);
		}
		p->have_admin_gid = 1;
		return 1;
	}
	if (!strcmp(key, "segment")) {
		if (parse_u32(value, 0, 1u << 20, &p->segment))
			return fail(st,
				    "%s:%d: segment must be a number of GCONVs "
				    "(0: whole chains), not '%s'",
				    st->what, st->line, value);
		return 1;
	}
	if (!strcmp(key, "device-errors")) {
		if (parse_u32(value, 1, 1000000, &p->device_errors))
			return fail(st,
				    "%s:%d: device-errors must be an integer "
				    "from 1 to 1000000, not '%s'",
				    st->what, st->line, value);
		return 1;
	}
	if (!strcmp(key, "metrics-port")) {
		if (parse_u32(value, 0, 65535, &p->metrics_port))
			return fail(st,
				    "%s:%d: metrics-port must be a TCP port "
				    "1..65535 (0: none), not '%s'",
				    st->what, st->line, value);
		return 1;
	}
	return fail(st,
		    "%s:%d: unknown key '%s' in [gconvd] (known: "
		    "unknown-users, admin-group, segment, device-errors, "
		    "metrics-port)",
		    st->what, st->line, key);
}

static int model_key(struct parse_state *st, const char *key,
		     const char *value)
{
	struct model_policy *m = st->model;

	if (!strcmp(key, "max-batch")) {
		if (parse_u32(value, 1, POLICY_MAX_BATCH, &m->max_batch))
			return fail(st,
				    "%s:%d: max-batch must be an integer from "
				    "1 to %d, not '%s'",
				    st->what, st->line, POLICY_MAX_BATCH,
				    value);
		return 1;
	}
	if (!strcmp(key, "batch-delay")) {
		if (parse_duration(value, &m->batch_delay_ns))
			return fail(st,
				    "%s:%d: batch-delay must be a time such "
				    "as 2ms or 500us, not '%s'",
				    st->what, st->line, value);
		return 1;
	}
	return fail(st,
		    "%s:%d: unknown key '%s' in [model %s] (known: "
		    "max-batch, batch-delay)",
		    st->what, st->line, key, m->name);
}

static int tenant_key(struct parse_state *st, const char *key,
		      const char *value)
{
	struct tenant_policy *t = st->cur;

	if (!strcmp(key, "users"))
		return for_each_item(st, value, add_user);
	if (!strcmp(key, "groups"))
		return for_each_item(st, value, add_group);
	if (!strcmp(key, "models")) {
		if (t->all_models < 0)
			t->all_models = 0;
		return for_each_item(st, value, add_model);
	}
	if (!strcmp(key, "weight")) {
		if (parse_u32(value, 1, 1000000, &t->weight))
			return fail(st,
				    "%s:%d: weight must be an integer from 1 "
				    "to 1000000, not '%s'",
				    st->what, st->line, value);
		return 1;
	}
	if (!strcmp(key, "priority")) {
		if (!strcmp(value, "realtime"))
			t->priority = PRIO_REALTIME;
		else if (!strcmp(value, "normal"))
			t->priority = PRIO_NORMAL;
		else if (!strcmp(value, "batch"))
			t->priority = PRIO_BATCH;
		else
			return fail(st,
				    "%s:%d: priority must be realtime, normal "
				    "or batch, not '%s'",
				    st->what, st->line, value);
		return 1;
	}
	if (!strcmp(key, "memory-quota")) {
		if (parse_size(value, &t->memory_quota))
			return fail(st,
				    "%s:%d: memory-quota must be a size such "
				    "as 512M or 2G (0: none), not '%s'",
				    st->what, st->line, value);
		return 1;
	}
	if (!strcmp(key, "max-queued")) {
		if (parse_u32(value, 1, 1000000, &t->max_queued))
			return fail(st,
				    "%s:%d: max-queued must be an integer from "
				    "1 to 1000000, not '%s'",
				    st->what, st->line, value);
		return 1;
	}
	if (!strcmp(key, "max-in-flight")) {
		if (parse_u32(value, 1, 1024, &t->max_in_flight))
			return fail(st,
				    "%s:%d: max-in-flight must be an integer "
				    "from 1 to 1024, not '%s'",
				    st->what, st->line, value);
		return 1;
	}
	return fail(st,
		    "%s:%d: unknown key '%s' in [tenant %s] (known: users, "
		    "groups, models, weight, priority, memory-quota, "
		    "max-queued, max-in-flight)",
		    st->what, st->line, key, t->name);
}

/* The section is the one scan_line() saw: inih truncates its copy. */
static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse_state *st = user;

	(void)section;
	if (!st->have_section)
		return fail(st, "%s:%d: '%s' before any [section]", st->what,
			    st->line, name);
	if (st->in_gconvd)
		return gconvd_key(st, name, value);
	if (st->model)
		return model_key(st, name, value);
	if (!st->cur)
		return 0; /* the section's error is already reported */
	return tenant_key(st, name, value);
}

/* inih's own find_chars_or_comment() (inline comments: " ;") */
static const char *find_chars_or_comment(const char *s, const char *chars)
{
	int was_space = 0;

	while (*s && !strchr(chars, *s) &&
	       !(was_space && strchr(INI_INLINE_COMMENT_PREFIXES, *s))) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

/*
 * Sections are seen here, as inih reads them, not in the handler: inih
 * tells the handler only of keys (an empty section went unseen, a section
 * repeated right after itself looked like one, and a section's errors got
 * the line of its first key) and cuts section names to 49 bytes.
 */
static void scan_line(struct parse_state *st, const char *line)
{
	char name[INI_MAX_LINE];
	const char *s = line, *end;

	if (st->line == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s || strchr(INI_START_COMMENT_PREFIXES, *s))
		return;
	if (st->prev_key && s > line)
		return; /* continues the last key's value */
	if (*s != '[') {
		if (*find_chars_or_comment(s, "=:"))
			st->prev_key = 1;
		return; /* a key, or a syntax error inih reports */
	}
	end = find_chars_or_comment(s + 1, "]");
	if (*end != ']')
		return; /* inih reports it */
	st->prev_key = 0;
	memcpy(name, s + 1, (size_t)(end - s - 1));
	name[end - s - 1] = '\0';
	st->have_section = 1;
	new_section(st, name);
}

/* inih only reports the line of the first error: count lines ourselves */
struct line_reader {
	const char *text;
	struct parse_state *st;
};

static char *reader(char *str, int num, void *stream)
{
	struct line_reader *r = stream;
	struct parse_state *st = r->st;
	const char *nl;
	size_t n;

	if (!*r->text)
		return NULL;
	st->line++;
	nl = strchr(r->text, '\n');
	n = nl ? (size_t)(nl - r->text) : strlen(r->text);
	/* inih would read the rest of a longer line as more lines */
	if (n > (size_t)num - 2) {
		fail(st, "%s:%d: line longer than %d bytes", st->what, st->line,
		     num - 2);
		return NULL;
	}
	if (nl)
		n++;
	memcpy(str, r->text, n);
	str[n] = '\0';
	r->text += n;
	scan_line(st, str);
	return str;
}

static void tenant_free(struct tenant_policy *t)
{
	size_t i;

	for (i = 0; i < t->nmodels; i++)
		free(t->models[i]);
	free(t->models);
	free(t->uids);
	free(t->gids);
}

void policy_free(struct policy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->ntenants; i++)
		tenant_free(&p->tenants[i]);
	free(p->tenants);
	free(p->models);
	free(p);
}

int policy_parse(const char *text, const char *what, struct policy **out,
		 char *err, size_t errlen)
{
	struct parse_state st = { .what = what };
	struct line_reader r = { .text = text, .st = &st };
	struct policy *p = calloc(1, sizeof(*p));
	size_t i;
	int ret;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	st.p = p;
	p->unknown = UNKNOWN_DEFAULT;
	p->segment = POLICY_DEFAULT_SEGMENT;
	p->device_errors = POLICY_DEFAULT_DEVICE_ERRORS;
	if (memchr(text, '\0', 0) || strlen(text) > (16u << 20)) {
		snprintf(err, errlen, "%s: larger than 16 MiB", what);
		policy_free(p);
		return -EINVAL;
	}
	ret = ini_parse_stream(reader, &r, handler, &st);
	if (ret || st.err[0]) {
		/* ret: the first bad line; if not ours, a syntax error */
		if (st.err[0] && !(ret > 0 && ret < st.err_line))
			snprintf(err, errlen, "%s", st.err);
		else
			snprintf(err, errlen,
				 "%s:%d: syntax error (expected [section], key "
				 "= value or a comment)",
				 what, ret > 0 ? ret : st.line);
		policy_free(p);
		return -EINVAL;
	}
	for (i = 0; i < p->ntenants; i++)
		if (p->tenants[i].all_models < 0)
			p->tenants[i].all_models = 1;
	/* unknown users need a tenant "default": make one if the file has none
	 */
	if (p->unknown == UNKNOWN_DEFAULT && !policy_find(p, "default")) {
		struct tenant_policy *t =
			realloc(p->tenants, (p->ntenants + 1) * sizeof(*t));

		if (!t) {
			snprintf(err, errlen, "out of memory");
			policy_free(p);
			return -ENOMEM;
		}
		p->tenants = t;
		tenant_defaults(&t[p->ntenants++], "default");
	}
	*out = p;
	return 0;
}

int policy_load(const char *path, struct policy **out, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f, *m;
	int ret, c;

	if (!path)
		return policy_parse("", "(built-in policy)", out, err, errlen);
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	m = open_memstream(&text, &len);
	if (!m) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	while ((c = getc(f)) != EOF && len < (16u << 20) + 1) {
		if (c == '\0') {
			fclose(f);
			fclose(m);
			free(text);
			snprintf(err, errlen, "%s: contains a NUL byte", path);
			return -EINVAL;
		}
		putc(c, m);
		fflush(m);
	}
	fclose(f);
	fclose(m);
	ret = policy_parse(text ? text : "", path, out, err, errlen);
	free(text);
	return ret;
}

const struct tenant_policy *policy_find(const struct policy *p,
					const char *name)
{
	size_t i;

	for (i = 0; i < p->ntenants; i++)
		if (!strcmp(p->tenants[i].name, name))
			return &p->tenants[i];
	return NULL;
}

static int in_groups(const struct tenant_policy *t, const gid_t *groups,
		     int ngroups)
{
	size_t i;
	int j;

	for (i = 0; i < t->ngids; i++)
		for (j = 0; j < ngroups; j++)
			if (t->gids[i] == groups[j])
				return 1;
	return 0;
}

const struct tenant_policy *policy_lookup(const struct policy *p, uid_t uid,
					  gid_t gid)
{
	gid_t groups[256];
	int ngroups = 1;
	struct passwd *pw;
	size_t i, j;

	for (i = 0; i < p->ntenants; i++)
		for (j = 0; j < p->tenants[i].nuids; j++)
			if (p->tenants[i].uids[j] == uid)
				return &p->tenants[i];
	groups[0] = gid;
	pw = getpwuid(uid);
	if (pw) {
		ngroups = 256;
		if (getgrouplist(pw->pw_name, gid, groups, &ngroups) < 0)
			ngroups = 1;
	}
	for (i = 0; i < p->ntenants; i++)
		if (in_groups(&p->tenants[i], groups, ngroups))
			return &p->tenants[i];
	if (p->unknown == UNKNOWN_DEFAULT)
		return policy_find(p, "default");
	return NULL;
}

int policy_model_allowed(const struct tenant_policy *t, const char *model)
{
	size_t i;

	if (t->all_models)
		return 1;
	for (i = 0; i < t->nmodels; i++)
		if (!strcmp(t->models[i], model))
			return 1;
	return 0;
}

const struct model_policy *policy_model(const struct policy *p,
					const char *name)
{
	size_t i;

	for (i = 0; i < p->nmodels; i++)
		if (!strcmp(p->models[i].name, name))
			return &p->models[i];
	return NULL;
}

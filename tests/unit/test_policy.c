// SPDX-License-Identifier: MIT
/*
 * gconvd's policy file (daemon/policy.c): every key and value form, the
 * defaults, every error message with its "FILE:LINE: reason", and the
 * tenant lookup order (uid, then groups, then "default", then refused).
 *
 * Users and groups by name: only "root" (uid 0, gid 0) is assumed to
 * exist.  The supplementary-group lookup uses whatever user of the system
 * has one, and is skipped (says so, passes) if none has.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* getgrouplist */
#endif
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

#include "../harness.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#ifdef HAVE_ASAN
/* <sanitizer/allocator_interface.h>, which gcc does not always install */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#define WHAT "test.conf"

static char err[512];

/* Parse @text, which must be good. */
static struct policy *good(const char *text)
{
	struct policy *p = NULL;
	int ret;

	err[0] = '\0';
	ret = policy_parse(text, WHAT, &p, err, sizeof(err));
	if (ret)
		FAILF("policy_parse: %d (%s) for:\n%s", ret, err, text);
	if (!p)
		FAILF("policy_parse: 0 but no policy");
	return p;
}

/* Parse @text, which must fail with exactly "test.conf:@msg". */
static void bad_at(const char *text, const char *msg, const char *file,
		   int line)
{
	struct policy *p = NULL;
	char want[512];
	int ret;

	snprintf(want, sizeof(want), WHAT ":%s", msg);
	strcpy(err, "(untouched)");
	ret = policy_parse(text, WHAT, &p, err, sizeof(err));
	if (ret != -EINVAL || p || strcmp(err, want)) {
		fprintf(stderr,
			"FAIL %s: for:\n%s\nexpected -EINVAL \"%s\", got %d "
			"\"%s\"%s\n",
			harness_current, text, want, ret, err,
			p ? " and a policy" : "");
		policy_free(p);
		harness_fail_at(file, line);
	}
}
#define BAD(text, msg) bad_at((text), (msg), __FILE__, __LINE__)

static const struct tenant_policy *find(const struct policy *p,
					const char *name)
{
	const struct tenant_policy *t = policy_find(p, name);

	if (!t)
		FAILF("no tenant '%s'", name);
	return t;
}

static void check_defaults(const struct tenant_policy *t)
{
	CHECK_EQ_INT(t->weight, 1);
	CHECK_EQ_INT(t->priority, PRIO_NORMAL);
	CHECK_EQ_INT(t->memory_quota, 0);
	CHECK_EQ_INT(t->max_queued, 64);
	CHECK_EQ_INT(t->max_in_flight, 4);
	CHECK_EQ_INT(t->all_models, 1);
	CHECK_EQ_INT(t->nmodels, 0);
}

/* A uid and gid no system has: no passwd entry, so no supplementary groups */
#define NOUSER	4000001u
#define NOGROUP 4000002u

/* The tenant's name for (uid, gid), or "(refused)". */
static const char *who(const struct policy *p, uid_t uid, gid_t gid)
{
	const struct tenant_policy *t = policy_lookup(p, uid, gid);

	return t ? t->name : "(refused)";
}

/* The [gconvd] numbers and the models of a policy that sets none. */
static void check_global_defaults(const struct policy *p)
{
	CHECK_EQ_INT(p->segment, 8);
	CHECK_EQ_INT(p->device_errors, 3);
	CHECK_EQ_INT(p->nmodels, 0);
	CHECK(policy_model(p, "digits") == NULL);
	CHECK(policy_model(p, "") == NULL);
}

static const struct model_policy *find_model(const struct policy *p,
					     const char *name)
{
	const struct model_policy *m = policy_model(p, name);

	if (!m)
		FAILF("no model '%s'", name);
	return m;
}

/* Each of @bad as the value of @key on line 3, in [@section]: bad. */
static void check_bad_values(const char *section, const char *key,
			     const char *const *bad, size_t nbad,
			     const char *reason)
{
	char text[256], msg[512];
	size_t i;

	for (i = 0; i < nbad; i++) {
		snprintf(text, sizeof(text), "[%s]\n\n%s = %s\n", section, key,
			 bad[i]);
		snprintf(msg, sizeof(msg), "3: %s, not '%s'", reason, bad[i]);
		BAD(text, msg);
	}
}

/* ---- defaults ------------------------------------------------------------ */

TEST(builtin_policy)
{
	struct policy *p = NULL;

	CHECK_EQ_INT(policy_load(NULL, &p, err, sizeof(err)), 0);
	CHECK(p);
	CHECK_EQ_INT(p->unknown, UNKNOWN_DEFAULT);
	CHECK_EQ_INT(p->have_admin_gid, 0);
	/* the header's defaults, and the values they are documented with */
	CHECK_EQ_INT(POLICY_DEFAULT_SEGMENT, 8);
	CHECK_EQ_INT(POLICY_DEFAULT_DEVICE_ERRORS, 3);
	CHECK_EQ_INT(POLICY_DEFAULT_BATCH_DELAY, 1000000);
	check_global_defaults(p);
	CHECK(p->models == NULL);
	CHECK_EQ_INT(p->ntenants, 1);
	CHECK_STR(p->tenants[0].name, "default");
	check_defaults(&p->tenants[0]);
	CHECK_EQ_INT(p->tenants[0].nuids, 0);
	CHECK_EQ_INT(p->tenants[0].ngids, 0);
	CHECK_STR(who(p, 0, 0), "default");
	CHECK_STR(who(p, NOUSER, NOGROUP), "default");
	CHECK(policy_model_allowed(&p->tenants[0], "anything"));
	policy_free(p);
}

TEST(empty_and_comment_only)
{
	struct policy *p = good("");

	CHECK_EQ_INT(p->ntenants, 1);
	CHECK_STR(p->tenants[0].name, "default");
	check_global_defaults(p);
	policy_free(p);

	p = good("# nothing\n; at all\n\n   \n\t\n");
	CHECK_EQ_INT(p->unknown, UNKNOWN_DEFAULT);
	CHECK_EQ_INT(p->ntenants, 1);
	check_defaults(&p->tenants[0]);
	check_global_defaults(p);
	policy_free(p);

	p = good("[gconvd]\n");
	CHECK_EQ_INT(p->ntenants, 1);
	check_global_defaults(p);
	policy_free(p);

	/* tenants only */
	p = good("[gconvd]\nunknown-users = refuse\nadmin-group = 0\n"
		 "[tenant a]\nusers = 1001\nweight = 2\n");
	check_global_defaults(p);
	policy_free(p);
}

TEST(tenant_defaults)
{
	struct policy *p = good("[tenant ml]\nusers = 1001\n");
	const struct tenant_policy *t;

	/* the file's tenants, then "default" for unknown users */
	CHECK_EQ_INT(p->ntenants, 2);
	t = find(p, "ml");
	CHECK(t == &p->tenants[0]);
	check_defaults(t);
	CHECK_EQ_INT(t->nuids, 1);
	CHECK_EQ_INT(t->uids[0], 1001);
	CHECK_EQ_INT(t->ngids, 0);
	check_defaults(find(p, "default"));
	CHECK(policy_find(p, "nope") == NULL);
	CHECK(policy_find(p, "") == NULL);
	CHECK(policy_find(p, "ML") == NULL);
	policy_free(p);
}

/* A section without keys is still a tenant (which matches nobody). */
TEST(empty_tenant_section)
{
	struct policy *p = good("[tenant idle]\n[gconvd]\nunknown-users = "
				"refuse\n");

	CHECK_EQ_INT(p->ntenants, 1);
	check_defaults(find(p, "idle"));
	policy_free(p);

	p = good("[gconvd]\nunknown-users = refuse\n[tenant last]\n");
	CHECK_EQ_INT(p->ntenants, 1);
	CHECK_STR(p->tenants[0].name, "last");
	policy_free(p);
}

/* ---- every key ----------------------------------------------------------- */

TEST(every_key)
{
	struct policy *p = good("[gconvd]\n"
				"unknown-users = refuse\n"
				"admin-group = root\n"
				"\n"
				"[tenant interactive]\n"
				"users = root, 1001\n"
				"groups = root, 2000\n"
				"models = digits, resnet18\n"
				"weight = 10\n"
				"priority = realtime\n"
				"memory-quota = 512M\n"
				"max-queued = 8\n"
				"max-in-flight = 2\n"
				"\n"
				"[tenant batch]\n"
				"groups = 3000\n"
				"weight = 1\n"
				"priority = batch\n"
				"memory-quota = 2G\n"
				"max-queued = 1000000\n"
				"max-in-flight = 1024\n");
	const struct tenant_policy *t;

	CHECK_EQ_INT(p->unknown, UNKNOWN_REFUSE);
	CHECK_EQ_INT(p->have_admin_gid, 1);
	CHECK_EQ_INT(p->admin_gid, 0);
	/* unknown users are refused: no tenant "default" is made */
	CHECK_EQ_INT(p->ntenants, 2);
	CHECK(policy_find(p, "default") == NULL);

	t = find(p, "interactive");
	CHECK(t == &p->tenants[0]);
	CHECK_EQ_INT(t->nuids, 2);
	CHECK_EQ_INT(t->uids[0], 0);
	CHECK_EQ_INT(t->uids[1], 1001);
	CHECK_EQ_INT(t->ngids, 2);
	CHECK_EQ_INT(t->gids[0], 0);
	CHECK_EQ_INT(t->gids[1], 2000);
	CHECK_EQ_INT(t->all_models, 0);
	CHECK_EQ_INT(t->nmodels, 2);
	CHECK_STR(t->models[0], "digits");
	CHECK_STR(t->models[1], "resnet18");
	CHECK_EQ_INT(t->weight, 10);
	CHECK_EQ_INT(t->priority, PRIO_REALTIME);
	CHECK_EQ_INT(t->memory_quota, 512ull << 20);
	CHECK_EQ_INT(t->max_queued, 8);
	CHECK_EQ_INT(t->max_in_flight, 2);

	t = find(p, "batch");
	CHECK(t == &p->tenants[1]);
	CHECK_EQ_INT(t->nuids, 0);
	CHECK_EQ_INT(t->ngids, 1);
	CHECK_EQ_INT(t->gids[0], 3000);
	CHECK_EQ_INT(t->all_models, 1);
	CHECK_EQ_INT(t->weight, 1);
	CHECK_EQ_INT(t->priority, PRIO_BATCH);
	CHECK_EQ_INT(t->memory_quota, 2ull << 30);
	CHECK_EQ_INT(t->max_queued, 1000000);
	CHECK_EQ_INT(t->max_in_flight, 1024);
	policy_free(p);
}

TEST(unknown_users_values)
{
	struct policy *p = good("[gconvd]\nunknown-users = default\n");

	CHECK_EQ_INT(p->unknown, UNKNOWN_DEFAULT);
	CHECK(policy_find(p, "default"));
	policy_free(p);

	/* the last one wins */
	p = good("[gconvd]\nunknown-users = default\nunknown-users = refuse\n");
	CHECK_EQ_INT(p->unknown, UNKNOWN_REFUSE);
	policy_free(p);

	BAD("[gconvd]\nunknown-users = deny\n",
	    "2: unknown-users must be 'refuse' or 'default', not 'deny'");
	BAD("[gconvd]\nunknown-users = Refuse\n",
	    "2: unknown-users must be 'refuse' or 'default', not 'Refuse'");
	BAD("[gconvd]\nunknown-users =\n",
	    "2: unknown-users must be 'refuse' or 'default', not ''");
}

TEST(admin_group)
{
	struct policy *p = good("[gconvd]\nadmin-group = 4242\n");

	CHECK_EQ_INT(p->have_admin_gid, 1);
	CHECK_EQ_INT(p->admin_gid, 4242);
	policy_free(p);

	p = good("[gconvd]\nadmin-group = 0\n");
	CHECK_EQ_INT(p->have_admin_gid, 1);
	CHECK_EQ_INT(p->admin_gid, 0);
	policy_free(p);

	BAD("[gconvd]\n\nadmin-group = no-such-group-gconv\n",
	    "3: unknown group 'no-such-group-gconv'");
	BAD("[gconvd]\nadmin-group = -1\n", "2: unknown group '-1'");
}

TEST(priorities)
{
	static const struct {
		const char *value;
		enum tenant_priority prio;
	} ok[] = {
		{ "realtime", PRIO_REALTIME },
		{ "normal", PRIO_NORMAL },
		{ "batch", PRIO_BATCH },
	};
	static const char *const bad[] = { "high", "Normal", "1", "" };
	char text[128], msg[256];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct policy *p;

		snprintf(text, sizeof(text), "[tenant a]\npriority = %s\n",
			 ok[i].value);
		p = good(text);
		CHECK_EQ_INT(find(p, "a")->priority, ok[i].prio);
		policy_free(p);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[tenant a]\npriority = %s\n",
			 bad[i]);
		snprintf(msg, sizeof(msg),
			 "2: priority must be realtime, normal or batch, not "
			 "'%s'",
			 bad[i]);
		BAD(text, msg);
	}
}

/* An integer key: @lo and @hi are good, the rest are bad. */
static void check_int_key(const char *key, const char *lo, const char *hi,
			  const char *reason)
{
	static const char *const bad[] = {
		"0",  "-1",  "+5",
		"5x", "x5",  "1.5",
		"",   "5 6", "99999999999999999999",
	};
	char text[128], msg[256];
	struct policy *p;
	size_t i;

	snprintf(text, sizeof(text), "[tenant a]\n%s = %s\n", key, lo);
	p = good(text);
	policy_free(p);
	snprintf(text, sizeof(text), "[tenant a]\n%s = %s\n", key, hi);
	p = good(text);
	policy_free(p);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[tenant a]\n\n%s = %s\n", key,
			 bad[i]);
		snprintf(msg, sizeof(msg), "3: %s, not '%s'", reason, bad[i]);
		BAD(text, msg);
	}
}

TEST(integer_keys)
{
	struct policy *p;

	check_int_key("weight", "1", "1000000",
		      "weight must be an integer from 1 to 1000000");
	check_int_key("max-queued", "1", "1000000",
		      "max-queued must be an integer from 1 to 1000000");
	check_int_key("max-in-flight", "1", "1024",
		      "max-in-flight must be an integer from 1 to 1024");

	/* just past the top */
	BAD("[tenant a]\nweight = 1000001\n",
	    "2: weight must be an integer from 1 to 1000000, not '1000001'");
	BAD("[tenant a]\nmax-queued = 1000001\n",
	    "2: max-queued must be an integer from 1 to 1000000, not "
	    "'1000001'");
	BAD("[tenant a]\nmax-in-flight = 1025\n",
	    "2: max-in-flight must be an integer from 1 to 1024, not '1025'");
	BAD("[tenant a]\nweight = 4294967297\n",
	    "2: weight must be an integer from 1 to 1000000, not "
	    "'4294967297'");

	/* the values themselves, and the last one wins */
	p = good("[tenant a]\nweight = 7\nweight = 0009\nmax-queued = 1\n"
		 "max-in-flight = 1\n");
	CHECK_EQ_INT(find(p, "a")->weight, 9);
	CHECK_EQ_INT(find(p, "a")->max_queued, 1);
	CHECK_EQ_INT(find(p, "a")->max_in_flight, 1);
	policy_free(p);

	p = good("[tenant a]\nweight = 1000000\n");
	CHECK_EQ_INT(find(p, "a")->weight, 1000000);
	policy_free(p);
}

/* ---- [gconvd] segment and device-errors ---------------------------------- */

TEST(metrics_port)
{
	struct policy *p;

	p = good("[gconvd]\n");
	CHECK_EQ_INT(p->metrics_port, 0);
	policy_free(p);
	p = good("[gconvd]\nmetrics-port = 9464\n");
	CHECK_EQ_INT(p->metrics_port, 9464);
	policy_free(p);
	p = good("[gconvd]\nmetrics-port = 65535\nmetrics-port = 0\n");
	CHECK_EQ_INT(p->metrics_port, 0);
	policy_free(p);
	BAD("[gconvd]\nmetrics-port = 65536\n",
	    "2: metrics-port must be a TCP port 1..65535 (0: none), not "
	    "'65536'");
	BAD("[gconvd]\nmetrics-port = http\n",
	    "2: metrics-port must be a TCP port 1..65535 (0: none), not "
	    "'http'");
	BAD("[tenant t]\nmetrics-port = 1\n",
	    "2: unknown key 'metrics-port' in [tenant t] (known: users, "
	    "groups, models, weight, priority, memory-quota, max-queued, "
	    "max-in-flight)");
}

TEST(segment_and_device_errors)
{
	static const char *const bad_segment[] = {
		"-1",	       "x",	     "+5",   "5x",
		"x5",	       "1.5",	     "",     "5 6",
		"0x10",	       "1048577",    "2000000",
		"4294967296",  "99999999999999999999",
	};
	static const char *const bad_errors[] = {
		"0",	      "-1",	    "x",     "+5",
		"5x",	      "1.5",	    "",	     "5 6",
		"1000001",    "4294967297", "99999999999999999999",
	};
	struct policy *p;

	/* one without the other: the other's default */
	p = good("[gconvd]\nsegment = 0\n");
	CHECK_EQ_INT(p->segment, 0);
	CHECK_EQ_INT(p->device_errors, 3);
	policy_free(p);
	p = good("[gconvd]\ndevice-errors = 1\n");
	CHECK_EQ_INT(p->segment, 8);
	CHECK_EQ_INT(p->device_errors, 1);
	policy_free(p);

	/* the ends of the ranges */
	p = good("[gconvd]\nsegment = 1048576\ndevice-errors = 1000000\n");
	CHECK_EQ_INT(p->segment, 1048576);
	CHECK_EQ_INT(p->device_errors, 1000000);
	policy_free(p);
	p = good("[gconvd]\nsegment = 1\ndevice-errors = 1\n");
	CHECK_EQ_INT(p->segment, 1);
	CHECK_EQ_INT(p->device_errors, 1);
	policy_free(p);

	/* the last one wins, also in a second [gconvd]; leading zeros */
	p = good("[gconvd]\nsegment = 5\ndevice-errors = 7\n"
		 "[tenant a]\nusers = 1\n"
		 "[gconvd]\nsegment = 016\ndevice-errors = 02\n"
		 "segment = 32 ; inline comment\n");
	CHECK_EQ_INT(p->segment, 32);
	CHECK_EQ_INT(p->device_errors, 2);
	CHECK_EQ_INT(find(p, "a")->nuids, 1);
	policy_free(p);

	check_bad_values("gconvd", "segment", bad_segment,
			 sizeof(bad_segment) / sizeof(bad_segment[0]),
			 "segment must be a number of GCONVs (0: whole "
			 "chains)");
	check_bad_values("gconvd", "device-errors", bad_errors,
			 sizeof(bad_errors) / sizeof(bad_errors[0]),
			 "device-errors must be an integer from 1 to 1000000");

	/* FILE:LINE */
	BAD("[gconvd]\nsegment = -1\n",
	    "2: segment must be a number of GCONVs (0: whole chains), not "
	    "'-1'");
	BAD("# policy\n[tenant a]\n[gconvd]\nunknown-users = refuse\n"
	    "segment = x\n",
	    "5: segment must be a number of GCONVs (0: whole chains), not 'x'");
	BAD("[gconvd]\r\n\r\ndevice-errors = 0\r\n",
	    "3: device-errors must be an integer from 1 to 1000000, not '0'");

	/* [gconvd] keys, not a tenant's or a model's */
	BAD("[tenant a]\nsegment = 4\n",
	    "2: unknown key 'segment' in [tenant a] (known: users, groups, "
	    "models, weight, priority, memory-quota, max-queued, "
	    "max-in-flight)");
	BAD("[model m]\ndevice-errors = 4\n",
	    "2: unknown key 'device-errors' in [model m] (known: max-batch, "
	    "batch-delay)");
}

/* ---- sizes --------------------------------------------------------------- */

TEST(parse_size_forms)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "0", 0 },
		{ "1", 1 },
		{ "4096", 4096 },
		{ "1K", 1ull << 10 },
		{ "1k", 1ull << 10 },
		{ "1KiB", 1ull << 10 },
		{ "1KB", 1ull << 10 },
		{ "1kb", 1ull << 10 },
		{ "512M", 512ull << 20 },
		{ "512m", 512ull << 20 },
		{ "512MiB", 512ull << 20 },
		{ "2G", 2ull << 30 },
		{ "2g", 2ull << 30 },
		{ "2Gi", 2ull << 30 },
		{ "3T", 3ull << 40 },
		{ "3t", 3ull << 40 },
		{ "10B", 10 },
		{ "0G", 0 },
		{ "16777215T", 16777215ull << 40 },
		{ "18446744073709551615", UINT64_MAX },
	};
	static const char *const bad[] = {
		"",
		"M",
		"-1",
		"+1",
		" 1",
		"1 ",
		"1 M",
		"1.5G",
		"1X",
		"1P",
		"1MM",
		"1iB",
		"1Mx",
		"0x10",
		"16777216T",
		"18446744073709551616",
		"17179869184G",
		"1e3",
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 12345;
		if (parse_size(ok[i].s, &v))
			FAILF("parse_size(\"%s\") failed", ok[i].s);
		if (v != ok[i].v)
			FAILF("parse_size(\"%s\"): %llu, not %llu", ok[i].s,
			      (unsigned long long)v,
			      (unsigned long long)ok[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (parse_size(bad[i], &v) != -EINVAL)
			FAILF("parse_size(\"%s\") did not fail", bad[i]);
		if (v != 12345)
			FAILF("parse_size(\"%s\") failed but wrote %llu",
			      bad[i], (unsigned long long)v);
	}
}

TEST(memory_quota)
{
	static const char *const bad[] = {
		"lots", "1.5G", "-1", "2X", "G", ""
	};
	char text[128], msg[256];
	struct policy *p;
	size_t i;

	p = good("[tenant a]\nmemory-quota = 0\n[tenant b]\nmemory-quota = "
		 "1T\n[tenant c]\nmemory-quota = 65536\n");
	CHECK_EQ_INT(find(p, "a")->memory_quota, 0);
	CHECK_EQ_INT(find(p, "b")->memory_quota, 1ull << 40);
	CHECK_EQ_INT(find(p, "c")->memory_quota, 65536);
	policy_free(p);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[tenant a]\nmemory-quota = %s\n",
			 bad[i]);
		snprintf(msg, sizeof(msg),
			 "2: memory-quota must be a size such as 512M or 2G "
			 "(0: none), not '%s'",
			 bad[i]);
		BAD(text, msg);
	}
}

/* ---- durations ----------------------------------------------------------- */

#define HOUR_NS (3600ull * 1000000000)

TEST(parse_duration_forms)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "0", 0 },
		{ "00", 0 },
		{ "0ns", 0 },
		{ "0us", 0 },
		{ "0ms", 0 },
		{ "0s", 0 },
		{ "1ns", 1 },
		{ "250ns", 250 },
		{ "500us", 500000 },
		{ "2ms", 2000000 },
		{ "0005ms", 5000000 },
		{ "1s", 1000000000 },
		{ "90s", 90000000000ull },
		/* up to an hour, in every unit */
		{ "3600s", HOUR_NS },
		{ "3600000ms", HOUR_NS },
		{ "3600000000us", HOUR_NS },
		{ "3600000000000ns", HOUR_NS },
	};
	static const char *const bad[] = {
		"",
		"ms",
		"s",
		"5",	/* a unit is needed but for 0 */
		"1000",
		"5m",
		"5h",
		"5min",
		"5sec",
		"5mss",
		"5MS",
		"5Ms",
		"5S",
		"5 ms",
		" 5ms",
		"5ms ",
		"-1ms",
		"-0",
		"+1ms",
		"1.5ms",
		"1e3ns",
		"0x10ns",
		"ms5",
		/* more than an hour */
		"3601s",
		"3600001ms",
		"3600000001us",
		"3600000000001ns",
		"3600000000001",
		/* wrap around in 64 bits if multiplied unchecked */
		"18446744074s",
		"18446744073710ms",
		"18446744073709552us",
		/* do not fit in 64 bits */
		"18446744073709551615ns",
		"18446744073709551616ns",
		"18446744073709551616",
		"99999999999999999999999s",
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 12345;
		if (parse_duration(ok[i].s, &v))
			FAILF("parse_duration(\"%s\") failed", ok[i].s);
		if (v != ok[i].v)
			FAILF("parse_duration(\"%s\"): %llu, not %llu", ok[i].s,
			      (unsigned long long)v,
			      (unsigned long long)ok[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (parse_duration(bad[i], &v) != -EINVAL)
			FAILF("parse_duration(\"%s\") did not fail", bad[i]);
		if (v != 12345)
			FAILF("parse_duration(\"%s\") failed but wrote %llu",
			      bad[i], (unsigned long long)v);
	}
}

/* ---- users, groups, models ----------------------------------------------- */

TEST(user_and_group_lists)
{
	struct policy *p = good("[tenant a]\n"
				"users = root, 1001 1002,,1003\t1004 ,\n"
				"users = 1005\n"
				"groups = 2000,root\n"
				"groups =\n"
				"users =\n"
				"[tenant b]\n"
				"users = 4294967294\n");
	const struct tenant_policy *t = find(p, "a");
	static const uid_t uids[] = { 0, 1001, 1002, 1003, 1004, 1005 };
	size_t i;

	/* lists add up over lines; an empty list adds nothing */
	CHECK_EQ_INT(t->nuids, 6);
	for (i = 0; i < 6; i++)
		CHECK_EQ_INT(t->uids[i], uids[i]);
	CHECK_EQ_INT(t->ngids, 2);
	CHECK_EQ_INT(t->gids[0], 2000);
	CHECK_EQ_INT(t->gids[1], 0);
	CHECK_EQ_INT(find(p, "b")->uids[0], 4294967294u);
	policy_free(p);

	BAD("[tenant a]\nusers = 1001, no-such-user-gconv, 1002\n",
	    "2: unknown user 'no-such-user-gconv'");
	BAD("[tenant a]\ngroups = 1001\ngroups = root no-such-group-gconv\n",
	    "3: unknown group 'no-such-group-gconv'");
	/* (uid_t)-1 is no uid: read as a name, which no one has */
	BAD("[tenant a]\nusers = 4294967295\n", "2: unknown user '4294967295'");
	BAD("[tenant a]\ngroups = 4294967295\n",
	    "2: unknown group '4294967295'");
	BAD("[tenant a]\nusers = -5\n", "2: unknown user '-5'");
}

TEST(models)
{
	struct policy *p = good("[tenant listed]\n"
				"models = digits, resnet18\n"
				"models = mobilenet\n"
				"[tenant star]\n"
				"models = *\n"
				"[tenant both]\n"
				"models = digits *\n"
				"[tenant none]\n"
				"models =\n"
				"[tenant unset]\n"
				"weight = 2\n");
	const struct tenant_policy *t;

	t = find(p, "listed");
	CHECK_EQ_INT(t->all_models, 0);
	CHECK_EQ_INT(t->nmodels, 3);
	CHECK_STR(t->models[2], "mobilenet");
	CHECK(policy_model_allowed(t, "digits"));
	CHECK(policy_model_allowed(t, "resnet18"));
	CHECK(policy_model_allowed(t, "mobilenet"));
	CHECK(!policy_model_allowed(t, "digit"));
	CHECK(!policy_model_allowed(t, "Digits"));
	CHECK(!policy_model_allowed(t, "digits2"));
	CHECK(!policy_model_allowed(t, ""));
	CHECK(!policy_model_allowed(t, "*"));

	t = find(p, "star");
	CHECK_EQ_INT(t->all_models, 1);
	CHECK(policy_model_allowed(t, "anything"));
	CHECK(policy_model_allowed(t, ""));

	t = find(p, "both");
	CHECK_EQ_INT(t->all_models, 1);
	CHECK(policy_model_allowed(t, "other"));

	/* an empty list allows no model at all */
	t = find(p, "none");
	CHECK_EQ_INT(t->all_models, 0);
	CHECK_EQ_INT(t->nmodels, 0);
	CHECK(!policy_model_allowed(t, "digits"));
	CHECK(!policy_model_allowed(t, ""));

	/* no models key: any */
	t = find(p, "unset");
	CHECK_EQ_INT(t->all_models, 1);
	CHECK(policy_model_allowed(t, "digits"));
	policy_free(p);

	/* names up to 63 bytes */
	p = good(
		"[tenant a]\nmodels = "
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		"_\n");
	CHECK(policy_model_allowed(find(p, "a"),
				   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
				   "QRSTUVWXYZ0123456789_"));
	policy_free(p);
	BAD("[tenant a]\nmodels = ok, "
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
	    "\n",
	    "2: model name "
	    "'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-'"
	    " "
	    "is longer than 63 bytes");
}

/* ---- sections ------------------------------------------------------------ */

TEST(tenant_names)
{
	struct policy *p =
		good("[tenant a]\n[tenant A.b_c-9]\n[tenant  x]\n"
		     "[tenant "
		     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
		     "WXYZ0123456789_]\n"
		     "[tenant "
		     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
		     "WXYZ0123456789.]\n"
		     "weight = 3\n");

	CHECK_EQ_INT(p->ntenants, 6); /* + default */
	find(p, "a");
	find(p, "A.b_c-9");
	find(p, "x");
	/* 63 bytes, different only at the end: two tenants */
	CHECK_EQ_INT(find(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
			     "WXYZ0123456789_")
			     ->weight,
		     1);
	CHECK_EQ_INT(find(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
			     "WXYZ0123456789.")
			     ->weight,
		     3);
	policy_free(p);

	BAD("[tenant a]\nweight = 2\n\n[tenant b/c]\nweight = 2\n",
	    "4: bad tenant name 'b/c' (1-63 letters, digits, '-', '_', '.')");
	BAD("[tenant a b]\n",
	    "1: bad tenant name 'a b' (1-63 letters, digits, '-', '_', '.')");
	BAD("[tenant ]\n",
	    "1: bad tenant name '' (1-63 letters, digits, '-', '_', '.')");
	BAD("[tenant "
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-]"
	    "\n",
	    "1: bad tenant name "
	    "'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-'"
	    " "
	    "(1-63 letters, digits, '-', '_', '.')");
}

TEST(duplicate_tenants)
{
	BAD("[tenant a]\nusers = 1\n[tenant b]\nusers = 2\n[tenant a]\n"
	    "users = 3\n",
	    "5: tenant 'a' is defined twice");
	/* right after itself, and without keys */
	BAD("[tenant a]\nusers = 1\n[tenant a]\nusers = 3\n",
	    "3: tenant 'a' is defined twice");
	BAD("[tenant a]\n[tenant a]\n", "2: tenant 'a' is defined twice");
	BAD("[tenant default]\nweight = 2\n[tenant default]\n",
	    "3: tenant 'default' is defined twice");
}

TEST(default_tenant_section)
{
	/* [tenant default] sets the limits of unknown users */
	struct policy *p = good("[tenant default]\nweight = 5\npriority = "
				"batch\n[tenant ml]\nusers = 1001\n");
	const struct tenant_policy *t;

	CHECK_EQ_INT(p->ntenants, 2);
	t = find(p, "default");
	CHECK_EQ_INT(t->weight, 5);
	CHECK_EQ_INT(t->priority, PRIO_BATCH);
	CHECK(policy_lookup(p, NOUSER, NOGROUP) == t);
	CHECK_STR(who(p, 1001, NOGROUP), "ml");
	policy_free(p);
}

TEST(gconvd_section_twice)
{
	struct policy *p = good("[gconvd]\nunknown-users = refuse\n"
				"[tenant a]\nusers = 1\n"
				"[gconvd]\nadmin-group = 7\n");

	CHECK_EQ_INT(p->unknown, UNKNOWN_REFUSE);
	CHECK_EQ_INT(p->admin_gid, 7);
	CHECK_EQ_INT(p->ntenants, 1);
	policy_free(p);
}

/* ---- [model NAME] -------------------------------------------------------- */

TEST(model_sections)
{
	struct policy *p = good("[model digits]\n"
				"max-batch = 8\n"
				"batch-delay = 2ms\n"
				"[tenant web]\n"
				"users = 1001\n"
				"models = digits\n"
				"[model resnet18]\n"
				"batch-delay = 500us ; inline comment\n"
				"[model idle]\n"
				"[model  spaced.name_2-x]\n"
				"max-batch = 64\n"
				"[gconvd]\n"
				"segment = 2\n");
	const struct tenant_policy *t;
	const struct model_policy *m;

	/* in file order */
	CHECK_EQ_INT(p->nmodels, 4);
	CHECK_STR(p->models[0].name, "digits");
	CHECK_STR(p->models[1].name, "resnet18");
	CHECK_STR(p->models[2].name, "idle");
	CHECK_STR(p->models[3].name, "spaced.name_2-x");

	m = find_model(p, "digits");
	CHECK(m == &p->models[0]);
	CHECK_EQ_INT(m->max_batch, 8);
	CHECK_EQ_INT(m->batch_delay_ns, 2000000);
	/* unset keys: the defaults */
	m = find_model(p, "resnet18");
	CHECK_EQ_INT(m->max_batch, 1);
	CHECK_EQ_INT(m->batch_delay_ns, 500000);
	m = find_model(p, "idle");
	CHECK_EQ_INT(m->max_batch, 1);
	CHECK_EQ_INT(m->batch_delay_ns, POLICY_DEFAULT_BATCH_DELAY);
	m = find_model(p, "spaced.name_2-x");
	CHECK_EQ_INT(m->max_batch, POLICY_MAX_BATCH);
	CHECK_EQ_INT(m->batch_delay_ns, POLICY_DEFAULT_BATCH_DELAY);

	/* no section: NULL; names are exact */
	CHECK(policy_model(p, "mobilenet") == NULL);
	CHECK(policy_model(p, "Digits") == NULL);
	CHECK(policy_model(p, "digit") == NULL);
	CHECK(policy_model(p, "digits ") == NULL);
	CHECK(policy_model(p, " spaced.name_2-x") == NULL);
	CHECK(policy_model(p, "") == NULL);
	CHECK(policy_model(p, "*") == NULL);
	/* tenants are not models */
	CHECK(policy_model(p, "web") == NULL);
	CHECK(policy_model(p, "default") == NULL);

	/* models are not tenants; the sections around them are unchanged */
	CHECK_EQ_INT(p->ntenants, 2);
	CHECK(policy_find(p, "digits") == NULL);
	t = find(p, "web");
	CHECK_EQ_INT(t->nuids, 1);
	CHECK_EQ_INT(t->nmodels, 1);
	CHECK(policy_model_allowed(t, "digits"));
	CHECK(!policy_model_allowed(t, "resnet18"));
	check_defaults(find(p, "default"));
	CHECK_EQ_INT(p->segment, 2);
	CHECK_EQ_INT(p->device_errors, 3);
	policy_free(p);

	/* a tenant and a model of one name; the last value wins */
	p = good("[tenant digits]\nweight = 3\n"
		 "[model digits]\nmax-batch = 2\nmax-batch = 3\n"
		 "batch-delay = 1s\nbatch-delay = 0\n");
	CHECK_EQ_INT(find(p, "digits")->weight, 3);
	CHECK_EQ_INT(find_model(p, "digits")->max_batch, 3);
	CHECK_EQ_INT(find_model(p, "digits")->batch_delay_ns, 0);
	policy_free(p);

	/* names of 63 bytes, different only at the end: two models */
	p = good("[model "
		 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
		 "WXYZ0123456789_]\n"
		 "[model "
		 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
		 "WXYZ0123456789.]\n"
		 "max-batch = 5\n");
	CHECK_EQ_INT(p->nmodels, 2);
	CHECK_EQ_INT(find_model(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
				   "OPQRSTUVWXYZ0123456789_")
			     ->max_batch,
		     1);
	CHECK_EQ_INT(find_model(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
				   "OPQRSTUVWXYZ0123456789.")
			     ->max_batch,
		     5);
	policy_free(p);

	/* CRLF lines, and unknown-users = refuse (no tenant at all) */
	p = good("[gconvd]\r\nunknown-users = refuse\r\n"
		 "[model a]\r\nmax-batch = 4\r\nbatch-delay = 250ns\r\n");
	CHECK_EQ_INT(p->ntenants, 0);
	CHECK_EQ_INT(find_model(p, "a")->max_batch, 4);
	CHECK_EQ_INT(find_model(p, "a")->batch_delay_ns, 250);
	policy_free(p);

	/* a continuation line is another value of the key (inih's rule) */
	p = good("[model a]\nmax-batch = 2\n    16\n");
	CHECK_EQ_INT(find_model(p, "a")->max_batch, 16);
	policy_free(p);
}

TEST(model_keys)
{
	static const struct {
		const char *value;
		uint64_t ns;
	} delays[] = {
		{ "2ms", 2000000 },	 { "500us", 500000 },
		{ "1s", 1000000000 },	 { "250ns", 250 },
		{ "0", 0 },		 { "0ms", 0 },
		{ "3600s", HOUR_NS },
	};
	static const char *const bad_batch[] = {
		"0",  "65",  "-1",  "+2",  "x",	   "2x",
		"1.5", "",   "4 8", "100", "4294967297",
		"99999999999999999999",
	};
	static const char *const bad_delay[] = {
		"",	  "ms",	    "5",     "2",     "5m",	 "5 ms",
		"2MS",	  "1.5ms",  "-1ms",  "+1ms",  "3601s",   "3600001ms",
		"18446744074s",	    "99999999999999999999ns",	 "fast",
	};
	char text[128], msg[128];
	struct policy *p;
	size_t i;

	p = good("[model a]\nmax-batch = 1\n[model b]\nmax-batch = 64\n"
		 "[model c]\nmax-batch = 007\n");
	CHECK_EQ_INT(find_model(p, "a")->max_batch, 1);
	CHECK_EQ_INT(find_model(p, "b")->max_batch, 64);
	CHECK_EQ_INT(find_model(p, "c")->max_batch, 7);
	policy_free(p);

	for (i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		snprintf(text, sizeof(text), "[model a]\nbatch-delay = %s\n",
			 delays[i].value);
		p = good(text);
		CHECK_EQ_INT(find_model(p, "a")->batch_delay_ns, delays[i].ns);
		/* the one key does not touch the other */
		CHECK_EQ_INT(find_model(p, "a")->max_batch, 1);
		policy_free(p);
	}

	snprintf(msg, sizeof(msg), "max-batch must be an integer from 1 to %d",
		 POLICY_MAX_BATCH);
	check_bad_values("model m", "max-batch", bad_batch,
			 sizeof(bad_batch) / sizeof(bad_batch[0]), msg);
	check_bad_values("model m", "batch-delay", bad_delay,
			 sizeof(bad_delay) / sizeof(bad_delay[0]),
			 "batch-delay must be a time such as 2ms or 500us");

	/* FILE:LINE, after other sections */
	BAD("[gconvd]\nsegment = 4\n[tenant a]\nusers = 1\n[model digits]\n"
	    "max-batch = 8\nbatch-delay = 5\n",
	    "7: batch-delay must be a time such as 2ms or 500us, not '5'");
	BAD("[model a]\nmax-batch = 65\n",
	    "2: max-batch must be an integer from 1 to 64, not '65'");
	/* the first error is the one reported */
	BAD("[model a]\nmax-batch = 0\nbatch-delay = x\n",
	    "2: max-batch must be an integer from 1 to 64, not '0'");
}

TEST(model_section_errors)
{
	/* defined twice: anywhere, right after itself, without keys */
	BAD("[model a]\nmax-batch = 2\n[tenant t]\nusers = 1\n[model b]\n"
	    "[model a]\nmax-batch = 3\n",
	    "6: model 'a' is defined twice");
	BAD("[model a]\nmax-batch = 2\n[model a]\nmax-batch = 3\n",
	    "3: model 'a' is defined twice");
	BAD("[model a]\n[model a]\n", "2: model 'a' is defined twice");
	BAD("[model a]\n[model  a]\n", "2: model 'a' is defined twice");

	/* names */
	BAD("[model a]\nmax-batch = 2\n\n[model b/c]\nmax-batch = 2\n",
	    "4: bad model name 'b/c' (1-63 letters, digits, '-', '_', '.')");
	BAD("[model a b]\n",
	    "1: bad model name 'a b' (1-63 letters, digits, '-', '_', '.')");
	BAD("[model a ]\n",
	    "1: bad model name 'a ' (1-63 letters, digits, '-', '_', '.')");
	BAD("[model ]\n",
	    "1: bad model name '' (1-63 letters, digits, '-', '_', '.')");
	BAD("[model *]\n",
	    "1: bad model name '*' (1-63 letters, digits, '-', '_', '.')");
	BAD("[model "
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-]"
	    "\n",
	    "1: bad model name "
	    "'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-'"
	    " "
	    "(1-63 letters, digits, '-', '_', '.')");

	/* keys */
	BAD("[model digits]\nmax-batch = 2\nbatch = 4\n",
	    "3: unknown key 'batch' in [model digits] (known: max-batch, "
	    "batch-delay)");
	BAD("[tenant t]\n[model m]\nweight = 2\n",
	    "3: unknown key 'weight' in [model m] (known: max-batch, "
	    "batch-delay)");
	BAD("[model m]\n[tenant t]\nmax-batch = 2\n",
	    "3: unknown key 'max-batch' in [tenant t] (known: users, groups, "
	    "models, weight, priority, memory-quota, max-queued, "
	    "max-in-flight)");
	BAD("[model m]\n[gconvd]\nbatch-delay = 2ms\n",
	    "3: unknown key 'batch-delay' in [gconvd] (known: unknown-users, "
	    "admin-group, segment, device-errors, metrics-port)");

	/* keys of a bad section report nothing more */
	BAD("[model a/b]\nmax-batch = 0\nbogus = 1\njunk\n",
	    "1: bad model name 'a/b' (1-63 letters, digits, '-', '_', '.')");
	BAD("[model a]\n[model a]\nmax-batch = 0\n",
	    "2: model 'a' is defined twice");
}

/*
 * At most 4096 [model] sections: the 4097th is the error (one parse only,
 * the duplicate check is quadratic and slow under ASan).
 */
TEST(many_models)
{
	const size_t n = 4097, each = sizeof("[model m0000]\n") - 1;
	char *text = malloc(n * each + 1), *o;
	size_t i;

	CHECK(text);
	for (o = text, i = 0; i < n; i++)
		o += sprintf(o, "[model m%04zu]\n", i);
	BAD(text, "4097: more than 4096 models");
	free(text);
}

TEST(unknown_sections_and_keys)
{
	BAD("# a comment\n[server]\nport = 1\n",
	    "2: unknown section [server] (expected [gconvd], [tenant NAME] "
	    "or [model NAME])");
	/* also without keys */
	BAD("[gconvd]\n[server]\n",
	    "2: unknown section [server] (expected [gconvd], [tenant NAME] "
	    "or [model NAME])");
	BAD("[tenant]\nusers = 1\n",
	    "1: unknown section [tenant] (expected [gconvd], [tenant NAME] "
	    "or [model NAME])");
	BAD("[Tenant a]\n",
	    "1: unknown section [Tenant a] (expected [gconvd], [tenant NAME] "
	    "or [model NAME])");
	BAD("[]\n",
	    "1: unknown section [] (expected [gconvd], [tenant NAME] or "
	    "[model NAME])");
	BAD("[model]\nmax-batch = 2\n",
	    "1: unknown section [model] (expected [gconvd], [tenant NAME] "
	    "or [model NAME])");
	BAD("[Model a]\n",
	    "1: unknown section [Model a] (expected [gconvd], [tenant NAME] "
	    "or [model NAME])");
	BAD("[models a]\n",
	    "1: unknown section [models a] (expected [gconvd], [tenant "
	    "NAME] or [model NAME])");
	BAD("[gconvd]\nunknown-users = refuse\nsocket = /tmp/x\n",
	    "3: unknown key 'socket' in [gconvd] (known: unknown-users, "
	    "admin-group, segment, device-errors, metrics-port)");
	BAD("[tenant ml]\nusers = 1\nuser = 2\n",
	    "3: unknown key 'user' in [tenant ml] (known: users, groups, "
	    "models, weight, priority, memory-quota, max-queued, "
	    "max-in-flight)");
	BAD("weight = 1\n[tenant a]\n", "1: 'weight' before any [section]");
	BAD("# first\n\nusers = 1\n", "3: 'users' before any [section]");
}

TEST(syntax_errors)
{
	BAD("[gconvd]\nunknown-users refuse\n",
	    "2: syntax error (expected [section], key = value or a comment)");
	BAD("[gconvd\nunknown-users = refuse\n",
	    "1: syntax error (expected [section], key = value or a comment)");
	BAD("[tenant a]\nweight = 1\n\n\njunk\n",
	    "5: syntax error (expected [section], key = value or a comment)");
	/* the first error is the one reported */
	BAD("[tenant a]\njunk\nweight = 0\n",
	    "2: syntax error (expected [section], key = value or a comment)");
	BAD("[tenant a]\nweight = 0\njunk\n",
	    "2: weight must be an integer from 1 to 1000000, not '0'");
	BAD("[tenant a]\nweight = 0\npriority = high\n",
	    "2: weight must be an integer from 1 to 1000000, not '0'");
	BAD("[tenant a]\nusers = nobody-gconv-x\n[tenant a]\n",
	    "2: unknown user 'nobody-gconv-x'");
	/* keys of a bad section report nothing more */
	BAD("[bogus]\nweight = 0\njunk\n",
	    "1: unknown section [bogus] (expected [gconvd], [tenant NAME] or "
	    "[model NAME])");
}

/* ---- lines --------------------------------------------------------------- */

TEST(comments)
{
	struct policy *p = good("# comment\n"
				"; comment\n"
				"   # indented comment\n"
				"[gconvd] ; after a section\n"
				"unknown-users = refuse ; inline\n"
				"[tenant a]\n"
				"users = 1001, 1002 ; not 1003\n"
				"#weight = 5\n");
	const struct tenant_policy *t;

	CHECK_EQ_INT(p->unknown, UNKNOWN_REFUSE);
	t = find(p, "a");
	CHECK_EQ_INT(t->nuids, 2);
	policy_free(p);
	BAD("[tenant a]\nweight = 3;4\n",
	    "2: weight must be an integer from 1 to 1000000, not '3;4'");
	/* '#' is a comment only at the start of a line */
	BAD("[tenant a]\nweight = 3 # three\n",
	    "2: weight must be an integer from 1 to 1000000, not '3 # "
	    "three'");
	/* comment and blank lines count */
	BAD("# 1\n\n; 3\n[tenant a]\n\n# 6\nweight = x\n",
	    "7: weight must be an integer from 1 to 1000000, not 'x'");
}

TEST(crlf_lines)
{
	struct policy *p = good("# policy\r\n"
				"[gconvd]\r\n"
				"unknown-users = refuse\r\n"
				"\r\n"
				"[tenant a]\r\n"
				"users = 1001, 1002\r\n"
				"models = digits\r\n"
				"priority = batch\r\n"
				"memory-quota = 64M\r\n");
	const struct tenant_policy *t;

	CHECK_EQ_INT(p->unknown, UNKNOWN_REFUSE);
	t = find(p, "a");
	CHECK_EQ_INT(t->nuids, 2);
	CHECK_EQ_INT(t->uids[1], 1002);
	CHECK(policy_model_allowed(t, "digits"));
	CHECK_EQ_INT(t->priority, PRIO_BATCH);
	CHECK_EQ_INT(t->memory_quota, 64ull << 20);
	policy_free(p);

	BAD("[tenant a]\r\n\r\nweight = 0\r\n",
	    "3: weight must be an integer from 1 to 1000000, not '0'");
	BAD("[tenant a]\r\nusers = 1\r\n[tenant a]\r\n",
	    "3: tenant 'a' is defined twice");
}

TEST(no_final_newline_and_bom)
{
	struct policy *p = good("[tenant a]\nweight = 7");

	CHECK_EQ_INT(find(p, "a")->weight, 7);
	policy_free(p);

	p = good("\xEF\xBB\xBF[tenant a]\nweight = 8\n");
	CHECK_EQ_INT(find(p, "a")->weight, 8);
	policy_free(p);
}

/* An indented line after a key continues the key's value (inih's rule). */
TEST(continuation_lines)
{
	struct policy *p = good("[tenant a]\n"
				"users = 1001,\n"
				"        1002, 1003\n"
				"# comment\n"
				"\t1004\n");

	CHECK_EQ_INT(find(p, "a")->nuids, 4);
	CHECK_EQ_INT(find(p, "a")->uids[3], 1004);
	policy_free(p);
}

static void repeat(char *dst, int c, size_t n)
{
	memset(dst, c, n);
	dst[n] = '\0';
}

TEST(long_lines)
{
	char text[1024], pad[512], msg[128];
	struct policy *p;

	/* 198 bytes (inih's 200-byte buffer, less newline and NUL) are fine */
	repeat(pad, 'x', 198 - 2);
	snprintf(text, sizeof(text), "[tenant a]\n# %s\nweight = 2\n", pad);
	p = good(text);
	CHECK_EQ_INT(find(p, "a")->weight, 2);
	policy_free(p);
	snprintf(text, sizeof(text), "[tenant a]\n# %s\r\nweight = 2\r\n", pad);
	BAD(text, "2: line longer than 198 bytes");

	/* 199 is not, wherever the line is */
	repeat(pad, 'x', 199 - 2);
	snprintf(text, sizeof(text), "[tenant a]\n# %s\nweight = 2\n", pad);
	BAD(text, "2: line longer than 198 bytes");
	snprintf(text, sizeof(text), "[tenant a]\nweight = 2\n\n# %s", pad);
	BAD(text, "4: line longer than 198 bytes");

	/*
	 * A long list must not be cut into a shorter one (or into two
	 * lines, the second read as a continuation or a new key).
	 */
	repeat(pad, ' ', 300);
	snprintf(text, sizeof(text), "[tenant a]\nusers = 1001,%s 1002\n", pad);
	BAD(text, "2: line longer than 198 bytes");
	snprintf(text, sizeof(text), "[gconvd]\n[tenant a]\nmodels = %s\n",
		 pad);
	BAD(text, "3: line longer than 198 bytes");
	repeat(pad, 'x', 400);
	snprintf(msg, sizeof(msg), "1: line longer than 198 bytes");
	snprintf(text, sizeof(text), "# %s\n", pad);
	BAD(text, msg);
}

/* ---- lookup order -------------------------------------------------------- */

TEST(lookup_uid_then_groups)
{
	struct policy *p = good("[tenant by-group]\n"
				"groups = 2000\n"
				"[tenant by-uid]\n"
				"users = 1001\n"
				"[tenant both]\n"
				"users = 1002\n"
				"groups = 2000, 2001\n"
				"[tenant late-uid]\n"
				"users = 1002, 1003\n"
				"[tenant late-group]\n"
				"groups = 2001\n");

	/* a uid listed anywhere beats groups listed earlier */
	CHECK_STR(who(p, 1001, 2000), "by-uid");
	/* the first tenant listing the uid */
	CHECK_STR(who(p, 1002, NOGROUP), "both");
	CHECK_STR(who(p, 1003, 2000), "late-uid");
	/* then the first tenant listing the group */
	CHECK_STR(who(p, NOUSER, 2000), "by-group");
	CHECK_STR(who(p, NOUSER, 2001), "both");
	/* then "default" (unknown-users = default) */
	CHECK_STR(who(p, NOUSER, NOGROUP), "default");
	CHECK_STR(who(p, NOUSER, 2002), "default");
	policy_free(p);
}

TEST(lookup_refuse)
{
	struct policy *p = good("[gconvd]\n"
				"unknown-users = refuse\n"
				"[tenant ml]\n"
				"users = 1001\n"
				"groups = 2000\n"
				"[tenant default]\n"
				"users = 1005\n");

	CHECK_STR(who(p, 1001, NOGROUP), "ml");
	CHECK_STR(who(p, NOUSER, 2000), "ml");
	/* listed in [tenant default]: fine; anyone else: refused */
	CHECK_STR(who(p, 1005, NOGROUP), "default");
	CHECK(policy_lookup(p, NOUSER, NOGROUP) == NULL);
	CHECK(policy_lookup(p, 1002, 2001) == NULL);
	policy_free(p);

	p = good("[gconvd]\nunknown-users = refuse\n");
	CHECK_EQ_INT(p->ntenants, 0);
	CHECK(policy_lookup(p, 0, 0) == NULL);
	CHECK(policy_find(p, "default") == NULL);
	policy_free(p);
}

TEST(lookup_root_by_name)
{
	struct policy *p = good("[tenant admins]\nusers = root\n"
				"[tenant wheel]\ngroups = root\n");

	CHECK_STR(who(p, 0, 0), "admins");
	/* gid 0 as the primary group of someone else */
	CHECK_STR(who(p, NOUSER, 0), "wheel");
	policy_free(p);
}

/* A user with a supplementary group it does not have as primary group. */
static int find_supplementary(uid_t *uid, gid_t *pgid, gid_t *sgid)
{
	struct group *gr;
	struct passwd *pw;
	int found = 0;
	char **m;

	setgrent();
	while (!found && (gr = getgrent()))
		for (m = gr->gr_mem; *m && !found; m++) {
			pw = getpwnam(*m);
			if (pw && pw->pw_gid != gr->gr_gid && pw->pw_uid != 0) {
				*uid = pw->pw_uid;
				*pgid = pw->pw_gid;
				*sgid = gr->gr_gid;
				found = 1;
			}
		}
	endgrent();
	return found;
}

TEST(lookup_supplementary_groups)
{
	char text[256];
	struct policy *p;
	uid_t uid;
	gid_t pgid, sgid;

	if (!find_supplementary(&uid, &pgid, &sgid)) {
		printf("     (no user with a supplementary group: skipped)\n");
		return;
	}
	snprintf(text, sizeof(text),
		 "[gconvd]\nunknown-users = refuse\n"
		 "[tenant other]\ngroups = %u\n"
		 "[tenant supp]\ngroups = %u\n"
		 "[tenant primary]\ngroups = %u\n",
		 (unsigned)NOGROUP, (unsigned)sgid, (unsigned)pgid);
	p = good(text);
	/* the first tenant naming any of its groups, in file order */
	CHECK_STR(who(p, uid, pgid), "supp");
	/* with another gid as the peer's (a setgid process) */
	CHECK_STR(who(p, uid, NOGROUP + 1), "supp");
	/* not for a uid without passwd entry */
	CHECK_STR(who(p, NOUSER, NOGROUP), "other");
	CHECK(policy_lookup(p, NOUSER, NOUSER) == NULL);
	policy_free(p);
}

/* ---- files --------------------------------------------------------------- */

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f))
		FAILF("writing %s failed", path);
}

TEST(load_file)
{
	char dir[] = "/tmp/gconv-policy-XXXXXX", path[64], want[128];
	static const char conf[] = "[gconvd]\nunknown-users = refuse\n"
				   "[tenant a]\nusers = 1001\n";
	static const char bad[] = "[tenant a]\n\nmax-queued = 0\n";
	static const char nul[] = "[tenant a]\0\n";
	struct policy *p = NULL;
	int ret;

	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/gconvd.conf", dir);

	write_file(path, conf, sizeof(conf) - 1);
	CHECK_EQ_INT(policy_load(path, &p, err, sizeof(err)), 0);
	CHECK_EQ_INT(p->unknown, UNKNOWN_REFUSE);
	CHECK_STR(who(p, 1001, 5), "a");
	policy_free(p);
	p = NULL;

	/* errors name the file */
	write_file(path, bad, sizeof(bad) - 1);
	CHECK_EQ_INT(policy_load(path, &p, err, sizeof(err)), -EINVAL);
	CHECK(!p);
	snprintf(want, sizeof(want),
		 "%s:3: max-queued must be an integer from 1 to 1000000, not "
		 "'0'",
		 path);
	CHECK_STR(err, want);

	write_file(path, nul, sizeof(nul) - 1);
	CHECK_EQ_INT(policy_load(path, &p, err, sizeof(err)), -EINVAL);
	CHECK(!p);
	snprintf(want, sizeof(want), "%s: contains a NUL byte", path);
	CHECK_STR(err, want);

	/* empty file: the built-in policy */
	write_file(path, "", 0);
	CHECK_EQ_INT(policy_load(path, &p, err, sizeof(err)), 0);
	CHECK_EQ_INT(p->ntenants, 1);
	CHECK_STR(p->tenants[0].name, "default");
	policy_free(p);
	p = NULL;

	CHECK_EQ_INT(unlink(path), 0);
	ret = policy_load(path, &p, err, sizeof(err));
	CHECK_EQ_INT(ret, -ENOENT);
	CHECK(!p);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	CHECK_STR(err, want);
	CHECK_EQ_INT(rmdir(dir), 0);
}

TEST(load_big_file)
{
	char dir[] = "/tmp/gconv-policy-XXXXXX", path[64], want[128];
	struct policy *p = NULL;
	size_t len = (16u << 20) + 1;
	char *big = malloc(len);

	CHECK(big);
	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/gconvd.conf", dir);
	memset(big, '\n', len);
	memcpy(big, "[tenant a]\n", 11);
	write_file(path, big, len);
	free(big);
	CHECK_EQ_INT(policy_load(path, &p, err, sizeof(err)), -EINVAL);
	CHECK(!p);
	snprintf(want, sizeof(want), "%s: larger than 16 MiB", path);
	CHECK_STR(err, want);
	CHECK_EQ_INT(unlink(path), 0);
	CHECK_EQ_INT(rmdir(dir), 0);
}

/* Replace every @from in the malloc'd string *@s by @to. */
static void replace_all(char **s, const char *from, const char *to)
{
	size_t lf = strlen(from), lt = strlen(to), n = 0;
	char *p, *out, *o;

	for (p = strstr(*s, from); p; p = strstr(p + lf, from))
		n++;
	out = malloc(strlen(*s) + n * lt + 1);
	if (!out)
		FAILF("out of memory");
	for (o = out, p = *s;;) {
		char *q = strstr(p, from);

		if (!q) {
			strcpy(o, p);
			break;
		}
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, to, lt);
		o += lt;
		p = q + lf;
	}
	free(*s);
	*s = out;
}

/* etc/gconvd.conf (installed as /etc/gconv/gconvd.conf) */
#define EXAMPLE "etc/gconvd.conf"

TEST(shipped_example)
{
	const struct tenant_policy *t;
	struct policy *p = NULL;
	char *text, *line;
	long len;
	FILE *f;

	/* as shipped: the built-in policy */
	CHECK_EQ_INT(policy_load(EXAMPLE, &p, err, sizeof(err)), 0);
	CHECK_EQ_INT(p->unknown, UNKNOWN_DEFAULT);
	CHECK_EQ_INT(p->have_admin_gid, 0);
	CHECK_EQ_INT(p->ntenants, 1);
	check_defaults(find(p, "default"));
	CHECK_STR(who(p, NOUSER, NOGROUP), "default");
	/* segment and device-errors, set to their defaults; no [model] */
	check_global_defaults(p);
	policy_free(p);

	/* its examples, enabled, with users and groups every system has */
	f = fopen(EXAMPLE, "r");
	CHECK(f);
	CHECK_EQ_INT(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	CHECK(text);
	CHECK_EQ_INT(fread(text, 1, (size_t)len, f), len);
	fclose(f);
	for (line = text; line; line = strchr(line + 1, '\n')) {
		char *c = line + (*line == '\n');

		if (c[0] == ';' &&
		    (c[1] == '[' || isalpha((unsigned char)c[1])))
			c[0] = ' ';
	}
	replace_all(&text, "\n [", "\n[");
	replace_all(&text, "\n ", "\n");
	replace_all(&text, "www-data", "root");
	replace_all(&text, "groups = ml,", "groups = root,");
	replace_all(&text, "gconv-admin", "0");
	p = NULL;
	if (policy_parse(text, EXAMPLE, &p, err, sizeof(err)))
		FAILF("%s, in:\n%s", err, text);
	free(text);
	CHECK_EQ_INT(p->have_admin_gid, 1);
	CHECK_EQ_INT(p->ntenants, 4);
	t = find(p, "web");
	CHECK_EQ_INT(t->priority, PRIO_REALTIME);
	CHECK(policy_model_allowed(t, "digits"));
	CHECK(!policy_model_allowed(t, "other"));
	CHECK_EQ_INT(t->memory_quota, 1ull << 30);
	CHECK_EQ_INT(find(p, "research")->weight, 3);
	CHECK_EQ_INT(find(p, "nightly")->priority, PRIO_BATCH);
	CHECK_STR(who(p, 0, 0), "web");
	CHECK_STR(who(p, NOUSER, 2000), "research");
	CHECK_STR(who(p, 1501, NOGROUP), "nightly");
	CHECK_EQ_INT(p->nmodels, 1);
	CHECK_EQ_INT(find_model(p, "resnet18")->max_batch, 8);
	CHECK_EQ_INT(find_model(p, "resnet18")->batch_delay_ns, 2000000);
	policy_free(p);
}

TEST(load_file_models)
{
	char dir[] = "/tmp/gconv-policy-XXXXXX", path[64], want[160];
	static const char conf[] = "[gconvd]\nsegment = 0\ndevice-errors = 5\n"
				   "[model digits]\nmax-batch = 16\n"
				   "batch-delay = 3ms\n";
	static const char bad[] = "[model digits]\nmax-batch = 16\n"
				  "[model digits]\n";
	struct policy *p = NULL;

	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/gconvd.conf", dir);

	write_file(path, conf, sizeof(conf) - 1);
	CHECK_EQ_INT(policy_load(path, &p, err, sizeof(err)), 0);
	CHECK_EQ_INT(p->segment, 0);
	CHECK_EQ_INT(p->device_errors, 5);
	CHECK_EQ_INT(find_model(p, "digits")->max_batch, 16);
	CHECK_EQ_INT(find_model(p, "digits")->batch_delay_ns, 3000000);
	policy_free(p);
	p = NULL;

	write_file(path, bad, sizeof(bad) - 1);
	CHECK_EQ_INT(policy_load(path, &p, err, sizeof(err)), -EINVAL);
	CHECK(!p);
	snprintf(want, sizeof(want), "%s:3: model 'digits' is defined twice",
		 path);
	CHECK_STR(err, want);

	CHECK_EQ_INT(unlink(path), 0);
	CHECK_EQ_INT(rmdir(dir), 0);
}

/* ---- memory -------------------------------------------------------------- */

/*
 * Bytes malloc has handed out and not had back: ASan's exact count.  The
 * plain build has none (glibc's mallinfo2() counts freed chunks kept in
 * its per-thread cache as in use): 0, and the checks below only run the
 * paths, for the ASan build (and valgrind) to check.
 */
static size_t heap_in_use(void)
{
#ifdef HAVE_ASAN
	return __sanitizer_get_current_allocated_bytes();
#else
	return 0;
#endif
}

/* What a bad file had allocated before its error: all of it, freed. */
#define ALLOCATED                                                          \
	"[gconvd]\nsegment = 4\ndevice-errors = 9\n"                       \
	"[tenant t]\nusers = 1001, 1002\ngroups = 2000\n"                  \
	"models = digits, resnet18\n"                                       \
	"[model a]\nmax-batch = 4\n"                                       \
	"[model b]\nbatch-delay = 2ms\n"                                   \
	"[tenant u]\nmodels = x, y, z\n"                                   \
	"[model c]\nmax-batch = 2\n"

TEST(bad_policy_frees_everything)
{
	static const char *const bad[] = {
		ALLOCATED "max-batch = 65\n",
		ALLOCATED "batch-delay = 5\n",
		ALLOCATED "batch-delay = 3601s\n",
		ALLOCATED "weight = 1\n",
		ALLOCATED "[model a]\n",
		ALLOCATED "[model a/b]\nmax-batch = 2\n",
		ALLOCATED "[gconvd]\nsegment = -1\n",
		ALLOCATED "[gconvd]\ndevice-errors = 0\n",
		ALLOCATED "[tenant t]\n",
		ALLOCATED "[tenant v]\nmodels = p, q\nweight = 0\n",
		ALLOCATED "[nope]\n",
		ALLOCATED "junk\n",
		ALLOCATED "[model d]\nmax-batch = 2\njunk\n",
	};
	char text[1024], pad[256];
	struct policy *p = NULL;
	size_t before, i, j;

	/* the same, good: policy_free() frees it all */
	p = good(ALLOCATED);
	CHECK_EQ_INT(p->nmodels, 3);
	policy_free(p);
	before = heap_in_use();
	for (j = 0; j < 3; j++)
		policy_free(good(ALLOCATED));
	CHECK_EQ_INT(heap_in_use(), before);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = NULL;
		before = heap_in_use();
		for (j = 0; j < 3; j++) {
			strcpy(err, "(untouched)");
			CHECK_EQ_INT(policy_parse(bad[i], WHAT, &p, err,
						  sizeof(err)),
				     -EINVAL);
			CHECK(!p);
		}
		if (heap_in_use() != before)
			FAILF("%zu bytes left allocated after \"%s\" for:\n%s",
			      heap_in_use() - before, err, bad[i]);
	}

	/* cut short by a line too long */
	repeat(pad, 'x', 220);
	snprintf(text, sizeof(text), ALLOCATED "# %s\n[model e]\n", pad);
	before = heap_in_use();
	BAD(text, "16: line longer than 198 bytes");
	CHECK_EQ_INT(heap_in_use(), before);
}

/* The error buffer: truncated, never overrun, NUL-terminated. */
TEST(small_error_buffer)
{
	struct policy *p = NULL;
	char small[12];

	memset(small, 'z', sizeof(small));
	CHECK_EQ_INT(policy_parse("[x]\n", WHAT, &p, small, 8), -EINVAL);
	CHECK_STR(small, "test.co");
	CHECK_EQ_INT(small[8], 'z');
	CHECK(!p);
}

TEST(free_null)
{
	policy_free(NULL);
}

static const struct test tests[] = {
	T(builtin_policy),
	T(empty_and_comment_only),
	T(tenant_defaults),
	T(empty_tenant_section),
	T(every_key),
	T(unknown_users_values),
	T(admin_group),
	T(priorities),
	T(integer_keys),
	T(segment_and_device_errors),
	T(metrics_port),
	T(parse_size_forms),
	T(memory_quota),
	T(parse_duration_forms),
	T(user_and_group_lists),
	T(models),
	T(tenant_names),
	T(duplicate_tenants),
	T(default_tenant_section),
	T(gconvd_section_twice),
	T(model_sections),
	T(model_keys),
	T(model_section_errors),
	T(many_models),
	T(unknown_sections_and_keys),
	T(syntax_errors),
	T(comments),
	T(crlf_lines),
	T(no_final_newline_and_bom),
	T(continuation_lines),
	T(long_lines),
	T(lookup_uid_then_groups),
	T(lookup_refuse),
	T(lookup_root_by_name),
	T(lookup_supplementary_groups),
	T(load_file),
	T(load_big_file),
	T(shipped_example),
	T(load_file_models),
	T(bad_policy_frees_everything),
	T(small_error_buffer),
	T(free_null),
};

int main(int argc, char **argv)
{
	return HARNESS_MAIN(tests);
}

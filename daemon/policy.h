/* SPDX-License-Identifier: MIT */
/*
 * gconvd's policy: which tenant each user is, and what a tenant may do.
 * The file format (INI, read with inih) is documented in docs/gconvd.md
 * and gconvd.conf(5).
 */
#ifndef GCONVD_POLICY_H
#define GCONVD_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define POLICY_NAME_LEN 64

enum tenant_priority {
	PRIO_BATCH = 0,
	PRIO_NORMAL = 1,
	PRIO_REALTIME = 2,
};

struct tenant_policy {
	char name[POLICY_NAME_LEN];
	uint32_t weight; /* share of device time, >= 1 */
	enum tenant_priority priority;
	uint64_t memory_quota;	/* bytes of device memory; 0: none */
	uint32_t max_queued;	/* requests waiting, >= 1 */
	uint32_t max_in_flight; /* requests running, >= 1 */
	/* allowed model names; all_models: any */
	int all_models;
	char **models;
	size_t nmodels;
	uid_t *uids;
	size_t nuids;
	gid_t *gids;
	size_t ngids;
};

enum unknown_users {
	UNKNOWN_REFUSE = 0,  /* users no tenant names are refused */
	UNKNOWN_DEFAULT = 1, /* ... get the tenant "default" */
};

/* A [model NAME] section: how gconvd batches requests for the model. */
struct model_policy {
	char name[POLICY_NAME_LEN];
	uint32_t max_batch;	 /* requests per job, >= 1 (1: no batching) */
	uint64_t batch_delay_ns; /* the longest a request waits for others */
};

#define POLICY_DEFAULT_SEGMENT	     8
#define POLICY_DEFAULT_DEVICE_ERRORS 3
#define POLICY_DEFAULT_BATCH_DELAY   1000000 /* ns */
#define POLICY_MAX_BATCH	     64

struct policy {
	enum unknown_users unknown;
	gid_t admin_gid; /* admin operations: root or this group */
	int have_admin_gid;
	/* GCONVs per job: the longest a higher priority waits; 0: a chain */
	uint32_t segment;
	/* device errors in a row after which a device is taken out */
	uint32_t device_errors;
	/* a localhost HTTP port serving /metrics (Prometheus); 0: none */
	uint32_t metrics_port;
	struct tenant_policy *tenants;
	size_t ntenants;
	struct model_policy *models;
	size_t nmodels;
};

/*
 * Parse the policy file @path (NULL: the built-in default, one tenant
 * "default" for every user).  Returns 0, or -EINVAL/-ENOENT/-ENOMEM with
 * "PATH:LINE: reason" in @err.
 */
int policy_load(const char *path, struct policy **out, char *err,
		size_t errlen);
/* The same from a string (tests). */
int policy_parse(const char *text, const char *what, struct policy **out,
		 char *err, size_t errlen);
void policy_free(struct policy *p);

/*
 * The tenant of a peer: the first tenant naming @uid, else the first
 * naming one of its groups (@gid and the supplementary groups of @uid),
 * else "default" if unknown users get it; NULL: refused.
 */
const struct tenant_policy *policy_lookup(const struct policy *p, uid_t uid,
					  gid_t gid);
const struct tenant_policy *policy_find(const struct policy *p,
					const char *name);
int policy_model_allowed(const struct tenant_policy *t, const char *model);
/* The [model NAME] section of @name, or NULL (no batching). */
const struct model_policy *policy_model(const struct policy *p,
					const char *name);

/* "64M" -> bytes; 0 or -EINVAL. */
int parse_size(const char *s, uint64_t *out);
/* "2ms", "500us", "1s", "0" -> ns (at most an hour); 0 or -EINVAL. */
int parse_duration(const char *s, uint64_t *out);

#endif /* GCONVD_POLICY_H */

// SPDX-License-Identifier: MIT
/*
 * gconvctl: gconv.ko's side, through its generic netlink family "gconv"
 * (docs/netlink.md, include/uapi/linux/gconv.h) with libnl-genl, and the
 * CDI spec of the devices (from sysfs, through libgconvdev).
 *
 * Every reply is turned into a json-c object by a table of its attribute
 * set: the attributes' names in snake_case, numbers as numbers, enums as
 * their names in the spec ("mmu-fault"), flags as booleans.  Attributes a
 * newer kernel adds are ignored until the tables know them; one of the
 * wrong size is left out rather than misread.
 *
 * Requests ask for extended ACKs, and a refused one shows the kernel's
 * message.  Events are the "events" multicast group of the initial
 * network namespace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>

#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <gconv/device.h>
#include <linux/gconv.h>

#include "gconvctl.h"

#define NL_TIMEOUT_MS 10000 /* for the answer to one request */
#define EVENT_RCVBUF  (1 << 20)
#define MAX_ATTR      32 /* above the highest attribute of every set */
#define ULL(x)	      ((unsigned long long)(x))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CDI_VERSION   "0.6.0"
#define CDI_KIND      "gconv.dev/accel"
#define NOT_LOADED_MSG \
	"gconv.ko is not loaded (no generic netlink family 'gconv')"

_Static_assert(GCONV_A_DEV_MAX < MAX_ATTR && GCONV_A_STATS_MAX < MAX_ATTR &&
		       GCONV_A_CLIENT_MAX < MAX_ATTR &&
		       GCONV_A_EVENT_MAX < MAX_ATTR,
	       "MAX_ATTR");

/* ------------------------------------------------------------------------
 * Attribute sets
 */

enum kind {
	K_U32,
	K_S32,
	K_U64,
	K_HEX32, /* a u32, hexadecimal in human output */
	K_HEX64, /* a u64, hexadecimal in human output */
	K_FLAG,	 /* a u8: false or true */
	K_STR,
	K_EVENT_TYPE,	/* u32: enum gconv_event_type */
	K_RESET_REASON, /* u32: enum gconv_reset_reason */
	K_JOB_STATUS,	/* u32: enum drm_gconv_job_status */
};

struct attr_desc {
	int attr;
	const char *name; /* in JSON (and in human event lines) */
	enum kind kind;
};

struct attr_set {
	const struct attr_desc *descs;
	unsigned int n;
	int max;
};

static const struct attr_desc dev_descs[] = {
	{ GCONV_A_DEV_INDEX, "index", K_U32 },
	{ GCONV_A_DEV_NAME, "name", K_STR },
	{ GCONV_A_DEV_PCI_SLOT, "pci_slot", K_STR },
	{ GCONV_A_DEV_HW_VERSION, "hw_version", K_U32 },
	{ GCONV_A_DEV_ISA_VERSION, "isa_version", K_U32 },
	{ GCONV_A_DEV_NUM_QUEUES, "num_queues", K_U32 },
	{ GCONV_A_DEV_NUM_CONTEXTS, "num_contexts", K_U32 },
	{ GCONV_A_DEV_CLOCK_KHZ, "clock_khz", K_U32 },
	{ GCONV_A_DEV_CLIENTS, "clients", K_U32 },
};

/* dev-index is left out: the device's object has its index already */
static const struct attr_desc stats_descs[] = {
	{ GCONV_A_STATS_JOBS_SUBMITTED, "jobs_submitted", K_U64 },
	{ GCONV_A_STATS_JOBS_COMPLETED, "jobs_completed", K_U64 },
	{ GCONV_A_STATS_JOBS_FAILED, "jobs_failed", K_U64 },
	{ GCONV_A_STATS_MMU_FAULTS, "mmu_faults", K_U64 },
	{ GCONV_A_STATS_JOB_FAULTS, "job_faults", K_U64 },
	{ GCONV_A_STATS_HANGS, "hangs", K_U64 },
	{ GCONV_A_STATS_RESETS, "resets", K_U64 },
	{ GCONV_A_STATS_BANS, "bans", K_U64 },
	{ GCONV_A_STATS_BUSY_NS, "busy_ns", K_U64 },
	{ GCONV_A_STATS_MODELED_CYCLES, "modeled_cycles", K_U64 },
	{ GCONV_A_STATS_GCONVS, "gconvs", K_U64 },
	{ GCONV_A_STATS_MACS, "macs", K_U64 },
	{ GCONV_A_STATS_BYTES_READ, "bytes_read", K_U64 },
	{ GCONV_A_STATS_BYTES_WRITTEN, "bytes_written", K_U64 },
	{ GCONV_A_STATS_EVENTS_DROPPED, "events_dropped", K_U64 },
};

static const struct attr_desc client_descs[] = {
	{ GCONV_A_CLIENT_DEV_INDEX, "dev_index", K_U32 },
	{ GCONV_A_CLIENT_ID, "id", K_U64 },
	{ GCONV_A_CLIENT_PID, "pid", K_U32 },
	{ GCONV_A_CLIENT_COMM, "comm", K_STR },
	{ GCONV_A_CLIENT_CONTEXT, "context", K_S32 },
	{ GCONV_A_CLIENT_JOBS_SUBMITTED, "jobs_submitted", K_U64 },
	{ GCONV_A_CLIENT_JOBS_COMPLETED, "jobs_completed", K_U64 },
	{ GCONV_A_CLIENT_JOBS_FAILED, "jobs_failed", K_U64 },
	{ GCONV_A_CLIENT_BO_COUNT, "bo_count", K_U32 },
	{ GCONV_A_CLIENT_MEM_BYTES, "mem_bytes", K_U64 },
	{ GCONV_A_CLIENT_FAULTS, "faults", K_U32 },
	{ GCONV_A_CLIENT_BANNED, "banned", K_FLAG },
};

static const struct attr_desc event_descs[] = {
	{ GCONV_A_EVENT_TYPE, "type", K_EVENT_TYPE },
	{ GCONV_A_EVENT_DEV_INDEX, "dev_index", K_U32 },
	{ GCONV_A_EVENT_PID, "pid", K_U32 },
	{ GCONV_A_EVENT_COMM, "comm", K_STR },
	{ GCONV_A_EVENT_CLIENT_ID, "client_id", K_U64 },
	{ GCONV_A_EVENT_CONTEXT, "context", K_S32 },
	{ GCONV_A_EVENT_QUEUE, "queue", K_U32 },
	{ GCONV_A_EVENT_SEQNO, "seqno", K_U64 },
	{ GCONV_A_EVENT_STATUS, "status", K_JOB_STATUS },
	{ GCONV_A_EVENT_INFO, "info", K_HEX32 },
	{ GCONV_A_EVENT_FAULT_ADDR, "fault_addr", K_HEX64 },
	{ GCONV_A_EVENT_FAULT_WRITE, "fault_write", K_FLAG },
	{ GCONV_A_EVENT_RESET_REASON, "reset_reason", K_RESET_REASON },
	{ GCONV_A_EVENT_JOBS_ABORTED, "jobs_aborted", K_U32 },
	{ GCONV_A_EVENT_JOBS_REQUEUED, "jobs_requeued", K_U32 },
};

#define SET(d, m)                   \
	{                           \
		d, ARRAY_SIZE(d), m \
	}
static const struct attr_set set_dev = SET(dev_descs, GCONV_A_DEV_MAX);
static const struct attr_set set_stats = SET(stats_descs, GCONV_A_STATS_MAX);
static const struct attr_set set_client = SET(client_descs, GCONV_A_CLIENT_MAX);
static const struct attr_set set_event = SET(event_descs, GCONV_A_EVENT_MAX);
#undef SET

/* the spec's names of enum values (docs/netlink/gconv.yaml) */
static const char *const event_types[] = {
	[GCONV_EVENT_TYPE_JOB_FAULT] = "job-fault",
	[GCONV_EVENT_TYPE_MMU_FAULT] = "mmu-fault",
	[GCONV_EVENT_TYPE_HANG] = "hang",
	[GCONV_EVENT_TYPE_RESET] = "reset",
	[GCONV_EVENT_TYPE_BAN] = "ban",
};
static const char *const reset_reasons[] = {
	[GCONV_RESET_REASON_HANG] = "hang",
	[GCONV_RESET_REASON_NETLINK] = "netlink",
	[GCONV_RESET_REASON_DEBUGFS] = "debugfs",
};
/* enum drm_gconv_job_status (gconv_accel.h), as gconv_job_status values */
static const char *const job_statuses[] = {
	[GCONV_JOB_OK] = "ok",
	[GCONV_JOB_INVALID] = "invalid",
	[GCONV_JOB_MMU_FAULT] = "mmu-fault",
	[GCONV_JOB_DMA_ERROR] = "dma-error",
	[GCONV_JOB_TIMEOUT] = "timeout",
	[GCONV_JOB_ABORTED] = "aborted",
	[GCONV_JOB_ERROR] = "error",
	[GCONV_JOB_BAD_COMPLETION] = "bad-completion",
	[GCONV_JOB_BANNED] = "banned",
};

/* A name, or the number if the table does not know it. */
static json_object *enum_json(uint32_t v, const char *const *names, size_t n)
{
	if (v < n && names[v])
		return json_object_new_string(names[v]);
	return json_object_new_int64(v);
}

/* @a as @kind, or NULL if it is not of that type's size. */
static json_object *attr_json(const struct nlattr *a, enum kind kind)
{
	int len = nla_len(a);
	const char *s;

	switch (kind) {
	case K_U32:
	case K_HEX32:
		return len == 4 ? json_object_new_int64(nla_get_u32(a)) : NULL;
	case K_S32:
		return len == 4 ? json_object_new_int((int32_t)nla_get_u32(a))
				: NULL;
	case K_U64:
	case K_HEX64:
		return len == 8 ? json_object_new_uint64(nla_get_u64(a)) : NULL;
	case K_FLAG:
		return len == 1 ? json_object_new_boolean(nla_get_u8(a) != 0)
				: NULL;
	case K_STR:
		s = nla_data(a);
		return len > 0 && !s[len - 1] ? json_object_new_string(s)
					      : NULL;
	case K_EVENT_TYPE:
		return len == 4 ? enum_json(nla_get_u32(a), event_types,
					    ARRAY_SIZE(event_types))
				: NULL;
	case K_RESET_REASON:
		return len == 4 ? enum_json(nla_get_u32(a), reset_reasons,
					    ARRAY_SIZE(reset_reasons))
				: NULL;
	case K_JOB_STATUS:
		return len == 4 ? enum_json(nla_get_u32(a), job_statuses,
					    ARRAY_SIZE(job_statuses))
				: NULL;
	}
	return NULL;
}

/*
 * Add the attributes of @set in the generic netlink message @msg to @o
 * (a new object if NULL).  Returns @o, or NULL if @msg does not parse or
 * memory ran out.
 */
static json_object *msg_json(struct nl_msg *msg, const struct attr_set *set,
			     json_object *o)
{
	struct nlattr *tb[MAX_ATTR + 1];
	json_object *own = NULL;
	unsigned int i;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, set->max, NULL))
		return NULL;
	if (!o)
		o = own = json_object_new_object();
	if (!o)
		return NULL;
	for (i = 0; i < set->n; i++) {
		const struct attr_desc *d = &set->descs[i];
		json_object *v;

		if (!tb[d->attr])
			continue;
		v = attr_json(tb[d->attr], d->kind);
		if (v && json_object_object_add(o, d->name, v)) {
			json_object_put(v);
			json_object_put(own);
			return NULL;
		}
	}
	return o;
}

/* ------------------------------------------------------------------------
 * Getters for human output: NULL (a "-" cell) if the key is missing
 */

static bool get_u64(json_object *o, const char *key, unsigned long long *v)
{
	json_object *x;

	if (!json_object_object_get_ex(o, key, &x) ||
	    (!json_object_is_type(x, json_type_int) &&
	     !json_object_is_type(x, json_type_boolean)))
		return false;
	if (json_object_is_type(x, json_type_boolean))
		*v = json_object_get_boolean(x) ? 1 : 0;
	else
		*v = json_object_get_uint64(x);
	return true;
}

static const char *cell_u64(struct table *t, json_object *o, const char *key)
{
	unsigned long long v;

	return get_u64(o, key, &v) ? table_fmt(t, "%llu", v) : NULL;
}

static const char *cell_str(json_object *o, const char *key)
{
	json_object *x;

	if (!json_object_object_get_ex(o, key, &x))
		return NULL;
	return json_object_get_string(x);
}

/* "1.0" for major << 16 | minor */
static const char *cell_version(struct table *t, json_object *o,
				const char *key)
{
	unsigned long long v;

	if (!get_u64(o, key, &v))
		return NULL;
	return table_fmt(t, "%llu.%llu", v >> 16, v & 0xffff);
}

/* ------------------------------------------------------------------------
 * Requests: one socket, extended ACKs, the replies collected as JSON
 */

struct gnl {
	struct nl_sock *sk;
	struct nl_cb *cb;
	int family;
};

struct reply {
	const struct attr_set *set;
	json_object *recs; /* array of the replies' objects */
	int done;
	int err;       /* 0 or a -errno: the kernel's, or ours if local */
	bool local;    /* err is ours (no answer, a bad one): msg says why */
	char msg[256]; /* the kernel's extended ACK message, or ours */
	int bad;       /* replies that did not parse */
};

static void gnl_close(struct gnl *nl)
{
	if (nl->cb)
		nl_cb_put(nl->cb);
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->cb = NULL;
	nl->sk = NULL;
}

/*
 * A socket to the family: CTL_OK, or an exit code with the reason
 * printed (CTL_UNAVAILABLE when there is no such family).
 */
static int gnl_open(struct gnl *nl)
{
	int one = 1, r;

	memset(nl, 0, sizeof(*nl));
	nl->sk = nl_socket_alloc();
	nl->cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!nl->sk || !nl->cb) {
		gnl_close(nl);
		return ctl_error(CTL_FAILED, "out of memory");
	}
	r = genl_connect(nl->sk);
	if (r) {
		gnl_close(nl);
		return ctl_error(CTL_FAILED,
				 "cannot open a generic netlink socket: %s",
				 nl_geterror(r));
	}
	/* the kernel's messages with errors, without the echoed request */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		   sizeof(one));
	nl->family = genl_ctrl_resolve(nl->sk, GCONV_FAMILY_NAME);
	if (nl->family < 0) {
		r = nl->family;
		gnl_close(nl);
		if (r == -NLE_OBJ_NOTFOUND)
			return ctl_error(CTL_UNAVAILABLE, NOT_LOADED_MSG);
		return ctl_error(
			CTL_FAILED,
			"looking up the generic netlink family '%s': %s",
			GCONV_FAMILY_NAME, nl_geterror(r));
	}
	return CTL_OK;
}

/* The TLVs after the error code (and the echoed request) of an ACK. */
static void parse_extack(const struct nlmsghdr *h, size_t payload,
			 struct reply *r)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(payload);

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) || off >= h->nlmsg_len)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)h + off),
		      (int)(h->nlmsg_len - off), NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(r->msg, tb[NLMSGERR_ATTR_MSG], sizeof(r->msg));
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct reply *r = arg;
	json_object *o = msg_json(msg, r->set, NULL);

	if (!o || json_object_array_add(r->recs, o)) {
		json_object_put(o);
		r->bad++;
	}
	return NL_OK;
}

/* NLMSG_DONE: the end of a dump, with its error code */
static int on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct reply *r = arg;
	int e = 0;

	if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
		memcpy(&e, nlmsg_data(h), sizeof(e));
	if (e < 0) {
		r->err = e;
		parse_extack(h, sizeof(int), r);
	}
	r->done = 1;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct reply *r = arg;

	(void)msg;
	r->done = 1;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	/* libnl hands over the payload of the NLMSG_ERROR message */
	const struct nlmsghdr *h =
		(const struct nlmsghdr *)((const char *)e - NLMSG_HDRLEN);
	struct reply *r = arg;
	size_t payload = sizeof(*e);

	(void)nla;
	if (!(h->nlmsg_flags & NLM_F_CAPPED) &&
	    e->msg.nlmsg_len >= NLMSG_HDRLEN)
		payload += e->msg.nlmsg_len - NLMSG_HDRLEN;
	r->err = e->error;
	parse_extack(h, payload, r);
	r->done = 1;
	return NL_STOP;
}

/*
 * Send @cmd (a dump if @dump) with the u32 attribute @attr = @val unless
 * @attr is 0, and collect the replies, parsed with @set, in r->recs.
 * Returns 0 or a negative errno: the kernel's (its message, if any, in
 * r->msg), or ours (r->local: -ETIMEDOUT, -EIO, -ENOMEM, -EBADMSG) with
 * the reason in r->msg.
 */
static int request(struct gnl *nl, uint8_t cmd, bool dump, int attr,
		   uint32_t val, const struct attr_set *set, struct reply *r)
{
	struct nl_msg *m;
	int rc;

	memset(r, 0, sizeof(*r));
	r->set = set;
	r->recs = json_object_new_array();
	m = nlmsg_alloc();
	if (!r->recs || !m ||
	    !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 dump ? NLM_F_DUMP : 0, cmd, GCONV_FAMILY_VERSION) ||
	    (attr && nla_put_u32(m, attr, val))) {
		nlmsg_free(m);
		snprintf(r->msg, sizeof(r->msg), "out of memory");
		r->local = true;
		return r->err = -ENOMEM;
	}
	nl_cb_set(nl->cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, r);
	nl_cb_set(nl->cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, r);
	nl_cb_set(nl->cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, r);
	nl_cb_err(nl->cb, NL_CB_CUSTOM, on_error, r);
	rc = nl_send_auto(nl->sk, m);
	nlmsg_free(m);
	if (rc < 0) {
		snprintf(r->msg, sizeof(r->msg), "sending the request: %s",
			 nl_geterror(rc));
		r->local = true;
		return r->err = -EIO;
	}
	while (!r->done) {
		struct pollfd p = { .fd = nl_socket_get_fd(nl->sk),
				    .events = POLLIN };

		rc = poll(&p, 1, NL_TIMEOUT_MS);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			snprintf(r->msg, sizeof(r->msg),
				 "no answer from gconv.ko within %d s",
				 NL_TIMEOUT_MS / 1000);
			r->local = true;
			return r->err = -ETIMEDOUT;
		}
		rc = nl_recvmsgs(nl->sk, nl->cb);
		if (rc < 0 && !r->done) {
			snprintf(r->msg, sizeof(r->msg),
				 "receiving the answer: %s", nl_geterror(rc));
			r->local = true;
			return r->err = -EIO;
		}
	}
	if (!r->err && r->bad) {
		snprintf(r->msg, sizeof(r->msg),
			 "%d answer(s) from gconv.ko did not parse", r->bad);
		r->local = true;
		return r->err = -EBADMSG;
	}
	return r->err;
}

static void reply_free(struct reply *r)
{
	json_object_put(r->recs);
	r->recs = NULL;
}

/* "No such device (kernel: no gconv device accel7)" */
static const char *reply_error(const struct reply *r, char *buf, size_t len)
{
	if (r->local)
		snprintf(buf, len, "%s", r->msg);
	else if (r->msg[0])
		snprintf(buf, len, "%s (kernel: %s)", strerror(-r->err),
			 r->msg);
	else
		snprintf(buf, len, "%s", strerror(-r->err));
	return buf;
}

/* ------------------------------------------------------------------------
 * Devices
 */

/* DEVICE: "N", "accelN", "/dev/accel/accelN" or another accel node. */
static int parse_device(const char *s, unsigned int *index)
{
	const char *p = s;
	unsigned long v;
	struct stat st;
	char *end;

	if (!strncmp(p, "/dev/accel/", 11))
		p += 11;
	if (!strncmp(p, "accel", 5))
		p += 5;
	if (*p >= '0' && *p <= '9') {
		errno = 0;
		v = strtoul(p, &end, 10);
		if (!*end && !errno && v <= UINT32_MAX) {
			*index = (unsigned int)v;
			return 0;
		}
	}
	/* a node under another name (a symlink): its minor is the index */
	if (s[0] == '/' && !stat(s, &st) && S_ISCHR(st.st_mode)) {
		*index = minor(st.st_rdev);
		return 0;
	}
	return -EINVAL;
}

/* STATS_GET of the device @dev (an object with "index") into @dev. */
static int add_stats(struct gnl *nl, json_object *dev)
{
	unsigned long long index;
	struct reply r;
	char why[384];
	int rc;

	if (!get_u64(dev, "index", &index))
		return CTL_OK;
	rc = request(nl, GCONV_CMD_STATS_GET, false, GCONV_A_STATS_DEV_INDEX,
		     (uint32_t)index, &set_stats, &r);
	if (rc == -ENODEV) { /* gone since the dump: its counters with it */
		reply_free(&r);
		return CTL_OK;
	}
	if (rc) {
		ctl_error(CTL_FAILED, "STATS_GET of accel%llu: %s", index,
			  reply_error(&r, why, sizeof(why)));
		reply_free(&r);
		return CTL_FAILED;
	}
	if (json_object_array_length(r.recs) > 0) {
		json_object_object_foreach(json_object_array_get_idx(r.recs, 0),
					   key, val)
		{
			json_object_object_add(dev, key, json_object_get(val));
		}
	}
	reply_free(&r);
	return CTL_OK;
}

json_object *kernel_devices(int *code)
{
	struct reply r;
	struct gnl nl;
	char why[384];
	size_t i;
	int rc;

	rc = gnl_open(&nl);
	if (rc) {
		*code = rc;
		return NULL;
	}
	if (request(&nl, GCONV_CMD_DEV_GET, true, 0, 0, &set_dev, &r)) {
		*code = ctl_error(CTL_FAILED, "DEV_GET: %s",
				  reply_error(&r, why, sizeof(why)));
		reply_free(&r);
		gnl_close(&nl);
		return NULL;
	}
	for (i = 0; i < json_object_array_length(r.recs); i++) {
		rc = add_stats(&nl, json_object_array_get_idx(r.recs, i));
		if (rc) {
			*code = rc;
			reply_free(&r);
			gnl_close(&nl);
			return NULL;
		}
	}
	gnl_close(&nl);
	*code = CTL_OK;
	return r.recs;
}

json_object *kernel_clients(int *code)
{
	struct reply r;
	struct gnl nl;
	char why[384];
	int rc;

	rc = gnl_open(&nl);
	if (rc) {
		*code = rc;
		return NULL;
	}
	if (request(&nl, GCONV_CMD_CLIENT_GET, true, 0, 0, &set_client, &r)) {
		*code = ctl_error(CTL_FAILED, "CLIENT_GET: %s",
				  reply_error(&r, why, sizeof(why)));
		reply_free(&r);
		gnl_close(&nl);
		return NULL;
	}
	gnl_close(&nl);
	*code = CTL_OK;
	return r.recs;
}

static void devices_table(struct ctl *ctl, json_object *devs)
{
	static const char *const headers[] = {
		"INDEX",  "NAME",     "PCI",	 "HW",	 "ISA",
		"QUEUES", "CONTEXTS", "CLIENTS", "JOBS", "FAILED",
		"HANGS",  "RESETS",   "BUSY",
	};
	struct table *t = table_new(ARRAY_SIZE(headers), headers);
	size_t i;

	if (!t) {
		ctl_error(CTL_FAILED, "out of memory");
		return;
	}
	for (i = 0; i < json_object_array_length(devs); i++) {
		json_object *d = json_object_array_get_idx(devs, i);
		unsigned long long busy;
		const char *cells[] = {
			cell_u64(t, d, "index"),
			cell_str(d, "name"),
			cell_str(d, "pci_slot"),
			cell_version(t, d, "hw_version"),
			cell_version(t, d, "isa_version"),
			cell_u64(t, d, "num_queues"),
			cell_u64(t, d, "num_contexts"),
			cell_u64(t, d, "clients"),
			cell_u64(t, d, "jobs_submitted"),
			cell_u64(t, d, "jobs_failed"),
			cell_u64(t, d, "hangs"),
			cell_u64(t, d, "resets"),
			get_u64(d, "busy_ns", &busy) ? table_ns(t, busy) : NULL,
		};

		table_row(t, cells);
	}
	table_print(ctl, t);
	table_free(t);
}

int cmd_devices(struct ctl *ctl, int argc, char **argv)
{
	unsigned int want = 0;
	bool one = false;
	json_object *devs, *sel;
	size_t i;
	int code, a = 1;

	if (a < argc && !strcmp(argv[a], "--"))
		a++;
	if (a < argc) {
		if (argv[a][0] == '-' && a == 1)
			return ctl_error(CTL_USAGE,
					 "devices: unknown option '%s'",
					 argv[a]);
		if (parse_device(argv[a], &want))
			return ctl_error(CTL_USAGE,
					 "devices: '%s' is not a device (N, "
					 "accelN or /dev/accel/accelN)",
					 argv[a]);
		one = true;
		a++;
	}
	if (a < argc)
		return ctl_error(CTL_USAGE, "devices: unexpected argument '%s'",
				 argv[a]);
	devs = kernel_devices(&code);
	if (!devs)
		return code;
	sel = devs;
	if (one) {
		sel = json_object_new_array();
		for (i = 0; sel && i < json_object_array_length(devs); i++) {
			json_object *d = json_object_array_get_idx(devs, i);
			unsigned long long index;

			if (get_u64(d, "index", &index) && index == want)
				json_object_array_add(sel, json_object_get(d));
		}
		json_object_put(devs);
		if (!sel)
			return ctl_error(CTL_FAILED, "out of memory");
		if (!json_object_array_length(sel)) {
			json_object_put(sel);
			return ctl_error(CTL_NOT_FOUND,
					 "no gconv device accel%u", want);
		}
	}
	if (ctl->json)
		out_json(ctl, sel);
	else
		devices_table(ctl, sel);
	json_object_put(sel);
	return CTL_OK;
}

/* ------------------------------------------------------------------------
 * reset
 */

int cmd_reset(struct ctl *ctl, int argc, char **argv)
{
	unsigned int index;
	struct reply r;
	struct gnl nl;
	char why[384];
	int a = 1, rc;

	(void)ctl;
	if (a < argc && !strcmp(argv[a], "--"))
		a++;
	else if (a < argc && argv[a][0] == '-')
		return ctl_error(CTL_USAGE, "reset: unknown option '%s'",
				 argv[a]);
	if (a >= argc)
		return ctl_error(CTL_USAGE, "reset needs a DEVICE");
	if (a + 1 < argc)
		return ctl_error(CTL_USAGE, "reset: unexpected argument '%s'",
				 argv[a + 1]);
	if (parse_device(argv[a], &index))
		return ctl_error(CTL_USAGE,
				 "reset: '%s' is not a device (N, accelN or "
				 "/dev/accel/accelN)",
				 argv[a]);
	rc = gnl_open(&nl);
	if (rc)
		return rc;
	rc = request(&nl, GCONV_CMD_RESET, false, GCONV_A_DEV_INDEX, index,
		     &set_dev, &r);
	gnl_close(&nl);
	reply_error(&r, why, sizeof(why));
	reply_free(&r);
	switch (rc) {
	case 0:
		return CTL_OK;
	case -EPERM:
	case -EACCES:
		/* the genetlink core's CAP_NET_ADMIN check says nothing */
		if (!r.msg[0])
			return ctl_error(
				CTL_DENIED,
				"reset of accel%u: %s (it needs CAP_NET_ADMIN "
				"and CAP_SYS_ADMIN: run it as root)",
				index, why);
		return ctl_error(CTL_DENIED, "reset of accel%u: %s", index,
				 why);
	case -ENODEV:
		return ctl_error(CTL_NOT_FOUND, "reset of accel%u: %s", index,
				 why);
	default:
		return ctl_error(CTL_FAILED, "reset of accel%u failed: %s",
				 index, why);
	}
}

/* ------------------------------------------------------------------------
 * events
 */

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

struct events {
	struct ctl *ctl;
	unsigned long long count; /* printed */
	int bad;		  /* messages that did not parse */
};

/* "2025-01-31T12:00:00.123Z" (JSON) or "2025-01-31 13:00:00.123" */
static void timestamp(char *buf, size_t len, bool utc)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (utc)
		gmtime_r(&ts.tv_sec, &tm);
	else
		localtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, utc ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S",
		     &tm);
	snprintf(buf + n, len - n, ".%03ld%s", ts.tv_nsec / 1000000,
		 utc ? "Z" : "");
}

/* One line: time, device, type, then every other attribute as key=value. */
static void event_human(FILE *f, json_object *ev)
{
	unsigned long long dev;
	char when[40];
	unsigned int i;

	timestamp(when, sizeof(when), false);
	fprintf(f, "%s", when);
	if (get_u64(ev, "dev_index", &dev))
		fprintf(f, " accel%llu", dev);
	else
		fprintf(f, " -");
	fprintf(f, " %s", cell_str(ev, "type") ? cell_str(ev, "type") : "-");
	for (i = 0; i < ARRAY_SIZE(event_descs); i++) {
		const struct attr_desc *d = &event_descs[i];
		unsigned long long v;
		json_object *x;
		const char *s;

		if (d->attr == GCONV_A_EVENT_TYPE ||
		    d->attr == GCONV_A_EVENT_DEV_INDEX ||
		    !json_object_object_get_ex(ev, d->name, &x))
			continue;
		if ((d->kind == K_HEX32 || d->kind == K_HEX64) &&
		    get_u64(ev, d->name, &v)) {
			fprintf(f, " %s=%#llx", d->name, v);
			continue;
		}
		if (d->kind == K_FLAG) {
			fprintf(f, " %s=%s", d->name,
				json_object_get_boolean(x) ? "yes" : "no");
			continue;
		}
		s = json_object_get_string(x);
		if (d->kind == K_STR && strpbrk(s, " \t\"="))
			fprintf(f, " %s=\"%s\"", d->name, s);
		else
			fprintf(f, " %s=%s", d->name, s);
	}
	fputc('\n', f);
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct events *e = arg;
	json_object *o, *ev;
	char when[40];

	if (!genlmsg_valid_hdr(nlmsg_hdr(msg), 0) ||
	    gh->cmd != GCONV_CMD_EVENT_NTF)
		return NL_SKIP;
	o = json_object_new_object();
	if (!o)
		return NL_SKIP;
	timestamp(when, sizeof(when), true);
	json_object_object_add(o, "time", json_object_new_string(when));
	ev = msg_json(msg, &set_event, o);
	if (!ev) {
		json_object_put(o);
		e->bad++;
		return NL_SKIP;
	}
	if (e->ctl->json)
		fprintf(e->ctl->out, "%s\n",
			json_object_to_json_string_ext(
				ev, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		event_human(e->ctl->out, ev);
	fflush(e->ctl->out);
	json_object_put(ev);
	e->count++;
	return NL_OK;
}

static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

/* --timeout SECONDS: a positive number */
static int parse_seconds(const char *s, double *v)
{
	char *end;

	if (!s)
		return ctl_error(CTL_USAGE, "events: --timeout needs SECONDS");
	errno = 0;
	*v = strtod(s, &end);
	if (end == s || *end || errno || !(*v > 0) || *v > 1e9)
		return ctl_error(CTL_USAGE,
				 "events: --timeout wants a positive number of "
				 "seconds, not '%s'",
				 s);
	return CTL_OK;
}

/* --count N: a positive whole number */
static int parse_count(const char *s, unsigned long long *v)
{
	char *end;

	if (!s)
		return ctl_error(CTL_USAGE, "events: --count needs N");
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (end == s || *end || errno || !*v || *s == '-')
		return ctl_error(CTL_USAGE,
				 "events: --count wants a positive whole "
				 "number, not '%s'",
				 s);
	return CTL_OK;
}

int cmd_events(struct ctl *ctl, int argc, char **argv)
{
	struct events e = { .ctl = ctl };
	unsigned long long count = 0;
	struct timespec t0, now;
	bool follow = false;
	struct sigaction sa;
	sigset_t block, old;
	double timeout = 0;
	struct gnl nl;
	int a, grp, rc;

	for (a = 1; a < argc; a++) {
		const char *arg = argv[a], *eq = strchr(arg, '=');
		bool is_timeout = !strncmp(arg, "--timeout", 9) &&
				  (!arg[9] || arg[9] == '=');
		bool is_count = !strncmp(arg, "--count", 7) &&
				(!arg[7] || arg[7] == '=');
		const char *val;

		if (!strcmp(arg, "--follow") || !strcmp(arg, "-f")) {
			follow = true;
			continue;
		}
		if (!is_timeout && !is_count)
			return ctl_error(CTL_USAGE, "events: unknown %s '%s'",
					 arg[0] == '-' ? "option" : "argument",
					 arg);
		val = eq ? eq + 1 : (a + 1 < argc ? argv[++a] : NULL);
		rc = is_timeout ? parse_seconds(val, &timeout)
				: parse_count(val, &count);
		if (rc)
			return rc;
	}
	if (!follow && !timeout && !count)
		return ctl_error(CTL_USAGE,
				 "events needs --follow, --timeout SECONDS or "
				 "--count N: it prints events as they happen, "
				 "and gconv.ko keeps no history");

	rc = gnl_open(&nl);
	if (rc)
		return rc;
	grp = genl_ctrl_resolve_grp(nl.sk, GCONV_FAMILY_NAME,
				    GCONV_MCGRP_EVENTS);
	if (grp < 0) {
		gnl_close(&nl);
		return ctl_error(grp == -NLE_OBJ_NOTFOUND ? CTL_UNAVAILABLE
							  : CTL_FAILED,
				 "the multicast group '%s' of '%s': %s",
				 GCONV_MCGRP_EVENTS, GCONV_FAMILY_NAME,
				 nl_geterror(grp));
	}
	nl_cb_set(nl.cb, NL_CB_VALID, NL_CB_CUSTOM, on_event, &e);
	nl_cb_set(nl.cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	nl_socket_set_buffer_size(nl.sk, EVENT_RCVBUF, 0);
	nl_socket_set_nonblocking(nl.sk);
	rc = nl_socket_add_membership(nl.sk, grp);
	if (rc) {
		gnl_close(&nl);
		return ctl_error(CTL_FAILED, "joining the group '%s': %s",
				 GCONV_MCGRP_EVENTS, nl_geterror(rc));
	}

	/* SIGINT and SIGTERM only ever arrive inside ppoll() */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = CTL_OK;
	while (!g_stop && (!count || e.count < count)) {
		struct pollfd p = { .fd = nl_socket_get_fd(nl.sk),
				    .events = POLLIN };
		struct timespec left, *tmo = NULL;
		int n;

		if (timeout) {
			double l;

			clock_gettime(CLOCK_MONOTONIC, &now);
			l = timeout - (double)(now.tv_sec - t0.tv_sec) -
			    (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
			if (l <= 0)
				break;
			left.tv_sec = (time_t)l;
			left.tv_nsec = (long)((l - (double)left.tv_sec) * 1e9);
			tmo = &left;
		}
		n = ppoll(&p, 1, tmo, &old);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ctl_error(CTL_FAILED, "waiting for events: %s",
				       strerror(errno));
			break;
		}
		if (!n)
			continue;
		n = nl_recvmsgs(nl.sk, nl.cb);
		if (n == -NLE_NOMEM) /* ENOBUFS: the kernel dropped some */
			ctl_error(CTL_OK, "some events were lost: the socket's "
					  "receive buffer overflowed");
		else if (n < 0 && n != -NLE_AGAIN) {
			rc = ctl_error(CTL_FAILED, "receiving events: %s",
				       nl_geterror(n));
			break;
		}
	}
	gnl_close(&nl);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (e.bad)
		ctl_error(CTL_OK, "%d event(s) did not parse", e.bad);
	if (!rc && count && e.count < count && !g_stop)
		rc = ctl_error(CTL_FAILED, "%llu of %llu event(s) within %g s",
			       e.count, count, timeout);
	return rc;
}

/* ------------------------------------------------------------------------
 * cdi generate
 */

/* {"path": NODE} */
static json_object *cdi_node(const char *node)
{
	json_object *n = json_object_new_object();

	if (n)
		json_object_object_add(n, "path", json_object_new_string(node));
	return n;
}

/* {"name": NAME, "containerEdits": {"deviceNodes": NODES}} */
static json_object *cdi_device(const char *name, json_object *nodes)
{
	json_object *d = json_object_new_object();
	json_object *edits = json_object_new_object();

	if (!d || !edits || !nodes) {
		json_object_put(d);
		json_object_put(edits);
		json_object_put(nodes);
		return NULL;
	}
	json_object_object_add(d, "name", json_object_new_string(name));
	json_object_object_add(edits, "deviceNodes", nodes);
	json_object_object_add(d, "containerEdits", edits);
	return d;
}

static json_object *cdi_spec(const struct gconv_dev_desc *descs, unsigned int n)
{
	json_object *spec = json_object_new_object();
	json_object *devs = json_object_new_array();
	json_object *all = json_object_new_array();
	json_object *d;
	unsigned int i;

	if (!spec || !devs || !all)
		goto oom;
	json_object_object_add(spec, "cdiVersion",
			       json_object_new_string(CDI_VERSION));
	json_object_object_add(spec, "kind", json_object_new_string(CDI_KIND));
	for (i = 0; i < n; i++) {
		json_object *nodes = json_object_new_array();
		char name[16];

		if (nodes)
			json_object_array_add(nodes, cdi_node(descs[i].node));
		snprintf(name, sizeof(name), "%u", descs[i].index);
		d = cdi_device(name, nodes);
		if (!d)
			goto oom;
		json_object_array_add(devs, d);
		json_object_array_add(all, cdi_node(descs[i].node));
	}
	d = cdi_device("all", all); /* takes @all, also when it fails */
	all = NULL;
	if (!d)
		goto oom;
	json_object_array_add(devs, d);
	json_object_object_add(spec, "devices", devs);
	return spec;

oom:
	json_object_put(spec);
	json_object_put(devs);
	json_object_put(all);
	return NULL;
}

/* @text into @path through a temporary file in its directory and rename */
static int write_atomic(const char *path, const char *text)
{
	size_t len = strlen(text), off = 0;
	char *tmp;
	int fd;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return ctl_error(CTL_FAILED, "out of memory");
	fd = mkstemp(tmp);
	if (fd < 0) {
		ctl_error(CTL_FAILED, "cannot create a file next to %s: %s",
			  path, strerror(errno));
		free(tmp);
		return CTL_FAILED;
	}
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto err;
		off += (size_t)w;
	}
	if (fchmod(fd, 0644) || fsync(fd))
		goto err;
	if (close(fd)) {
		fd = -1;
		goto err;
	}
	fd = -1;
	if (rename(tmp, path))
		goto err;
	free(tmp);
	return CTL_OK;

err:
	ctl_error(CTL_FAILED, "writing %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return CTL_FAILED;
}

int cmd_cdi(struct ctl *ctl, int argc, char **argv)
{
	struct gconv_dev_desc *descs = NULL;
	const char *output = NULL, *text;
	json_object *spec;
	unsigned int cap = 0;
	char err[256];
	int a, n, rc;

	/* argv[1] is "generate" (main.c checked it) */
	for (a = 2; a < argc; a++) {
		if (!strcmp(argv[a], "--output") || !strcmp(argv[a], "-o")) {
			if (a + 1 >= argc)
				return ctl_error(
					CTL_USAGE,
					"cdi generate: %s needs a FILE",
					argv[a]);
			output = argv[++a];
		} else if (!strncmp(argv[a], "--output=", 9)) {
			output = argv[a] + 9;
		} else {
			return ctl_error(
				CTL_USAGE, "cdi generate: unknown %s '%s'",
				argv[a][0] == '-' ? "option" : "argument",
				argv[a]);
		}
		if (!*output)
			return ctl_error(CTL_USAGE,
					 "cdi generate: --output needs a FILE");
	}
	for (;;) {
		n = gconv_dev_list(descs, cap, err, sizeof(err));
		if (n < 0) {
			free(descs);
			return ctl_error(CTL_FAILED, "listing the devices: %s",
					 err);
		}
		if ((unsigned int)n <= cap)
			break;
		/* more than there was room for (a device came): again */
		free(descs);
		cap = (unsigned int)n;
		descs = calloc(cap, sizeof(*descs));
		if (!descs)
			return ctl_error(CTL_FAILED, "out of memory");
	}
	if (!n) {
		free(descs);
		return ctl_error(
			CTL_NOT_FOUND,
			"no gconv device: /sys/class/accel has no accel node "
			"of gconv.ko (is it loaded?); no spec written");
	}
	spec = cdi_spec(descs, (unsigned int)n);
	free(descs);
	if (!spec)
		return ctl_error(CTL_FAILED, "out of memory");
	text = json_object_to_json_string_ext(
		spec, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!output) {
		fprintf(ctl->out, "%s\n", text);
		rc = CTL_OK;
	} else {
		char *doc;

		if (asprintf(&doc, "%s\n", text) < 0) {
			rc = ctl_error(CTL_FAILED, "out of memory");
		} else {
			rc = write_atomic(output, doc);
			free(doc);
		}
	}
	json_object_put(spec);
	return rc;
}

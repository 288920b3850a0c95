// SPDX-License-Identifier: MIT
/*
 * gconv-nltest: tests of the "gconv" generic netlink family of gconv.ko
 * (docs/netlink/gconv.yaml, include/uapi/linux/gconv.h) through libnl-genl,
 * run as root in the test VM where the driver is loaded.
 *
 * Every request asks for extended ACKs; a refused request's errno and the
 * kernel's message are what the negative checks look at.  Jobs are run on
 * /dev/accel/accelN through the driver's ioctls (one scale-by-two GCONV
 * built with libgconvdev), to give the family clients, counters and events
 * to report.
 *
 *	gconv-nltest [--list] [GROUP|CHECK]...
 *
 * GROUP is devices, stats, clients, reset, events or all (the default).
 * Each check runs in its own child process and prints "ok   NAME" (with
 * notes, e.g. the kernel's extack messages, in parentheses) or
 * "FAIL NAME: expected X, got Y"; the last line is "N passed, N failed".
 *
 * event_hang and event_job_fault need the host: they print
 * "gconv-nltest: ready for hang" (or "ready for dma-error") and then submit
 * a job every 200 ms for up to 60 s, until the host has set the device's
 * inject-hang (inject-dma-error) knob on accel0's device through QMP and a
 * job ends TIMEOUT (DMA_ERROR).  tests/vm/check-netlink does that; insmod
 * gconv.ko with timeout_ms=1000 so that the hang is found quickly.
 *
 * Exit status: 0 when every check passed, 1 otherwise, 2 usage error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/netlink.h>

#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/socket.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include <linux/gconv.h>
#include <gconv_accel.h>
#include <gconv/engine.h>

#define PAGE		4096ull
#define NSEC		1000000000ll
#define MSEC		1000000ll
#define ULL(x)		((unsigned long long)(x))
#define MAX_DEVS	8
#define MAX_ATTR	24	/* above the highest attribute of every set */
#define CHECK_TIMEOUT_S	150
#define NL_TIMEOUT_S	10	/* for an answer to one request */
#define INJECT_WAIT_S	60	/* for the host to set a fault-injection knob */
#define NO_DEVICE	1000	/* an accel index that does not exist */
#define NOBODY		65534

/* ------------------------------------------------------------------------
 * Reporting
 */

static const char *c_name = "setup";
static char c_note[512];
static int g_devs[MAX_DEVS];	/* accel indexes, ascending */
static int g_ndevs;

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("FAIL %s: %s\n", c_name, msg);
	fflush(stdout);
	_exit(1);
}

#define FAIL(...) fail(__VA_ARGS__)

static void __attribute__((format(printf, 1, 2))) note(const char *fmt, ...)
{
	size_t len = strlen(c_note);
	va_list ap;

	if (len && len < sizeof(c_note) - 2) {
		c_note[len++] = ';';
		c_note[len++] = ' ';
		c_note[len] = 0;
	}
	va_start(ap, fmt);
	vsnprintf(c_note + len, sizeof(c_note) - len, fmt, ap);
	va_end(ap);
}

/* "EINVAL" for -EINVAL, "success" for 0 */
static const char *errstr(int r)
{
	static char buf[8][32];
	static unsigned int next;
	char *b = buf[next++ % 8];
	const char *n;

	if (r == 0)
		return "success";
	if (r > 0) {
		snprintf(b, sizeof(buf[0]), "return value %d", r);
		return b;
	}
	n = strerrorname_np(-r);
	if (n)
		return n;
	snprintf(b, sizeof(buf[0]), "errno %d", -r);
	return b;
}

static const char *status_name(uint64_t s)
{
	static const char *const names[] = {
		"OK", "INVALID", "MMU_FAULT", "DMA_ERROR", "TIMEOUT",
		"ABORTED", "ERROR", "BAD_COMPLETION", "BANNED",
	};
	static char b[4][48];
	static unsigned int next;
	char *p;

	if (s < sizeof(names) / sizeof(names[0]))
		return names[s];
	p = b[next++ % 4];
	snprintf(p, sizeof(b[0]), "unknown status %llu", ULL(s));
	return p;
}

static const char *event_name(uint64_t t)
{
	static const char *const names[] = {
		"job-fault", "mmu-fault", "hang", "reset", "ban",
	};

	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "unknown";
}

/* ------------------------------------------------------------------------
 * Time
 */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ------------------------------------------------------------------------
 * Attribute records: one parsed message of one attribute set
 */

struct aset {
	const char *name;
	int max;
	const char *const *names;	/* [attr] */
};

static const char *const dev_names[] = {
	NULL, "index", "pad", "name", "pci-slot", "hw-version", "isa-version",
	"num-queues", "num-contexts", "clock-khz", "clients",
};
static const char *const stats_names[] = {
	NULL, "dev-index", "pad", "jobs-submitted", "jobs-completed",
	"jobs-failed", "mmu-faults", "job-faults", "hangs", "resets", "bans",
	"busy-ns", "modeled-cycles", "gconvs", "macs", "bytes-read",
	"bytes-written", "events-dropped",
};
static const char *const client_names[] = {
	NULL, "dev-index", "pad", "id", "pid", "comm", "context",
	"jobs-submitted", "jobs-completed", "jobs-failed", "bo-count",
	"mem-bytes", "faults", "banned",
};
static const char *const event_names[] = {
	NULL, "type", "pad", "dev-index", "client-id", "pid", "comm",
	"context", "queue", "seqno", "status", "info", "fault-addr",
	"fault-write", "reset-reason", "jobs-aborted", "jobs-requeued",
};

static const struct aset set_dev = { "dev", GCONV_A_DEV_MAX, dev_names };
static const struct aset set_stats = { "stats", GCONV_A_STATS_MAX,
				       stats_names };
static const struct aset set_client = { "client", GCONV_A_CLIENT_MAX,
					client_names };
static const struct aset set_event = { "event", GCONV_A_EVENT_MAX,
				       event_names };

_Static_assert(sizeof(dev_names) / sizeof(dev_names[0]) == GCONV_A_DEV_MAX + 1,
	       "dev attribute names");
_Static_assert(sizeof(stats_names) / sizeof(stats_names[0]) ==
	       GCONV_A_STATS_MAX + 1, "stats attribute names");
_Static_assert(sizeof(client_names) / sizeof(client_names[0]) ==
	       GCONV_A_CLIENT_MAX + 1, "client attribute names");
_Static_assert(sizeof(event_names) / sizeof(event_names[0]) ==
	       GCONV_A_EVENT_MAX + 1, "event attribute names");
_Static_assert(GCONV_A_STATS_MAX < MAX_ATTR && GCONV_A_EVENT_MAX < MAX_ATTR,
	       "MAX_ATTR");

struct rec {
	const struct aset *set;
	char what[64];		/* "DEV_GET dump reply", "event" */
	uint8_t cmd;		/* of the generic netlink header */
	uint32_t have;		/* 1 << attr */
	uint16_t len[MAX_ATTR];	/* payload bytes */
	uint64_t u[MAX_ATTR];	/* 1, 2, 4 and 8-byte payloads */
	char s[MAX_ATTR][64];	/* NUL-terminated payloads */
	uint32_t str;		/* 1 << attr: payload is NUL-terminated */
};

static int rec_parse(struct nl_msg *msg, const struct aset *set,
		     const char *what, struct rec *r)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[MAX_ATTR];
	struct genlmsghdr *gh;
	int a;

	memset(r, 0, sizeof(*r));
	r->set = set;
	snprintf(r->what, sizeof(r->what), "%s", what);
	if (!genlmsg_valid_hdr(h, 0) || genlmsg_parse(h, 0, tb, set->max, NULL))
		return -1;
	gh = nlmsg_data(h);
	r->cmd = gh->cmd;
	for (a = 1; a <= set->max; a++) {
		const struct nlattr *n = tb[a];
		const char *p;
		int len;

		if (!n)
			continue;
		len = nla_len(n);
		p = nla_data(n);
		r->have |= 1u << a;
		r->len[a] = (uint16_t)len;
		if (len == 1)
			r->u[a] = *(const uint8_t *)p;
		else if (len == 2)
			r->u[a] = nla_get_u16(n);
		else if (len == 4)
			r->u[a] = nla_get_u32(n);
		else if (len == 8)
			r->u[a] = nla_get_u64(n);
		if (len > 0 && !p[len - 1]) {
			r->str |= 1u << a;
			snprintf(r->s[a], sizeof(r->s[a]), "%s", p);
		}
	}
	return 0;
}

static int rhas(const struct rec *r, int a)
{
	return !!(r->have & (1u << a));
}

/* The attribute's value; it must be there, @size bytes long. */
static uint64_t ru(const struct rec *r, int a, int size)
{
	if (!rhas(r, a))
		FAIL("%s: expected attribute %s, got none", r->what,
		     r->set->names[a]);
	if (r->len[a] != size)
		FAIL("%s: expected attribute %s of %d bytes, got %u bytes",
		     r->what, r->set->names[a], size, r->len[a]);
	return r->u[a];
}

#define RU8(r, a)	((uint8_t)ru(r, a, 1))
#define RU32(r, a)	((uint32_t)ru(r, a, 4))
#define RS32(r, a)	((int32_t)(uint32_t)ru(r, a, 4))
#define RU64(r, a)	ru(r, a, 8)

static const char *rs(const struct rec *r, int a)
{
	if (!rhas(r, a))
		FAIL("%s: expected attribute %s, got none", r->what,
		     r->set->names[a]);
	if (!(r->str & (1u << a)))
		FAIL("%s: expected attribute %s to be a NUL-terminated string, got %u bytes without",
		     r->what, r->set->names[a], r->len[a]);
	return r->s[a];
}

/* ------------------------------------------------------------------------
 * Requests: one socket, extended ACKs on, a reply collector
 */

struct reply {
	const struct aset *set;
	char what[48];
	struct rec *recs;
	int n, cap;
	int done;
	int err;		/* 0 or -errno from the kernel */
	char msg[256];		/* extack message, "" if none */
	int miss_type;		/* extack missing attribute, or -1 */
	int bad_offs;		/* extack offending attribute's offset, or -1 */
	int bad_msg;		/* a reply that did not parse */
};

struct gnl {
	struct nl_sock *sk;
	struct nl_cb *cb;
	int family;
};

/* The TLVs after the error code (and the echoed request) of an ACK. */
static void parse_extack(const struct nlmsghdr *h, size_t payload,
			 struct reply *r)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(payload);

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) || off >= h->nlmsg_len)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)h + off),
		      (int)(h->nlmsg_len - off), NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(r->msg, tb[NLMSGERR_ATTR_MSG], sizeof(r->msg));
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		r->miss_type = (int)nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
	if (tb[NLMSGERR_ATTR_OFFS])
		r->bad_offs = (int)nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct reply *r = arg;

	if (r->n == r->cap) {
		int cap = r->cap ? 2 * r->cap : 8;
		struct rec *p = realloc(r->recs, (size_t)cap * sizeof(*p));

		if (!p)
			FAIL("setup: out of memory");
		r->recs = p;
		r->cap = cap;
	}
	if (rec_parse(msg, r->set, r->what, &r->recs[r->n]))
		r->bad_msg++;
	else
		r->n++;
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
	if (!(h->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= NLMSG_HDRLEN)
		payload += e->msg.nlmsg_len - NLMSG_HDRLEN;
	r->err = e->error;
	parse_extack(h, payload, r);
	r->done = 1;
	return NL_STOP;
}

static void sockopt_on(struct nl_sock *sk, int opt, const char *name)
{
	int one = 1;

	if (setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, opt, &one,
		       sizeof(one)))
		FAIL("setsockopt(%s): expected success, got %s", name,
		     errstr(-errno));
}

static struct nl_sock *sock_open(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk)
		FAIL("nl_socket_alloc: expected a socket, got none");
	r = genl_connect(sk);
	if (r)
		FAIL("genl_connect: expected success, got %s", nl_geterror(r));
	sockopt_on(sk, NETLINK_EXT_ACK, "NETLINK_EXT_ACK");
	sockopt_on(sk, NETLINK_CAP_ACK, "NETLINK_CAP_ACK");
	return sk;
}

static void gnl_open(struct gnl *g)
{
	g->sk = sock_open();
	g->family = genl_ctrl_resolve(g->sk, GCONV_FAMILY_NAME);
	if (g->family < 0)
		FAIL("resolving the generic netlink family \"%s\": expected its id, got %s",
		     GCONV_FAMILY_NAME, nl_geterror(g->family));
	g->cb = nl_cb_alloc(NL_CB_CUSTOM);
	if (!g->cb)
		FAIL("nl_cb_alloc: expected a callback set, got none");
}

static void gnl_close(struct gnl *g)
{
	nl_cb_put(g->cb);
	nl_socket_free(g->sk);
}

static void reply_free(struct reply *r)
{
	free(r->recs);
	r->recs = NULL;
	r->n = r->cap = 0;
}

static const char *cmd_name(uint8_t cmd)
{
	switch (cmd) {
	case GCONV_CMD_DEV_GET: return "DEV_GET";
	case GCONV_CMD_STATS_GET: return "STATS_GET";
	case GCONV_CMD_CLIENT_GET: return "CLIENT_GET";
	case GCONV_CMD_RESET: return "RESET";
	default: return "unknown command";
	}
}

/*
 * Send @cmd (with NLM_F_DUMP in @flags for a dump) carrying the u32
 * attribute @attr = @val unless @attr is 0; collect the replies in @r.
 * Returns 0 or the kernel's -errno (its extack message in r->msg).
 */
static int gnl_request(struct gnl *g, uint8_t cmd, int flags, int attr,
		       uint32_t val, const struct aset *set, struct reply *r)
{
	int64_t deadline = now_ns() + NL_TIMEOUT_S * NSEC;
	struct nl_msg *m = nlmsg_alloc();
	int rc;

	memset(r, 0, sizeof(*r));
	r->set = set;
	r->miss_type = r->bad_offs = -1;
	snprintf(r->what, sizeof(r->what), "%s %s reply", cmd_name(cmd),
		 flags & NLM_F_DUMP ? "dump" : "do");
	if (!m)
		FAIL("nlmsg_alloc: expected a message, got none");
	if (!genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, g->family, 0, flags,
			 cmd, GCONV_FAMILY_VERSION))
		FAIL("genlmsg_put: expected a header, got none");
	if (attr && nla_put_u32(m, attr, val))
		FAIL("nla_put_u32: expected success, got an error");
	nl_cb_set(g->cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, r);
	nl_cb_set(g->cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, r);
	nl_cb_set(g->cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, r);
	nl_cb_err(g->cb, NL_CB_CUSTOM, on_error, r);
	rc = nl_send_auto(g->sk, m);
	nlmsg_free(m);
	if (rc < 0)
		FAIL("sending %s: expected success, got %s", cmd_name(cmd),
		     nl_geterror(rc));
	while (!r->done) {
		struct pollfd p = { .fd = nl_socket_get_fd(g->sk),
				    .events = POLLIN };
		int64_t left = deadline - now_ns();

		if (left <= 0)
			FAIL("%s: expected an answer within %d s, got none",
			     cmd_name(cmd), NL_TIMEOUT_S);
		rc = poll(&p, 1, (int)(left / MSEC) + 1);
		if (rc < 0 && errno != EINTR)
			FAIL("poll: expected success, got %s", errstr(-errno));
		if (rc <= 0)
			continue;
		rc = nl_recvmsgs(g->sk, g->cb);
		if (rc < 0 && !r->done)
			FAIL("%s: receiving the answer: expected success, got %s",
			     cmd_name(cmd), nl_geterror(rc));
	}
	if (r->bad_msg)
		FAIL("%s: expected well-formed generic netlink replies, got %d that did not parse",
		     cmd_name(cmd), r->bad_msg);
	return r->err;
}

static void expect_ok(const struct reply *r, int rc, const char *what)
{
	if (rc)
		FAIL("%s: expected success, got %s (extack: \"%s\")", what,
		     errstr(rc), r->msg);
}

/* A refused request: errno @want and an extack message. */
static void expect_refused(const struct reply *r, int rc, int want,
			   const char *what)
{
	if (rc != -want)
		FAIL("%s: expected %s, got %s (extack: \"%s\")", what,
		     errstr(-want), errstr(rc), r->msg);
	if (!r->msg[0])
		FAIL("%s: expected an extended-ACK message with %s, got none",
		     what, errstr(-want));
	note("%s: %s \"%s\"", what, errstr(rc), r->msg);
}

/* STATS_GET of accel @dev, all counters checked present */
static void stats_get(struct gnl *g, int dev, struct rec *out)
{
	struct reply r;
	char what[64];
	int a;

	snprintf(what, sizeof(what), "STATS_GET of accel%d", dev);
	expect_ok(&r, gnl_request(g, GCONV_CMD_STATS_GET, 0,
				  GCONV_A_STATS_DEV_INDEX, (uint32_t)dev,
				  &set_stats, &r), what);
	if (r.n != 1)
		FAIL("%s: expected one reply, got %d", what, r.n);
	*out = r.recs[0];
	reply_free(&r);
	if (RU32(out, GCONV_A_STATS_DEV_INDEX) != (uint32_t)dev)
		FAIL("%s: expected dev-index %d, got %llu", what, dev,
		     ULL(out->u[GCONV_A_STATS_DEV_INDEX]));
	for (a = GCONV_A_STATS_JOBS_SUBMITTED; a <= GCONV_A_STATS_MAX; a++)
		RU64(out, a);
}

/* Wait up to 2 s for counter @a of accel @dev to reach @before + @delta. */
static void expect_counter(struct gnl *g, int dev, const struct rec *before,
			   int a, uint64_t delta, const char *when)
{
	int64_t t0 = now_ns();
	struct rec st;

	for (;;) {
		stats_get(g, dev, &st);
		if (st.u[a] == before->u[a] + delta)
			return;
		if (st.u[a] > before->u[a] + delta || now_ns() - t0 > 2 * NSEC)
			FAIL("stats %s of accel%d %s: expected %llu (+%llu), got %llu",
			     stats_names[a], dev, when,
			     ULL(before->u[a] + delta), ULL(delta),
			     ULL(st.u[a]));
		sleep_ms(20);
	}
}

/* ------------------------------------------------------------------------
 * Events: a second socket in the "events" group
 */

struct evsock {
	struct nl_sock *sk;
	struct nl_cb *cb;
	struct reply r;		/* the events received so far */
	char *used;		/* [i]: event i was matched already */
	int bad_cmd;
};

static int ev_seq_ok(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

static int ev_valid(struct nl_msg *msg, void *arg)
{
	struct evsock *e = arg;
	int n = e->r.n;
	char *u;

	on_valid(msg, &e->r);
	if (e->r.n == n)
		return NL_OK; /* did not parse: ev_pump fails the check */
	u = realloc(e->used, (size_t)e->r.cap);
	if (!u)
		FAIL("setup: out of memory");
	e->used = u;
	e->used[e->r.n - 1] = 0;
	if (e->r.recs[e->r.n - 1].cmd != GCONV_CMD_EVENT_NTF)
		e->bad_cmd = e->r.recs[e->r.n - 1].cmd;
	return NL_OK;
}

static void ev_open(struct evsock *e)
{
	int grp, r;

	memset(e, 0, sizeof(*e));
	e->r.set = &set_event;
	snprintf(e->r.what, sizeof(e->r.what), "event");
	e->sk = sock_open();
	grp = genl_ctrl_resolve_grp(e->sk, GCONV_FAMILY_NAME,
				    GCONV_MCGRP_EVENTS);
	if (grp < 0)
		FAIL("resolving the multicast group \"%s\" of \"%s\": expected its id, got %s",
		     GCONV_MCGRP_EVENTS, GCONV_FAMILY_NAME, nl_geterror(grp));
	r = nl_socket_add_membership(e->sk, grp);
	if (r)
		FAIL("joining the \"%s\" group: expected success, got %s",
		     GCONV_MCGRP_EVENTS, nl_geterror(r));
	e->cb = nl_cb_alloc(NL_CB_CUSTOM);
	if (!e->cb)
		FAIL("nl_cb_alloc: expected a callback set, got none");
	/* notifications carry sequence number 0 */
	nl_cb_set(e->cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, ev_seq_ok, NULL);
	nl_cb_set(e->cb, NL_CB_VALID, NL_CB_CUSTOM, ev_valid, e);
}

static void ev_close(struct evsock *e)
{
	nl_cb_put(e->cb);
	nl_socket_free(e->sk);
	reply_free(&e->r);
	free(e->used);
}

/* Receive what arrives within @ms. */
static void ev_pump(struct evsock *e, int ms)
{
	int64_t deadline = now_ns() + ms * MSEC;

	for (;;) {
		struct pollfd p = { .fd = nl_socket_get_fd(e->sk),
				    .events = POLLIN };
		int64_t left = deadline - now_ns();
		int rc;

		if (left < 0)
			left = 0;
		rc = poll(&p, 1, (int)(left / MSEC));
		if (rc < 0 && errno != EINTR)
			FAIL("poll: expected success, got %s", errstr(-errno));
		if (rc > 0) {
			rc = nl_recvmsgs(e->sk, e->cb);
			if (rc < 0)
				FAIL("receiving events: expected success, got %s",
				     nl_geterror(rc));
			if (e->r.bad_msg)
				FAIL("events: expected well-formed messages, got %d that did not parse",
				     e->r.bad_msg);
			if (e->bad_cmd)
				FAIL("events: expected command EVENT_NTF (%d), got %d",
				     GCONV_CMD_EVENT_NTF, e->bad_cmd);
		}
		if (left == 0)
			return;
	}
}

/* The first unmatched event of @type on accel @dev */
static const struct rec *ev_find(struct evsock *e, uint32_t type, int dev)
{
	int i;

	for (i = 0; i < e->r.n; i++) {
		const struct rec *r = &e->r.recs[i];

		if (e->used[i] || !rhas(r, GCONV_A_EVENT_TYPE) ||
		    r->u[GCONV_A_EVENT_TYPE] != type ||
		    !rhas(r, GCONV_A_EVENT_DEV_INDEX) ||
		    r->u[GCONV_A_EVENT_DEV_INDEX] != (uint64_t)dev)
			continue;
		e->used[i] = 1;
		return r;
	}
	return NULL;
}

static void ev_list(const struct evsock *e, char *buf, size_t size)
{
	size_t len = 0;
	int i;

	snprintf(buf, size, "none");
	for (i = 0; i < e->r.n && len < size; i++) {
		const struct rec *r = &e->r.recs[i];

		len += (size_t)snprintf(buf + len, size - len, "%s%s on accel%lld",
					i ? ", " : "",
					event_name(rhas(r, GCONV_A_EVENT_TYPE) ?
						   r->u[GCONV_A_EVENT_TYPE] : 99),
					rhas(r, GCONV_A_EVENT_DEV_INDEX) ?
					(long long)r->u[GCONV_A_EVENT_DEV_INDEX] : -1ll);
	}
}

/* The next event of @type on accel @dev, within @secs, copied to @out. */
static const struct rec *ev_wait(struct evsock *e, uint32_t type, int dev,
				 int secs, struct rec *out)
{
	int64_t deadline = now_ns() + secs * NSEC;
	const struct rec *r;
	char got[512];

	for (;;) {
		r = ev_find(e, type, dev);
		if (r)
			break;
		if (now_ns() >= deadline) {
			ev_list(e, got, sizeof(got));
			FAIL("expected a %s event for accel%d within %d s, got %s",
			     event_name(type), dev, secs, got);
		}
		ev_pump(e, 50);
	}
	*out = *r;
	snprintf(out->what, sizeof(out->what), "%s event", event_name(type));
	return out;
}

/* No (further) event of @type on accel @dev within @ms. */
static void ev_none(struct evsock *e, uint32_t type, int dev, int ms,
		    const char *why)
{
	ev_pump(e, ms);
	if (ev_find(e, type, dev))
		FAIL("%s: expected no %s event for accel%d, got one", why,
		     event_name(type), dev);
}

/* ------------------------------------------------------------------------
 * The accel devices and their ioctls
 */

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/* /dev/accel/accelN, N ascending */
static int find_devs(void)
{
	DIR *d = opendir("/dev/accel");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < MAX_DEVS) {
		unsigned int i;
		char end;

		if (sscanf(e->d_name, "accel%u%c", &i, &end) == 1)
			g_devs[n++] = (int)i;
	}
	closedir(d);
	qsort(g_devs, (size_t)n, sizeof(g_devs[0]), cmp_int);
	return n;
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r == -1 && (errno == EINTR || errno == EAGAIN));
	return r ? -errno : 0;
}

static int open_dev(int index)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/accel/accel%d", index);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		FAIL("open %s: expected a file descriptor, got %s", path,
		     errstr(-errno));
	return fd;
}

static uint64_t param(int fd, uint32_t p)
{
	struct drm_gconv_get_param gp = { .param = p };
	int r = xioctl(fd, DRM_IOCTL_GCONV_GET_PARAM, &gp);

	if (r)
		FAIL("GET_PARAM %u: expected success, got %s", p, errstr(r));
	return gp.value;
}

struct bo {
	uint32_t handle;
	uint64_t addr, size;
	void *map;
};

static void bo_new(int fd, uint64_t size, struct bo *bo)
{
	struct drm_gconv_bo_create c = { .size = size };
	struct drm_gconv_bo_info i = { 0 };
	int r = xioctl(fd, DRM_IOCTL_GCONV_BO_CREATE, &c);

	if (r)
		FAIL("BO_CREATE of %llu bytes: expected success, got %s",
		     ULL(size), errstr(r));
	i.handle = c.handle;
	r = xioctl(fd, DRM_IOCTL_GCONV_BO_INFO, &i);
	if (r)
		FAIL("BO_INFO: expected success, got %s", errstr(r));
	bo->handle = c.handle;
	bo->addr = c.device_addr;
	bo->size = (size + PAGE - 1) / PAGE * PAGE;
	bo->map = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)i.mmap_offset);
	if (bo->map == MAP_FAILED)
		FAIL("mmap of a BO: expected a mapping, got %s", errstr(-errno));
}

/*
 * One open file of an accel device with a job: out[i] = 2 * in[i] for 64
 * floats, and a job reading 64 floats at an unmapped device address.
 */
struct job {
	int fd, dev;
	struct bo in, out, chain, fchain;
	size_t chain_len, fchain_len;
	uint64_t bad;		/* the unmapped address */
};

static size_t chain_bo(int fd, uint64_t x, uint64_t o, struct bo *bo)
{
	struct gconv_chain_builder cb = { 0 };
	struct gconv_desc d;
	size_t len;
	void *buf;

	gconv_desc_init(&d);
	d.k = 64;
	d.main = GCONV_MAIN_TAKE_X;
	d.post = GCONV_POST_AFFINE;
	d.post_param[0] = gconv_f32_bits(2.0f);
	d.post_param[1] = gconv_f32_bits(0.0f);
	gconv_operand_f32(&d.x, x, 64, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d.o, o, 64, 0, 0, 1, 0, 0, 0);
	if (gconv_chain_append(&cb, &d) || gconv_chain_encode(&cb, &buf, &len))
		FAIL("setup: building a chain: expected success, got an error");
	gconv_chain_builder_free(&cb);
	bo_new(fd, len, bo);
	memcpy(bo->map, buf, len);
	free(buf);
	return len;
}

static int overlaps(uint64_t a, uint64_t as, const struct bo *b)
{
	return a < b->addr + b->size && b->addr < a + as;
}

static void job_open(struct job *j, int dev)
{
	static const uint64_t cand[] = { 0x7000000000ull, 0x100000000ull };
	uint64_t start, end;
	float *x;
	size_t i, k;

	memset(j, 0, sizeof(*j));
	j->dev = dev;
	j->fd = open_dev(dev);
	bo_new(j->fd, 256, &j->in);
	bo_new(j->fd, 256, &j->out);
	x = j->in.map;
	for (i = 0; i < 64; i++)
		x[i] = (float)i - 20.0f;
	j->chain_len = chain_bo(j->fd, j->in.addr, j->out.addr, &j->chain);
	start = param(j->fd, DRM_GCONV_PARAM_VA_START);
	end = param(j->fd, DRM_GCONV_PARAM_VA_END);
	for (k = 0; k <= sizeof(cand) / sizeof(cand[0]); k++) {
		uint64_t a = k < sizeof(cand) / sizeof(cand[0]) ? cand[k] :
			     end - 16 * PAGE;

		if (a < start || a + PAGE > end || overlaps(a, PAGE, &j->in) ||
		    overlaps(a, PAGE, &j->out) || overlaps(a, PAGE, &j->chain))
			continue;
		j->bad = a;
		break;
	}
	if (!j->bad)
		FAIL("setup: expected an unused device VA in [%#llx, %#llx), got none",
		     ULL(start), ULL(end));
}

/* 0 or -errno; the job id in *id */
static int job_submit_raw(struct job *j, int fault, uint64_t *id)
{
	struct drm_gconv_submit s;
	uint32_t bos[2] = { j->in.handle, j->out.handle };
	int r;

	memset(&s, 0, sizeof(s));
	s.priority = DRM_GCONV_PRIORITY_NORMAL;
	if (fault) {
		if (!j->fchain_len)
			j->fchain_len = chain_bo(j->fd, j->bad, j->out.addr,
						 &j->fchain);
		s.chain_handle = j->fchain.handle;
		s.chain_size = j->fchain_len;
		s.bo_handles = (uintptr_t)&j->out.handle;
		s.bo_count = 1;
	} else {
		s.chain_handle = j->chain.handle;
		s.chain_size = j->chain_len;
		s.bo_handles = (uintptr_t)bos;
		s.bo_count = 2;
	}
	r = xioctl(j->fd, DRM_IOCTL_GCONV_SUBMIT, &s);
	*id = s.job_id;
	return r;
}

static uint64_t job_submit(struct job *j, int fault)
{
	uint64_t id;
	int r = job_submit_raw(j, fault, &id);

	if (r)
		FAIL("SUBMIT of a %s job: expected success, got %s",
		     fault ? "faulting" : "good", errstr(r));
	return id;
}

/* The job's status after at most @secs. */
static uint32_t job_wait(struct job *j, uint64_t id, int secs,
			 struct drm_gconv_wait *w)
{
	int r;

	memset(w, 0, sizeof(*w));
	w->job_id = id;
	w->timeout_ns = now_ns() + secs * NSEC;
	r = xioctl(j->fd, DRM_IOCTL_GCONV_WAIT, w);
	if (r)
		FAIL("WAIT: expected the job to end within %d s, got %s", secs,
		     errstr(r));
	return w->status;
}

static void job_expect(struct job *j, uint64_t id, uint32_t want,
		       struct drm_gconv_wait *w, const char *what)
{
	struct drm_gconv_wait tmp;
	uint32_t st = job_wait(j, id, 30, w ? w : &tmp);

	if (st != want)
		FAIL("%s: expected status %s, got %s", what, status_name(want),
		     status_name(st));
}

/* a good job runs and computes 2 * in */
static void job_run_ok(struct job *j, const char *what)
{
	const float *x = j->in.map, *o = j->out.map;
	int i;

	memset(j->out.map, 0, 256);
	job_expect(j, job_submit(j, 0), DRM_GCONV_JOB_OK, NULL, what);
	for (i = 0; i < 64; i++)
		if (o[i] != 2.0f * x[i])
			FAIL("%s: out[%d]: expected %g, got %g", what, i,
			     (double)(2.0f * x[i]), (double)o[i]);
}

static void job_close(struct job *j)
{
	munmap(j->in.map, j->in.size);
	munmap(j->out.map, j->out.size);
	munmap(j->chain.map, j->chain.size);
	if (j->fchain_len)
		munmap(j->fchain.map, j->fchain.size);
	close(j->fd);
}

static void my_comm(char *buf, size_t size)
{
	char c[17] = { 0 };

	if (prctl(PR_GET_NAME, c))
		FAIL("prctl(PR_GET_NAME): expected success, got %s",
		     errstr(-errno));
	snprintf(buf, size, "%s", c);
}

/* CLIENT_GET dump (of accel @dev, or of all if @dev < 0) */
static int clients_dump(struct gnl *g, int dev, struct reply *r)
{
	return gnl_request(g, GCONV_CMD_CLIENT_GET, NLM_F_DUMP,
			   dev >= 0 ? GCONV_A_CLIENT_DEV_INDEX : 0,
			   (uint32_t)dev, &set_client, r);
}

/* Our one client of accel @dev in the dump @r, or NULL. */
static const struct rec *find_own(const struct reply *r, int dev)
{
	const struct rec *own = NULL;
	int i;

	for (i = 0; i < r->n; i++) {
		const struct rec *c = &r->recs[i];

		if (RU32(c, GCONV_A_CLIENT_PID) != (uint32_t)getpid() ||
		    RU32(c, GCONV_A_CLIENT_DEV_INDEX) != (uint32_t)dev)
			continue;
		if (own)
			FAIL("CLIENT_GET: expected one client with our pid %d on accel%d, got several",
			     (int)getpid(), dev);
		own = c;
	}
	return own;
}

/* The DRM client id of @j's file. */
static uint64_t own_client_id(struct gnl *g, struct job *j)
{
	const struct rec *c;
	struct reply r;
	uint64_t id;

	expect_ok(&r, clients_dump(g, j->dev, &r), "CLIENT_GET dump");
	c = find_own(&r, j->dev);
	if (!c)
		FAIL("CLIENT_GET of accel%d: expected a client with our pid %d, got none among %d",
		     j->dev, (int)getpid(), r.n);
	id = RU64(c, GCONV_A_CLIENT_ID);
	reply_free(&r);
	return id;
}

/* ------------------------------------------------------------------------
 * devices: DEV_GET
 */

static void sysfs_pci_slot(int index, char *buf, size_t size)
{
	char path[96], target[256];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/accel/accel%d/device", index);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		FAIL("readlink %s: expected the PCI device, got %s", path,
		     errstr(-errno));
	target[n] = 0;
	base = strrchr(target, '/');
	snprintf(buf, size, "%s", base ? base + 1 : target);
}

/* One DEV_GET record against sysfs and the device's GET_PARAM. */
static void check_dev_rec(const struct rec *d)
{
	uint32_t index = RU32(d, GCONV_A_DEV_INDEX);
	char want[64], slot[256];
	int fd;

	snprintf(want, sizeof(want), "accel%u", index);
	if (strcmp(rs(d, GCONV_A_DEV_NAME), want))
		FAIL("%s: expected name \"%s\", got \"%s\"", d->what, want,
		     d->s[GCONV_A_DEV_NAME]);
	sysfs_pci_slot((int)index, slot, sizeof(slot));
	if (strcmp(rs(d, GCONV_A_DEV_PCI_SLOT), slot))
		FAIL("%s of accel%u: expected pci-slot \"%s\" (sysfs), got \"%s\"",
		     d->what, index, slot, d->s[GCONV_A_DEV_PCI_SLOT]);
	if (RU32(d, GCONV_A_DEV_NUM_QUEUES) != 4)
		FAIL("%s of accel%u: expected num-queues 4, got %llu", d->what,
		     index, ULL(d->u[GCONV_A_DEV_NUM_QUEUES]));
	if (RU32(d, GCONV_A_DEV_NUM_CONTEXTS) != 16)
		FAIL("%s of accel%u: expected num-contexts 16, got %llu",
		     d->what, index, ULL(d->u[GCONV_A_DEV_NUM_CONTEXTS]));
	ru(d, GCONV_A_DEV_CLIENTS, 4);
	fd = open_dev((int)index);
	if (RU32(d, GCONV_A_DEV_HW_VERSION) !=
	    param(fd, DRM_GCONV_PARAM_HW_VERSION))
		FAIL("%s of accel%u: expected hw-version %#llx (GET_PARAM), got %#llx",
		     d->what, index, ULL(param(fd, DRM_GCONV_PARAM_HW_VERSION)),
		     ULL(d->u[GCONV_A_DEV_HW_VERSION]));
	if (RU32(d, GCONV_A_DEV_ISA_VERSION) !=
	    param(fd, DRM_GCONV_PARAM_ISA_VERSION))
		FAIL("%s of accel%u: expected isa-version %#llx (GET_PARAM), got %#llx",
		     d->what, index, ULL(param(fd, DRM_GCONV_PARAM_ISA_VERSION)),
		     ULL(d->u[GCONV_A_DEV_ISA_VERSION]));
	if (RU32(d, GCONV_A_DEV_CLOCK_KHZ) !=
	    param(fd, DRM_GCONV_PARAM_CLOCK_KHZ))
		FAIL("%s of accel%u: expected clock-khz %llu (GET_PARAM), got %llu",
		     d->what, index, ULL(param(fd, DRM_GCONV_PARAM_CLOCK_KHZ)),
		     ULL(d->u[GCONV_A_DEV_CLOCK_KHZ]));
	close(fd);
}

static void c_dev_dump(void)
{
	struct gnl g;
	struct reply r;
	int i, k;

	gnl_open(&g);
	expect_ok(&r, gnl_request(&g, GCONV_CMD_DEV_GET, NLM_F_DUMP, 0, 0,
				  &set_dev, &r), "DEV_GET dump");
	if (r.n != g_ndevs)
		FAIL("DEV_GET dump: expected %d devices (the /dev/accel nodes), got %d",
		     g_ndevs, r.n);
	for (i = 0; i < r.n; i++) {
		uint32_t index = RU32(&r.recs[i], GCONV_A_DEV_INDEX);

		for (k = 0; k < g_ndevs && g_devs[k] != (int)index; k++)
			;
		if (k == g_ndevs)
			FAIL("DEV_GET dump: expected indexes of /dev/accel nodes, got %u",
			     index);
		for (k = 0; k < i; k++)
			if (r.recs[k].u[GCONV_A_DEV_INDEX] == index)
				FAIL("DEV_GET dump: expected each device once, got accel%u twice",
				     index);
		check_dev_rec(&r.recs[i]);
	}
	note("%d device(s)", r.n);
	reply_free(&r);
	gnl_close(&g);
}

static void c_dev_get_each(void)
{
	struct reply dump, one;
	struct gnl g;
	int i, a;

	gnl_open(&g);
	expect_ok(&dump, gnl_request(&g, GCONV_CMD_DEV_GET, NLM_F_DUMP, 0, 0,
				     &set_dev, &dump), "DEV_GET dump");
	for (i = 0; i < dump.n; i++) {
		const struct rec *d = &dump.recs[i], *o;
		uint32_t index = RU32(d, GCONV_A_DEV_INDEX);
		char what[64];

		snprintf(what, sizeof(what), "DEV_GET of accel%u", index);
		expect_ok(&one, gnl_request(&g, GCONV_CMD_DEV_GET, 0,
					    GCONV_A_DEV_INDEX, index,
					    &set_dev, &one), what);
		if (one.n != 1)
			FAIL("%s: expected one reply, got %d", what, one.n);
		o = &one.recs[0];
		check_dev_rec(o);
		for (a = 1; a <= GCONV_A_DEV_MAX; a++) {
			if (a == GCONV_A_DEV_PAD)
				continue;
			if (rhas(o, a) != rhas(d, a) || o->len[a] != d->len[a] ||
			    o->u[a] != d->u[a] || strcmp(o->s[a], d->s[a]))
				FAIL("%s: expected attribute %s as in the dump (%llu \"%s\"), got %llu \"%s\"",
				     what, dev_names[a], ULL(d->u[a]), d->s[a],
				     ULL(o->u[a]), o->s[a]);
		}
		reply_free(&one);
	}
	reply_free(&dump);
	gnl_close(&g);
}

static uint32_t dev_clients(struct gnl *g, int dev)
{
	struct reply r;
	uint32_t n;

	expect_ok(&r, gnl_request(g, GCONV_CMD_DEV_GET, 0, GCONV_A_DEV_INDEX,
				  (uint32_t)dev, &set_dev, &r), "DEV_GET");
	if (r.n != 1)
		FAIL("DEV_GET: expected one reply, got %d", r.n);
	n = RU32(&r.recs[0], GCONV_A_DEV_CLIENTS);
	reply_free(&r);
	return n;
}

static void c_dev_clients_count(void)
{
	int dev = g_devs[0], fd1, fd2;
	uint32_t c0, c;
	struct gnl g;

	gnl_open(&g);
	c0 = dev_clients(&g, dev);
	fd1 = open_dev(dev);
	fd2 = open_dev(dev);
	c = dev_clients(&g, dev);
	if (c != c0 + 2)
		FAIL("DEV_GET clients of accel%d after opening it twice: expected %u, got %u",
		     dev, c0 + 2, c);
	close(fd1);
	close(fd2);
	c = dev_clients(&g, dev);
	if (c != c0)
		FAIL("DEV_GET clients of accel%d after closing both files: expected %u, got %u",
		     dev, c0, c);
	gnl_close(&g);
}

static void c_dev_get_unknown_index(void)
{
	struct reply r;
	struct gnl g;

	gnl_open(&g);
	expect_refused(&r, gnl_request(&g, GCONV_CMD_DEV_GET, 0,
				       GCONV_A_DEV_INDEX, NO_DEVICE, &set_dev,
				       &r), ENODEV, "DEV_GET of accel1000");
	gnl_close(&g);
}

/* ------------------------------------------------------------------------
 * stats: STATS_GET
 */

static void c_stats_get(void)
{
	struct gnl g;
	struct rec st;
	int i;

	gnl_open(&g);
	for (i = 0; i < g_ndevs; i++)
		stats_get(&g, g_devs[i], &st);
	gnl_close(&g);
}

static void c_stats_count_a_job(void)
{
	struct rec before;
	struct job j;
	struct gnl g;
	int dev = g_devs[0];

	gnl_open(&g);
	job_open(&j, dev);
	stats_get(&g, dev, &before);
	job_run_ok(&j, "a good job");
	expect_counter(&g, dev, &before, GCONV_A_STATS_JOBS_SUBMITTED, 1,
		       "after a good job");
	expect_counter(&g, dev, &before, GCONV_A_STATS_JOBS_COMPLETED, 1,
		       "after a good job");
	expect_counter(&g, dev, &before, GCONV_A_STATS_JOBS_FAILED, 0,
		       "after a good job");
	expect_counter(&g, dev, &before, GCONV_A_STATS_GCONVS, 1,
		       "after a job of one GCONV");
	job_close(&j);
	gnl_close(&g);
}

static void c_stats_unknown_device(void)
{
	struct reply r;
	struct gnl g;

	gnl_open(&g);
	expect_refused(&r, gnl_request(&g, GCONV_CMD_STATS_GET, 0,
				       GCONV_A_STATS_DEV_INDEX, NO_DEVICE,
				       &set_stats, &r), ENODEV,
		       "STATS_GET of accel1000");
	gnl_close(&g);
}

static void c_stats_no_device(void)
{
	struct reply r;
	struct gnl g;

	gnl_open(&g);
	expect_refused(&r, gnl_request(&g, GCONV_CMD_STATS_GET, 0, 0, 0,
				       &set_stats, &r), EINVAL,
		       "STATS_GET without dev-index");
	if (r.miss_type >= 0 && r.miss_type != GCONV_A_STATS_DEV_INDEX)
		FAIL("STATS_GET without dev-index: expected the extack's missing attribute to be dev-index (%d), got %d",
		     GCONV_A_STATS_DEV_INDEX, r.miss_type);
	gnl_close(&g);
}

/* ------------------------------------------------------------------------
 * clients: CLIENT_GET
 */

static void check_own(const struct rec *c, int dev)
{
	char comm[32];
	int32_t ctx;

	my_comm(comm, sizeof(comm));
	if (strcmp(rs(c, GCONV_A_CLIENT_COMM), comm))
		FAIL("our client: expected comm \"%s\", got \"%s\"", comm,
		     c->s[GCONV_A_CLIENT_COMM]);
	RU64(c, GCONV_A_CLIENT_ID);
	if (RU32(c, GCONV_A_CLIENT_BO_COUNT) != 3)
		FAIL("our client on accel%d: expected bo-count 3, got %llu", dev,
		     ULL(c->u[GCONV_A_CLIENT_BO_COUNT]));
	if (RU64(c, GCONV_A_CLIENT_MEM_BYTES) != 3 * PAGE)
		FAIL("our client on accel%d: expected mem-bytes %llu (3 pages), got %llu",
		     dev, 3 * PAGE, ULL(c->u[GCONV_A_CLIENT_MEM_BYTES]));
	if (RU64(c, GCONV_A_CLIENT_JOBS_SUBMITTED) != 1)
		FAIL("our client on accel%d: expected jobs-submitted 1, got %llu",
		     dev, ULL(c->u[GCONV_A_CLIENT_JOBS_SUBMITTED]));
	if (RU64(c, GCONV_A_CLIENT_JOBS_COMPLETED) != 1)
		FAIL("our client on accel%d: expected jobs-completed 1, got %llu",
		     dev, ULL(c->u[GCONV_A_CLIENT_JOBS_COMPLETED]));
	if (RU64(c, GCONV_A_CLIENT_JOBS_FAILED) != 0)
		FAIL("our client on accel%d: expected jobs-failed 0, got %llu",
		     dev, ULL(c->u[GCONV_A_CLIENT_JOBS_FAILED]));
	if (RU32(c, GCONV_A_CLIENT_FAULTS) != 0)
		FAIL("our client on accel%d: expected faults 0, got %llu", dev,
		     ULL(c->u[GCONV_A_CLIENT_FAULTS]));
	if (RU8(c, GCONV_A_CLIENT_BANNED) != 0)
		FAIL("our client on accel%d: expected banned 0, got %llu", dev,
		     ULL(c->u[GCONV_A_CLIENT_BANNED]));
	ctx = RS32(c, GCONV_A_CLIENT_CONTEXT);
	if (ctx < -1 || ctx > 15)
		FAIL("our client on accel%d: expected context -1..15, got %d",
		     dev, ctx);
}

static void c_clients_own(void)
{
	const struct rec *c;
	struct reply r;
	struct job j;
	struct gnl g;
	int dev = g_devs[0];

	gnl_open(&g);
	job_open(&j, dev);
	job_run_ok(&j, "a good job");
	expect_ok(&r, clients_dump(&g, -1, &r), "CLIENT_GET dump");
	c = find_own(&r, dev);
	if (!c)
		FAIL("CLIENT_GET dump: expected a client with our pid %d on accel%d, got none among %d",
		     (int)getpid(), dev, r.n);
	check_own(c, dev);
	note("%d client(s); ours: context %d", r.n,
	     (int)(int32_t)c->u[GCONV_A_CLIENT_CONTEXT]);
	reply_free(&r);
	job_close(&j);
	gnl_close(&g);
}

/* every record of @r is of accel @dev */
static void all_of_dev(const struct reply *r, int dev, const char *what)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (RU32(&r->recs[i], GCONV_A_CLIENT_DEV_INDEX) != (uint32_t)dev)
			FAIL("%s: expected only clients of accel%d, got one of accel%llu",
			     what, dev,
			     ULL(r->recs[i].u[GCONV_A_CLIENT_DEV_INDEX]));
}

static void c_clients_dev_filter(void)
{
	int dev = g_devs[0], other, fd1 = -1;
	const struct rec *c;
	struct reply r;
	struct job j;
	struct gnl g;

	gnl_open(&g);
	job_open(&j, dev);
	job_run_ok(&j, "a good job");
	expect_ok(&r, clients_dump(&g, dev, &r), "CLIENT_GET dump of accel0");
	all_of_dev(&r, dev, "CLIENT_GET dump with dev-index");
	c = find_own(&r, dev);
	if (!c)
		FAIL("CLIENT_GET dump of accel%d: expected a client with our pid %d, got none among %d",
		     dev, (int)getpid(), r.n);
	check_own(c, dev);
	reply_free(&r);
	if (g_ndevs < 2) {
		note("one device: no second device to filter for");
		goto out;
	}
	other = g_devs[1];
	expect_ok(&r, clients_dump(&g, other, &r), "CLIENT_GET dump of accel1");
	all_of_dev(&r, other, "CLIENT_GET dump with dev-index");
	if (find_own(&r, other))
		FAIL("CLIENT_GET dump of accel%d: expected no client of ours (our file is on accel%d), got one",
		     other, dev);
	reply_free(&r);
	fd1 = open_dev(other);
	expect_ok(&r, clients_dump(&g, other, &r), "CLIENT_GET dump of accel1");
	c = find_own(&r, other);
	if (!c)
		FAIL("CLIENT_GET dump of accel%d after opening it: expected a client with our pid, got none among %d",
		     other, r.n);
	if (RU32(c, GCONV_A_CLIENT_BO_COUNT) != 0 ||
	    RU64(c, GCONV_A_CLIENT_JOBS_SUBMITTED) != 0)
		FAIL("our new client on accel%d: expected bo-count 0 and jobs-submitted 0, got %llu and %llu",
		     other, ULL(c->u[GCONV_A_CLIENT_BO_COUNT]),
		     ULL(c->u[GCONV_A_CLIENT_JOBS_SUBMITTED]));
	reply_free(&r);
	close(fd1);
out:
	job_close(&j);
	gnl_close(&g);
}

static void c_clients_unknown_device(void)
{
	struct reply r;
	struct gnl g;

	gnl_open(&g);
	expect_refused(&r, clients_dump(&g, NO_DEVICE, &r), ENODEV,
		       "CLIENT_GET dump of accel1000");
	gnl_close(&g);
}

/* ------------------------------------------------------------------------
 * reset: RESET
 */

static int reset(struct gnl *g, uint32_t dev, struct reply *r)
{
	return gnl_request(g, GCONV_CMD_RESET, 0, GCONV_A_DEV_INDEX, dev,
			   &set_dev, r);
}

static void c_reset_root(void)
{
	struct rec before;
	struct reply r;
	struct job j;
	struct gnl g;
	int dev = g_devs[0];

	gnl_open(&g);
	stats_get(&g, dev, &before);
	expect_ok(&r, reset(&g, (uint32_t)dev, &r), "RESET of accel0 as root");
	reply_free(&r);
	expect_counter(&g, dev, &before, GCONV_A_STATS_RESETS, 1,
		       "after a RESET");
	job_open(&j, dev);
	job_run_ok(&j, "a job after the RESET");
	job_close(&j);
	gnl_close(&g);
}

/*
 * RESET from a child that runs @drop first; it must fail with EPERM and
 * leave the resets counter alone.
 */
static void reset_refused(void (*drop)(void), const char *who)
{
	struct rec before;
	struct gnl g;
	int dev = g_devs[0], st;
	pid_t pid;

	gnl_open(&g);
	stats_get(&g, dev, &before);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		FAIL("fork: expected success, got %s", errstr(-errno));
	if (!pid) {
		struct reply r;
		struct gnl cg;
		char what[96];

		drop();
		gnl_open(&cg);
		snprintf(what, sizeof(what), "RESET of accel0 %s", who);
		r.err = reset(&cg, (uint32_t)dev, &r);
		if (r.err != -EPERM)
			FAIL("%s: expected EPERM, got %s (extack: \"%s\")", what,
			     errstr(r.err), r.msg);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		FAIL("waitpid: expected the child, got %s", errstr(-errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		_exit(1); /* it printed its FAIL line */
	sleep_ms(100);
	expect_counter(&g, dev, &before, GCONV_A_STATS_RESETS, 0,
		       "after a refused RESET");
	gnl_close(&g);
}

static void drop_to_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		FAIL("dropping to uid %d: expected success, got %s", NOBODY,
		     errstr(-errno));
}

static void drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		FAIL("capget: expected success, got %s", errstr(-errno));
	d[0].effective &= ~(1u << CAP_SYS_ADMIN);
	d[0].permitted &= ~(1u << CAP_SYS_ADMIN);
	if (!(d[0].effective & (1u << CAP_NET_ADMIN)))
		FAIL("setup: expected to hold CAP_NET_ADMIN, got not");
	if (syscall(SYS_capset, &h, d))
		FAIL("capset without CAP_SYS_ADMIN: expected success, got %s",
		     errstr(-errno));
}

static void c_reset_unprivileged(void)
{
	reset_refused(drop_to_nobody, "as uid 65534 (no capabilities)");
}

static void c_reset_without_cap_sys_admin(void)
{
	reset_refused(drop_cap_sys_admin,
		      "as root with CAP_NET_ADMIN but not CAP_SYS_ADMIN");
}

static void c_reset_unknown_device(void)
{
	struct reply r;
	struct gnl g;

	gnl_open(&g);
	expect_refused(&r, reset(&g, NO_DEVICE, &r), ENODEV,
		       "RESET of accel1000");
	gnl_close(&g);
}

/* ------------------------------------------------------------------------
 * events: EVENT_NTF in the "events" group
 */

/* the attributes every job event carries */
static void check_job_event(const struct rec *e, uint64_t id,
			    uint32_t status, const struct drm_gconv_wait *w)
{
	char comm[32];
	int32_t ctx;

	my_comm(comm, sizeof(comm));
	if (RU32(e, GCONV_A_EVENT_PID) != (uint32_t)getpid())
		FAIL("%s: expected pid %d (ours), got %llu", e->what,
		     (int)getpid(), ULL(e->u[GCONV_A_EVENT_PID]));
	if (strcmp(rs(e, GCONV_A_EVENT_COMM), comm))
		FAIL("%s: expected comm \"%s\", got \"%s\"", e->what, comm,
		     e->s[GCONV_A_EVENT_COMM]);
	if (RU64(e, GCONV_A_EVENT_CLIENT_ID) != id)
		FAIL("%s: expected client-id %llu (CLIENT_GET's), got %llu",
		     e->what, ULL(id), ULL(e->u[GCONV_A_EVENT_CLIENT_ID]));
	if (RU32(e, GCONV_A_EVENT_STATUS) != status)
		FAIL("%s: expected status %s, got %s", e->what,
		     status_name(status),
		     status_name(e->u[GCONV_A_EVENT_STATUS]));
	ctx = RS32(e, GCONV_A_EVENT_CONTEXT);
	if (ctx < 0 || ctx > 15)
		FAIL("%s: expected the context the job ran in (0..15), got %d",
		     e->what, ctx);
	if (RU32(e, GCONV_A_EVENT_QUEUE) > 3)
		FAIL("%s: expected queue 0..3, got %llu", e->what,
		     ULL(e->u[GCONV_A_EVENT_QUEUE]));
	RU64(e, GCONV_A_EVENT_SEQNO);
	if (w && RU32(e, GCONV_A_EVENT_INFO) != w->info)
		FAIL("%s: expected info %#x (WAIT's), got %#llx", e->what,
		     w->info, ULL(e->u[GCONV_A_EVENT_INFO]));
}

static void c_event_reset(void)
{
	struct rec evbuf;
	struct evsock e;
	struct reply r;
	struct gnl g;
	int i;

	gnl_open(&g);
	ev_open(&e);
	for (i = 0; i < g_ndevs; i++) {
		const struct rec *ev;
		char what[48];

		snprintf(what, sizeof(what), "RESET of accel%d", g_devs[i]);
		expect_ok(&r, reset(&g, (uint32_t)g_devs[i], &r), what);
		ev = ev_wait(&e, GCONV_EVENT_TYPE_RESET, g_devs[i], 10, &evbuf);
		if (RU32(ev, GCONV_A_EVENT_RESET_REASON) !=
		    GCONV_RESET_REASON_NETLINK)
			FAIL("%s: expected reset-reason netlink (%d), got %llu",
			     ev->what, GCONV_RESET_REASON_NETLINK,
			     ULL(ev->u[GCONV_A_EVENT_RESET_REASON]));
		if (RU32(ev, GCONV_A_EVENT_JOBS_ABORTED) != 0 ||
		    RU32(ev, GCONV_A_EVENT_JOBS_REQUEUED) != 0)
			FAIL("%s of an idle device: expected jobs-aborted 0 and jobs-requeued 0, got %llu and %llu",
			     ev->what, ULL(ev->u[GCONV_A_EVENT_JOBS_ABORTED]),
			     ULL(ev->u[GCONV_A_EVENT_JOBS_REQUEUED]));
	}
	ev_close(&e);
	gnl_close(&g);
}

static void c_event_mmu_fault(void)
{
	struct rec evbuf;
	struct drm_gconv_wait w;
	const struct rec *ev;
	struct rec before;
	struct evsock e;
	struct job j;
	struct gnl g;
	uint64_t id, cid, fa;
	int dev = g_devs[0];

	gnl_open(&g);
	job_open(&j, dev);
	cid = own_client_id(&g, &j);
	stats_get(&g, dev, &before);
	ev_open(&e);
	id = job_submit(&j, 1);
	job_expect(&j, id, DRM_GCONV_JOB_MMU_FAULT, &w,
		   "a job reading an unmapped address");
	ev = ev_wait(&e, GCONV_EVENT_TYPE_MMU_FAULT, dev, 10, &evbuf);
	check_job_event(ev, cid, DRM_GCONV_JOB_MMU_FAULT, &w);
	fa = RU64(ev, GCONV_A_EVENT_FAULT_ADDR);
	if (fa != w.fault_addr)
		FAIL("%s: expected fault-addr %#llx (WAIT's), got %#llx",
		     ev->what, ULL(w.fault_addr), ULL(fa));
	if (fa < j.bad || fa >= j.bad + 256)
		FAIL("%s: expected fault-addr in [%#llx, %#llx) (the job's input), got %#llx",
		     ev->what, ULL(j.bad), ULL(j.bad + 256), ULL(fa));
	if (RU8(ev, GCONV_A_EVENT_FAULT_WRITE) != 0)
		FAIL("%s: expected fault-write 0 (a read), got %llu", ev->what,
		     ULL(ev->u[GCONV_A_EVENT_FAULT_WRITE]));
	expect_counter(&g, dev, &before, GCONV_A_STATS_MMU_FAULTS, 1,
		       "after an MMU fault");
	ev_none(&e, GCONV_EVENT_TYPE_BAN, dev, 300, "after one fault");
	note("fault-addr %#llx", ULL(fa));
	ev_close(&e);
	job_close(&j);
	gnl_close(&g);
}

static void c_event_ban(void)
{
	struct rec evbuf;
	const struct rec *ev, *c;
	struct drm_gconv_wait w;
	struct rec before;
	struct evsock e;
	struct reply r;
	struct job j;
	struct gnl g;
	uint64_t id, cid;
	char comm[32];
	int dev = g_devs[0], i, rc;

	gnl_open(&g);
	job_open(&j, dev);
	cid = own_client_id(&g, &j);
	stats_get(&g, dev, &before);
	ev_open(&e);
	for (i = 0; i < 3; i++) {
		id = job_submit(&j, 1);
		job_expect(&j, id, DRM_GCONV_JOB_MMU_FAULT, &w,
			   "a job reading an unmapped address");
		ev = ev_wait(&e, GCONV_EVENT_TYPE_MMU_FAULT, dev, 10, &evbuf);
		check_job_event(ev, cid, DRM_GCONV_JOB_MMU_FAULT, &w);
		if (i < 2)
			ev_none(&e, GCONV_EVENT_TYPE_BAN, dev, 100,
				i ? "after two faults" : "after one fault");
	}
	ev = ev_wait(&e, GCONV_EVENT_TYPE_BAN, dev, 10, &evbuf);
	my_comm(comm, sizeof(comm));
	if (RU32(ev, GCONV_A_EVENT_PID) != (uint32_t)getpid())
		FAIL("%s: expected pid %d (ours), got %llu", ev->what,
		     (int)getpid(), ULL(ev->u[GCONV_A_EVENT_PID]));
	if (RU64(ev, GCONV_A_EVENT_CLIENT_ID) != cid)
		FAIL("%s: expected client-id %llu (CLIENT_GET's), got %llu",
		     ev->what, ULL(cid), ULL(ev->u[GCONV_A_EVENT_CLIENT_ID]));
	if (rhas(ev, GCONV_A_EVENT_COMM) &&
	    strcmp(rs(ev, GCONV_A_EVENT_COMM), comm))
		FAIL("%s: expected comm \"%s\", got \"%s\"", ev->what, comm,
		     ev->s[GCONV_A_EVENT_COMM]);
	rc = job_submit_raw(&j, 0, &id);
	if (rc != -ECANCELED)
		FAIL("SUBMIT after the ban: expected ECANCELED, got %s",
		     errstr(rc));
	expect_counter(&g, dev, &before, GCONV_A_STATS_BANS, 1,
		       "after a ban");
	expect_ok(&r, clients_dump(&g, dev, &r), "CLIENT_GET dump");
	c = find_own(&r, dev);
	if (!c)
		FAIL("CLIENT_GET after the ban: expected our client, got none");
	if (RU8(c, GCONV_A_CLIENT_BANNED) != 1 ||
	    RU32(c, GCONV_A_CLIENT_FAULTS) != 3)
		FAIL("our client after the ban: expected banned 1 and faults 3, got %llu and %llu",
		     ULL(c->u[GCONV_A_CLIENT_BANNED]),
		     ULL(c->u[GCONV_A_CLIENT_FAULTS]));
	reply_free(&r);
	ev_close(&e);
	job_close(&j);
	gnl_close(&g);
}

/*
 * Ask the host for a fault injection (@knob), then submit a job every
 * 200 ms until one ends with @want; returns that job's id.
 */
static uint64_t job_until(struct job *j, const char *knob, uint32_t want,
			  struct drm_gconv_wait *w)
{
	int64_t t0 = now_ns();
	uint64_t id;
	int n = 0;

	printf("gconv-nltest: ready for %s\n", knob);
	fflush(stdout);
	for (;;) {
		uint32_t st;

		id = job_submit(j, 0);
		st = job_wait(j, id, 30, w);
		n++;
		if (st == want)
			break;
		if (st != DRM_GCONV_JOB_OK)
			FAIL("waiting for the host's %s: expected status OK or %s, got %s",
			     knob, status_name(want), status_name(st));
		if (now_ns() - t0 > INJECT_WAIT_S * NSEC)
			FAIL("expected a job to end %s within %d s of \"ready for %s\" (the host sets the knob), got %d jobs ending OK",
			     status_name(want), INJECT_WAIT_S, knob, n);
		sleep_ms(200);
	}
	note("job %d ended %s after %.1f s", n, status_name(want),
	     (double)(now_ns() - t0) / 1e9);
	return id;
}

static void c_event_hang(void)
{
	struct rec evbuf;
	struct drm_gconv_wait w;
	const struct rec *ev;
	struct rec before;
	struct evsock e;
	struct job j;
	struct gnl g;
	uint64_t cid;
	int dev = g_devs[0];

	gnl_open(&g);
	job_open(&j, dev);
	job_run_ok(&j, "a job before the hang");
	cid = own_client_id(&g, &j);
	stats_get(&g, dev, &before);
	ev_open(&e);
	job_until(&j, "hang", DRM_GCONV_JOB_TIMEOUT, &w);
	ev = ev_wait(&e, GCONV_EVENT_TYPE_HANG, dev, 10, &evbuf);
	check_job_event(ev, cid, DRM_GCONV_JOB_TIMEOUT, NULL);
	ev = ev_wait(&e, GCONV_EVENT_TYPE_RESET, dev, 10, &evbuf);
	if (RU32(ev, GCONV_A_EVENT_RESET_REASON) != GCONV_RESET_REASON_HANG)
		FAIL("%s after a hang: expected reset-reason hang (%d), got %llu",
		     ev->what, GCONV_RESET_REASON_HANG,
		     ULL(ev->u[GCONV_A_EVENT_RESET_REASON]));
	ru(ev, GCONV_A_EVENT_JOBS_ABORTED, 4);
	ru(ev, GCONV_A_EVENT_JOBS_REQUEUED, 4);
	expect_counter(&g, dev, &before, GCONV_A_STATS_HANGS, 1,
		       "after a hang");
	expect_counter(&g, dev, &before, GCONV_A_STATS_RESETS, 1,
		       "after a hang");
	job_run_ok(&j, "a job after the hang");
	ev_close(&e);
	job_close(&j);
	gnl_close(&g);
}

static void c_event_job_fault(void)
{
	struct rec evbuf;
	struct drm_gconv_wait w;
	const struct rec *ev;
	struct rec before;
	struct evsock e;
	struct job j;
	struct gnl g;
	uint64_t cid;
	int dev = g_devs[0];

	gnl_open(&g);
	job_open(&j, dev);
	job_run_ok(&j, "a job before the DMA error");
	cid = own_client_id(&g, &j);
	stats_get(&g, dev, &before);
	ev_open(&e);
	job_until(&j, "dma-error", DRM_GCONV_JOB_DMA_ERROR, &w);
	ev = ev_wait(&e, GCONV_EVENT_TYPE_JOB_FAULT, dev, 10, &evbuf);
	check_job_event(ev, cid, DRM_GCONV_JOB_DMA_ERROR, &w);
	if (RU64(ev, GCONV_A_EVENT_FAULT_ADDR) != w.fault_addr)
		FAIL("%s: expected fault-addr %#llx (WAIT's), got %#llx",
		     ev->what, ULL(w.fault_addr),
		     ULL(ev->u[GCONV_A_EVENT_FAULT_ADDR]));
	ru(ev, GCONV_A_EVENT_FAULT_WRITE, 1);
	expect_counter(&g, dev, &before, GCONV_A_STATS_JOB_FAULTS, 1,
		       "after a DMA error");
	job_run_ok(&j, "a job after the DMA error");
	ev_close(&e);
	job_close(&j);
	gnl_close(&g);
}

/* ------------------------------------------------------------------------
 * The runner
 */

struct check {
	const char *group;
	const char *name;
	void (*fn)(void);
};

#define C(g, x) { #g, #x, c_##x }
static const struct check checks[] = {
	C(devices, dev_dump),
	C(devices, dev_get_each),
	C(devices, dev_clients_count),
	C(devices, dev_get_unknown_index),
	C(stats, stats_get),
	C(stats, stats_count_a_job),
	C(stats, stats_unknown_device),
	C(stats, stats_no_device),
	C(clients, clients_own),
	C(clients, clients_dev_filter),
	C(clients, clients_unknown_device),
	C(reset, reset_root),
	C(reset, reset_unprivileged),
	C(reset, reset_without_cap_sys_admin),
	C(reset, reset_unknown_device),
	C(events, event_reset),
	C(events, event_mmu_fault),
	C(events, event_ban),
	C(events, event_hang),
	C(events, event_job_fault),
};
#undef C
#define NCHECKS (sizeof(checks) / sizeof(checks[0]))

/* Run one check in a child; 1 if it passed. */
static int run_check(const struct check *c)
{
	int64_t t0 = now_ns();
	pid_t pid, r;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("FAIL %s: fork: expected success, got %s\n", c->name,
		       errstr(-errno));
		return 0;
	}
	if (!pid) {
		c_name = c->name;
		c_note[0] = 0;
		c->fn();
		printf("ok   %s%s%s%s\n", c->name, c_note[0] ? " (" : "",
		       c_note, c_note[0] ? ")" : "");
		fflush(stdout);
		_exit(0);
	}
	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			printf("FAIL %s: waitpid: expected the child, got %s\n",
			       c->name, errstr(-errno));
			return 0;
		}
		if (now_ns() - t0 > CHECK_TIMEOUT_S * NSEC) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			printf("FAIL %s: expected to finish within %d s, got still running (killed)\n",
			       c->name, CHECK_TIMEOUT_S);
			return 0;
		}
		sleep_ms(5);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
		return 0; /* it printed its FAIL line */
	if (WIFSIGNALED(st))
		printf("FAIL %s: expected the check to end normally, got signal %d (%s)\n",
		       c->name, WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		printf("FAIL %s: expected exit 0, got exit %d\n", c->name,
		       WEXITSTATUS(st));
	return 0;
}

static int selected(const struct check *c, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return 1;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "all") || !strcmp(argv[i], c->group) ||
		    !strcmp(argv[i], c->name))
			return 1;
	return 0;
}

static void usage(FILE *f, const char *argv0)
{
	fprintf(f, "usage: %s [--list] [all|devices|stats|clients|reset|events|CHECK]...\n",
		argv0);
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, i;
	size_t k;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout, argv[0]);
		return 0;
	}
	if (argc > 1 && (!strcmp(argv[1], "--list") || !strcmp(argv[1], "-l"))) {
		for (k = 0; k < NCHECKS; k++)
			printf("%-8s %s\n", checks[k].group, checks[k].name);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		int known = !strcmp(argv[i], "all");

		for (k = 0; k < NCHECKS; k++)
			known |= !strcmp(argv[i], checks[k].group) ||
				 !strcmp(argv[i], checks[k].name);
		if (!known) {
			fprintf(stderr, "gconv-nltest: no group or check '%s'\n",
				argv[i]);
			usage(stderr, argv[0]);
			return 2;
		}
	}
	g_ndevs = find_devs();
	if (!g_ndevs) {
		printf("FAIL setup: expected a node /dev/accel/accelN, got none\n"
		       "0 passed, 1 failed\n");
		return 1;
	}
	printf("# gconv-nltest: %d device(s):", g_ndevs);
	for (i = 0; i < g_ndevs; i++)
		printf(" accel%d", g_devs[i]);
	printf("\n");
	for (k = 0; k < NCHECKS; k++) {
		if (!selected(&checks[k], argc, argv))
			continue;
		if (run_check(&checks[k]))
			passed++;
		else
			failed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

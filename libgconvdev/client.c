// SPDX-License-Identifier: MIT
/*
 * The client of gconvd (gconv/client.h, docs/protocol.md).
 *
 * One connection, used by one thread.  Requests other than INFER are
 * synchronous: send, then read messages until the reply with the
 * request's seq arrives.  INFER is asynchronous: its seq is remembered in
 * the instance, and whatever read loop runs when its reply comes (another
 * instance's wait, a synchronous request) files the result there.  Every
 * message read is checked with gconvd_msg_check() and must be a reply
 * type; one that is not, or any unexpected file descriptor, is a protocol
 * failure that closes the connection.
 *
 * When the connection ends (EOF, EPIPE, ECONNRESET, a malformed message),
 * conn_lost() fails every request in flight and increments nothing else:
 * instances stay in the client's list with their source memfds, and are
 * "loaded" only while their generation equals the client's.  The next
 * call that needs gconvd (ensure_connected()) connects, says HELLO, and
 * reloads every instance (reload()), copying each old I/O buffer into the
 * new one and mapping it over the old address when the sizes agree.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, F_ADD_SEALS, MSG_CMSG_CLOEXEC */
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <gconv/client.h>
#include <gconv/device.h> /* gconv_job_status_str() */

#include "fail.h"
#include <gconv/isa.h>

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008u /* Linux 6.3 */
#endif

#define WENT_AWAY    "gconvd went away while the request was in flight"
#define DEFAULT_NAME "libgconvdev"
#define MODEL_SEALS  (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)
/* more file descriptors than any message carries, to see extra ones */
#define MAX_RX_FDS 8
#define TEXT_LEN   (GCONVD_MSG_LEN + 192)

enum infer_state {
	INFER_IDLE,    /* nothing started, or the result was collected */
	INFER_PENDING, /* sent, no reply yet */
	INFER_DONE, /* ended (reply, or the connection's end): wait collects */
};

struct gconv_client_model {
	struct gconv_client *c;
	struct gconv_client_model *prev, *next;

	/* the model file, kept for reloading */
	int src_fd;
	uint64_t src_size;
	char name[GCONVD_NAME_LEN];

	/* the instance on the connection of generation @gen */
	uint64_t gen;
	uint32_t model_id;
	uint32_t gconvs;
	uint64_t hash;
	unsigned char *io; /* mapped I/O buffer (NULL if io_len is 0) */
	size_t io_len;
	uint32_t n_inputs, n_outputs;
	struct gconv_client_tensor *tensors; /* inputs, then outputs */
	uint64_t *offsets;
	char (*names)[GCONVD_NAME_LEN];

	/* the inference */
	enum infer_state state;
	uint32_t infer_seq;
	int infer_rc;
	struct gconv_client_timing timing;
	char infer_err[TEXT_LEN];
};

/* The synchronous request being waited for. */
struct sync_req {
	int active;
	int done;
	uint32_t seq;
	uint16_t req;  /* the request's type */
	uint16_t want; /* the reply type expected (or ERROR) */
	int rc;
	size_t len;	     /* of the reply, left in c->rx */
	int fd;		     /* the reply's fd, or -1 */
	char text[TEXT_LEN]; /* why it failed */
};

struct gconv_client {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char name[GCONVD_NAME_LEN];
	int fd;	      /* -1: not connected */
	bool admin;   /* an administration connection (gconvctl) */
	uint64_t gen; /* of the current (or last) connection */
	uint32_t next_seq;
	struct gconv_client_info info;
	struct gconv_client_model *models;
	struct sync_req sync;
	char notice[TEXT_LEN]; /* gconvd's last ERROR with seq 0 */
	unsigned char *rx;     /* GCONVD_MAX_MSG bytes */
};

#define fail gconv_fail

static void set_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	memset(dst, 0, cap); /* NUL-padded: gconvd checks the padding */
	memcpy(dst, src, n < cap ? n : cap - 1);
}

static int code_errno(uint32_t code)
{
	switch (code) {
	case GCONVD_E_VERSION:
		return -EPROTONOSUPPORT;
	case GCONVD_E_DENIED:
		return -EACCES;
	case GCONVD_E_QUOTA:
		return -EDQUOT;
	case GCONVD_E_BUSY:
		return -EBUSY;
	case GCONVD_E_NO_MODEL:
		return -ENOENT;
	case GCONVD_E_MODEL:
		return -EINVAL;
	case GCONVD_E_DEVICE:
	case GCONVD_E_INTERNAL:
		return -EIO;
	case GCONVD_E_CANCELED:
		return -ECANCELED;
	case GCONVD_E_SHUTDOWN:
		return -ESHUTDOWN;
	case GCONVD_E_NOMEM:
		return -ENOMEM;
	case GCONVD_E_NO_REQUEST:
		return -ESRCH;
	case GCONVD_E_NOT_FOUND:
		return -ENOENT;
	case GCONVD_E_INVALID:
		return -EINVAL;
	case GCONVD_E_DEADLINE:
		return -ETIME;
	default: /* PROTOCOL, ORDER */
		return -EPROTO;
	}
}

/* "gconvd: <message> (GCONVD_E_...)" for an ERROR reply in @msg. */
static int error_reply(const unsigned char *msg, char *text, size_t len)
{
	struct gconvd_error_msg e;

	memcpy(&e, msg, sizeof(e));
	snprintf(text, len, "gconvd: %s (%s)", e.message,
		 gconvd_error_str(e.code));
	return code_errno(e.code);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t new_seq(struct gconv_client *c)
{
	if (!++c->next_seq) /* seq 0 is gconvd's, for the connection */
		c->next_seq = 1;
	return c->next_seq;
}

static void close_fds(const int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

/* ---- the connection's end ------------------------------------------------ */

/*
 * The connection is over: close it and fail every request in flight with
 * @rc and @why.  Instances become unloaded (their generation is old).
 */
static void conn_lost(struct gconv_client *c, int rc, const char *why)
{
	struct gconv_client_model *m;

	if (c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
	if (c->sync.active && !c->sync.done) {
		c->sync.done = 1;
		c->sync.rc = rc;
		c->sync.fd = -1;
		snprintf(c->sync.text, sizeof(c->sync.text), "%s", why);
	}
	for (m = c->models; m; m = m->next) {
		if (m->state != INFER_PENDING)
			continue;
		m->state = INFER_DONE;
		m->infer_rc = rc;
		snprintf(m->infer_err, sizeof(m->infer_err), "%s", why);
	}
}

/* gconvd closed the connection or reset it. */
static void went_away(struct gconv_client *c)
{
	char why[TEXT_LEN + 64];

	if (c->notice[0])
		snprintf(why, sizeof(why), "%s (last word: %s)", WENT_AWAY,
			 c->notice);
	else
		snprintf(why, sizeof(why), "%s", WENT_AWAY);
	conn_lost(c, -ECONNRESET, why);
}

__attribute__((format(printf, 2, 3))) static void
protocol_failure(struct gconv_client *c, const char *fmt, ...)
{
	char what[TEXT_LEN], why[TEXT_LEN + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(why, sizeof(why),
		 "gconvd broke the protocol (%s); the connection was closed",
		 what);
	conn_lost(c, -EPROTO, why);
}

static int connection_error(int e)
{
	return e == EPIPE || e == ECONNRESET || e == ENOTCONN ||
	       e == ECONNABORTED;
}

/* ---- receiving ----------------------------------------------------------- */

static struct gconv_client_model *find_infer(struct gconv_client *c,
					     uint32_t seq)
{
	struct gconv_client_model *m;

	for (m = c->models; m; m = m->next)
		if (m->state == INFER_PENDING && m->infer_seq == seq)
			return m;
	return NULL;
}

static void infer_reply(struct gconv_client *c, struct gconv_client_model *m,
			const unsigned char *msg)
{
	struct gconvd_infer_reply r;
	struct gconvd_hdr h;

	memcpy(&h, msg, sizeof(h));
	if (h.type == GCONVD_MSG_ERROR) {
		m->infer_rc =
			error_reply(msg, m->infer_err, sizeof(m->infer_err));
		m->state = INFER_DONE;
		return;
	}
	if (h.type != GCONVD_MSG_INFER_REPLY) {
		protocol_failure(c, "a %s answered INFER %u",
				 gconvd_msg_name(h.type), h.seq);
		return;
	}
	memcpy(&r, msg, sizeof(r));
	if (r.model_id != m->model_id) {
		protocol_failure(
			c, "INFER %u on instance %u answered for instance %u",
			h.seq, m->model_id, r.model_id);
		return;
	}
	m->timing.queue_ns = r.queue_ns;
	m->timing.exec_ns = r.exec_ns;
	m->infer_rc = 0;
	if (r.status) {
		m->infer_rc = -EIO;
		snprintf(m->infer_err, sizeof(m->infer_err),
			 "the inference failed on the device: %s (status %u)",
			 gconv_job_status_str(r.status), r.status);
	}
	m->state = INFER_DONE;
}

/* File one checked message; takes the fds. */
static void dispatch(struct gconv_client *c, size_t len, int *fds,
		     unsigned int nfds)
{
	struct gconv_client_model *m;
	struct gconvd_hdr h;

	memcpy(&h, c->rx, sizeof(h));
	switch (h.type) {
	case GCONVD_MSG_HELLO_REPLY:
	case GCONVD_MSG_LOAD_REPLY:
	case GCONVD_MSG_INFER_REPLY:
	case GCONVD_MSG_STATS_REPLY:
	case GCONVD_MSG_ADMIN_REPLY:
	case GCONVD_MSG_OK:
	case GCONVD_MSG_ERROR:
		break;
	default:
		close_fds(fds, nfds);
		protocol_failure(c, "it sent a %s, which only clients send",
				 gconvd_msg_name(h.type));
		return;
	}
	if (!h.seq) {
		close_fds(fds, nfds);
		if (h.type != GCONVD_MSG_ERROR) {
			protocol_failure(c, "a %s with seq 0",
					 gconvd_msg_name(h.type));
			return;
		}
		error_reply(c->rx, c->notice, sizeof(c->notice));
		return;
	}
	if (c->sync.active && !c->sync.done && h.seq == c->sync.seq) {
		if (h.type != c->sync.want && h.type != GCONVD_MSG_ERROR) {
			close_fds(fds, nfds);
			protocol_failure(c, "a %s answered %s %u",
					 gconvd_msg_name(h.type),
					 gconvd_msg_name(c->sync.req), h.seq);
			return;
		}
		c->sync.done = 1;
		c->sync.len = len;
		c->sync.fd = nfds ? fds[0] : -1;
		c->sync.rc = 0;
		if (h.type == GCONVD_MSG_ERROR)
			c->sync.rc = error_reply(c->rx, c->sync.text,
						 sizeof(c->sync.text));
		return;
	}
	close_fds(fds, nfds);
	m = find_infer(c, h.seq);
	if (m)
		infer_reply(c, m, c->rx);
	/* else: the reply to a request abandoned (its instance unloaded) */
}

/*
 * Wait up to @timeout_ms (< 0: no limit) for one message and file it.
 * Returns 1 if one was handled, 0 if none came, or -ECONNRESET/-EPROTO
 * once the connection is over (everything in flight has failed then).
 */
static int pump(struct gconv_client *c, int timeout_ms)
{
	union {
		char buf[CMSG_SPACE(MAX_RX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	struct iovec iov = { .iov_base = c->rx, .iov_len = GCONVD_MAX_MSG };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	int fds[MAX_RX_FDS];
	unsigned int nfds = 0;
	struct cmsghdr *cm;
	char why[256];
	ssize_t n;
	int r;

	if (c->fd < 0)
		return -ECONNRESET;
	/*
	 * The socket blocks: with no time limit, recvmsg() waits itself, and
	 * with none to wait, it does not; only a limit needs poll().  (One
	 * system call less per request than polling first.)
	 */
	if (timeout_ms > 0) {
		r = poll(&pfd, 1, timeout_ms);
		if (r < 0)
			return errno == EINTR ? 0 : -errno;
		if (!r)
			return 0;
	}
	n = recvmsg(c->fd, &mh,
		    MSG_CMSG_CLOEXEC | (timeout_ms < 0 ? 0 : MSG_DONTWAIT));
	if (n < 0) {
		int e = errno;

		if (e == EINTR || e == EAGAIN)
			return 0;
		if (connection_error(e)) {
			went_away(c);
			return -ECONNRESET;
		}
		snprintf(why, sizeof(why), "receiving from gconvd: %s",
			 strerror(e));
		conn_lost(c, -e, why);
		return -ECONNRESET;
	}
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t i, k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k && nfds < MAX_RX_FDS; i++)
			memcpy(&fds[nfds++], CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(int));
	}
	if (n == 0 && !nfds) {
		went_away(c);
		return -ECONNRESET;
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		close_fds(fds, nfds);
		protocol_failure(c, "a message %s",
				 mh.msg_flags & MSG_TRUNC
					 ? "longer than GCONVD_MAX_MSG"
					 : "with too many file descriptors");
		return -EPROTO;
	}
	/* before HELLO_REPLY: what every version shares */
	if (gconvd_msg_check_version(c->rx, (size_t)n, nfds,
				     c->info.version ? c->info.version : 1, why,
				     sizeof(why))) {
		close_fds(fds, nfds);
		protocol_failure(c, "%s", why);
		return -EPROTO;
	}
	dispatch(c, (size_t)n, fds, nfds);
	return c->fd < 0 ? -EPROTO : 1;
}

/* Handle whatever is already queued, and notice a closed connection. */
static void drain(struct gconv_client *c)
{
	while (c->fd >= 0 && pump(c, 0) > 0)
		;
}

/* ---- sending ------------------------------------------------------------- */

/*
 * Send @len bytes with @pass_fd (or none if < 0).  A connection that is
 * gone is closed here (failing what was in flight): -ECONNRESET, and this
 * request was not sent.
 */
static int send_msg(struct gconv_client *c, const void *msg, size_t len,
		    int pass_fd, char *text, size_t textlen)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (c->fd < 0)
		return fail(text, textlen, -ECONNRESET, "not connected");
	if (pass_fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	do
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && connection_error(errno)) {
		/* replies gconvd sent before it left are still to be read:
		 * file them before failing what is in flight */
		drain(c);
		went_away(c);
		return fail(text, textlen, -ECONNRESET,
			    "gconvd went away before the request was sent");
	}
	if (n < 0)
		return fail(text, textlen, -errno, "sending to gconvd: %s",
			    strerror(errno));
	if ((size_t)n != len)
		return fail(text, textlen, -EIO, "sent %zd of %zu bytes", n,
			    len);
	return 0;
}

/*
 * Send the request @msg (its seq is set here) and wait for its reply of
 * type @want.  On success the reply is in c->rx (c->sync.len bytes) and
 * its fd, if any, in c->sync.fd (the caller owns it); otherwise the
 * reason is in c->sync.text.
 */
static int roundtrip(struct gconv_client *c, void *msg, size_t len, int pass_fd,
		     uint16_t want)
{
	struct gconvd_hdr *h = msg;
	int ret;

	memset(&c->sync, 0, sizeof(c->sync));
	c->sync.fd = -1;
	gconvd_hdr_init(h, h->type, (uint32_t)len, new_seq(c));
	ret = send_msg(c, msg, len, pass_fd, c->sync.text,
		       sizeof(c->sync.text));
	if (ret)
		return ret;
	c->sync.active = 1;
	c->sync.seq = h->seq;
	c->sync.req = h->type;
	c->sync.want = want;
	do
		ret = pump(c, -1);
	while (!c->sync.done && ret >= 0);
	c->sync.active = 0;
	if (!c->sync.done) /* poll() failed; the connection is still up */
		return fail(c->sync.text, sizeof(c->sync.text), ret,
			    "waiting for gconvd: %s", strerror(-ret));
	return c->sync.rc;
}

/* ---- connecting ---------------------------------------------------------- */

static int hello(struct gconv_client *c, char *err, size_t errlen)
{
	struct gconvd_hello_reply r;
	struct gconvd_hello m;
	int ret;

	memset(&m, 0, sizeof(m));
	m.hdr.type = GCONVD_MSG_HELLO;
	m.version_min = 1;
	m.version_max = GCONVD_VERSION;
	if (c->admin) {
		m.version_min = 3;
		m.flags = GCONVD_HELLO_F_ADMIN;
	}
	set_str(m.client, sizeof(m.client), c->name);
	ret = roundtrip(c, &m, sizeof(m), -1, GCONVD_MSG_HELLO_REPLY);
	if (ret)
		return fail(err, errlen, ret, "gconvd at %s: %s", c->path,
			    c->sync.text);
	memcpy(&r, c->rx, sizeof(r));
	if (r.version < 1 || r.version > GCONVD_VERSION)
		return fail(err, errlen, -EPROTONOSUPPORT,
			    "gconvd at %s chose protocol version %u; this "
			    "library speaks 1 to %d",
			    c->path, r.version, GCONVD_VERSION);
	c->info.version = r.version;
	c->info.backend = r.backend;
	memcpy(c->info.tenant, r.tenant, sizeof(c->info.tenant));
	c->info.max_queued = r.max_queued;
	c->info.max_in_flight = r.max_in_flight;
	c->info.memory_quota = r.memory_quota;
	return 0;
}

static int do_connect(struct gconv_client *c, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int fd, ret;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, errlen, -errno, "socket: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, c->path, strlen(c->path));
	do
		ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	while (ret && errno == EINTR);
	if (ret) {
		ret = -errno;
		close(fd);
		return fail(err, errlen, ret,
			    "cannot connect to gconvd at %s: %s", c->path,
			    strerror(-ret));
	}
	c->fd = fd;
	c->notice[0] = 0;
	c->gen++;
	ret = hello(c, err, errlen);
	if (ret) {
		if (c->fd >= 0) {
			close(c->fd);
			c->fd = -1;
		}
		return ret;
	}
	c->info.connects++;
	return 0;
}

static int reload(struct gconv_client_model *m, char *err, size_t errlen);

/*
 * Make sure the client is connected: notice a connection that ended,
 * reconnect, and reload every instance (one that fails stays unloaded and
 * is retried when used).
 */
static int ensure_connected(struct gconv_client *c, char *err, size_t errlen)
{
	struct gconv_client_model *m;
	int ret;

	drain(c);
	if (c->fd >= 0)
		return 0;
	ret = do_connect(c, err, errlen);
	if (ret)
		return ret;
	for (m = c->models; m && c->fd >= 0; m = m->next)
		reload(m, NULL, 0);
	if (c->fd < 0)
		return fail(
			err, errlen, -ECONNRESET,
			"gconvd went away again while the client reconnected");
	return 0;
}

/* ---- instances ----------------------------------------------------------- */

static int loaded(const struct gconv_client_model *m)
{
	return m->c->fd >= 0 && m->gen == m->c->gen;
}

/* Ask gconvd to drop an instance this client cannot use; no reply wait. */
static void unload_quietly(struct gconv_client *c, uint32_t model_id)
{
	struct gconvd_unload u;

	memset(&u, 0, sizeof(u));
	gconvd_hdr_init(&u.hdr, GCONVD_MSG_UNLOAD, sizeof(u), new_seq(c));
	u.model_id = model_id;
	send_msg(c, &u, sizeof(u), -1, NULL, 0);
}

/*
 * Map the I/O buffer @fd of @len bytes, keeping m's old buffer's contents
 * and, if possible, its address.  Returns the mapping or MAP_FAILED.
 */
static void *map_io(struct gconv_client_model *m, int fd, size_t len)
{
	void *p, *q;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || !m->io)
		return p;
	if (m->io_len != len) {
		munmap(m->io, m->io_len);
		m->io = NULL;
		return p;
	}
	memcpy(p, m->io, len);
	q = mmap(m->io, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 0);
	if (q == m->io) {
		munmap(p, len);
		p = q;
	} else {
		munmap(m->io, len);
	}
	m->io = NULL;
	return p;
}

/* Take a checked LOAD_REPLY (in c->rx) and its I/O buffer @fd. */
static int install(struct gconv_client_model *m, int fd, char *err,
		   size_t errlen)
{
	struct gconv_client *c = m->c;
	struct gconvd_load_reply r;
	struct gconv_client_tensor *tt = NULL;
	uint64_t *oo = NULL;
	char(*nn)[GCONVD_NAME_LEN] = NULL;
	struct gconvd_tensor t;
	uint32_t i, n;
	off_t end;
	void *io = NULL;
	size_t len;
	int ret;

	memcpy(&r, c->rx, sizeof(r));
	n = r.n_inputs + r.n_outputs; /* checked: no wrap, <= MAX_TENSORS */
	if (r.io_size > SIZE_MAX)
		return fail(err, errlen, -EFBIG,
			    "its I/O buffer of %llu bytes cannot be mapped",
			    (unsigned long long)r.io_size);
	len = (size_t)r.io_size;
	end = lseek(fd, 0, SEEK_END);
	if (end < 0 || (uint64_t)end < r.io_size)
		return fail(err, errlen, -EPROTO,
			    "gconvd broke the protocol (an I/O buffer of %lld "
			    "bytes for a %llu-byte LOAD_REPLY)",
			    (long long)end, (unsigned long long)r.io_size);
	if (!m->tensors || n != m->n_inputs + m->n_outputs) {
		/* a new table; the old one stays until nothing can fail */
		tt = calloc(n ? n : 1, sizeof(*tt));
		oo = calloc(n ? n : 1, sizeof(*oo));
		nn = calloc(n ? n : 1, sizeof(*nn));
		if (!tt || !oo || !nn) {
			ret = fail(err, errlen, -ENOMEM, "out of memory");
			goto err_free;
		}
	}
	if (len) {
		io = map_io(m, fd, len);
		if (io == MAP_FAILED) {
			ret = fail(err, errlen, -errno,
				   "mmap of its %zu-byte I/O buffer: %s", len,
				   strerror(errno));
			goto err_free;
		}
	} else if (m->io) {
		munmap(m->io, m->io_len);
	}
	if (tt) {
		free(m->tensors);
		free(m->offsets);
		free(m->names);
		m->tensors = tt;
		m->offsets = oo;
		m->names = nn;
	}
	m->io = io;
	m->io_len = len;
	m->n_inputs = r.n_inputs;
	m->n_outputs = r.n_outputs;
	for (i = 0; i < n; i++) {
		struct gconv_client_tensor *ct = &m->tensors[i];
		uint32_t d;

		memcpy(&t, c->rx + sizeof(r) + (size_t)i * sizeof(t),
		       sizeof(t));
		memcpy(m->names[i], t.name, sizeof(t.name));
		ct->name = m->names[i];
		ct->dtype = t.dtype;
		ct->ndim = t.ndim;
		ct->elems = 1;
		for (d = 0; d < GCONVD_MAX_DIMS; d++) {
			ct->dims[d] = t.dims[d];
			if (d < t.ndim)
				ct->elems *= (uint64_t)t.dims[d];
		}
		ct->bytes = t.bytes;
		m->offsets[i] = t.offset;
	}
	m->model_id = r.model_id;
	m->gconvs = r.gconvs;
	m->hash = r.hash;
	m->gen = c->gen;
	return 0;

err_free:
	free(tt);
	free(oo);
	free(nn);
	return ret;
}

/* Load m's model file on the current connection. */
static int reload(struct gconv_client_model *m, char *err, size_t errlen)
{
	struct gconv_client *c = m->c;
	struct gconvd_load l;
	struct gconvd_load_reply r;
	int ret, fd;

	memset(&l, 0, sizeof(l));
	l.hdr.type = GCONVD_MSG_LOAD;
	l.format = GCONVD_FORMAT_AUTO;
	l.size = m->src_size;
	memcpy(l.name, m->name, sizeof(l.name));
	ret = roundtrip(c, &l, sizeof(l), m->src_fd, GCONVD_MSG_LOAD_REPLY);
	if (ret)
		return fail(err, errlen, ret, "loading model '%s': %s", m->name,
			    c->sync.text);
	fd = c->sync.fd;
	memcpy(&r, c->rx, sizeof(r));
	ret = install(m, fd, c->sync.text, sizeof(c->sync.text));
	close(fd);
	if (ret) {
		unload_quietly(c, r.model_id);
		return fail(err, errlen, ret, "loading model '%s': %s", m->name,
			    c->sync.text);
	}
	return 0;
}

/* The instance, loaded on a live connection (reconnecting if need be). */
static int ready(struct gconv_client_model *m, char *err, size_t errlen)
{
	int ret = ensure_connected(m->c, err, errlen);

	if (ret)
		return ret;
	if (loaded(m))
		return 0;
	return reload(m, err, errlen);
}

static void free_model(struct gconv_client_model *m)
{
	struct gconv_client *c = m->c;

	if (m->prev)
		m->prev->next = m->next;
	else
		c->models = m->next;
	if (m->next)
		m->next->prev = m->prev;
	if (m->io)
		munmap(m->io, m->io_len);
	if (m->src_fd >= 0)
		close(m->src_fd);
	free(m->tensors);
	free(m->offsets);
	free(m->names);
	free(m);
}

/* A sealed memfd holding @len bytes, from @buf or else read from @src. */
static int make_source(const void *buf, int src, size_t len, const char *what,
		       int *out, char *err, size_t errlen)
{
	char chunk[65536];
	size_t done = 0;
	int fd, ret;

	fd = memfd_create("gconv-model",
			  MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
	if (fd < 0 && errno == EINVAL) /* before Linux 6.3 */
		fd = memfd_create("gconv-model",
				  MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return fail(err, errlen, -errno, "memfd_create: %s",
			    strerror(errno));
	while (done < len) {
		const char *p = (const char *)buf + done;
		size_t want = len - done;
		ssize_t n;

		if (!buf) {
			if (want > sizeof(chunk))
				want = sizeof(chunk);
			n = read(src, chunk, want);
			if (n == 0) {
				ret = fail(err, errlen, -EIO,
					   "%s: shrank while being read", what);
				goto err_close;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				ret = fail(err, errlen, -errno,
					   "reading %s: %s", what,
					   strerror(errno));
				goto err_close;
			}
			p = chunk;
			want = (size_t)n;
		}
		while (want) {
			n = write(fd, p, want);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				ret = fail(err, errlen, -errno,
					   "copying %s into a memfd: %s", what,
					   strerror(errno));
				goto err_close;
			}
			p += n;
			want -= (size_t)n;
			done += (size_t)n;
		}
	}
	if (fcntl(fd, F_ADD_SEALS, MODEL_SEALS)) {
		ret = fail(err, errlen, -errno, "sealing the memfd: %s",
			   strerror(errno));
		goto err_close;
	}
	*out = fd;
	return 0;

err_close:
	close(fd);
	return ret;
}

static int load(struct gconv_client *c, int src_fd, uint64_t size,
		const char *name, struct gconv_client_model **out, char *err,
		size_t errlen)
{
	struct gconv_client_model *m;
	int ret;

	m = calloc(1, sizeof(*m));
	if (!m) {
		close(src_fd);
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	m->c = c;
	m->src_fd = src_fd;
	m->src_size = size;
	set_str(m->name, sizeof(m->name), name);
	/* connect first, so that a reconnection does not load it twice */
	ret = ensure_connected(c, err, errlen);
	m->next = c->models;
	if (c->models)
		c->models->prev = m;
	c->models = m;
	if (!ret)
		ret = reload(m, err, errlen);
	if (ret) {
		free_model(m);
		return ret;
	}
	*out = m;
	return 0;
}

/* ---- the API ------------------------------------------------------------- */

static int connect_as(const char *socket_path, const char *client_name,
		      bool admin, struct gconv_client **out, char *err,
		      size_t errlen);

int gconv_client_connect(const char *socket_path, const char *client_name,
			 struct gconv_client **out, char *err, size_t errlen)
{
	return connect_as(socket_path, client_name, false, out, err, errlen);
}

int gconv_client_admin_connect(const char *socket_path,
			       const char *client_name,
			       struct gconv_client **out, char *err,
			       size_t errlen)
{
	return connect_as(socket_path, client_name, true, out, err, errlen);
}

/* The largest document an ADMIN_REPLY may carry. */
#define MAX_ADMIN_DOC (64u << 20)

int gconv_client_admin(struct gconv_client *c, uint32_t op, const char *name,
		       const char *arg, char **doc, size_t *len, char *err,
		       size_t errlen)
{
	struct gconvd_admin_reply r;
	struct gconvd_admin m;
	bool query = op >= GCONVD_ADMIN_STATUS && op <= GCONVD_ADMIN_METRICS;
	struct stat st;
	size_t off = 0;
	char *buf;
	int fd, ret;

	if (doc)
		*doc = NULL;
	if (len)
		*len = 0;
	if (!c->admin)
		return fail(err, errlen, -EINVAL,
			    "not an administration connection "
			    "(gconv_client_admin_connect())");
	if (op < 1 || op > GCONVD_ADMIN_OP_MAX)
		return fail(err, errlen, -EINVAL, "unknown admin operation %u",
			    op);
	if (query && !doc)
		return fail(err, errlen, -EINVAL, "no place for the answer");
	if ((name && strlen(name) >= sizeof(m.name)) ||
	    (arg && strlen(arg) >= sizeof(m.arg)))
		return fail(err, errlen, -ENAMETOOLONG,
			    "a name of at most %zu bytes and settings of at "
			    "most %zu",
			    sizeof(m.name) - 1, sizeof(m.arg) - 1);
	ret = ensure_connected(c, err, errlen);
	if (ret)
		return ret;
	memset(&m, 0, sizeof(m));
	m.hdr.type = GCONVD_MSG_ADMIN;
	m.op = op;
	set_str(m.name, sizeof(m.name), name ? name : "");
	set_str(m.arg, sizeof(m.arg), arg ? arg : "");
	ret = roundtrip(c, &m, sizeof(m), -1,
			query ? GCONVD_MSG_ADMIN_REPLY : GCONVD_MSG_OK);
	if (ret)
		return fail(err, errlen, ret, "%s", c->sync.text);
	if (!query)
		return 0;
	memcpy(&r, c->rx, sizeof(r));
	fd = c->sync.fd;
	if (r.op != op || r.size > MAX_ADMIN_DOC || fstat(fd, &st) ||
	    (uint64_t)st.st_size < r.size) {
		close(fd);
		return fail(err, errlen, -EPROTO,
			    "gconvd's answer does not hold the %llu bytes it "
			    "announces",
			    (unsigned long long)r.size);
	}
	buf = malloc(r.size + 1);
	if (!buf) {
		close(fd);
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	while (off < r.size) {
		ssize_t n = pread(fd, buf + off, r.size - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EPROTO;
			free(buf);
			close(fd);
			return fail(err, errlen, ret,
				    "reading gconvd's answer: %s",
				    n < 0 ? strerror(-ret) : "it is short");
		}
		off += (size_t)n;
	}
	close(fd);
	buf[r.size] = '\0';
	*doc = buf;
	if (len)
		*len = r.size;
	return 0;
}

static int connect_as(const char *socket_path, const char *client_name,
		      bool admin, struct gconv_client **out, char *err,
		      size_t errlen)
{
	struct gconv_client *c;
	const char *path = socket_path;
	int ret;

	if (!path) {
		path = getenv("GCONVD_SOCKET");
		if (!path || !*path)
			path = GCONVD_DEFAULT_SOCKET;
	}
	if (!client_name)
		client_name = DEFAULT_NAME;
	if (!*path)
		return fail(err, errlen, -EINVAL, "empty socket path");
	if (strlen(path) >= sizeof(c->path))
		return fail(err, errlen, -ENAMETOOLONG,
			    "socket path %s is longer than %zu bytes", path,
			    sizeof(c->path) - 1);
	if (strlen(client_name) >= GCONVD_NAME_LEN)
		return fail(err, errlen, -ENAMETOOLONG,
			    "client name '%s' is longer than %d bytes",
			    client_name, GCONVD_NAME_LEN - 1);
	c = calloc(1, sizeof(*c));
	if (!c)
		return fail(err, errlen, -ENOMEM, "out of memory");
	c->rx = malloc(GCONVD_MAX_MSG);
	if (!c->rx) {
		free(c);
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	c->fd = -1;
	c->admin = admin;
	snprintf(c->path, sizeof(c->path), "%s", path);
	set_str(c->name, sizeof(c->name), client_name);
	ret = do_connect(c, err, errlen);
	if (ret) {
		gconv_client_close(c);
		return ret;
	}
	*out = c;
	return 0;
}

void gconv_client_close(struct gconv_client *c)
{
	if (!c)
		return;
	/* gconvd frees everything of a connection that closes */
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	while (c->models)
		free_model(c->models);
	free(c->rx);
	free(c);
}

void gconv_client_get_info(const struct gconv_client *c,
			   struct gconv_client_info *info)
{
	*info = c->info;
}

const char *gconv_client_socket(const struct gconv_client *c)
{
	return c->path;
}

int gconv_client_stats(struct gconv_client *c, struct gconv_client_stats *st,
		       char *err, size_t errlen)
{
	struct gconvd_stats_reply r;
	struct gconvd_stats m;
	int ret;

	ret = ensure_connected(c, err, errlen);
	if (ret)
		return ret;
	memset(&m, 0, sizeof(m));
	m.hdr.type = GCONVD_MSG_STATS;
	ret = roundtrip(c, &m, sizeof(m), -1, GCONVD_MSG_STATS_REPLY);
	if (ret)
		return fail(err, errlen, ret, "stats: %s", c->sync.text);
	memcpy(&r, c->rx, sizeof(r));
	memcpy(st->tenant, r.tenant, sizeof(st->tenant));
	st->requests = r.requests;
	st->completed = r.completed;
	st->failed = r.failed;
	st->rejected = r.rejected;
	st->queued = r.queued;
	st->in_flight = r.in_flight;
	st->clients = r.clients;
	st->models = r.models;
	st->memory = r.memory;
	return 0;
}

int gconv_client_load_file(struct gconv_client *c, const char *path,
			   const char *name, struct gconv_client_model **out,
			   char *err, size_t errlen)
{
	const char *base = strrchr(path, '/');
	char stem[GCONVD_NAME_LEN];
	struct stat st;
	size_t n;
	int fd, src, ret;

	base = base ? base + 1 : path;
	if (!name) {
		/* "models/digits.onnx" is model "digits" to the policy */
		n = strlen(base);
		if (n > 5 && !strcmp(base + n - 5, ".onnx"))
			n -= 5;
		else if (n > 4 && !strcmp(base + n - 4, ".gcm"))
			n -= 4;
		if (n >= sizeof(stem))
			return fail(err, errlen, -ENAMETOOLONG,
				    "model name '%.*s' is longer than %d bytes",
				    (int)n, base, GCONVD_NAME_LEN - 1);
		memcpy(stem, base, n);
		stem[n] = '\0';
		name = stem;
	}
	if (strlen(name) >= GCONVD_NAME_LEN)
		return fail(err, errlen, -ENAMETOOLONG,
			    "model name '%s' is longer than %d bytes", name,
			    GCONVD_NAME_LEN - 1);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, -errno, "%s: %s", path,
			    strerror(errno));
	if (fstat(fd, &st)) {
		ret = fail(err, errlen, -errno, "%s: %s", path,
			   strerror(errno));
		close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
		close(fd);
		return fail(err, errlen, -EINVAL, "%s: %s", path,
			    S_ISREG(st.st_mode) ? "empty file"
						: "not a regular file");
	}
	ret = make_source(NULL, fd, (size_t)st.st_size, path, &src, err,
			  errlen);
	close(fd);
	if (ret)
		return ret;
	return load(c, src, (uint64_t)st.st_size, name, out, err, errlen);
}

int gconv_client_load_buffer(struct gconv_client *c, const void *buf,
			     size_t len, const char *name,
			     struct gconv_client_model **out, char *err,
			     size_t errlen)
{
	int src, ret;

	if (!name)
		name = "";
	if (strlen(name) >= GCONVD_NAME_LEN)
		return fail(err, errlen, -ENAMETOOLONG,
			    "model name '%s' is longer than %d bytes", name,
			    GCONVD_NAME_LEN - 1);
	if (!buf || !len)
		return fail(err, errlen, -EINVAL, "an empty model buffer");
	ret = make_source(buf, -1, len, "the model buffer", &src, err, errlen);
	if (ret)
		return ret;
	return load(c, src, len, name, out, err, errlen);
}

int gconv_client_unload(struct gconv_client_model *m, char *err, size_t errlen)
{
	struct gconv_client *c;
	struct gconvd_unload u;
	int ret = 0;

	if (!m)
		return 0;
	c = m->c;
	drain(c);
	if (loaded(m)) {
		memset(&u, 0, sizeof(u));
		u.hdr.type = GCONVD_MSG_UNLOAD;
		u.model_id = m->model_id;
		ret = roundtrip(c, &u, sizeof(u), -1, GCONVD_MSG_OK);
		if (ret && c->fd < 0)
			ret = 0; /* the instance went with the connection */
		else if (ret)
			fail(err, errlen, ret, "unloading model '%s': %s",
			     m->name, c->sync.text);
	}
	free_model(m);
	return ret;
}

uint32_t gconv_client_num_inputs(const struct gconv_client_model *m)
{
	return m->n_inputs;
}

uint32_t gconv_client_num_outputs(const struct gconv_client_model *m)
{
	return m->n_outputs;
}

const struct gconv_client_tensor *
gconv_client_input(const struct gconv_client_model *m, uint32_t i)
{
	return i < m->n_inputs ? &m->tensors[i] : NULL;
}

const struct gconv_client_tensor *
gconv_client_output(const struct gconv_client_model *m, uint32_t i)
{
	return i < m->n_outputs ? &m->tensors[m->n_inputs + i] : NULL;
}

static int find(const struct gconv_client_model *m, uint32_t first, uint32_t n,
		const char *name)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(m->tensors[first + i].name, name))
			return (int)i;
	return -1;
}

int gconv_client_find_input(const struct gconv_client_model *m,
			    const char *name)
{
	return find(m, 0, m->n_inputs, name);
}

int gconv_client_find_output(const struct gconv_client_model *m,
			     const char *name)
{
	return find(m, m->n_inputs, m->n_outputs, name);
}

static void *tensor_data(struct gconv_client_model *m, uint32_t idx)
{
	/* the current mapping, even while the connection is down: what is
	 * written there is copied into the next instance's buffer */
	if (!m->io)
		return NULL;
	return m->io + m->offsets[idx];
}

float *gconv_client_input_data(struct gconv_client_model *m, uint32_t i)
{
	return i < m->n_inputs ? tensor_data(m, i) : NULL;
}

const float *gconv_client_output_data(struct gconv_client_model *m, uint32_t i)
{
	return i < m->n_outputs ? tensor_data(m, m->n_inputs + i) : NULL;
}

uint64_t gconv_client_model_hash(const struct gconv_client_model *m)
{
	return m->hash;
}

uint32_t gconv_client_model_gconvs(const struct gconv_client_model *m)
{
	return m->gconvs;
}

int gconv_client_infer_start(struct gconv_client_model *m, char *err,
			     size_t errlen)
{
	return gconv_client_infer_start_deadline(m, 0, err, errlen);
}

int gconv_client_infer_start_deadline(struct gconv_client_model *m,
				      uint64_t deadline_ns, char *err,
				      size_t errlen)
{
	struct gconv_client *c = m->c;
	/* INFER and INFER2 have the same layout (deadline_ns: reserved) */
	struct gconvd_infer2 q;
	char text[128];
	int ret, attempt;

	if (m->state != INFER_IDLE)
		return fail(err, errlen, -EBUSY,
			    "model '%s': an inference is already pending on "
			    "this instance (wait for it first; load the model "
			    "again to run several at once)",
			    m->name);
	/* a connection found dead before the request left is not a
	 * failure of the request: reconnect and send it once more */
	for (attempt = 0; attempt < 2; attempt++) {
		ret = ready(m, err, errlen);
		if (ret)
			return ret;
		if (deadline_ns && c->info.version < 2)
			return fail(err, errlen, -EOPNOTSUPP,
				    "model '%s': gconvd speaks protocol version "
				    "%u, deadlines need version 2",
				    m->name, c->info.version);
		memset(&q, 0, sizeof(q));
		gconvd_hdr_init(&q.hdr,
				deadline_ns ? GCONVD_MSG_INFER2
					    : GCONVD_MSG_INFER,
				sizeof(q), new_seq(c));
		q.model_id = m->model_id;
		q.deadline_ns = deadline_ns;
		ret = send_msg(c, &q, sizeof(q), -1, text, sizeof(text));
		if (ret != -ECONNRESET)
			break;
	}
	if (ret)
		return fail(err, errlen, ret, "model '%s': %s", m->name, text);
	m->state = INFER_PENDING;
	m->infer_seq = q.hdr.seq;
	m->infer_rc = 0;
	m->infer_err[0] = 0;
	return 0;
}

int gconv_client_infer_wait(struct gconv_client_model *m, int timeout_ms,
			    struct gconv_client_timing *timing, char *err,
			    size_t errlen)
{
	struct gconv_client *c = m->c;
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	int ret;

	if (m->state == INFER_IDLE)
		return fail(err, errlen, -EINVAL,
			    "model '%s': no inference was started", m->name);
	while (m->state == INFER_PENDING) {
		int left = -1;

		if (deadline >= 0) {
			int64_t l = deadline - now_ms();

			left = l < 0 ? 0 : l > INT32_MAX ? INT32_MAX : (int)l;
		}
		ret = pump(c, left);
		if (ret < 0 && m->state == INFER_PENDING) {
			/* poll() failed: the connection is still there */
			return fail(err, errlen, ret,
				    "model '%s': waiting for gconvd: %s",
				    m->name, strerror(-ret));
		}
		if (ret == 0 && m->state == INFER_PENDING && deadline >= 0 &&
		    now_ms() >= deadline)
			return fail(err, errlen, -ETIMEDOUT,
				    "model '%s': the inference is still "
				    "running after %d ms",
				    m->name, timeout_ms);
	}
	m->state = INFER_IDLE;
	if (m->infer_rc)
		return fail(err, errlen, m->infer_rc, "model '%s': %s", m->name,
			    m->infer_err);
	if (timing)
		*timing = m->timing;
	return 0;
}

int gconv_client_infer(struct gconv_client_model *m,
		       struct gconv_client_timing *timing, char *err,
		       size_t errlen)
{
	int ret = gconv_client_infer_start(m, err, errlen);

	if (ret)
		return ret;
	return gconv_client_infer_wait(m, -1, timing, err, errlen);
}

int gconv_client_cancel(struct gconv_client_model *m, char *err, size_t errlen)
{
	struct gconv_client *c = m->c;
	struct gconvd_cancel q;
	int ret;

	drain(c);
	if (m->state == INFER_IDLE)
		return fail(err, errlen, -ESRCH,
			    "model '%s': no inference is pending", m->name);
	if (m->state == INFER_DONE)
		return 0; /* it ended first */
	memset(&q, 0, sizeof(q));
	q.hdr.type = GCONVD_MSG_CANCEL;
	q.target = m->infer_seq;
	ret = roundtrip(c, &q, sizeof(q), -1, GCONVD_MSG_OK);
	if (ret == -ESRCH)
		return 0; /* gconvd had answered it already */
	if (ret)
		return fail(err, errlen, ret, "model '%s': cancel: %s", m->name,
			    c->sync.text);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * The gconvd client library (gconv/client.h) against a fake gconvd: a
 * thread listening on a Unix SOCK_SEQPACKET socket in a temporary
 * directory that answers HELLO, LOAD, INFER (y = 2x + 1 in the shared I/O
 * buffer), CANCEL, UNLOAD and STATS with canned replies, checks every
 * request with gconvd_msg_check(), and misbehaves on command: ERROR
 * replies, held and reordered INFER replies, malformed replies, extra
 * file descriptors, and hanging up mid-request or while idle.
 *
 * Every subtest also checks that the process holds exactly the file
 * descriptors it held before (nothing leaked by the library) and that
 * every request the fake received was well-formed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* F_GET_SEALS, MSG_CMSG_CLOEXEC */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
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
#include <gconv/isa.h>
#include <gconv/protocol.h>

#include "../harness.h"

/* ---- the fake gconvd ----------------------------------------------------- */

#define IO_SIZE	 4096
#define X_OFF	 0
#define Y_OFF	 64
#define N_ELEMS	 4
#define MAX_INST 8
#define MAX_HELD 8

enum stats_fault {
	STATS_OK,
	STATS_BAD_MAGIC,
	STATS_EXTRA_FD,
	STATS_WRONG_TYPE,
};

enum load_fault {
	LOAD_OK,
	LOAD_TENSOR_OUTSIDE, /* fails gconvd_msg_check() */
	LOAD_SMALL_BUFFER,   /* the fd is smaller than io_size */
	LOAD_WRONG_TYPE,     /* an OK answers LOAD */
};

struct fake_inst {
	int used;
	uint32_t id;
	unsigned char *io;
};

struct held {
	uint32_t seq, id;
};

struct fake {
	char dir[64], path[108]; /* sun_path's size */
	int lfd, stop[2];
	pthread_t thr;
	int fds_at_start;

	/* behaviour: set before the client connects */
	uint16_t hello_version;
	int hello_error_conn; /* its HELLO gets hello_error */
	uint32_t hello_error;
	uint32_t load_error;   /* ERROR code for every LOAD */
	uint32_t infer_error;  /* ERROR code for every INFER */
	uint32_t infer_status; /* INFER_REPLY status */
	int hold; /* answer INFERs once this many wait, newest first */
	int hangup_infer_conn;	/* on this connection, hang up at INFER ... */
	int hangup_infer_nth;	/* ... number n (default 1) */
	int hangup_load_conn;	/* hang up right after answering LOAD */
	int hangup_answer_conn; /* hang up right after answering INFER */
	int notice;		/* before hanging up, an ERROR with seq 0 */
	int fault_conn;		/* stats_fault and load_fault apply here */
	enum stats_fault stats_fault;
	enum load_fault load_fault;
	int cancel_late; /* answer the INFER, then NO_REQUEST */
	int hold_cancel; /* hold INFERs (answered only if cancelled) */

	/* observations */
	atomic_int conns, closed, hellos, loads, infers, unloads, cancels,
		stats, bad;
	char bad_why[256];
	char client_name[GCONVD_NAME_LEN];
	uint16_t vmin, vmax;
	unsigned char model[256];
	size_t model_len;
	uint64_t model_size, model_fd_size;
	int seals;
	char model_name[GCONVD_NAME_LEN];
	atomic_int extra_read_end; /* STATS_EXTRA_FD's pipe, for the test */

	/* the connection being served */
	int conn;
	int conn_no;
	int conn_infers;
	struct fake_inst inst[MAX_INST];
	uint32_t next_id;
	struct held held[MAX_HELD];
	int nheld;
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

static void set_str(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(s);

	memset(dst, 0, cap);
	memcpy(dst, s, n < cap ? n : cap - 1);
}

static void fake_send(struct fake *f, void *msg, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	sendmsg(f->conn, &mh, MSG_NOSIGNAL);
}

static void fake_error(struct fake *f, uint32_t seq, uint32_t code,
		       const char *text)
{
	struct gconvd_error_msg e;

	memset(&e, 0, sizeof(e));
	gconvd_hdr_init(&e.hdr, GCONVD_MSG_ERROR, sizeof(e), seq);
	e.code = code;
	set_str(e.message, sizeof(e.message), text);
	fake_send(f, &e, sizeof(e), -1);
}

static void fake_ok(struct fake *f, uint32_t seq)
{
	struct gconvd_ok ok;

	gconvd_hdr_init(&ok.hdr, GCONVD_MSG_OK, sizeof(ok), seq);
	fake_send(f, &ok, sizeof(ok), -1);
}

static struct fake_inst *fake_inst(struct fake *f, uint32_t id)
{
	int i;

	for (i = 0; i < MAX_INST; i++)
		if (f->inst[i].used && f->inst[i].id == id)
			return &f->inst[i];
	return NULL;
}

static void fake_hello(struct fake *f, const unsigned char *msg)
{
	struct gconvd_hello h;
	struct gconvd_hello_reply r;

	memcpy(&h, msg, sizeof(h));
	f->hellos++;
	memcpy(f->client_name, h.client, sizeof(h.client));
	f->vmin = h.version_min;
	f->vmax = h.version_max;
	if (f->hello_error_conn == f->conn_no) {
		fake_error(f, h.hdr.seq, f->hello_error, "not today");
		return;
	}
	memset(&r, 0, sizeof(r));
	gconvd_hdr_init(&r.hdr, GCONVD_MSG_HELLO_REPLY, sizeof(r), h.hdr.seq);
	r.version = f->hello_version;
	r.backend = GCONVD_BACKEND_CPU;
	r.max_msg = GCONVD_MAX_MSG;
	set_str(r.tenant, sizeof(r.tenant), "team-a");
	r.max_queued = 8;
	r.max_in_flight = 2;
	r.memory_quota = 1ull << 30;
	fake_send(f, &r, sizeof(r), -1);
}

static void fake_tensor(struct gconvd_tensor *t, const char *name, uint64_t off)
{
	memset(t, 0, sizeof(*t));
	set_str(t->name, sizeof(t->name), name);
	t->dtype = GCONV_DTYPE_F32;
	t->ndim = 2;
	t->dims[0] = 1;
	t->dims[1] = N_ELEMS;
	t->offset = off;
	t->bytes = N_ELEMS * sizeof(float);
}

/* Returns 1 if the connection is to be hung up. */
static int fake_load(struct fake *f, const unsigned char *msg, int mfd)
{
	struct {
		struct gconvd_load_reply r;
		struct gconvd_tensor t[2];
	} rep;
	struct gconvd_load l;
	struct stat st;
	struct fake_inst *in = NULL;
	enum load_fault fault =
		f->fault_conn == f->conn_no ? f->load_fault : LOAD_OK;
	ssize_t n;
	int io, i;

	memcpy(&l, msg, sizeof(l));
	f->loads++;
	n = pread(mfd, f->model, sizeof(f->model), 0);
	f->model_len = n > 0 ? (size_t)n : 0;
	f->model_size = l.size;
	f->model_fd_size = fstat(mfd, &st) ? 0 : (uint64_t)st.st_size;
	f->seals = fcntl(mfd, F_GET_SEALS);
	memcpy(f->model_name, l.name, sizeof(l.name));
	close(mfd);
	if (f->load_error) {
		fake_error(f, l.hdr.seq, f->load_error,
			   "tenant 'team-a' is over its quota");
		return 0;
	}
	if (fault == LOAD_WRONG_TYPE) {
		fake_ok(f, l.hdr.seq);
		return 0;
	}
	for (i = 0; i < MAX_INST && !in; i++)
		if (!f->inst[i].used)
			in = &f->inst[i];
	io = memfd_create("fake-io", MFD_CLOEXEC);
	if (!in || io < 0 ||
	    ftruncate(io, fault == LOAD_SMALL_BUFFER ? 16 : IO_SIZE)) {
		fake_error(f, l.hdr.seq, GCONVD_E_INTERNAL, "fake: no room");
		if (io >= 0)
			close(io);
		return 0;
	}
	in->io = fault == LOAD_SMALL_BUFFER
			 ? NULL
			 : mmap(NULL, IO_SIZE, PROT_READ | PROT_WRITE,
				MAP_SHARED, io, 0);
	in->used = 1;
	in->id = ++f->next_id;
	memset(&rep, 0, sizeof(rep));
	gconvd_hdr_init(&rep.r.hdr, GCONVD_MSG_LOAD_REPLY, sizeof(rep),
			l.hdr.seq);
	rep.r.model_id = in->id;
	rep.r.n_inputs = 1;
	rep.r.n_outputs = 1;
	rep.r.gconvs = 3;
	rep.r.io_size = IO_SIZE;
	rep.r.hash = 0xfeedface;
	fake_tensor(&rep.t[0], "x", X_OFF);
	fake_tensor(&rep.t[1], "y", Y_OFF);
	if (fault == LOAD_TENSOR_OUTSIDE)
		rep.t[1].offset = IO_SIZE - 8;
	fake_send(f, &rep, sizeof(rep), io);
	close(io);
	return f->hangup_load_conn == f->conn_no;
}

static void fake_answer_infer(struct fake *f, uint32_t seq, uint32_t id)
{
	struct fake_inst *in = fake_inst(f, id);
	struct gconvd_infer_reply r;
	float x[N_ELEMS], y[N_ELEMS];
	int i;

	if (!in) {
		fake_error(f, seq, GCONVD_E_NO_MODEL, "no such instance");
		return;
	}
	if (f->infer_error) {
		fake_error(f, seq, f->infer_error,
			   "the tenant's queue is full");
		return;
	}
	memcpy(x, in->io + X_OFF, sizeof(x));
	for (i = 0; i < N_ELEMS; i++)
		y[i] = 2 * x[i] + 1;
	memcpy(in->io + Y_OFF, y, sizeof(y));
	memset(&r, 0, sizeof(r));
	gconvd_hdr_init(&r.hdr, GCONVD_MSG_INFER_REPLY, sizeof(r), seq);
	r.model_id = id;
	r.status = f->infer_status;
	r.queue_ns = 111;
	r.exec_ns = 222;
	fake_send(f, &r, sizeof(r), -1);
}

/* Returns 1 if the connection is to be hung up. */
static int fake_infer(struct fake *f, const unsigned char *msg)
{
	struct gconvd_infer q;
	int i;

	memcpy(&q, msg, sizeof(q));
	f->infers++;
	f->conn_infers++;
	if (f->hangup_infer_conn == f->conn_no &&
	    f->conn_infers == (f->hangup_infer_nth ? f->hangup_infer_nth : 1)) {
		if (f->notice)
			fake_error(f, 0, GCONVD_E_SHUTDOWN,
				   "gconvd is stopping");
		return 1;
	}
	if (f->hold <= 1 && !f->hold_cancel) {
		fake_answer_infer(f, q.hdr.seq, q.model_id);
		return f->hangup_answer_conn == f->conn_no;
	}
	if (f->nheld == MAX_HELD) {
		fake_error(f, q.hdr.seq, GCONVD_E_BUSY, "fake: queue full");
		return 0;
	}
	f->held[f->nheld].seq = q.hdr.seq;
	f->held[f->nheld].id = q.model_id;
	f->nheld++;
	if (!f->hold_cancel && f->nheld >= f->hold) {
		for (i = f->nheld - 1; i >= 0; i--)
			fake_answer_infer(f, f->held[i].seq, f->held[i].id);
		f->nheld = 0;
	}
	return 0;
}

static void fake_cancel(struct fake *f, const unsigned char *msg)
{
	struct gconvd_cancel q;
	int i;

	memcpy(&q, msg, sizeof(q));
	f->cancels++;
	for (i = 0; i < f->nheld; i++)
		if (f->held[i].seq == q.target)
			break;
	if (i == f->nheld) {
		fake_error(f, q.hdr.seq, GCONVD_E_NO_REQUEST,
			   "no such request");
		return;
	}
	if (f->cancel_late) {
		fake_answer_infer(f, f->held[i].seq, f->held[i].id);
		fake_error(f, q.hdr.seq, GCONVD_E_NO_REQUEST,
			   "the request had ended");
	} else {
		fake_error(f, f->held[i].seq, GCONVD_E_CANCELED,
			   "cancelled by the client");
		fake_ok(f, q.hdr.seq);
	}
	f->held[i] = f->held[--f->nheld];
}

static void fake_unload(struct fake *f, const unsigned char *msg)
{
	struct gconvd_unload u;
	struct fake_inst *in;

	memcpy(&u, msg, sizeof(u));
	f->unloads++;
	in = fake_inst(f, u.model_id);
	if (!in) {
		fake_error(f, u.hdr.seq, GCONVD_E_NO_MODEL, "no such instance");
		return;
	}
	if (in->io)
		munmap(in->io, IO_SIZE);
	memset(in, 0, sizeof(*in));
	fake_ok(f, u.hdr.seq);
}

static void fake_stats(struct fake *f, const unsigned char *msg)
{
	enum stats_fault fault =
		f->fault_conn == f->conn_no ? f->stats_fault : STATS_OK;
	struct gconvd_stats_reply r;
	struct gconvd_hdr h;
	int p[2];

	memcpy(&h, msg, sizeof(h));
	f->stats++;
	if (fault == STATS_WRONG_TYPE) {
		fake_ok(f, h.seq);
		return;
	}
	memset(&r, 0, sizeof(r));
	gconvd_hdr_init(&r.hdr, GCONVD_MSG_STATS_REPLY, sizeof(r), h.seq);
	set_str(r.tenant, sizeof(r.tenant), "team-a");
	r.requests = 5;
	r.completed = 4;
	r.failed = 1;
	r.clients = 1;
	r.models = 2;
	r.memory = 12345;
	if (fault == STATS_BAD_MAGIC)
		r.hdr.magic = 0x12345678;
	if (fault == STATS_EXTRA_FD && !pipe(p)) {
		/* the test reads EOF once every write end is closed */
		f->extra_read_end = p[0];
		fake_send(f, &r, sizeof(r), p[1]);
		close(p[1]);
		return;
	}
	fake_send(f, &r, sizeof(r), -1);
}

static void fake_bad(struct fake *f, const char *why)
{
	if (!f->bad++)
		snprintf(f->bad_why, sizeof(f->bad_why), "%s", why);
}

/* Serve one connection until the client leaves, a hang-up, or a stop. */
static void fake_serve(struct fake *f)
{
	static unsigned char msg[GCONVD_MAX_MSG];
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	int i;

	for (;;) {
		struct pollfd pfd[2] = { { .fd = f->conn, .events = POLLIN },
					 { .fd = f->stop[0],
					   .events = POLLIN } };
		struct iovec iov = { .iov_base = msg, .iov_len = sizeof(msg) };
		struct msghdr mh = { .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = ctl.buf,
				     .msg_controllen = sizeof(ctl.buf) };
		struct cmsghdr *cm;
		int fds[4], nfds = 0, hangup = 0;
		struct gconvd_hdr h;
		char why[256];
		ssize_t n;

		if (poll(pfd, 2, -1) < 0 || pfd[1].revents)
			break;
		n = recvmsg(f->conn, &mh, MSG_CMSG_CLOEXEC);
		if (n <= 0)
			break;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			if (cm->cmsg_type != SCM_RIGHTS)
				continue;
			for (i = 0; i < (int)k && nfds < 4; i++)
				memcpy(&fds[nfds++],
				       CMSG_DATA(cm) + i * sizeof(int),
				       sizeof(int));
		}
		if (gconvd_msg_check(msg, (size_t)n, (unsigned int)nfds, why,
				     sizeof(why))) {
			fake_bad(f, why);
			for (i = 0; i < nfds; i++)
				close(fds[i]);
			break;
		}
		memcpy(&h, msg, sizeof(h));
		if (!h.seq)
			fake_bad(f, "a request with seq 0");
		if (h.type != GCONVD_MSG_HELLO && !f->hellos)
			fake_bad(f, "a request before HELLO");
		switch (h.type) {
		case GCONVD_MSG_HELLO:
			fake_hello(f, msg);
			break;
		case GCONVD_MSG_LOAD:
			hangup = fake_load(f, msg, fds[0]);
			break;
		case GCONVD_MSG_INFER:
			hangup = fake_infer(f, msg);
			break;
		case GCONVD_MSG_CANCEL:
			fake_cancel(f, msg);
			break;
		case GCONVD_MSG_UNLOAD:
			fake_unload(f, msg);
			break;
		case GCONVD_MSG_STATS:
			fake_stats(f, msg);
			break;
		default:
			fake_bad(f, "a reply type from the client");
			break;
		}
		if (hangup)
			break;
	}
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	int i;

	for (;;) {
		struct pollfd pfd[2] = { { .fd = f->lfd, .events = POLLIN },
					 { .fd = f->stop[0],
					   .events = POLLIN } };

		if (poll(pfd, 2, -1) < 0 || pfd[1].revents)
			break;
		f->conn = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (f->conn < 0)
			continue;
		f->conn_no = ++f->conns;
		f->conn_infers = 0;
		f->nheld = 0;
		fake_serve(f);
		close(f->conn);
		/* gconvd frees a connection's instances when it ends */
		for (i = 0; i < MAX_INST; i++) {
			if (f->inst[i].used && f->inst[i].io)
				munmap(f->inst[i].io, IO_SIZE);
			memset(&f->inst[i], 0, sizeof(f->inst[i]));
		}
		f->closed++;
	}
	return NULL;
}

static struct fake *fake_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	CHECK(f != NULL);
	f->fds_at_start = count_fds();
	f->hello_version = 1;
	f->extra_read_end = -1;
	f->lfd = -1;
	return f;
}

static void fake_start(struct fake *f)
{
	struct sockaddr_un sa;

	snprintf(f->dir, sizeof(f->dir), "/tmp/gconv-client-XXXXXX");
	if (!mkdtemp(f->dir))
		FAILF("mkdtemp: %s", strerror(errno));
	snprintf(f->path, sizeof(f->path), "%s/gconvd.sock", f->dir);
	f->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CHECK(f->lfd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	if (bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(f->lfd, 8))
		FAILF("bind/listen %s: %s", f->path, strerror(errno));
	CHECK(pipe2(f->stop, O_CLOEXEC) == 0);
	CHECK(pthread_create(&f->thr, NULL, fake_main, f) == 0);
}

/* A fake with default behaviour, started. */
static struct fake *fake_up(void)
{
	struct fake *f = fake_new();

	fake_start(f);
	return f;
}

/*
 * Stop the fake; check that it saw only well-formed requests and that the
 * process holds the fds it held before (the client must be closed).
 */
static void fake_stop(struct fake *f)
{
	int fds;

	if (write(f->stop[1], "x", 1) != 1)
		FAILF("write: %s", strerror(errno));
	pthread_join(f->thr, NULL);
	close(f->stop[0]);
	close(f->stop[1]);
	close(f->lfd);
	if (f->extra_read_end >= 0)
		close(f->extra_read_end);
	unlink(f->path);
	rmdir(f->dir);
	fds = count_fds();
	if (f->bad)
		FAILF("the fake gconvd got %d bad requests; the first: %s",
		      (int)f->bad, f->bad_why);
	if (fds != f->fds_at_start)
		FAILF("%d file descriptors open, %d before the test: leaked",
		      fds, f->fds_at_start);
	free(f);
}

/* Wait (up to 5 s) until @counter reaches @want. */
static void wait_for(atomic_int *counter, int want, const char *what)
{
	int i;

	for (i = 0; i < 5000 && *counter < want; i++)
		usleep(1000);
	if (*counter < want)
		FAILF("%s: %d, expected %d", what, (int)*counter, want);
}

/* ---- helpers ------------------------------------------------------------- */

static const unsigned char model_bytes[] = "\x08\x07GCM-or-ONNX model bytes";

static char err[1024];

#define CHECK_OK(expr)                                        \
	do {                                                  \
		int r_ = (expr);                              \
		if (r_)                                       \
			FAILF("%s: %d (%s)", #expr, r_, err); \
	} while (0)

#define CHECK_ERR(expr, want, needle)                                     \
	do {                                                              \
		int r_ = (expr);                                          \
		if (r_ != (want))                                         \
			FAILF("%s: expected %s (%d), got %d (%s)", #expr, \
			      #want, (want), r_, err);                    \
		if (!strstr(err, (needle)))                               \
			FAILF("%s: error \"%s\" does not mention \"%s\"", \
			      #expr, err, (needle));                      \
	} while (0)

static struct gconv_client *connect_to(struct fake *f)
{
	struct gconv_client *c = NULL;

	CHECK_OK(gconv_client_connect(f->path, "unit-test", &c, err,
				      sizeof(err)));
	return c;
}

static struct gconv_client_model *load(struct gconv_client *c)
{
	struct gconv_client_model *m = NULL;

	CHECK_OK(gconv_client_load_buffer(c, model_bytes, sizeof(model_bytes),
					  "digits", &m, err, sizeof(err)));
	return m;
}

static void set_x(struct gconv_client_model *m, float base)
{
	float *x = gconv_client_input_data(m, 0);
	int i;

	CHECK(x != NULL);
	for (i = 0; i < N_ELEMS; i++)
		x[i] = base + (float)i;
}

static void check_y(struct gconv_client_model *m, float base)
{
	const float *y = gconv_client_output_data(m, 0);
	int i;

	CHECK(y != NULL);
	for (i = 0; i < N_ELEMS; i++)
		CHECK_NEAR(y[i], 2 * (base + (float)i) + 1, 0, 0);
}

/* ---- connecting ---------------------------------------------------------- */

TEST(connect_says_hello_and_learns_the_tenant)
{
	struct fake *f = fake_up();
	struct gconv_client *c = connect_to(f);
	struct gconv_client_info info;

	gconv_client_get_info(c, &info);
	CHECK_EQ_INT(info.version, 1);
	CHECK_EQ_INT(info.backend, GCONVD_BACKEND_CPU);
	CHECK_STR(info.tenant, "team-a");
	CHECK_EQ_INT(info.max_queued, 8);
	CHECK_EQ_INT(info.max_in_flight, 2);
	CHECK_EQ_INT(info.memory_quota, 1ull << 30);
	CHECK_EQ_INT(info.connects, 1);
	CHECK_STR(f->client_name, "unit-test");
	CHECK_EQ_INT(f->vmin, 1);
	CHECK_EQ_INT(f->vmax, GCONVD_VERSION);
	CHECK_STR(gconv_client_socket(c), f->path);
	gconv_client_close(c);
	fake_stop(f);
}

TEST(connect_uses_GCONVD_SOCKET_when_given_no_path)
{
	struct fake *f = fake_up();
	struct gconv_client *c = NULL;

	setenv("GCONVD_SOCKET", f->path, 1);
	CHECK_OK(gconv_client_connect(NULL, NULL, &c, err, sizeof(err)));
	unsetenv("GCONVD_SOCKET");
	CHECK_STR(gconv_client_socket(c), f->path);
	CHECK_STR(f->client_name, "libgconvdev");
	gconv_client_close(c);
	fake_stop(f);
}

TEST(connect_defaults_to_the_system_socket)
{
	struct gconv_client *c = NULL;
	int fds = count_fds();
	int r;

	unsetenv("GCONVD_SOCKET");
	r = gconv_client_connect(NULL, NULL, &c, err, sizeof(err));
	if (r == 0) { /* a real gconvd runs here: fine */
		gconv_client_close(c);
		return;
	}
	if (!strstr(err, GCONVD_DEFAULT_SOCKET))
		FAILF("error \"%s\" does not name %s", err,
		      GCONVD_DEFAULT_SOCKET);
	CHECK_EQ_INT(count_fds(), fds);
}

TEST(connect_to_nothing_is_a_clear_error)
{
	struct gconv_client *c = NULL;
	int fds = count_fds();

	CHECK_ERR(gconv_client_connect("/nonexistent/gconvd.sock", NULL, &c,
				       err, sizeof(err)),
		  -ENOENT,
		  "cannot connect to gconvd at /nonexistent/gconvd.sock");
	CHECK(c == NULL);
	CHECK_EQ_INT(count_fds(), fds);
}

TEST(connect_refused_by_gconvd_carries_its_message)
{
	struct fake *f = fake_new();
	struct gconv_client *c = NULL;

	f->hello_error_conn = 1;
	f->hello_error = GCONVD_E_DENIED;
	fake_start(f);
	CHECK_ERR(gconv_client_connect(f->path, NULL, &c, err, sizeof(err)),
		  -EACCES, "gconvd: not today (GCONVD_E_DENIED)");
	fake_stop(f);
}

TEST(connect_rejects_a_version_it_did_not_offer)
{
	struct fake *f = fake_new();
	struct gconv_client *c = NULL;

	f->hello_version = GCONVD_VERSION + 1;
	fake_start(f);
	CHECK_ERR(gconv_client_connect(f->path, NULL, &c, err, sizeof(err)),
		  -EPROTONOSUPPORT, "chose protocol version");
	fake_stop(f);
}

TEST(connect_rejects_long_names)
{
	char name[GCONVD_NAME_LEN + 1];
	char path[200];
	struct gconv_client *c = NULL;

	memset(name, 'n', GCONVD_NAME_LEN);
	name[GCONVD_NAME_LEN] = 0;
	CHECK_ERR(gconv_client_connect("/tmp/x", name, &c, err, sizeof(err)),
		  -ENAMETOOLONG, "client name");
	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = 0;
	path[0] = '/';
	CHECK_ERR(gconv_client_connect(path, NULL, &c, err, sizeof(err)),
		  -ENAMETOOLONG, "socket path");
}

/* ---- loading ------------------------------------------------------------- */

TEST(load_buffer_sends_a_sealed_memfd_and_maps_the_io_buffer)
{
	struct fake *f = fake_up();
	struct gconv_client *c = connect_to(f);
	struct gconv_client_model *m = load(c);
	const struct gconv_client_tensor *x, *y;

	CHECK_EQ_INT(f->model_size, sizeof(model_bytes));
	CHECK_EQ_INT(f->model_fd_size, sizeof(model_bytes));
	CHECK_EQ_INT(f->model_len, sizeof(model_bytes));
	CHECK(!memcmp(f->model, model_bytes, sizeof(model_bytes)));
	CHECK_EQ_INT(f->seals & (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK),
		     F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK);
	CHECK_STR(f->model_name, "digits");
	CHECK_EQ_INT(gconv_client_num_inputs(m), 1);
	CHECK_EQ_INT(gconv_client_num_outputs(m), 1);
	x = gconv_client_input(m, 0);
	y = gconv_client_output(m, 0);
	CHECK(x && y);
	CHECK_STR(x->name, "x");
	CHECK_STR(y->name, "y");
	CHECK_EQ_INT(x->ndim, 2);
	CHECK_EQ_INT(x->dims[1], N_ELEMS);
	CHECK_EQ_INT(x->elems, N_ELEMS);
	CHECK_EQ_INT(y->bytes, N_ELEMS * 4);
	CHECK(gconv_client_input(m, 1) == NULL);
	CHECK(gconv_client_output(m, 1) == NULL);
	CHECK_EQ_INT(gconv_client_find_input(m, "x"), 0);
	CHECK_EQ_INT(gconv_client_find_output(m, "y"), 0);
	CHECK_EQ_INT(gconv_client_find_input(m, "y"), -1);
	CHECK((const char *)gconv_client_output_data(m, 0) -
		      (const char *)gconv_client_input_data(m, 0) ==
	      Y_OFF - X_OFF);
	CHECK(gconv_client_input_data(m, 1) == NULL);
	CHECK_EQ_INT(gconv_client_model_gconvs(m), 3);
	CHECK_EQ_INT(gconv_client_model_hash(m), 0xfeedface);
	gconv_client_close(c);
	fake_stop(f);
}

TEST(load_file_names_the_model_by_its_base_name_without_extension)
{
	struct fake *f = fake_up();
	struct gconv_client *c = connect_to(f);
	struct gconv_client_model *m = NULL;
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/resnet.gcm", f->dir);
	fp = fopen(path, "wb");
	CHECK(fp != NULL);
	fwrite(model_bytes, 1, sizeof(model_bytes), fp);
	fclose(fp);
	CHECK_OK(gconv_client_load_file(c, path, NULL, &m, err, sizeof(err)));
	CHECK_STR(f->model_name, "resnet");
	CHECK(!memcmp(f->model, model_bytes, sizeof(model_bytes)));
	unlink(path);
	gconv_client_close(c);
	fake_stop(f);
}

TEST(load_file_errors_name_the_file)
{
	struct fake *f = fake_up();
	struct gconv_client *c = connect_to(f);
	struct gconv_client_model *m = NULL;

	CHECK_ERR(gconv_client_load_file(c, "/nonexistent/m.onnx", NULL, &m,
					 err, sizeof(err)),
		  -ENOENT, "/nonexistent/m.onnx");
	CHECK_ERR(gconv_client_load_file(c, f->dir, NULL, &m, err, sizeof(err)),
		  -EINVAL, "not a regular file");
	CHECK_ERR(gconv_client_load_buffer(c, model_bytes, 0, NULL, &m, err,
					   sizeof(err)),
		  -EINVAL, "empty");
	CHECK_EQ_INT(f->loads, 0);
	gconv_client_close(c);
	fake_stop(f);
}

TEST(load_error_reply_carries_gconvd_message_and_code)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_model *m = NULL;

	f->load_error = GCONVD_E_QUOTA;
	fake_start(f);
	c = connect_to(f);
	CHECK_ERR(gconv_client_load_buffer(c, model_bytes, sizeof(model_bytes),
					   "digits", &m, err, sizeof(err)),
		  -EDQUOT,
		  "gconvd: tenant 'team-a' is over its quota (GCONVD_E_QUOTA)");
	CHECK(strstr(err, "digits") != NULL);
	CHECK(m == NULL);
	gconv_client_close(c);
	fake_stop(f);
}

TEST(load_reply_with_a_bad_tensor_table_is_a_protocol_error)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_model *m = NULL;

	f->fault_conn = 1;
	f->load_fault = LOAD_TENSOR_OUTSIDE;
	fake_start(f);
	c = connect_to(f);
	CHECK_ERR(gconv_client_load_buffer(c, model_bytes, sizeof(model_bytes),
					   "digits", &m, err, sizeof(err)),
		  -EPROTO, "lie outside the 4096-byte I/O buffer");
	CHECK(strstr(err, "the connection was closed") != NULL);
	/* the next call reconnects */
	m = load(c);
	CHECK_EQ_INT(f->conns, 2);
	gconv_client_close(c);
	fake_stop(f);
}

TEST(load_reply_with_a_short_io_buffer_is_refused_and_unloaded)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_model *m = NULL;

	f->fault_conn = 1;
	f->load_fault = LOAD_SMALL_BUFFER;
	fake_start(f);
	c = connect_to(f);
	CHECK_ERR(gconv_client_load_buffer(c, model_bytes, sizeof(model_bytes),
					   "digits", &m, err, sizeof(err)),
		  -EPROTO, "an I/O buffer of 16 bytes");
	wait_for(&f->unloads, 1, "UNLOADs of the unusable instance");
	gconv_client_close(c);
	fake_stop(f);
}

TEST(load_answered_with_the_wrong_type_is_a_protocol_error)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_model *m = NULL;

	f->fault_conn = 1;
	f->load_fault = LOAD_WRONG_TYPE;
	fake_start(f);
	c = connect_to(f);
	CHECK_ERR(gconv_client_load_buffer(c, model_bytes, sizeof(model_bytes),
					   "digits", &m, err, sizeof(err)),
		  -EPROTO, "a OK answered LOAD");
	gconv_client_close(c);
	fake_stop(f);
}

TEST(unload_sends_unload_and_frees)
{
	struct fake *f = fake_up();
	struct gconv_client *c = connect_to(f);
	struct gconv_client_model *m = load(c);

	CHECK_OK(gconv_client_unload(m, err, sizeof(err)));
	CHECK_EQ_INT(f->unloads, 1);
	CHECK_OK(gconv_client_unload(NULL, err, sizeof(err)));
	gconv_client_close(c);
	fake_stop(f);
}

TEST(unload_after_gconvd_left_does_not_reconnect)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_model *m;

	f->hangup_load_conn = 1;
	fake_start(f);
	c = connect_to(f);
	m = load(c);
	wait_for(&f->closed, 1, "connections the fake closed");
	CHECK_OK(gconv_client_unload(m, err, sizeof(err)));
	CHECK_EQ_INT(f->unloads, 0);
	CHECK_EQ_INT(f->conns, 1);
	gconv_client_close(c);
	fake_stop(f);
}

/* ---- inference ----------------------------------------------------------- */

TEST(infer_round_trip_through_the_shared_buffer)
{
	struct fake *f = fake_up();
	struct gconv_client *c = connect_to(f);
	struct gconv_client_model *m = load(c);
	struct gconv_client_timing t = { 0, 0 };
	int i;

	for (i = 0; i < 3; i++) {
		set_x(m, (float)i * 10);
		CHECK_OK(gconv_client_infer(m, &t, err, sizeof(err)));
		check_y(m, (float)i * 10);
	}
	CHECK_EQ_INT(t.queue_ns, 111);
	CHECK_EQ_INT(t.exec_ns, 222);
	CHECK_EQ_INT(f->infers, 3);
	gconv_client_close(c);
	fake_stop(f);
}

TEST(infer_error_reply_carries_gconvd_message_and_code)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_model *m;

	f->infer_error = GCONVD_E_BUSY;
	fake_start(f);
	c = connect_to(f);
	m = load(c);
	CHECK_ERR(gconv_client_infer(m, NULL, err, sizeof(err)), -EBUSY,
		  "gconvd: the tenant's queue is full (GCONVD_E_BUSY)");
	/* the instance is ready for another request */
	CHECK_ERR(gconv_client_infer(m, NULL, err, sizeof(err)), -EBUSY,
		  "GCONVD_E_BUSY");
	gconv_client_close(c);
	fake_stop(f);
}

TEST(infer_failed_on_the_device_names_the_status)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_model *m;

	f->infer_status = 2; /* GCONV_JOB_MMU_FAULT */
	fake_start(f);
	c = connect_to(f);
	m = load(c);
	CHECK_ERR(gconv_client_infer(m, NULL, err, sizeof(err)), -EIO,
		  "MMU fault (status 2)");
	gconv_client_close(c);
	fake_stop(f);
}

TEST(several_instances_in_flight_replies_in_any_order)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_model *m[3];
	int i;

	f->hold = 3; /* answered newest first once all three wait */
	fake_start(f);
	c = connect_to(f);
	for (i = 0; i < 3; i++) {
		m[i] = load(c);
		set_x(m[i], (float)(i + 1) * 100);
	}
	CHECK_OK(gconv_client_infer_start(m[0], err, sizeof(err)));
	CHECK_OK(gconv_client_infer_start(m[1], err, sizeof(err)));
	CHECK_ERR(gconv_client_infer_wait(m[0], 0, NULL, err, sizeof(err)),
		  -ETIMEDOUT, "still running");
	CHECK_ERR(gconv_client_infer_wait(m[1], 30, NULL, err, sizeof(err)),
		  -ETIMEDOUT, "after 30 ms");
	CHECK_OK(gconv_client_infer_start(m[2], err, sizeof(err)));
	for (i = 0; i < 3; i++) {
		CHECK_OK(gconv_client_infer_wait(m[i], 5000, NULL, err,
						 sizeof(err)));
		check_y(m[i], (float)(i + 1) * 100);
	}
	gconv_client_close(c);
	fake_stop(f);
}

TEST(infer_start_twice_on_one_instance_is_busy)
{
	struct fake *f = fake_up();
	struct gconv_client *c = connect_to(f);
	struct gconv_client_model *m = load(c);

	set_x(m, 1);
	CHECK_OK(gconv_client_infer_start(m, err, sizeof(err)));
	CHECK_ERR(gconv_client_infer_start(m, err, sizeof(err)), -EBUSY,
		  "already pending");
	CHECK_OK(gconv_client_infer_wait(m, -1, NULL, err, sizeof(err)));
	check_y(m, 1);
	CHECK_EQ_INT(f->infers, 1);
	gconv_client_close(c);
	fake_stop(f);
}

TEST(infer_wait_without_start_is_einval)
{
	struct fake *f = fake_up();
	struct gconv_client *c = connect_to(f);
	struct gconv_client_model *m = load(c);

	CHECK_ERR(gconv_client_infer_wait(m, 0, NULL, err, sizeof(err)),
		  -EINVAL, "no inference was started");
	CHECK_ERR(gconv_client_cancel(m, err, sizeof(err)), -ESRCH,
		  "no inference is pending");
	gconv_client_close(c);
	fake_stop(f);
}

TEST(cancel_ends_the_pending_inference)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_model *m;

	f->hold_cancel = 1;
	fake_start(f);
	c = connect_to(f);
	m = load(c);
	CHECK_OK(gconv_client_infer_start(m, err, sizeof(err)));
	CHECK_OK(gconv_client_cancel(m, err, sizeof(err)));
	CHECK_EQ_INT(f->cancels, 1);
	CHECK_ERR(gconv_client_infer_wait(m, 1000, NULL, err, sizeof(err)),
		  -ECANCELED, "GCONVD_E_CANCELED");
	gconv_client_close(c);
	fake_stop(f);
}

TEST(cancel_after_the_inference_ended_is_harmless)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_model *m;

	f->hold_cancel = 1;
	f->cancel_late = 1; /* the INFER_REPLY, then NO_REQUEST */
	fake_start(f);
	c = connect_to(f);
	m = load(c);
	set_x(m, 7);
	CHECK_OK(gconv_client_infer_start(m, err, sizeof(err)));
	CHECK_OK(gconv_client_cancel(m, err, sizeof(err)));
	CHECK_OK(gconv_client_infer_wait(m, 1000, NULL, err, sizeof(err)));
	check_y(m, 7);
	/* and a cancel of a result not yet collected is 0 too */
	f->hold_cancel = 0;
	CHECK_OK(gconv_client_infer_start(m, err, sizeof(err)));
	while (gconv_client_infer_wait(m, 0, NULL, err, sizeof(err)) ==
	       -ETIMEDOUT)
		;
	gconv_client_close(c);
	fake_stop(f);
}

TEST(stats_round_trip)
{
	struct fake *f = fake_up();
	struct gconv_client *c = connect_to(f);
	struct gconv_client_stats st;

	CHECK_OK(gconv_client_stats(c, &st, err, sizeof(err)));
	CHECK_STR(st.tenant, "team-a");
	CHECK_EQ_INT(st.requests, 5);
	CHECK_EQ_INT(st.completed, 4);
	CHECK_EQ_INT(st.failed, 1);
	CHECK_EQ_INT(st.models, 2);
	CHECK_EQ_INT(st.memory, 12345);
	gconv_client_close(c);
	fake_stop(f);
}

/* ---- gconvd misbehaving -------------------------------------------------- */

TEST(malformed_reply_closes_the_connection_and_next_call_reconnects)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_stats st;
	struct gconv_client_info info;

	f->fault_conn = 1;
	f->stats_fault = STATS_BAD_MAGIC;
	fake_start(f);
	c = connect_to(f);
	CHECK_ERR(gconv_client_stats(c, &st, err, sizeof(err)), -EPROTO,
		  "bad magic 0x12345678");
	CHECK(strstr(err, "the connection was closed") != NULL);
	CHECK_OK(gconv_client_stats(c, &st, err, sizeof(err)));
	gconv_client_get_info(c, &info);
	CHECK_EQ_INT(info.connects, 2);
	CHECK_EQ_INT(f->conns, 2);
	gconv_client_close(c);
	fake_stop(f);
}

TEST(unexpected_fd_is_closed)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_stats st;
	struct pollfd p;
	char b;

	f->fault_conn = 1;
	f->stats_fault = STATS_EXTRA_FD;
	fake_start(f);
	c = connect_to(f);
	CHECK_ERR(gconv_client_stats(c, &st, err, sizeof(err)), -EPROTO,
		  "came with 1 file descriptors, carries 0");
	/* every write end closed: the client did not keep the fd */
	p.fd = f->extra_read_end;
	p.events = POLLIN;
	CHECK(p.fd >= 0);
	CHECK_EQ_INT(poll(&p, 1, 2000), 1);
	CHECK_EQ_INT(read(p.fd, &b, 1), 0);
	gconv_client_close(c);
	fake_stop(f);
}

TEST(reply_of_the_wrong_type_is_a_protocol_error)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_stats st;

	f->fault_conn = 1;
	f->stats_fault = STATS_WRONG_TYPE;
	fake_start(f);
	c = connect_to(f);
	CHECK_ERR(gconv_client_stats(c, &st, err, sizeof(err)), -EPROTO,
		  "a OK answered STATS");
	gconv_client_close(c);
	fake_stop(f);
}

/* ---- gconvd going away --------------------------------------------------- */

TEST(hangup_mid_request_fails_it_and_next_call_reloads)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_model *m;
	struct gconv_client_info info;
	float *x0;

	f->hangup_infer_conn = 1;
	fake_start(f);
	c = connect_to(f);
	m = load(c);
	set_x(m, 5);
	x0 = gconv_client_input_data(m, 0);
	CHECK_ERR(gconv_client_infer(m, NULL, err, sizeof(err)), -ECONNRESET,
		  "gconvd went away while the request was in flight");
	/* the inputs written before are still there after the reload */
	CHECK_OK(gconv_client_infer(m, NULL, err, sizeof(err)));
	check_y(m, 5);
	CHECK_EQ_INT(f->conns, 2);
	CHECK_EQ_INT(f->loads, 2);
	CHECK_EQ_INT(f->hellos, 2);
	CHECK(!memcmp(f->model, model_bytes, sizeof(model_bytes)));
	gconv_client_get_info(c, &info);
	CHECK_EQ_INT(info.connects, 2);
	/* same size: the new buffer was mapped where the old one was */
	CHECK(gconv_client_input_data(m, 0) == x0);
	gconv_client_close(c);
	fake_stop(f);
}

TEST(hangup_fails_every_request_in_flight)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_model *m[3];
	int i;

	f->hold = 8;
	f->hangup_infer_conn = 1;
	f->hangup_infer_nth = 3;
	fake_start(f);
	c = connect_to(f);
	for (i = 0; i < 3; i++) {
		m[i] = load(c);
		set_x(m[i], (float)i);
	}
	for (i = 0; i < 3; i++)
		CHECK_OK(gconv_client_infer_start(m[i], err, sizeof(err)));
	for (i = 0; i < 3; i++)
		CHECK_ERR(gconv_client_infer_wait(m[i], 5000, NULL, err,
						  sizeof(err)),
			  -ECONNRESET,
			  "went away while the request was in flight");
	/* all three instances come back on the next connection */
	f->hold = 0;
	for (i = 0; i < 3; i++) {
		CHECK_OK(gconv_client_infer(m[i], NULL, err, sizeof(err)));
		check_y(m[i], (float)i);
	}
	CHECK_EQ_INT(f->loads, 6);
	gconv_client_close(c);
	fake_stop(f);
}

TEST(hangup_reports_gconvd_last_word)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_model *m;

	f->hangup_infer_conn = 1;
	f->notice = 1;
	fake_start(f);
	c = connect_to(f);
	m = load(c);
	CHECK_ERR(gconv_client_infer(m, NULL, err, sizeof(err)), -ECONNRESET,
		  "last word: gconvd: gconvd is stopping (GCONVD_E_SHUTDOWN)");
	gconv_client_close(c);
	fake_stop(f);
}

TEST(gconvd_restart_while_idle_is_transparent)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_model *m;

	f->hangup_load_conn = 1;
	fake_start(f);
	c = connect_to(f);
	m = load(c);
	wait_for(&f->closed, 1, "connections the fake closed");
	set_x(m, 3);
	CHECK_OK(gconv_client_infer(m, NULL, err, sizeof(err)));
	check_y(m, 3);
	CHECK_EQ_INT(f->conns, 2);
	gconv_client_close(c);
	fake_stop(f);
}

TEST(replies_sent_before_gconvd_left_are_kept)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_model *m[2];

	f->hangup_answer_conn = 1;
	fake_start(f);
	c = connect_to(f);
	m[0] = load(c);
	m[1] = load(c);
	set_x(m[0], 4);
	set_x(m[1], 6);
	CHECK_OK(gconv_client_infer_start(m[0], err, sizeof(err)));
	wait_for(&f->closed, 1, "connections the fake closed");
	/* reconnects: the reply to m[0] read before is not lost */
	CHECK_OK(gconv_client_infer_start(m[1], err, sizeof(err)));
	CHECK_OK(gconv_client_infer_wait(m[0], 1000, NULL, err, sizeof(err)));
	check_y(m[0], 4);
	CHECK_OK(gconv_client_infer_wait(m[1], 1000, NULL, err, sizeof(err)));
	check_y(m[1], 6);
	CHECK_EQ_INT(f->conns, 2);
	gconv_client_close(c);
	fake_stop(f);
}

TEST(reconnect_failure_is_reported_and_retried)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_model *m;

	f->hangup_infer_conn = 1;
	f->hello_error_conn = 2;
	f->hello_error = GCONVD_E_SHUTDOWN;
	fake_start(f);
	c = connect_to(f);
	m = load(c);
	set_x(m, 9);
	CHECK_ERR(gconv_client_infer(m, NULL, err, sizeof(err)), -ECONNRESET,
		  "went away while the request was in flight");
	CHECK_ERR(gconv_client_infer(m, NULL, err, sizeof(err)), -ESHUTDOWN,
		  "gconvd: not today (GCONVD_E_SHUTDOWN)");
	/* the inputs survive the failed attempt too */
	CHECK(gconv_client_input_data(m, 0) != NULL);
	CHECK_OK(gconv_client_infer(m, NULL, err, sizeof(err)));
	check_y(m, 9);
	CHECK_EQ_INT(f->conns, 3);
	gconv_client_close(c);
	fake_stop(f);
}

TEST(gconvd_gone_for_good_is_a_clear_error)
{
	struct fake *f = fake_new();
	struct gconv_client *c;
	struct gconv_client_model *m;
	struct gconv_client_stats st;

	f->hangup_load_conn = 1;
	fake_start(f);
	c = connect_to(f);
	m = load(c);
	wait_for(&f->closed, 1, "connections the fake closed");
	/* nothing listens any more */
	close(f->lfd);
	f->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	unlink(f->path);
	CHECK_ERR(gconv_client_infer(m, NULL, err, sizeof(err)), -ENOENT,
		  "cannot connect to gconvd at");
	CHECK_ERR(gconv_client_stats(c, &st, err, sizeof(err)), -ENOENT,
		  "cannot connect to gconvd at");
	gconv_client_close(c);
	fake_stop(f);
}

static const struct test tests[] = {
	T(connect_says_hello_and_learns_the_tenant),
	T(connect_uses_GCONVD_SOCKET_when_given_no_path),
	T(connect_defaults_to_the_system_socket),
	T(connect_to_nothing_is_a_clear_error),
	T(connect_refused_by_gconvd_carries_its_message),
	T(connect_rejects_a_version_it_did_not_offer),
	T(connect_rejects_long_names),
	T(load_buffer_sends_a_sealed_memfd_and_maps_the_io_buffer),
	T(load_file_names_the_model_by_its_base_name_without_extension),
	T(load_file_errors_name_the_file),
	T(load_error_reply_carries_gconvd_message_and_code),
	T(load_reply_with_a_bad_tensor_table_is_a_protocol_error),
	T(load_reply_with_a_short_io_buffer_is_refused_and_unloaded),
	T(load_answered_with_the_wrong_type_is_a_protocol_error),
	T(unload_sends_unload_and_frees),
	T(unload_after_gconvd_left_does_not_reconnect),
	T(infer_round_trip_through_the_shared_buffer),
	T(infer_error_reply_carries_gconvd_message_and_code),
	T(infer_failed_on_the_device_names_the_status),
	T(several_instances_in_flight_replies_in_any_order),
	T(infer_start_twice_on_one_instance_is_busy),
	T(infer_wait_without_start_is_einval),
	T(cancel_ends_the_pending_inference),
	T(cancel_after_the_inference_ended_is_harmless),
	T(stats_round_trip),
	T(malformed_reply_closes_the_connection_and_next_call_reconnects),
	T(unexpected_fd_is_closed),
	T(reply_of_the_wrong_type_is_a_protocol_error),
	T(hangup_mid_request_fails_it_and_next_call_reloads),
	T(hangup_fails_every_request_in_flight),
	T(hangup_reports_gconvd_last_word),
	T(gconvd_restart_while_idle_is_transparent),
	T(replies_sent_before_gconvd_left_are_kept),
	T(reconnect_failure_is_reported_and_retried),
	T(gconvd_gone_for_good_is_a_clear_error),
};

int main(int argc, char **argv)
{
	return HARNESS_MAIN(tests);
}

// SPDX-License-Identifier: MIT
/*
 * gconvd on the cpu backend, from the outside: the behaviour that
 * docs/gconvd.md (its contract), docs/protocol.md and gconv/client.h
 * promise.
 *
 *	gconvd-test --gconvd PATH --models DIR [GROUP...]
 *
 * DIR holds digits.onnx and samples.npy (tools/models/digits) and
 * slow.onnx, a chain of big convolutions that keeps a request busy for a
 * while (tests/daemon/make_slow_model.py; tests/daemon/check-gconvd makes
 * it).  Each group of checks starts its own gconvd (fork/exec with
 * --foreground --backend cpu, a socket and a policy file it writes in a
 * temporary directory, stderr into a log file), talks to it through the
 * client library (gconv/client.h) and through a raw SOCK_SEQPACKET
 * socket where exact codes, sequence numbers and malformed messages
 * matter, and stops it with SIGTERM expecting exit status 0 (under ASan
 * that includes the leak check).  The results of inferences are compared
 * with the same model run in this process (gconv_session).
 *
 * Output: one line per check, "ok   GROUP: what" or "FAIL GROUP: what:
 * detail", gconvd's log after a group with a failure, and last "N passed,
 * N failed".  Nothing is skipped: a check that cannot run fails.  Timings
 * are never asserted; the timeouts below only stop a hung test.
 * GROUP names on the command line run only those groups.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, MSG_CMSG_CLOEXEC, prctl */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include <gconv/client.h>
#include <gconv/isa.h>
#include <gconv/model.h>
#include <gconv/protocol.h>
#include <gconv/tensor_io.h>

/* generous limits that only stop a hung test (ASan is slow) */
#define READY_MS  60000
#define REPLY_MS  60000
#define EXIT_MS	  90000
#define SETTLE_MS 60000
/* the answer to a connection beyond gconvd's limit comes at once */
#define LIMIT_MS 15000

#define NREF	   16 /* digits samples with an in-process reference */
#define DIGITS_IN  64 /* [1,1,8,8] */
#define DIGITS_OUT 10 /* [1,10] */

#define POLICY_DEFAULT "[gconvd]\nunknown-users = default\n"

/* ---- reporting ----------------------------------------------------------- */

static int g_pass, g_fail, g_group_failed;
static const char *g_group = "setup";
static char g_why[2048];
static jmp_buf g_abort;
static int g_setup_ok;

/* The detail printed if the next check fails. */
static void why(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void why(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g_why, sizeof(g_why), fmt, ap);
	va_end(ap);
}

/* Add to the detail. */
static void why_more(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void why_more(const char *fmt, ...)
{
	size_t n = strlen(g_why);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g_why + n, sizeof(g_why) - n, fmt, ap);
	va_end(ap);
}

static int vreport(int cond, const char *fmt, va_list ap)
{
	char what[512];

	vsnprintf(what, sizeof(what), fmt, ap);
	if (cond) {
		printf("ok   %s: %s\n", g_group, what);
		g_pass++;
	} else {
		printf("FAIL %s: %s%s%s\n", g_group, what, g_why[0] ? ": " : "",
		       g_why);
		g_fail++;
		g_group_failed = 1;
	}
	fflush(stdout);
	g_why[0] = 0;
	return cond;
}

static int check(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int check(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cond = vreport(cond, fmt, ap);
	va_end(ap);
	return cond;
}

/* A check the rest of the group depends on: failing it ends the group. */
static void require(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void require(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cond = vreport(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		printf("FAIL %s: (the group's remaining checks did not run)\n",
		       g_group);
		fflush(stdout);
		longjmp(g_abort, 1);
	}
}

/* Plumbing the checks depend on: silent if it works, else like require(). */
static void need(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void need(int cond, const char *fmt, ...)
{
	va_list ap;

	if (cond)
		return;
	va_start(ap, fmt);
	vreport(0, fmt, ap);
	va_end(ap);
	printf("FAIL %s: (the group's remaining checks did not run)\n",
	       g_group);
	fflush(stdout);
	longjmp(g_abort, 1);
}

/* ---- small helpers ------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int write_file(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	FILE *f;
	int ok;

	/* written aside and renamed: gconvd never reads half a file */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	ok = fputs(text, f) >= 0;
	ok = !fclose(f) && ok;
	if (!ok || rename(tmp, path))
		return -EIO;
	return 0;
}

/* The whole file, NUL-terminated (NULL if unreadable). */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t got;

		if (cap - n < 4097) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (!got)
			break;
	}
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

static int count_str(const char *hay, const char *needle)
{
	int n = 0;

	while (hay && (hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* Open file descriptors of process @pid (-1 if unreadable). */
static int fd_count(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void set_str(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(s);

	memset(dst, 0, cap);
	memcpy(dst, s, n < cap ? n : cap - 1);
}

/* ---- the models and their in-process reference --------------------------- */

static const char *g_gconvd;
static char g_dir[64];
static char g_models_dir[PATH_MAX / 2];
static char g_digits[PATH_MAX], g_gcm[PATH_MAX], g_slow[PATH_MAX];
static unsigned char *g_onnx_bytes;
static size_t g_onnx_len;
static uint64_t g_onnx_hash, g_gcm_hash;
static uint32_t g_gconvs;
static uint64_t g_weights_size;
static float g_in[NREF][DIGITS_IN], g_ref[NREF][DIGITS_OUT];

/* @got equals the in-process output of sample @s (why() says where not). */
static int probs_match(const float *got, int s)
{
	int i;

	if (!got) {
		why("no output buffer");
		return 0;
	}
	for (i = 0; i < DIGITS_OUT; i++) {
		double w = g_ref[s][i], g = got[i];

		if (!(fabs(g - w) <= 1e-6 + 1e-5 * fabs(w))) {
			why("sample %d: probs[%d] = %.9g, in-process %.9g", s,
			    i, g, w);
			return 0;
		}
	}
	return 1;
}

/* ---- gconvd processes ---------------------------------------------------- */

#define MAX_DAEMONS  8
#define MAX_CHILDREN 16

struct daemon {
	const char *name;
	pid_t pid; /* 0 once reaped */
	int status;
	char sock[108];
	char log[PATH_MAX];
	char policy[PATH_MAX];
	/* how daemon_spawn() runs it (daemon_new() sets the defaults) */
	const char *backend; /* "cpu" */
	int background;	     /* no --foreground */
	int listen_fd;	     /* >= 0: socket activation with this fd */
	const char *notify;  /* $NOTIFY_SOCKET, or NULL */
};

static struct daemon *g_daemons[MAX_DAEMONS];
static int g_ndaemons, g_logno;
static pid_t g_children[MAX_CHILDREN];
static int g_nchildren;

static struct daemon g_dpool[MAX_DAEMONS];

/* A gconvd of the current group: its socket, log and policy paths. */
static struct daemon *daemon_new(const char *name, const char *sock)
{
	struct daemon *d;

	if (g_ndaemons == MAX_DAEMONS) {
		why("more than %d", MAX_DAEMONS);
		need(0, "a gconvd for %s", name);
	}
	d = &g_dpool[g_ndaemons];
	g_daemons[g_ndaemons++] = d;
	memset(d, 0, sizeof(*d));
	d->name = name;
	d->backend = "cpu";
	d->listen_fd = -1;
	snprintf(d->sock, sizeof(d->sock), "%s/%s.sock", g_dir, sock);
	g_logno++;
	snprintf(d->log, sizeof(d->log), "%s/%s-%d.log", g_dir, name, g_logno);
	snprintf(d->policy, sizeof(d->policy), "%s/%s-%d.conf", g_dir, name,
		 g_logno);
	return d;
}

/* kill(2) of a gconvd that has not been reaped (never pid 0 or -1). */
static void daemon_signal(struct daemon *d, int sig)
{
	if (d->pid > 0)
		kill(d->pid, sig);
}

static char *daemon_log(const struct daemon *d)
{
	return read_file(d->log, NULL);
}

static int log_count(const struct daemon *d, const char *needle)
{
	char *log = daemon_log(d);
	int n = count_str(log, needle);

	free(log);
	return n;
}

/* Run gconvd with the daemon's socket and policy (and @extra, NULL-ended). */
static void daemon_spawn(struct daemon *d, const char *const *extra)
{
	const char *argv[32];
	int n = 0, logfd;
	pid_t pid;

	argv[n++] = g_gconvd;
	if (!d->background)
		argv[n++] = "--foreground";
	argv[n++] = "--backend";
	argv[n++] = d->backend;
	argv[n++] = "--socket";
	argv[n++] = d->sock;
	argv[n++] = "--policy";
	argv[n++] = d->policy;
	while (extra && *extra && n < 31)
		argv[n++] = *extra++;
	argv[n] = NULL;
	logfd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		sigset_t all;
		int nul = open("/dev/null", O_RDONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (nul >= 0)
			dup2(nul, 0);
		if (logfd >= 0) {
			dup2(logfd, 1);
			dup2(logfd, 2);
		}
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
		unsetenv("NOTIFY_SOCKET");
		if (d->listen_fd >= 0) {
			char buf[32];

			if (d->listen_fd == 3)
				fcntl(3, F_SETFD, 0);
			else
				dup2(d->listen_fd, 3);
			snprintf(buf, sizeof(buf), "%d", (int)getpid());
			setenv("LISTEN_PID", buf, 1);
			setenv("LISTEN_FDS", "1", 1);
		}
		if (d->notify)
			setenv("NOTIFY_SOCKET", d->notify, 1);
		execv(g_gconvd, (char *const *)argv);
		dprintf(2, "gconvd-test: exec %s: %s\n", g_gconvd,
			strerror(errno));
		_exit(127);
	}
	if (logfd >= 0)
		close(logfd);
	d->pid = pid > 0 ? pid : 0;
	d->status = -1;
}

/* Reap the daemon if it has exited, waiting up to @ms; 1 if it has. */
static int daemon_reap(struct daemon *d, int ms)
{
	int64_t end = now_ms() + ms;

	if (!d->pid)
		return 1;
	for (;;) {
		int st;
		pid_t p = waitpid(d->pid, &st, WNOHANG);

		if (p == d->pid || (p < 0 && errno == ECHILD)) {
			d->status = p == d->pid ? st : -1;
			d->pid = 0;
			return 1;
		}
		if (now_ms() >= end)
			return 0;
		sleep_ms(10);
	}
}

static void describe_status(int st, char *buf, size_t len)
{
	if (st == -1)
		snprintf(buf, len, "not reaped");
	else if (WIFEXITED(st))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "wait status %#x", st);
}

/* Wait until the log has @min lines with @needle; 0 if gconvd died. */
static int wait_log(struct daemon *d, const char *needle, int min, int ms)
{
	int64_t end = now_ms() + ms;

	for (;;) {
		if (log_count(d, needle) >= min)
			return 1;
		if (now_ms() >= end || daemon_reap(d, 0))
			return log_count(d, needle) >= min;
		sleep_ms(10);
	}
}

/* Write the policy, start gconvd and wait until it says it is ready. */
static void daemon_start_args(struct daemon *d, const char *policy,
			      const char *const *extra)
{
	char st[96], ready[200];
	int ok;

	if (policy && write_file(d->policy, policy)) {
		why("cannot write %s", d->policy);
		need(0, "write the policy file");
	}
	daemon_spawn(d, extra);
	snprintf(ready, sizeof(ready), "gconvd: ready on %s", d->sock);
	ok = d->pid && wait_log(d, ready, 1, READY_MS) && d->pid;
	if (!ok) {
		describe_status(d->status, st, sizeof(st));
		why("no \"%s\" in its log (%s)", ready,
		    d->pid ? "still running" : st);
	}
	require(ok, "gconvd (%s) starts and logs that it is ready", d->name);
}

static void daemon_start(struct daemon *d, const char *policy)
{
	daemon_start_args(d, policy, NULL);
}

static void daemon_kill(struct daemon *d)
{
	if (d->pid) {
		daemon_signal(d, SIGKILL);
		daemon_reap(d, EXIT_MS);
	}
}

static const char *sigabbrev(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "?";
}

/*
 * SIGTERM or SIGINT; gconvd must exit 0 (ASan: leak-free), log "gconvd: exit"
 * and remove its socket.
 */
static void daemon_stop_sig(struct daemon *d, int sig)
{
	char st[96];
	struct stat sb;
	int reaped;

	if (!d->pid) {
		describe_status(d->status, st, sizeof(st));
		why("it had already ended (%s)", st);
		check(0, "gconvd (%s) exits 0 after %s", d->name,
		      sigabbrev(sig));
		return;
	}
	daemon_signal(d, sig);
	reaped = daemon_reap(d, EXIT_MS);
	if (!reaped) {
		daemon_kill(d);
		why("still running %d s after %s (killed)", EXIT_MS / 1000,
		    sigabbrev(sig));
		check(0, "gconvd (%s) exits 0 after %s", d->name,
		      sigabbrev(sig));
		return;
	}
	describe_status(d->status, st, sizeof(st));
	why("%s", st);
	check(WIFEXITED(d->status) && WEXITSTATUS(d->status) == 0,
	      "gconvd (%s) exits 0 after %s", d->name, sigabbrev(sig));
	why("log has %d \"gconvd: stopping\", %d \"gconvd: exit\"",
	    log_count(d, "gconvd: stopping"), log_count(d, "gconvd: exit"));
	check(log_count(d, "gconvd: stopping") == 1 &&
		      log_count(d, "gconvd: exit") == 1,
	      "gconvd (%s) logs \"gconvd: stopping\" and \"gconvd: exit\"",
	      d->name);
	why("%s still exists", d->sock);
	check(stat(d->sock, &sb) && errno == ENOENT,
	      "gconvd (%s) removes its socket at exit", d->name);
}

static void daemon_stop(struct daemon *d)
{
	daemon_stop_sig(d, SIGTERM);
}

static void print_log(const struct daemon *d)
{
	char *log = daemon_log(d), *line, *save = NULL;

	printf("  --- %s (%s) ---\n", d->log, d->name);
	if (!log) {
		printf("  | (no log)\n");
		return;
	}
	for (line = strtok_r(log, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		printf("  | %s\n", line);
	free(log);
}

/* fork() for a client process of the test; killed at the group's end. */
static pid_t spawn_child(void)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		return 0;
	}
	if (pid > 0 && g_nchildren < MAX_CHILDREN)
		g_children[g_nchildren++] = pid;
	return pid;
}

/* Wait for a child; its wait status, or -1 on timeout. */
static int reap_child(pid_t pid, int ms)
{
	int64_t end = now_ms() + ms;
	int i, st;

	for (;;) {
		pid_t p = waitpid(pid, &st, WNOHANG);

		if (p == pid || (p < 0 && errno == ECHILD))
			break;
		if (now_ms() >= end)
			return -1;
		sleep_ms(10);
	}
	for (i = 0; i < g_nchildren; i++)
		if (g_children[i] == pid)
			g_children[i] = 0;
	return st;
}

/* ---- a raw protocol client ----------------------------------------------- */

#define RAW_Q 64

struct rmsg {
	uint64_t arr; /* arrival number on its connection */
	size_t len;
	int fd; /* received descriptor, or -1 */
	unsigned char *b;
};

struct raw {
	int fd;
	int eof;
	uint32_t seq;
	uint64_t narr;	  /* messages received */
	uint64_t got_arr; /* arrival number of expect()'s last reply */
	int send_err;	  /* errno of the last failed send */
	int nq;
	struct rmsg q[RAW_Q]; /* received, not yet asked for */
};

static struct gconvd_hdr hdr_of(const struct rmsg *m)
{
	struct gconvd_hdr h;

	memset(&h, 0, sizeof(h));
	if (m->b && m->len >= sizeof(h))
		memcpy(&h, m->b, sizeof(h));
	return h;
}

static void rmsg_free(struct rmsg *m)
{
	if (m->fd >= 0)
		close(m->fd);
	free(m->b);
	m->b = NULL;
	m->fd = -1;
	m->len = 0;
}

static uint32_t next_seq(struct raw *r)
{
	if (++r->seq == 0)
		r->seq = 1;
	return r->seq;
}

static struct raw *raw_open(const char *path)
{
	struct sockaddr_un sa;
	struct raw *r;
	int fd, e;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	set_str(sa.sun_path, sizeof(sa.sun_path), path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		return NULL;
	}
	r->fd = fd;
	r->seq = 100;
	return r;
}

static void raw_close(struct raw *r)
{
	int i;

	if (!r)
		return;
	for (i = 0; i < r->nq; i++)
		rmsg_free(&r->q[i]);
	close(r->fd);
	free(r);
}

static int raw_sendv(struct raw *r, const void *msg, size_t len, const int *fds,
		     int nfds)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (nfds > 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	do
		n = sendmsg(r->fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r->send_err = errno;
		return -errno;
	}
	return (size_t)n == len ? 0 : -EIO;
}

static int raw_send(struct raw *r, const void *msg, size_t len)
{
	return raw_sendv(r, msg, len, NULL, 0);
}

static int is_reply_type(uint16_t t)
{
	return t == GCONVD_MSG_HELLO_REPLY || t == GCONVD_MSG_LOAD_REPLY ||
	       t == GCONVD_MSG_INFER_REPLY || t == GCONVD_MSG_STATS_REPLY ||
	       t == GCONVD_MSG_OK || t == GCONVD_MSG_ERROR;
}

static void fail_now(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void fail_now(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	why("%s", buf);
	check(0, "gconvd sends only well-formed replies");
}

/*
 * Read one message within @ms: 1, 0 if none came, -1 once the connection
 * is over.  Every message gconvd sends is checked here.
 */
static int raw_read(struct raw *r, int ms, struct rmsg *out)
{
	static unsigned char buf[GCONVD_MAX_MSG + 64];
	union {
		char b[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *cm;
	int fds[8], nfds = 0, i, pr;
	char whybuf[256];
	ssize_t n;

	if (r->eof)
		return -1;
	do
		pr = poll(&pfd, 1, ms < 0 ? 0 : ms);
	while (pr < 0 && errno == EINTR);
	if (pr <= 0)
		return 0;
	n = recvmsg(r->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		r->eof = 1;
		return -1;
	}
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t k, j;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (j = 0; j < k && nfds < 8; j++)
			memcpy(&fds[nfds++], CMSG_DATA(cm) + j * sizeof(int),
			       sizeof(int));
	}
	if (n == 0 && !nfds) {
		r->eof = 1;
		return -1;
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		fail_now("a message longer than %d bytes or with too many fds",
			 GCONVD_MAX_MSG);
	else if (gconvd_msg_check(buf, (size_t)n, (unsigned int)nfds, whybuf,
				  sizeof(whybuf)))
		fail_now("gconvd_msg_check: %s", whybuf);
	else if (!is_reply_type(((const struct gconvd_hdr *)buf)->type))
		fail_now("gconvd sent a %s",
			 gconvd_msg_name(
				 ((const struct gconvd_hdr *)buf)->type));
	out->b = malloc((size_t)n);
	if (!out->b) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		return 0;
	}
	memcpy(out->b, buf, (size_t)n);
	out->arr = ++r->narr;
	out->len = (size_t)n;
	out->fd = nfds ? fds[0] : -1;
	for (i = 1; i < nfds; i++)
		close(fds[i]);
	return 1;
}

static void raw_queue(struct raw *r, struct rmsg *m)
{
	if (r->nq < RAW_Q)
		r->q[r->nq++] = *m;
	else
		rmsg_free(m);
}

/* The message with @seq, received earlier or within @ms: 1, 0, -1 (EOF). */
static int raw_wait(struct raw *r, uint32_t seq, int ms, struct rmsg *out)
{
	int64_t end = now_ms() + ms;
	int i, rc;

	for (i = 0; i < r->nq; i++) {
		if (hdr_of(&r->q[i]).seq == seq && r->q[i].len >= 16) {
			*out = r->q[i];
			memmove(&r->q[i], &r->q[i + 1],
				(size_t)(r->nq - i - 1) * sizeof(r->q[0]));
			r->nq--;
			return 1;
		}
	}
	for (;;) {
		struct rmsg m = { 0, 0, -1, NULL };
		int64_t left = end - now_ms();

		rc = raw_read(r, left < 0 ? 0 : (int)left, &m);
		if (rc <= 0)
			return rc;
		if (m.len >= 16 && hdr_of(&m).seq == seq) {
			*out = m;
			return 1;
		}
		raw_queue(r, &m);
	}
}

/* 1 once gconvd has closed the connection (within @ms). */
static int raw_wait_eof(struct raw *r, int ms)
{
	int64_t end = now_ms() + ms;

	for (;;) {
		struct rmsg m = { 0, 0, -1, NULL };
		int64_t left = end - now_ms();
		int rc = raw_read(r, left < 0 ? 0 : (int)left, &m);

		if (rc < 0)
			return 1;
		if (rc == 0)
			return 0;
		raw_queue(r, &m);
	}
}

static void describe(const struct rmsg *m, char *buf, size_t len)
{
	struct gconvd_hdr h = hdr_of(m);

	if (!m->b) {
		snprintf(buf, len, "nothing");
	} else if (h.type == GCONVD_MSG_ERROR &&
		   m->len == sizeof(struct gconvd_error_msg)) {
		struct gconvd_error_msg e;

		memcpy(&e, m->b, sizeof(e));
		e.message[sizeof(e.message) - 1] = 0;
		snprintf(buf, len, "ERROR %s seq %u \"%s\"",
			 gconvd_error_str(e.code), h.seq, e.message);
	} else if (h.type == GCONVD_MSG_INFER_REPLY &&
		   m->len == sizeof(struct gconvd_infer_reply)) {
		struct gconvd_infer_reply ir;

		memcpy(&ir, m->b, sizeof(ir));
		snprintf(buf, len, "INFER_REPLY seq %u status %u", h.seq,
			 ir.status);
	} else {
		snprintf(buf, len, "%s seq %u (%zu bytes)",
			 gconvd_msg_name(h.type), h.seq, m->len);
	}
}

static uint32_t error_code(const struct rmsg *m, char *text, size_t len)
{
	struct gconvd_error_msg e;

	if (text && len)
		text[0] = 0;
	if (hdr_of(m).type != GCONVD_MSG_ERROR || m->len != sizeof(e))
		return 0;
	memcpy(&e, m->b, sizeof(e));
	e.message[sizeof(e.message) - 1] = 0;
	if (text)
		snprintf(text, len, "%s", e.message);
	return e.code;
}

/*
 * Wait for the reply to @seq and keep it in @out (freed by the caller):
 * 1 if it has type @type (and for ERROR, code @code); why() says what
 * came otherwise.
 */
static int expect(struct raw *r, uint32_t seq, uint16_t type, uint32_t code,
		  struct rmsg *out)
{
	char d[400];
	int rc;

	out->b = NULL;
	out->fd = -1;
	out->len = 0;
	if (!seq) { /* the raw_*() that made the request could not send it */
		why("the request could not be sent: %s", strerror(r->send_err));
		return 0;
	}
	rc = raw_wait(r, seq, REPLY_MS, out);
	if (rc <= 0) {
		why("no reply to seq %u: %s", seq,
		    rc < 0 ? "gconvd closed the connection"
			   : "nothing within the timeout");
		return 0;
	}
	r->got_arr = out->arr;
	describe(out, d, sizeof(d));
	why("got %s", d);
	if (hdr_of(out).type != type)
		return 0;
	if (type == GCONVD_MSG_ERROR && error_code(out, NULL, 0) != code)
		return 0;
	return 1;
}

/* expect() an ERROR with @code, freeing the reply; @text gets its message. */
static int expect_error(struct raw *r, uint32_t seq, uint32_t code, char *text,
			size_t len)
{
	struct rmsg m;
	int ok = expect(r, seq, GCONVD_MSG_ERROR, code, &m);

	if (text)
		error_code(&m, text, len);
	rmsg_free(&m);
	return ok;
}

static int expect_type(struct raw *r, uint32_t seq, uint16_t type)
{
	struct rmsg m;
	int ok = expect(r, seq, type, 0, &m);

	rmsg_free(&m);
	return ok;
}

static uint32_t raw_hello_send(struct raw *r, uint16_t vmin, uint16_t vmax)
{
	struct gconvd_hello h;

	memset(&h, 0, sizeof(h));
	gconvd_hdr_init(&h.hdr, GCONVD_MSG_HELLO, sizeof(h), next_seq(r));
	h.version_min = vmin;
	h.version_max = vmax;
	set_str(h.client, sizeof(h.client), "gconvd-test-raw");
	if (raw_send(r, &h, sizeof(h)))
		return 0;
	return h.hdr.seq;
}

/* HELLO; 1 if answered by HELLO_REPLY (copied to @out if not NULL). */
static int raw_hello(struct raw *r, struct gconvd_hello_reply *out)
{
	uint32_t seq = raw_hello_send(r, 1, GCONVD_VERSION);
	struct rmsg m;
	int ok = expect(r, seq, GCONVD_MSG_HELLO_REPLY, 0, &m);

	if (ok && out)
		memcpy(out, m.b, sizeof(*out));
	rmsg_free(&m);
	return ok;
}

static uint32_t raw_simple(struct raw *r, uint16_t type, uint32_t arg)
{
	union {
		struct gconvd_unload u;
		struct gconvd_infer i;
		struct gconvd_cancel c;
		struct gconvd_stats s;
	} m;
	size_t len = gconvd_msg_size(type);
	uint32_t seq = next_seq(r);

	memset(&m, 0, sizeof(m));
	gconvd_hdr_init(&m.u.hdr, type, (uint32_t)len, seq);
	if (type == GCONVD_MSG_UNLOAD)
		m.u.model_id = arg;
	else if (type == GCONVD_MSG_INFER)
		m.i.model_id = arg;
	else if (type == GCONVD_MSG_CANCEL)
		m.c.target = arg;
	return raw_send(r, &m, len) ? 0 : seq;
}

static uint32_t raw_infer(struct raw *r, uint32_t id)
{
	return raw_simple(r, GCONVD_MSG_INFER, id);
}

static uint32_t raw_unload(struct raw *r, uint32_t id)
{
	return raw_simple(r, GCONVD_MSG_UNLOAD, id);
}

static uint32_t raw_cancel(struct raw *r, uint32_t target)
{
	return raw_simple(r, GCONVD_MSG_CANCEL, target);
}

/* The tenant's counters, from the raw protocol or the library. */
struct st {
	char tenant[GCONVD_NAME_LEN];
	uint64_t requests, completed, failed, rejected, memory;
	uint32_t queued, in_flight, clients, models;
};

static void st_why(const struct st *s)
{
	why("tenant '%s': clients %u models %u memory %llu queued %u "
	    "in_flight %u requests %llu completed %llu failed %llu "
	    "rejected %llu",
	    s->tenant, s->clients, s->models, (unsigned long long)s->memory,
	    s->queued, s->in_flight, (unsigned long long)s->requests,
	    (unsigned long long)s->completed, (unsigned long long)s->failed,
	    (unsigned long long)s->rejected);
}

static int raw_stats(struct raw *r, struct st *s)
{
	uint32_t seq = raw_simple(r, GCONVD_MSG_STATS, 0);
	struct gconvd_stats_reply sr;
	struct rmsg m;
	int ok = expect(r, seq, GCONVD_MSG_STATS_REPLY, 0, &m);

	memset(s, 0, sizeof(*s));
	if (ok) {
		memcpy(&sr, m.b, sizeof(sr));
		memcpy(s->tenant, sr.tenant, sizeof(s->tenant));
		s->requests = sr.requests;
		s->completed = sr.completed;
		s->failed = sr.failed;
		s->rejected = sr.rejected;
		s->queued = sr.queued;
		s->in_flight = sr.in_flight;
		s->clients = sr.clients;
		s->models = sr.models;
		s->memory = sr.memory;
	}
	rmsg_free(&m);
	return ok;
}

static int lib_stats(struct gconv_client *c, struct st *s)
{
	struct gconv_client_stats cs;
	char err[512];
	int rc = gconv_client_stats(c, &cs, err, sizeof(err));

	memset(s, 0, sizeof(*s));
	if (rc) {
		why("gconv_client_stats: %d: %s", rc, err);
		return 0;
	}
	memcpy(s->tenant, cs.tenant, sizeof(s->tenant));
	s->requests = cs.requests;
	s->completed = cs.completed;
	s->failed = cs.failed;
	s->rejected = cs.rejected;
	s->queued = cs.queued;
	s->in_flight = cs.in_flight;
	s->clients = cs.clients;
	s->models = cs.models;
	s->memory = cs.memory;
	return 1;
}

#define ANY (-1)
/* live values wanted; ANY: don't care */
struct want {
	int64_t clients, models, memory, queued, in_flight;
};

static int st_match(const struct st *s, const struct want *w)
{
	return (w->clients == ANY || s->clients == w->clients) &&
	       (w->models == ANY || s->models == w->models) &&
	       (w->memory == ANY || (int64_t)s->memory == w->memory) &&
	       (w->queued == ANY || s->queued == w->queued) &&
	       (w->in_flight == ANY || s->in_flight == w->in_flight);
}

/* Poll the counters (raw @r or library @c) until they match @w. */
static int stats_until(struct raw *r, struct gconv_client *c,
		       const struct want *w, int ms, struct st *last)
{
	int64_t end = now_ms() + ms;

	for (;;) {
		int ok = r ? raw_stats(r, last) : lib_stats(c, last);

		if (!ok)
			return 0;
		if (st_match(last, w))
			return 1;
		if (now_ms() >= end) {
			st_why(last);
			return 0;
		}
		sleep_ms(5);
	}
}

/* An instance loaded through the raw protocol, its I/O buffer mapped. */
struct rinst {
	uint32_t id;
	unsigned char *io;
	size_t io_size;
	uint32_t nin, nout, gconvs;
	uint64_t hash;
	struct gconvd_tensor t[4];
};

static uint32_t raw_load_send(struct raw *r, int fd, uint64_t size,
			      const char *name, uint32_t format)
{
	struct gconvd_load l;

	memset(&l, 0, sizeof(l));
	gconvd_hdr_init(&l.hdr, GCONVD_MSG_LOAD, sizeof(l), next_seq(r));
	l.format = format;
	l.size = size;
	set_str(l.name, sizeof(l.name), name);
	if (raw_sendv(r, &l, sizeof(l), &fd, 1))
		return 0;
	return l.hdr.seq;
}

/* The LOAD_REPLY to @seq, mapped into @in; 0 with why() otherwise. */
static int raw_load_reply(struct raw *r, uint32_t seq, struct rinst *in)
{
	struct gconvd_load_reply lr;
	struct rmsg m;
	uint32_t i;

	memset(in, 0, sizeof(*in));
	if (!expect(r, seq, GCONVD_MSG_LOAD_REPLY, 0, &m)) {
		rmsg_free(&m);
		return 0;
	}
	memcpy(&lr, m.b, sizeof(lr));
	in->id = lr.model_id;
	in->nin = lr.n_inputs;
	in->nout = lr.n_outputs;
	in->gconvs = lr.gconvs;
	in->hash = lr.hash;
	in->io_size = lr.io_size;
	for (i = 0; i < lr.n_inputs + lr.n_outputs && i < 4; i++)
		memcpy(&in->t[i], m.b + sizeof(lr) + i * sizeof(in->t[0]),
		       sizeof(in->t[0]));
	in->io = mmap(NULL, in->io_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      m.fd, 0);
	if (in->io == MAP_FAILED) {
		why("mmap of the I/O buffer (%zu bytes): %s", in->io_size,
		    strerror(errno));
		in->io = NULL;
		rmsg_free(&m);
		return 0;
	}
	rmsg_free(&m);
	return 1;
}

static int raw_load_file(struct raw *r, const char *path, const char *name,
			 struct rinst *in)
{
	struct stat sb;
	uint32_t seq;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	memset(in, 0, sizeof(*in));
	if (fd < 0 || fstat(fd, &sb)) {
		why("%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 0;
	}
	seq = raw_load_send(r, fd, (uint64_t)sb.st_size, name,
			    GCONVD_FORMAT_AUTO);
	close(fd);
	return raw_load_reply(r, seq, in);
}

static void rinst_unmap(struct rinst *in)
{
	if (in->io)
		munmap(in->io, in->io_size);
	in->io = NULL;
}

static float *rinst_data(struct rinst *in, uint32_t i)
{
	if (!in->io || i >= in->nin + in->nout || i >= 4 ||
	    in->t[i].offset + in->t[i].bytes > in->io_size)
		return NULL;
	return (float *)(in->io + in->t[i].offset);
}

/* Write sample @s into a raw digits instance. */
static void rinst_put_sample(struct rinst *in, int s)
{
	float *x = rinst_data(in, 0);

	if (x)
		memcpy(x, g_in[s], sizeof(g_in[s]));
}

/* Run sample @s on a raw digits instance; 1 if its output is right. */
static int raw_infer_sample(struct raw *r, struct rinst *in, int s)
{
	uint32_t seq;

	rinst_put_sample(in, s);
	seq = raw_infer(r, in->id);
	if (!expect_type(r, seq, GCONVD_MSG_INFER_REPLY))
		return 0;
	return probs_match(rinst_data(in, 1), s);
}

/* ---- the client library -------------------------------------------------- */

static struct gconv_client *lib_connect(const struct daemon *d,
					const char *name)
{
	struct gconv_client *c = NULL;
	char err[512];
	int rc = gconv_client_connect(d->sock, name, &c, err, sizeof(err));

	if (rc) {
		why("gconv_client_connect: %d (%s): %s", rc, strerror(-rc),
		    err);
		return NULL;
	}
	return c;
}

static struct gconv_client_model *lib_load(struct gconv_client *c,
					   const char *path, const char *name)
{
	struct gconv_client_model *m = NULL;
	char err[512];
	int rc = gconv_client_load_file(c, path, name, &m, err, sizeof(err));

	if (rc) {
		why("gconv_client_load_file(%s): %d (%s): %s", path, rc,
		    strerror(-rc), err);
		return NULL;
	}
	return m;
}

static void lib_put_sample(struct gconv_client_model *m, int s)
{
	float *x = gconv_client_input_data(m, 0);

	if (x)
		memcpy(x, g_in[s], sizeof(g_in[s]));
}

static int lib_check_sample(struct gconv_client_model *m, int s)
{
	return probs_match(gconv_client_output_data(m, 0), s);
}

static int lib_infer_sample(struct gconv_client_model *m, int s)
{
	char err[512];
	int rc;

	lib_put_sample(m, s);
	rc = gconv_client_infer(m, NULL, err, sizeof(err));
	if (rc) {
		why("gconv_client_infer: %d (%s): %s", rc, strerror(-rc), err);
		return 0;
	}
	return lib_check_sample(m, s);
}

/* The digits model's tensor table as the library reports it. */
static int lib_digits_tensors(const struct gconv_client_model *m)
{
	const struct gconv_client_tensor *in = gconv_client_input(m, 0);
	const struct gconv_client_tensor *out = gconv_client_output(m, 0);

	if (gconv_client_num_inputs(m) != 1 ||
	    gconv_client_num_outputs(m) != 1 || !in || !out) {
		why("%u inputs, %u outputs", gconv_client_num_inputs(m),
		    gconv_client_num_outputs(m));
		return 0;
	}
	why("input '%s' ndim %u [%lld,%lld,%lld,%lld] %llu bytes; output '%s' "
	    "ndim %u [%lld,%lld] %llu bytes",
	    in->name, in->ndim, (long long)in->dims[0], (long long)in->dims[1],
	    (long long)in->dims[2], (long long)in->dims[3],
	    (unsigned long long)in->bytes, out->name, out->ndim,
	    (long long)out->dims[0], (long long)out->dims[1],
	    (unsigned long long)out->bytes);
	return !strcmp(in->name, "input") && in->dtype == GCONV_DTYPE_F32 &&
	       in->ndim == 4 && in->dims[0] == 1 && in->dims[1] == 1 &&
	       in->dims[2] == 8 && in->dims[3] == 8 && in->elems == 64 &&
	       in->bytes == 256 && !strcmp(out->name, "probs") &&
	       out->dtype == GCONV_DTYPE_F32 && out->ndim == 2 &&
	       out->dims[0] == 1 && out->dims[1] == 10 && out->bytes == 40 &&
	       gconv_client_find_input(m, "input") == 0 &&
	       gconv_client_find_output(m, "probs") == 0;
}

static int wait_fds(const struct daemon *d, int want, int ms, int *got)
{
	int64_t end = now_ms() + ms;

	for (;;) {
		*got = fd_count(d->pid);
		if (*got == want)
			return 1;
		if (now_ms() >= end)
			return 0;
		sleep_ms(10);
	}
}

/*
 * A warm-up: load every model once and drop it, so that what gconvd keeps
 * for good (compiled-model cache, worker state) is in the baseline; then
 * return gconvd's fd count with exactly one client (@c) connected.
 */
static int warm_baseline(struct daemon *d, struct gconv_client *c, int slow)
{
	struct gconv_client_model *m[3];
	struct want w = { 1, 0, 0, 0, 0 };
	struct st s;
	int i, n = 0;

	m[n++] = lib_load(c, g_digits, "digits");
	m[n++] = lib_load(c, g_gcm, "digits");
	if (slow)
		m[n++] = lib_load(c, g_slow, "slow");
	for (i = 0; i < n; i++)
		need(m[i] != NULL, "warm-up LOAD %d", i);
	need(lib_infer_sample(m[0], 0), "warm-up INFER");
	for (i = 0; i < n; i++)
		gconv_client_unload(m[i], NULL, 0);
	need(stats_until(NULL, c, &w, SETTLE_MS, &s),
	     "warm-up: the tenant holds nothing but this client");
	return fd_count(d->pid);
}

/* A listening AF_UNIX socket of @type at @path (socket activation). */
static int listen_at(const char *path, int type)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	set_str(sa.sun_path, sizeof(sa.sun_path), path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The child of this process (the test is a subreaper: orphans of its
 * children become its children) with @arg on its command line, or 0.
 */
static pid_t find_child_with_arg(const char *arg)
{
	struct dirent *e;
	pid_t found = 0;
	DIR *dir = opendir("/proc");

	while (dir && !found && (e = readdir(dir))) {
		char path[300], *stat, *cmd, *p;
		size_t len;
		int ppid = -1;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		stat = read_file(path, NULL);
		p = stat ? strrchr(stat, ')') : NULL;
		if (p && sscanf(p + 1, " %*c %d", &ppid) != 1)
			ppid = -1;
		free(stat);
		if (ppid != (int)getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		cmd = read_file(path, &len);
		for (p = cmd; p && p < cmd + len; p += strlen(p) + 1)
			if (!strcmp(p, arg))
				found = (pid_t)atoi(e->d_name);
		free(cmd);
	}
	if (dir)
		closedir(dir);
	return found;
}

/* ---- groups -------------------------------------------------------------- */

/* Command line and policy errors: exit statuses 2 and 1. */
static void group_startup(void)
{
	static const char *const bad_opt[] = { "--no-such-option", NULL };
	static const struct {
		const char *text;
		int line;
	} bad[] = {
		{ "[gconvd]\nunknown-users = default\n[tenant a]\nusers = 0\n"
		  "max-queued = lots\n",
		  5 },
		{ "[gconvd]\nunknown-users = default\n[nonsense]\n", 3 },
		{ "[tenant a]\nusers = 0\n[tenant a]\nusers = 1\n", 3 },
		{ "[tenant a]\nusers = no-such-user-gconvd-test\n", 2 },
	};
	char st[96], want[PATH_MAX + 16];
	struct daemon *d, *p[4];
	struct stat sb;
	size_t i;

	d = daemon_new("usage", "startup");
	need(!write_file(d->policy, POLICY_DEFAULT), "write a policy");
	daemon_spawn(d, bad_opt);
	daemon_reap(d, EXIT_MS);
	describe_status(d->status, st, sizeof(st));
	why("%s", d->pid ? "still running" : st);
	check(!d->pid && WIFEXITED(d->status) && WEXITSTATUS(d->status) == 2,
	      "an unknown option is a usage error: exit status 2");
	daemon_kill(d);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p[i] = daemon_new("bad-policy", "startup");
		need(!write_file(p[i]->policy, bad[i].text), "write a policy");
		daemon_spawn(p[i], NULL);
		daemon_reap(p[i], EXIT_MS);
		describe_status(p[i]->status, st, sizeof(st));
		snprintf(want, sizeof(want), "%s:%d: ", p[i]->policy,
			 bad[i].line);
		why("%s; %d lines with \"%s\" in its stderr",
		    p[i]->pid ? "still running" : st, log_count(p[i], want),
		    want);
		check(!p[i]->pid && WIFEXITED(p[i]->status) &&
			      WEXITSTATUS(p[i]->status) == 1 &&
			      log_count(p[i], want) >= 1,
		      "bad policy %zu: exit status 1 and \"FILE:%d: reason\"",
		      i + 1, bad[i].line);
		daemon_kill(p[i]);
	}
	d = daemon_new("no-device", "startup");
	d->backend = "drm:/nonexistent/accel9";
	need(!write_file(d->policy, POLICY_DEFAULT), "write a policy");
	daemon_spawn(d, NULL);
	daemon_reap(d, EXIT_MS);
	describe_status(d->status, st, sizeof(st));
	why("%s", d->pid ? "still running" : st);
	check(!d->pid && WIFEXITED(d->status) && WEXITSTATUS(d->status) == 1,
	      "a device that does not open (--backend drm:/nonexistent): "
	      "exit status 1");
	daemon_kill(d);
	why("%s exists", d->sock);
	check(stat(d->sock, &sb) && errno == ENOENT,
	      "no socket is left behind by the failed starts");
}

/* Round trips through the client library; results against in-process. */
static void group_basics(void)
{
	struct gconv_client_model *mo, *mg, *mb, *mm[4];
	struct gconv_client_info info;
	struct gconv_client *c, *c2;
	uint64_t mem[4];
	struct daemon *d;
	char err[512];
	struct st s;
	int i, ok, rc;

	d = daemon_new("basics", "basics-dir/basics");
	daemon_start(d, POLICY_DEFAULT);
	{
		struct stat sb;

		ok = !stat(d->sock, &sb);
		why("%s: %s, mode %o", d->sock, ok ? "exists" : strerror(errno),
		    ok ? (unsigned int)sb.st_mode : 0);
		check(ok && S_ISSOCK(sb.st_mode) &&
			      (sb.st_mode & 07777) == 0666,
		      "the socket's missing directory is created; the socket "
		      "is mode 0666");
	}
	c = lib_connect(d, "gconvd-test");
	require(c != NULL, "HELLO through the client library");
	gconv_client_get_info(c, &info);
	why("version %u backend %u tenant '%s' connects %llu", info.version,
	    info.backend, info.tenant, (unsigned long long)info.connects);
	check(info.version == GCONVD_VERSION &&
		      info.backend == GCONVD_BACKEND_CPU &&
		      !strcmp(info.tenant, "default") && info.connects == 1,
	      "HELLO_REPLY: the newest version, the cpu backend, tenant "
	      "'default'");
	why("max_queued %u max_in_flight %u memory_quota %llu", info.max_queued,
	    info.max_in_flight, (unsigned long long)info.memory_quota);
	check(info.max_queued == 64 && info.max_in_flight == 4 &&
		      info.memory_quota == 0,
	      "HELLO_REPLY: the default limits (max-queued 64, "
	      "max-in-flight 4, no quota)");
	why("%s", gconv_client_socket(c));
	check(!strcmp(gconv_client_socket(c), d->sock),
	      "the client uses the socket it was given");

	mo = lib_load(c, g_digits, "digits");
	require(mo != NULL, "LOAD digits.onnx");
	check(lib_digits_tensors(mo),
	      "LOAD_REPLY of digits.onnx: input [1,1,8,8], output [1,10]");
	why("hash %016llx, XXH64 of the file %016llx; %u GCONVs, in-process %u",
	    (unsigned long long)gconv_client_model_hash(mo),
	    (unsigned long long)g_onnx_hash, gconv_client_model_gconvs(mo),
	    g_gconvs);
	check(gconv_client_model_hash(mo) == g_onnx_hash &&
		      gconv_client_model_gconvs(mo) == g_gconvs,
	      "LOAD_REPLY of digits.onnx: hash and GCONV count");

	mg = lib_load(c, g_gcm, "digits");
	require(mg != NULL, "LOAD digits.gcm (saved by gconv_model_save)");
	check(lib_digits_tensors(mg), "LOAD_REPLY of digits.gcm: tensors");
	why("hash %016llx, XXH64 of the file %016llx; %u GCONVs, in-process %u",
	    (unsigned long long)gconv_client_model_hash(mg),
	    (unsigned long long)g_gcm_hash, gconv_client_model_gconvs(mg),
	    g_gconvs);
	check(gconv_client_model_hash(mg) == g_gcm_hash &&
		      gconv_client_model_gconvs(mg) == g_gconvs,
	      "LOAD_REPLY of digits.gcm: hash and GCONV count");

	mb = NULL;
	rc = gconv_client_load_buffer(c, g_onnx_bytes, g_onnx_len, "digits",
				      &mb, err, sizeof(err));
	why("%d: %s", rc, err);
	require(rc == 0 && mb, "LOAD digits.onnx from a buffer");
	why("hash %016llx, the file's %016llx",
	    (unsigned long long)gconv_client_model_hash(mb),
	    (unsigned long long)g_onnx_hash);
	check(gconv_client_model_hash(mb) == g_onnx_hash,
	      "the same bytes from a buffer have the same hash");

	ok = lib_stats(c, &s);
	st_why(&s);
	check(ok && !strcmp(s.tenant, "default") && s.clients == 1 &&
		      s.models == 3 && s.memory > 0 && s.queued == 0 &&
		      s.in_flight == 0 && s.requests == 0,
	      "STATS: 1 client, 3 models, memory charged, nothing queued");

	for (ok = 1, i = 0; i < 8 && ok; i++)
		ok = lib_infer_sample(mo, i);
	check(ok, "INFER on digits.onnx: samples 0-7 equal gconv_session's");
	for (ok = 1, i = 0; i < 8 && ok; i++)
		ok = lib_infer_sample(mg, i);
	check(ok, "INFER on digits.gcm: samples 0-7 equal gconv_session's");

	/* three requests in flight at once, waited for in reverse order */
	lib_put_sample(mo, 8);
	lib_put_sample(mg, 9);
	lib_put_sample(mb, 10);
	ok = 1;
	rc = gconv_client_infer_start(mo, err, sizeof(err));
	rc = rc ? rc : gconv_client_infer_start(mg, err, sizeof(err));
	rc = rc ? rc : gconv_client_infer_start(mb, err, sizeof(err));
	rc = rc ? rc : gconv_client_infer_wait(mb, -1, NULL, err, sizeof(err));
	rc = rc ? rc : gconv_client_infer_wait(mg, -1, NULL, err, sizeof(err));
	rc = rc ? rc : gconv_client_infer_wait(mo, -1, NULL, err, sizeof(err));
	why("%d: %s", rc, err);
	ok = rc == 0 && lib_check_sample(mb, 10) && lib_check_sample(mg, 9) &&
	     lib_check_sample(mo, 8);
	check(ok, "three pipelined INFERs on three instances: all right");

	ok = lib_stats(c, &s);
	st_why(&s);
	check(ok && s.requests == 19 && s.completed == 19 && s.failed == 0 &&
		      s.rejected == 0 && s.queued == 0 && s.in_flight == 0,
	      "STATS: 19 requests, 19 completed, none failed or rejected");

	c2 = lib_connect(d, "gconvd-test-2");
	ok = c2 && lib_stats(c2, &s);
	if (c2)
		st_why(&s);
	check(ok && s.clients == 2 && s.models == 3,
	      "STATS from a second connection: the tenant has 2 clients");
	gconv_client_close(c2);
	{
		struct want w = { 1, 3, ANY, 0, 0 };

		check(stats_until(NULL, c, &w, SETTLE_MS, &s),
		      "STATS: back to 1 client once the second closed");
	}

	rc = gconv_client_unload(mo, err, sizeof(err));
	rc = rc ? rc : gconv_client_unload(mg, err, sizeof(err));
	rc = rc ? rc : gconv_client_unload(mb, err, sizeof(err));
	why("%d: %s", rc, err);
	check(rc == 0, "UNLOAD of the three instances");
	ok = lib_stats(c, &s);
	st_why(&s);
	check(ok && s.models == 0 && s.memory == 0,
	      "STATS: no models and no memory after the UNLOADs");

	/* memory: instances cost the same, weights once per distinct model */
	for (i = 0; i < 4; i++) {
		mm[i] = lib_load(c, i < 3 ? g_digits : g_gcm, "digits");
		need(mm[i] != NULL, "LOAD for the memory accounting (%d)", i);
		need(lib_stats(c, &s), "STATS");
		mem[i] = s.memory;
	}
	why("memory after 1, 2, 3 digits.onnx and 1 digits.gcm: %llu %llu "
	    "%llu %llu; weights %llu bytes",
	    (unsigned long long)mem[0], (unsigned long long)mem[1],
	    (unsigned long long)mem[2], (unsigned long long)mem[3],
	    (unsigned long long)g_weights_size);
	check(mem[1] > mem[0] && mem[2] - mem[1] == mem[1] - mem[0],
	      "memory: every instance of a model is charged the same");
	check(mem[1] - mem[0] < mem[0] &&
		      mem[0] - (mem[1] - mem[0]) >= g_weights_size,
	      "memory: the weights are charged once, with the first instance");
	check(mem[3] - mem[2] == mem[0],
	      "memory: another file (digits.gcm) is charged its own weights");
	gconv_client_close(c);

	c = lib_connect(d, "gconvd-test-3");
	need(c != NULL, "connect again");
	{
		struct want w = { 1, 0, 0, 0, 0 };

		check(stats_until(NULL, c, &w, SETTLE_MS, &s),
		      "after the client closed with 4 instances: the tenant "
		      "holds no models and no memory");
	}
	check(s.requests == 19 && s.completed == 19,
	      "STATS totals outlive the connection (19 requests)");
	gconv_client_close(c);
	daemon_stop(d);
}

/* Error paths of the raw protocol that keep the connection. */
static void group_errors(void)
{
	struct gconv_client_model *m = NULL;
	struct gconv_client *c;
	struct daemon *d;
	struct raw *r;
	struct rinst in;
	char err[512], text[GCONVD_MSG_LEN];
	unsigned char garbage[1000];
	struct stat sb;
	uint32_t seq;
	int fd, rc, i, ok;

	d = daemon_new("errors", "errors");
	daemon_start(d, POLICY_DEFAULT);

	/* E_ORDER: a request before HELLO, or HELLO twice; closed */
	r = raw_open(d->sock);
	need(r != NULL, "raw connect");
	seq = raw_simple(r, GCONVD_MSG_STATS, 0);
	check(expect_error(r, seq, GCONVD_E_ORDER, NULL, 0),
	      "STATS before HELLO: ERROR E_ORDER with its seq");
	why("the connection stayed open");
	check(raw_wait_eof(r, REPLY_MS),
	      "gconvd closes the connection after E_ORDER");
	raw_close(r);
	r = raw_open(d->sock);
	need(r && raw_hello(r, NULL), "raw connect and HELLO");
	seq = raw_hello_send(r, 1, GCONVD_VERSION);
	check(expect_error(r, seq, GCONVD_E_ORDER, NULL, 0),
	      "HELLO twice: ERROR E_ORDER with its seq");
	why("the connection stayed open");
	check(raw_wait_eof(r, REPLY_MS),
	      "gconvd closes the connection after a second HELLO");
	raw_close(r);

	/* E_VERSION: no common version; the connection closes */
	r = raw_open(d->sock);
	need(r != NULL, "raw connect");
	seq = raw_hello_send(r, GCONVD_VERSION + 1, GCONVD_VERSION + 5);
	check(expect_error(r, seq, GCONVD_E_VERSION, NULL, 0),
	      "HELLO offering only versions newer than gconvd's: ERROR "
	      "E_VERSION");
	why("the connection stayed open");
	check(raw_wait_eof(r, REPLY_MS),
	      "gconvd closes the connection after E_VERSION");
	raw_close(r);

	r = raw_open(d->sock);
	need(r != NULL && raw_hello(r, NULL), "raw connect and HELLO");
	seq = raw_infer(r, 77);
	check(expect_error(r, seq, GCONVD_E_NO_MODEL, NULL, 0),
	      "INFER of an unknown model id: ERROR E_NO_MODEL");
	seq = raw_unload(r, 77);
	check(expect_error(r, seq, GCONVD_E_NO_MODEL, NULL, 0),
	      "UNLOAD of an unknown model id: ERROR E_NO_MODEL");
	seq = raw_cancel(r, 4242);
	check(expect_error(r, seq, GCONVD_E_NO_REQUEST, NULL, 0),
	      "CANCEL of a seq that is not pending: ERROR E_NO_REQUEST");

	/* E_MODEL: garbage, a truncated ONNX, a short file, > 1 GiB */
	for (i = 0; i < (int)sizeof(garbage); i++)
		garbage[i] = (unsigned char)(i * 37 + 11);
	fd = memfd_create("garbage", MFD_CLOEXEC);
	need(fd >= 0 && write(fd, garbage, sizeof(garbage)) ==
				(ssize_t)sizeof(garbage),
	     "memfd with garbage");
	seq = raw_load_send(r, fd, sizeof(garbage), "garbage",
			    GCONVD_FORMAT_AUTO);
	text[0] = 0;
	ok = expect_error(r, seq, GCONVD_E_MODEL, text, sizeof(text));
	check(ok && text[0], "LOAD of garbage bytes: ERROR E_MODEL, a reason");
	close(fd);

	fd = memfd_create("truncated", MFD_CLOEXEC);
	need(fd >= 0 && write(fd, g_onnx_bytes, g_onnx_len / 2) ==
				(ssize_t)(g_onnx_len / 2),
	     "memfd with half of digits.onnx");
	seq = raw_load_send(r, fd, g_onnx_len / 2, "digits",
			    GCONVD_FORMAT_ONNX);
	check(expect_error(r, seq, GCONVD_E_MODEL, NULL, 0),
	      "LOAD of a truncated ONNX: ERROR E_MODEL");
	close(fd);

	fd = open(g_digits, O_RDONLY | O_CLOEXEC);
	need(fd >= 0 && !fstat(fd, &sb), "open digits.onnx");
	seq = raw_load_send(r, fd, (uint64_t)sb.st_size + 100, "digits",
			    GCONVD_FORMAT_AUTO);
	check(expect_error(r, seq, GCONVD_E_MODEL, NULL, 0),
	      "LOAD whose size is beyond the end of the file: ERROR E_MODEL");
	seq = raw_load_send(r, fd, (1ull << 30) + 1, "digits",
			    GCONVD_FORMAT_AUTO);
	check(expect_error(r, seq, GCONVD_E_MODEL, NULL, 0),
	      "LOAD of more than 1 GiB: ERROR E_MODEL");
	seq = raw_load_send(r, fd, (uint64_t)sb.st_size, "digits",
			    GCONVD_FORMAT_ONNX);
	ok = raw_load_reply(r, seq, &in);
	check(ok && in.nin == 1 && in.nout == 1 && in.hash == g_onnx_hash,
	      "LOAD of digits.onnx (a regular file, format ONNX) after the "
	      "errors: LOAD_REPLY");
	close(fd);
	check(ok && raw_infer_sample(r, &in, 11),
	      "INFER on it through the shared I/O buffer: the right result");
	seq = raw_infer(r, in.id + 1000);
	check(expect_error(r, seq, GCONVD_E_NO_MODEL, NULL, 0),
	      "INFER of an id never given: ERROR E_NO_MODEL");
	seq = raw_unload(r, in.id);
	check(expect_type(r, seq, GCONVD_MSG_OK), "UNLOAD: OK");
	seq = raw_infer(r, in.id);
	check(expect_error(r, seq, GCONVD_E_NO_MODEL, NULL, 0),
	      "INFER of an unloaded id: ERROR E_NO_MODEL");
	rinst_unmap(&in);

	fd = open(g_gcm, O_RDONLY | O_CLOEXEC);
	need(fd >= 0 && !fstat(fd, &sb), "open digits.gcm");
	seq = raw_load_send(r, fd, (uint64_t)sb.st_size, "digits",
			    GCONVD_FORMAT_GCM);
	close(fd);
	ok = raw_load_reply(r, seq, &in);
	check(ok && in.hash == g_gcm_hash && raw_infer_sample(r, &in, 12),
	      "LOAD of digits.gcm (format GCM) and INFER: the right result");
	rinst_unmap(&in);
	raw_close(r);

	/* through the library: the error's name and errno */
	c = lib_connect(d, "gconvd-test");
	need(c != NULL, "connect through the library");
	rc = gconv_client_load_buffer(c, garbage, sizeof(garbage), "garbage",
				      &m, err, sizeof(err));
	why("%d: %s", rc, err);
	check(rc == -EINVAL && strstr(err, "GCONVD_E_MODEL"),
	      "library: garbage model is -EINVAL naming GCONVD_E_MODEL");
	m = lib_load(c, g_digits, "digits");
	check(m && lib_infer_sample(m, 13),
	      "library: the connection works after the failed LOAD");
	gconv_client_close(c);
	daemon_stop_sig(d, SIGINT);
}

/* The policy: allowed models, and unknown users refused. */
static void group_policy(void)
{
	static const char lab[] =
		"[gconvd]\nunknown-users = refuse\n"
		"[tenant lab]\nusers = 0\nmodels = digits, slow\n"
		"max-queued = 9\nmax-in-flight = 3\nmemory-quota = 64M\n";
	static const char refuse[] = "[gconvd]\nunknown-users = refuse\n"
				     "[tenant others]\nusers = 12345\n"
				     "groups = 54321\n";
	struct gconv_client_model *m;
	struct gconv_client_info info;
	struct gconv_client *c;
	struct daemon *d, *d2;
	struct raw *r;
	char err[512], text[GCONVD_MSG_LEN];
	struct stat sb;
	uint32_t seq;
	struct st s;
	int fd, rc, ok;

	d = daemon_new("policy", "policy");
	daemon_start(d, lab);
	c = lib_connect(d, "gconvd-test");
	require(c != NULL, "connect as uid 0 (tenant lab)");
	gconv_client_get_info(c, &info);
	why("tenant '%s' max_queued %u max_in_flight %u memory_quota %llu",
	    info.tenant, info.max_queued, info.max_in_flight,
	    (unsigned long long)info.memory_quota);
	check(!strcmp(info.tenant, "lab") && info.max_queued == 9 &&
		      info.max_in_flight == 3 && info.memory_quota == 64 << 20,
	      "HELLO_REPLY: tenant 'lab' and its limits from the policy");
	m = NULL;
	rc = gconv_client_load_file(c, g_digits, "resnet18", &m, err,
				    sizeof(err));
	why("%d: %s", rc, err);
	check(rc == -EACCES && strstr(err, "GCONVD_E_DENIED") &&
		      strstr(err, "may not load model 'resnet18'"),
	      "LOAD named 'resnet18' (not in models): -EACCES, E_DENIED");
	m = lib_load(c, g_digits, "digits");
	check(m && lib_infer_sample(m, 1),
	      "LOAD named 'digits' (allowed) and INFER on the same "
	      "connection");
	ok = lib_stats(c, &s);
	st_why(&s);
	check(ok && s.rejected == 1 && s.models == 1,
	      "STATS: the refused LOAD counts as rejected");
	gconv_client_close(c);

	r = raw_open(d->sock);
	need(r && raw_hello(r, NULL), "raw connect and HELLO");
	fd = open(g_digits, O_RDONLY | O_CLOEXEC);
	need(fd >= 0 && !fstat(fd, &sb), "open digits.onnx");
	seq = raw_load_send(r, fd, (uint64_t)sb.st_size, "other",
			    GCONVD_FORMAT_AUTO);
	close(fd);
	ok = expect_error(r, seq, GCONVD_E_DENIED, text, sizeof(text));
	why_more("; message \"%s\"", text);
	check(ok && strstr(text, "lab") && strstr(text, "'other'"),
	      "raw LOAD named 'other': ERROR E_DENIED naming tenant and "
	      "model");
	check(raw_stats(r, &s), "the connection stays after E_DENIED");
	raw_close(r);
	daemon_stop(d);

	d2 = daemon_new("refuse", "refuse");
	daemon_start(d2, refuse);
	c = NULL;
	rc = gconv_client_connect(d2->sock, "gconvd-test", &c, err,
				  sizeof(err));
	why("%d: %s", rc, err);
	check(rc == -EACCES && !c && strstr(err, "GCONVD_E_DENIED"),
	      "unknown user refused: gconv_client_connect is -EACCES");
	gconv_client_close(c);
	r = raw_open(d2->sock);
	need(r != NULL, "raw connect");
	seq = raw_hello_send(r, 1, GCONVD_VERSION);
	ok = expect_error(r, seq, GCONVD_E_DENIED, text, sizeof(text));
	why_more("; message \"%s\"", text);
	check(ok && strstr(text, "uid 0 is in no tenant"),
	      "unknown user: HELLO gets ERROR E_DENIED \"uid 0 is in no "
	      "tenant ...\"");
	why("the connection stayed open");
	check(raw_wait_eof(r, REPLY_MS),
	      "unknown user: gconvd closes the connection");
	raw_close(r);
	daemon_stop(d2);
}

/* memory-quota: E_QUOTA at LOAD, the boundary, SIGHUP lowering it. */
static void group_quota(void)
{
	struct gconv_client_model *m[3];
	struct gconv_client_info info;
	struct gconv_client *c;
	struct daemon *d, *d2;
	char policy[512], err[512], want[160], text[GCONVD_MSG_LEN];
	struct raw *r;
	struct st s;
	uint64_t one, two;
	uint32_t seq;
	int rc, ok, i;

	/* measure what one and two instances of digits cost */
	d = daemon_new("quota-measure", "quota");
	daemon_start(d, "[gconvd]\nunknown-users = refuse\n"
			"[tenant q]\nusers = 0\nmemory-quota = 0\n");
	c = lib_connect(d, "gconvd-test");
	need(c != NULL, "connect");
	m[0] = lib_load(c, g_digits, "digits");
	need(m[0] && lib_stats(c, &s), "LOAD digits");
	one = s.memory;
	m[1] = lib_load(c, g_digits, "digits");
	need(m[1] && lib_stats(c, &s), "LOAD digits again");
	two = s.memory;
	why("%llu then %llu", (unsigned long long)one, (unsigned long long)two);
	require(one > 0 && two > one, "memory-quota 0 (none): two LOADs");
	gconv_client_close(c);
	daemon_stop(d);

	/* a quota of exactly two instances */
	d2 = daemon_new("quota", "quota");
	snprintf(policy, sizeof(policy),
		 "[gconvd]\nunknown-users = refuse\n"
		 "[tenant q]\nusers = 0\nmemory-quota = %llu\n",
		 (unsigned long long)two);
	daemon_start(d2, policy);
	c = lib_connect(d2, "gconvd-test");
	need(c != NULL, "connect");
	gconv_client_get_info(c, &info);
	why("%llu", (unsigned long long)info.memory_quota);
	check(info.memory_quota == two, "HELLO_REPLY: the tenant's quota");
	m[0] = lib_load(c, g_digits, "digits");
	m[1] = lib_load(c, g_digits, "digits");
	check(m[0] && m[1], "two LOADs fit a quota of exactly their size");
	m[2] = NULL;
	rc = gconv_client_load_file(c, g_digits, "digits", &m[2], err,
				    sizeof(err));
	snprintf(want, sizeof(want),
		 "tenant 'q' is over its %llu-byte quota: it holds %llu bytes",
		 (unsigned long long)two, (unsigned long long)two);
	why("%d: %s (want \"%s\")", rc, err, want);
	check(rc == -EDQUOT && strstr(err, "GCONVD_E_QUOTA") &&
		      strstr(err, want),
	      "a third LOAD: -EDQUOT, E_QUOTA \"tenant 'q' is over its "
	      "N-byte quota: it holds A bytes ...\"");
	ok = lib_stats(c, &s);
	st_why(&s);
	check(ok && s.models == 2 && s.memory == two && s.rejected == 1,
	      "STATS: 2 models, memory at the quota, 1 rejected");
	check(m[0] && lib_infer_sample(m[0], 2),
	      "the instances still run after E_QUOTA");
	rc = m[1] ? gconv_client_unload(m[1], err, sizeof(err)) : -1;
	m[1] = lib_load(c, g_digits, "digits");
	check(rc == 0 && m[1] != NULL, "after an UNLOAD, a LOAD fits again");

	/* raw: the ERROR itself */
	r = raw_open(d2->sock);
	need(r && raw_hello(r, NULL), "raw connect and HELLO");
	{
		struct stat sb;
		int fd = open(g_digits, O_RDONLY | O_CLOEXEC);

		need(fd >= 0 && !fstat(fd, &sb), "open digits.onnx");
		seq = raw_load_send(r, fd, (uint64_t)sb.st_size, "digits",
				    GCONVD_FORMAT_AUTO);
		close(fd);
	}
	ok = expect_error(r, seq, GCONVD_E_QUOTA, text, sizeof(text));
	check(ok, "raw LOAD over the quota (other connection, same tenant): "
		  "ERROR E_QUOTA");
	check(raw_stats(r, &s), "the connection stays after E_QUOTA");
	raw_close(r);

	/* SIGHUP: the connected tenant takes the new quota at once */
	snprintf(policy, sizeof(policy),
		 "[gconvd]\nunknown-users = refuse\n"
		 "[tenant q]\nusers = 0\nmemory-quota = %llu\n",
		 (unsigned long long)(two + (two - one) * 2));
	need(!write_file(d2->policy, policy), "rewrite the policy");
	daemon_signal(d2, SIGHUP);
	why("no \"gconvd: policy reloaded\" in the log");
	require(wait_log(d2, "gconvd: policy reloaded", 1, READY_MS),
		"SIGHUP with a bigger quota: reloaded");
	m[2] = lib_load(c, g_digits, "digits");
	check(m[2] != NULL,
	      "after SIGHUP raised the quota, the connected tenant's third "
	      "LOAD fits");
	for (i = 0; i < 3; i++)
		if (m[i])
			gconv_client_unload(m[i], NULL, 0);
	snprintf(policy, sizeof(policy),
		 "[gconvd]\nunknown-users = refuse\n"
		 "[tenant q]\nusers = 0\nmemory-quota = 1K\n");
	need(!write_file(d2->policy, policy), "rewrite the policy");
	daemon_signal(d2, SIGHUP);
	require(wait_log(d2, "gconvd: policy reloaded", 2, READY_MS),
		"SIGHUP with a 1K quota: reloaded");
	m[0] = NULL;
	rc = gconv_client_load_file(c, g_digits, "digits", &m[0], err,
				    sizeof(err));
	why("%d: %s", rc, err);
	check(rc == -EDQUOT && strstr(err, "1024-byte quota") &&
		      strstr(err, "holds 0 bytes"),
	      "after SIGHUP lowered the quota to 1K: LOAD is E_QUOTA at once");
	gconv_client_close(c);
	daemon_stop(d2);
}

/* max-queued / max-in-flight, E_BUSY, CANCEL, UNLOAD with a request. */
static void group_queue(void)
{
	struct rinst a, b, cc, dg;
	struct want w;
	struct daemon *d;
	struct raw *r;
	struct rmsg m1, m2;
	char text[GCONVD_MSG_LEN];
	uint32_t sa, sb2, sc, sx, su, sd;
	uint64_t arr_ok;
	struct st s;
	int ok, ok2;

	d = daemon_new("queue", "queue");
	daemon_start(d, "[gconvd]\nunknown-users = refuse\n"
			"[tenant t]\nusers = 0\nmax-queued = 1\n"
			"max-in-flight = 1\n");
	r = raw_open(d->sock);
	need(r && raw_hello(r, NULL), "raw connect and HELLO");
	need(raw_load_file(r, g_slow, "slow", &a), "LOAD slow.onnx (1)");
	need(raw_load_file(r, g_slow, "slow", &b), "LOAD slow.onnx (2)");
	need(raw_load_file(r, g_slow, "slow", &cc), "LOAD slow.onnx (3)");
	need(raw_load_file(r, g_digits, "digits", &dg), "LOAD digits");
	why("ids %u %u %u %u", a.id, b.id, cc.id, dg.id);
	check(a.id != b.id && b.id != cc.id && a.id != cc.id && dg.id != a.id &&
		      dg.id != b.id && dg.id != cc.id,
	      "every instance has its own model id");

	sa = raw_infer(r, a.id);
	w = (struct want){ ANY, ANY, ANY, 0, 1 };
	require(stats_until(r, NULL, &w, REPLY_MS, &s),
		"INFER A (slow): STATS shows it running, nothing queued");
	sb2 = raw_infer(r, b.id);
	w = (struct want){ ANY, ANY, ANY, 1, 1 };
	require(stats_until(r, NULL, &w, REPLY_MS, &s),
		"INFER B while A runs: STATS shows 1 queued, 1 in flight "
		"(max-in-flight 1 holds B back)");
	sc = raw_infer(r, cc.id);
	ok = expect_error(r, sc, GCONVD_E_BUSY, text, sizeof(text));
	why_more("; message \"%s\"", text);
	check(ok && strstr(text, "max-queued 1"),
	      "INFER C with the tenant's queue full: ERROR E_BUSY "
	      "\"... (max-queued 1)\"");
	sx = raw_infer(r, a.id);
	check(expect_error(r, sx, GCONVD_E_BUSY, NULL, 0),
	      "INFER on instance A while its request is pending: E_BUSY");
	ok = raw_stats(r, &s);
	st_why(&s);
	check(ok && s.requests == 2 && s.rejected == 2 && s.queued == 1 &&
		      s.in_flight == 1,
	      "STATS: 2 requests accepted, 2 rejected");

	/* CANCEL of the queued request */
	sx = raw_cancel(r, sb2);
	ok = expect(r, sx, GCONVD_MSG_OK, 0, &m1);
	snprintf(text, sizeof(text), "CANCEL: %.200s", g_why);
	ok2 = expect(r, sb2, GCONVD_MSG_ERROR, GCONVD_E_CANCELED, &m2);
	why_more("; %s", text);
	check(ok && ok2, "CANCEL of queued B: OK, and B's INFER gets ERROR "
			 "E_CANCELED");
	rmsg_free(&m1);
	rmsg_free(&m2);
	sx = raw_cancel(r, sb2);
	check(expect_error(r, sx, GCONVD_E_NO_REQUEST, NULL, 0),
	      "CANCEL of B again: ERROR E_NO_REQUEST");
	w = (struct want){ ANY, ANY, ANY, 0, 1 };
	check(stats_until(r, NULL, &w, REPLY_MS, &s),
	      "STATS: nothing queued after the CANCEL, A still running");

	/* UNLOAD of an instance with a queued request */
	sb2 = raw_infer(r, b.id);
	w = (struct want){ ANY, ANY, ANY, 1, 1 };
	require(stats_until(r, NULL, &w, REPLY_MS, &s),
		"INFER B again: queued");
	su = raw_unload(r, b.id);
	ok = expect(r, su, GCONVD_MSG_OK, 0, &m1);
	rmsg_free(&m1);
	arr_ok = r->got_arr;
	check(ok, "UNLOAD of B with a queued request: OK");
	ok = expect_error(r, sb2, GCONVD_E_CANCELED, NULL, 0);
	check(ok, "B's INFER gets ERROR E_CANCELED");
	why("the OK arrived as message %llu, the ERROR as %llu",
	    (unsigned long long)arr_ok, (unsigned long long)r->got_arr);
	check(ok && r->got_arr < arr_ok,
	      "the INFER's ERROR comes before the UNLOAD's OK");
	sx = raw_infer(r, b.id);
	check(expect_error(r, sx, GCONVD_E_NO_MODEL, NULL, 0),
	      "INFER on the unloaded B: E_NO_MODEL");
	ok = raw_stats(r, &s);
	st_why(&s);
	check(ok && s.models == 3 && s.queued == 0,
	      "STATS: 3 models left, nothing queued");

	/* CANCEL of the running request */
	sx = raw_cancel(r, sa);
	check(expect_type(r, sx, GCONVD_MSG_OK), "CANCEL of running A: OK");
	check(expect_error(r, sa, GCONVD_E_CANCELED, NULL, 0),
	      "A's INFER ends with ERROR E_CANCELED");
	w = (struct want){ 1, 3, ANY, 0, 0 };
	check(stats_until(r, NULL, &w, REPLY_MS, &s),
	      "STATS: nothing queued or in flight once A ended");

	/* the queue works again */
	rinst_put_sample(&dg, 5);
	sd = raw_infer(r, dg.id);
	ok = expect_type(r, sd, GCONVD_MSG_INFER_REPLY) &&
	     probs_match(rinst_data(&dg, 1), 5);
	check(ok, "INFER digits afterwards: INFER_REPLY, the right result");
	sc = raw_infer(r, cc.id);
	ok = expect_type(r, sc, GCONVD_MSG_INFER_REPLY);
	check(ok, "INFER C (slow) afterwards: INFER_REPLY status 0");
	ok = raw_stats(r, &s);
	st_why(&s);
	check(ok && s.requests == 5 && s.rejected == 2 && s.completed == 2 &&
		      s.queued == 0 && s.in_flight == 0,
	      "STATS: 5 requests, 2 rejected, 2 completed");

	/* UNLOAD of an instance whose request is running */
	sc = raw_infer(r, cc.id);
	w = (struct want){ ANY, ANY, ANY, 0, 1 };
	need(stats_until(r, NULL, &w, REPLY_MS, &s), "INFER C: running");
	su = raw_unload(r, cc.id);
	ok = expect(r, su, GCONVD_MSG_OK, 0, &m1);
	rmsg_free(&m1);
	arr_ok = r->got_arr;
	check(ok, "UNLOAD of C while its request runs: OK");
	ok = expect_error(r, sc, GCONVD_E_CANCELED, NULL, 0);
	check(ok, "C's INFER gets ERROR E_CANCELED");
	why("the OK arrived as message %llu, the ERROR as %llu",
	    (unsigned long long)arr_ok, (unsigned long long)r->got_arr);
	check(ok && r->got_arr < arr_ok,
	      "the INFER's ERROR comes before the UNLOAD's OK");
	sx = raw_infer(r, cc.id);
	check(expect_error(r, sx, GCONVD_E_NO_MODEL, NULL, 0),
	      "INFER on the unloaded C: E_NO_MODEL at once");
	w = (struct want){ 1, 2, ANY, 0, 0 };
	check(stats_until(r, NULL, &w, REPLY_MS, &s),
	      "once C's request ended: 2 models, nothing in flight");
	rinst_unmap(&a);
	rinst_unmap(&b);
	rinst_unmap(&cc);
	rinst_unmap(&dg);
	raw_close(r);
	daemon_stop(d);
}

/* Malformed messages: ERROR E_PROTOCOL, that connection closed only. */
struct bad_case {
	const char *what;
	int before_hello;
	int strict_seq0; /* the header is unreadable: seq must be 0 */
	int fd_kind;	 /* 0 none, 1 a pipe's write end, 2 digits twice */
	size_t len;	 /* bytes sent */
	unsigned char msg[128];
};

static size_t bad_hdr(struct bad_case *b, uint16_t type, size_t size,
		      uint32_t seq)
{
	memset(b->msg, 0, sizeof(b->msg));
	gconvd_hdr_init((struct gconvd_hdr *)b->msg, type, (uint32_t)size, seq);
	b->len = size;
	return size;
}

static void make_bad_cases(struct bad_case *b, int *n)
{
	struct gconvd_hdr *h;
	struct gconvd_hello *he;
	struct gconvd_infer *in;
	struct gconvd_load *ld;
	int k = 0;

	memset(b, 0, sizeof(*b) * 16);

	b[k].what = "bad magic";
	bad_hdr(&b[k], GCONVD_MSG_STATS, 16, 7);
	((struct gconvd_hdr *)b[k].msg)->magic = 0x12345678;
	k++;

	b[k].what = "a message shorter than the header";
	bad_hdr(&b[k], GCONVD_MSG_STATS, 16, 7);
	b[k].len = 8;
	b[k].strict_seq0 = 1;
	k++;

	b[k].what = "length field bigger than the packet";
	bad_hdr(&b[k], GCONVD_MSG_STATS, 16, 7);
	((struct gconvd_hdr *)b[k].msg)->length = 32;
	k++;

	b[k].what = "a packet longer than its type's size";
	bad_hdr(&b[k], GCONVD_MSG_STATS, 24, 7);
	k++;

	b[k].what = "an unknown type";
	bad_hdr(&b[k], 99, 16, 7);
	k++;

	b[k].what = "nonzero header flags";
	bad_hdr(&b[k], GCONVD_MSG_STATS, 16, 7);
	((struct gconvd_hdr *)b[k].msg)->flags = 1;
	k++;

	b[k].what = "nonzero reserved field (INFER)";
	bad_hdr(&b[k], GCONVD_MSG_INFER, sizeof(struct gconvd_infer), 7);
	in = (struct gconvd_infer *)b[k].msg;
	in->reserved = 1;
	k++;

	b[k].what = "a reply type sent by the client (OK)";
	bad_hdr(&b[k], GCONVD_MSG_OK, sizeof(struct gconvd_ok), 7);
	k++;

	b[k].what = "a reply type sent by the client (HELLO_REPLY)";
	bad_hdr(&b[k], GCONVD_MSG_HELLO_REPLY,
		sizeof(struct gconvd_hello_reply), 7);
	{
		struct gconvd_hello_reply *hr =
			(struct gconvd_hello_reply *)b[k].msg;

		hr->version = 1;
		hr->max_msg = GCONVD_MAX_MSG;
		set_str(hr->tenant, sizeof(hr->tenant), "x");
	}
	k++;

	b[k].what = "seq 0";
	bad_hdr(&b[k], GCONVD_MSG_STATS, 16, 0);
	k++;

	b[k].what = "LOAD without its file descriptor";
	bad_hdr(&b[k], GCONVD_MSG_LOAD, sizeof(struct gconvd_load), 7);
	ld = (struct gconvd_load *)b[k].msg;
	ld->size = 100;
	set_str(ld->name, sizeof(ld->name), "digits");
	k++;

	b[k].what = "LOAD with two file descriptors";
	bad_hdr(&b[k], GCONVD_MSG_LOAD, sizeof(struct gconvd_load), 7);
	ld = (struct gconvd_load *)b[k].msg;
	ld->size = g_onnx_len;
	set_str(ld->name, sizeof(ld->name), "digits");
	b[k].fd_kind = 2;
	k++;

	b[k].what = "STATS with a file descriptor (gconvd must close it)";
	bad_hdr(&b[k], GCONVD_MSG_STATS, 16, 7);
	b[k].fd_kind = 1;
	k++;

	b[k].what = "bad magic before HELLO";
	bad_hdr(&b[k], GCONVD_MSG_HELLO, sizeof(struct gconvd_hello), 7);
	h = (struct gconvd_hdr *)b[k].msg;
	he = (struct gconvd_hello *)b[k].msg;
	he->version_min = he->version_max = 1;
	h->magic = 0;
	b[k].before_hello = 1;
	k++;

	b[k].what = "HELLO with a string not NUL-padded";
	bad_hdr(&b[k], GCONVD_MSG_HELLO, sizeof(struct gconvd_hello), 7);
	he = (struct gconvd_hello *)b[k].msg;
	he->version_min = he->version_max = 1;
	memcpy(he->client, "abc\0def", 8);
	b[k].before_hello = 1;
	k++;
	*n = k;
}

static void group_malformed(void)
{
	struct bad_case cases[16];
	struct gconv_client_model *lm;
	struct gconv_client *lc;
	struct daemon *d;
	static unsigned char big[GCONVD_MAX_MSG + 512];
	int base, got, n, i, ok;

	d = daemon_new("malformed", "malformed");
	daemon_start(d, POLICY_DEFAULT);
	lc = lib_connect(d, "bystander");
	need(lc != NULL, "a bystander client connects");
	base = warm_baseline(d, lc, 0);
	lm = lib_load(lc, g_digits, "digits");
	require(lm && lib_infer_sample(lm, 0),
		"the bystander loads digits and infers");
	make_bad_cases(cases, &n);
	for (i = 0; i <= n; i++) {
		const struct bad_case *bc = i < n ? &cases[i] : NULL;
		const char *what = bc ? bc->what
				      : "a packet longer than "
					"GCONVD_MAX_MSG";
		int fds[2] = { -1, -1 }, pfd[2] = { -1, -1 }, nfds = 0;
		uint32_t code = 0, seq = ~0u;
		int hello_ok = 1, sent, eof, closed_fd = 1, other;
		struct rmsg m = { 0, 0, -1, NULL };
		struct raw *r = raw_open(d->sock);
		char dsc[400], owhy[600];

		if (!r) {
			why("connect: %s", strerror(errno));
			check(0, "%s", what);
			continue;
		}
		if (!bc || !bc->before_hello)
			hello_ok = raw_hello(r, NULL);
		if (bc && bc->fd_kind == 1) {
			if (pipe2(pfd, O_CLOEXEC) == 0) {
				fds[nfds++] = pfd[1];
			}
		} else if (bc && bc->fd_kind == 2) {
			fds[0] = open(g_digits, O_RDONLY | O_CLOEXEC);
			fds[1] = open(g_digits, O_RDONLY | O_CLOEXEC);
			nfds = 2;
		}
		if (bc) {
			sent = raw_sendv(r, bc->msg, bc->len, fds, nfds);
		} else {
			memset(big, 0, sizeof(big));
			gconvd_hdr_init((struct gconvd_hdr *)big,
					GCONVD_MSG_STATS, sizeof(big), 7);
			sent = raw_send(r, big, sizeof(big));
		}
		if (pfd[1] >= 0)
			close(pfd[1]);
		if (bc && bc->fd_kind == 2) {
			close(fds[0]);
			close(fds[1]);
		}
		/* the reply: ERROR E_PROTOCOL, seq 0 or the message's */
		if (raw_read(r, REPLY_MS, &m) == 1) {
			seq = hdr_of(&m).seq;
			code = error_code(&m, NULL, 0);
		}
		describe(&m, dsc, sizeof(dsc));
		rmsg_free(&m);
		eof = raw_wait_eof(r, REPLY_MS);
		if (pfd[0] >= 0) {
			struct pollfd p = { .fd = pfd[0], .events = POLLIN };
			char c;

			closed_fd = poll(&p, 1, REPLY_MS) == 1 &&
				    read(pfd[0], &c, 1) == 0;
			close(pfd[0]);
		}
		other = lib_infer_sample(lm, i % NREF);
		snprintf(owhy, sizeof(owhy), "%.500s", g_why);
		why("%s%ssent %d; reply %s; connection %s; %s%s",
		    hello_ok ? "" : "HELLO failed; ",
		    closed_fd ? "" : "the passed fd is still open; ", sent, dsc,
		    eof ? "closed" : "still open",
		    other ? "the bystander works" : "the bystander failed: ",
		    other ? "" : owhy);
		check(hello_ok && sent == 0 && code == GCONVD_E_PROTOCOL &&
			      (seq == 0 ||
			       (seq == 7 && !(bc && bc->strict_seq0))) &&
			      eof && closed_fd && other,
		      "%s: ERROR E_PROTOCOL, only that connection closed",
		      what);
		raw_close(r);
	}
	{
		struct want w = { 1, 1, ANY, 0, 0 };
		struct st s;

		check(stats_until(NULL, lc, &w, SETTLE_MS, &s),
		      "STATS: only the bystander is left");
	}
	gconv_client_unload(lm, NULL, 0);
	ok = wait_fds(d, base, SETTLE_MS, &got);
	why("baseline %d, now %d", base, got);
	check(ok, "gconvd's fd count is back to its baseline");
	gconv_client_close(lc);
	daemon_stop(d);
}

/* SIGHUP: a good file applies to new connections, a bad one is refused. */
static void group_sighup(void)
{
	static const char v1[] = "[gconvd]\nunknown-users = refuse\n"
				 "[tenant alpha]\nusers = 0\nmax-queued = 5\n"
				 "max-in-flight = 2\nmemory-quota = 64M\n";
	static const char v2[] = "[gconvd]\nunknown-users = refuse\n"
				 "[tenant beta]\ngroups = 0\nmax-queued = 7\n"
				 "max-in-flight = 3\nmemory-quota = 128M\n"
				 "priority = batch\nweight = 5\n";
	static const char v3[] = "[gconvd]\nunknown-users = refuse\n"
				 "[tenant alpha]\nusers = 0\n"
				 "max-queued = 11\nmax-in-flight = 1\n";
	static const char bad1[] = "[gconvd]\nunknown-users = refuse\n"
				   "[tenant alpha]\nusers = 0\n"
				   "bogus-key = 1\n";
	static const char bad2[] = "[gconvd]\nunknown-users = refuse\n"
				   "[tenant alpha]\nusers = 0\n"
				   "[tenant alpha]\nusers = 0\n";
	struct gconv_client_model *m1, *m3;
	struct gconv_client *c1, *c2, *c3, *c4;
	struct gconv_client_info info;
	char want[PATH_MAX + 64];
	struct daemon *d;
	struct st s;
	int ok;

	d = daemon_new("sighup", "sighup");
	daemon_start(d, v1);
	c1 = lib_connect(d, "c1");
	need(c1 != NULL, "connect");
	gconv_client_get_info(c1, &info);
	why("tenant '%s' %u/%u/%llu", info.tenant, info.max_queued,
	    info.max_in_flight, (unsigned long long)info.memory_quota);
	check(!strcmp(info.tenant, "alpha") && info.max_queued == 5 &&
		      info.max_in_flight == 2 && info.memory_quota == 64 << 20,
	      "first policy: tenant alpha 5/2/64M");
	m1 = lib_load(c1, g_digits, "digits");
	require(m1 && lib_infer_sample(m1, 3), "LOAD and INFER");

	need(!write_file(d->policy, v2), "rewrite the policy");
	daemon_signal(d, SIGHUP);
	why("no \"gconvd: policy reloaded\" in the log");
	require(wait_log(d, "gconvd: policy reloaded", 1, READY_MS),
		"SIGHUP with a good file: \"gconvd: policy reloaded\"");
	c2 = lib_connect(d, "c2");
	need(c2 != NULL, "connect after the reload");
	gconv_client_get_info(c2, &info);
	why("tenant '%s' %u/%u/%llu", info.tenant, info.max_queued,
	    info.max_in_flight, (unsigned long long)info.memory_quota);
	check(!strcmp(info.tenant, "beta") && info.max_queued == 7 &&
		      info.max_in_flight == 3 && info.memory_quota == 128 << 20,
	      "a new connection gets the new policy: tenant beta (by group "
	      "0) 7/3/128M");
	ok = lib_stats(c2, &s);
	st_why(&s);
	check(ok && !strcmp(s.tenant, "beta") && s.requests == 0 &&
		      s.clients == 1,
	      "STATS of the new tenant beta");
	check(lib_infer_sample(m1, 4),
	      "the connection made before the reload still works");
	gconv_client_close(c2);

	need(!write_file(d->policy, v3), "rewrite the policy");
	daemon_signal(d, SIGHUP);
	require(wait_log(d, "gconvd: policy reloaded", 2, READY_MS),
		"SIGHUP back to tenant alpha: reloaded");
	c3 = lib_connect(d, "c3");
	need(c3 != NULL, "connect");
	gconv_client_get_info(c3, &info);
	why("tenant '%s' %u/%u/%llu", info.tenant, info.max_queued,
	    info.max_in_flight, (unsigned long long)info.memory_quota);
	check(!strcmp(info.tenant, "alpha") && info.max_queued == 11 &&
		      info.max_in_flight == 1 && info.memory_quota == 0,
	      "tenant alpha again, with the new limits 11/1/none");
	ok = lib_stats(c3, &s);
	st_why(&s);
	check(ok && s.requests == 2 && s.completed == 2 && s.clients == 2,
	      "STATS: alpha's totals were not reset by SIGHUP (2 requests)");

	need(!write_file(d->policy, bad1), "write a bad policy");
	daemon_signal(d, SIGHUP);
	snprintf(want, sizeof(want),
		 "gconvd: policy reload failed: %s:5: ", d->policy);
	why("no \"%s\" in the log", want);
	check(wait_log(d, want, 1, READY_MS) &&
		      log_count(d, "keeping the old policy") >= 1,
	      "SIGHUP with an unknown key: \"policy reload failed: FILE:5: "
	      "...; keeping the old policy\"");
	need(!write_file(d->policy, bad2), "write a bad policy");
	daemon_signal(d, SIGHUP);
	snprintf(want, sizeof(want),
		 "gconvd: policy reload failed: %s:5: ", d->policy);
	why("no \"%s\" in the log", want);
	check(wait_log(d, want, 2, READY_MS),
	      "SIGHUP with a tenant twice: \"policy reload failed: "
	      "FILE:5: ...\"");
	why("%d \"policy reloaded\" lines",
	    log_count(d, "gconvd: policy reloaded"));
	check(log_count(d, "gconvd: policy reloaded") == 2,
	      "the bad files were not reported as reloaded");
	c4 = lib_connect(d, "c4");
	need(c4 != NULL, "connect after the failed reloads");
	gconv_client_get_info(c4, &info);
	why("tenant '%s' %u/%u/%llu", info.tenant, info.max_queued,
	    info.max_in_flight, (unsigned long long)info.memory_quota);
	check(!strcmp(info.tenant, "alpha") && info.max_queued == 11 &&
		      info.max_in_flight == 1,
	      "after the failed reloads the old policy is kept");
	m3 = lib_load(c4, g_gcm, "digits");
	check(m3 && lib_infer_sample(m3, 5) && lib_infer_sample(m1, 6),
	      "gconvd still serves old and new connections");
	gconv_client_close(c4);
	gconv_client_close(c3);
	gconv_client_close(c1);
	daemon_stop(d);
}

/* A forked client of group_many: @n connections one after the other. */
static int many_child(const char *sock, int n)
{
	struct gconv_client_info info;
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		struct gconv_client *c = NULL;

		if (gconv_client_connect(sock, "many-seq", &c, NULL, 0)) {
			bad++;
			continue;
		}
		gconv_client_get_info(c, &info);
		bad += strcmp(info.tenant, "default") != 0;
		gconv_client_close(c);
	}
	return bad > 100 ? 100 : bad;
}

/* 200 clients; 256 instances on one connection; fd count afterwards. */
static void group_many(void)
{
	struct gconv_client *held[50], *obs, *x;
	static struct raw *conns[1023];
	struct gconv_client_model *mx = NULL;
	struct gconv_client_info info;
	pid_t kids[3];
	struct daemon *d;
	char err[512];
	struct want w;
	struct st s;
	int base, got, i, n, ok, rc, st;

	d = daemon_new("many", "many");
	daemon_start(d, POLICY_DEFAULT);
	obs = lib_connect(d, "observer");
	need(obs != NULL, "the observer connects");
	base = warm_baseline(d, obs, 0);

	/* 50 at once */
	for (n = 0, i = 0; i < 50; i++) {
		held[i] = lib_connect(d, "many-held");
		if (held[i]) {
			gconv_client_get_info(held[i], &info);
			n += !strcmp(info.tenant, "default");
		}
	}
	why("%d of 50", n);
	check(n == 50, "50 clients connected at once all get HELLO_REPLY");
	ok = lib_stats(obs, &s);
	st_why(&s);
	check(ok && s.clients == 51, "STATS counts 51 clients");
	for (i = 0; i < 50; i++)
		gconv_client_close(held[i]);

	/* 3 processes of 50 connections each, concurrently */
	for (i = 0; i < 3; i++) {
		kids[i] = spawn_child();
		if (kids[i] == 0)
			_exit(many_child(d->sock, 50));
		need(kids[i] > 0, "fork");
	}
	for (n = 0, i = 0; i < 3; i++) {
		st = kids[i] > 0 ? reap_child(kids[i], EXIT_MS) : -1;
		n += st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	why("%d of 3 processes had every connection answered", n);
	check(n == 3, "150 more clients from 3 processes at once: every "
		      "HELLO answered");
	w = (struct want){ 1, 0, 0, 0, 0 };
	check(stats_until(NULL, obs, &w, SETTLE_MS, &s),
	      "after the 200 clients left: STATS shows only the observer");
	ok = wait_fds(d, base, SETTLE_MS, &got);
	why("baseline %d, now %d", base, got);
	check(ok, "after 200 clients: gconvd's fd count back to baseline");

	/* at most 256 instances per connection */
	x = lib_connect(d, "many-models");
	need(x != NULL, "connect");
	for (n = 0, i = 0; i < 256; i++) {
		rc = gconv_client_load_buffer(x, g_onnx_bytes, g_onnx_len,
					      "digits", &mx, err, sizeof(err));
		if (rc) {
			why("LOAD %d: %d: %s", i + 1, rc, err);
			break;
		}
		n++;
	}
	check(n == 256, "256 instances on one connection");
	rc = gconv_client_load_buffer(x, g_onnx_bytes, g_onnx_len, "digits",
				      &mx, err, sizeof(err));
	why("%d: %s", rc, err);
	check(rc == -ENOMEM && strstr(err, "too many models on one connection"),
	      "the 257th: -ENOMEM \"too many models on one connection\"");
	ok = lib_stats(obs, &s);
	st_why(&s);
	check(ok && s.models == 256 && s.clients == 2, "STATS: 256 models");
	gconv_client_close(x);
	w = (struct want){ 1, 0, 0, 0, 0 };
	check(stats_until(NULL, obs, &w, SETTLE_MS, &s),
	      "after it closed: no models, no memory");
	ok = wait_fds(d, base, SETTLE_MS, &got);
	why("baseline %d, now %d", base, got);
	check(ok, "gconvd's fd count back to baseline");
	/* at most 1024 connections: the observer and 1023 more */
	for (n = 0; n < 1023; n++) {
		conns[n] = raw_open(d->sock);
		if (!conns[n]) {
			why("connection %d: %s", n + 2, strerror(errno));
			break;
		}
	}
	check(n == 1023, "1024 connections open at once");
	if (n == 1023) {
		struct raw *extra = raw_open(d->sock);
		struct rmsg m = { 0, 0, -1, NULL };
		char dsc[400];

		ok = extra && raw_read(extra, LIMIT_MS, &m) == 1;
		describe(&m, dsc, sizeof(dsc));
		why("got %s", dsc);
		check(ok && hdr_of(&m).seq == 0 &&
			      error_code(&m, NULL, 0) == GCONVD_E_BUSY,
		      "the 1025th connection gets ERROR E_BUSY with seq 0");
		rmsg_free(&m);
		why("the connection stayed open");
		check(extra && raw_wait_eof(extra, LIMIT_MS), "and is closed");
		raw_close(extra);
		check(raw_hello(conns[n - 1], NULL),
		      "the 1024th connection is served (HELLO_REPLY)");
	}
	while (n > 0)
		raw_close(conns[--n]);
	ok = wait_fds(d, base, SETTLE_MS, &got);
	why("baseline %d, now %d", base, got);
	check(ok, "all closed: gconvd's fd count back to baseline");
	x = lib_connect(d, "after-the-limit");
	check(x != NULL, "a new connection is accepted again");
	gconv_client_close(x);
	gconv_client_close(obs);
	daemon_stop(d);
}

/* A forked client of group_kill9: infers until it is killed. */
static void kill9_child(const char *sock, int slow, int wfd)
{
	struct gconv_client_model *m[2];
	struct gconv_client *c = NULL;
	int i, k;

	if (gconv_client_connect(sock, "kill9", &c, NULL, 0))
		_exit(2);
	if (slow) {
		if (gconv_client_load_file(c, g_slow, "slow", &m[0], NULL, 0) ||
		    gconv_client_infer_start(m[0], NULL, 0))
			_exit(3);
		if (write(wfd, "s", 1) != 1)
			_exit(4);
		for (;;)
			if (gconv_client_infer_wait(m[0], -1, NULL, NULL, 0) ||
			    gconv_client_infer_start(m[0], NULL, 0))
				_exit(5);
	}
	if (gconv_client_load_file(c, g_digits, "digits", &m[0], NULL, 0) ||
	    gconv_client_load_file(c, g_gcm, "digits", &m[1], NULL, 0))
		_exit(3);
	for (k = 0;; k++) {
		for (i = 0; i < 2; i++) {
			lib_put_sample(m[i], (k + i) % NREF);
			if (gconv_client_infer_start(m[i], NULL, 0))
				_exit(5);
		}
		for (i = 0; i < 2; i++)
			if (gconv_client_infer_wait(m[i], -1, NULL, NULL, 0) ||
			    !lib_check_sample(m[i], (k + i) % NREF))
				_exit(6);
		if (k == 0 && write(wfd, "r", 1) != 1)
			_exit(4);
	}
}

#define NKILL 6

static void group_kill9(void)
{
	struct gconv_client *f;
	struct daemon *d;
	pid_t kids[NKILL];
	int pfd[2], base, got, i, n, st, ok;
	int64_t end;
	struct want w;
	struct st s;

	d = daemon_new("kill9", "kill9");
	daemon_start(d, POLICY_DEFAULT);
	f = lib_connect(d, "fresh-1");
	need(f != NULL, "connect");
	base = warm_baseline(d, f, 1);
	gconv_client_close(f);
	need(pipe2(pfd, O_CLOEXEC) == 0, "pipe");

	for (i = 0; i < NKILL; i++) {
		kids[i] = spawn_child();
		if (kids[i] == 0) {
			close(pfd[0]);
			kill9_child(d->sock, i == 0, pfd[1]);
			_exit(9);
		}
		need(kids[i] > 0, "fork");
	}
	close(pfd[1]);
	/* every child has a request going */
	end = now_ms() + READY_MS;
	for (n = 0; n < NKILL && now_ms() < end;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		char c;

		if (poll(&p, 1, 100) == 1) {
			if (read(pfd[0], &c, 1) != 1)
				break;
			n++;
		}
	}
	close(pfd[0]);
	why("%d of %d children reported running", n, NKILL);
	require(n == NKILL, "%d client processes load and infer in a loop",
		NKILL);
	f = lib_connect(d, "fresh-2");
	require(f != NULL, "a fresh connection of the same tenant");
	ok = lib_stats(f, &s);
	st_why(&s);
	check(ok && s.clients == NKILL + 1 && s.models == 2 * NKILL - 1,
	      "STATS counts their %d clients and %d instances", NKILL,
	      2 * NKILL - 1);
	sleep_ms(50); /* let them get into their next requests */
	for (n = 0, i = 0; i < NKILL; i++) {
		if (kids[i] > 0)
			kill(kids[i], SIGKILL);
		st = reap_child(kids[i], EXIT_MS);
		n += st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
	}
	why("%d of %d", n, NKILL);
	check(n == NKILL, "kill -9 of every client process mid-request (none "
			  "had failed before)");
	w = (struct want){ 1, 0, 0, 0, 0 };
	ok = stats_until(NULL, f, &w, SETTLE_MS, &s);
	check(ok, "tenant STATS back to 1 client, 0 models, 0 memory, "
		  "0 queued, 0 in flight");
	why("%llu requests, %llu completed, %llu failed",
	    (unsigned long long)s.requests, (unsigned long long)s.completed,
	    (unsigned long long)s.failed);
	check(s.requests >= (uint64_t)(2 * (NKILL - 1)) &&
		      s.completed >= (uint64_t)(2 * (NKILL - 1)),
	      "STATS totals include the killed clients' requests");
	ok = wait_fds(d, base, SETTLE_MS, &got);
	why("baseline %d, now %d", base, got);
	check(ok, "gconvd's fd count back to baseline");
	{
		struct gconv_client_model *m = lib_load(f, g_digits, "digits");

		check(m && lib_infer_sample(m, 7),
		      "gconvd serves the fresh connection");
	}
	gconv_client_close(f);
	daemon_stop(d);
}

/* SIGTERM with requests in flight: they complete, then exit 0. */
static void group_shutdown(void)
{
	struct rinst s1, s2, dg1, dg2;
	struct gconv_client_model *bm;
	struct gconv_client *b;
	struct rmsg m;
	struct daemon *d;
	struct raw *r;
	char err[512];
	uint32_t q1, q2, q3, q4;
	struct st s;
	int64_t end;
	int ok, rc, have, order;
	uint64_t last;
	static const char *const two_workers[] = { "--workers", "2", NULL };

	d = daemon_new("shutdown", "shutdown");
	daemon_start_args(d, POLICY_DEFAULT, two_workers);
	r = raw_open(d->sock);
	need(r && raw_hello(r, NULL), "raw connect and HELLO");
	require(raw_load_file(r, g_slow, "slow", &s1) &&
			raw_load_file(r, g_slow, "slow", &s2) &&
			raw_load_file(r, g_digits, "digits", &dg1) &&
			raw_load_file(r, g_digits, "digits", &dg2),
		"LOAD slow twice and digits twice");
	b = lib_connect(d, "bystander");
	need(b != NULL, "a second client connects");
	bm = lib_load(b, g_digits, "digits");
	require(bm && lib_infer_sample(bm, 0), "it loads digits and infers");

	rinst_put_sample(&dg1, 3);
	q1 = raw_infer(r, s1.id);
	q2 = raw_infer(r, s2.id);
	q3 = raw_infer(r, dg1.id);
	/* two slow ones on the two workers, digits waiting */
	end = now_ms() + REPLY_MS;
	do {
		ok = raw_stats(r, &s);
		if (ok && s.in_flight >= 2 && s.queued + s.in_flight == 3)
			break;
		sleep_ms(5);
	} while (now_ms() < end);
	st_why(&s);
	require(ok && s.in_flight >= 2 && s.queued + s.in_flight == 3,
		"3 requests accepted, the slow ones running");
	st_why(&s);
	check(s.in_flight == 2 && s.queued == 1,
	      "STATS with 2 workers: 2 in flight, 1 queued");
	daemon_signal(d, SIGTERM);
	why("no \"gconvd: stopping\" in the log");
	require(wait_log(d, "gconvd: stopping", 1, REPLY_MS),
		"SIGTERM: gconvd logs \"gconvd: stopping\"");
	lib_put_sample(bm, 1);
	rc = gconv_client_infer(bm, NULL, err, sizeof(err));
	why("%d: %s", rc, err);
	check(rc == -ESHUTDOWN && strstr(err, "GCONVD_E_SHUTDOWN"),
	      "a new INFER on another open connection: -ESHUTDOWN "
	      "(E_SHUTDOWN)");
	q4 = raw_infer(r, dg2.id);
	check(expect_error(r, q4, GCONVD_E_SHUTDOWN, NULL, 0),
	      "a new INFER on the busy connection: ERROR E_SHUTDOWN");
	ok = expect_type(r, q1, GCONVD_MSG_INFER_REPLY);
	last = r->got_arr;
	ok = ok && expect_type(r, q2, GCONVD_MSG_INFER_REPLY);
	last = last > r->got_arr ? last : r->got_arr;
	check(ok, "both running requests complete: INFER_REPLY status 0");
	ok = expect_type(r, q3, GCONVD_MSG_INFER_REPLY) &&
	     probs_match(rinst_data(&dg1, 1), 3);
	last = last > r->got_arr ? last : r->got_arr;
	check(ok, "the queued request completes too, with the right result");
	have = raw_wait(r, 0, EXIT_MS, &m);
	order = have > 0 && m.arr > last;
	if (have > 0) {
		char dsc[400];

		describe(&m, dsc, sizeof(dsc));
		why("got %s", dsc);
	} else {
		why("no ERROR with seq 0 before the connection closed");
	}
	check(have > 0 && error_code(&m, NULL, 0) == GCONVD_E_SHUTDOWN && order,
	      "then ERROR E_SHUTDOWN with seq 0, after every reply");
	if (have > 0)
		rmsg_free(&m);
	why("the connection stayed open");
	check(raw_wait_eof(r, EXIT_MS), "and the connection is closed");
	daemon_reap(d, EXIT_MS);
	{
		char st2[96];

		describe_status(d->status, st2, sizeof(st2));
		why("%s", d->pid ? "still running" : st2);
	}
	check(!d->pid && WIFEXITED(d->status) && WEXITSTATUS(d->status) == 0,
	      "gconvd exits 0 once the requests are done");
	why("log has %d \"gconvd: exit\"", log_count(d, "gconvd: exit"));
	check(log_count(d, "gconvd: exit") == 1, "it logs \"gconvd: exit\"");
	{
		struct stat sb;

		why("%s still exists", d->sock);
		check(stat(d->sock, &sb) && errno == ENOENT,
		      "its socket is removed");
	}
	daemon_kill(d);
	rinst_unmap(&s1);
	rinst_unmap(&s2);
	rinst_unmap(&dg1);
	rinst_unmap(&dg2);
	raw_close(r);
	gconv_client_close(b);
}

/* gconvd killed with a request in flight; a new gconvd on the socket. */
static void group_reconnect(void)
{
	struct gconv_client_model *m, *sm;
	struct gconv_client_info info;
	struct gconv_client *c, *o;
	struct daemon *d1, *d2, *d3;
	char err[512], st[96];
	struct want w;
	struct st s;
	int rc;

	d1 = daemon_new("reconnect-1", "reconnect");
	daemon_start(d1, POLICY_DEFAULT);
	c = lib_connect(d1, "gconvd-test");
	need(c != NULL, "connect");
	m = lib_load(c, g_digits, "digits");
	sm = lib_load(c, g_slow, "slow");
	require(m && sm && lib_infer_sample(m, 8), "LOAD digits and slow");
	o = lib_connect(d1, "observer");
	need(o != NULL, "an observer connects");
	rc = gconv_client_infer_start(sm, err, sizeof(err));
	why("%d: %s", rc, err);
	require(rc == 0, "start a slow INFER");
	w = (struct want){ ANY, ANY, ANY, ANY, 1 };
	require(stats_until(NULL, o, &w, REPLY_MS, &s),
		"STATS: the request is running");
	gconv_client_close(o);
	daemon_kill(d1);
	rc = gconv_client_infer_wait(sm, -1, NULL, err, sizeof(err));
	why("%d: %s", rc, err);
	check(rc == -ECONNRESET && strstr(err, "gconvd went away"),
	      "gconvd killed: the request in flight fails with -ECONNRESET");

	d2 = daemon_new("reconnect-2", "reconnect");
	daemon_start(d2, POLICY_DEFAULT);
	lib_put_sample(m, 9);
	rc = gconv_client_infer(m, NULL, err, sizeof(err));
	why("%d: %s", rc, err);
	check(rc == 0 && lib_check_sample(m, 9),
	      "a new gconvd on the same socket (stale file): the next INFER "
	      "reconnects, reloads and is right");
	gconv_client_get_info(c, &info);
	why("connects %llu", (unsigned long long)info.connects);
	check(info.connects == 2, "the client connected twice");
	check(gconv_client_input_data(sm, 0) != NULL,
	      "the slow instance was reloaded too");
	o = lib_connect(d2, "observer");
	check(o && lib_stats(o, &s) && s.models == 2 && s.clients == 2,
	      "the new gconvd holds the client's 2 instances");
	gconv_client_close(o);

	/* another gconvd on a socket in use */
	d3 = daemon_new("reconnect-3", "reconnect");
	need(!write_file(d3->policy, POLICY_DEFAULT), "write the policy");
	daemon_spawn(d3, NULL);
	daemon_reap(d3, EXIT_MS);
	describe_status(d3->status, st, sizeof(st));
	why("%s; %d \"already running\" in its log",
	    d3->pid ? "still running" : st, log_count(d3, "already running"));
	check(!d3->pid && WIFEXITED(d3->status) &&
		      WEXITSTATUS(d3->status) == 1 &&
		      log_count(d3, "already running") >= 1,
	      "a second gconvd on the socket in use: \"already running\", "
	      "exit 1");
	daemon_kill(d3);
	check(lib_infer_sample(m, 10), "the running gconvd is unaffected");
	gconv_client_close(c);
	daemon_stop(d2);
}

/* Without --foreground; socket activation and sd_notify. */
static void group_modes(void)
{
	struct daemon *bg, *act, *bad;
	char path[PATH_MAX], notify[PATH_MAX], st[96], buf[256];
	struct sockaddr_un sa;
	struct rinst in;
	struct stat sb;
	struct raw *r;
	int lfd, nfd, ok;
	int64_t end;
	ssize_t n;
	pid_t pid;

	/* background: the started process exits 0 once gconvd listens */
	bg = daemon_new("background", "background");
	bg->background = 1;
	need(!write_file(bg->policy, POLICY_DEFAULT), "write the policy");
	daemon_spawn(bg, NULL);
	daemon_reap(bg, READY_MS);
	describe_status(bg->status, st, sizeof(st));
	why("%s", bg->pid ? "still running" : st);
	require(!bg->pid && WIFEXITED(bg->status) &&
			WEXITSTATUS(bg->status) == 0,
		"without --foreground, the process started exits 0");
	r = raw_open(bg->sock);
	check(r && raw_hello(r, NULL),
	      "by then gconvd listens in the background: HELLO_REPLY");
	raw_close(r);
	end = now_ms() + READY_MS;
	while (!(pid = find_child_with_arg(bg->sock)) && now_ms() < end)
		sleep_ms(10);
	why("no child of the test (a subreaper) has %s in its command line",
	    bg->sock);
	require(pid > 0, "find the background gconvd");
	bg->pid = pid;
	bg->status = -1;
	daemon_signal(bg, SIGTERM);
	daemon_reap(bg, EXIT_MS);
	describe_status(bg->status, st, sizeof(st));
	why("%s", bg->pid ? "still running" : st);
	check(!bg->pid && WIFEXITED(bg->status) && WEXITSTATUS(bg->status) == 0,
	      "the background gconvd exits 0 after SIGTERM");
	why("%s exists", bg->sock);
	check(stat(bg->sock, &sb) && errno == ENOENT, "and removes its socket");

	/* socket activation, and READY=1 to $NOTIFY_SOCKET */
	act = daemon_new("activation", "not-this-one");
	snprintf(path, sizeof(path), "%s/activated.sock", g_dir);
	snprintf(notify, sizeof(notify), "%s/notify.sock", g_dir);
	lfd = listen_at(path, SOCK_SEQPACKET);
	need(lfd >= 0, "a listening socket");
	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	set_str(sa.sun_path, sizeof(sa.sun_path), notify);
	need(nfd >= 0 && !bind(nfd, (struct sockaddr *)&sa, sizeof(sa)),
	     "a notify socket");
	act->listen_fd = lfd;
	act->notify = notify;
	need(!write_file(act->policy, POLICY_DEFAULT), "write the policy");
	daemon_spawn(act, NULL);
	close(lfd);
	buf[0] = 0;
	{
		struct pollfd p = { .fd = nfd, .events = POLLIN };

		n = poll(&p, 1, READY_MS) == 1
			    ? recv(nfd, buf, sizeof(buf) - 1, 0)
			    : -1;
		buf[n > 0 ? n : 0] = 0;
	}
	close(nfd);
	why("got \"%s\"", buf);
	check(strstr(buf, "READY=1") != NULL,
	      "gconvd sends READY=1 to $NOTIFY_SOCKET");
	r = raw_open(path);
	ok = r && raw_hello(r, NULL);
	check(ok, "with socket activation (LISTEN_FDS=1), it answers on the "
		  "socket it was given");
	memset(&in, 0, sizeof(in));
	ok = ok && raw_load_file(r, g_digits, "digits", &in);
	check(ok && raw_infer_sample(r, &in, 14),
	      "LOAD and INFER on the activated socket");
	rinst_unmap(&in);
	raw_close(r);
	why("%s exists", act->sock);
	check(stat(act->sock, &sb) && errno == ENOENT,
	      "the --socket path is not used with socket activation");
	daemon_stop(act);

	/* an activated socket that is not SOCK_SEQPACKET */
	bad = daemon_new("stream-activation", "not-this-one");
	snprintf(path, sizeof(path), "%s/stream.sock", g_dir);
	lfd = listen_at(path, SOCK_STREAM);
	need(lfd >= 0, "a listening socket");
	bad->listen_fd = lfd;
	need(!write_file(bad->policy, POLICY_DEFAULT), "write the policy");
	daemon_spawn(bad, NULL);
	close(lfd);
	daemon_reap(bad, EXIT_MS);
	describe_status(bad->status, st, sizeof(st));
	why("%s", bad->pid ? "still running" : st);
	check(!bad->pid && WIFEXITED(bad->status) &&
		      WEXITSTATUS(bad->status) == 1,
	      "an activated SOCK_STREAM socket: exit status 1");
	daemon_kill(bad);
}

/* ---- main ---------------------------------------------------------------- */

struct group {
	const char *name;
	void (*fn)(void);
};

static const struct group groups[] = {
	{ "startup", group_startup },	  { "basics", group_basics },
	{ "errors", group_errors },	  { "policy", group_policy },
	{ "quota", group_quota },	  { "queue", group_queue },
	{ "malformed", group_malformed }, { "sighup", group_sighup },
	{ "many", group_many },		  { "kill9", group_kill9 },
	{ "shutdown", group_shutdown },	  { "reconnect", group_reconnect },
	{ "modes", group_modes },
};

static void run_group(const struct group *gr)
{
	int i;

	g_group = gr->name;
	g_group_failed = 0;
	g_ndaemons = 0;
	g_nchildren = 0;
	if (!setjmp(g_abort))
		gr->fn();
	for (i = 0; i < g_nchildren; i++) {
		if (g_children[i] > 0) {
			kill(g_children[i], SIGKILL);
			waitpid(g_children[i], NULL, 0);
		}
	}
	for (i = 0; i < g_ndaemons; i++)
		if (g_daemons[i]->pid)
			daemon_kill(g_daemons[i]);
	if (g_group_failed)
		for (i = 0; i < g_ndaemons; i++)
			print_log(g_daemons[i]);
	fflush(stdout);
}

/* Compile digits in-process, save the .gcm, compute the references. */
static void setup(void)
{
	struct gconv_model *model = NULL;
	struct gconv_session *sess = NULL;
	struct gconv_model_layout lay;
	struct gconv_tensor samples;
	char err[512], path[PATH_MAX];
	unsigned char *gcm;
	size_t len;
	int rc, s;

	snprintf(g_digits, sizeof(g_digits), "%s/digits.onnx", g_models_dir);
	snprintf(g_slow, sizeof(g_slow), "%s/slow.onnx", g_models_dir);
	snprintf(g_gcm, sizeof(g_gcm), "%s/digits.gcm", g_dir);
	rc = access(g_gconvd, X_OK);
	why("%s: %s", g_gconvd, strerror(errno));
	need(rc == 0, "gconvd is an executable");
	rc = access(g_slow, R_OK);
	why("%s: %s", g_slow, strerror(errno));
	need(rc == 0, "slow.onnx is there (tests/daemon/make_slow_model.py)");
	g_onnx_bytes = (unsigned char *)read_file(g_digits, &g_onnx_len);
	why("%s: %s", g_digits, strerror(errno));
	need(g_onnx_bytes != NULL, "read digits.onnx");
	g_onnx_hash = XXH64(g_onnx_bytes, g_onnx_len, 0);
	rc = gconv_compile_onnx_file(g_digits, NULL, &model, err, sizeof(err));
	why("%s", err);
	need(rc == 0, "compile digits.onnx in-process");
	rc = gconv_model_save(model, g_gcm, err, sizeof(err));
	why("%s", err);
	need(rc == 0, "save digits.gcm");
	gcm = (unsigned char *)read_file(g_gcm, &len);
	need(gcm != NULL, "read digits.gcm");
	g_gcm_hash = XXH64(gcm, len, 0);
	free(gcm);
	g_gconvs = gconv_model_gconv_count(model);
	gconv_model_layout(model, &lay);
	g_weights_size = lay.weights_size;

	memset(&samples, 0, sizeof(samples));
	snprintf(path, sizeof(path), "%s/samples.npy", g_models_dir);
	rc = gconv_npy_read(path, &samples, err, sizeof(err));
	why("%s", err);
	need(rc == 0 && samples.ndim == 4 && samples.dims[0] >= NREF &&
		     samples.elems == (uint64_t)samples.dims[0] * DIGITS_IN,
	     "read samples.npy [N,1,8,8]");
	rc = gconv_session_create(model, &sess);
	need(rc == 0, "gconv_session_create");
	for (s = 0; s < NREF; s++) {
		memcpy(g_in[s], samples.data + (size_t)s * DIGITS_IN,
		       sizeof(g_in[s]));
		memcpy(gconv_session_input(sess, 0), g_in[s], sizeof(g_in[s]));
		rc = gconv_session_run(sess, err, sizeof(err));
		why("%s", err);
		need(rc == 0, "gconv_session_run (sample %d)", s);
		memcpy(g_ref[s], gconv_session_output(sess, 0),
		       sizeof(g_ref[s]));
	}
	gconv_session_free(sess);
	gconv_tensor_free(&samples);
	gconv_model_free(model);
	check(1, "%d in-process reference results of digits", NREF);
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void usage(void)
{
	fprintf(stderr, "usage: gconvd-test --gconvd PATH --models DIR "
			"[GROUP...]\ngroups:");
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		fprintf(stderr, " %s", groups[i].name);
	fputc('\n', stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *want[32];
	int nwant = 0, i;
	size_t k;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--gconvd") && i + 1 < argc)
			g_gconvd = argv[++i];
		else if (!strcmp(argv[i], "--models") && i + 1 < argc)
			snprintf(g_models_dir, sizeof(g_models_dir), "%s",
				 argv[++i]);
		else if (argv[i][0] == '-' || nwant == 32)
			usage();
		else
			want[nwant++] = argv[i];
	}
	if (!g_gconvd || !g_models_dir[0])
		usage();
	for (i = 0; i < nwant; i++) {
		for (k = 0; k < sizeof(groups) / sizeof(groups[0]); k++)
			if (!strcmp(want[i], groups[k].name))
				break;
		if (k == sizeof(groups) / sizeof(groups[0]))
			usage();
	}
	signal(SIGPIPE, SIG_IGN);
	/* orphans of gconvd --background become ours, to wait for */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* the 1024-connection limit needs more than 1024 descriptors */
	{
		struct rlimit rl;

		if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < 4096) {
			rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	snprintf(g_dir, sizeof(g_dir), "/tmp/gconvd-test.XXXXXX");
	if (!mkdtemp(g_dir)) {
		perror("mkdtemp");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	chmod(g_dir, 0755);

	g_group = "setup";
	if (!setjmp(g_abort)) {
		setup();
		g_setup_ok = 1;
	}
	for (k = 0; k < sizeof(groups) / sizeof(groups[0]); k++) {
		int run = !nwant;

		for (i = 0; i < nwant; i++)
			run |= !strcmp(want[i], groups[k].name);
		if (!run)
			continue;
		if (!g_setup_ok) {
			g_group = groups[k].name;
			why("the setup failed");
			check(0, "group %s", groups[k].name);
			continue;
		}
		run_group(&groups[k]);
	}
	free(g_onnx_bytes);
	nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	printf("%d passed, %d failed\n", g_pass, g_fail);
	return g_fail ? 1 : 0;
}

// SPDX-License-Identifier: MIT
/*
 * gconvd: the multi-tenant inference daemon (docs/gconvd.md).
 *
 * Clients connect to a SOCK_SEQPACKET Unix socket and speak the protocol
 * of gconv/protocol.h (docs/protocol.md).  gconvd maps each peer's
 * credentials to a tenant of its policy (policy.c), loads the models its
 * clients send (compiled once per content hash; every instance of a model
 * shares one read-only copy of the weights), and runs their inferences on
 * one device through libgconvdev's device API, each instance in its own
 * device context.
 *
 * Threads.  The main thread runs the sd-event loop and owns every object
 * below: connections, instances, tenants' counters, the policy.  Worker
 * threads only do work items (struct work): compiling and placing a model
 * (LOAD) or running an instance once (INFER).  They take items from the
 * load queue or the tenants' run queues and put them on the done list, all
 * under g.lock, then wake the loop through an eventfd.  The loop never
 * touches what a running item uses: an instance with a running request is
 * only marked dead when its connection goes, and freed when the request
 * comes back.  Model cache entries' reference counts and the tenants'
 * queues, in-flight counts and limits are under g.lock too; the shared
 * context that holds the models' weights is under g.shared_lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <xxhash.h>

#include <gconv/device.h>
#include <gconv/model.h>
#include <gconv/protocol.h>

#include "policy.h"

#define GCONVD_VERSION_STR "1"
#define DEFAULT_POLICY	   "/etc/gconv/gconvd.conf"
#define MAX_CONNS	   1024
#define MAX_INSTANCES	   256 /* per connection, loads in progress included */
#define MAX_LOADS	   4   /* loads in progress per connection */
#define MAX_MODEL_BYTES	   (1ull << 30)
#define MAX_WORKERS	   64
#define SNDBUF_BYTES	   (1 << 20)
#define PASS_SCALE	   1024 /* virtual time: device ns * PASS_SCALE / weight */
#define FIRST_GUESS_NS	   1000000 /* a model's run time before it has run */
#define MAX_DEVICES	   16
#define MIN_EST_NS	   1000	 /* the least a request is charged up front */
#define INLINE_NS	   50000 /* shorter requests may run on the loop */
#define SHORT_NS	   1000000 /* shorter requests are not cut */
/*
 * Messages read per wake-up of a connection.  One: a client waiting for
 * each reply sends nothing more until it has it, so a second read would
 * only find nothing (a system call per request); sd-event's epoll is
 * level-triggered and comes back for what is left.
 */
#define CONN_ROUNDS 1

struct conn;
struct instance;
struct tenant;

/* Histogram buckets of request times (ns; the last is +Inf). */
#define NBUCKETS 16
static const uint64_t bucket_ns[NBUCKETS] = {
	100000,	    250000,	500000,	    1000000,	 2500000,   5000000,
	10000000,   25000000,	50000000,   100000000,	 250000000, 500000000,
	1000000000, 2500000000, 5000000000, 10000000000,
};

struct hist {
	uint64_t count[NBUCKETS + 1]; /* per bucket, not cumulative */
	uint64_t sum_ns, n;
};

/* Error labels of gconvd_request_errors_total. */
enum err_label {
	ERR_BUSY,
	ERR_SHUTDOWN,
	ERR_DEADLINE,
	ERR_CANCELED,
	ERR_DEVICE,
	ERR_JOB, /* INFER_REPLY with a status other than OK */
	ERR_NLABELS,
};

/* A tenant's requests for one model name: metrics (the loop's). */
struct mstat {
	struct mstat *next;
	char model[GCONVD_NAME_LEN];
	uint64_t requests, completed;
	uint64_t errors[ERR_NLABELS];
	uint64_t job_status[9]; /* ERR_JOB by enum gconv_job_status */
	struct hist queue, exec;
};

/*
 * A device gconvd runs on (--device, in order).  Instances are placed on
 * the working device with the least work, then the fewest bytes placed;
 * one that fails device-errors jobs in a row is taken out and its
 * instances move to the others when they next run.
 */
struct device {
	unsigned int index;
	const char *spec;
	struct gconv_dev *dev;
	struct gconv_ctx *shared; /* the models' weights; g.shared_lock */
	/* under g.lock */
	bool failed;
	uint32_t errors;     /* device errors in a row */
	uint64_t running_ns; /* estimated run time of what runs on it now */
	uint64_t placed;     /* bytes of the instances on it */
	uint64_t jobs, device_errors, retries, moved_in;
	uint64_t busy_ns; /* time jobs ran on it (as gconvd measures) */
	bool draining;	  /* gconvctl drain: nothing new goes there */
};

/*
 * A model compiled for @rows requests at once (dynamic batching), placed
 * in a context of its own on one device.  Used by one worker at a time.
 */
struct batch_model {
	struct batch_model *next;
	uint32_t rows;
	bool busy; /* a worker has it; g.lock */
	struct gconv_model *model;
	struct device *dev; /* the device it is for (the first request's) */
	struct gconv_ctx *ctx;
	struct gconv_dev_model *dm;
};

/* A compiled model, shared by every instance of the same file. */
struct model_entry {
	struct model_entry *next;
	uint64_t hash; /* XXH64 of the file */
	uint64_t size;
	struct gconv_model *model;
	struct gconv_model_layout layout;
	/* its weights on each device: made when first placed there */
	struct gconv_buf *weights[MAX_DEVICES]; /* g.shared_lock */
	int weights_fd[MAX_DEVICES];		/* their exports, or -1 */
	unsigned int refs; /* instances and loads; under g.lock */
	uint64_t avg_ns;   /* recent run time on the device; g.lock */
	/* batching (g.lock): the ONNX file, kept to compile batches from */
	void *src;
	struct batch_model *batches;
	bool nobatch; /* it cannot be batched (a .gcm, or its shapes) */
};

enum work_kind { WORK_LOAD, WORK_INFER };
enum work_state { WORK_QUEUED, WORK_RUNNING, WORK_DONE };

/* A LOAD or an INFER, from the request until its reply. */
struct work {
	struct work *next;  /* a queue or the done list */
	struct work *cnext; /* the connection's pending list */
	enum work_kind kind;
	enum work_state state; /* under g.lock */
	uint32_t seq;
	struct conn *conn; /* holds a reference */
	struct tenant *tenant;
	bool canceled;	   /* reply CANCELED whatever happens */
	bool answered;	   /* the reply went already */
	bool expired;	   /* its deadline passed before it ran */
	uint64_t deadline; /* CLOCK_MONOTONIC ns; 0: none */
	/* INFER */
	struct instance *inst;
	uint64_t est_ns;	  /* run time charged when it (re)started */
	struct device *est_dev;	  /* the device est_ns was counted on */
	enum gconv_priority prio; /* set when it starts */
	uint64_t t_queued, t_start, t_end; /* CLOCK_MONOTONIC ns */
	uint64_t used_ns;	 /* run time so far (it may run in parts) */
	uint32_t next_seg;	 /* the segment to run next (preemption) */
	bool retried;		 /* it ran again after a device error */
	struct work *batch_next; /* the other requests of its batch */
	struct batch_model *bm;	 /* the batch's model (the first request) */
	int rc;
	struct gconv_job_result res;
	/* LOAD: in */
	int model_fd;
	uint64_t size;
	uint32_t format;
	char name[GCONVD_NAME_LEN]; /* LOAD's; an INFER's model's */
	bool keep_src;		    /* the policy batches this model */
	/* LOAD: out */
	struct model_entry *me; /* a reference, or NULL */
	struct device *dev;
	struct gconv_ctx *ctx;
	struct gconv_buf *weights; /* imported into ctx */
	struct gconv_dev_model *dm;
	uint32_t code; /* gconvd_error on failure */
	char err[512];
};

/* A tenant as gconvd runs it.  Kept until exit (its totals with it). */
struct tenant {
	struct tenant *next;
	char name[POLICY_NAME_LEN];
	/* from the policy; under g.lock (workers read them) */
	uint32_t weight;
	enum tenant_priority priority;
	uint64_t memory_quota;
	uint32_t max_queued, max_in_flight;
	/* under g.lock */
	struct work *q_head, *q_tail;
	uint32_t queued, in_flight;
	uint64_t pass; /* virtual time: device time used / weight */
	bool skip;     /* pick_work(): its first request waits for a batch */
	/* the loop's */
	uint32_t clients, models;
	uint64_t memory;
	uint64_t requests, completed, failed, rejected;
	uint64_t device_ns;   /* device time its requests used; g.lock */
	struct mstat *mstats; /* per model, for metrics; the loop's */
};

/* A model loaded by one connection: its own context and I/O buffer. */
struct instance {
	struct instance *next;
	uint32_t id;
	char name[GCONVD_NAME_LEN];
	struct conn *conn;
	struct model_entry *me;
	/* the device and what is on it: changed by the worker running its
	 * request when it moves to another device */
	struct device *dev;
	struct gconv_ctx *ctx;
	struct gconv_buf *weights;
	struct gconv_dev_model *dm;
	uint32_t segment; /* GCONVs per segment dm has; UINT32_MAX: none */
	uint64_t placed;  /* bytes counted in dev->placed */
	/* batching, from the policy (g.lock) */
	uint32_t max_batch;
	uint64_t batch_delay_ns;
	uint64_t charge;      /* bytes charged to the tenant */
	bool weights_charged; /* the charge includes the weights */
	struct work *pending; /* queued or running INFER */
	bool dead;	      /* free when @pending comes back */
};

struct conn {
	struct conn *next;
	int fd;
	sd_event_source *src;
	uint64_t serial; /* for logs */
	uid_t uid;
	gid_t gid;
	pid_t pid;
	struct tenant *tenant; /* after HELLO */
	char client[GCONVD_NAME_LEN];
	struct instance *instances;
	unsigned int ninstances, nloads;
	struct work *pending; /* LOADs and INFERs not yet answered */
	uint32_t next_id;
	unsigned int version; /* of the protocol, after HELLO */
	bool admin;	      /* an administration connection (gconvctl) */
	unsigned int refs;    /* being open + each work item */
	bool closed;
};

static struct {
	/* options */
	const char *specs[MAX_DEVICES];
	unsigned int nspecs;
	const char *socket_path;
	const char *policy_path;
	bool foreground, verbose;
	unsigned int nworkers;
	int64_t job_timeout_ns;

	sd_event *ev;
	struct policy *policy;
	struct device devs[MAX_DEVICES];
	unsigned int ndevs;
	pthread_mutex_t shared_lock; /* the devices' shared contexts */
	int listen_fd;
	bool own_socket; /* unlink it at exit */
	sd_event_source *listen_src;
	struct tenant *tenants;
	struct conn *conns;
	unsigned int nconns;
	uint64_t conn_serial;
	unsigned int outstanding; /* work items not yet answered */
	bool stopping;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct model_entry *models;
	struct work *load_head, *load_tail;
	struct work *done_head, *done_tail;
	uint64_t vtime;
	uint32_t segment;	   /* the policy's, for the workers */
	uint32_t device_errors;	   /* the policy's, for the workers */
	unsigned int idle;	   /* workers waiting for work */
	uint64_t batches, batched; /* batches run, and requests in them */
	/* jobs by requests in them: 1, 2, 3-4, 5-8, ... 33-64 (g.lock) */
	uint64_t batch_hist[7];
	pthread_t loop_thread;
	uint64_t start_ns;
	bool quit;
	pthread_t workers[MAX_WORKERS];
	unsigned int started;
	int efd;
	sd_event_source *efd_src;
	sd_event_source *deadline_src; /* the earliest queued deadline */
	uint64_t deadline_armed;       /* when it fires (ns); 0: off */
} g = {
	.socket_path = GCONVD_DEFAULT_SOCKET,
	.nworkers = 2,
	.job_timeout_ns = 120000ll * 1000000,
	.listen_fd = -1,
	.efd = -1,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.shared_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* ---- small things ------------------------------------------------------ */

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logmsg(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "gconvd: %s\n", line);
}

#define vlog(...)                            \
	do {                                 \
		if (g.verbose)               \
			logmsg(__VA_ARGS__); \
	} while (0)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void set_name(char *dst, size_t len, const char *src)
{
	memset(dst, 0, len);
	snprintf(dst, len, "%s", src);
}

static void wake_loop(void)
{
	uint64_t one = 1;

	if (write(g.efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		logmsg("eventfd write: %s", strerror(errno));
}

/* ---- the model cache (under g.lock) ------------------------------------ */

static struct model_entry *cache_find(uint64_t hash, uint64_t size)
{
	struct model_entry *me;

	for (me = g.models; me; me = me->next)
		if (me->hash == hash && me->size == size)
			return me;
	return NULL;
}

/* Free an entry no longer in the cache. */
static void model_entry_free(struct model_entry *me)
{
	struct batch_model *bm;
	unsigned int i;

	if (!me)
		return;
	pthread_mutex_lock(&g.shared_lock);
	for (i = 0; i < MAX_DEVICES; i++) {
		if (me->weights_fd[i] >= 0)
			close(me->weights_fd[i]);
		if (me->weights[i]) {
			gconv_buf_free(me->weights[i]);
			pthread_mutex_lock(&g.lock);
			g.devs[i].placed -= me->layout.weights_size;
			pthread_mutex_unlock(&g.lock);
		}
	}
	pthread_mutex_unlock(&g.shared_lock);
	while ((bm = me->batches)) {
		me->batches = bm->next;
		gconv_dev_model_free(bm->dm);
		gconv_ctx_free(bm->ctx);
		gconv_model_free(bm->model);
		free(bm);
	}
	free(me->src);
	gconv_model_free(me->model);
	free(me);
}

/*
 * The export of @me's weights on @d (made on first use; the entry keeps
 * it): -1 with no error if the model has no weights, or -errno.
 */
static int entry_weights(struct model_entry *me, struct device *d, int *fd,
			 char *err, size_t errlen)
{
	bool made = false;
	char msg[400];
	int ret = 0;

	*fd = -1;
	if (!me->layout.weights_size)
		return 0;
	pthread_mutex_lock(&g.shared_lock);
	if (me->weights_fd[d->index] < 0) {
		struct gconv_buf *b = NULL;

		ret = gconv_buf_alloc(d->shared, me->layout.weights_size,
				      GCONV_BUF_READ_ONLY, &b, msg,
				      sizeof(msg));
		if (!ret) {
			memcpy(gconv_buf_map(b), gconv_model_weights(me->model),
			       me->layout.weights_size);
			ret = gconv_buf_export(b, &me->weights_fd[d->index]);
			if (ret) {
				snprintf(msg, sizeof(msg), "export: %s",
					 strerror(-ret));
				gconv_buf_free(b);
			} else {
				me->weights[d->index] = b;
				made = true;
			}
		}
		if (ret)
			snprintf(err, errlen,
				 "the shared weights buffer on %s: %s", d->spec,
				 msg);
	}
	*fd = me->weights_fd[d->index];
	pthread_mutex_unlock(&g.shared_lock);
	if (made) {
		/* one copy per device, whatever the instances */
		pthread_mutex_lock(&g.lock);
		d->placed += me->layout.weights_size;
		pthread_mutex_unlock(&g.lock);
	}
	return ret;
}

static void model_entry_put(struct model_entry *me)
{
	struct model_entry **pp;

	if (!me)
		return;
	pthread_mutex_lock(&g.lock);
	if (--me->refs) {
		pthread_mutex_unlock(&g.lock);
		return;
	}
	for (pp = &g.models; *pp; pp = &(*pp)->next) {
		if (*pp == me) {
			*pp = me->next;
			break;
		}
	}
	pthread_mutex_unlock(&g.lock);
	model_entry_free(me);
}

/* ---- devices (under g.lock) ------------------------------------------- */

/* Estimated run time of the queued requests of instances on @d. */
static uint64_t queued_ns(const struct device *d)
{
	const struct tenant *t;
	const struct work *w;
	uint64_t ns = 0;

	for (t = g.tenants; t; t = t->next)
		for (w = t->q_head; w; w = w->next)
			if (w->inst->dev == d)
				ns += w->inst->me->avg_ns ? w->inst->me->avg_ns
							  : FIRST_GUESS_NS;
	return ns;
}

/*
 * Where to place a model: the working device (other than @skip) with the
 * least work queued and running on it, then the fewest bytes placed on
 * it (device memory is what instances take), then the lowest index.
 */
static struct device *pick_device(const struct device *skip)
{
	struct device *best = NULL;
	uint64_t best_ns = 0, ns;
	unsigned int i;

	for (i = 0; i < g.ndevs; i++) {
		struct device *d = &g.devs[i];

		if (d->failed || d->draining || d == skip)
			continue;
		ns = d->running_ns + queued_ns(d);
		if (!best || ns < best_ns ||
		    (ns == best_ns && d->placed < best->placed)) {
			best = d;
			best_ns = ns;
		}
	}
	return best;
}

/* Whether a job's end says the device failed, rather than the request. */
static bool device_fault(int rc, const struct gconv_job_result *res)
{
	if (rc == -EIO) {
		switch (res->status) {
		case GCONV_JOB_TIMEOUT:
		case GCONV_JOB_ABORTED:
		case GCONV_JOB_ERROR:
		case GCONV_JOB_BAD_COMPLETION:
		case GCONV_JOB_DMA_ERROR:
			return true;
		default:
			return false;
		}
	}
	return rc == -ENODEV || rc == -ETIME || rc == -ENXIO;
}

/* Count a job of @n requests in the batch-size histogram (g.lock held). */
static void batch_hist_add(unsigned int n)
{
	unsigned int b = 0;

	while (b < 6 && (1u << b) < n)
		b++;
	g.batch_hist[b]++;
}

/* Count @jobs that ran on @d, the last of which ended in @fault or not
 * (g.lock held). */
static void device_count(struct device *d, unsigned int jobs, bool fault)
{
	d->jobs += jobs;
	if (!fault) {
		d->errors = 0;
		return;
	}
	d->device_errors++;
	if (++d->errors >= g.device_errors && !d->failed) {
		d->failed = true;
		logmsg("device %u (%s) is taken out after %u device errors "
		       "in a row; its models move to the other devices",
		       d->index, d->spec, d->errors);
	}
}

/* ---- workers ----------------------------------------------------------- */

static enum gconv_priority device_priority(enum tenant_priority p)
{
	switch (p) {
	case PRIO_REALTIME:
		return GCONV_PRIORITY_HIGH;
	case PRIO_BATCH:
		return GCONV_PRIORITY_LOW;
	default:
		return GCONV_PRIORITY_NORMAL;
	}
}

/*
 * Virtual-time fair queueing (docs/scheduling.md): a tenant's pass grows
 * by the device time its requests use, divided by its weight.  A request
 * is charged its model's recent run time when it starts, and the
 * difference when it ends (or stops for a higher priority).
 */
static void charge(struct tenant *t, uint64_t ns, bool add)
{
	uint64_t v = ns * PASS_SCALE / t->weight;

	if (add)
		t->pass += v;
	else
		t->pass = t->pass > v ? t->pass - v : 0;
}

/* The virtual time now: the least pass of the tenants with work (g.lock). */
static uint64_t virtual_now(void)
{
	struct tenant *t;
	uint64_t v = UINT64_MAX;

	for (t = g.tenants; t; t = t->next)
		if ((t->q_head || t->in_flight) && t->pass < v)
			v = t->pass;
	return v == UINT64_MAX ? g.vtime : v;
}

/* Put @w on the done list (g.lock held) and wake the loop (unless this
 * is the loop, which drains the list next). */
static void work_done_locked(struct work *w)
{
	w->state = WORK_DONE;
	w->next = NULL;
	if (g.done_tail)
		g.done_tail->next = w;
	else
		g.done_head = w;
	g.done_tail = w;
	if (!pthread_equal(pthread_self(), g.loop_thread))
		wake_loop();
}

/* Take @w off @t's queue (g.lock held); false if it is not there. */
static bool queue_remove(struct tenant *t, struct work *w)
{
	struct work **pp, *prev = NULL;

	for (pp = &t->q_head; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			if (t->q_tail == w)
				t->q_tail = prev;
			t->queued--;
			w->next = NULL;
			return true;
		}
	}
	return false;
}

/* Start @w, off its tenant's queue (g.lock held): count and charge it. */
static void start_locked(struct work *w)
{
	struct tenant *t = w->tenant;
	uint64_t avg =
		w->inst->me->avg_ns ? w->inst->me->avg_ns : FIRST_GUESS_NS;

	t->in_flight++;
	w->state = WORK_RUNNING;
	w->prio = device_priority(t->priority);
	/* what is left of it, if it ran before */
	w->est_ns =
		avg > w->used_ns + MIN_EST_NS ? avg - w->used_ns : MIN_EST_NS;
	w->est_dev = w->inst->dev;
	w->est_dev->running_ns += w->est_ns;
	charge(t, w->est_ns, true);
	if (t->pass > g.vtime)
		g.vtime = t->pass;
}

/*
 * @w stopped after running @ns (g.lock held): it no longer counts as
 * running, and its tenant is charged what it used instead of the estimate.
 */
static void stop_locked(struct work *w, uint64_t ns)
{
	struct tenant *t = w->tenant;

	t->in_flight--;
	t->device_ns += ns;
	w->est_dev->running_ns -= w->est_ns;
	charge(t, ns > w->est_ns ? ns - w->est_ns : w->est_ns - ns,
	       ns > w->est_ns);
	/* below max_in_flight again, it may have work an idle worker takes */
	if (t->q_head && g.idle)
		pthread_cond_broadcast(&g.cond);
}

/* Requests of @w's model, @w first, that could run with it as a batch. */
static unsigned int batch_gather(struct work *w, struct work **list,
				 unsigned int max)
{
	struct model_entry *me = w->inst->me;
	uint64_t now = now_ns();
	unsigned int n = 1;
	struct tenant *t;
	struct work *x;

	list[0] = w;
	for (t = g.tenants; t && n < max; t = t->next) {
		uint32_t room;

		if (t->priority != w->tenant->priority ||
		    t->in_flight >= t->max_in_flight)
			continue;
		room = t->max_in_flight - t->in_flight - (t == w->tenant);
		for (x = t->q_head; x && n < max && room; x = x->next) {
			if (x == w || x->inst->me != me || x->next_seg ||
			    x->inst->max_batch <= 1 ||
			    (x->deadline && now >= x->deadline))
				continue;
			list[n++] = x;
			room--;
		}
	}
	return n;
}

/*
 * The batch model of @me for @rows requests on @dev, the first request's
 * device (g.lock held); NULL: busy, or the device was taken out.
 */
static struct batch_model *batch_claim(struct model_entry *me, uint32_t rows,
				       struct device *dev)
{
	struct batch_model *bm;

	if (dev->failed || dev->draining)
		return NULL;
	for (bm = me->batches; bm; bm = bm->next)
		if (bm->rows == rows && bm->dev == dev)
			break;
	if (!bm) {
		bm = calloc(1, sizeof(*bm));
		if (!bm)
			return NULL;
		bm->rows = rows;
		bm->dev = dev;
		bm->next = me->batches;
		me->batches = bm;
	}
	if (bm->busy)
		return NULL;
	bm->busy = true;
	return bm;
}

/*
 * The next item to run (under g.lock): loads first (they are rare and a
 * client waits for each), then the tenant allowed to run one more request
 * with the highest priority class and, within it, the smallest pass.  A
 * request of a batched model waits, up to its batch-delay, for enough
 * others to fill a batch; then as many as there are run as one job.  If
 * nothing can run yet, *@wake is when a waiting batch is due (0: never).
 */
static struct work *pick_work(uint64_t *wake)
{
	struct work *list[POLICY_MAX_BATCH];
	struct tenant *t, *best;
	struct work *w;
	uint64_t now;
	unsigned int n, i;

	*wake = 0;
	if (g.load_head) {
		w = g.load_head;
		g.load_head = w->next;
		if (!g.load_head)
			g.load_tail = NULL;
		return w;
	}
	for (t = g.tenants; t; t = t->next)
		t->skip = false;
again:
	best = NULL;
	for (t = g.tenants; t; t = t->next) {
		if (!t->q_head || t->skip || t->in_flight >= t->max_in_flight)
			continue;
		if (!best || t->priority > best->priority ||
		    (t->priority == best->priority && t->pass < best->pass))
			best = t;
	}
	if (!best)
		return NULL;
	w = best->q_head;
	now = now_ns();
	if (w->deadline && !w->t_start && now >= w->deadline) {
		/* too late to start: answered by the loop, never run */
		queue_remove(best, w);
		w->expired = true;
		work_done_locked(w);
		goto again;
	}
	if (w->inst->max_batch > 1 && !w->next_seg && !w->inst->me->nobatch) {
		uint32_t max = w->inst->max_batch, rows = 2;
		uint64_t due = w->t_queued + w->inst->batch_delay_ns;

		/* a deadline before the batch is due: no waiting at all */
		if (w->deadline && w->deadline < due)
			due = now;
		n = batch_gather(w, list, max);
		if (n < max && now < due) {
			/* wait for more, and run something else meanwhile */
			if (!*wake || due < *wake)
				*wake = due;
			best->skip = true;
			goto again;
		}
		while (rows < n)
			rows *= 2;
		if (rows > max)
			rows = max;
		if (n > 1 &&
		    (w->bm = batch_claim(w->inst->me, rows, w->inst->dev))) {
			for (i = 0; i < n; i++) {
				queue_remove(list[i]->tenant, list[i]);
				list[i]->batch_next =
					i + 1 < n ? list[i + 1] : NULL;
				start_locked(list[i]);
			}
			return w;
		}
	}
	queue_remove(best, w);
	start_locked(w);
	return w;
}

static int read_model(struct work *w, void **out)
{
	uint8_t *buf;
	uint64_t off = 0;
	ssize_t n;

	if (!w->size || w->size > MAX_MODEL_BYTES) {
		snprintf(w->err, sizeof(w->err),
			 "a model of %" PRIu64 " bytes (1 to %llu allowed)",
			 w->size, MAX_MODEL_BYTES);
		return -EINVAL;
	}
	buf = malloc(w->size);
	if (!buf) {
		snprintf(w->err, sizeof(w->err),
			 "out of memory for a %" PRIu64 "-byte model", w->size);
		return -ENOMEM;
	}
	while (off < w->size) {
		n = pread(w->model_fd, buf + off, w->size - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(w->err, sizeof(w->err),
				 "reading the model's descriptor: %s",
				 n < 0 ? strerror(errno)
				       : "it holds fewer bytes than 'size'");
			free(buf);
			return n < 0 ? -errno : -EINVAL;
		}
		off += (uint64_t)n;
	}
	*out = buf;
	return 0;
}

static bool is_gcm(const struct work *w, const void *buf)
{
	return w->format == GCONVD_FORMAT_GCM ||
	       (w->format == GCONVD_FORMAT_AUTO && w->size >= 8 &&
		!memcmp(buf, "GCONVGCM", 8));
}

/* Compile or load @buf: a new cache entry. */
static int make_entry(struct work *w, const void *buf, uint64_t hash,
		      struct model_entry **out)
{
	struct model_entry *me;
	char msg[400];
	bool gcm = is_gcm(w, buf);
	unsigned int i;
	int ret;

	me = calloc(1, sizeof(*me));
	if (!me) {
		w->code = GCONVD_E_NOMEM;
		snprintf(w->err, sizeof(w->err), "out of memory");
		return -ENOMEM;
	}
	me->hash = hash;
	me->size = w->size;
	for (i = 0; i < MAX_DEVICES; i++)
		me->weights_fd[i] = -1;
	me->refs = 1;
	if (gcm)
		ret = gconv_model_load(buf, w->size, &me->model, msg,
				       sizeof(msg));
	else
		ret = gconv_compile_onnx(buf, w->size, NULL, &me->model, msg,
					 sizeof(msg));
	if (ret) {
		snprintf(w->err, sizeof(w->err), "%s: %s",
			 gcm ? "loading the .gcm" : "compiling the ONNX model",
			 msg);
		w->code = ret == -ENOMEM ? GCONVD_E_NOMEM : GCONVD_E_MODEL;
		free(me);
		return ret;
	}
	gconv_model_layout(me->model, &me->layout);
	*out = me;
	return 0;
}

/*
 * Place @me in a new context on @d, on @arena (an fd to import) or a new
 * one.  On failure, *@ctx is NULL and @err says why.
 */
static int place(struct model_entry *me, struct device *d, int arena_fd,
		 struct gconv_ctx **ctx, struct gconv_buf **weights,
		 struct gconv_dev_model **dm, char *err, size_t errlen)
{
	struct gconv_buf *arena = NULL;
	char msg[400];
	int ret, fd;

	*weights = NULL;
	*dm = NULL;
	ret = gconv_ctx_create(d->dev, ctx, msg, sizeof(msg));
	if (ret) {
		snprintf(err, errlen, "a device context on %s: %s", d->spec,
			 msg);
		return ret;
	}
	ret = entry_weights(me, d, &fd, err, errlen);
	if (ret)
		goto fail;
	if (fd >= 0) {
		ret = gconv_buf_import(*ctx, fd, GCONV_BUF_READ_ONLY, weights,
				       msg, sizeof(msg));
		if (ret) {
			snprintf(err, errlen,
				 "importing the shared weights: %s", msg);
			goto fail;
		}
	}
	if (arena_fd >= 0) {
		ret = gconv_buf_import(*ctx, arena_fd, 0, &arena, msg,
				       sizeof(msg));
		if (ret) {
			snprintf(err, errlen,
				 "importing the I/O buffer on %s: %s", d->spec,
				 msg);
			goto fail;
		}
	}
	ret = gconv_dev_model_place(*ctx, me->model, *weights, arena, dm, msg,
				    sizeof(msg));
	if (ret) {
		snprintf(err, errlen, "placing the model on %s: %s", d->spec,
			 msg);
		goto fail;
	}
	return 0;
fail:
	gconv_ctx_free(*ctx); /* and what was imported */
	*ctx = NULL;
	*weights = NULL;
	return ret;
}

/* LOAD in a worker: read, find or compile, place in a new context. */
static void run_load(struct work *w)
{
	struct model_entry *me, *other;
	void *buf = NULL;
	uint64_t hash;
	int ret;

	w->code = GCONVD_E_MODEL;
	ret = read_model(w, &buf);
	close(w->model_fd);
	w->model_fd = -1;
	if (ret) {
		if (ret == -ENOMEM)
			w->code = GCONVD_E_NOMEM;
		return;
	}
	hash = XXH64(buf, w->size, 0);
	pthread_mutex_lock(&g.lock);
	me = cache_find(hash, w->size);
	if (me)
		me->refs++;
	pthread_mutex_unlock(&g.lock);
	if (!me) {
		ret = make_entry(w, buf, hash, &me);
		if (ret) {
			free(buf);
			return;
		}
		pthread_mutex_lock(&g.lock);
		other = cache_find(hash, w->size);
		if (other) {
			other->refs++;
		} else {
			me->next = g.models;
			g.models = me;
		}
		pthread_mutex_unlock(&g.lock);
		if (other) {
			model_entry_free(me);
			me = other;
		}
	}
	w->me = me;
	/* a batched ONNX model: keep the file to compile batches from */
	pthread_mutex_lock(&g.lock);
	if (w->keep_src && !me->src && !is_gcm(w, buf)) {
		me->src = buf;
		buf = NULL;
	}
	w->dev = pick_device(NULL);
	pthread_mutex_unlock(&g.lock);
	free(buf);

	w->code = GCONVD_E_DEVICE;
	if (!w->dev) {
		snprintf(w->err, sizeof(w->err),
			 "no working device: every device was taken out "
			 "after device errors");
		return;
	}
	ret = place(me, w->dev, -1, &w->ctx, &w->weights, &w->dm, w->err,
		    sizeof(w->err));
	if (ret) {
		if (ret == -ENOMEM)
			w->code = GCONVD_E_NOMEM;
		return;
	}
	w->code = 0;
}

/*
 * Move @w's instance off its failed device, keeping its I/O buffer (the
 * worker running @w owns the instance).  0, or -errno with w->err set.
 */
static int migrate(struct work *w)
{
	struct instance *inst = w->inst;
	struct device *from = inst->dev, *to;
	struct gconv_dev_model *dm;
	struct gconv_buf *weights;
	struct gconv_ctx *ctx;
	char msg[400];
	int fd, ret;

	pthread_mutex_lock(&g.lock);
	to = pick_device(from);
	pthread_mutex_unlock(&g.lock);
	if (!to) {
		snprintf(w->err, sizeof(w->err),
			 "no working device: %s was taken out after device "
			 "errors and no other device works",
			 from->spec);
		return -ENODEV;
	}
	ret = gconv_buf_export(gconv_dev_model_arena(inst->dm), &fd);
	if (ret) {
		snprintf(w->err, sizeof(w->err),
			 "moving to %s: exporting the I/O buffer: %s", to->spec,
			 strerror(-ret));
		return ret;
	}
	ret = place(inst->me, to, fd, &ctx, &weights, &dm, msg, sizeof(msg));
	close(fd);
	if (ret) {
		snprintf(w->err, sizeof(w->err), "moving to %s: %s", to->spec,
			 msg);
		return ret;
	}
	gconv_dev_model_free(inst->dm);
	gconv_ctx_free(inst->ctx);
	inst->ctx = ctx;
	inst->weights = weights;
	inst->dm = dm;
	inst->segment = UINT32_MAX;
	pthread_mutex_lock(&g.lock);
	from->placed -= inst->placed;
	to->placed += inst->placed;
	to->moved_in++;
	inst->dev = to;
	pthread_mutex_unlock(&g.lock);
	vlog("model %u ('%s') moved from %s to %s", inst->id, inst->name,
	     from->spec, to->spec);
	return 0;
}

/*
 * Whether @w should stop at this GCONV boundary for a request of a higher
 * priority class that no idle worker will take (g.lock held).
 */
static bool should_yield(const struct work *w)
{
	const struct tenant *t;

	if (g.idle)
		return false;
	for (t = g.tenants; t; t = t->next)
		if (t->priority > w->tenant->priority && t->q_head &&
		    t->in_flight < t->max_in_flight)
			return true;
	return false;
}

/*
 * Run @w's instance from its next segment on: until it ends, fails, is
 * cancelled, or yields to a higher priority.  A device error is retried
 * once (on another device if its own was taken out).  Returns true if @w
 * yielded (it is queued again).
 */
static bool run_infer(struct work *w)
{
	struct instance *inst = w->inst;
	uint32_t segment, nseg = 0, s;
	unsigned int jobs;
	bool stop = false, yield = false, fault, drain;
	uint64_t t0, t1, ran = 0, avg;
	char msg[256];

	if (!w->t_start)
		w->t_start = now_ns();
again:
	w->rc = 0;
	memset(&w->res, 0, sizeof(w->res));
	pthread_mutex_lock(&g.lock);
	segment = g.segment;
	avg = inst->me->avg_ns;
	fault = inst->dev->failed;
	drain = inst->dev->draining;
	pthread_mutex_unlock(&g.lock);
	/*
	 * A model that runs in under SHORT_NS is one job: stopping it would
	 * save a higher priority less than the extra jobs cost everyone
	 * (about 4% of throughput on digits).  Twice that to go back.
	 */
	if (segment && avg &&
	    (avg < SHORT_NS || (avg < 2 * SHORT_NS && inst->segment == 0)))
		segment = 0;
	if (fault || drain) {
		w->rc = migrate(w);
		if (w->rc && fault)
			goto out;
		if (!w->rc)
			w->next_seg = 0;
		/* draining, and nowhere else to go: it runs there still */
		w->rc = 0;
	}
	if (inst->segment != segment) {
		w->rc = gconv_dev_model_segment(inst->dm, segment, msg,
						sizeof(msg));
		if (w->rc) {
			snprintf(w->err, sizeof(w->err), "segments: %s", msg);
			goto out;
		}
		inst->segment = segment;
		w->next_seg = 0; /* segments of another size: start again */
	}
	nseg = gconv_dev_model_num_segments(inst->dm);
	t0 = now_ns();
	jobs = 0;
	for (s = w->next_seg; s < nseg && !stop && !yield; s++) {
		jobs++;
		w->rc = gconv_dev_model_run_segment(inst->dm, s, w->prio,
						    g.job_timeout_ns, &w->res,
						    msg, sizeof(msg));
		if (w->rc) {
			snprintf(w->err, sizeof(w->err), "%s", msg);
			break;
		}
		w->next_seg = s + 1;
		if (s + 1 < nseg) {
			pthread_mutex_lock(&g.lock);
			stop = w->canceled;
			yield = !stop && should_yield(w);
			pthread_mutex_unlock(&g.lock);
		}
	}
	t1 = now_ns();
	ran += t1 - t0;
	fault = device_fault(w->rc, &w->res);
	pthread_mutex_lock(&g.lock);
	device_count(inst->dev, jobs, fault);
	inst->dev->busy_ns += t1 - t0;
	/* not after gconvd gave up waiting: the job may still run (drm) */
	if (fault && !w->retried && !w->canceled && w->rc != -ETIME) {
		w->retried = true;
		inst->dev->retries++;
		pthread_mutex_unlock(&g.lock);
		vlog("request %u on %s: %s; trying once more", w->seq,
		     inst->dev->spec, w->err);
		w->next_seg = 0;
		goto again;
	}
	pthread_mutex_unlock(&g.lock);
out:
	w->used_ns += ran;
	pthread_mutex_lock(&g.lock);
	stop_locked(w, ran);
	if (yield && !w->canceled) {
		/* back to the head of its queue, to go on where it stopped */
		struct tenant *t = w->tenant;

		w->state = WORK_QUEUED;
		w->next = t->q_head;
		t->q_head = w;
		if (!t->q_tail)
			t->q_tail = w;
		t->queued++;
		pthread_mutex_unlock(&g.lock);
		return true;
	}
	w->t_end = now_ns();
	/* a whole run, in one attempt, is what a model takes */
	if (!w->rc && !w->retried && nseg && w->next_seg == nseg) {
		struct model_entry *me = inst->me;

		me->avg_ns = me->avg_ns ? (me->avg_ns * 7 + w->used_ns) / 8
					: w->used_ns;
		batch_hist_add(1);
	}
	work_done_locked(w);
	pthread_mutex_unlock(&g.lock);
	return false;
}

/* Compile and place @bm for @w's model on @w's device, if not yet. */
static int batch_prepare(struct work *w, struct batch_model *bm)
{
	struct model_entry *me = w->inst->me;
	const struct gconv_compile_opts opts = { .batch = bm->rows };
	struct gconv_dev_model *dm;
	struct gconv_ctx *ctx;
	struct device *d;
	char msg[400];
	uint32_t i, n;
	int ret;

	if (!bm->model) {
		pthread_mutex_lock(&g.lock);
		if (!me->src) {
			pthread_mutex_unlock(&g.lock);
			logmsg("model '%s': no batching (a .gcm, or loaded "
			       "before the policy batched it)",
			       w->inst->name);
			return -EINVAL;
		}
		pthread_mutex_unlock(&g.lock);
		/* me->src stays until the entry goes: it holds a reference */
		ret = gconv_compile_onnx(me->src, me->size, &opts, &bm->model,
					 msg, sizeof(msg));
		if (ret) {
			logmsg("model '%s': no batching: %s", w->inst->name,
			       msg);
			return ret;
		}
		/* the rows must be the batch-1 tensors, one after another */
		n = gconv_model_num_inputs(me->model);
		if (n != gconv_model_num_inputs(bm->model) ||
		    gconv_model_num_outputs(me->model) !=
			    gconv_model_num_outputs(bm->model))
			goto mismatch;
		n += gconv_model_num_outputs(me->model);
		for (i = 0; i < n; i++) {
			uint32_t nin = gconv_model_num_inputs(me->model);
			const struct gconv_tensor_info *a, *b;

			a = i < nin ? gconv_model_input(me->model, i)
				    : gconv_model_output(me->model, i - nin);
			b = i < nin ? gconv_model_input(bm->model, i)
				    : gconv_model_output(bm->model, i - nin);
			if (strcmp(a->name, b->name) || !a->ndim ||
			    a->dims[0] != 1 || b->elems != a->elems * bm->rows)
				goto mismatch;
		}
	}
	if (bm->dm)
		return 0;
	d = bm->dev; /* one batch model per device and size */
	ret = gconv_ctx_create(d->dev, &ctx, msg, sizeof(msg));
	if (!ret) {
		ret = gconv_dev_model_load(ctx, bm->model, NULL, &dm, msg,
					   sizeof(msg));
		if (ret)
			gconv_ctx_free(ctx);
	}
	if (ret) {
		logmsg("model '%s': placing a batch of %u on %s: %s",
		       w->inst->name, bm->rows, d->spec, msg);
		return ret;
	}
	bm->ctx = ctx;
	bm->dm = dm;
	return 0;
mismatch:
	logmsg("model '%s': no batching: its tensors do not split into rows "
	       "of the batch-1 model",
	       w->inst->name);
	gconv_model_free(bm->model);
	bm->model = NULL;
	return -EINVAL;
}

/*
 * Run the batch @w leads: each request's inputs into its row, one job,
 * each row of the outputs back to its request.  If the batch cannot run,
 * every request runs alone instead (which also retries a device error).
 */
static void run_batch(struct work *w)
{
	struct batch_model *bm = w->bm;
	struct model_entry *me = w->inst->me;
	uint32_t nin = gconv_model_num_inputs(me->model);
	uint32_t nout = gconv_model_num_outputs(me->model);
	struct gconv_job_result res = { 0 };
	struct work *x, *next;
	uint64_t t0, ns;
	unsigned int n = 0;
	uint32_t i, row;
	char msg[256];
	bool fault, fallback;
	int ret;

	w->bm = NULL; /* if it runs alone and yields, it comes back alone */
	for (x = w; x; x = x->batch_next)
		n++;
	ret = batch_prepare(w, bm);
	if (ret) {
		pthread_mutex_lock(&g.lock);
		if (ret == -EINVAL)
			me->nobatch = true; /* it never will: stop waiting */
		bm->busy = false;
		pthread_mutex_unlock(&g.lock);
		goto alone;
	}
	for (x = w, row = 0; x; x = x->batch_next, row++) {
		for (i = 0; i < nin; i++) {
			const struct gconv_tensor_info *ti =
				gconv_model_input(me->model, i);

			memcpy(gconv_dev_model_input(bm->dm, i) +
				       row * ti->elems,
			       gconv_dev_model_input(x->inst->dm, i),
			       ti->elems * sizeof(float));
		}
		x->t_start = now_ns();
	}
	t0 = now_ns();
	ret = gconv_dev_model_run(bm->dm, w->prio, g.job_timeout_ns, &res, msg,
				  sizeof(msg));
	ns = now_ns() - t0;
	fault = device_fault(ret, &res);
	fallback = ret && (fault || ret != -EIO);
	/* the rows out while the batch model is still this worker's */
	for (x = w, row = 0; !ret && x; x = x->batch_next, row++)
		for (i = 0; i < nout; i++) {
			const struct gconv_tensor_info *ti =
				gconv_model_output(me->model, i);

			memcpy((float *)gconv_dev_model_output(x->inst->dm, i),
			       gconv_dev_model_output(bm->dm, i) +
				       row * ti->elems,
			       ti->elems * sizeof(float));
		}
	pthread_mutex_lock(&g.lock);
	device_count(bm->dev, 1, fault);
	bm->dev->busy_ns += ns;
	bm->busy = false;
	if (!ret) {
		g.batches++;
		g.batched += n;
		batch_hist_add(n);
	}
	pthread_mutex_unlock(&g.lock);
	if (fallback) {
		vlog("a batch of %u for model '%s': %s; running each alone", n,
		     w->inst->name, msg);
		goto alone;
	}
	/* bm and me may go with the last request answered: not used below */
	for (x = w; x; x = next) {
		next = x->batch_next;
		x->batch_next = NULL;
		x->res = res;
		x->rc = ret;
		if (ret)
			snprintf(x->err, sizeof(x->err), "%s", msg);
		x->used_ns = ns / n;
		pthread_mutex_lock(&g.lock);
		stop_locked(x, ns / n);
		x->t_end = now_ns();
		work_done_locked(x);
		pthread_mutex_unlock(&g.lock);
	}
	return;
alone:
	for (x = w; x; x = next) {
		next = x->batch_next;
		x->batch_next = NULL;
		run_infer(x);
	}
}

static void *worker_main(void *arg)
{
	struct work *w = NULL;
	uint64_t wake;

	(void)arg;
	pthread_mutex_lock(&g.lock);
	for (;;) {
		while (!g.quit && !(w = pick_work(&wake))) {
			g.idle++;
			if (wake) {
				struct timespec ts = {
					.tv_sec = (time_t)(wake / 1000000000),
					.tv_nsec = (long)(wake % 1000000000),
				};

				pthread_cond_timedwait(&g.cond, &g.lock, &ts);
			} else {
				pthread_cond_wait(&g.cond, &g.lock);
			}
			g.idle--;
		}
		if (g.quit)
			break;
		/* a batch is waiting too: an idle worker keeps its time */
		if (wake && g.idle)
			pthread_cond_signal(&g.cond);
		w->state = WORK_RUNNING;
		pthread_mutex_unlock(&g.lock);

		if (w->kind == WORK_LOAD) {
			run_load(w);
			pthread_mutex_lock(&g.lock);
			work_done_locked(w);
			continue;
		}
		if (w->bm)
			run_batch(w);
		else
			run_infer(w);
		pthread_mutex_lock(&g.lock);
	}
	pthread_mutex_unlock(&g.lock);
	return NULL;
}

/* ---- sending ----------------------------------------------------------- */

static void conn_close(struct conn *c, const char *why);

/* Send one message (and @fd, if >= 0).  Failing closes the connection. */
static int send_msg(struct conn *c, const void *msg, size_t len, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (c->closed)
		return -EPIPE;
	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		ctl.h.cmsg_level = SOL_SOCKET;
		ctl.h.cmsg_type = SCM_RIGHTS;
		ctl.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&ctl.h), &fd, sizeof(int));
	}
	do
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		return 0;
	conn_close(c, n < 0 && errno == EAGAIN ? "it does not read its replies"
					       : "sending failed");
	return -EPIPE;
}

static void send_error(struct conn *c, uint32_t seq, uint32_t code,
		       const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void send_error(struct conn *c, uint32_t seq, uint32_t code,
		       const char *fmt, ...)
{
	struct gconvd_error_msg e;
	va_list ap;

	memset(&e, 0, sizeof(e));
	gconvd_hdr_init(&e.hdr, GCONVD_MSG_ERROR, sizeof(e), seq);
	e.code = code;
	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	/* vsnprintf leaves the bytes after the NUL as they were: zero */
	vlog("conn %" PRIu64 ": seq %u: %s: %s", c->serial, seq,
	     gconvd_error_str(code), e.message);
	send_msg(c, &e, sizeof(e), -1);
}

static void send_ok(struct conn *c, uint32_t seq)
{
	struct gconvd_ok ok;

	memset(&ok, 0, sizeof(ok));
	gconvd_hdr_init(&ok.hdr, GCONVD_MSG_OK, sizeof(ok), seq);
	send_msg(c, &ok, sizeof(ok), -1);
}

/* ---- connections, instances, work items -------------------------------- */

static void conn_put(struct conn *c)
{
	struct conn **pp;

	if (--c->refs)
		return;
	for (pp = &g.conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	g.nconns--;
	free(c);
	/* a listener paused by EMFILE can take connections again */
	if (g.listen_src && !g.stopping)
		sd_event_source_set_enabled(g.listen_src, SD_EVENT_ON);
}

static void pending_del(struct conn *c, struct work *w)
{
	struct work **pp;

	for (pp = &c->pending; *pp; pp = &(*pp)->cnext) {
		if (*pp == w) {
			*pp = w->cnext;
			return;
		}
	}
}

/* A work item is answered (or dropped): drop what it holds. */
static void work_free(struct work *w)
{
	if (w->model_fd >= 0)
		close(w->model_fd);
	if (w->dm)
		gconv_dev_model_free(w->dm);
	if (w->ctx)
		gconv_ctx_free(w->ctx); /* and the weights import */
	model_entry_put(w->me);
	pending_del(w->conn, w);
	if (w->kind == WORK_LOAD)
		w->conn->nloads--;
	conn_put(w->conn);
	g.outstanding--;
	free(w);
	if (g.stopping && !g.outstanding)
		sd_event_exit(g.ev, 0);
}

/*
 * An instance of @me that tenant @t holds (other than @skip) whose charge
 * includes the weights (@charged) or does not; NULL if none.
 */
static struct instance *tenant_instance(struct tenant *t,
					struct model_entry *me,
					const struct instance *skip,
					bool charged)
{
	struct instance *i;
	struct conn *c;

	for (c = g.conns; c; c = c->next) {
		if (c->tenant != t)
			continue;
		for (i = c->instances; i; i = i->next)
			if (i != skip && i->me == me &&
			    i->weights_charged == charged)
				return i;
	}
	return NULL;
}

/* How the policy batches @inst's model (loop; takes g.lock). */
static void instance_batching(struct instance *inst, const struct policy *p)
{
	const struct model_policy *mp = policy_model(p, inst->name);

	pthread_mutex_lock(&g.lock);
	inst->max_batch = mp ? mp->max_batch : 1;
	inst->batch_delay_ns = mp ? mp->batch_delay_ns : 0;
	pthread_mutex_unlock(&g.lock);
}

static void instance_free(struct instance *inst)
{
	struct tenant *t = inst->conn->tenant;
	uint64_t weights = inst->me->layout.weights_size;
	struct instance *i;

	/* hand the weights' charge to another instance of the tenant */
	if (inst->weights_charged &&
	    (i = tenant_instance(t, inst->me, inst, false))) {
		i->weights_charged = true;
		i->charge += weights;
		inst->charge -= weights;
	}
	t->memory -= inst->charge;
	t->models--;
	pthread_mutex_lock(&g.lock);
	inst->dev->placed -= inst->placed;
	pthread_mutex_unlock(&g.lock);
	gconv_dev_model_free(inst->dm);
	gconv_ctx_free(inst->ctx);
	model_entry_put(inst->me);
	free(inst);
}

/* Take @inst off its connection's list; free it unless a request runs. */
static void instance_remove(struct instance *inst)
{
	struct instance **pp;
	struct conn *c = inst->conn;

	for (pp = &c->instances; *pp; pp = &(*pp)->next) {
		if (*pp == inst) {
			*pp = inst->next;
			break;
		}
	}
	c->ninstances--;
	if (inst->pending)
		inst->dead = true;
	else
		instance_free(inst);
}

/*
 * Cancel @w: a queued INFER leaves its queue and is answered now (true);
 * a running one stops at the next GCONV segment's end and is answered
 * then.
 */
static bool work_cancel(struct work *w)
{
	bool removed = false;

	if (w->kind != WORK_INFER) {
		w->canceled = true;
		return false;
	}
	/* a running request stops at its next segment's end */
	pthread_mutex_lock(&g.lock);
	w->canceled = true;
	if (w->state == WORK_QUEUED)
		removed = queue_remove(w->tenant, w);
	pthread_mutex_unlock(&g.lock);
	if (removed) {
		w->inst->pending = NULL;
		if (w->inst->dead)
			instance_free(w->inst);
		w->tenant->failed++;
	}
	return removed;
}

static void conn_close(struct conn *c, const char *why)
{
	struct work *w, *next;

	if (c->closed)
		return;
	c->closed = true;
	vlog("conn %" PRIu64 " (pid %d uid %u '%s'): closed: %s", c->serial,
	     (int)c->pid, (unsigned int)c->uid, c->client, why);
	c->src = sd_event_source_disable_unref(c->src);
	close(c->fd);
	c->fd = -1;
	/* queued requests go now; running ones and loads when they end */
	for (w = c->pending; w; w = next) {
		next = w->cnext;
		if (work_cancel(w))
			work_free(w);
	}
	while (c->instances)
		instance_remove(c->instances);
	if (c->tenant)
		c->tenant->clients--;
	conn_put(c);
}

/* ---- tenants ----------------------------------------------------------- */

static void tenant_apply(struct tenant *t, const struct tenant_policy *tp)
{
	pthread_mutex_lock(&g.lock);
	t->weight = tp->weight ? tp->weight : 1;
	t->priority = tp->priority;
	t->memory_quota = tp->memory_quota;
	t->max_queued = tp->max_queued;
	t->max_in_flight = tp->max_in_flight;
	pthread_mutex_unlock(&g.lock);
}

static struct tenant *tenant_get(const struct tenant_policy *tp)
{
	struct tenant *t;

	for (t = g.tenants; t; t = t->next)
		if (!strcmp(t->name, tp->name))
			return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	set_name(t->name, sizeof(t->name), tp->name);
	t->pass = g.vtime;
	tenant_apply(t, tp);
	pthread_mutex_lock(&g.lock);
	t->next = g.tenants;
	g.tenants = t;
	pthread_mutex_unlock(&g.lock);
	return t;
}

/* ---- requests ---------------------------------------------------------- */

/* ---- request metrics (the loop's) ------------------------------------ */

/* @t's counters for model @model (made on first use; NULL: no memory). */
static struct mstat *mstat_get(struct tenant *t, const char *model)
{
	struct mstat *ms;

	for (ms = t->mstats; ms; ms = ms->next)
		if (!strcmp(ms->model, model))
			return ms;
	ms = calloc(1, sizeof(*ms));
	if (!ms)
		return NULL;
	set_name(ms->model, sizeof(ms->model), model);
	ms->next = t->mstats;
	t->mstats = ms;
	return ms;
}

static void hist_add(struct hist *h, uint64_t ns)
{
	unsigned int b = 0;

	while (b < NBUCKETS && ns > bucket_ns[b])
		b++;
	h->count[b]++;
	h->sum_ns += ns;
	h->n++;
}

/* A request of @t for @model that failed as @e (ERR_JOB: @status). */
static void count_error(struct tenant *t, const char *model, enum err_label e,
			uint32_t status)
{
	struct mstat *ms = mstat_get(t, model);

	if (!ms)
		return;
	ms->errors[e]++;
	if (e == ERR_JOB && status < 9)
		ms->job_status[status]++;
}

static struct instance *find_instance(struct conn *c, uint32_t id)
{
	struct instance *i;

	for (i = c->instances; i; i = i->next)
		if (i->id == id)
			return i;
	return NULL;
}

static struct work *work_new(struct conn *c, enum work_kind kind, uint32_t seq)
{
	struct work *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->kind = kind;
	w->seq = seq;
	w->conn = c;
	w->tenant = c->tenant;
	w->model_fd = -1;
	w->cnext = c->pending;
	c->pending = w;
	c->refs++;
	g.outstanding++;
	return w;
}

static void do_admin(struct conn *c, const struct gconvd_admin *a);

/* Whether the peer of @c may administer: root or the admin-group. */
static bool admin_allowed(const struct conn *c)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	size_t i;

	if (!c->uid)
		return true;
	if (!g.policy->have_admin_gid)
		return false;
	if (c->gid == g.policy->admin_gid)
		return true;
	/* the peer's supplementary groups, as the kernel saw them */
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		return false;
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == g.policy->admin_gid)
			return true;
	return false;
}

static void hello_admin(struct conn *c, const struct gconvd_hello *h)
{
	struct gconvd_hello_reply r;

	if (h->version_max < 3) {
		send_error(c, h->hdr.seq, GCONVD_E_VERSION,
			   "administration needs protocol version 3");
		conn_close(c, "admin HELLO below version 3");
		return;
	}
	if (!admin_allowed(c)) {
		send_error(c, h->hdr.seq, GCONVD_E_DENIED,
			   "uid %u may not administer gconvd: root or the "
			   "policy's admin-group only",
			   (unsigned int)c->uid);
		conn_close(c, "administration refused");
		return;
	}
	c->admin = true;
	c->version = GCONVD_VERSION;
	vlog("conn %" PRIu64 " (pid %d uid %u '%s'): administration", c->serial,
	     (int)c->pid, (unsigned int)c->uid, c->client);
	memset(&r, 0, sizeof(r));
	gconvd_hdr_init(&r.hdr, GCONVD_MSG_HELLO_REPLY, sizeof(r), h->hdr.seq);
	r.version = GCONVD_VERSION;
	r.backend = gconv_dev_backend(g.devs[0].dev) == GCONV_BACKEND_DRM
			    ? GCONVD_BACKEND_DRM
			    : GCONVD_BACKEND_CPU;
	r.max_msg = GCONVD_MAX_MSG;
	send_msg(c, &r, sizeof(r), -1);
}

static void do_hello(struct conn *c, const struct gconvd_hello *h)
{
	const struct tenant_policy *tp;
	struct gconvd_hello_reply r;
	uint32_t seq = h->hdr.seq;

	if (c->tenant || c->admin) {
		send_error(c, seq, GCONVD_E_ORDER, "HELLO twice");
		conn_close(c, "HELLO twice");
		return;
	}
	set_name(c->client, sizeof(c->client), h->client);
	if (h->version_min > GCONVD_VERSION || h->version_max < 1 ||
	    h->version_min > h->version_max) {
		send_error(c, seq, GCONVD_E_VERSION,
			   "gconvd speaks protocol versions 1 to %d, the "
			   "client %u to %u",
			   GCONVD_VERSION, h->version_min, h->version_max);
		conn_close(c, "no common protocol version");
		return;
	}
	if (h->flags & GCONVD_HELLO_F_ADMIN) {
		hello_admin(c, h);
		return;
	}
	tp = policy_lookup(g.policy, c->uid, c->gid);
	if (!tp) {
		send_error(
			c, seq, GCONVD_E_DENIED,
			"uid %u is in no tenant and unknown users are refused",
			(unsigned int)c->uid);
		conn_close(c, "refused by the policy");
		return;
	}
	c->tenant = tenant_get(tp);
	if (!c->tenant) {
		send_error(c, seq, GCONVD_E_NOMEM, "out of memory");
		conn_close(c, "out of memory");
		return;
	}
	c->tenant->clients++;
	vlog("conn %" PRIu64 " (pid %d uid %u '%s'): tenant '%s'", c->serial,
	     (int)c->pid, (unsigned int)c->uid, c->client, c->tenant->name);

	memset(&r, 0, sizeof(r));
	gconvd_hdr_init(&r.hdr, GCONVD_MSG_HELLO_REPLY, sizeof(r), seq);
	c->version = h->version_max < GCONVD_VERSION ? h->version_max
						     : GCONVD_VERSION;
	r.version = h->version_max < GCONVD_VERSION ? h->version_max
						    : GCONVD_VERSION;
	r.backend = gconv_dev_backend(g.devs[0].dev) == GCONV_BACKEND_DRM
			    ? GCONVD_BACKEND_DRM
			    : GCONVD_BACKEND_CPU;
	r.max_msg = GCONVD_MAX_MSG;
	set_name(r.tenant, sizeof(r.tenant), c->tenant->name);
	pthread_mutex_lock(&g.lock);
	r.max_queued = c->tenant->max_queued;
	r.max_in_flight = c->tenant->max_in_flight;
	r.memory_quota = c->tenant->memory_quota;
	pthread_mutex_unlock(&g.lock);
	send_msg(c, &r, sizeof(r), -1);
}

static void do_load(struct conn *c, const struct gconvd_load *l, int fd)
{
	const struct model_policy *mp;
	const struct tenant_policy *tp;
	struct tenant *t = c->tenant;
	struct work *w;

	tp = policy_find(g.policy, t->name);
	if (!tp || !policy_model_allowed(tp, l->name)) {
		t->rejected++;
		send_error(c, l->hdr.seq, GCONVD_E_DENIED,
			   tp ? "tenant '%s' may not load model '%s'"
			      : "tenant '%s' is no longer in the policy",
			   t->name, l->name);
		close(fd);
		return;
	}
	if (l->format > GCONVD_FORMAT_GCM) {
		send_error(c, l->hdr.seq, GCONVD_E_MODEL,
			   "unknown model format %u", l->format);
		close(fd);
		return;
	}
	if (c->nloads >= MAX_LOADS) {
		send_error(c, l->hdr.seq, GCONVD_E_BUSY,
			   "%u loads in progress on this connection already",
			   MAX_LOADS);
		close(fd);
		return;
	}
	if (c->ninstances + c->nloads >= MAX_INSTANCES) {
		send_error(c, l->hdr.seq, GCONVD_E_NOMEM,
			   "too many models on one connection (at most %u)",
			   MAX_INSTANCES);
		close(fd);
		return;
	}
	w = work_new(c, WORK_LOAD, l->hdr.seq);
	if (!w) {
		send_error(c, l->hdr.seq, GCONVD_E_NOMEM, "out of memory");
		close(fd);
		return;
	}
	w->model_fd = fd;
	w->size = l->size;
	w->format = l->format;
	set_name(w->name, sizeof(w->name), l->name);
	mp = policy_model(g.policy, l->name);
	w->keep_src = mp && mp->max_batch > 1;
	c->nloads++;
	pthread_mutex_lock(&g.lock);
	if (g.load_tail)
		g.load_tail->next = w;
	else
		g.load_head = w;
	g.load_tail = w;
	pthread_cond_signal(&g.cond);
	pthread_mutex_unlock(&g.lock);
}

static void do_unload(struct conn *c, const struct gconvd_unload *u)
{
	struct instance *inst = find_instance(c, u->model_id);
	struct work *w;

	if (!inst) {
		send_error(c, u->hdr.seq, GCONVD_E_NO_MODEL,
			   "no model with id %u on this connection",
			   u->model_id);
		return;
	}
	w = inst->pending;
	if (w) {
		/*
		 * The INFER is answered first.  A running one goes on to its
		 * end on the device (the instance with it), unanswered.
		 */
		send_error(c, w->seq, GCONVD_E_CANCELED,
			   "the model was unloaded");
		if (work_cancel(w))
			work_free(w);
		else
			w->answered = true;
		if (c->closed)
			return;
	}
	instance_remove(inst);
	send_ok(c, u->hdr.seq);
}

static void arm_deadline(uint64_t when);
static void drain_done(void);
static void http_serve(void);

/*
 * Whether the loop thread should run @w itself, now (g.lock held): a
 * request whose model runs in under INLINE_NS, when nothing else waits
 * and a worker is idle, so that the pick would be @w anyway.  It saves
 * the two thread switches to a worker and back, which cost more than
 * such a request runs; the loop is kept from other work no longer than
 * a switch would.
 */
static bool run_here(const struct work *w)
{
	const struct tenant *t;
	uint64_t avg = w->inst->me->avg_ns;

	if (!avg || avg > INLINE_NS || !g.idle || g.load_head ||
	    w->inst->max_batch > 1 ||
	    w->tenant->in_flight >= w->tenant->max_in_flight)
		return false;
	for (t = g.tenants; t; t = t->next)
		if (t->q_head)
			return false;
	return true;
}

/* INFER, or INFER2 with a deadline @deadline_ns after now (0: none). */
static void do_infer(struct conn *c, uint32_t seq, uint32_t model_id,
		     uint64_t deadline_ns)
{
	struct instance *inst = find_instance(c, model_id);
	struct tenant *t = c->tenant;
	uint32_t queued, max;
	struct mstat *ms;
	struct work *w;

	if (!inst) {
		send_error(c, seq, GCONVD_E_NO_MODEL,
			   "no model with id %u on this connection", model_id);
		return;
	}
	if (g.stopping) {
		count_error(t, inst->name, ERR_SHUTDOWN, 0);
		send_error(c, seq, GCONVD_E_SHUTDOWN, "gconvd is stopping");
		return;
	}
	if (inst->pending) {
		t->rejected++;
		count_error(t, inst->name, ERR_BUSY, 0);
		send_error(c, seq, GCONVD_E_BUSY,
			   "model %u already has a request pending (seq %u)",
			   model_id, inst->pending->seq);
		return;
	}
	pthread_mutex_lock(&g.lock);
	queued = t->queued;
	max = t->max_queued;
	pthread_mutex_unlock(&g.lock);
	if (queued >= max) {
		t->rejected++;
		count_error(t, inst->name, ERR_BUSY, 0);
		send_error(c, seq, GCONVD_E_BUSY,
			   "tenant '%s' has %u requests queued (max-queued %u)",
			   t->name, queued, max);
		return;
	}
	w = work_new(c, WORK_INFER, seq);
	if (!w) {
		send_error(c, seq, GCONVD_E_NOMEM, "out of memory");
		return;
	}
	w->inst = inst;
	memcpy(w->name, inst->name, sizeof(w->name));
	w->t_queued = now_ns();
	if (deadline_ns)
		w->deadline = w->t_queued + deadline_ns;
	inst->pending = w;
	t->requests++;
	if ((ms = mstat_get(t, inst->name)))
		ms->requests++;
	pthread_mutex_lock(&g.lock);
	/* a tenant coming back from idle does not bank device time */
	if (!t->q_head && !t->in_flight) {
		uint64_t v = virtual_now();

		if (t->pass < v)
			t->pass = v;
	}
	if (run_here(w)) {
		start_locked(w);
		pthread_mutex_unlock(&g.lock);
		run_infer(w);
		drain_done();
		return;
	}
	if (t->q_tail)
		t->q_tail->next = w;
	else
		t->q_head = w;
	t->q_tail = w;
	t->queued++;
	pthread_cond_signal(&g.cond);
	pthread_mutex_unlock(&g.lock);
	if (w->deadline)
		arm_deadline(w->deadline);
}

static void do_cancel(struct conn *c, const struct gconvd_cancel *x)
{
	struct work *w;

	for (w = c->pending; w; w = w->cnext)
		if (w->kind == WORK_INFER && w->seq == x->target &&
		    !w->canceled && !w->answered)
			break;
	if (!w) {
		send_error(c, x->hdr.seq, GCONVD_E_NO_REQUEST,
			   "no request with seq %u is pending", x->target);
		return;
	}
	send_ok(c, x->hdr.seq);
	if (c->closed)
		return;
	if (work_cancel(w)) {
		send_error(c, w->seq, GCONVD_E_CANCELED, "cancelled");
		work_free(w);
	}
}

static void do_stats(struct conn *c, const struct gconvd_stats *s)
{
	struct gconvd_stats_reply r;
	struct tenant *t = c->tenant;

	memset(&r, 0, sizeof(r));
	gconvd_hdr_init(&r.hdr, GCONVD_MSG_STATS_REPLY, sizeof(r), s->hdr.seq);
	set_name(r.tenant, sizeof(r.tenant), t->name);
	r.requests = t->requests;
	r.completed = t->completed;
	r.failed = t->failed;
	r.rejected = t->rejected;
	pthread_mutex_lock(&g.lock);
	r.queued = t->queued;
	r.in_flight = t->in_flight;
	pthread_mutex_unlock(&g.lock);
	r.clients = t->clients;
	r.models = t->models;
	r.memory = t->memory;
	send_msg(c, &r, sizeof(r), -1);
}

/* ---- finished work ----------------------------------------------------- */

static void load_done(struct work *w)
{
	struct conn *c = w->conn;
	struct tenant *t = w->tenant;
	struct gconvd_load_reply *r;
	struct gconvd_tensor *tt;
	struct instance *inst;
	uint32_t nin, nout, i;
	uint64_t charge, base;
	bool weights_charged;
	size_t len;
	int fd, ret;

	if (c->closed)
		return;
	if (w->code) {
		if (w->code == GCONVD_E_MODEL)
			logmsg("conn %" PRIu64
			       " (pid %d uid %u): model '%s': %s",
			       c->serial, (int)c->pid, (unsigned int)c->uid,
			       w->name, w->err);
		send_error(c, w->seq, w->code, "%s", w->err);
		return;
	}
	nin = gconv_model_num_inputs(w->me->model);
	nout = gconv_model_num_outputs(w->me->model);
	if ((uint64_t)nin + nout > GCONVD_MAX_TENSORS) {
		send_error(c, w->seq, GCONVD_E_MODEL,
			   "the model has %u inputs and outputs, at most %zu "
			   "can be described",
			   nin + nout, (size_t)GCONVD_MAX_TENSORS);
		return;
	}
	charge = gconv_buf_size(gconv_dev_model_arena(w->dm)) +
		 gconv_buf_size(gconv_dev_model_chain(w->dm));
	weights_charged = !tenant_instance(t, w->me, NULL, true);
	if (weights_charged)
		charge += w->me->layout.weights_size;
	pthread_mutex_lock(&g.lock);
	base = t->memory_quota;
	pthread_mutex_unlock(&g.lock);
	if (base && t->memory + charge > base) {
		t->rejected++;
		send_error(c, w->seq, GCONVD_E_QUOTA,
			   "tenant '%s' is over its %" PRIu64
			   "-byte quota: it holds %" PRIu64
			   " bytes and the model needs %" PRIu64,
			   t->name, base, t->memory, charge);
		return;
	}

	len = sizeof(*r) + (size_t)(nin + nout) * sizeof(*tt);
	r = calloc(1, len);
	inst = calloc(1, sizeof(*inst));
	if (!r || !inst) {
		free(r);
		free(inst);
		send_error(c, w->seq, GCONVD_E_NOMEM, "out of memory");
		return;
	}
	tt = (struct gconvd_tensor *)(r + 1);
	for (i = 0; i < nin + nout; i++) {
		const struct gconv_tensor_info *ti =
			i < nin ? gconv_model_input(w->me->model, i)
				: gconv_model_output(w->me->model, i - nin);
		uint32_t d;

		if (strlen(ti->name) >= GCONVD_NAME_LEN || !ti->name[0] ||
		    ti->ndim > GCONVD_MAX_DIMS) {
			send_error(c, w->seq, GCONVD_E_MODEL,
				   "tensor '%.60s' cannot be described (name "
				   "of 1 to %d bytes, at most %d dimensions)",
				   ti->name, GCONVD_NAME_LEN - 1,
				   GCONVD_MAX_DIMS);
			free(r);
			free(inst);
			return;
		}
		set_name(tt[i].name, sizeof(tt[i].name), ti->name);
		tt[i].dtype = ti->dtype;
		tt[i].ndim = ti->ndim;
		for (d = 0; d < ti->ndim; d++)
			tt[i].dims[d] = ti->dims[d];
		tt[i].offset = ti->addr - w->me->layout.arena_addr;
		tt[i].bytes = ti->elems * sizeof(float);
	}
	ret = gconv_buf_export(gconv_dev_model_arena(w->dm), &fd);
	if (ret) {
		free(r);
		free(inst);
		send_error(c, w->seq, GCONVD_E_DEVICE,
			   "exporting the I/O buffer: %s", strerror(-ret));
		return;
	}

	inst->id = ++c->next_id ? c->next_id : ++c->next_id;
	set_name(inst->name, sizeof(inst->name), w->name);
	inst->conn = c;
	inst->me = w->me;
	inst->dev = w->dev;
	inst->segment = UINT32_MAX;
	inst->placed = gconv_buf_size(gconv_dev_model_arena(w->dm)) +
		       gconv_buf_size(gconv_dev_model_chain(w->dm));
	instance_batching(inst, g.policy);
	pthread_mutex_lock(&g.lock);
	inst->dev->placed += inst->placed;
	pthread_mutex_unlock(&g.lock);
	inst->ctx = w->ctx;
	inst->weights = w->weights;
	inst->dm = w->dm;
	inst->charge = charge;
	inst->weights_charged = weights_charged;
	w->me = NULL;
	w->ctx = NULL;
	w->weights = NULL;
	w->dm = NULL;
	inst->next = c->instances;
	c->instances = inst;
	c->ninstances++;
	t->memory += charge;
	t->models++;

	gconvd_hdr_init(&r->hdr, GCONVD_MSG_LOAD_REPLY, (uint32_t)len, w->seq);
	r->model_id = inst->id;
	r->n_inputs = nin;
	r->n_outputs = nout;
	r->gconvs = gconv_model_gconv_count(inst->me->model);
	r->io_size = gconv_buf_size(gconv_dev_model_arena(inst->dm));
	r->hash = inst->me->hash;
	vlog("conn %" PRIu64 ": model '%s' loaded as %u (%u GCONVs, %" PRIu64
	     " bytes charged)",
	     c->serial, w->name, inst->id, r->gconvs, charge);
	send_msg(c, r, len, fd);
	close(fd);
	free(r);
}

static void infer_done(struct work *w)
{
	struct conn *c = w->conn;
	struct instance *inst = w->inst;
	struct gconvd_infer_reply r;
	struct tenant *t = w->tenant;
	struct mstat *ms;

	inst->pending = NULL;
	if (inst->dead) {
		/* unloaded, or its connection closed, while it ran */
		instance_free(inst);
		inst = NULL;
	}
	if (c->closed || w->answered) {
		t->failed++;
		count_error(t, w->name, ERR_CANCELED, 0);
		return;
	}
	if (w->expired && inst && !w->canceled) {
		t->failed++;
		count_error(t, w->name, ERR_DEADLINE, 0);
		send_error(c, w->seq, GCONVD_E_DEADLINE,
			   "deadline exceeded: it waited %" PRIu64
			   " ms in the queue, the deadline was %" PRIu64 " ms",
			   (now_ns() - w->t_queued) / 1000000,
			   (w->deadline - w->t_queued) / 1000000);
		return;
	}
	if (w->canceled || !inst) {
		t->failed++;
		count_error(t, w->name, ERR_CANCELED, 0);
		send_error(c, w->seq, GCONVD_E_CANCELED,
			   inst ? "cancelled" : "the model was unloaded");
		return;
	}
	if (w->rc && w->rc != -EIO) {
		t->failed++;
		count_error(t, w->name, ERR_DEVICE, 0);
		send_error(c, w->seq, GCONVD_E_DEVICE,
			   "the job did not run: %s", w->err);
		return;
	}
	if (w->res.status == GCONV_JOB_OK)
		t->completed++;
	else
		t->failed++;
	if ((ms = mstat_get(t, w->name))) {
		if (w->res.status == GCONV_JOB_OK)
			ms->completed++;
		else
			count_error(t, w->name, ERR_JOB, w->res.status);
		hist_add(&ms->queue, w->t_start - w->t_queued);
		hist_add(&ms->exec, w->used_ns);
	}
	memset(&r, 0, sizeof(r));
	gconvd_hdr_init(&r.hdr, GCONVD_MSG_INFER_REPLY, sizeof(r), w->seq);
	r.model_id = inst->id;
	r.status = w->res.status;
	r.queue_ns = w->t_start - w->t_queued;
	r.exec_ns = w->used_ns;
	send_msg(c, &r, sizeof(r), -1);
}

/*
 * Deadlines: a timer for the earliest deadline of a queued request.  When
 * it fires, every queued request whose deadline passed leaves its queue
 * and is answered GCONVD_E_DEADLINE (the done list does that); the timer
 * is set again for the next.  Workers also refuse to start a request whose
 * deadline passed (pick_work()).
 */
static int on_deadline(sd_event_source *s, uint64_t usec, void *data)
{
	uint64_t now = now_ns(), next = 0;
	struct tenant *t;
	struct work **pp, *w, *prev;

	(void)s;
	(void)usec;
	(void)data;
	g.deadline_armed = 0;
	pthread_mutex_lock(&g.lock);
	for (t = g.tenants; t; t = t->next) {
		prev = NULL;
		for (pp = &t->q_head; (w = *pp);) {
			if (w->deadline && !w->t_start && w->deadline <= now) {
				*pp = w->next;
				if (t->q_tail == w)
					t->q_tail = prev;
				t->queued--;
				w->expired = true;
				work_done_locked(w);
				continue;
			}
			if (w->deadline && !w->t_start &&
			    (!next || w->deadline < next))
				next = w->deadline;
			prev = w;
			pp = &w->next;
		}
	}
	pthread_mutex_unlock(&g.lock);
	if (next)
		arm_deadline(next);
	drain_done(); /* what expired: the loop is not woken for it */
	return 0;
}

/* Have on_deadline() run at @when (CLOCK_MONOTONIC ns) or earlier. */
static void arm_deadline(uint64_t when)
{
	uint64_t usec = (when + 999) / 1000;
	int r;

	if (g.deadline_armed && g.deadline_armed <= when)
		return;
	if (!g.deadline_src) {
		r = sd_event_add_time(g.ev, &g.deadline_src, CLOCK_MONOTONIC,
				      usec, 1000, on_deadline, NULL);
	} else {
		r = sd_event_source_set_time(g.deadline_src, usec);
		if (r >= 0)
			r = sd_event_source_set_enabled(g.deadline_src,
							SD_EVENT_ONESHOT);
	}
	if (r < 0) {
		/* the workers still refuse late requests */
		logmsg("deadline timer: %s", strerror(-r));
		return;
	}
	g.deadline_armed = when;
}

static int on_wake(sd_event_source *s, int fd, uint32_t revents, void *data)
{
	uint64_t v;

	(void)s;
	(void)revents;
	(void)data;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		logmsg("eventfd read: %s", strerror(errno));
	drain_done();
	http_serve();
	return 0;
}

/* Answer and free every finished work item. */
static void drain_done(void)
{
	struct work *w;

	for (;;) {
		pthread_mutex_lock(&g.lock);
		w = g.done_head;
		if (w) {
			g.done_head = w->next;
			if (!g.done_head)
				g.done_tail = NULL;
		}
		pthread_mutex_unlock(&g.lock);
		if (!w)
			break;
		if (w->kind == WORK_LOAD)
			load_done(w);
		else
			infer_done(w);
		work_free(w);
	}
}

/* ---- administration (gconvctl; protocol version 3) ---------------------- */

static const char *const prio_names[] = {
	[PRIO_BATCH] = "batch",
	[PRIO_NORMAL] = "normal",
	[PRIO_REALTIME] = "realtime",
};

static const char *const job_status_names[9] = {
	"ok",	   "invalid", "mmu_fault",	"dma_error", "timeout",
	"aborted", "error",   "bad_completion", "banned",
};

static const char *const err_names[ERR_NLABELS] = {
	[ERR_BUSY] = "busy",	     [ERR_SHUTDOWN] = "shutdown",
	[ERR_DEADLINE] = "deadline", [ERR_CANCELED] = "canceled",
	[ERR_DEVICE] = "device",     [ERR_JOB] = "job",
};

static const char *device_state(const struct device *d)
{
	return d->failed ? "taken out" : d->draining ? "draining" : "working";
}

static void jadd_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void jadd_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static json_object *admin_status(void)
{
	json_object *o = json_object_new_object(), *devs;
	uint64_t queued = 0, running = 0;
	unsigned int clients = 0, admins = 0, i, models = 0;
	struct model_entry *me;
	struct tenant *t;
	struct conn *c;

	for (c = g.conns; c; c = c->next) {
		if (c->admin)
			admins++;
		else if (c->tenant)
			clients++;
	}
	jadd_str(o, "version", GCONVD_VERSION_STR);
	jadd_int(o, "protocol", GCONVD_VERSION);
	jadd_int(o, "pid", getpid());
	jadd_int(o, "uptime_ns", (int64_t)(now_ns() - g.start_ns));
	jadd_int(o, "workers", g.nworkers);
	jadd_str(o, "policy", g.policy_path ? g.policy_path : "(built-in)");
	jadd_str(o, "socket", g.socket_path);
	jadd_int(o, "clients", clients);
	jadd_int(o, "admin_clients", admins);
	devs = json_object_new_array();
	pthread_mutex_lock(&g.lock);
	for (t = g.tenants; t; t = t->next) {
		queued += t->queued;
		running += t->in_flight;
	}
	for (me = g.models; me; me = me->next)
		models++;
	for (i = 0; i < g.ndevs; i++) {
		const struct device *d = &g.devs[i];
		json_object *x = json_object_new_object();

		jadd_int(x, "index", d->index);
		jadd_str(x, "spec", d->spec);
		jadd_str(x, "name", gconv_dev_name(d->dev));
		jadd_str(x, "backend",
			 gconv_dev_backend(d->dev) == GCONV_BACKEND_DRM
				 ? "drm"
				 : "cpu");
		jadd_str(x, "state", device_state(d));
		jadd_int(x, "placed_bytes", (int64_t)d->placed);
		jadd_int(x, "jobs", (int64_t)d->jobs);
		jadd_int(x, "device_errors", (int64_t)d->device_errors);
		jadd_int(x, "retries", (int64_t)d->retries);
		jadd_int(x, "models_moved_in", (int64_t)d->moved_in);
		jadd_int(x, "busy_ns", (int64_t)d->busy_ns);
		json_object_array_add(devs, x);
	}
	pthread_mutex_unlock(&g.lock);
	for (t = g.tenants, i = 0; t; t = t->next)
		i++;
	jadd_int(o, "tenants", i);
	jadd_int(o, "models_cached", models);
	jadd_int(o, "queued", (int64_t)queued);
	jadd_int(o, "running", (int64_t)running);
	jadd_int(o, "segment", g.segment);
	jadd_int(o, "batches", (int64_t)g.batches);
	jadd_int(o, "batched_requests", (int64_t)g.batched);
	json_object_object_add(o, "devices", devs);
	return o;
}

static json_object *admin_tenants(void)
{
	json_object *a = json_object_new_array();
	struct tenant *t;

	for (t = g.tenants; t; t = t->next) {
		json_object *x = json_object_new_object();

		jadd_str(x, "name", t->name);
		jadd_int(x, "clients", t->clients);
		jadd_int(x, "models", t->models);
		jadd_int(x, "memory", (int64_t)t->memory);
		jadd_int(x, "requests", (int64_t)t->requests);
		jadd_int(x, "completed", (int64_t)t->completed);
		jadd_int(x, "failed", (int64_t)t->failed);
		jadd_int(x, "rejected", (int64_t)t->rejected);
		pthread_mutex_lock(&g.lock);
		jadd_str(x, "priority", prio_names[t->priority]);
		jadd_int(x, "weight", t->weight);
		jadd_int(x, "memory_quota", (int64_t)t->memory_quota);
		jadd_int(x, "max_queued", t->max_queued);
		jadd_int(x, "max_in_flight", t->max_in_flight);
		jadd_int(x, "queued", t->queued);
		jadd_int(x, "running", t->in_flight);
		jadd_int(x, "device_ns", (int64_t)t->device_ns);
		pthread_mutex_unlock(&g.lock);
		json_object_array_add(a, x);
	}
	return a;
}

static json_object *admin_jobs(void)
{
	json_object *a = json_object_new_array();
	uint64_t now = now_ns();
	struct conn *c;
	struct work *w;

	pthread_mutex_lock(&g.lock);
	for (c = g.conns; c; c = c->next) {
		for (w = c->pending; w; w = w->cnext) {
			json_object *x = json_object_new_object();
			const char *state;

			if (w->answered)
				continue;
			if (w->kind == WORK_LOAD)
				state = "loading";
			else if (w->state == WORK_RUNNING)
				state = "running";
			else if (w->state == WORK_DONE)
				state = "finishing";
			else
				state = w->t_start ? "yielded" : "queued";
			jadd_str(x, "tenant", w->tenant ? w->tenant->name : "");
			jadd_int(x, "pid", c->pid);
			jadd_int(x, "uid", c->uid);
			jadd_str(x, "client", c->client);
			jadd_str(x, "model", w->name);
			jadd_int(x, "model_id", w->inst ? w->inst->id : 0);
			jadd_int(x, "seq", w->seq);
			jadd_str(x, "state", state);
			if (w->inst)
				jadd_int(x, "device", w->inst->dev->index);
			jadd_int(x, "waited_ns",
				 (int64_t)(now -
					   (w->t_queued ? w->t_queued : now)));
			jadd_int(x, "ran_ns", (int64_t)w->used_ns);
			if (w->deadline)
				jadd_int(x, "deadline_in_ns",
					 (int64_t)w->deadline - (int64_t)now);
			json_object_array_add(a, x);
		}
	}
	pthread_mutex_unlock(&g.lock);
	return a;
}

static json_object *admin_clients(void)
{
	json_object *a = json_object_new_array();
	struct conn *c;

	for (c = g.conns; c; c = c->next) {
		json_object *x = json_object_new_object();
		unsigned int pending = 0;
		struct work *w;

		if (c->closed)
			continue;
		for (w = c->pending; w; w = w->cnext)
			pending += !w->answered;
		jadd_int(x, "pid", c->pid);
		jadd_int(x, "uid", c->uid);
		jadd_int(x, "gid", c->gid);
		jadd_str(x, "client", c->client);
		jadd_str(x, "tenant", c->tenant ? c->tenant->name : "");
		json_object_object_add(x, "admin",
				       json_object_new_boolean(c->admin));
		jadd_int(x, "protocol", c->version);
		jadd_int(x, "models", c->ninstances);
		jadd_int(x, "pending", pending);
		json_object_array_add(a, x);
	}
	return a;
}

/* Prometheus label values: backslash, quote and newline escaped. */
static void prom_str(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void prom_hist(FILE *f, const char *name, const struct tenant *t,
		      const struct mstat *ms, const struct hist *h)
{
	uint64_t cum = 0;
	unsigned int b;

	for (b = 0; b <= NBUCKETS; b++) {
		cum += h->count[b];
		fprintf(f, "%s_bucket{tenant=\"", name);
		prom_str(f, t->name);
		fputs("\",model=\"", f);
		prom_str(f, ms->model);
		if (b < NBUCKETS)
			fprintf(f, "\",le=\"%g\"} %" PRIu64 "\n",
				(double)bucket_ns[b] / 1e9, cum);
		else
			fprintf(f, "\",le=\"+Inf\"} %" PRIu64 "\n", cum);
	}
	fprintf(f, "%s_sum{tenant=\"", name);
	prom_str(f, t->name);
	fputs("\",model=\"", f);
	prom_str(f, ms->model);
	fprintf(f, "\"} %.9f\n", (double)h->sum_ns / 1e9);
	fprintf(f, "%s_count{tenant=\"", name);
	prom_str(f, t->name);
	fputs("\",model=\"", f);
	prom_str(f, ms->model);
	fprintf(f, "\"} %" PRIu64 "\n", h->n);
}

/* One metric's HELP and TYPE lines. */
static void prom_head(FILE *f, const char *name, const char *type,
		      const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static double dev_up(const struct device *d)
{
	return !d->failed;
}

static double dev_draining(const struct device *d)
{
	return d->draining;
}

static double dev_busy(const struct device *d)
{
	return (double)d->busy_ns / 1e9;
}

static double dev_jobs(const struct device *d)
{
	return (double)d->jobs;
}

static double dev_errors(const struct device *d)
{
	return (double)d->device_errors;
}

static double dev_placed(const struct device *d)
{
	return (double)d->placed;
}

/* The per-device metrics (g.lock held while read). */
static const struct {
	const char *name, *type, *help;
	double (*value)(const struct device *d);
} dev_metrics[] = {
	{ "gconvd_device_up", "gauge",
	  "1 if the device takes work, 0 if it was taken out after device "
	  "errors.",
	  dev_up },
	{ "gconvd_device_draining", "gauge",
	  "1 if the device is being drained (gconvctl drain).", dev_draining },
	{ "gconvd_device_busy_seconds_total", "counter",
	  "Time jobs ran on the device, as gconvd measures it.", dev_busy },
	{ "gconvd_device_jobs_total", "counter",
	  "Jobs (segments and batches) run on the device.", dev_jobs },
	{ "gconvd_device_errors_total", "counter",
	  "Device errors (timeouts, resets, DMA and engine errors).",
	  dev_errors },
	{ "gconvd_device_placed_bytes", "gauge",
	  "Bytes of model instances and weights placed on the device.",
	  dev_placed },
};

/* Every metric, in the Prometheus text format 0.0.4 (the loop's). */
static char *metrics_text(size_t *len)
{
	static const unsigned int sizes[7] = { 1, 2, 4, 8, 16, 32, 64 };
	const struct mstat *ms;
	const struct tenant *t;
	char *buf = NULL;
	unsigned int i, e;
	size_t m;
	uint64_t cum = 0, conns = 0, models = 0;
	const struct conn *c;
	const struct model_entry *me;
	FILE *f;

	f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	prom_head(f, "gconvd_requests_total", "counter",
		  "Inference requests accepted, by tenant and model.");
	for (t = g.tenants; t; t = t->next)
		for (ms = t->mstats; ms; ms = ms->next) {
			fputs("gconvd_requests_total{tenant=\"", f);
			prom_str(f, t->name);
			fputs("\",model=\"", f);
			prom_str(f, ms->model);
			fprintf(f, "\"} %" PRIu64 "\n", ms->requests);
		}
	prom_head(f, "gconvd_requests_completed_total", "counter",
		  "Inference requests that ended OK.");
	for (t = g.tenants; t; t = t->next)
		for (ms = t->mstats; ms; ms = ms->next) {
			fputs("gconvd_requests_completed_total{tenant=\"", f);
			prom_str(f, t->name);
			fputs("\",model=\"", f);
			prom_str(f, ms->model);
			fprintf(f, "\"} %" PRIu64 "\n", ms->completed);
		}
	prom_head(f, "gconvd_request_errors_total", "counter",
		  "Requests refused or failed, by error (busy, shutdown, "
		  "deadline, canceled, device, or job_STATUS: the device "
		  "job's status).");
	for (t = g.tenants; t; t = t->next)
		for (ms = t->mstats; ms; ms = ms->next)
			for (e = 0; e < ERR_JOB + 8; e++) {
				/* the labels before ERR_JOB, then job_STATUS
				 * for the statuses 1..8 */
				uint64_t v =
					e < ERR_JOB
						? ms->errors[e]
						: ms->job_status[e - ERR_JOB +
								 1];

				if (!v)
					continue;
				fputs("gconvd_request_errors_total{tenant=\"",
				      f);
				prom_str(f, t->name);
				fputs("\",model=\"", f);
				prom_str(f, ms->model);
				fprintf(f, "\",error=\"%s%s\"} %" PRIu64 "\n",
					e < ERR_JOB ? "" : "job_",
					e < ERR_JOB
						? err_names[e]
						: job_status_names[e - ERR_JOB +
								   1],
					v);
			}
	prom_head(f, "gconvd_request_queue_seconds", "histogram",
		  "Time requests waited in gconvd's queue before they ran.");
	for (t = g.tenants; t; t = t->next)
		for (ms = t->mstats; ms; ms = ms->next)
			prom_hist(f, "gconvd_request_queue_seconds", t, ms,
				  &ms->queue);
	prom_head(f, "gconvd_request_exec_seconds", "histogram",
		  "Time requests ran on a device (all their segments).");
	for (t = g.tenants; t; t = t->next)
		for (ms = t->mstats; ms; ms = ms->next)
			prom_hist(f, "gconvd_request_exec_seconds", t, ms,
				  &ms->exec);

	pthread_mutex_lock(&g.lock);
	prom_head(f, "gconvd_tenant_queued", "gauge",
		  "Requests waiting, by tenant.");
	for (t = g.tenants; t; t = t->next) {
		fputs("gconvd_tenant_queued{tenant=\"", f);
		prom_str(f, t->name);
		fprintf(f, "\"} %u\n", t->queued);
	}
	prom_head(f, "gconvd_tenant_running", "gauge",
		  "Requests running, by tenant.");
	for (t = g.tenants; t; t = t->next) {
		fputs("gconvd_tenant_running{tenant=\"", f);
		prom_str(f, t->name);
		fprintf(f, "\"} %u\n", t->in_flight);
	}
	prom_head(f, "gconvd_tenant_device_seconds_total", "counter",
		  "Device time the tenant's requests used.");
	for (t = g.tenants; t; t = t->next) {
		fputs("gconvd_tenant_device_seconds_total{tenant=\"", f);
		prom_str(f, t->name);
		fprintf(f, "\"} %.9f\n", (double)t->device_ns / 1e9);
	}
	prom_head(f, "gconvd_tenant_memory_bytes", "gauge",
		  "Device memory charged to the tenant.");
	for (t = g.tenants; t; t = t->next) {
		fputs("gconvd_tenant_memory_bytes{tenant=\"", f);
		prom_str(f, t->name);
		fprintf(f, "\"} %" PRIu64 "\n", t->memory);
	}
	for (m = 0; m < sizeof(dev_metrics) / sizeof(dev_metrics[0]); m++) {
		prom_head(f, dev_metrics[m].name, dev_metrics[m].type,
			  dev_metrics[m].help);
		for (i = 0; i < g.ndevs; i++) {
			fprintf(f, "%s{device=\"%u\",spec=\"",
				dev_metrics[m].name, i);
			prom_str(f, g.devs[i].spec);
			fprintf(f, "\"} %.9g\n",
				dev_metrics[m].value(&g.devs[i]));
		}
	}
	prom_head(f, "gconvd_batch_size", "histogram",
		  "Requests per device run: 1 unbatched, more in a dynamic "
		  "batch.");
	for (i = 0; i < 7; i++) {
		cum += g.batch_hist[i];
		fprintf(f, "gconvd_batch_size_bucket{le=\"%u\"} %" PRIu64 "\n",
			sizes[i], cum);
	}
	fprintf(f, "gconvd_batch_size_bucket{le=\"+Inf\"} %" PRIu64 "\n", cum);
	fprintf(f, "gconvd_batch_size_count %" PRIu64 "\n", cum);
	for (me = g.models; me; me = me->next)
		models++;
	pthread_mutex_unlock(&g.lock);
	for (c = g.conns; c; c = c->next)
		conns += !c->closed && !c->admin;
	prom_head(f, "gconvd_connections", "gauge", "Client connections.");
	fprintf(f, "gconvd_connections %" PRIu64 "\n", conns);
	prom_head(f, "gconvd_models_cached", "gauge",
		  "Compiled models in the cache.");
	fprintf(f, "gconvd_models_cached %" PRIu64 "\n", models);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Send @len bytes of @doc as the ADMIN_REPLY to @a, in a sealed memfd. */
static void admin_reply(struct conn *c, const struct gconvd_admin *a,
			uint32_t format, const char *doc, size_t len)
{
	struct gconvd_admin_reply r;
	size_t off = 0;
	int fd;

	fd = memfd_create("gconvd-admin", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		send_error(c, a->hdr.seq, GCONVD_E_NOMEM, "memfd: %s",
			   strerror(errno));
		return;
	}
	while (off < len) {
		ssize_t n = write(fd, doc + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			send_error(c, a->hdr.seq, GCONVD_E_NOMEM,
				   "writing the answer: %s", strerror(errno));
			close(fd);
			return;
		}
		off += (size_t)n;
	}
	fcntl(fd, F_ADD_SEALS,
	      F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	memset(&r, 0, sizeof(r));
	gconvd_hdr_init(&r.hdr, GCONVD_MSG_ADMIN_REPLY, sizeof(r), a->hdr.seq);
	r.op = a->op;
	r.format = format;
	r.size = len;
	send_msg(c, &r, sizeof(r), fd);
	close(fd);
}

/* gconvctl tenant set NAME weight=N priority=CLASS ... */
static void admin_tenant_set(struct conn *c, const struct gconvd_admin *a)
{
	const struct tenant_policy *tp = policy_find(g.policy, a->name);
	uint32_t weight = 0, max_queued = 0, max_in_flight = 0;
	char arg[sizeof(a->arg)], *tok, *save = NULL;
	int prio = -1;
	struct tenant *t;

	for (t = g.tenants; t; t = t->next)
		if (!strcmp(t->name, a->name))
			break;
	if (!t && !tp) {
		send_error(c, a->hdr.seq, GCONVD_E_NOT_FOUND,
			   "no tenant '%s' in the policy", a->name);
		return;
	}
	memcpy(arg, a->arg, sizeof(arg));
	for (tok = strtok_r(arg, " ,", &save); tok;
	     tok = strtok_r(NULL, " ,", &save)) {
		char *v = strchr(tok, '=');
		unsigned long long n;
		char *end;

		if (!v)
			goto bad;
		*v++ = '\0';
		if (!strcmp(tok, "priority")) {
			for (prio = 0; prio <= PRIO_REALTIME; prio++)
				if (!strcmp(v, prio_names[prio]))
					break;
			if (prio > PRIO_REALTIME)
				goto bad;
			continue;
		}
		errno = 0;
		n = strtoull(v, &end, 10);
		if (errno || !*v || *end || *v == '-' || !n)
			goto bad;
		if (!strcmp(tok, "weight") && n <= 1000000)
			weight = (uint32_t)n;
		else if (!strcmp(tok, "max-queued") && n <= 1000000)
			max_queued = (uint32_t)n;
		else if (!strcmp(tok, "max-in-flight") && n <= 1024)
			max_in_flight = (uint32_t)n;
		else
			goto bad;
	}
	if (prio < 0 && !weight && !max_queued && !max_in_flight)
		goto bad;
	if (!t)
		t = tenant_get(tp);
	if (!t) {
		send_error(c, a->hdr.seq, GCONVD_E_NOMEM, "out of memory");
		return;
	}
	pthread_mutex_lock(&g.lock);
	if (prio >= 0)
		t->priority = (enum tenant_priority)prio;
	if (weight)
		t->weight = weight;
	if (max_queued)
		t->max_queued = max_queued;
	if (max_in_flight)
		t->max_in_flight = max_in_flight;
	pthread_cond_broadcast(&g.cond);
	pthread_mutex_unlock(&g.lock);
	logmsg("tenant '%s' set by uid %u: %s (until the policy is reloaded)",
	       t->name, (unsigned int)c->uid, a->arg);
	send_ok(c, a->hdr.seq);
	return;
bad:
	send_error(c, a->hdr.seq, GCONVD_E_INVALID,
		   "bad settings '%s': expected weight=1..1000000, "
		   "priority=realtime|normal|batch, max-queued=1..1000000 or "
		   "max-in-flight=1..1024",
		   a->arg);
}

/* The device @name names: its index, its --device spec or its node. */
static struct device *find_device(const char *name)
{
	unsigned int i;
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(name, &end, 10);
	if (*name && !*end && !errno && n < g.ndevs)
		return &g.devs[n];
	for (i = 0; i < g.ndevs; i++)
		if (!strcmp(name, g.devs[i].spec) ||
		    !strcmp(name, gconv_dev_name(g.devs[i].dev)))
			return &g.devs[i];
	return NULL;
}

static void admin_drain(struct conn *c, const struct gconvd_admin *a, bool on)
{
	struct device *d = find_device(a->name);

	if (!d) {
		send_error(c, a->hdr.seq, GCONVD_E_NOT_FOUND,
			   "gconvd has no device '%s' (an index 0..%u, a "
			   "--device spec or a node)",
			   a->name, g.ndevs - 1);
		return;
	}
	pthread_mutex_lock(&g.lock);
	d->draining = on;
	pthread_cond_broadcast(&g.cond);
	pthread_mutex_unlock(&g.lock);
	logmsg("device %u (%s) %s by uid %u", d->index, d->spec,
	       on ? "drains: its models move to the other devices as they "
		    "next run"
		  : "takes work again",
	       (unsigned int)c->uid);
	send_ok(c, a->hdr.seq);
}

static void do_admin(struct conn *c, const struct gconvd_admin *a)
{
	json_object *doc = NULL;
	const char *text;
	char *buf;
	size_t len;

	switch (a->op) {
	case GCONVD_ADMIN_STATUS:
		doc = admin_status();
		break;
	case GCONVD_ADMIN_TENANTS:
		doc = admin_tenants();
		break;
	case GCONVD_ADMIN_JOBS:
		doc = admin_jobs();
		break;
	case GCONVD_ADMIN_CLIENTS:
		doc = admin_clients();
		break;
	case GCONVD_ADMIN_METRICS:
		buf = metrics_text(&len);
		if (!buf) {
			send_error(c, a->hdr.seq, GCONVD_E_NOMEM,
				   "out of memory");
			return;
		}
		admin_reply(c, a, GCONVD_ADMIN_TEXT, buf, len);
		free(buf);
		return;
	case GCONVD_ADMIN_TENANT_SET:
		admin_tenant_set(c, a);
		return;
	case GCONVD_ADMIN_DRAIN:
	case GCONVD_ADMIN_UNDRAIN:
		admin_drain(c, a, a->op == GCONVD_ADMIN_DRAIN);
		return;
	}
	if (!doc) {
		send_error(c, a->hdr.seq, GCONVD_E_NOMEM, "out of memory");
		return;
	}
	text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	admin_reply(c, a, GCONVD_ADMIN_JSON, text, strlen(text));
	json_object_put(doc);
}

/* ---- the metrics endpoint (libmicrohttpd) ------------------------------- */

/*
 * With metrics-port set, GET /metrics on 127.0.0.1:PORT answers what
 * `gconvctl metrics` prints.  libmicrohttpd serves from a thread of its
 * own; the text is made by the loop thread, which owns what it reads:
 * the HTTP thread asks through the eventfd and waits (at most 5 s).
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool want, ready, closing;
	char *text;
	size_t len;
	struct MHD_Daemon *d;
	uint32_t port;
} http = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

/* On the loop: make the text a waiting HTTP request asked for. */
static void http_serve(void)
{
	pthread_mutex_lock(&http.lock);
	if (http.want) {
		free(http.text);
		http.text = metrics_text(&http.len);
		http.want = false;
		http.ready = true;
		pthread_cond_broadcast(&http.cond);
	}
	pthread_mutex_unlock(&http.lock);
}

static enum MHD_Result http_answer(struct MHD_Connection *conn,
				   unsigned int code, const char *type,
				   char *body, size_t len,
				   enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_http(void *cls, struct MHD_Connection *conn,
			       const char *url, const char *method,
			       const char *version, const char *upload_data,
			       size_t *upload_size, void **req_cls)
{
	static char not_found[] = "gconvd serves /metrics only\n";
	static char busy[] = "gconvd is not answering\n";
	struct timespec until;
	char *text = NULL;
	size_t len = 0;

	(void)cls;
	(void)version;
	(void)upload_data;
	if (!*req_cls) { /* the headers; the body (none) comes next */
		*req_cls = &http;
		return MHD_YES;
	}
	if (*upload_size)
		return MHD_NO;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return http_answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				   "text/plain", not_found,
				   sizeof(not_found) - 1,
				   MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return http_answer(conn, MHD_HTTP_NOT_FOUND, "text/plain",
				   not_found, sizeof(not_found) - 1,
				   MHD_RESPMEM_PERSISTENT);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&http.lock);
	if (!http.closing) {
		http.want = true;
		http.ready = false;
		wake_loop();
		while (!http.ready && !http.closing &&
		       !pthread_cond_timedwait(&http.cond, &http.lock, &until))
			;
		if (http.ready && http.text) {
			text = http.text;
			len = http.len;
			http.text = NULL;
		}
		http.ready = false;
	}
	pthread_mutex_unlock(&http.lock);
	if (!text)
		return http_answer(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				   "text/plain", busy, sizeof(busy) - 1,
				   MHD_RESPMEM_PERSISTENT);
	return http_answer(conn, MHD_HTTP_OK,
			   "text/plain; version=0.0.4; charset=utf-8", text,
			   len, MHD_RESPMEM_MUST_FREE);
}

static void http_stop(void)
{
	if (!http.d)
		return;
	pthread_mutex_lock(&http.lock);
	http.closing = true;
	pthread_cond_broadcast(&http.cond);
	pthread_mutex_unlock(&http.lock);
	MHD_stop_daemon(http.d);
	http.d = NULL;
	http.port = 0;
	free(http.text);
	http.text = NULL;
}

/* Serve on 127.0.0.1:@port (0: stop serving).  0 or -1 (logged). */
static int http_start(uint32_t port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	if (port == http.port && (http.d || !port))
		return 0;
	http_stop();
	if (!port)
		return 0;
	http.closing = false;
	http.d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
		(uint16_t)port, NULL, NULL, on_http, NULL, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&sin, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)16, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)10, MHD_OPTION_END);
	if (!http.d) {
		logmsg("metrics: cannot serve on 127.0.0.1:%u (in use?)", port);
		return -1;
	}
	http.port = port;
	logmsg("metrics on http://127.0.0.1:%u/metrics", port);
	return 0;
}

/* ---- receiving --------------------------------------------------------- */

static bool is_request(uint16_t type)
{
	switch (type) {
	case GCONVD_MSG_HELLO:
	case GCONVD_MSG_LOAD:
	case GCONVD_MSG_UNLOAD:
	case GCONVD_MSG_INFER:
	case GCONVD_MSG_INFER2:
	case GCONVD_MSG_CANCEL:
	case GCONVD_MSG_STATS:
	case GCONVD_MSG_ADMIN:
		return true;
	default:
		return false;
	}
}

/* Malformed: say why (seq of the header if one was readable) and close. */
static void protocol_error(struct conn *c, const void *msg, size_t len,
			   const char *why)
{
	struct gconvd_hdr h;
	uint32_t seq = 0;

	if (len >= sizeof(h)) {
		memcpy(&h, msg, sizeof(h));
		if (h.magic == GCONVD_MAGIC)
			seq = h.seq;
	}
	logmsg("conn %" PRIu64 " (pid %d uid %u '%s'): malformed message: %s",
	       c->serial, (int)c->pid, (unsigned int)c->uid, c->client, why);
	send_error(c, seq, GCONVD_E_PROTOCOL, "malformed message: %s", why);
	conn_close(c, "malformed message");
}

/* Returns true if it took fds[0] (a LOAD's model), false if not. */
static bool handle_msg(struct conn *c, const uint8_t *msg, size_t len,
		       const int *fds, unsigned int nfds)
{
	union {
		struct gconvd_hdr hdr;
		struct gconvd_hello hello;
		struct gconvd_load load;
		struct gconvd_unload unload;
		struct gconvd_infer infer;
		struct gconvd_infer2 infer2;
		struct gconvd_cancel cancel;
		struct gconvd_stats stats;
		struct gconvd_admin admin;
	} m;
	char why[256];
	struct work *w;

	/* before HELLO: the newest version (whose HELLO has every field) */
	if (gconvd_msg_check_version(msg, len, nfds,
				     c->version ? c->version : GCONVD_VERSION,
				     why, sizeof(why))) {
		protocol_error(c, msg, len, why);
		return false;
	}
	memcpy(&m.hdr, msg, sizeof(m.hdr));
	if (!is_request(m.hdr.type)) {
		snprintf(why, sizeof(why), "%s is not a request",
			 gconvd_msg_name(m.hdr.type));
		protocol_error(c, msg, len, why);
		return false;
	}
	if (!m.hdr.seq) {
		protocol_error(c, msg, len, "seq 0 (reserved for gconvd)");
		return false;
	}
	for (w = c->pending; w; w = w->cnext) {
		if (w->seq == m.hdr.seq && !w->answered) {
			snprintf(why, sizeof(why), "seq %u is already pending",
				 m.hdr.seq);
			protocol_error(c, msg, len, why);
			return false;
		}
	}
	memcpy(&m, msg, len < sizeof(m) ? len : sizeof(m));
	if (!c->tenant && !c->admin && m.hdr.type != GCONVD_MSG_HELLO) {
		send_error(c, m.hdr.seq, GCONVD_E_ORDER, "%s before HELLO",
			   gconvd_msg_name(m.hdr.type));
		conn_close(c, "a request before HELLO");
		return false;
	}
	/* an admin connection only administers; a tenant's never does */
	if (m.hdr.type != GCONVD_MSG_HELLO &&
	    c->admin != (m.hdr.type == GCONVD_MSG_ADMIN)) {
		send_error(c, m.hdr.seq, GCONVD_E_ORDER,
			   c->admin ? "%s on an administration connection"
				    : "%s needs an administration connection "
				      "(HELLO with GCONVD_HELLO_F_ADMIN)",
			   gconvd_msg_name(m.hdr.type));
		return false;
	}
	switch (m.hdr.type) {
	case GCONVD_MSG_HELLO:
		do_hello(c, &m.hello);
		break;
	case GCONVD_MSG_LOAD:
		if (g.stopping) {
			send_error(c, m.hdr.seq, GCONVD_E_SHUTDOWN,
				   "gconvd is stopping");
			close(fds[0]);
			return true;
		}
		do_load(c, &m.load, fds[0]);
		return true;
	case GCONVD_MSG_UNLOAD:
		do_unload(c, &m.unload);
		break;
	case GCONVD_MSG_INFER:
		do_infer(c, m.hdr.seq, m.infer.model_id, 0);
		break;
	case GCONVD_MSG_INFER2:
		do_infer(c, m.hdr.seq, m.infer2.model_id, m.infer2.deadline_ns);
		break;
	case GCONVD_MSG_CANCEL:
		do_cancel(c, &m.cancel);
		break;
	case GCONVD_MSG_STATS:
		do_stats(c, &m.stats);
		break;
	case GCONVD_MSG_ADMIN:
		do_admin(c, &m.admin);
		break;
	}
	return false;
}

static int on_conn(sd_event_source *s, int fd, uint32_t revents, void *data)
{
	static uint8_t buf[GCONVD_MAX_MSG + 1];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 8)];
	} ctl;
	struct conn *c = data;
	int fds[8];
	unsigned int nfds, i, round;
	struct cmsghdr *cm;
	ssize_t n;

	(void)s;
	(void)revents;
	c->refs++;
	for (round = 0; round < CONN_ROUNDS && !c->closed; round++) {
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctl.buf,
			.msg_controllen = sizeof(ctl.buf),
		};

		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_close(c, strerror(errno));
			break;
		}
		nfds = 0;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			size_t k;

			if (cm->cmsg_level != SOL_SOCKET ||
			    cm->cmsg_type != SCM_RIGHTS)
				continue;
			k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < k; i++) {
				int f;

				memcpy(&f, CMSG_DATA(cm) + i * sizeof(int),
				       sizeof(int));
				if (nfds < 8)
					fds[nfds++] = f;
				else
					close(f);
			}
		}
		if (n == 0 && !nfds) {
			conn_close(c, "the client hung up");
			break;
		}
		if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			for (i = 0; i < nfds; i++)
				close(fds[i]);
			protocol_error(c, buf, (size_t)n,
				       mh.msg_flags & MSG_TRUNC
					       ? "longer than GCONVD_MAX_MSG"
					       : "too many descriptors");
			break;
		}
		i = handle_msg(c, buf, (size_t)n, fds, nfds) ? 1 : 0;
		for (; i < nfds; i++)
			close(fds[i]);
	}
	conn_put(c);
	return 0;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *data)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int sndbuf = SNDBUF_BYTES;
	struct conn *c;
	int cfd;

	(void)revents;
	(void)data;
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			logmsg("accept: %s", strerror(errno));
		if (errno == EMFILE || errno == ENFILE)
			sd_event_source_set_enabled(s, SD_EVENT_OFF);
		return 0;
	}
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		logmsg("SO_PEERCRED: %s", strerror(errno));
		close(cfd);
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(cfd);
		return 0;
	}
	c->fd = cfd;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->pid = cred.pid;
	c->serial = ++g.conn_serial;
	c->refs = 1;
	c->next = g.conns;
	g.conns = c;
	g.nconns++;
	if (g.nconns > MAX_CONNS) {
		send_error(c, 0, GCONVD_E_BUSY,
			   "gconvd has %u connections already", MAX_CONNS);
		conn_close(c, "too many connections");
		return 0;
	}
	setsockopt(cfd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (sd_event_add_io(g.ev, &c->src, cfd, EPOLLIN, on_conn, c) < 0) {
		conn_close(c, "sd_event_add_io failed");
		return 0;
	}
	vlog("conn %" PRIu64 ": pid %d uid %u gid %u connected", c->serial,
	     (int)c->pid, (unsigned int)c->uid, (unsigned int)c->gid);
	return 0;
}

/* ---- signals ----------------------------------------------------------- */

static int on_term(sd_event_source *s, const struct signalfd_siginfo *si,
		   void *data)
{
	(void)s;
	(void)data;
	if (g.stopping)
		return 0;
	logmsg("stopping (signal %u): %u requests to finish", si->ssi_signo,
	       g.outstanding);
	sd_notify(0, "STOPPING=1");
	g.stopping = true;
	g.listen_src = sd_event_source_disable_unref(g.listen_src);
	if (!g.outstanding)
		sd_event_exit(g.ev, 0);
	return 0;
}

static int on_hup(sd_event_source *s, const struct signalfd_siginfo *si,
		  void *data)
{
	const struct tenant_policy *tp;
	struct instance *inst;
	struct policy *p;
	struct tenant *t;
	struct conn *c;
	char err[512];
	unsigned int i;

	(void)s;
	(void)si;
	(void)data;
	sd_notify(0, "RELOADING=1");
	if (policy_load(g.policy_path, &p, err, sizeof(err))) {
		logmsg("policy reload failed: %s; keeping the old policy", err);
		sd_notify(0, "READY=1");
		return 0;
	}
	for (t = g.tenants; t; t = t->next) {
		tp = policy_find(p, t->name);
		if (tp)
			tenant_apply(t, tp);
	}
	for (c = g.conns; c; c = c->next)
		for (inst = c->instances; inst; inst = inst->next)
			instance_batching(inst, p);
	pthread_mutex_lock(&g.lock);
	g.segment = p->segment;
	g.device_errors = p->device_errors;
	/* devices taken out get another chance */
	for (i = 0; i < g.ndevs; i++) {
		if (g.devs[i].failed)
			logmsg("device %u (%s) is back in service", i,
			       g.devs[i].spec);
		g.devs[i].failed = false;
		g.devs[i].errors = 0;
	}
	pthread_cond_broadcast(&g.cond);
	pthread_mutex_unlock(&g.lock);
	policy_free(g.policy);
	g.policy = p;
	http_start(p->metrics_port);
	logmsg("policy reloaded from %s (%zu tenants)",
	       g.policy_path ? g.policy_path : "(built-in policy)",
	       p->ntenants);
	sd_notify(0, "READY=1");
	return 0;
}

/* ---- the socket -------------------------------------------------------- */

static int make_dirs(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int open_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n, fd, probe;

	n = sd_listen_fds(1);
	if (n < 0) {
		logmsg("sd_listen_fds: %s", strerror(-n));
		return -1;
	}
	if (n > 1) {
		logmsg("socket activation passed %d sockets, expected one", n);
		return -1;
	}
	if (n == 1) {
		fd = SD_LISTEN_FDS_START;
		if (sd_is_socket_unix(fd, SOCK_SEQPACKET, 1, NULL, 0) <= 0) {
			logmsg("the socket systemd passed is not a listening "
			       "AF_UNIX SOCK_SEQPACKET socket");
			return -1;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		g.socket_path = "(socket activation)";
		return fd;
	}

	if (strlen(g.socket_path) >= sizeof(sa.sun_path)) {
		logmsg("socket path too long: %s", g.socket_path);
		return -1;
	}
	strcpy(sa.sun_path, g.socket_path);
	n = make_dirs(g.socket_path);
	if (n) {
		logmsg("creating the directory of %s: %s", g.socket_path,
		       strerror(-n));
		return -1;
	}
	/* something answers there: another gconvd */
	probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		if (!connect(probe, (struct sockaddr *)&sa, sizeof(sa))) {
			close(probe);
			logmsg("%s: another gconvd is already running there",
			       g.socket_path);
			return -1;
		}
		close(probe);
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		logmsg("socket: %s", strerror(errno));
		return -1;
	}
	unlink(g.socket_path); /* stale: nothing answered */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(g.socket_path, 0666) < 0 || listen(fd, 128) < 0) {
		logmsg("%s: %s", g.socket_path, strerror(errno));
		close(fd);
		return -1;
	}
	g.own_socket = true;
	return fd;
}

/* ---- main -------------------------------------------------------------- */

/*
 * A fatal signal: say which, and where, on stderr (the journal) before
 * dying of it, so that a crash leaves more than a vanished socket.  Only
 * async-signal-safe calls (backtrace() was warmed up at startup).
 */
static void on_fatal(int sig)
{
	static const char head[] = "gconvd: fatal signal, backtrace:\n";
	void *frames[64];
	int n;

	if (write(STDERR_FILENO, head, sizeof(head) - 1) >= 0) {
		n = backtrace(frames, 64);
		backtrace_symbols_fd(frames, n, STDERR_FILENO);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_fatal_signals(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	void *warm[1];
	unsigned int i;

	backtrace(warm, 1); /* loads the unwinder now, not in the handler */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], on_fatal);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gconvd [--device SPEC]... [--socket PATH] [--policy "
		"FILE]\n"
		"              [--foreground] [--workers N] [--job-timeout MS] "
		"[--verbose]\n"
		"\n"
		"The gconv multi-tenant inference daemon (docs/gconvd.md).\n"
		"\n"
		"  --device SPEC    a device to run on, up to %d times: cpu "
		"(default;\n"
		"                   the engine in gconvd), drm (the first "
		"gconv "
		"accel\n"
		"                   device), drm:N or drm:/dev/accel/accelN; "
		"--backend\n"
		"                   is the same option\n"
		"  --socket PATH    listen there (default %s;\n"
		"                   a socket passed by systemd takes "
		"precedence)\n"
		"  --policy FILE    tenants and limits (default %s if it\n"
		"                   exists, else every user is tenant "
		"'default')\n"
		"  --foreground     stay in the foreground (else fork once "
		"listening)\n"
		"  --workers N      inferences run at once, 1-%d (default 2)\n"
		"  --job-timeout MS the longest one inference may take "
		"(default 120000)\n"
		"  --verbose        log every connection and failed request\n"
		"  --version        print the version and exit\n"
		"\n"
		"SIGTERM drains accepted requests and exits; SIGHUP reloads "
		"the policy.\n",
		MAX_DEVICES, GCONVD_DEFAULT_SOCKET, DEFAULT_POLICY,
		MAX_WORKERS);
}

static int parse_uint(const char *s, unsigned long long max,
		      unsigned long long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || *end || *out > max)
		return -1;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "device", required_argument, NULL, 'b' },
		{ "socket", required_argument, NULL, 's' },
		{ "policy", required_argument, NULL, 'p' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "workers", required_argument, NULL, 'w' },
		{ "job-timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned long long v;
	int opt;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'b':
			if (g.nspecs >= MAX_DEVICES) {
				fprintf(stderr, "gconvd: at most %d devices\n",
					MAX_DEVICES);
				return 2;
			}
			g.specs[g.nspecs++] = optarg;
			break;
		case 's':
			g.socket_path = optarg;
			break;
		case 'p':
			g.policy_path = optarg;
			break;
		case 'f':
			g.foreground = true;
			break;
		case 'w':
			if (parse_uint(optarg, MAX_WORKERS, &v) || !v) {
				fprintf(stderr,
					"gconvd: --workers must be 1 to %d, "
					"not '%s'\n",
					MAX_WORKERS, optarg);
				return 2;
			}
			g.nworkers = (unsigned int)v;
			break;
		case 't':
			if (parse_uint(optarg, 86400000, &v) || !v) {
				fprintf(stderr,
					"gconvd: --job-timeout must be 1 to "
					"86400000 ms, not '%s'\n",
					optarg);
				return 2;
			}
			g.job_timeout_ns = (int64_t)v * 1000000;
			break;
		case 'v':
			g.verbose = true;
			break;
		case 'V':
			printf("gconvd %s (protocol version %d)\n",
			       GCONVD_VERSION_STR, GCONVD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "gconvd: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	return -1;
}

/* Fork into the background: the parent exits once the child is set up. */
static int daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0) {
		logmsg("fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		logmsg("setsid: %s", strerror(errno));
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

static void cleanup(void)
{
	struct tenant *t;
	struct conn *c;
	unsigned int i;

	http_stop();
	pthread_mutex_lock(&g.lock);
	g.quit = true;
	pthread_cond_broadcast(&g.cond);
	pthread_mutex_unlock(&g.lock);
	for (i = 0; i < g.started; i++)
		pthread_join(g.workers[i], NULL);
	/* work done but not answered, and loads never started: free them */
	if (g.efd >= 0)
		on_wake(NULL, g.efd, 0, NULL);
	while (g.load_head) {
		struct work *w = g.load_head;

		g.load_head = w->next;
		work_free(w);
	}
	g.load_tail = NULL;
	for (c = g.conns; c;) {
		struct conn *next = c->next;

		c->refs++;
		if (!c->closed && c->tenant)
			send_error(c, 0, GCONVD_E_SHUTDOWN,
				   "gconvd is exiting");
		conn_close(c, "gconvd exits");
		conn_put(c);
		c = next;
	}
	while (g.tenants) {
		t = g.tenants;
		g.tenants = t->next;
		while (t->q_head) {
			struct work *w = t->q_head;

			t->q_head = w->next;
			free(w);
		}
		while (t->mstats) {
			struct mstat *ms = t->mstats;

			t->mstats = ms->next;
			free(ms);
		}
		free(t);
	}
	g.efd_src = sd_event_source_disable_unref(g.efd_src);
	g.deadline_src = sd_event_source_disable_unref(g.deadline_src);
	g.listen_src = sd_event_source_disable_unref(g.listen_src);
	if (g.efd >= 0)
		close(g.efd);
	if (g.listen_fd >= 0)
		close(g.listen_fd);
	if (g.own_socket)
		unlink(g.socket_path);
	while (g.models) {
		struct model_entry *me = g.models;

		g.models = me->next;
		model_entry_free(me);
	}
	if (g.batches)
		logmsg("batching: %" PRIu64 " requests ran in %" PRIu64
		       " batches",
		       g.batched, g.batches);
	for (i = 0; i < g.ndevs; i++) {
		struct device *d = &g.devs[i];

		if (d->jobs)
			logmsg("device %u (%s): %" PRIu64 " jobs, %" PRIu64
			       " device errors, %" PRIu64 " retried, %" PRIu64
			       " models moved in%s",
			       i, d->spec, d->jobs, d->device_errors,
			       d->retries, d->moved_in,
			       d->failed ? ", taken out" : "");
		if (d->shared)
			gconv_ctx_free(d->shared);
		gconv_dev_close(d->dev);
	}
	policy_free(g.policy);
	g.ev = sd_event_unref(g.ev);
}

int main(int argc, char **argv)
{
	pthread_condattr_t ca;
	struct rlimit rl;
	char err[512];
	sigset_t ss;
	unsigned int i;
	int ret;

	ret = parse_args(argc, argv);
	if (ret >= 0)
		return ret;
	signal(SIGPIPE, SIG_IGN);
	catch_fatal_signals();
	/*
	 * Every instance holds descriptors (a context, buffers): take the
	 * hard limit on open files, not the soft 1024.
	 */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (!g.policy_path && !access(DEFAULT_POLICY, F_OK))
		g.policy_path = DEFAULT_POLICY;
	if (policy_load(g.policy_path, &g.policy, err, sizeof(err))) {
		logmsg("bad policy: %s", err);
		return 1;
	}
	g.segment = g.policy->segment;
	g.device_errors = g.policy->device_errors;
	if (!g.nspecs)
		g.specs[g.nspecs++] = "cpu";
	for (i = 0; i < g.nspecs; i++) {
		struct device *d = &g.devs[i];

		d->index = i;
		d->spec = g.specs[i];
		if (gconv_dev_open(d->spec, &d->dev, err, sizeof(err))) {
			logmsg("opening device '%s': %s", d->spec, err);
			goto fail;
		}
		g.ndevs++;
		if (gconv_ctx_create(d->dev, &d->shared, err, sizeof(err))) {
			logmsg("a context for shared weights on %s: %s",
			       d->spec, err);
			goto fail;
		}
	}
	/* workers wait for batches by CLOCK_MONOTONIC */
	if (pthread_condattr_init(&ca) ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
	    pthread_cond_destroy(&g.cond) || pthread_cond_init(&g.cond, &ca)) {
		logmsg("a monotonic condition variable: failed");
		goto fail;
	}
	pthread_condattr_destroy(&ca);
	g.listen_fd = open_socket();
	if (g.listen_fd < 0)
		goto fail;
	if (!g.foreground && daemonize())
		goto fail;

	/* every thread inherits the mask: sd-event takes these as events */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	g.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (g.efd < 0) {
		logmsg("eventfd: %s", strerror(errno));
		goto fail;
	}
	ret = sd_event_default(&g.ev);
	if (ret >= 0)
		ret = sd_event_add_io(g.ev, &g.listen_src, g.listen_fd, EPOLLIN,
				      on_accept, NULL);
	if (ret >= 0)
		ret = sd_event_add_io(g.ev, &g.efd_src, g.efd, EPOLLIN, on_wake,
				      NULL);
	if (ret >= 0)
		ret = sd_event_add_signal(g.ev, NULL, SIGTERM, on_term, NULL);
	if (ret >= 0)
		ret = sd_event_add_signal(g.ev, NULL, SIGINT, on_term, NULL);
	if (ret >= 0)
		ret = sd_event_add_signal(g.ev, NULL, SIGHUP, on_hup, NULL);
	if (ret < 0) {
		logmsg("sd-event: %s", strerror(-ret));
		goto fail;
	}
	if (http_start(g.policy->metrics_port))
		goto fail;
	g.loop_thread = pthread_self();
	g.start_ns = now_ns();
	for (i = 0; i < g.nworkers; i++) {
		ret = pthread_create(&g.workers[i], NULL, worker_main, NULL);
		if (ret) {
			logmsg("pthread_create: %s", strerror(ret));
			goto fail;
		}
		g.started++;
	}
	{
		char names[MAX_DEVICES * 72] = "";
		size_t off = 0;

		for (i = 0; i < g.ndevs && off < sizeof(names); i++)
			off += (size_t)snprintf(names + off,
						sizeof(names) - off, "%s%s",
						i ? ", " : "", g.devs[i].spec);
		logmsg("ready on %s (device%s %s, policy %s, %u workers)",
		       g.socket_path, g.ndevs > 1 ? "s" : "", names,
		       g.policy_path ? g.policy_path : "built-in", g.nworkers);
	}
	sd_notify(0, "READY=1");
	ret = sd_event_loop(g.ev);
	if (ret < 0)
		logmsg("event loop: %s", strerror(-ret));
	cleanup();
	logmsg("exit");
	return ret < 0 ? 1 : 0;

fail:
	cleanup();
	return 1;
}

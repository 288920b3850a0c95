/* SPDX-License-Identifier: MIT */
/*
 * libgconvdev: the client of gconvd, the multi-tenant inference daemon
 * (its protocol: gconv/protocol.h and docs/protocol.md).
 *
 * A gconv_client is one connection to gconvd; a gconv_client_model is one
 * instance of a model that gconvd loaded for it, with its own I/O buffer
 * shared with gconvd (inputs are written there, outputs read there, with
 * no copies).  An instance runs one inference at a time; load a model
 * several times to have several requests of it in flight.
 *
 *	struct gconv_client *c;
 *	struct gconv_client_model *m;
 *	char err[512];
 *
 *	if (gconv_client_connect(NULL, "my-server", &c, err, sizeof(err)))
 *		errx(1, "%s", err);
 *	if (gconv_client_load_file(c, "digits.gcm", NULL, &m, err,
 *				   sizeof(err)))
 *		errx(1, "%s", err);
 *	memcpy(gconv_client_input_data(m, 0), image,
 *	       gconv_client_input(m, 0)->bytes);
 *	if (gconv_client_infer(m, NULL, err, sizeof(err)))
 *		errx(1, "%s", err);
 *	use(gconv_client_output_data(m, 0), gconv_client_output(m, 0)->elems);
 *	gconv_client_close(c);		// frees m too
 *
 * Several requests in flight: start one on each instance, then wait.
 *
 *	for (i = 0; i < n; i++)
 *		gconv_client_infer_start(inst[i], err, sizeof(err));
 *	for (i = 0; i < n; i++)
 *		gconv_client_infer_wait(inst[i], -1, NULL, err, sizeof(err));
 *
 * Reconnection.  If gconvd goes away (it exits, restarts, or closes the
 * connection), every request in flight fails with -ECONNRESET and "gconvd
 * went away while the request was in flight"; nothing is retried behind
 * the caller's back.  The next call that needs gconvd connects again and
 * reloads every model of the client from the copy of its file the client
 * keeps (a sealed memfd), so the client's gconv_client_model pointers stay
 * valid.  What the instances' I/O buffers held is copied into the new
 * buffers, and the library tries to map them at the same addresses, but
 * the data and tensor pointers MAY CHANGE: after any call returns an
 * error, get them again with the accessors (gconv_client_input_data() and
 * friends) before using them.  A request that failed this way has to be
 * made again (after rewriting its inputs: gconvd does not promise that an
 * inference leaves them intact).
 *
 * Errors: every function that can fail returns 0 or a negative errno and
 * writes a human-readable reason into @err (may be NULL).  gconvd's own
 * errors carry its message and the code's name, e.g. "gconvd: tenant
 * 'batch' is over its 1073741824-byte quota (GCONVD_E_QUOTA)", and map to
 * errnos as follows:
 *
 *	GCONVD_E_PROTOCOL, GCONVD_E_ORDER  -EPROTO
 *	GCONVD_E_VERSION        -EPROTONOSUPPORT
 *	GCONVD_E_DENIED         -EACCES
 *	GCONVD_E_QUOTA          -EDQUOT
 *	GCONVD_E_BUSY           -EBUSY (the tenant's queue is full: retry)
 *	GCONVD_E_NO_MODEL       -ENOENT
 *	GCONVD_E_MODEL          -EINVAL (the model does not load or compile)
 *	GCONVD_E_DEVICE, GCONVD_E_INTERNAL  -EIO
 *	GCONVD_E_CANCELED       -ECANCELED
 *	GCONVD_E_SHUTDOWN       -ESHUTDOWN
 *	GCONVD_E_NOMEM          -ENOMEM
 *	GCONVD_E_NO_REQUEST     -ESRCH
 *	GCONVD_E_DEADLINE       -ETIME (the deadline passed before it ran)
 *
 * and, from the library itself: -ECONNRESET (gconvd went away during the
 * request), -EPROTO (gconvd sent a malformed message: the connection is
 * closed, and the next call reconnects), -ECONNREFUSED / -ENOENT (nothing
 * listens at the socket), -ETIMEDOUT (gconv_client_infer_wait()'s
 * timeout), -EBUSY (the instance already has a request pending).
 *
 * Thread safety: a client and its models are used by one thread at a
 * time; different clients are independent.  The library installs no
 * signal handlers (it sends with MSG_NOSIGNAL: no SIGPIPE) and keeps no
 * global state.  Every file descriptor it opens is close-on-exec.
 */
#ifndef GCONV_CLIENT_H
#define GCONV_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <gconv/engine.h> /* GCONV_EXPORT */
#include <gconv/protocol.h>

#ifdef __cplusplus
extern "C" {
#endif

struct gconv_client;
struct gconv_client_model;

/* What gconvd said at the last (re)connection. */
struct gconv_client_info {
	uint32_t version;	      /* the protocol version in use */
	uint32_t backend;	      /* enum gconvd_backend_id */
	char tenant[GCONVD_NAME_LEN]; /* the policy's tenant for us */
	uint32_t max_queued;	      /* the tenant's limits */
	uint32_t max_in_flight;
	uint64_t memory_quota; /* bytes; 0: none */
	uint64_t connects; /* successful connections so far (1 + reconnects) */
};

/* An input or output of an instance: a row-major tensor in its I/O buffer. */
struct gconv_client_tensor {
	const char *name;
	uint32_t dtype; /* enum gconv_dtype: GCONV_DTYPE_F32 */
	uint32_t ndim;
	int64_t dims[GCONVD_MAX_DIMS];
	uint64_t elems;
	uint64_t bytes;
};

/* How long one inference took, as gconvd measured it. */
struct gconv_client_timing {
	uint64_t queue_ns; /* waiting in gconvd's queue */
	uint64_t exec_ns;  /* on the device */
};

/* The client's tenant, as gconvd counts it (GCONVD_MSG_STATS_REPLY). */
struct gconv_client_stats {
	char tenant[GCONVD_NAME_LEN];
	uint64_t requests;  /* inferences accepted */
	uint64_t completed; /* ended OK */
	uint64_t failed;    /* ended with an error */
	uint64_t rejected;  /* refused: busy, quota, policy */
	uint32_t queued;    /* now waiting */
	uint32_t in_flight; /* now running */
	uint32_t clients;   /* connections of the tenant */
	uint32_t models;    /* instances of the tenant */
	uint64_t memory;    /* device memory charged to the tenant */
};

/* ---- connections --------------------------------------------------------- */

/*
 * Connect to gconvd at @socket_path (NULL: $GCONVD_SOCKET if set and not
 * empty, else GCONVD_DEFAULT_SOCKET) and say hello: protocol versions 1 to
 * GCONVD_VERSION are offered, and @client_name (NULL: "libgconvdev"; at
 * most GCONVD_NAME_LEN - 1 bytes) names the client in gconvd's logs and
 * statistics.  gconvd answers with the tenant its policy gives us
 * (gconv_client_get_info()); an unknown user may be refused (-EACCES).
 */
GCONV_EXPORT int gconv_client_connect(const char *socket_path,
				      const char *client_name,
				      struct gconv_client **out, char *err,
				      size_t errlen);

/* Close the connection and free every model of the client.  NULL is fine. */
GCONV_EXPORT void gconv_client_close(struct gconv_client *c);

GCONV_EXPORT void gconv_client_get_info(const struct gconv_client *c,
					struct gconv_client_info *info);
/* The socket path in use. */
GCONV_EXPORT const char *gconv_client_socket(const struct gconv_client *c);

/* The tenant's counters (one round trip). */
GCONV_EXPORT int gconv_client_stats(struct gconv_client *c,
				    struct gconv_client_stats *stats, char *err,
				    size_t errlen);

/* ---- models -------------------------------------------------------------- */

/*
 * Load a model (ONNX or .gcm, told apart by gconvd from its first bytes)
 * from the file at @path, or from @len bytes at @buf: the library copies
 * it into a sealed memfd, passes that to gconvd, and keeps it for
 * reloading after a reconnection.  @name is the model's name for the
 * policy's list of allowed models (NULL: the file's base name without
 * a .onnx or .gcm ending for gconv_client_load_file(), so that
 * "models/digits.onnx" is "digits"; "" for gconv_client_load_buffer()).  On
 * success *@out is a new instance with its I/O buffer mapped.
 */
GCONV_EXPORT int gconv_client_load_file(struct gconv_client *c,
					const char *path, const char *name,
					struct gconv_client_model **out,
					char *err, size_t errlen);
GCONV_EXPORT int gconv_client_load_buffer(struct gconv_client *c,
					  const void *buf, size_t len,
					  const char *name,
					  struct gconv_client_model **out,
					  char *err, size_t errlen);

/*
 * Unload the instance and free @m, always (its request, if one is pending,
 * is abandoned: gconvd cancels it).  Returns 0, or gconvd's error; if the
 * connection is gone, gconvd no longer holds the instance and this is 0.
 */
GCONV_EXPORT int gconv_client_unload(struct gconv_client_model *m, char *err,
				     size_t errlen);

/* ---- an instance's tensors ----------------------------------------------- */

GCONV_EXPORT uint32_t
gconv_client_num_inputs(const struct gconv_client_model *m);
GCONV_EXPORT uint32_t
gconv_client_num_outputs(const struct gconv_client_model *m);
/* Input/output @i, or NULL if out of range. */
GCONV_EXPORT const struct gconv_client_tensor *
gconv_client_input(const struct gconv_client_model *m, uint32_t i);
GCONV_EXPORT const struct gconv_client_tensor *
gconv_client_output(const struct gconv_client_model *m, uint32_t i);
/* Index of the input/output called @name, or -1. */
GCONV_EXPORT int gconv_client_find_input(const struct gconv_client_model *m,
					 const char *name);
GCONV_EXPORT int gconv_client_find_output(const struct gconv_client_model *m,
					  const char *name);
/*
 * Where input/output @i lives in the I/O buffer (NULL if out of range, or
 * if the instance is not loaded because reloading it failed).  Write the
 * inputs before each inference; read the outputs after it ended, until the
 * next one starts.  See "Reconnection" above: get these again after an
 * error.
 */
GCONV_EXPORT float *gconv_client_input_data(struct gconv_client_model *m,
					    uint32_t i);
GCONV_EXPORT const float *gconv_client_output_data(struct gconv_client_model *m,
						   uint32_t i);

/* The model's identity on gconvd's side. */
GCONV_EXPORT uint64_t
gconv_client_model_hash(const struct gconv_client_model *m);
GCONV_EXPORT uint32_t
gconv_client_model_gconvs(const struct gconv_client_model *m);

/* ---- inference ----------------------------------------------------------- */

/*
 * Run the instance once on the inputs in its I/O buffer and wait for the
 * outputs (gconv_client_infer_start() + gconv_client_infer_wait(-1)).
 * @timing (may be NULL) gets gconvd's measurements.  A job that failed on
 * the device is -EIO with its status named.
 */
GCONV_EXPORT int gconv_client_infer(struct gconv_client_model *m,
				    struct gconv_client_timing *timing,
				    char *err, size_t errlen);

/*
 * Send the inference and return at once.  -EBUSY if the instance already
 * has one that has not been waited for.
 */
GCONV_EXPORT int gconv_client_infer_start(struct gconv_client_model *m,
					  char *err, size_t errlen);
/*
 * The same with a deadline: if gconvd has not started the inference
 * @deadline_ns after receiving it, it is not run and its wait returns
 * -ETIME ("deadline exceeded").  0: no deadline.  Needs protocol version
 * 2 (-EOPNOTSUPP with an older gconvd).
 */
GCONV_EXPORT int gconv_client_infer_start_deadline(struct gconv_client_model *m,
						   uint64_t deadline_ns,
						   char *err, size_t errlen);
/*
 * Wait up to @timeout_ms (< 0: no limit; 0: just look) for the inference
 * started on @m to end, handling the replies of the client's other
 * instances as they come.  Returns its result (0, or how it failed) and
 * makes the instance ready for the next one; -ETIMEDOUT if it is still
 * running (wait again, or cancel); -EINVAL if none was started.
 */
GCONV_EXPORT int gconv_client_infer_wait(struct gconv_client_model *m,
					 int timeout_ms,
					 struct gconv_client_timing *timing,
					 char *err, size_t errlen);
/*
 * Ask gconvd to cancel the instance's pending inference.  Returns 0 once
 * gconvd has answered (the inference, when waited for, then reports
 * -ECANCELED, or its result if it ended first), -ESRCH if no inference is
 * pending.  A job already running on the device may run to its end.
 */
GCONV_EXPORT int gconv_client_cancel(struct gconv_client_model *m, char *err,
				     size_t errlen);

/* ---- administration (protocol version 3) ---------------------------- */

/*
 * An administration connection (what gconvctl uses): for root and the
 * members of gconvd's admin-group (-EACCES otherwise).  It has no tenant;
 * only gconv_client_admin() and gconv_client_close() apply to it.
 */
GCONV_EXPORT int gconv_client_admin_connect(const char *socket_path,
					    const char *client_name,
					    struct gconv_client **out,
					    char *err, size_t errlen);
/*
 * One administration operation (enum gconvd_admin_op, protocol.h), on
 * @name with settings @arg (either may be NULL).  A query returns its
 * document in *@doc (NUL-terminated, the caller frees it; *@len bytes):
 * JSON, or Prometheus text for GCONVD_ADMIN_METRICS.  A change returns 0
 * once applied.  -ENOENT: no such tenant or device; -EINVAL: bad settings.
 */
GCONV_EXPORT int gconv_client_admin(struct gconv_client *c, uint32_t op,
				    const char *name, const char *arg,
				    char **doc, size_t *len, char *err,
				    size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* GCONV_CLIENT_H */

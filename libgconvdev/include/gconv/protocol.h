/* SPDX-License-Identifier: MIT */
/*
 * gconvd's wire protocol, versions 1 and 2 (docs/protocol.md explains
 * it; version 2 adds INFER2, an INFER with a deadline, and the error
 * GCONVD_E_DEADLINE).
 *
 * Transport: an AF_UNIX SOCK_SEQPACKET socket; one message per packet, at
 * most GCONVD_MAX_MSG bytes; file descriptors travel as SCM_RIGHTS on the
 * messages that say so.  Every message starts with struct gconvd_hdr; all
 * fields are in the host's byte order (the socket never leaves the
 * machine) and every struct has a fixed size (strings are NUL-padded fixed
 * arrays: every byte after the terminating NUL is zero too).  A client
 * sends requests; gconvd answers each with exactly one reply of the
 * matching type, or GCONVD_MSG_ERROR, with the request's seq.  Replies may
 * come in any order (INFER replies come when the inference ends).  Clients
 * never use seq 0: an ERROR with seq 0 is about the connection itself.
 *
 * gconvd checks every message before using it (gconvd_msg_check()): magic,
 * length equal to the packet's, a known type, the type's exact size,
 * reserved fields zero, strings NUL-terminated, the number of file
 * descriptors.  A message that fails closes that client's connection.
 * The client library checks every reply the same way.
 */
#ifndef GCONV_PROTOCOL_H
#define GCONV_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include <gconv/engine.h>	/* GCONV_EXPORT */

#ifdef __cplusplus
extern "C" {
#endif

#define GCONVD_MAGIC		0x44564347u	/* "GCVD" */
#define GCONVD_VERSION		3	/* the newest this library speaks */
#define GCONVD_MAX_MSG		65536
#define GCONVD_NAME_LEN		64
#define GCONVD_MSG_LEN		256
#define GCONVD_MAX_DIMS		8
/* tensors described in one LOAD_REPLY */
#define GCONVD_MAX_TENSORS	((GCONVD_MAX_MSG - 64) / \
				 sizeof(struct gconvd_tensor))
#define GCONVD_DEFAULT_SOCKET	"/run/gconv/gconvd.sock"

enum gconvd_msg_type {
	GCONVD_MSG_HELLO = 1,		/* -> HELLO_REPLY */
	GCONVD_MSG_HELLO_REPLY = 2,
	GCONVD_MSG_LOAD = 3,		/* + 1 fd: the model -> LOAD_REPLY */
	GCONVD_MSG_LOAD_REPLY = 4,	/* + 1 fd: the I/O buffer */
	GCONVD_MSG_UNLOAD = 5,		/* -> OK */
	GCONVD_MSG_INFER = 6,		/* -> INFER_REPLY */
	GCONVD_MSG_INFER_REPLY = 7,
	GCONVD_MSG_CANCEL = 8,		/* -> OK */
	GCONVD_MSG_STATS = 9,		/* -> STATS_REPLY */
	GCONVD_MSG_STATS_REPLY = 10,
	GCONVD_MSG_OK = 11,
	GCONVD_MSG_ERROR = 12,
	GCONVD_MSG_INFER2 = 13,		/* version 2: -> INFER_REPLY */
	GCONVD_MSG_ADMIN = 14,		/* version 3: -> ADMIN_REPLY or OK */
	GCONVD_MSG_ADMIN_REPLY = 15,	/* + 1 fd: the document */
	GCONVD_MSG_TYPE_MAX = 15,
};

/* Error codes of GCONVD_MSG_ERROR (and of the client library). */
enum gconvd_error {
	GCONVD_E_PROTOCOL = 1,	/* malformed message: the connection closes */
	GCONVD_E_VERSION = 2,	/* no common protocol version */
	GCONVD_E_ORDER = 3,	/* a request before HELLO, or HELLO twice */
	GCONVD_E_DENIED = 4,	/* policy: unknown user refused, model not allowed */
	GCONVD_E_QUOTA = 5,	/* the tenant's device-memory quota */
	GCONVD_E_BUSY = 6,	/* the tenant's queue is full: retry later */
	GCONVD_E_NO_MODEL = 7,	/* unknown model id */
	GCONVD_E_MODEL = 8,	/* the model does not load or compile */
	GCONVD_E_DEVICE = 9,	/* the job failed on the device */
	GCONVD_E_CANCELED = 10,	/* cancelled by the client */
	GCONVD_E_SHUTDOWN = 11,	/* gconvd is stopping */
	GCONVD_E_NOMEM = 12,
	GCONVD_E_INTERNAL = 13,
	GCONVD_E_NO_REQUEST = 14, /* CANCEL of a request that is not pending */
	GCONVD_E_DEADLINE = 15,	/* version 2: the deadline passed in the queue */
	GCONVD_E_NOT_FOUND = 16, /* version 3: no such tenant or device */
	GCONVD_E_INVALID = 17,	/* version 3: bad settings in a request */
	GCONVD_E_MAX = 17,
};

struct gconvd_hdr {
	uint32_t magic;		/* GCONVD_MAGIC */
	uint16_t type;		/* enum gconvd_msg_type */
	uint16_t flags;		/* must be zero */
	uint32_t length;	/* bytes, this header included */
	uint32_t seq;		/* chosen by the client (not 0), echoed in the reply */
};

/*
 * HELLO flags.  GCONVD_HELLO_F_ADMIN (version 3): an administration
 * connection (gconvctl), for root and the policy's admin-group only; it
 * has no tenant and sends only ADMIN requests.
 */
#define GCONVD_HELLO_F_ADMIN	(1u << 0)
#define GCONVD_HELLO_F_ALL	GCONVD_HELLO_F_ADMIN

struct gconvd_hello {
	struct gconvd_hdr hdr;
	uint16_t version_min;	/* protocol versions the client speaks */
	uint16_t version_max;
	uint32_t flags;		/* GCONVD_HELLO_F_*; zero before version 3 */
	char client[GCONVD_NAME_LEN];	/* free text, for logs and stats */
};

enum gconvd_backend_id {
	GCONVD_BACKEND_CPU = 0,
	GCONVD_BACKEND_DRM = 1,
};

struct gconvd_hello_reply {
	struct gconvd_hdr hdr;
	uint16_t version;	/* the version both use from now on */
	uint16_t backend;	/* enum gconvd_backend_id */
	uint32_t max_msg;	/* GCONVD_MAX_MSG */
	char tenant[GCONVD_NAME_LEN];	/* the policy's tenant for this client */
	uint32_t max_queued;	/* the tenant's limits */
	uint32_t max_in_flight;
	uint64_t memory_quota;	/* bytes; 0: none */
};

enum gconvd_model_format {
	GCONVD_FORMAT_AUTO = 0,	/* by the first bytes */
	GCONVD_FORMAT_ONNX = 1,
	GCONVD_FORMAT_GCM = 2,
};

/*
 * Load a model: the file descriptor (SCM_RIGHTS, exactly one) holds @size
 * bytes of ONNX or .gcm at offset 0 (a memfd or a regular file).  gconvd
 * compiles it (or finds it in its cache by content hash) and creates an
 * instance of it for this client.
 */
struct gconvd_load {
	struct gconvd_hdr hdr;
	uint32_t format;	/* enum gconvd_model_format */
	uint32_t reserved;	/* must be zero */
	uint64_t size;		/* bytes of the model file */
	char name[GCONVD_NAME_LEN];	/* the policy's model name */
};

/* A model input or output inside the instance's I/O buffer. */
struct gconvd_tensor {
	char name[GCONVD_NAME_LEN];
	uint32_t dtype;		/* enum gconv_dtype (fp32) */
	uint32_t ndim;
	int64_t dims[GCONVD_MAX_DIMS];
	uint64_t offset;	/* bytes from the start of the I/O buffer */
	uint64_t bytes;
};

/*
 * The instance: its id, its I/O buffer (one file descriptor, SCM_RIGHTS,
 * to mmap shared: a memfd with the cpu backend, a dma-buf with drm; the
 * client writes inputs and reads outputs there), and its tensors, inputs
 * first: n_inputs + n_outputs struct gconvd_tensor follow.
 */
struct gconvd_load_reply {
	struct gconvd_hdr hdr;
	uint32_t model_id;
	uint32_t n_inputs;
	uint32_t n_outputs;
	uint32_t gconvs;	/* GCONVs in the model's chain */
	uint64_t io_size;	/* bytes of the I/O buffer */
	uint64_t hash;		/* XXH64 of the model file */
	/* struct gconvd_tensor tensors[n_inputs + n_outputs]; */
};

struct gconvd_unload {
	struct gconvd_hdr hdr;
	uint32_t model_id;
	uint32_t reserved;	/* must be zero */
};

/*
 * Run an instance once on the inputs in its I/O buffer.  An instance runs
 * one request at a time (INFER on an instance with a request pending is
 * GCONVD_E_BUSY); load a model several times to pipeline.
 */
struct gconvd_infer {
	struct gconvd_hdr hdr;
	uint32_t model_id;
	uint32_t flags;		/* must be zero */
	uint64_t reserved;	/* must be zero */
};

struct gconvd_infer_reply {
	struct gconvd_hdr hdr;
	uint32_t model_id;
	uint32_t status;	/* enum gconv_job_status: OK (0) */
	uint64_t queue_ns;	/* waiting in gconvd's queue */
	uint64_t exec_ns;	/* on the device */
};

/*
 * Version 2: INFER with a deadline.  If the request has not started
 * running @deadline_ns after gconvd received it, it is answered ERROR
 * GCONVD_E_DEADLINE without running.  0: no deadline (as INFER).
 */
struct gconvd_infer2 {
	struct gconvd_hdr hdr;
	uint32_t model_id;
	uint32_t flags;		/* must be zero */
	uint64_t deadline_ns;	/* relative to gconvd's receipt; 0: none */
};

/* Cancel the pending request whose INFER had sequence number @target. */
struct gconvd_cancel {
	struct gconvd_hdr hdr;
	uint32_t target;
	uint32_t reserved;	/* must be zero */
};

struct gconvd_stats {
	struct gconvd_hdr hdr;
};

/* This client's tenant, as gconvd counts it. */
struct gconvd_stats_reply {
	struct gconvd_hdr hdr;
	char tenant[GCONVD_NAME_LEN];
	uint64_t requests;	/* INFERs accepted */
	uint64_t completed;	/* ended OK */
	uint64_t failed;	/* ended with an error */
	uint64_t rejected;	/* refused: busy, quota, policy */
	uint32_t queued;	/* now waiting */
	uint32_t in_flight;	/* now running */
	uint32_t clients;	/* connections of the tenant */
	uint32_t models;	/* instances of the tenant */
	uint64_t memory;	/* device memory charged to the tenant */
};

/*
 * Version 3: administration (docs/protocol.md), on a connection opened
 * with GCONVD_HELLO_F_ADMIN.  The queries answer ADMIN_REPLY with the
 * document in a sealed memfd; the changes answer OK.
 */
enum gconvd_admin_op {
	GCONVD_ADMIN_STATUS = 1,     /* JSON: gconvd, its devices, totals */
	GCONVD_ADMIN_TENANTS = 2,    /* JSON: every tenant's counters */
	GCONVD_ADMIN_JOBS = 3,	     /* JSON: queued and running requests */
	GCONVD_ADMIN_CLIENTS = 4,    /* JSON: connections */
	GCONVD_ADMIN_METRICS = 5,    /* Prometheus text format 0.0.4 */
	GCONVD_ADMIN_TENANT_SET = 6, /* name: tenant; arg: "weight=N
					priority=CLASS" -> OK */
	GCONVD_ADMIN_DRAIN = 7,	     /* name: device index or spec -> OK */
	GCONVD_ADMIN_UNDRAIN = 8,    /* name: device index or spec -> OK */
	GCONVD_ADMIN_OP_MAX = 8,
};

struct gconvd_admin {
	struct gconvd_hdr hdr;
	uint32_t op;		/* enum gconvd_admin_op */
	uint32_t reserved;	/* must be zero */
	char name[GCONVD_NAME_LEN];	/* what it applies to, or "" */
	char arg[GCONVD_MSG_LEN];	/* its settings, or "" */
};

enum gconvd_admin_format {
	GCONVD_ADMIN_JSON = 1,
	GCONVD_ADMIN_TEXT = 2,
};

/* The answer to a query: @size bytes at offset 0 of the fd (a memfd). */
struct gconvd_admin_reply {
	struct gconvd_hdr hdr;
	uint32_t op;		/* the query's */
	uint32_t format;	/* enum gconvd_admin_format */
	uint64_t size;
};

struct gconvd_ok {
	struct gconvd_hdr hdr;
};

struct gconvd_error_msg {
	struct gconvd_hdr hdr;
	uint32_t code;		/* enum gconvd_error */
	uint32_t reserved;	/* must be zero */
	char message[GCONVD_MSG_LEN];	/* for humans */
};

/* ---- codec helpers (libgconvdev/protocol.c) ------------------------------ */

/* Fill in a header. */
GCONV_EXPORT void gconvd_hdr_init(struct gconvd_hdr *h, uint16_t type,
				  uint32_t length, uint32_t seq);

/*
 * Check a received message of @len bytes that came with @nfds file
 * descriptors against protocol @version (1 or 2: the version HELLO
 * negotiated; before that, HELLO, HELLO_REPLY and ERROR are the same in
 * every version and 1 will do): 0 if it is well-formed, else -EPROTO with
 * the reason in @why (may be NULL).  A message type or error code newer
 * than @version is malformed.  For LOAD_REPLY the tensor table is checked too:
 * at most GCONVD_MAX_TENSORS entries, each with a NUL-padded non-empty
 * name, a known dtype, ndim <= GCONVD_MAX_DIMS, dims >= 0 (zero beyond
 * ndim), bytes equal to what the dims make, and [offset, offset + bytes)
 * inside the I/O buffer.  Reads nothing beyond @len bytes; @msg need not
 * be aligned.  Direction-agnostic: it does not know who sent the message.
 */
GCONV_EXPORT int gconvd_msg_check_version(const void *msg, size_t len,
					  unsigned int nfds, unsigned int version,
					  char *why, size_t whylen);
/* The same against the newest version, GCONVD_VERSION. */
GCONV_EXPORT int gconvd_msg_check(const void *msg, size_t len,
				  unsigned int nfds, char *why, size_t whylen);

/* Fixed size of a message type (LOAD_REPLY: without its tensors); 0 if
 * the type is unknown. */
GCONV_EXPORT size_t gconvd_msg_size(uint16_t type);

/* Number of file descriptors a message type carries. */
GCONV_EXPORT unsigned int gconvd_msg_fds(uint16_t type);

/* "HELLO", "LOAD_REPLY", ...; "UNKNOWN" for an unknown type. */
GCONV_EXPORT const char *gconvd_msg_name(uint16_t type);
/* The code's name: "GCONVD_E_BUSY", ...; "GCONVD_E_UNKNOWN" otherwise. */
GCONV_EXPORT const char *gconvd_error_str(uint32_t code);

#ifdef __cplusplus
}
#endif

#endif /* GCONV_PROTOCOL_H */

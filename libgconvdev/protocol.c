// SPDX-License-Identifier: MIT
/*
 * gconvd's wire protocol: the message checker and the small codec helpers
 * both sides use (include/gconv/protocol.h, docs/protocol.md).
 *
 * gconvd_msg_check() is the one gate every received message goes through,
 * in the daemon and in the client library alike.  It reads the message
 * with memcpy() only (a packet buffer need not be aligned for the structs)
 * and looks at nothing beyond @len bytes.  A message passes only in its
 * canonical form: the exact size of its type, flags and reserved fields
 * zero, and every fixed string NUL-terminated and NUL-padded, so that no
 * two encodings mean the same thing and no sender can leak stale memory
 * through the padding.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gconv/isa.h>
#include <gconv/model.h>
#include <gconv/protocol.h>

/* ---- the wire layout, pinned --------------------------------------------- */

#define PIN_SIZE(type, size)                          \
	_Static_assert(sizeof(struct type) == (size), \
		       #type " is " #size " bytes on the wire")
#define PIN_OFF(type, field, off)                             \
	_Static_assert(offsetof(struct type, field) == (off), \
		       #type "." #field " is at byte " #off)

PIN_SIZE(gconvd_hdr, 16);
PIN_OFF(gconvd_hdr, magic, 0);
PIN_OFF(gconvd_hdr, type, 4);
PIN_OFF(gconvd_hdr, flags, 6);
PIN_OFF(gconvd_hdr, length, 8);
PIN_OFF(gconvd_hdr, seq, 12);

PIN_SIZE(gconvd_hello, 88);
PIN_OFF(gconvd_hello, version_min, 16);
PIN_OFF(gconvd_hello, version_max, 18);
PIN_OFF(gconvd_hello, flags, 20);
PIN_OFF(gconvd_hello, client, 24);

PIN_SIZE(gconvd_hello_reply, 104);
PIN_OFF(gconvd_hello_reply, version, 16);
PIN_OFF(gconvd_hello_reply, backend, 18);
PIN_OFF(gconvd_hello_reply, max_msg, 20);
PIN_OFF(gconvd_hello_reply, tenant, 24);
PIN_OFF(gconvd_hello_reply, max_queued, 88);
PIN_OFF(gconvd_hello_reply, max_in_flight, 92);
PIN_OFF(gconvd_hello_reply, memory_quota, 96);

PIN_SIZE(gconvd_load, 96);
PIN_OFF(gconvd_load, format, 16);
PIN_OFF(gconvd_load, reserved, 20);
PIN_OFF(gconvd_load, size, 24);
PIN_OFF(gconvd_load, name, 32);

PIN_SIZE(gconvd_tensor, 152);
PIN_OFF(gconvd_tensor, name, 0);
PIN_OFF(gconvd_tensor, dtype, 64);
PIN_OFF(gconvd_tensor, ndim, 68);
PIN_OFF(gconvd_tensor, dims, 72);
PIN_OFF(gconvd_tensor, offset, 136);
PIN_OFF(gconvd_tensor, bytes, 144);

PIN_SIZE(gconvd_load_reply, 48);
PIN_OFF(gconvd_load_reply, model_id, 16);
PIN_OFF(gconvd_load_reply, n_inputs, 20);
PIN_OFF(gconvd_load_reply, n_outputs, 24);
PIN_OFF(gconvd_load_reply, gconvs, 28);
PIN_OFF(gconvd_load_reply, io_size, 32);
PIN_OFF(gconvd_load_reply, hash, 40);

PIN_SIZE(gconvd_unload, 24);
PIN_OFF(gconvd_unload, model_id, 16);
PIN_OFF(gconvd_unload, reserved, 20);

PIN_SIZE(gconvd_infer, 32);
PIN_OFF(gconvd_infer, model_id, 16);
PIN_OFF(gconvd_infer, flags, 20);
PIN_OFF(gconvd_infer, reserved, 24);

PIN_SIZE(gconvd_infer_reply, 40);
PIN_OFF(gconvd_infer_reply, model_id, 16);
PIN_OFF(gconvd_infer_reply, status, 20);
PIN_OFF(gconvd_infer_reply, queue_ns, 24);
PIN_OFF(gconvd_infer_reply, exec_ns, 32);

PIN_SIZE(gconvd_cancel, 24);
PIN_OFF(gconvd_cancel, target, 16);
PIN_OFF(gconvd_cancel, reserved, 20);
PIN_SIZE(gconvd_infer2, 32);
PIN_OFF(gconvd_infer2, model_id, 16);
PIN_OFF(gconvd_infer2, flags, 20);
PIN_OFF(gconvd_infer2, deadline_ns, 24);

PIN_SIZE(gconvd_stats, 16);

PIN_SIZE(gconvd_stats_reply, 136);
PIN_OFF(gconvd_stats_reply, tenant, 16);
PIN_OFF(gconvd_stats_reply, requests, 80);
PIN_OFF(gconvd_stats_reply, completed, 88);
PIN_OFF(gconvd_stats_reply, failed, 96);
PIN_OFF(gconvd_stats_reply, rejected, 104);
PIN_OFF(gconvd_stats_reply, queued, 112);
PIN_OFF(gconvd_stats_reply, in_flight, 116);
PIN_OFF(gconvd_stats_reply, clients, 120);
PIN_OFF(gconvd_stats_reply, models, 124);
PIN_OFF(gconvd_stats_reply, memory, 128);

PIN_SIZE(gconvd_ok, 16);

PIN_SIZE(gconvd_admin, 344);
PIN_OFF(gconvd_admin, op, 16);
PIN_OFF(gconvd_admin, reserved, 20);
PIN_OFF(gconvd_admin, name, 24);
PIN_OFF(gconvd_admin, arg, 88);

PIN_SIZE(gconvd_admin_reply, 32);
PIN_OFF(gconvd_admin_reply, op, 16);
PIN_OFF(gconvd_admin_reply, format, 20);
PIN_OFF(gconvd_admin_reply, size, 24);

PIN_SIZE(gconvd_error_msg, 280);
PIN_OFF(gconvd_error_msg, code, 16);
PIN_OFF(gconvd_error_msg, reserved, 20);
PIN_OFF(gconvd_error_msg, message, 24);

/* the largest LOAD_REPLY fits in a packet */
_Static_assert(sizeof(struct gconvd_load_reply) +
			       GCONVD_MAX_TENSORS *
				       sizeof(struct gconvd_tensor) <=
		       GCONVD_MAX_MSG,
	       "GCONVD_MAX_TENSORS tensors fit in GCONVD_MAX_MSG");
_Static_assert(sizeof(struct gconvd_load_reply) +
			       (GCONVD_MAX_TENSORS + 1) *
				       sizeof(struct gconvd_tensor) >
		       GCONVD_MAX_MSG,
	       "GCONVD_MAX_TENSORS is as large as a packet allows");
_Static_assert(GCONVD_MAX_DIMS == GCONV_MAX_DIMS,
	       "a tensor on the wire has as many dims as a model's (model.h)");

/* ---- the message types --------------------------------------------------- */

static const struct {
	const char *name;
	uint32_t size;
	uint32_t fds;
} msg_types[GCONVD_MSG_TYPE_MAX + 1] = {
	[GCONVD_MSG_HELLO] = { "HELLO", sizeof(struct gconvd_hello), 0 },
	[GCONVD_MSG_HELLO_REPLY] = { "HELLO_REPLY",
				     sizeof(struct gconvd_hello_reply), 0 },
	[GCONVD_MSG_LOAD] = { "LOAD", sizeof(struct gconvd_load), 1 },
	[GCONVD_MSG_LOAD_REPLY] = { "LOAD_REPLY",
				    sizeof(struct gconvd_load_reply), 1 },
	[GCONVD_MSG_UNLOAD] = { "UNLOAD", sizeof(struct gconvd_unload), 0 },
	[GCONVD_MSG_INFER] = { "INFER", sizeof(struct gconvd_infer), 0 },
	[GCONVD_MSG_INFER_REPLY] = { "INFER_REPLY",
				     sizeof(struct gconvd_infer_reply), 0 },
	[GCONVD_MSG_CANCEL] = { "CANCEL", sizeof(struct gconvd_cancel), 0 },
	[GCONVD_MSG_STATS] = { "STATS", sizeof(struct gconvd_stats), 0 },
	[GCONVD_MSG_STATS_REPLY] = { "STATS_REPLY",
				     sizeof(struct gconvd_stats_reply), 0 },
	[GCONVD_MSG_OK] = { "OK", sizeof(struct gconvd_ok), 0 },
	[GCONVD_MSG_ERROR] = { "ERROR", sizeof(struct gconvd_error_msg), 0 },
	[GCONVD_MSG_INFER2] = { "INFER2", sizeof(struct gconvd_infer2), 0 },
	[GCONVD_MSG_ADMIN] = { "ADMIN", sizeof(struct gconvd_admin), 0 },
	[GCONVD_MSG_ADMIN_REPLY] = { "ADMIN_REPLY",
				     sizeof(struct gconvd_admin_reply), 1 },
};

/* The newest message type and error code of each version. */
static const uint16_t version_type_max[GCONVD_VERSION + 1] = {
	[1] = GCONVD_MSG_ERROR,
	[2] = GCONVD_MSG_INFER2,
	[3] = GCONVD_MSG_ADMIN_REPLY,
};
static const uint32_t version_e_max[GCONVD_VERSION + 1] = {
	[1] = GCONVD_E_NO_REQUEST,
	[2] = GCONVD_E_DEADLINE,
	[3] = GCONVD_E_INVALID,
};

static const char *const error_names[GCONVD_E_MAX + 1] = {
	[GCONVD_E_PROTOCOL] = "GCONVD_E_PROTOCOL",
	[GCONVD_E_VERSION] = "GCONVD_E_VERSION",
	[GCONVD_E_ORDER] = "GCONVD_E_ORDER",
	[GCONVD_E_DENIED] = "GCONVD_E_DENIED",
	[GCONVD_E_QUOTA] = "GCONVD_E_QUOTA",
	[GCONVD_E_BUSY] = "GCONVD_E_BUSY",
	[GCONVD_E_NO_MODEL] = "GCONVD_E_NO_MODEL",
	[GCONVD_E_MODEL] = "GCONVD_E_MODEL",
	[GCONVD_E_DEVICE] = "GCONVD_E_DEVICE",
	[GCONVD_E_CANCELED] = "GCONVD_E_CANCELED",
	[GCONVD_E_SHUTDOWN] = "GCONVD_E_SHUTDOWN",
	[GCONVD_E_NOMEM] = "GCONVD_E_NOMEM",
	[GCONVD_E_INTERNAL] = "GCONVD_E_INTERNAL",
	[GCONVD_E_NO_REQUEST] = "GCONVD_E_NO_REQUEST",
	[GCONVD_E_DEADLINE] = "GCONVD_E_DEADLINE",
	[GCONVD_E_NOT_FOUND] = "GCONVD_E_NOT_FOUND",
	[GCONVD_E_INVALID] = "GCONVD_E_INVALID",
};

static int known_type(uint16_t type)
{
	return type >= 1 && type <= GCONVD_MSG_TYPE_MAX;
}

void gconvd_hdr_init(struct gconvd_hdr *h, uint16_t type, uint32_t length,
		     uint32_t seq)
{
	h->magic = GCONVD_MAGIC;
	h->type = type;
	h->flags = 0;
	h->length = length;
	h->seq = seq;
}

size_t gconvd_msg_size(uint16_t type)
{
	return known_type(type) ? msg_types[type].size : 0;
}

unsigned int gconvd_msg_fds(uint16_t type)
{
	return known_type(type) ? msg_types[type].fds : 0;
}

const char *gconvd_msg_name(uint16_t type)
{
	return known_type(type) ? msg_types[type].name : "UNKNOWN";
}

const char *gconvd_error_str(uint32_t code)
{
	return code >= 1 && code <= GCONVD_E_MAX ? error_names[code]
						 : "GCONVD_E_UNKNOWN";
}

/* ---- checking ------------------------------------------------------------ */

__attribute__((format(printf, 3, 4))) static int
reject(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -EPROTO;
}

/*
 * A fixed string: NUL-terminated within its array and NUL-padded after
 * the terminator.  Returns 0, or -EPROTO naming @what.
 */
static int check_str(const char *s, size_t cap, const char *type,
		     const char *what, char *why, size_t whylen)
{
	const char *nul = memchr(s, 0, cap);
	size_t i;

	if (!nul)
		return reject(
			why, whylen,
			"%s: %s is not NUL-terminated within its %zu bytes",
			type, what, cap);
	for (i = (size_t)(nul - s) + 1; i < cap; i++)
		if (s[i])
			return reject(why, whylen,
				      "%s: %s has a non-zero byte after its "
				      "terminator (byte %zu)",
				      type, what, i);
	return 0;
}

static int check_reserved(uint64_t value, const char *type, const char *what,
			  char *why, size_t whylen)
{
	if (value)
		return reject(why, whylen, "%s: %s is %llu, must be zero", type,
			      what, (unsigned long long)value);
	return 0;
}

/* One entry of a LOAD_REPLY's tensor table. */
static int check_tensor(const struct gconvd_tensor *t, uint32_t idx,
			uint32_t n_inputs, uint64_t io_size, char *why,
			size_t whylen)
{
	char what[48];
	uint64_t elems = 1, esize, end;
	uint32_t d;
	int ret;

	snprintf(what, sizeof(what), "%s %u (tensor %u)",
		 idx < n_inputs ? "input" : "output",
		 idx < n_inputs ? idx : idx - n_inputs, idx);
	ret = check_str(t->name, sizeof(t->name), "LOAD_REPLY", what, why,
			whylen);
	if (ret)
		return ret;
	if (!t->name[0])
		return reject(why, whylen, "LOAD_REPLY: %s has no name", what);
	esize = gconv_dtype_size(t->dtype);
	if (t->dtype == GCONV_DTYPE_NONE || !esize)
		return reject(why, whylen, "LOAD_REPLY: %s: unknown dtype %u",
			      what, t->dtype);
	if (t->ndim > GCONVD_MAX_DIMS)
		return reject(why, whylen,
			      "LOAD_REPLY: %s has %u dimensions, at most %d",
			      what, t->ndim, GCONVD_MAX_DIMS);
	for (d = 0; d < GCONVD_MAX_DIMS; d++) {
		if (d >= t->ndim) {
			if (t->dims[d])
				return reject(why, whylen,
					      "LOAD_REPLY: %s: dims[%u] = %lld "
					      "beyond ndim %u, must be zero",
					      what, d, (long long)t->dims[d],
					      t->ndim);
			continue;
		}
		if (t->dims[d] < 0)
			return reject(
				why, whylen,
				"LOAD_REPLY: %s: dims[%u] = %lld is negative",
				what, d, (long long)t->dims[d]);
		if (t->dims[d] &&
		    elems > UINT64_MAX / esize / (uint64_t)t->dims[d])
			return reject(
				why, whylen,
				"LOAD_REPLY: %s: the element count overflows",
				what);
		elems *= (uint64_t)t->dims[d];
	}
	if (t->bytes != elems * esize)
		return reject(
			why, whylen,
			"LOAD_REPLY: %s: bytes is %llu, its dims make %llu",
			what, (unsigned long long)t->bytes,
			(unsigned long long)(elems * esize));
	if (t->offset % esize)
		return reject(why, whylen,
			      "LOAD_REPLY: %s: offset %llu is not aligned to "
			      "its %llu-byte elements",
			      what, (unsigned long long)t->offset,
			      (unsigned long long)esize);
	if (__builtin_add_overflow(t->offset, t->bytes, &end))
		return reject(
			why, whylen,
			"LOAD_REPLY: %s: offset %llu + bytes %llu overflows",
			what, (unsigned long long)t->offset,
			(unsigned long long)t->bytes);
	if (end > io_size)
		return reject(why, whylen,
			      "LOAD_REPLY: %s: bytes [%llu, %llu) lie outside "
			      "the %llu-byte I/O buffer",
			      what, (unsigned long long)t->offset,
			      (unsigned long long)end,
			      (unsigned long long)io_size);
	return 0;
}

static int check_load_reply(const unsigned char *msg, size_t len, char *why,
			    size_t whylen)
{
	struct gconvd_load_reply r;
	struct gconvd_tensor t;
	uint64_t n;
	size_t want;
	uint32_t i;
	int ret;

	memcpy(&r, msg, sizeof(r));
	n = (uint64_t)r.n_inputs + r.n_outputs;
	if (n > GCONVD_MAX_TENSORS)
		return reject(why, whylen,
			      "LOAD_REPLY: %u inputs + %u outputs, at most %zu "
			      "tensors fit in a message",
			      r.n_inputs, r.n_outputs,
			      (size_t)GCONVD_MAX_TENSORS);
	want = sizeof(r) + (size_t)n * sizeof(t);
	if (len != want)
		return reject(why, whylen,
			      "LOAD_REPLY: %zu bytes, %u inputs + %u outputs "
			      "make %zu",
			      len, r.n_inputs, r.n_outputs, want);
	for (i = 0; i < n; i++) {
		memcpy(&t, msg + sizeof(r) + (size_t)i * sizeof(t), sizeof(t));
		ret = check_tensor(&t, i, r.n_inputs, r.io_size, why, whylen);
		if (ret)
			return ret;
	}
	return 0;
}

/* The fields of a message of a known type and the right size. */
static int check_fields(const unsigned char *msg, size_t len, uint16_t type,
			unsigned int version, char *why, size_t whylen)
{
	const char *name = msg_types[type].name;
	int ret = 0;

	switch (type) {
	case GCONVD_MSG_HELLO: {
		struct gconvd_hello m;

		memcpy(&m, msg, sizeof(m));
		if (m.flags & ~GCONVD_HELLO_F_ALL)
			ret = reject(why, whylen, "HELLO: unknown flags 0x%x",
				     m.flags & ~GCONVD_HELLO_F_ALL);
		if (!ret && m.flags && version < 3)
			ret = reject(why, whylen,
				     "HELLO: flags 0x%x in version %u (flags "
				     "are version 3)",
				     m.flags, version);
		if (!ret && m.flags && m.version_max < 3)
			ret = reject(why, whylen,
				     "HELLO: flags 0x%x from a client of "
				     "versions up to %u (flags are version 3)",
				     m.flags, m.version_max);
		if (!ret && !m.version_min)
			ret = reject(why, whylen,
				     "HELLO: version_min is 0 (versions start "
				     "at 1)");
		if (!ret && m.version_min > m.version_max)
			ret = reject(why, whylen,
				     "HELLO: version_min %u > version_max %u",
				     m.version_min, m.version_max);
		if (!ret)
			ret = check_str(m.client, sizeof(m.client), name,
					"client", why, whylen);
		break;
	}
	case GCONVD_MSG_HELLO_REPLY: {
		struct gconvd_hello_reply m;

		memcpy(&m, msg, sizeof(m));
		if (!m.version)
			ret = reject(why, whylen,
				     "HELLO_REPLY: version is 0 (versions "
				     "start at 1)");
		if (!ret)
			ret = check_str(m.tenant, sizeof(m.tenant), name,
					"tenant", why, whylen);
		break;
	}
	case GCONVD_MSG_LOAD: {
		struct gconvd_load m;

		memcpy(&m, msg, sizeof(m));
		if (m.format > GCONVD_FORMAT_GCM)
			ret = reject(why, whylen, "LOAD: unknown format %u",
				     m.format);
		if (!ret)
			ret = check_reserved(m.reserved, name, "reserved", why,
					     whylen);
		if (!ret)
			ret = check_str(m.name, sizeof(m.name), name, "name",
					why, whylen);
		break;
	}
	case GCONVD_MSG_LOAD_REPLY:
		ret = check_load_reply(msg, len, why, whylen);
		break;
	case GCONVD_MSG_UNLOAD: {
		struct gconvd_unload m;

		memcpy(&m, msg, sizeof(m));
		ret = check_reserved(m.reserved, name, "reserved", why, whylen);
		break;
	}
	case GCONVD_MSG_INFER: {
		struct gconvd_infer m;

		memcpy(&m, msg, sizeof(m));
		ret = check_reserved(m.flags, name, "flags", why, whylen);
		if (!ret)
			ret = check_reserved(m.reserved, name, "reserved", why,
					     whylen);
		break;
	}
	case GCONVD_MSG_INFER2: {
		struct gconvd_infer2 m;

		memcpy(&m, msg, sizeof(m));
		ret = check_reserved(m.flags, name, "flags", why, whylen);
		break;
	}
	case GCONVD_MSG_CANCEL: {
		struct gconvd_cancel m;

		memcpy(&m, msg, sizeof(m));
		ret = check_reserved(m.reserved, name, "reserved", why, whylen);
		break;
	}
	case GCONVD_MSG_STATS_REPLY: {
		struct gconvd_stats_reply m;

		memcpy(&m, msg, sizeof(m));
		ret = check_str(m.tenant, sizeof(m.tenant), name, "tenant", why,
				whylen);
		break;
	}
	case GCONVD_MSG_ERROR: {
		struct gconvd_error_msg m;

		memcpy(&m, msg, sizeof(m));
		if (m.code < 1 || m.code > version_e_max[version])
			ret = reject(why, whylen,
				     "ERROR: unknown code %u (1..%u in version "
				     "%u)",
				     m.code, version_e_max[version], version);
		if (!ret)
			ret = check_reserved(m.reserved, name, "reserved", why,
					     whylen);
		if (!ret)
			ret = check_str(m.message, sizeof(m.message), name,
					"message", why, whylen);
		break;
	}
	case GCONVD_MSG_ADMIN: {
		struct gconvd_admin m;

		memcpy(&m, msg, sizeof(m));
		if (m.op < 1 || m.op > GCONVD_ADMIN_OP_MAX)
			ret = reject(why, whylen, "ADMIN: unknown op %u", m.op);
		if (!ret)
			ret = check_reserved(m.reserved, name, "reserved", why,
					     whylen);
		if (!ret)
			ret = check_str(m.name, sizeof(m.name), name, "name",
					why, whylen);
		if (!ret)
			ret = check_str(m.arg, sizeof(m.arg), name, "arg", why,
					whylen);
		break;
	}
	case GCONVD_MSG_ADMIN_REPLY: {
		struct gconvd_admin_reply m;

		memcpy(&m, msg, sizeof(m));
		if (m.op < 1 || m.op > GCONVD_ADMIN_OP_MAX)
			ret = reject(why, whylen,
				     "ADMIN_REPLY: unknown op %u", m.op);
		if (!ret && m.format != GCONVD_ADMIN_JSON &&
		    m.format != GCONVD_ADMIN_TEXT)
			ret = reject(why, whylen,
				     "ADMIN_REPLY: unknown format %u",
				     m.format);
		break;
	}
	default: /* INFER_REPLY, STATS, OK: nothing beyond the header */
		break;
	}
	return ret;
}

int gconvd_msg_check(const void *msg, size_t len, unsigned int nfds, char *why,
		     size_t whylen)
{
	return gconvd_msg_check_version(msg, len, nfds, GCONVD_VERSION, why,
					whylen);
}

int gconvd_msg_check_version(const void *msg, size_t len, unsigned int nfds,
			     unsigned int version, char *why, size_t whylen)
{
	const unsigned char *p = msg;
	struct gconvd_hdr h;
	const char *name;

	if (version < 1 || version > GCONVD_VERSION)
		return reject(why, whylen, "protocol version %u (1..%d known)",
			      version, GCONVD_VERSION);
	if (!p || len < sizeof(h))
		return reject(why, whylen,
			      "%zu bytes: shorter than the %zu-byte header",
			      p ? len : 0, sizeof(h));
	if (len > GCONVD_MAX_MSG)
		return reject(why, whylen,
			      "%zu bytes: longer than the %d-byte maximum", len,
			      GCONVD_MAX_MSG);
	memcpy(&h, p, sizeof(h));
	if (h.magic != GCONVD_MAGIC)
		return reject(why, whylen, "bad magic 0x%08x (want 0x%08x)",
			      h.magic, GCONVD_MAGIC);
	if (!known_type(h.type) || h.type > version_type_max[version])
		return reject(why, whylen,
			      "unknown message type %u (in version %u)", h.type,
			      version);
	name = msg_types[h.type].name;
	if (h.flags)
		return reject(why, whylen,
			      "%s: header flags 0x%x, must be zero", name,
			      h.flags);
	if (h.length != len)
		return reject(why, whylen,
			      "%s: header length %u, but %zu bytes arrived",
			      name, h.length, len);
	if (h.type == GCONVD_MSG_LOAD_REPLY ? len < msg_types[h.type].size
					    : len != msg_types[h.type].size)
		return reject(
			why, whylen, "%s: %zu bytes, must be %s%u", name, len,
			h.type == GCONVD_MSG_LOAD_REPLY ? "at least " : "",
			msg_types[h.type].size);
	if (nfds != msg_types[h.type].fds)
		return reject(why, whylen,
			      "%s: came with %u file descriptors, carries %u",
			      name, nfds, msg_types[h.type].fds);
	return check_fields(p, len, h.type, version, why, whylen);
}

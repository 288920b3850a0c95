/* SPDX-License-Identifier: MIT */
/*
 * Valid gconvd protocol messages, one of each type, for the protocol's
 * unit test and the seed corpus of its fuzzer (header-only so that both
 * build without extra objects).
 */
#ifndef GCONV_TESTS_PROTO_MSGS_H
#define GCONV_TESTS_PROTO_MSGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gconv/isa.h>
#include <gconv/protocol.h>

/* Copy @s into the fixed array @dst of @cap bytes, NUL-padded. */
static inline void proto_set_str(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(s);

	memset(dst, 0, cap);
	memcpy(dst, s, n < cap ? n : cap - 1);
}

/*
 * A LOAD_REPLY's tensor @i of @n: "t<i>", fp32 [1, 2, i + 1], packed one
 * after the other from offset 0.
 */
static inline void proto_sample_tensor(struct gconvd_tensor *t, uint32_t i,
				       uint64_t *offset)
{
	char name[16];

	memset(t, 0, sizeof(*t));
	snprintf(name, sizeof(name), "t%u", i);
	proto_set_str(t->name, sizeof(t->name), name);
	t->dtype = GCONV_DTYPE_F32;
	t->ndim = 3;
	t->dims[0] = 1;
	t->dims[1] = 2;
	t->dims[2] = i + 1;
	t->bytes = 4ull * 2 * (i + 1);
	t->offset = *offset;
	*offset += t->bytes;
}

/*
 * Write a valid message of @type into @buf (GCONVD_MAX_MSG bytes) with
 * sequence number @seq; a LOAD_REPLY gets @ntensors tensors (at most
 * GCONVD_MAX_TENSORS), the first half inputs.  Returns its length (0 for
 * an unknown type).
 */
static inline size_t proto_sample(void *buf, uint16_t type, uint32_t ntensors,
				  uint32_t seq)
{
	unsigned char *p = buf;
	size_t len = gconvd_msg_size(type);

	if (!len)
		return 0;
	memset(p, 0, GCONVD_MAX_MSG);
	switch (type) {
	case GCONVD_MSG_HELLO: {
		struct gconvd_hello *m = buf;

		m->version_min = 1;
		m->version_max = GCONVD_VERSION;
		proto_set_str(m->client, sizeof(m->client), "test-client");
		break;
	}
	case GCONVD_MSG_HELLO_REPLY: {
		struct gconvd_hello_reply *m = buf;

		m->version = GCONVD_VERSION;
		m->backend = GCONVD_BACKEND_CPU;
		m->max_msg = GCONVD_MAX_MSG;
		proto_set_str(m->tenant, sizeof(m->tenant), "default");
		m->max_queued = 16;
		m->max_in_flight = 4;
		m->memory_quota = 1ull << 30;
		break;
	}
	case GCONVD_MSG_LOAD: {
		struct gconvd_load *m = buf;

		m->format = GCONVD_FORMAT_AUTO;
		m->size = 1234;
		proto_set_str(m->name, sizeof(m->name), "digits");
		break;
	}
	case GCONVD_MSG_LOAD_REPLY: {
		struct gconvd_load_reply r;
		struct gconvd_tensor t;
		uint64_t off = 0;
		uint32_t i;

		memset(&r, 0, sizeof(r));
		r.model_id = 7;
		r.n_outputs = ntensors / 2;
		r.n_inputs = ntensors - r.n_outputs;
		r.gconvs = 10;
		r.hash = 0x0123456789abcdefull;
		for (i = 0; i < ntensors; i++) {
			proto_sample_tensor(&t, i, &off);
			memcpy(p + len, &t, sizeof(t));
			len += sizeof(t);
		}
		r.io_size = off + 64;
		memcpy(p, &r, sizeof(r));
		break;
	}
	case GCONVD_MSG_UNLOAD: {
		struct gconvd_unload *m = buf;

		m->model_id = 7;
		break;
	}
	case GCONVD_MSG_INFER: {
		struct gconvd_infer *m = buf;

		m->model_id = 7;
		break;
	}
	case GCONVD_MSG_INFER_REPLY: {
		struct gconvd_infer_reply *m = buf;

		m->model_id = 7;
		m->queue_ns = 1000;
		m->exec_ns = 250000;
		break;
	}
	case GCONVD_MSG_CANCEL: {
		struct gconvd_cancel *m = buf;

		m->target = seq - 1;
		break;
	}
	case GCONVD_MSG_STATS_REPLY: {
		struct gconvd_stats_reply *m = buf;

		proto_set_str(m->tenant, sizeof(m->tenant), "default");
		m->requests = 10;
		m->completed = 8;
		m->failed = 1;
		m->rejected = 1;
		m->clients = 1;
		m->models = 2;
		m->memory = 1 << 20;
		break;
	}
	case GCONVD_MSG_ERROR: {
		struct gconvd_error_msg *m = buf;

		m->code = GCONVD_E_BUSY;
		proto_set_str(m->message, sizeof(m->message),
			      "the tenant's queue is full");
		break;
	}
	default: /* STATS, OK: the header alone */
		break;
	}
	gconvd_hdr_init(buf, type, (uint32_t)len, seq);
	return len;
}

/*
 * What any message gconvd_msg_check() passed must satisfy, checked
 * independently of it: NULL if @m (@len bytes, @nfds fds) is consistent,
 * else what is wrong.
 */
static inline const char *proto_inconsistency(const unsigned char *m,
					      size_t len, unsigned int nfds)
{
	struct gconvd_hdr h;
	size_t want, str = 0, cap = 0;

	if (len < sizeof(h))
		return "shorter than a header";
	memcpy(&h, m, sizeof(h));
	if (h.magic != GCONVD_MAGIC)
		return "bad magic";
	if (h.flags)
		return "header flags set";
	if (h.length != len)
		return "header length differs from the packet's";
	want = gconvd_msg_size(h.type);
	if (!want)
		return "unknown type";
	if (h.type == GCONVD_MSG_LOAD_REPLY) {
		struct gconvd_load_reply r;
		uint64_t n, i;

		memcpy(&r, m, sizeof(r));
		n = (uint64_t)r.n_inputs + r.n_outputs;
		if (n > GCONVD_MAX_TENSORS)
			return "too many tensors";
		want += n * sizeof(struct gconvd_tensor);
		if (len != want)
			return "length differs from the tensor table's";
		for (i = 0; i < n; i++) {
			struct gconvd_tensor t;

			memcpy(&t, m + sizeof(r) + i * sizeof(t), sizeof(t));
			if (!memchr(t.name, 0, sizeof(t.name)))
				return "tensor name unterminated";
			if (t.ndim > GCONVD_MAX_DIMS)
				return "tensor ndim > 8";
			if (t.offset + t.bytes < t.offset ||
			    t.offset + t.bytes > r.io_size)
				return "tensor outside the I/O buffer";
		}
	}
	if (len != want)
		return "length differs from the type's size";
	if (nfds != gconvd_msg_fds(h.type))
		return "wrong fd count";
	switch (h.type) {
	case GCONVD_MSG_HELLO:
		str = offsetof(struct gconvd_hello, client);
		cap = GCONVD_NAME_LEN;
		break;
	case GCONVD_MSG_HELLO_REPLY:
		str = offsetof(struct gconvd_hello_reply, tenant);
		cap = GCONVD_NAME_LEN;
		break;
	case GCONVD_MSG_LOAD:
		str = offsetof(struct gconvd_load, name);
		cap = GCONVD_NAME_LEN;
		break;
	case GCONVD_MSG_STATS_REPLY:
		str = offsetof(struct gconvd_stats_reply, tenant);
		cap = GCONVD_NAME_LEN;
		break;
	case GCONVD_MSG_ERROR:
		str = offsetof(struct gconvd_error_msg, message);
		cap = GCONVD_MSG_LEN;
		break;
	default:
		break;
	}
	if (cap && !memchr(m + str, 0, cap))
		return "string unterminated";
	return NULL;
}

#endif /* GCONV_TESTS_PROTO_MSGS_H */

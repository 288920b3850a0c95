// SPDX-License-Identifier: MIT
/*
 * gconvd's wire protocol (gconv/protocol.h): gconvd_msg_check() accepts
 * every message type at its exact size with its fd count and rejects, each
 * in its own subtest, one byte less or more, a wrong header (magic, flags,
 * type, length), non-zero reserved fields, unterminated or badly padded
 * strings, wrong fd counts, bad HELLO versions and ERROR codes, and every
 * kind of bad LOAD_REPLY tensor table; then 100,000 random mutations of
 * valid messages, each in a buffer of exactly its length, must never crash
 * (ASan watches) and never pass with a length that disagrees with its type.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gconv/protocol.h>

#include "../common/proto_msgs.h"
#include "../harness.h"

static unsigned char buf[GCONVD_MAX_MSG + 64];
static char why[256];

static const uint16_t all_types[] = {
	GCONVD_MSG_HELLO,	GCONVD_MSG_HELLO_REPLY, GCONVD_MSG_LOAD,
	GCONVD_MSG_LOAD_REPLY,	GCONVD_MSG_UNLOAD,	GCONVD_MSG_INFER,
	GCONVD_MSG_INFER_REPLY, GCONVD_MSG_CANCEL,	GCONVD_MSG_STATS,
	GCONVD_MSG_STATS_REPLY, GCONVD_MSG_OK,		GCONVD_MSG_ERROR,
};
#define NTYPES (sizeof(all_types) / sizeof(all_types[0]))

/* Check @len bytes of buf with the type's own fd count. */
static int check_len(size_t len)
{
	struct gconvd_hdr h;

	memcpy(&h, buf, sizeof(h));
	why[0] = 0;
	return gconvd_msg_check(buf, len, gconvd_msg_fds(h.type), why,
				sizeof(why));
}

static void set_length(size_t len)
{
	uint32_t l = (uint32_t)len;

	memcpy(buf + offsetof(struct gconvd_hdr, length), &l, sizeof(l));
}

/* A rejection with -EPROTO whose reason mentions @needle. */
#define CHECK_REJECTS(len, needle)                                            \
	do {                                                                  \
		int r_ = check_len(len);                                      \
		if (r_ != -EPROTO)                                            \
			FAILF("expected -EPROTO (%s), got %d", (needle), r_); \
		if (!strstr(why, (needle)))                                   \
			FAILF("reason \"%s\" does not mention \"%s\"", why,   \
			      (needle));                                      \
	} while (0)

#define CHECK_PASSES(len)                                              \
	do {                                                           \
		int r_ = check_len(len);                               \
		if (r_)                                                \
			FAILF("expected a pass, got %d: %s", r_, why); \
	} while (0)

static void put32(size_t off, uint32_t v)
{
	memcpy(buf + off, &v, sizeof(v));
}

static void put16(size_t off, uint16_t v)
{
	memcpy(buf + off, &v, sizeof(v));
}

static void put64(size_t off, uint64_t v)
{
	memcpy(buf + off, &v, sizeof(v));
}

#define TENSOR(i)                           \
	(sizeof(struct gconvd_load_reply) + \
	 (size_t)(i) * sizeof(struct gconvd_tensor))
#define TFIELD(i, f) (TENSOR(i) + offsetof(struct gconvd_tensor, f))

/* ---- sizes --------------------------------------------------------------- */

TEST(every_type_passes_at_its_exact_size)
{
	size_t i;

	for (i = 0; i < NTYPES; i++) {
		size_t len = proto_sample(buf, all_types[i], 3, 5);

		if (check_len(len))
			FAILF("%s of %zu bytes rejected: %s",
			      gconvd_msg_name(all_types[i]), len, why);
	}
}

TEST(every_type_fails_one_byte_shorter)
{
	size_t i;

	for (i = 0; i < NTYPES; i++) {
		size_t len = proto_sample(buf, all_types[i], 3, 5);

		if (len - 1 < sizeof(struct gconvd_hdr)) {
			CHECK_REJECTS(len - 1,
				      "shorter than the 16-byte header");
			continue;
		}
		/* the header says the true length: the packet is short */
		CHECK_REJECTS(len - 1, "header length");
		/* the header agrees: the type's size is wrong */
		set_length(len - 1);
		if (check_len(len - 1) != -EPROTO)
			FAILF("%s: one byte short passed",
			      gconvd_msg_name(all_types[i]));
		if (!strstr(why, "bytes"))
			FAILF("%s: reason \"%s\" does not name the size",
			      gconvd_msg_name(all_types[i]), why);
	}
}

TEST(every_type_fails_one_byte_longer)
{
	size_t i;

	for (i = 0; i < NTYPES; i++) {
		size_t len = proto_sample(buf, all_types[i], 3, 5);

		CHECK_REJECTS(len + 1, "header length");
		set_length(len + 1);
		if (check_len(len + 1) != -EPROTO)
			FAILF("%s: one byte long passed",
			      gconvd_msg_name(all_types[i]));
		if (!strstr(why, "bytes"))
			FAILF("%s: reason \"%s\" does not name the size",
			      gconvd_msg_name(all_types[i]), why);
	}
}

TEST(header_only_types_need_exactly_the_header)
{
	size_t len = proto_sample(buf, GCONVD_MSG_OK, 0, 1);

	CHECK_EQ_INT(len, sizeof(struct gconvd_hdr));
	CHECK_PASSES(len);
	set_length(len + 8);
	CHECK_REJECTS(len + 8, "OK: 24 bytes, must be 16");
}

TEST(shorter_than_a_header_is_rejected)
{
	size_t len;

	proto_sample(buf, GCONVD_MSG_OK, 0, 1);
	for (len = 0; len < sizeof(struct gconvd_hdr); len++)
		CHECK_REJECTS(len, "shorter than the 16-byte header");
	CHECK_EQ_INT(gconvd_msg_check(NULL, 16, 0, why, sizeof(why)), -EPROTO);
}

TEST(longer_than_max_msg_is_rejected)
{
	proto_sample(buf, GCONVD_MSG_LOAD_REPLY, 0, 1);
	set_length(GCONVD_MAX_MSG + 1);
	CHECK_REJECTS(GCONVD_MAX_MSG + 1, "longer than the 65536-byte maximum");
}

/* ---- the header ---------------------------------------------------------- */

TEST(bad_magic_is_rejected)
{
	size_t len = proto_sample(buf, GCONVD_MSG_HELLO, 0, 1);

	put32(0, 0x47434456); /* byte-swapped */
	CHECK_REJECTS(len, "bad magic");
	put32(0, 0);
	CHECK_REJECTS(len, "bad magic");
}

TEST(nonzero_header_flags_are_rejected)
{
	uint16_t bit;

	for (bit = 0; bit < 16; bit++) {
		size_t len = proto_sample(buf, GCONVD_MSG_INFER, 0, 1);

		put16(offsetof(struct gconvd_hdr, flags),
		      (uint16_t)(1u << bit));
		CHECK_REJECTS(len, "header flags");
	}
}

TEST(unknown_types_are_rejected)
{
	static const uint16_t bad[] = { 0, GCONVD_MSG_TYPE_MAX + 1, 100,
					0xffff };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		proto_sample(buf, GCONVD_MSG_OK, 0, 1);
		put16(offsetof(struct gconvd_hdr, type), bad[i]);
		CHECK_REJECTS(sizeof(struct gconvd_hdr),
			      "unknown message type");
	}
}

TEST(length_field_must_equal_the_packet)
{
	size_t len = proto_sample(buf, GCONVD_MSG_INFER, 0, 1);

	set_length(0);
	CHECK_REJECTS(len, "header length 0, but 32 bytes arrived");
	set_length(0xffffffffu);
	CHECK_REJECTS(len, "header length");
	set_length(len - 16);
	CHECK_REJECTS(len, "header length");
}

TEST(unaligned_messages_are_read_safely)
{
	size_t len = proto_sample(buf, GCONVD_MSG_LOAD_REPLY, 4, 1);
	unsigned char *odd = malloc(len + 1);

	CHECK(odd != NULL);
	memcpy(odd + 1, buf, len);
	CHECK_EQ_INT(gconvd_msg_check(odd + 1, len, 1, NULL, 0), 0);
	free(odd);
}

/* ---- file descriptors ---------------------------------------------------- */

TEST(fd_counts_must_match_the_type)
{
	size_t i;
	unsigned int n;

	for (i = 0; i < NTYPES; i++) {
		size_t len = proto_sample(buf, all_types[i], 1, 1);
		unsigned int want = gconvd_msg_fds(all_types[i]);

		for (n = 0; n < 4; n++) {
			int r = gconvd_msg_check(buf, len, n, why, sizeof(why));

			if (n == want && r)
				FAILF("%s with %u fds rejected: %s",
				      gconvd_msg_name(all_types[i]), n, why);
			if (n != want &&
			    (r != -EPROTO || !strstr(why, "file descriptors")))
				FAILF("%s with %u fds (wants %u): got %d "
				      "\"%s\"",
				      gconvd_msg_name(all_types[i]), n, want, r,
				      why);
		}
	}
}

TEST(only_load_and_load_reply_carry_an_fd)
{
	size_t i;

	for (i = 0; i < NTYPES; i++)
		CHECK_EQ_INT(gconvd_msg_fds(all_types[i]),
			     all_types[i] == GCONVD_MSG_LOAD ||
				     all_types[i] == GCONVD_MSG_LOAD_REPLY ||
				     all_types[i] == GCONVD_MSG_ADMIN_REPLY);
	CHECK_EQ_INT(gconvd_msg_fds(0), 0);
	CHECK_EQ_INT(gconvd_msg_fds(999), 0);
}

/* ---- reserved fields ----------------------------------------------------- */

struct field {
	uint16_t type;
	size_t off, size;
	const char *name;
};

static const struct field reserved_fields[] = {
	{ GCONVD_MSG_LOAD, offsetof(struct gconvd_load, reserved), 4,
	  "reserved" },
	{ GCONVD_MSG_UNLOAD, offsetof(struct gconvd_unload, reserved), 4,
	  "reserved" },
	{ GCONVD_MSG_INFER, offsetof(struct gconvd_infer, flags), 4, "flags" },
	{ GCONVD_MSG_INFER, offsetof(struct gconvd_infer, reserved), 8,
	  "reserved" },
	{ GCONVD_MSG_CANCEL, offsetof(struct gconvd_cancel, reserved), 4,
	  "reserved" },
	{ GCONVD_MSG_ERROR, offsetof(struct gconvd_error_msg, reserved), 4,
	  "reserved" },
};

TEST(reserved_fields_must_be_zero)
{
	size_t i, b;

	for (i = 0; i < sizeof(reserved_fields) / sizeof(reserved_fields[0]);
	     i++) {
		const struct field *f = &reserved_fields[i];

		/* every byte of the field, alone */
		for (b = 0; b < f->size; b++) {
			size_t len = proto_sample(buf, f->type, 0, 1);
			char want[64];

			buf[f->off + b] = 0x80;
			snprintf(want, sizeof(want), "%s: %s is",
				 gconvd_msg_name(f->type), f->name);
			CHECK_REJECTS(len, want);
		}
	}
}

/* ---- strings ------------------------------------------------------------- */

static const struct field string_fields[] = {
	{ GCONVD_MSG_HELLO, offsetof(struct gconvd_hello, client),
	  GCONVD_NAME_LEN, "client" },
	{ GCONVD_MSG_HELLO_REPLY, offsetof(struct gconvd_hello_reply, tenant),
	  GCONVD_NAME_LEN, "tenant" },
	{ GCONVD_MSG_LOAD, offsetof(struct gconvd_load, name), GCONVD_NAME_LEN,
	  "name" },
	{ GCONVD_MSG_STATS_REPLY, offsetof(struct gconvd_stats_reply, tenant),
	  GCONVD_NAME_LEN, "tenant" },
	{ GCONVD_MSG_ERROR, offsetof(struct gconvd_error_msg, message),
	  GCONVD_MSG_LEN, "message" },
};
#define NSTRINGS (sizeof(string_fields) / sizeof(string_fields[0]))

TEST(unterminated_strings_are_rejected)
{
	size_t i;

	for (i = 0; i < NSTRINGS; i++) {
		const struct field *f = &string_fields[i];
		size_t len = proto_sample(buf, f->type, 0, 1);

		memset(buf + f->off, 'a', f->size);
		CHECK_REJECTS(len, "is not NUL-terminated");
		CHECK(strstr(why, f->name) != NULL);
	}
}

TEST(strings_of_the_full_length_pass)
{
	size_t i;

	for (i = 0; i < NSTRINGS; i++) {
		const struct field *f = &string_fields[i];
		size_t len = proto_sample(buf, f->type, 0, 1);

		memset(buf + f->off, 'a', f->size - 1);
		buf[f->off + f->size - 1] = 0;
		CHECK_PASSES(len);
		/* the empty string too */
		memset(buf + f->off, 0, f->size);
		CHECK_PASSES(len);
	}
}

TEST(bytes_after_a_string_terminator_must_be_zero)
{
	size_t i;

	for (i = 0; i < NSTRINGS; i++) {
		const struct field *f = &string_fields[i];
		size_t len = proto_sample(buf, f->type, 0, 1);

		buf[f->off + f->size - 1] = 'x';
		CHECK_REJECTS(len, "non-zero byte after its terminator");
	}
}

/* ---- per-type fields ----------------------------------------------------- */

TEST(hello_version_range_must_be_ordered)
{
	size_t len = proto_sample(buf, GCONVD_MSG_HELLO, 0, 1);

	put16(offsetof(struct gconvd_hello, version_min), 3);
	put16(offsetof(struct gconvd_hello, version_max), 2);
	CHECK_REJECTS(len, "version_min 3 > version_max 2");
	put16(offsetof(struct gconvd_hello, version_max), 3);
	CHECK_PASSES(len);
	put16(offsetof(struct gconvd_hello, version_max), 0xffff);
	CHECK_PASSES(len);
}

TEST(hello_version_zero_is_rejected)
{
	size_t len = proto_sample(buf, GCONVD_MSG_HELLO, 0, 1);

	put16(offsetof(struct gconvd_hello, version_min), 0);
	CHECK_REJECTS(len, "version_min is 0");
	len = proto_sample(buf, GCONVD_MSG_HELLO_REPLY, 0, 1);
	put16(offsetof(struct gconvd_hello_reply, version), 0);
	CHECK_REJECTS(len, "version is 0");
}

TEST(load_format_must_be_known)
{
	size_t len = proto_sample(buf, GCONVD_MSG_LOAD, 0, 1);
	uint32_t f;

	for (f = GCONVD_FORMAT_AUTO; f <= GCONVD_FORMAT_GCM; f++) {
		put32(offsetof(struct gconvd_load, format), f);
		CHECK_PASSES(len);
	}
	put32(offsetof(struct gconvd_load, format), GCONVD_FORMAT_GCM + 1);
	CHECK_REJECTS(len, "unknown format 3");
}

TEST(error_code_must_be_in_range)
{
	size_t len = proto_sample(buf, GCONVD_MSG_ERROR, 0, 1);
	uint32_t c;

	for (c = 1; c <= GCONVD_E_MAX; c++) {
		put32(offsetof(struct gconvd_error_msg, code), c);
		CHECK_PASSES(len);
	}
	put32(offsetof(struct gconvd_error_msg, code), 0);
	CHECK_REJECTS(len, "unknown code 0");
	put32(offsetof(struct gconvd_error_msg, code), GCONVD_E_MAX + 1);
	CHECK_REJECTS(len, "unknown code");
	put32(offsetof(struct gconvd_error_msg, code), 0xffffffffu);
	CHECK_REJECTS(len, "unknown code");
}

TEST(free_fields_take_any_value)
{
	size_t len = proto_sample(buf, GCONVD_MSG_INFER_REPLY, 0, 1);

	put32(offsetof(struct gconvd_infer_reply, status), 0xffffffffu);
	put64(offsetof(struct gconvd_infer_reply, exec_ns), ~0ull);
	CHECK_PASSES(len);
	len = proto_sample(buf, GCONVD_MSG_CANCEL, 0, 1);
	put32(offsetof(struct gconvd_cancel, target), 0);
	CHECK_PASSES(len);
}

/* ---- LOAD_REPLY's tensor table ------------------------------------------- */

TEST(load_reply_size_follows_its_table)
{
	uint32_t n;

	for (n = 0; n < 6; n++) {
		size_t len = proto_sample(buf, GCONVD_MSG_LOAD_REPLY, n, 1);

		CHECK_EQ_INT(len, TENSOR(n));
		CHECK_PASSES(len);
		/* claim one tensor more or less than the packet holds */
		put32(offsetof(struct gconvd_load_reply, n_outputs), n / 2 + 1);
		CHECK_REJECTS(len, "make");
		if (n / 2 > 0) {
			put32(offsetof(struct gconvd_load_reply, n_outputs),
			      n / 2 - 1);
			CHECK_REJECTS(len, "make");
		}
	}
}

TEST(load_reply_takes_max_tensors)
{
	size_t len =
		proto_sample(buf, GCONVD_MSG_LOAD_REPLY, GCONVD_MAX_TENSORS, 1);

	CHECK(len <= GCONVD_MAX_MSG);
	CHECK_PASSES(len);
}

TEST(load_reply_rejects_more_than_max_tensors)
{
	proto_sample(buf, GCONVD_MSG_LOAD_REPLY, 0, 1);
	put32(offsetof(struct gconvd_load_reply, n_inputs), GCONVD_MAX_TENSORS);
	put32(offsetof(struct gconvd_load_reply, n_outputs), 1);
	CHECK_REJECTS(sizeof(struct gconvd_load_reply), "at most 430 tensors");
}

TEST(load_reply_tensor_count_cannot_wrap)
{
	/* 0xffffffff + 2 wraps to 1 in 32 bits: one tensor would follow */
	size_t len = proto_sample(buf, GCONVD_MSG_LOAD_REPLY, 1, 1);

	put32(offsetof(struct gconvd_load_reply, n_inputs), 0xffffffffu);
	put32(offsetof(struct gconvd_load_reply, n_outputs), 2);
	CHECK_REJECTS(len, "at most");
}

/* A one-tensor LOAD_REPLY whose tensor has been changed by the caller. */
static size_t one_tensor(void)
{
	return proto_sample(buf, GCONVD_MSG_LOAD_REPLY, 1, 1);
}

TEST(load_reply_tensor_ndim_at_most_8)
{
	size_t len = one_tensor();

	put32(TFIELD(0, ndim), GCONVD_MAX_DIMS);
	CHECK_REJECTS(len, "bytes is 8, its dims make 0"); /* dims 3..7 = 0 */
	put32(TFIELD(0, ndim), GCONVD_MAX_DIMS + 1);
	CHECK_REJECTS(len, "9 dimensions, at most 8");
	put32(TFIELD(0, ndim), 0xffffffffu);
	CHECK_REJECTS(len, "at most 8");
}

TEST(load_reply_tensor_scalar_passes)
{
	size_t len = one_tensor();

	put32(TFIELD(0, ndim), 0);
	memset(buf + TFIELD(0, dims), 0, 8 * sizeof(int64_t));
	put64(TFIELD(0, bytes), 4);
	CHECK_PASSES(len);
}

TEST(load_reply_tensor_name_must_be_terminated)
{
	size_t len = one_tensor();

	memset(buf + TFIELD(0, name), 'n', GCONVD_NAME_LEN);
	CHECK_REJECTS(len, "input 0 (tensor 0) is not NUL-terminated");
	len = one_tensor();
	buf[TFIELD(0, name) + GCONVD_NAME_LEN - 1] = 'z';
	CHECK_REJECTS(len, "after its terminator");
	len = one_tensor();
	memset(buf + TFIELD(0, name), 0, GCONVD_NAME_LEN);
	CHECK_REJECTS(len, "has no name");
}

TEST(load_reply_tensor_dtype_must_be_known)
{
	size_t len = one_tensor();

	put32(TFIELD(0, dtype), GCONV_DTYPE_NONE);
	CHECK_REJECTS(len, "unknown dtype 0");
	put32(TFIELD(0, dtype), 77);
	CHECK_REJECTS(len, "unknown dtype 77");
}

TEST(load_reply_tensor_dims_checked)
{
	size_t len = one_tensor();

	put64(TFIELD(0, dims) + 8, (uint64_t)-2);
	CHECK_REJECTS(len, "dims[1] = -2 is negative");
	len = one_tensor();
	put64(TFIELD(0, dims) + 7 * 8, 5);
	CHECK_REJECTS(len, "dims[7] = 5 beyond ndim 3");
	len = one_tensor();
	put64(TFIELD(0, dims), 1ll << 40);
	put64(TFIELD(0, dims) + 8, 1ll << 40);
	CHECK_REJECTS(len, "element count overflows");
	len = one_tensor();
	put64(TFIELD(0, bytes), 12);
	CHECK_REJECTS(len, "bytes is 12, its dims make 8");
}

TEST(load_reply_tensor_must_lie_in_the_io_buffer)
{
	size_t len = one_tensor(); /* 8 bytes at 0 of a 72-byte buffer */

	put64(TFIELD(0, offset), 64);
	CHECK_PASSES(len);
	put64(TFIELD(0, offset), 68);
	CHECK_REJECTS(len, "[68, 76) lie outside the 72-byte I/O buffer");
	put64(TFIELD(0, offset), ~0ull - 3);
	CHECK_REJECTS(len, "overflows");
	put64(TFIELD(0, offset), 2);
	CHECK_REJECTS(len, "not aligned");
	put64(offsetof(struct gconvd_load_reply, io_size), 0);
	put64(TFIELD(0, offset), 0);
	CHECK_REJECTS(len, "outside the 0-byte I/O buffer");
}

TEST(load_reply_names_the_bad_output)
{
	size_t len = proto_sample(buf, GCONVD_MSG_LOAD_REPLY, 4, 1);

	put32(TFIELD(3, ndim), 12);
	CHECK_REJECTS(len, "output 1 (tensor 3)");
}

/* ---- helpers ------------------------------------------------------------- */

TEST(msg_size_per_type)
{
	CHECK_EQ_INT(gconvd_msg_size(GCONVD_MSG_HELLO), 88);
	CHECK_EQ_INT(gconvd_msg_size(GCONVD_MSG_HELLO_REPLY), 104);
	CHECK_EQ_INT(gconvd_msg_size(GCONVD_MSG_LOAD), 96);
	CHECK_EQ_INT(gconvd_msg_size(GCONVD_MSG_LOAD_REPLY), 48);
	CHECK_EQ_INT(gconvd_msg_size(GCONVD_MSG_UNLOAD), 24);
	CHECK_EQ_INT(gconvd_msg_size(GCONVD_MSG_INFER), 32);
	CHECK_EQ_INT(gconvd_msg_size(GCONVD_MSG_INFER_REPLY), 40);
	CHECK_EQ_INT(gconvd_msg_size(GCONVD_MSG_CANCEL), 24);
	CHECK_EQ_INT(gconvd_msg_size(GCONVD_MSG_STATS), 16);
	CHECK_EQ_INT(gconvd_msg_size(GCONVD_MSG_STATS_REPLY), 136);
	CHECK_EQ_INT(gconvd_msg_size(GCONVD_MSG_OK), 16);
	CHECK_EQ_INT(gconvd_msg_size(GCONVD_MSG_ERROR), 280);
	CHECK_EQ_INT(gconvd_msg_size(GCONVD_MSG_INFER2), 32);
	CHECK_EQ_INT(gconvd_msg_size(0), 0);
	CHECK_EQ_INT(gconvd_msg_size(GCONVD_MSG_TYPE_MAX + 1), 0);
	CHECK_EQ_INT(GCONVD_MAX_TENSORS, 430);
}

TEST(names_of_types_and_codes)
{
	CHECK_STR(gconvd_msg_name(GCONVD_MSG_HELLO), "HELLO");
	CHECK_STR(gconvd_msg_name(GCONVD_MSG_LOAD_REPLY), "LOAD_REPLY");
	CHECK_STR(gconvd_msg_name(GCONVD_MSG_ERROR), "ERROR");
	CHECK_STR(gconvd_msg_name(0), "UNKNOWN");
	CHECK_STR(gconvd_msg_name(0xffff), "UNKNOWN");
	CHECK_STR(gconvd_error_str(GCONVD_E_PROTOCOL), "GCONVD_E_PROTOCOL");
	CHECK_STR(gconvd_error_str(GCONVD_E_BUSY), "GCONVD_E_BUSY");
	CHECK_STR(gconvd_error_str(GCONVD_E_NO_REQUEST), "GCONVD_E_NO_REQUEST");
	CHECK_STR(gconvd_error_str(0), "GCONVD_E_UNKNOWN");
	CHECK_STR(gconvd_error_str(GCONVD_E_MAX + 1), "GCONVD_E_UNKNOWN");
}

/* Version 2 adds INFER2 and GCONVD_E_DEADLINE; version 1 peers refuse them. */
TEST(version_2_messages_only_in_version_2)
{
	struct gconvd_infer2 q;
	struct gconvd_error_msg e;
	char reason[256];

	memset(&q, 0, sizeof(q));
	gconvd_hdr_init(&q.hdr, GCONVD_MSG_INFER2, sizeof(q), 7);
	q.model_id = 1;
	q.deadline_ns = 5000000;
	CHECK_EQ_INT(gconvd_msg_check_version(&q, sizeof(q), 0, 2, reason,
					      sizeof(reason)),
		     0);
	CHECK_EQ_INT(gconvd_msg_check(&q, sizeof(q), 0, reason, sizeof(reason)),
		     0);
	CHECK_EQ_INT(gconvd_msg_check_version(&q, sizeof(q), 0, 1, reason,
					      sizeof(reason)),
		     -EPROTO);
	CHECK(strstr(reason, "unknown message type 13") != NULL);
	q.flags = 1;
	CHECK_EQ_INT(gconvd_msg_check_version(&q, sizeof(q), 0, 2, NULL, 0),
		     -EPROTO);

	memset(&e, 0, sizeof(e));
	gconvd_hdr_init(&e.hdr, GCONVD_MSG_ERROR, sizeof(e), 7);
	e.code = GCONVD_E_DEADLINE;
	strcpy(e.message, "deadline exceeded");
	CHECK_EQ_INT(gconvd_msg_check_version(&e, sizeof(e), 0, 2, NULL, 0), 0);
	CHECK_EQ_INT(gconvd_msg_check_version(&e, sizeof(e), 0, 1, NULL, 0),
		     -EPROTO);
	e.code = GCONVD_E_NO_REQUEST;
	CHECK_EQ_INT(gconvd_msg_check_version(&e, sizeof(e), 0, 1, NULL, 0), 0);
	CHECK_EQ_INT(gconvd_msg_check_version(&e, sizeof(e), 0, 0, NULL, 0),
		     -EPROTO);
	CHECK_EQ_INT(gconvd_msg_check_version(&e, sizeof(e), 0,
					      GCONVD_VERSION + 1, NULL, 0),
		     -EPROTO);
	CHECK_STR(gconvd_msg_name(GCONVD_MSG_INFER2), "INFER2");
	CHECK_STR(gconvd_error_str(GCONVD_E_DEADLINE), "GCONVD_E_DEADLINE");
}

TEST(version_3_admin_messages)
{
	struct gconvd_admin a;
	struct gconvd_admin_reply r;
	struct gconvd_hello h;
	char reason[256];

	memset(&a, 0, sizeof(a));
	gconvd_hdr_init(&a.hdr, GCONVD_MSG_ADMIN, sizeof(a), 9);
	a.op = GCONVD_ADMIN_TENANT_SET;
	strcpy(a.name, "web");
	strcpy(a.arg, "weight=4 priority=batch");
	CHECK_EQ_INT(gconvd_msg_check(&a, sizeof(a), 0, reason,
				      sizeof(reason)),
		     0);
	CHECK_EQ_INT(gconvd_msg_check_version(&a, sizeof(a), 0, 2, reason,
					      sizeof(reason)),
		     -EPROTO);
	CHECK(strstr(reason, "unknown message type 14") != NULL);
	a.op = 0;
	CHECK_EQ_INT(gconvd_msg_check(&a, sizeof(a), 0, reason,
				      sizeof(reason)),
		     -EPROTO);
	CHECK(strstr(reason, "unknown op 0") != NULL);
	a.op = GCONVD_ADMIN_OP_MAX + 1;
	CHECK_EQ_INT(gconvd_msg_check(&a, sizeof(a), 0, NULL, 0), -EPROTO);
	a.op = GCONVD_ADMIN_STATUS;
	a.reserved = 1;
	CHECK_EQ_INT(gconvd_msg_check(&a, sizeof(a), 0, reason,
				      sizeof(reason)),
		     -EPROTO);
	CHECK(strstr(reason, "reserved") != NULL);
	a.reserved = 0;
	memset(a.arg, 'x', sizeof(a.arg));
	CHECK_EQ_INT(gconvd_msg_check(&a, sizeof(a), 0, reason,
				      sizeof(reason)),
		     -EPROTO);
	CHECK(strstr(reason, "arg") != NULL);
	memset(a.arg, 0, sizeof(a.arg));
	CHECK_EQ_INT(gconvd_msg_check(&a, sizeof(a), 1, NULL, 0), -EPROTO);

	memset(&r, 0, sizeof(r));
	gconvd_hdr_init(&r.hdr, GCONVD_MSG_ADMIN_REPLY, sizeof(r), 9);
	r.op = GCONVD_ADMIN_METRICS;
	r.format = GCONVD_ADMIN_TEXT;
	r.size = 1234;
	CHECK_EQ_INT(gconvd_msg_check(&r, sizeof(r), 1, NULL, 0), 0);
	CHECK_EQ_INT(gconvd_msg_check(&r, sizeof(r), 0, NULL, 0), -EPROTO);
	r.format = 3;
	CHECK_EQ_INT(gconvd_msg_check(&r, sizeof(r), 1, reason,
				      sizeof(reason)),
		     -EPROTO);
	CHECK(strstr(reason, "format 3") != NULL);

	/* HELLO's flags: the admin bit, from a version 3 client only */
	memset(&h, 0, sizeof(h));
	gconvd_hdr_init(&h.hdr, GCONVD_MSG_HELLO, sizeof(h), 1);
	h.version_min = 1;
	h.version_max = 3;
	h.flags = GCONVD_HELLO_F_ADMIN;
	CHECK_EQ_INT(gconvd_msg_check(&h, sizeof(h), 0, NULL, 0), 0);
	h.version_max = 2;
	CHECK_EQ_INT(gconvd_msg_check(&h, sizeof(h), 0, reason,
				      sizeof(reason)),
		     -EPROTO);
	CHECK(strstr(reason, "flags are version 3") != NULL);
	h.version_max = 3;
	h.flags = 2;
	CHECK_EQ_INT(gconvd_msg_check(&h, sizeof(h), 0, reason,
				      sizeof(reason)),
		     -EPROTO);
	CHECK(strstr(reason, "unknown flags 0x2") != NULL);
	h.flags = GCONVD_HELLO_F_ADMIN;
	CHECK_EQ_INT(gconvd_msg_check_version(&h, sizeof(h), 0, 2, NULL, 0),
		     -EPROTO);
	CHECK_STR(gconvd_msg_name(GCONVD_MSG_ADMIN_REPLY), "ADMIN_REPLY");
	CHECK_STR(gconvd_error_str(GCONVD_E_NOT_FOUND), "GCONVD_E_NOT_FOUND");
}

TEST(hdr_init_fills_every_field)
{
	struct gconvd_hdr h;

	memset(&h, 0xa5, sizeof(h));
	gconvd_hdr_init(&h, GCONVD_MSG_STATS, 16, 42);
	CHECK_EQ_INT(h.magic, GCONVD_MAGIC);
	CHECK_EQ_INT(h.type, GCONVD_MSG_STATS);
	CHECK_EQ_INT(h.flags, 0);
	CHECK_EQ_INT(h.length, 16);
	CHECK_EQ_INT(h.seq, 42);
	CHECK_EQ_INT(gconvd_msg_check(&h, sizeof(h), 0, NULL, 0), 0);
}

/* ---- random mutations ---------------------------------------------------- */

static void check_consistent(const unsigned char *m, size_t len,
			     unsigned int nfds)
{
	const char *bad = proto_inconsistency(m, len, nfds);

	if (bad)
		FAILF("a %zu-byte message with %u fds passed: %s", len, nfds,
		      bad);
}

static const uint64_t interesting[] = {
	0,
	1,
	2,
	8,
	9,
	16,
	47,
	48,
	152,
	430,
	431,
	0x7f,
	0x80,
	0xff,
	0x7fff,
	0xffff,
	0x7fffffff,
	0x80000000,
	0xffffffff,
	0x100000000ull,
	0x7fffffffffffffffull,
	0xffffffffffffffffull,
	GCONVD_MAGIC,
};

TEST(random_mutations_never_pass_inconsistent)
{
	unsigned long long rng = 0x9e3779b97f4a7c15ull;
	unsigned long passed = 0, failed = 0;
	int iter;

	for (iter = 0; iter < 100000; iter++) {
		uint16_t type = all_types[harness_rand(&rng) % NTYPES];
		uint32_t nt = harness_rand(&rng) % 8
				      ? (uint32_t)(harness_rand(&rng) % 5)
				      : (uint32_t)(harness_rand(&rng) % 64);
		size_t len = proto_sample(buf, type, nt, 1);
		unsigned int nfds = gconvd_msg_fds(type);
		int muts = harness_randint(&rng, 1, 4), k;
		unsigned char *copy;
		int r;

		for (k = 0; k < muts; k++) {
			size_t off = harness_rand(&rng) % len;
			uint64_t v;

			switch (harness_rand(&rng) % 8) {
			case 0: /* one bit */
				buf[off] ^=
					(unsigned char)(1u
							<< (harness_rand(&rng) %
							    8));
				break;
			case 1: /* one byte */
				buf[off] = (unsigned char)harness_rand(&rng);
				break;
			case 2: /* an interesting 16/32/64-bit value */
			case 3:
				v = interesting[harness_rand(&rng) %
						(sizeof(interesting) /
						 sizeof(interesting[0]))];
				off &= ~(size_t)3;
				memcpy(buf + off, &v,
				       off + 8 <= len	? 8
				       : off + 4 <= len ? 4
							: len - off);
				break;
			case 4: /* truncate */
				len = harness_rand(&rng) % (len + 1);
				if (!len)
					len = 1;
				break;
			case 5: /* extend with random bytes */ {
				size_t add = harness_rand(&rng) % 200;

				if (len + add > GCONVD_MAX_MSG)
					add = GCONVD_MAX_MSG - len;
				while (add--)
					buf[len++] =
						(unsigned char)harness_rand(
							&rng);
				break;
			}
			case 6: /* another fd count */
				nfds = harness_rand(&rng) % 3;
				break;
			default: /* a string or name byte set non-zero */
				buf[off] = 'A';
				break;
			}
		}
		/* half the time the header agrees with the new length, so
		 * that the checks behind the length check get exercised */
		if (harness_rand(&rng) % 2 && len >= sizeof(struct gconvd_hdr))
			set_length(len);
		copy = malloc(len); /* exactly: ASan sees any overread */
		CHECK(copy != NULL);
		memcpy(copy, buf, len);
		why[0] = 0;
		r = gconvd_msg_check(copy, len, nfds, why, sizeof(why));
		if (r == 0) {
			check_consistent(copy, len, nfds);
			passed++;
		} else if (r != -EPROTO || !why[0]) {
			free(copy);
			FAILF("rejection %d without a reason (\"%s\")", r, why);
		} else {
			failed++;
		}
		free(copy);
	}
	printf("     %lu mutated messages accepted, %lu rejected\n", passed,
	       failed);
	/* both outcomes must have happened for the run to mean anything */
	if (!passed || !failed)
		FAILF("%lu passed, %lu rejected: mutations too weak or too "
		      "strong",
		      passed, failed);
}

static const struct test tests[] = {
	T(version_3_admin_messages),
	T(every_type_passes_at_its_exact_size),
	T(every_type_fails_one_byte_shorter),
	T(every_type_fails_one_byte_longer),
	T(header_only_types_need_exactly_the_header),
	T(shorter_than_a_header_is_rejected),
	T(longer_than_max_msg_is_rejected),
	T(bad_magic_is_rejected),
	T(nonzero_header_flags_are_rejected),
	T(unknown_types_are_rejected),
	T(length_field_must_equal_the_packet),
	T(unaligned_messages_are_read_safely),
	T(fd_counts_must_match_the_type),
	T(only_load_and_load_reply_carry_an_fd),
	T(reserved_fields_must_be_zero),
	T(unterminated_strings_are_rejected),
	T(strings_of_the_full_length_pass),
	T(bytes_after_a_string_terminator_must_be_zero),
	T(hello_version_range_must_be_ordered),
	T(hello_version_zero_is_rejected),
	T(load_format_must_be_known),
	T(error_code_must_be_in_range),
	T(free_fields_take_any_value),
	T(load_reply_size_follows_its_table),
	T(load_reply_takes_max_tensors),
	T(load_reply_rejects_more_than_max_tensors),
	T(load_reply_tensor_count_cannot_wrap),
	T(load_reply_tensor_ndim_at_most_8),
	T(load_reply_tensor_scalar_passes),
	T(load_reply_tensor_name_must_be_terminated),
	T(load_reply_tensor_dtype_must_be_known),
	T(load_reply_tensor_dims_checked),
	T(load_reply_tensor_must_lie_in_the_io_buffer),
	T(load_reply_names_the_bad_output),
	T(msg_size_per_type),
	T(names_of_types_and_codes),
	T(version_2_messages_only_in_version_2),
	T(hdr_init_fills_every_field),
	T(random_mutations_never_pass_inconsistent),
};

int main(int argc, char **argv)
{
	return HARNESS_MAIN(tests);
}

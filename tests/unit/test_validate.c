// SPDX-License-Identifier: MIT
/*
 * The validator, include/gconv/validate.h.
 *
 * Every malformed chain, descriptor and operand must be rejected with the
 * documented reason: the error code, the descriptor index, the operand
 * letter and the field name.  Each case starts from a known-valid chain or
 * descriptor, checks that it passes, changes one thing and checks the exact
 * error; where a limit has a boundary, the value just inside it is accepted.
 * Descriptor-level cases are checked twice: through gconv_validate_desc()
 * and as descriptor CHAIN_POS of a chain of valid descriptors.
 *
 * The fuzz subtest corrupts a valid chain at random: the validator must
 * never crash or read past the buffer, and a chain it accepts must run on
 * the golden engine over exactly the memory its operands claim (this binary
 * also runs under ASan and UBSan).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gconv/engine.h>
#include <gconv/validate.h>

#include "../harness.h"

static const struct gconv_limits default_limits = GCONV_LIMITS_DEFAULT;

/* What the last validator call of an EXPECT_* macro reported. */
static struct gconv_verror err;

#define DESC_IDX	7u	/* the label given to gconv_validate_desc() */
#define CHAIN_POS	2u	/* validate_in_chain() puts it there */
#define UNKNOWN_STR	"unknown validation error"

/* ---- expectations ------------------------------------------------------ */

/* So that a validator which forgets to fill in @err is caught. */
static void verr_poison(void)
{
	err.code = 0xdeadbeefu;
	err.desc = 0xdeadbeefu;
	err.operand = '?';
	err.field = NULL;
}

static char letter(char operand)
{
	return operand ? operand : '-';
}

static void expect_verr(const char *file, int line, const char *call, int ret,
			uint32_t code, uint32_t desc, char operand,
			const char *field)
{
	if (ret == -(int)code && err.code == code && err.desc == desc &&
	    err.operand == operand && err.field && !strcmp(err.field, field))
		return;
	fprintf(stderr, "FAIL %s: %s\n", harness_current, call);
	fprintf(stderr,
		"  expected ret %d (%s), desc %u, operand %c, field \"%s\"\n",
		-(int)code, gconv_verr_str(code), desc, letter(operand), field);
	fprintf(stderr,
		"  got      ret %d (%s), desc %u, operand %c, field \"%s\"\n",
		ret, gconv_verr_str(err.code), err.desc, letter(err.operand),
		err.field ? err.field : "(null)");
	harness_fail_at(file, line);
}

static void expect_ok(const char *file, int line, const char *call, int ret)
{
	if (!ret)
		return;
	fprintf(stderr, "FAIL %s: %s\n", harness_current, call);
	fprintf(stderr,
		"  expected 0, got %d (%s), desc %u, operand %c, "
		"field \"%s\"\n",
		ret, gconv_verr_str(err.code), err.desc, letter(err.operand),
		err.field ? err.field : "(null)");
	harness_fail_at(file, line);
}

/* @call must pass &err to the validator. */
#define EXPECT_OK(call)                                                   \
	do {                                                              \
		int r_;                                                   \
		verr_poison();                                            \
		r_ = (call);                                              \
		expect_ok(__FILE__, __LINE__, #call, r_);                 \
	} while (0)

#define EXPECT_VERR(call, code, desc, operand, field)                     \
	do {                                                              \
		int r_;                                                   \
		verr_poison();                                            \
		r_ = (call);                                              \
		expect_verr(__FILE__, __LINE__, #call, r_, (code), (desc), \
			    (operand), (field));                          \
	} while (0)

#define EXPECT_CHAIN_OK(buf, len, lim)                                    \
	EXPECT_OK(gconv_validate_chain((buf), (len), (lim), &err))

/* A header-level error: no descriptor, no operand. */
#define EXPECT_CHAIN_VERR(buf, len, lim, code, field)                     \
	EXPECT_VERR(gconv_validate_chain((buf), (len), (lim), &err), (code), \
		    GCONV_VERR_NO_DESC, 0, (field))

static int validate_in_chain(const struct gconv_desc *d,
			     const struct gconv_limits *lim);

/* Accepted alone and inside a chain. */
#define EXPECT_DESC_OK(d, lim)                                            \
	do {                                                              \
		EXPECT_OK(gconv_validate_desc((d), DESC_IDX, (lim), &err)); \
		EXPECT_OK(validate_in_chain((d), (lim)));                 \
	} while (0)

/* Rejected alone, inside a chain (as descriptor CHAIN_POS) and with no
 * error report. */
#define EXPECT_DESC_VERR(d, lim, code, operand, field)                    \
	do {                                                              \
		EXPECT_VERR(gconv_validate_desc((d), DESC_IDX, (lim), &err), \
			    (code), DESC_IDX, (operand), (field));        \
		EXPECT_VERR(validate_in_chain((d), (lim)), (code),        \
			    CHAIN_POS, (operand), (field));               \
		CHECK_EQ_INT(gconv_validate_desc((d), DESC_IDX, (lim), NULL), \
			     -(int)(code));                               \
	} while (0)

/* ---- known-valid descriptors ------------------------------------------- */

/*
 * The base case: a grouped 3x3 convolution with bias and relu, pad 1,
 * NCHW.  Every index slot of every operand has at least three values, so
 * a stride of 2^63 on any slot overflows.
 */
enum {
	CN = 3, CG = 3, CK = 3, CC = 3,	/* batch, groups, filters, channels */
	CH = 5, CW = 5,			/* input = output rows, columns */
	CR = 3, CS = 3,			/* window */
	X_EXT = CN * CG * CC * CH * CW,	/* 675 */
	Y_EXT = CG * CK * CC * CR * CS,	/* 243 */
	B_EXT = CG * CK,		/* 9 */
	O_EXT = CN * CG * CK * CH * CW,	/* 675 */
	X_ADDR = 0,
	Y_ADDR = X_ADDR + 4 * X_EXT,
	B_ADDR = Y_ADDR + 4 * Y_EXT,
	O_ADDR = B_ADDR + 4 * B_EXT,
	CONV_MEM = O_ADDR + 4 * O_EXT,	/* bytes the conv touches */
	CONV_WORK = CN * CG * CK * CH * CW * CC * CR * CS,	/* 18225 */
};

static void conv_desc(struct gconv_desc *d)
{
	gconv_desc_init(d);
	d->n = CN;
	d->g = CG;
	d->k = CK;
	d->p = CH;
	d->q = CW;
	d->c = CC;
	d->r = CR;
	d->s = CS;
	d->in_h = CH;
	d->in_w = CW;
	d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = 1;
	d->combine = GCONV_COMBINE_ADD;
	d->post = GCONV_POST_RELU;
	gconv_operand_f32(&d->x, X_ADDR, X_EXT, CG * CC * CH * CW,
			  CC * CH * CW, 0, CH * CW, CW, 1);
	gconv_operand_f32(&d->y, Y_ADDR, Y_EXT, 0, CK * CC * CR * CS,
			  CC * CR * CS, CR * CS, CS, 1);
	gconv_operand_f32(&d->b, B_ADDR, B_EXT, 0, CK, 1, 0, 0, 0);
	gconv_operand_f32(&d->o, O_ADDR, O_EXT, CG * CK * CH * CW,
			  CK * CH * CW, CH * CW, 0, CW, 1);
}

/* relu over the conv's output, in place: channels walk k. */
static void relu_desc(struct gconv_desc *d)
{
	gconv_desc_init(d);
	d->n = CN;
	d->k = CG * CK;
	d->p = d->in_h = CH;
	d->q = d->in_w = CW;
	d->main = GCONV_MAIN_TAKE_X;
	d->post = GCONV_POST_RELU;
	gconv_operand_f32(&d->x, O_ADDR, O_EXT, CG * CK * CH * CW, 0, CH * CW,
			  0, CW, 1);
	d->o = d->x;
}

/* X[0] * Y[0] -> O[0], broadcast over every index: any loop nest is safe. */
static void broadcast_desc(struct gconv_desc *d)
{
	gconv_desc_init(d);
	gconv_operand_f32(&d->x, 0, 1, 0, 0, 0, 0, 0, 0);
	gconv_operand_f32(&d->y, 4, 1, 0, 0, 0, 0, 0, 0);
	gconv_operand_f32(&d->o, 8, 1, 0, 0, 0, 0, 0, 0);
}

static struct gconv_operand *opnd(struct gconv_desc *d, char which)
{
	switch (which) {
	case 'X':
		return &d->x;
	case 'Y':
		return &d->y;
	case 'B':
		return &d->b;
	default:
		return &d->o;
	}
}

static const char operands[] = { 'X', 'Y', 'B', 'O' };

static const char *const slot_name[GCONV_SLOTS] = {
	"stride[n]", "stride[g]", "stride[k]", "stride[c]", "stride[row]",
	"stride[col]",
};

/* The base conv, checked to be valid. */
static void valid_conv(struct gconv_desc *d)
{
	conv_desc(d);
	EXPECT_DESC_OK(d, &default_limits);
}

static void set_u32(void *base, size_t off, uint32_t v)
{
	memcpy((uint8_t *)base + off, &v, sizeof(v));
}

/* Zero the operands @d does not use, as the encoding requires. */
static void clear_unused(struct gconv_desc *d)
{
	if (!gconv_desc_reads_x(d))
		memset(&d->x, 0, sizeof(d->x));
	if (!gconv_desc_reads_y(d))
		memset(&d->y, 0, sizeof(d->y));
	if (!gconv_desc_reads_b(d))
		memset(&d->b, 0, sizeof(d->b));
}

/* ---- chains ------------------------------------------------------------ */

static void *encode(const struct gconv_desc *d, uint32_t count, size_t *len)
{
	struct gconv_chain_builder cb = { 0 };
	void *buf = NULL;
	uint32_t i;

	for (i = 0; i < count; i++)
		CHECK_EQ_INT(gconv_chain_append(&cb, &d[i]), 0);
	CHECK_EQ_INT(gconv_chain_encode(&cb, &buf, len), 0);
	gconv_chain_builder_free(&cb);
	return buf;
}

/* conv, relu, conv, relu, ...: valid under the default limits. */
static void *base_chain(uint32_t count, size_t *len)
{
	struct gconv_desc d[8];
	uint32_t i;

	CHECK(count <= 8);
	for (i = 0; i < count; i++) {
		if (i % 2)
			relu_desc(&d[i]);
		else
			conv_desc(&d[i]);
	}
	return encode(d, count, len);
}

/* Valid convs around @d, which sits at CHAIN_POS. */
static int validate_in_chain(const struct gconv_desc *d,
			     const struct gconv_limits *lim)
{
	struct gconv_desc v[4];
	size_t len;
	void *buf;
	int ret;

	conv_desc(&v[0]);
	conv_desc(&v[1]);
	v[CHAIN_POS] = *d;
	conv_desc(&v[3]);
	buf = encode(v, 4, &len);
	ret = gconv_validate_chain(buf, len, lim, &err);
	free(buf);
	return ret;
}

static struct gconv_chain_header *hdr(void *buf)
{
	return buf;
}

static struct gconv_desc *desc_at(void *buf, uint32_t i)
{
	struct gconv_chain_header *h = buf;

	return (struct gconv_desc *)((uint8_t *)buf + h->header_size +
				     (size_t)i * h->desc_size);
}

/*
 * Re-encode a 1.0 chain with larger records, as a producer of a newer
 * minor version would: each record is copied to the start of its larger
 * slot and the rest of the slot is zero.
 */
static void *reencode(const void *chain, uint32_t header_size,
		      uint32_t desc_size, size_t *len)
{
	const struct gconv_chain_header *old = chain;
	struct gconv_chain_header *h;
	size_t size = header_size + (size_t)old->count * desc_size;
	uint8_t *buf;
	uint32_t i;

	buf = aligned_alloc(8, size);
	CHECK(buf);
	memset(buf, 0, size);
	memcpy(buf, chain, sizeof(*old));
	h = (struct gconv_chain_header *)buf;
	h->header_size = header_size;
	h->desc_size = desc_size;
	h->total_size = size;
	for (i = 0; i < old->count; i++)
		memcpy(buf + header_size + (size_t)i * desc_size,
		       gconv_chain_desc(old, i), sizeof(struct gconv_desc));
	*len = size;
	return buf;
}

/* An exact-size copy of the first @len bytes, so ASan sees over-reads. */
static void *prefix_copy(const void *buf, size_t len)
{
	void *p = malloc(len ? len : 1);

	CHECK(p);
	memcpy(p, buf, len);
	return p;
}

/* Fill @size bytes with small random floats. */
static void fill_random(void *mem, uint64_t size, unsigned long long seed)
{
	unsigned long long rs = seed * 6364136223846793005ULL + 1;
	float *f = mem;
	uint64_t i;

	for (i = 0; i < size / sizeof(float); i++)
		f[i] = harness_randf(&rs);
}

/* Run @chain on a copy of @init and return the memory afterwards. */
static uint8_t *run_on_copy(const void *chain, size_t len, const void *init,
			    size_t size)
{
	uint8_t *mem = malloc(size);

	CHECK(mem);
	memcpy(mem, init, size);
	EXPECT_OK(gconv_golden_run_chain(chain, len, mem, size, &err));
	return mem;
}

/* ========================================================================
 * Chain level
 */

TEST(chain_valid_is_accepted_and_runs)
{
	uint8_t *mem, *ran;
	size_t len;
	void *buf;

	buf = base_chain(4, &len);
	CHECK_EQ_INT(len, 64 + 4 * 512);
	EXPECT_CHAIN_OK(buf, len, &default_limits);
	CHECK_EQ_INT(gconv_validate_chain(buf, len, &default_limits, NULL), 0);
	/* memory exactly as large as the operands: ASan checks every access */
	mem = malloc(CONV_MEM);
	CHECK(mem);
	fill_random(mem, CONV_MEM, 1);
	ran = run_on_copy(buf, len, mem, CONV_MEM);
	free(ran);
	free(mem);
	free(buf);
}

TEST(chain_unaligned_buffer)
{
	size_t len, off;
	uint8_t *store;
	void *buf;

	buf = base_chain(2, &len);
	store = aligned_alloc(8, len + 16);
	CHECK(store);
	for (off = 0; off <= 8; off++) {
		memcpy(store + off, buf, len);
		if (off % 8 == 0)
			EXPECT_CHAIN_OK(store + off, len, &default_limits);
		else
			EXPECT_CHAIN_VERR(store + off, len, &default_limits,
					  GCONV_VERR_CHAIN_ALIGN, "buffer");
	}
	free(store);
	free(buf);
}

TEST(chain_shorter_than_header)
{
	static const size_t lens[] = { 0, 1, 8, 32, 63 };
	size_t len, i;
	void *buf, *p;

	buf = base_chain(1, &len);
	EXPECT_CHAIN_OK(buf, len, &default_limits);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		p = prefix_copy(buf, lens[i]);
		EXPECT_CHAIN_VERR(p, lens[i], &default_limits,
				  GCONV_VERR_CHAIN_TRUNCATED, "header");
		free(p);
	}
	free(buf);
}

TEST(chain_truncated)
{
	size_t len, i, cut[5];
	void *buf, *p;

	buf = base_chain(3, &len);
	cut[0] = 64;
	cut[1] = 65;
	cut[2] = len - 512;
	cut[3] = len - 8;
	cut[4] = len - 1;
	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		p = prefix_copy(buf, cut[i]);
		EXPECT_CHAIN_VERR(p, cut[i], &default_limits,
				  GCONV_VERR_CHAIN_TRUNCATED, "total_size");
		free(p);
	}
	/* exactly total_size, and a longer buffer with junk after it */
	p = prefix_copy(buf, len);
	EXPECT_CHAIN_OK(p, len, &default_limits);
	free(p);
	p = malloc(len + 100);
	CHECK(p);
	memcpy(p, buf, len);
	memset((uint8_t *)p + len, 0xa5, 100);
	EXPECT_CHAIN_OK(p, len + 100, &default_limits);
	free(p);
	free(buf);
}

TEST(chain_bad_magic)
{
	static const uint32_t bad[] = {
		0, 0x47434348u /* byte-swapped */, GCONV_CHAIN_MAGIC ^ 1,
		GCONV_CHAIN_MAGIC ^ 0x80000000u, 0xffffffffu,
	};
	size_t len, i;
	void *buf;

	buf = base_chain(2, &len);
	EXPECT_CHAIN_OK(buf, len, &default_limits);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hdr(buf)->magic = bad[i];
		EXPECT_CHAIN_VERR(buf, len, &default_limits,
				  GCONV_VERR_BAD_MAGIC, "magic");
	}
	free(buf);
}

TEST(chain_unknown_major_version)
{
	static const uint16_t bad[] = { 0, 2, 3, 0x100, 0xffff };
	size_t len, i;
	void *buf;

	buf = base_chain(2, &len);
	EXPECT_CHAIN_OK(buf, len, &default_limits);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hdr(buf)->version_major = bad[i];
		EXPECT_CHAIN_VERR(buf, len, &default_limits,
				  GCONV_VERR_BAD_VERSION, "version_major");
	}
	free(buf);
}

TEST(chain_other_minor_version_accepted)
{
	static const uint16_t minor[] = { 0, 1, 2, 0x7fff, 0xffff };
	size_t len, i;
	void *buf;

	buf = base_chain(2, &len);
	for (i = 0; i < sizeof(minor) / sizeof(minor[0]); i++) {
		hdr(buf)->version_minor = minor[i];
		EXPECT_CHAIN_OK(buf, len, &default_limits);
	}
	free(buf);
}

static void check_header_size(const uint32_t *bad, size_t count)
{
	size_t len, i;
	void *buf;

	buf = base_chain(2, &len);
	EXPECT_CHAIN_OK(buf, len, &default_limits);
	for (i = 0; i < count; i++) {
		hdr(buf)->header_size = bad[i];
		EXPECT_CHAIN_VERR(buf, len, &default_limits,
				  GCONV_VERR_HEADER_SIZE, "header_size");
	}
	free(buf);
}

TEST(chain_header_size_too_small)
{
	static const uint32_t bad[] = { 0, 8, 32, 56, 60 };

	check_header_size(bad, sizeof(bad) / sizeof(bad[0]));
}

TEST(chain_header_size_unaligned)
{
	static const uint32_t bad[] = { 65, 68, 100, 4092, 4095 };

	check_header_size(bad, sizeof(bad) / sizeof(bad[0]));
}

TEST(chain_header_size_above_max_record_size)
{
	static const uint32_t bad[] = {
		GCONV_MAX_RECORD_SIZE + 8, 8192, 0x80000000u, 0xfffffff8u,
	};

	check_header_size(bad, sizeof(bad) / sizeof(bad[0]));
}

static void check_desc_size(const uint32_t *bad, size_t count)
{
	size_t len, i;
	void *buf;

	buf = base_chain(2, &len);
	EXPECT_CHAIN_OK(buf, len, &default_limits);
	for (i = 0; i < count; i++) {
		hdr(buf)->desc_size = bad[i];
		EXPECT_CHAIN_VERR(buf, len, &default_limits,
				  GCONV_VERR_DESC_SIZE, "desc_size");
	}
	free(buf);
}

TEST(chain_desc_size_too_small)
{
	static const uint32_t bad[] = { 0, 8, 64, 504, 508 };

	check_desc_size(bad, sizeof(bad) / sizeof(bad[0]));
}

TEST(chain_desc_size_unaligned)
{
	static const uint32_t bad[] = { 513, 516, 1020, 4095 };

	check_desc_size(bad, sizeof(bad) / sizeof(bad[0]));
}

TEST(chain_desc_size_above_max_record_size)
{
	static const uint32_t bad[] = {
		GCONV_MAX_RECORD_SIZE + 8, 8192, 0x80000000u, 0xfffffff8u,
	};

	check_desc_size(bad, sizeof(bad) / sizeof(bad[0]));
}

TEST(chain_count_zero)
{
	size_t len;
	void *buf;

	buf = base_chain(1, &len);
	EXPECT_CHAIN_OK(buf, len, &default_limits);
	hdr(buf)->count = 0;
	EXPECT_CHAIN_VERR(buf, len, &default_limits, GCONV_VERR_COUNT,
			  "count");
	/* even with a total_size that agrees */
	hdr(buf)->total_size = 64;
	EXPECT_CHAIN_VERR(buf, len, &default_limits, GCONV_VERR_COUNT,
			  "count");
	free(buf);
}

TEST(chain_count_above_max_count)
{
	struct gconv_limits lim = GCONV_LIMITS_DEFAULT;
	const uint32_t max = default_limits.max_count;
	struct gconv_chain_header *h;
	struct gconv_desc relu;
	size_t len, size;
	uint8_t *big;
	uint32_t i;
	void *buf;

	buf = base_chain(4, &len);
	lim.max_count = 4;
	EXPECT_CHAIN_OK(buf, len, &lim);
	lim.max_count = 3;
	EXPECT_CHAIN_VERR(buf, len, &lim, GCONV_VERR_COUNT, "count");
	lim.max_count = 0;
	EXPECT_CHAIN_VERR(buf, len, &lim, GCONV_VERR_COUNT, "count");
	free(buf);

	/* the default limit: max_count descriptors pass, one more does not */
	size = 64 + (size_t)(max + 1) * 512;
	big = aligned_alloc(8, size);
	CHECK(big);
	relu_desc(&relu);
	for (i = 0; i < max + 1; i++)
		memcpy(big + 64 + (size_t)i * 512, &relu, sizeof(relu));
	h = (struct gconv_chain_header *)big;
	memset(h, 0, sizeof(*h));
	h->magic = GCONV_CHAIN_MAGIC;
	h->version_major = GCONV_ISA_VERSION_MAJOR;
	h->header_size = 64;
	h->desc_size = 512;
	h->count = max + 1;
	h->total_size = size;
	EXPECT_CHAIN_VERR(big, size, &default_limits, GCONV_VERR_COUNT,
			  "count");
	h->count = max;
	h->total_size = size - 512;
	EXPECT_CHAIN_OK(big, size - 512, &default_limits);
	h->count = 0xffffffffu;
	EXPECT_CHAIN_VERR(big, size, &default_limits, GCONV_VERR_COUNT,
			  "count");
	free(big);
}

TEST(chain_total_size_disagrees)
{
	size_t len, i;
	uint64_t bad[6];
	void *buf;

	buf = base_chain(2, &len);
	EXPECT_CHAIN_OK(buf, len, &default_limits);
	bad[0] = len + 1;
	bad[1] = len - 1;
	bad[2] = len + 512;
	bad[3] = len - 512;
	bad[4] = 0;
	bad[5] = UINT64_MAX;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hdr(buf)->total_size = bad[i];
		EXPECT_CHAIN_VERR(buf, len, &default_limits,
				  GCONV_VERR_TOTAL_SIZE, "total_size");
	}
	free(buf);
}

TEST(chain_unknown_flags)
{
	size_t len;
	void *buf;
	int bit;

	buf = base_chain(2, &len);
	EXPECT_CHAIN_OK(buf, len, &default_limits);
	for (bit = 0; bit < 32; bit++) {
		hdr(buf)->flags = 1u << bit;
		EXPECT_CHAIN_VERR(buf, len, &default_limits,
				  GCONV_VERR_CHAIN_FLAGS, "flags");
	}
	free(buf);
}

TEST(chain_reserved_words_nonzero)
{
	size_t len;
	void *buf;
	int i;

	buf = base_chain(2, &len);
	EXPECT_CHAIN_OK(buf, len, &default_limits);
	for (i = 0; i < 8; i++) {
		hdr(buf)->reserved[i] = 1;
		EXPECT_CHAIN_VERR(buf, len, &default_limits,
				  GCONV_VERR_RESERVED, "reserved");
		hdr(buf)->reserved[i] = 0x80000000u;
		EXPECT_CHAIN_VERR(buf, len, &default_limits,
				  GCONV_VERR_RESERVED, "reserved");
		hdr(buf)->reserved[i] = 0;
	}
	EXPECT_CHAIN_OK(buf, len, &default_limits);
	free(buf);
}

/* A newer producer's larger records, zero past the 1.0 part, run the same. */
static void check_larger_records(uint32_t header_size, uint32_t desc_size)
{
	uint8_t *mem, *want, *got;
	size_t len, big_len;
	void *buf, *big;

	buf = base_chain(4, &len);
	big = reencode(buf, header_size, desc_size, &big_len);
	CHECK_EQ_INT(big_len, header_size + 4 * (uint64_t)desc_size);
	hdr(big)->version_minor = 3;
	EXPECT_CHAIN_OK(big, big_len, &default_limits);

	mem = malloc(CONV_MEM);
	CHECK(mem);
	fill_random(mem, CONV_MEM, header_size + desc_size);
	want = run_on_copy(buf, len, mem, CONV_MEM);
	got = run_on_copy(big, big_len, mem, CONV_MEM);
	CHECK(memcmp(want, got, CONV_MEM) == 0);
	free(got);
	free(want);
	free(mem);
	free(big);
	free(buf);
}

TEST(chain_larger_header_size_with_zero_extension_accepted)
{
	check_larger_records(72, 512);
	check_larger_records(128, 512);
	check_larger_records(GCONV_MAX_RECORD_SIZE, 512);
}

TEST(chain_larger_desc_size_with_zero_extension_accepted)
{
	check_larger_records(64, 520);
	check_larger_records(64, 576);
	check_larger_records(64, GCONV_MAX_RECORD_SIZE);
	check_larger_records(GCONV_MAX_RECORD_SIZE, GCONV_MAX_RECORD_SIZE);
}

TEST(chain_header_extension_nonzero)
{
	size_t len, big_len, i;
	uint8_t *big;
	void *buf;

	buf = base_chain(2, &len);
	big = reencode(buf, 128, 512, &big_len);
	EXPECT_CHAIN_OK(big, big_len, &default_limits);
	for (i = 64; i < 128; i++) {
		big[i] = (uint8_t)(1u << (i % 8));
		EXPECT_CHAIN_VERR(big, big_len, &default_limits,
				  GCONV_VERR_EXTENSION, "header");
		big[i] = 0;
	}
	EXPECT_CHAIN_OK(big, big_len, &default_limits);
	free(big);

	big = reencode(buf, GCONV_MAX_RECORD_SIZE, 512, &big_len);
	big[GCONV_MAX_RECORD_SIZE - 1] = 0x80;
	EXPECT_CHAIN_VERR(big, big_len, &default_limits, GCONV_VERR_EXTENSION,
			  "header");
	free(big);
	free(buf);
}

TEST(chain_desc_extension_nonzero)
{
	static const size_t where[] = { 512, 513, 519, 520, 575 };
	size_t len, big_len, j;
	uint8_t *big, *p;
	void *buf;
	uint32_t i;

	buf = base_chain(3, &len);
	big = reencode(buf, 64, 576, &big_len);
	EXPECT_CHAIN_OK(big, big_len, &default_limits);
	for (i = 0; i < 3; i++) {
		for (j = 0; j < sizeof(where) / sizeof(where[0]); j++) {
			p = (uint8_t *)desc_at(big, i) + where[j];
			*p = 0x10;
			EXPECT_VERR(gconv_validate_chain(big, big_len,
							 &default_limits,
							 &err),
				    GCONV_VERR_EXTENSION, i, 0, "descriptor");
			*p = 0;
		}
	}
	free(big);

	big = reencode(buf, 64, GCONV_MAX_RECORD_SIZE, &big_len);
	big[big_len - 1] = 1;
	EXPECT_VERR(gconv_validate_chain(big, big_len, &default_limits, &err),
		    GCONV_VERR_EXTENSION, 2, 0, "descriptor");
	free(big);
	free(buf);
}

TEST(chain_bad_descriptor_reports_its_index)
{
	size_t len;
	void *buf;
	uint32_t i;

	buf = base_chain(4, &len);
	for (i = 0; i < 4; i++) {
		desc_at(buf, i)->post = GCONV_POST_COUNT;
		EXPECT_VERR(gconv_validate_chain(buf, len, &default_limits,
						 &err),
			    GCONV_VERR_OPCODE, i, 0, "post");
		desc_at(buf, i)->post = GCONV_POST_RELU;
		desc_at(buf, i)->o.extent--;
		EXPECT_VERR(gconv_validate_chain(buf, len, &default_limits,
						 &err),
			    GCONV_VERR_OUT_OF_EXTENT, i, 'O', "extent");
		desc_at(buf, i)->o.extent++;
		EXPECT_CHAIN_OK(buf, len, &default_limits);
	}
	/* the first bad one is reported */
	desc_at(buf, 3)->n = 0;
	desc_at(buf, 1)->x.addr = 2;
	EXPECT_VERR(gconv_validate_chain(buf, len, &default_limits, &err),
		    GCONV_VERR_MISALIGNED, 1, 'X', "addr");
	free(buf);
}

/* docs/gconv-isa.md "Validation": checks run in the documented order. */
TEST(chain_first_problem_in_documented_order)
{
	struct gconv_chain_header *h;
	size_t len, big_len;
	uint8_t *big, *store;
	uint64_t total;
	void *buf;

	buf = base_chain(2, &len);
	big = reencode(buf, 128, 576, &big_len);
	total = big_len;
	h = hdr(big);
	store = aligned_alloc(8, big_len + 8);
	CHECK(store);
	memcpy(store + 4, big, big_len);
	EXPECT_CHAIN_VERR(store + 4, big_len, &default_limits,
			  GCONV_VERR_CHAIN_ALIGN, "buffer");
	free(store);

	desc_at(big, 0)->flags = 0x100;		/* descriptor 0 flags */
	big[128 + 512] = 1;			/* descriptor 0 extension */
	big[100] = 1;				/* header extension */
	h->magic = 0;
	h->version_major = 0;
	h->header_size = 60;
	h->desc_size = 500;
	h->count = 0;
	h->flags = 1;
	h->reserved[7] = 1;
	h->total_size = 1;

	EXPECT_CHAIN_VERR(big, 63, &default_limits,
			  GCONV_VERR_CHAIN_TRUNCATED, "header");
	EXPECT_CHAIN_VERR(big, big_len, &default_limits, GCONV_VERR_BAD_MAGIC,
			  "magic");
	h->magic = GCONV_CHAIN_MAGIC;
	EXPECT_CHAIN_VERR(big, big_len, &default_limits,
			  GCONV_VERR_BAD_VERSION, "version_major");
	h->version_major = GCONV_ISA_VERSION_MAJOR;
	EXPECT_CHAIN_VERR(big, big_len, &default_limits,
			  GCONV_VERR_HEADER_SIZE, "header_size");
	h->header_size = 128;
	EXPECT_CHAIN_VERR(big, big_len, &default_limits, GCONV_VERR_DESC_SIZE,
			  "desc_size");
	h->desc_size = 576;
	EXPECT_CHAIN_VERR(big, big_len, &default_limits, GCONV_VERR_COUNT,
			  "count");
	h->count = 2;
	EXPECT_CHAIN_VERR(big, big_len, &default_limits,
			  GCONV_VERR_CHAIN_FLAGS, "flags");
	h->flags = 0;
	EXPECT_CHAIN_VERR(big, big_len, &default_limits, GCONV_VERR_RESERVED,
			  "reserved");
	h->reserved[7] = 0;
	EXPECT_CHAIN_VERR(big, big_len, &default_limits,
			  GCONV_VERR_TOTAL_SIZE, "total_size");
	h->total_size = total;
	EXPECT_CHAIN_VERR(big, big_len - 1, &default_limits,
			  GCONV_VERR_CHAIN_TRUNCATED, "total_size");
	EXPECT_CHAIN_VERR(big, big_len, &default_limits, GCONV_VERR_EXTENSION,
			  "header");
	big[100] = 0;
	EXPECT_VERR(gconv_validate_chain(big, big_len, &default_limits, &err),
		    GCONV_VERR_EXTENSION, 0, 0, "descriptor");
	big[128 + 512] = 0;
	EXPECT_VERR(gconv_validate_chain(big, big_len, &default_limits, &err),
		    GCONV_VERR_DESC_FLAGS, 0, 0, "flags");
	desc_at(big, 0)->flags = 0;
	EXPECT_CHAIN_OK(big, big_len, &default_limits);
	free(big);
	free(buf);
}

TEST(null_error_report_is_allowed)
{
	struct gconv_desc d;
	size_t len;
	void *buf;

	buf = base_chain(2, &len);
	CHECK_EQ_INT(gconv_validate_chain(buf, len, &default_limits, NULL), 0);
	CHECK_EQ_INT(gconv_validate_chain((uint8_t *)buf + 4, len - 4,
					  &default_limits, NULL),
		     -GCONV_VERR_CHAIN_ALIGN);
	CHECK_EQ_INT(gconv_validate_chain(buf, 10, &default_limits, NULL),
		     -GCONV_VERR_CHAIN_TRUNCATED);
	desc_at(buf, 1)->x.extent = 0;
	CHECK_EQ_INT(gconv_validate_chain(buf, len, &default_limits, NULL),
		     -GCONV_VERR_OUT_OF_EXTENT);
	conv_desc(&d);
	CHECK_EQ_INT(gconv_validate_desc(&d, 0, &default_limits, NULL), 0);
	CHECK_EQ_INT(gconv_validate_desc_range(&d, 0, CONV_MEM, NULL), 0);
	CHECK_EQ_INT(gconv_validate_desc_range(&d, 0, CONV_MEM - 1, NULL),
		     -GCONV_VERR_OUT_OF_RANGE);
	free(buf);
}

/* ========================================================================
 * Descriptor level
 */

TEST(desc_valid_conv_accepted)
{
	struct gconv_desc d;

	valid_conv(&d);
	relu_desc(&d);
	EXPECT_DESC_OK(&d, &default_limits);
	broadcast_desc(&d);
	EXPECT_DESC_OK(&d, &default_limits);
}

/* tag, pad_value and the operator parameters are free bit patterns. */
TEST(desc_free_fields_accept_any_bits)
{
	struct gconv_desc d;
	int i;

	valid_conv(&d);
	d.tag = 0xffffffffu;
	d.pad_value = 0x7fc00001u;	/* a NaN */
	d.pre_param[0] = d.pre_param[1] = 0xffffffffu;
	for (i = 0; i < 4; i++)
		d.post_param[i] = 0xff800000u;	/* -inf */
	EXPECT_DESC_OK(&d, &default_limits);
}

TEST(desc_unknown_flags)
{
	struct gconv_desc d;
	int bit;

	valid_conv(&d);
	d.flags = GCONV_DESC_F_ACCUMULATE;
	EXPECT_DESC_OK(&d, &default_limits);
	for (bit = 1; bit < 32; bit++) {
		d.flags = 1u << bit;
		EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_DESC_FLAGS,
				 0, "flags");
		d.flags = GCONV_DESC_F_ACCUMULATE | 1u << bit;
		EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_DESC_FLAGS,
				 0, "flags");
	}
}

TEST(desc_reserved0_nonzero)
{
	struct gconv_desc d;
	int i;

	valid_conv(&d);
	for (i = 0; i < 3; i++) {
		d.reserved0[i] = 1;
		EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_RESERVED, 0,
				 "reserved0");
		d.reserved0[i] = 0x80;
		EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_RESERVED, 0,
				 "reserved0");
		d.reserved0[i] = 0;
	}
	EXPECT_DESC_OK(&d, &default_limits);
}

TEST(desc_reserved1_nonzero)
{
	struct gconv_desc d;

	valid_conv(&d);
	d.reserved1 = 1;
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_RESERVED, 0,
			 "reserved1");
	d.reserved1 = 0x80000000u;
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_RESERVED, 0,
			 "reserved1");
}

TEST(desc_reserved2_nonzero)
{
	struct gconv_desc d;
	int i;

	valid_conv(&d);
	for (i = 0; i < 8; i++) {
		d.reserved2[i] = 1;
		EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_RESERVED, 0,
				 "reserved2");
		d.reserved2[i] = 1ull << 63;
		EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_RESERVED, 0,
				 "reserved2");
		d.reserved2[i] = 0;
	}
	EXPECT_DESC_OK(&d, &default_limits);
}

/* Every value of an opcode byte: below @count accepted, else rejected. */
static void check_opcode(size_t off, unsigned int count, const char *name)
{
	struct gconv_desc d;
	unsigned int v;

	valid_conv(&d);
	for (v = 0; v < 256; v++) {
		conv_desc(&d);
		((uint8_t *)&d)[off] = (uint8_t)v;
		if (v < count) {
			clear_unused(&d);
			EXPECT_DESC_OK(&d, &default_limits);
		} else {
			EXPECT_DESC_VERR(&d, &default_limits,
					 GCONV_VERR_OPCODE, 0, name);
		}
	}
}

#define OPCODE_TEST(f, count)                                             \
	TEST(desc_##f##_out_of_range)                                     \
	{                                                                 \
		check_opcode(offsetof(struct gconv_desc, f), (count), #f); \
	}

OPCODE_TEST(pre, GCONV_PRE_COUNT)
OPCODE_TEST(main, GCONV_MAIN_COUNT)
OPCODE_TEST(reduce, GCONV_REDUCE_COUNT)
OPCODE_TEST(combine, GCONV_COMBINE_COUNT)
OPCODE_TEST(post, GCONV_POST_COUNT)

static void check_zero_dim(size_t off, const char *name)
{
	struct gconv_desc d;

	valid_conv(&d);
	set_u32(&d, off, 0);
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_ZERO_DIM, 0, name);
}

/*
 * The base conv's largest dimension is 5, so under max_dim = 5 it passes
 * and 6 in any one dimension is the first value rejected.
 */
static void check_dim_limit(size_t off, const char *name)
{
	struct gconv_limits lim = GCONV_LIMITS_DEFAULT;
	struct gconv_desc d;

	valid_conv(&d);
	lim.max_dim = 5;
	EXPECT_DESC_OK(&d, &lim);
	set_u32(&d, off, 6);
	EXPECT_DESC_VERR(&d, &lim, GCONV_VERR_DIM_LIMIT, 0, name);
	set_u32(&d, off, default_limits.max_dim + 1);
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_DIM_LIMIT, 0, name);
	set_u32(&d, off, 0xffffffffu);
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_DIM_LIMIT, 0, name);
}

#define DIM_TESTS(f)                                                      \
	TEST(desc_zero_##f)                                               \
	{                                                                 \
		check_zero_dim(offsetof(struct gconv_desc, f), #f);       \
	}                                                                 \
	TEST(desc_##f##_above_max_dim)                                    \
	{                                                                 \
		check_dim_limit(offsetof(struct gconv_desc, f), #f);      \
	}
#define DIM_T(f) T(desc_zero_##f), T(desc_##f##_above_max_dim)

DIM_TESTS(n)
DIM_TESTS(g)
DIM_TESTS(k)
DIM_TESTS(p)
DIM_TESTS(q)
DIM_TESTS(c)
DIM_TESTS(r)
DIM_TESTS(s)
DIM_TESTS(in_h)
DIM_TESTS(in_w)

static void check_zero_step(size_t off, const char *name)
{
	struct gconv_desc d;

	valid_conv(&d);
	set_u32(&d, off, 0);
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_ZERO_STEP, 0, name);
}

/* A step or pad equal to max_step passes; one more does not. */
static void check_step_limit(size_t off, const char *name)
{
	struct gconv_limits lim = GCONV_LIMITS_DEFAULT;
	struct gconv_desc d;

	valid_conv(&d);
	lim.max_step = 7;
	set_u32(&d, off, 7);
	EXPECT_DESC_OK(&d, &lim);
	set_u32(&d, off, 8);
	EXPECT_DESC_VERR(&d, &lim, GCONV_VERR_DIM_LIMIT, 0, name);
	set_u32(&d, off, default_limits.max_step);
	EXPECT_DESC_OK(&d, &default_limits);
	set_u32(&d, off, default_limits.max_step + 1);
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_DIM_LIMIT, 0, name);
	set_u32(&d, off, 0xffffffffu);
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_DIM_LIMIT, 0, name);
}

#define STEP_TESTS(f)                                                     \
	TEST(desc_zero_##f)                                               \
	{                                                                 \
		check_zero_step(offsetof(struct gconv_desc, f), #f);      \
	}                                                                 \
	TEST(desc_##f##_above_max_step)                                   \
	{                                                                 \
		check_step_limit(offsetof(struct gconv_desc, f), #f);     \
	}
#define STEP_T(f) T(desc_zero_##f), T(desc_##f##_above_max_step)

STEP_TESTS(stride_h)
STEP_TESTS(stride_w)
STEP_TESTS(dilation_h)
STEP_TESTS(dilation_w)
STEP_TESTS(in_dilation_h)
STEP_TESTS(in_dilation_w)

#define PAD_TEST(f)                                                       \
	TEST(desc_##f##_above_max_step)                                   \
	{                                                                 \
		check_step_limit(offsetof(struct gconv_desc, f), #f);     \
	}
#define PAD_T(f) T(desc_##f##_above_max_step)

PAD_TEST(pad_top)
PAD_TEST(pad_bottom)
PAD_TEST(pad_left)
PAD_TEST(pad_right)

TEST(desc_zero_pads_accepted)
{
	struct gconv_desc d;

	valid_conv(&d);
	d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 0;
	EXPECT_DESC_OK(&d, &default_limits);
}

#define WORK_FIELD "n*g*k*p*q*c*r*s"

TEST(desc_work_overflows_64_bits)
{
	struct gconv_limits lim = GCONV_LIMITS_DEFAULT;
	struct gconv_desc d;

	/* with no work limit only the overflow can reject */
	lim.max_work = UINT64_MAX;
	broadcast_desc(&d);
	d.n = d.g = d.k = d.p = 1u << 16;		/* exactly 2^64 */
	EXPECT_DESC_VERR(&d, &lim, GCONV_VERR_WORK_LIMIT, 0, WORK_FIELD);
	d.p = (1u << 16) - 1;				/* 2^64 - 2^48 */
	EXPECT_DESC_OK(&d, &lim);
	/* the last factor tips it over */
	d.n = d.g = d.k = d.p = d.q = d.c = d.r = 1u << 8;
	d.s = 1u << 8;
	EXPECT_DESC_VERR(&d, &lim, GCONV_VERR_WORK_LIMIT, 0, WORK_FIELD);
	d.s = (1u << 8) - 1;
	EXPECT_DESC_OK(&d, &lim);
	/* far beyond, under the default limits */
	d.n = d.g = d.k = d.p = d.q = d.c = d.r = d.s = 1u << 24;
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_WORK_LIMIT, 0,
			 WORK_FIELD);
	/* limits that allow every 32-bit dimension are capped at 2^24 */
	lim.max_dim = 0xffffffffu;
	d.n = d.g = d.k = 0xffffffffu;
	d.p = d.q = d.c = d.r = d.s = 1;
	EXPECT_DESC_VERR(&d, &lim, GCONV_VERR_DIM_LIMIT, 0, "n");
}

TEST(limits_above_the_hard_caps_are_capped)
{
	struct gconv_limits lim = GCONV_LIMITS_DEFAULT;
	struct gconv_desc d;

	lim.max_dim = lim.max_step = 0xffffffffu;
	broadcast_desc(&d);
	d.in_h = GCONV_MAX_DIM_HARD + 1;
	EXPECT_DESC_VERR(&d, &lim, GCONV_VERR_DIM_LIMIT, 0, "in_h");
	broadcast_desc(&d);
	d.in_dilation_h = GCONV_MAX_STEP_HARD + 1;
	EXPECT_DESC_VERR(&d, &lim, GCONV_VERR_DIM_LIMIT, 0, "in_dilation_h");
}

TEST(desc_work_above_max_work)
{
	struct gconv_limits lim = GCONV_LIMITS_DEFAULT;
	struct gconv_desc d;

	valid_conv(&d);
	lim.max_work = CONV_WORK;
	EXPECT_DESC_OK(&d, &lim);
	/* alone: in a chain, the valid conv before it would fail first */
	lim.max_work = CONV_WORK - 1;
	EXPECT_VERR(gconv_validate_desc(&d, DESC_IDX, &lim, &err),
		    GCONV_VERR_WORK_LIMIT, DESC_IDX, 0, WORK_FIELD);
	CHECK_EQ_INT(gconv_validate_desc(&d, DESC_IDX, &lim, NULL),
		     -GCONV_VERR_WORK_LIMIT);

	/* the default limit, 2^44, exactly */
	broadcast_desc(&d);
	d.n = 1u << 22;
	d.g = 1u << 22;
	EXPECT_DESC_OK(&d, &default_limits);
	d.g++;
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_WORK_LIMIT, 0,
			 WORK_FIELD);

	/* in_h and in_w are not part of the loop nest */
	broadcast_desc(&d);
	d.in_h = d.in_w = 1u << 24;
	lim.max_work = 1;
	EXPECT_OK(gconv_validate_desc(&d, DESC_IDX, &lim, &err));
	d.s = 2;
	EXPECT_VERR(gconv_validate_desc(&d, DESC_IDX, &lim, &err),
		    GCONV_VERR_WORK_LIMIT, DESC_IDX, 0, WORK_FIELD);
}

static void check_accumulate_mean(uint8_t reduce)
{
	struct gconv_desc d;

	valid_conv(&d);
	d.reduce = reduce;
	EXPECT_DESC_OK(&d, &default_limits);
	d.flags = GCONV_DESC_F_ACCUMULATE;
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_ACCUMULATE_MEAN, 0,
			 "flags");
}

TEST(desc_accumulate_mean_all)
{
	check_accumulate_mean(GCONV_REDUCE_MEAN_ALL);
}

TEST(desc_accumulate_mean_valid)
{
	check_accumulate_mean(GCONV_REDUCE_MEAN_VALID);
}

TEST(desc_accumulate_mean_padded)
{
	check_accumulate_mean(GCONV_REDUCE_MEAN_PADDED);
}

TEST(desc_accumulate_sum_max_min_accepted)
{
	static const uint8_t ok[] = {
		GCONV_REDUCE_SUM, GCONV_REDUCE_MAX, GCONV_REDUCE_MIN,
	};
	struct gconv_desc d;
	size_t i;

	valid_conv(&d);
	d.flags = GCONV_DESC_F_ACCUMULATE;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		d.reduce = ok[i];
		EXPECT_DESC_OK(&d, &default_limits);
	}
}

/*
 * Fix the problems of a descriptor one by one, first to last.  Only
 * through gconv_validate_desc(): the lowered work limit would stop a
 * chain at its first (valid) descriptor.
 */
#define ORDER(code, operand, field)                                       \
	EXPECT_VERR(gconv_validate_desc(&d, DESC_IDX, &lim, &err), (code), \
		    DESC_IDX, (operand), (field))

TEST(desc_first_problem_in_documented_order)
{
	struct gconv_limits lim = GCONV_LIMITS_DEFAULT;
	struct gconv_desc d;

	valid_conv(&d);
	d.flags = 0x10;
	d.reserved1 = 1;
	d.post = 0xff;
	d.in_w = 0;
	d.dilation_w = 0;
	d.reduce = GCONV_REDUCE_MEAN_ALL;
	d.x.dtype = GCONV_DTYPE_COUNT;
	d.y.reserved1 = 1;
	d.b.stride[GCONV_SLOT_C] = 1;
	d.o.extent = 0;
	lim.max_work = CONV_WORK - 1;

	ORDER(GCONV_VERR_DESC_FLAGS, 0, "flags");
	d.flags = GCONV_DESC_F_ACCUMULATE;
	ORDER(GCONV_VERR_RESERVED, 0, "reserved1");
	d.reserved1 = 0;
	ORDER(GCONV_VERR_OPCODE, 0, "post");
	d.post = GCONV_POST_IDENTITY;
	ORDER(GCONV_VERR_ZERO_DIM, 0, "in_w");
	d.in_w = CW;
	ORDER(GCONV_VERR_ZERO_STEP, 0, "dilation_w");
	d.dilation_w = 1;
	ORDER(GCONV_VERR_WORK_LIMIT, 0, WORK_FIELD);
	lim.max_work = CONV_WORK;
	ORDER(GCONV_VERR_ACCUMULATE_MEAN, 0, "flags");
	d.reduce = GCONV_REDUCE_SUM;
	ORDER(GCONV_VERR_DTYPE_UNKNOWN, 'X', "dtype");
	d.x.dtype = GCONV_DTYPE_F32;
	ORDER(GCONV_VERR_RESERVED, 'Y', "reserved1");
	d.y.reserved1 = 0;
	ORDER(GCONV_VERR_SLOT, 'B', "stride[c]");
	d.b.stride[GCONV_SLOT_C] = 0;
	ORDER(GCONV_VERR_OUT_OF_EXTENT, 'O', "extent");
	d.o.extent = O_EXT;
	EXPECT_OK(gconv_validate_desc(&d, DESC_IDX, &lim, &err));
}

/* ========================================================================
 * Operand level
 */

static void check_missing(char which)
{
	struct gconv_desc d;

	valid_conv(&d);
	opnd(&d, which)->dtype = GCONV_DTYPE_NONE;
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_OPERAND_MISSING,
			 which, "dtype");
	memset(opnd(&d, which), 0, sizeof(struct gconv_operand));
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_OPERAND_MISSING,
			 which, "dtype");
}

/* @which is unused once @set has been applied: any non-zero byte fails. */
static void check_unused(char which, void (*set)(struct gconv_desc *))
{
	struct gconv_desc d;
	uint8_t *p;
	size_t i;

	valid_conv(&d);
	set(&d);
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_OPERAND_UNUSED,
			 which, "operand");
	memset(opnd(&d, which), 0, sizeof(struct gconv_operand));
	EXPECT_DESC_OK(&d, &default_limits);
	p = (uint8_t *)opnd(&d, which);
	for (i = 0; i < sizeof(struct gconv_operand); i++) {
		p[i] = (uint8_t)(1u << (i % 8));
		EXPECT_DESC_VERR(&d, &default_limits,
				 GCONV_VERR_OPERAND_UNUSED, which, "operand");
		p[i] = 0;
	}
}

static void set_take_x(struct gconv_desc *d)
{
	d->main = GCONV_MAIN_TAKE_X;
}

static void set_take_y(struct gconv_desc *d)
{
	d->main = GCONV_MAIN_TAKE_Y;
}

static void set_combine_none(struct gconv_desc *d)
{
	d->combine = GCONV_COMBINE_NONE;
}

TEST(operand_y_unused_with_take_x)
{
	check_unused('Y', set_take_x);
}

TEST(operand_x_unused_with_take_y)
{
	check_unused('X', set_take_y);
}

TEST(operand_b_unused_with_combine_none)
{
	check_unused('B', set_combine_none);
}

static void check_dtype_unknown(char which)
{
	struct gconv_limits all = GCONV_LIMITS_DEFAULT;
	static const uint8_t bad[] = { GCONV_DTYPE_COUNT, 6, 31, 32, 0x80,
				       0xff };
	struct gconv_desc d;
	size_t i;

	valid_conv(&d);
	/* a limits mask claiming every bit must not make them known */
	all.dtypes = 0xffffffffu;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		opnd(&d, which)->dtype = bad[i];
		EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_DTYPE_UNKNOWN,
				 which, "dtype");
		EXPECT_DESC_VERR(&d, &all, GCONV_VERR_DTYPE_UNKNOWN, which,
				 "dtype");
	}
}

/*
 * F16, BF16 and I8 are reserved: rejected by the default limits, accepted
 * by limits that list them (and only the ones listed).
 */
static void check_dtype_reserved(char which)
{
	static const uint8_t reserved[] = {
		GCONV_DTYPE_F16, GCONV_DTYPE_BF16, GCONV_DTYPE_I8,
	};
	struct gconv_limits lim = GCONV_LIMITS_DEFAULT;
	struct gconv_desc d;
	size_t i, j;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		valid_conv(&d);
		opnd(&d, which)->dtype = reserved[i];
		EXPECT_DESC_VERR(&d, &default_limits,
				 GCONV_VERR_DTYPE_UNSUPPORTED, which, "dtype");
		for (j = 0; j < sizeof(reserved) / sizeof(reserved[0]); j++) {
			lim.dtypes = 1u << GCONV_DTYPE_F32 | 1u << reserved[j];
			if (i == j)
				EXPECT_DESC_OK(&d, &lim);
			else
				EXPECT_DESC_VERR(&d, &lim,
						 GCONV_VERR_DTYPE_UNSUPPORTED,
						 which, "dtype");
		}
	}
}

TEST(operand_f32_unsupported_when_limits_lack_it)
{
	struct gconv_limits lim = GCONV_LIMITS_DEFAULT;
	struct gconv_desc d;
	size_t i;

	valid_conv(&d);
	lim.dtypes = 1u << GCONV_DTYPE_F16;
	EXPECT_VERR(gconv_validate_desc(&d, DESC_IDX, &lim, &err),
		    GCONV_VERR_DTYPE_UNSUPPORTED, DESC_IDX, 'X', "dtype");
	for (i = 0; i < 4; i++)
		opnd(&d, operands[i])->dtype = GCONV_DTYPE_F16;
	EXPECT_OK(gconv_validate_desc(&d, DESC_IDX, &lim, &err));
	d.o.dtype = GCONV_DTYPE_F32;
	EXPECT_VERR(gconv_validate_desc(&d, DESC_IDX, &lim, &err),
		    GCONV_VERR_DTYPE_UNSUPPORTED, DESC_IDX, 'O', "dtype");
	lim.dtypes = 0;
	EXPECT_VERR(gconv_validate_desc(&d, DESC_IDX, &lim, &err),
		    GCONV_VERR_DTYPE_UNSUPPORTED, DESC_IDX, 'X', "dtype");
}

static void check_operand_reserved(char which)
{
	struct gconv_desc d;
	struct gconv_operand *op;
	int i;

	valid_conv(&d);
	op = opnd(&d, which);
	for (i = 0; i < 3; i++) {
		op->reserved0[i] = 1;
		EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_RESERVED,
				 which, "reserved0");
		op->reserved0[i] = 0;
	}
	op->reserved1 = 0x80000000u;
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_RESERVED, which,
			 "reserved1");
	op->reserved1 = 0;
	EXPECT_DESC_OK(&d, &default_limits);
}

static void check_quant(char which)
{
	struct gconv_limits lim = GCONV_LIMITS_DEFAULT;
	struct gconv_operand *op;
	struct gconv_desc d;

	valid_conv(&d);
	op = opnd(&d, which);
	op->scale = gconv_f32_bits(1.0f);
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_QUANT, which,
			 "scale");
	op->zero_point = 3;
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_QUANT, which,
			 "scale");
	op->scale = 0;
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_QUANT, which,
			 "zero_point");
	op->zero_point = -1;
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_QUANT, which,
			 "zero_point");
	/* the same on a half type the limits accept */
	lim.dtypes |= 1u << GCONV_DTYPE_F16 | 1u << GCONV_DTYPE_I8;
	op->dtype = GCONV_DTYPE_F16;
	EXPECT_DESC_VERR(&d, &lim, GCONV_VERR_QUANT, which, "zero_point");
	/* int8 is where they belong */
	op->dtype = GCONV_DTYPE_I8;
	op->scale = gconv_f32_bits(0.5f);
	EXPECT_DESC_OK(&d, &lim);
}

/* The base conv's operands are tightly packed: each ends where the next
 * starts, so nudging addr keeps everything else valid. */
static void check_misaligned(char which)
{
	struct gconv_limits lim = GCONV_LIMITS_DEFAULT;
	struct gconv_operand *op;
	struct gconv_desc d;
	uint64_t base;
	int i;

	valid_conv(&d);
	op = opnd(&d, which);
	base = op->addr;
	for (i = 1; i < 4; i++) {
		op->addr = base + i;
		EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_MISALIGNED,
				 which, "addr");
	}
	op->addr = base + 4;
	EXPECT_DESC_OK(&d, &default_limits);
	op->addr = UINT64_MAX;
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_MISALIGNED, which,
			 "addr");
	/* alignment follows the element size */
	lim.dtypes |= 1u << GCONV_DTYPE_F16 | 1u << GCONV_DTYPE_I8;
	op->dtype = GCONV_DTYPE_F16;
	op->addr = base + 2;
	EXPECT_DESC_OK(&d, &lim);
	op->addr = base + 1;
	EXPECT_DESC_VERR(&d, &lim, GCONV_VERR_MISALIGNED, which, "addr");
	op->dtype = GCONV_DTYPE_I8;
	EXPECT_DESC_OK(&d, &lim);
}

/*
 * Every slot of every operand walks at least three values, so a stride of
 * 2^63 makes (dim - 1) * stride overflow on that slot.  Then the sum: on
 * the last slot the operand walks, the largest stride whose sum still fits
 * is OUT_OF_EXTENT, one more overflows the addition at that slot.
 */
static void check_index_overflow(char which)
{
	uint64_t dims[GCONV_SLOTS], others, st;
	struct gconv_operand *op;
	struct gconv_desc d;
	int i, last;

	for (i = 0; i < GCONV_SLOTS; i++) {
		if ((which == 'B' || which == 'O') && i == GCONV_SLOT_C)
			continue;
		valid_conv(&d);
		op = opnd(&d, which);
		gconv_operand_dims(&d, which, dims);
		CHECK(dims[i] >= 3);
		op->stride[i] = 1ull << 63;
		EXPECT_DESC_VERR(&d, &default_limits,
				 GCONV_VERR_INDEX_OVERFLOW, which,
				 slot_name[i]);
		op->stride[i] = UINT64_MAX;
		EXPECT_DESC_VERR(&d, &default_limits,
				 GCONV_VERR_INDEX_OVERFLOW, which,
				 slot_name[i]);
	}

	valid_conv(&d);
	op = opnd(&d, which);
	gconv_operand_dims(&d, which, dims);
	for (last = GCONV_SLOTS - 1; !op->stride[last]; last--)
		;
	others = op->extent - 1 - (dims[last] - 1) * op->stride[last];
	CHECK(others > 0);
	st = (UINT64_MAX - others) / (dims[last] - 1);
	op->stride[last] = st;
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_OUT_OF_EXTENT, which,
			 "extent");
	op->stride[last] = st + 1;
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_INDEX_OVERFLOW,
			 which, slot_name[last]);
}

/* The base conv's extents are exactly the smallest that cover it. */
static void check_extent_boundary(char which)
{
	struct gconv_operand *op;
	struct gconv_desc d;
	uint64_t min;
	int i;

	valid_conv(&d);
	op = opnd(&d, which);
	min = gconv_operand_min_extent(&d, which);
	CHECK_EQ_INT(min, op->extent);
	op->extent = min - 1;
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_OUT_OF_EXTENT, which,
			 "extent");
	op->extent = 0;
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_OUT_OF_EXTENT, which,
			 "extent");
	op->extent = min + 1;
	EXPECT_DESC_OK(&d, &default_limits);

	/* one more step on any slot it walks reaches one past the extent */
	for (i = 0; i < GCONV_SLOTS; i++) {
		if (!op->stride[i])
			continue;
		valid_conv(&d);
		op = opnd(&d, which);
		op->stride[i]++;
		if (gconv_operand_min_extent(&d, which) == min)
			continue;	/* slot with a single value */
		op->extent = gconv_operand_min_extent(&d, which);
		EXPECT_DESC_OK(&d, &default_limits);
		op->extent--;
		EXPECT_DESC_VERR(&d, &default_limits,
				 GCONV_VERR_OUT_OF_EXTENT, which, "extent");
	}
}

static void check_addr_overflow(char which)
{
	struct gconv_operand *op;
	struct gconv_desc d;
	uint64_t span;

	valid_conv(&d);
	op = opnd(&d, which);
	span = op->extent * 4;
	op->addr = 0 - span - 4;		/* ends at 2^64 - 4 */
	EXPECT_DESC_OK(&d, &default_limits);
	op->addr = 0 - span;			/* ends at 2^64: wraps to 0 */
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_ADDR_OVERFLOW, which,
			 "extent");
	op->addr = UINT64_MAX - 3;
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_ADDR_OVERFLOW, which,
			 "extent");
	/* extent * esize itself wraps */
	op->addr = 0;
	op->extent = (1ull << 62) - 1;
	EXPECT_DESC_OK(&d, &default_limits);
	op->extent = 1ull << 62;
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_ADDR_OVERFLOW, which,
			 "extent");
	op->extent = UINT64_MAX;
	EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_ADDR_OVERFLOW, which,
			 "extent");
}

/*
 * Move the operand past all the others, to CONV_MEM: memory of exactly
 * its end passes, one byte less fails on it.  Also through
 * gconv_golden_run_chain(), over memory of exactly that size.
 */
static void check_range(char which)
{
	struct gconv_operand *op;
	struct gconv_desc d;
	uint64_t end;
	uint8_t *mem;
	size_t len;
	void *buf;

	valid_conv(&d);
	op = opnd(&d, which);
	op->addr = CONV_MEM;
	end = CONV_MEM + op->extent * 4;
	EXPECT_DESC_OK(&d, &default_limits);
	EXPECT_OK(gconv_validate_desc_range(&d, DESC_IDX, end, &err));
	EXPECT_OK(gconv_validate_desc_range(&d, DESC_IDX, UINT64_MAX, &err));
	EXPECT_VERR(gconv_validate_desc_range(&d, DESC_IDX, end - 1, &err),
		    GCONV_VERR_OUT_OF_RANGE, DESC_IDX, which, "addr");
	/* addr itself beyond the memory */
	EXPECT_VERR(gconv_validate_desc_range(&d, DESC_IDX, CONV_MEM - 1,
					      &err),
		    GCONV_VERR_OUT_OF_RANGE, DESC_IDX, which, "addr");
	/* an operand ending at 2^64 - 4 in a memory of 2^64 - 5 bytes */
	op->addr = 0 - op->extent * 4 - 4;
	EXPECT_DESC_OK(&d, &default_limits);
	EXPECT_OK(gconv_validate_desc_range(&d, DESC_IDX, UINT64_MAX - 3,
					    &err));
	EXPECT_VERR(gconv_validate_desc_range(&d, DESC_IDX, UINT64_MAX - 4,
					      &err),
		    GCONV_VERR_OUT_OF_RANGE, DESC_IDX, which, "addr");

	op->addr = CONV_MEM;
	buf = encode(&d, 1, &len);
	mem = malloc(end);
	CHECK(mem);
	fill_random(mem, end, (unsigned char)which);
	EXPECT_OK(gconv_golden_run_chain(buf, len, mem, end, &err));
	verr_poison();
	CHECK_EQ_INT(gconv_golden_run_chain(buf, len, mem, end - 1, &err),
		     -EINVAL);
	CHECK_EQ_INT(err.code, GCONV_VERR_OUT_OF_RANGE);
	CHECK_EQ_INT(err.desc, 0);
	CHECK_EQ_INT(err.operand, which);
	CHECK_STR(err.field, "addr");
	free(mem);
	free(buf);
}

#define OPERAND_TESTS(m, L)                                               \
	TEST(operand_##m##_missing)                                       \
	{                                                                 \
		check_missing(L);                                         \
	}                                                                 \
	TEST(operand_##m##_dtype_unknown)                                 \
	{                                                                 \
		check_dtype_unknown(L);                                   \
	}                                                                 \
	TEST(operand_##m##_dtype_reserved)                                \
	{                                                                 \
		check_dtype_reserved(L);                                  \
	}                                                                 \
	TEST(operand_##m##_reserved_nonzero)                              \
	{                                                                 \
		check_operand_reserved(L);                                \
	}                                                                 \
	TEST(operand_##m##_quant_on_float)                                \
	{                                                                 \
		check_quant(L);                                           \
	}                                                                 \
	TEST(operand_##m##_misaligned)                                    \
	{                                                                 \
		check_misaligned(L);                                      \
	}                                                                 \
	TEST(operand_##m##_index_overflow)                                \
	{                                                                 \
		check_index_overflow(L);                                  \
	}                                                                 \
	TEST(operand_##m##_extent_boundary)                               \
	{                                                                 \
		check_extent_boundary(L);                                 \
	}                                                                 \
	TEST(operand_##m##_addr_overflow)                                 \
	{                                                                 \
		check_addr_overflow(L);                                   \
	}                                                                 \
	TEST(operand_##m##_range_boundary)                                \
	{                                                                 \
		check_range(L);                                           \
	}
#define OPERAND_T(m)                                                      \
	T(operand_##m##_missing), T(operand_##m##_dtype_unknown),         \
	T(operand_##m##_dtype_reserved), T(operand_##m##_reserved_nonzero), \
	T(operand_##m##_quant_on_float), T(operand_##m##_misaligned),     \
	T(operand_##m##_index_overflow), T(operand_##m##_extent_boundary), \
	T(operand_##m##_addr_overflow), T(operand_##m##_range_boundary)

OPERAND_TESTS(x, 'X')
OPERAND_TESTS(y, 'Y')
OPERAND_TESTS(b, 'B')
OPERAND_TESTS(o, 'O')

static void check_c_stride(char which)
{
	static const uint64_t bad[] = { 1, 2, 1ull << 63, UINT64_MAX };
	struct gconv_desc d;
	size_t i;

	valid_conv(&d);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		opnd(&d, which)->stride[GCONV_SLOT_C] = bad[i];
		EXPECT_DESC_VERR(&d, &default_limits, GCONV_VERR_SLOT, which,
				 "stride[c]");
	}
}

TEST(operand_b_c_stride)
{
	check_c_stride('B');
}

TEST(operand_o_c_stride)
{
	check_c_stride('O');
}

TEST(operand_x_y_c_stride_accepted)
{
	struct gconv_desc d;

	valid_conv(&d);
	CHECK(d.x.stride[GCONV_SLOT_C] && d.y.stride[GCONV_SLOT_C]);
}

/*
 * The extent the validator proves is enough for the executor: for several
 * geometries (strides, dilations, holes, asymmetric pads, outputs larger
 * than the textbook size, accumulate, broadcasts), every operand gets
 * exactly its smallest extent in its own exact-size allocation and the
 * golden engine runs over them; ASan catches any access past the end.
 * One element less is OUT_OF_EXTENT.
 */
static void layout(struct gconv_desc *d)
{
	uint64_t gc = (uint64_t)d->c * d->in_h * d->in_w;
	uint64_t gk = (uint64_t)d->k * d->p * d->q;
	char which;
	size_t i;

	gconv_operand_f32(&d->x, 0, 0, d->g * gc, gc, 0,
			  (uint64_t)d->in_h * d->in_w, d->in_w, 1);
	gconv_operand_f32(&d->y, 0, 0, 0, (uint64_t)d->k * d->c * d->r * d->s,
			  (uint64_t)d->c * d->r * d->s,
			  (uint64_t)d->r * d->s, d->s, 1);
	gconv_operand_f32(&d->b, 0, 0, 0, d->k, 1, 0, 0, 0);
	gconv_operand_f32(&d->o, 0, 0, d->g * gk, gk,
			  (uint64_t)d->p * d->q, 0, d->q, 1);
	for (i = 0; i < 4; i++) {
		which = operands[i];
		opnd(d, which)->extent = gconv_operand_min_extent(d, which);
	}
}

static void run_exact(struct gconv_desc *d, unsigned long long seed)
{
	void *ptr[4] = { NULL, NULL, NULL, NULL };
	int used[4];
	size_t i;

	clear_unused(d);
	used[0] = gconv_desc_reads_x(d);
	used[1] = gconv_desc_reads_y(d);
	used[2] = gconv_desc_reads_b(d);
	used[3] = 1;
	EXPECT_DESC_OK(d, &default_limits);
	for (i = 0; i < 4; i++) {
		struct gconv_operand *op = opnd(d, operands[i]);

		if (!used[i])
			continue;
		CHECK_EQ_INT(op->extent,
			     gconv_operand_min_extent(d, operands[i]));
		ptr[i] = malloc(op->extent * 4);
		CHECK(ptr[i]);
		fill_random(ptr[i], op->extent * 4, seed + i);
		op->extent--;
		EXPECT_DESC_VERR(d, &default_limits, GCONV_VERR_OUT_OF_EXTENT,
				 operands[i], "extent");
		op->extent++;
	}
	CHECK_EQ_INT(gconv_golden_run_desc(d, ptr[0], ptr[1], ptr[2], ptr[3]),
		     0);
	for (i = 0; i < 4; i++)
		free(ptr[i]);
}

TEST(operand_exact_extents_run_in_bounds)
{
	struct gconv_desc d;

	/* the base conv */
	conv_desc(&d);
	run_exact(&d, 1);

	/* stride 2, dilation 2, asymmetric pads, P and Q beyond the input */
	gconv_desc_init(&d);
	d.n = 2, d.g = 2, d.k = 3, d.c = 2, d.r = 3, d.s = 2;
	d.in_h = 7, d.in_w = 6, d.p = 6, d.q = 7;
	d.stride_h = 2, d.stride_w = 3, d.dilation_h = 2, d.dilation_w = 3;
	d.pad_top = 2, d.pad_bottom = 0, d.pad_left = 1, d.pad_right = 4;
	d.combine = GCONV_COMBINE_MUL;
	layout(&d);
	run_exact(&d, 2);

	/* transposed convolution: holes in the input */
	gconv_desc_init(&d);
	d.k = 2, d.c = 3, d.r = 4, d.s = 4, d.in_h = 3, d.in_w = 4;
	d.p = 9, d.q = 11, d.in_dilation_h = 2, d.in_dilation_w = 3;
	d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 3;
	layout(&d);
	run_exact(&d, 3);

	/* accumulate into an NHWC output, max reduction */
	gconv_desc_init(&d);
	d.n = 2, d.k = 4, d.c = 2, d.r = 2, d.s = 2, d.in_h = 4, d.in_w = 4;
	d.p = 3, d.q = 3;
	d.flags = GCONV_DESC_F_ACCUMULATE;
	d.reduce = GCONV_REDUCE_MAX;
	layout(&d);
	d.o.stride[GCONV_SLOT_N] = 3 * 3 * 4;
	d.o.stride[GCONV_SLOT_K] = 1;
	d.o.stride[GCONV_SLOT_ROW] = 3 * 4;
	d.o.stride[GCONV_SLOT_COL] = 4;
	d.o.extent = gconv_operand_min_extent(&d, 'O');
	run_exact(&d, 4);

	/* take-y with a broadcast divisor, mean over padded taps */
	gconv_desc_init(&d);
	d.g = 3, d.k = 2, d.c = 2, d.r = 3, d.s = 3, d.p = 4, d.q = 4;
	d.in_h = 2, d.in_w = 2, d.pad_top = d.pad_left = 1;
	d.main = GCONV_MAIN_TAKE_Y;
	d.reduce = GCONV_REDUCE_MEAN_PADDED;
	d.combine = GCONV_COMBINE_DIV;
	layout(&d);
	d.b.stride[GCONV_SLOT_G] = 0;
	d.b.stride[GCONV_SLOT_K] = 0;
	d.b.extent = 1;
	run_exact(&d, 5);

	/* element-wise add over a channel slice: X walks k, pool-like max */
	gconv_desc_init(&d);
	d.n = 2, d.k = 5, d.p = 3, d.q = 4, d.in_h = 3, d.in_w = 4;
	d.main = GCONV_MAIN_ADD;
	layout(&d);
	d.x.stride[GCONV_SLOT_K] = 3 * 4;
	d.x.stride[GCONV_SLOT_N] = 7 * 3 * 4;	/* 7 channels, use 5 */
	d.x.extent = gconv_operand_min_extent(&d, 'X');
	d.y = d.x;
	d.y.extent = gconv_operand_min_extent(&d, 'Y');
	run_exact(&d, 6);
}

/* ========================================================================
 * Messages
 */

TEST(verr_str_distinct_for_every_code)
{
	static const uint32_t beyond[] = {
		GCONV_VERR_COUNT_, GCONV_VERR_COUNT_ + 1, 1000, 0x7fffffffu,
		0xdeadbeefu, 0xffffffffu,
	};
	uint32_t i, j;

	for (i = 0; i < GCONV_VERR_COUNT_; i++) {
		const char *s = gconv_verr_str(i);

		if (!s || !s[0])
			FAILF("code %u has no message", i);
		if (!strcmp(s, UNKNOWN_STR))
			FAILF("code %u reads as unknown", i);
		for (j = 0; j < i; j++)
			if (!strcmp(s, gconv_verr_str(j)))
				FAILF("codes %u and %u share \"%s\"", j, i, s);
	}
	for (i = 0; i < sizeof(beyond) / sizeof(beyond[0]); i++)
		CHECK_STR(gconv_verr_str(beyond[i]), UNKNOWN_STR);
}

/* ========================================================================
 * Fuzz
 */

#define FUZZ_ITERS	20000
#define FUZZ_MEM_MAX	(64u << 10)	/* run only chains this small ... */
#define FUZZ_WORK_MAX	(1u << 15)	/* ... and this cheap */

/* conv 3x3 + bias + relu, then a ceil-mode 2x2/2 average pool. */
static void *fuzz_chain(size_t *len)
{
	struct gconv_desc d[2];

	gconv_desc_init(&d[0]);
	d[0].k = 2, d[0].c = 2, d[0].p = 4, d[0].q = 4, d[0].r = 3;
	d[0].s = 3, d[0].in_h = 4, d[0].in_w = 4;
	d[0].pad_top = d[0].pad_bottom = d[0].pad_left = d[0].pad_right = 1;
	d[0].combine = GCONV_COMBINE_ADD;
	d[0].post = GCONV_POST_RELU;
	gconv_operand_f32(&d[0].x, 0, 32, 32, 32, 0, 16, 4, 1);
	gconv_operand_f32(&d[0].y, 128, 36, 0, 36, 18, 9, 3, 1);
	gconv_operand_f32(&d[0].b, 272, 2, 0, 2, 1, 0, 0, 0);
	gconv_operand_f32(&d[0].o, 280, 32, 32, 32, 16, 0, 4, 1);

	gconv_desc_init(&d[1]);
	d[1].k = 2, d[1].p = 3, d[1].q = 3, d[1].r = 2, d[1].s = 2;
	d[1].in_h = 4, d[1].in_w = 4, d[1].stride_h = d[1].stride_w = 2;
	d[1].pad_bottom = d[1].pad_right = 1;
	d[1].main = GCONV_MAIN_TAKE_X;
	d[1].reduce = GCONV_REDUCE_MEAN_VALID;
	gconv_operand_f32(&d[1].x, 280, 32, 32, 32, 16, 0, 4, 1);
	gconv_operand_f32(&d[1].o, 408, 18, 18, 18, 9, 0, 3, 1);
	return encode(d, 2, len);
}

static void fuzz_mutate(uint8_t *p, size_t len, unsigned long long *rs)
{
	static const uint32_t interesting[] = {
		0, 1, 2, 3, 4, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000,
		1u << 24, (1u << 24) + 1, 0x7fffffffu, 0x80000000u,
		0xfffffffcu, 0xffffffffu,
	};
	size_t at = harness_rand(rs) % len;
	uint32_t v;

	switch (harness_randint(rs, 0, 3)) {
	case 0:
		p[at] ^= (uint8_t)(1u << (harness_rand(rs) % 8));
		break;
	case 1:
		p[at] = (uint8_t)harness_rand(rs);
		break;
	case 2:
		p[at] = (harness_rand(rs) & 1) ? 0xff : 0;
		break;
	default:
		at &= ~(size_t)3;
		if (at + 4 > len)
			break;
		v = interesting[harness_rand(rs) %
				(sizeof(interesting) / sizeof(interesting[0]))];
		memcpy(p + at, &v, sizeof(v));
		break;
	}
}

struct fuzz_stats {
	unsigned int accepted, ran, too_big;
	unsigned int by_code[GCONV_VERR_COUNT_];
};

/* A rejection must be well-formed. */
static void fuzz_check_rejection(int it, const void *buf, int ret,
				 struct fuzz_stats *st)
{
	const struct gconv_chain_header *h = buf;

	if (err.code == 0 || err.code >= GCONV_VERR_OUT_OF_RANGE ||
	    ret != -(int)err.code)
		FAILF("iteration %d: ret %d, code %u", it, ret, err.code);
	if (!err.field || !err.field[0])
		FAILF("iteration %d: code %u without a field", it, err.code);
	if (err.operand && !strchr("XYBO", err.operand))
		FAILF("iteration %d: operand %d", it, err.operand);
	/* a descriptor index is only reported once the header is valid */
	if (err.desc != GCONV_VERR_NO_DESC && err.desc >= h->count)
		FAILF("iteration %d: desc %u of %u", it, err.desc, h->count);
	if (err.desc == GCONV_VERR_NO_DESC && err.operand)
		FAILF("iteration %d: operand %c without a descriptor", it,
		      err.operand);
	st->by_code[err.code]++;
}

/* An accepted chain runs over exactly the memory its operands claim. */
static void fuzz_run(int it, const void *buf, size_t len,
		     const float *pattern, struct fuzz_stats *st)
{
	static uint8_t dummy[16];
	const struct gconv_chain_header *h = buf;
	uint64_t need = 0, work = 0;
	uint8_t *mem = NULL;
	uint32_t i;
	int ret;

	for (i = 0; i < h->count; i++) {
		const struct gconv_desc *d = gconv_chain_desc(h, i);
		const struct gconv_operand *ops[4] = {
			&d->x, &d->y, &d->b, &d->o,
		};
		const int used[4] = {
			gconv_desc_reads_x(d), gconv_desc_reads_y(d),
			gconv_desc_reads_b(d), 1,
		};
		int j;

		work += (uint64_t)d->n * d->g * d->k * d->p * d->q * d->c *
			d->r * d->s;
		for (j = 0; j < 4; j++) {
			uint64_t end;

			if (!used[j])
				continue;
			if (ops[j]->dtype != GCONV_DTYPE_F32)
				FAILF("iteration %d: desc %u operand %d "
				      "dtype %u accepted",
				      it, i, j, ops[j]->dtype);
			end = ops[j]->addr + gconv_operand_bytes(ops[j]);
			if (end > need)
				need = end;
		}
	}
	if (!need)
		FAILF("iteration %d: accepted a chain touching no memory", it);

	if (need <= FUZZ_MEM_MAX && work <= FUZZ_WORK_MAX) {
		mem = malloc(need);
		CHECK(mem);
		memcpy(mem, pattern, need);
		verr_poison();
		ret = gconv_golden_run_chain(buf, len, mem, need, &err);
		if (ret)
			FAILF("iteration %d: accepted chain fails to run: %d "
			      "(%s, desc %u, field %s)",
			      it, ret, gconv_verr_str(err.code), err.desc,
			      err.field ? err.field : "(null)");
		st->ran++;
	} else {
		st->too_big++;
	}
	/* one byte less: rejected before anything runs */
	verr_poison();
	ret = gconv_golden_run_chain(buf, len, mem ? mem : dummy, need - 1,
				     &err);
	if (ret != -EINVAL || err.code != GCONV_VERR_OUT_OF_RANGE)
		FAILF("iteration %d: memory one byte short gives %d (%s)", it,
		      ret, gconv_verr_str(err.code));
	free(mem);
}

TEST(fuzz_random_mutations_never_crash)
{
	unsigned long long rs = 0x9e3779b97f4a7c15ULL;
	struct fuzz_stats st;
	float *pattern;
	size_t len, flen, i;
	uint8_t *base, *work, *cut;
	const void *buf;
	int it, n, ret;

	memset(&st, 0, sizeof(st));
	base = fuzz_chain(&len);
	EXPECT_CHAIN_OK(base, len, &default_limits);
	pattern = malloc(FUZZ_MEM_MAX);
	CHECK(pattern);
	for (i = 0; i < FUZZ_MEM_MAX / sizeof(float); i++)
		pattern[i] = harness_randf(&rs);
	work = aligned_alloc(8, len);
	CHECK(work);

	for (it = 0; it < FUZZ_ITERS; it++) {
		memcpy(work, base, len);
		for (n = harness_randint(&rs, 1, 3); n > 0; n--)
			fuzz_mutate(work, len, &rs);
		/* sometimes also cut the buffer short, exactly */
		cut = NULL;
		buf = work;
		flen = len;
		if (harness_rand(&rs) % 8 == 0) {
			flen = harness_rand(&rs) % (len + 1);
			cut = prefix_copy(work, flen);
			buf = cut;
		}

		verr_poison();
		ret = gconv_validate_chain(buf, flen, &default_limits, &err);
		if (ret != gconv_validate_chain(buf, flen, &default_limits,
						NULL))
			FAILF("iteration %d: result depends on err", it);
		if (ret) {
			fuzz_check_rejection(it, buf, ret, &st);
		} else {
			st.accepted++;
			fuzz_run(it, buf, flen, pattern, &st);
		}
		free(cut);
	}
	printf("     fuzz: %d mutants, %u accepted (%u ran, %u too large "
	       "to run), %u rejected\n",
	       FUZZ_ITERS, st.accepted, st.ran, st.too_big,
	       FUZZ_ITERS - st.accepted);
	/* the corpus must exercise both sides */
	CHECK(st.accepted >= FUZZ_ITERS / 50);
	CHECK(st.ran >= FUZZ_ITERS / 100);
	CHECK(FUZZ_ITERS - st.accepted >= FUZZ_ITERS / 2);
	free(work);
	free(pattern);
	free(base);
}

static const struct test tests[] = {
	/* chain level */
	T(chain_valid_is_accepted_and_runs),
	T(chain_unaligned_buffer),
	T(chain_shorter_than_header),
	T(chain_truncated),
	T(chain_bad_magic),
	T(chain_unknown_major_version),
	T(chain_other_minor_version_accepted),
	T(chain_header_size_too_small),
	T(chain_header_size_unaligned),
	T(chain_header_size_above_max_record_size),
	T(chain_desc_size_too_small),
	T(chain_desc_size_unaligned),
	T(chain_desc_size_above_max_record_size),
	T(chain_count_zero),
	T(chain_count_above_max_count),
	T(chain_total_size_disagrees),
	T(chain_unknown_flags),
	T(chain_reserved_words_nonzero),
	T(chain_larger_header_size_with_zero_extension_accepted),
	T(chain_larger_desc_size_with_zero_extension_accepted),
	T(chain_header_extension_nonzero),
	T(chain_desc_extension_nonzero),
	T(chain_bad_descriptor_reports_its_index),
	T(chain_first_problem_in_documented_order),
	T(null_error_report_is_allowed),
	/* descriptor level */
	T(desc_valid_conv_accepted),
	T(desc_free_fields_accept_any_bits),
	T(desc_unknown_flags),
	T(desc_reserved0_nonzero),
	T(desc_reserved1_nonzero),
	T(desc_reserved2_nonzero),
	T(desc_pre_out_of_range),
	T(desc_main_out_of_range),
	T(desc_reduce_out_of_range),
	T(desc_combine_out_of_range),
	T(desc_post_out_of_range),
	DIM_T(n), DIM_T(g), DIM_T(k), DIM_T(p), DIM_T(q),
	DIM_T(c), DIM_T(r), DIM_T(s), DIM_T(in_h), DIM_T(in_w),
	STEP_T(stride_h), STEP_T(stride_w),
	STEP_T(dilation_h), STEP_T(dilation_w),
	STEP_T(in_dilation_h), STEP_T(in_dilation_w),
	PAD_T(pad_top), PAD_T(pad_bottom), PAD_T(pad_left), PAD_T(pad_right),
	T(desc_zero_pads_accepted),
	T(desc_work_overflows_64_bits),
	T(desc_work_above_max_work),
	T(limits_above_the_hard_caps_are_capped),
	T(desc_accumulate_mean_all),
	T(desc_accumulate_mean_valid),
	T(desc_accumulate_mean_padded),
	T(desc_accumulate_sum_max_min_accepted),
	T(desc_first_problem_in_documented_order),
	/* operand level */
	T(operand_y_unused_with_take_x),
	T(operand_x_unused_with_take_y),
	T(operand_b_unused_with_combine_none),
	OPERAND_T(x), OPERAND_T(y), OPERAND_T(b), OPERAND_T(o),
	T(operand_b_c_stride),
	T(operand_o_c_stride),
	T(operand_x_y_c_stride_accepted),
	T(operand_f32_unsupported_when_limits_lack_it),
	T(operand_exact_extents_run_in_bounds),
	/* messages */
	T(verr_str_distinct_for_every_code),
	/* fuzz */
	T(fuzz_random_mutations_never_crash),
};

int main(int argc, char **argv)
{
	return HARNESS_MAIN(tests);
}

// SPDX-License-Identifier: MIT
/*
 * Tensor files: .npy round trips (float32, int64, scalars, 4-D, empty),
 * reading format 2.0 and every convertible dtype, raw .bin files, and one
 * subtest per kind of malformed file, each checking that the error names
 * the problem and that the tensor is left empty.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gconv/tensor_io.h>

#include "../harness.h"

/* ---- helpers ------------------------------------------------------------- */

struct tmpfile {
	char path[64];
};

static void tmp_name(struct tmpfile *tf, const char *tag)
{
	int fd;

	snprintf(tf->path, sizeof(tf->path), "/tmp/gconv-tio-%s-XXXXXX", tag);
	fd = mkstemp(tf->path);
	if (fd < 0)
		FAILF("mkstemp: %s", strerror(errno));
	close(fd);
}

static void tmp_write(struct tmpfile *tf, const void *buf, size_t len)
{
	FILE *f;

	tmp_name(tf, "w");
	f = fopen(tf->path, "wb");
	if (!f)
		FAILF("fopen %s: %s", tf->path, strerror(errno));
	if (len && fwrite(buf, 1, len, f) != len)
		FAILF("fwrite %s", tf->path);
	fclose(f);
}

static size_t file_read(const char *path, unsigned char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		FAILF("fopen %s: %s", path, strerror(errno));
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/*
 * A .npy image: magic, version @major.0, the header dict padded to a
 * multiple of 64 and ended by '\n', then @data.  @hlen_delta is added to
 * the stored header length (to make it lie).  Returns the length.
 */
static size_t make_npy(unsigned char *out, size_t cap, int major,
		       const char *dict, const void *data, size_t dlen,
		       long hlen_delta)
{
	size_t pre = major == 1 ? 10 : 12;
	size_t dl = strlen(dict);
	size_t total = (pre + dl + 1 + 63) / 64 * 64;
	size_t hlen = total - pre;
	uint32_t stored = (uint32_t)((long)hlen + hlen_delta);

	if (total + dlen > cap)
		FAILF("make_npy: buffer too small");
	memcpy(out, "\x93NUMPY", 6);
	out[6] = (unsigned char)major;
	out[7] = 0;
	out[8] = (unsigned char)stored;
	out[9] = (unsigned char)(stored >> 8);
	if (major != 1) {
		out[10] = (unsigned char)(stored >> 16);
		out[11] = (unsigned char)(stored >> 24);
	}
	memcpy(out + pre, dict, dl);
	memset(out + pre + dl, ' ', total - pre - dl - 1);
	out[total - 1] = '\n';
	if (dlen)
		memcpy(out + total, data, dlen);
	return total + dlen;
}

static int tensor_is_empty(const struct gconv_tensor *t)
{
	return !t->data && !t->idata && t->ndim == 0 && t->elems == 0;
}

/*
 * Write @len bytes to a temp file, read it as .npy, expect @want_ret and
 * an error mentioning @want_msg that starts with the file's name.  Also
 * checks gconv_npy_read_mem() gives the same code.
 */
#define CHECK_REJECT(bytes, len, want_ret, want_msg)                       \
	do {                                                               \
		struct tmpfile tf_;                                        \
		struct gconv_tensor t_;                                    \
		char err_[512] = "";                                       \
		int r_;                                                    \
		tmp_write(&tf_, (bytes), (len));                           \
		r_ = gconv_npy_read(tf_.path, &t_, err_, sizeof(err_));    \
		remove(tf_.path);                                          \
		CHECK_EQ_INT(r_, (want_ret));                              \
		if (!strstr(err_, (want_msg)))                             \
			FAILF("error \"%s\" does not mention \"%s\"", err_, \
			      (want_msg));                                 \
		if (strncmp(err_, tf_.path, strlen(tf_.path)))             \
			FAILF("error \"%s\" does not name the file", err_);  \
		CHECK(tensor_is_empty(&t_));                               \
		gconv_tensor_free(&t_);                                    \
		err_[0] = '\0';                                            \
		r_ = gconv_npy_read_mem((bytes), (len), &t_, err_,         \
					sizeof(err_));                     \
		CHECK_EQ_INT(r_, (want_ret));                              \
		CHECK(strstr(err_, (want_msg)) != NULL);                   \
		CHECK(tensor_is_empty(&t_));                               \
	} while (0)

/* Reject a header dict (version 1.0, with @dlen bytes of data). */
#define CHECK_REJECT_DICT(dict, dlen, want_ret, want_msg)                  \
	do {                                                               \
		static unsigned char data_[256], img_[1024];               \
		size_t n_ = make_npy(img_, sizeof(img_), 1, (dict), data_, \
				     (dlen), 0);                           \
		CHECK_REJECT(img_, n_, (want_ret), (want_msg));            \
	} while (0)

#define CHECK_ERR_HAS(err, s)                                              \
	do {                                                               \
		if (!strstr((err), (s)))                                   \
			FAILF("error \"%s\" does not mention \"%s\"", (err), \
			      (s));                                        \
	} while (0)

/* ---- round trips --------------------------------------------------------- */

TEST(roundtrip_float32_4d)
{
	const int64_t dims[4] = { 2, 3, 4, 5 };
	unsigned long long rs = 42;
	struct gconv_tensor a, b;
	unsigned char img[1024];
	struct tmpfile tf;
	char err[256];
	size_t i, n;

	CHECK_EQ_INT(gconv_tensor_alloc(&a, dims, 4, 0), 0);
	CHECK_EQ_INT(a.elems, 120);
	for (i = 0; i < a.elems; i++)
		a.data[i] = harness_randf(&rs) * 1000.0f;
	a.data[7] = -0.0f;
	a.data[8] = 1e-40f;	/* subnormal survives bit-exactly */
	tmp_name(&tf, "f32");
	CHECK_EQ_INT(gconv_npy_write(tf.path, &a, err, sizeof(err)), 0);

	/* the header is the 1.0 format, 64-byte aligned, '\n'-terminated */
	n = file_read(tf.path, img, sizeof(img));
	CHECK_EQ_INT(n, 128 + 120 * 4);
	CHECK(!memcmp(img, "\x93NUMPY\x01\x00", 8));
	CHECK_EQ_INT(img[8] | img[9] << 8, 118);
	CHECK_EQ_INT(img[127], '\n');
	CHECK(strstr((char *)img + 10, "'shape': (2, 3, 4, 5)") != NULL);

	CHECK_EQ_INT(gconv_npy_read(tf.path, &b, err, sizeof(err)), 0);
	remove(tf.path);
	CHECK_EQ_INT(b.ndim, 4);
	for (i = 0; i < 4; i++)
		CHECK_EQ_INT(b.dims[i], dims[i]);
	CHECK_EQ_INT(b.elems, 120);
	CHECK_EQ_INT(b.orig_dtype, GCONV_FILE_F32);
	CHECK(!b.orig_dtype_int);
	CHECK(b.idata == NULL);
	CHECK(!memcmp(a.data, b.data, 120 * sizeof(float)));
	gconv_tensor_free(&a);
	gconv_tensor_free(&b);
	CHECK(tensor_is_empty(&b));
}

TEST(roundtrip_int64)
{
	const int64_t dims[1] = { 5 };
	const int64_t vals[5] = { 0, -7, 3, ((int64_t)1 << 40) + 1,
				  INT64_MIN };
	struct gconv_tensor a, b;
	struct tmpfile tf;
	char err[256];
	int i;

	CHECK_EQ_INT(gconv_tensor_alloc(&a, dims, 1, 1), 0);
	CHECK(a.idata != NULL);
	memcpy(a.idata, vals, sizeof(vals));
	tmp_name(&tf, "i64");
	CHECK_EQ_INT(gconv_npy_write_i64(tf.path, &a, err, sizeof(err)), 0);
	CHECK_EQ_INT(gconv_npy_read(tf.path, &b, err, sizeof(err)), 0);
	remove(tf.path);
	CHECK_EQ_INT(b.ndim, 1);
	CHECK_EQ_INT(b.dims[0], 5);
	CHECK_EQ_INT(b.orig_dtype, GCONV_FILE_I64);
	CHECK(b.orig_dtype_int);
	CHECK(b.idata != NULL);
	for (i = 0; i < 5; i++) {
		CHECK_EQ_INT(b.idata[i], vals[i]);
		CHECK_NEAR(b.data[i], (double)vals[i], 1e-7, 0);
	}
	gconv_tensor_free(&a);
	gconv_tensor_free(&b);
}

TEST(roundtrip_scalar)
{
	struct gconv_tensor a, b;
	unsigned char img[256];
	struct tmpfile tf;
	char err[256];

	CHECK_EQ_INT(gconv_tensor_alloc(&a, NULL, 0, 0), 0);
	CHECK_EQ_INT(a.elems, 1);
	a.data[0] = 3.25f;
	tmp_name(&tf, "scalar");
	CHECK_EQ_INT(gconv_npy_write(tf.path, &a, err, sizeof(err)), 0);
	CHECK_EQ_INT(file_read(tf.path, img, sizeof(img)), 128 + 4);
	CHECK(strstr((char *)img + 10, "'shape': ()") != NULL);
	CHECK_EQ_INT(gconv_npy_read(tf.path, &b, err, sizeof(err)), 0);
	remove(tf.path);
	CHECK_EQ_INT(b.ndim, 0);
	CHECK_EQ_INT(b.elems, 1);
	CHECK_EQ_INT(b.data[0] == 3.25f, 1);
	gconv_tensor_free(&a);
	gconv_tensor_free(&b);
}

TEST(roundtrip_1d_and_empty)
{
	const int64_t d1[1] = { 3 }, d0[2] = { 0, 4 };
	struct gconv_tensor a, b;
	unsigned char img[256];
	struct tmpfile tf;
	char err[256];

	CHECK_EQ_INT(gconv_tensor_alloc(&a, d1, 1, 0), 0);
	a.data[0] = 1;
	a.data[1] = 2;
	a.data[2] = 3;
	tmp_name(&tf, "1d");
	CHECK_EQ_INT(gconv_npy_write(tf.path, &a, err, sizeof(err)), 0);
	file_read(tf.path, img, sizeof(img));
	CHECK(strstr((char *)img + 10, "'shape': (3,)") != NULL);
	CHECK_EQ_INT(gconv_npy_read(tf.path, &b, err, sizeof(err)), 0);
	CHECK_EQ_INT(b.ndim, 1);
	CHECK_EQ_INT(b.data[2] == 3.0f, 1);
	gconv_tensor_free(&a);
	gconv_tensor_free(&b);

	CHECK_EQ_INT(gconv_tensor_alloc(&a, d0, 2, 0), 0);
	CHECK_EQ_INT(a.elems, 0);
	CHECK_EQ_INT(gconv_npy_write(tf.path, &a, err, sizeof(err)), 0);
	CHECK_EQ_INT(gconv_npy_read(tf.path, &b, err, sizeof(err)), 0);
	remove(tf.path);
	CHECK_EQ_INT(b.ndim, 2);
	CHECK_EQ_INT(b.dims[0], 0);
	CHECK_EQ_INT(b.dims[1], 4);
	CHECK_EQ_INT(b.elems, 0);
	gconv_tensor_free(&a);
	gconv_tensor_free(&b);
}

TEST(read_version_2_0)
{
	const float vals[6] = { 1.5f, -2, 0, 4, 1e30f, -1e-30f };
	unsigned char img[256];
	struct gconv_tensor t;
	struct tmpfile tf;
	char err[256];
	size_t n;

	n = make_npy(img, sizeof(img), 2,
		     "{'descr': '<f4', 'fortran_order': False, "
		     "'shape': (2, 3), }",
		     vals, sizeof(vals), 0);
	tmp_write(&tf, img, n);
	CHECK_EQ_INT(gconv_npy_read(tf.path, &t, err, sizeof(err)), 0);
	remove(tf.path);
	CHECK_EQ_INT(t.ndim, 2);
	CHECK_EQ_INT(t.dims[0], 2);
	CHECK_EQ_INT(t.dims[1], 3);
	CHECK(!memcmp(t.data, vals, sizeof(vals)));
	gconv_tensor_free(&t);

	/* 3.0 is 2.0 with a UTF-8 header */
	img[6] = 3;
	CHECK_EQ_INT(gconv_npy_read_mem(img, n, &t, err, sizeof(err)), 0);
	CHECK_EQ_INT(t.elems, 6);
	gconv_tensor_free(&t);
}

TEST(read_header_variants)
{
	const float vals[2] = { 1, 2 };
	unsigned char img[256];
	struct gconv_tensor t;
	char err[256];
	size_t n;

	/* numpy writes sorted keys and a trailing comma; accept any order,
	 * double quotes, no trailing comma and Python 2 longs */
	n = make_npy(img, sizeof(img), 1,
		     "{\"shape\": (1L, 2L), \"fortran_order\": False, "
		     "\"descr\": \"<f4\"}",
		     vals, sizeof(vals), 0);
	CHECK_EQ_INT(gconv_npy_read_mem(img, n, &t, err, sizeof(err)), 0);
	CHECK_EQ_INT(t.ndim, 2);
	CHECK_EQ_INT(t.dims[1], 2);
	CHECK_EQ_INT(t.data[1] == 2.0f, 1);
	gconv_tensor_free(&t);
}

TEST(read_float64_converts)
{
	const double vals[3] = { 0.1, -1e300, 12345.678 };
	unsigned char img[256];
	struct gconv_tensor t;
	char err[256];
	size_t n;

	n = make_npy(img, sizeof(img), 1,
		     "{'descr': '<f8', "
		     "'fortran_order': False, 'shape': (3,), }",
		     vals, sizeof(vals), 0);
	CHECK_EQ_INT(gconv_npy_read_mem(img, n, &t, err, sizeof(err)), 0);
	CHECK_EQ_INT(t.orig_dtype, GCONV_FILE_F64);
	CHECK(!t.orig_dtype_int);
	CHECK(t.idata == NULL);
	CHECK_EQ_INT(t.data[0] == 0.1f, 1);
	CHECK(isinf(t.data[1]) && t.data[1] < 0);
	CHECK_EQ_INT(t.data[2] == 12345.678f, 1);
	gconv_tensor_free(&t);
}

TEST(read_int32_uint8_bool_convert)
{
	const int32_t i32[4] = { -2147483647 - 1, -1, 0, 123456 };
	const uint8_t u8[3] = { 0, 128, 255 };
	const uint8_t b1[4] = { 0, 1, 1, 0 };
	unsigned char img[256];
	struct gconv_tensor t;
	char err[256];
	size_t n;

	n = make_npy(img, sizeof(img), 1,
		     "{'descr': '<i4', "
		     "'fortran_order': False, 'shape': (2, 2), }",
		     i32, sizeof(i32), 0);
	CHECK_EQ_INT(gconv_npy_read_mem(img, n, &t, err, sizeof(err)), 0);
	CHECK_EQ_INT(t.orig_dtype, GCONV_FILE_I32);
	CHECK(t.orig_dtype_int);
	CHECK_EQ_INT(t.idata[0], -2147483648LL);
	CHECK_EQ_INT(t.idata[1], -1);
	CHECK_EQ_INT(t.idata[3], 123456);
	CHECK_EQ_INT(t.data[3] == 123456.0f, 1);
	CHECK_EQ_INT(t.data[0] == -2147483648.0f, 1);
	gconv_tensor_free(&t);

	n = make_npy(img, sizeof(img), 1,
		     "{'descr': '|u1', "
		     "'fortran_order': False, 'shape': (3,), }",
		     u8, sizeof(u8), 0);
	CHECK_EQ_INT(gconv_npy_read_mem(img, n, &t, err, sizeof(err)), 0);
	CHECK_EQ_INT(t.orig_dtype, GCONV_FILE_U8);
	CHECK_EQ_INT(t.idata[2], 255);
	CHECK_EQ_INT(t.data[1] == 128.0f, 1);
	gconv_tensor_free(&t);

	n = make_npy(img, sizeof(img), 1,
		     "{'descr': '|b1', "
		     "'fortran_order': False, 'shape': (4,), }",
		     b1, sizeof(b1), 0);
	CHECK_EQ_INT(gconv_npy_read_mem(img, n, &t, err, sizeof(err)), 0);
	CHECK_EQ_INT(t.orig_dtype, GCONV_FILE_BOOL);
	CHECK_EQ_INT(t.data[0] == 0.0f, 1);
	CHECK_EQ_INT(t.data[1] == 1.0f, 1);
	CHECK_EQ_INT(t.idata[2], 1);
	gconv_tensor_free(&t);
}

TEST(bin_roundtrip_and_size_check)
{
	const int64_t dims[4] = { 1, 1, 8, 8 }, wrong[2] = { 1, 60 };
	struct gconv_tensor a, b;
	struct tmpfile tf;
	char err[256] = "";
	int i;

	CHECK_EQ_INT(gconv_tensor_alloc(&a, dims, 4, 0), 0);
	for (i = 0; i < 64; i++)
		a.data[i] = (float)i / 7;
	tmp_name(&tf, "bin");
	CHECK_EQ_INT(gconv_bin_write(tf.path, &a, err, sizeof(err)), 0);
	CHECK_EQ_INT(gconv_bin_read(tf.path, dims, 4, &b, err, sizeof(err)),
		     0);
	CHECK_EQ_INT(b.ndim, 4);
	CHECK(!memcmp(a.data, b.data, 64 * sizeof(float)));
	gconv_tensor_free(&b);

	CHECK_EQ_INT(gconv_bin_read(tf.path, wrong, 2, &b, err, sizeof(err)),
		     -EINVAL);
	CHECK_ERR_HAS(err, "holds 256 bytes (64 float32)");
	CHECK_ERR_HAS(err, "[1,60] needs 240 bytes");
	CHECK(tensor_is_empty(&b));
	remove(tf.path);
	gconv_tensor_free(&a);
}

TEST(bin_rejects_partial_float)
{
	const unsigned char bytes[10] = { 0 };
	const int64_t dims[1] = { 2 };
	struct gconv_tensor t;
	struct tmpfile tf;
	char err[256] = "";

	tmp_write(&tf, bytes, sizeof(bytes));
	CHECK_EQ_INT(gconv_bin_read(tf.path, dims, 1, &t, err, sizeof(err)),
		     -EINVAL);
	remove(tf.path);
	CHECK_ERR_HAS(err, "not a whole number of float32");
	CHECK(tensor_is_empty(&t));
}

TEST(missing_file_names_it)
{
	const int64_t dims[1] = { 1 };
	struct gconv_tensor t;
	char err[256] = "";

	CHECK_EQ_INT(gconv_npy_read("/nonexistent/x.npy", &t, err,
				    sizeof(err)),
		     -ENOENT);
	CHECK_ERR_HAS(err, "/nonexistent/x.npy: cannot open");
	CHECK(tensor_is_empty(&t));
	CHECK_EQ_INT(gconv_bin_read("/nonexistent/x.bin", dims, 1, &t, err,
				    sizeof(err)),
		     -ENOENT);
	CHECK_ERR_HAS(err, "/nonexistent/x.bin: cannot open");
}

TEST(write_errors)
{
	const int64_t dims[1] = { 2 };
	struct gconv_tensor a;
	char err[256] = "";

	CHECK_EQ_INT(gconv_tensor_alloc(&a, dims, 1, 0), 0);
	CHECK_EQ_INT(gconv_npy_write_i64("/tmp/never.npy", &a, err,
					 sizeof(err)),
		     -EINVAL);
	CHECK_ERR_HAS(err, "no int64 data");
	CHECK_EQ_INT(gconv_npy_write("/nonexistent/dir/y.npy", &a, err,
				     sizeof(err)),
		     -ENOENT);
	CHECK_ERR_HAS(err, "/nonexistent/dir/y.npy: cannot create");
	gconv_tensor_free(&a);
}

TEST(alloc_rejects_bad_shapes)
{
	const int64_t neg[2] = { 2, -1 };
	const int64_t big[3] = { INT64_MAX, 2, 2 };
	struct gconv_tensor t;

	CHECK_EQ_INT(gconv_tensor_alloc(&t, neg, 2, 0), -EINVAL);
	CHECK_EQ_INT(gconv_tensor_alloc(&t, big, 3, 0), -EOVERFLOW);
	CHECK_EQ_INT(gconv_tensor_alloc(&t, neg, GCONV_MAX_DIMS + 1, 0),
		     -EINVAL);
	CHECK(tensor_is_empty(&t));
}

TEST(shape_format)
{
	const int64_t d[3] = { 1, 10, 3 };
	char buf[32], small[5];

	gconv_shape_format(d, 3, buf, sizeof(buf));
	CHECK_STR(buf, "[1,10,3]");
	gconv_shape_format(d, 0, buf, sizeof(buf));
	CHECK_STR(buf, "[]");
	CHECK_EQ_INT(gconv_shape_format(d, 3, small, sizeof(small)), 8);
	CHECK_STR(small, "[1,1");
}

/* ---- malformed .npy files, one kind each --------------------------------- */

TEST(reject_empty_file)
{
	CHECK_REJECT("", 0, -EINVAL, "bad magic");
}

TEST(reject_bad_magic)
{
	static const unsigned char b[16] = "\x93NUMPZ\x01\x00\x10\x00{}";
	static const char zip[] = "PK\x03\x04 this is a zip";

	CHECK_REJECT(b, sizeof(b), -EINVAL, "not a .npy file (bad magic");
	CHECK_REJECT(zip, sizeof(zip) - 1, -EINVAL, "bad magic");
}

TEST(reject_truncated_version)
{
	CHECK_REJECT("\x93NUMPY\x01", 7, -EINVAL, "version bytes are missing");
}

TEST(reject_unsupported_version)
{
	CHECK_REJECT("\x93NUMPY\x04\x00\x10\x00", 10, -ENOTSUP,
		     "unsupported .npy format version 4.0");
	CHECK_REJECT("\x93NUMPY\x01\x01\x10\x00", 10, -ENOTSUP,
		     "version 1.1");
}

TEST(reject_truncated_header_length)
{
	CHECK_REJECT("\x93NUMPY\x01\x00\x10", 9, -EINVAL,
		     "too short for the version 1.0 header length field");
	CHECK_REJECT("\x93NUMPY\x02\x00\x10\x00\x00", 11, -EINVAL,
		     "version 2.0 header length field");
}

TEST(reject_header_beyond_file)
{
	unsigned char img[256];
	size_t n;

	n = make_npy(img, sizeof(img), 1,
		     "{'descr': '<f4', "
		     "'fortran_order': False, 'shape': (1,), }",
		     "\0\0\0\0", 4, 1000);
	CHECK_REJECT(img, n, -EINVAL,
		     "header length field says 1118 bytes but only 122 follow");
	/* a huge 2.0 length must not wrap around */
	n = make_npy(img, sizeof(img), 2,
		     "{'descr': '<f4', "
		     "'fortran_order': False, 'shape': (1,), }",
		     "\0\0\0\0", 4, 0xfffff000L);
	CHECK_REJECT(img, n, -EINVAL, "truncated .npy header");
	/* header cut off in the middle of the dict */
	n = make_npy(img, sizeof(img), 1,
		     "{'descr': '<f4', "
		     "'fortran_order': False, 'shape': (1,), }",
		     NULL, 0, 0);
	CHECK_REJECT(img, 40, -EINVAL, "truncated .npy header");
}

TEST(reject_unparsable_dict)
{
	CHECK_REJECT_DICT("'descr': '<f4'", 0, -EINVAL, "expected '{'");
	CHECK_REJECT_DICT("{'descr' '<f4'}", 0, -EINVAL,
			  "expected ':' after a key");
	CHECK_REJECT_DICT("{descr: '<f4'}", 0, -EINVAL,
			  "expected a quoted key");
	CHECK_REJECT_DICT("{'descr': '<f4", 0, -EINVAL,
			  "unterminated string");
	CHECK_REJECT_DICT("{'descr': '<f4' 'shape': (1,)}", 0, -EINVAL,
			  "expected ',' or '}'");
	CHECK_REJECT_DICT("{'descr': '<f4', 'fortran_order': False, "
			  "'shape': (1,), } extra",
			  4, -EINVAL, "unexpected text after the dictionary");
	CHECK_REJECT_DICT("{'descr': '<f4', 'fortran_order': maybe, "
			  "'shape': (1,), }",
			  4, -EINVAL, "fortran_order must be True or False");
	CHECK_REJECT_DICT("{'descr': '<f4', 'fortran_order': False, "
			  "'shape': [1], }",
			  4, -EINVAL, "shape must be a tuple");
	CHECK_REJECT_DICT("{'descr': '<f4', 'fortran_order': False, "
			  "'shape': (1 2), }",
			  4, -EINVAL, "expected ',' or ')' in shape");
	CHECK_REJECT_DICT("{'descr': '<f4', 'fortran_order': False, "
			  "'shape': (x,), }",
			  4, -EINVAL, "expected a dimension or ')'");
	CHECK_REJECT_DICT("{'descr': '<f4', 'fortran_order': False, "
			  "'shape': (5), }",
			  20, -EINVAL, "needs a trailing comma");
	/* the parse error says where */
	CHECK_REJECT_DICT("{'descr' '<f4'}", 0, -EINVAL, "at byte 9");
}

TEST(reject_missing_unknown_duplicate_keys)
{
	CHECK_REJECT_DICT("{'descr': '<f4', 'shape': (1,), }", 4, -EINVAL,
			  "lacks the key 'fortran_order'");
	CHECK_REJECT_DICT("{'descr': '<f4', 'fortran_order': False}", 4,
			  -EINVAL, "lacks the key 'shape'");
	CHECK_REJECT_DICT("{'descr': '<f4', 'fortran_order': False, "
			  "'shape': (1,), 'colour': 'red'}",
			  4, -EINVAL, "unexpected key 'colour'");
	CHECK_REJECT_DICT("{'descr': '<f4', 'descr': '<f4', "
			  "'fortran_order': False, 'shape': (1,)}",
			  4, -EINVAL, "duplicate key 'descr'");
}

TEST(reject_unsupported_dtype)
{
	CHECK_REJECT_DICT("{'descr': '<c8', 'fortran_order': False, "
			  "'shape': (1,), }",
			  8, -ENOTSUP, "unsupported dtype '<c8'");
	CHECK_REJECT_DICT("{'descr': '<f2', 'fortran_order': False, "
			  "'shape': (1,), }",
			  2, -ENOTSUP, "unsupported dtype '<f2'");
	CHECK_REJECT_DICT("{'descr': '<U5', 'fortran_order': False, "
			  "'shape': (1,), }",
			  20, -ENOTSUP, "supported: <f4, <f8");
	CHECK_REJECT_DICT("{'descr': [('a', '<f4')], 'fortran_order': False, "
			  "'shape': (1,), }",
			  4, -ENOTSUP, "structured dtypes are not supported");
	CHECK_REJECT_DICT("{'descr': 'a-very-long-dtype-name', "
			  "'fortran_order': False, 'shape': (1,), }",
			  4, -EINVAL, "dtype is too long");
}

TEST(reject_big_endian)
{
	CHECK_REJECT_DICT("{'descr': '>f4', 'fortran_order': False, "
			  "'shape': (1,), }",
			  4, -ENOTSUP,
			  "big-endian dtype '>f4' is not supported");
	CHECK_REJECT_DICT("{'descr': '>i8', 'fortran_order': False, "
			  "'shape': (1,), }",
			  8, -ENOTSUP, "big-endian");
}

TEST(reject_fortran_order)
{
	CHECK_REJECT_DICT("{'descr': '<f4', 'fortran_order': True, "
			  "'shape': (2, 2), }",
			  16, -ENOTSUP, "fortran_order True is not supported");
}

TEST(reject_shape_overflow)
{
	/* each dim fits int64, the product does not */
	CHECK_REJECT_DICT("{'descr': '<f4', 'fortran_order': False, "
			  "'shape': (4294967296, 4294967296), }",
			  0, -EOVERFLOW, "too many elements");
	/* the product fits 64 bits but not in bytes of float64 */
	CHECK_REJECT_DICT("{'descr': '<f8', 'fortran_order': False, "
			  "'shape': (2305843009213693952,), }",
			  0, -EOVERFLOW, "size overflows");
	/* a dimension beyond int64 */
	CHECK_REJECT_DICT("{'descr': '<f4', 'fortran_order': False, "
			  "'shape': (99999999999999999999,), }",
			  0, -EOVERFLOW, "overflows 64 bits");
}

TEST(reject_negative_and_too_many_dims)
{
	CHECK_REJECT_DICT("{'descr': '<f4', 'fortran_order': False, "
			  "'shape': (2, -3), }",
			  0, -EINVAL, "negative dimension");
	CHECK_REJECT_DICT("{'descr': '<f4', 'fortran_order': False, "
			  "'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1), }",
			  4, -ENOTSUP, "more than 8 dimensions");
}

TEST(reject_data_too_short)
{
	static const float d[15];

	CHECK_REJECT_DICT("{'descr': '<f4', 'fortran_order': False, "
			  "'shape': (4, 4), }",
			  sizeof(d), -EINVAL,
			  "header says 16 elements (64 bytes of float32, "
			  "shape [4,4]) but the file holds 60 bytes of data");
	CHECK_REJECT_DICT("{'descr': '<i8', 'fortran_order': False, "
			  "'shape': (3,), }",
			  23, -EINVAL, "header says 3 elements (24 bytes of "
				       "int64");
}

TEST(reject_data_too_long)
{
	CHECK_REJECT_DICT("{'descr': '<f4', 'fortran_order': False, "
			  "'shape': (2,), }",
			  12, -EINVAL,
			  "file holds 12 bytes of data but the header says 2 "
			  "elements (8 bytes of float32, shape [2]): 4 "
			  "trailing bytes");
	CHECK_REJECT_DICT("{'descr': '<f4', 'fortran_order': False, "
			  "'shape': (), }",
			  5, -EINVAL, "1 trailing bytes");
}

/* Random byte flips and truncations of valid files: always 0 or an error
 * with a message, never a crash (run under ASan+UBSan too). */
TEST(mutated_files_never_crash)
{
	static const char *const dicts[] = {
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
		"{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
		"{'descr': '|u1', 'fortran_order': False, 'shape': (), }",
	};
	static const unsigned char data[24] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	static const size_t dlen[3] = { 24, 24, 1 };
	unsigned long long rs = 7;
	unsigned char img[256], mut[256];
	int iter, ok = 0;

	for (iter = 0; iter < 20000; iter++) {
		int which = iter % 3, flips, j, r;
		size_t n, cut;
		struct gconv_tensor t;
		char err[256] = "";

		n = make_npy(img, sizeof(img), 1 + (iter / 3) % 2, dicts[which],
			     data, dlen[which], 0);
		memcpy(mut, img, n);
		flips = harness_randint(&rs, 0, 3);
		for (j = 0; j < flips; j++)
			mut[harness_rand(&rs) % n] =
				(unsigned char)harness_rand(&rs);
		cut = harness_randint(&rs, 0, 4) ? n :
						    harness_rand(&rs) % (n + 1);
		r = gconv_npy_read_mem(mut, cut, &t, err, sizeof(err));
		if (r == 0) {
			ok++;
			CHECK(t.data != NULL);
			CHECK(t.ndim <= GCONV_MAX_DIMS);
		} else {
			CHECK(r < 0);
			CHECK(err[0] != '\0');
			CHECK(tensor_is_empty(&t));
		}
		gconv_tensor_free(&t);
	}
	CHECK(ok > 0);
}

static const struct test tests[] = {
	T(roundtrip_float32_4d),
	T(roundtrip_int64),
	T(roundtrip_scalar),
	T(roundtrip_1d_and_empty),
	T(read_version_2_0),
	T(read_header_variants),
	T(read_float64_converts),
	T(read_int32_uint8_bool_convert),
	T(bin_roundtrip_and_size_check),
	T(bin_rejects_partial_float),
	T(missing_file_names_it),
	T(write_errors),
	T(alloc_rejects_bad_shapes),
	T(shape_format),
	T(reject_empty_file),
	T(reject_bad_magic),
	T(reject_truncated_version),
	T(reject_unsupported_version),
	T(reject_truncated_header_length),
	T(reject_header_beyond_file),
	T(reject_unparsable_dict),
	T(reject_missing_unknown_duplicate_keys),
	T(reject_unsupported_dtype),
	T(reject_big_endian),
	T(reject_fortran_order),
	T(reject_shape_overflow),
	T(reject_negative_and_too_many_dims),
	T(reject_data_too_short),
	T(reject_data_too_long),
	T(mutated_files_never_crash),
};

int main(int argc, char **argv)
{
	return HARNESS_MAIN(tests);
}

// SPDX-License-Identifier: MIT
/*
 * Tensors in NumPy .npy files and raw little-endian float32 .bin files.
 *
 * A .npy file is the 6-byte magic "\x93NUMPY", a major and a minor
 * version byte, the header length (u16 LE in version 1.0, u32 LE in 2.0
 * and 3.0), then the header: a Python dict literal
 *
 *	{'descr': '<f4', 'fortran_order': False, 'shape': (100, 1, 8, 8), }
 *
 * padded with spaces and ended by '\n', then the raw data.  The reader
 * parses the dict itself (any key order, either quote style, trailing
 * commas, Python 2 "L" suffixes) and rejects anything else with a reason.
 * Files are read whole into memory and decoded byte by byte, so the code
 * is independent of the host's byte order and alignment.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gconv/tensor_io.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64

/* ---- messages ----------------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *name,
		    const char *fmt, ...)
{
	va_list ap;
	size_t off = 0;
	int n;

	if (!err || !errlen)
		return;
	err[0] = '\0';
	if (name) {
		n = snprintf(err, errlen, "%s: ", name);
		if (n < 0)
			return;
		off = (size_t)n < errlen ? (size_t)n : errlen - 1;
	}
	va_start(ap, fmt);
	vsnprintf(err + off, errlen - off, fmt, ap);
	va_end(ap);
}

static void set_errno_err(char *err, size_t errlen, const char *name,
			  const char *what, int e)
{
	char buf[128];

	if (strerror_r(e, buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "error %d", e);
	set_err(err, errlen, name, "%s: %s", what, buf);
}

int gconv_shape_format(const int64_t *dims, uint32_t ndim, char *buf,
		       size_t len)
{
	size_t off = 0;
	int total = 0, n;
	uint32_t i;

	if (len)
		buf[0] = '\0';
	for (i = 0; i <= ndim + 1; i++) {
		if (i == 0)
			n = snprintf(buf + off, len - off, "[");
		else if (i == ndim + 1)
			n = snprintf(buf + off, len - off, "]");
		else
			n = snprintf(buf + off, len - off, "%s%lld",
				     i > 1 ? "," : "",
				     (long long)dims[i - 1]);
		if (n < 0)
			return n;
		total += n;
		off += (size_t)n;
		if (off >= len)
			off = len ? len - 1 : 0;
	}
	return total;
}

const char *gconv_file_dtype_name(uint32_t dtype)
{
	switch (dtype) {
	case GCONV_FILE_F32:
		return "float32";
	case GCONV_FILE_F64:
		return "float64";
	case GCONV_FILE_I64:
		return "int64";
	case GCONV_FILE_I32:
		return "int32";
	case GCONV_FILE_U8:
		return "uint8";
	case GCONV_FILE_BOOL:
		return "bool";
	}
	return "unknown";
}

/* ---- tensors ---------------------------------------------------------- */

/*
 * Element count of a shape, refusing negative dims and any count whose
 * size in the widest dtype (8 bytes) would not fit a size_t.
 */
static int shape_elems(const int64_t *dims, uint32_t ndim, uint64_t *elems)
{
	const uint64_t smax = (uint64_t)(SIZE_MAX / 8);
	const uint64_t max = smax < (uint64_t)INT64_MAX / 8 ?
				     smax :
				     (uint64_t)INT64_MAX / 8;
	uint64_t e = 1;
	uint32_t i;

	if (ndim > GCONV_MAX_DIMS)
		return -EINVAL;
	for (i = 0; i < ndim; i++)
		if (dims[i] < 0)
			return -EINVAL;
	for (i = 0; i < ndim; i++) {
		uint64_t d = (uint64_t)dims[i];

		if (d && e > max / d)
			return -EOVERFLOW;
		e *= d;
	}
	*elems = e;
	return 0;
}

int gconv_tensor_alloc(struct gconv_tensor *t, const int64_t *dims,
		       uint32_t ndim, int with_int)
{
	uint64_t elems;
	size_t n;
	int ret;

	memset(t, 0, sizeof(*t));
	ret = shape_elems(dims, ndim, &elems);
	if (ret)
		return ret;
	n = elems ? (size_t)elems : 1;
	t->data = calloc(n, sizeof(float));
	if (!t->data)
		return -ENOMEM;
	if (with_int) {
		t->idata = calloc(n, sizeof(int64_t));
		if (!t->idata) {
			free(t->data);
			t->data = NULL;
			return -ENOMEM;
		}
		t->orig_dtype_int = 1;
		t->orig_dtype = GCONV_FILE_I64;
	}
	t->ndim = ndim;
	if (ndim)
		memcpy(t->dims, dims, ndim * sizeof(dims[0]));
	t->elems = elems;
	return 0;
}

void gconv_tensor_free(struct gconv_tensor *t)
{
	if (!t)
		return;
	free(t->data);
	free(t->idata);
	memset(t, 0, sizeof(*t));
}

/* ---- byte order --------------------------------------------------------- */

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const unsigned char *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void put_le64(unsigned char *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/* ---- whole files ------------------------------------------------------ */

static int read_all(const char *path, unsigned char **out, size_t *outlen,
		    char *err, size_t errlen)
{
	unsigned char *buf = NULL, *nb;
	size_t len = 0, cap = 0, got;
	FILE *f;
	int e;

	f = fopen(path, "rb");
	if (!f) {
		e = errno;
		set_errno_err(err, errlen, path, "cannot open", e);
		return -e;
	}
	for (;;) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 65536;

			if (ncap < cap) {
				fclose(f);
				free(buf);
				set_err(err, errlen, path, "file too large");
				return -EFBIG;
			}
			nb = realloc(buf, ncap);
			if (!nb) {
				fclose(f);
				free(buf);
				set_err(err, errlen, path,
					"out of memory reading the file");
				return -ENOMEM;
			}
			buf = nb;
			cap = ncap;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		e = errno ? errno : EIO;
		fclose(f);
		free(buf);
		set_errno_err(err, errlen, path, "read error", e);
		return -e;
	}
	fclose(f);
	*out = buf;
	*outlen = len;
	return 0;
}

/* Write @len bytes of @hdr then the tensor's data encoded by @enc. */
typedef void (*encode_fn)(const struct gconv_tensor *t, uint64_t first,
			  size_t count, unsigned char *out);

static int write_file(const char *path, const void *hdr, size_t hdrlen,
		      const struct gconv_tensor *t, uint64_t elems,
		      size_t esize, encode_fn enc, char *err, size_t errlen)
{
	unsigned char chunk[8192];
	const size_t per = sizeof(chunk) / 8;
	uint64_t i;
	FILE *f;
	int e;

	errno = 0;
	f = fopen(path, "wb");
	if (!f) {
		e = errno;
		set_errno_err(err, errlen, path, "cannot create", e);
		return -e;
	}
	if (hdrlen && fwrite(hdr, 1, hdrlen, f) != hdrlen)
		goto fail;
	for (i = 0; i < elems; i += per) {
		size_t n = elems - i < per ? (size_t)(elems - i) : per;

		enc(t, i, n, chunk);
		if (fwrite(chunk, esize, n, f) != n)
			goto fail;
	}
	if (fflush(f))
		goto fail;
	if (fclose(f)) {
		f = NULL;
		goto fail;
	}
	return 0;
fail:
	e = errno ? errno : EIO;
	if (f)
		fclose(f);
	remove(path);
	set_errno_err(err, errlen, path, "write error", e);
	return -e;
}

static void encode_f32(const struct gconv_tensor *t, uint64_t first,
		       size_t count, unsigned char *out)
{
	size_t i;

	for (i = 0; i < count; i++)
		put_le32(out + 4 * i, gconv_f32_bits(t->data[first + i]));
}

static void encode_i64(const struct gconv_tensor *t, uint64_t first,
		       size_t count, unsigned char *out)
{
	size_t i;

	for (i = 0; i < count; i++)
		put_le64(out + 8 * i, (uint64_t)t->idata[first + i]);
}

/* ---- the .npy header dictionary ----------------------------------------- */

struct hparse {
	const char *s;
	size_t n, pos;
	char *err;
	size_t errlen;
	const char *name;
};

static int hp_fail(struct hparse *p, const char *what)
{
	set_err(p->err, p->errlen, p->name,
		"cannot parse the .npy header dictionary at byte %zu: %s",
		p->pos, what);
	return -EINVAL;
}

static void hp_ws(struct hparse *p)
{
	while (p->pos < p->n &&
	       (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
		p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int hp_peek(struct hparse *p)
{
	hp_ws(p);
	return p->pos < p->n ? (unsigned char)p->s[p->pos] : -1;
}

/* A quoted string without escapes into @out (at most outlen - 1 chars). */
static int hp_string(struct hparse *p, char *out, size_t outlen,
		     const char *what)
{
	size_t start, len;
	char msg[96];
	char q;

	if (hp_peek(p) != '\'' && hp_peek(p) != '"') {
		snprintf(msg, sizeof(msg), "expected a quoted %s", what);
		return hp_fail(p, msg);
	}
	q = p->s[p->pos++];
	start = p->pos;
	while (p->pos < p->n && p->s[p->pos] != q && p->s[p->pos] != '\n') {
		if (p->s[p->pos] == '\\' || p->s[p->pos] == '\0')
			return hp_fail(p, "unsupported character in a string");
		p->pos++;
	}
	if (p->pos >= p->n || p->s[p->pos] != q)
		return hp_fail(p, "unterminated string");
	len = p->pos - start;
	if (len >= outlen) {
		p->pos = start;
		snprintf(msg, sizeof(msg), "%s is too long", what);
		return hp_fail(p, msg);
	}
	memcpy(out, p->s + start, len);
	out[len] = '\0';
	p->pos++;
	return 0;
}

static int hp_expect(struct hparse *p, char c, const char *msg)
{
	if (hp_peek(p) != (unsigned char)c)
		return hp_fail(p, msg);
	p->pos++;
	return 0;
}

static int hp_word(struct hparse *p, const char *w)
{
	size_t l = strlen(w);

	hp_ws(p);
	if (p->n - p->pos >= l && !memcmp(p->s + p->pos, w, l)) {
		p->pos += l;
		return 1;
	}
	return 0;
}

static int hp_bool(struct hparse *p, int *v)
{
	if (hp_word(p, "True"))
		*v = 1;
	else if (hp_word(p, "False"))
		*v = 0;
	else
		return hp_fail(p, "fortran_order must be True or False");
	return 0;
}

static int hp_shape(struct hparse *p, int64_t *dims, uint32_t *ndim)
{
	uint32_t nd = 0;
	int c;

	if (hp_expect(p, '(', "shape must be a tuple such as (3, 4)"))
		return -EINVAL;
	for (;;) {
		uint64_t v = 0;
		size_t start;

		c = hp_peek(p);
		if (c == ')') {
			p->pos++;
			break;
		}
		if (c == '-')
			return hp_fail(p, "negative dimension in shape");
		if (c < '0' || c > '9')
			return hp_fail(p, "expected a dimension or ')' in "
					  "shape");
		if (nd == GCONV_MAX_DIMS) {
			set_err(p->err, p->errlen, p->name,
				"shape has more than %d dimensions (at most %d "
				"are supported)",
				GCONV_MAX_DIMS, GCONV_MAX_DIMS);
			return -ENOTSUP;
		}
		start = p->pos;
		while (p->pos < p->n && p->s[p->pos] >= '0' &&
		       p->s[p->pos] <= '9') {
			unsigned d = (unsigned)(p->s[p->pos] - '0');

			if (v > ((uint64_t)INT64_MAX - d) / 10) {
				p->pos = start;
				set_err(p->err, p->errlen, p->name,
					"shape dimension at byte %zu overflows "
					"64 bits",
					start);
				return -EOVERFLOW;
			}
			v = v * 10 + d;
			p->pos++;
		}
		if (p->pos < p->n &&
		    (p->s[p->pos] == 'L' || p->s[p->pos] == 'l'))
			p->pos++;	/* Python 2 long */
		dims[nd++] = (int64_t)v;
		c = hp_peek(p);
		if (c == ',') {
			p->pos++;
		} else if (c != ')') {
			return hp_fail(p, "expected ',' or ')' in shape");
		} else if (nd == 1) {
			/* "(5)" is an int in Python, not a tuple */
			return hp_fail(p, "a 1-d shape needs a trailing comma, "
					  "as in (5,)");
		}
	}
	*ndim = nd;
	return 0;
}

struct npy_header {
	char descr[16];
	int fortran;
	int64_t dims[GCONV_MAX_DIMS];
	uint32_t ndim;
};

static int parse_header(const char *s, size_t n, struct npy_header *h,
			const char *name, char *err, size_t errlen)
{
	struct hparse p = { s, n, 0, err, errlen, name };
	int have_descr = 0, have_fortran = 0, have_shape = 0;
	int ret, c;

	if (hp_expect(&p, '{', "expected '{'"))
		return -EINVAL;
	for (;;) {
		char key[32];

		c = hp_peek(&p);
		if (c == '}') {
			p.pos++;
			break;
		}
		ret = hp_string(&p, key, sizeof(key), "key");
		if (ret)
			return ret;
		if (hp_expect(&p, ':', "expected ':' after a key"))
			return -EINVAL;
		if (!strcmp(key, "descr")) {
			if (have_descr++)
				return hp_fail(&p, "duplicate key 'descr'");
			if (hp_peek(&p) == '[')
				goto structured;
			ret = hp_string(&p, h->descr, sizeof(h->descr),
					"dtype");
		} else if (!strcmp(key, "fortran_order")) {
			if (have_fortran++)
				return hp_fail(&p, "duplicate key "
						   "'fortran_order'");
			ret = hp_bool(&p, &h->fortran);
		} else if (!strcmp(key, "shape")) {
			if (have_shape++)
				return hp_fail(&p, "duplicate key 'shape'");
			ret = hp_shape(&p, h->dims, &h->ndim);
		} else {
			set_err(err, errlen, name,
				"unexpected key '%s' in the .npy header "
				"(expected descr, fortran_order, shape)",
				key);
			return -EINVAL;
		}
		if (ret)
			return ret;
		c = hp_peek(&p);
		if (c == ',')
			p.pos++;
		else if (c != '}')
			return hp_fail(&p, "expected ',' or '}'");
	}
	hp_ws(&p);
	while (p.pos < p.n && p.s[p.pos] == '\0')
		p.pos++;	/* tolerate NUL padding */
	if (p.pos != p.n)
		return hp_fail(&p, "unexpected text after the dictionary");
	if (!have_descr || !have_fortran || !have_shape) {
		set_err(err, errlen, name,
			".npy header lacks the key '%s'",
			!have_descr ? "descr" :
			!have_fortran ? "fortran_order" : "shape");
		return -EINVAL;
	}
	return 0;
structured:
	set_err(err, errlen, name,
		"structured dtypes are not supported (need a plain numeric "
		"array)");
	return -ENOTSUP;
}

static int dtype_lookup(const char *descr, uint32_t *dtype, size_t *esize)
{
	static const struct {
		const char *descr;
		uint32_t dtype;
		size_t esize;
	} tab[] = {
		{ "<f4", GCONV_FILE_F32, 4 },  { "<f8", GCONV_FILE_F64, 8 },
		{ "<i8", GCONV_FILE_I64, 8 },  { "<i4", GCONV_FILE_I32, 4 },
		{ "|u1", GCONV_FILE_U8, 1 },   { "|b1", GCONV_FILE_BOOL, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(descr, tab[i].descr)) {
			*dtype = tab[i].dtype;
			*esize = tab[i].esize;
			return 0;
		}
	return -ENOTSUP;
}

/* ---- reading .npy -------------------------------------------------------- */

static int npy_parse(const unsigned char *b, size_t len,
		     struct gconv_tensor *t, const char *name, char *err,
		     size_t errlen)
{
	struct npy_header h;
	size_t esize = 0, pre, hlen, data_len, i;
	uint64_t elems, need;
	uint32_t dtype = 0;
	const unsigned char *d;
	char shape[160];
	int ret;

	memset(t, 0, sizeof(*t));
	memset(&h, 0, sizeof(h));
	if (len < NPY_MAGIC_LEN || memcmp(b, NPY_MAGIC, NPY_MAGIC_LEN)) {
		set_err(err, errlen, name,
			"not a .npy file (bad magic: expected "
			"\"\\x93NUMPY\" at the start)");
		return -EINVAL;
	}
	if (len < NPY_MAGIC_LEN + 2) {
		set_err(err, errlen, name,
			"truncated .npy file: %zu bytes, the version bytes are "
			"missing",
			len);
		return -EINVAL;
	}
	if ((b[6] != 1 && b[6] != 2 && b[6] != 3) || b[7] != 0) {
		set_err(err, errlen, name,
			"unsupported .npy format version %u.%u (1.0, 2.0 "
			"and 3.0 are supported)",
			b[6], b[7]);
		return -ENOTSUP;
	}
	pre = b[6] == 1 ? 10 : 12;
	if (len < pre) {
		set_err(err, errlen, name,
			"truncated .npy file: %zu bytes, too short for the "
			"version %u.0 header length field",
			len, b[6]);
		return -EINVAL;
	}
	hlen = b[6] == 1 ? (size_t)(b[8] | b[9] << 8) : (size_t)get_le32(b + 8);
	if (hlen > len - pre) {
		set_err(err, errlen, name,
			"truncated .npy header: the header length field says "
			"%zu bytes but only %zu follow",
			hlen, len - pre);
		return -EINVAL;
	}
	ret = parse_header((const char *)b + pre, hlen, &h, name, err, errlen);
	if (ret)
		return ret;
	if (dtype_lookup(h.descr, &dtype, &esize)) {
		char le[sizeof(h.descr)];

		memcpy(le, h.descr, sizeof(le));
		le[0] = '<';
		if (h.descr[0] == '>' && !dtype_lookup(le, &dtype, &esize))
			set_err(err, errlen, name,
				"big-endian dtype '%s' is not supported "
				"(only little-endian)",
				h.descr);
		else
			set_err(err, errlen, name,
				"unsupported dtype '%s' (supported: <f4, <f8, "
				"<i8, <i4, |u1, |b1)",
				h.descr);
		return -ENOTSUP;
	}
	if (h.fortran) {
		set_err(err, errlen, name,
			"fortran_order True is not supported (save the array "
			"in C order)");
		return -ENOTSUP;
	}
	gconv_shape_format(h.dims, h.ndim, shape, sizeof(shape));
	ret = shape_elems(h.dims, h.ndim, &elems);
	if (ret) {
		set_err(err, errlen, name,
			"shape %s has too many elements (the size overflows)",
			shape);
		return -EOVERFLOW;
	}
	need = elems * esize;
	d = b + pre + hlen;
	data_len = len - pre - hlen;
	if (data_len < need) {
		set_err(err, errlen, name,
			"header says %llu elements (%llu bytes of %s, shape "
			"%s) but the file holds %zu bytes of data",
			(unsigned long long)elems, (unsigned long long)need,
			gconv_file_dtype_name(dtype), shape, data_len);
		return -EINVAL;
	}
	if (data_len > need) {
		set_err(err, errlen, name,
			"file holds %zu bytes of data but the header says "
			"%llu elements (%llu bytes of %s, shape %s): %llu "
			"trailing bytes",
			data_len, (unsigned long long)elems,
			(unsigned long long)need, gconv_file_dtype_name(dtype),
			shape, (unsigned long long)(data_len - need));
		return -EINVAL;
	}

	ret = gconv_tensor_alloc(t, h.dims, h.ndim,
				 dtype != GCONV_FILE_F32 &&
					 dtype != GCONV_FILE_F64);
	if (ret) {
		set_err(err, errlen, name,
			"out of memory for %llu elements (shape %s)",
			(unsigned long long)elems, shape);
		return ret;
	}
	t->orig_dtype = dtype;
	for (i = 0; i < (size_t)elems; i++) {
		const unsigned char *e = d + i * esize;
		int64_t iv = 0;

		switch (dtype) {
		case GCONV_FILE_F32:
			t->data[i] = gconv_bits_f32(get_le32(e));
			continue;
		case GCONV_FILE_F64: {
			uint64_t u = get_le64(e);
			double v;

			memcpy(&v, &u, sizeof(v));
			t->data[i] = (float)v;
			continue;
		}
		case GCONV_FILE_I64:
			iv = (int64_t)get_le64(e);
			break;
		case GCONV_FILE_I32:
			iv = (int32_t)get_le32(e);
			break;
		case GCONV_FILE_U8:
			iv = e[0];
			break;
		case GCONV_FILE_BOOL:
			iv = e[0] != 0;
			break;
		}
		t->idata[i] = iv;
		t->data[i] = (float)iv;
	}
	return 0;
}

int gconv_npy_read_mem(const void *buf, size_t len, struct gconv_tensor *t,
		       char *err, size_t errlen)
{
	return npy_parse(buf, len, t, NULL, err, errlen);
}

int gconv_npy_read(const char *path, struct gconv_tensor *t, char *err,
		   size_t errlen)
{
	unsigned char *buf;
	size_t len;
	int ret;

	memset(t, 0, sizeof(*t));
	ret = read_all(path, &buf, &len, err, errlen);
	if (ret)
		return ret;
	ret = npy_parse(buf, len, t, path, err, errlen);
	free(buf);
	return ret;
}

/* ---- writing ------------------------------------------------------------- */

/* Check a tensor about to be written; returns its element count. */
static int check_for_write(const char *path, const struct gconv_tensor *t,
			   const void *payload, uint64_t *elems, char *err,
			   size_t errlen)
{
	int ret;

	if (t->ndim > GCONV_MAX_DIMS) {
		set_err(err, errlen, path,
			"tensor has %u dimensions, at most %d are supported",
			t->ndim, GCONV_MAX_DIMS);
		return -EINVAL;
	}
	ret = shape_elems(t->dims, t->ndim, elems);
	if (ret) {
		set_err(err, errlen, path, "invalid tensor shape (%s)",
			ret == -EOVERFLOW ? "size overflows" :
					    "negative dimension");
		return ret;
	}
	if (!payload && *elems) {
		set_err(err, errlen, path, "tensor has no data to write");
		return -EINVAL;
	}
	return 0;
}

/* Build a version 1.0 header; returns its total length (preamble
 * included, a multiple of NPY_ALIGN). */
static size_t npy_header(unsigned char *out, size_t cap, const char *descr,
			 const struct gconv_tensor *t)
{
	char dict[512];
	size_t len, total;
	uint32_t i;
	int n;

	n = snprintf(dict, sizeof(dict),
		     "{'descr': '%s', 'fortran_order': False, 'shape': (",
		     descr);
	len = (size_t)n;
	for (i = 0; i < t->ndim; i++) {
		n = snprintf(dict + len, sizeof(dict) - len, "%s%lld%s",
			     i ? ", " : "", (long long)t->dims[i],
			     t->ndim == 1 ? "," : "");
		len += (size_t)n;
	}
	n = snprintf(dict + len, sizeof(dict) - len, "), }");
	len += (size_t)n;
	/* preamble + dict + padding + '\n', a multiple of NPY_ALIGN */
	total = (10 + len + 1 + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
	if (total > cap)
		return 0;
	memcpy(out, NPY_MAGIC, NPY_MAGIC_LEN);
	out[6] = 1;
	out[7] = 0;
	out[8] = (unsigned char)((total - 10) & 0xff);
	out[9] = (unsigned char)((total - 10) >> 8);
	memcpy(out + 10, dict, len);
	memset(out + 10 + len, ' ', total - 10 - len - 1);
	out[total - 1] = '\n';
	return total;
}

static int npy_write(const char *path, const struct gconv_tensor *t,
		     const char *descr, const void *payload, size_t esize,
		     encode_fn enc, char *err, size_t errlen)
{
	unsigned char hdr[640];
	uint64_t elems;
	size_t hl;
	int ret;

	ret = check_for_write(path, t, payload, &elems, err, errlen);
	if (ret)
		return ret;
	hl = npy_header(hdr, sizeof(hdr), descr, t);
	if (!hl) {
		set_err(err, errlen, path, "internal error: header too long");
		return -EINVAL;
	}
	return write_file(path, hdr, hl, t, elems, esize, enc, err, errlen);
}

int gconv_npy_write(const char *path, const struct gconv_tensor *t,
		    char *err, size_t errlen)
{
	return npy_write(path, t, "<f4", t->data, 4, encode_f32, err, errlen);
}

int gconv_npy_write_i64(const char *path, const struct gconv_tensor *t,
			char *err, size_t errlen)
{
	if (!t->idata) {
		set_err(err, errlen, path,
			"tensor has no int64 data (idata is NULL)");
		return -EINVAL;
	}
	return npy_write(path, t, "<i8", t->idata, 8, encode_i64, err, errlen);
}

/* ---- raw .bin ---------------------------------------------------------- */

int gconv_bin_read(const char *path, const int64_t *dims, uint32_t ndim,
		   struct gconv_tensor *t, char *err, size_t errlen)
{
	unsigned char *buf;
	uint64_t elems;
	char shape[160];
	size_t len, i;
	int ret;

	memset(t, 0, sizeof(*t));
	if (ndim > GCONV_MAX_DIMS) {
		set_err(err, errlen, path,
			"shape has %u dimensions, at most %d are supported",
			ndim, GCONV_MAX_DIMS);
		return -EINVAL;
	}
	gconv_shape_format(dims, ndim, shape, sizeof(shape));
	ret = shape_elems(dims, ndim, &elems);
	if (ret) {
		set_err(err, errlen, path, "invalid shape %s (%s)", shape,
			ret == -EOVERFLOW ? "size overflows" :
					    "negative dimension");
		return ret;
	}
	ret = read_all(path, &buf, &len, err, errlen);
	if (ret)
		return ret;
	if (len != elems * 4) {
		if (len % 4)
			set_err(err, errlen, path,
				"holds %zu bytes, not a whole number of "
				"float32, but shape %s needs %llu bytes "
				"(%llu float32)",
				len, shape, (unsigned long long)(elems * 4),
				(unsigned long long)elems);
		else
			set_err(err, errlen, path,
				"holds %zu bytes (%zu float32) but shape %s "
				"needs %llu bytes (%llu float32)",
				len, len / 4, shape,
				(unsigned long long)(elems * 4),
				(unsigned long long)elems);
		free(buf);
		return -EINVAL;
	}
	ret = gconv_tensor_alloc(t, dims, ndim, 0);
	if (ret) {
		free(buf);
		set_err(err, errlen, path, "out of memory for shape %s", shape);
		return ret;
	}
	for (i = 0; i < (size_t)elems; i++)
		t->data[i] = gconv_bits_f32(get_le32(buf + 4 * i));
	free(buf);
	return 0;
}

int gconv_bin_write(const char *path, const struct gconv_tensor *t,
		    char *err, size_t errlen)
{
	uint64_t elems;
	int ret;

	ret = check_for_write(path, t, t->data, &elems, err, errlen);
	if (ret)
		return ret;
	return write_file(path, NULL, 0, t, elems, 4, encode_f32, err, errlen);
}

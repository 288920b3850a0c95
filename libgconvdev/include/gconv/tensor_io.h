/* SPDX-License-Identifier: MIT */
/*
 * libgconvdev: reading and writing tensors.
 *
 * Two file formats:
 *
 *  - NumPy .npy, format versions 1.0, 2.0 and 3.0 (3.0 differs from 2.0
 *    only in allowing UTF-8 in the header).  Readable dtypes: '<f4'
 *    float32, '<f8' float64 (converted to float32), '<i8' int64, '<i4'
 *    int32, '|u1' uint8 and '|b1' bool; every one is delivered as float32,
 *    and the integer ones (including bool) also as an exact int64 copy.
 *    Only C order (fortran_order False) is accepted.  Written: '<f4'
 *    float32 and '<i8' int64, format 1.0.
 *  - Raw .bin: little-endian float32 in C order with no header; the shape
 *    comes from the caller and must account for the file's size exactly.
 *
 * Every function returns 0 or a negative errno and writes a one-line
 * reason into @err (may be NULL), naming the file, e.g.
 * "x.npy: header says 64 elements (256 bytes) but the file holds 240
 * bytes of data".  A malformed file is -EINVAL (or -EOVERFLOW for a
 * shape whose size overflows), never a crash; an unsupported dtype or
 * layout is -ENOTSUP.  On failure the tensor is left zeroed.
 */
#ifndef GCONV_TENSOR_IO_H
#define GCONV_TENSOR_IO_H

#include <stddef.h>
#include <stdint.h>

#include <gconv/engine.h>
#include <gconv/model.h>	/* GCONV_MAX_DIMS */

#ifdef __cplusplus
extern "C" {
#endif

/* What a tensor file held. */
enum gconv_file_dtype {
	GCONV_FILE_F32 = 0,	/* '<f4', and every .bin */
	GCONV_FILE_F64,		/* '<f8' */
	GCONV_FILE_I64,		/* '<i8' */
	GCONV_FILE_I32,		/* '<i4' */
	GCONV_FILE_U8,		/* '|u1' */
	GCONV_FILE_BOOL,	/* '|b1' */
};

/*
 * A dense C-order tensor.  @data always holds the values as float32;
 * @idata is an exact int64 copy when the file held integers (or bools),
 * else NULL.  A 0-d tensor (a scalar) has ndim 0 and one element.
 * Zero-initialise before use; release with gconv_tensor_free().
 */
struct gconv_tensor {
	uint32_t ndim;
	int64_t dims[GCONV_MAX_DIMS];
	uint64_t elems;		/* product of dims (1 for a scalar) */
	float *data;
	int orig_dtype_int;	/* nonzero if the file held integers */
	int64_t *idata;		/* int64 copy for integer files, else NULL */
	uint32_t orig_dtype;	/* enum gconv_file_dtype */
};

/*
 * Allocate @t as a zero-filled float32 tensor of the given shape (and,
 * if @with_int, a zero-filled @idata too).  -EINVAL for ndim above
 * GCONV_MAX_DIMS or a negative dim, -EOVERFLOW, -ENOMEM.
 */
GCONV_EXPORT int gconv_tensor_alloc(struct gconv_tensor *t,
				    const int64_t *dims, uint32_t ndim,
				    int with_int);
/* Free @t's buffers and zero it.  NULL and a zeroed tensor are fine. */
GCONV_EXPORT void gconv_tensor_free(struct gconv_tensor *t);

/* "[1,1,8,8]" ("[]" for a scalar).  Returns what snprintf returns. */
GCONV_EXPORT int gconv_shape_format(const int64_t *dims, uint32_t ndim,
				    char *buf, size_t len);
/* Name of an enum gconv_file_dtype ("float32", "int64", ...). */
GCONV_EXPORT const char *gconv_file_dtype_name(uint32_t dtype);

/* ---- .npy ------------------------------------------------------------ */

GCONV_EXPORT int gconv_npy_read(const char *path, struct gconv_tensor *t,
				char *err, size_t errlen);
/* The same, from a .npy file image in memory; messages name no file. */
GCONV_EXPORT int gconv_npy_read_mem(const void *buf, size_t len,
				    struct gconv_tensor *t, char *err,
				    size_t errlen);

/* Write t->data as '<f4' with t's shape. */
GCONV_EXPORT int gconv_npy_write(const char *path,
				 const struct gconv_tensor *t, char *err,
				 size_t errlen);
/* Write t->idata as '<i8' with t's shape (-EINVAL if idata is NULL). */
GCONV_EXPORT int gconv_npy_write_i64(const char *path,
				     const struct gconv_tensor *t, char *err,
				     size_t errlen);

/* ---- raw little-endian float32 ---------------------------------------- */

/* Read @path as float32 of shape @dims; its size must be exactly
 * 4 * product(dims) bytes. */
GCONV_EXPORT int gconv_bin_read(const char *path, const int64_t *dims,
				uint32_t ndim, struct gconv_tensor *t,
				char *err, size_t errlen);
GCONV_EXPORT int gconv_bin_write(const char *path,
				 const struct gconv_tensor *t, char *err,
				 size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* GCONV_TENSOR_IO_H */

/* SPDX-License-Identifier: MIT */
/*
 * libgconvdev: GCONV engines and chain helpers.
 *
 * Functions return 0 or a negative errno.  No function keeps global
 * state; all are safe to call from several threads on distinct data.
 */
#ifndef GCONV_ENGINE_H
#define GCONV_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include <gconv/isa.h>
#include <gconv/validate.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GCONV_EXPORT __attribute__((visibility("default")))
#else
#define GCONV_EXPORT
#endif

/* ---- fp32 bit patterns (the ISA stores reals as uint32_t) ------------ */

GCONV_EXPORT uint32_t gconv_f32_bits(float f);
GCONV_EXPORT float gconv_bits_f32(uint32_t bits);

/* ---- building descriptors -------------------------------------------- */

/*
 * A neutral descriptor: every extent, stride and dilation 1, no padding,
 * pre/post identity, main mul, reduce sum, combine none, operands unused.
 */
GCONV_EXPORT void gconv_desc_init(struct gconv_desc *d);

/*
 * Fill an fp32 operand: address in bytes, extent in elements and the six
 * element strides in slot order (n, g, k, c, row, col).
 */
GCONV_EXPORT void gconv_operand_f32(struct gconv_operand *op, uint64_t addr,
				    uint64_t extent, uint64_t sn, uint64_t sg,
				    uint64_t sk, uint64_t sc, uint64_t srow,
				    uint64_t scol);

/* Smallest extent (elements) that covers every access @d makes of @which
 * ('X', 'Y', 'B' or 'O') given the operand's strides. */
GCONV_EXPORT uint64_t gconv_operand_min_extent(const struct gconv_desc *d,
					       char which);

/* ---- chains ------------------------------------------------------------ */

/* Growable chain under construction.  Zero-initialise before use. */
struct gconv_chain_builder {
	struct gconv_desc *desc;
	uint32_t count;
	uint32_t cap;
};

GCONV_EXPORT int gconv_chain_append(struct gconv_chain_builder *b,
				    const struct gconv_desc *d);
/*
 * Encode the chain into a new 8-byte aligned buffer (free() it).  The
 * builder is left untouched; gconv_chain_builder_free() releases it.
 */
GCONV_EXPORT int gconv_chain_encode(const struct gconv_chain_builder *b,
				    void **buf, size_t *len);
GCONV_EXPORT void gconv_chain_builder_free(struct gconv_chain_builder *b);

/* ---- names and messages ------------------------------------------------ */

GCONV_EXPORT const char *gconv_pre_name(uint32_t op);
GCONV_EXPORT const char *gconv_main_name(uint32_t op);
GCONV_EXPORT const char *gconv_reduce_name(uint32_t op);
GCONV_EXPORT const char *gconv_combine_name(uint32_t op);
GCONV_EXPORT const char *gconv_post_name(uint32_t op);
GCONV_EXPORT const char *gconv_dtype_name(uint32_t dtype);

/* "descriptor 3, operand Y, stride[k]: access outside the operand's
 * extent".  Returns what snprintf returns. */
GCONV_EXPORT int gconv_verror_format(const struct gconv_verror *err,
				     char *buf, size_t len);

/* One line describing a descriptor's shape and operators. */
GCONV_EXPORT int gconv_desc_format(const struct gconv_desc *d, char *buf,
				   size_t len);

/* ---- the golden engine ------------------------------------------------ */

/*
 * Execute one descriptor over host memory.  @x, @y, @b and @o point at the
 * operands' element (0,...,0), i.e. at what addr names; each must span the
 * operand's extent.  Pointers of operands the descriptor does not use may
 * be NULL.  The descriptor must have passed gconv_validate_desc() with
 * limits whose dtypes are a subset of GCONV_LIMITS_DEFAULT's.
 *
 * Every read happens before any write, so O may overlap X, Y or B.
 * Returns 0, or -ENOMEM.
 */
GCONV_EXPORT int gconv_golden_run_desc(const struct gconv_desc *d,
				       const void *x, const void *y,
				       const void *b, void *o);

/*
 * The same, abandoned with -ECANCELED (O untouched) as soon as *@cancel
 * becomes non-zero: it is read, relaxed-atomically, once per output
 * element, so another thread can stop a long GCONV promptly (the device
 * model's reset does).
 */
GCONV_EXPORT int gconv_golden_run_desc_cancel(const struct gconv_desc *d,
					      const void *x, const void *y,
					      const void *b, void *o,
					      const int *cancel);

/*
 * A piece of the address space a chain runs in: device-virtual-style
 * addresses [addr, addr + size) backed by host memory at @host.  Every
 * operand must lie inside one region; outputs only in writable ones.
 */
struct gconv_region {
	uint64_t addr;
	uint64_t size;
	void *host;
	int writable;
};

/*
 * Validate and execute a chain over a set of regions (at most a few: they
 * are searched linearly).  Nothing runs unless every descriptor validates
 * and every operand lies inside a region.  Returns 0; -EINVAL with @err
 * filled in (GCONV_VERR_OUT_OF_RANGE / _READ_ONLY for the placement
 * checks); or -ENOMEM.
 */
GCONV_EXPORT int gconv_golden_run_chain_mapped(const void *chain,
					       size_t chain_len,
					       const struct gconv_region *regions,
					       unsigned int nregions,
					       struct gconv_verror *err);

/*
 * Validate and execute a whole chain over one flat memory of @mem_size
 * bytes, where each operand address is a byte offset into @mem.  Nothing
 * runs unless every descriptor validates and every operand lies inside
 * the memory.  Returns 0; -EINVAL with @err (may be NULL) filled in when
 * validation fails; or -ENOMEM.
 */
GCONV_EXPORT int gconv_golden_run_chain(const void *chain, size_t chain_len,
					void *mem, uint64_t mem_size,
					struct gconv_verror *err);

/* ---- choosing an engine ---------------------------------------------- */

enum gconv_engine_kind {
	GCONV_ENGINE_GOLDEN = 0, /* the oracle: double precision, slow */
	GCONV_ENGINE_FAST = 1,	 /* fp32, OpenBLAS: the default */
};

/*
 * The engine sessions and cpu devices run unless told otherwise: the fast
 * one, or the one the environment variable GCONV_ENGINE names ("golden"
 * or "fast"; docs/engines.md).  Returns 0, or -EINVAL when GCONV_ENGINE
 * holds anything else (@kind is then GCONV_ENGINE_FAST), so that programs
 * can refuse the typo rather than run the wrong engine.
 */
GCONV_EXPORT int gconv_engine_default(enum gconv_engine_kind *kind);

/* ---- the fast engine ------------------------------------------------- */

/*
 * gconv_golden_run_desc()'s contract (validated descriptor, operand
 * pointers at element (0,...,0) spanning their extents, NULL for unused
 * operands, every read before any write so O may overlap X, Y or B),
 * computed in fp32 as the ISA allows: convolutions and fully connected
 * layers through OpenBLAS SGEMM, pooling, element-wise and every other
 * descriptor through vectorised loops (docs/engines.md).  Results agree
 * with the golden engine within fp32 rounding, not bit for bit; nothing
 * outside the operands' extents is read or written.  Returns 0, or
 * -ENOMEM.
 */
GCONV_EXPORT int gconv_fast_run_desc(const struct gconv_desc *d,
				     const void *x, const void *y,
				     const void *b, void *o);

/*
 * The same, abandoned with -ECANCELED as soon as *@cancel (read
 * atomically, may be NULL) is non-zero, checked at least once per output
 * row or block of columns.  Unlike the golden engine's, O may then be
 * partly written (the QEMU device model runs on private copies).
 */
GCONV_EXPORT int gconv_fast_run_desc_cancel(const struct gconv_desc *d,
					    const void *x, const void *y,
					    const void *b, void *o,
					    const int *cancel);

/*
 * gconv_golden_run_chain_mapped() on the fast engine, with the same
 * validation, the same placement checks and the same errors: nothing runs
 * unless every descriptor validates and every operand lies inside a
 * region (outputs in writable ones).  Returns 0; -EINVAL with @err filled
 * in; or -ENOMEM.
 */
GCONV_EXPORT int gconv_fast_run_chain_mapped(const void *chain,
					     size_t chain_len,
					     const struct gconv_region *regions,
					     unsigned int nregions,
					     struct gconv_verror *err);

#ifdef __cplusplus
}
#endif

#endif /* GCONV_ENGINE_H */

/* SPDX-License-Identifier: MIT */
/*
 * libgconvdev: compiled models.
 *
 * gconv_compile_onnx() turns an ONNX model into a struct gconv_model: one
 * GCONV chain, the weights it reads, and a table of named inputs and
 * outputs placed in an activation arena.  Models are saved to and loaded
 * from versioned .gcm files (docs/gcm-format.md).  A gconv_session holds
 * the arena for one execution context and runs the chain on the CPU.
 *
 * Errors: every function returns 0 or a negative errno and, where it takes
 * one, writes a human-readable reason into @err (may be NULL) naming the
 * ONNX node and operator or the .gcm field at fault.
 *
 * Thread safety: a model is immutable after creation and may be shared by
 * any number of sessions and threads; a session is used by one thread at
 * a time.
 */
#ifndef GCONV_MODEL_H
#define GCONV_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <gconv/engine.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GCONV_MAX_DIMS 8

struct gconv_model;
struct gconv_session;

/* A named model input or output: a contiguous row-major fp32 tensor at
 * arena address addr. */
struct gconv_tensor_info {
	const char *name;
	uint32_t dtype;		/* enum gconv_dtype */
	uint32_t ndim;
	int64_t dims[GCONV_MAX_DIMS];
	uint64_t elems;
	uint64_t addr;		/* address in the chain's address space */
};

/* Compile options. */
#define GCONV_COMPILE_NO_FUSE		(1u << 0) /* keep activations separate */
#define GCONV_COMPILE_NO_FOLD_BN	(1u << 1) /* BatchNorm as its own GCONV */
#define GCONV_COMPILE_NO_INPLACE	(1u << 2) /* concat/reshape always copy */
#define GCONV_COMPILE_NAIVE_MEMORY	(1u << 3) /* no arena reuse */

/*
 * A graph input fixed at compile time ("specialisation"): integer inputs
 * that carry shapes, axes or pads, or float parameters such as Resize
 * scales, become constants so that every shape is static.  Give either
 * fdata or idata, with dims of ndim entries.
 */
struct gconv_const_input {
	const char *name;
	uint32_t ndim;
	const int64_t *dims;
	const float *fdata;
	const int64_t *idata;
};

struct gconv_compile_opts {
	uint32_t flags;		/* GCONV_COMPILE_* */
	/* directory for external tensor data; NULL: the model's directory */
	const char *external_dir;
	/* graph inputs bound to constant values (may be NULL) */
	const struct gconv_const_input *consts;
	uint32_t nconsts;
	/*
	 * 0: compile the shapes the model declares.  N >= 1: every float32
	 * graph input's first dimension, which must be 1 or symbolic
	 * (dim_param) in the model, is compiled as N, so that N requests to
	 * a batch-1 model can run as one job.  Every graph output must then
	 * have first dimension N (row i of each output belongs to row i of
	 * the inputs), or compiling fails.  At most GCONV_COMPILE_MAX_BATCH.
	 */
	uint32_t batch;
};

#define GCONV_COMPILE_MAX_BATCH 4096

/* Compile an ONNX model file.  @opts may be NULL. */
GCONV_EXPORT int gconv_compile_onnx_file(const char *path,
					 const struct gconv_compile_opts *opts,
					 struct gconv_model **out, char *err,
					 size_t errlen);
/* Compile an ONNX model held in memory. */
GCONV_EXPORT int gconv_compile_onnx(const void *buf, size_t len,
				    const struct gconv_compile_opts *opts,
				    struct gconv_model **out, char *err,
				    size_t errlen);

/* .gcm files */
GCONV_EXPORT int gconv_model_save(const struct gconv_model *m,
				  const char *path, char *err, size_t errlen);
GCONV_EXPORT int gconv_model_load_file(const char *path,
				       struct gconv_model **out, char *err,
				       size_t errlen);
GCONV_EXPORT int gconv_model_load(const void *buf, size_t len,
				  struct gconv_model **out, char *err,
				  size_t errlen);
/* Load a .gcm or compile an ONNX file, by looking at its first bytes. */
GCONV_EXPORT int gconv_model_open(const char *path,
				  const struct gconv_compile_opts *opts,
				  struct gconv_model **out, char *err,
				  size_t errlen);
GCONV_EXPORT void gconv_model_free(struct gconv_model *m);

/* Inspection */
GCONV_EXPORT uint32_t gconv_model_num_inputs(const struct gconv_model *m);
GCONV_EXPORT uint32_t gconv_model_num_outputs(const struct gconv_model *m);
GCONV_EXPORT const struct gconv_tensor_info *
gconv_model_input(const struct gconv_model *m, uint32_t i);
GCONV_EXPORT const struct gconv_tensor_info *
gconv_model_output(const struct gconv_model *m, uint32_t i);
/* Index of the input/output called @name, or -1. */
GCONV_EXPORT int gconv_model_find_input(const struct gconv_model *m,
					const char *name);
GCONV_EXPORT int gconv_model_find_output(const struct gconv_model *m,
					 const char *name);

GCONV_EXPORT const void *gconv_model_chain(const struct gconv_model *m,
					   size_t *len);
GCONV_EXPORT uint32_t gconv_model_gconv_count(const struct gconv_model *m);

/*
 * The ONNX nodes the model was compiled from, in graph order.  A GCONV's
 * tag is the index of its source node (or >= the node count for the
 * copies that place graph outputs).  Nodes the compiler fused into
 * another's GCONV, folded away or aliased have no GCONV of their own.
 * Name and op_type of node @i, or NULL if @i >= gconv_model_node_count().
 */
GCONV_EXPORT uint32_t gconv_model_node_count(const struct gconv_model *m);
GCONV_EXPORT const char *gconv_model_node_name(const struct gconv_model *m,
					       uint32_t i);
GCONV_EXPORT const char *gconv_model_node_op(const struct gconv_model *m,
					     uint32_t i);

struct gconv_model_layout {
	uint64_t weights_addr, weights_size;	/* read-only region */
	uint64_t arena_addr, arena_size;	/* read-write region */
	uint64_t naive_bytes;	/* every intermediate in its own buffer */
};
GCONV_EXPORT void gconv_model_layout(const struct gconv_model *m,
				     struct gconv_model_layout *l);
GCONV_EXPORT const void *gconv_model_weights(const struct gconv_model *m);

/* One line per GCONV: index, source node and op, shape, operators. */
GCONV_EXPORT void gconv_model_dump(const struct gconv_model *m, FILE *f);
/* Graphviz: GCONVs as nodes, edges through the buffers they share. */
GCONV_EXPORT void gconv_model_dot(const struct gconv_model *m, FILE *f);

/* ---- CPU execution ---------------------------------------------------- */

GCONV_EXPORT int gconv_session_create(const struct gconv_model *m,
				      struct gconv_session **out);
GCONV_EXPORT void gconv_session_free(struct gconv_session *s);
/* Host pointers to an input/output tensor inside the session's arena. */
GCONV_EXPORT float *gconv_session_input(struct gconv_session *s,
					uint32_t i);
GCONV_EXPORT const float *gconv_session_output(struct gconv_session *s,
					       uint32_t i);
/* Run the chain once.  Returns 0, or -EINVAL with @err explaining. */
GCONV_EXPORT int gconv_session_run(struct gconv_session *s, char *err,
				   size_t errlen);

/*
 * The engine a session runs its chain on (enum gconv_engine_kind in
 * gconv/engine.h; a new session takes gconv_engine_default()).  Choose it
 * for the next runs: 0, or -EINVAL for an unknown kind.
 */
GCONV_EXPORT int gconv_session_set_engine(struct gconv_session *s,
					  enum gconv_engine_kind kind);

#ifdef __cplusplus
}
#endif

#endif /* GCONV_MODEL_H */

// SPDX-License-Identifier: MIT
/*
 * Compiled models: the compile driver, BatchNorm folding, the memory
 * planner, the .gcm file format (docs/gcm-format.md), CPU sessions and the
 * readable dumps.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <xxhash.h>

#include "ir.h"
#include "../fail.h"

#define ARENA_ADDR	0x100000000ull		/* 4 GiB */
#define WEIGHTS_ADDR	0x10000000000ull	/* 1 TiB */
#define ALIGN		64u

struct gconv_model {
	void *chain;
	size_t chain_len;
	uint32_t count;
	float *weights;
	uint64_t weights_size, weights_addr;
	uint64_t arena_addr, arena_size, naive_bytes;
	uint32_t nin, nout, nnodes;
	struct gconv_tensor_info *in, *out;
	char **node_name, **node_op;
	char *strings;		/* owns every name */
};

struct gconv_session {
	const struct gconv_model *m;
	enum gconv_engine_kind engine;
	uint8_t *arena;
	struct gconv_region regions[2];
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

#define fail gconv_fail

/* ---- BatchNorm folding ---------------------------------------------------- */

static int add_const(struct graph *g, const char *base, const char *suffix,
		     const float *data, int ndim, const int64_t *dims)
{
	char name[256];
	int vi, r;

	snprintf(name, sizeof(name), "%s/%s", base, suffix);
	vi = gc_value_add(g, name);
	if (vi < 0)
		return vi;
	r = gc_set_shape(g, vi, ET_FLOAT, ndim, dims);
	if (r)
		return r;
	g->val[vi].fdata = malloc((size_t)gc_numel(&g->val[vi]) *
				  sizeof(float));
	if (!g->val[vi].fdata)
		return -ENOMEM;
	memcpy(g->val[vi].fdata, data,
	       (size_t)gc_numel(&g->val[vi]) * sizeof(float));
	return vi;
}

/*
 * Conv -> BatchNormalization, where the Conv's output feeds only the BN and
 * every parameter is constant: scale the Conv's weights and bias instead.
 */
int gc_fold_batchnorm(struct graph *g)
{
	int i;

	if (g->flags & GCONV_COMPILE_NO_FOLD_BN)
		return 0;
	for (i = 0; i < g->nnode; i++) {
		struct node *bn = &g->node[i], *cv;
		struct value *x, *w, *b = NULL, *sc, *bi, *mean, *var;
		float eps, *nw, *nb;
		int64_t M, per, k, j, bd[1];
		int wi, bvi, *nin;

		if (bn->done || strcmp(bn->op, "BatchNormalization") ||
		    bn->nin < 5 || bn->in[0] < 0)
			continue;
		x = &g->val[bn->in[0]];
		if (x->producer < 0 || x->uses != 1 || x->is_output)
			continue;
		cv = &g->node[x->producer];
		if (strcmp(cv->op, "Conv") || cv->done)
			continue;
		w = &g->val[cv->in[1]];
		if (cv->nin > 2 && cv->in[2] >= 0)
			b = &g->val[cv->in[2]];
		sc = &g->val[bn->in[1]];
		bi = &g->val[bn->in[2]];
		mean = &g->val[bn->in[3]];
		var = &g->val[bn->in[4]];
		if (!w->fdata || (b && !b->fdata) || !sc->fdata || !bi->fdata ||
		    !mean->fdata || !var->fdata)
			continue;
		M = w->dims[0];
		if (gc_numel(sc) != M || gc_numel(bi) != M ||
		    gc_numel(mean) != M || gc_numel(var) != M)
			continue;
		eps = gc_attr_float(bn, "epsilon", 1e-5f);
		per = gc_numel(w) / M;
		nw = malloc((size_t)gc_numel(w) * sizeof(float));
		nb = malloc((size_t)M * sizeof(float));
		nin = calloc(3, sizeof(int));
		if (!nw || !nb || !nin) {
			free(nw);
			free(nb);
			free(nin);
			return -ENOMEM;
		}
		for (k = 0; k < M; k++) {
			double a = sc->fdata[k] /
				   sqrt((double)var->fdata[k] + eps);

			for (j = 0; j < per; j++)
				nw[k * per + j] =
					(float)(w->fdata[k * per + j] * a);
			nb[k] = (float)(((b ? b->fdata[k] : 0.0) -
					 mean->fdata[k]) * a + bi->fdata[k]);
		}
		bd[0] = M;
		wi = add_const(g, bn->name, "folded_weight", nw, w->ndim,
			       w->dims);
		bvi = wi < 0 ? wi :
			      add_const(g, bn->name, "folded_bias", nb, 1, bd);
		free(nw);
		free(nb);
		if (wi < 0 || bvi < 0) {
			free(nin);
			return wi < 0 ? wi : bvi;
		}
		/* the Conv now reads the folded parameters and writes the
		 * BatchNorm's output; the BatchNorm disappears */
		cv = &g->node[x->producer];
		g->val[cv->in[1]].uses--;
		if (b)
			g->val[cv->in[2]].uses--;
		nin[0] = cv->in[0];
		nin[1] = wi;
		nin[2] = bvi;
		g->val[wi].uses++;
		g->val[bvi].uses++;
		free(cv->in);
		cv->in = nin;
		cv->nin = 3;
		x = &g->val[bn->in[0]];
		x->uses--;
		cv->out[0] = bn->out[0];
		g->val[bn->out[0]].producer = x->producer;
		bn->done = 1;
	}
	return 0;
}

/* ---- memory planning ------------------------------------------------------- */

static void liveness(struct graph *g)
{
	int e, j, b;

	for (b = 0; b < g->nbuf; b++) {
		g->buf[b].first = g->buf[b].pinned_start ? -1 : INT32_MAX;
		g->buf[b].last = g->buf[b].pinned_end ? g->nemit : -1;
	}
	for (e = 0; e < g->nemit; e++)
		for (j = 0; j < 4; j++) {
			b = g->emit[e].buf[j];
			if (b < 0)
				continue;
			if (e < g->buf[b].first)
				g->buf[b].first = e;
			if (e > g->buf[b].last)
				g->buf[b].last = e;
		}
	for (b = 0; b < g->nbuf; b++) {
		if (g->buf[b].first == INT32_MAX)
			g->buf[b].first = g->buf[b].last >= 0 ? g->buf[b].last
							      : 0;
		if (g->buf[b].last < g->buf[b].first)
			g->buf[b].last = g->buf[b].first;
	}
}

/* A buffer to place, with what the order needs (no global: compiles run
 * concurrently, e.g. in gconvd's workers). */
struct sized {
	int64_t elems;
	int idx;
};

static int by_size_desc(const void *a, const void *b)
{
	const struct sized *x = a, *y = b;

	if (x->elems != y->elems)
		return x->elems < y->elems ? 1 : -1;
	return x->idx - y->idx;
}

/*
 * Place arena buffers: largest first, each at the lowest offset that does
 * not overlap a placed buffer whose lifetime overlaps its own.
 */
static void plan_arena(struct graph *g, uint64_t *arena, uint64_t *naive)
{
	int *order = malloc((size_t)(g->nbuf ? g->nbuf : 1) * sizeof(int));
	int *placed = malloc((size_t)(g->nbuf ? g->nbuf : 1) * sizeof(int));
	int n = 0, np = 0, i, j;

	*arena = 0;
	*naive = 0;
	for (i = 0; i < g->nbuf; i++)
		if (g->buf[i].kind == BUF_ARENA) {
			order[n++] = i;
			*naive += align_up((uint64_t)g->buf[i].elems * 4, ALIGN);
		}
	if (g->flags & GCONV_COMPILE_NAIVE_MEMORY) {
		for (i = 0; i < n; i++) {
			g->buf[order[i]].addr = *arena;
			*arena += align_up((uint64_t)g->buf[order[i]].elems * 4,
					   ALIGN);
		}
		free(order);
		free(placed);
		return;
	}
	{
		struct sized *s = malloc((size_t)(n ? n : 1) * sizeof(*s));

		if (s) {
			for (i = 0; i < n; i++)
				s[i] = (struct sized){ g->buf[order[i]].elems,
						       order[i] };
			qsort(s, (size_t)n, sizeof(*s), by_size_desc);
			for (i = 0; i < n; i++)
				order[i] = s[i].idx;
			free(s);
		}
	}
	for (i = 0; i < n; i++) {
		struct buffer *b = &g->buf[order[i]];
		uint64_t size = align_up((uint64_t)b->elems * 4, ALIGN);
		uint64_t off = 0;
		int moved = 1;

		/* first fit: bump past every conflicting buffer until stable */
		while (moved) {
			moved = 0;
			for (j = 0; j < np; j++) {
				struct buffer *p = &g->buf[placed[j]];
				uint64_t psize = align_up((uint64_t)p->elems * 4,
							  ALIGN);

				if (p->last < b->first || b->last < p->first)
					continue;
				if (off < p->addr + psize && p->addr < off + size) {
					off = p->addr + psize;
					moved = 1;
				}
			}
		}
		b->addr = off;
		placed[np++] = order[i];
		if (off + size > *arena)
			*arena = off + size;
	}
	free(order);
	free(placed);
}

/* ---- model assembly -------------------------------------------------------- */

static char *sdup(const char *s)
{
	return strdup(s ? s : "");
}

int gc_build_model(struct graph *g, struct gconv_model **out)
{
	struct gconv_chain_builder cb = { 0 };
	const struct gconv_limits lim = GCONV_LIMITS_DEFAULT;
	struct gconv_verror verr;
	struct gconv_model *m;
	uint64_t woff = 0;
	int i, j, r;

	if (!g->nemit)
		return gc_error(g, "the model computes nothing (no GCONV "
				"emitted); outputs may all be constants");
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;

	liveness(g);
	plan_arena(g, &m->arena_size, &m->naive_bytes);
	if (!m->arena_size)
		m->arena_size = ALIGN;
	for (i = 0; i < g->nbuf; i++) {
		if (g->buf[i].kind != BUF_WEIGHT)
			continue;
		g->buf[i].addr = woff;
		woff += align_up((uint64_t)g->buf[i].elems * 4, ALIGN);
	}
	m->weights_size = woff ? woff : ALIGN;
	m->weights_addr = WEIGHTS_ADDR;
	m->arena_addr = ARENA_ADDR;
	m->weights = calloc(1, m->weights_size);
	if (!m->weights) {
		r = -ENOMEM;
		goto err;
	}
	for (i = 0; i < g->nbuf; i++)
		if (g->buf[i].kind == BUF_WEIGHT)
			memcpy((uint8_t *)m->weights + g->buf[i].addr,
			       g->buf[i].data,
			       (size_t)g->buf[i].elems * sizeof(float));

	for (i = 0; i < g->nemit; i++) {
		struct emit *e = &g->emit[i];
		struct gconv_operand *ops[4] = { &e->d.x, &e->d.y, &e->d.b,
						 &e->d.o };

		for (j = 0; j < 4; j++) {
			struct buffer *b;

			if (e->buf[j] < 0)
				continue;
			b = &g->buf[e->buf[j]];
			ops[j]->addr = (b->kind == BUF_WEIGHT ? WEIGHTS_ADDR
							      : ARENA_ADDR) +
				       b->addr + (uint64_t)e->off[j] * 4;
		}
		r = gconv_chain_append(&cb, &e->d);
		if (r)
			goto err;
	}
	r = gconv_chain_encode(&cb, &m->chain, &m->chain_len);
	if (r)
		goto err;
	m->count = (uint32_t)g->nemit;
	if (gconv_validate_chain(m->chain, m->chain_len, &lim, &verr)) {
		char msg[200];

		gconv_verror_format(&verr, msg, sizeof(msg));
		g->cur_node = verr.desc < (uint32_t)g->nemit ?
				      g->emit[verr.desc].node : -1;
		r = gc_error(g, "internal error: emitted an invalid GCONV: %s",
			     msg);
		goto err;
	}

	m->nnodes = (uint32_t)g->nnode;
	m->node_name = calloc((size_t)g->nnode + 1, sizeof(char *));
	m->node_op = calloc((size_t)g->nnode + 1, sizeof(char *));
	m->in = calloc((size_t)g->ninputs + 1, sizeof(*m->in));
	m->out = calloc((size_t)g->noutputs + 1, sizeof(*m->out));
	if (!m->node_name || !m->node_op || !m->in || !m->out) {
		r = -ENOMEM;
		goto err;
	}
	for (i = 0; i < g->nnode; i++) {
		m->node_name[i] = sdup(g->node[i].name);
		m->node_op[i] = sdup(g->node[i].op);
		if (!m->node_name[i] || !m->node_op[i]) {
			r = -ENOMEM;
			goto err;
		}
	}
	for (j = 0; j < 2; j++) {
		int cnt = j ? g->noutputs : g->ninputs;
		int *idx = j ? g->outputs : g->inputs;
		struct gconv_tensor_info *t = j ? m->out : m->in;

		for (i = 0; i < cnt; i++) {
			struct value *v = &g->val[idx[i]];

			t[i].name = sdup(v->name);
			if (!t[i].name) {
				r = -ENOMEM;
				goto err;
			}
			t[i].dtype = GCONV_DTYPE_F32;
			t[i].ndim = (uint32_t)v->ndim;
			memcpy(t[i].dims, v->dims, sizeof(v->dims));
			t[i].elems = (uint64_t)gc_numel(v);
			t[i].addr = ARENA_ADDR + g->buf[v->v.buf].addr +
				    (uint64_t)v->v.off * 4;
		}
	}
	m->nin = (uint32_t)g->ninputs;
	m->nout = (uint32_t)g->noutputs;
	gconv_chain_builder_free(&cb);
	*out = m;
	return 0;
err:
	gconv_chain_builder_free(&cb);
	gconv_model_free(m);
	return r;
}

/* ---- compile driver ---------------------------------------------------------- */

int gconv_compile_onnx(const void *buf, size_t len,
		       const struct gconv_compile_opts *opts,
		       struct gconv_model **out, char *err, size_t errlen)
{
	Onnx__ModelProto *mp;
	struct graph g = { 0 };
	int r;

	if (err && errlen)
		err[0] = 0;
	*out = NULL;
	mp = onnx__model_proto__unpack(NULL, len, buf);
	if (!mp)
		return fail(err, errlen, -EINVAL,
			    "not a valid ONNX model (protobuf decoding failed: "
			    "truncated or corrupt file)");
	g.err = err;
	g.errlen = errlen;
	g.cur_node = -1;
	g.flags = opts ? opts->flags : 0;
	g.external_dir = opts ? opts->external_dir : NULL;
	g.consts = opts ? opts->consts : NULL;
	g.nconsts = opts ? opts->nconsts : 0;
	g.batch = opts ? opts->batch : 0;
	r = gc_import(&g, mp);
	if (!r)
		r = gc_infer_and_fold(&g);
	if (!r)
		r = gc_check_batch_outputs(&g);
	if (!r)
		r = gc_fold_batchnorm(&g);
	if (!r)
		r = gc_lower(&g);
	if (!r)
		r = gc_build_model(&g, out);
	if (r == -ENOMEM && err && errlen && !err[0])
		snprintf(err, errlen, "out of memory");
	gc_graph_free(&g);
	onnx__model_proto__free_unpacked(mp, NULL);
	return r;
}

static int read_file(const char *path, uint8_t **buf, size_t *len, char *err,
		     size_t errlen)
{
	struct stat st;
	FILE *f = fopen(path, "rb");
	uint8_t *p;

	if (!f)
		return fail(err, errlen, -errno, "cannot open: %s",
			    strerror(errno));
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fclose(f);
		return fail(err, errlen, -EINVAL, "not a regular file");
	}
	if ((uint64_t)st.st_size > (1ull << 34)) {
		fclose(f);
		return fail(err, errlen, -EFBIG, "file too large");
	}
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!p) {
		fclose(f);
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	if (fread(p, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(p);
		fclose(f);
		return fail(err, errlen, -EIO, "read error");
	}
	fclose(f);
	*buf = p;
	*len = (size_t)st.st_size;
	return 0;
}

int gconv_compile_onnx_file(const char *path,
			    const struct gconv_compile_opts *opts,
			    struct gconv_model **out, char *err, size_t errlen)
{
	struct gconv_compile_opts o = { 0 };
	char dir[4096];
	uint8_t *buf;
	size_t len;
	char *slash;
	int r;

	*out = NULL;
	r = read_file(path, &buf, &len, err, errlen);
	if (r)
		return r;
	if (opts)
		o = *opts;
	if (!o.external_dir) {
		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		else
			snprintf(dir, sizeof(dir), ".");
		o.external_dir = dir;
	}
	r = gconv_compile_onnx(buf, len, &o, out, err, errlen);
	free(buf);
	return r;
}

/* ---- .gcm files ------------------------------------------------------------------ */

#define GCM_MAGIC "GCONVGCM"
#define GCM_VERSION_MAJOR 1
#define GCM_VERSION_MINOR 0

struct gcm_header {
	char magic[8];
	uint16_t version_major, version_minor;
	uint32_t header_size;
	uint64_t file_size;
	uint64_t hash;		/* XXH64 of the file with this field zero */
	uint64_t chain_off, chain_size;
	uint64_t weights_off, weights_size, weights_addr;
	uint64_t arena_addr, arena_size, naive_bytes;
	uint64_t tensors_off;
	uint32_t n_inputs, n_outputs;
	uint64_t nodes_off;
	uint32_t n_nodes, reserved0;
	uint64_t strings_off, strings_size;
	uint64_t reserved[2];
};

struct gcm_tensor {
	uint32_t name;		/* offset into strings */
	uint32_t dtype;
	uint32_t ndim;
	uint32_t reserved;
	int64_t dims[GCONV_MAX_DIMS];
	uint64_t addr;
	uint64_t elems;
};

struct gcm_node {
	uint32_t name, op;
};

_Static_assert(sizeof(struct gcm_header) == 160, "gcm header size");
_Static_assert(sizeof(struct gcm_tensor) == 96, "gcm tensor size");

struct strtab {
	char *s;
	size_t len, cap;
};

static int str_add(struct strtab *t, const char *s, uint32_t *off)
{
	size_t n = strlen(s) + 1;

	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		char *p;

		while (cap < t->len + n)
			cap *= 2;
		p = realloc(t->s, cap);
		if (!p)
			return -ENOMEM;
		t->s = p;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, n);
	*off = (uint32_t)t->len;
	t->len += n;
	return 0;
}

int gconv_model_save(const struct gconv_model *m, const char *path, char *err,
		     size_t errlen)
{
	struct gcm_header h = { 0 };
	struct strtab st = { 0 };
	struct gcm_tensor *tens = NULL;
	struct gcm_node *nodes = NULL;
	uint32_t nt = m->nin + m->nout, i;
	uint8_t *file = NULL;
	uint64_t off;
	FILE *f;
	int r = -ENOMEM;

	tens = calloc(nt ? nt : 1, sizeof(*tens));
	nodes = calloc(m->nnodes ? m->nnodes : 1, sizeof(*nodes));
	if (!tens || !nodes)
		goto out;
	for (i = 0; i < nt; i++) {
		const struct gconv_tensor_info *t =
			i < m->nin ? &m->in[i] : &m->out[i - m->nin];

		if (str_add(&st, t->name, &tens[i].name))
			goto out;
		tens[i].dtype = t->dtype;
		tens[i].ndim = t->ndim;
		memcpy(tens[i].dims, t->dims, sizeof(t->dims));
		tens[i].addr = t->addr;
		tens[i].elems = t->elems;
	}
	for (i = 0; i < m->nnodes; i++)
		if (str_add(&st, m->node_name[i], &nodes[i].name) ||
		    str_add(&st, m->node_op[i], &nodes[i].op))
			goto out;

	memcpy(h.magic, GCM_MAGIC, 8);
	h.version_major = GCM_VERSION_MAJOR;
	h.version_minor = GCM_VERSION_MINOR;
	h.header_size = sizeof(h);
	off = sizeof(h);
	h.chain_off = off;
	h.chain_size = m->chain_len;
	off = align_up(off + m->chain_len, ALIGN);
	h.tensors_off = off;
	h.n_inputs = m->nin;
	h.n_outputs = m->nout;
	off = align_up(off + nt * sizeof(*tens), 8);
	h.nodes_off = off;
	h.n_nodes = m->nnodes;
	off = align_up(off + m->nnodes * sizeof(*nodes), 8);
	h.strings_off = off;
	h.strings_size = st.len;
	off = align_up(off + st.len, ALIGN);
	h.weights_off = off;
	h.weights_size = m->weights_size;
	h.weights_addr = m->weights_addr;
	h.arena_addr = m->arena_addr;
	h.arena_size = m->arena_size;
	h.naive_bytes = m->naive_bytes;
	off += m->weights_size;
	h.file_size = off;

	file = calloc(1, (size_t)off);
	if (!file)
		goto out;
	memcpy(file + h.chain_off, m->chain, m->chain_len);
	memcpy(file + h.tensors_off, tens, nt * sizeof(*tens));
	memcpy(file + h.nodes_off, nodes, m->nnodes * sizeof(*nodes));
	if (st.len)
		memcpy(file + h.strings_off, st.s, st.len);
	memcpy(file + h.weights_off, m->weights, m->weights_size);
	memcpy(file, &h, sizeof(h));
	h.hash = XXH64(file, (size_t)off, 0);
	memcpy(file, &h, sizeof(h));

	f = fopen(path, "wb");
	if (!f) {
		r = fail(err, errlen, -errno, "cannot create '%s': %s", path,
			 strerror(errno));
		goto out;
	}
	if (fwrite(file, 1, (size_t)off, f) != off) {
		fclose(f);
		r = fail(err, errlen, -EIO, "write error on '%s'", path);
		goto out;
	}
	if (fclose(f)) {
		r = fail(err, errlen, -EIO, "write error on '%s'", path);
		goto out;
	}
	r = 0;
out:
	if (r == -ENOMEM)
		fail(err, errlen, r, "out of memory");
	free(file);
	free(tens);
	free(nodes);
	free(st.s);
	return r;
}

static int in_file(uint64_t off, uint64_t size, uint64_t len)
{
	return off <= len && size <= len - off;
}

/* The string at @off, or NULL if it does not end inside the table. */
static const char *str_at(const char *tab, uint64_t size, uint32_t off)
{
	if (off >= size || !memchr(tab + off, 0, (size_t)(size - off)))
		return NULL;
	return tab + off;
}

static int operand_in(const struct gconv_operand *op, uint64_t base,
		      uint64_t size)
{
	uint64_t bytes = gconv_operand_bytes(op);

	return op->addr >= base && op->addr - base <= size &&
	       bytes <= size - (op->addr - base);
}

int gconv_model_load(const void *buf, size_t len, struct gconv_model **out,
		     char *err, size_t errlen)
{
	const struct gconv_limits lim = GCONV_LIMITS_DEFAULT;
	const uint8_t *p = buf;
	struct gcm_header h;
	struct gconv_verror verr;
	struct gconv_model *m;
	const char *strings;
	uint64_t hash;
	uint8_t *copy;
	uint32_t i;
	int r = -EINVAL;

	*out = NULL;
	if (len < sizeof(h))
		return fail(err, errlen, -EINVAL,
			    "truncated .gcm: %zu bytes, the header alone is %zu",
			    len, sizeof(h));
	memcpy(&h, p, sizeof(h));
	if (memcmp(h.magic, GCM_MAGIC, 8))
		return fail(err, errlen, -EINVAL, "not a .gcm file (bad magic)");
	if (h.version_major != GCM_VERSION_MAJOR)
		return fail(err, errlen, -EINVAL,
			    ".gcm version %u.%u is not supported (this reader "
			    "takes %u.x)", h.version_major, h.version_minor,
			    GCM_VERSION_MAJOR);
	if (h.header_size < sizeof(h) || h.header_size > 4096)
		return fail(err, errlen, -EINVAL, "bad .gcm header size %u",
			    h.header_size);
	if (h.file_size != len)
		return fail(err, errlen, -EINVAL,
			    "truncated or padded .gcm: header says %llu bytes, "
			    "file has %zu", (unsigned long long)h.file_size,
			    len);
	copy = malloc(len);
	if (!copy)
		return fail(err, errlen, -ENOMEM, "out of memory");
	memcpy(copy, p, len);
	memset(copy + offsetof(struct gcm_header, hash), 0, sizeof(h.hash));
	hash = XXH64(copy, len, 0);
	free(copy);
	if (hash != h.hash)
		return fail(err, errlen, -EINVAL,
			    "corrupt .gcm: content hash mismatch");
	if (!in_file(h.chain_off, h.chain_size, len) || h.chain_off % 8 ||
	    !in_file(h.weights_off, h.weights_size, len) || h.weights_off % 8 ||
	    !in_file(h.strings_off, h.strings_size, len) ||
	    h.tensors_off % 8 || h.nodes_off % 8 ||
	    !in_file(h.tensors_off,
		     ((uint64_t)h.n_inputs + h.n_outputs) *
			     sizeof(struct gcm_tensor), len) ||
	    !in_file(h.nodes_off, (uint64_t)h.n_nodes * sizeof(struct gcm_node),
		     len) ||
	    h.weights_size % 4 || !h.n_outputs ||
	    h.n_inputs > 4096 || h.n_outputs > 4096 || h.n_nodes > (1u << 24))
		return fail(err, errlen, -EINVAL,
			    "inconsistent .gcm: a section lies outside the file "
			    "or has a bad size");
	if (h.arena_size > (1ull << 36) ||
	    h.arena_addr + h.arena_size < h.arena_addr ||
	    h.weights_addr + h.weights_size < h.weights_addr ||
	    (h.arena_addr < h.weights_addr + h.weights_size &&
	     h.weights_addr < h.arena_addr + h.arena_size))
		return fail(err, errlen, -EINVAL,
			    "inconsistent .gcm: arena and weights regions "
			    "overlap or are too large");
	if (gconv_validate_chain(p + h.chain_off, h.chain_size, &lim, &verr)) {
		char msg[200];

		gconv_verror_format(&verr, msg, sizeof(msg));
		return fail(err, errlen, -EINVAL, "invalid chain in .gcm: %s",
			    msg);
	}
	{
		const struct gconv_chain_header *ch =
			(const void *)(p + h.chain_off);

		for (i = 0; i < ch->count; i++) {
			const struct gconv_desc *d = gconv_chain_desc(ch, i);
			const struct gconv_operand *ops[3] = { &d->x, &d->y,
							       &d->b };
			int used[3] = { gconv_desc_reads_x(d),
					gconv_desc_reads_y(d),
					gconv_desc_reads_b(d) };
			int k;

			for (k = 0; k < 3; k++)
				if (used[k] &&
				    !operand_in(ops[k], h.arena_addr,
						h.arena_size) &&
				    !operand_in(ops[k], h.weights_addr,
						h.weights_size))
					return fail(err, errlen, -EINVAL,
						    "inconsistent .gcm: GCONV %u "
						    "reads outside the arena and "
						    "weights", i);
			if (!operand_in(&d->o, h.arena_addr, h.arena_size))
				return fail(err, errlen, -EINVAL,
					    "inconsistent .gcm: GCONV %u writes "
					    "outside the arena", i);
		}
	}

	m = calloc(1, sizeof(*m));
	if (!m)
		return fail(err, errlen, -ENOMEM, "out of memory");
	m->chain = aligned_alloc(8, align_up(h.chain_size, 8));
	m->weights = malloc(h.weights_size ? (size_t)h.weights_size : 4);
	m->strings = malloc(h.strings_size + 1);
	m->in = calloc(h.n_inputs, sizeof(*m->in));
	m->out = calloc(h.n_outputs, sizeof(*m->out));
	m->node_name = calloc((size_t)h.n_nodes + 1, sizeof(char *));
	m->node_op = calloc((size_t)h.n_nodes + 1, sizeof(char *));
	if (!m->chain || !m->weights || !m->strings || !m->in || !m->out ||
	    !m->node_name || !m->node_op) {
		r = fail(err, errlen, -ENOMEM, "out of memory");
		goto err;
	}
	memcpy(m->chain, p + h.chain_off, h.chain_size);
	m->chain_len = h.chain_size;
	m->count = ((const struct gconv_chain_header *)m->chain)->count;
	memcpy(m->weights, p + h.weights_off, h.weights_size);
	memcpy(m->strings, p + h.strings_off, h.strings_size);
	m->strings[h.strings_size] = 0;
	strings = m->strings;
	m->weights_size = h.weights_size;
	m->weights_addr = h.weights_addr;
	m->arena_addr = h.arena_addr;
	m->arena_size = h.arena_size;
	m->naive_bytes = h.naive_bytes;
	m->nin = h.n_inputs;
	m->nout = h.n_outputs;
	m->nnodes = h.n_nodes;
	for (i = 0; i < h.n_inputs + h.n_outputs; i++) {
		struct gcm_tensor t;
		struct gconv_tensor_info *ti =
			i < h.n_inputs ? &m->in[i] : &m->out[i - h.n_inputs];
		uint64_t elems = 1;
		uint32_t k;

		memcpy(&t, p + h.tensors_off + i * sizeof(t), sizeof(t));
		ti->name = str_at(strings, h.strings_size, t.name);
		if (!ti->name || t.dtype != GCONV_DTYPE_F32 ||
		    t.ndim > GCONV_MAX_DIMS || t.reserved) {
			r = fail(err, errlen, -EINVAL,
				 "inconsistent .gcm: tensor record %u is "
				 "malformed", i);
			goto err;
		}
		for (k = 0; k < t.ndim; k++) {
			if (t.dims[k] < 1 || t.dims[k] > (1 << 30) ||
			    elems > (1ull << 36) / (uint64_t)t.dims[k]) {
				r = fail(err, errlen, -EINVAL,
					 "inconsistent .gcm: tensor '%s' has a "
					 "bad shape", ti->name);
				goto err;
			}
			elems *= (uint64_t)t.dims[k];
		}
		if (elems != t.elems || t.addr < h.arena_addr ||
		    t.addr - h.arena_addr > h.arena_size ||
		    elems * 4 > h.arena_size - (t.addr - h.arena_addr) ||
		    t.addr % 4) {
			r = fail(err, errlen, -EINVAL,
				 "inconsistent .gcm: tensor '%s' lies outside "
				 "the arena", ti->name);
			goto err;
		}
		ti->dtype = t.dtype;
		ti->ndim = t.ndim;
		memcpy(ti->dims, t.dims, sizeof(t.dims));
		ti->elems = elems;
		ti->addr = t.addr;
	}
	for (i = 0; i < h.n_nodes; i++) {
		struct gcm_node nd;

		memcpy(&nd, p + h.nodes_off + i * sizeof(nd), sizeof(nd));
		m->node_name[i] = (char *)str_at(strings, h.strings_size,
						 nd.name);
		m->node_op[i] = (char *)str_at(strings, h.strings_size, nd.op);
		if (!m->node_name[i] || !m->node_op[i]) {
			r = fail(err, errlen, -EINVAL,
				 "inconsistent .gcm: node record %u is "
				 "malformed", i);
			goto err;
		}
	}
	*out = m;
	return 0;
err:
	gconv_model_free(m);
	return r;
}

int gconv_model_load_file(const char *path, struct gconv_model **out,
			  char *err, size_t errlen)
{
	uint8_t *buf;
	size_t len;
	int r;

	*out = NULL;
	r = read_file(path, &buf, &len, err, errlen);
	if (r)
		return r;
	r = gconv_model_load(buf, len, out, err, errlen);
	free(buf);
	return r;
}

int gconv_model_open(const char *path, const struct gconv_compile_opts *opts,
		     struct gconv_model **out, char *err, size_t errlen)
{
	char magic[8] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t n;

	*out = NULL;
	if (!f)
		return fail(err, errlen, -errno, "cannot open: %s",
			    strerror(errno));
	n = fread(magic, 1, sizeof(magic), f);
	fclose(f);
	if (n == sizeof(magic) && !memcmp(magic, GCM_MAGIC, 8))
		return gconv_model_load_file(path, out, err, errlen);
	return gconv_compile_onnx_file(path, opts, out, err, errlen);
}

void gconv_model_free(struct gconv_model *m)
{
	uint32_t i;

	if (!m)
		return;
	if (!m->strings) {
		/* compiled: every name was allocated on its own */
		for (i = 0; i < m->nnodes; i++) {
			if (m->node_name)
				free(m->node_name[i]);
			if (m->node_op)
				free(m->node_op[i]);
		}
		for (i = 0; m->in && i < m->nin; i++)
			free((char *)m->in[i].name);
		for (i = 0; m->out && i < m->nout; i++)
			free((char *)m->out[i].name);
	}
	free(m->node_name);
	free(m->node_op);
	free(m->in);
	free(m->out);
	free(m->strings);
	free(m->chain);
	free(m->weights);
	free(m);
}

/* ---- inspection ------------------------------------------------------------------ */

uint32_t gconv_model_num_inputs(const struct gconv_model *m)
{
	return m->nin;
}

uint32_t gconv_model_num_outputs(const struct gconv_model *m)
{
	return m->nout;
}

const struct gconv_tensor_info *gconv_model_input(const struct gconv_model *m,
						  uint32_t i)
{
	return i < m->nin ? &m->in[i] : NULL;
}

const struct gconv_tensor_info *gconv_model_output(const struct gconv_model *m,
						   uint32_t i)
{
	return i < m->nout ? &m->out[i] : NULL;
}

int gconv_model_find_input(const struct gconv_model *m, const char *name)
{
	uint32_t i;

	for (i = 0; i < m->nin; i++)
		if (!strcmp(m->in[i].name, name))
			return (int)i;
	return -1;
}

int gconv_model_find_output(const struct gconv_model *m, const char *name)
{
	uint32_t i;

	for (i = 0; i < m->nout; i++)
		if (!strcmp(m->out[i].name, name))
			return (int)i;
	return -1;
}

const void *gconv_model_chain(const struct gconv_model *m, size_t *len)
{
	if (len)
		*len = m->chain_len;
	return m->chain;
}

uint32_t gconv_model_gconv_count(const struct gconv_model *m)
{
	return m->count;
}

uint32_t gconv_model_node_count(const struct gconv_model *m)
{
	return m->nnodes;
}

const char *gconv_model_node_name(const struct gconv_model *m, uint32_t i)
{
	return i < m->nnodes ? m->node_name[i] : NULL;
}

const char *gconv_model_node_op(const struct gconv_model *m, uint32_t i)
{
	return i < m->nnodes ? m->node_op[i] : NULL;
}

void gconv_model_layout(const struct gconv_model *m,
			struct gconv_model_layout *l)
{
	l->weights_addr = m->weights_addr;
	l->weights_size = m->weights_size;
	l->arena_addr = m->arena_addr;
	l->arena_size = m->arena_size;
	l->naive_bytes = m->naive_bytes;
}

const void *gconv_model_weights(const struct gconv_model *m)
{
	return m->weights;
}

static void node_of(const struct gconv_model *m, uint32_t tag,
		    const char **name, const char **op)
{
	*name = tag < m->nnodes ? m->node_name[tag] : "(output copy)";
	*op = tag < m->nnodes ? m->node_op[tag] : "-";
}

void gconv_model_dump(const struct gconv_model *m, FILE *f)
{
	const struct gconv_chain_header *h = m->chain;
	uint32_t i;

	for (i = 0; i < h->count; i++) {
		const struct gconv_desc *d = gconv_chain_desc(h, i);
		const char *name, *op;
		char line[320];

		node_of(m, d->tag, &name, &op);
		gconv_desc_format(d, line, sizeof(line));
		fprintf(f, "%4u  %-18s %-24.24s %s\n", i, op, name, line);
	}
}

static int ranges_overlap(const struct gconv_operand *a,
			  const struct gconv_operand *b)
{
	uint64_t ae = a->addr + gconv_operand_bytes(a);
	uint64_t be = b->addr + gconv_operand_bytes(b);

	return a->addr < be && b->addr < ae;
}

void gconv_model_dot(const struct gconv_model *m, FILE *f)
{
	const struct gconv_chain_header *h = m->chain;
	uint32_t i, j;

	fprintf(f, "digraph gconv {\n  rankdir=TB;\n  node [shape=box, "
		   "fontname=\"monospace\", fontsize=10];\n");
	for (i = 0; i < h->count; i++) {
		const struct gconv_desc *d = gconv_chain_desc(h, i);
		const char *name, *op;

		node_of(m, d->tag, &name, &op);
		fprintf(f,
			"  g%u [label=\"%u: %s\\n%s\\nk=%u p=%u q=%u c=%u "
			"r=%u s=%u\\n%s/%s/%s\"];\n",
			i, i, op, name, d->k, d->p, d->q, d->c, d->r, d->s,
			gconv_main_name(d->main), gconv_reduce_name(d->reduce),
			gconv_post_name(d->post));
	}
	/* an edge from the latest earlier writer of anything a GCONV reads */
	for (i = 0; i < h->count; i++) {
		const struct gconv_desc *d = gconv_chain_desc(h, i);
		const struct gconv_operand *ins[3] = { &d->x, &d->y, &d->b };
		int used[3] = { gconv_desc_reads_x(d), gconv_desc_reads_y(d),
				gconv_desc_reads_b(d) };
		int k;

		for (k = 0; k < 3; k++) {
			if (!used[k] || ins[k]->addr >= m->weights_addr)
				continue;
			for (j = i; j-- > 0;)
				if (ranges_overlap(&gconv_chain_desc(h, j)->o,
						   ins[k])) {
					fprintf(f, "  g%u -> g%u;\n", j, i);
					break;
				}
		}
	}
	fprintf(f, "}\n");
}

/* ---- sessions ------------------------------------------------------------------- */

int gconv_session_create(const struct gconv_model *m,
			 struct gconv_session **out)
{
	struct gconv_session *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->m = m;
	gconv_engine_default(&s->engine);
	s->arena = calloc(1, (size_t)m->arena_size);
	if (!s->arena) {
		free(s);
		return -ENOMEM;
	}
	s->regions[0] = (struct gconv_region){ m->weights_addr,
					       m->weights_size, m->weights, 0 };
	s->regions[1] = (struct gconv_region){ m->arena_addr, m->arena_size,
					       s->arena, 1 };
	*out = s;
	return 0;
}

void gconv_session_free(struct gconv_session *s)
{
	if (!s)
		return;
	free(s->arena);
	free(s);
}

float *gconv_session_input(struct gconv_session *s, uint32_t i)
{
	if (i >= s->m->nin)
		return NULL;
	return (float *)(s->arena + (s->m->in[i].addr - s->m->arena_addr));
}

const float *gconv_session_output(struct gconv_session *s, uint32_t i)
{
	if (i >= s->m->nout)
		return NULL;
	return (const float *)(s->arena +
			       (s->m->out[i].addr - s->m->arena_addr));
}

int gconv_session_set_engine(struct gconv_session *s,
			     enum gconv_engine_kind kind)
{
	if (kind != GCONV_ENGINE_GOLDEN && kind != GCONV_ENGINE_FAST)
		return -EINVAL;
	s->engine = kind;
	return 0;
}

int gconv_session_run(struct gconv_session *s, char *err, size_t errlen)
{
	struct gconv_verror verr;
	int r;

	if (s->engine == GCONV_ENGINE_FAST)
		r = gconv_fast_run_chain_mapped(s->m->chain, s->m->chain_len,
						s->regions, 2, &verr);
	else
		r = gconv_golden_run_chain_mapped(s->m->chain, s->m->chain_len,
						  s->regions, 2, &verr);
	if (r == -EINVAL && err && errlen) {
		char msg[200];

		gconv_verror_format(&verr, msg, sizeof(msg));
		snprintf(err, errlen, "%s", msg);
	} else if (r && err && errlen) {
		snprintf(err, errlen, "%s", strerror(-r));
	}
	return r;
}

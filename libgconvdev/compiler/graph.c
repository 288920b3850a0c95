// SPDX-License-Identifier: MIT
/*
 * Graph IR utilities: values, buffers, emitted GCONVs, attributes, errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

int gc_error(struct graph *g, const char *fmt, ...)
{
	char msg[512], batch[24] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (g->batch)
		snprintf(batch, sizeof(batch), "batch %u: ", g->batch);
	if (g->err && g->errlen && !g->err[0]) {
		if (g->cur_node >= 0) {
			const struct node *n = &g->node[g->cur_node];

			snprintf(g->err, g->errlen, "%snode '%s' (%s): %s",
				 batch, n->name, n->op, msg);
		} else {
			snprintf(g->err, g->errlen, "%s%s", batch, msg);
		}
	}
	return -EINVAL;
}

static void *grow(void *p, int *cap, int need, size_t elem)
{
	int ncap;
	void *np;

	if (need <= *cap)
		return p;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	np = realloc(p, (size_t)ncap * elem);
	if (!np)
		return NULL;
	memset((char *)np + (size_t)*cap * elem, 0,
	       (size_t)(ncap - *cap) * elem);
	*cap = ncap;
	return np;
}

int gc_value_find(struct graph *g, const char *name)
{
	int i;

	for (i = g->nval - 1; i >= 0; i--)
		if (!strcmp(g->val[i].name, name))
			return i;
	return -1;
}

int gc_value_add(struct graph *g, const char *name)
{
	struct value *v;
	struct value *nv = grow(g->val, &g->capval, g->nval + 1, sizeof(*v));

	if (!nv)
		return -ENOMEM;
	g->val = nv;
	v = &g->val[g->nval];
	memset(v, 0, sizeof(*v));
	v->name = strdup(name);
	if (!v->name)
		return -ENOMEM;
	v->ndim = -1;
	v->producer = -1;
	v->v.buf = -1;
	v->pre.buf = -1;
	v->last_gconv = -1;
	return g->nval++;
}

int64_t gc_numel(const struct value *v)
{
	int64_t n = 1;
	int i;

	for (i = 0; i < v->ndim; i++)
		n *= v->dims[i];
	return n;
}

int gc_set_shape(struct graph *g, int vi, int elem, int ndim,
		 const int64_t *dims)
{
	struct value *v = &g->val[vi];
	int64_t n = 1;
	int i;

	if (ndim < 0 || ndim > MAXD)
		return gc_error(g, "output '%s' has rank %d (at most %d)",
				v->name, ndim, MAXD);
	for (i = 0; i < ndim; i++) {
		if (dims[i] < 0 || dims[i] > (1 << 30))
			return gc_error(g, "output '%s' has dimension %lld",
					v->name, (long long)dims[i]);
		if (dims[i] && n > (INT64_C(1) << 40) / dims[i])
			return gc_error(g, "output '%s' is too large",
					v->name);
		n *= dims[i];
	}
	v->elem = elem;
	v->ndim = ndim;
	for (i = 0; i < ndim; i++)
		v->dims[i] = dims[i];
	return 0;
}

void gc_contig_strides(int ndim, const int64_t *dims, int64_t *strides)
{
	int64_t s = 1;
	int i;

	for (i = ndim - 1; i >= 0; i--) {
		strides[i] = dims[i] == 1 ? 0 : s;
		s *= dims[i];
	}
}

int gc_buffer_add(struct graph *g, enum buf_kind kind, int64_t elems)
{
	struct buffer *nb = grow(g->buf, &g->capbuf, g->nbuf + 1,
				 sizeof(*nb));

	if (!nb)
		return -ENOMEM;
	g->buf = nb;
	memset(&g->buf[g->nbuf], 0, sizeof(*nb));
	g->buf[g->nbuf].kind = kind;
	g->buf[g->nbuf].elems = elems > 0 ? elems : 1;
	g->buf[g->nbuf].first = -1;
	g->buf[g->nbuf].last = -1;
	return g->nbuf++;
}

int gc_weight_buffer(struct graph *g, const float *data, int64_t elems)
{
	int b = gc_buffer_add(g, BUF_WEIGHT, elems);

	if (b < 0)
		return b;
	g->buf[b].data = malloc((size_t)g->buf[b].elems * sizeof(float));
	if (!g->buf[b].data)
		return -ENOMEM;
	if (elems > 0)
		memcpy(g->buf[b].data, data, (size_t)elems * sizeof(float));
	else
		g->buf[b].data[0] = 0;
	return b;
}

int gc_emit(struct graph *g, const struct gconv_desc *d, const int buf[4],
	    const int64_t off[4])
{
	struct emit *ne = grow(g->emit, &g->capemit, g->nemit + 1,
			       sizeof(*ne));
	struct emit *e;
	int i;

	if (!ne)
		return -ENOMEM;
	g->emit = ne;
	e = &g->emit[g->nemit];
	e->d = *d;
	e->node = g->cur_node;
	for (i = 0; i < 4; i++) {
		e->buf[i] = buf[i];
		e->off[i] = off[i];
	}
	e->d.tag = g->cur_node >= 0 ? (uint32_t)g->cur_node : 0xffffffffu;
	return g->nemit++;
}

const Onnx__AttributeProto *gc_attr(const struct node *n, const char *name)
{
	size_t i;

	for (i = 0; i < n->p->n_attribute; i++)
		if (n->p->attribute[i]->name &&
		    !strcmp(n->p->attribute[i]->name, name))
			return n->p->attribute[i];
	return NULL;
}

int64_t gc_attr_int(const struct node *n, const char *name, int64_t def)
{
	const Onnx__AttributeProto *a = gc_attr(n, name);

	return a && a->has_i ? a->i : def;
}

float gc_attr_float(const struct node *n, const char *name, float def)
{
	const Onnx__AttributeProto *a = gc_attr(n, name);

	return a && a->has_f ? a->f : def;
}

const char *gc_attr_str(const struct node *n, const char *name,
			const char *def)
{
	static _Thread_local char buf[64];
	const Onnx__AttributeProto *a = gc_attr(n, name);
	size_t len;

	if (!a || !a->has_s)
		return def;
	len = a->s.len < sizeof(buf) - 1 ? a->s.len : sizeof(buf) - 1;
	memcpy(buf, a->s.data, len);
	buf[len] = 0;
	return buf;
}

int gc_attr_ints(const struct node *n, const char *name, int64_t *out,
		 int max)
{
	const Onnx__AttributeProto *a = gc_attr(n, name);
	size_t i;

	if (!a)
		return -1;
	if (a->n_ints > (size_t)max)
		return -2;
	for (i = 0; i < a->n_ints; i++)
		out[i] = a->ints[i];
	return (int)a->n_ints;
}

void gc_graph_free(struct graph *g)
{
	int i;

	for (i = 0; i < g->nval; i++) {
		free(g->val[i].name);
		free(g->val[i].fdata);
		free(g->val[i].idata);
	}
	for (i = 0; i < g->nnode; i++) {
		free(g->node[i].in);
		free(g->node[i].out);
	}
	for (i = 0; i < g->nbuf; i++)
		free(g->buf[i].data);
	free(g->val);
	free(g->node);
	free(g->buf);
	free(g->emit);
	free(g->inputs);
	free(g->outputs);
	memset(g, 0, sizeof(*g));
}

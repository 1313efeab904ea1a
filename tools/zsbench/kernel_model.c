// SPDX-License-Identifier: MIT
/*
 * tools/zsbench/kernel_model.c - the kernel's zsmalloc and zbud, as models.
 *
 * The reference rows: what the kernel's published algorithms would hold for
 * the same trace, so users see where zs stands against the kernel.
 *
 * zsmalloc (mm/zsmalloc.c, 6.3 and later): 255 classes from 32 B, 16 B
 * apart; the 8-byte handle word is added to the size before the class
 * lookup; pages per zspage is 1 for power-of-two sizes, else the count in
 * 1..max with the least (k * 4096) % size (the first such k); classes are
 * built from the largest down and a class is merged into the previous one
 * when pages and objects per zspage are equal; the huge threshold is the
 * largest class that is not one object in one page, minus 7.  Zspages are
 * filled in order (the kernel's best case).  Compaction is modelled as the
 * kernel does it, per class: objects move from the emptiest zspage into the
 * fullest one with room until no zspage can be emptied.
 *
 * All-in metadata is estimated from the kernel's slabs: 8 B per object for
 * the handle (zs_handle cache) and 56 B per zspage (struct zspage on a
 * 6.x x86_64 build).  struct page is not counted: every RAM page has one.
 *
 * zbud (mm/zbud.c until 6.15): 64 chunks of 64 B, the first chunk the
 * header, at most two buddies per page; an allocation of c chunks takes the
 * first page on the unbuddied list with the fewest free chunks >= c (lists
 * are LIFO), else a new page.  Objects above 3968 B do not fit; they are
 * counted as a page each, as the page would stay in memory uncompressed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/zsbench/zsbench.h"

#define K_MIN_SIZE 32u
#define K_DELTA 16u
#define K_NCLASSES 255u
#define K_HANDLE 8u
#define K_ZSPAGE_DESC 56u

static unsigned chain_size(unsigned size, unsigned max)
{
	unsigned i, chain = 1, min_waste = ~0u;

	if ((size & (size - 1)) == 0)
		return 1;
	for (i = 1; i <= max; i++) {
		unsigned waste = (i * ZB_PAGE) % size;

		if (waste < min_waste) {
			min_waste = waste;
			chain = i;
		}
	}
	return chain;
}

void zb_kmodel_init(struct zb_kmodel *m, unsigned chain_max)
{
	struct zb_kclass *prev = NULL;
	int i;

	memset(m, 0, sizeof(*m));
	m->chain_max = chain_max;
	for (i = K_NCLASSES - 1; i >= 0; i--) {
		unsigned size = K_MIN_SIZE + (unsigned)i * K_DELTA;
		unsigned pages, objs;
		struct zb_kclass *c;

		if (size > ZB_PAGE)
			size = ZB_PAGE;
		pages = chain_size(size, chain_max);
		objs = pages * ZB_PAGE / size;
		if (pages != 1 && objs != 1 && !m->huge_threshold)
			m->huge_threshold = size - (K_HANDLE - 1);
		if (prev && prev->pages == pages && prev->objs == objs) {
			m->cls[i] = prev;
			continue;
		}
		c = &m->store[m->nclasses++];
		c->size = size;
		c->pages = pages;
		c->objs = objs;
		c->huge = pages == 1 && objs == 1;
		m->cls[i] = c;
		prev = c;
	}
}

static unsigned class_index(size_t size)
{
	size_t idx = 0;

	size += K_HANDLE;
	if (size > K_MIN_SIZE)
		idx = (size - K_MIN_SIZE + K_DELTA - 1) / K_DELTA;
	return idx < K_NCLASSES ? (unsigned)idx : K_NCLASSES - 1;
}

const struct zb_kclass *zb_kmodel_class(const struct zb_kmodel *m, size_t size)
{
	return m->cls[class_index(size)];
}

void zb_waste_line(char *out, size_t len, const char *name,
		   const struct zb_trace *t, double pages,
		   size_t (*slot_of)(const void *ctx, size_t size),
		   const void *ctx, size_t huge_from)
{
	double rounding = 0, huge = 0, rest, total = (double)t->total;
	size_t i;

	for (i = 0; i < t->n; i++) {
		size_t s = t->sizes[i];

		if (s >= huge_from)
			huge += (double)(ZB_PAGE - s);
		else
			rounding += (double)(slot_of(ctx, s) - s);
	}
	rest = pages * ZB_PAGE - total - rounding - huge;
	snprintf(
		out, len,
		"%-14s slot rounding %+.2f%%, one-object pages' ends %+.2f%%, zspage tails and free slots %+.2f%%",
		name, 100 * rounding / total, 100 * huge / total,
		100 * rest / total);
}

static size_t kmodel_slot(const void *ctx, size_t size)
{
	return zb_kmodel_class(ctx, size)->size;
}

/* --- zsmalloc model --- */

struct kclass_fill {
	size_t nobj; /* objects placed, in fill order */
	uint32_t *live; /* live objects per zspage */
	size_t nzspages;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Kernel-style compaction of one class: the emptiest zspage is the source,
 * the fullest one with room the destination.  Returns zspages freed. */
static size_t compact_class(uint32_t *live, size_t n, unsigned objs,
			    uint64_t *moved)
{
	size_t lo = 0, hi, freed = 0;

	qsort(live, n, sizeof(*live), cmp_u32);
	while (lo < n && live[lo] == 0)
		lo++;
	if (lo == n)
		return 0;
	hi = n - 1;
	while (lo < hi) {
		uint32_t room, mv;

		if (live[hi] >= objs) {
			hi--;
			continue;
		}
		room = objs - live[hi];
		mv = live[lo] < room ? live[lo] : room;
		live[lo] -= mv;
		live[hi] += mv;
		*moved += mv;
		if (live[lo] == 0) {
			freed++;
			lo++;
		}
	}
	return freed;
}

static void zs_model(const struct zb_config *cfg, const struct zb_trace *t,
		     unsigned chain, struct zb_results *r)
{
	static const int fracs[3] = { 50, 75, 90 };
	static const int mub[3] = { M_UB50, M_UB75, M_UB90 };
	static const int mua[3] = { M_UA50, M_UA75, M_UA90 };
	static const int mcf[3] = { M_CF50, M_CF75, M_CF90 };
	static const int mcm[3] = { M_CM50, M_CM75, M_CM90 };
	struct zb_kmodel *m = malloc(sizeof(*m));
	struct kclass_fill *cf = NULL;
	uint32_t *zsp_of = NULL, *perm = NULL;
	unsigned char *freed = NULL;
	uint64_t pages = 0, zspages = 0, crossing = 0;
	struct zb_row *row;
	char name[40];
	size_t i;
	unsigned c;
	int f;

	snprintf(name, sizeof(name), "kernel-zs-c%u", chain);
	row = zb_row_add(r, name, "kernel");
	if (!row)
		goto out;
	if (!m)
		goto oom;
	zb_kmodel_init(m, chain);
	cf = calloc(m->nclasses, sizeof(*cf));
	zsp_of = malloc(t->n * sizeof(*zsp_of));
	perm = malloc(t->n * sizeof(*perm));
	freed = malloc(t->n);
	if (!cf || !zsp_of || !perm || !freed)
		goto oom;

	/* Fill in order: the k-th object of a class goes to zspage k/objs,
	 * slot k % objs.  The kernel copies an object on map and on read
	 * when its slot runs past the end of its page (its zspage's pages
	 * are scattered); a huge class's slot is the whole page. */
	for (i = 0; i < t->n; i++) {
		const struct zb_kclass *k = zb_kmodel_class(m, t->sizes[i]);
		uint64_t off;

		c = (unsigned)(k - m->store);
		zsp_of[i] = (uint32_t)(cf[c].nobj / k->objs);
		off = (uint64_t)(cf[c].nobj % k->objs) * k->size;
		if (off % ZB_PAGE + k->size > ZB_PAGE)
			crossing++;
		cf[c].nobj++;
	}
	row->v[M_ACC_N] = (double)t->n;
	row->v[M_ACC_MAPCOPY] = (double)crossing;
	row->v[M_ACC_READCOPY] = (double)crossing;
	row->v[M_ACC_CROSS] = t->n ? (double)crossing / (double)t->n : NAN;
	for (c = 0; c < m->nclasses; c++) {
		const struct zb_kclass *k = &m->store[c];

		cf[c].nzspages = (cf[c].nobj + k->objs - 1) / k->objs;
		zspages += cf[c].nzspages;
		pages += (uint64_t)cf[c].nzspages * k->pages;
		cf[c].live = malloc((cf[c].nzspages + 1) * sizeof(uint32_t));
		if (!cf[c].live)
			goto oom;
	}
	row->v[M_PAGES] = (double)pages;
	row->v[M_DENS_PAGES] = (double)pages * ZB_PAGE / (double)t->total;
	row->v[M_DENS_ALLIN] =
		((double)pages * ZB_PAGE + (double)t->n * K_HANDLE +
		 (double)zspages * K_ZSPAGE_DESC) /
		(double)t->total;
	row->v[M_META] =
		((double)t->n * K_HANDLE + (double)zspages * K_ZSPAGE_DESC) /
		(double)t->n;
	snprintf(row->note, sizeof(row->note),
		 "model: %u classes, huge >= %u B", m->nclasses,
		 m->huge_threshold);
	if (chain == ZB_CHAIN)
		zb_waste_line(r->waste[0], sizeof(r->waste[0]), name, t,
			      (double)pages, kmodel_slot, m, m->huge_threshold);

	for (f = 0; f < 3; f++) {
		size_t nfree = t->n * (size_t)fracs[f] / 100;
		uint64_t live_bytes = 0, pages_before = 0, pages_after = 0;
		uint64_t moved = 0, pages_freed = 0;

		zb_shuffle(perm, t->n, cfg->seed, (uint64_t)fracs[f]);
		memset(freed, 0, t->n);
		for (i = 0; i < nfree; i++)
			freed[perm[i]] = 1;
		for (c = 0; c < m->nclasses; c++)
			memset(cf[c].live, 0,
			       cf[c].nzspages * sizeof(uint32_t));
		for (i = 0; i < t->n; i++) {
			const struct zb_kclass *k;

			if (freed[i])
				continue;
			k = zb_kmodel_class(m, t->sizes[i]);
			cf[k - m->store].live[zsp_of[i]]++;
			live_bytes += t->sizes[i];
		}
		for (c = 0; c < m->nclasses; c++) {
			const struct zb_kclass *k = &m->store[c];
			size_t z, used = 0, fz;

			for (z = 0; z < cf[c].nzspages; z++)
				used += cf[c].live[z] != 0;
			pages_before += used * k->pages;
			fz = compact_class(cf[c].live, cf[c].nzspages, k->objs,
					   &moved);
			pages_after += (used - fz) * k->pages;
			pages_freed += fz * k->pages;
		}
		row->v[mub[f]] =
			(double)live_bytes / ((double)pages_before * ZB_PAGE);
		row->v[mua[f]] =
			(double)live_bytes / ((double)pages_after * ZB_PAGE);
		row->v[mcf[f]] = (double)pages_freed;
		row->v[mcm[f]] =
			pages_freed ? (double)moved / (double)pages_freed : NAN;
	}
	goto out;
oom:
	fprintf(stderr, "zsbench: out of memory in the kernel model\n");
	r->errors++;
out:
	if (cf && m)
		for (c = 0; c < m->nclasses; c++)
			free(cf[c].live);
	free(cf);
	free(zsp_of);
	free(perm);
	free(freed);
	free(m);
}

/* --- zbud model --- */

#define ZBUD_NCHUNKS 63u
#define ZBUD_MAXSZ (ZB_PAGE - 2 * 64u)

struct zpage {
	uint8_t first, last;
	int32_t prev, next; /* on an unbuddied list, or -1 */
	int16_t list; /* free chunks of the list it is on, -1 none */
};

struct zbud_model {
	struct zpage *p;
	size_t n, cap;
	int32_t head[ZBUD_NCHUNKS];
	int32_t free_pages; /* freed page slots to reuse, linked by next */
	uint64_t pages;
};

static void zm_unlink(struct zbud_model *z, int32_t i)
{
	struct zpage *p = &z->p[i];

	if (p->list < 0)
		return;
	if (p->prev >= 0)
		z->p[p->prev].next = p->next;
	else
		z->head[p->list] = p->next;
	if (p->next >= 0)
		z->p[p->next].prev = p->prev;
	p->list = -1;
	p->prev = p->next = -1;
}

static void zm_place(struct zbud_model *z, int32_t i)
{
	struct zpage *p = &z->p[i];
	unsigned fc = ZBUD_NCHUNKS - p->first - p->last;

	if (p->first && p->last)
		return; /* buddied */
	p->list = (int16_t)fc;
	p->prev = -1;
	p->next = z->head[fc];
	if (p->next >= 0)
		z->p[p->next].prev = i;
	z->head[fc] = i;
}

/* Returns page index * 2 + bud (0 first, 1 last), or -1 on no memory. */
static int64_t zm_alloc(struct zbud_model *z, unsigned chunks)
{
	int32_t i = -1;
	unsigned fc;
	int bud;

	for (fc = chunks; fc < ZBUD_NCHUNKS; fc++)
		if (z->head[fc] >= 0) {
			i = z->head[fc];
			break;
		}
	if (i >= 0) {
		zm_unlink(z, i);
		bud = z->p[i].first ? 1 : 0;
	} else {
		if (z->free_pages >= 0) {
			i = z->free_pages;
			z->free_pages = z->p[i].next;
		} else {
			if (z->n == z->cap) {
				size_t cap = z->cap ? z->cap * 2 : 1024;
				struct zpage *np =
					realloc(z->p, cap * sizeof(*np));

				if (!np)
					return -1;
				z->p = np;
				z->cap = cap;
			}
			i = (int32_t)z->n++;
		}
		memset(&z->p[i], 0, sizeof(z->p[i]));
		z->p[i].list = -1;
		z->p[i].prev = z->p[i].next = -1;
		z->pages++;
		bud = 0;
	}
	if (bud)
		z->p[i].last = (uint8_t)chunks;
	else
		z->p[i].first = (uint8_t)chunks;
	zm_place(z, i);
	return (int64_t)i * 2 + bud;
}

static void zm_free(struct zbud_model *z, int64_t where)
{
	int32_t i = (int32_t)(where / 2);
	struct zpage *p = &z->p[i];

	zm_unlink(z, i);
	if (where & 1)
		p->last = 0;
	else
		p->first = 0;
	if (!p->first && !p->last) {
		p->next = z->free_pages;
		z->free_pages = i;
		z->pages--;
		return;
	}
	zm_place(z, i);
}

static int zbud_fill(struct zbud_model *z, const struct zb_trace *t,
		     int64_t *where, uint64_t *raw_pages)
{
	size_t i;

	memset(z, 0, sizeof(*z));
	for (i = 0; i < ZBUD_NCHUNKS; i++)
		z->head[i] = -1;
	z->free_pages = -1;
	*raw_pages = 0;
	for (i = 0; i < t->n; i++) {
		if (t->sizes[i] > ZBUD_MAXSZ) {
			where[i] = -1;
			(*raw_pages)++;
			continue;
		}
		where[i] = zm_alloc(z, (t->sizes[i] + 63) / 64);
		if (where[i] < 0)
			return -ENOMEM;
	}
	return 0;
}

static void zbud_model(const struct zb_config *cfg, const struct zb_trace *t,
		       struct zb_results *r)
{
	static const int fracs[3] = { 50, 75, 90 };
	static const int mub[3] = { M_UB50, M_UB75, M_UB90 };
	static const int mua[3] = { M_UA50, M_UA75, M_UA90 };
	int64_t *where = malloc(t->n * sizeof(*where));
	uint32_t *perm = malloc(t->n * sizeof(*perm));
	struct zbud_model z = { 0 };
	uint64_t raw_pages;
	struct zb_row *row = zb_row_add(r, "kernel-zbud", "kernel");
	int f;

	if (!row)
		goto out;
	if (!where || !perm || zbud_fill(&z, t, where, &raw_pages)) {
		fprintf(stderr, "zsbench: out of memory in the zbud model\n");
		r->errors++;
		goto out;
	}
	row->v[M_PAGES] = (double)(z.pages + raw_pages);
	row->v[M_DENS_PAGES] =
		(double)(z.pages + raw_pages) * ZB_PAGE / (double)t->total;
	/* zbud's header lives in the page and its handle is an address. */
	row->v[M_DENS_ALLIN] = row->v[M_DENS_PAGES];
	row->v[M_META] = 0;
	snprintf(row->note, sizeof(row->note),
		 "model: %llu objects > %u B kept as a page each",
		 (unsigned long long)raw_pages, ZBUD_MAXSZ);
	for (f = 0; f < 3; f++) {
		size_t nfree = t->n * (size_t)fracs[f] / 100, i;
		uint64_t live = 0, rawp = raw_pages;

		free(z.p);
		if (zbud_fill(&z, t, where, &raw_pages)) {
			r->errors++;
			goto out;
		}
		zb_shuffle(perm, t->n, cfg->seed, (uint64_t)fracs[f]);
		for (i = 0; i < nfree; i++) {
			if (where[perm[i]] < 0)
				rawp--;
			else
				zm_free(&z, where[perm[i]]);
		}
		for (i = nfree; i < t->n; i++)
			live += t->sizes[perm[i]];
		/* zbud cannot compact: before and after are the same */
		row->v[mub[f]] =
			(double)live / ((double)(z.pages + rawp) * ZB_PAGE);
		row->v[mua[f]] = row->v[mub[f]];
	}
out:
	free(z.p);
	free(where);
	free(perm);
}

void zb_kernel_zs_row(const struct zb_config *cfg, const struct zb_trace *t,
		      unsigned chain, struct zb_results *r)
{
	zs_model(cfg, t, chain, r);
}

void zb_kernel_rows(const struct zb_config *cfg, const struct zb_trace *t,
		    struct zb_results *r)
{
	static const unsigned chains[3] = { 4, 8, 16 };
	int i;

	zb_progress("kernel model: zsmalloc chain 4, 8, 16 and zbud");
	for (i = 0; i < 3; i++)
		zs_model(cfg, t, chains[i], r);
	zbud_model(cfg, t, r);
}

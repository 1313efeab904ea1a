// SPDX-License-Identifier: MIT
/*
 * tools/zsbench/anon_donor.c - a process whose anonymous memory zsbench
 * reads, the same for the same seed.
 *
 * zsbench --pid reads the private anonymous pages of a running process,
 * the data zram holds when that process is swapped out.  Tests and the
 * README's figures need such a process that is the same on every run, so
 * this one builds a heap of a chosen size from a seed, as a long-running
 * service would hold it: a hash table of string keys and values, a tree of
 * small structs linked by pointers, arrays of small counters and of
 * doubles, log-like text, a share of freed chunks, incompressible blobs
 * and zero and same-filled pages.  It then prints one line, "ready PID"
 * and the address ranges that hold that heap (START-END in hex, page
 * aligned), and waits to be killed (or for --timeout seconds, so a lost
 * donor does not stay behind).
 *
 * Pointers are part of the data, so address randomisation would change
 * the pages from run to run: the donor re-executes itself once with it
 * off, with transparent huge pages off (they would make untouched pages
 * present at random), with malloc's thread cache off (it marks freed
 * chunks with a random key) and with a fixed environment.  What is still
 * random lies outside the ranges: the stack (the kernel's random bytes,
 * the stack canary's copies), thread data (the pid, the pointer guard)
 * and libc's own variables.  So zsbench --trace=anon-donor reads only the
 * ranges, and gets the same pages every run; --pid on the donor reads all
 * of its anonymous memory.  On kernels with Yama the donor lets any
 * process of the same user read its memory, so a zsbench that is not its
 * parent can.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sbrk, explicit_bzero */
#endif
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef PR_SET_PTRACER
#define PR_SET_PTRACER 0x59616d61
#endif
#ifndef PR_SET_PTRACER_ANY
#define PR_SET_PTRACER_ANY ((unsigned long)-1)
#endif
#ifndef PR_SET_THP_DISABLE
#define PR_SET_THP_DISABLE 41
#endif

#define PAGE 4096u
#define MARK "ZSBENCH_ANON_DONOR=1"

/* --- a seeded generator (splitmix64: small and good enough) --- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

/* Small values are far more common than large ones, as in real counters
 * and lengths. */
static uint32_t skewed(uint32_t max)
{
	uint32_t bits = below(17);

	return (uint32_t)(rnd() & ((1u << bits) - 1)) % (max + 1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		fputs("zsbench_anon_donor: out of memory\n", stderr);
		_exit(1);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

/* Bytes the pieces below have asked for: each stops at its share. */
static size_t used;

/* Every piece is kept here: a compiler may drop an allocation nobody
 * can see, stores and all. */
static void *volatile kept[16];
static unsigned nkept;

/* Where the donor's data is, page-rounded: the heap, and each buffer big
 * enough for malloc to map it on its own. */
struct range {
	uintptr_t start, end;
};

static struct range ranges[16];
static unsigned nranges;

static void keep(void *p)
{
	if (nkept < sizeof(kept) / sizeof(kept[0]))
		kept[nkept++] = p;
}

static void add_range(uintptr_t start, uintptr_t end)
{
	if (nranges < sizeof(ranges) / sizeof(ranges[0]) && end > start) {
		ranges[nranges].start = start & ~(uintptr_t)(PAGE - 1);
		ranges[nranges].end = (end + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
		nranges++;
	}
}

/* A buffer of the donor's, its range noted (malloc's chunk header just
 * before it included). */
static void *big_alloc(size_t n)
{
	void *p = xmalloc(n);

	keep(p);
	add_range((uintptr_t)p - 16, (uintptr_t)p + n);
	return p;
}

static const char *const words[] = {
	"request", "user",     "session", "cache",    "timeout", "worker",
	"error",   "value",    "config",  "network",  "buffer",	 "index",
	"query",   "result",   "status",  "handler",  "account", "server",
	"client",  "payload",  "token",	  "retry",    "latency", "stream",
	"record",  "page",     "memory",  "database", "item",	 "order",
	"price",   "customer", "address", "message",  "queue",	 "event",
};

#define NWORDS (sizeof(words) / sizeof(words[0]))

static const char *word(void)
{
	/* the first words more often: word frequencies are skewed */
	uint32_t i = below(NWORDS);

	return words[below(2) ? i / 3 : i];
}

/* --- a hash table of strings, chained, with individually allocated
 * entries: the shape of a dict, a symbol table or a config store --- */

struct entry {
	struct entry *next;
	uint32_t hash;
	uint32_t hits;
	char *key;
	char *value;
};

struct table {
	struct entry **buckets;
	size_t nbuckets;
	size_t n;
};

static int interned(const char *v)
{
	size_t i;

	for (i = 0; i < NWORDS; i++)
		if (v == words[i])
			return 1;
	return 0;
}

static uint32_t fnv(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static void table_build(struct table *t, size_t budget)
{
	size_t start = used, i;

	t->nbuckets = 1;
	while (t->nbuckets * 64 < budget)
		t->nbuckets *= 2;
	t->buckets = big_alloc(t->nbuckets * sizeof(*t->buckets));
	memset(t->buckets, 0, t->nbuckets * sizeof(*t->buckets));
	used += t->nbuckets * sizeof(*t->buckets);
	for (i = 0; used - start < budget; i++) {
		char key[96], value[96];
		struct entry *e = xmalloc(sizeof(*e));
		size_t b;

		snprintf(key, sizeof(key), "%s.%s.%s_%u", word(), word(),
			 word(), skewed(100000));
		e->value = NULL;
		switch (below(8)) {
		case 0:
			snprintf(value, sizeof(value), "%u", skewed(1u << 20));
			break;
		case 1:
			snprintf(value, sizeof(value), "%s-%s", word(), word());
			break;
		case 2:
			snprintf(value, sizeof(value), "%u.%02u", skewed(9999),
				 below(100));
			break;
		case 3:
			snprintf(value, sizeof(value),
				 "{\"%s\": %u, \"%s\": \"%s\"}", word(),
				 skewed(500), word(), word());
			break;
		default:
			/* one of a few shared strings: an enum, an interned
			 * status */
			e->value = (char *)words[below(8)];
			break;
		}
		e->key = xstrdup(key);
		if (!e->value)
			e->value = xstrdup(value);
		e->hash = fnv(key);
		e->hits = skewed(1000);
		b = e->hash & (t->nbuckets - 1);
		e->next = t->buckets[b];
		t->buckets[b] = e;
		t->n++;
		used += sizeof(*e) + strlen(key) + 1 + 2 * 16;
		if (!interned(e->value))
			used += strlen(value) + 1 + 16;
	}
}

/* Frees one entry in @one_in, leaving free chunks and malloc's free-list
 * pointers among live data, as a heap that has been running a while. */
static void table_thin(struct table *t, uint32_t one_in)
{
	size_t b;

	for (b = 0; b < t->nbuckets; b++) {
		struct entry **pp = &t->buckets[b];

		while (*pp) {
			struct entry *e = *pp;

			if (below(one_in)) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			free(e->key);
			if (!interned(e->value))
				free(e->value);
			free(e);
			t->n--;
		}
	}
}

/* --- a binary search tree of small structs --- */

struct node {
	struct node *left, *right, *parent;
	int64_t key;
	double weight;
	uint32_t flags;
	uint16_t kind;
	char tag[6];
};

static struct node *tree_build(size_t budget)
{
	struct node *root = NULL;
	size_t start = used;

	while (used - start < budget) {
		struct node *n = xmalloc(sizeof(*n)), **link = &root,
			    *parent = NULL;

		memset(n, 0, sizeof(*n));
		n->key = (int64_t)(rnd() % 10000000);
		n->weight = (double)skewed(1000) / 8.0;
		n->flags = below(4) ? 1u : 1u | (1u << below(8));
		n->kind = (uint16_t)below(12);
		snprintf(n->tag, sizeof(n->tag), "%.5s", word());
		while (*link) {
			parent = *link;
			link = n->key < parent->key ? &parent->left :
						      &parent->right;
		}
		n->parent = parent;
		*link = n;
		used += sizeof(*n) + 16;
	}
	return root;
}

/* --- arrays of numbers --- */

static void counters_build(size_t budget)
{
	size_t n = budget / sizeof(uint32_t), i;
	uint32_t *a = big_alloc(n * sizeof(*a));

	/* mostly zero or small, as counters and flags are */
	for (i = 0; i < n; i++) {
		uint32_t k = below(10);

		a[i] = k < 4 ? 0 : k < 8 ? below(16) : skewed(70000);
	}
	used += n * sizeof(*a);
}

static void doubles_build(size_t budget)
{
	size_t n = budget / sizeof(double), i;
	double *a = big_alloc(n * sizeof(*a)), price = 100.0;
	double stamp = 1714521600.0;

	for (i = 0; i < n; i++) {
		switch (i % 3) {
		case 0:
			/* a random walk rounded to cents: prices, metrics */
			price += ((double)below(2001) - 1000.0) / 1000.0;
			if (price < 1)
				price = 1;
			a[i] = (double)(int64_t)(price * 100.0) / 100.0;
			break;
		case 1:
			stamp += (double)skewed(10); /* timestamps, seconds */
			a[i] = stamp;
			break;
		default:
			a[i] = (double)skewed(64) * 0.25; /* exact quarters */
			break;
		}
	}
	used += n * sizeof(*a);
}

/* --- text: log lines in a few big buffers --- */

static void text_build(size_t budget)
{
	static const char *const levels[] = { "INFO",  "INFO", "INFO",
					      "DEBUG", "WARN", "ERROR" };
	char *buf = big_alloc(budget + 1);
	size_t len = 0;
	unsigned sec = 0;

	while (len + 200 < budget) {
		int k;

		sec += skewed(30);
		k = snprintf(
			buf + len, budget + 1 - len,
			"2024-05-%02u %02u:%02u:%02u %s %s[%u]: %s %s /api/v1/%s/%u took %u ms\n",
			1 + sec / 86400 % 28, sec / 3600 % 24, sec / 60 % 60,
			sec % 60, levels[below(6)], word(), below(8), word(),
			word(), word(), skewed(99999), skewed(2000));
		if (k < 0)
			break;
		len += (size_t)k;
	}
	memset(buf + len, 0, budget + 1 - len);
	used += budget;
}

/* --- buffers sized for the worst case and mostly unused: I/O buffers,
 * vectors with room to grow, per-request scratch --- */

static void buffers_build(size_t budget)
{
	size_t start = used;

	while (used - start < budget) {
		size_t n = (size_t)4096 << below(3), fill = n * below(50) / 100;
		char *b = xmalloc(n);
		size_t k = 0;

		while (k < fill) {
			int w = snprintf(b + k, n - k, "%s=%u;", word(),
					 skewed(4096));

			if (w < 0)
				break;
			k += (size_t)w;
		}
		if (k > n)
			k = n;
		memset(b + k, 0, n - k);
		used += n + 16;
	}
}

/* --- incompressible blobs, zero and same-filled pages --- */

static void random_build(size_t budget)
{
	size_t n = budget / 8, i;
	uint64_t *a = big_alloc(n * 8);

	for (i = 0; i < n; i++)
		a[i] = rnd();
	used += n * 8;
}

static void filled_build(size_t budget, uint64_t word64)
{
	size_t n = budget / 8, i;
	uint64_t *a = big_alloc(n * 8 + PAGE);

	/* written, so the pages are present: an untouched page is not */
	for (i = 0; i < n + PAGE / 8; i++)
		a[i] = word64;
	used += n * 8;
}

static void usage(void)
{
	fputs("usage: zsbench_anon_donor [--seed=N] [--mib=N] [--timeout=SECONDS]\n"
	      "  builds a heap of about N MiB (default 32) from the seed, prints\n"
	      "  \"ready PID START-END ...\" (the heap's address ranges) and waits\n"
	      "  to be killed (at most --timeout, default 600 s)\n",
	      stderr);
}

static int parse(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	if (!*s || *s == '-')
		return -1;
	*out = strtoull(s, &end, 10);
	return errno || *end || *out > max ? -1 : 0;
}

/* Once: address randomisation and huge pages off, a fixed environment,
 * then the same program again.  If the kernel refuses, the donor still
 * works, only its pages differ from run to run. */
static void reexec(char **argv)
{
	/* malloc's thread cache marks each freed chunk with a random key */
	static char *const env[] = {
		MARK, "LC_ALL=C", "GLIBC_TUNABLES=glibc.malloc.tcache_count=0",
		NULL
	};
	int pers;

	if (getenv("ZSBENCH_ANON_DONOR"))
		return; /* done already, or tried */
	pers = personality(0xffffffff);
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	if (pers != -1)
		personality((unsigned long)pers | ADDR_NO_RANDOMIZE);
	execve("/proc/self/exe", argv, env);
	/* still here: run as we are */
}

int main(int argc, char **argv)
{
	unsigned long long seed = 1, mib = 32, timeout = 600;
	struct table table = { 0 };
	size_t budget, len = 0;
	uintptr_t heap0;
	char line[1024];
	unsigned r;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int bad = 0;

		if (!strncmp(a, "--seed=", 7))
			bad = parse(a + 7, UINT64_MAX, &seed);
		else if (!strncmp(a, "--mib=", 6))
			bad = parse(a + 6, 65536, &mib) || mib == 0;
		else if (!strncmp(a, "--timeout=", 10))
			bad = parse(a + 10, 86400, &timeout) || timeout == 0;
		else
			bad = 1;
		if (bad) {
			fprintf(stderr,
				"zsbench_anon_donor: bad argument '%s'\n", a);
			usage();
			return 2;
		}
	}
	reexec(argv);
	/* die with the parent (zsbench) and after the timeout at most */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	alarm((unsigned)timeout);
	heap0 = (uintptr_t)sbrk(0);

	rng_state = seed;
	budget = (size_t)mib << 20;
	/* shares of the heap, in percent of the size asked for */
	table_build(&table, budget / 100 * 25);
	keep(tree_build(budget / 100 * 16));
	buffers_build(budget / 100 * 14);
	table_thin(&table, 5);
	counters_build(budget / 100 * 6);
	doubles_build(budget / 100 * 6);
	text_build(budget / 100 * 20);
	random_build(budget / 100 * 2);
	filled_build(budget / 100 * 6, 0);
	filled_build(budget / 100 * 3, ~0ull);
	filled_build(budget / 100 * 2, 0x00000000deadbeefull);
	/* reserved and never touched: mapped, but not present */
	big_alloc(4u << 20);

	add_range(heap0, (uintptr_t)sbrk(0));

	len = (size_t)snprintf(line, sizeof(line), "ready %ld", (long)getpid());
	for (r = 0; r < nranges && len < sizeof(line); r++)
		len += (size_t)snprintf(line + len, sizeof(line) - len,
					" %#lx-%#lx",
					(unsigned long)ranges[r].start,
					(unsigned long)ranges[r].end);
	if (len + 1 >= sizeof(line))
		return 1;
	line[len++] = '\n';
	if (write(STDOUT_FILENO, line, len) != (ssize_t)len)
		return 1;
	/* the pid is different every run: leave no copy of it behind */
	explicit_bzero(line, sizeof(line));
	for (;;)
		pause();
}

/*
 * mem.c - allocation, growable buffers with a hard maximum, a string
 * arena, and sorted string indexes.
 *
 * The library allocates through gs__malloc and its siblings, never malloc
 * directly, so that the allocation-failure tests (testhook.h) can make any
 * allocation fail, after SQLite's sqlite3_malloc and its fault injector.
 */
#define _GNU_SOURCE /* madvise, MADV_HUGEPAGE, malloc_usable_size */
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>
#include <unistd.h>

#include "mem.h"
#include "testhook.h"

/* With the test hooks compiled in (GS_TESTABLE), an armed failure
 * (testhook.h) makes an allocation fail; release builds call the C
 * library directly. */
#ifdef GS_TESTABLE
#define SHOULD_FAIL() gs__alloc_should_fail()
#else
#define SHOULD_FAIL() 0
#endif

/* The smallest block advised: a string arena's largest block (4 MiB).
 * Blocks from 32 MiB up always come from their own mmap in glibc (its
 * dynamic mmap threshold never rises above that on 64-bit systems);
 * smaller ones may share the heap, where the advice covers their pages
 * and, harmlessly, a neighbour's. */
#define HUGE_MIN ((size_t)4 << 20)

/* Asks for transparent huge pages on a large block. Such a block is
 * first touched one 4 KiB page fault at a time, and on a virtual machine
 * a fault costs microseconds: a city's week of fixes touches a gigabyte,
 * a quarter of a million faults, seconds of CPU. With huge pages (Linux
 * grants them on request when /sys/kernel/mm/transparent_hugepage/enabled
 * is "madvise" or "always") it is one fault per 2 MiB. The advice covers
 * the block's whole mapping (glibc's header page to its end), so the
 * mapping stays one region that realloc can still grow with mremap.
 * Advice only: a kernel without huge pages ignores it, nothing fails. */
static void *advise_huge(void *p, size_t size) {
#ifdef MADV_HUGEPAGE
    if (p && size >= HUGE_MIN) {
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t a = (uintptr_t)p & ~(page - 1);
        uintptr_t b =
            ((uintptr_t)p + malloc_usable_size(p) + page - 1) & ~(page - 1);
        (void)madvise((void *)a, b - a, MADV_HUGEPAGE);
    }
#else
    (void)size;
#endif
    return p;
}

void *gs__malloc(size_t size) {
    return SHOULD_FAIL() ? NULL : advise_huge(malloc(size), size);
}

void *gs__calloc(size_t n, size_t size) {
    return SHOULD_FAIL()
               ? NULL
               : advise_huge(calloc(n, size),
                             n && size <= SIZE_MAX / n ? n * size : 0);
}

void *gs__realloc(void *p, size_t size) {
    return SHOULD_FAIL() ? NULL : advise_huge(realloc(p, size), size);
}

/* ---- buffers ----------------------------------------------------------- */

void gs__buf_init(gs__buf *b, size_t max) {
    memset(b, 0, sizeof *b);
    b->max = max ? max : (size_t)64 << 20;
}

void gs__buf_free(gs__buf *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

void gs__buf_add(gs__buf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;
        while (cap < b->len + n + 1) cap *= 2;
        if (cap > b->max) {
            if (b->len + n + 1 > b->max) {
                b->failed = 1;
                return;
            }
            cap = b->max;
        }
        p = gs__realloc(b->data, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void gs__buf_quote(gs__buf *b, const char *s, char q) {
    gs__buf_add(b, &q, 1);
    for (const char *p; (p = strchr(s, q)) != NULL; s = p + 1) {
        gs__buf_add(b, s, (size_t)(p - s) + 1);
        gs__buf_add(b, &q, 1);
    }
    gs__buf_puts(b, s);
    gs__buf_add(b, &q, 1);
}

void gs__buf_puts(gs__buf *b, const char *s) {
    if (s) gs__buf_add(b, s, strlen(s));
}

void gs__buf_printf(gs__buf *b, const char *fmt, ...) {
    char small[512];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        gs__buf_add(b, small, (size_t)n);
    } else {
        char *big = gs__malloc((size_t)n + 1);
        if (!big) {
            b->failed = 1;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        gs__buf_add(b, big, (size_t)n);
        free(big);
    }
}

char *gs__buf_steal(gs__buf *b) {
    char *s;
    if (b->failed) {
        gs__buf_free(b);
        return NULL;
    }
    if (!b->data) {
        s = gs__calloc(1, 1);
    } else {
        s = b->data;
    }
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

/* ---- arena ------------------------------------------------------------- */

#define ARENA_BLOCK 65536
#define ARENA_BLOCK_MAX ((size_t)4 << 20)

struct gs__arena_block {
    gs__arena_block *next;
    size_t used;
    size_t size;
    char data[];
};

void gs__arena_init(gs__arena *a) { a->head = NULL; }

void gs__arena_free(gs__arena *a) {
    gs__arena_block *b = a->head;
    while (b) {
        gs__arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
}

char *gs__arena_strdup(gs__arena *a, const char *s) {
    if (!s) s = "";
    return gs__arena_memdup(a, s, strlen(s));
}

char *gs__arena_memdup(gs__arena *a, const char *s, size_t len) {
    size_t n = len + 1;
    char *p;
    if (!a->head || a->head->size - a->head->used < n) {
        /* Blocks grow with the arena, to 4 MiB: a million strings take
         * a few dozen large blocks (huge pages, few faults), a handful of
         * codes one small one. */
        size_t want = a->head && a->head->size < ARENA_BLOCK_MAX
                          ? a->head->size * 2
                      : a->head ? ARENA_BLOCK_MAX
                                : ARENA_BLOCK;
        size_t size = n > want ? n : want;
        gs__arena_block *b = gs__malloc(sizeof *b + size);
        if (!b) return NULL;
        b->next = a->head;
        b->used = 0;
        b->size = size;
        a->head = b;
    }
    p = a->head->data + a->head->used;
    memcpy(p, s, len);
    p[len] = '\0';
    a->head->used += n;
    return p;
}

char *gs__strdup(const char *s) {
    char *p;
    size_t n;
    if (!s) return NULL;
    n = strlen(s) + 1;
    p = gs__malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

int gs__strcmp_null(const char *a, const char *b) {
    if (!a) return b ? -1 : 0;
    if (!b) return 1;
    return strcmp(a, b);
}

int gs__strix_cmp(const void *a, const void *b) {
    const gs__strix *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    if (c) return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

size_t gs__strix_find(const gs__strix *v, size_t n, const char *s) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(v[mid].s, s) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && !strcmp(v[lo].s, s) ? lo : n;
}

long gs__strix_lookup(const gs__strix *v, size_t n, const char *s) {
    size_t k = gs__strix_find(v, n, s);
    return k < n ? (long)v[k].i : -1;
}

/* ---- string set ---------------------------------------------------------- */

static size_t fnv1a(const char *s) {
    uint32_t h = 2166136261u;
    for (const unsigned char *q = (const unsigned char *)s; *q; q++)
        h = (h ^ *q) * 16777619u;
    return h;
}

/* Doubles the slots (64 at first) and places the entries again. */
static int strset_grow(gs__strset *t) {
    size_t ns = t->nslot ? t->nslot * 2 : 64;
    size_t *slot = gs__calloc(ns, sizeof *slot);
    if (!slot) return -1;
    for (size_t k = 0; k < t->n; k++) {
        size_t j = fnv1a(t->s[k]) & (ns - 1);
        while (slot[j]) j = (j + 1) & (ns - 1);
        slot[j] = k + 1;
    }
    free(t->slot);
    t->slot = slot;
    t->nslot = ns;
    return 0;
}

int gs__strset_add(gs__strset *t, const char *s, size_t val, size_t *out_val) {
    size_t j;
    if ((t->n + 1) * 2 > t->nslot && strset_grow(t)) return -1;
    for (j = fnv1a(s) & (t->nslot - 1); t->slot[j];
         j = (j + 1) & (t->nslot - 1))
        if (!strcmp(t->s[t->slot[j] - 1], s)) {
            if (out_val) *out_val = t->val[t->slot[j] - 1];
            return 0;
        }
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        const char **ns = gs__realloc((void *)t->s, nc * sizeof *ns);
        size_t *nv;
        if (!ns) return -1;
        t->s = ns;
        nv = gs__realloc(t->val, nc * sizeof *nv);
        if (!nv) return -1;
        t->val = nv;
        t->cap = nc;
    }
    t->s[t->n] = s;
    t->val[t->n] = val;
    t->slot[j] = ++t->n;
    if (out_val) *out_val = val;
    return 1;
}

void gs__strset_free(gs__strset *t) {
    free(t->slot);
    free((void *)t->s);
    free(t->val);
    memset(t, 0, sizeof *t);
}

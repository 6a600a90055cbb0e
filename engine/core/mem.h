/*
 * mem.h - allocation, growable buffers, a string arena and sorted string
 * indexes (mem.c).
 */
#ifndef GS_MEM_H
#define GS_MEM_H

#include <stddef.h>

/* The library allocates through these (never malloc, calloc or realloc
 * directly), so tests can make any allocation fail (after SQLite's
 * sqlite3_malloc and its fault injector). Memory is plain malloc memory:
 * free it with free(). Cheap when no failure is armed: one relaxed atomic
 * load. */
void *gs__malloc(size_t size);
void *gs__calloc(size_t n, size_t size);
void *gs__realloc(void *p, size_t size);

/* ---- growable string buffer with a hard maximum ---------------------- */

typedef struct gs__buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* hard maximum; 0 means 64 MiB */
    int failed; /* sticky: set when an append failed (memory or maximum) */
} gs__buf;

void gs__buf_init(gs__buf *b, size_t max);
void gs__buf_free(gs__buf *b);
void gs__buf_add(gs__buf *b, const char *s, size_t n);
void gs__buf_puts(gs__buf *b, const char *s);
/* Appends `s` between two `q`s, each `q` inside doubled: an SQL string
 * literal ('it''s') or identifier ("a""b"). */
void gs__buf_quote(gs__buf *b, const char *s, char q);
void gs__buf_printf(gs__buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Takes the string out of the buffer (NUL-terminated, caller frees with
 * free()); NULL when the buffer failed. The buffer is left empty. */
char *gs__buf_steal(gs__buf *b);

/* ---- string arena: many small strings freed at once ------------------- */

typedef struct gs__arena_block gs__arena_block;
typedef struct gs__arena {
    gs__arena_block *head;
} gs__arena;

void gs__arena_init(gs__arena *a);
void gs__arena_free(gs__arena *a);
/* Copies `s` (NULL is taken as "") into the arena; NULL when out of
 * memory. */
char *gs__arena_strdup(gs__arena *a, const char *s);
/* Copies the `len` bytes at `s` and a terminating NUL into the arena; NULL
 * when out of memory. */
char *gs__arena_memdup(gs__arena *a, const char *s, size_t len);

/* strdup that returns NULL for NULL. */
char *gs__strdup(const char *s);

/* Compares two strings for qsort-style ordering, NULL sorting first. */
int gs__strcmp_null(const char *a, const char *b);

/* ---- sorted string index: codes and ids looked up by binary search ---- */

/* A string (borrowed, not NULL) and its input position. */
typedef struct gs__strix {
    const char *s;
    size_t i;
} gs__strix;

/* qsort comparator: by string, then input position, so equal strings keep
 * input order and the first of them comes first. */
int gs__strix_cmp(const void *a, const void *b);

/* The index in v (sorted with gs__strix_cmp) of the first entry whose
 * string is s, or n when there is none. */
size_t gs__strix_find(const gs__strix *v, size_t n, const char *s);

/* The input position (i) of that first entry, or -1. */
long gs__strix_lookup(const gs__strix *v, size_t n, const char *s);

/* ---- string set: the first value given for each string ---------------- */

/* Strings (borrowed, kept alive by the caller) with a value each, in an
 * open-addressing hash table (FNV-1a): finding duplicates among millions
 * of ids or category texts in linear time, where sorting them costs
 * seconds. Zero it to start; free with gs__strset_free. */
typedef struct gs__strset {
    size_t *slot; /* entry + 1; 0 is empty */
    size_t nslot; /* a power of two */
    const char **s;
    size_t *val;
    size_t n, cap;
} gs__strset;

/* Adds `s` with value `val` unless it is there: returns 1 when added, 0
 * when present (*out_val, may be NULL, gets the value it was added with;
 * on 1 it gets val), -1 when out of memory (nothing added). */
int gs__strset_add(gs__strset *t, const char *s, size_t val, size_t *out_val);

void gs__strset_free(gs__strset *t);

#endif /* GS_MEM_H */

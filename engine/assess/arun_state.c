/*
 * arun_state.c - the small services every step of the assessment run
 * (run_assess.h) uses: keeping strings, growing arrays with a bound, the
 * out-of-memory error, finding a member. In a file of their own so that
 * the steps (read_ledger.c, offline_csv.c, visits.c, care.c,
 * write_assess.c) and the run that orders them (run_assess.c) depend on
 * them, never on each other.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "run_assess.h"

char *gs__arun_keep(gs__arun *R, const char *s) {
    return gs__arena_strdup(&R->strings, s);
}

int gs__arun_nomem(gs__arun *R) {
    return gs__err(R->ctx, GS_ERR_NOMEM, "out of memory");
}

int gs__arun_grow(gs__arun *R, void **v, size_t *cap, size_t n, size_t size) {
    void *nv;
    size_t nc;
    if (n < *cap) return GS_OK;
    nc = *cap ? *cap * 2 : 256;
    if (nc > ((size_t)1 << 28)) return gs__arun_nomem(R);
    nv = gs__realloc(*v, nc * size);
    if (!nv) return gs__arun_nomem(R);
    *v = nv;
    *cap = nc;
    return GS_OK;
}

static int cmp_member_id(const void *key, const void *elem) {
    return strcmp(key, ((const gs__amember *)elem)->id);
}

long gs__arun_find_member(const gs__arun *R, const char *id) {
    const gs__amember *m =
        bsearch(id, R->m, R->n_m, sizeof *R->m, cmp_member_id);
    return m ? (long)(m - R->m) : -1;
}

/*
 * traces_part.c - what one reader thread (or the OGR reader) produces: a
 * part, with its fixes, its bad rows and its table of member ids.
 *
 * A part is private to the thread that fills it, so nothing here locks;
 * an allocation failure is recorded in the part (rc, err) rather than
 * returned, since the CSV callbacks that call these cannot return one,
 * and reported when the parts are joined. Member ids are interned in an
 * open-addressing hash table (FNV-1a) by their raw bytes, and decoded
 * once per distinct id at the end, not per row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces_int.h"

static uint32_t hash_bytes(const char *s, size_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

void gs__mtab_free(gs__mtab *t) {
    free(t->slot);
    free(t->e);
    memset(t, 0, sizeof t[0]);
}

/* Doubles the slots (1024 at first) and rehashes. -1 when out of memory. */
static int mtab_grow(gs__mtab *t) {
    size_t ns = t->nslot ? t->nslot * 2 : 1024;
    uint32_t *slot = gs__calloc(ns, sizeof *slot);
    if (!slot) return -1;
    for (size_t i = 0; i < t->n; i++) {
        size_t j = t->e[i].hash & (ns - 1);
        while (slot[j]) j = (j + 1) & (ns - 1);
        slot[j] = (uint32_t)i + 1;
    }
    free(t->slot);
    t->slot = slot;
    t->nslot = ns;
    return 0;
}

/* The entry of `s` (n bytes, n <= MEMBER_MAX), added if new with its bytes
 * copied to `arena` (or borrowed when `arena` is NULL: the caller keeps
 * them alive). -1 when out of memory. */
int gs__mtab_intern(gs__mtab *t, gs__arena *arena, const char *s, size_t n,
                    uint32_t *out) {
    uint32_t h = hash_bytes(s, n);
    size_t j;
    gs__mentry *e;
    if ((t->n + 1) * 2 > t->nslot && mtab_grow(t)) return -1;
    j = h & (t->nslot - 1);
    while (t->slot[j]) {
        e = &t->e[t->slot[j] - 1];
        if (e->hash == h && e->len == n && !memcmp(e->raw, s, n)) {
            *out = t->slot[j] - 1;
            return 0;
        }
        j = (j + 1) & (t->nslot - 1);
    }
    if (t->n == t->cap) {
        gs__mentry *nv = gs__grow_array(t->e, &t->cap, sizeof *nv, 256);
        if (!nv) return -1;
        t->e = nv;
    }
    e = &t->e[t->n];
    if (arena) {
        char tmp[MEMBER_MAX + 1];
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        e->raw = gs__arena_strdup(arena, tmp);
        if (!e->raw) return -1;
    } else {
        e->raw = s;
    }
    e->len = (uint32_t)n;
    e->hash = h;
    e->order = NO_ENTRY;
    e->text = NULL;
    t->slot[j] = (uint32_t)t->n + 1;
    *out = (uint32_t)t->n++;
    return 0;
}

void gs__tr_part_init(gs__tr_part *p) {
    memset(p, 0, sizeof *p);
    p->fd = -1;
    p->lines.line = 1;
    p->last_entry = NO_ENTRY;
    gs__arena_init(&p->arena);
}

void gs__tr_part_free(gs__tr_part *p) {
    free(p->fix);
    free(p->bad);
    free(p->good);
    gs__mtab_free(&p->members);
    gs__arena_free(&p->arena);
    if (p->own_tz) gs__tz_close(p->tz);
    gs__tr_part_init(p);
}

void gs__tr_part_nomem(gs__tr_part *p) {
    if (!p->rc) {
        p->rc = GS_ERR_NOMEM;
        snprintf(p->err, sizeof p->err, "out of memory");
    }
}

/* Records a bad row; `reason` is copied when `copy`. */
void gs__tr_add_bad(gs__tr_part *p, uint32_t line, uint32_t entry,
                    const char *field, const char *reason, int copy,
                    int64_t t) {
    gs__tr_rawbad *b;
    if (p->n_bad == p->cap_bad) {
        gs__tr_rawbad *nv = gs__grow_array(p->bad, &p->cap_bad, sizeof *nv, 64);
        if (!nv) {
            gs__tr_part_nomem(p);
            return;
        }
        p->bad = nv;
    }
    b = &p->bad[p->n_bad];
    b->line = line;
    b->entry = entry;
    b->field = field;
    b->reason = copy ? gs__arena_strdup(&p->arena, reason) : reason;
    b->t_ms = t;
    if (!b->reason) {
        gs__tr_part_nomem(p);
        return;
    }
    p->n_bad++;
}

void gs__tr_add_fix(gs__tr_part *p, const gs__fix *f) {
    gs__mentry *e = &p->members.e[f->member];
    if (p->n_fix == p->cap_fix) {
        gs__fix *nv = gs__grow_array(p->fix, &p->cap_fix, sizeof *nv, 4096);
        if (!nv) {
            gs__tr_part_nomem(p);
            return;
        }
        p->fix = nv;
    }
    if (e->order == NO_ENTRY) {
        if (p->n_good == p->cap_good) {
            uint32_t *nv =
                gs__grow_array(p->good, &p->cap_good, sizeof *nv, 256);
            if (!nv) {
                gs__tr_part_nomem(p);
                return;
            }
            p->good = nv;
        }
        e->order = (uint32_t)p->n_good;
        p->good[p->n_good++] = f->member;
    }
    p->fix[p->n_fix++] = *f;
}

/* The member's entry, or NO_ENTRY (out of memory is recorded). */
uint32_t gs__tr_intern_member(gs__tr_part *p, const char *s, size_t n) {
    uint32_t e;
    if (p->last_entry != NO_ENTRY) {
        const gs__mentry *l = &p->members.e[p->last_entry];
        if (l->len == n && !memcmp(l->raw, s, n)) return p->last_entry;
    }
    if (gs__mtab_intern(&p->members, &p->arena, s, n, &e)) {
        gs__tr_part_nomem(p);
        return NO_ENTRY;
    }
    p->last_entry = e;
    return e;
}

/* Checks a position in degrees; NULL when fine, else the field and a
 * reason in buf. */
const char *gs__tr_check_degrees(double lon, double lat, char *buf,
                                 size_t size) {
    if (lon < -180.0 || lon > 180.0) {
        snprintf(buf, size, "longitude %.9g is out of range (-180..180)", lon);
        return "lon";
    }
    if (lat < -90.0 || lat > 90.0) {
        snprintf(buf, size, "latitude %.9g is out of range (-90..90)", lat);
        return "lat";
    }
    if (lon == 0.0 && lat == 0.0) {
        snprintf(buf, size,
                 "0, 0: the position phones write without a "
                 "GPS fix");
        return "lon";
    }
    return NULL;
}

void gs__tr_free_parts(gs__tr_reader *r) {
    for (int k = 0; k < r->n_parts; k++) gs__tr_part_free(&r->parts[k]);
    free(r->parts);
    r->parts = NULL;
    r->n_parts = 0;
}

/*
 * fields.c - finding a role's fields in a layer and reading their values.
 *
 * A field is found by the user's mapping, else by our name, compared
 * case-insensitively (Excel and DBF like capitals), else by the first ten
 * characters of our name (DBF's limit). Text is checked as it is read:
 * text that is not UTF-8 is an error naming the feature and field, not
 * mojibake in the outputs, unless {encoding} says what it is; then it is
 * recoded and the recoding proved by a round trip.
 */
#define _DEFAULT_SOURCE /* strcasecmp, strncasecmp */
#include <cpl_conv.h>
#include <cpl_string.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "source.h"

/* Finds the field `name` of the role, through the user's mapping if any.
 * *out_idx is -1 for an optional field that is absent. */
int gs__src_field(gs__src *s, const char *name, int required, int *out_idx) {
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(s->lyr);
    const char *mapped = gs__src_mapped(s, name);
    const char *look = mapped ? mapped : name;
    int idx = OGR_FD_GetFieldIndex(fd, look);
    *out_idx = -1;
    if (idx < 0) {
        /* Case-insensitive second chance: Excel and DBF like capitals. */
        int n = OGR_FD_GetFieldCount(fd);
        for (int i = 0; i < n; i++)
            if (!strcasecmp(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i)),
                            look)) {
                idx = i;
                break;
            }
    }
    if (idx < 0 && !mapped && strlen(look) > 10) {
        /* DBF cuts names to 10 characters: community_code is stored as
         * community_ by every Shapefile writer. */
        int n = OGR_FD_GetFieldCount(fd);
        for (int i = 0; i < n; i++) {
            const char *fn = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i));
            if (strlen(fn) == 10 && !strncasecmp(fn, look, 10)) {
                idx = i;
                break;
            }
        }
    }
    if (idx < 0 && (required || mapped)) {
        char names[600] = "";
        size_t off = 0;
        int n = OGR_FD_GetFieldCount(fd);
        for (int i = 0; i < n && off + 2 < sizeof names; i++) {
            int w =
                snprintf(names + off, sizeof names - off, "%s%s", i ? ", " : "",
                         OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i)));
            if (w < 0) break;
            off += (size_t)w;
        }
        if (mapped)
            return gs__err(s->ctx, GS_ERR_INPUT_FIELD,
                           "%s, layer %s: field '%s' (mapped to %s.%s with "
                           "{fields}) does not exist (fields: %s)",
                           s->path, s->layer, mapped, s->role, name,
                           n ? names : "none");
        return gs__err(s->ctx, GS_ERR_INPUT_FIELD,
                       "%s, layer %s: missing required field '%s' of %s "
                       "(fields: %s); map yours with {fields} %s.%s=NAME",
                       s->path, s->layer, name, s->role, n ? names : "none",
                       s->role, name);
    }
    if (idx >= 0) {
        /* A column twice (an export that repeated it, "persons" and
         * "Persons") is not silently read from the first: which one holds
         * the values is not for us to guess. */
        const char *fn = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, idx));
        int n = OGR_FD_GetFieldCount(fd);
        for (int i = 0; i < n; i++)
            if (i != idx &&
                !strcasecmp(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i)), fn))
                return gs__err(s->ctx, GS_ERR_INPUT_FIELD,
                               "%s, layer %s: column '%s' (%s.%s) appears "
                               "twice (columns %d and %d): rename or remove "
                               "one of them",
                               s->path, s->layer, fn, s->role, name,
                               (idx < i ? idx : i) + 1,
                               (idx < i ? i : idx) + 1);
    }
    *out_idx = idx;
    return GS_OK;
}

static char *trim(char *p) {
    char *e;
    while (*p && isspace((unsigned char)*p)) p++;
    e = p + strlen(p);
    while (e > p && isspace((unsigned char)e[-1])) e--;
    *e = '\0';
    return p;
}

/* Reads field `idx` as trimmed UTF-8 text into the arena ("" when absent or
 * null). Text that is not UTF-8 is an error naming the line and field,
 * unless {encoding} says what it is. */
int gs__src_str(gs__src *s, OGRFeatureH f, int idx, const char *field,
                const char **out) {
    const char *raw;
    char small[256], *buf = small, *t;
    size_t n;
    int rc = GS_OK;
    *out = "";
    if (idx < 0 || !OGR_F_IsFieldSetAndNotNull(f, idx)) return GS_OK;
    raw = OGR_F_GetFieldAsString(f, idx);
    if (s->recode && !CPLIsASCII(raw, strlen(raw))) {
        char *u, *back = NULL;
        int same;
        gs__libmsg_clear(s->ctx);
        /* CPLRecode skips bytes it cannot convert; only a round trip to
         * the same bytes proves the text really was in that encoding (a
         * UTF-8 file read as GB18030 would otherwise come out mangled). */
        u = CPLRecode(raw, s->opts->encoding, CPL_ENC_UTF8);
        if (u && CPLIsUTF8(u, -1))
            back = CPLRecode(u, CPL_ENC_UTF8, s->opts->encoding);
        same = back && strcmp(back, raw) == 0;
        CPLFree(back);
        if (!same) {
            CPLFree(u);
            return gs__err(s->ctx, GS_ERR_INPUT_ENCODING,
                           "%s, field %s: the text is not valid %s (is the "
                           "file in another encoding, e.g. UTF-8?)",
                           gs__src_where(s, gs__src_origin(s, f)), field,
                           s->opts->encoding);
        }
        n = strlen(u);
        if (n + 1 > sizeof small) buf = gs__malloc(n + 1);
        if (!buf) {
            CPLFree(u);
            return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
        }
        memcpy(buf, u, n + 1);
        CPLFree(u);
    } else {
        if (!CPLIsUTF8(raw, -1))
            return gs__err(s->ctx, GS_ERR_INPUT_ENCODING,
                           "%s, field %s: text is not valid UTF-8 (a CSV "
                           "saved by Excel is often GBK/GB18030); re-run "
                           "with {encoding} GB18030 or save it as UTF-8",
                           gs__src_where(s, gs__src_origin(s, f)), field);
        n = strlen(raw);
        if (n + 1 > sizeof small) buf = gs__malloc(n + 1);
        if (!buf) return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
        memcpy(buf, raw, n + 1);
    }
    t = trim(buf);
    *out = gs__arena_strdup(s->arena, t);
    if (!*out) rc = gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
    if (buf != small) free(buf);
    return rc;
}

int gs__src_text(gs__src *s, const char *raw, gs__origin o, const char *field,
                 const char **out) {
    char small[256], *buf = small;
    size_t n;
    int rc = GS_OK;
    *out = "";
    if (!raw) return GS_OK;
    if (!CPLIsUTF8(raw, -1))
        return gs__err(s->ctx, GS_ERR_INPUT_ENCODING,
                       "%s, field %s: text is not valid UTF-8 (a CSV "
                       "saved by Excel is often GBK/GB18030); re-run "
                       "with {encoding} GB18030 or save it as UTF-8",
                       gs__src_where(s, o), field);
    n = strlen(raw);
    if (n + 1 > sizeof small) buf = gs__malloc(n + 1);
    if (!buf) return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
    memcpy(buf, raw, n + 1);
    *out = gs__arena_strdup(s->arena, trim(buf));
    if (!*out) rc = gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
    if (buf != small) free(buf);
    return rc;
}

/* persons given as text: an integer >= 0 however written ("3", " 3.0 "). */
static void persons_text(const char *raw, long *value, int *ok) {
    char *end;
    double v;
    while (isspace((unsigned char)*raw)) raw++;
    if (!*raw) return;
    errno = 0;
    v = strtod(raw, &end);
    while (isspace((unsigned char)*end)) end++;
    if (errno || *end || !isfinite(v) || v < 0 || v > 1e6 || v != floor(v))
        return;
    *value = (long)v;
    *ok = 1;
}

void gs__src_persons_raw(OGRFieldType type, const char *raw, long *value,
                         int *ok) {
    *value = 0;
    *ok = 0;
    if (!raw) return;
    if (type == OFTInteger || type == OFTInteger64) {
        char *end;
        long long v;
        errno = 0;
        v = strtoll(raw, &end, 10);
        if (!errno && end != raw && !*end && v >= 0 && v <= 1000000) {
            *value = (long)v;
            *ok = 1;
        }
        return;
    }
    if (type == OFTReal) {
        double v = strtod(raw, NULL);
        if (isfinite(v) && v >= 0 && v <= 1e6 && v == floor(v)) {
            *value = (long)v;
            *ok = 1;
        }
        return;
    }
    persons_text(raw, value, ok);
}

/* persons: an integer >= 0. *ok is 0 for missing, negative, non-integer or
 * unparsable values (the `bad_persons` rule), never an error. */
void gs__src_persons(OGRFeatureH f, int idx, long *value, int *ok) {
    OGRFieldDefnH fd;
    *value = 0;
    *ok = 0;
    if (idx < 0 || !OGR_F_IsFieldSetAndNotNull(f, idx)) return;
    fd = OGR_F_GetFieldDefnRef(f, idx);
    switch (OGR_Fld_GetType(fd)) {
        case OFTInteger:
        case OFTInteger64: {
            long long v = OGR_F_GetFieldAsInteger64(f, idx);
            if (v >= 0 && v <= 1000000) {
                *value = (long)v;
                *ok = 1;
            }
            return;
        }
        case OFTReal: {
            double v = OGR_F_GetFieldAsDouble(f, idx);
            if (isfinite(v) && v >= 0 && v <= 1e6 && v == floor(v)) {
                *value = (long)v;
                *ok = 1;
            }
            return;
        }
        default:
            persons_text(OGR_F_GetFieldAsString(f, idx), value, ok);
            return;
    }
}

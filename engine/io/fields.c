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

int gs__src_keep_text(gs__src *s, const char *raw, const char **out) {
    const char *e;
    while (*raw && isspace((unsigned char)*raw)) raw++;
    e = raw + strlen(raw);
    while (e > raw && isspace((unsigned char)e[-1])) e--;
    *out = gs__arena_memdup(s->arena, raw, (size_t)(e - raw));
    if (!*out) {
        *out = "";
        return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
    }
    return GS_OK;
}

/* Reads field `idx` as trimmed UTF-8 text into the arena ("" when absent or
 * null). Text that is not UTF-8 is an error naming the line and field,
 * unless {encoding} says what it is. */
int gs__src_str(gs__src *s, OGRFeatureH f, int idx, const char *field,
                const char **out) {
    const char *raw;
    int rc;
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
        rc = gs__src_keep_text(s, u, out);
        CPLFree(u);
        return rc;
    }
    if (!CPLIsUTF8(raw, -1))
        return gs__err(s->ctx, GS_ERR_INPUT_ENCODING,
                       "%s, field %s: text is not valid UTF-8 (a CSV "
                       "saved by Excel is often GBK/GB18030); re-run "
                       "with {encoding} GB18030 or save it as UTF-8",
                       gs__src_where(s, gs__src_origin(s, f)), field);
    return gs__src_keep_text(s, raw, out);
}

void gs__persons_int(long long v, long *value, int *ok) {
    *value = 0;
    *ok = 0;
    if (v >= 0 && v <= 1000000) {
        *value = (long)v;
        *ok = 1;
    }
}

void gs__persons_real(double v, long *value, int *ok) {
    *value = 0;
    *ok = 0;
    if (isfinite(v) && v >= 0 && v <= 1e6 && v == floor(v)) {
        *value = (long)v;
        *ok = 1;
    }
}

void gs__persons_text(const char *raw, long *value, int *ok) {
    char *end;
    double v;
    *value = 0;
    *ok = 0;
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

int gs__src_text(gs__src *s, const char *raw, gs__origin o, const char *field,
                 const char **out) {
    *out = "";
    if (!raw) return GS_OK;
    if (!CPLIsUTF8(raw, -1))
        return gs__err(s->ctx, GS_ERR_INPUT_ENCODING,
                       "%s, field %s: text is not valid UTF-8 (a CSV "
                       "saved by Excel is often GBK/GB18030); re-run "
                       "with {encoding} GB18030 or save it as UTF-8",
                       gs__src_where(s, o), field);
    return gs__src_keep_text(s, raw, out);
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
        if (!errno && end != raw && !*end) gs__persons_int(v, value, ok);
        return;
    }
    if (type == OFTReal) {
        gs__persons_real(strtod(raw, NULL), value, ok);
        return;
    }
    gs__persons_text(raw, value, ok);
}

int gs__src_field_plain(OGRFeatureDefnH fd, int idx, int ints, int reals) {
    OGRFieldDefnH f;
    OGRFieldType t;
    if (idx < 0) return 1;
    f = OGR_FD_GetFieldDefn(fd, idx);
    t = OGR_Fld_GetType(f);
    if (OGR_Fld_GetSubType(f) != OFSTNone) return 0;
    return t == OFTString || (ints && (t == OFTInteger || t == OFTInteger64)) ||
           (reals && t == OFTReal);
}

/* persons: an integer >= 0. *ok is 0 for missing, negative, non-integer or
 * unparsable values (the `bad_persons` rule), never an error. */
void gs__src_persons(OGRFeatureH f, int idx, long *value, int *ok) {
    *value = 0;
    *ok = 0;
    if (idx < 0 || !OGR_F_IsFieldSetAndNotNull(f, idx)) return;
    switch (OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, idx))) {
        case OFTInteger:
        case OFTInteger64:
            gs__persons_int(OGR_F_GetFieldAsInteger64(f, idx), value, ok);
            return;
        case OFTReal:
            gs__persons_real(OGR_F_GetFieldAsDouble(f, idx), value, ok);
            return;
        default:
            gs__persons_text(OGR_F_GetFieldAsString(f, idx), value, ok);
            return;
    }
}

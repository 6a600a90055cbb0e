/*
 * traces_encoding.c - which encoding a trace file's text is in, and
 * decoding its member ids.
 *
 * Member ids are the only text kept, and are decoded once per distinct
 * id, not per row. The encoding is {encoding} if given (recoded with
 * glibc's iconv), else sniffed from the first megabyte: UTF-8 when its
 * non-ASCII bytes are valid UTF-8, GB18030 (a superset of GBK, what Excel
 * writes on Chinese Windows) when they are not but form valid GB18030
 * sequences. A file whose first megabyte is all ASCII is decided from the
 * distinct member ids at the end. A member id that cannot be decoded
 * makes its rows bad rows.
 */
#define _DEFAULT_SOURCE /* strcasecmp */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "text.h"
#include "traces_int.h"

static int is_utf8_name(const char *e) {
    return !strcasecmp(e, "UTF-8") || !strcasecmp(e, "UTF8");
}

/* Opens the decoder for `name` (an iconv encoding name). */
int gs__tr_use_encoding(gs__tr_reader *r, const char *name) {
    r->cd = iconv_open("UTF-8", name);
    if (r->cd == (iconv_t)-1)
        return gs__err(r->ctx, GS_ERR_USAGE,
                       "{encoding} %s: unknown encoding (e.g. GB18030, GBK, "
                       "UTF-8)",
                       name);
    r->enc = ENC_ICONV;
    snprintf(r->out->encoding, sizeof r->out->encoding, "%s", name);
    return GS_OK;
}

/* Decodes member or column text into the traces' arena; NULL when it is
 * not valid in the encoding (or out of memory: *nomem set). */
const char *gs__tr_decode(gs__tr_reader *r, const char *s, size_t n,
                          int *nomem) {
    const char *out;
    if (!gs__has_high(s, n) || r->enc != ENC_ICONV) {
        if (gs__has_high(s, n) && !gs__utf8_valid(s, n, 0)) return NULL;
        out = gs__arena_strdup(&r->out->strings, s);
    } else {
        char tmp[4 * MEMBER_MAX + 4], *in = (char *)s, *o = tmp;
        size_t inleft = n, outleft = sizeof tmp - 1;
        iconv(r->cd, NULL, NULL, NULL, NULL);
        if (n > MEMBER_MAX ||
            iconv(r->cd, &in, &inleft, &o, &outleft) == (size_t)-1 || inleft)
            return NULL;
        *o = '\0';
        if (!gs__utf8_valid(tmp, (size_t)(o - tmp), 0)) return NULL;
        out = gs__arena_strdup(&r->out->strings, tmp);
    }
    if (!out) *nomem = 1;
    return out;
}

/* Decides the encoding from the head of the file when not given. */
int gs__tr_sniff_encoding(gs__tr_reader *r, const char *head, size_t n,
                          int bom) {
    const char *given = r->o->input ? r->o->input->encoding : NULL;
    if (bom) {
        if (given && !is_utf8_name(given))
            gs__warn(r->ctx,
                     "%s: the file starts with a UTF-8 byte-order mark; "
                     "reading it as UTF-8, not %s",
                     r->o->path, given);
        r->enc = ENC_UTF8;
        return GS_OK;
    }
    if (given) {
        if (is_utf8_name(given)) {
            r->enc = ENC_UTF8;
            return GS_OK;
        }
        return gs__tr_use_encoding(r, given);
    }
    if (!gs__has_high(head, n)) return GS_OK; /* decided at the end */
    if (gs__utf8_valid(head, n, 1)) {
        r->enc = ENC_UTF8;
        return GS_OK;
    }
    if (gs__gb18030_valid(head, n, 1)) {
        /* UTF-8 text is valid GB18030 byte for byte: read as GB18030, the
         * UTF-8 rows of a file that mixes both would silently become
         * other characters. */
        long line = 1, utf8_line = 0, other_line = 0;
        for (size_t a = 0, b; a < n; a = b + 1, line++) {
            for (b = a; b < n && head[b] != '\n'; b++) continue;
            if (b == n) break; /* a line cut by the end of the head */
            if (!gs__has_high(head + a, b - a)) continue;
            if (gs__utf8_valid(head + a, b - a, 0)) {
                if (!utf8_line) utf8_line = line;
            } else if (!other_line) {
                other_line = line;
            }
        }
        if (utf8_line && other_line)
            return gs__err(r->ctx, GS_ERR_INPUT_ENCODING,
                           "%s, line %ld: text is not UTF-8, but line %ld is "
                           "UTF-8: the file mixes encodings (rows pasted "
                           "from a GBK file?); save it in one encoding",
                           r->o->path, other_line, utf8_line);
        return gs__tr_use_encoding(r, "GB18030");
    }
    r->enc = ENC_UTF8; /* neither: rows with bad text are reported */
    return GS_OK;
}

int gs__tr_settle_encoding(gs__tr_reader *r, const gs__mtab *g) {
    int any = 0, all_utf8 = 1, all_gb = 1;
    for (size_t i = 0; i < g->n; i++) {
        const gs__mentry *e = &g->e[i];
        if (!gs__has_high(e->raw, e->len)) continue;
        any = 1;
        if (!gs__utf8_valid(e->raw, e->len, 0)) all_utf8 = 0;
        if (!gs__gb18030_valid(e->raw, e->len, 0)) all_gb = 0;
    }
    r->enc = ENC_UTF8;
    snprintf(r->out->encoding, sizeof r->out->encoding, "UTF-8");
    if (any && !all_utf8 && all_gb) return gs__tr_use_encoding(r, "GB18030");
    return GS_OK;
}

/* A member id for a message: its text, else its raw bytes sanitised. */
const char *gs__tr_member_text(gs__tr_reader *r, const gs__mentry *e) {
    char tmp[MEMBER_MAX + 1];
    const char *s;
    if (e->text) return e->text;
    gs__sanitize(e->raw, e->len, tmp, sizeof tmp, MEMBER_MAX);
    s = gs__arena_strdup(&r->out->strings, tmp);
    return s ? s : "";
}

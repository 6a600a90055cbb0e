/*
 * provenance.c - what a run read: each input's path, layer, feature count
 * and SHA-256, for the run metadata every output carries, so that a result
 * can be traced to the exact files it came from.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "provenance.h"

#include <cpl_vsi.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctx.h"

/* What identifies the bytes of `paths` without reading them: each path
 * with its device, inode, size and modification time (nanoseconds). NULL
 * when a path is not a plain local file (GDAL's virtual file systems, a
 * PG: source): those are summed every time. Caller frees. */
static char *files_key(const char *const *paths) {
    gs__buf b;
    gs__buf_init(&b, 0);
    for (int i = 0; paths && paths[i]; i++) {
        struct stat st;
        if (strncmp(paths[i], "/vsi", 4) == 0 || stat(paths[i], &st) != 0 ||
            !S_ISREG(st.st_mode)) {
            gs__buf_free(&b);
            return NULL;
        }
        gs__buf_printf(&b, "%s|%llu|%llu|%lld|%lld.%09ld\n", paths[i],
                       (unsigned long long)st.st_dev,
                       (unsigned long long)st.st_ino, (long long)st.st_size,
                       (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    }
    return gs__buf_steal(&b);
}

/* SHA-256 of the concatenated bytes of `paths` (unreadable ones, such as
 * a PG: source, add nothing), as 64 hex digits. Read through GDAL's
 * virtual file systems, so a member of /vsizip/... is summed as the bytes
 * OGR reads. */
int gs__sha256_paths(gs_ctx *ctx, const char *const *paths, char out[65]) {
    EVP_MD_CTX *md;
    unsigned char digest[32];
    unsigned int dlen = 0;
    char *key = files_key(paths);
    out[0] = '\0';
    /* The same unchanged files summed before on this context (validate
     * reads grids, communities and households from one GeoPackage). */
    for (int i = 0; key && i < ctx->n_sha_cache; i++)
        if (strcmp(ctx->sha_cache[i].key, key) == 0) {
            memcpy(out, ctx->sha_cache[i].hex, 65);
            free(key);
            return GS_OK;
        }
    md = EVP_MD_CTX_new();
    if (!md) {
        free(key);
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    }
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (int i = 0; paths && paths[i]; i++) {
        VSILFILE *fp = VSIFOpenL(paths[i], "rb");
        unsigned char buf[1 << 16];
        size_t n;
        if (!fp) continue;
        while ((n = VSIFReadL(buf, 1, sizeof buf, fp)) > 0)
            EVP_DigestUpdate(md, buf, n);
        VSIFCloseL(fp);
    }
    EVP_DigestFinal_ex(md, digest, &dlen);
    for (unsigned int i = 0; i < dlen && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
    EVP_MD_CTX_free(md);
    if (key) {
        /* Keep it, in place of the oldest when the cache is full. */
        int k = ctx->n_sha_cache;
        if (k == (int)(sizeof ctx->sha_cache / sizeof ctx->sha_cache[0])) {
            free(ctx->sha_cache[0].key);
            memmove(&ctx->sha_cache[0], &ctx->sha_cache[1],
                    (size_t)(k - 1) * sizeof ctx->sha_cache[0]);
            k--;
        } else {
            ctx->n_sha_cache++;
        }
        ctx->sha_cache[k].key = key;
        memcpy(ctx->sha_cache[k].hex, out, 65);
    }
    return GS_OK;
}

void gs__inputs_free(gs__inputs *in) {
    for (int i = 0; i < in->n; i++) {
        free(in->items[i].path);
        free(in->items[i].layer);
    }
    in->n = 0;
}

int gs__inputs_note_file(gs_ctx *ctx, gs__inputs *info, const char *role,
                         const char *path, const char *layer, long features) {
    gs__input_info *ii;
    if (info->n >= (int)(sizeof info->items / sizeof info->items[0]))
        return GS_OK;
    ii = &info->items[info->n];
    memset(ii, 0, sizeof *ii);
    snprintf(ii->role, sizeof ii->role, "%s", role);
    ii->path = gs__strdup(path);
    ii->layer = gs__strdup(layer ? layer : "");
    ii->features = features;
    if (!ii->path || !ii->layer) {
        free(ii->path);
        free(ii->layer);
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    }
    info->n++;
    {
        const char *paths[2] = {path, NULL};
        return gs__sha256_paths(ctx, paths, ii->sha256);
    }
}

gs__input_info *gs__inputs_find(gs__inputs *info, const char *role) {
    for (int i = info ? info->n - 1 : -1; i >= 0; i--)
        if (!strcmp(info->items[i].role, role)) return &info->items[i];
    return NULL;
}

int gs__same_file(const char *a, const char *b) {
    char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
    int same = ra && rb && strcmp(ra, rb) == 0;
    free(ra);
    free(rb);
    return same;
}

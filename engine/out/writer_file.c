/*
 * writer_file.c - output files: checked before a run, swept after a kill,
 * written atomically.
 *
 * An output path is checked before any work is done (a directory, a
 * missing or read-only folder, an input named as the output), so that a
 * long run does not fail at its end. Temporaries that killed runs left
 * beside an output (".NAME.<pid>.tmp...", pid gone) are removed by the
 * next run. A plain file (the HTML report) is written like a GeoPackage:
 * a temporary beside it, fsync'ed and renamed into place.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "provenance.h"
#include "testhook.h"
#include "tmpfiles.h"
#include "writer_int.h"

int gs__out_check_inputs(gs_ctx *ctx, const char *path,
                         const char *const *inputs, size_t n) {
    int rc = gs__out_check(ctx, path);
    for (size_t i = 0; !rc && i < n; i++)
        if (inputs[i] && gs__same_file(inputs[i], path))
            rc = gs__err(ctx, GS_ERR_USAGE,
                         "{output} %s is also an input; write the output to "
                         "another file",
                         path);
    return rc;
}

int gs__out_check(gs_ctx *ctx, const char *path) {
    int rc = gs__out_check_file(ctx, path);
    if (rc || gs__out_is_pg(path)) return rc;
    /* A GeoPackage under another name would fool every program that goes
     * by the extension (QGIS, ogr2ogr, a file manager); other formats are
     * ogr2ogr's business. */
    if (!gs__gpkg_name(path))
        return gs__err(ctx, GS_ERR_USAGE,
                       "{output} %s: outputs are GeoPackages; give a name "
                       "ending in .gpkg (or PG:... for PostgreSQL), and "
                       "convert with ogr2ogr if another format is needed",
                       path);
    return GS_OK;
}

int gs__gpkg_name(const char *path) {
    size_t n = path ? strlen(path) : 0;
    return n > 5 && path[n - 6] != '/' &&
           strcasecmp(path + n - 5, ".gpkg") == 0;
}

int gs__out_check_file(gs_ctx *ctx, const char *path) {
    struct stat st;
    char *copy, *dir;
    int rc = GS_OK;
    if (!path || !*path)
        return gs__err(ctx, GS_ERR_USAGE, "no output file given ({output})");
    if (gs__out_is_pg(path)) return GS_OK;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return gs__err(ctx, GS_ERR_IO,
                       "%s: the output is a directory; give a file name "
                       "such as %s/out.gpkg",
                       path, path);
    copy = gs__strdup(path);
    if (!copy) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    dir = dirname(copy);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        rc = gs__err(ctx, GS_ERR_IO, "%s: the directory %s does not exist",
                     path, dir);
    else if (access(dir, W_OK | X_OK) != 0)
        rc = gs__err(ctx, GS_ERR_IO, "%s: cannot write in directory %s: %s",
                     path, dir, strerror(errno));
    free(copy);
    return rc;
}

void gs__out_sweep(const char *path) {
    char *c1 = gs__strdup(path), *c2 = gs__strdup(path);
    const char *dir, *base;
    size_t blen, dlen;
    DIR *d = NULL;
    struct dirent *e;
    if (!c1 || !c2) goto done;
    dir = dirname(c1);
    base = basename(c2);
    blen = strlen(base);
    dlen = strlen(dir);
    d = opendir(dir);
    while (d && (e = readdir(d)) != NULL) {
        const char *n = e->d_name, *p;
        char *end;
        long pid;
        char victim[4096];
        if (n[0] != '.' || strncmp(n + 1, base, blen) != 0 ||
            n[1 + blen] != '.')
            continue;
        p = n + 2 + blen;
        if (*p < '0' || *p > '9') continue;
        pid = strtol(p, &end, 10);
        if (strncmp(end, ".tmp", 4) != 0 || pid <= 0) continue;
        /* Ours (a leftover with our pid) or a process that is gone. */
        if (pid != (long)getpid() &&
            (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
            continue;
        if (dlen + strlen(n) + 2 > sizeof victim) continue;
        snprintf(victim, sizeof victim, "%s/%s", dir, n);
        unlink(victim);
    }
done:
    if (d) closedir(d);
    free(c1);
    free(c2);
}

int gs__out_disk_full(gs_ctx *ctx, const char *path) {
    struct statvfs vfs;
    char *copy;
    int full = 0;
    const char *m = ctx ? ctx->libmsg : "";
    if (!path || gs__out_is_pg(path)) return 0;
    /* SQLite says "database or disk is full" when it knows; after a failed
     * page write a GeoPackage can fail later with anything ("no such
     * table"), so the device itself is asked too. */
    if (strstr(m, "disk is full") || strstr(m, "No space left") ||
        strstr(m, "SQLITE_FULL") || errno == ENOSPC)
        return 1;
    copy = gs__strdup(path);
    if (!copy) return 0;
    if (statvfs(dirname(copy), &vfs) == 0)
        full = (unsigned long long)vfs.f_bavail * vfs.f_frsize < (1u << 20);
    free(copy);
    return full;
}

int gs__out_write_failed(gs_ctx *ctx, const char *path, const char *file,
                         const char *what) {
    if (gs__out_disk_full(ctx, file ? file : path))
        return gs__err(ctx, GS_ERR_IO,
                       "%s: the disk is full: no space left to write %s "
                       "(%s); free some space and run again",
                       path, file && strcmp(file, path) ? file : "it", what);
    return gs__err_lib(ctx, GS_ERR_IO, "%s: %s", path, what);
}

int gs__out_fsync(const char *path, int dir) {
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    int rc;
    if (fd < 0) return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

int gs__out_file(gs_ctx *ctx, const char *path, const char *data, size_t len) {
    char *copy = NULL, *copy2 = NULL, *tmp = NULL;
    FILE *fp = NULL;
    size_t n;
    int rc = gs__out_check_file(ctx, path);
    if (rc) return rc;
    copy = gs__strdup(path);
    copy2 = gs__strdup(path);
    n = strlen(path) + 64;
    tmp = gs__malloc(n);
    if (!copy || !copy2 || !tmp) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    snprintf(tmp, n, "%s/.%s.%ld.tmp", dirname(copy), basename(copy2),
             (long)getpid());
    gs__out_sweep(path); /* leftovers of earlier killed runs */
    gs__tmp_add(tmp);    /* removed on SIGINT or SIGTERM */
    fp = fopen(tmp, "wb");
    if (!fp || fwrite(data, 1, len, fp) != len || fflush(fp) != 0 ||
        fsync(fileno(fp)) != 0) {
        rc = gs__err(ctx, GS_ERR_IO,
                     "%s: cannot write (its temporary file "
                     "%s): %s",
                     path, tmp, strerror(errno));
        goto done;
    }
    if (fclose(fp) != 0) {
        fp = NULL;
        rc = gs__err(ctx, GS_ERR_IO, "%s: cannot write: %s", tmp,
                     strerror(errno));
        goto done;
    }
    fp = NULL;
    gs__crash_point("file.rename");
    if (rename(tmp, path) != 0) {
        rc = gs__err(ctx, GS_ERR_IO,
                     "%s: cannot move the output into "
                     "place: %s",
                     path, strerror(errno));
        goto done;
    }
    gs__crash_point("file.renamed");
    free(copy);
    copy = gs__strdup(path);
    if (copy) gs__out_fsync(dirname(copy), 1); /* best effort: the rename */
done:
    if (fp) fclose(fp);
    if (rc && tmp) unlink(tmp);
    gs__tmp_forget(tmp);
    free(copy);
    free(copy2);
    free(tmp);
    return rc;
}

/*
 * pgcopy.c - a query's rows out of PostgreSQL through COPY: as CSV, or as
 * binary rows handed to a callback.
 *
 * OGR reads a PostgreSQL table feature by feature: a cursor fetch, text or
 * hex WKB per value, an OGRFeature and an OGRGeometry per row. For a
 * shard's week of GPS fixes (some eleven million rows) that costs about
 * 60 s, against 6 s for the same rows as CSV. So traces.c asks the server
 * for them as CSV instead (COPY (SELECT ...) TO STDOUT, the server's bulk
 * path) and streams the bytes into a file its CSV reader then parses like
 * any other: same columns, same checks, same bad-row reports. Readers
 * that fill the model directly (households) take binary rows instead
 * (COPY ... WITH (FORMAT binary)): no text formatting on the server, no
 * parsing but lengths and bytes here, the geometry as WKB.
 *
 * The connection string is OGR's ("PG:dbname=... host=... active_schema=
 * prov"); libpq is given its own keywords, and OGR's schema options
 * become the session's search_path, so a layer name resolves as OGR
 * resolved it.
 */
#define _POSIX_C_SOURCE 200809L
#include "pgcopy.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Splits OGR's connection string (after "PG:") into libpq's keywords
 * (appended to `conninfo`) and the search path OGR's active_schema and
 * schemas options ask for (into `path`, comma-separated, quoted as
 * identifiers). Values may be single-quoted, as in libpq. */
static int split_conn(const char *s, gs__buf *conninfo, gs__buf *path) {
    while (*s) {
        const char *start, *eq;
        int quoted = 0;
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) break;
        start = s;
        while (*s && (quoted || (*s != ' ' && *s != '\t'))) {
            if (*s == '\\' && s[1]) {
                s += 2;
                continue;
            }
            if (*s == '\'') quoted = !quoted;
            s++;
        }
        eq = memchr(start, '=', (size_t)(s - start));
        if (eq && ((eq - start == 13 && !strncmp(start, "active_schema", 13)) ||
                   (eq - start == 7 && !strncmp(start, "schemas", 7)))) {
            /* Schema names: letters, digits, '_' (anything else is
             * refused rather than quoted wrongly). */
            const char *v = eq + 1, *e = s;
            if (e > v && *v == '\'') v++, e--;
            while (v < e) {
                const char *c = memchr(v, ',', (size_t)(e - v));
                const char *end = c ? c : e;
                if (end > v) {
                    for (const char *q = v; q < end; q++)
                        if (!(*q == '_' || (*q >= 'a' && *q <= 'z') ||
                              (*q >= 'A' && *q <= 'Z') ||
                              (*q >= '0' && *q <= '9')))
                            return -1;
                    gs__buf_printf(path, "%s\"%.*s\"", path->len ? ", " : "",
                                   (int)(end - v), v);
                }
                v = end + 1;
            }
        } else if (eq && ((eq - start == 6 && !strncmp(start, "tables", 6)) ||
                          (eq - start == 15 &&
                           !strncmp(start, "list_all_tables", 15)))) {
            /* OGR's own options: nothing for libpq. */
        } else {
            gs__buf_printf(conninfo, "%s%.*s", conninfo->len ? " " : "",
                           (int)(s - start), start);
        }
    }
    return 0;
}

/* Writes all of `n` bytes to fd. */
static int write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Connects to the database of OGR connection string `conn`, with text as
 * UTF-8, times in ISO 8601 UTC, floats exact, and OGR's schemas ahead of
 * the search path. GS_ERR_INPUT_OPEN (the server's message), NOMEM. */
static int pg_open(gs_ctx *ctx, const char *conn, const char *what,
                   PGconn **out) {
    gs__buf ci, path, sql;
    PGconn *pc = NULL;
    PGresult *res = NULL;
    int rc = GS_OK;

    *out = NULL;
    gs__buf_init(&ci, 0);
    gs__buf_init(&path, 0);
    gs__buf_init(&sql, 0);
    if (strncmp(conn, "PG:", 3) != 0 || split_conn(conn + 3, &ci, &path) != 0) {
        rc = gs__err(ctx, GS_ERR_INPUT_OPEN,
                     "%s: cannot read the connection's schema options", what);
        goto done;
    }
    if (ci.failed || path.failed) goto nomem;
    pc = PQconnectdb(ci.len ? ci.data : "");
    if (!pc || PQstatus(pc) != CONNECTION_OK) {
        rc = gs__err(ctx, GS_ERR_INPUT_OPEN, "%s: cannot connect: %s", what,
                     pc ? PQerrorMessage(pc) : "out of memory");
        goto done;
    }
    /* Text as UTF-8, times as ISO 8601 in UTC (a timestamptz reads
     * "2026-11-16 00:30:00+00"; a timestamp without zone stays local),
     * floats in their shortest exact form. */
    gs__buf_puts(&sql,
                 "SET client_encoding = 'UTF8'; SET DateStyle = 'ISO'; "
                 "SET TimeZone = 'UTC'; SET extra_float_digits = 1");
    /* Ahead of the server's path, which holds PostGIS's functions. */
    if (path.len)
        gs__buf_printf(&sql,
                       "; SELECT set_config('search_path', '%s, ' || "
                       "current_setting('search_path'), false)",
                       path.data);
    if (sql.failed) goto nomem;
    res = PQexec(pc, sql.data);
    if (PQresultStatus(res) != PGRES_COMMAND_OK &&
        PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = gs__err(ctx, GS_ERR_INPUT_OPEN, "%s: %s", what,
                     PQresultErrorMessage(res));
        goto done;
    }
    *out = pc;
    pc = NULL;
    goto done;
nomem:
    rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
done:
    if (res) PQclear(res);
    if (pc) PQfinish(pc);
    gs__buf_free(&ci);
    gs__buf_free(&path);
    gs__buf_free(&sql);
    return rc;
}

/* Starts `COPY (select) TO STDOUT WITH (options)`. */
static int copy_start(gs_ctx *ctx, PGconn *pc, const char *select,
                      const char *options, const char *what) {
    gs__buf sql;
    PGresult *res;
    int rc = GS_OK;
    gs__buf_init(&sql, 0);
    gs__buf_printf(&sql, "COPY (%s) TO STDOUT WITH (%s)", select, options);
    if (sql.failed) {
        gs__buf_free(&sql);
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    }
    res = PQexec(pc, sql.data);
    if (PQresultStatus(res) != PGRES_COPY_OUT)
        rc = gs__err(ctx, GS_ERR_INPUT_OPEN, "%s: %s", what,
                     PQresultErrorMessage(res));
    PQclear(res);
    gs__buf_free(&sql);
    return rc;
}

/* After the last row: the COPY's own result. */
static int copy_finish(gs_ctx *ctx, PGconn *pc, int n, const char *what) {
    PGresult *res = PQgetResult(pc);
    int rc = GS_OK;
    if (n == -2 || PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = gs__err(ctx, GS_ERR_INPUT_OPEN, "%s: reading stopped: %s", what,
                     PQerrorMessage(pc));
    if (res) PQclear(res);
    return rc;
}

/* Rows are gathered into writes of this size: one write per row (eleven
 * million of them for a district's week of fixes) cost 17 s of system
 * time. */
#define COPY_WRITE_BYTES (1 << 20)

int gs__pg_copy_csv(gs_ctx *ctx, const char *conn, const char *select, int fd,
                    const char *what) {
    PGconn *pc = NULL;
    char *out = gs__malloc(COPY_WRITE_BYTES);
    size_t used = 0;
    int rc, n = 0, w = 0;
    char *row;

    if (!out) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    if ((rc = pg_open(ctx, conn, what, &pc)) ||
        (rc = copy_start(ctx, pc, select, "FORMAT csv, HEADER", what)))
        goto done;
    while ((n = PQgetCopyData(pc, &row, 0)) > 0) {
        if (used + (size_t)n > COPY_WRITE_BYTES) {
            w = write_all(fd, out, used);
            used = 0;
        }
        if (!w && (size_t)n > COPY_WRITE_BYTES)
            w = write_all(fd, row, (size_t)n);
        else if (!w) {
            memcpy(out + used, row, (size_t)n);
            used += (size_t)n;
        }
        PQfreemem(row);
        if (w) break;
    }
    if (!w && used) w = write_all(fd, out, used);
    if (w) {
        rc = gs__err(ctx, GS_ERR_IO,
                     "%s: cannot keep the rows in a "
                     "temporary file: %s",
                     what, strerror(errno));
        goto done;
    }
    rc = copy_finish(ctx, pc, n, what);
done:
    if (pc) PQfinish(pc);
    free(out);
    return rc;
}

/* ---- binary COPY ----------------------------------------------------------
 */

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

/* The most columns a row of ours has. */
#define ROW_MAX_COLS 16

/* Parses the complete rows at the start of p[0..n) (binary COPY format:
 * after the header, per row a 16-bit column count, then per column a
 * 32-bit length, -1 for NULL, and the bytes; a count of -1 ends the
 * data), calling fn for each with NUL-terminated copies of text values
 * in `scratch`. *used: the bytes consumed. *ended at the trailer. -1 on
 * a malformed stream, else fn's first non-zero return or 0. */
static int parse_rows(const unsigned char *p, size_t n, size_t *used,
                      int *ended, int *header_done, gs__buf *scratch,
                      gs__pg_row_fn fn, void *user) {
    size_t off = 0;
    *used = 0;
    if (!*header_done) {
        uint32_t ext;
        if (n < 19) return 0;
        if (memcmp(p, "PGCOPY\n\377\r\n\0", 11) != 0) return -1;
        ext = be32(p + 15);
        if (n < 19 + (size_t)ext) return 0;
        off = 19 + ext;
        *header_done = 1;
        *used = off;
    }
    while (off + 2 <= n) {
        int16_t nc = (int16_t)((uint16_t)p[off] << 8 | p[off + 1]);
        size_t o = off + 2, starts[ROW_MAX_COLS];
        int32_t lens[ROW_MAX_COLS];
        const char *vals[ROW_MAX_COLS];
        int rc;
        if (nc == -1) {
            *ended = 1;
            *used = off + 2;
            return 0;
        }
        if (nc < 0 || nc > ROW_MAX_COLS) return -1;
        for (int i = 0; i < nc; i++) {
            if (o + 4 > n) return 0;
            lens[i] = (int32_t)be32(p + o);
            o += 4;
            starts[i] = o;
            if (lens[i] > 0) {
                if ((size_t)lens[i] > n - o) return 0;
                o += (size_t)lens[i];
            } else if (lens[i] < -1) {
                return -1;
            }
        }
        /* A whole row: its values, text NUL-terminated. */
        scratch->len = 0;
        for (int i = 0; i < nc; i++)
            if (lens[i] >= 0) {
                gs__buf_add(scratch, (const char *)p + starts[i],
                            (size_t)lens[i]);
                gs__buf_add(scratch, "", 1);
            }
        if (scratch->failed) return -2;
        {
            size_t so = 0;
            for (int i = 0; i < nc; i++) {
                if (lens[i] < 0) {
                    vals[i] = NULL;
                    continue;
                }
                vals[i] = scratch->data + so;
                so += (size_t)lens[i] + 1;
            }
        }
        rc = fn(user, nc, vals, lens);
        off = o;
        *used = off;
        if (rc) return rc;
    }
    return 0;
}

int gs__pg_copy_rows(gs_ctx *ctx, const char *conn, const char *select,
                     gs__pg_row_fn fn, void *user, const char *what) {
    PGconn *pc = NULL;
    gs__buf pend, scratch;
    int rc, n = 0, ended = 0, header = 0;
    char *chunk;

    gs__buf_init(&pend, 0);
    gs__buf_init(&scratch, 0);
    if ((rc = pg_open(ctx, conn, what, &pc)) ||
        (rc = copy_start(ctx, pc, select, "FORMAT binary", what)))
        goto done;
    while ((n = PQgetCopyData(pc, &chunk, 0)) > 0) {
        const unsigned char *p = (const unsigned char *)chunk;
        size_t len = (size_t)n, used = 0;
        int prc;
        /* Each message is a whole row as the server sends them; a row
         * split across messages waits in `pend`. */
        if (pend.len) {
            gs__buf_add(&pend, chunk, (size_t)n);
            PQfreemem(chunk);
            chunk = NULL;
            if (pend.failed) goto nomem;
            p = (const unsigned char *)pend.data;
            len = pend.len;
        }
        prc = ended ? 0
                    : parse_rows(p, len, &used, &ended, &header, &scratch, fn,
                                 user);
        if (prc == -2) {
            if (chunk) PQfreemem(chunk);
            goto nomem;
        }
        if (prc == -1) {
            if (chunk) PQfreemem(chunk);
            rc = gs__err(ctx, GS_ERR_INPUT_OPEN,
                         "%s: the server's rows are not in the binary "
                         "COPY format",
                         what);
            goto done;
        }
        if (prc) {
            if (chunk) PQfreemem(chunk);
            rc = prc;
            goto done;
        }
        if (chunk) {
            if (used < len) gs__buf_add(&pend, chunk + used, len - used);
            PQfreemem(chunk);
        } else if (used) {
            memmove(pend.data, pend.data + used, pend.len - used);
            pend.len -= used;
        }
        if (pend.failed) goto nomem;
    }
    rc = copy_finish(ctx, pc, n, what);
    if (!rc && (!ended || pend.len))
        rc = gs__err(ctx, GS_ERR_INPUT_OPEN, "%s: reading stopped inside a row",
                     what);
    goto done;
nomem:
    rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
done:
    if (pc) PQfinish(pc);
    gs__buf_free(&pend);
    gs__buf_free(&scratch);
    return rc;
}

void gs__pg_ident(gs__buf *b, const char *name, int split_dot) {
    const char *dot = split_dot ? strchr(name, '.') : NULL;
    if (dot) {
        gs__buf_printf(b, "\"%.*s\".", (int)(dot - name), name);
        name = dot + 1;
    }
    gs__buf_quote(b, name, '"');
}

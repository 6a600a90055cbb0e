/*
 * pgcopy.h - a query's rows out of PostgreSQL, as CSV or binary rows
 * (pgcopy.c).
 */
#ifndef GS_PGCOPY_H
#define GS_PGCOPY_H

#include <stdint.h>

#include "ctx.h"

/* Runs `select` (one SELECT statement) on the database of OGR connection
 * string `conn` ("PG:dbname=... active_schema=..."; OGR's schema options
 * become the search path) and writes its rows to `fd` as CSV with a
 * header line: UTF-8, times in ISO 8601 (timestamptz in UTC with "+00").
 * `what` names the source in messages. GS_ERR_INPUT_OPEN when the
 * database refuses (the server's message is kept), GS_ERR_IO when fd
 * cannot be written, GS_ERR_NOMEM. */
int gs__pg_copy_csv(gs_ctx *ctx, const char *conn, const char *select, int fd,
                    const char *what);

/* A row of a binary COPY: n values, each NUL-terminated bytes (NULL for
 * an SQL NULL), len[i] bytes long; borrowed until the call returns.
 * Returns 0 to go on, or a GS_ERR_* code (with the context's error set)
 * to stop. */
typedef int (*gs__pg_row_fn)(void *user, int n, const char *const *val,
                             const int32_t *len);

/* Runs `select` as gs__pg_copy_csv does, fetching its rows with binary
 * COPY (the server's bulk path: values in their binary form, no text
 * formatting) and handing each to `fn` in order. Texts come as UTF-8,
 * float8 as 8 big-endian bytes, int8 likewise (cast in the SELECT to
 * what the caller parses). GS_ERR_INPUT_OPEN when the database refuses
 * or the stream breaks (the server's message kept), GS_ERR_NOMEM, or fn's
 * code. At most 16 columns. */
int gs__pg_copy_rows(gs_ctx *ctx, const char *conn, const char *select,
                     gs__pg_row_fn fn, void *user, const char *what);

/* Appends `name` as an SQL identifier; with split_dot, "schema.table" as
 * two (OGR names a table outside the search path so). */
void gs__pg_ident(gs__buf *b, const char *name, int split_dot);

#endif /* GS_PGCOPY_H */

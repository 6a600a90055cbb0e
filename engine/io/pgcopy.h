/*
 * pgcopy.h - a query's rows out of PostgreSQL as CSV (pgcopy.c).
 */
#ifndef GS_PGCOPY_H
#define GS_PGCOPY_H

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

#endif /* GS_PGCOPY_H */

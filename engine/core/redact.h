/*
 * redact.h - keeping passwords out of everything the engine writes or says
 * (redact.c).
 *
 * A connection string may carry a password ("PG:dbname=grid host=db
 * password=s3cret", "postgresql://u:s3cret@db/grid"), and so may the
 * environment (PGPASSWORD) and libpq's files (a service file's
 * `password=`, ~/.pgpass). The engine names its inputs and outputs in
 * messages, in run_metadata, in the ledger's `runs` and in the report, so
 * each of those goes through gs__redact: one function, one rule, used by
 * every sink (error.c, report.c, writer_meta.c, ledger.c, the report's
 * footer) and by the CLI through gs_redact().
 */
#ifndef GS_REDACT_H
#define GS_REDACT_H

#include <json-c/json.h>
#include <stddef.h>

/* What a secret becomes. */
#define GS__REDACTED "***"

/* A copy of `text` with every secret replaced by GS__REDACTED: the value
 * of a `password` key (key=value, quoted or not; a URI's ?password=),
 * the password of a URI's user:password@, and any known secret (the
 * PGPASSWORD environment variable, the passwords of the service files
 * and of the password file libpq reads, and passwords met in earlier
 * texts) wherever it appears. NULL only when `text` is NULL or memory
 * runs out. The caller frees it. Thread-safe. */
char *gs__redact(const char *text);

/* gs__redact in place: `buf` (NUL-terminated, `size` bytes) is replaced
 * by its redacted text, cut to fit. Without memory the whole text is
 * replaced by GS__REDACTED rather than left as it was. */
void gs__redact_buf(char *buf, size_t size);

/* Redacts every string of a json-c tree in place (object values, array
 * items). 0, or -1 when out of memory (the tree may be partly
 * redacted). */
int gs__redact_json(json_object *obj);

#endif /* GS_REDACT_H */

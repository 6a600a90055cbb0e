/*
 * tmpfiles.h - the run's temporary files, for a signal handler to remove.
 *
 * Every writer makes its output in a temporary file beside it and renames
 * it into place. A run interrupted by SIGINT or SIGTERM must not leave
 * those behind: each is registered here while it exists, and
 * gs_interrupted() (gridsmith.h), which the command's signal handler
 * calls, unlinks them with async-signal-safe calls only. A step that must
 * finish or roll back first (the ledger's transaction) defers the
 * interruption: the handler then only notes the signal, the step sees it
 * with gs__tmp_pending() and stops, and gs__tmp_defer_end() delivers the
 * signal again once it is safe.
 */
#ifndef GS_CORE_TMPFILES_H
#define GS_CORE_TMPFILES_H

/* Registers `path` (and its SQLite side files -journal, -wal, -shm) for
 * removal on an interruption. Best effort: a path too long or a full
 * table is not registered (a later run's sweep removes it). */
void gs__tmp_add(const char *path);

/* Forgets `path` (renamed into place, or removed). */
void gs__tmp_forget(const char *path);

/* Defers an interruption until the matching gs__tmp_defer_end. Nests. */
void gs__tmp_defer_begin(void);

/* Ends a deferral; when the last one ends and a signal arrived meanwhile,
 * raises it again (the command's handler then cleans up and ends the
 * process). */
void gs__tmp_defer_end(void);

/* The signal number of an interruption that arrived during a deferral,
 * or 0: a long deferred step checks it and stops. */
int gs__tmp_pending(void);

#endif

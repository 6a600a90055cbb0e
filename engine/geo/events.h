/*
 * events.h - reported events in memory (read by io/read_events.c, analysed by
 * hotspot.c).
 *
 * An event is a point where a grid member found something (a sanitation
 * problem, a street stall, a dispute...), with its category in Chinese,
 * when it was reported and resolved, and how (docs/design.md, "Input
 * contract"). The reader checks every row; a row that cannot be used (no point,
 * a time it cannot read, an unknown status, a duplicate event_id...) is kept in
 * `bad` with its feature or line, the field and the reason, never dropped
 * silently, and never stops the run.
 */
#ifndef GS_EVENTS_H
#define GS_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* gs__event.resolved_ms when the event has no resolution time. */
#define GS__NO_TIME INT64_MIN

typedef enum gs__ev_status {
    GS__EV_OPEN = 0,
    GS__EV_RESOLVED = 1,      /* reported up and resolved */
    GS__EV_SELF_RESOLVED = 2, /* handled on the spot by the member */
    GS__EV_UNKNOWN = 3        /* no status recorded: never open or overdue */
} gs__ev_status;

/* One usable event. Strings live in the events' arena; never NULL. */
typedef struct gs__event {
    const char *id;        /* event_id ("" when empty) */
    const char *category;  /* as given; "" when empty */
    const char *grid_code; /* as given; "" when empty */
    double x, y;           /* metric */
    int64_t reported_ms;   /* UTC */
    int64_t resolved_ms;   /* UTC, or GS__NO_TIME */
    int32_t day;           /* local day of reported_at (days since 1970) */
    int status;            /* gs__ev_status */
    gs__origin origin;
} gs__event;

/* A row that could not be used. Strings in the arena or static. */
typedef struct gs__evbad {
    gs__origin origin;
    const char *event_id; /* as read, "" when empty or unreadable */
    const char *field;    /* "reported_at", "geometry"... */
    const char *reason;
} gs__evbad;

typedef struct gs__events {
    gs__event *v;
    size_t n;
    gs__evbad *bad;
    size_t n_bad, cap_bad;
    gs__arena strings;
    char layer[256]; /* the layer read */
    int is_csv;      /* origins are CSV lines */
    /* The layer has no status field: events with a resolved_at are
     * resolved, the others GS__EV_UNKNOWN (n_unknown of them). */
    int no_status;
    size_t n_unknown;
} gs__events;

/* Frees what a reader filled and zeroes it. Accepts NULL. */
void gs__events_free(gs__events *ev);

#endif /* GS_EVENTS_H */

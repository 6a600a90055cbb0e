/*
 * traces_int.h - what the files of the trace reader share (traces.c,
 * traces_fields.c, traces_part.c, traces_encoding.c, traces_csv.c,
 * traces_csvpart.c, traces_ogr.c, traces_pg.c, traces_convert.c).
 *
 * A week of traces for a city is some eleven million rows (700 MB of CSV),
 * so the CSV path avoids OGR's per-feature objects and streams the bytes
 * through libcsv (an RFC 4180 parser: quotes, embedded delimiters and
 * newlines, CRLF) with per-field callbacks that parse each value where it
 * lies, without copying rows:
 *
 *   file --pread 1 MiB--> libcsv --field--> time (datetime.h), numbers (a
 *   hand-written decimal parser with strtod as the fallback), member id
 *   (interned by its raw bytes) --row end--> a 40-byte gs__fix, or a bad
 *   row with its line, field and reason
 *
 * Large files are cut into one part per core at line starts and parsed in
 * parallel, each part with its own parser, zone cache, member table and
 * arrays (traces_csv.c). Other formats are read feature by feature
 * through OGR into the same part structure (traces_ogr.c); a PostGIS
 * table of points is fetched with COPY into a temporary CSV
 * (traces_pg.c). The parts are then merged in file order (traces.c),
 * their member ids decoded (traces_encoding.c), and the fixes converted
 * to WGS84 and checked (traces_convert.c). No row is dropped silently:
 * every unusable one is in `bad`, sorted by line.
 *
 * traces.h is the interface of the reader; this header is for its files
 * only.
 */
#ifndef GS_IO_TRACES_INT_H
#define GS_IO_TRACES_INT_H

#include <gdal.h>
#include <iconv.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdint.h>

#include "csvread.h"
#include "traces.h"

#define CHUNK ((size_t)1 << 20)           /* read size, and the sniffed head */
#define MEMBER_MAX 255                    /* bytes of a member id */
#define AUTO_PART_MIN ((int64_t)32 << 20) /* bytes per part, automatic */
#define MAX_PARTS 4
#define NO_ENTRY UINT32_MAX
#define BAD_MEMBER_FLAG UINT32_C(0x80000000)

/* The text encoding of the member ids (gs__tr_reader.enc). */
enum { ENC_UNDECIDED = 0, ENC_UTF8, ENC_ICONV };

/* ---- member tables (traces_part.c) -------------------------------------- */

/* Member ids are interned by their raw bytes: each part has its own table
 * (local entries), merged into one (global entries) at the end. */
typedef struct gs__mentry {
    const char *raw; /* NUL-terminated bytes as in the file */
    uint32_t len;
    uint32_t hash;
    uint32_t order;   /* local: order of the first usable fix; global: the
                       * member index; NO_ENTRY when none */
    const char *text; /* global: decoded UTF-8, or NULL if undecodable */
} gs__mentry;

typedef struct gs__mtab {
    uint32_t *slot; /* entry index + 1; 0 is empty */
    size_t nslot;   /* a power of two */
    gs__mentry *e;
    size_t n, cap;
} gs__mtab;

/* The entry of `s` (n bytes, n <= MEMBER_MAX), added if new with its bytes
 * copied to `arena` (or borrowed when `arena` is NULL: the caller keeps
 * them alive). -1 when out of memory. */
int gs__mtab_intern(gs__mtab *t, gs__arena *arena, const char *s, size_t n,
                    uint32_t *out);
void gs__mtab_free(gs__mtab *t);

/* ---- parts: what one reader thread (or the OGR reader) produces --------- */

/* The fields of a trace row; R_NONE for a column we do not read. */
enum { R_NONE = 0, R_MEMBER, R_TIME, R_LON, R_LAT, R_ACC, R_COUNT };

/* Our name of each field ("member_id", "time"...; "" for R_NONE). */
extern const char *const gs__tr_role_field[R_COUNT];

/* Where the fields are in a CSV's columns. */
typedef struct gs__tr_cols {
    size_t n;            /* header columns */
    unsigned char *role; /* per column */
    int idx[R_COUNT];    /* per role: column, or -1 */
} gs__tr_cols;

typedef struct gs__tr_rawbad {
    uint32_t line;
    uint32_t entry; /* local member entry, or NO_ENTRY */
    const char *field;
    const char *reason; /* static, or in the part's arena */
    int64_t t_ms;
} gs__tr_rawbad;

typedef struct gs__tr_part {
    /* setup */
    int fd;
    int64_t start, end; /* byte range of a CSV part */
    unsigned char delim;
    const gs__tr_cols *cols;
    gs__tz *tz;
    int own_tz;
    int check_range;  /* lon/lat are degrees: check their range here */
    gs_ctx *progress; /* set on the part the calling thread runs */
    /* results */
    gs__fix *fix; /* member = local entry; line relative to the part */
    size_t n_fix, cap_fix;
    gs__tr_rawbad *bad;
    size_t n_bad, cap_bad;
    gs__mtab members;
    uint32_t *good; /* entries in order of their first usable fix */
    size_t n_good, cap_good;
    gs__arena arena;
    size_t n_blank;
    uint32_t breaks; /* line breaks read */
    int rc;
    char err[240];
    int ended_mid_row;
    /* the row being read */
    gs__csvlines lines;
    struct {
        int64_t t;
        double lon, lat;
        float acc;
        size_t nonempty;
        unsigned errs; /* bit per role */
        size_t member_len;
        int member_long;
        char member[MEMBER_MAX + 1];
        char why[R_COUNT][128];
    } row;
    uint32_t last_entry; /* a shortcut: rows often repeat the member */
} gs__tr_part;

void gs__tr_part_init(gs__tr_part *p);
void gs__tr_part_free(gs__tr_part *p);

/* Records "out of memory" as the part's failure, unless it has one. */
void gs__tr_part_nomem(gs__tr_part *p);

/* Records a bad row; `reason` is copied to the part's arena when `copy`
 * (else it must be static). Out of memory is recorded in the part. */
void gs__tr_add_bad(gs__tr_part *p, uint32_t line, uint32_t entry,
                    const char *field, const char *reason, int copy, int64_t t);

/* Records a usable fix (f->member a local entry), noting the member's
 * first usable fix. Out of memory is recorded in the part. */
void gs__tr_add_fix(gs__tr_part *p, const gs__fix *f);

/* The member's local entry, or NO_ENTRY (out of memory is recorded). */
uint32_t gs__tr_intern_member(gs__tr_part *p, const char *s, size_t n);

/* Checks a position in degrees; NULL when fine, else the field ("lon" or
 * "lat") and a reason in buf. */
const char *gs__tr_check_degrees(double lon, double lat, char *buf,
                                 size_t size);

/* ---- the read as a whole ------------------------------------------------ */

/* How the coordinates are converted to WGS84 ({trace_crs}). */
enum { CRS_WGS84 = 0, CRS_GCJ02, CRS_BD09, CRS_OGR };

typedef struct gs__tr_reader {
    gs_ctx *ctx;
    const gs__trace_opts *o;
    gs__traces *out;
    int crs_mode;
    OGRSpatialReferenceH srs; /* the coordinates' CRS for CRS_OGR */
    int enc;                  /* ENC_* */
    iconv_t cd;               /* for ENC_ICONV */
    gs__tr_part *parts;
    int n_parts;
    uint32_t first_line; /* absolute line of each part's relative line 1 */
} gs__tr_reader;

/* The global member table and each part's local -> global map. */
typedef struct gs__tr_merged {
    gs__mtab g;
    uint32_t **map;
    int n_map;
} gs__tr_merged;

/* Frees the parts and zeroes r->parts, r->n_parts. */
void gs__tr_free_parts(gs__tr_reader *r);

/* traces_fields.c: finds the column of each field among `names`
 * (case-insensitive): the {fields} mapping, else the aliases (lng,
 * longitude, 经度; timestamp, 时间...). `what` is "column" or "field".
 * Missing required ones are GS_ERR_INPUT_FIELD naming `where`, the field
 * and the columns present. */
int gs__tr_resolve_cols(gs__tr_reader *r, const char *where, const char *what,
                        const char *const *names, size_t n, int need_member,
                        int need_lonlat, int idx[R_COUNT]);

/* traces_fields.c: the field names of layer `lyr` (*out_names,
 * NULL-terminated, borrowed from the layer; free the array) and the
 * columns of the roles (idx), as gs__tr_resolve_cols finds them. */
int gs__tr_layer_cols(gs__tr_reader *r, OGRLayerH lyr, const char *where,
                      int need_member, const char ***out_names, int *out_n,
                      int idx[R_COUNT]);

/* traces_encoding.c: decides the encoding of a CSV from its head (`bom`:
 * it starts with a UTF-8 byte-order mark), unless {encoding} gives it;
 * undecided when the head is ASCII. GS_ERR_INPUT_ENCODING for a file
 * that mixes UTF-8 and GB18030 lines, GS_ERR_USAGE. */
int gs__tr_sniff_encoding(gs__tr_reader *r, const char *head, size_t n,
                          int bom);

/* traces_encoding.c: opens the decoder for `name` (an iconv encoding
 * name). GS_ERR_USAGE when iconv does not know it. */
int gs__tr_use_encoding(gs__tr_reader *r, const char *name);

/* traces_encoding.c: decides an encoding still undecided at the end from
 * the distinct member ids of `g`: GB18030 when their non-ASCII ones are
 * all GB18030 but not all UTF-8, else UTF-8. */
int gs__tr_settle_encoding(gs__tr_reader *r, const gs__mtab *g);

/* traces_encoding.c: decodes member or column text into the traces'
 * arena; NULL when it is not valid in the encoding (or out of memory:
 * *nomem set). */
const char *gs__tr_decode(gs__tr_reader *r, const char *s, size_t n,
                          int *nomem);

/* traces_encoding.c: a member id for a message: its text, else its raw
 * bytes sanitised. */
const char *gs__tr_member_text(gs__tr_reader *r, const gs__mentry *e);

/* traces_csvpart.c: parses the part's byte range; results and failures
 * stay in the part. A gs__parallel job. */
void *gs__tr_part_run(void *part);

/* The readers of each kind of source, filling r->parts. */
int gs__tr_read_csv(gs__tr_reader *r); /* traces_csv.c */
int gs__tr_read_ogr(gs__tr_reader *r); /* traces_ogr.c */
int gs__tr_read_pg(gs__tr_reader *r);  /* traces_pg.c */

/* traces_ogr.c: the layer to read: {layers} traces=NAME, a layer named
 * "traces", for GPX the first non-empty of track_points, route_points,
 * waypoints, else the only layer. GS_ERR_INPUT_OPEN listing the layers. */
int gs__tr_pick_layer(gs__tr_reader *r, GDALDatasetH ds, int gpx,
                      OGRLayerH *out);

/* traces_convert.c: transforms the fixes from r->srs to WGS84 in batches;
 * a point PROJ cannot transform becomes NaN. */
int gs__tr_transform_fixes(gs__tr_reader *r);

/* traces_convert.c: moves fixes that turn out unusable after merging
 * (undecodable member, untransformable or out-of-range position) to bad
 * rows, keeping both lists in line order, and drops members left without
 * fixes. */
int gs__tr_check_fixes(gs__tr_reader *r, gs__tr_merged *mg);

/* traces_convert.c: GCJ-02 / BD-09 -> WGS84, split over the cores. */
void gs__tr_invert_fixes(gs__tr_reader *r);

#endif /* GS_IO_TRACES_INT_H */

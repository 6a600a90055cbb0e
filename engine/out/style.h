/*
 * style.h - QGIS styles for gridsmith's output layers (internal).
 *
 * Every layer gridsmith writes carries a QGIS style (QML) in the GeoPackage's
 * `layer_styles` table, so that an analyst who opens the file in QGIS sees
 * coloured categories, legends in Chinese and English, and Chinese field
 * aliases without touching a setting. This header builds those documents; the
 * writer (io) stores them. See style.c for how.
 */
#ifndef GS_STYLE_H
#define GS_STYLE_H

#include <stddef.h>

#include "schema.h"

/**
 * Chinese alias for an output field name (e.g. "grid_code" -> "网格编码").
 *
 * @param field  the field name as written to the output; may be NULL.
 * @return the alias, or NULL when none is known (or field is NULL). The
 *         string is static and borrowed: never free it.
 *
 * Thread safety: safe from any thread (reads constant tables only).
 */
const char *gs__style_alias(const char *field);

/**
 * Builds the QGIS 3.22 QML style document for one output layer.
 *
 * The document holds the renderer for the layer (categorized for the layers
 * gridsmith knows, e.g. `grids` on `status`; a single symbol of the geometry
 * kind otherwise; none for an attribute table), labels where useful, an
 * `<alias>` for every field that has a Chinese alias, and a display
 * expression. Every inserted text is XML-escaped and made valid UTF-8.
 *
 * Aliases carry `index` = position + 1, because QGIS's GeoPackage provider
 * shows the FID column as field 0 (QGIS itself matches aliases by name).
 *
 * @param layer    the output layer name; NULL is taken as an unknown layer.
 * @param geom     the layer's geometry kind; out-of-range values are taken
 *                 as GS__GEOM_NONE.
 * @param fields   the layer's field names in order, without the FID column;
 *                 may be NULL when nfields is 0 (a NULL array is taken as no
 *                 fields); a NULL entry is skipped but keeps its position.
 * @param nfields  the number of entries in fields.
 * @return a newly allocated NUL-terminated UTF-8 string, or NULL when out of
 *         memory or when the document would exceed the hard maximum of
 *         4 MiB (only with absurd field lists). Ownership: the caller frees
 *         it with free().
 *
 * Thread safety: safe from any thread (no shared mutable state).
 */
char *gs__style_qml(const char *layer, gs__geom_kind geom,
                    const char *const *fields, size_t nfields);

/**
 * As gs__style_qml, with per-field aliases that take the place of the
 * built-in ones: aliases[i] for fields[i], or NULL to keep the built-in
 * alias. `aliases` itself may be NULL (then exactly gs__style_qml).
 * Ownership and thread safety as gs__style_qml.
 */
char *gs__style_qml_aliased(const char *layer, gs__geom_kind geom,
                            const char *const *fields,
                            const char *const *aliases, size_t nfields);

/**
 * The style document of a layer created from its schema `s`: the schema's
 * renderer and geometry kind, and aliases[i] for fields[i] exactly (NULL:
 * no alias; `aliases` itself may be NULL), with no look-up by name.
 * Ownership and thread safety as gs__style_qml.
 */
char *gs__style_qml_schema(const gs__layer_schema *s, const char *const *fields,
                           const char *const *aliases, size_t nfields);

/**
 * The style document of the ledger table of schema `s` (s->ledger_table),
 * whose fields, as the table has them, are `fields`: the layer's renderer
 * (on `geom`, the table's geometry kind), the schema's aliases by name
 * ("周" for the leading week), and the temporal settings of
 * s->ledger_time, so QGIS's Temporal Controller steps through the weeks.
 * Ownership and thread safety as gs__style_qml.
 */
char *gs__style_qml_ledger(const gs__layer_schema *s, gs__geom_kind geom,
                           const char *const *fields, size_t nfields);

#endif /* GS_STYLE_H */

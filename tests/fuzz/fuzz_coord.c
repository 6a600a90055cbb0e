/*
 * fuzz_coord.c - GCJ-02 and BD-09 conversions (coord.c).
 *
 * Input: two doubles (longitude, latitude; 16 bytes, native order; a
 * shorter input is zero-padded). Every conversion runs on them, so NaN,
 * infinities, huge and subnormal values meet the iterative inverses.
 * Invariants (coord.h): NaN in gives NaN out; and well inside China's
 * rectangle (0.05 degree from its edge, more than the largest offset)
 * WGS84 -> GCJ-02 -> WGS84 and WGS84 -> BD-09 -> WGS84 return within
 * 1e-8 degree (about a millimetre).
 */
#include "fuzz.h"

#include <math.h>

#include "coord.h"

static int well_inside(double lon, double lat) {
    return lon >= 72.004 + 0.05 && lon <= 137.8347 - 0.05 &&
           lat >= 0.8293 + 0.05 && lat <= 55.8271 - 0.05;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    double in[2] = {0, 0}, x, y, u, v;
    memcpy(in, data, size < sizeof in ? size : sizeof in);

    (void)gs__gcj02_outside_china(in[0], in[1]);
    gs__gcj02_to_wgs84(in[0], in[1], &u, &v);
    if (isnan(in[0]) || isnan(in[1])) FUZZ_ASSERT(isnan(u) || isnan(v));
    gs__bd09_to_wgs84(in[0], in[1], &u, &v);
    if (isnan(in[0]) || isnan(in[1])) FUZZ_ASSERT(isnan(u) || isnan(v));
    gs__bd09_to_gcj02(in[0], in[1], &u, &v);
    gs__gcj02_to_bd09(in[0], in[1], &u, &v);

    gs__wgs84_to_gcj02(in[0], in[1], &x, &y);
    if (isnan(in[0]) || isnan(in[1])) FUZZ_ASSERT(isnan(x) || isnan(y));
    gs__gcj02_to_wgs84(x, y, &u, &v);
    if (well_inside(in[0], in[1]))
        FUZZ_ASSERT(fabs(u - in[0]) < 1e-8 && fabs(v - in[1]) < 1e-8);

    gs__wgs84_to_bd09(in[0], in[1], &x, &y);
    gs__bd09_to_wgs84(x, y, &u, &v);
    if (well_inside(in[0], in[1]))
        FUZZ_ASSERT(fabs(u - in[0]) < 1e-8 && fabs(v - in[1]) < 1e-8);
    return 0;
}

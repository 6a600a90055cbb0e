/*
 * coord.h - GCJ-02 and BD-09, the offset datums of China's map SDKs
 * (coord.c).
 *
 * All functions take and give longitude, latitude in degrees. They are
 * pure, reentrant and never fail; NaN in gives NaN out.
 */
#ifndef GS_COORD_H
#define GS_COORD_H

/* 1 when (lon, lat) is outside the rectangle where GCJ-02 applies an
 * offset (the usual 72.004..137.8347 E, 0.8293..55.8271 N), else 0. */
int gs__gcj02_outside_china(double lon, double lat);

/* WGS84 -> GCJ-02 (the public obfuscation formula); identity outside the
 * rectangle above. */
void gs__wgs84_to_gcj02(double lon, double lat, double *out_lon,
                        double *out_lat);

/* GCJ-02 -> WGS84 by iterating the forward transform until its image of
 * the estimate is within 1e-9 degrees (about 0.1 mm) of the input. */
void gs__gcj02_to_wgs84(double lon, double lat, double *out_lon,
                        double *out_lat);

/* GCJ-02 -> BD-09 (Baidu's transform of GCJ-02) and its iterative inverse
 * (below 1e-9 degrees, unlike the usual closed-form approximation). */
void gs__gcj02_to_bd09(double lon, double lat, double *out_lon,
                       double *out_lat);
void gs__bd09_to_gcj02(double lon, double lat, double *out_lon,
                       double *out_lat);

/* WGS84 <-> BD-09, through GCJ-02. */
void gs__wgs84_to_bd09(double lon, double lat, double *out_lon,
                       double *out_lat);
void gs__bd09_to_wgs84(double lon, double lat, double *out_lon,
                       double *out_lat);

#endif /* GS_COORD_H */

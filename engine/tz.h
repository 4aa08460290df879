/*
 * tz.h - IANA time zones read from the system's TZif files
 * (/usr/share/zoneinfo, or $TZDIR), with the POSIX TZ footer rule used for
 * instants after the last listed transition. No use of setenv("TZ")/mktime:
 * zones are plain values, safe to use side by side.
 */
#ifndef SETTLE_TZ_H
#define SETTLE_TZ_H

#include <stddef.h>
#include <stdint.h>

typedef struct tz_zone tz_zone;

/*
 * Loads zone `name` ("Asia/Seoul", "Europe/Malta", "UTC", "Etc/GMT-9").
 * Rejects names with "..", a leading '/', or characters outside
 * [A-Za-z0-9/_+-]. Returns NULL on failure and writes a one-line reason into
 * err (e.g. "unknown time zone 'Europe/Atlantis'"). Caller owns the zone and
 * frees it with tz_free.
 */
tz_zone *tz_load(const char *name, char *err, size_t errlen);
void tz_free(tz_zone *z);
const char *tz_name(const tz_zone *z);

/* Offset from UTC in seconds (east positive) in force at UTC instant `utc`. */
int32_t tz_offset_at(const tz_zone *z, int64_t utc);

typedef enum tz_status {
    TZ_OK = 0,
    TZ_NONEXISTENT /* local time falls in a DST gap (clocks jumped over it) */
} tz_status;

/*
 * Converts a local wall-clock time (seconds since 1970-01-01T00:00 local,
 * i.e. days_from_civil*86400 + secs) to a UTC instant. In an overlap (clocks
 * turned back, the wall time happens twice) the earlier instant is chosen.
 * In a gap returns TZ_NONEXISTENT and leaves *utc untouched.
 */
tz_status tz_local_to_utc(const tz_zone *z, int64_t local, int64_t *utc);

#endif

/*
 * fuzz_time.c - timestamp, date and period parsing. The first input byte
 * picks the format (bits 0-1: iso8601, epoch_s, epoch_ms, pattern), the zone
 * (bit 2: Europe/Malta, else Asia/Seoul) and the business-day cut-off (bits 3-7,
 * hours modulo 24). For a pattern the text up to the first newline is the
 * pattern and the rest the value. Invariants: an instant, a date and a
 * period label that parse also format back to text that parses to the same
 * value (a date exactly to the text read).
 */
#include "fuzz.h"
#include "timefmt.h"

/* The zone by name, loaded once and kept for the whole run. */
static const tz_zone *fuzz_zone(int which)
{
    static tz_zone *zones[2];
    static const char *const names[2] = {"Asia/Seoul", "Europe/Malta"};
    if (!zones[which]) {
        char err[128];
        zones[which] = tz_load(names[which], err, sizeof err);
        if (!zones[which]) {
            fprintf(stderr, "fuzz_time: %s\n", err);
            abort();
        }
    }
    return zones[which];
}

/* An ISO instant that parsed formats to "YYYY-MM-DDTHH:MM:SSZ", which parses back. */
static void fuzz_instant_round_trip(int64_t utc, const tz_zone *z)
{
    if (utc < -62135596800LL || utc > 253402300799LL) /* outside years 1..9999 */
        return;
    char buf[21];
    instant_format(utc, buf);
    time_format iso = {TIME_ISO8601, NULL};
    int64_t back = 0;
    FUZZ_ASSERT(time_parse(&iso, buf, strlen(buf), z, &back) == TIME_OK);
    FUZZ_ASSERT(back == utc);
}

/* Dates and period labels: what parses formats back. */
static void fuzz_dates(const char *s, size_t n)
{
    int32_t day;
    if (date_parse(s, n, &day) == 0) {
        char buf[11];
        date_format(day, buf);
        FUZZ_ASSERT(n == 10 && memcmp(buf, s, 10) == 0);
    }
    period_kind k;
    int32_t first;
    if (period_parse(s, n, &k, &first) == 0) {
        FUZZ_ASSERT(period_first_day(k, first) == first);
        char label[16];
        period_label(k, first, label);
        period_kind k2;
        int32_t first2;
        FUZZ_ASSERT(period_parse(label, strlen(label), &k2, &first2) == 0);
        FUZZ_ASSERT(k2 == k && first2 == first);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t opt = fuzz_take_byte(&data, &size);
    const tz_zone *z = fuzz_zone((opt >> 2) & 1);
    const char *s = (const char *)data;
    time_format f = {(time_kind)(opt & 3), NULL};
    if (f.kind == TIME_PATTERN) {
        const char *nl = memchr(s, '\n', size);
        if (!nl)
            return 0;
        f.pattern = strndup(s, (size_t)(nl - s));
        size -= (size_t)(nl - s) + 1;
        s = nl + 1;
        char err[128];
        if (!f.pattern || time_pattern_check(f.pattern, err, sizeof err) != 0) {
            free(f.pattern);
            return 0;
        }
    }
    int64_t utc = 0;
    if (time_parse(&f, s, size, z, &utc) == TIME_OK) {
        business_day(utc, z, (int32_t)((opt >> 3) % 24) * 3600);
        if (f.kind == TIME_ISO8601)
            fuzz_instant_round_trip(utc, z);
    }
    free(f.pattern);
    fuzz_dates(s, size);
    return 0;
}

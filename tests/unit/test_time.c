/*
 * test_time.c - calendar arithmetic, TZif zones and footer rules, timestamp
 * parsing, business days and statement periods. Expected values are worked
 * out by hand (day numbers: 365 per year plus leap days since 1970-01-01;
 * instants: day * 86400 + seconds) and written as literals.
 * Uses the system zoneinfo for real zones and writes synthetic TZif files
 * into a temporary $TZDIR for slim/leap/corrupt cases.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "timefmt.h"
#include "tz.h"
#include "tzrule.h"
#include "util.h"

/* 2025-09-22T13:45:00Z = day 20353 * 86400 + 13h45m. */
#define T_1345Z INT64_C(1758548700)

/* Loads a zone that must exist; aborts the test run when it does not. */
static tz_zone *zone(const char *name)
{
    char err[128];
    tz_zone *z = tz_load(name, err, sizeof err);
    if (!z) {
        fprintf(stderr, "cannot load %s: %s\n", name, err);
        exit(1);
    }
    return z;
}

/* Formats an instant into a static buffer (tests only). */
static const char *fmt(int64_t utc)
{
    static char buf[21];
    instant_format(utc, buf);
    return buf;
}

/* Parses with format kind k (pattern p for TIME_PATTERN); -999 on failure. */
static int64_t parse(time_kind k, const char *p, const char *s, const tz_zone *z)
{
    time_format f = {k, (char *)p};
    int64_t utc = -999;
    time_status st = time_parse(&f, s, strlen(s), z, &utc);
    return st == TIME_OK ? utc : -999;
}

/* Status of a parse, for the failure cases. */
static time_status parse_st(time_kind k, const char *p, const char *s, const tz_zone *z)
{
    time_format f = {k, (char *)p};
    int64_t utc;
    return time_parse(&f, s, strlen(s), z, &utc);
}

/* Day numbers, civil round trips, leap years, negative years. */
static void test_civil(void)
{
    int64_t y;
    unsigned m, d;
    CHECK_EQ_INT(days_from_civil(1970, 1, 1), 0);
    CHECK_EQ_INT(days_from_civil(1969, 12, 31), -1);
    CHECK_EQ_INT(days_from_civil(2000, 3, 1), 11017);  /* 30y*365 + 7 leap days + 59 */
    CHECK_EQ_INT(days_from_civil(2024, 2, 29), 19782);
    CHECK_EQ_INT(days_from_civil(0, 1, 1), -719528);   /* year 0 is a leap year */
    CHECK_EQ_INT(days_from_civil(-1, 12, 31), -719529);
    civil_from_days(-719529, &y, &m, &d);
    CHECK(y == -1 && m == 12 && d == 31);
    civil_from_days(19782, &y, &m, &d);
    CHECK(y == 2024 && m == 2 && d == 29);
    civil_from_days(-1, &y, &m, &d);
    CHECK(y == 1969 && m == 12 && d == 31);
    int ok = 1;
    for (int64_t day = -800000; day < 3000000; day += 17) {
        civil_from_days(day, &y, &m, &d);
        ok &= days_from_civil(y, m, d) == day;
    }
    CHECK(ok);
}

/* date_parse / date_format / instant_format. */
static void test_dates(void)
{
    int32_t day = 0;
    char buf[11];
    CHECK_EQ_INT(date_parse("2024-02-29", 10, &day), 0);
    CHECK_EQ_INT(day, 19782);
    CHECK_EQ_INT(date_parse("2025-02-29", 10, &day), -1);
    CHECK_EQ_INT(date_parse("2025-13-01", 10, &day), -1);
    CHECK_EQ_INT(date_parse("2025-09-00", 10, &day), -1);
    CHECK_EQ_INT(date_parse("2025-9-22", 9, &day), -1);
    CHECK_EQ_INT(date_parse("2025-09-221", 10, &day), 0); /* n bounds the read */
    CHECK_EQ_INT(day, 20353);
    CHECK_EQ_INT(date_parse("2000-02-29", 10, &day), 0);
    CHECK_EQ_INT(date_parse("1900-02-29", 10, &day), -1);
    date_format(20353, buf);
    CHECK_EQ_STR(buf, "2025-09-22");
    date_format(-719528, buf);
    CHECK_EQ_STR(buf, "0000-01-01");
    CHECK_EQ_STR(fmt(0), "1970-01-01T00:00:00Z");
    CHECK_EQ_STR(fmt(-1), "1969-12-31T23:59:59Z");
    CHECK_EQ_STR(fmt(T_1345Z), "2025-09-22T13:45:00Z");
}

/* Zone loading: names, UTC without files, unknown zone messages. */
static void test_zone_names(void)
{
    char err[128] = "";
    CHECK(tz_load("Europe/Atlantis", err, sizeof err) == NULL);
    CHECK_EQ_STR(err, "unknown time zone 'Europe/Atlantis'");
    CHECK(tz_load("../etc/passwd", err, sizeof err) == NULL);
    CHECK_EQ_STR(err, "invalid time zone name '../etc/passwd'");
    CHECK(tz_load("/etc/localtime", err, sizeof err) == NULL);
    CHECK(tz_load("Asia/Seoul;x", err, sizeof err) == NULL);
    CHECK(tz_load("", err, sizeof err) == NULL);
    CHECK(tz_load("Europe", err, sizeof err) == NULL); /* a directory */
    CHECK_EQ_STR(err, "unknown time zone 'Europe'");
    tz_zone *z = zone("Etc/GMT-9");
    CHECK_EQ_INT(tz_offset_at(z, T_1345Z), 32400);
    CHECK_EQ_STR(tz_name(z), "Etc/GMT-9");
    tz_free(z);
}

/* Asia/Seoul: fixed +09:00 since 1988. */
static void test_seoul(void)
{
    tz_zone *z = zone("Asia/Seoul");
    int64_t utc = 0;
    CHECK_EQ_INT(tz_offset_at(z, T_1345Z), 32400);
    CHECK_EQ_INT(tz_offset_at(z, INT64_C(2208988800)), 32400); /* 2040-01-01 */
    CHECK_EQ_INT(tz_local_to_utc(z, T_1345Z + 32400, &utc), TZ_OK);
    CHECK_EQ_INT(utc, T_1345Z);
    tz_free(z);
}

/* Europe/Malta 2025: CET/CEST, changes at 01:00Z on Mar 30 and Oct 26. */
static void test_malta(void)
{
    tz_zone *z = zone("Europe/Malta");
    int64_t spring = INT64_C(1743296400), fall = INT64_C(1761440400), utc = 7;
    CHECK_EQ_INT(tz_offset_at(z, spring - 1), 3600);
    CHECK_EQ_INT(tz_offset_at(z, spring), 7200);
    CHECK_EQ_INT(tz_offset_at(z, fall - 1), 7200);
    CHECK_EQ_INT(tz_offset_at(z, fall), 3600);
    /* 2025-03-30 02:30 local = day 20177: clocks went 02:00 -> 03:00. */
    int64_t gap = INT64_C(20177) * 86400 + 2 * 3600 + 1800;
    CHECK_EQ_INT(tz_local_to_utc(z, gap, &utc), TZ_NONEXISTENT);
    CHECK_EQ_INT(utc, 7);
    CHECK_EQ_INT(tz_local_to_utc(z, gap - 1801, &utc), TZ_OK); /* 01:59:59 CET */
    CHECK_EQ_INT(utc, spring - 1);
    CHECK_EQ_INT(tz_local_to_utc(z, gap + 1800, &utc), TZ_OK); /* 03:00 CEST */
    CHECK_EQ_INT(utc, spring);
    /* 2025-10-26 02:30 local happens at 00:30Z (CEST) and 01:30Z (CET). */
    int64_t twice = INT64_C(20387) * 86400 + 2 * 3600 + 1800;
    CHECK_EQ_INT(tz_local_to_utc(z, twice, &utc), TZ_OK);
    CHECK_EQ_STR(fmt(utc), "2025-10-26T00:30:00Z");
    CHECK_EQ_INT(tz_local_to_utc(z, twice + 3600, &utc), TZ_OK); /* 03:30 CET */
    CHECK_EQ_STR(fmt(utc), "2025-10-26T02:30:00Z");
    /* 2040 is past the listed transitions: the footer rule decides.
     * Last Sunday of March 2040 is the 25th, of October the 28th. */
    CHECK_EQ_INT(tz_offset_at(z, INT64_C(2216250000) - 1), 3600);
    CHECK_EQ_INT(tz_offset_at(z, INT64_C(2216250000)), 7200);
    CHECK_EQ_INT(tz_offset_at(z, INT64_C(2234998800) - 1), 7200);
    CHECK_EQ_INT(tz_offset_at(z, INT64_C(2234998800)), 3600);
    tz_free(z);
}

/* America/New_York 2025 and 2040 (second Sunday of March, first of November). */
static void test_new_york(void)
{
    tz_zone *z = zone("America/New_York");
    int64_t utc = 0;
    CHECK_EQ_INT(tz_offset_at(z, T_1345Z), -14400);
    CHECK_EQ_INT(tz_offset_at(z, INT64_C(1735689600)), -18000); /* 2025-01-01 */
    /* 2025-03-09 02:30 local (day 20156) does not exist. */
    CHECK_EQ_INT(tz_local_to_utc(z, INT64_C(20156) * 86400 + 9000, &utc), TZ_NONEXISTENT);
    /* 2025-11-02 01:30 local (day 20394) -> 05:30Z, EDT, the earlier one. */
    CHECK_EQ_INT(tz_local_to_utc(z, INT64_C(20394) * 86400 + 5400, &utc), TZ_OK);
    CHECK_EQ_INT(utc, INT64_C(1762061400));
    CHECK_EQ_INT(tz_offset_at(z, INT64_C(2215062000) - 1), -18000); /* 2040-03-11 07:00Z */
    CHECK_EQ_INT(tz_offset_at(z, INT64_C(2215062000)), -14400);
    CHECK_EQ_INT(tz_offset_at(z, INT64_C(2235621600)), -18000);     /* 2040-11-04 06:00Z */
    /* Alternate far-apart lookups (cache misses) agree with each other. */
    CHECK_EQ_INT(tz_offset_at(z, -INT64_C(3000000000)), -17762); /* LMT */
    CHECK_EQ_INT(tz_offset_at(z, T_1345Z), -14400);
    tz_free(z);
}

/* Offset of rule `s` at utc, via a fresh parse; -1 when it does not parse. */
static int32_t rule_off(const char *s, int64_t utc)
{
    tzrule r;
    int64_t a, b;
    if (tzrule_parse(s, strlen(s), &r) < 0)
        return -1;
    int32_t off = tzrule_interval(&r, utc, &a, &b);
    return utc >= a && utc < b ? off : -2;
}

/* POSIX TZ rules: M, J and n dates, negative and >24h times, all-year DST. */
static void test_rules(void)
{
    const char *il = "IST-2IDT,M3.4.4/26,M10.5.0"; /* 4th Thu of March, 26:00 */
    const char *au = "AEST-10AEDT,M10.1.0,M4.1.0/3";
    const char *gl = "<-02>2<-01>,M3.5.0/-1,M10.5.0/0";
    CHECK_EQ_INT(rule_off(il, INT64_C(1743120000) - 1), 7200);  /* 2025-03-28 00:00Z */
    CHECK_EQ_INT(rule_off(il, INT64_C(1743120000)), 10800);
    CHECK_EQ_INT(rule_off(au, INT64_C(1743868800) - 1), 39600); /* 2025-04-05 16:00Z */
    CHECK_EQ_INT(rule_off(au, INT64_C(1743868800)), 36000);
    CHECK_EQ_INT(rule_off(au, INT64_C(1759593600)), 39600);     /* 2025-10-04 16:00Z */
    CHECK_EQ_INT(rule_off(au, INT64_C(1735689600)), 39600);     /* January: summer */
    CHECK_EQ_INT(rule_off(gl, INT64_C(1743296400) - 1), -7200); /* same instant as EU */
    CHECK_EQ_INT(rule_off(gl, INT64_C(1743296400)), -3600);
    CHECK_EQ_INT(rule_off(gl, INT64_C(1761440400)), -7200);
    /* J60 is always 1 March; n=59 is 29 Feb in 2024 but 1 March in 2025. */
    CHECK_EQ_INT(rule_off("AAA3BBB,J60/2,J300/2", INT64_C(1709269200) - 1), -10800);
    CHECK_EQ_INT(rule_off("AAA3BBB,J60/2,J300/2", INT64_C(1709269200)), -7200);
    CHECK_EQ_INT(rule_off("AAA3BBB,59/2,299/2", INT64_C(1709182800)), -7200);
    CHECK_EQ_INT(rule_off("AAA3BBB,59/2,299/2", INT64_C(1740805200) - 1), -10800);
    CHECK_EQ_INT(rule_off("EST5EDT,0/0,J365/25", INT64_C(1735689600)), -14400);
    CHECK_EQ_INT(rule_off("EST5EDT,0/0,J365/25", INT64_C(1767225599)), -14400);
    CHECK_EQ_INT(rule_off("<+0530>-5:30", T_1345Z), 19800);
    CHECK_EQ_INT(rule_off("EST5EDT", T_1345Z), -14400); /* default US rule */
    CHECK_EQ_INT(rule_off("EST", 0), -1);               /* no offset */
    CHECK_EQ_INT(rule_off("EST5EDT,M3.2.0", 0), -1);
    CHECK_EQ_INT(rule_off("EST5EDT,M13.2.0,M11.1.0", 0), -1);
    CHECK_EQ_INT(rule_off("EST5EDT,M3.2.0,M11.1.0/168", 0), -1);
}

/* Appends a big-endian 32-bit value. */
static void put32(sbuf *b, uint32_t v)
{
    unsigned char q[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    sbuf_add(b, q, 4);
}

/* Appends a TZif header with the given counts (isut/isstd 0). */
static void tzif_header(sbuf *b, uint32_t leap, uint32_t ntime, uint32_t ntype, uint32_t nchar)
{
    sbuf_add(b, "TZif2", 5);
    sbuf_add(b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 23);
    put32(b, leap);
    put32(b, ntime);
    put32(b, ntype);
    put32(b, nchar);
}

/* Writes $dir/name: a slim v2 file, one transition at 0 to type 0 (+3600),
 * `leap` leap records, and footer `foot` (NULL: truncated after the data). */
static void write_tzif(const char *dir, const char *name, uint32_t leap, const char *foot)
{
    sbuf b;
    sbuf_init(&b);
    tzif_header(&b, 0, 0, 0, 0); /* empty v1 block */
    tzif_header(&b, leap, 1, 1, 4);
    sbuf_add(&b, "\0\0\0\0\0\0\0\0\0", 9);    /* transition at 0, type 0 */
    put32(&b, 3600);
    sbuf_add(&b, "\0\0CET", 6);              /* isdst 0, abbr 0, "CET\0" */
    for (uint32_t i = 0; i < leap * 12; i++)
        sbuf_addc(&b, 0);
    if (foot)
        sbuf_adds(&b, foot);
    char *path = path_join(dir, name);
    CHECK_EQ_INT(atomic_write(path, b.buf, b.len), 0);
    free(path);
    sbuf_free(&b);
}

/* Removes $dir/Test/{Slim,Leap,Bad}, $dir/Test and $dir. */
static void remove_tzdir(const char *dir)
{
    static const char *const names[] = {"Test/Slim", "Test/Leap", "Test/Bad", "Test", ""};
    for (int i = 0; i < 5; i++) {
        char *path = path_join(dir, names[i]);
        if (i < 3)
            unlink(path);
        else
            rmdir(path);
        free(path);
    }
}

/* Synthetic slim, leap-second and corrupt files in a temporary $TZDIR. */
static void test_tzif_files(void)
{
    char dir[] = "/tmp/settle-tz-XXXXXX", err[128] = "";
    CHECK(mkdtemp(dir) != NULL);
    write_tzif(dir, "Test/Slim", 0, "\nCET-1CEST,M3.5.0,M10.5.0/3\n");
    write_tzif(dir, "Test/Leap", 1, "\nCET-1\n");
    write_tzif(dir, "Test/Bad", 0, "\nnot a rule\n");
    setenv("TZDIR", dir, 1);
    tz_zone *z = zone("Test/Slim");
    CHECK_EQ_INT(tz_offset_at(z, -1), 3600); /* before the first transition: type 0 */
    CHECK_EQ_INT(tz_offset_at(z, INT64_C(1743296400) - 1), 3600);
    CHECK_EQ_INT(tz_offset_at(z, INT64_C(1743296400)), 7200);
    CHECK_EQ_INT(tz_offset_at(z, INT64_C(2234998800) - 1), 7200);
    tz_free(z);
    CHECK(tz_load("Test/Leap", err, sizeof err) == NULL);
    CHECK_EQ_STR(err, "time zone 'Test/Leap' counts leap seconds (not supported)");
    CHECK(tz_load("Test/Bad", err, sizeof err) == NULL);
    CHECK_EQ_STR(err, "time zone file for 'Test/Bad' is not valid TZif");
    z = zone("UTC"); /* not in this TZDIR: built in */
    CHECK_EQ_INT(tz_offset_at(z, T_1345Z), 0);
    tz_free(z);
    z = zone("Etc/UTC");
    CHECK_EQ_INT(tz_offset_at(z, T_1345Z), 0);
    tz_free(z);
    z = zone("Etc/GMT+5");
    CHECK_EQ_INT(tz_offset_at(z, T_1345Z), -18000);
    tz_free(z);
    CHECK(tz_load("Etc/GMT+15", err, sizeof err) == NULL);
    unsetenv("TZDIR");
    remove_tzdir(dir);
}

/* Business day with a 06:00 cut-off in Seoul. */
static void test_business_day(void)
{
    tz_zone *z = zone("Asia/Seoul");
    /* 2025-09-22 05:59 KST = 2025-09-21T20:59Z -> business day 2025-09-21. */
    CHECK_EQ_INT(business_day(INT64_C(1758488340), z, 21600), 20352);
    CHECK_EQ_INT(business_day(INT64_C(1758488400), z, 21600), 20353);
    CHECK_EQ_INT(business_day(INT64_C(1758488340), z, 0), 20353);
    CHECK_EQ_INT(business_day(-1, NULL, 0), -1);
    tz_free(z);
}

/* ISO 8601 forms, local and offset, and bad inputs. */
static void test_iso(void)
{
    tz_zone *seoul = zone("Asia/Seoul"), *malta = zone("Europe/Malta");
    int64_t at0445 = T_1345Z - 9 * 3600;
    CHECK_EQ_INT(parse(TIME_ISO8601, NULL, "2025-09-22T13:45:00Z", seoul), T_1345Z);
    CHECK_EQ_INT(parse(TIME_ISO8601, NULL, "2025-09-22 13:45:00", seoul), at0445);
    CHECK_EQ_INT(parse(TIME_ISO8601, NULL, "2025-09-22T13:45:00.123+09:00", malta), at0445);
    CHECK_EQ_INT(parse(TIME_ISO8601, NULL, "2025-09-22T13:45:00+0900", malta), at0445);
    CHECK_EQ_INT(parse(TIME_ISO8601, NULL, "2025-09-22T13:45:00-02", malta), T_1345Z + 7200);
    CHECK_EQ_INT(parse(TIME_ISO8601, NULL, "2025-09-22T13:45Z", malta), T_1345Z);
    CHECK_EQ_INT(parse(TIME_ISO8601, NULL, "  2025-09-22T13:45:59.999Z\t", malta), T_1345Z + 59);
    CHECK_EQ_INT(parse(TIME_ISO8601, NULL, "2025-09-22", seoul), INT64_C(1758466800));
    CHECK_EQ_INT(parse(TIME_ISO8601, NULL, "2025-09-22 13:45:00", malta), T_1345Z - 7200);
    CHECK_EQ_INT(parse(TIME_ISO8601, NULL, "2025-09-22 13:45:00", NULL), T_1345Z);
    CHECK_EQ_INT(parse_st(TIME_ISO8601, NULL, "2025-03-30 02:30:00", malta), TIME_NONEXISTENT);
    CHECK_EQ_INT(parse_st(TIME_ISO8601, NULL, "2025-02-30", seoul), TIME_BAD);
    CHECK_EQ_INT(parse_st(TIME_ISO8601, NULL, "2025-09-22T25:00:00Z", seoul), TIME_BAD);
    CHECK_EQ_INT(parse_st(TIME_ISO8601, NULL, "2025-09-22T13:45:60Z", seoul), TIME_BAD);
    CHECK_EQ_INT(parse_st(TIME_ISO8601, NULL, "2025-09-22T13:45:00Zjunk", seoul), TIME_BAD);
    CHECK_EQ_INT(parse_st(TIME_ISO8601, NULL, "2025-09-22T13:45:00+9", seoul), TIME_BAD);
    CHECK_EQ_INT(parse_st(TIME_ISO8601, NULL, "2025-09-22T13", seoul), TIME_BAD);
    CHECK_EQ_INT(parse_st(TIME_ISO8601, NULL, "", seoul), TIME_BAD);
    /* Only the first n bytes are looked at: "2025-09-22T13:45Z" cut short. */
    time_format f = {TIME_ISO8601, NULL};
    int64_t utc = 0;
    CHECK_EQ_INT(time_parse(&f, "2025-09-22T13:45Zxx", 17, NULL, &utc), TIME_OK);
    CHECK_EQ_INT(utc, T_1345Z);
    CHECK_EQ_INT(time_parse(&f, "2025-09-22T13:45:00Z", 15, NULL, &utc), TIME_BAD);
    tz_free(seoul);
    tz_free(malta);
}

/* Epoch seconds and milliseconds, floor division, overflow. */
static void test_epoch(void)
{
    CHECK_EQ_INT(parse(TIME_EPOCH_S, NULL, "1758548700", NULL), T_1345Z);
    CHECK_EQ_INT(parse(TIME_EPOCH_S, NULL, " 1758548700.999 ", NULL), T_1345Z);
    CHECK_EQ_INT(parse(TIME_EPOCH_S, NULL, "-1.5", NULL), -1);
    CHECK_EQ_INT(parse(TIME_EPOCH_S, NULL, "-86400", NULL), -86400);
    CHECK_EQ_INT(parse_st(TIME_EPOCH_S, NULL, "12a", NULL), TIME_BAD);
    CHECK_EQ_INT(parse_st(TIME_EPOCH_S, NULL, "1.", NULL), TIME_BAD);
    CHECK_EQ_INT(parse_st(TIME_EPOCH_S, NULL, "99999999999999999999", NULL), TIME_BAD);
    CHECK_EQ_INT(parse_st(TIME_EPOCH_S, NULL, "253402300800", NULL), TIME_OUT_OF_WINDOW);
    CHECK_EQ_INT(parse(TIME_EPOCH_MS, NULL, "1758548700123", NULL), T_1345Z);
    CHECK_EQ_INT(parse(TIME_EPOCH_MS, NULL, "-1", NULL), -1);
    CHECK_EQ_INT(parse(TIME_EPOCH_MS, NULL, "-1000", NULL), -1);
    CHECK_EQ_INT(parse(TIME_EPOCH_MS, NULL, "-1001", NULL), -2);
    CHECK_EQ_INT(parse(TIME_EPOCH_MS, NULL, "999", NULL), 0);
    CHECK_EQ_INT(parse_st(TIME_EPOCH_MS, NULL, "1.5", NULL), TIME_BAD);
    CHECK_EQ_INT(parse_st(TIME_EPOCH_MS, NULL, "-9223372036854775808", NULL), TIME_OUT_OF_WINDOW);
}

/* The time window 1900..2199: edges accepted, anything past them refused in every format. */
static void test_window(void)
{
    tz_zone *seoul = zone("Asia/Seoul"), *malta = zone("Europe/Malta");
    CHECK_EQ_INT(parse(TIME_ISO8601, NULL, "1900-01-01T00:00:00Z", seoul), INT64_C(-2208988800));
    CHECK_EQ_INT(parse(TIME_ISO8601, NULL, "2199-12-31T23:59:59Z", seoul), INT64_C(7258118399));
    CHECK_EQ_INT(parse_st(TIME_ISO8601, NULL, "0000-01-01T00:00:00Z", seoul), TIME_OUT_OF_WINDOW);
    CHECK_EQ_INT(parse_st(TIME_ISO8601, NULL, "1899-12-31T23:59:59Z", seoul), TIME_OUT_OF_WINDOW);
    CHECK_EQ_INT(parse_st(TIME_ISO8601, NULL, "2200-01-01T00:00:00Z", seoul), TIME_OUT_OF_WINDOW);
    CHECK_EQ_INT(parse_st(TIME_ISO8601, NULL, "9999-12-31", seoul), TIME_OUT_OF_WINDOW);
    CHECK_EQ_INT(parse_st(TIME_ISO8601, NULL, "-001-12-31", seoul), TIME_BAD);
    /* a local time on the first day, shifted to UTC by the zone, falls before the window */
    CHECK_EQ_INT(parse_st(TIME_ISO8601, NULL, "1900-01-01 05:00:00", seoul), TIME_OUT_OF_WINDOW);
    CHECK_EQ_INT(parse_st(TIME_EPOCH_S, NULL, "-2208988801", NULL), TIME_OUT_OF_WINDOW);
    CHECK_EQ_INT(parse(TIME_EPOCH_S, NULL, "-2208988800", NULL), INT64_C(-2208988800));
    CHECK_EQ_INT(parse_st(TIME_EPOCH_S, NULL, "7258118400", NULL), TIME_OUT_OF_WINDOW);
    CHECK_EQ_INT(parse_st(TIME_EPOCH_S, NULL, "-62167219200", NULL), TIME_OUT_OF_WINDOW);
    CHECK_EQ_INT(parse_st(TIME_EPOCH_MS, NULL, "7258118400000", NULL), TIME_OUT_OF_WINDOW);
    CHECK_EQ_INT(parse(TIME_EPOCH_MS, NULL, "7258118399999", NULL), INT64_C(7258118399));
    CHECK_EQ_INT(parse_st(TIME_PATTERN, "%d/%m/%Y %H:%M:%S", "01/01/0000 00:00:00", malta),
                 TIME_OUT_OF_WINDOW);
    CHECK_EQ_INT(parse_st(TIME_PATTERN, "%d/%m/%Y", "02/01/2200", malta), TIME_OUT_OF_WINDOW);
    CHECK_EQ_INT(parse_st(TIME_PATTERN, "%Y %j", "1899 365", malta), TIME_OUT_OF_WINDOW);
    /* business days: the window's edges, and every label inside it round-trips */
    CHECK(time_day_in_window(TIME_FIRST_DAY) && time_day_in_window(TIME_LAST_DAY));
    CHECK(!time_day_in_window(TIME_FIRST_DAY - 1) && !time_day_in_window(TIME_LAST_DAY + 1));
    CHECK_EQ_INT(days_from_civil(1900, 1, 1), TIME_FIRST_DAY);
    CHECK_EQ_INT(days_from_civil(2199, 12, 31), TIME_LAST_DAY);
    for (int k = PERIOD_DAILY; k <= PERIOD_MONTHLY; k++) {
        int32_t edges[2] = {TIME_FIRST_DAY, TIME_LAST_DAY};
        for (int e = 0; e < 2; e++) {
            char label[16];
            period_kind pk;
            int32_t first = 0;
            period_label((period_kind)k, edges[e], label);
            CHECK_EQ_INT(period_parse(label, strlen(label), &pk, &first), 0);
            CHECK_EQ_INT(first, period_first_day((period_kind)k, edges[e]));
        }
    }
    tz_free(seoul);
    tz_free(malta);
}

/* strftime-style patterns read in Europe/Malta (CEST, +2, in September). */
static void test_patterns(void)
{
    tz_zone *z = zone("Europe/Malta");
    int64_t at1145 = T_1345Z - 7200;
    CHECK_EQ_INT(parse(TIME_PATTERN, "%d/%m/%Y %H:%M:%S", "22/09/2025 13:45:00", z), at1145);
    CHECK_EQ_INT(parse(TIME_PATTERN, "%d/%m/%Y %H:%M:%S", "22/9/2025   13:45:00", z), at1145);
    CHECK_EQ_INT(parse(TIME_PATTERN, "%Y%m%d%H%M%S", "20250922134500", z), at1145);
    CHECK_EQ_INT(parse(TIME_PATTERN, "%d-%b-%Y %I:%M:%S %p", "22-SEP-2025 01:45:00 pm", z),
                 at1145);
    CHECK_EQ_INT(parse(TIME_PATTERN, "%d-%b-%Y %I:%M:%S %p", "22-Sep-2025 12:00:00 AM", z),
                 T_1345Z - 13 * 3600 - 2700 - 7200);
    CHECK_EQ_INT(parse(TIME_PATTERN, "%Y-%m-%dT%H:%M:%S%z", "2025-09-22T13:45:00+09:00", z),
                 T_1345Z - 9 * 3600);
    CHECK_EQ_INT(parse(TIME_PATTERN, "%Y-%m-%dT%H:%M:%S%z", "2025-09-22T13:45:00Z", z), T_1345Z);
    CHECK_EQ_INT(parse(TIME_PATTERN, "%F %T.%f", "2025-09-22 13:45:00.5", z), at1145);
    CHECK_EQ_INT(parse(TIME_PATTERN, "%Y %j %H%%", "2025 265 13%", z), at1145 - 2700);
    CHECK_EQ_INT(parse(TIME_PATTERN, "%d.%m.%y", "22.09.25", z), T_1345Z - 13 * 3600 - 2700 - 7200);
    CHECK_EQ_INT(parse_st(TIME_PATTERN, "%d/%m/%Y %H:%M:%S", "30/02/2025 10:00:00", z), TIME_BAD);
    CHECK_EQ_INT(parse_st(TIME_PATTERN, "%d/%m/%Y %H:%M:%S", "22/09/2025 25:00:00", z), TIME_BAD);
    CHECK_EQ_INT(parse_st(TIME_PATTERN, "%d/%m/%Y %H:%M:%S", "22/09/2025 13:45:00x", z), TIME_BAD);
    CHECK_EQ_INT(parse_st(TIME_PATTERN, "%d/%m/%Y %H:%M:%S", "22/09/2025 13:45", z), TIME_BAD);
    CHECK_EQ_INT(parse_st(TIME_PATTERN, "%d/%m/%Y %H:%M:%S", "22/09/202513:45:00", z), TIME_BAD);
    CHECK_EQ_INT(parse_st(TIME_PATTERN, "%d-%b-%Y", "22-Sop-2025", z), TIME_BAD);
    CHECK_EQ_INT(parse_st(TIME_PATTERN, "%Y %j", "2025 366", z), TIME_BAD);
    CHECK_EQ_INT(parse_st(TIME_PATTERN, "%d/%m/%Y %H:%M", "30/03/2025 02:30", z),
                 TIME_NONEXISTENT);
    tz_free(z);
}

/* Checks pattern `p` and returns its error text ("" when accepted). */
static const char *pat_err(const char *p)
{
    static char err[200];
    err[0] = 0;
    if (time_pattern_check(p, err, sizeof err) == 0 && err[0] == 0)
        return "";
    return err;
}

/* time_pattern_check accepts the supported forms and explains the rest. */
static void test_pattern_check(void)
{
    CHECK_EQ_STR(pat_err("%d/%m/%Y %H:%M:%S"), "");
    CHECK_EQ_STR(pat_err("%d-%b-%Y %I:%M:%S %p"), "");
    CHECK_EQ_STR(pat_err("%FT%T.%f%z"), "");
    CHECK_EQ_STR(pat_err("%Y%j"), "");
    CHECK_EQ_STR(pat_err("%Y-%m-%d %Q"), "time pattern \"%Y-%m-%d %Q\" uses an unsupported directive %Q");
    CHECK_EQ_STR(pat_err("%F %Y"), "time pattern \"%F %Y\" sets a field twice at %Y");
    CHECK_EQ_STR(pat_err("%Y-%m"), "time pattern \"%Y-%m\" needs a month and a day (%m or %b, and %d), or %j alone");
    CHECK_EQ_STR(pat_err("%m-%d"), "time pattern \"%m-%d\" needs a year (%Y, %y or %F)");
    CHECK_EQ_STR(pat_err("%F %I:%M"), "time pattern \"%F %I:%M\" must use %I and %p together");
    CHECK_EQ_STR(pat_err("%F %H %I %p"), "time pattern \"%F %H %I %p\" uses both %H and %I");
    CHECK_EQ_STR(pat_err("%F %"), "time pattern \"%F %\" ends with a lone '%'");
    CHECK_EQ_STR(pat_err("%Y %j %m"), "time pattern \"%Y %j %m\" needs a month and a day (%m or %b, and %d), or %j alone");
}

/* Label of day `day` for kind k, in a static buffer. */
static const char *label(period_kind k, int32_t day)
{
    static char buf[16];
    period_label(k, day, buf);
    return buf;
}

/* Periods: ISO week-year edges, month ends, labels. */
static void test_periods(void)
{
    CHECK_EQ_STR(label(PERIOD_WEEKLY, 20353), "2025-W39");    /* Mon 2025-09-22 */
    CHECK_EQ_INT(period_first_day(PERIOD_WEEKLY, 20359), 20353); /* Sun 09-28 */
    CHECK_EQ_INT(period_last_day(PERIOD_WEEKLY, 20353), 20359);
    CHECK_EQ_STR(label(PERIOD_WEEKLY, 18630), "2020-W53");    /* 2021-01-03 */
    CHECK_EQ_INT(period_first_day(PERIOD_WEEKLY, 18630), 18624); /* 2020-12-28 */
    CHECK_EQ_STR(label(PERIOD_WEEKLY, 20818), "2026-W53");    /* 2026-12-31 */
    CHECK_EQ_STR(label(PERIOD_WEEKLY, 20451), "2026-W01");    /* 2025-12-29 */
    CHECK_EQ_STR(label(PERIOD_WEEKLY, 20087), "2025-W01");    /* 2024-12-30 */
    CHECK_EQ_STR(label(PERIOD_WEEKLY, 3), "1970-W01");        /* Sun 1970-01-04 */
    CHECK_EQ_STR(label(PERIOD_MONTHLY, 19782), "2024-02");
    CHECK_EQ_INT(period_first_day(PERIOD_MONTHLY, 19782), 19754); /* 2024-02-01 */
    CHECK_EQ_INT(period_last_day(PERIOD_MONTHLY, 19760), 19782);  /* .. 02-29 */
    CHECK_EQ_STR(label(PERIOD_DAILY, 20353), "2025-09-22");
    CHECK_EQ_INT(period_first_day(PERIOD_DAILY, 5), 5);
    CHECK_EQ_INT(period_last_day(PERIOD_DAILY, 5), 5);
    CHECK_EQ_STR(period_kind_name(PERIOD_DAILY), "daily");
    CHECK_EQ_STR(period_kind_name(PERIOD_WEEKLY), "weekly");
    CHECK_EQ_STR(period_kind_name(PERIOD_MONTHLY), "monthly");
}

/* period_parse: each kind, bad labels, and label/parse round trips. */
static void test_period_parse(void)
{
    period_kind k = PERIOD_DAILY;
    int32_t first = 0;
    CHECK(period_parse("2020-W53", 8, &k, &first) == 0 && k == PERIOD_WEEKLY && first == 18624);
    CHECK(period_parse("2026-W53", 8, &k, &first) == 0 && first == 20815);
    CHECK(period_parse("2025-09", 7, &k, &first) == 0 && k == PERIOD_MONTHLY && first == 20332);
    CHECK(period_parse("2025-09-22", 10, &k, &first) == 0 && k == PERIOD_DAILY && first == 20353);
    CHECK_EQ_INT(period_parse("2021-W53", 8, &k, &first), -1); /* 2021 has 52 weeks */
    CHECK_EQ_INT(period_parse("2025-W00", 8, &k, &first), -1);
    CHECK_EQ_INT(period_parse("2025-w39", 8, &k, &first), -1);
    CHECK_EQ_INT(period_parse("2025-13", 7, &k, &first), -1);
    CHECK_EQ_INT(period_parse("2025-02-29", 10, &k, &first), -1);
    CHECK_EQ_INT(period_parse("2025-9", 6, &k, &first), -1);
    int ok = 1;
    for (int32_t day = -1000; day < 30000; day += 3)
        for (int kind = PERIOD_DAILY; kind <= PERIOD_MONTHLY; kind++) {
            const char *s = label((period_kind)kind, day);
            ok &= period_parse(s, strlen(s), &k, &first) == 0 && k == (period_kind)kind &&
                  first == period_first_day(k, day) && period_last_day(k, day) >= day;
        }
    CHECK(ok);
}

/* Runs every group; exit status from check_done. */
int main(void)
{
    unsetenv("TZDIR");
    test_civil();
    test_dates();
    test_zone_names();
    test_seoul();
    test_malta();
    test_new_york();
    test_rules();
    test_tzif_files();
    test_business_day();
    test_iso();
    test_epoch();
    test_window();
    test_patterns();
    test_pattern_check();
    test_periods();
    test_period_parse();
    return check_done();
}

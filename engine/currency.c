/*
 * currency.c - the ISO 4217 table: alphabetic code -> minor-unit exponent.
 *
 * The table holds every code of ISO 4217 list one (currencies, funds and the
 * X-codes), plus the newest additions (XCG, ZWG) and a few codes withdrawn
 * since 2023 (HRK, ANG, SLL, ZWL) so that late or replayed drops still parse.
 * Codes whose minor unit is "N.A." (precious metals, XDR, XXX, ...) map to -1:
 * they are not money settle can count. The table is sorted by code and
 * searched with a binary search over 3-byte keys packed into one integer.
 */
#include <stdint.h>
#include <string.h>

#include "money.h"

/* One row of the table; `code` is NUL-terminated so it stays a valid C string. */
typedef struct cur_entry {
    char code[4];
    signed char exponent;
} cur_entry;

/* Sorted by code (strcmp order); test_money.c checks every row is findable. */
static const cur_entry cur_table[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2},
    {"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2},
    {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BOV", 2}, {"BRL", 2},
    {"BSD", 2}, {"BTN", 2}, {"BWP", 2}, {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2},
    {"CHE", 2}, {"CHF", 2}, {"CHW", 2}, {"CLF", 4}, {"CLP", 0}, {"CNY", 2}, {"COP", 2},
    {"COU", 2}, {"CRC", 2}, {"CUC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0},
    {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2}, {"EUR", 2},
    {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2}, {"GMD", 2},
    {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2}, {"HRK", 2}, {"HTG", 2},
    {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"IRR", 2}, {"ISK", 0},
    {"JMD", 2}, {"JOD", 3}, {"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0},
    {"KPW", 2}, {"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2},
    {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2},
    {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2}, {"MVR", 2},
    {"MWK", 2}, {"MXN", 2}, {"MXV", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2},
    {"NIO", 2}, {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2},
    {"PGK", 2}, {"PHP", 2}, {"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2},
    {"RSD", 2}, {"RUB", 2}, {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2},
    {"SEK", 2}, {"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SLL", 2}, {"SOS", 2}, {"SRD", 2},
    {"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2}, {"THB", 2}, {"TJS", 2},
    {"TMT", 2}, {"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2},
    {"UAH", 2}, {"UGX", 0}, {"USD", 2}, {"USN", 2}, {"UYI", 0}, {"UYU", 2}, {"UYW", 4},
    {"UZS", 2}, {"VED", 2}, {"VES", 2}, {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0},
    {"XAG", -1}, {"XAU", -1}, {"XBA", -1}, {"XBB", -1}, {"XBC", -1}, {"XBD", -1}, {"XCD", 2},
    {"XCG", 2}, {"XDR", -1}, {"XOF", 0}, {"XPD", -1}, {"XPF", 0}, {"XPT", -1}, {"XSU", -1},
    {"XTS", -1}, {"XUA", -1}, {"XXX", -1}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
    {"ZWL", 2},
};

#define CUR_COUNT (sizeof cur_table / sizeof cur_table[0])

/* Packs three code bytes into one comparable key; pure, no failure. */
static inline uint32_t cur_key(const char *c)
{
    return (uint32_t)(unsigned char)c[0] << 16 | (uint32_t)(unsigned char)c[1] << 8 |
           (uint32_t)(unsigned char)c[2];
}

/* True for the blanks trimmed around a code. */
static inline int cur_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Trims blanks from both ends of s[0..*n) in place; returns the new start.
 * Reads only inside the given range.
 */
static const char *cur_trim(const char *s, size_t *n)
{
    while (*n && cur_blank(s[0])) {
        s++;
        (*n)--;
    }
    while (*n && cur_blank(s[*n - 1]))
        (*n)--;
    return s;
}

/*
 * Binary search for `key`; returns the row index or -1 when absent.
 * The table is small (under 200 rows), so this is at most 8 probes.
 */
static int cur_find(uint32_t key)
{
    size_t lo = 0, hi = CUR_COUNT;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t k = cur_key(cur_table[mid].code);
        if (k == key)
            return (int)mid;
        if (k < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/*
 * Minor-unit exponent of the code in s[0..n) (blanks around it ignored,
 * upper case only). Returns -1 for anything that is not a known code with a
 * minor unit. Reads nothing past s[n-1]; allocates nothing.
 */
int currency_exponent(const char *code, size_t n)
{
    if (!code)
        return -1;
    const char *s = cur_trim(code, &n);
    if (n != 3)
        return -1;
    for (int i = 0; i < 3; i++)
        if (s[i] < 'A' || s[i] > 'Z')
            return -1;
    int at = cur_find(cur_key(s));
    return at < 0 ? -1 : cur_table[at].exponent;
}

/*
 * fuzz_fx.c - the FX rates table (fx_load: "date,base,quote,rate" CSV). The
 * input is the rates file. A load either succeeds or reports problems; a
 * loaded table answers look-ups, and a rate it returns is dated on or before
 * the day asked.
 */
#include "fuzz.h"
#include "fx.h"
#include "timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("input", data, size);
    diag d;
    diag_init(&d);
    fx_table *t = fx_load(path, &d);
    FUZZ_ASSERT(t ? d.n == 0 : d.n > 0);
    if (t) {
        static const char *const pairs[][2] = {{"EUR", "KRW"}, {"USD", "KRW"}, {"KRW", "EUR"},
                                               {"EUR", "EUR"}};
        static const int32_t days[] = {INT32_MIN, -1, 0, 20000, 20353, 30000, INT32_MAX};
        for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
            for (size_t j = 0; j < sizeof days / sizeof days[0]; j++) {
                fx_rate r;
                if (fx_lookup(t, pairs[i][0], pairs[i][1], days[j], &r) == 0)
                    FUZZ_ASSERT(r.date <= days[j] && r.text != NULL);
            }
        fx_free(t);
    }
    diag_free(&d);
    return 0;
}

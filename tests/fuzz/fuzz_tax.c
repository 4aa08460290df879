/*
 * fuzz_tax.c - the tax tables (tax_load: YAML jurisdiction -> tax -> dated
 * rates). The input is the tables file. A load either succeeds or reports
 * problems; in a loaded table every series has strictly increasing dates and
 * rates between 0 and 1, and a look-up returns the entry in force.
 */
#include "fuzz.h"
#include "tax.h"

/* The promises of tax.h about one loaded series. */
static void fuzz_tax_series(const tax_table *t, const tax_series *s)
{
    FUZZ_ASSERT(s->n >= 1);
    for (size_t i = 0; i < s->n; i++) {
        const tax_rate_entry *e = &s->v[i];
        FUZZ_ASSERT(i == 0 || e->from > s->v[i - 1].from);
        FUZZ_ASSERT(e->rate.num >= 0 && e->rate.scale >= 0 && e->rate.scale <= 18);
        FUZZ_ASSERT(e->text != NULL);
        const tax_rate_entry *got = tax_lookup(t, s->jurisdiction, s->tax, e->from);
        FUZZ_ASSERT(got != NULL && got->from == e->from);
    }
    FUZZ_ASSERT(s->v[0].from == INT32_MIN ||
                tax_lookup(t, s->jurisdiction, s->tax, s->v[0].from - 1) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("input", data, size);
    diag d;
    diag_init(&d);
    tax_table *t = tax_load(path, &d);
    FUZZ_ASSERT(t ? d.n == 0 : d.n > 0);
    if (t) {
        for (size_t i = 0; i < t->n; i++)
            fuzz_tax_series(t, &t->s[i]);
        tax_free(t);
    }
    diag_free(&d);
    return 0;
}

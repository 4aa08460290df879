/*
 * fuzz_config.c - settle.yaml loading (config_load: libyaml, the schema
 * checks, partners, dialects, field maps, time patterns, control options).
 * The input is the config file. A load either succeeds or reports at least
 * one problem; nothing leaks either way.
 */
#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("settle.yaml", data, size);
    settle_config cfg;
    diag d;
    diag_init(&d);
    int rc = config_load(path, &cfg, &d);
    FUZZ_ASSERT(rc == 0 ? d.n == 0 : d.n > 0);
    if (rc == 0)
        config_free(&cfg);
    diag_free(&d);
    return 0;
}

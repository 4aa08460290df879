/*
 * fuzz_manifest.c - control-total manifests (control_read_manifest: a YAML
 * or JSON mapping, values at dotted paths). The first input byte picks the
 * paths (bit 0: "count"/"sum", else "totals.rows"/"totals.amount"); the rest
 * is the manifest. A read that succeeds has a count and a sum that fit their
 * buffers; one that fails says why.
 */
#include "control.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t opt = fuzz_take_byte(&data, &size);
    control_options o = {0};
    o.count.name = (opt & 1) ? (char *)"count" : (char *)"totals.rows";
    o.sum.name = (opt & 1) ? (char *)"sum" : (char *)"totals.amount";
    const char *path = fuzz_write("input", data, size);
    control_decl d;
    char err[256] = "";
    if (control_read_manifest(path, "input.ctl", &o, &d, err, sizeof err) == 0) {
        FUZZ_ASSERT(d.present);
        FUZZ_ASSERT(strlen(d.count) < sizeof d.count && strlen(d.sum) < sizeof d.sum);
        FUZZ_ASSERT(strlen(d.sha256) < sizeof d.sha256);
    } else {
        FUZZ_ASSERT(!d.present && err[0] != 0);
    }
    return 0;
}

/*
 * fuzz_gzip.c - the byte source under both readers (ingest_source.h): plain
 * files pass through, gzip files (any number of members) are inflated, and a
 * corrupt or truncated archive is an error that sticks. The first input byte
 * picks the read size (1..256 bytes, so reads split everywhere); the rest is
 * the file.
 */
#include "fuzz.h"
#include "ingest_source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t chunk = (size_t)fuzz_take_byte(&data, &size) + 1;
    const char *path = fuzz_write("input", data, size);
    char err[256], buf[256];
    byte_source *s = source_open(path, err, sizeof err);
    FUZZ_ASSERT(s != NULL);
    uint64_t total = 0;
    ssize_t n;
    while ((n = source_read(s, buf, chunk, err, sizeof err)) > 0) {
        FUZZ_ASSERT((size_t)n <= chunk);
        fuzz_touch(buf, (size_t)n);
        total += (uint64_t)n;
    }
    /* After the end or an error, the source keeps saying so. */
    FUZZ_ASSERT(source_read(s, buf, chunk, err, sizeof err) == n);
    if (!source_is_gzip(s) && n == 0)
        FUZZ_ASSERT(total == size);
    FUZZ_ASSERT(source_file_bytes(s) <= size);
    source_close(s);
    return 0;
}

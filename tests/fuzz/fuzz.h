/*
 * fuzz.h - shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c). Each
 * harness defines LLVMFuzzerTestOneInput and feeds one engine parser the
 * input bytes; a crash, a sanitizer report, a leak or a broken invariant
 * (FUZZ_ASSERT) is a finding. The readers take a path, so the input is
 * written to a file first.
 */
#ifndef SETTLE_FUZZ_H
#define SETTLE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A broken invariant: says which, then aborts so libFuzzer keeps the input. */
#define FUZZ_ASSERT(cond)                                                            \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "fuzz invariant failed %s:%d: %s\n", __FILE__, __LINE__, \
                    #cond);                                                          \
            abort();                                                                 \
        }                                                                            \
    } while (0)

static char fuzz_dir_[256];
static char fuzz_path_[512];

/* Removes the input files and the folder at exit (files: the names used). */
static inline void fuzz_cleanup_(void)
{
    static const char *const names[] = {"input", "settle.yaml"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(fuzz_path_, sizeof fuzz_path_, "%s/%s", fuzz_dir_, names[i]);
        unlink(fuzz_path_);
    }
    rmdir(fuzz_dir_);
}

/*
 * "<folder>/<name>", where the folder is this process's own (created once,
 * under $TMPDIR or /tmp, removed at exit). The returned path is static
 * storage, valid until the next call.
 */
static inline const char *fuzz_tmp_path(const char *name)
{
    if (!fuzz_dir_[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fuzz_dir_, sizeof fuzz_dir_, "%s/settle-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(fuzz_dir_)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(fuzz_cleanup_);
    }
    snprintf(fuzz_path_, sizeof fuzz_path_, "%s/%s", fuzz_dir_, name);
    return fuzz_path_;
}

/* Writes data[0..size) to the file `name` of fuzz_tmp_path and returns its path. */
static inline const char *fuzz_write(const char *name, const uint8_t *data, size_t size)
{
    const char *path = fuzz_tmp_path(name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror("fuzz: writing the input");
        abort();
    }
    return path;
}

/* Takes the first input byte as a choice of options (0 when the input is empty). */
static inline uint8_t fuzz_take_byte(const uint8_t **data, size_t *size)
{
    if (*size == 0)
        return 0;
    uint8_t b = **data;
    (*data)++;
    (*size)--;
    return b;
}

/* Reads every byte of a slice, so ASan sees any slice that points outside its buffer. */
static inline unsigned fuzz_touch(const char *p, size_t n)
{
    unsigned h = 0;
    for (size_t i = 0; i < n; i++)
        h = h * 31 + (unsigned char)p[i];
    return h;
}

#endif

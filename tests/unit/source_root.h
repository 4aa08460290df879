/*
 * source_root.h - where a unit test finds the source tree's fixtures.
 */
#ifndef SETTLE_SOURCE_ROOT_H
#define SETTLE_SOURCE_ROOT_H

#include <stdlib.h>
#include <unistd.h>

#include "util.h"

/*
 * Root of the source tree (caller frees): argv[1]; else "../.." when `probe`
 * (a fixture's path relative to tests/unit) is readable, as when run from
 * tests/unit (meson's workdir); else two levels up from this header's folder.
 */
static inline char *source_root(int argc, char **argv, const char *probe)
{
    if (argc > 1)
        return xstrdup(argv[1]);
    if (access(probe, R_OK) == 0)
        return xstrdup("../..");
    char *a = path_dir(__FILE__), *b = path_dir(a), *c = path_dir(b);
    free(a);
    free(b);
    return c;
}

#endif

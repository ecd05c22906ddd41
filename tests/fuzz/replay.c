/* Replays fuzz inputs without libFuzzer: every regular file named on the command line, or
 * found (recursively) in a directory named there, goes once through LLVMFuzzerTestOneInput.
 * A crash or sanitizer report fails the test; the count of inputs is printed. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define INPUT_MAX (64u * 1024u * 1024u)

static unsigned long ninputs;

static int run_file(const char *path, off_t size)
{
    if (size < 0 || (uint64_t)size > INPUT_MAX)
        return 0; /* bigger inputs are the corpus test's business */
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    uint8_t *buf = malloc((size_t)size + 1);
    size_t n = buf ? fread(buf, 1, (size_t)size, f) : 0;
    fclose(f);
    if (!buf)
        return -1;
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    ninputs++;
    return 0;
}

static int walk(const char *path, int depth)
{
    struct stat st;
    if (depth > 8 || stat(path, &st) != 0)
        return 0;
    if (S_ISREG(st.st_mode))
        return run_file(path, st.st_size);
    if (!S_ISDIR(st.st_mode))
        return 0;
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort); /* sorted: a failure is reproducible */
    if (n < 0)
        return 0;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.' && rc == 0) {
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, names[i]->d_name);
            rc = walk(sub, depth + 1);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (walk(argv[i], 0) < 0)
            return 2;
    printf("replayed %lu inputs\n", ninputs);
    return 0;
}

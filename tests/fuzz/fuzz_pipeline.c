/* A whole capture through reader, session and both report writers (to /dev/null): what a
 * user's `why502 file` does, minus the command line. */
#include <stdio.h>

#include "capture/capture.h"
#include "fuzz.h"
#include "memfile.h"
#include "report/report.h"
#include "why502/why502.h"

struct out { FILE *f; };

static void on_incident(void *ctx, const struct why_incident *inc)
{
    struct out *o = ctx;
    struct why_text_opts to = {0};
    why_text_incident(o->f, inc, &to);
    why_json_incident(o->f, inc, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[256];
    int fd = memfile(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    struct out o = {fopen("/dev/null", "w")};
    const char *paths[1] = {path};
    struct why_reader *r;
    if (o.f && why_reader_open(&r, paths, 1, err, sizeof err) == 0) {
        struct why_options opt;
        why_options_init(&opt);
        struct why_sink sink = {&o, on_incident};
        struct why_session *s = why_session_new(&opt, &sink, err, sizeof err);
        if (s) {
            struct why_frame f;
            while (why_reader_next(r, &f) == WHY_READ_FRAME)
                why_session_frame(s, &f);
            why_session_finish(s);
            size_t nw;
            const char *const *w = why_reader_warnings(r, &nw);
            struct why_text_opts to = {0};
            why_text_summary(o.f, why_session_summary(s), w, nw, &to);
            why_json_summary(o.f, why_session_summary(s), w, nw);
            why_session_free(s);
        }
        why_reader_free(r);
    }
    if (o.f)
        fclose(o.f);
    close(fd);
    return 0;
}

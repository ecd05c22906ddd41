/* pcap/pcapng reader on arbitrary bytes: every frame is read and its fields touched. */
#include "capture/capture.h"
#include "fuzz.h"
#include "memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[256];
    int fd = memfile(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    const char *paths[1] = {path};
    struct why_reader *r;
    if (why_reader_open(&r, paths, 1, err, sizeof err) == 0) {
        struct why_frame f;
        volatile uint32_t sum = 0;
        while (why_reader_next(r, &f) == WHY_READ_FRAME)
            if (f.caplen)
                sum += f.data[0] + f.data[f.caplen - 1];
        size_t n;
        why_reader_warnings(r, &n);
        why_reader_free(r);
    }
    close(fd);
    return 0;
}

/* An input as a file the reader can open by name, without touching the disk. */
#ifndef WHY_FUZZ_MEMFILE_H
#define WHY_FUZZ_MEMFILE_H

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static inline int memfile(const uint8_t *data, size_t size, char *path, size_t psize)
{
    int fd = memfd_create("why502-fuzz", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)n;
    }
    snprintf(path, psize, "/proc/self/fd/%d", fd);
    return fd;
}

#endif

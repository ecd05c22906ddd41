/* Capture input: classic pcap (micro/nanosecond, both byte orders, the "modified" variants)
 * and pcapng (several sections, either byte order, several interfaces with mixed link types,
 * EPB/SPB/OPB), read with our own buffered reader because libpcap refuses pcapng files whose
 * interfaces have different link types. Hands out one frame at a time; the frame's bytes
 * live in the reader's buffer until the next call. Several files are merged by time.
 *
 * Errors about the file (cannot open, not a capture, cut short) are reported through
 * why_reader_error(); traffic anomalies are not this module's business. Time is: frames
 * whose clock steps back or jumps far ahead are counted, warned about and numbered into
 * time epochs, so that no wait is measured across a jump (see WHY_TIME_JUMP_US). */
#ifndef WHY_CAPTURE_CAPTURE_H
#define WHY_CAPTURE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/wtime.h"

/* Largest frame we accept (bytes of captured data); larger caplen fields are a file error. */
#define WHY_FRAME_MAX (256u * 1024u)

/* Time jumps. Frames come out in time order across files, but a file's own order is kept, so
 * time can step backwards; merged files, or a clock set while capturing, can jump far ahead.
 * Between two consecutive frames handed out, a step forward of more than WHY_TIME_JUMP_US or
 * backward of more than WHY_TIME_BACK_US is a jump: the frame after it starts a new time
 * epoch (why_frame.epoch) and the reader warns. A wait is measurable only between frames of
 * one epoch.
 * - Forward, 1 hour: longer than every default gateway timeout we know (Squid's read_timeout
 *   is 15 min, nginx's proxy_read_timeout 60 s), and a gateway capture silent for an hour is
 *   not one recording; so no real wait is ever refused.
 * - Backward, 10 ms: above the reordering of `-i any` and multi-interface captures (under
 *   1 ms in the public corpus), which changes a wait by less than it. Smaller steps back are
 *   counted (why_time_stats.backwards) but are not jumps. */
#define WHY_TIME_JUMP_US (3600LL * 1000000LL)
#define WHY_TIME_BACK_US (10LL * 1000LL)

struct why_time_jump {
    uint32_t file;       /* file index of the frame after the jump */
    uint64_t frame;      /* its frame number within that file */
    uint32_t prev_file;  /* file index and frame number of the frame before it */
    uint64_t prev_frame;
    int64_t us;          /* the step, microseconds: > 0 forward, < 0 backward */
};

struct why_time_stats {
    uint64_t backwards;       /* frames earlier than the frame handed out before them (any step) */
    uint64_t back_jumps;      /* of which more than WHY_TIME_BACK_US earlier */
    uint64_t fwd_jumps;       /* frames more than WHY_TIME_JUMP_US after the frame before them */
    int64_t largest_back_us;  /* largest step backwards, microseconds (>= 0) */
    struct why_time_jump first_back; /* first of back_jumps (valid when back_jumps > 0) */
    struct why_time_jump first_fwd;  /* first of fwd_jumps (valid when fwd_jumps > 0) */
    uint32_t epochs;          /* time epochs so far: 1 + back_jumps + fwd_jumps (0 before a frame) */
};

struct why_frame {
    uint64_t num;        /* 1-based frame number within its file (tshark's frame.number) */
    uint32_t epoch;      /* time epoch, 0-based: +1 after each time jump (WHY_TIME_JUMP_US) */
    uint32_t file;       /* index of the file in the reader's list, 0-based */
    struct why_ts ts;    /* capture timestamp, UTC */
    uint32_t linktype;   /* LINKTYPE_* value (1 Ethernet, 101 RAW, 113 SLL, 276 SLL2, 0 NULL...) */
    uint32_t ifindex;    /* pcapng interface id; 0 for classic pcap */
    uint32_t caplen;     /* bytes present in data */
    uint32_t wirelen;    /* bytes on the wire (>= caplen; smaller values are raised to caplen) */
    const uint8_t *data; /* caplen bytes, valid until the next why_reader_next/why_reader_free */
};

enum why_read_status {
    WHY_READ_FRAME = 1, /* *out holds a frame */
    WHY_READ_EOF = 0,   /* every file read to its end */
    WHY_READ_ERROR = -1 /* an unusable file: see why_reader_error(); frames before it were valid */
};

struct why_reader;

/* Opens the given paths ("-" is standard input, at most once). Each file's header is read
 * at open, so a file that is not a capture fails here with a one-line message in err
 * (e.g. "x.txt: not a pcap or pcapng file (magic 0x3c68746d)"). Returns 0 or -1.
 * On success *out is owned by the caller: free with why_reader_free. */
int why_reader_open(struct why_reader **out, const char *const *paths, size_t npaths, char *err,
                    size_t errsize);

#define WHY_READAHEAD_BLOCK (1u << 20) /* bytes per read-ahead block, by default */

/* why_reader_open, with regular files of at least `block` (>= 1) bytes read ahead by a
 * second thread into a few blocks of that size while frames are parsed out of the blocks
 * already read; shorter files and anything not a regular file (standard input, pipes) are
 * read on the calling thread, as why_reader_open reads every file. The kernel's copy of the
 * file then overlaps the analysis: less elapsed time where a core is spare, but more CPU time
 * in all, as each block's cache lines move from the reading core to the parsing one
 * (bench/README.md, "capture files read on the analysis thread"). */
int why_reader_open_ahead(struct why_reader **out, const char *const *paths, size_t npaths, size_t block,
                          char *err, size_t errsize);

/* Next frame in time order across files (each file's own order is kept: frames of one file
 * are never reordered; across files the earliest pending timestamp goes first).
 * A file that turns out to be cut short or corrupt in the middle ends that file with a
 * warning (see why_reader_warnings) and reading goes on with the others; WHY_READ_ERROR is
 * only returned for I/O errors. */
enum why_read_status why_reader_next(struct why_reader *r, struct why_frame *out);

/* One-line message for the last error, "" when none. */
const char *why_reader_error(const struct why_reader *r);

/* Warnings collected so far (e.g. "cut.pcap: file ends inside frame 1234 (last good frame
 * 1233)"), one per file at most, plus one for time jumps backwards and one for jumps forward
 * ("x.pcap: time jumps 4.2 years forward at frame 524 (after frame 523); 1 jump forward over
 * 1.0 h: a wait that spans one is not a real wait"); *n receives the count. Owned by the
 * reader; the time lines are rewritten as their counts grow. */
const char *const *why_reader_warnings(const struct why_reader *r, size_t *n);

/* Time steps seen so far among the frames handed out. Owned by the reader. */
const struct why_time_stats *why_reader_time(const struct why_reader *r);

/* Name of file index i as given to why_reader_open. */
const char *why_reader_filename(const struct why_reader *r, uint32_t i);

/* Bytes read so far across all files, and the total size when known (0 if not: stdin). */
void why_reader_progress(const struct why_reader *r, uint64_t *done, uint64_t *total);

void why_reader_free(struct why_reader *r);

#endif

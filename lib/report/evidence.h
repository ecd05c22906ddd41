/* Evidence export: for each incident, one small pcapng file holding exactly the frames that
 * prove it (the article's "Export Specified Packets", automated): the frames of the
 * connections the incident involves, both legs, and its DNS and ICMP frames, within the
 * incident's time window, in time order, cut from the packet ring. The section comment holds
 * the summary and the fix; each evidence frame carries its role as a comment; the TLS key log
 * lines of exactly those connections go in a Decryption Secrets Block. Live, evidence the ring
 * no longer holds is named in the section comment; from capture files, such an incident is
 * cut again by a second pass over the files at the end (bounded memory, see
 * why_export_second_pass), and only what that pass cannot hold is named. Files appear complete or not at all (written
 * under a temporary name, then renamed); --evidence-max removes the oldest first. */
#ifndef WHY_REPORT_EVIDENCE_H
#define WHY_REPORT_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/ring.h"
#include "why502/why502.h"

#define WHY_EXPORT_PAD_US (2LL * 1000000)  /* the window reaches this far before the first and
                                              after the last fact of an incident */
#define WHY_EXPORT_FRAMES_MAX 100000u      /* frames per evidence file (cap, counted) */
#define WHY_EXPORT_TRACKED_MAX 100000u     /* evidence files remembered for --evidence-max */
#define WHY_EXPORT_TLS_MAX 16u             /* TLS client randoms looked up per incident */
#define WHY_EXPORT_DEFER_MAX 4096u         /* incidents kept for the second pass (cap; later
                                              ones are cut from the ring, missing frames named) */
#define WHY_EXPORT_SECOND_BYTES (512ull << 20) /* frame bytes the second pass holds at once
                                              (cap; an incident's file is cut there, said so) */

struct why_export_opts {
    const char *dir;            /* existing directory; files go straight in it */
    uint64_t max_bytes;         /* --evidence-max: bytes of *.pcapng kept in dir, 0 = no bound */
    const char *keylog;         /* key log read at each incident for the DSB, NULL = none */
    bool second_pass;           /* capture files: an incident whose frames left the ring is
                                   written by why_export_second_pass instead */
};

struct why_export_stats {
    uint64_t written;           /* evidence files written */
    uint64_t bytes_written;
    uint64_t frames_written;
    uint64_t removed;           /* files removed to stay under max_bytes (this run's and older) */
    uint64_t removed_bytes;
    uint64_t skipped;           /* incidents whose file alone would exceed max_bytes */
    uint64_t failed;            /* files that could not be written (disk full ...) */
    uint64_t missing;           /* evidence frames the ring no longer held (nor the files) */
    uint64_t deferred;          /* incidents cut again from the capture files */
    uint64_t held_bytes;        /* *.pcapng bytes in dir as tracked */
};

struct why_export;

/* Scans dir for the *.pcapng files already there (oldest first by name, whose first field
 * is the time) so that max_bytes bounds them too. NULL with a line in err on failure. */
struct why_export *why_export_new(const struct why_export_opts *o, char *err, size_t errsize);
/* Writes the evidence file of inc from the frames the ring holds. drops: packets the capture
 * dropped while the incident was under way (named in the comment). Returns 0, or -1 with a
 * line in err (the file is then not left behind; earlier files are untouched). path receives
 * the file written ("" when skipped). */
int why_export_incident(struct why_export *x, const struct why_incident *inc,
                        const struct why_ring *ring, uint64_t drops, char *path, size_t pathsize,
                        char *err, size_t errsize);
/* With second_pass: reads the capture files again (twice: the flows, then the frames), and
 * writes the files of the incidents kept, each as soon as the read passes its window. Memory:
 * the frames of the windows open at once, at most WHY_EXPORT_SECOND_BYTES. 0, or -1 with a
 * line in err (the first failure; the other files are still written). */
int why_export_second_pass(struct why_export *x, const char *const *paths, size_t npaths, char *err,
                           size_t errsize);
void why_export_get_stats(const struct why_export *x, struct why_export_stats *st);
void why_export_free(struct why_export *x);

#endif

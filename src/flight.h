/* The flight recorder side of the CLI: live devices, the packet ring, evidence files, the
 * rotating full capture (-w -C -W), the Prometheus endpoint, privilege dropping and the
 * live loop. main.c parses the options into struct flight_opts and calls these in order:
 * flight_start (opens everything, then drops privileges), flight_frame per frame read from
 * files or flight_run for devices, flight_incident per incident, flight_summary, flight_free. */
#ifndef WHY_SRC_FLIGHT_H
#define WHY_SRC_FLIGHT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/live.h"
#include "capture/ring.h"
#include "why502/why502.h"

struct flight_opts {
    bool live;                        /* read devices (-i, or no capture file given) */
    const char *devices[WHY_LIVE_DEVICES_MAX];
    size_t ndevices;
    const char *filter;               /* -f or trailing words (live: compiled in the kernel) */
    int snaplen;                      /* -s, bytes; 0 = default */
    int buffer_bytes;                 /* -B (given in KiB), bytes; 0 = libpcap's default */
    uint64_t count;                   /* -c: stop after this many frames, 0 = no limit */
    const char *user;                 /* -Z */
    uint64_t ring_bytes;              /* --ring */
    int64_t ring_us;
    const char *evidence_dir;         /* --evidence, NULL = none */
    uint64_t evidence_max;            /* --evidence-max, bytes, 0 = no bound */
    const char *keylog;               /* --keylog: secrets for the evidence files too */
    const char *wfile;                /* -w */
    uint64_t wsize;                   /* -C, bytes (millions of bytes given), 0 = one file */
    unsigned wcount;                  /* -W, 0 = no rotation limit */
    const char *metrics;              /* --metrics ADDR:PORT */
    bool quiet;
};

/* Parses "256M", "1G", "500K", "1048576" into bytes (powers of 1024). 0 or -1. */
int flight_parse_size(const char *s, uint64_t *bytes);
/* Parses --ring: "120s", "256M", "2m", or both "120s,256M". 0 or -1 with a line in err. */
int flight_parse_ring(const char *s, uint64_t *bytes, int64_t *us, char *err, size_t errsize);

struct flight;

/* Opens devices, the evidence directory (created if missing), the metrics socket, the -w
 * file and the ring, then drops privileges (-Z, or an unprivileged user when started as root
 * for a live capture). Returns 0 with *out set, or an exit status (WHY_EXIT_*) after printing
 * one line on stderr. */
int flight_start(struct flight **out, const struct flight_opts *o);
/* Whether incidents go to the evidence export (so main keeps the ring fed). */
bool flight_wants_frames(const struct flight *fl);
/* A frame read from a file: into the ring and the -w capture. */
void flight_frame(struct flight *fl, const struct why_frame *f);
/* Called for each incident before it is written: returns inc, or copy annotated with the
 * drops that happened while it was under way. */
const struct why_incident *flight_annotate(struct flight *fl, const struct why_incident *inc,
                                           struct why_incident *copy);
/* After the incident is written: its evidence file and the metrics. */
void flight_incident(struct flight *fl, const struct why_incident *inc);
/* The evidence file written for the latest incident, as a link from the HTML report at
 * html_path (relative to its folder when the file lies below it); "" when none was written. */
void flight_evidence_link(const struct flight *fl, const char *html_path, char *buf, size_t size);
/* Reads the devices into the session until *stop is set, -c is reached or a device fails.
 * Returns 0 or an exit status. */
int flight_run(struct flight *fl, struct why_session *s, volatile sig_atomic_t *stop,
               volatile sig_atomic_t *status, FILE *out);
/* Frame limit (-c) reached for file input. */
bool flight_count_done(const struct flight *fl);
/* Lines after the summary: capture drops, evidence files, ring. JSON: one object. */
void flight_summary(struct flight *fl, FILE *out, bool json);
/* WHY_EXIT_OUTPUT when an evidence file or the -w capture could not be written, else 0. */
/* Capture files read to the end: the evidence files of incidents whose frames had left the
 * ring are cut from a second pass over the same files. */
void flight_files_done(struct flight *fl, const char *const *paths, size_t npaths);
/* Live capture that dropped packets: the summary's warning ("evidence may be incomplete: N
 * packets dropped ..."), kept in fl; NULL when nothing was dropped or not live. */
const char *flight_drop_warning(struct flight *fl);
int flight_status(const struct flight *fl);
void flight_free(struct flight *fl);

#endif

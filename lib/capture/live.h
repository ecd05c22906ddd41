/* Live capture through libpcap: one or more devices (`any` by default), each opened with
 * pcap_create/pcap_activate so the snapshot length, the kernel buffer and nanosecond
 * timestamps can be set; on Linux libpcap then reads through its memory-mapped TPACKET_V3
 * ring. A BPF filter is compiled per device. Frames come out as why_frame with frame
 * numbers counted across devices (file 0), in the order read. Kernel and interface drops
 * come from pcap_stats. Errors about devices and filters are one line in err. */
#ifndef WHY_CAPTURE_LIVE_H
#define WHY_CAPTURE_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"

#define WHY_LIVE_DEVICES_MAX 16        /* -i given at most this many times */
#define WHY_LIVE_TIMEOUT_MS 100        /* packet buffer timeout: frames wait at most this long
                                          in the kernel before they are handed over */
#define WHY_LIVE_DEFAULT_SNAPLEN 262144 /* bytes, as tcpdump's default */

/* Why opening failed, so the CLI can pick its exit status. */
enum why_live_err {
    WHY_LIVE_OK = 0,
    WHY_LIVE_ERR_DEVICE = -1,  /* no such device, no permission, cannot activate */
    WHY_LIVE_ERR_FILTER = -2,  /* the filter does not compile (a usage error) */
    WHY_LIVE_ERR_MEMORY = -3,
};

struct why_live_opts {
    const char *const *devices; /* device names; none = "any" */
    size_t ndevices;
    int snaplen;                /* bytes per frame kept, 0 = WHY_LIVE_DEFAULT_SNAPLEN */
    int buffer_bytes;           /* kernel buffer per device (bytes), 0 = libpcap's default */
    const char *filter;         /* pcap-filter(7) expression, NULL = everything */
};

struct why_live_stats {
    uint64_t received;          /* frames handed out */
    uint64_t kernel_drops;      /* ps_drop summed over devices: no room in the buffer */
    uint64_t iface_drops;       /* ps_ifdrop summed over devices: dropped by the interface */
};

struct why_live;

/* Opens and activates every device and installs the filter. Returns WHY_LIVE_OK with *out
 * set, or a negative enum why_live_err with a line in err ("-i nosuch0: No such device
 * exists"). Nothing stays open on failure. */
int why_live_open(struct why_live **out, const struct why_live_opts *o, char *err, size_t errsize);
/* Waits up to timeout_ms for frames. Returns >0 when some device has frames, 0 on timeout,
 * -1 when interrupted by a signal (errno EINTR) or on a poll error. */
int why_live_wait(struct why_live *l, int timeout_ms);
/* Hands out the frames ready on every device (at most max per device per call) to fn, in
 * the order read; the frame's bytes are valid during the call only. Returns frames handed
 * out, or -1 with a line in err when a device failed (e.g. it went away). */
int why_live_dispatch(struct why_live *l, int max, void (*fn)(void *ctx, const struct why_frame *f),
                      void *ctx, char *err, size_t errsize);
void why_live_get_stats(struct why_live *l, struct why_live_stats *st);
/* Number of devices open, and the name of device i. */
size_t why_live_ndevices(const struct why_live *l);
const char *why_live_device(const struct why_live *l, size_t i);
/* The DLT_ link type of device i (pcap_datalink). */
uint32_t why_live_linktype(const struct why_live *l, size_t i);
void why_live_free(struct why_live *l);

#endif

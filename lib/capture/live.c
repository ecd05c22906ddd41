/* Live capture: libpcap handles in non-blocking mode, waited on together with poll(2).
 * The buffer timeout (WHY_LIVE_TIMEOUT_MS) rather than immediate mode keeps libpcap on its
 * TPACKET_V3 block ring on Linux; a quiet link still hands over what it has within the
 * timeout, and pcap_get_required_select_timeout covers platforms whose descriptors do not
 * wake up for that. */
#include "capture/live.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dev {
    pcap_t *p;
    const char *name;
    uint32_t linktype;
    int fd;                       /* selectable descriptor, -1 if none */
};

struct why_live {
    struct dev devs[WHY_LIVE_DEVICES_MAX];
    size_t n;
    uint64_t num;                 /* frames handed out (the last frame number) */
    void (*fn)(void *ctx, const struct why_frame *f);
    void *ctx;
    uint32_t cur_linktype;
};

static int open_one(struct dev *d, const char *name, const struct why_live_opts *o, char *err,
                    size_t errsize)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    d->name = name;
    d->fd = -1;
    d->p = pcap_create(name, ebuf);
    if (!d->p) {
        snprintf(err, errsize, "-i %s: %s", name, ebuf);
        return WHY_LIVE_ERR_DEVICE;
    }
    pcap_set_snaplen(d->p, o->snaplen > 0 ? o->snaplen : WHY_LIVE_DEFAULT_SNAPLEN);
    pcap_set_promisc(d->p, 0);
    pcap_set_timeout(d->p, WHY_LIVE_TIMEOUT_MS);
    if (o->buffer_bytes > 0)
        pcap_set_buffer_size(d->p, o->buffer_bytes);
    pcap_set_tstamp_precision(d->p, PCAP_TSTAMP_PRECISION_NANO);
    int rc = pcap_activate(d->p);
    if (rc < 0) {
        const char *why = pcap_geterr(d->p);
        snprintf(err, errsize, "-i %s: %s%s", name, why && *why ? why : pcap_statustostr(rc),
                 rc == PCAP_ERROR_PERM_DENIED ? " (capturing needs root or CAP_NET_RAW)" : "");
        return WHY_LIVE_ERR_DEVICE;
    }
    /* as tcpdump: the any device in Linux cooked v2 (it names the interface) where libpcap has it */
#ifdef DLT_LINUX_SLL2
    if (!strcmp(name, "any") && pcap_datalink(d->p) == DLT_LINUX_SLL)
        (void)pcap_set_datalink(d->p, DLT_LINUX_SLL2);
#endif
    d->linktype = (uint32_t)pcap_datalink(d->p);
    if (o->filter && *o->filter) {
        struct bpf_program prog;
        if (pcap_compile(d->p, &prog, o->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
            snprintf(err, errsize, "filter '%s': %s", o->filter, pcap_geterr(d->p));
            return WHY_LIVE_ERR_FILTER;
        }
        rc = pcap_setfilter(d->p, &prog);
        pcap_freecode(&prog);
        if (rc < 0) {
            snprintf(err, errsize, "filter '%s' on %s: %s", o->filter, name, pcap_geterr(d->p));
            return WHY_LIVE_ERR_FILTER;
        }
    }
    if (pcap_setnonblock(d->p, 1, ebuf) < 0) {
        snprintf(err, errsize, "-i %s: %s", name, ebuf);
        return WHY_LIVE_ERR_DEVICE;
    }
    d->fd = pcap_get_selectable_fd(d->p);
    return WHY_LIVE_OK;
}

int why_live_open(struct why_live **out, const struct why_live_opts *o, char *err, size_t errsize)
{
    *out = NULL;
    if (o->ndevices > WHY_LIVE_DEVICES_MAX) {
        snprintf(err, errsize, "-i: at most %d devices", WHY_LIVE_DEVICES_MAX);
        return WHY_LIVE_ERR_DEVICE;
    }
    struct why_live *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errsize, "out of memory");
        return WHY_LIVE_ERR_MEMORY;
    }
    size_t n = o->ndevices ? o->ndevices : 1;
    for (size_t i = 0; i < n; i++) {
        int rc = open_one(&l->devs[i], o->ndevices ? o->devices[i] : "any", o, err, errsize);
        l->n = i + 1;
        if (rc != WHY_LIVE_OK) {
            why_live_free(l);
            return rc;
        }
    }
    *out = l;
    return WHY_LIVE_OK;
}

int why_live_wait(struct why_live *l, int timeout_ms)
{
    struct pollfd pfd[WHY_LIVE_DEVICES_MAX];
    nfds_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        const struct timeval *tv = pcap_get_required_select_timeout(l->devs[i].p);
        if (tv) {
            int ms = (int)(tv->tv_sec * 1000 + tv->tv_usec / 1000);
            if (ms < timeout_ms)
                timeout_ms = ms;
        }
        if (l->devs[i].fd >= 0)
            pfd[n++] = (struct pollfd){.fd = l->devs[i].fd, .events = POLLIN};
    }
    int rc = poll(pfd, n, timeout_ms);
    return rc < 0 ? -1 : rc;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct why_live *l = (struct why_live *)(void *)user;
    uint32_t caplen = h->caplen > WHY_FRAME_MAX ? WHY_FRAME_MAX : h->caplen;
    struct why_frame f = {
        .num = ++l->num,
        .file = 0,
        /* nanosecond precision was asked for: tv_usec holds nanoseconds */
        .ts = {.sec = (int64_t)h->ts.tv_sec, .nsec = (uint32_t)h->ts.tv_usec},
        .linktype = l->cur_linktype,
        .caplen = caplen,
        .wirelen = h->len < caplen ? caplen : h->len,
        .data = bytes,
    };
    l->fn(l->ctx, &f);
}

int why_live_dispatch(struct why_live *l, int max, void (*fn)(void *ctx, const struct why_frame *f),
                      void *ctx, char *err, size_t errsize)
{
    l->fn = fn;
    l->ctx = ctx;
    int total = 0;
    for (size_t i = 0; i < l->n; i++) {
        struct dev *d = &l->devs[i];
        l->cur_linktype = d->linktype;
        int rc = pcap_dispatch(d->p, max, on_packet, (u_char *)(void *)l);
        if (rc == PCAP_ERROR) {
            snprintf(err, errsize, "-i %s: %s", d->name, pcap_geterr(d->p));
            return -1;
        }
        if (rc > 0)
            total += rc;
    }
    return total;
}

void why_live_get_stats(struct why_live *l, struct why_live_stats *st)
{
    memset(st, 0, sizeof *st);
    st->received = l->num;
    for (size_t i = 0; i < l->n; i++) {
        struct pcap_stat ps;
        if (pcap_stats(l->devs[i].p, &ps) == 0) {
            st->kernel_drops += ps.ps_drop;
            st->iface_drops += ps.ps_ifdrop;
        }
    }
}

size_t why_live_ndevices(const struct why_live *l) { return l->n; }
const char *why_live_device(const struct why_live *l, size_t i) { return i < l->n ? l->devs[i].name : ""; }
uint32_t why_live_linktype(const struct why_live *l, size_t i) { return i < l->n ? l->devs[i].linktype : 0; }

void why_live_free(struct why_live *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        if (l->devs[i].p)
            pcap_close(l->devs[i].p);
    free(l);
}

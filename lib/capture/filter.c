/* Frame filter: libpcap's compiler and BPF interpreter (pcap_compile on a dead handle,
 * pcap_offline_filter), one program per link type met, kept in a table that grows up to
 * WHY_FILTER_LINKTYPES_MAX entries. File link types are mapped to libpcap's DLT values. */
#include "capture/filter.h"

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct prog {
    uint32_t linktype;
    struct bpf_program bpf;
};

struct why_filter {
    const char *expr;
    struct prog *progs; /* n used, cap allocated */
    size_t n, cap;
    uint64_t over_cap;  /* frames of link types past WHY_FILTER_LINKTYPES_MAX */
};

struct why_filter *why_filter_new(const char *expr)
{
    struct why_filter *f = calloc(1, sizeof *f);
    if (f)
        f->expr = expr;
    return f;
}

/* The DLT_ value libpcap's compiler takes for a file's LINKTYPE_ value: they differ for raw
 * IP, whose LINKTYPE_RAW (101) and the BSD raw values (12, 14) are all DLT_RAW here
 * (tcpdump.org/linktypes.html); elsewhere they are the same number. */
static int dlt_of(uint32_t linktype)
{
    if (linktype == 101 || linktype == 12 || linktype == 14)
        return DLT_RAW;
    return (int)linktype;
}

/* Compiles the expression for linktype into a new table entry. 1, 0 past the cap, -1 on a
 * compile error or out of memory (message in err). */
static int add_prog(struct why_filter *f, uint32_t linktype, char *err, size_t errsize)
{
    if (f->n == WHY_FILTER_LINKTYPES_MAX)
        return 0;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 4;
        struct prog *p = realloc(f->progs, cap * sizeof *p);
        if (!p) {
            snprintf(err, errsize, "--filter: out of memory");
            return -1;
        }
        f->progs = p;
        f->cap = cap;
    }
    pcap_t *dead = pcap_open_dead(dlt_of(linktype), 262144);
    struct prog *p = &f->progs[f->n];
    p->linktype = linktype;
    bool ok = dead && pcap_compile(dead, &p->bpf, f->expr, 1, PCAP_NETMASK_UNKNOWN) == 0;
    if (!ok)
        snprintf(err, errsize, "--filter: %s", dead ? pcap_geterr(dead) : "cannot compile");
    if (dead)
        pcap_close(dead);
    if (!ok)
        return -1;
    f->n++;
    return 1;
}

int why_filter_match(struct why_filter *f, const struct why_frame *fr, char *err, size_t errsize)
{
    size_t i = 0;
    while (i < f->n && f->progs[i].linktype != fr->linktype)
        i++;
    if (i == f->n) {
        int r = add_prog(f, fr->linktype, err, errsize);
        if (r < 0)
            return -1;
        if (r == 0) {
            f->over_cap++;
            return 0;
        }
    }
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.caplen = fr->caplen;
    h.len = fr->wirelen;
    return pcap_offline_filter(&f->progs[i].bpf, &h, fr->data) != 0;
}

uint64_t why_filter_over_cap(const struct why_filter *f) { return f->over_cap; }

void why_filter_free(struct why_filter *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        pcap_freecode(&f->progs[i].bpf);
    free(f->progs);
    free(f);
}

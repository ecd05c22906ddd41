/* Packet ring: records {header, data padded to 8 bytes} laid out circularly in one byte
 * area; a record never wraps (the tail jumps to offset 0 instead, leaving the end unused).
 * The index is a circular array of record offsets in arrival order (oldest first), grown by
 * doubling, so a time window is found by binary search over it. */
#include "capture/ring.h"

#include <stdlib.h>
#include <string.h>

struct rec {             /* record header; data follows */
    struct why_ts ts;
    uint64_t num;        /* frame number within its file */
    uint32_t file, linktype, ifindex, caplen, wirelen;
    uint32_t size;       /* bytes of the whole record (header + padded data) */
};

struct why_ring {
    uint8_t *area;
    uint64_t cap;        /* bytes of area */
    int64_t max_us;
    uint64_t tail;       /* where the next record goes */
    uint64_t bytes;      /* bytes held in records */
    uint64_t *idx;       /* record offsets, circular: idx[(first + i) % idx_cap] */
    uint64_t idx_cap, first, count;
    uint64_t pushed, evicted;
};

static struct rec *rec_at(const struct why_ring *r, uint64_t off) { return (struct rec *)(void *)(r->area + off); }

static uint64_t off_of(const struct why_ring *r, uint64_t i) { return r->idx[(r->first + i) % r->idx_cap]; }

static const struct rec *nth(const struct why_ring *r, uint64_t i) { return rec_at(r, off_of(r, i)); }

struct why_ring *why_ring_new(uint64_t max_bytes, int64_t max_us)
{
    if (max_bytes < WHY_RING_MIN_BYTES)
        return NULL;
    struct why_ring *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cap = max_bytes & ~(uint64_t)7;
    r->max_us = max_us;
    r->area = malloc(r->cap); /* pages are committed as records reach them */
    r->idx_cap = 4096;
    r->idx = malloc(r->idx_cap * sizeof *r->idx);
    if (!r->area || !r->idx) {
        why_ring_free(r);
        return NULL;
    }
    return r;
}

static void evict_oldest(struct why_ring *r)
{
    r->bytes -= nth(r, 0)->size;
    r->first = (r->first + 1) % r->idx_cap;
    r->count--;
    r->evicted++;
}

static bool idx_grow(struct why_ring *r)
{
    uint64_t ncap = r->idx_cap * 2;
    uint64_t *n = malloc(ncap * sizeof *n);
    if (!n)
        return false;
    for (uint64_t i = 0; i < r->count; i++)
        n[i] = off_of(r, i);
    free(r->idx);
    r->idx = n;
    r->idx_cap = ncap;
    r->first = 0;
    return true;
}

void why_ring_push(struct why_ring *r, const struct why_frame *f)
{
    uint64_t need = sizeof(struct rec) + ((f->caplen + 7u) & ~7u);
    if (need > r->cap)
        return; /* cannot happen above WHY_RING_MIN_BYTES; never a crash */
    /* age bound: the newest frame decides */
    while (r->max_us > 0 && r->count && why_ts_diff_us(nth(r, 0)->ts, f->ts) > r->max_us)
        evict_oldest(r);
    /* room: records held lie in [head, tail) or, wrapped, in [head, end) + [0, tail) */
    for (;;) {
        if (!r->count) {
            r->tail = 0;
            break;
        }
        uint64_t head = off_of(r, 0);
        if (r->tail > head) {
            if (r->cap - r->tail >= need)
                break;
            r->tail = 0; /* wrap: the records now end before head */
            if (head >= need)
                break;
            evict_oldest(r);
        } else if (head - r->tail >= need) {
            break;
        } else {
            evict_oldest(r);
        }
    }
    if (r->count == r->idx_cap && !idx_grow(r)) {
        evict_oldest(r); /* out of memory for the index: keep the bound by dropping one */
        if (!r->count)
            r->tail = 0;
    }
    struct rec *h = rec_at(r, r->tail);
    *h = (struct rec){.ts = f->ts, .num = f->num, .file = f->file, .linktype = f->linktype,
                      .ifindex = f->ifindex, .caplen = f->caplen, .wirelen = f->wirelen,
                      .size = (uint32_t)need};
    memcpy(h + 1, f->data, f->caplen);
    r->idx[(r->first + r->count) % r->idx_cap] = r->tail;
    r->count++;
    r->tail += need;
    r->bytes += need;
    r->pushed++;
}

void why_ring_each(const struct why_ring *r, struct why_ts from, struct why_ts to,
                   bool (*fn)(void *ctx, const struct why_frame *f), void *ctx)
{
    /* first record at or after `from` (the index is in time order up to small reordering,
     * which the caller's window absorbs) */
    uint64_t lo = 0, hi = r->count;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (why_ts_cmp(nth(r, mid)->ts, from) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (uint64_t i = lo; i < r->count; i++) {
        const struct rec *h = nth(r, i);
        if (why_ts_cmp(h->ts, to) > 0)
            break;
        if (why_ts_cmp(h->ts, from) < 0)
            continue;
        struct why_frame f = {.num = h->num, .file = h->file, .ts = h->ts, .linktype = h->linktype,
                              .ifindex = h->ifindex, .caplen = h->caplen, .wirelen = h->wirelen,
                              .data = (const uint8_t *)(h + 1)};
        if (!fn(ctx, &f))
            break;
    }
}

void why_ring_get_stats(const struct why_ring *r, struct why_ring_stats *st)
{
    memset(st, 0, sizeof *st);
    st->cap_bytes = r->cap;
    st->cap_us = r->max_us;
    st->bytes = r->bytes;
    st->frames = r->count;
    st->pushed = r->pushed;
    st->evicted = r->evicted;
    if (r->count) {
        st->oldest = nth(r, 0)->ts;
        st->newest = nth(r, r->count - 1)->ts;
    }
}

void why_ring_free(struct why_ring *r)
{
    if (!r)
        return;
    free(r->area);
    free(r->idx);
    free(r);
}

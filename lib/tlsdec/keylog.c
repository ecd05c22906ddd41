/* TLS key log parsing and lookup: see keylog.h.
 * Lines are assembled from the input in a fixed buffer (WHY_KEYLOG_LINE_MAX); a longer line
 * is discarded up to its newline and counted as junk. Entries live in one growing array;
 * TLS 1.3 secrets, needed only for TLS 1.3 sessions, in a second array the entry points
 * into. The index is an open-addressing table of entry numbers (0 = empty slot), kept at
 * most half full. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsdec/keylog.h"

#define NO_T13 UINT32_MAX

struct kl_entry {
    uint8_t cr[32];
    uint8_t master[48];
    bool has_master;
    uint32_t t13;                       /* index into kl->t13, or NO_T13 */
};

struct kl_t13 {
    uint8_t len[WHY_KL_TLS13_N];
    uint8_t secret[WHY_KL_TLS13_N][WHY_KEYLOG_SECRET_MAX];
};

struct why_keylog {
    struct kl_entry *ent;
    size_t n, cap;
    struct kl_t13 *t13;
    size_t n13, cap13;
    uint32_t *slot;                     /* entry index + 1, 0 = empty */
    size_t nslot;                       /* power of two */
    struct why_keylog_stats st;
    bool oom;
};

/* Line assembly state shared by the file and memory readers. */
struct kl_reader {
    char line[WHY_KEYLOG_LINE_MAX];
    size_t len;
    bool too_long;                      /* current line overflowed: discard to newline */
};

__attribute__((format(printf, 3, 4))) static void msgf(char *err, size_t size, const char *fmt, ...)
{
    if (!err || size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
}

static uint64_t hash_cr(const uint8_t cr[32])
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < 32; i++) {
        h ^= cr[i];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

static struct kl_entry *lookup(const struct why_keylog *kl, const uint8_t cr[32])
{
    if (!kl || kl->nslot == 0)
        return NULL;
    size_t mask = kl->nslot - 1;
    for (size_t i = (size_t)hash_cr(cr) & mask;; i = (i + 1) & mask) {
        uint32_t v = kl->slot[i];
        if (v == 0)
            return NULL;
        if (memcmp(kl->ent[v - 1].cr, cr, 32) == 0)
            return &kl->ent[v - 1];
    }
}

static void slot_put(uint32_t *slot, size_t nslot, const uint8_t cr[32], uint32_t v)
{
    size_t mask = nslot - 1;
    size_t i = (size_t)hash_cr(cr) & mask;
    while (slot[i] != 0)
        i = (i + 1) & mask;
    slot[i] = v;
}

static bool grow_index(struct why_keylog *kl)
{
    size_t nslot = kl->nslot ? kl->nslot * 2 : 64;
    uint32_t *slot = calloc(nslot, sizeof *slot);
    if (!slot)
        return false;
    for (size_t i = 0; i < kl->n; i++)
        slot_put(slot, nslot, kl->ent[i].cr, (uint32_t)(i + 1));
    free(kl->slot);
    kl->slot = slot;
    kl->nslot = nslot;
    return true;
}

/* The entry for cr, created if absent; NULL at the cap (over_cap counted) or out of memory. */
static struct kl_entry *entry_get(struct why_keylog *kl, const uint8_t cr[32])
{
    struct kl_entry *e = lookup(kl, cr);
    if (e)
        return e;
    if (kl->n >= WHY_KEYLOG_MAX_ENTRIES) {
        kl->st.over_cap++;
        return NULL;
    }
    if ((kl->n + 1) * 2 > kl->nslot && !grow_index(kl)) {
        kl->oom = true;
        return NULL;
    }
    if (kl->n == kl->cap) {
        size_t cap = kl->cap ? kl->cap * 2 : 16;
        struct kl_entry *ent = realloc(kl->ent, cap * sizeof *ent);
        if (!ent) {
            kl->oom = true;
            return NULL;
        }
        kl->ent = ent;
        kl->cap = cap;
    }
    e = &kl->ent[kl->n];
    memset(e, 0, sizeof *e);
    memcpy(e->cr, cr, 32);
    e->t13 = NO_T13;
    kl->n++;
    slot_put(kl->slot, kl->nslot, cr, (uint32_t)kl->n);
    return e;
}

static struct kl_t13 *t13_get(struct why_keylog *kl, struct kl_entry *e)
{
    if (e->t13 != NO_T13)
        return &kl->t13[e->t13];
    if (kl->n13 == kl->cap13) {
        size_t cap = kl->cap13 ? kl->cap13 * 2 : 16;
        struct kl_t13 *t = realloc(kl->t13, cap * sizeof *t);
        if (!t) {
            kl->oom = true;
            return NULL;
        }
        kl->t13 = t;
        kl->cap13 = cap;
    }
    struct kl_t13 *t = &kl->t13[kl->n13];
    memset(t, 0, sizeof *t);
    e->t13 = (uint32_t)kl->n13++;
    return t;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes exactly 2*n hex digits into out[n]. */
static bool unhex(const char *s, size_t slen, uint8_t *out, size_t n)
{
    if (slen != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static bool tok_is(const char *t, size_t tl, const char *lit)
{
    return tl == strlen(lit) && memcmp(t, lit, tl) == 0;
}

static void junk(struct why_keylog *kl)
{
    kl->st.ignored++;
    if (kl->st.first_ignored_line == 0)
        kl->st.first_ignored_line = kl->st.lines;
}

/* What one line of a key log is. */
enum kl_kind {
    KL_BLANK,
    KL_COMMENT,
    KL_JUNK,   /* unknown label, bad hex or length, wrong token count */
    KL_RSA,    /* RSA <8 bytes of the encrypted pre-master> <48-byte pre-master>: unused */
    KL_UNUSED, /* a well-formed secret not needed (exporters, early traffic) */
    KL_MASTER, /* CLIENT_RANDOM: the TLS 1.2 master secret */
    KL_T13,    /* a TLS 1.3 traffic secret (which: WHY_KL_*) */
};

struct kl_line {
    enum kl_kind kind;
    int which;                          /* KL_T13: WHY_KL_* */
    uint8_t cr[32];                     /* the client random (KL_UNUSED, KL_MASTER, KL_T13) */
    uint8_t sec[WHY_KEYLOG_SECRET_MAX]; /* the secret */
    size_t slen;                        /* its length, bytes */
};

/* One complete line (without its newline), parsed into *l. */
static void parse_line(const char *s, size_t len, struct kl_line *l)
{
    const char *tok[4];
    size_t tl[4];
    size_t nt = 0, i = 0;
    l->kind = KL_JUNK;
    while (i < len) {
        while (i < len && is_space(s[i]))
            i++;
        if (i == len)
            break;
        if (nt == 4) {
            nt++;
            break;
        }
        tok[nt] = s + i;
        size_t start = i;
        while (i < len && !is_space(s[i]))
            i++;
        tl[nt++] = i - start;
    }
    if (nt == 0) {
        l->kind = KL_BLANK;
        return;
    }
    if (tok[0][0] == '#') {
        l->kind = KL_COMMENT;
        return;
    }
    if (nt != 3)
        return;
    enum kl_kind kind = KL_T13;
    if (tok_is(tok[0], tl[0], "CLIENT_RANDOM"))
        kind = KL_MASTER;
    else if (tok_is(tok[0], tl[0], "CLIENT_HANDSHAKE_TRAFFIC_SECRET"))
        l->which = WHY_KL_CLIENT_HS;
    else if (tok_is(tok[0], tl[0], "SERVER_HANDSHAKE_TRAFFIC_SECRET"))
        l->which = WHY_KL_SERVER_HS;
    else if (tok_is(tok[0], tl[0], "CLIENT_TRAFFIC_SECRET_0"))
        l->which = WHY_KL_CLIENT_AP;
    else if (tok_is(tok[0], tl[0], "SERVER_TRAFFIC_SECRET_0"))
        l->which = WHY_KL_SERVER_AP;
    else if (tok_is(tok[0], tl[0], "EXPORTER_SECRET") ||
             tok_is(tok[0], tl[0], "EARLY_EXPORTER_SECRET") ||
             tok_is(tok[0], tl[0], "CLIENT_EARLY_TRAFFIC_SECRET"))
        kind = KL_UNUSED;
    else if (tok_is(tok[0], tl[0], "RSA"))
        kind = KL_RSA;
    else
        return;
    if (kind == KL_RSA) {
        if (unhex(tok[1], tl[1], l->cr, 8) && unhex(tok[2], tl[2], l->sec, 48))
            l->kind = KL_RSA;
        return;
    }
    l->slen = kind == KL_MASTER ? 48 : tl[2] / 2;
    if (!unhex(tok[1], tl[1], l->cr, sizeof l->cr) || (l->slen != 32 && l->slen != 48) ||
        !unhex(tok[2], tl[2], l->sec, l->slen))
        return;
    l->kind = kind;
}

bool why_keylog_line_random(const char *s, size_t len, uint8_t cr[32])
{
    struct kl_line l;
    parse_line(s, len, &l);
    if (l.kind != KL_UNUSED && l.kind != KL_MASTER && l.kind != KL_T13)
        return false;
    memcpy(cr, l.cr, sizeof l.cr);
    return true;
}

/* One complete line (without its newline). */
static void do_line(struct why_keylog *kl, const char *s, size_t len)
{
    kl->st.lines++;
    struct kl_line l;
    parse_line(s, len, &l);
    switch (l.kind) {
    case KL_BLANK:
        return;
    case KL_COMMENT:
        kl->st.comments++;
        return;
    case KL_JUNK:
        junk(kl);
        return;
    case KL_RSA:
    case KL_UNUSED:
        kl->st.unused++;
        return;
    case KL_MASTER:
    case KL_T13:
        break;
    }
    struct kl_entry *e = entry_get(kl, l.cr);
    if (!e)
        return;
    if (l.kind == KL_MASTER) {
        memcpy(e->master, l.sec, 48);
        e->has_master = true;
    } else {
        struct kl_t13 *t = t13_get(kl, e);
        if (!t)
            return;
        memcpy(t->secret[l.which], l.sec, l.slen);
        t->len[l.which] = (uint8_t)l.slen;
    }
    kl->st.used++;
}

static void feed(struct why_keylog *kl, struct kl_reader *r, const char *p, size_t n)
{
    for (size_t i = 0; i < n && !kl->oom; i++) {
        char c = p[i];
        if (c == '\n') {
            if (r->too_long) {
                kl->st.lines++;
                junk(kl);
            } else {
                do_line(kl, r->line, r->len);
            }
            r->len = 0;
            r->too_long = false;
        } else if (!r->too_long) {
            if (r->len == sizeof r->line)
                r->too_long = true;
            else
                r->line[r->len++] = c;
        }
    }
}

static void finish(struct why_keylog *kl, struct kl_reader *r)
{
    if (r->len > 0 || r->too_long)
        feed(kl, r, "\n", 1);
}

static struct why_keylog *kl_new(void)
{
    return calloc(1, sizeof(struct why_keylog));
}

int why_keylog_parse(const char *text, size_t len, struct why_keylog **out, char *err,
                     size_t errsize)
{
    if (!out)
        return -1;
    *out = NULL;
    struct why_keylog *kl = kl_new();
    struct kl_reader *r = calloc(1, sizeof *r);
    if (!kl || !r) {
        free(kl);
        free(r);
        msgf(err, errsize, "key log: out of memory");
        return -1;
    }
    if (text && len > 0)
        feed(kl, r, text, len);
    finish(kl, r);
    free(r);
    if (kl->oom) {
        why_keylog_free(kl);
        msgf(err, errsize, "key log: out of memory");
        return -1;
    }
    *out = kl;
    return 0;
}

int why_keylog_load(const char *path, struct why_keylog **out, char *err, size_t errsize)
{
    if (!out)
        return -1;
    *out = NULL;
    if (!path) {
        msgf(err, errsize, "key log: no file name");
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        msgf(err, errsize, "%s: cannot open key log: %s", path, strerror(errno));
        return -1;
    }
    struct why_keylog *kl = kl_new();
    struct kl_reader *r = calloc(1, sizeof *r);
    char *buf = malloc(64 * 1024);
    if (!kl || !r || !buf) {
        free(kl);
        free(r);
        free(buf);
        fclose(f);
        msgf(err, errsize, "%s: out of memory", path);
        return -1;
    }
    size_t n;
    while ((n = fread(buf, 1, 64 * 1024, f)) > 0 && !kl->oom)
        feed(kl, r, buf, n);
    int rerr = ferror(f) ? errno : 0;
    bool bad = ferror(f) != 0;
    finish(kl, r);
    free(buf);
    free(r);
    fclose(f);
    if (bad || kl->oom) {
        if (kl->oom)
            msgf(err, errsize, "%s: out of memory", path);
        else
            msgf(err, errsize, "%s: cannot read key log: %s", path,
                 strerror(rerr ? rerr : EIO));
        why_keylog_free(kl);
        return -1;
    }
    *out = kl;
    return 0;
}

void why_keylog_free(struct why_keylog *kl)
{
    if (!kl)
        return;
    free(kl->ent);
    free(kl->t13);
    free(kl->slot);
    free(kl);
}

bool why_keylog_find(const struct why_keylog *kl, const uint8_t client_random[32],
                     struct why_keylog_keys *keys)
{
    if (!keys)
        return false;
    memset(keys, 0, sizeof *keys);
    if (!kl || !client_random)
        return false;
    const struct kl_entry *e = lookup(kl, client_random);
    if (!e)
        return false;
    keys->has_master = e->has_master;
    memcpy(keys->master, e->master, sizeof keys->master);
    if (e->t13 != NO_T13 && e->t13 < kl->n13) {
        const struct kl_t13 *t = &kl->t13[e->t13];
        memcpy(keys->len, t->len, sizeof keys->len);
        memcpy(keys->secret, t->secret, sizeof keys->secret);
    }
    return true;
}

void why_keylog_get_stats(const struct why_keylog *kl, struct why_keylog_stats *st)
{
    if (!st)
        return;
    memset(st, 0, sizeof *st);
    if (!kl)
        return;
    *st = kl->st;
    st->entries = kl->n;
}

uint64_t why_keylog_ignored(const struct why_keylog *kl)
{
    return kl ? kl->st.ignored + kl->st.over_cap : 0;
}

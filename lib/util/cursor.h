/* Bounded cursor: the only way packet bytes are read (DESIGN principle 1).
 * A cursor is (ptr, len, off, err). Every read checks the bytes left; a short read sets the
 * sticky error, returns 0 and leaves the offset at len, so a chain of reads needs one check
 * at the end. Sub-cursors bound length-prefixed elements. All multi-byte reads are explicit
 * about byte order; nothing is ever read through a struct cast. */
#ifndef WHY_UTIL_CURSOR_H
#define WHY_UTIL_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct why_cur {
    const uint8_t *p; /* first byte of the span */
    size_t len;       /* bytes in the span */
    size_t off;       /* next byte to read, 0..len */
    bool err;         /* sticky: set by any read past len */
};

/* Big- and little-endian loads of bytes known to be there (a why_cur_peek, a header a reader
 * brought in whole): the one definition the cursor's reads use too. */
static inline uint16_t why_be16_at(const uint8_t *b) { return (uint16_t)((uint16_t)b[0] << 8 | b[1]); }
static inline uint32_t why_be32_at(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}
static inline uint32_t why_le32_at(const uint8_t *b)
{
    return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

static inline struct why_cur why_cur_make(const uint8_t *p, size_t len)
{
    struct why_cur c = {p, len, 0, false};
    return c;
}

static inline size_t why_cur_left(const struct why_cur *c) { return c->err ? 0 : c->len - c->off; }
static inline bool why_cur_ok(const struct why_cur *c) { return !c->err; }
static inline const uint8_t *why_cur_ptr(const struct why_cur *c) { return c->p + c->off; }

/* Marks the cursor failed; returns false so callers can `return why_cur_fail(c);`. */
static inline bool why_cur_fail(struct why_cur *c)
{
    c->err = true;
    c->off = c->len;
    return false;
}

static inline bool why_cur_need(struct why_cur *c, size_t n)
{
    if (c->err || c->len - c->off < n)
        return why_cur_fail(c);
    return true;
}

static inline uint8_t why_cur_u8(struct why_cur *c)
{
    if (!why_cur_need(c, 1))
        return 0;
    return c->p[c->off++];
}

static inline uint16_t why_cur_be16(struct why_cur *c)
{
    if (!why_cur_need(c, 2))
        return 0;
    uint16_t v = why_be16_at(c->p + c->off);
    c->off += 2;
    return v;
}

static inline uint32_t why_cur_be24(struct why_cur *c)
{
    if (!why_cur_need(c, 3))
        return 0;
    uint32_t v = (uint32_t)c->p[c->off] << 16 | (uint32_t)c->p[c->off + 1] << 8 | c->p[c->off + 2];
    c->off += 3;
    return v;
}

static inline uint32_t why_cur_be32(struct why_cur *c)
{
    if (!why_cur_need(c, 4))
        return 0;
    const uint8_t *b = c->p + c->off;
    c->off += 4;
    return why_be32_at(b);
}

static inline uint16_t why_cur_le16(struct why_cur *c)
{
    if (!why_cur_need(c, 2))
        return 0;
    uint16_t v = (uint16_t)(c->p[c->off] | (uint16_t)c->p[c->off + 1] << 8);
    c->off += 2;
    return v;
}

static inline uint32_t why_cur_le32(struct why_cur *c)
{
    if (!why_cur_need(c, 4))
        return 0;
    const uint8_t *b = c->p + c->off;
    c->off += 4;
    return why_le32_at(b);
}

static inline bool why_cur_skip(struct why_cur *c, size_t n)
{
    if (!why_cur_need(c, n))
        return false;
    c->off += n;
    return true;
}

/* The next n bytes when that many are left (the cursor is not moved), else NULL and the
 * cursor untouched: a fixed header read in one check, the reads it replaces left for the
 * short case (where each field up to the cut still counts). */
static inline const uint8_t *why_cur_peek(const struct why_cur *c, size_t n)
{
    return !c->err && c->len - c->off >= n ? c->p + c->off : NULL;
}

/* Copies n bytes into dst (which must hold n); false and dst zeroed on a short read. */
static inline bool why_cur_copy(struct why_cur *c, void *dst, size_t n)
{
    if (!why_cur_need(c, n)) {
        memset(dst, 0, n);
        return false;
    }
    memcpy(dst, c->p + c->off, n);
    c->off += n;
    return true;
}

/* Takes the next n bytes as a sub-cursor and advances past them. On a short read the
 * sub-cursor is failed (and so is the parent). */
static inline struct why_cur why_cur_sub(struct why_cur *c, size_t n)
{
    struct why_cur s = {NULL, 0, 0, true};
    if (!why_cur_need(c, n))
        return s;
    s = why_cur_make(c->p + c->off, n);
    c->off += n;
    return s;
}

/* A cursor over [from, len) of the same span, for random access (DNS compression pointers).
 * `from` beyond len gives a failed cursor. */
static inline struct why_cur why_cur_at(const struct why_cur *c, size_t from)
{
    struct why_cur s = {c->p, c->len, from, false};
    if (from > c->len) {
        s.err = true;
        s.off = c->len;
    }
    return s;
}

#endif

/* Sorting arrays of pointers by an unsigned 64-bit key of what they point to, without a call
 * per comparison: qsort's comparator call and generic swaps cost some 25 instructions a
 * comparison, and the store sorts a thousand records or requests at a time by their
 * sequence numbers. Keys must be distinct (sequence numbers are): the order of equal keys is
 * not promised. */
#ifndef WHY_UTIL_SORT_H
#define WHY_UTIL_SORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WHY_SORT_SMALL 24 /* up to this many: insertion sort */

/* Defines `static void NAME(T **v, size_t n)`, which sorts v[0..n) by KEY(p) (an expression
 * of p, a const T *, giving a uint64_t), smallest first: by insertion up to WHY_SORT_SMALL
 * entries, else, unless the pass that finds the keys' span finds them in order already, by
 * radix on the bytes of that span (max - min: two passes for spans under 65536) through a
 * scratch array; by qsort when that cannot be allocated. */
#define WHY_SORT_BY_KEY(NAME, T, KEY)                                                              \
    static inline uint64_t NAME##_key(const T *p) { return (KEY); }                               \
    static int NAME##_cmp(const void *a, const void *b)                                            \
    {                                                                                              \
        uint64_t x = NAME##_key(*(T *const *)a), y = NAME##_key(*(T *const *)b);                  \
        return x < y ? -1 : x > y;                                                                 \
    }                                                                                              \
    static void NAME(T **v, size_t n)                                                              \
    {                                                                                              \
        if (n <= WHY_SORT_SMALL) {                                                                 \
            for (size_t i = 1; i < n; i++) {                                                       \
                T *p = v[i];                                                                       \
                uint64_t k = NAME##_key(p);                                                        \
                size_t j = i;                                                                      \
                for (; j > 0 && NAME##_key(v[j - 1]) > k; j--)                                     \
                    v[j] = v[j - 1];                                                               \
                v[j] = p;                                                                          \
            }                                                                                      \
            return;                                                                                \
        }                                                                                          \
        uint64_t lo = NAME##_key(v[0]), hi = lo, last = lo;                                        \
        bool sorted = true;                                                                        \
        for (size_t i = 1; i < n; i++) {                                                           \
            uint64_t k = NAME##_key(v[i]);                                                         \
            sorted &= k > last;                                                                    \
            last = k;                                                                              \
            lo = k < lo ? k : lo;                                                                  \
            hi = k > hi ? k : hi;                                                                  \
        }                                                                                          \
        if (sorted)                                                                                \
            return; /* (a batch taken from a list by creation often is: each key read once) */    \
        T **tmp = malloc(n * sizeof *tmp);                                                         \
        if (!tmp) {                                                                                \
            qsort(v, n, sizeof *v, NAME##_cmp);                                                    \
            return;                                                                                \
        }                                                                                          \
        T **a = v, **b = tmp;                                                                      \
        for (unsigned shift = 0; shift < 64 && ((hi - lo) >> shift) != 0; shift += 8) {           \
            size_t at[256] = {0};                                                                  \
            for (size_t i = 0; i < n; i++)                                                         \
                at[(NAME##_key(a[i]) - lo) >> shift & 0xff]++;                                     \
            for (size_t d = 0, sum = 0; d < 256; d++) {                                            \
                size_t c = at[d];                                                                  \
                at[d] = sum;                                                                       \
                sum += c;                                                                          \
            }                                                                                      \
            for (size_t i = 0; i < n; i++)                                                         \
                b[at[(NAME##_key(a[i]) - lo) >> shift & 0xff]++] = a[i];                           \
            T **t = a;                                                                             \
            a = b;                                                                                 \
            b = t;                                                                                 \
        }                                                                                          \
        if (a != v)                                                                                \
            memcpy(v, a, n * sizeof *v);                                                           \
        free(tmp);                                                                                 \
    }

#endif

/* The process's heap on transparent huge pages.
 *
 * What why502 keeps (records, requests, the flow table's entries, the indexes' buckets, the
 * read buffer) is some 10-50 MiB touched a few lines at a time all over: with 4 KiB pages
 * nearly every touch of a cold object is also a TLB miss, and in a virtual machine (where
 * gateways mostly run) a TLB miss walks two page tables. why_heap_huge() makes malloc grow
 * the heap in large steps and keep allocations up to WHY_HEAP_MMAP_MAX in it (glibc's mallopt),
 * and asks the kernel for transparent huge pages there (madvise MADV_HUGEPAGE: advice; where
 * THP is "never", 4 KiB pages as before). The results are the same; calloc clears the large
 * arrays it now takes from the heap (fresh mmap'd memory it need not), and their pages are
 * resident from the start. bench/README.md gives what it saves and costs.
 *
 * Only with glibc's malloc on Linux, and not under a sanitizer (whose allocator has no brk
 * heap): elsewhere both calls do nothing (on a kernel without THP the malloc settings stay,
 * and the advice is refused). A program calls why_heap_huge() first thing in
 * main, before it allocates much, and why_heap_grown() now and then (every few ten thousand
 * packets): the heap's new part, when it grew past the first step, is advised too. */
#ifndef WHY_UTIL_HEAP_H
#define WHY_UTIL_HEAP_H

#include <stdbool.h>

/* Defined under a sanitizer (its allocator has no brk heap): both calls then do nothing. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WHY_HEAP_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define WHY_HEAP_SANITIZED 1
#endif
#endif

#define WHY_HEAP_STEP ((size_t)64 << 20)     /* the heap grows by this much at a time */
#define WHY_HEAP_MMAP_MAX ((size_t)32 << 20) /* larger allocations are mmap'd (not advised) */

/* True when the heap was advised (false: not this malloc, a sanitizer, or refused). */
bool why_heap_huge(void);

/* Advises the part of the heap grown since the last call (after why_heap_huge() said true;
 * cheap: no system call unless the heap grew). */
void why_heap_grown(void);

#endif

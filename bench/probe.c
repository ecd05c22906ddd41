/* probe: how fast this machine is right now, for the why502 benchmark (bench/run.sh).
 *
 * The machine the benchmark runs on moves between speeds for minutes at a time, and the read
 * floor (a stream through memory the prefetcher follows) and why502 (a store of objects it
 * comes back to) do not move alike. Three loops, each timed on the process's CPU clock, say
 * which part moved:
 *   alu     dependent integer steps (a multiply and an add each): the core's clock
 *   cache   loads that each need the one before, in a 256 KiB ring: a second-level cache hit
 *   memory  the same in a 128 MiB ring: a load from memory (each a miss of every cache and of
 *           the TLB's first level: a random cycle through the ring)
 *
 *   probe            prints "alu A ns, cache C ns, memory M ns" (a step, a load, a load)
 *
 * Build: gcc -std=c17 -O2 -Wall -Wextra -o probe probe.c
 * Exit: 0, 1 when the memory cannot be had (message on standard error).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* xorshift64: the ring's order, the same on every run */
static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

#define SLOT (64 / sizeof(size_t)) /* a ring's slots a cache line apart: size_t's between two */

/* ns a load of a chase through a ring of n slots in one random cycle (Sattolo's shuffle: slot k
 * leads to order[k]), each slot on a cache line of its own, written in order */
static double chase(size_t n, uint64_t loads)
{
    size_t *ring = malloc(n * SLOT * sizeof *ring);
    size_t *order = malloc(n * sizeof *order);
    if (!ring || !order) {
        free(ring);
        free(order);
        return -1;
    }
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)(next(&seed) % i);
        size_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t k = 0; k < n; k++)
        ring[k * SLOT] = order[k] * SLOT;
    free(order);
    size_t p = 0;
    if (n <= (4u << 20) / 64) /* a ring that fits a cache: brought there once round */
        for (size_t i = 0; i < n; i++)
            p = ring[p];
    double t0 = cpu_s();
    for (uint64_t i = 0; i < loads; i++)
        p = ring[p];
    double t1 = cpu_s();
    volatile size_t sink = p;
    (void)sink;
    free(ring);
    return (t1 - t0) * 1e9 / (double)loads;
}

int main(void)
{
    const uint64_t steps = 100000000;
    uint64_t x = 1;
    double t0 = cpu_s();
    for (uint64_t i = 0; i < steps; i++)
        x = x * 0x9e3779b97f4a7c15u + i;
    double t1 = cpu_s();
    volatile uint64_t sink = x;
    (void)sink;
    double alu = (t1 - t0) * 1e9 / (double)steps;
    double cache = chase((256u << 10) / 64, 20000000);
    double memory = chase((128u << 20) / 64, 1000000);
    if (cache < 0 || memory < 0) {
        fprintf(stderr, "probe: cannot allocate 128 MiB\n");
        return 1;
    }
    printf("alu %.2f ns, cache %.2f ns, memory %.1f ns\n", alu, cache, memory);
    return 0;
}

/* why502-stages: the first stages of why502's packet path alone, for the benchmark's table of
 * where the time goes (bench/run.sh --stages).
 *
 * why502 reads each frame (lib/capture), decodes it (lib/decode), tracks its connection
 * (lib/flow), then hands the connection's bytes to the protocol handlers, which fill the
 * record store that the join and the diagnosis read. This program runs the same library code
 * up to one stage and stops there, so that what each stage adds to the time of a capture can
 * be told apart from the rest (the handlers, the store, the join, the report):
 *
 *   why502-stages read FILE...     why_reader_next on every frame, nothing else
 *   why502-stages decode FILE...   and why_decode on each, counted as why502 counts it
 *   why502-stages flows FILE...    and why_flow_packet on each decoded IP packet, with no
 *                                  handler listening (connections opened, reassembled and
 *                                  closed as in why502; their bytes go nowhere)
 *
 * It prints one line: "frames N ip P tcp T udp U conns C truncated R malformed M unsupported S"
 * (P: decoded IP packets; T, U, C: counted by the flow table, in the flows stage only; R, M,
 * S: frames decoded with that status, as why502's summary counts them under "anomalies"). Several files are merged by time, as
 * why502 merges them. Exit: 0 read to the end, 1 the capture was unusable (message on
 * standard error), 2 usage. The heap is on huge pages as why502's is (util/heap.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "capture/capture.h"
#include "decode/decode.h"
#include "flow/flow.h"
#include "util/heap.h"

enum stage { ST_READ, ST_DECODE, ST_FLOWS };

int main(int argc, char **argv)
{
    why_heap_huge();
    static const char *const names[] = {"read", "decode", "flows"};
    int st = -1;
    for (int i = 0; argc >= 3 && i < 3; i++)
        if (strcmp(argv[1], names[i]) == 0)
            st = i;
    if (st < 0) {
        fprintf(stderr, "usage: %s read|decode|flows FILE...\n", argv[0]);
        return 2;
    }
    char err[512];
    struct why_reader *r = NULL;
    if (why_reader_open(&r, (const char *const *)argv + 2, (size_t)argc - 2, err, sizeof err) < 0) {
        fprintf(stderr, "why502-stages: %s\n", err);
        return 1;
    }
    struct why_flow_cb cb = {0}; /* nobody listens */
    struct why_flow *fl = st == ST_FLOWS ? why_flow_new(&cb) : NULL;
    if (st == ST_FLOWS && !fl) {
        fprintf(stderr, "why502-stages: out of memory\n");
        why_reader_free(r);
        return 1;
    }
    struct why_decode_stats ds;
    memset(&ds, 0, sizeof ds);
    uint64_t frames = 0, ip = 0;
    struct why_frame f;
    enum why_read_status rs;
    while ((rs = why_reader_next(r, &f)) == WHY_READ_FRAME) {
        frames++;
        if (st == ST_READ)
            continue;
        struct why_pkt p;
        enum why_decode_status ds_st = why_decode(&f, &p);
        why_decode_stats_add(&ds, ds_st, &p);
        if ((ds_st != WHY_DECODE_OK && ds_st != WHY_DECODE_TRUNCATED) || p.ipver == 0)
            continue;
        ip++;
        if (fl)
            why_flow_packet(fl, &p);
    }
    int rc = 0;
    if (rs == WHY_READ_ERROR) {
        fprintf(stderr, "why502-stages: %s\n", why_reader_error(r));
        rc = 1;
    }
    uint64_t tcp = 0, udp = 0, conns = 0;
    if (fl) {
        why_flow_finish(fl);
        const struct why_flow_stats *fs = why_flow_stats(fl);
        tcp = fs->tcp_packets;
        udp = fs->udp_packets;
        conns = fs->conns;
        why_flow_free(fl);
    }
    printf("frames %" PRIu64 " ip %" PRIu64 " tcp %" PRIu64 " udp %" PRIu64 " conns %" PRIu64 " truncated %" PRIu64
           " malformed %" PRIu64 " unsupported %" PRIu64 "\n",
           frames, ip, tcp, udp, conns, ds.truncated, ds.malformed, ds.unsupported);
    why_reader_free(r);
    return rc;
}

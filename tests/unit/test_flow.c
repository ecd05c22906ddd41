/* Flow table: handshake roles and events, in-order delivery, retransmissions, reassembly,
 * gaps (holes at FIN, snaplen), SYN retries, RST answering a SYN, ICMP joins, port reuse,
 * timers, the connection cap and the order of closes at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flow/flow.h"

#define MAXID 16
#define LOGSZ 300000

struct ev {
    uint64_t id;
    enum why_tcp_event ev;
    enum why_dir dir;
};

struct rec {
    struct ev evs[64];
    int nev;
    char *log[MAXID][2]; /* per connection id and direction: data, gaps as "<gN>" */
    size_t loglen[MAXID][2];
    uint64_t closes[64];
    bool close_null[64];
    int nclose;
    uint64_t nclose_all, last_close_id;
    bool close_order_ok;
    int nopen, nudp;
    struct why_conn last_open, closed[MAXID];
};

static void log_add(struct rec *r, uint64_t id, enum why_dir d, const char *s, size_t n)
{
    if (id >= MAXID)
        return;
    if (!r->log[id][d])
        r->log[id][d] = calloc(1, LOGSZ);
    if (r->loglen[id][d] + n + 1 > LOGSZ)
        return;
    memcpy(r->log[id][d] + r->loglen[id][d], s, n);
    r->loglen[id][d] += n;
}

static const char *logs(struct rec *r, uint64_t id, enum why_dir d)
{
    return r->log[id][d] ? r->log[id][d] : "";
}

static void cb_open(void *ctx, struct why_conn *c, const struct why_pkt *p)
{
    struct rec *r = ctx;
    assert_non_null(p);
    r->nopen++;
    r->last_open = *c;
}

static void cb_event(void *ctx, struct why_conn *c, enum why_tcp_event e, enum why_dir d,
                     const struct why_pkt *p)
{
    struct rec *r = ctx;
    (void)p;
    if (r->nev < 64)
        r->evs[r->nev++] = (struct ev){c->id, e, d};
}

static void cb_data(void *ctx, struct why_conn *c, enum why_dir d, const uint8_t *data,
                    uint32_t len, const struct why_pkt *p)
{
    (void)p;
    assert_true(len > 0);
    log_add(ctx, c->id, d, (const char *)data, len);
}

static void cb_gap(void *ctx, struct why_conn *c, enum why_dir d, uint32_t len,
                   const struct why_pkt *p)
{
    char b[32];
    (void)p;
    int n = snprintf(b, sizeof b, "<g%u>", len);
    log_add(ctx, c->id, d, b, (size_t)n);
}

static void cb_close(void *ctx, struct why_conn *c, const struct why_pkt *p)
{
    struct rec *r = ctx;
    if (r->nclose < 64) {
        r->close_null[r->nclose] = p == NULL;
        r->closes[r->nclose++] = c->id;
    }
    if (c->id < MAXID)
        r->closed[c->id] = *c;
    r->nclose_all++;
    r->last_close_id = c->id;
}

static void cb_udp(void *ctx, const struct why_pkt *p)
{
    struct rec *r = ctx;
    (void)p;
    r->nudp++;
}

static struct why_flow *mk(struct rec *r)
{
    memset(r, 0, sizeof *r);
    struct why_flow_cb cb = {r, cb_open, cb_event, cb_data, cb_gap, cb_close, cb_udp};
    struct why_flow *f = why_flow_new(&cb);
    assert_non_null(f);
    return f;
}

static void done(struct why_flow *f, struct rec *r)
{
    why_flow_free(f);
    for (int i = 0; i < MAXID; i++)
        for (int d = 0; d < 2; d++)
            free(r->log[i][d]);
}

static void v4(struct why_addr *a, uint32_t ip)
{
    memset(a, 0, sizeof *a);
    a->family = 4;
    a->a[0] = (uint8_t)(ip >> 24);
    a->a[1] = (uint8_t)(ip >> 16);
    a->a[2] = (uint8_t)(ip >> 8);
    a->a[3] = (uint8_t)ip;
}

#define CLI 0x0a000001u /* 10.0.0.1 */
#define SRV 0x0a000002u /* 10.0.0.2 */
#define CPORT 40000
#define SPORT 3128

enum { FROM_C = 0, FROM_S = 1 };

struct seg {
    uint64_t num;
    int64_t ms;          /* packet time in milliseconds */
    int side;            /* FROM_C / FROM_S */
    uint16_t cport;      /* client port (0: CPORT) */
    uint8_t flags;
    uint32_t seq, ack;
    const char *data;    /* captured payload */
    uint32_t wire;       /* payload on the wire (0: strlen(data)) */
    enum why_link_dir link;
};

static void tx(struct why_flow *f, struct seg s)
{
    struct why_frame fr = {0};
    struct why_pkt p = {0};
    fr.num = s.num;
    fr.ts.sec = 1700000000 + s.ms / 1000;
    fr.ts.nsec = (uint32_t)((s.ms % 1000) * 1000000);
    p.frame = &fr;
    p.link_dir = s.link;
    p.ipver = 4;
    p.proto = 6;
    uint16_t cp = s.cport ? s.cport : CPORT;
    v4(&p.src, s.side == FROM_C ? CLI : SRV);
    v4(&p.dst, s.side == FROM_C ? SRV : CLI);
    p.sport = s.side == FROM_C ? cp : SPORT;
    p.dport = s.side == FROM_C ? SPORT : cp;
    p.seq = s.seq;
    p.ack = s.ack;
    p.tcp_flags = s.flags;
    p.payload = (const uint8_t *)(s.data ? s.data : "");
    p.paylen = s.data ? (uint32_t)strlen(s.data) : 0;
    p.paylen_wire = s.wire ? s.wire : p.paylen;
    why_flow_packet(f, &p);
}

enum { S = WHY_TCP_SYN, A = WHY_TCP_ACK, F = WHY_TCP_FIN, R = WHY_TCP_RST, P = WHY_TCP_PSH };

/* client ISN 1000, server ISN 5000 */
static void handshake(struct why_flow *f, uint16_t cport, uint64_t num, int64_t ms)
{
    tx(f, (struct seg){num, ms, FROM_C, cport, S, 1000, 0, NULL, 0, 0});
    tx(f, (struct seg){num + 1, ms + 1, FROM_S, cport, S | A, 5000, 1001, NULL, 0, 0});
    tx(f, (struct seg){num + 2, ms + 2, FROM_C, cport, A, 1001, 5001, NULL, 0, 0});
}

static void full_exchange(void **state)
{
    (void)state;
    struct rec r;
    struct why_flow *f = mk(&r);
    tx(f, (struct seg){1, 0, FROM_C, 0, S, 1000, 0, NULL, 0, WHY_LINK_DIR_OUT});
    tx(f, (struct seg){2, 1, FROM_S, 0, S | A, 5000, 1001, NULL, 0, WHY_LINK_DIR_IN});
    tx(f, (struct seg){3, 2, FROM_C, 0, A, 1001, 5001, NULL, 0, 0});
    tx(f, (struct seg){4, 3, FROM_C, 0, A | P, 1001, 5001, "GET / HTTP/1.1\r\n\r\n", 0, 0});
    tx(f, (struct seg){5, 4, FROM_S, 0, A | P, 5001, 1019, "HTTP/1.1 200 OK\r\n", 0, 0});
    tx(f, (struct seg){6, 5, FROM_S, 0, A | F, 5018, 1019, NULL, 0, 0});
    tx(f, (struct seg){7, 6, FROM_C, 0, A | F, 1019, 5019, NULL, 0, 0});
    tx(f, (struct seg){8, 7, FROM_S, 0, A, 5019, 1020, NULL, 0, 0});
    assert_int_equal(r.nopen, 1);
    assert_int_equal(r.last_open.id, 1);
    assert_int_equal(r.last_open.cli_port, CPORT);
    assert_int_equal(r.last_open.srv_port, SPORT);
    assert_false(r.last_open.midstream);
    assert_int_equal(r.nev, 5);
    assert_int_equal(r.evs[0].ev, WHY_EV_SYN);
    assert_int_equal(r.evs[0].dir, WHY_C2S);
    assert_int_equal(r.evs[1].ev, WHY_EV_SYNACK);
    assert_int_equal(r.evs[1].dir, WHY_S2C);
    assert_int_equal(r.evs[2].ev, WHY_EV_ESTABLISHED);
    assert_int_equal(r.evs[3].ev, WHY_EV_FIN);
    assert_int_equal(r.evs[3].dir, WHY_S2C);
    assert_int_equal(r.evs[4].ev, WHY_EV_FIN);
    assert_int_equal(r.evs[4].dir, WHY_C2S);
    assert_string_equal(logs(&r, 1, WHY_C2S), "GET / HTTP/1.1\r\n\r\n");
    assert_string_equal(logs(&r, 1, WHY_S2C), "HTTP/1.1 200 OK\r\n");
    why_flow_finish(f);
    assert_int_equal(r.nclose, 1);
    assert_true(r.close_null[0]);
    const struct why_conn *c = &r.closed[1];
    assert_true(c->established);
    assert_true(c->closed);
    assert_true(c->cli_is_local);
    assert_false(c->srv_is_local);
    assert_int_equal(c->syn_count, 1);
    assert_int_equal(c->syn_frames[0], 1);
    assert_int_equal(c->synack_frame, 2);
    assert_int_equal(c->half[WHY_C2S].isn, 1000);
    assert_int_equal(c->half[WHY_S2C].isn, 5000);
    assert_int_equal(c->half[WHY_C2S].bytes, 18);
    assert_int_equal(c->half[WHY_S2C].bytes, 17);
    assert_int_equal(c->half[WHY_S2C].fin_frame, 6);
    assert_int_equal(c->half[WHY_C2S].fin_frame, 7);
    assert_int_equal(c->half[WHY_C2S].first_data_frame, 4);
    assert_int_equal(c->half[WHY_S2C].packets, 4);
    assert_int_equal(c->half[WHY_S2C].last_frame, 8);
    assert_int_equal(why_flow_stats(f)->tcp_packets, 8);
    assert_int_equal(why_flow_stats(f)->conns, 1);
    done(f, &r);
}

static void retransmission_and_overlap(void **state)
{
    (void)state;
    struct rec r;
    struct why_flow *f = mk(&r);
    handshake(f, 0, 1, 0);
    tx(f, (struct seg){4, 10, FROM_C, 0, A, 1001, 5001, "abc", 0, 0});
    tx(f, (struct seg){5, 11, FROM_C, 0, A, 1001, 5001, "abc", 0, 0});
    tx(f, (struct seg){6, 12, FROM_C, 0, A, 1004, 5001, "def", 0, 0});
    tx(f, (struct seg){7, 13, FROM_C, 0, A, 1003, 5001, "cdefgh", 0, 0});
    tx(f, (struct seg){8, 14, FROM_C, 0, A, 1001, 5001, "ab", 0, 0});
    assert_string_equal(logs(&r, 1, WHY_C2S), "abcdefgh");
    why_flow_finish(f);
    assert_int_equal(r.closed[1].half[WHY_C2S].retrans, 2);
    assert_int_equal(r.closed[1].half[WHY_C2S].bytes, 8);
    assert_int_equal(r.closed[1].half[WHY_C2S].gap_bytes, 0);
    done(f, &r);
}

static void out_of_order(void **state)
{
    (void)state;
    struct rec r;
    struct why_flow *f = mk(&r);
    handshake(f, 0, 1, 0);
    tx(f, (struct seg){4, 10, FROM_S, 0, A, 5007, 1001, "ghi", 0, 0});
    tx(f, (struct seg){5, 11, FROM_S, 0, A, 5004, 1001, "def", 0, 0});
    tx(f, (struct seg){6, 12, FROM_S, 0, A, 5005, 1001, "efghij", 0, 0}); /* overlaps both */
    tx(f, (struct seg){7, 13, FROM_S, 0, A, 5004, 1001, "def", 0, 0});    /* duplicate */
    assert_string_equal(logs(&r, 1, WHY_S2C), "");
    tx(f, (struct seg){8, 14, FROM_S, 0, A, 5001, 1001, "abc", 0, 0});
    assert_string_equal(logs(&r, 1, WHY_S2C), "abcdefghij");
    tx(f, (struct seg){9, 15, FROM_S, 0, A, 5011, 1001, "k", 0, 0});
    assert_string_equal(logs(&r, 1, WHY_S2C), "abcdefghijk");
    why_flow_finish(f);
    assert_int_equal(r.closed[1].half[WHY_S2C].bytes, 11);
    assert_int_equal(r.closed[1].half[WHY_S2C].gap_bytes, 0);
    assert_null(r.closed[1].half[WHY_S2C].ooo);
    done(f, &r);
}

static void hole_at_fin(void **state)
{
    (void)state;
    struct rec r;
    struct why_flow *f = mk(&r);
    handshake(f, 0, 1, 0);
    tx(f, (struct seg){4, 10, FROM_S, 0, A, 5001, 1001, "abc", 0, 0});
    tx(f, (struct seg){5, 11, FROM_S, 0, A, 5007, 1001, "ghi", 0, 0});
    assert_string_equal(logs(&r, 1, WHY_S2C), "abc");
    tx(f, (struct seg){6, 12, FROM_S, 0, A | F, 5012, 1001, NULL, 0, 0}); /* 2 more lost */
    assert_string_equal(logs(&r, 1, WHY_S2C), "abc<g3>ghi<g2>");
    assert_int_equal(r.evs[r.nev - 1].ev, WHY_EV_FIN);
    /* the late hole filler is old news now */
    tx(f, (struct seg){7, 13, FROM_S, 0, A, 5004, 1001, "def", 0, 0});
    assert_string_equal(logs(&r, 1, WHY_S2C), "abc<g3>ghi<g2>");
    /* a hole left open at the end is reported at close */
    tx(f, (struct seg){8, 14, FROM_C, 0, A, 1004, 5013, "xyz", 0, 0});
    why_flow_finish(f);
    assert_string_equal(logs(&r, 1, WHY_C2S), "<g3>xyz");
    assert_int_equal(r.closed[1].half[WHY_S2C].gap_bytes, 5);
    assert_int_equal(r.closed[1].half[WHY_S2C].bytes, 11);
    done(f, &r);
}

static void snaplen_cut(void **state)
{
    (void)state;
    struct rec r;
    struct why_flow *f = mk(&r);
    handshake(f, 0, 1, 0);
    tx(f, (struct seg){4, 10, FROM_S, 0, A, 5001, 1001, "abc", 10, 0});
    tx(f, (struct seg){5, 11, FROM_S, 0, A, 5011, 1001, "klm", 0, 0});
    /* out of order and cut: stored with its missing tail */
    tx(f, (struct seg){6, 12, FROM_S, 0, A, 5020, 1001, "tu", 6, 0});
    tx(f, (struct seg){7, 13, FROM_S, 0, A, 5014, 1001, "nopqrs", 0, 0});
    tx(f, (struct seg){8, 14, FROM_S, 0, A, 5026, 1001, "z", 0, 0});
    assert_string_equal(logs(&r, 1, WHY_S2C), "abc<g7>klmnopqrstu<g4>z");
    why_flow_finish(f);
    assert_int_equal(r.closed[1].half[WHY_S2C].gap_bytes, 11);
    done(f, &r);
}

static void syn_retries(void **state)
{
    (void)state;
    struct rec r;
    struct why_flow *f = mk(&r);
    tx(f, (struct seg){10, 0, FROM_C, 0, S, 777, 0, NULL, 0, 0});
    tx(f, (struct seg){11, 0, FROM_C, 0, S, 777, 0, NULL, 0, 0}); /* a second copy */
    tx(f, (struct seg){20, 1000, FROM_C, 0, S, 777, 0, NULL, 0, 0});
    tx(f, (struct seg){30, 3000, FROM_C, 0, S, 777, 0, NULL, 0, 0});
    assert_int_equal(r.nopen, 1);
    assert_int_equal(r.nev, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(r.evs[i].ev, WHY_EV_SYN);
    why_flow_finish(f);
    const struct why_conn *c = &r.closed[1];
    assert_int_equal(c->syn_count, 3);
    assert_int_equal(c->syn_frames[0], 10);
    assert_int_equal(c->syn_frames[1], 20);
    assert_int_equal(c->syn_frames[2], 30);
    assert_int_equal(why_ts_diff_us(c->syn_ts[0], c->syn_ts[2]), 3000000);
    assert_int_equal(c->synack_frame, 0);
    assert_false(c->established);
    done(f, &r);
}

static void rst_answers_syn(void **state)
{
    (void)state;
    struct rec r;
    struct why_flow *f = mk(&r);
    tx(f, (struct seg){1, 0, FROM_C, 0, S, 1000, 0, NULL, 0, 0});
    tx(f, (struct seg){2, 1, FROM_S, 0, R | A, 0, 1001, NULL, 0, 0});
    assert_int_equal(r.nev, 2);
    assert_int_equal(r.evs[1].ev, WHY_EV_RST);
    assert_int_equal(r.evs[1].dir, WHY_S2C);
    why_flow_finish(f);
    assert_int_equal(r.nopen, 1);
    const struct why_conn *c = &r.closed[1];
    assert_true(c->closed);
    assert_false(c->established);
    assert_int_equal(c->half[WHY_S2C].rst_frame, 2);
    assert_int_equal(c->half[WHY_C2S].rst_frame, 0);
    done(f, &r);
}

static void icmp(struct why_flow *f, uint64_t num, uint8_t qproto, uint32_t qsrc, uint16_t qsport,
                 uint32_t qdst, uint16_t qdport)
{
    struct why_frame fr = {0};
    struct why_pkt p = {0};
    fr.num = num;
    fr.ts.sec = 1700000000;
    p.frame = &fr;
    p.ipver = 4;
    p.proto = 1;
    v4(&p.src, 0x0a0000feu);
    v4(&p.dst, qsrc);
    p.icmp_type = 3;
    p.icmp_code = 1;
    p.icmp_error = true;
    p.quoted.valid = true;
    p.quoted.ports = true;
    p.quoted.proto = qproto;
    v4(&p.quoted.src, qsrc);
    v4(&p.quoted.dst, qdst);
    p.quoted.sport = qsport;
    p.quoted.dport = qdport;
    why_flow_packet(f, &p);
}

static void icmp_join(void **state)
{
    (void)state;
    struct rec r;
    struct why_flow *f = mk(&r);
    tx(f, (struct seg){1, 0, FROM_C, 0, S, 1000, 0, NULL, 0, 0});
    icmp(f, 2, 6, CLI, CPORT, SRV, SPORT);
    icmp(f, 3, 6, CLI, CPORT, SRV, SPORT);
    icmp(f, 4, 6, CLI, CPORT + 1, SRV, SPORT); /* no such connection */
    icmp(f, 5, 17, CLI, 5353, SRV, 53);
    assert_int_equal(r.nev, 3);
    assert_int_equal(r.evs[1].ev, WHY_EV_ICMP);
    assert_int_equal(r.evs[1].dir, WHY_C2S);
    assert_int_equal(r.nudp, 1);
    const struct why_flow_stats *st = why_flow_stats(f);
    assert_int_equal(st->icmp_unmatched, 1);
    assert_int_equal(st->icmp_packets, 4);
    why_flow_finish(f);
    const struct why_conn *c = &r.closed[1];
    assert_int_equal(c->icmp_count, 2);
    assert_int_equal(c->icmp_frame, 2);
    assert_int_equal(c->icmp_type, 3);
    assert_int_equal(c->icmp_code, 1);
    assert_int_equal(c->icmp_ipver, 4);
    assert_int_equal(c->icmp_from.a[3], 0xfe);
    done(f, &r);
}

static void port_reuse(void **state)
{
    (void)state;
    struct rec r;
    struct why_flow *f = mk(&r);
    handshake(f, 0, 1, 0);
    tx(f, (struct seg){4, 10, FROM_C, 0, A | F, 1001, 5001, NULL, 0, 0});
    tx(f, (struct seg){5, 11, FROM_S, 0, A | F, 5001, 1002, NULL, 0, 0});
    tx(f, (struct seg){6, 12, FROM_C, 0, A, 1002, 5002, NULL, 0, 0});
    assert_int_equal(r.nclose, 0); /* lingers */
    tx(f, (struct seg){7, 100, FROM_C, 0, S, 90000, 0, NULL, 0, 0});
    assert_int_equal(r.nclose, 1);
    assert_int_equal(r.closes[0], 1);
    assert_false(r.close_null[0]);
    assert_int_equal(r.nopen, 2);
    assert_int_equal(r.last_open.id, 2);
    tx(f, (struct seg){8, 101, FROM_S, 0, S | A, 123, 90001, NULL, 0, 0});
    tx(f, (struct seg){9, 102, FROM_C, 0, A, 90001, 124, "hi", 0, 0});
    assert_string_equal(logs(&r, 2, WHY_C2S), "hi");
    /* a new SYN from the client on a live connection, with a new ISN: also a new attempt */
    tx(f, (struct seg){10, 103, FROM_C, 0, S, 4242, 0, NULL, 0, 0});
    assert_int_equal(r.nopen, 3);
    why_flow_finish(f);
    assert_int_equal(r.nclose, 3);
    assert_int_equal(r.closes[1], 2);
    assert_int_equal(r.closes[2], 3);
    assert_int_equal(r.closed[2].synack_frame, 8);
    done(f, &r);
}

static void midstream_roles(void **state)
{
    (void)state;
    struct rec r;
    struct why_flow *f = mk(&r);
    /* first packet: server data; its sender becomes the "client" */
    tx(f, (struct seg){1, 0, FROM_S, 0, A, 7000, 300, "resp", 0, 0});
    assert_true(r.last_open.midstream);
    assert_int_equal(r.last_open.cli_port, SPORT);
    tx(f, (struct seg){2, 1, FROM_C, 0, A, 300, 7004, "req", 0, 0});
    assert_string_equal(logs(&r, 1, WHY_C2S), "resp");
    assert_string_equal(logs(&r, 1, WHY_S2C), "req");
    /* first packet a SYN-ACK: its receiver is the client, roles known */
    tx(f, (struct seg){3, 2, FROM_S, 41000, S | A, 100, 201, NULL, 0, 0});
    assert_int_equal(r.last_open.cli_port, 41000);
    assert_false(r.last_open.midstream);
    tx(f, (struct seg){4, 3, FROM_C, 41000, A, 201, 101, "x", 0, 0});
    assert_string_equal(logs(&r, 2, WHY_C2S), "x");
    why_flow_finish(f);
    assert_true(r.closed[1].established);
    assert_true(r.closed[1].midstream);
    assert_true(r.closed[2].established);
    assert_int_equal(r.closed[2].syn_count, 0);
    done(f, &r);
}

static void timers(void **state)
{
    (void)state;
    struct rec r;
    struct why_flow *f = mk(&r);
    handshake(f, 0, 1, 0);                               /* id 1: idles */
    tx(f, (struct seg){4, 10, FROM_C, 41001, S, 1, 0, NULL, 0, 0}); /* id 2 */
    tx(f, (struct seg){5, 11, FROM_S, 41001, R | A, 0, 2, NULL, 0, 0});
    tx(f, (struct seg){6, 4000, FROM_C, 41002, S, 1, 0, NULL, 0, 0}); /* id 3 */
    assert_int_equal(r.nclose, 0);
    /* a stamp from the past (`-i any`): no expiry, no trouble */
    tx(f, (struct seg){7, 1, FROM_C, 41002, S, 1, 0, NULL, 0, 0});
    tx(f, (struct seg){8, 5012, FROM_C, 41002, A, 2, 0, NULL, 0, 0});
    assert_int_equal(r.nclose, 1); /* the reset one lingered 5 s */
    assert_int_equal(r.closes[0], 2);
    assert_true(r.close_null[0]);
    tx(f, (struct seg){9, 300003, FROM_C, 41002, A, 2, 0, NULL, 0, 0});
    assert_int_equal(r.nclose, 2);
    assert_int_equal(r.closes[1], 1);
    /* id 1's tuple again, after expiry: a new mid-stream connection */
    tx(f, (struct seg){10, 300004, FROM_C, 0, A, 1001, 5001, "late", 0, 0});
    assert_int_equal(r.last_open.id, 4);
    assert_true(r.last_open.midstream);
    why_flow_finish(f);
    assert_int_equal(r.nclose, 4);
    assert_int_equal(r.closes[2], 3);
    assert_int_equal(r.closes[3], 4);
    done(f, &r);
}

static void ooo_cap(void **state)
{
    (void)state;
    struct rec r;
    struct why_flow *f = mk(&r);
    handshake(f, 0, 1, 0);
    static char blk[1401];
    memset(blk, 'x', 1400);
    /* the first 1400 bytes never arrive; 100 segments follow */
    uint32_t seq = 5001 + 1400;
    for (uint64_t i = 0; i < 100; i++, seq += 1400)
        tx(f, (struct seg){10 + i, 10, FROM_S, 0, A, seq, 1001, blk, 0, 0});
    const struct why_flow_stats *st = why_flow_stats(f);
    assert_int_equal(st->ooo_dropped, 1400);
    assert_memory_equal(logs(&r, 1, WHY_S2C), "<g1400>xxx", 10);
    why_flow_finish(f);
    assert_int_equal(r.closed[1].half[WHY_S2C].bytes, 101 * 1400);
    assert_int_equal(r.closed[1].half[WHY_S2C].gap_bytes, 1400);
    done(f, &r);
}

static void finish_in_id_order(void **state)
{
    (void)state;
    struct rec r;
    struct why_flow *f = mk(&r);
    handshake(f, 50001, 1, 0);
    handshake(f, 50002, 4, 10);
    handshake(f, 50003, 7, 20);
    tx(f, (struct seg){10, 30, FROM_C, 50001, A, 1001, 5001, "a", 0, 0}); /* most recent */
    why_flow_finish(f);
    assert_int_equal(r.nclose, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(r.closes[i], (uint64_t)i + 1);
    done(f, &r);
}

static void cap_eviction(void **state)
{
    (void)state;
    struct rec r;
    struct why_flow *f = mk(&r);
    const uint32_t extra = 10;
    for (uint32_t i = 0; i < WHY_FLOW_CONN_MAX + extra; i++) {
        struct why_frame fr = {0};
        struct why_pkt p = {0};
        fr.num = i + 1;
        fr.ts.sec = 1700000000;
        fr.ts.nsec = i;
        p.frame = &fr;
        p.ipver = 4;
        p.proto = 6;
        v4(&p.src, 0x0b000000u + (i >> 16));
        v4(&p.dst, SRV);
        p.sport = (uint16_t)(i & 0xffff);
        p.dport = 80;
        p.seq = i;
        p.tcp_flags = S;
        why_flow_packet(f, &p);
    }
    const struct why_flow_stats *st = why_flow_stats(f);
    assert_int_equal(st->conns, WHY_FLOW_CONN_MAX + extra);
    assert_int_equal(st->conns_evicted, extra);
    assert_int_equal(st->conns_peak, WHY_FLOW_CONN_MAX);
    assert_int_equal(r.nclose, extra);
    for (uint32_t i = 0; i < extra; i++) /* least recently active first */
        assert_int_equal(r.closes[i], (uint64_t)i + 1);
    why_flow_finish(f);
    assert_int_equal(r.nclose_all, WHY_FLOW_CONN_MAX + extra);
    assert_int_equal(r.last_close_id, WHY_FLOW_CONN_MAX + extra);
    done(f, &r);
}

static void other_protocols(void **state)
{
    (void)state;
    struct rec r;
    struct why_flow *f = mk(&r);
    struct why_frame fr = {0};
    struct why_pkt p = {0};
    p.frame = &fr;
    p.ipver = 4;
    p.proto = 17;
    why_flow_packet(f, &p);
    p.proto = 47;
    why_flow_packet(f, &p);
    p.proto = 6;
    p.fragment = true;
    why_flow_packet(f, &p);
    p.fragment = false;
    p.tcp_flags = 0; /* nothing to track */
    why_flow_packet(f, &p);
    const struct why_flow_stats *st = why_flow_stats(f);
    assert_int_equal(st->udp_packets, 1);
    assert_int_equal(st->other_packets, 2);
    assert_int_equal(st->tcp_packets, 1);
    assert_int_equal(st->conns, 0);
    assert_int_equal(r.nudp, 1);
    why_flow_finish(f);
    done(f, &r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_exchange),
        cmocka_unit_test(retransmission_and_overlap),
        cmocka_unit_test(out_of_order),
        cmocka_unit_test(hole_at_fin),
        cmocka_unit_test(snaplen_cut),
        cmocka_unit_test(syn_retries),
        cmocka_unit_test(rst_answers_syn),
        cmocka_unit_test(icmp_join),
        cmocka_unit_test(port_reuse),
        cmocka_unit_test(midstream_roles),
        cmocka_unit_test(timers),
        cmocka_unit_test(ooo_cap),
        cmocka_unit_test(finish_in_id_order),
        cmocka_unit_test(cap_eviction),
        cmocka_unit_test(other_protocols),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

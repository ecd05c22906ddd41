/* Diagnosis rules on hand-built exchanges: one test per rule, no packets involved. Each builds
 * the client transaction and the upstream records the correlator would hand over and checks
 * the cause, the kind and the measured waits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diagnose/diagnose.h"
#include "proto/http2.h"
#include "render/render.h"

static struct why_ts T(double s)
{
    struct why_ts t = {1700000000 + (int64_t)s, (uint32_t)((s - (double)(int64_t)s) * 1e9), 0};
    return t;
}

/* A half's FIN and RST to write: the fixture gives each connection its own ends. */
static struct why_half_end *wend(const struct why_tcp_half *h)
{
    return (struct why_half_end *)h->end;
}

static struct why_addr A(const char *s)
{
    struct why_addr a;
    assert_int_equal(why_addr_parse(s, &a), 0);
    return a;
}

struct fixture {
    struct why_gateways gw;
    struct why_diag_ctx dx;
    struct why_conn_rec cli_conn, up_conn, att[4];
    struct why_tls_facts tls[6];      /* the records' TLS facts */
    struct why_rec_more rmore[6];     /* the records' parts apart */
    struct why_conn conns[6];         /* the records' connections */
    struct why_conn_more more[6];     /* their parts apart */
    struct why_conn_end ends[6];      /* their FINs and RSTs */
    struct why_txn client, up;
    struct why_txn_h2 h2[2];          /* the transactions' HTTP/2 parts */
    struct why_dns_rec dns[4];
    struct why_join x;
    struct why_diagnosis dg;
};

/* Diagnoses the fixture's join and words the incident, as the session does. */
static int diag(struct fixture *f)
{
    enum why_verdict v = why_diagnose(&f->dx, &f->x, &f->dg);
    if (v == WHY_VERDICT_FAILED)
        why_render(&f->dg);
    return v == WHY_VERDICT_FAILED;
}

static bool diag_unjoined(struct fixture *f)
{
    bool ok = why_diagnose_unjoined(&f->dx, &f->x, &f->dg);
    if (ok)
        why_render(&f->dg);
    return ok;
}

/* t's answer strings become v's, as the handlers write them. */
static void resp_replace(struct why_txn *t, const struct why_resp_view *v)
{
    struct why_txn_resp *r = why_txn_resp_make(v);
    assert_non_null(r);
    if (t->resp != &why_txn_resp_none)
        free(t->resp);
    t->resp = r;
}

/* t's answer string k becomes s, the others kept. */
static void resp_set(struct why_txn *t, enum why_resp_str k, const char *s)
{
    struct why_resp_view v;
    why_resp_view_of(t->resp, &v);
    v.str[k] = s;
    resp_replace(t, &v);
}

static void resp_first(struct why_txn *t, const char *bytes, size_t n)
{
    struct why_resp_view v;
    why_resp_view_of(t->resp, &v);
    v.first = (const uint8_t *)bytes;
    v.first_len = n;
    resp_replace(t, &v);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->dx.gw = &f->gw;
    f->dx.now = T(100);
    f->cli_conn.tls = &f->tls[0];
    f->up_conn.tls = &f->tls[1];
    f->cli_conn.more = &f->rmore[0];
    f->up_conn.more = &f->rmore[1];
    f->cli_conn.c = &f->conns[0];
    for (int i = 0; i < 4; i++)
        f->dns[i].qname = f->dns[i].qname_in; /* as the store sets a short name's */
    for (int i = 0; i < 6; i++) {
        why_tls_facts_init(&f->tls[i]);
        f->conns[i].more = &f->more[i];
        f->conns[i].miss = &why_conn_miss_none;
        why_conn_set_ends(&f->conns[i], &f->ends[i]);
    }
    f->up_conn.c = &f->conns[1];
    for (int i = 0; i < 4; i++) {
        f->att[i].tls = &f->tls[2 + i];
        f->att[i].more = &f->rmore[2 + i];
        f->att[i].c = &f->conns[2 + i];
    }
    /* client 198.18.1.2 -> gateway 198.18.1.1:9090, GET http://nx.lab/x at t=1 */
    struct why_conn *c = f->cli_conn.c;
    c->cli_addr = A("198.18.1.2");
    c->srv_addr = A("198.18.1.1");
    c->cli_port = 40000;
    c->srv_port = 9090;
    c->established = true;
    f->cli_conn.app = WHY_APP_HTTP;
    f->client.rc = &f->cli_conn;
    f->client.resp = f->up.resp = (struct why_txn_resp *)&why_txn_resp_none;
    f->client.h2 = &f->h2[0];
    f->up.h2 = &f->h2[1];
    f->client.host = f->client.via = f->up.host = f->up.via = "";
    strcpy(f->client.method, "GET");
    f->client.target = strdup("http://nx.lab/x");
    f->client.target_len = (uint32_t)strlen(f->client.target);
    f->client.req_first_frame = f->client.req_frame = 10;
    f->client.req_first_ts = f->client.req_ts = T(1);
    f->x.client = &f->client;
    f->x.upstream_visible = true;
    /* the gateway's upstream connection 198.19.0.1 -> 198.19.0.10:80 */
    for (int i = 0; i < 4; i++) {
        struct why_conn *u = f->att[i].c;
        u->cli_addr = A("198.19.0.1");
        u->srv_addr = A("198.19.0.10");
        u->cli_port = (uint16_t)(50000 + i);
        u->srv_port = 80;
    }
    f->up_conn = f->att[0];
    f->up_conn.tls = &f->tls[1]; /* its own facts and connection, as a copy of the record had */
    f->up_conn.more = &f->rmore[1];
    f->conns[1] = f->conns[2];
    f->conns[1].more = &f->more[1];
    f->conns[1].miss = &why_conn_miss_none;
    why_conn_set_ends(&f->conns[1], &f->ends[1]);
    f->up_conn.c = &f->conns[1];
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    free(f->client.target);
    if (f->client.resp != &why_txn_resp_none)
        free(f->client.resp);
    if (f->up.resp != &why_txn_resp_none)
        free(f->up.resp);
    free(f);
    return 0;
}

static void answer(struct why_txn *t, int status, double at, bool done)
{
    t->has_resp = true;
    t->status = status;
    t->resp_first_frame = t->resp_frame = 90;
    t->resp_first_ts = t->resp_ts = T(at);
    t->resp_done = done;
    if (done) {
        t->resp_end_frame = 91;
        t->resp_end_ts = T(at);
    }
}

static void syn(struct why_conn *c, int n, double first, double backoff)
{
    double t = first, step = backoff;
    c->syn_count = (uint32_t)n;
    struct why_conn_more *m = (struct why_conn_more *)c->more; /* the fixture's own */
    for (int i = 0; i < n; i++) {
        *(i ? &m->syn_frames[i - 1] : &c->syn_frame) = (uint64_t)(20 + i);
        *(i ? &m->syn_ts[i - 1] : &c->syn_ts0) = T(t);
        t += step;
        step *= 2;
    }
}

static void dns_nxdomain(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 2; i++) {
        struct why_dns_rec *d = &f->dns[i];
        strcpy(d->qname, "nx.lab");
        d->qtype = i ? WHY_DNS_AAAA : WHY_DNS_A;
        d->cli = A("198.19.0.1");
        d->srv = A("198.19.0.53");
        d->q_frame = d->last_q_frame = (uint64_t)(11 + 2 * i);
        d->q_ts = d->last_q_ts = T(1.001);
        d->tries = 1;
        d->answered = true;
        d->a_frame = (uint64_t)(12 + 2 * i);
        d->a_ts = T(1.002);
        d->rcode = WHY_DNS_NXDOMAIN;
        f->x.dns[f->x.ndns++] = d;
    }
    answer(&f->client, 503, 1.01, true);
    resp_set(&f->client, WHY_RESP_CLAIM, "ERR_DNS_FAIL 0");
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.error, "dns_error");
    assert_string_equal(f->dg.inc.detail, "nxdomain");
    assert_int_equal(f->dg.inc.kind, WHY_KIND_GATEWAY);
    assert_int_equal(f->dg.inc.status, 503);
    assert_int_equal(f->dg.inc.dns_queries, 2);
    assert_string_equal(f->dg.inc.url, "http://nx.lab/x");
    assert_non_null(strstr(f->dg.inc.fix, "nx.lab"));
    /* evidence sorted by frame, request first */
    assert_int_equal(f->dg.inc.evidence[0].frame, 10);
    for (uint32_t i = 1; i < f->dg.inc.nevidence; i++)
        assert_true(f->dg.inc.evidence[i - 1].frame < f->dg.inc.evidence[i].frame);
}

static void dns_nodata_and_timeout(void **state)
{
    struct fixture *f = *state;
    struct why_dns_rec *d = &f->dns[0];
    strcpy(d->qname, "nx.lab");
    d->qtype = WHY_DNS_A;
    d->q_frame = d->last_q_frame = 11;
    d->q_ts = d->last_q_ts = T(1.0);
    d->tries = 1;
    d->answered = true;
    d->a_frame = 12;
    d->a_ts = T(1.1);
    f->x.dns[f->x.ndns++] = d;
    answer(&f->client, 502, 1.2, true);
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "nodata");
    /* unanswered, retransmitted: dns_timeout, wait measured first query -> last */
    d->answered = false;
    d->tries = 3;
    d->last_q_frame = 15;
    d->last_q_ts = T(9.0);
    /* the capture ended while the gateway still waited: DNS is not blamed */
    f->x.end_frame = 0;
    bool had = f->client.has_resp;
    f->client.has_resp = false;
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "no_response_in_capture");
    f->client.has_resp = had;
    /* the gateway gave up (answered the client at 9 s): dns_timeout, wait measured */
    f->x.end_frame = 40;
    f->x.end_ts = T(9.0);
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.error, "dns_timeout");
    assert_string_equal(f->dg.inc.detail, "no_answer");
    assert_int_equal(f->dg.inc.dns_us, 8000000);
}

static void connect_timeout_schedule(void **state)
{
    struct fixture *f = *state;
    syn(f->att[0].c, 4, 1.0, 1.0); /* 1, 2, 4, 8 -> offsets 0,1,3,7 */
    f->x.attempts[f->x.nattempts++] = &f->att[0];
    f->x.up_conn = &f->att[0];
    f->x.end_ts = T(16.0);
    f->x.end_frame = 40;
    answer(&f->client, 503, 16.0, true);
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.error, "connection_timeout");
    assert_string_equal(f->dg.inc.detail, "syn_unanswered");
    assert_int_equal(f->dg.inc.syn_tries, 4);
    assert_int_equal(f->dg.inc.nschedule, 4);
    assert_int_equal(f->dg.inc.schedule_us[3], 7000000);
    assert_int_equal(f->dg.inc.connect_us, 15000000);
}

static void connect_refused_and_icmp(void **state)
{
    struct fixture *f = *state;
    struct why_conn *c = f->att[0].c;
    syn(c, 1, 1.0, 1.0);
    wend(&c->half[WHY_S2C])->rst_frame = 21;
    wend(&c->half[WHY_S2C])->rst_ts = T(1.0005);
    f->x.attempts[f->x.nattempts++] = &f->att[0];
    f->x.up_conn = &f->att[0];
    answer(&f->client, 503, 1.01, true);
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.error, "connection_refused");
    assert_string_equal(f->dg.inc.detail, "rst");
    /* ICMP admin prohibited (v4 code 13, v6 code 1) wins over a RST in another attempt */
    struct why_conn *c2 = f->att[1].c;
    syn(c2, 1, 1.1, 1.0);
    f->more[3].icmp_frame = 30;
    f->more[3].icmp_ts = T(1.1001);
    f->more[3].icmp_ipver = 4;
    f->more[3].icmp_type = 3;
    f->more[3].icmp_code = 13;
    f->more[3].icmp_from = A("198.19.0.254");
    f->x.attempts[f->x.nattempts++] = &f->att[1];
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.error, "destination_ip_prohibited");
    assert_string_equal(f->dg.inc.detail, "admin_prohibited");
    f->more[3].icmp_ipver = 6;
    f->more[3].icmp_type = 1;
    f->more[3].icmp_code = 0;
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.error, "destination_ip_unroutable");
    f->more[3].icmp_code = 4;
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.error, "connection_refused");
}

static void with_upstream_request(struct fixture *f)
{
    struct why_conn *c = f->up_conn.c;
    syn(c, 1, 1.0, 1.0);
    c->established = true;
    c->synack_frame = 21;
    c->synack_ts = T(1.001);
    f->up_conn.app = WHY_APP_HTTP;
    f->up.rc = &f->up_conn;
    strcpy(f->up.method, "GET");
    f->up.req_first_frame = f->up.req_frame = 22;
    f->up.req_first_ts = f->up.req_ts = T(1.002);
    f->x.up = &f->up;
    f->x.up_conn = &f->up_conn;
    f->x.attempts[f->x.nattempts++] = &f->up_conn;
}

static void bad_responses(void **state)
{
    struct fixture *f = *state;
    with_upstream_request(f);
    answer(&f->client, 502, 1.5, true);
    /* not HTTP */
    f->up.not_http = true;
    resp_first(&f->up, "SSH-2.0-OpenSSH\r\n", 17);
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.error, "http_protocol_error");
    assert_int_equal(f->dg.inc.first_len, 17);
    f->up.not_http = false;
    /* reset before any byte */
    struct why_tcp_half *srv = &f->up_conn.c->half[WHY_S2C];
    wend(srv)->rst_frame = 23;
    wend(srv)->rst_ts = T(1.2);
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.error, "connection_terminated");
    assert_string_equal(f->dg.inc.detail, "reset");
    /* FIN instead */
    wend(srv)->rst_frame = 0;
    wend(srv)->fin_frame = 23;
    wend(srv)->fin_ts = T(1.2);
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "closed");
    /* head then FIN inside the body */
    answer(&f->up, 200, 1.1, false);
    f->up.expected_len = 200000;
    f->up.body_bytes = 20000;
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.error, "http_response_incomplete");
    assert_string_equal(f->dg.inc.detail, "closed_in_body");
}

/* races/run17 (HAProxy, loaded): the origin sent an SSH banner right after the handshake; the
 * gateway sent the request 12 ms later and answered 502 54 us after it, the banner read as the
 * answer. Not a response timeout of 0.1 ms: the server spoke first, not HTTP. */
static void banner_before_request_is_the_answer(void **state)
{
    struct fixture *f = *state;
    with_upstream_request(f);
    static const char banner[] = "SSH-2.0-OpenSSH_9.2p1\r\n";
    f->up_conn.more->other.first_frame = 21; /* before the request (22) */
    f->up_conn.more->other.first_len = sizeof banner - 1;
    memcpy(f->up_conn.more->other.first, banner, sizeof banner - 1);
    struct why_tcp_half *gw = &f->up_conn.c->half[WHY_C2S];
    wend(gw)->rst_frame = 24;
    wend(gw)->rst_ts = T(1.0021);
    answer(&f->client, 502, 1.00205, true);
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.error, "http_protocol_error");
    assert_string_equal(f->dg.inc.detail, "not_http");
    /* bytes that only came after the request are the response's, judged as before */
    f->up_conn.more->other.first_frame = 23;
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.error, "http_response_timeout");
}

static void response_timeout_measured(void **state)
{
    struct fixture *f = *state;
    with_upstream_request(f);
    /* the gateway closes its upstream connection 5 s after sending, then answers 504 */
    struct why_tcp_half *gw = &f->up_conn.c->half[WHY_C2S];
    wend(gw)->fin_frame = 40;
    wend(gw)->fin_ts = T(6.002);
    answer(&f->client, 504, 6.003, true);
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.error, "http_response_timeout");
    assert_int_equal(f->dg.inc.wait_us, 5000000);
}

static void client_abort_and_origin_5xx(void **state)
{
    struct fixture *f = *state;
    with_upstream_request(f);
    /* client resets after 2 s, nothing answered */
    struct why_tcp_half *cl = &f->cli_conn.c->half[WHY_C2S];
    wend(cl)->rst_frame = 50;
    wend(cl)->rst_ts = T(3.0);
    assert_true(diag(f));
    assert_null(f->dg.inc.error);
    assert_string_equal(f->dg.inc.detail, "client_abort");
    assert_int_equal(f->dg.inc.kind, WHY_KIND_CLIENT);
    assert_int_equal(f->dg.inc.wait_us, 2000000);
    wend(cl)->rst_frame = 0;
    /* the origin's own 500, passed through: kind origin */
    answer(&f->up, 500, 1.1, true);
    answer(&f->client, 500, 1.2, true);
    assert_true(diag(f));
    assert_int_equal(f->dg.inc.kind, WHY_KIND_ORIGIN);
    assert_string_equal(f->dg.inc.detail, "origin_5xx");
    /* a 200 that completed is no incident */
    answer(&f->up, 200, 1.1, true);
    answer(&f->client, 200, 1.2, true);
    assert_false(diag(f));
}

static void no_upstream_attempt(void **state)
{
    struct fixture *f = *state;
    answer(&f->client, 503, 1.001, true);
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.error, "proxy_internal_response");
    assert_string_equal(f->dg.inc.detail, "no_upstream_attempt");
    /* the same when the capture has no upstream side at all: the gateway's claim is used */
    f->x.upstream_visible = false;
    resp_set(&f->client, WHY_RESP_CLAIM, "ERR_DNS_FAIL 0");
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "gateway_claim");
    assert_string_equal(f->dg.inc.error, "dns_error");
}

static void tls_renegotiation_stall(void **state)
{
    struct fixture *f = *state;
    struct why_conn *c = f->up_conn.c;
    syn(c, 1, 1.0, 1.0);
    c->established = true;
    f->up_conn.app = WHY_APP_TLS;
    f->up_conn.tls->sni = "hello.test.domain"; /* (the fixture's facts: not freed) */
    f->up_conn.tls->reneg_frame = 60;
    f->up_conn.tls->reneg_ts = T(1.2);
    wend(&c->half[WHY_S2C])->fin_frame = 70;
    wend(&c->half[WHY_S2C])->fin_ts = T(121.2);
    f->x.up_conn = &f->up_conn;
    f->x.attempts[f->x.nattempts++] = &f->up_conn;
    f->x.end_ts = T(125);
    answer(&f->client, 504, 125, true);
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.error, "tls_protocol_error");
    assert_string_equal(f->dg.inc.detail, "renegotiation_stall");
    assert_int_equal(f->dg.inc.wait_us, 120000000);
}

/* The same origin, other gateways: one refuses (closes first), one renegotiates (no TLS
 * cause then: the 502 is the gateway's own), one leaves on a bad certificate. */
static void tls_refused_renegotiated_certificate(void **state)
{
    struct fixture *f = *state;
    struct why_conn *c = f->up_conn.c;
    syn(c, 1, 1.0, 1.0);
    c->established = true;
    f->up_conn.app = WHY_APP_TLS;
    f->up_conn.tls->sni = "reneg.tls";
    f->up_conn.tls->version = 0x0303;
    f->up_conn.tls->ccs[WHY_S2C] = f->up_conn.tls->ccs[WHY_C2S] = true;
    f->up_conn.tls->data_records[WHY_C2S] = 1;
    f->up_conn.tls->reneg_frame = 60;
    f->up_conn.tls->reneg_ts = T(1.2);
    wend(&c->half[WHY_C2S])->fin_frame = 61; /* the gateway closes at once */
    wend(&c->half[WHY_C2S])->fin_ts = T(1.201);
    wend(&c->half[WHY_S2C])->fin_frame = 62;
    wend(&c->half[WHY_S2C])->fin_ts = T(1.202);
    f->x.up_conn = &f->up_conn;
    f->x.attempts[f->x.nattempts++] = &f->up_conn;
    f->x.end_frame = 63;
    f->x.end_ts = T(1.21);
    answer(&f->client, 502, 1.21, true);
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "renegotiation_refused");

    f->up_conn.tls->reneg_answered = f->up_conn.tls->reneg_renegotiated = true; /* a ClientHello back */
    assert_true(diag(f));
    assert_string_not_equal(f->dg.inc.detail, "renegotiation_refused");
    assert_string_not_equal(f->dg.inc.detail, "renegotiation_stall");

    f->up_conn.tls->reneg_frame = 0;
    f->up_conn.tls->data_records[WHY_C2S] = 0; /* no request sent */
    f->up_conn.tls->cert_problem = WHY_CERT_EXPIRED;
    f->up_conn.tls->cert_frame = 58;
    f->up_conn.tls->cert_text = "expired: not after 2020-01-01T00:00:00Z";
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.error, "tls_certificate_error");
    assert_string_equal(f->dg.inc.detail, "tls_certificate");

    f->up_conn.tls->cert_problem = WHY_CERT_OK; /* TLS 1.3 without keys: the certificate is hidden */
    f->up_conn.tls->version = 0x0304;
    f->up_conn.tls->data_records[WHY_C2S] = 1; /* its Finished only */
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "tls_gateway_left");
}

/* A failed lookup no request was joined to: an unjoined incident whose evidence is data
 * (kind, actors, addresses, file and frame) and whose words come from lib/render. */
static void unjoined_dns_as_data(void **state)
{
    struct fixture *f = *state;
    struct why_dns_rec *d = &f->dns[0];
    strcpy(d->qname, "nx.lab");
    d->qtype = WHY_DNS_A;
    d->cli = A("198.19.0.1");
    d->srv = A("198.19.0.53");
    d->cli_port = 40053;
    d->srv_port = 53;
    d->q_frame = d->last_q_frame = why_frame_id(1, 11);
    d->q_ts = d->last_q_ts = T(1.001);
    d->tries = 1;
    d->answered = true;
    d->a_frame = why_frame_id(1, 12);
    d->a_ts = T(1.002);
    d->rcode = WHY_DNS_NXDOMAIN;
    memset(&f->x, 0, sizeof f->x);
    f->x.dns[f->x.ndns++] = d;
    assert_true(diag_unjoined(f));
    const struct why_incident *inc = &f->dg.inc;
    assert_int_equal(inc->cause, WHY_CAUSE_NXDOMAIN);
    assert_string_equal(inc->detail, "nxdomain");
    assert_int_equal(inc->kind, WHY_KIND_UNJOINED);
    assert_int_equal(inc->file, 1);
    assert_int_equal(inc->request_frame, 11);
    assert_int_equal(inc->nevidence, 2);
    const struct why_evidence *q = &inc->evidence[0], *a = &inc->evidence[1];
    assert_int_equal(q->file, 1);
    assert_int_equal(q->frame, 11);
    assert_int_equal(q->kind, WHY_EVK_DNS_QUERY);
    assert_int_equal(q->from, WHY_ACTOR_CLIENT);
    assert_int_equal(q->to, WHY_ACTOR_DNS);
    assert_int_equal(q->to_port, 53);
    assert_int_equal(q->from_port, 40053);
    assert_string_equal(q->what, "DNS query A nx.lab to 198.19.0.53");
    assert_int_equal(a->kind, WHY_EVK_DNS_ANSWER);
    assert_int_equal(a->from, WHY_ACTOR_DNS);
    assert_string_equal(a->what, "DNS answer NXDOMAIN for A nx.lab");
    assert_string_equal(inc->summary, "DNS server 198.19.0.53 answered NXDOMAIN for nx.lab (1 query, 1 ms).");
    assert_int_equal(inc->nconns, 1);
    assert_int_equal(inc->conns[0].proto, 17);
    assert_int_equal(inc->conns[0].first_frame, 11);
    assert_int_equal(inc->conns[0].last_frame, 12);
    assert_int_equal(inc->conns[0].b_role, WHY_ACTOR_DNS);
}

/* ---- HTTP/2 ---- */

static void with_h2_upstream(struct fixture *f)
{
    with_upstream_request(f);
    f->up_conn.app = WHY_APP_H2;
    f->up.h2_stream = 3;
    f->up.grpc_status = -1;
    f->client.grpc_status = -1;
}

static void h2_end(struct why_txn *t, int end, uint32_t code, int by, double at)
{
    t->h2_end = (uint8_t)end;
    t->h2->code = code;
    t->h2->by = by;
    t->h2->end_frame = 30;
    t->h2->end_ts = T(at);
}

static void h2_stream_rules(void **state)
{
    struct fixture *f = *state;
    with_h2_upstream(f);
    answer(&f->client, 502, 1.5, true);
    /* the origin resets the stream before any response */
    h2_end(&f->up, WHY_H2_END_RST, WHY_H2_REFUSED_STREAM, WHY_S2C, 1.2);
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "h2_stream_reset");
    assert_string_equal(f->dg.inc.error, "connection_terminated");
    assert_in_range(f->dg.inc.wait_us, 197990, 198010); /* T() rounds to the nanosecond */
    assert_non_null(strstr(f->dg.inc.detail_text, "code=REFUSED_STREAM by=origin"));
    /* the same with PROTOCOL_ERROR: a protocol fault */
    f->up.h2->code = WHY_H2_PROTOCOL_ERROR;
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "h2_protocol_error");
    assert_string_equal(f->dg.inc.error, "http_protocol_error");
    /* after the response head: cut in the body */
    f->up.h2->code = WHY_H2_INTERNAL_ERROR;
    answer(&f->up, 200, 1.1, false);
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "h2_stream_reset_in_body");
    /* the gateway resets the stream 5 s after the request, unanswered: its timeout */
    f->up.has_resp = false;
    h2_end(&f->up, WHY_H2_END_RST, WHY_H2_CANCEL, WHY_C2S, 6.002);
    answer(&f->client, 504, 6.003, true);
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "h2_stream_unanswered");
    assert_string_equal(f->dg.inc.error, "http_response_timeout");
    assert_int_equal(f->dg.inc.wait_us, 5000000);
    /* above the last-stream-id of the origin's GOAWAY: never processed */
    h2_end(&f->up, WHY_H2_END_GOAWAY, WHY_H2_NO_ERROR, WHY_S2C, 1.2);
    f->up_conn.more->h2.goaway_frame = 29;
    f->up_conn.more->h2.goaway_last_id = 1;
    f->up_conn.more->h2.goaway_dir = WHY_S2C;
    answer(&f->client, 502, 1.3, true);
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "h2_goaway_unprocessed");
    assert_non_null(strstr(f->dg.inc.detail_text, "last_stream_id=1"));
    /* the origin's window stood at 0 for 10 s and the stream died with it */
    h2_end(&f->up, WHY_H2_END_CLOSED, 0, WHY_C2S, 11.2);
    answer(&f->up, 200, 1.1, false);
    f->up.h2->stall_us = 10000000;
    f->up.h2->stall_open = true;
    f->up.h2->stall_dir = WHY_S2C;
    f->up.h2->stall_frame = 28;
    f->up.h2->stall_ts = T(1.15);
    answer(&f->client, 200, 1.2, false);
    f->cli_conn.c->closed = true;
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "h2_flow_stall");
    assert_int_equal(f->dg.inc.wait_us, 10000000);
    assert_non_null(strstr(f->dg.inc.summary, "origin's window stood at 0"));
    assert_non_null(strstr(f->dg.inc.fix, "The gateway did not open the window"));
}

static void grpc_rules(void **state)
{
    struct fixture *f = *state;
    with_h2_upstream(f);
    /* the origin's UNAVAILABLE passed through in a 200: the origin's answer */
    answer(&f->up, 200, 1.1, true);
    f->up.h2_end = WHY_H2_END_COMPLETE;
    f->up.grpc_status = 14;
    answer(&f->client, 200, 1.2, true);
    f->client.grpc_status = 14;
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "grpc_origin_status");
    assert_int_equal(f->dg.inc.kind, WHY_KIND_ORIGIN);
    /* NOT_FOUND is an answer, like a 404: no incident */
    f->up.grpc_status = f->client.grpc_status = 5;
    assert_false(diag(f));
    /* the gateway's own UNAVAILABLE while the origin answered fine: the gateway's, like a 503 */
    f->up.grpc_status = 0;
    f->client.grpc_status = 14;
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "gateway_error");
    /* ... and when no upstream request was made at all */
    f->x.up = NULL;
    f->x.up_conn = NULL;
    f->x.nattempts = 0;
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "no_upstream_attempt");
}

static void h2_client_gives_up(void **state)
{
    struct fixture *f = *state;
    with_upstream_request(f);
    /* the client resets its stream 2 s after the request, nothing answered: a 499 */
    f->cli_conn.app = WHY_APP_H2;
    f->client.h2_stream = 1;
    f->client.grpc_status = -1;
    h2_end(&f->client, WHY_H2_END_RST, WHY_H2_CANCEL, WHY_C2S, 3.0);
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "client_abort");
    assert_int_equal(f->dg.inc.wait_us, 2000000);
    /* a stream that completed with a 200 is no incident, whatever the connection did later */
    h2_end(&f->client, WHY_H2_END_COMPLETE, 0, WHY_S2C, 1.2);
    answer(&f->client, 200, 1.2, true);
    answer(&f->up, 200, 1.1, true);
    assert_false(diag(f));
    /* a whole 200 (the gateway's END_STREAM), then the gateway resets the stream with NO_ERROR
     * to stop the client's upload (RFC 9113 8.1): answered, no incident; likewise when the
     * client resets a stream whose answer it has whole */
    h2_end(&f->client, WHY_H2_END_RST, WHY_H2_NO_ERROR, WHY_S2C, 1.3);
    assert_false(diag(f));
    h2_end(&f->client, WHY_H2_END_RST, WHY_H2_CANCEL, WHY_C2S, 1.3);
    assert_false(diag(f));
    /* ...but not one cut before its end */
    f->client.resp_done = false;
    h2_end(&f->client, WHY_H2_END_RST, WHY_H2_INTERNAL_ERROR, WHY_S2C, 1.3);
    assert_true(diag(f));
}

/* The gateway answered without an attempt after the origin sent GOAWAY on its HTTP/2
 * connection: named by the GOAWAY, its code deciding between an unprocessed request and a
 * protocol error. */
static void h2_goaway_before_request(void **state)
{
    struct fixture *f = *state;
    answer(&f->client, 502, 1.001, true);
    f->up_conn.app = WHY_APP_H2;
    f->up_conn.more->h2.goaway_frame = 8;
    f->up_conn.more->h2.goaway_ts = T(0.75);
    f->up_conn.more->h2.goaway_dir = WHY_S2C;
    f->up_conn.more->h2.goaway_last_id = 5;
    f->up_conn.more->h2.goaway_code = WHY_H2_NO_ERROR;
    f->x.goaway_conn = &f->up_conn;
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "h2_goaway_unprocessed");
    assert_string_equal(f->dg.inc.detail_text, "stream=none last_stream_id=5 code=NO_ERROR goaway_before_request=0.250s");
    assert_non_null(strstr(f->dg.inc.summary, "before this request"));
    bool ev = false;
    for (uint32_t i = 0; i < f->dg.inc.nevidence; i++)
        ev |= f->dg.inc.evidence[i].frame == 8;
    assert_true(ev);
    f->up_conn.more->h2.goaway_code = WHY_H2_PROTOCOL_ERROR;
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "h2_protocol_error");
    /* no GOAWAY found: the gateway's own answer */
    f->x.goaway_conn = NULL;
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "no_upstream_attempt");
}

/* A 503 with no attempt while the gateway's checks of both servers were refused. Varnish's
 * "Backend fetch failed" then names the checks, unless a server it checks passed its last one
 * or a connection to an address a request also went to was refused just before (a backend
 * held down); its own synthetic 503 ("Maintenance"), Apache's 503 page, the same for a
 * balancer whose members failed their checks as for any 503 of its own, and Caddy's empty 503
 * name no cause beyond no_upstream_attempt but list the failing checks with their frames;
 * HAProxy's page, saying no server is available, names them. */
static void checks_with_no_attempt(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 3; i++) {
        struct why_conn *c = f->att[i].c;
        c->syn_count = 1;
        c->first_frame = c->syn_frame = (uint64_t)(30 + 2 * i);
        c->first_ts = c->syn_ts0 = T(0.5 + 0.1 * i);
        wend(&c->half[WHY_S2C])->rst_frame = c->first_frame + 1;
        wend(&c->half[WHY_S2C])->rst_ts = T(0.5001 + 0.1 * i);
    }
    f->att[1].c->srv_addr = A("198.19.0.27");
    f->x.checks[0] = &f->att[0];
    f->x.checks[1] = &f->att[1];
    f->x.nchecks = 2;
    resp_set(&f->client, WHY_RESP_SERVER, "Varnish");
    resp_set(&f->client, WHY_RESP_TITLE, "503 Backend fetch failed");
    answer(&f->client, 503, 1.001, true);
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.error, "destination_unavailable");
    assert_string_equal(f->dg.inc.detail, "health_check_failed");
    assert_non_null(strstr(f->dg.inc.summary, "198.19.0.10:80 refused, 198.19.0.27:80 refused"));
    assert_non_null(strstr(f->dg.inc.summary, "none was held down"));
    assert_int_equal(f->dg.inc.nevidence, 6); /* 2 x (SYN, RST), the request, the answer */
    /* a server it checks passed its last check: not every server was marked down */
    f->x.nchecks_ok = 1;
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "no_upstream_attempt");
    assert_string_equal(f->dg.inc.detail_text, "checks_failing=2");
    f->x.nchecks_ok = 0;
    /* a refusal 0.3 s before the request, of an address a request went to: held down maybe */
    f->x.attempt_near = &f->att[2];
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "no_upstream_attempt");
    assert_string_equal(f->dg.inc.detail_text, "attempt_near=198.19.0.10:80 checks_failing=2");
    assert_non_null(strstr(f->dg.inc.summary, "Its own health checks were failing then"));
    assert_non_null(strstr(f->dg.inc.summary, "refused 300 ms before the request"));
    f->x.attempt_near = NULL;
    /* Varnish's own synthetic 503 (vcl_synth): no backend fetch was asked for */
    resp_set(&f->client, WHY_RESP_TITLE, "503 Maintenance");
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "no_upstream_attempt");
    /* Apache's 503 page: the checks are context, not the cause */
    resp_set(&f->client, WHY_RESP_SERVER, "Apache/2.4.71 (Debian)");
    resp_set(&f->client, WHY_RESP_TITLE, "503 Service Unavailable");
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.error, "proxy_internal_response");
    assert_string_equal(f->dg.inc.detail, "no_upstream_attempt");
    assert_int_equal(f->dg.inc.nevidence, 6);
    assert_non_null(strstr(f->dg.inc.summary, "(198.19.0.10:80 refused, 198.19.0.27:80 refused); its answer "
                                              "does not say which server"));
    /* Caddy's empty 503: its reverse proxy's "no upstreams available" and a `respond 503` of
     * its configuration are the same bytes, so the checks are context here too */
    resp_set(&f->client, WHY_RESP_SERVER, "Caddy");
    resp_set(&f->client, WHY_RESP_TITLE, "");
    f->client.body_bytes = 0;
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "no_upstream_attempt");
    assert_non_null(strstr(f->dg.inc.summary, "Its own health checks were failing then"));
    /* HAProxy's page says no server is available: the checks are the cause */
    f->client.says_no_server = true;
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.detail, "health_check_failed");
    f->client.says_no_server = false;
    /* no checks failing: nothing more is said */
    f->x.nchecks = 0;
    assert_true(diag(f));
    assert_string_equal(f->dg.inc.summary,
                        "The gateway answered 503 without any DNS query, connection or request upstream.");
    assert_string_equal(f->dg.inc.detail_text, "");
}

int main(void)
{
#define T_(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T_(dns_nxdomain), T_(dns_nodata_and_timeout), T_(connect_timeout_schedule),
        T_(connect_refused_and_icmp), T_(bad_responses), T_(banner_before_request_is_the_answer), T_(response_timeout_measured),
        T_(client_abort_and_origin_5xx), T_(no_upstream_attempt), T_(tls_renegotiation_stall),
        T_(tls_refused_renegotiated_certificate), T_(unjoined_dns_as_data), T_(h2_stream_rules),
        T_(grpc_rules), T_(h2_client_gives_up), T_(h2_goaway_before_request),
        T_(checks_with_no_attempt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

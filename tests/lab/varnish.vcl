# Varnish 7.1 as a reverse proxy for the why502 lab (run-lab.sh starts varnishd with
# -p connect_timeout=3 -p first_byte_timeout=4 -p between_bytes_timeout=4). Varnish resolves a
# backend's name once, when the VCL is compiled: backends here are addresses, so the DNS faults
# do not apply. The Host's first label picks the backend; nothing is cached (pass).
vcl 4.1;
import directors;

probe fails {
    .url = "/health";
    .interval = 500ms;
    .timeout = 300ms;
    .window = 2;
    .threshold = 1;
    .initial = 0;
    .expected_response = 200;
}

backend ok { .host = "198.19.0.10"; .port = "80"; }
backend ok6 { .host = "fd00:19::10"; .port = "80"; }
backend drop { .host = "198.19.0.11"; .port = "80"; }
backend rst { .host = "198.19.0.12"; .port = "80"; }
backend adminprohib { .host = "198.19.0.13"; .port = "80"; }
backend hostprohib { .host = "198.19.0.14"; .port = "80"; }
backend prohib6 { .host = "fd00:19::15"; .port = "80"; }
backend unreach { .host = "198.19.0.16"; .port = "80"; }
backend garbage { .host = "198.19.0.20"; .port = "80"; }
backend binary { .host = "198.19.0.21"; .port = "80"; }
backend close { .host = "198.19.0.22"; .port = "80"; }
backend reset { .host = "198.19.0.23"; .port = "80"; }
backend midreset { .host = "198.19.0.24"; .port = "80"; }
backend midclose { .host = "198.19.0.25"; .port = "80"; }
backend hang { .host = "198.19.0.26"; .port = "80"; }
backend err500 { .host = "198.19.0.27"; .port = "80"; }
backend slow { .host = "198.19.0.28"; .port = "80"; }
backend ka { .host = "198.19.0.29"; .port = "80"; }
backend bighead { .host = "198.19.0.30"; .port = "80"; }
# Health-checked: one refuses, one answers 500: both sick. The refusing one is not the `rst`
# backend's address: Varnish's refusal holddown (backend_remote_error_holddown, 0.25 s) is kept
# per address, so its probes' refusals would fail `rst` and `two` with no packet
backend hc_a { .host = "198.19.0.17"; .port = "80"; .probe = fails; }
backend hc_b { .host = "198.19.0.27"; .port = "80"; .probe = fails; }

sub vcl_init {
    # two.lab: the first refuses; a fallback director picks the first HEALTHY backend, and
    # without a probe both count as healthy
    new two = directors.fallback();
    two.add_backend(rst);
    two.add_backend(ok);
    new hc = directors.round_robin();
    hc.add_backend(hc_a);
    hc.add_backend(hc_b);
}

sub vcl_recv {
    set req.http.X-Lab = regsub(req.http.host, "^([^.:]+).*$", "\1");
    if (req.http.X-Lab == "maint") { return (synth(503, "Maintenance")); }
    elsif (req.http.X-Lab == "ok6") { set req.backend_hint = ok6; }
    elsif (req.http.X-Lab == "drop") { set req.backend_hint = drop; }
    elsif (req.http.X-Lab == "rst") { set req.backend_hint = rst; }
    elsif (req.http.X-Lab == "adminprohib") { set req.backend_hint = adminprohib; }
    elsif (req.http.X-Lab == "hostprohib") { set req.backend_hint = hostprohib; }
    elsif (req.http.X-Lab == "prohib6") { set req.backend_hint = prohib6; }
    elsif (req.http.X-Lab == "unreach") { set req.backend_hint = unreach; }
    elsif (req.http.X-Lab == "garbage") { set req.backend_hint = garbage; }
    elsif (req.http.X-Lab == "binary") { set req.backend_hint = binary; }
    elsif (req.http.X-Lab == "close") { set req.backend_hint = close; }
    elsif (req.http.X-Lab == "reset") { set req.backend_hint = reset; }
    elsif (req.http.X-Lab == "midreset") { set req.backend_hint = midreset; }
    elsif (req.http.X-Lab == "midclose") { set req.backend_hint = midclose; }
    elsif (req.http.X-Lab == "hang") { set req.backend_hint = hang; }
    elsif (req.http.X-Lab == "err500") { set req.backend_hint = err500; }
    elsif (req.http.X-Lab == "slow") { set req.backend_hint = slow; }
    elsif (req.http.X-Lab == "ka") { set req.backend_hint = ka; }
    elsif (req.http.X-Lab == "bighead") { set req.backend_hint = bighead; }
    elsif (req.http.X-Lab == "two") { set req.backend_hint = two.backend(); }
    elsif (req.http.X-Lab == "hc") { set req.backend_hint = hc.backend(); }
    else { set req.backend_hint = ok; }
    unset req.http.X-Lab;
    return (pass);
}

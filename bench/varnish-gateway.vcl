# Varnish 7.1 as the gateway of the benchmark's fetch shape (namespace w5b-TAG-gw, port 9090
# where Squid listens in the other shapes; make-shape.sh starts varnishd with -p
# connect_timeout=1 -p first_byte_timeout=5 -p between_bytes_timeout=5). Clients send
# origin-form requests, as to a site's cache; the Host's first label picks the backend, and
# nothing is cached (pass), so every request is a fetch. Varnish's own habits, all at once:
# - backends are addresses (a name is resolved once, when the VCL is compiled), connections to
#   them kept and reused between fetches;
# - no retry: a fetch that cannot connect, or gets no answer, is a 503 ("Backend fetch
#   failed") at once;
# - after a refusal, an address is held down for backend_remote_error_holddown (0.25 s): fetches
#   to it meanwhile fail with no packet;
# - probes in the background (hc.bench's backend is down by its probe);
# - answers of its own (nx.bench: synth 503 in vcl_recv, no fetch).
vcl 4.1;

probe fails {
    .url = "/f/000.html";
    .interval = 2s;
    .timeout = 1s;
    .window = 2;
    .threshold = 1;
    .initial = 0;
}

backend www { .host = "198.19.0.10"; .port = "80"; }
backend static { .host = "198.19.0.11"; .port = "80"; }
backend img { .host = "198.19.0.12"; .port = "80"; }
backend cdn { .host = "198.19.0.13"; .port = "80"; }
backend api { .host = "198.19.0.14"; .port = "80"; }
backend news { .host = "198.19.0.15"; .port = "80"; }
backend shop { .host = "198.19.0.16"; .port = "80"; }
backend media { .host = "198.19.0.17"; .port = "80"; }
backend refuse { .host = "198.19.0.18"; .port = "80"; }
backend stall { .host = "198.19.0.19"; .port = "8081"; }
backend drop { .host = "198.19.0.99"; .port = "80"; }
backend hc { .host = "198.19.0.10"; .port = "81"; .probe = fails; }

sub vcl_recv {
    set req.http.X-Bench = regsub(req.http.host, "^([^.:]+).*$", "\1");
    if (req.http.X-Bench == "nx") { return (synth(503, "Service Unavailable")); }
    elsif (req.http.X-Bench == "static") { set req.backend_hint = static; }
    elsif (req.http.X-Bench == "img") { set req.backend_hint = img; }
    elsif (req.http.X-Bench == "cdn") { set req.backend_hint = cdn; }
    elsif (req.http.X-Bench == "api") { set req.backend_hint = api; }
    elsif (req.http.X-Bench == "news") { set req.backend_hint = news; }
    elsif (req.http.X-Bench == "shop") { set req.backend_hint = shop; }
    elsif (req.http.X-Bench == "media") { set req.backend_hint = media; }
    elsif (req.http.X-Bench == "refuse") { set req.backend_hint = refuse; }
    elsif (req.http.X-Bench == "stall") { set req.backend_hint = stall; }
    elsif (req.http.X-Bench == "drop") { set req.backend_hint = drop; }
    elsif (req.http.X-Bench == "hc") { set req.backend_hint = hc; }
    else { set req.backend_hint = www; }
    unset req.http.X-Bench;
    return (pass);
}

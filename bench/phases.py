#!/usr/bin/env python3
"""Where why502's instructions and cache misses go, by part of the pipeline.

    valgrind --tool=cachegrind --cache-sim=yes --LL=1048576,16,64 \\
        --cachegrind-out-file=OUT why502 --json -q -o /dev/null CAPTURE
    bench/phases.py NAME=OUT [NAME=OUT ...]

Reads each cachegrind file (cg_annotate's table by function: the Release build's functions,
with what link-time optimisation inlined into them) and sums its instructions and its
simulated last-level read and write misses into the parts below, by function name. A name no
pattern takes is counted under `other` and the largest of them are listed, so a renamed
function shows there instead of vanishing. The split is by the function the work ran in, not
by its purpose: libc's string functions count where most of their calls come from (a
request's strings), the main loop counts as reading. `phases.py --check` tests the parsing.
"""
import re
import subprocess
import sys

PARTS = (
    ("reading the file", r"load|run|why_reader_next|fill|fill_plain|fill_ahead|next_pcap|next_pcapng"),
    ("decoding", r"why_decode.*|why_gw_learn_local"),
    ("the flow table, a frame", r"why_session_frame|why_flow_packet|tcp_in|seen_to|conn_close|listen_slot|"
     r"syn_answered|spare_new|hash_link|hash_unlink|conn_new|on_fin|on_rst|handshake|drain|ooo_insert|"
     r"mark_closed|first_packet|one_way_note|flow_encap|kslot_grow"),
    ("HTTP heads and streams", r"parse_head_scan|feed_head|start_message|http_feed|why_http1_.*|park|"
     r"park_remove|own_stream|http_close|fl_data|why_app_data|finish_body|peek_add|__memchr.*"),
    ("a request stored and indexed", r"why_app_request|why_store_txn_.*|why_url_key|parse_authority|"
     r"why_request_key|why_request_ending_key|why_store_queue_push|why_app_response_strings|resp_fill|"
     r"resp_size|on_req_head|on_resp_head|__strcmp.*|__strlen.*|__strnlen.*|__memcmp.*|__memset.*"),
    ("DNS messages", r"on_message|dns_name|why_dns_parse|why_app_dns_udp|fl_udp|why_store_dns_.*"),
    ("connections opened and closed", r"fl_open|fl_close|fl_event|why_store_conn_.*|rec_unlink|tcp_close"),
    ("decisions (joins, diagnoses, reports)", r"sweep|decide|why_join_.*|join_dns_host|lookup_in_window|"
     r"dns_in_window|scheduled.*|sched_path|set_distances|period_in|held_from|path_busy|may_check|"
     r"attempt_near|range_prev|range_next|chain_.*|match_finals|failover_of_other|timer_chain|try_.*|"
     r"why_diagnose.*|why_render.*|incident|kactor|kframe|why_json_.*|why_jbuf_esc|emit|sink_incident|"
     r"txn_ready_at|txn_due|why_store_complete_due|why_store_requests.*|why_store_upstream_slots|"
     r"why_store_try_slots|last_check_of|gateway_asks|unnamed_server|check_while_unresolved|window_prev|"
     r"__vfprintf_internal|why_ts_format|sort_txns_by_qseq|on_prune_conn|why_store_queue_remove"),
    ("pruning", r"why_store_prune|on_prune_dns|dns_unlink|txn_free|rec_free|why_store_trim_txns|"
     r"prune_dns_report"),
    ("the allocator", r"_int_malloc|_int_free|malloc|free|calloc|realloc|_int_realloc|malloc_consolidate|"
     r"unlink_chunk"),
)
PATTERNS = [(name, re.compile(r"^(?:%s)$" % rx)) for name, rx in PARTS]
SUFFIX = re.compile(r"\.(?:lto_priv|constprop|isra|part|cold)(?:\.\d+)?")
# Ir (pct) DLmr [(pct)] DLmw [(pct)] file:function; a count of 0 has no percentage
ROW = re.compile(r"^\s*([\d,]+)\s+\([^)]*\)\s+([\d,]+)\s+(?:\([^)]*\)\s+)?([\d,]+)\s+(?:\([^)]*\)\s+)?\S*?:(\S+)")


def rows_of(text):
    """(instructions, LL read misses, LL write misses, function) for each row of the table."""
    out = []
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            ir, rd, wr, fn = m.groups()
            out.append((int(ir.replace(",", "")), int(rd.replace(",", "")), int(wr.replace(",", "")),
                        SUFFIX.sub("", SUFFIX.sub("", fn))))
    return out


def part_of(fn):
    for name, rx in PATTERNS:
        if rx.match(fn):
            return name
    return "other"


def split(rows):
    sums = {name: [0, 0, 0] for name, _ in PARTS}
    sums["other"] = [0, 0, 0]
    others = {}
    for ir, rd, wr, fn in rows:
        p = part_of(fn)
        for i, v in enumerate((ir, rd, wr)):
            sums[p][i] += v
        if p == "other":
            others[fn] = others.get(fn, 0) + ir
    return sums, others


def report(name, rows):
    sums, others = split(rows)
    tot = [sum(s[i] for s in sums.values()) or 1 for i in range(3)]
    print(f"{name}: {tot[0] / 1e6:.1f} M instructions, last-level misses {tot[1] / 1e6:.3f} M read "
          f"and {tot[2] / 1e6:.3f} M write")
    print("| part | instructions | last-level read misses | last-level write misses |")
    print("|---|---:|---:|---:|")
    for p in [n for n, _ in PARTS] + ["other"]:
        s = sums[p]
        print(f"| {p} | {100 * s[0] / tot[0]:.1f} % | {100 * s[1] / tot[1]:.1f} % | {100 * s[2] / tot[2]:.1f} % |")
    top = sorted(others.items(), key=lambda kv: -kv[1])[:6]
    print("other, the most instructions: " + ", ".join(f"{fn} {ir / 1e6:.1f} M" for fn, ir in top))
    print()


def check():
    text = """ 203,622,342 (26.23%) 151,674 ( 3.73%)  28,369 ( 2.15%)  ???:why_session_frame
  9,156,084 ( 1.18%) 226,049 ( 5.56%)  43,925 ( 3.33%)  ???:sched_path.isra.0
  8,446,499 ( 1.09%)  33,686 ( 0.83%)       0           ./string/x.S:__strcmp_avx2
     10,000 ( 0.00%)       0                0           ???:somewhere_new.lto_priv.0
"""
    rows = rows_of(text)
    assert [r[3] for r in rows] == ["why_session_frame", "sched_path", "__strcmp_avx2", "somewhere_new"], rows
    assert rows[2][1:3] == (33686, 0) and rows[3][1:3] == (0, 0), rows
    sums, others = split(rows)
    assert sums["the flow table, a frame"] == [203622342, 151674, 28369]
    assert sums["decisions (joins, diagnoses, reports)"][0] == 9156084
    assert sums["a request stored and indexed"][1] == 33686
    assert others == {"somewhere_new": 10000}
    print("phases.py: check passed")


def main(argv):
    if argv == ["--check"]:
        check()
        return 0
    if not argv or any("=" not in a for a in argv):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for a in argv:
        name, path = a.split("=", 1)
        res = subprocess.run(["cg_annotate", "--show=Ir,DLmr,DLmw", "--sort=Ir", "--threshold=0.0001", path],
                             capture_output=True, text=True)
        if res.returncode != 0:
            print(f"phases.py: cg_annotate {path}: {res.stderr.strip()}", file=sys.stderr)
            return 1
        report(name, rows_of(res.stdout))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

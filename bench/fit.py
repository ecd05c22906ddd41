#!/usr/bin/env python3
"""Least-squares lines through the sweep's instruction counts (run.sh --scale DIR --instructions).

Reads a TSV on stdin, one line per capture and binary:
    SET  CAPTURE  PACKETS  HELD  INCIDENTS  LABEL  INSTRUCTIONS  [KNOB]
and prints, per set and binary, the line that says how the cost grows with that set's knob,
each term a cost per unit, and the largest miss of the line on any capture of the set:
    names           instructions = a per packet + c               (no term in the names)
    conns           instructions = a per packet + b per held connection + c per incident
                    (incidents: the requests a capture cut in flight, each one joined and written)
    outage, hang,   instructions = a per packet + b per incident  (the failed or waiting requests)
    retry, fetch,
    balance, resolve
    rate-SHAPE      instructions a packet = a + b per request a second (KNOB: the requests a
                    second; the captures of one size and failure share, the rate turned). A cost
                    that grows with the packets alone gives b near 0; one that grows with the
                    square of the rate (a walk over a window whose records come at that rate,
                    for every request) a b that the line's ends show: the cost a packet at the
                    highest rate against the lowest, printed as a change in %.
A set with fewer captures than terms is skipped. No third-party module: the normal equations,
solved by Gaussian elimination with partial pivoting. `fit.py --check` tests the fit itself.
"""
import sys

MODELS = {
    "names": (("packet", lambda r: r["packets"]), ("", lambda r: 1.0)),
    "conns": (("packet", lambda r: r["packets"]), ("held connection", lambda r: r["held"]),
              ("incident", lambda r: r["incidents"])),
    "outage": (("packet", lambda r: r["packets"]), ("failed request", lambda r: r["incidents"])),
    "hang": (("packet", lambda r: r["packets"]), ("waiting request", lambda r: r["incidents"])),
    "retry": (("packet", lambda r: r["packets"]), ("failed request", lambda r: r["incidents"])),
    "fetch": (("packet", lambda r: r["packets"]), ("failed request", lambda r: r["incidents"])),
    "balance": (("packet", lambda r: r["packets"]), ("failed request", lambda r: r["incidents"])),
    "resolve": (("packet", lambda r: r["packets"]), ("failed request", lambda r: r["incidents"])),
}
DEFAULT = (("packet", lambda r: r["packets"]), ("", lambda r: 1.0))
# the rate sets: y is the instructions a packet, not the instructions
RATE = (("", lambda r: 1.0), ("request a second", lambda r: r["knob"]))


def is_rate(s):
    """A set of make-sweep.sh's rate sweep (run.sh names it rate-SHAPE)."""
    return s.startswith("rate-")


def model_of(s):
    return RATE if is_rate(s) else MODELS.get(s, DEFAULT)


def target(s, r):
    return r["instr"] / r["packets"] if is_rate(s) else r["instr"]


def solve(rows, y):
    n = len(rows[0])
    m = [[sum(r[i] * r[j] for r in rows) for j in range(n)] + [sum(r[i] * v for r, v in zip(rows, y))]
         for i in range(n)]
    for i in range(n):
        p = max(range(i, n), key=lambda k: abs(m[k][i]))
        m[i], m[p] = m[p], m[i]
        if m[i][i] == 0:
            return None
        for k in range(n):
            if k != i:
                f = m[k][i] / m[i][i]
                m[k] = [a - f * b for a, b in zip(m[k], m[i])]
    return [m[i][n] / m[i][i] for i in range(n)]


def fit(s, rs):
    """The line of set s through rows rs: (model, coefficients, largest miss %), or None."""
    model = model_of(s)
    if len(rs) < len(model):
        return None
    x = [[term(r) for _, term in model] for r in rs]
    y = [target(s, r) for r in rs]
    c = solve(x, y)
    if c is None:
        return None
    miss = max(abs(sum(a * b for a, b in zip(c, xi)) - yi) / yi * 100 for xi, yi in zip(x, y))
    return model, c, miss


def check():
    """--check: rows made from known costs give those costs back and miss by nothing; rows
    whose cost grows with the square of the failed requests miss by far more."""
    rows = [{"packets": p, "held": h, "incidents": i} for p, h, i in
            ((109764, 2000, 10), (141301, 6000, 16), (187272, 12000, 113), (250408, 18000, 142),
             (272410, 24000, 6890))]
    for r in rows:
        r["instr"] = 1500 * r["packets"] + 20000 * r["held"] + 190000 * r["incidents"]
    _, c, miss = fit("conns", rows)
    assert all(abs(a - b) / b < 1e-6 for a, b in zip(c, (1500, 20000, 190000))), c
    assert miss < 1e-6, miss
    linear = [{"packets": 106000 + 100 * k, "held": 0, "incidents": f} for k, f in enumerate((1, 45, 505, 1109))]
    for r in linear:
        r["instr"] = 2100 * r["packets"] + 115000 * r["incidents"]
    assert fit("outage", linear)[2] < 1e-6
    square = [dict(r, instr=2100 * r["packets"] + 200 * r["incidents"] ** 2) for r in linear]
    assert fit("outage", square)[2] > 5, fit("outage", square)[2]
    # the rate: a cost a packet that does not move with the rate gives a slope of 0; a total
    # that grows with the rate's square (a term per packet proportional to the rate) gives
    # that term back as the slope
    flat = [{"packets": 190000.0 + 500 * k, "held": 0, "incidents": 200, "knob": q}
            for k, q in enumerate((257.0, 483.0, 549.0))]
    for r in flat:
        r["instr"] = 2000 * r["packets"]
    _, c, miss = fit("rate-retry", flat)
    assert abs(c[0] - 2000) < 1e-6 and abs(c[1]) < 1e-9 and miss < 1e-6, c
    steep = [dict(r, instr=(2000 + 0.5 * r["knob"]) * r["packets"]) for r in flat]
    _, c, _ = fit("rate-retry", steep)
    assert abs(c[1] - 0.5) < 1e-9, c
    print("fit.py: known lines recovered; a square's growth missed by %.0f %%; a rate's square "
          "read as %.2f instructions a packet per request a second" % (fit("outage", square)[2], c[1]))


def main():
    if sys.argv[1:] == ["--check"]:
        check()
        return
    sets = {}
    for line in sys.stdin:
        f = line.rstrip("\n").split("\t")
        if len(f) not in (7, 8):
            continue
        s, cap, packets, held, incidents, label, instr = f[:7]
        try:
            r = {"capture": cap, "packets": float(packets), "held": float(held or 0),
                 "incidents": float(incidents or 0), "instr": float(instr),
                 "knob": float(f[7]) if len(f) == 8 and f[7] else 0.0}
        except ValueError:
            continue
        if is_rate(s) and (r["packets"] <= 0 or r["knob"] <= 0):
            continue
        sets.setdefault((s, label), []).append(r)
    for (s, label), rs in sorted(sets.items()):
        f = fit(s, rs)
        if f is None:
            continue
        model, c, miss = f
        if is_rate(s):
            lo, hi = min(r["knob"] for r in rs), max(r["knob"] for r in rs)
            a, b = c[0] + c[1] * lo, c[0] + c[1] * hi
            print(f"  {s} ({label}, {len(rs)} captures): instructions a packet = {c[0]:,.0f} {'-' if c[1] < 0 else '+'} {abs(c[1]):,.2f} per "
                  f"request a second; {a:,.0f} at {lo:,.0f} requests a second, {b:,.0f} at {hi:,.0f} "
                  f"({(b - a) / a * 100:+.1f} %); largest miss {miss:.1f} %")
            continue
        terms = " + ".join(f"{v:,.0f}" + (f" per {name}" if name else "") for (name, _), v in zip(model, c))
        print(f"  {s} ({label}, {len(rs)} captures): instructions = {terms}; largest miss {miss:.1f} %")


if __name__ == "__main__":
    main()

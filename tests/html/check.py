#!/usr/bin/env python3
"""The HTML report in a real browser (Chromium, headless, driven over the DevTools protocol).

  goldens   every capture of tests/e2e/TESTLIST: the page loads with no console error, holds
            one ladder per incident of why502 --json with one arrow per evidence item, has no
            script; the same input gives the same bytes; screenshots kept in --artefacts.
  hostile   a capture whose URL, Host, headers, DNS names and SNI carry script (make-hostile.py):
            nothing runs (the title and the DOM stay ours, no element or handler from the wire),
            the payloads show as text. Controls prove the check can see script run: the same
            payloads pasted raw into a page do run, and the page's CSP alone stops them.
  scale     N failures (make-many.py, default 10,000): why502's time, the page's size and its
            load time in Chromium (navigation to load event), opening a group of thousands.
Exit 77 (skipped) when Chromium is not installed. Last line: "N passed, N failed"."""
import argparse, json, os, re, shlex, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.environ.get("WHY_CORPUS_DIR", os.path.join(os.path.dirname(ROOT), "shared", "corpus"))
sys.path.insert(0, HERE)
import cdp  # noqa: E402

# The incidents of the page: id -> [arrows drawn, data-evidence] for a full section with its
# ladder, "row" for a one-line member of a large group.
LADDERS_JS = """(() => { const out = {};
  for (const d of document.querySelectorAll('details.inc')) {
    const svgs = d.querySelectorAll(':scope > svg.ladder');
    out[d.id] = svgs.length === 1 ? [svgs[0].querySelectorAll('g.arrow').length,
                                     +svgs[0].getAttribute('data-evidence')] : [-1, svgs.length];
  }
  for (const r of document.querySelectorAll('ol.rows > li')) out[r.id] = out[r.id] ? 'twice' : 'row';
  return out; })()"""

# Anything that could run: elements, handlers, URLs with a scheme other than ours.
FOREIGN_JS = """(() => { const bad = [];
  for (const e of document.querySelectorAll('*')) {
    const n = e.localName;
    if (['script','img','iframe','object','embed','frame','link','base','form','meta'].includes(n) &&
        !(n === 'meta' && e.parentNode === document.head)) bad.push('element ' + n);
    for (const a of e.attributes) {
      if (a.name.startsWith('on')) bad.push('handler ' + a.name + ' on ' + n);
      if ((a.name === 'href' || a.name === 'src' || a.name === 'xlink:href') &&
          !/^#i[0-9]+$/.test(a.value) && !/\\.pcapng$/.test(a.value)) bad.push(n + ' ' + a.name + '=' + a.value);
    }
  }
  if (document.querySelectorAll('style').length !== 1) bad.push('styles: ' + document.querySelectorAll('style').length);
  return bad; })()"""


def run_why(why, args, timeout=600):
    return subprocess.run([why, "-q"] + args, capture_output=True, timeout=timeout)


def incidents_json(why, args):
    r = run_why(why, ["--json"] + args)
    objs = [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]
    return [o for o in objs if o.get("type") == "incident"]


def html_of(why, args, path):
    r = run_why(why, ["--html", path, "--json"] + args)
    if r.returncode not in (0, 1):
        raise RuntimeError(f"why502 exit {r.returncode}: {r.stderr.decode()[-300:]}")


def check_page(page, incs, errors, name, rows_allowed=False):
    """Returns the number of ladders drawn."""
    if page.console:
        errors.append(f"{name}: console: {page.console[:3]}")
    ladders = page.eval(LADDERS_JS)
    if len(ladders) != len(incs):
        errors.append(f"{name}: {len(ladders)} incident sections, {len(incs)} incidents")
    drawn = 0
    for inc in incs:
        got = ladders.get(f"i{inc['id']}")
        want = len(inc["evidence"])
        if got == "row" and rows_allowed:
            continue
        if not isinstance(got, list) or got[0] != want or got[1] != want:
            errors.append(f"{name}: incident {inc['id']}: arrows/data-evidence {got}, evidence items {want}")
        drawn += 1
    return drawn
    bad = page.eval(FOREIGN_JS)
    if bad:
        errors.append(f"{name}: foreign content: {[x[:120] for x in bad[:5]]}")
    if page.eval("document.scripts.length") != 0:
        errors.append(f"{name}: a script element")


def shoot(page, art, name, errors, pdf=False):
    """The page (its first 2400 px) and its ladder with the most waits, then arrows, as
    PNG files in art; with pdf, the page printed (A4) too."""
    try:
        h = min(page.eval("document.documentElement.scrollHeight"), 2400)
        page.screenshot(os.path.join(art, name + ".png"), clip={"x": 0, "y": 0, "width": 1280, "height": h})
        r = page.eval("""(() => { let best = null, n = -1;  // a wait drawn counts most
            for (const s of document.querySelectorAll('svg.ladder')) {
              const k = s.querySelectorAll('g.arrow').length + 100 * s.querySelectorAll('g.brk').length;
              if (k > n) { best = s; n = k; } }
            if (!best) return null;
            best.closest('details.grp').open = true; best.closest('details.inc').open = true;
            const r = best.getBoundingClientRect();
            return {x: r.x + scrollX - 6, y: r.y + scrollY - 6, width: r.width + 12, height: r.height + 12}; })()""")
        if r:
            page.screenshot(os.path.join(art, name + "-ladder.png"), clip=r)
        if pdf:
            data = page.send("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": True},
                             timeout=120)["data"]
            with open(os.path.join(art, name + ".pdf"), "wb") as f:
                f.write(__import__("base64").b64decode(data))
    except Exception as e:  # a picture is an artefact, not a check
        errors.append(f"{name}: screenshot failed: {e}")


def goldens(b, why, art, tmp, only=None):
    passed = failed = skipped = 0
    for line in open(os.path.join(ROOT, "tests", "e2e", "TESTLIST")):
        if not line.strip() or line.startswith("#"):
            continue
        name, cap, opts, _ = [f.strip() for f in line.split("|")]
        if only and name not in only:
            continue
        cap = cap.replace("$CORPUS", CORPUS)
        if not os.path.isabs(cap):
            cap = os.path.join(ROOT, cap)
        if not os.path.exists(cap):
            skipped += 1
            continue
        args = shlex.split(opts) + [cap]
        errors = []
        out1, out2 = os.path.join(tmp, name + ".html"), os.path.join(art, name + ".html")
        html_of(why, args, out1)
        html_of(why, args, out2)
        if open(out1, "rb").read() != open(out2, "rb").read():
            errors.append(f"{name}: two runs gave different bytes")
        incs = incidents_json(why, args)
        page = b.open("file://" + out2)
        # (a group of many incidents of one cause shows its later members as rows, as the
        # scale check's page does: haproxy-drop-chains has 21 of one cause)
        check_page(page, incs, errors, name, rows_allowed=True)
        shoot(page, art, name, errors, pdf=(name == "lab-squid"))
        b.close(page)
        n_arrows = sum(len(i["evidence"]) for i in incs)
        print(f"{'ok  ' if not errors else 'FAIL'} golden {name}: {len(incs)} ladders, {n_arrows} arrows, "
              f"load {page.load_s * 1000:.0f} ms")
        for e in errors:
            print("     " + e)
        passed, failed = passed + (not errors), failed + bool(errors)
    if skipped:
        print(f"     {skipped} golden captures missing (corpus not here): skipped")
    return passed, failed


def hostile(b, why, art, tmp):
    errors = []
    cap = os.path.join(tmp, "hostile.pcap")
    subprocess.run([sys.executable, os.path.join(HERE, "make-hostile.py"), cap], check=True)
    out = os.path.join(art, "hostile.html")
    html_of(why, [cap], out)
    incs = incidents_json(why, [cap])
    raw = open(out, "rb").read()
    page = b.open("file://" + out)
    check_page(page, incs, errors, "hostile")
    title = page.eval("document.title")
    if "PWNED" in title.upper() or not title.startswith("why502:"):
        errors.append(f"hostile: title changed: {title!r}")
    text = page.eval("document.body.textContent")
    for shown in ("<script>document.title='PWNED-script'</script>", "<img/src=x/onerror=document.title='PWNED-img'>",
                  "javascript:document.title='PWNED-js'", "</style><style>*{display:none}</style>", "\\xff", "\\x1b",
                  "\\u{202e}", "sni<script>"):
        if shown not in text:
            errors.append(f"hostile: {shown!r} not shown as text")
    if page.eval("document.querySelectorAll('span.x').length") == 0:
        errors.append("hostile: no control character or invalid byte marked as such")
    if not page.eval("getComputedStyle(document.body).display") == "block":
        errors.append("hostile: the page's style was changed")
    if re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", raw):
        errors.append("hostile: a control byte in the page")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        errors.append(f"hostile: the page is not UTF-8: {e}")
    shoot(page, art, "hostile", errors)
    b.close(page)
    # controls: the check sees script run in a page without escaping, and our CSP alone stops it
    payload = "<img src=x onerror=\"document.title='PWNED-control'\"><script>document.title='PWNED-control'</script>"
    csp = re.search(rb'<meta http-equiv="Content-Security-Policy"[^>]*>', raw).group(0).decode()
    for label, head, want_run in (("no escaping, no CSP", "", True), ("no escaping, our CSP", csp, False)):
        path = os.path.join(tmp, "control.html")
        with open(path, "w") as f:
            f.write(f"<!DOCTYPE html><html><head><meta charset=utf-8>{head}<title>why502: control</title></head>"
                    f"<body>{payload}</body></html>")
        p = b.open("file://" + path)
        time.sleep(0.2)  # the img error event comes after load
        ran = "PWNED" in p.eval("document.title")
        if ran != want_run:
            errors.append(f"control ({label}): script {'ran' if ran else 'did not run'}")
        if not want_run and not any("Content Security Policy" in c for c in b.errors(p.session)):
            errors.append(f"control ({label}): no CSP violation reported")
        b.close(p)
    print(f"{'ok  ' if not errors else 'FAIL'} hostile: {len(incs)} incidents, no script ran, payloads shown as text; "
          f"controls: raw payload runs without CSP, blocked by the page's CSP")
    for e in errors:
        print("     " + e)
    return (0, 1) if errors else (1, 0)


def groups(incs):
    """Incidents per (detail, upstream host or address), as the page groups them."""
    count = {}
    for i in incs:
        up = i.get("upstream") or {}
        key = (i["detail"], up.get("host") or (up.get("address") or "").rsplit(":", 1)[0])
        count[key] = count.get(key, 0) + 1
    return count.values()


def scale(b, why, art, tmp, n, limit):
    errors = []
    cap = os.path.join(tmp, "many.pcap")
    subprocess.run([sys.executable, os.path.join(HERE, "make-many.py"), cap, str(n)], check=True)
    out = os.path.join(tmp, "many.html")
    t0 = time.monotonic()
    html_of(why, [cap], out)
    why_s = time.monotonic() - t0
    incs = incidents_json(why, [cap])
    size = os.path.getsize(out)
    t0 = time.monotonic()
    page = b.open("file://" + out, timeout=300)
    wall = time.monotonic() - t0
    if len(incs) != n:
        errors.append(f"scale: {len(incs)} incidents, want {n}")
    drawn = check_page(page, incs, errors, "scale", rows_allowed=True)
    if drawn != min(500, sum(min(10, c) for c in groups(incs))):
        errors.append(f"scale: {drawn} ladders drawn")
    # open the largest group and one incident in it; time the layout that follows
    open_ms = page.eval("""(() => { const t = performance.now();
        const g = document.querySelector('details.grp'); g.open = true;
        g.querySelector('details.inc').open = true; document.body.offsetHeight;
        return performance.now() - t; })()""")
    members = page.eval("document.querySelector('details.grp').querySelectorAll('details.inc, li').length")
    shoot(page, art, "many", errors)
    b.close(page)
    if page.load_s > limit:
        errors.append(f"scale: load took {page.load_s:.2f} s (limit {limit} s)")
    print(f"{'ok  ' if not errors else 'FAIL'} scale: {n} incidents, {drawn} ladders: why502 --html --json "
          f"{why_s:.2f} s, page {size / 1e6:.1f} MB, Chromium load event {page.load_s:.2f} s "
          f"(open() to load {wall:.2f} s); opening a group of {members} and one ladder {open_ms:.0f} ms")
    for e in errors:
        print("     " + e)
    return (0, 1) if errors else (1, 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--why502", default=os.path.join(ROOT, "build", "why502"))
    ap.add_argument("--artefacts", default=os.path.join(ROOT, "build", "html-artefacts"))
    ap.add_argument("what", nargs="*", default=["goldens", "hostile", "scale"])
    ap.add_argument("--incidents", type=int, default=10000)
    ap.add_argument("--only", action="append", help="golden test name (repeatable)")
    ap.add_argument("--limit", type=float, default=10.0,
                    help="seconds the big page may take to load (1.1-1.7 s measured on a quiet machine)")
    a = ap.parse_args()
    if not cdp.find_chromium():
        print("chromium not installed: skipped")
        return 77
    a.artefacts = os.path.abspath(a.artefacts)
    os.makedirs(a.artefacts, exist_ok=True)
    why = os.path.abspath(a.why502)
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="why502-html-") as tmp, cdp.Browser() as b:
        for w in a.what:
            if w == "goldens":
                p, f = goldens(b, why, a.artefacts, tmp, a.only)
            elif w == "hostile":
                p, f = hostile(b, why, a.artefacts, tmp)
            elif w == "scale":
                p, f = scale(b, why, a.artefacts, tmp, a.incidents, a.limit)
            else:
                raise SystemExit(f"unknown check {w}")
            passed, failed = passed + p, failed + f
    print(f"{passed} passed, {failed} failed (artefacts in {a.artefacts})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Golden tests: tests/e2e/TESTLIST, one line per test (name | capture | options | checks).

For each line, why502's text report must equal tests/e2e/expected/<name>.txt byte for byte
(`--update` rewrites them after a deliberate change), and its JSON output must pass the field
checks, so that harmless additions to the JSON do not break tests but wrong causes do.

Checks (space-separated; a value with spaces in quotes, as a shell splits):
  incidents=N          number of incident objects
  N.field=value        field of the N-th incident (1-based); dotted paths reach into objects
  any.field=value      some incident has it
  summary.field=value  field of the summary object
  exit=N               exit status (default: 1 if incidents>0 else 0)
`$CORPUS` in a capture path is ../shared/corpus (or $WHY_CORPUS_DIR)."""
import argparse, json, os, shlex, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.environ.get("WHY_CORPUS_DIR", os.path.join(os.path.dirname(ROOT), "shared", "corpus"))


def get(obj, path):
    for part in path.split("."):
        if isinstance(obj, dict) and part in obj:
            obj = obj[part]
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return "<missing>"
    return obj


def same(actual, want):
    if want == "null":
        return actual is None
    if isinstance(actual, bool):
        return str(actual).lower() == want
    if isinstance(actual, list):
        return ",".join(str(a) for a in actual) == want
    return str(actual) == want


def run_test(why, name, cap, opts, checks, update):
    errors = []
    cap = cap.replace("$CORPUS", CORPUS)
    if not os.path.exists(cap):
        return None, [f"capture missing: {cap}"]
    args = shlex.split(opts) if opts else []
    text = subprocess.run([why, "--color", "never", "-q"] + args + [cap], capture_output=True, timeout=120)
    # Warnings name the file as given: keep the expected text independent of where the corpus is.
    text.stdout = text.stdout.replace(CORPUS.encode(), b"$CORPUS")
    exp_path = os.path.join(ROOT, "tests", "e2e", "expected", name + ".txt")
    if update:
        with open(exp_path, "wb") as f:
            f.write(text.stdout)
    elif not os.path.exists(exp_path):
        errors.append(f"no expected output {exp_path} (run golden.py --update)")
    elif open(exp_path, "rb").read() != text.stdout:
        errors.append(f"text report differs from {os.path.relpath(exp_path, ROOT)}")
    js = subprocess.run([why, "--json", "-q"] + args + [cap], capture_output=True, timeout=120)
    objs = []
    for line in js.stdout.decode("utf-8", "strict").splitlines():
        try:
            objs.append(json.loads(line))
        except ValueError as e:
            errors.append(f"invalid JSON line: {e}: {line[:80]}")
    incs = [o for o in objs if o.get("type") == "incident"]
    summ = [o for o in objs if o.get("type") == "summary"]
    if len(summ) != 1:
        errors.append(f"expected one summary object, got {len(summ)}")
    want_exit = 1 if incs else 0
    for chk in checks:
        key, _, want = chk.partition("=")
        if key == "incidents":
            if len(incs) != int(want):
                errors.append(f"incidents: want {want}, got {len(incs)}: " +
                              "; ".join(f"{i.get('error')}/{i.get('detail')} {i.get('url')}" for i in incs))
        elif key == "exit":
            want_exit = int(want)
        elif key.startswith("summary."):
            got = get(summ[0] if summ else {}, key[8:])
            if not same(got, want):
                errors.append(f"{key}: want {want}, got {got}")
        elif key.startswith("any."):
            if not any(same(get(i, key[4:]), want) for i in incs):
                errors.append(f"{key}: no incident has {want}")
        else:
            idx, _, path = key.partition(".")
            n = int(idx)
            got = get(incs[n - 1], path) if 0 < n <= len(incs) else "<no such incident>"
            if not same(got, want):
                errors.append(f"{key}: want {want}, got {got}")
    if js.returncode != want_exit:
        errors.append(f"exit status {js.returncode}, want {want_exit}: {js.stderr.decode(errors='replace').strip()}")
    return True, errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--why502", default=os.path.join(ROOT, "build", "why502"))
    ap.add_argument("--update", action="store_true", help="rewrite the expected text outputs")
    ap.add_argument("names", nargs="*", help="only these tests")
    a = ap.parse_args()
    passed = failed = skipped = 0
    with open(os.path.join(ROOT, "tests", "e2e", "TESTLIST")) as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 4:
                print(f"TESTLIST: bad line: {line}")
                failed += 1
                continue
            name, cap, opts, checks = parts
            if a.names and name not in a.names:
                continue
            ran, errors = run_test(a.why502, name, cap, opts, shlex.split(checks), a.update)
            if ran is None:
                print(f"SKIP {name}: {errors[0]}")
                skipped += 1
            elif errors:
                print(f"FAIL {name}")
                for e in errors:
                    print(f"     {e}")
                failed += 1
            else:
                print(f"ok   {name}")
                passed += 1
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

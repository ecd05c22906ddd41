#!/usr/bin/env python3
"""Rotated input: the example capture split with `editcap -c 600` into three files gives the
same incidents as the whole file, and every evidence item of the split run names its file
and points to a packet with the same time and addresses as the whole run's item (read back
with tshark); each item's from/to addresses are that packet's source and destination.
Skips (77) when editcap or tshark is missing. Last line: "N passed, N failed"."""
import argparse, glob, json, os, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "squid-forward-proxy.pcap")


def packets(path):
    """frame number -> (epoch time, first source, first destination), read by tshark."""
    out = subprocess.run(["tshark", "-r", path, "-T", "fields", "-E", "occurrence=f",
                          "-e", "frame.number", "-e", "frame.time_epoch", "-e", "ip.src", "-e", "ip.dst",
                          "-e", "ipv6.src", "-e", "ipv6.dst"], capture_output=True, text=True, check=True)
    res = {}
    for line in out.stdout.splitlines():
        f = line.split("\t")
        res[int(f[0])] = (f[1][:17], f[2] or f[4], f[3] or f[5])
    return res


def incidents(why, files):
    js = subprocess.run([why, "--json", "-q"] + files, capture_output=True, timeout=120)
    return [o for o in map(json.loads, js.stdout.decode().splitlines()) if o.get("type") == "incident"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--why502", default=os.path.join(ROOT, "build", "why502"))
    a = ap.parse_args()
    if not shutil.which("editcap") or not shutil.which("tshark"):
        print("editcap/tshark missing: skipped")
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="why502-split-")
    try:
        subprocess.run(["editcap", "-c", "600", EXAMPLE, os.path.join(tmp, "part.pcap")], check=True)
        parts = sorted(glob.glob(os.path.join(tmp, "part*.pcap")))
        whole, split = incidents(a.why502, [EXAMPLE]), incidents(a.why502, parts)
        wpk = packets(EXAMPLE)
        ppk = [packets(p) for p in parts]
        errors, checked = [], 0
        if len(parts) != 3:
            errors.append(f"editcap made {len(parts)} files, not 3")
        if [(i["detail"], i["url"]) for i in whole] != [(i["detail"], i["url"]) for i in split]:
            errors.append("the split run's incidents differ from the whole file's")
        for wi, si in zip(whole, split):
            if len(wi["evidence"]) != len(si["evidence"]):
                errors.append(f"#{si['id']}: {len(si['evidence'])} evidence items, whole file {len(wi['evidence'])}")
                continue
            for we, se in zip(wi["evidence"], si["evidence"]):
                checked += 1
                if se["file_name"] != parts[se["file"]]:
                    errors.append(f"#{si['id']}: file {se['file']} named {se['file_name']}")
                    continue
                got = ppk[se["file"]].get(se["frame"])
                want = wpk.get(we["frame"])
                if got is None or got != want:
                    errors.append(f"#{si['id']} {se['text']}: file {se['file']} frame {se['frame']} is {got}, "
                                  f"whole-file frame {we['frame']} is {want}")
                    continue
                fa, ta = se["from"]["address"], se["to"]["address"]
                if fa and ta and (fa, ta) != (got[1], got[2]):
                    errors.append(f"#{si['id']} {se['text']}: from/to {fa} -> {ta}, packet {got[1]} -> {got[2]}")
        for e in errors:
            print("FAIL " + e)
        print(f"{checked} evidence items checked across {len(parts)} files; "
              f"{1 if not errors else 0} passed, {1 if errors else 0} failed")
        sys.exit(1 if errors else 0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

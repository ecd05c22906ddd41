#!/usr/bin/env python3
"""Soak: why502 -i any --evidence in the gateway namespace of live.py's setup for a bounded
time (default 60 s) under a modest load (parallel clients fetching small and 256 KiB objects,
one refused request in twenty). Samples the RSS every 5 s and prints packets/s, Mbit/s, CPU
used, RSS over time, kernel drops and evidence disk used. Root only (77 otherwise). Not part of
ctest: run by hand, figures in the README.
    tests/live/soak.py --why502 build/why502 [--seconds 60] [--clients 4] [--ring 10s,16M]"""
import argparse, os, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live  # noqa: E402  the namespaces, nginx and origin of the live test


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--why502", required=True)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--ring", default="10s,16M", help="small, so the ring area is all used and RSS flat within the run")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("soak: SKIP: needs root")
        return 77
    secs = max(10, min(a.seconds, 600))
    work = tempfile.mkdtemp(prefix="w5v-soak-")
    os.chmod(work, 0o755)
    try:
        live.setup(work)
        with open(f"{work}/www/okbig", "wb") as f:  # nginx's /ok prefix takes /okbig too
            f.write(os.urandom(256 * 1024))
        out = open(f"{work}/soak.json", "w")
        err = open(f"{work}/soak.err", "w")
        p = live.spawn(["ip", "netns", "exec", "w5v-g", os.path.abspath(a.why502), "-i", "any", "--json",
                        "--ring", a.ring, "--evidence", f"{work}/ev"], out, err)
        time.sleep(1)
        loop = (f"end=$(( $(date +%s) + {secs} )); i=0; while [ $(date +%s) -lt $end ]; do i=$((i+1)); "
                "if [ $((i % 20)) -eq 0 ]; then u=refused; elif [ $((i % 4)) -eq 0 ]; then u=okbig; else u=ok; fi; "
                "curl -s -o /dev/null -m 5 http://198.18.60.1:8080/$u; done")
        clients = [live.spawn(["ip", "netns", "exec", "w5v-c", "sh", "-c", loop], subprocess.DEVNULL,
                              subprocess.DEVNULL) for _ in range(a.clients)]
        rss = []
        t0 = time.time()
        cpu0 = cpu(p.pid)
        while time.time() - t0 < secs:
            time.sleep(5)
            rss.append((round(time.time() - t0), rss_kib(p.pid)))
        for c in clients:
            c.wait(timeout=30)
        used = cpu(p.pid) - cpu0
        os.kill(p.pid, signal.SIGUSR1)
        time.sleep(0.5)
        os.kill(p.pid, signal.SIGINT)
        p.wait(timeout=30)
        out.close()
        err.close()
        import json
        objs = [json.loads(l) for l in open(f"{work}/soak.json") if l.startswith("{")]
        summ = [o for o in objs if o.get("type") == "summary"][0]
        capl = [o for o in objs if o.get("type") == "capture"][0]
        ev = sum(os.path.getsize(os.path.join(f"{work}/ev", f)) for f in os.listdir(f"{work}/ev"))
        print(f"soak: {secs} s, {a.clients} clients, --ring {a.ring}")
        print(f"  packets   {capl['packets']} ({capl['packets'] / secs:.0f}/s), "
              f"{summ.get('bytes', 0) * 8 / secs / 1e6:.1f} Mbit/s")
        print(f"  requests  {summ.get('requests')} from clients, incidents {summ.get('failed')}")
        print(f"  cpu       {used:.1f} s ({100 * used / secs:.0f}% of one core)")
        print(f"  rss KiB   {rss}")
        print(f"  drops     kernel {capl['kernel_drops']}, interface {capl['interface_drops']}")
        print(f"  evidence  {capl['evidence_files']} files, {ev} bytes")
        print("  status    " + open(f"{work}/soak.err").read().strip().splitlines()[-1])
        return 0
    finally:
        live.cleanup()


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    sys.exit(main())

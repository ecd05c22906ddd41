#!/usr/bin/env python3
"""The benchmark's clock (bench/cputime.c, bench/run.sh): it passes a command's exit status
on (an exit code, 128 + the signal that ended it, 127 for a command that cannot be run), its
report says the same, the CPU a command spends in a child it waits for is counted (run.sh's
programs are run directly, but a command is often a shell), and the seconds come to the
microsecond, not in /usr/bin/time's 10 ms steps. Nothing here depends on how fast the machine
is. Last line: "N passed, N failed"."""
import argparse, os, re, subprocess, sys, tempfile

KEYS = ("wall_s", "user_s", "sys_s", "maxrss_kib", "minflt", "majflt", "nvcsw", "nivcsw", "exit")
SECONDS = re.compile(r"^\d+\.\d{6}$")


def run(prog, report, cmd):
    r = subprocess.run([prog, report] + cmd, capture_output=True, text=True, timeout=120)
    with open(report) as f:
        lines = [l.rstrip("\n") for l in f]
    rep = dict(l.split("=", 1) for l in lines if "=" in l)
    return r.returncode, rep, lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cputime", required=True)
    a = ap.parse_args()
    passed = failed = 0

    def check(what, ok, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {what}: {detail}")

    with tempfile.TemporaryDirectory() as d:
        rep_path = os.path.join(d, "report")
        for cmd, want in ((["sh", "-c", "exit 0"], 0), (["sh", "-c", "exit 3"], 3),
                          (["sh", "-c", "kill -9 $$"], 137), (["sh", "-c", "kill -15 $$"], 143),
                          # (a shell started in the background ignores SIGINT and cannot
                          # undo it: a Python child sets it back to its default first)
                          ([sys.executable, "-c", "import os, signal\n"
                            "signal.signal(signal.SIGINT, signal.SIG_DFL)\n"
                            "os.kill(os.getpid(), signal.SIGINT)"], 130),
                          ([os.path.join(d, "no-such-program")], 127)):
            rc, rep, lines = run(a.cputime, rep_path, cmd)
            check(f"{cmd}: exit status", rc == want, f"{rc}, wanted {want}")
            check(f"{cmd}: report's exit", rep.get("exit") == str(want), f"{rep.get('exit')}, wanted {want}")
            check(f"{cmd}: report's keys in order", [l.split("=", 1)[0] for l in lines] == list(KEYS),
                  f"{lines}")
            for k in ("wall_s", "user_s", "sys_s"):
                check(f"{cmd}: {k} to the microsecond", bool(SECONDS.match(rep.get(k, ""))), rep.get(k))

        # the work of a grandchild the shell waits for: a Python loop of a fixed count of steps
        burn = [sys.executable, "-c", "s = 0\nfor i in range(3000000): s += i * i\nprint(s)"]
        rc, rep, _ = run(a.cputime, rep_path, ["sh", "-c", " ".join(f"'{w}'" for w in burn) + " > /dev/null"])
        alone = subprocess.run(burn, capture_output=True, text=True, timeout=120)
        check("burn: exit 0", rc == 0 and alone.returncode == 0, f"{rc} {alone.returncode}")
        user, sys_, wall = (float(rep.get(k, "0")) for k in ("user_s", "sys_s", "wall_s"))
        # some CPU, and none that the command could not have spent on this machine's cores
        check("burn: the grandchild's CPU counted", user + sys_ > 0, f"user {user} sys {sys_}")
        check("burn: CPU within wall times the cores", user + sys_ <= wall * (os.cpu_count() or 1) + 0.01,
              f"user {user} sys {sys_} wall {wall}")
        check("burn: peak RSS of a Python interpreter (more than 1 MiB)", int(rep.get("maxrss_kib", "0")) > 1024,
              rep.get("maxrss_kib"))

        # usage errors: no command, a report that cannot be written
        r = subprocess.run([a.cputime, rep_path], capture_output=True, text=True, timeout=60)
        check("no command: exit 125 with a usage line", r.returncode == 125 and "usage" in r.stderr,
              f"{r.returncode} {r.stderr!r}")
        r = subprocess.run([a.cputime, os.path.join(d, "no", "such", "dir"), "true"], capture_output=True,
                           text=True, timeout=60)
        check("unwritable report: exit 125 and one line", r.returncode == 125 and r.stderr.count("\n") == 1,
              f"{r.returncode} {r.stderr!r}")
        # a program's path given as the report (the command first, by mistake): left alone
        prog = os.path.join(d, "prog")
        with open(prog, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(prog, 0o755)
        r = subprocess.run([a.cputime, prog, "true"], capture_output=True, text=True, timeout=60)
        with open(prog) as f:
            kept = f.read() == "#!/bin/sh\nexit 0\n"
        check("executable as the report: exit 125, one line, the file unchanged",
              r.returncode == 125 and r.stderr.count("\n") == 1 and kept, f"{r.returncode} {r.stderr!r} {kept}")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

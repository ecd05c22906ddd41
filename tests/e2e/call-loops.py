#!/usr/bin/env python3
"""No two files in lib/ call each other in a loop (docs/internals.md): reads the defined and
undefined symbols of every object file of the library (nm), builds the file-to-file call graph
and fails on any cycle (strongly connected component of more than one file), naming its files."""
import argparse, os, subprocess, sys


def graph(objdir, srcdir):
    defs, uses = {}, {}
    for root, _, names in os.walk(objdir):
        for n in names:
            if not n.endswith(".c.o"):
                continue
            path = os.path.join(root, n)
            name = os.path.relpath(path, objdir)[:-2]
            if srcdir and not os.path.exists(os.path.join(srcdir, name)):
                continue  # left in a reused build directory by a source that is gone
            out = subprocess.run(["nm", path], capture_output=True, text=True, check=True).stdout
            d, u = set(), set()
            for line in out.splitlines():
                f = line.split()
                if len(f) == 3 and f[1] in "TDBRC":
                    d.add(f[2])
                elif len(f) == 2 and f[0] == "U":
                    u.add(f[1])
            defs[name], uses[name] = d, u
    owner = {s: f for f, ds in defs.items() for s in ds}
    return {f: sorted({owner[s] for s in uses[f] if s in owner and owner[s] != f}) for f in defs}


def cycles(g):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):  # Tarjan, iterative over a small graph: recursion depth <= number of files
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("objdir", help="the library's object directory (CMakeFiles/why502lib.dir/lib)")
    ap.add_argument("srcdir", nargs="?", help="lib/ of the sources: objects of files gone are skipped")
    a = ap.parse_args()
    g = graph(a.objdir, a.srcdir)
    if len(g) < 10:
        print(f"only {len(g)} object files under {a.objdir}: wrong directory?")
        sys.exit(1)
    loops = cycles(g)
    for c in loops:
        print("call loop: " + " <-> ".join(c))
    print(f"{len(g)} files, {sum(len(v) for v in g.values())} file-to-file call edges, {len(loops)} loops")
    print(f"{0 if loops else 1} passed, {1 if loops else 0} failed")
    sys.exit(1 if loops else 0)


if __name__ == "__main__":
    main()

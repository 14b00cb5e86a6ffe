#!/usr/bin/env python3
"""Top-N frames by inclusive time in speedscope JSON traces (dotnet-trace convert --format speedscope).

usage: topn.py [-n N] [--match REGEX] [--busy] FILE.speedscope.json ...

Inclusive time of a frame: the time any thread had it on its stack (counted once per sample if it recurses), summed
over threads and files. --busy keeps only samples whose leaf is CPU_TIME (the sampled-thread-time profile marks a thread outside
managed code, blocked or in native code, UNMANAGED_CODE_TIME): what is left approximates managed CPU time. Prints milliseconds and the share of the total.
"""
import argparse, json, re, collections

WAIT = re.compile(r"UNMANAGED_CODE_TIME")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("-n", type=int, default=40)
    ap.add_argument("--match", default=None, help="only frames whose name matches")
    ap.add_argument("--busy", action="store_true", help="leave out samples whose leaf frame is a wait")
    a = ap.parse_args()
    incl = collections.Counter()
    excl = collections.Counter()
    total = 0.0
    for path in a.files:
        doc = json.load(open(path))
        frames = [f["name"] for f in doc["shared"]["frames"]]
        for prof in doc["profiles"]:
            if prof.get("type") != "evented":
                continue
            stack = []
            last = None
            def account(dt):
                nonlocal total
                if dt <= 0 or not stack:
                    return
                leaf = frames[stack[-1]]
                if a.busy and WAIT.search(leaf):
                    return
                total += dt
                excl[leaf] += dt
                for name in {frames[i] for i in stack}:
                    incl[name] += dt
            for ev in prof["events"]:
                at = ev["at"]
                if last is not None:
                    account(at - last)
                last = at
                if ev["type"] == "O":
                    stack.append(ev["frame"])
                else:
                    # close: pop the matching frame
                    if stack and stack[-1] == ev["frame"]:
                        stack.pop()
                    elif ev["frame"] in stack:
                        idx = len(stack) - 1 - stack[::-1].index(ev["frame"])
                        del stack[idx:]
    unit = "ms"
    print(f"total sampled {'busy ' if a.busy else ''}time: {total:.0f} {unit} over {len(a.files)} file(s)")
    print(f"{'inclusive ms':>12} {'share':>6} {'exclusive ms':>12}  frame")
    rows = incl.most_common()
    if a.match:
        rows = [r for r in rows if re.search(a.match, r[0])]
    for name, t in rows[: a.n]:
        print(f"{t:12.0f} {100 * t / total if total else 0:5.1f}% {excl[name]:12.0f}  {name[:160]}")

if __name__ == "__main__":
    main()

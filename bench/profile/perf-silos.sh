#!/usr/bin/env bash
# CPU profile of this worktree's silo processes with Linux perf (native code included: libtorch, the runtime, the
# kernel), started as trace-silos.sh is: once a checkpoint of a job whose id starts with JOB_PREFIX exists.
# usage: bench/profile/perf-silos.sh OUT_DIR JOB_PREFIX DELAY_S DURATION_S
set -euo pipefail
out=$1; prefix=$2; delay=$3; duration=$4
mkdir -p "$out"
until pgrep -f "dotnet $(pwd)/src/Silo/bin/.*loom-silo.dll" > /dev/null; do sleep 0.5; done
until find /tmp -maxdepth 4 -path '/tmp/loom-bench-*' -name "${prefix}*.latent" -print -quit 2>/dev/null | grep -q .; do sleep 0.5; done
sleep "$delay"
pids=$(pgrep -f "dotnet $(pwd)/src/Silo/bin/.*loom-silo.dll" | paste -sd,)
perf record -F 499 -g -p "$pids" -o "$out/perf.data" -- sleep "$duration" > "$out/record.log" 2>&1
perf report -i "$out/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -25 > "$out/by-dso.txt"
perf report -i "$out/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -60 > "$out/by-symbol.txt"
perf report -i "$out/perf.data" --children --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -60 > "$out/inclusive.txt"

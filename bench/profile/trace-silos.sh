#!/usr/bin/env bash
# Traces every loom-silo process of a running benchmark with dotnet-trace (sampled thread stacks, ~100 Hz) and
# converts each trace to speedscope JSON for bench/profile/topn.py.
# usage: bench/profile/trace-silos.sh OUT_DIR JOB_PREFIX DELAY_S DURATION_S
#   waits until this worktree's silo processes exist and a checkpoint of a job whose id starts with JOB_PREFIX
#   (long- or batch-: the measured run, after the warm-up) is written, then DELAY_S more, then traces each silo for
#   DURATION_S seconds.
set -euo pipefail
out=$1; prefix=$2; delay=$3; duration=$4
export PATH=$PATH:~/.dotnet/tools
mkdir -p "$out"
until pgrep -f "dotnet $(pwd)/src/Silo/bin/.*loom-silo.dll" > /dev/null; do sleep 0.5; done
until find /tmp -maxdepth 4 -path '/tmp/loom-bench-*' -name "${prefix}*.latent" -print -quit 2>/dev/null | grep -q .; do sleep 0.5; done
sleep "$delay"
pids=$(pgrep -f "dotnet $(pwd)/src/Silo/bin/.*loom-silo.dll" || true)
for pid in $pids; do
  dotnet-trace collect -p "$pid" --profile dotnet-sampled-thread-time --duration "00:00:$(printf %02d "$duration")" \
    -o "$out/silo-$pid.nettrace" > "$out/collect-$pid.log" 2>&1 &
done
wait
for f in "$out"/*.nettrace; do
  dotnet-trace convert --format speedscope -o "${f%.nettrace}" "$f" > /dev/null 2>&1 || echo "convert failed: $f"
done
ls -la "$out"

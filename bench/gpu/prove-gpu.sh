#!/usr/bin/env bash
# Loom on a real GPU through TorchSharp, in two phases (bench/gpu/README.md says what each proves):
#
#   bench/gpu/prove-gpu.sh prepare   here, with the .NET SDK and NuGet: publishes Loom.Bench self-contained (the .NET
#                                    runtime inside, no libtorch) into .gpu/carry/loom-bench.tar.xz and checks that the
#                                    working tree plus .gpu/carry fit what a device call carries (64 MiB).
#   bench/gpu/prove-gpu.sh device    on the GPU machine (python torch with its libtorch, no .NET, no network): unpacks
#                                    the publish, puts TorchSharp's native library built for that libtorch beside it,
#                                    and runs the checks, each under its own time limit, writing results to $OUT.
#                                    LOOM_DEVICES=cpu (default cuda) rehearses the same checks on CPU shards.
#
# The device phase needs LOOM_LIBTORCHSHARP (default .gpu/native/libLibTorchSharp.so): TorchSharp 0.107.0's native
# library (src/Native of that release) compiled against the machine's libtorch. This repository does not build it.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GPU="$ROOT/.gpu"
CARRY="$GPU/carry"
LIMIT_MIB=64

prepare() {
  set -e
  cd "$ROOT"
  if ! git check-ignore -q "$CARRY/probe"; then
    echo "/.gpu/" >> "$(git rev-parse --git-common-dir)/info/exclude"
    echo "added /.gpu/ to $(git rev-parse --git-common-dir)/info/exclude"
  fi
  mkdir -p "$CARRY"
  local publish="$GPU/publish"
  rm -rf "$publish"
  # Self-contained: the device machine has no .NET. LoomNativeTorch=false leaves libtorch out (the machine has its own);
  # TorchSharp's managed assembly stays, and its bundled CPU libLibTorchSharp.so is replaced on the device.
  dotnet publish bench/Loom.Bench -c Release -r linux-x64 --self-contained true -p:LoomNativeTorch=false \
    -p:SatelliteResourceLanguages=en -p:DebugType=none -o "$publish" -v quiet -nologo
  rm -f "$publish"/libmscordaccore.so "$publish"/libmscordbi.so "$publish"/createdump # debugger support only
  if ls "$publish" | grep -q '^libtorch'; then
    echo "the publish holds libtorch (LoomNativeTorch=false did not apply): too big to carry" >&2
    exit 1
  fi
  tar -C "$publish" -cJf "$CARRY/loom-bench.tar.xz" .
  sizes
}

sizes() {
  cd "$ROOT"
  local tree carry app packed
  tree=$(git ls-files -co --exclude-standard -z | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
  carry=$(du -sb "$CARRY" | cut -f1)
  app=$(du -sb "$GPU/publish" 2>/dev/null | cut -f1)
  packed=$(stat -c %s "$CARRY/loom-bench.tar.xz" 2>/dev/null || echo 0)
  printf '| what | MiB |\n|---|---:|\n'
  printf '| working tree (tracked and untracked, not ignored) | %.1f |\n' "$(echo "$tree / 1048576" | bc -l)"
  printf '| Loom.Bench self-contained publish, unpacked | %.1f |\n' "$(echo "${app:-0} / 1048576" | bc -l)"
  printf '| the same as .gpu/carry/loom-bench.tar.xz | %.1f |\n' "$(echo "$packed / 1048576" | bc -l)"
  printf '| .gpu/carry in all (the archive, and whatever else was put there) | %.1f |\n' "$(echo "$carry / 1048576" | bc -l)"
  printf '| travels: working tree + .gpu/carry | %.1f (limit %d) |\n' "$(echo "($tree + $carry) / 1048576" | bc -l)" "$LIMIT_MIB"
  if [ $((tree + carry)) -gt $((LIMIT_MIB * 1048576)) ]; then
    echo "over the ${LIMIT_MIB} MiB a device call carries" >&2
    return 1
  fi
}

# step NAME SECONDS COMMAND...: runs one check with its own limit (cut to what is left before LOOM_DEADLINE, epoch
# seconds, where set), its output to $OUT/NAME.txt; the next runs regardless.
step() {
  local name=$1 seconds=$2
  shift 2
  if [ -n "${LOOM_DEADLINE:-}" ]; then
    local left=$((LOOM_DEADLINE - $(date +%s) - 5))
    [ "$left" -lt "$seconds" ] && seconds=$left
    if [ "$seconds" -lt 10 ]; then
      echo "$name: not run, no time left before LOOM_DEADLINE" | tee "$OUT/$name.txt" >> "$OUT/summary.txt"
      return
    fi
  fi
  echo "=== $name: $*" | tee "$OUT/$name.txt"
  local started=$SECONDS
  timeout --kill-after=10 "$seconds" "$@" 2>&1 | tee -a "$OUT/$name.txt"
  local rc=${PIPESTATUS[0]}
  echo "$name: exit $rc in $((SECONDS - started)) s" | tee -a "$OUT/$name.txt" >> "$OUT/summary.txt"
}

device() {
  cd "$ROOT"
  OUT=${OUT:-$GPU/out}
  mkdir -p "$OUT"
  : > "$OUT/summary.txt"
  local py=${PYTHON:-python3} app=/tmp/loom-bench
  # TORCH_LIB: a libtorch folder other than python's (a rehearsal on a machine without python torch, say).
  local torch_lib=${TORCH_LIB:-}
  if [ -z "$torch_lib" ]; then
    torch_lib=$($py -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))') || { echo "no python torch" >&2; exit 1; }
  fi
  {
    echo "host: $(uname -m), $(nproc) cores; $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null)"
    $py -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "device", torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)'
    echo "libtorch: $torch_lib"
  } 2>&1 | tee "$OUT/env.txt"

  local native=${LOOM_LIBTORCHSHARP:-$GPU/native/libLibTorchSharp.so}
  if [ ! -f "$native" ]; then
    echo "no LibTorchSharp for this libtorch at $native (set LOOM_LIBTORCHSHARP): TorchSharp cannot run here" | tee -a "$OUT/summary.txt" >&2
    exit 1
  fi
  rm -rf "$app" && mkdir -p "$app"
  $py -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$CARRY/loom-bench.tar.xz" "$app"
  cp "$native" "$app/libLibTorchSharp.so"
  # TorchSharp loads libtorch_cuda and LibTorchSharp by name: the app folder first, then LD_LIBRARY_PATH.
  export LD_LIBRARY_PATH="$app:$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_gcServer=0
  local bench="$app/Loom.Bench" devices=${LOOM_DEVICES:-cuda}

  # 1. TorchSharp sees CUDA: each device's name and memory, a matmul checked against the CPU, the bf16 matmul rate.
  step devices 90 "$bench" devices --devices "$devices"
  # 2. The Wan transformer port (issue 10) on CUDA in float32 against the official module's outputs.
  step wan-fixture 90 "$bench" wan-fixture --device "$devices" tests/fixtures/wan/dit_t2v_tiny.safetensors tests/fixtures/wan/dit_i2v_tiny.safetensors
  # 3. One forward of a Wan2.1-1.3B-shaped transformer (30 blocks, random weights, bf16, 21 latent frames = an 81-frame
  #    480x832 window) through TorchSharp, then the same through PyTorch in this call, on this GPU.
  step wan-forward 150 "$bench" wan-forward --device "$devices" --dtype bf16 --model 1.3b --frames 21
  step pytorch-forward 90 "$py" "${PYTORCH_FORWARD:-bench/gpu/wan_forward_time.py}" --model 1.3b --frames 21 --repeats 5
  # 4. A silo with one CUDA shard runs a job of several co-denoised windows with P&P; per-step coordination time.
  step device-job 150 "$bench" device-job --devices "$devices" --models "$ROOT/models" --frames 64 --window 16 --overlap 4 --steps 12 --plan 1-4:2 --repeats 3
  echo "=== summary"
  cat "$OUT/summary.txt"
}

case "${1:-}" in
  prepare) prepare ;;
  sizes) sizes ;;
  device) device ;;
  *) echo "usage: bench/gpu/prove-gpu.sh prepare|sizes|device" >&2; exit 2 ;;
esac

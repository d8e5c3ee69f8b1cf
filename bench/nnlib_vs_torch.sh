#!/usr/bin/env bash
# nnlib (openblas build, and the pure-Go build) against the PyTorch
# reference ../shared/peers/torch_seq2seq_bench.py on the same seq2seq
# configuration and machine, in one invocation: BiLSTM encoder 2x256,
# additive-attention LSTM decoder 256, embedding 256, vocab 1000/1000,
# batch 32, source 50, target 20, Adam.
#
# usage: bench/nnlib_vs_torch.sh [STEPS=20]
# needs: libopenblas-dev, python3-torch (Debian; see ../shared/peers/README.md)
# Prints each run's JSON line, a summary, and as the last line one JSON
# object {"nnlib_train_ms", "torch_train_ms", "train_ratio",
# "nnlib_decode_ms", "torch_decode_ms", "decode_ratio", ...}.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-20}
peers=${PARLEY_PEERS:-../shared/peers}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

go build -tags openblas -o "$out/s2sbench-openblas" ./bench/s2sbench
go build -o "$out/s2sbench-go" ./bench/s2sbench

if [ -x "$peers/wait_idle.sh" ]; then "$peers/wait_idle.sh" 10 300 >&2 || true; fi

echo "# torch reference ($peers/torch_seq2seq_bench.py)" >&2
/usr/bin/python3 "$peers/torch_seq2seq_bench.py" --steps "$steps" | tee "$out/torch.json"
echo "# nnlib, openblas build" >&2
"$out/s2sbench-openblas" -steps "$steps" | tee "$out/openblas.json"
echo "# nnlib, pure-Go build (gonum BLAS)" >&2
"$out/s2sbench-go" -steps "$(( steps < 8 ? steps : 8 ))" -decode-reps 5 | tee "$out/go.json"

/usr/bin/python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
t = json.load(open(d + "/torch.json"))
o = json.load(open(d + "/openblas.json"))
g = json.load(open(d + "/go.json"))
tt, td = t["train_step_ms_median"], t["greedy_decode_batch_ms_median"]
ot, od = o["train_step_ms_median"], o["greedy_decode_batch_ms_median"]
gt, gd = g["train_step_ms_median"], g["greedy_decode_batch_ms_median"]
print(f"train step ms: torch {tt:.1f}  nnlib/openblas {ot:.1f} (x{ot/tt:.2f})  nnlib/pure-Go {gt:.1f} (x{gt/tt:.2f})", file=sys.stderr)
print(f"greedy decode ms: torch {td:.1f}  nnlib/openblas {od:.1f} (x{od/td:.2f})  nnlib/pure-Go {gd:.1f} (x{gd/td:.2f})", file=sys.stderr)
print(f"torch foreign_cpu_pct {t.get('foreign_cpu_pct')}", file=sys.stderr)
print(json.dumps({
    "nnlib_train_ms": ot, "torch_train_ms": tt, "train_ratio": round(ot / tt, 3),
    "nnlib_decode_ms": od, "torch_decode_ms": td, "decode_ratio": round(od / td, 3),
    "purego_train_ms": gt, "purego_decode_ms": gd,
    "purego_train_ratio": round(gt / tt, 3), "purego_decode_ratio": round(gd / td, 3),
    "torch_foreign_cpu_pct": t.get("foreign_cpu_pct"),
}))
PY

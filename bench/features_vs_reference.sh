#!/usr/bin/env bash
# Parley's 80-bin log-mel fbank against the torchaudio (Kaldi-compliance)
# reference ../shared/peers/feats_reference.py on the same files, one core
# each, in one invocation. Both time the feature computation only (files
# are read first).
#
# usage: bench/features_vs_reference.sh [DIR_OR_WAVS...]
#   default: $PARLEY_DATA/cathy_arctic/wav16k (593 files, 1789 s, 16 kHz)
# needs: python3-torchaudio python3-soundfile (Debian; see ../shared/peers/README.md)
# Prints both JSON lines, a summary, and as the last line one JSON object
# {"parley_xrt":…, "reference_xrt":…, "ratio":…} (ratio = parley/reference).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${PARLEY_DATA:-../shared/data}
peers=${PARLEY_PEERS:-../shared/peers}
if [ $# -eq 0 ]; then set -- "$data/cathy_arctic/wav16k"; fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

go build -o "$out/featbench" ./bench/featbench
wavs=()
for a in "$@"; do
	if [ -d "$a" ]; then while IFS= read -r f; do wavs+=("$f"); done < <(find "$a" -name '*.wav' | sort); else wavs+=("$a"); fi
done

if [ -x "$peers/wait_idle.sh" ]; then "$peers/wait_idle.sh" 10 300 >&2 || true; fi
echo "# reference: $peers/feats_reference.py (torchaudio.compliance.kaldi, 1 thread)" >&2
/usr/bin/python3 "$peers/feats_reference.py" "$out/ref" "${wavs[@]}" --threads 1 | tee "$out/ref.json"
echo "# parley (GOMAXPROCS=1, one core)" >&2
GOMAXPROCS=1 "$out/featbench" "${wavs[@]}" | tee "$out/parley.json"

/usr/bin/python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
r = json.load(open(d + "/ref.json"))
p = json.load(open(d + "/parley.json"))
rx, px = r["fbank_audio_s_per_s"], p["fbank_audio_s_per_s"]
print(f"80-bin fbank, {p['files']} files, {p['audio_s']:.1f} s of audio: parley {px:.0f}x real time, "
      f"torchaudio reference {rx:.0f}x, ratio {px/rx:.2f}", file=sys.stderr)
print(json.dumps({"parley_xrt": round(px, 1), "reference_xrt": round(rx, 1), "ratio": round(px / rx, 3)}))
PY

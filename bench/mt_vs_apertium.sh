#!/usr/bin/env bash
# Parley's English→Spanish translation against Apertium (rule-based, Debian
# apertium-eng-spa) on the same Tatoeba dev sentences, in one invocation:
# sentences/s and target tokens/s at beam 1 and beam 5, BLEU (sacreBLEU 13a
# conventions, single reference) for both, and the speed ratio.
#
# usage: bench/mt_vs_apertium.sh [EVERY=6] [MODEL]
#   EVERY: take every N-th line of $PARLEY_DATA/tatoeba_parallel/eng-spa.dev.tsv
#   (sorted by length, so this covers all lengths; 6 → 1,977 sentences)
# needs: apt-get install libopenblas-dev apertium apertium-eng-spa
# Prints one JSON line per system and setting, a summary, and as the last
# line one JSON object {"parley_beam5_tokens_per_s":…, "apertium_sentences_per_s":…, …}.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${PARLEY_DATA:-../shared/data}
peers=${PARLEY_PEERS:-../shared/peers}
every=${1:-6}
model=${2:-}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

go build -tags openblas -o "$out/mtbench" ./bench/mtbench
if [ -x "$peers/wait_idle.sh" ]; then "$peers/wait_idle.sh" 10 300 >&2 || true; fi
echo "# parley (openblas, $(nproc) cores)" >&2
"$out/mtbench" -data "$data/tatoeba_parallel/eng-spa.dev.tsv" -every "$every" -hyps "$out" ${model:+-model "$model"} | tee "$out/parley.json"
echo "# apertium eng-spa" >&2
"$peers/mt_apertium.sh" < "$out/src.txt" > "$out/apertium.txt" 2> "$out/apertium.err"
cat "$out/apertium.err" >&2

/usr/bin/python3 - "$out" "$peers" <<'PY'
import json, subprocess, sys
d, peers = sys.argv[1], sys.argv[2]
def bleu(h):
    r = subprocess.run(["/usr/bin/python3", peers + "/bleu.py", h, d + "/ref.txt"], capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])
rows = [json.loads(l) for l in open(d + "/parley.json")]
err = open(d + "/apertium.err").read().split()
a_sps = float(err[err.index("sentences_per_s") + 1])
a_lines = int(err[err.index("lines") + 1])
a_words = sum(len(l.split()) for l in open(d + "/apertium.txt"))
a_bleu = bleu(d + "/apertium.txt")
a_wps = a_words / (a_lines / a_sps)
print(json.dumps({"system": "apertium", "sentences": a_lines, "sentences_per_s": round(a_sps, 1),
                  "target_words_per_s": round(a_wps, 1), "bleu_peer_script": a_bleu.get("bleu", a_bleu)}))
summary = {}
for r in rows:
    b = bleu(d + f"/hyp.beam{r['beam']}.txt")
    print(f"parley beam {r['beam']}: {r['sentences_per_s']:.0f} sent/s, {r['target_tokens_per_s']:.0f} tokens/s, "
          f"{r['target_words_per_s']:.0f} words/s, BLEU {r['bleu']:.2f} (bleu.py {b.get('bleu', b)}), chrF {r['chrf']:.2f}; "
          f"speed vs Apertium {r['sentences_per_s']/a_sps:.2f}x", file=sys.stderr)
    k = f"parley_beam{r['beam']}"
    summary[k + "_sentences_per_s"] = r["sentences_per_s"]
    summary[k + "_tokens_per_s"] = r["target_tokens_per_s"]
    summary[k + "_bleu"] = r["bleu"]
    summary[k + "_vs_apertium"] = round(r["sentences_per_s"] / a_sps, 3)
print(f"apertium: {a_sps:.0f} sent/s, {a_wps:.0f} words/s, BLEU {a_bleu.get('bleu', a_bleu)}", file=sys.stderr)
summary.update({"apertium_sentences_per_s": round(a_sps, 1), "apertium_bleu": a_bleu.get("bleu", a_bleu), "sentences": a_lines})
print(json.dumps(summary))
PY

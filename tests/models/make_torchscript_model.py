#!/usr/bin/env python3
"""Makes the TorchScript model the tests load: a small tanh MLP with BatchNorm for 2-D inputs
and 3 classes (the shape of synthetic:spirals), saved with torch.jit.script.

Usage: make_torchscript_model.py OUT_DIR
Writes OUT_DIR/tiny_mlp.pt and OUT_DIR/tiny_mlp_expected.txt (logits of a fixed input, eval
mode, one row per line) so the C++ test can check it runs the same forward pass.
"""
import sys
from pathlib import Path

import torch
from torch import nn


class TinyMlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 6)
        self.bn = nn.BatchNorm1d(6)
        self.fc2 = nn.Linear(6, 3)

    def forward(self, x):
        return self.fc2(torch.tanh(self.bn(self.fc1(x))))


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(3)
    model = TinyMlp()
    # Non-trivial running statistics, so eval mode differs from train mode.
    model.train()
    with torch.no_grad():
        for _ in range(5):
            model(torch.randn(32, 2) * 2.0 + 0.5)
    model.eval()
    scripted = torch.jit.script(model)
    scripted.save(str(out / "tiny_mlp.pt"))
    x = torch.arange(8, dtype=torch.float32).reshape(4, 2) / 10.0
    with torch.no_grad():
        logits = model(x)
    with open(out / "tiny_mlp_expected.txt", "w") as f:
        for row in logits.tolist():
            f.write(" ".join(f"{v:.8f}" for v in row) + "\n")


if __name__ == "__main__":
    main()

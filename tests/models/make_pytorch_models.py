#!/usr/bin/env python3
"""Scripts the models the PyTorch-interop tests load, with PyTorch's own reference numbers.

Usage: make_pytorch_models.py OUT_DIR

For each of four small models (an MLP, a BatchNorm CNN, a ResNet basic block, a pre-norm
transformer encoder built from nn.TransformerEncoderLayer, which calls
scaled_dot_product_attention), writes OUT_DIR/NAME.pt (torch.jit.script, eval mode) and
OUT_DIR/NAME.json with:
  sample_shape, classes, x (the inputs, flat), y (labels),
  logits (eval mode, float64, flat), loss (mean cross-entropy, float64),
  eigenvalues (all eigenvalues of the dense float64 Hessian of that loss with respect to the
  trainable parameters, ascending), torch_version.
The models are small (a few hundred parameters) so the dense Hessian is exact and cheap. Second
derivatives through attention use the math backend (the fused kernels have none).
"""
import json
import sys
from pathlib import Path

import torch
from torch import nn
from torch.func import functional_call


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 12)
        self.fc2 = nn.Linear(12, 3)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


class BnCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        return self.fc(x.mean(dim=(2, 3)))


class BasicBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + x)


class ResNetBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(2, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.block = BasicBlock(4)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = self.block(torch.relu(self.bn(self.stem(x))))
        return self.fc(x.mean(dim=(2, 3)))


class TransformerEncoder(nn.Module):
    """16 features read as 4 tokens of 4; 2 pre-norm encoder layers; mean over tokens."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(4, 8)
        self.position = nn.Parameter(torch.randn(1, 4, 8) * 0.1)
        layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        tokens = self.embed(x.reshape(x.shape[0], 4, 4)) + self.position
        return self.head(self.encoder(tokens).mean(dim=1))


MODELS = {
    "mlp": (Mlp, [16]),
    "bn_cnn": (BnCnn, [1, 6, 6]),
    "resnet_block": (ResNetBlock, [2, 6, 6]),
    "transformer_encoder": (TransformerEncoder, [16]),
}
SAMPLES = 12
CLASSES = 3


def dense_hessian(model, x, y):
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    params = [p.detach() for n, p in model.named_parameters() if p.requires_grad]
    sizes = [p.numel() for p in params]
    buffers = dict(model.named_buffers())

    def loss_of(flat):
        pieces = torch.split(flat, sizes)
        state = {n: t.reshape(p.shape) for n, t, p in zip(names, pieces, params)}
        state.update(buffers)
        return nn.functional.cross_entropy(functional_call(model, state, (x,)), y)

    flat = torch.cat([p.reshape(-1) for p in params])
    return torch.autograd.functional.hessian(loss_of, flat, vectorize=True)


def make(name, out):
    cls, shape = MODELS[name]
    torch.manual_seed(7)
    model = cls()
    if any(isinstance(m, nn.BatchNorm2d) for m in model.modules()):
        # Running statistics away from 0 and 1, so eval mode is not the identity.
        model.train()
        with torch.no_grad():
            for _ in range(4):
                model(torch.randn(16, *shape) * 1.5 + 0.3)
    model.eval()
    torch.jit.script(model).save(str(out / f"{name}.pt"))

    x = torch.randn(SAMPLES, *shape, dtype=torch.float64)
    y = torch.arange(SAMPLES) % CLASSES
    model = model.double()
    from torch.nn.attention import SDPBackend, sdpa_kernel
    with sdpa_kernel(SDPBackend.MATH):
        logits = model(x)
        loss = nn.functional.cross_entropy(logits, y)
        eigenvalues = torch.linalg.eigvalsh(dense_hessian(model, x, y))
    (out / f"{name}.json").write_text(json.dumps({
        "sample_shape": shape,
        "classes": CLASSES,
        "x": x.reshape(-1).tolist(),
        "y": y.tolist(),
        "logits": logits.detach().reshape(-1).tolist(),
        "loss": loss.item(),
        "eigenvalues": eigenvalues.tolist(),
        "torch_version": torch.__version__,
    }))


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    for name in MODELS:
        make(name, out)


if __name__ == "__main__":
    main()

"""What the reference-tool scripts of bench/peers share: Fashion-MNIST as Flatland loads it, and
a short SGD run so a model's spectrum has structure."""
import gzip

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def _idx(path, offset):
    return np.frombuffer(gzip.open(path).read(), np.uint8, offset=offset)


def fashion_mnist(split, n):
    """The first n images of Debian's Fashion-MNIST ("train" or "t10k"), normalised with the
    mean and standard deviation Flatland uses, and their labels."""
    root = "/usr/share/datasets/fashion-mnist/"
    images = _idx(root + split + "-images-idx3-ubyte.gz", 16)[: n * 784].reshape(n, 1, 28, 28)
    labels = _idx(root + split + "-labels-idx1-ubyte.gz", 8)[:n]
    x = (torch.tensor(images, dtype=torch.float32) / 255 - 0.2860) / 0.3530
    return x, torch.tensor(labels, dtype=torch.int64)


def quick_train(net, steps=300):
    """SGD (lr 0.05, momentum 0.9, batch 64) on the first 20,000 training images; then eval mode."""
    x, y = fashion_mnist("train", 20000)
    sgd = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    for step in range(steps):
        start = (step * 64) % (20000 - 64)
        sgd.zero_grad()
        F.cross_entropy(net(x[start:start + 64]), y[start:start + 64]).backward()
        sgd.step()
    net.eval()


class BNNet(nn.Module):
    """A small BatchNorm CNN for 28×28 images (23k parameters)."""

    def __init__(self):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16)
        self.c2, self.b2 = nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32)
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.b1(self.c1(x))), 2)
        x = F.max_pool2d(F.relu(self.b2(self.c2(x))), 2)
        return self.fc(x.flatten(1))

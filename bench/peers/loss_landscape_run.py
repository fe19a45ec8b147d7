"""loss-landscape's own time for a 21×21 surface, for bench/peers/compare.sh.

Trains a small BatchNorm CNN for a few SGD steps, saves it as TorchScript for flatland-cli, then
computes a 21×21 surface on the first N Fashion-MNIST test images with loss-landscape's own
functions (net_plotter.create_random_direction: filter-normalised, biases and BN ignored;
net_plotter.set_weights; evaluation.eval_loss, which runs the model in eval mode), in the loop of
its plot_surface.crunch, batch 128 (its default), one thread and no loader workers. Prints JSON.

  python loss_landscape_run.py LOSS_LANDSCAPE_DIR OUT.pt [N] [POINTS]
"""
import json
import os
import sys
import time
import types

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BNNet, fashion_mnist, quick_train  # noqa: E402

root, model_path = sys.argv[1], sys.argv[2]
samples = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
points = int(sys.argv[4]) if len(sys.argv) > 4 else 21
sys.path.insert(0, root)
# net_plotter imports its CIFAR model zoo, which imports torchvision at the top but is not used
# here: a stub saves installing torchvision beside the wheel's torch.
sys.modules.setdefault("torchvision", types.ModuleType("torchvision"))
import evaluation  # noqa: E402  (loss-landscape's modules)
import net_plotter  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(0)

net = BNNet()
quick_train(net)
torch.jit.script(net).save(model_path)

x, y = fashion_mnist("t10k", samples)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=128,
                                     shuffle=False, num_workers=0)
criterion = nn.CrossEntropyLoss()
start = time.perf_counter()
weights = net_plotter.get_weights(net)
directions = [net_plotter.create_random_direction(net, "weights", "biasbn", "filter") for _ in range(2)]
coordinates = np.linspace(-1, 1, points)
losses = np.zeros((points, points))
for i, a in enumerate(coordinates):
    for j, b in enumerate(coordinates):
        net_plotter.set_weights(net, weights, directions, [a, b])
        losses[i, j], _ = evaluation.eval_loss(net, criterion, loader, False)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "points": points * points, "samples": samples,
                  "parameters": sum(p.numel() for p in net.parameters()),
                  "center_loss": float(losses[points // 2, points // 2]),
                  "min_loss": float(losses.min()), "max_loss": float(losses.max())}))

"""loss-landscape's own grid along its own direction file, for bench/peers/loss_landscape_grid.sh.

Trains the small BatchNorm CNN of common.py for a few SGD steps and saves it as TorchScript; makes
two filter-normalised random directions with its net_plotter.create_random_direction (DIR_TYPE
weights or states; biases and BatchNorm ignored; target: x towards the network trained further
by create_target_direction with states, which moves the BatchNorm statistics too) and writes them
with its h5_util.write_list, as its plot_surface.py does; evaluates the grid with its set_weights / set_states and
evaluation.eval_loss on the first N Fashion-MNIST test images; writes the surface file in its
layout (xcoordinates, ycoordinates, train_loss, train_acc [x, y], accuracy in percent).

  python loss_landscape_grid.py LOSS_LANDSCAPE_DIR OUT_DIR DIR_TYPE [N] [POINTS]
"""
import copy
import os
import sys
import types

import h5py
import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BNNet, fashion_mnist, quick_train  # noqa: E402

root, out, dir_type = sys.argv[1], sys.argv[2], sys.argv[3]
samples = int(sys.argv[4]) if len(sys.argv) > 4 else 500
points = int(sys.argv[5]) if len(sys.argv) > 5 else 11
sys.path.insert(0, root)
sys.modules.setdefault("torchvision", types.ModuleType("torchvision"))  # see loss_landscape_run.py
import evaluation  # noqa: E402  (loss-landscape's modules)
import h5_util  # noqa: E402
import net_plotter  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(0)
net = BNNet()
quick_train(net)
torch.jit.script(net).save(os.path.join(out, "net.pt"))

if dir_type == "target":
    # x towards a second model (the same network trained further, BatchNorm statistics included,
    # as create_target_direction(states) makes it), y random: the buffers move too.
    net2 = copy.deepcopy(net)
    net2.train()
    quick_train(net2, steps=100)
    dir_type = "states"
    directions = [net_plotter.create_target_direction(net, net2, dir_type),
                  net_plotter.create_random_direction(net, dir_type, "biasbn", "filter")]
else:
    directions = [net_plotter.create_random_direction(net, dir_type, "biasbn", "filter")
                  for _ in range(2)]
with h5py.File(os.path.join(out, "dirs.h5"), "w") as f:
    h5_util.write_list(f, "xdirection", directions[0])
    h5_util.write_list(f, "ydirection", directions[1])

x, y = fashion_mnist("t10k", samples)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=128,
                                     shuffle=False, num_workers=0)
criterion = nn.CrossEntropyLoss()
weights = net_plotter.get_weights(net)
states = copy.deepcopy(net.state_dict())
coordinates = np.linspace(-1, 1, points)
loss = np.zeros((points, points))
acc = np.zeros((points, points))
for i, a in enumerate(coordinates):
    for j, b in enumerate(coordinates):
        if dir_type == "weights":
            net_plotter.set_weights(net, weights, directions, [a, b])
        else:
            net_plotter.set_states(net, states, directions, [a, b])
        loss[i, j], acc[i, j] = evaluation.eval_loss(net, criterion, loader, False)
with h5py.File(os.path.join(out, "surface.h5"), "w") as f:
    f["xcoordinates"] = coordinates
    f["ycoordinates"] = coordinates
    f["train_loss"] = loss
    f["train_acc"] = acc
    f["dir_file"] = "dirs.h5"  # as plot_surface.py records it (a string dataset)

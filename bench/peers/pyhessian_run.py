"""PyHessian's own numbers for bench/peers/compare.sh.

Trains a small CNN (17,786 parameters) for a few SGD steps so its spectrum has structure, saves
it as TorchScript for flatland-cli, then times PyHessian at its defaults on the first 1,000
Fashion-MNIST test images: top-5 eigenvalues (power iteration with deflation, maxIter 100, tol
1e-3) and the trace (Hutchinson, maxIter 100, tol 1e-3), in one thread, as a user runs it; and
the trace at its whole budget (100 samples, tol 0), for an equal standard error. With
--arpack it also computes the top 5 by ARPACK (scipy's eigsh) as the reference. Prints JSON.

  python pyhessian_run.py PYHESSIAN_DIR OUT.pt [--arpack]
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import fashion_mnist, quick_train  # noqa: E402

pyhessian_dir, model_path = sys.argv[1], sys.argv[2]
sys.path.insert(0, pyhessian_dir)
import pyhessian  # noqa: E402,F401

ph = sys.modules["pyhessian.hessian"]  # the module (the package exports a class of the same name)

torch.set_num_threads(1)
torch.manual_seed(0)



class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 16, 3), nn.Conv2d(16, 32, 3)
        self.f1, self.f2 = nn.Linear(800, 16), nn.Linear(16, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.f2(F.relu(self.f1(x.flatten(1))))


net = Net()
quick_train(net)
torch.jit.script(net).save(model_path)

x, y = fashion_mnist("t10k", 1000)
products = 0
original_hvp = ph.hessian_vector_product


def counted_hvp(*args, **kwargs):
    global products
    products += 1
    return original_hvp(*args, **kwargs)


ph.hessian_vector_product = counted_hvp
out = {"parameters": sum(p.numel() for p in net.parameters()), "torch": torch.__version__}

start = time.perf_counter()
hessian = ph.hessian(net, nn.CrossEntropyLoss(), data=(x, y), cuda=False)
out["setup_seconds"] = time.perf_counter() - start

torch.manual_seed(1)
products = 0
start = time.perf_counter()
values, _ = hessian.eigenvalues(top_n=5)
out["top5"] = {"seconds": time.perf_counter() - start + out["setup_seconds"], "products": products,
               "values": [float(v) for v in values]}

torch.manual_seed(2)
products = 0
start = time.perf_counter()
samples = hessian.trace()
seconds = time.perf_counter() - start + out["setup_seconds"]
samples = np.array(samples, dtype=np.float64)
out["trace"] = {"seconds": seconds, "products": products, "mean": float(samples.mean()),
                "stderr": float(samples.std(ddof=1) / np.sqrt(len(samples))), "samples": len(samples)}

# At its full budget (100 samples, no early stop): the standard error Hutch++ is compared with.
torch.manual_seed(3)
products = 0
start = time.perf_counter()
samples = np.array(hessian.trace(maxIter=100, tol=0.0), dtype=np.float64)
out["trace100"] = {"seconds": time.perf_counter() - start + out["setup_seconds"], "products": products,
                   "mean": float(samples.mean()),
                   "stderr": float(samples.std(ddof=1) / np.sqrt(len(samples))), "samples": len(samples)}

# The SLQ density at its defaults (m = 100 Lanczos steps, n_v = 1 start vector).
torch.manual_seed(4)
products = 0
start = time.perf_counter()
eigen_list, weight_list = hessian.density(iter=100, n_v=1)
out["density"] = {"seconds": time.perf_counter() - start + out["setup_seconds"], "products": products,
                  "nodes": len(eigen_list[0]), "lowest": float(min(eigen_list[0])),
                  "highest": float(max(eigen_list[0]))}

if "--arpack" in sys.argv:
    from scipy.sparse.linalg import LinearOperator, eigsh

    params = [p for p in net.parameters()]
    sizes = [p.numel() for p in params]

    def matvec(v):
        parts = torch.split(torch.from_numpy(np.asarray(v, dtype=np.float32).ravel()), sizes)
        hv = torch.autograd.grad(hessian.gradsH, params,
                                 grad_outputs=[t.view_as(p) for t, p in zip(parts, params)],
                                 retain_graph=True)
        return torch.cat([h.reshape(-1) for h in hv]).double().numpy()

    n = sum(sizes)
    start = time.perf_counter()
    reference = eigsh(LinearOperator((n, n), matvec=matvec, dtype=np.float64), k=5, which="LA",
                      tol=1e-10)[0]
    out["arpack"] = {"values": sorted((float(v) for v in reference), reverse=True),
                     "seconds": time.perf_counter() - start}
print(json.dumps(out))

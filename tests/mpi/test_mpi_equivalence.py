#!/usr/bin/env python3
"""flatland-cli under mpirun -np 2 stores what one process stores.

Usage: test_mpi_equivalence.py FLATLAND_CLI MPIEXEC WORK_DIR

Checks, each against a single-process run of the same command:
  1. a non-square 2-D surface with train and test data computed on two ranks;
  2. the same surface with a third of its points marked undone, resumed on two ranks;
  3. a Hessian analysis whose SLQ density (full data and per class) is split over two ranks.
Every rank runs one LibTorch thread, so each point and each Lanczos row is the same arithmetic in
the same order on any rank: values must agree to 1e-12 relative (the slack only absorbs the
last-bit noise a different BLAS kernel choice could add; a dealing or merging bug is O(1)).
"""
import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

CLI, MPIEXEC, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
# Containers often forbid the cross-memory attach Open MPI's shared-memory transport tries first.
ENV = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
           OMPI_MCA_btl_vader_single_copy_mechanism="none")
MPI = [MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-np", "2"]
failures = []


def run(command):
    done = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def same_datasets(a, b, where):
    """Every dataset under group a equals its twin under b (NaN equal to NaN)."""
    names = []
    a.visit(lambda name: names.append(name) if isinstance(a[name], h5py.Dataset) else None)
    check(len(names) > 0, f"{where} has datasets")
    for name in names:
        check(name in b, f"{where}/{name} exists in both files")
        if name not in b:
            continue
        x, y = np.asarray(a[name][()], dtype=float), np.asarray(b[name][()], dtype=float)
        check(x.shape == y.shape, f"{where}/{name} shapes {x.shape} == {y.shape}")
        if x.shape == y.shape:
            check(np.allclose(x, y, rtol=1e-12, atol=0.0, equal_nan=True),
                  f"{where}/{name} equal (max diff {np.nanmax(np.abs(x - y)) if x.size else 0})")
    return names


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
path = lambda name: os.path.join(WORK, name)

# 1. A 9×7 surface (non-square, so a transposed merge would show) on train and test data.
surface = [CLI, "--json", "surface", "--model", "zoo:mlp", "--data", "synthetic:blobs:600:1",
           "--test-data", "synthetic:blobs:300:2", "--grid", "-1:1:9,-0.5:0.5:7", "--seed", "3",
           "--batch-size", "128", "--name", "s"]
one = run(surface + ["--out", path("single.h5")])
two = run(MPI + surface + ["--out", path("mpi.h5")])
check(one["complete"] and two["complete"], "both surfaces complete")
check(two["ranks"] == 2 and one["ranks"] == 1, "the JSON reports the ranks")
check(two["points_computed"] == 63, f"two ranks computed all 63 points ({two['points_computed']})")
with h5py.File(path("single.h5")) as f, h5py.File(path("mpi.h5")) as g:
    names = same_datasets(f["analyses/s"], g["analyses/s"], "surface")
    for needed in ("train_loss", "test_accuracy", "done", "xcoordinates"):
        check(needed in names, f"surface stores {needed}")
    check(g["analyses/s/done"][()].all(), "every point of the MPI surface is done")

# 2. Mark every third point undone and let two ranks finish the job.
# An independent copy (its own index and folder): h5py writes through the links below.
run([CLI, "--json", "unpack", path("single.h5"), "--out", path("resume.h5")])
with h5py.File(path("resume.h5"), "r+") as f:
    group = f["analyses/s"]
    done = group["done"][()]
    undone = np.zeros(done.size, dtype=bool)
    undone[::3] = True
    undone = undone.reshape(done.shape)
    done[undone] = 0
    group["done"][...] = done
    for name in ("train_loss", "train_accuracy", "test_loss", "test_accuracy"):
        values = group[name][()]
        values[undone] = np.nan
        group[name][...] = values
    group.attrs["complete"] = 0
del group  # its file (the analysis's, behind a link) stays open and locked while named
resumed = run(MPI + surface + ["--out", path("resume.h5")])
check(resumed["resumed"] and resumed["complete"], "the resumed surface is complete")
check(resumed["points_computed"] == int(undone.sum()),
      f"only the {int(undone.sum())} undone points were computed ({resumed['points_computed']})")
with h5py.File(path("single.h5")) as f, h5py.File(path("resume.h5")) as g:
    same_datasets(f["analyses/s"], g["analyses/s"], "resumed surface")

# 3. SLQ density (5 vectors: rank 0 takes 3, rank 1 takes 2) over the data and per class.
hessian = [CLI, "--json", "hessian", "--model", "zoo:mlp", "--data", "synthetic:blobs:300:1",
           "--top-k", "2", "--density", "--density-vectors", "5", "--density-steps", "20",
           "--grid-points", "200", "--per-class", "--seed", "5", "--name", "h"]
one = run(hessian + ["--out", path("h1.h5")])
two = run(MPI + hessian + ["--out", path("h2.h5")])
check(one["hvp_count"] == two["hvp_count"], f"HVP counts agree ({one['hvp_count']}, {two['hvp_count']})")
with h5py.File(path("h1.h5")) as f, h5py.File(path("h2.h5")) as g:
    names = same_datasets(f["analyses/h"], g["analyses/h"], "hessian")
    check(any("density_nodes" in n for n in names) or any("nodes" in n for n in names),
          "the hessian analysis stores density nodes")

if failures:
    sys.exit(f"{len(failures)} check(s) failed")
print("all checks passed")

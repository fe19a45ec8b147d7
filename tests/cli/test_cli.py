#!/usr/bin/env python3
"""flatland-cli end to end: each subcommand's JSON contract, what it stores, and its errors.

Usage: test_cli.py FLATLAND_CLI WORK_DIR [unittest arguments, e.g. -k Surface]

Small jobs on synthetic data (zoo:mlp on 8-D blobs), so the whole file runs in seconds. The
numerical routines behind the commands are tested against exact references in the GoogleTest
suites; here the checks are that the CLI wires them up as documented.
"""
import json
import os
import shutil
import subprocess
import sys
import unittest

import h5py
import numpy as np

CLI, WORK = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
ENV = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
TRAIN = "synthetic:blobs:400:1"
TEST = "synthetic:blobs:200:2"


def cli(*args, expect=0):
    """Runs flatland-cli --json ARGS in WORK; returns the JSON document (or the stderr on failure)."""
    done = subprocess.run([CLI, "--json", *args], cwd=WORK, env=ENV, capture_output=True,
                          text=True, timeout=300)
    if done.returncode != expect:
        raise AssertionError(f"flatland-cli {' '.join(args)} returned {done.returncode}, "
                             f"expected {expect}:\n{done.stdout}\n{done.stderr}")
    if expect != 0:
        return done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def project(name):
    return os.path.join(WORK, name)


def setUpModule():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    # One trained run every test class can use.
    cli("train", "--model", "zoo:mlp", "--data", TRAIN, "--test-data", TEST, "--epochs", "3",
        "--lr", "0.05", "--out", "base.h5", "--run", "sgd")


class Train(unittest.TestCase):
    def test_run_is_stored_with_checkpoints_and_metrics(self):
        doc = cli("train", "--model", "zoo:mlp", "--data", TRAIN, "--test-data", TEST,
                  "--epochs", "2", "--optimizer", "sam", "--rho", "0.05", "--out", "t.h5",
                  "--run", "sam")
        self.assertEqual(doc["status"], "finished")
        self.assertEqual(doc["checkpoint_epochs"], [0, 1, 2])
        self.assertEqual([e["epoch"] for e in doc["epochs"]], [1, 2])
        # Blobs share their centres across seeds, so the test set is the same task.
        self.assertGreater(doc["epochs"][-1]["test_accuracy"], 0.9)
        with h5py.File(project("t.h5")) as f:
            run = f["runs/sam"]
            self.assertEqual(run.attrs["optimizer"], "sam")
            self.assertEqual(run.attrs["epochs_done"], 2)

    def test_an_existing_run_name_is_refused_and_kept(self):
        before = os.path.getmtime(project("base.h5"))
        err = cli("train", "--model", "zoo:mlp", "--data", TRAIN, "--test-data", TEST,
                  "--epochs", "1", "--out", "base.h5", "--run", "sgd", expect=1)
        self.assertIn("sgd", err)
        self.assertEqual(os.path.getmtime(project("base.h5")), before)

    def test_bad_inputs_name_the_problem(self):
        err = cli("train", "--model", "zoo:nope", "--data", TRAIN, "--test-data", TEST,
                  "--out", "x.h5", "--run", "r", expect=1)
        self.assertIn("cnn-small", err)  # lists the architectures there are
        err = cli("train", "--model", "zoo:mlp", "--data", "h5:/nonexistent/data.h5",
                  "--test-data", TEST, "--out", "x.h5", "--run", "r", expect=1)
        self.assertIn("/nonexistent/data.h5", err)
        err = cli("train", "--model", "zoo:cnn-small", "--data", TRAIN, "--test-data", TEST,
                  "--out", "x.h5", "--run", "r", expect=1)
        self.assertIn("image", err)


class EvalAndInfo(unittest.TestCase):
    def test_eval_of_a_checkpoint_matches_the_run(self):
        doc = cli("eval", "--model", "base.h5:/runs/sgd", "--data", TEST)
        with h5py.File(project("base.h5")) as f:
            final = f["runs/sgd"].attrs["final_test_loss"]
        self.assertAlmostEqual(doc["loss"], final, delta=1e-6 * abs(final))
        self.assertEqual(doc["samples"], 200)

    def test_info_lists_runs_and_refuses_what_is_not_a_project(self):
        doc = cli("info", "base.h5")
        self.assertIn("sgd", [r["name"] for r in doc["runs"]])
        with open(project("junk.h5"), "wb") as f:
            f.write(os.urandom(4096))
        err = cli("info", "junk.h5", expect=1)
        self.assertIn("junk.h5", err)
        err = cli("info", "missing.h5", expect=1)
        self.assertIn("missing.h5", err)


class Hessian(unittest.TestCase):
    def test_json_has_every_documented_key_and_the_analysis_is_stored(self):
        doc = cli("hessian", "--model", "base.h5:/runs/sgd", "--data", TEST, "--top-k", "2",
                  "--bottom-k", "1", "--trace", "--trace-samples", "20", "--density",
                  "--density-vectors", "2", "--density-steps", "10", "--grid-points", "50",
                  "--per-class", "--out", "h.h5", "--name", "h")
        for key in ("top_eigenvalues", "bottom_eigenvalues", "trace", "density", "per_class",
                    "hvp_count", "seconds"):
            self.assertIn(key, doc)
        self.assertEqual(len(doc["top_eigenvalues"]), 2)
        self.assertGreaterEqual(doc["top_eigenvalues"][0], doc["top_eigenvalues"][1])
        self.assertGreater(doc["trace"]["stderr"], 0.0)
        for key in ("nodes", "weights", "grid", "values"):
            self.assertIn(key, doc["density"])
        self.assertEqual(len(doc["density"]["grid"]), 50)
        self.assertEqual(len(doc["per_class"]), 4)
        with h5py.File(project("h.h5")) as f:
            node = f["analyses/h"]
            self.assertEqual(node.attrs["kind"], "hessian")
            self.assertEqual(node.attrs["complete"], 1)
            np.testing.assert_allclose(node["top_eigenvalues"][()], doc["top_eigenvalues"],
                                       rtol=1e-12)

    def test_k_must_be_below_the_parameter_count(self):
        err = cli("hessian", "--model", "zoo:linear", "--data", TEST, "--top-k", "100",
                  "--out", "", expect=1)
        self.assertIn("top-k", err.replace("_", "-").lower())


class Surface(unittest.TestCase):
    ARGS = ["surface", "--model", "base.h5:/runs/sgd", "--data", TEST, "--grid",
            "-1:1:7,-0.5:0.5:5"]

    def test_grid_is_stored_y_then_x_and_the_origin_is_the_model(self):
        doc = cli(*self.ARGS, "--out", "s.h5", "--name", "s")
        self.assertTrue(doc["complete"])
        self.assertEqual(doc["shape"], [5, 7])
        ev = cli("eval", "--model", "base.h5:/runs/sgd", "--data", TEST)
        with h5py.File(project("s.h5")) as f:
            loss = f["analyses/s/train_loss"][()]
            self.assertEqual(loss.shape, (5, 7))
            self.assertEqual(len(f["analyses/s/xcoordinates"]), 7)
            # The grid's centre is the unmoved model.
            self.assertAlmostEqual(loss[2, 3], ev["loss"], delta=1e-6)

    def test_resume_computes_only_the_missing_points(self):
        cli(*self.ARGS, "--out", "r.h5", "--name", "r")
        with h5py.File(project("r.h5"), "r+") as f:
            g = f["analyses/r"]
            reference = g["train_loss"][()].copy()
            done = g["done"][()]
            done[1:3, :] = 0
            g["done"][...] = done
            g["train_loss"][1:3, :] = np.nan
            g.attrs["complete"] = 0
        doc = cli(*self.ARGS, "--out", "r.h5", "--name", "r")
        self.assertTrue(doc["resumed"])
        self.assertEqual(doc["points_computed"], 14)
        with h5py.File(project("r.h5")) as f:
            np.testing.assert_array_equal(f["analyses/r/train_loss"][()], reference)

    def test_resume_refuses_a_finished_surface_or_other_inputs(self):
        cli(*self.ARGS, "--out", "c.h5", "--name", "c")
        err = cli(*self.ARGS, "--out", "c.h5", "--name", "c", expect=1)
        self.assertIn("complete", err)
        with h5py.File(project("c.h5"), "r+") as f:
            f["analyses/c"].attrs["complete"] = 0
        args = list(self.ARGS)
        args[args.index(TEST)] = TRAIN
        err = cli(*args, "--out", "c.h5", "--name", "c", expect=1)
        self.assertIn("cannot resume", err)

    def test_shared_directions_and_interpolation_endpoints(self):
        cli(*self.ARGS, "--out", "d.h5", "--name", "first")
        cli("surface", "--model", "base.h5:/runs/sgd@1", "--data", TEST, "--out", "d.h5",
            "--name", "second", "--from-analysis", "first")
        with h5py.File(project("d.h5")) as f:
            a, b = f["analyses/first/directions"], f["analyses/second/directions"]
            self.assertEqual(sorted(a), ["d0", "d1"])
            for n in a:
                np.testing.assert_array_equal(a[n][()], b[n][()])
        doc = cli("surface", "--model", "base.h5:/runs/sgd@0", "--to", "base.h5:/runs/sgd",
                  "--dirs", "interp", "--data", TEST, "--grid", "0:1:3", "--out", "d.h5",
                  "--name", "interp")
        start = cli("eval", "--model", "base.h5:/runs/sgd@0", "--data", TEST)["loss"]
        end = cli("eval", "--model", "base.h5:/runs/sgd", "--data", TEST)["loss"]
        with h5py.File(project("d.h5")) as f:
            loss = f["analyses/interp/train_loss"][()]
        self.assertEqual(doc["shape"], [3])
        self.assertAlmostEqual(loss[0], start, delta=1e-6)
        self.assertAlmostEqual(loss[2], end, delta=1e-6 * max(1.0, end))

    def test_eigen_directions_need_a_hessian_analysis(self):
        err = cli(*self.ARGS, "--dirs", "eigen", "--out", "e.h5", expect=1)
        self.assertIn("--from-analysis", err)

    def test_eigen_directions_are_the_stored_eigenvectors(self):
        cli("hessian", "--model", "base.h5:/runs/sgd", "--data", TEST, "--top-k", "2",
            "--out", "e.h5", "--name", "h")
        doc = cli(*self.ARGS, "--dirs", "eigen", "--from-analysis", "h", "--out", "e.h5",
                  "--name", "eig")
        self.assertEqual(doc["dirs"], "eigen")
        with h5py.File(project("e.h5")) as f:
            vectors = f["analyses/h/top_eigenvectors"][()]
            for k in range(2):
                d = f[f"analyses/eig/directions/d{k}"][()]
                # Unnormalised by default: the unit eigenvector itself (stored as float32).
                np.testing.assert_allclose(d, vectors[k], rtol=0, atol=1e-6)

    def test_pca_directions_frame_the_trajectory(self):
        doc = cli("surface", "--dirs", "pca", "--run", "base.h5:/runs/sgd", "--data", TEST,
                  "--out", "p.h5", "--name", "pca")
        self.assertEqual(doc["dirs"], "pca")
        self.assertEqual(len(doc["explained_variance"]), 2)
        self.assertGreater(doc["explained_variance"][0], doc["explained_variance"][1] - 1e-12)
        self.assertLessEqual(sum(doc["explained_variance"]), 1.0 + 1e-9)
        # The origin defaults to the run's last checkpoint.
        end = cli("eval", "--model", "base.h5:/runs/sgd", "--data", TEST)["loss"]
        self.assertAlmostEqual(doc["loss_at_origin"], end, delta=1e-6 * max(1.0, end))

    def test_export_writes_the_loss_landscape_layout(self):
        cli(*self.ARGS, "--test-data", TRAIN, "--out", "x.h5", "--name", "x")
        subprocess.run([CLI, "export", "--project", "x.h5", "--analysis", "x", "--out",
                        "ll.h5"], cwd=WORK, env=ENV, check=True, capture_output=True)
        with h5py.File(project("x.h5")) as f, h5py.File(project("ll.h5")) as g:
            ours = f["analyses/x/train_loss"][()]
            # loss-landscape indexes [x, y] and stores accuracies in percent.
            np.testing.assert_allclose(g["train_loss"][()], ours.T, rtol=1e-6)
            np.testing.assert_allclose(g["test_acc"][()], 100 * f["analyses/x/test_accuracy"][()].T,
                                       rtol=1e-6)
            self.assertEqual(len(g["xcoordinates"]), 7)


class Quantize(unittest.TestCase):
    def test_sweep_reports_each_width_and_is_stored(self):
        doc = cli("quantize", "--model", "base.h5:/runs/sgd", "--data", TEST, "--bits", "2-4",
                  "--out", "q.h5", "--name", "q")
        self.assertEqual(doc["bits"], [2, 3, 4])
        self.assertEqual(len(doc["per_channel"]["test_accuracy"]), 3)
        self.assertEqual(len(doc["per_tensor"]["test_loss"]), 3)
        with h5py.File(project("q.h5")) as f:
            self.assertEqual(f["analyses/q"].attrs["kind"], "quantize")

    def test_bad_bit_widths_are_refused(self):
        err = cli("quantize", "--model", "base.h5:/runs/sgd", "--data", TEST, "--bits", "1-4",
                  expect=1)
        self.assertIn("bit", err)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], *sys.argv[3:]], verbosity=2)

#!/usr/bin/env python3
"""flatland-cli end to end: each subcommand's JSON contract, what it stores, and its errors.

Usage: test_cli.py FLATLAND_CLI WORK_DIR [unittest arguments, e.g. -k Surface]

Small jobs on synthetic data (zoo:mlp on 8-D blobs), so the whole file runs in seconds. The
numerical routines behind the commands are tested against exact references in the GoogleTest
suites; here the checks are that the CLI wires them up as documented.
"""
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import unittest
import zlib

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


def raw(*args):
    """Runs flatland-cli ARGS as given (no --json added) in WORK; returns the CompletedProcess."""
    return subprocess.run([CLI, *args], cwd=WORK, env=ENV, capture_output=True, text=True,
                          timeout=300)


def project(name):
    return os.path.join(WORK, name)


def copy_project(source, target):
    """An independent copy of a (split) project: its own index and folder, written by unpack."""
    cli("unpack", project(source), "--out", project(target))


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

    def test_an_option_the_method_does_not_read_is_noted(self):
        done = subprocess.run([CLI, "train", "--model", "zoo:mlp", "--data", TRAIN, "--test-data", TEST, "--epochs", "1",
                               "--optimizer", "sgd", "--rho", "0.1", "--out", "note.h5",
                               "--run", "note"],
                              cwd=WORK, env=ENV, capture_output=True, text=True, timeout=300)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("note: --rho is not read with --optimizer sgd (only with --optimizer "
                      "sam|msam|asam|hero)", done.stderr)

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

    def test_a_diverging_run_fails_clearly_and_keeps_what_was_saved(self):
        copy_project("base.h5", "div.h5")
        done = raw("--json", "train", "--model", "zoo:mlp", "--data", TRAIN, "--test-data", TEST,
                   "--epochs", "3", "--lr", "1e6", "--out", "div.h5", "--run", "boom")
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertIn("diverged", done.stderr)
        self.assertIn("nan", done.stderr.lower())
        self.assertIn("learning rate", done.stderr)  # says what to change
        # The JSON document still comes, with the status and the checkpoints that were kept.
        doc = json.loads(done.stdout.strip().splitlines()[-1])
        self.assertEqual(doc["status"], "diverged")
        self.assertEqual(doc["checkpoint_epochs"], [0])
        # The project still opens: the earlier run is untouched, the diverged one is marked and
        # its saved checkpoint is usable.
        info = cli("info", "div.h5")
        runs = {r["name"]: r for r in info["runs"]}
        self.assertEqual(sorted(runs), ["boom", "sgd"])
        with h5py.File(project("div.h5")) as f:
            self.assertEqual(f["runs/boom"].attrs["status"], "diverged")
            self.assertEqual(f["runs/boom"].attrs["epochs_done"], 0)
            self.assertEqual(f["runs/sgd"].attrs["status"], "finished")
        start = cli("eval", "--model", "div.h5:/runs/boom@0", "--data", TEST)
        self.assertTrue(math.isfinite(start["loss"]))
        self.assertEqual(cli("eval", "--model", "div.h5:/runs/sgd", "--data", TEST)["loss"],
                         cli("eval", "--model", "base.h5:/runs/sgd", "--data", TEST)["loss"])


class RobustObjectives(unittest.TestCase):
    def test_each_robust_method_trains_and_is_stored_with_its_settings(self):
        runs = {"pgd-at": ("--adv-eps", "0.5", "--adv-steps", "3", "--adv-step", "0.5"),
                "trades": ("--adv-eps", "0.5", "--adv-steps", "2", "--trades-beta", "3"),
                "cure": ("--cure-gamma", "2", "--cure-h", "0.2"),
                "noise-jsd": ("--noise-sigmas", "0.2,0.4", "--jsd-lambda", "6", "--noise-ce")}
        for method, extra in runs.items():
            doc = cli("train", "--model", "zoo:mlp", "--data", TRAIN, "--test-data", TEST,
                      "--epochs", "2", "--robust", method, *extra, "--out", "robust.h5",
                      "--run", method)
            self.assertEqual(doc["status"], "finished", method)
            self.assertGreater(doc["epochs"][-1]["test_accuracy"], 0.8, method)
        with h5py.File(project("robust.h5")) as f:
            settings = {m: json.loads(f["runs/" + m].attrs["settings"]) for m in runs}
        self.assertEqual(settings["pgd-at"]["robust"], "pgd-at")
        self.assertEqual(settings["pgd-at"]["adv_eps"], 0.5)
        self.assertEqual(settings["pgd-at"]["adv_steps"], 3)
        self.assertEqual(settings["pgd-at"]["eps_units"], "data")
        self.assertEqual(settings["trades"]["trades_beta"], 3)
        self.assertEqual(settings["cure"]["cure_h"], 0.2)
        self.assertEqual(settings["noise-jsd"]["noise_sigmas"], "0.2,0.4")
        self.assertTrue(settings["noise-jsd"]["noise_ce"])

    def test_robust_training_composes_with_sam(self):
        doc = cli("train", "--model", "zoo:mlp", "--data", TRAIN, "--test-data", TEST,
                  "--epochs", "1", "--robust", "pgd-at", "--adv-steps", "2", "--optimizer", "sam",
                  "--out", "robust-sam.h5", "--run", "r")
        self.assertEqual(doc["status"], "finished")

    def test_bad_settings_name_the_problem(self):
        base = ("train", "--model", "zoo:mlp", "--data", TRAIN, "--test-data", TEST,
                "--out", "bad.h5", "--run", "r")
        self.assertIn("pgd-at", cli(*base, "--robust", "madry", expect=1))
        self.assertIn("pixel", cli(*base, "--robust", "pgd-at", "--eps-units", "pixel", expect=1))
        self.assertIn("hero", cli(*base, "--robust", "cure", "--optimizer", "hero", expect=1))
        self.assertIn("noise", cli(*base, "--robust", "noise-jsd", "--noise-sigmas", "0.1,x",
                                   expect=1))


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

    def test_fashion_mnist_eval_prints_every_key(self):
        directory = os.environ.get("FLATLAND_FASHION_MNIST_DIR") or "/usr/share/datasets/fashion-mnist"
        if not os.path.isfile(os.path.join(directory, "t10k-images-idx3-ubyte.gz")):
            self.skipTest(f"Fashion-MNIST is not installed in {directory} "
                          "(Debian package dataset-fashion-mnist)")
        doc = cli("eval", "--model", "zoo:cnn-small", "--data", "fashion-mnist:test",
                  "--samples", "500")
        for key in ("model", "data", "samples", "parameters", "loss", "accuracy",
                    "per_class_accuracy", "seconds"):
            self.assertIn(key, doc)
        self.assertEqual(doc["samples"], 500)
        self.assertEqual(doc["parameters"], 9098)
        self.assertEqual(len(doc["per_class_accuracy"]), 10)
        # Untrained: about ln 10 and chance accuracy.
        self.assertAlmostEqual(doc["loss"], math.log(10), delta=0.5)
        self.assertGreaterEqual(doc["accuracy"], 0.0)
        self.assertLessEqual(doc["accuracy"], 1.0)


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

    def test_imbalance_makes_the_data_long_tailed_as_training_does(self):
        doc = cli("hessian", "--model", "base.h5:/runs/sgd", "--data", TEST, "--per-class",
                  "--imbalance", "10", "--top-k", "1", "--out", "")
        counts = [c["samples"] for c in doc["per_class"]]
        self.assertEqual(counts, sorted(counts, reverse=True))
        self.assertGreaterEqual(counts[0] / counts[-1], 8)

    def test_k_must_be_below_the_parameter_count(self):
        err = cli("hessian", "--model", "zoo:linear", "--data", TEST, "--top-k", "100",
                  "--out", "", expect=1)
        self.assertIn("top-k", err.replace("_", "-").lower())

    def test_batch_sweep_reports_sizes_mean_spread_and_the_full_data_value(self):
        doc = cli("hessian", "--model", "base.h5:/runs/sgd", "--data", TEST, "--batch-sweep",
                  "8,32", "--sweep-repeats", "4", "--out", "bs.h5", "--name", "bs")
        sweep = doc["batch_sweep"]
        for key in ("batch_sizes", "lambda_max_mean", "lambda_max_std", "lambda_max_samples",
                    "lambda_max_full"):
            self.assertIn(key, sweep)
        self.assertEqual(sweep["batch_sizes"], [8, 32])
        samples = [np.array(row) for row in sweep["lambda_max_samples"]]
        self.assertEqual([len(row) for row in samples], [4, 4])
        for row, mean, std in zip(samples, sweep["lambda_max_mean"], sweep["lambda_max_std"]):
            self.assertTrue(np.all(row > 0))
            self.assertAlmostEqual(mean, row.mean(), delta=1e-9 * abs(mean))
            self.assertAlmostEqual(std, row.std(ddof=1), delta=1e-9 * max(1.0, std))
        # The full-data value is the full-data top eigenvalue.
        self.assertAlmostEqual(sweep["lambda_max_full"], doc["top_eigenvalues"][0],
                               delta=1e-9 * abs(doc["top_eigenvalues"][0]))
        with h5py.File(project("bs.h5")) as f:
            g = f["analyses/bs/batch_sweep"]
            np.testing.assert_array_equal(g["batch_sizes"][()], [8, 32])
            np.testing.assert_allclose(g["lambda_max_mean"][()], sweep["lambda_max_mean"],
                                       rtol=1e-12)
            self.assertAlmostEqual(g.attrs["lambda_max_full"], sweep["lambda_max_full"])
        # Without --batch-sweep the key is there and null; a bad list is refused.
        self.assertIsNone(cli("hessian", "--model", "base.h5:/runs/sgd", "--data", TEST,
                              "--out", "")["batch_sweep"])
        err = cli("hessian", "--model", "base.h5:/runs/sgd", "--data", TEST, "--batch-sweep",
                  "8,x", "--out", "", expect=1)
        self.assertIn("--batch-sweep", err)

    def test_json_after_the_subcommand_options_works_like_before_them(self):
        args = ["hessian", "--model", "base.h5:/runs/sgd", "--data", TEST, "--top-k", "2",
                "--batch-sweep", "8", "--sweep-repeats", "2", "--out", ""]
        before = cli(*args)  # flatland-cli --json hessian ...
        done = raw(*args, "--json")
        self.assertEqual(done.returncode, 0, done.stderr)
        after = json.loads(done.stdout.strip().splitlines()[-1])
        self.assertEqual(sorted(after), sorted(before))
        for key in ("top_eigenvalues", "batch_sweep", "hvp_count", "samples"):
            self.assertEqual(after[key], before[key], key)
        # Without --json the output is the human table.
        done = raw(*args)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("mini-batch lambda_max", done.stdout)
        self.assertNotIn("{", done.stdout)


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
        del g  # its file (the analysis's, behind a link) stays open and locked while named
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

    def test_eigen_directions_without_an_analysis_are_computed_first(self):
        # docs/loss-surfaces.md: without --from-analysis the top eigenvectors are computed on the
        # surface's own data, each with a fixed sign (its largest-magnitude entry positive).
        doc = cli(*self.ARGS, "--dirs", "eigen", "--out", "f.h5", "--name", "fly")
        self.assertEqual(doc["dirs"], "eigen")
        self.assertTrue(any("computed the top-2 Hessian eigenvectors" in n for n in doc["notes"]),
                        doc["notes"])
        cli("hessian", "--model", "base.h5:/runs/sgd", "--data", TEST, "--top-k", "2",
            "--tol", "1e-8", "--out", "f.h5", "--name", "h")
        with h5py.File(project("f.h5")) as f:
            vectors = f["analyses/h/top_eigenvectors"][()]
            for k in range(2):
                d = f[f"analyses/fly/directions/d{k}"][()].astype(np.float64)
                self.assertAlmostEqual(np.linalg.norm(d), 1.0, delta=1e-5)
                self.assertGreater(d[np.argmax(np.abs(d))], 0)
                self.assertGreater(abs(np.dot(d, vectors[k])), 0.999)

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

    def test_loss_landscape_direction_and_surface_files(self):
        # A direction file as loss-landscape's h5_util.write_list writes it: one array per
        # parameter, in model order (zoo:mlp's layers.K.weight, layers.K.bias).
        copy_project("base.h5", "moved.h5")
        with h5py.File(project("moved.h5"), "r+") as f:
            checkpoints = f["runs/sgd/checkpoints"]
            params = checkpoints[sorted(checkpoints)[-1]]["parameters"]
            names = sorted(params, key=lambda n: (int(n.split(".")[1]), n.split(".")[2] != "weight"))
            rng = np.random.default_rng(0)
            dx = [0.3 * rng.standard_normal(params[n].shape).astype(np.float32) for n in names]
            with h5py.File(project("dirs.h5"), "w") as g:
                for i, d in enumerate(dx):
                    g[f"xdirection/{i}"] = d
            for n, d in zip(names, dx):  # the model at α = 1, for a direct evaluation
                params[n][...] = params[n][()] + d
        # Objects reached through the project's links live in their own files, which h5py keeps
        # open (and HDF5 keeps locked) while a Python name still refers to them.
        del checkpoints, params
        doc = cli("surface", "--model", "base.h5:/runs/sgd", "--data", TEST, "--dirs",
                  "loss-landscape", "--dir-file", "dirs.h5", "--grid", "-1:1:3", "--out", "ll.h5",
                  "--name", "ll")
        self.assertEqual(doc["shape"], [3])
        moved = cli("eval", "--model", "moved.h5:/runs/sgd", "--data", TEST)["loss"]
        origin = cli("eval", "--model", "base.h5:/runs/sgd", "--data", TEST)["loss"]
        with h5py.File(project("ll.h5")) as f:
            loss = f["analyses/ll/train_loss"][()]
            self.assertEqual(f["analyses/ll"].attrs["dirs"], "loss-landscape")
        self.assertAlmostEqual(loss[1], origin, delta=1e-6 * origin)
        self.assertAlmostEqual(loss[2], moved, delta=1e-5 * moved)
        self.assertNotAlmostEqual(moved, origin, delta=1e-3)
        # A file of another shape is refused, naming the entry.
        with h5py.File(project("bad.h5"), "w") as g:
            g["xdirection/0"] = np.zeros((3, 3), np.float32)
        err = cli("surface", "--model", "base.h5:/runs/sgd", "--data", TEST, "--dirs",
                  "loss-landscape", "--dir-file", "bad.h5", "--out", "bad-out.h5", expect=1)
        self.assertIn("entries", err)

        # Its surface files come in as surface analyses: export, import, the same grid.
        cli(*self.ARGS, "--test-data", TRAIN, "--out", "i.h5", "--name", "i")
        subprocess.run([CLI, "export", "--project", "i.h5", "--analysis", "i", "--out",
                        "i-ll.h5"], cwd=WORK, env=ENV, check=True, capture_output=True)
        with h5py.File(project("i-ll.h5"), "r+") as g:
            g["dir_file"] = "dirs.h5"  # plot_surface.py records its direction file as a string
        doc = cli("import-surface", "i-ll.h5", "--out", "i.h5", "--name", "back")
        self.assertEqual(doc["grid"], "-1:1:7,-0.5:0.5:5")
        with h5py.File(project("i.h5")) as f:
            for name in ("train_loss", "test_loss", "xcoordinates", "ycoordinates", "done"):
                np.testing.assert_array_equal(f["analyses/back"][name][()],
                                              f["analyses/i"][name][()], err_msg=name)
            np.testing.assert_allclose(f["analyses/back/test_accuracy"][()],
                                       f["analyses/i/test_accuracy"][()], rtol=1e-15)
        cli("import-surface", "i-ll.h5", "--out", "i.h5", "--name", "back", expect=1)
        cli("import-surface", "dirs.h5", "--out", "i.h5", "--name", "dirs", expect=1)


class Connect(unittest.TestCase):
    def test_paths_between_two_runs_are_stored_with_their_barriers(self):
        cli("train", "--model", "zoo:mlp", "--data", TRAIN, "--test-data", TEST, "--epochs", "3",
            "--lr", "0.05", "--seed", "7", "--out", "c.h5", "--run", "other")
        doc = cli("connect", "--model", "base.h5:/runs/sgd", "--to", "c.h5:/runs/other",
                  "--data", TRAIN, "--test-data", TEST, "--epochs", "2", "--points", "5",
                  "--out", "c.h5", "--name", "ab")
        self.assertEqual(doc["t"], [0, 0.25, 0.5, 0.75, 1])
        self.assertEqual(doc["curve"], "bezier")
        ends = [cli("eval", "--model", m, "--data", TRAIN)["loss"]
                for m in ("base.h5:/runs/sgd", "c.h5:/runs/other")]
        for path in ("linear_loss", "curve_loss"):
            self.assertAlmostEqual(doc[path][0], ends[0], delta=1e-5 * ends[0])
            self.assertAlmostEqual(doc[path][-1], ends[1], delta=1e-5 * ends[1])
        self.assertAlmostEqual(doc["linear_barrier"],
                               max(doc["linear_loss"]) - sum(ends) / 2, delta=1e-9)
        self.assertEqual(len(doc["training_loss"]), 2)
        with h5py.File(project("c.h5")) as f:
            a = f["analyses/ab"]
            self.assertEqual(a.attrs["kind"], "connectivity")
            self.assertEqual(a.attrs["curve_type"], "bezier")
            np.testing.assert_allclose(a["linear/train_loss"][()], doc["linear_loss"], rtol=1e-12)
            self.assertEqual(len(a["curve/test_accuracy"]), 5)
            self.assertAlmostEqual(a["curve"].attrs["barrier"], doc["curve_barrier"])
            self.assertIn("layers.1.weight", a["bend/parameters"])
        self.assertIn("ab", json.dumps(cli("info", "c.h5")))
        # The plane through A, B and the bend: A at (0, 0), B at (1, 0), the curve drawn on it;
        # centred on A without --model.
        plane = cli("surface", "--data", TRAIN, "--from-analysis", "ab", "--grid", "0:1:2,0:1:2",
                    "--out", "c.h5", "--name", "plane")
        self.assertEqual(plane["dirs"], "plane")
        with h5py.File(project("c.h5")) as f:
            loss = f["analyses/plane/train_loss"][()]
            self.assertAlmostEqual(loss[0, 0], ends[0], delta=1e-5 * ends[0])
            self.assertAlmostEqual(loss[0, 1], ends[1], delta=1e-5 * ends[1])
            curve = f["analyses/plane/trajectory/coordinates"][()]
            np.testing.assert_allclose(curve[20], [0.25, 0.5])  # Bézier at t = 1/2

    def test_models_of_different_architectures_are_refused(self):
        err = cli("connect", "--model", "zoo:mlp", "--to", "zoo:linear", "--data", TRAIN,
                  "--out", "bad.h5", expect=1)
        self.assertIn("different architectures", err)
        # A missing required option is CLI11's error (exit status 106), naming it.
        err = cli("connect", "--model", "zoo:mlp", "--data", TRAIN, "--out", "bad.h5", expect=106)
        self.assertIn("--to", err)


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


class Robustness(unittest.TestCase):
    def test_json_has_every_documented_key_and_the_analysis_is_stored(self):
        doc = cli("robustness", "--model", "base.h5:/runs/sgd", "--data", TEST, "--attack",
                  "fgsm,pgd,pgd-l2", "--eps", "0.1,0.5", "--pgd-steps", "3", "--input-curvature",
                  "--curvature-samples", "7", "--corruptions", "--surface-sample", "2",
                  "--surface-points", "5", "--out", "r.h5", "--name", "r")
        self.assertEqual(doc["units"], "data")
        self.assertFalse(doc["clamped"])  # synthetic data has no pixel range
        self.assertGreater(doc["clean_accuracy"], 0.5)
        attacks = doc["attacks"]
        self.assertEqual([(a["attack"], a["norm"], a["eps"]) for a in attacks],
                         [("fgsm", "linf", 0.1), ("fgsm", "linf", 0.5), ("pgd", "linf", 0.1),
                          ("pgd", "linf", 0.5), ("pgd-l2", "l2", 0.1), ("pgd-l2", "l2", 0.5)])
        for a in attacks:
            self.assertLessEqual(a["accuracy"], doc["clean_accuracy"] + 1e-9)
            self.assertEqual(len(a["per_class_accuracy"]), 4)  # blobs have 4 classes
        # PGD at the larger radius is at least as strong as at the smaller one here.
        self.assertLessEqual(attacks[3]["accuracy"], attacks[2]["accuracy"])
        curvature = doc["input_curvature"]
        self.assertEqual(len(curvature["lambda_max"]), 7)
        self.assertEqual(len(curvature["cure"]), 7)
        self.assertTrue(all(math.isfinite(v) for v in curvature["lambda_max"]))
        self.assertEqual(len(doc["corruptions"]["results"]), 4)
        self.assertEqual(len(doc["input_surface"]["loss"]), 25)
        with h5py.File(project("r.h5")) as f:
            g = f["analyses/r"]
            self.assertEqual(g.attrs["kind"], "robustness")
            self.assertEqual(g.attrs["complete"], 1)
            np.testing.assert_allclose(g["attacks/pgd/eps"][()], [0.1, 0.5])
            np.testing.assert_allclose(g["attacks/pgd/accuracy"][()],
                                       [attacks[2]["accuracy"], attacks[3]["accuracy"]])
            self.assertEqual(g["attacks/pgd-l2"].attrs["norm"], "l2")
            self.assertEqual(g["attacks/fgsm/per_class_accuracy"].shape, (2, 4))
            np.testing.assert_allclose(g["input_curvature/lambda_max"][()], curvature["lambda_max"])
            self.assertEqual(g["corruptions/accuracy"].shape, (4, 5))
            self.assertEqual(g["input_surface/loss"].shape, (5, 5))
            settings = json.loads(g.attrs["settings"])
            self.assertEqual(settings["attack"], "fgsm,pgd,pgd-l2")
            self.assertEqual(settings["pgd_steps"], 3)
        info = cli("info", "r.h5")
        self.assertEqual(info["analyses"][0]["kind"], "robustness")

    def test_bad_settings_name_the_problem(self):
        model = ("--model", "base.h5:/runs/sgd", "--data", TEST, "--out", "")
        self.assertIn("pixel", cli("robustness", *model, "--eps-units", "pixel", expect=1))
        self.assertIn("cw", cli("robustness", *model, "--attack", "cw", expect=1))
        self.assertIn("eps", cli("robustness", *model, "--eps", "0.1,-2", expect=1))
        self.assertIn("surface sample", cli("robustness", *model, "--surface-sample", "5000",
                                            expect=1))

    def test_fashion_mnist_in_pixel_units_is_clamped(self):
        directory = os.environ.get("FLATLAND_FASHION_MNIST_DIR") or "/usr/share/datasets/fashion-mnist"
        if not os.path.isfile(os.path.join(directory, "t10k-images-idx3-ubyte.gz")):
            self.skipTest("Fashion-MNIST is not installed")
        doc = cli("robustness", "--model", "zoo:cnn-small", "--data", "fashion-mnist:test",
                  "--samples", "64", "--attack", "fgsm", "--eps", "0.1", "--eps-units", "pixel",
                  "--out", "")
        self.assertTrue(doc["clamped"])
        self.assertEqual(doc["units"], "pixel")
        self.assertIsNone(doc["analysis"])


def read_png(path):
    """The PNG's size, DPI (from its pHYs chunk) and unfiltered pixel bytes, checked as it goes."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    chunks, at = {}, 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[at + 8 + length:at + 12 + length])[0]
        chunks[kind] = chunks.get(kind, b"") + body  # IDAT chunks concatenate
        at += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    pixels = zlib.decompress(chunks[b"IDAT"])
    assert depth == 8 and len(pixels) == height * (1 + width * channels), path
    dpi = None
    if b"pHYs" in chunks:
        x, y, unit = struct.unpack(">IIB", chunks[b"pHYs"])
        assert unit == 1 and x == y, "pHYs in metres, square pixels"
        dpi = x * 0.0254
    return {"width": width, "height": height, "dpi": dpi, "pixels": pixels}


class Render(unittest.TestCase):
    """flatland-cli render: stored analyses to PNG, PDF and SVG. The 3-D surface PNG goes through
    VTK and needs an X display (ctest runs under xvfb-run); without one, its clear error is checked."""

    @classmethod
    def setUpClass(cls):
        cli("hessian", "--model", "base.h5:/runs/sgd", "--data", TEST, "--top-k", "1", "--density",
            "--density-vectors", "2", "--density-steps", "10", "--out", "fig.h5", "--name", "h")
        cli("surface", "--model", "base.h5:/runs/sgd", "--data", TEST, "--grid",
            "-1:1:7,-0.5:0.5:5", "--out", "fig.h5", "--name", "s")

    def check_vectors(self, stem, width, height, dpi):
        with open(project(stem + ".pdf"), "rb") as f:
            pdf = f.read()
        self.assertTrue(pdf.startswith(b"%PDF-"))
        self.assertIn(b"%%EOF", pdf[-64:])
        # The page is width/dpi by height/dpi inches, in points (Qt rounds them to whole points).
        box = [float(v) for v in re.search(rb"/MediaBox\s*\[([^\]]*)\]", pdf).group(1).split()]
        self.assertAlmostEqual(box[2] - box[0], width / dpi * 72, delta=0.5)
        self.assertAlmostEqual(box[3] - box[1], height / dpi * 72, delta=0.5)
        with open(project(stem + ".svg"), encoding="utf-8") as f:
            svg = f.read()
        self.assertTrue(svg.startswith("<?xml"))
        self.assertTrue(svg.rstrip().endswith("</svg>"))
        head = re.search(r"<svg\b[^>]*>", svg).group(0)
        self.assertIn(f'viewBox="0 0 {width} {height}"', head)
        millimetres = float(re.search(r'width="([0-9.]+)mm"', head).group(1))
        self.assertAlmostEqual(millimetres, width / dpi * 25.4, delta=0.01)

    def test_density_to_png_pdf_and_svg_at_the_requested_size_and_dpi(self):
        doc = cli("render", "--project", "fig.h5", "--analysis", "h", "--out", "density.png",
                  "--out", "density.pdf", "--out", "density.svg", "--width", "640", "--height",
                  "480", "--dpi", "150")
        self.assertEqual([(f["view"], f["file"]) for f in doc["files"]],
                         [("density", "density." + ext) for ext in ("png", "pdf", "svg")])
        png = read_png(project("density.png"))
        self.assertEqual((png["width"], png["height"]), (640, 480))
        self.assertAlmostEqual(png["dpi"], 150, delta=0.1)
        self.assertGreater(len(set(png["pixels"])), 10)  # something was drawn
        self.check_vectors("density", 640, 480, 150)
        # The same pixels at twice the DPI: same pixel size, half the page, larger lettering.
        cli("render", "--project", "fig.h5", "--analysis", "h", "--out", "density300.png",
            "--out", "density300.pdf", "--out", "density300.svg", "--width", "640", "--height",
            "480", "--dpi", "300")
        png300 = read_png(project("density300.png"))
        self.assertEqual((png300["width"], png300["height"]), (640, 480))
        self.assertAlmostEqual(png300["dpi"], 300, delta=0.1)
        self.assertNotEqual(png300["pixels"], png["pixels"])
        self.check_vectors("density300", 640, 480, 300)

    def test_connectivity_paths_render(self):
        cli("connect", "--model", "base.h5:/runs/sgd", "--to", "zoo:mlp", "--data", TEST,
            "--test-data", TRAIN, "--epochs", "1", "--points", "5", "--out", "fig.h5", "--name", "c")
        doc = cli("render", "--project", "fig.h5", "--analysis", "c", "--view", "path-loss",
                  "--out", "paths.png", "--width", "400", "--height", "300")
        self.assertEqual([f["view"] for f in doc["files"]], ["path-loss"])
        self.assertGreater(len(set(read_png(project("paths.png"))["pixels"])), 10)

    def test_surface_views_to_png_pdf_and_svg(self):
        doc = cli("render", "--project", "fig.h5", "--analysis", "s", "--view", "contour",
                  "--out", "s.png", "--out", "s.pdf", "--out", "s.svg", "--width", "400",
                  "--height", "300", "--dpi", "100")
        self.assertEqual(sorted(f["file"] for f in doc["files"]), ["s.pdf", "s.png", "s.svg"])
        png = read_png(project("s.png"))
        self.assertEqual((png["width"], png["height"]), (400, 300))
        self.assertAlmostEqual(png["dpi"], 100, delta=0.1)
        self.check_vectors("s", 400, 300, 100)
        # All views: FILE-VIEW.ext for each; the 3-D surface PNG needs a display.
        args = ["render", "--project", "fig.h5", "--analysis", "s", "--out", "all.png",
                "--out", "all.pdf", "--out", "all.svg", "--width", "400", "--height", "300"]
        if not os.environ.get("DISPLAY"):
            err = cli(*args, expect=1)
            self.assertIn("xvfb-run", err)
            return
        doc = cli(*args)
        files = sorted(f["file"] for f in doc["files"])
        self.assertEqual(files, sorted(f"all-{view}.{ext}" for view in ("surface", "contour")
                                       for ext in ("png", "pdf", "svg")))
        surface = read_png(project("all-surface.png"))
        self.assertEqual((surface["width"], surface["height"]), (400, 300))
        self.assertAlmostEqual(surface["dpi"], 300, delta=0.1)  # the default
        self.assertGreater(len(set(surface["pixels"])), 10)
        self.check_vectors("all-surface", 400, 300, 300)

    def test_bad_entries_name_the_problem_and_write_nothing(self):
        err = cli("render", "--project", "fig.h5", "--analysis", "nope", "--out", "bad.png",
                  expect=1)
        self.assertIn("nope", err)
        err = cli("render", "--project", "fig.h5", "--analysis", "h", "--view", "surface",
                  "--out", "bad.svg", expect=1)
        self.assertIn("available: density", err)
        err = cli("render", "--project", "fig.h5", "--analysis", "h", "--out", "bad.bmp",
                  expect=1)
        self.assertIn(".png", err)
        err = cli("render", "--project", "missing.h5", "--analysis", "h", "--out", "bad.png",
                  expect=1)
        self.assertIn("missing.h5", err)
        err = cli("render", "--out", "bad.png", expect=1)
        self.assertIn("--project", err)
        self.assertEqual([n for n in os.listdir(WORK) if n.startswith("bad")], [])


class Sharpness(unittest.TestCase):
    """flatland-cli sharpness and rescale: the JSON, what is stored, and the rescaling invariance."""

    ARGS = ["--data", TRAIN, "--samples", "200", "--rho", "0.05,0.1", "--sigma", "0.01",
            "--draws", "2", "--steps", "3", "--trace-samples", "5", "--relative-flatness-samples", "4",
            "--pac-bayes-iterations", "6"]

    def test_runs_rank_every_measure_against_the_generalisation_gap(self):
        for run, epochs, lr in (("slow", "1", "0.01"), ("mid", "2", "0.05"), ("fast", "3", "0.1")):
            cli("train", "--model", "zoo:mlp", "--data", TRAIN, "--test-data", TEST, "--epochs", epochs,
                "--lr", lr, "--out", "gen.h5", "--run", run)
        doc = cli("sharpness", "--runs", "slow,mid,fast", *self.ARGS, "--test-data", TEST,
                  "--no-fisher-rao", "--no-relative-flatness", "--out", "gen.h5", "--name", "gen")
        self.assertEqual(doc["runs"], ["slow", "mid", "fast"])
        self.assertEqual(len(doc["gap_accuracy"]), 3)
        names = [m["name"] for m in doc["measures"]]
        for name in ("lambda_max", "trace", "worst_case_rho_0.05", "random_rho_0.1",
                     "gaussian_sigma_0.01", "pac_bayes_inverse_sigma2", "weight_norm"):
            self.assertIn(name, names)
        for m in doc["measures"]:
            self.assertEqual(len(m["values"]), 3)
            self.assertLessEqual(abs(m["kendall_tau_accuracy_gap"]), 1.0)
        self.assertEqual(doc["sharpness_analyses"], ["/analyses/gen-slow", "/analyses/gen-mid",
                                                     "/analyses/gen-fast"])
        with h5py.File(project("gen.h5")) as f:
            g = f["analyses/gen"]
            self.assertEqual(g.attrs["kind"], "generalization")
            self.assertEqual(list(g["measures"].attrs["names"]), names)
            np.testing.assert_allclose(g["gap_accuracy"][()], doc["gap_accuracy"])
            np.testing.assert_allclose(g["kendall_tau_accuracy_gap"][()],
                                       [m["kendall_tau_accuracy_gap"] for m in doc["measures"]])
            self.assertEqual(f["analyses/gen-mid"].attrs["kind"], "sharpness")
        self.assertIn("two or more", cli("sharpness", "--runs", "slow", *self.ARGS, "--test-data", TEST,
                                         "--out", "gen.h5", expect=1))
        self.assertIn("test-data", cli("sharpness", "--runs", "slow,mid", *self.ARGS, "--out", "gen.h5",
                                       expect=1))

    def test_measures_are_reported_and_stored(self):
        doc = cli("sharpness", "--model", "base.h5:/runs/sgd", *self.ARGS, "--test-data", TEST,
                  "--out", "sharp.h5", "--name", "s")
        self.assertEqual([w["rho"] for w in doc["worst_case"]], [0.05, 0.1])
        self.assertEqual([p["rho"] for p in doc["random_directions"]], [0.05, 0.1])
        for w in doc["worst_case"]:
            self.assertGreaterEqual(w["loss_increase"], 0.0)
        # A larger ball holds every perturbation of the smaller one and the ascent starts at a
        # scaled copy of the same draw: on this smooth problem the increase grows with rho.
        self.assertGreater(doc["worst_case"][1]["loss_increase"], doc["worst_case"][0]["loss_increase"])
        self.assertEqual(doc["gaussian"][0]["draws"], 2)
        self.assertGreater(doc["lambda_max"], 0.0)
        self.assertGreater(doc["pac_bayes"]["sigma"], 0.0)
        self.assertGreater(doc["fisher_rao_norm"], 0.0)
        self.assertEqual(doc["relative_flatness"]["parameter"], "layers.5.weight")
        gap = doc["generalization_gap"]
        self.assertAlmostEqual(gap["loss"], gap["test_loss"] - doc["loss"], places=12)
        self.assertAlmostEqual(gap["accuracy"], doc["accuracy"] - gap["test_accuracy"], places=12)
        self.assertEqual(doc["analysis"], "/analyses/s")
        with h5py.File(project("sharp.h5")) as f:
            a = f["analyses/s"]
            self.assertEqual(a.attrs["kind"], "sharpness")
            self.assertEqual(a.attrs["complete"], 1)
            self.assertAlmostEqual(a.attrs["lambda_max"], doc["lambda_max"], places=12)
            np.testing.assert_allclose(a["worst_case/rho"][()], [0.05, 0.1])
            np.testing.assert_allclose(a["worst_case/loss_increase"][()],
                                       [w["loss_increase"] for w in doc["worst_case"]], rtol=1e-12)
            np.testing.assert_allclose(a["random_directions/accuracy_std"][()],
                                       [p["accuracy_std"] for p in doc["random_directions"]])
            np.testing.assert_allclose(a["gaussian/loss_increase_stderr"][()],
                                       [g["loss_increase_stderr"] for g in doc["gaussian"]])
            self.assertEqual(len(a["weight_norms/norms"][()]), len(doc["weight_norms"]["names"]))
            settings = json.loads(a.attrs["settings"])
            self.assertEqual(settings["rho"], "0.05,0.1")
            self.assertEqual(settings["norm"], "l2")
        info = cli("info", "sharp.h5")
        self.assertEqual(info["analyses"][0]["kind"], "sharpness")

    def test_rescaled_model_changes_lambda_max_not_adaptive_sharpness(self):
        r = cli("rescale", "--model", "base.h5:/runs/sgd", "--data", TRAIN, "--layer", "layers.1",
                "--alpha", "3", "--out", "rescaled.h5", "--run", "r")
        self.assertEqual(r["model"], "rescaled.h5:/runs/r")
        self.assertEqual(r["next"], "layers.3.weight")
        self.assertLess(r["max_output_change"], 1e-5)  # float32 rounding of 3w and w/3
        common = [*self.ARGS, "--adaptive", "--asam-eta", "0", "--pac-bayes-threshold", "0",
                  "--no-fisher-rao", "--no-relative-flatness", "--out", ""]
        before = cli("sharpness", "--model", "base.h5:/runs/sgd", *common)
        after = cli("sharpness", "--model", r["model"], *common)
        self.assertIsNone(after["analysis"])
        self.assertAlmostEqual(after["loss"], before["loss"], delta=1e-5 * before["loss"])
        # lambda_max is not invariant (Dinh et al. 2017); adaptive sharpness with eta = 0 is, up to
        # float32 rounding of the perturbed losses (~1e-6 of a loss of ~0.1).
        self.assertGreater(abs(after["lambda_max"] - before["lambda_max"]), 0.05 * before["lambda_max"])
        for a, b in zip(after["worst_case"], before["worst_case"]):
            self.assertAlmostEqual(a["loss_increase"], b["loss_increase"], delta=1e-5)
        err = cli("rescale", "--model", "base.h5:/runs/sgd", "--data", TRAIN, "--layer", "layers.5",
                  "--out", "rescaled.h5", "--run", "bad", expect=1)
        self.assertIn("layers.1, layers.3, layers.5", err)
        err = cli("rescale", "--model", "base.h5:/runs/sgd", "--data", TRAIN, "--layer", "layers.1",
                  "--out", "rescaled.h5", "--run", "r", expect=1)
        self.assertIn("already has a run named 'r'", err)

    def test_bad_settings_are_refused(self):
        err = cli("sharpness", "--model", "zoo:mlp", "--data", TRAIN, "--rho", "0.1,-1", expect=1)
        self.assertIn("--rho", err)
        err = cli("sharpness", "--model", "zoo:mlp", "--data", TRAIN, "--samples", "50", "--m", "51",
                  "--out", "", expect=1)
        self.assertIn("--m", err)
        err = cli("sharpness", "--model", "zoo:mlp", "--data", TRAIN, "--norm", "l3", expect=1)
        self.assertIn("l2, linf", err)


class Usage(unittest.TestCase):
    def test_version_and_help(self):
        done = raw("--version")
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                               "CMakeLists.txt")) as f:
            version = re.search(r"project\(\w+ VERSION ([0-9.]+)", f.read()).group(1)
        lines = done.stdout.strip().splitlines()
        self.assertEqual(lines[0], f"flatland-cli {version}")
        # The LibTorch it was built with, and the devices it sees.
        self.assertRegex(lines[1], r"^LibTorch \d+\.\d+")
        self.assertTrue(lines[2].startswith("devices: cpu"), lines)
        done = raw("--help")
        self.assertEqual(done.returncode, 0, done.stderr)
        for command in ("info", "eval", "train", "hessian", "surface", "quantize", "export"):
            self.assertRegex(done.stdout, rf"\n\s+{command}\s")
        self.assertIn("--json", done.stdout)
        done = raw("hessian", "--help")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("--batch-sweep", done.stdout)

    def test_unknown_commands_and_flags_fail_with_a_message(self):
        for args, words in ((["bogus"], ["subcommand"]), ([], ["subcommand"]),
                            (["--bogus", "info", "base.h5"], ["--bogus"]),
                            (["info", "--bogus", "base.h5"], ["--bogus"]),
                            (["train", "--model", "zoo:mlp", "--data", TRAIN, "--run", "r"], ["--out"])):
            done = raw(*args)
            self.assertNotEqual(done.returncode, 0, args)
            self.assertEqual(done.stdout, "", args)
            for word in words:
                self.assertIn(word, done.stderr, args)
            self.assertIn("--help", done.stderr, args)

    def test_out_of_range_values_name_the_option_and_the_range(self):
        base = ["train", "--model", "zoo:mlp", "--data", TRAIN, "--test-data", TEST,
                "--out", "range.h5", "--run", "r"]
        for flag, value, words in (("--batch-size", "0", ["0 is out of range", "1 to 1048576 samples"]),
                                   ("--lr", "1e300", ["1e300 is out of range", "above 0"]),
                                   ("--lr", "fast", ["'fast' is not a number"]),
                                   ("--epochs", "2.5", ["not a whole number"]),
                                   ("--optimizer", "sgdd", ["sgd, adamw, sam, msam"]),
                                   ("--device", "gpu", ["auto, cpu, cuda"])):
            err = cli(*base, flag, value, expect=1)
            self.assertIn(flag + ":", err)
            for word in words:
                self.assertIn(word, err, (flag, value))
            self.assertLess(max(len(w) for w in err.split()), 80, err)  # no 309-digit bounds
        self.assertFalse(os.path.exists(project("range.h5")))
        err = cli("hessian", "--model", "base.h5:/runs/sgd", "--data", TEST, "--top-k", "-1",
                  "--out", "", expect=1)
        self.assertIn("--top-k: -1 is out of range: 0 to 1000 eigenvalues", err)

    def test_a_misspelt_option_is_named_before_missing_ones(self):
        done = raw("train", "--modle", "zoo:mlp", "--data", TRAIN)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("unknown option '--modle'", done.stderr)
        self.assertIn("--help", done.stderr)
        self.assertNotIn("--out is required", done.stderr)

    def test_threads_are_bounded_by_the_hardware(self):
        done = raw("--threads", "100000", "info", "base.h5")
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("--threads", done.stderr)
        self.assertIn("hardware thread", done.stderr)
        self.assertEqual(raw("--threads", "1", "info", "base.h5").returncode, 0)

    def test_help_shows_each_settings_range_and_default(self):
        done = raw("train", "--help")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("samples per step [1 to 1048576 samples]", done.stdout)
        self.assertRegex(done.stdout, r"--optimizer CHOICE=sgd")



class Storage(unittest.TestCase):
    def test_a_project_is_an_index_and_its_folder_and_packs_into_one_file(self):
        with h5py.File(project("base.h5")) as f:
            self.assertEqual(f.attrs["storage"], "split")
            link = f["runs"].get("sgd", getlink=True)
            self.assertIsInstance(link, h5py.ExternalLink)
            self.assertTrue(link.filename.startswith("base.flatland/"))
        self.assertIn("an index and its folder", raw("info", "base.h5").stdout)
        for name in ("send.h5", "back.h5"):
            if os.path.exists(project(name)):
                os.remove(project(name))
        shutil.rmtree(project("back.flatland"), ignore_errors=True)
        self.assertEqual(cli("pack", "base.h5", "--out", "send.h5")["out"], "send.h5")
        self.assertFalse(os.path.exists(project("send.flatland")))
        with h5py.File(project("base.h5")) as a, h5py.File(project("send.h5")) as b:
            self.assertNotIn("storage", b.attrs)
            self.assertIsInstance(b["runs"].get("sgd", getlink=True), h5py.HardLink)
            np.testing.assert_array_equal(a["runs/sgd/metrics/test_loss"][()],
                                          b["runs/sgd/metrics/test_loss"][()])
            names = sorted(a["runs/sgd/checkpoints"])
            self.assertEqual(sorted(b["runs/sgd/checkpoints"]), names)
        self.assertIn("one file", raw("info", "send.h5").stdout)
        # The packed checkpoint is the same model.
        losses = [cli("eval", "--model", f"{p}:/runs/sgd", "--data", TEST)["loss"]
                  for p in ("base.h5", "send.h5")]
        self.assertEqual(losses[0], losses[1])
        self.assertTrue(cli("unpack", "send.h5", "--out", "back.h5")["changed"])
        self.assertTrue(os.path.isdir(project("back.flatland")))
        self.assertEqual(cli("eval", "--model", "back.h5:/runs/sgd", "--data", TEST)["loss"],
                         losses[0])
        self.assertTrue(cli("unpack", "send.h5")["changed"])  # in place
        self.assertFalse(cli("unpack", "send.h5")["changed"])
        self.assertIn("exists", cli("unpack", "base.h5", "--out", "back.h5", expect=1))
        self.assertIn("other than", cli("pack", "base.h5", "--out", "base.h5", expect=1))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], *sys.argv[3:]], verbosity=2)

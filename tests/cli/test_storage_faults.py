#!/usr/bin/env python3
"""flatland-cli on broken files, full disks and hostile names (issue #12, storage findings).

Usage: test_storage_faults.py FLATLAND_CLI WORK_DIR [unittest arguments]

Every failure must be one clear line and the clean exit code: no HDF5 diagnostics at exit, no
crash, no LibTorch backtrace, no temporary copy left behind, and a run that failed says so.
A full disk is injected with FLATLAND_TEST_FAIL_COMMITS (the project file's test hook); a real
one is a 3 MiB tmpfs when this process may mount one (root), and that test is skipped otherwise.
"""
import datetime
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

CLI, WORK = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
ENV = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
ENV.pop("FLATLAND_TEST_FAIL_COMMITS", None)
TRAIN = "synthetic:blobs:400:1"
TEST = "synthetic:blobs:200:2"
HDF5_NOISE = ("infinite loop closing library", "HDF5-DIAG", "H5F__close_cb")


def run(*args, env=None, cwd=None):
    return subprocess.run([CLI, *args], cwd=cwd or WORK, env=env or ENV, capture_output=True,
                          text=True, timeout=300)


def path(name):
    return os.path.join(WORK, name)


def copy_project(source, target):
    """An independent copy of a (split) project: its own index and folder, written by unpack."""
    done = run("unpack", path(source), "--out", path(target))
    assert done.returncode == 0, done.stderr


def setUpModule():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    done = run("train", "--model", "zoo:mlp", "--data", TRAIN, "--test-data", TEST, "--epochs",
               "3", "--lr", "0.05", "--out", "base.h5", "--run", "sgd")
    assert done.returncode == 0, done.stderr


class Base(unittest.TestCase):
    def assertCleanError(self, done, code=1, *fragments):
        """One error line with the fragments, exit `code`, nothing from HDF5 or LibTorch after it."""
        self.assertEqual(done.returncode, code, done.stderr)
        for noise in HDF5_NOISE + ("Exception raised from", "frame #"):
            self.assertNotIn(noise, done.stderr)
        self.assertIn("error:", done.stderr)
        for fragment in fragments:
            self.assertIn(fragment, done.stderr)

    def assertNoTemporaries(self, directory=WORK):
        self.assertEqual(glob.glob(os.path.join(directory, ".*.tmp-*")), [])


class StorageFaults(Base):
    # ------------------------------------------------------------ 1: errors leave HDF5 clean
    def test_broken_projects_and_data_files_fail_cleanly(self):
        with h5py.File(path("nogroup.h5"), "w") as f:
            f.attrs["format"] = "flatland-project"
            f.attrs["version"] = 1
            f.create_group("runs")
            f["analyses"] = np.arange(3)
        self.assertCleanError(run("info", "nogroup.h5"), 1, "'/analyses'", "not a group")
        self.assertCleanError(run("eval", "--model", "nogroup.h5:/runs/r", "--data", TEST), 1,
                              "nogroup.h5", "'r'")
        with h5py.File(path("data.h5"), "w") as f:
            f.create_group("x")
            f["y"] = np.zeros(4, dtype="int64")
        self.assertCleanError(run("eval", "--model", "zoo:mlp", "--data", "h5:data.h5"), 1,
                              "data.h5", "/x is not a dataset")

    # ------------------------------------------------------------ 2, 3: a full disk
    def test_a_full_disk_during_a_surface_keeps_the_file_and_exits_cleanly(self):
        copy_project("base.h5", "full.h5")
        env = dict(ENV, FLATLAND_TEST_FAIL_COMMITS="3-")
        done = run("surface", "--model", "base.h5:/runs/sgd", "--data", TEST, "--grid",
                   "-1:1:9,-1:1:9", "--out", "full.h5", "--name", "s", "--commit-seconds",
                   "0.001", env=env)
        self.assertCleanError(done, 1, "disk is full", "No space left on device", "full.h5")
        self.assertNoTemporaries()
        # The file opens, with the surface's first block and the run intact.
        info = run("--json", "info", "full.h5")
        self.assertEqual(info.returncode, 0, info.stderr)
        with h5py.File(path("full.h5")) as f:
            self.assertEqual(f["analyses/s"].attrs["complete"], 0)
            self.assertEqual(f["runs/sgd"].attrs["status"], "finished")

    def test_a_create_on_a_full_disk_says_so(self):
        env = dict(ENV, FLATLAND_TEST_FAIL_COMMITS="1")
        done = run("train", "--model", "zoo:mlp", "--data", TRAIN, "--test-data", TEST,
                   "--epochs", "1", "--out", "new.h5", "--run", "r", env=env)
        self.assertCleanError(done, 1, "disk is full", "new.h5")
        self.assertFalse(os.path.exists(path("new.h5")))
        self.assertNoTemporaries()

    def test_a_run_stopped_by_a_full_disk_is_marked_failed(self):
        # Writes: 1 the new index; 2-4 the run's start with its epoch-0 checkpoint (the
        # checkpoint's file, the run's, the index); 5 epoch 1's checkpoint (fails); then the run
        # marked failed.
        env = dict(ENV, FLATLAND_TEST_FAIL_COMMITS="5")
        done = run("train", "--model", "zoo:mlp", "--data", TRAIN, "--test-data", TEST,
                   "--epochs", "2", "--out", "failed.h5", "--run", "r", env=env)
        self.assertCleanError(done, 1, "disk is full")
        with h5py.File(path("failed.h5")) as f:
            self.assertEqual(f["runs/r"].attrs["status"], "failed")
            self.assertIn("disk is full", f["runs/r"].attrs["message"])

    def test_a_real_full_disk(self):
        mount = tempfile.mkdtemp(prefix="flatland-full-")
        try:
            if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mount],
                              capture_output=True).returncode != 0:
                self.skipTest("cannot mount a tmpfs here; the injected full-disk tests cover it")
            try:
                copy_project("base.h5", os.path.join(mount, "p.h5"))
                # Fill the rest of the file system but a little.
                filler = os.path.join(mount, "filler")
                fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
                try:
                    while True:
                        os.write(fd, b"\0" * 65536)
                except OSError:
                    pass
                finally:
                    os.close(fd)
                os.truncate(filler, max(0, os.path.getsize(filler) - 256 * 1024))
                done = run("surface", "--model", "base.h5:/runs/sgd", "--data", TEST, "--grid",
                           "-1:1:41,-1:1:41", "--out", os.path.join(mount, "p.h5"), "--name",
                           "s", "--commit-seconds", "0.05")
                self.assertCleanError(done, 1, "disk is full")
                self.assertNoTemporaries(mount)
                with h5py.File(os.path.join(mount, "p.h5")) as f:
                    self.assertEqual(f["runs/sgd"].attrs["status"], "finished")
            finally:
                subprocess.run(["umount", "-l", mount])
        finally:
            os.rmdir(mount)

    # ------------------------------------------------------------ 4: stale temporary copies
    def test_stale_temporary_copies_are_removed_and_live_ones_kept(self):
        copy_project("base.h5", "tmp.h5")
        child = subprocess.Popen(["true"])
        child.wait()  # a PID that is no longer alive
        stale = path(f".tmp.h5.tmp-{child.pid}")
        live = path(f".tmp.h5.tmp-{os.getpid()}")
        for name in (stale, live):
            with open(name, "wb") as f:
                f.write(b"x" * 1000)
        done = run("surface", "--model", "base.h5:/runs/sgd", "--data", TEST, "--grid",
                   "-1:1:3", "--out", "tmp.h5", "--name", "t")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertFalse(os.path.exists(stale))
        self.assertTrue(os.path.exists(live))
        os.remove(live)

    # ------------------------------------------------------------ 5: resume and default names
    def test_a_resume_with_other_settings_is_refused_naming_them(self):
        copy_project("base.h5", "resume.h5")
        args = ["surface", "--model", "base.h5:/runs/sgd", "--data", TEST, "--out", "resume.h5",
                "--name", "x"]
        self.assertEqual(run(*args, "--grid", "-1:1:5,-1:1:5").returncode, 0)
        with h5py.File(path("resume.h5"), "r+") as f:
            f["analyses/x"].attrs["complete"] = 0
        done = run(*args, "--grid", "-3:3:3", "--seed", "5", "--norm", "layer")
        self.assertCleanError(done, 1, "cannot resume", "grid", "seed", "norm")
        self.assertNotIn("resuming", done.stderr)
        # The same settings resume.
        done = run(*args, "--grid", "-1:1:5,-1:1:5")
        self.assertEqual(done.returncode, 0, done.stderr)

    def test_default_names_never_resume_or_merge(self):
        copy_project("base.h5", "names.h5")
        # Unfinished surfaces named as the next seconds' defaults would be: the old code resumed them.
        now = datetime.datetime.now(datetime.timezone.utc)
        with h5py.File(path("names.h5"), "r+") as f:
            for s in range(0, 30):
                stamp = (now + datetime.timedelta(seconds=s)).strftime("%Y-%m-%dT%H_%M_%SZ")
                g = f.create_group(f"analyses/surface-{stamp}")
                g.attrs["kind"] = "surface"
                g.attrs["complete"] = 0
        before = len(h5py.File(path("names.h5"), "r")["analyses"])
        for _ in range(2):
            done = run("--json", "surface", "--model", "base.h5:/runs/sgd", "--data", TEST,
                       "--grid", "-1:1:3", "--out", "names.h5")
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertNotIn("resuming", done.stderr)
        with h5py.File(path("names.h5"), "r") as f:
            self.assertEqual(len(f["analyses"]), before + 2)

    # ------------------------------------------------------------ 6: names and odd files
    def test_run_names_that_are_paths_are_refused(self):
        for name in ("a/b", ".", ".."):
            done = run("train", "--model", "zoo:mlp", "--data", TRAIN, "--test-data", TEST,
                       "--epochs", "1", "--out", "names-run.h5", "--run", name)
            self.assertCleanError(done, 1, f"run name '{name}'")
        self.assertFalse(os.path.exists(path("names-run.h5")))

    def test_info_skips_a_stray_dataset_under_analyses(self):
        copy_project("base.h5", "stray.h5")
        with h5py.File(path("stray.h5"), "r+") as f:
            f["analyses/stray"] = np.arange(3)
        done = run("info", "stray.h5")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("sgd", done.stdout)
        self.assertIn("stray", done.stdout)
        self.assertIn("skipped", done.stdout)

    def test_out_through_a_symbolic_link_keeps_the_link(self):
        os.makedirs(path("store"), exist_ok=True)
        copy_project("base.h5", "store/real.h5")
        if os.path.lexists(path("link.h5")):
            os.remove(path("link.h5"))
        os.symlink("store/real.h5", path("link.h5"))
        done = run("surface", "--model", "base.h5:/runs/sgd", "--data", TEST, "--grid",
                   "-1:1:3", "--out", "link.h5", "--name", "viaLink")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertTrue(os.path.islink(path("link.h5")))
        with h5py.File(path("store/real.h5"), "r") as f:
            self.assertIn("viaLink", f["analyses"])
        self.assertNoTemporaries()
        self.assertNoTemporaries(path("store"))

    # ------------------------------------------------------------ 7: one line, no LibTorch trace
    def test_damaged_data_gives_one_line_errors(self):
        with h5py.File(path("labels.h5"), "w") as f:
            f["x"] = np.zeros((4, 8), dtype="float32")
            f["y"] = np.array([0, 1, 10 ** 12, 2], dtype="int64")
        self.assertCleanError(run("eval", "--model", "zoo:mlp", "--data", "h5:labels.h5"), 1,
                              "1000000000000")
        with h5py.File(path("labels.h5"), "r+") as f:
            f["y"][2] = 2 ** 63 - 1
        self.assertCleanError(run("eval", "--model", "zoo:mlp", "--data", "h5:labels.h5"), 1,
                              str(2 ** 63 - 1))
        self.assertCleanError(run("eval", "--model", "zoo:mlp", "--data",
                                  "synthetic:blobs:1000000000"), 1, "at most")
        with h5py.File(path("shape.h5"), "w") as f:
            f.create_dataset("x", shape=(2 ** 40, 8), dtype="float32")
            f.create_dataset("y", shape=(2 ** 40,), dtype="int64")
        self.assertCleanError(run("eval", "--model", "zoo:mlp", "--data", "h5:shape.h5"), 1,
                              "shape.h5")

    def test_nan_checkpoints_give_a_clear_pca_error(self):
        copy_project("base.h5", "nan.h5")
        with h5py.File(path("nan.h5"), "r+") as f:
            params = f["runs/sgd/checkpoints/epoch_0002/parameters"]
            name = sorted(params)[0]
            values = params[name][()]
            values.flat[0] = np.nan
            params[name][...] = values
        del params  # its file (a checkpoint's, behind a link) stays open and locked while named
        done = run("surface", "--dirs", "pca", "--run", "nan.h5:/runs/sgd", "--data", TEST,
                   "--out", "nan.h5", "--name", "p")
        self.assertCleanError(done, 1, "NaN")
        with h5py.File(path("nan.h5"), "r") as f:
            self.assertNotIn("p", f["analyses"])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:])

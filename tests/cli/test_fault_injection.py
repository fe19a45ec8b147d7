"""Fault injection for the project file (issue #12, docs/project-file.md "What this promises").

A seeded schedule of kill -9 during surface, train and hessian jobs: after each kill the project
opens, every result saved before the job is byte for byte as it was, and a surface killed again
and again and then resumed equals an uninterrupted run exactly. A full disk injected at each write
of a training job leaves the project intact with a clear error; two writers at once lose nothing;
a read-only project is read and refuses writes cleanly; a path with spaces and non-ASCII letters
works end to end.

Usage: test_fault_injection.py FLATLAND_CLI WORK_DIR [unittest arguments]
       (FLATLAND_FAULT_KILLS sets the number of kills, 50 by default; FLATLAND_FAULT_SEED the
       schedule's seed)
"""
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import unittest

import h5py
import numpy as np

CLI, WORK = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
ENV = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
ENV.pop("FLATLAND_TEST_FAIL_COMMITS", None)
KILLS = int(os.environ.get("FLATLAND_FAULT_KILLS", "50"))
SEED = int(os.environ.get("FLATLAND_FAULT_SEED", "12"))
TRAIN = "synthetic:blobs:400:1"
TEST = "synthetic:blobs:200:2"
# A surface long enough to be killed in the middle: many small commits.
# Each job below runs 2.5-4 s here, so most kills land in the middle of it.
SURFACE = ["surface", "--model", "ref.h5:/runs/sgd", "--data", TRAIN, "--grid",
           "-1:1:61,-1:1:61", "--seed", "4", "--commit-seconds", "0.02"]
NOISE = ("infinite loop closing library", "HDF5-DIAG", "Exception raised from", "frame #")


def run(*args, env=None, cwd=None):
    return subprocess.run([CLI, *args], cwd=cwd or WORK, env=env or ENV, capture_output=True,
                          text=True, timeout=600)


def ok(*args, **kwargs):
    done = run(*args, **kwargs)
    assert done.returncode == 0, f"flatland-cli {' '.join(args)}:\n{done.stderr}"
    return done


def path(name):
    return os.path.join(WORK, name)


def as_bytes(value):
    """A value's exact content: numbers as their bytes with type and shape, text as text."""
    a = np.asarray(value)
    if a.dtype.kind in "OSU":
        return repr(a.tolist()).encode()
    return a.tobytes() + f"{a.dtype}{a.shape}".encode()


def snapshot(project, tops=("runs", "analyses")):
    """Every attribute and dataset of the project, as bytes, by path (links followed)."""
    out = {}

    def walk(node, where):
        for key, value in node.attrs.items():
            out[f"{where}@{key}"] = as_bytes(value)
        if isinstance(node, h5py.Dataset):
            out[where] = as_bytes(node[()])
            return
        for name in node:
            walk(node[name], f"{where}/{name}")

    with h5py.File(project, "r") as f:
        for top in tops:
            if top in f:
                for name in f[top]:
                    walk(f[top][name], f"/{top}/{name}")
    return out


def entries(snap):
    return {"/".join(key.split("/")[:3]) for key in snap}


def linked_files(index):
    """The files the index reaches through its external links, recursively."""
    seen, queue = set(), [os.path.abspath(index)]
    while queue:
        name = queue.pop()
        if name in seen or not os.path.exists(name):
            continue
        seen.add(name)
        with h5py.File(name, "r") as f:
            def visit(group, where):
                for key in group:
                    link = group.get(key, getlink=True)
                    if isinstance(link, h5py.ExternalLink):
                        queue.append(os.path.normpath(
                            os.path.join(os.path.dirname(name), link.filename)))
                    elif isinstance(link, h5py.HardLink) and isinstance(group[key], h5py.Group):
                        visit(group[key], f"{where}/{key}")
            visit(f, "")
    return seen


def setUpModule():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    ok("train", "--model", "zoo:mlp", "--data", TRAIN, "--test-data", TEST, "--epochs", "3",
       "--lr", "0.05", "--out", "ref.h5", "--run", "sgd")
    ok("hessian", "--model", "ref.h5:/runs/sgd", "--data", TEST, "--top-k", "2", "--out",
       "ref.h5", "--name", "h0")
    # The uninterrupted surface every resumed one must equal.
    ok(*SURFACE, "--out", "clean.h5", "--name", "s")


class Faults(unittest.TestCase):
    def assertClean(self, done, *fragments):
        self.assertNotEqual(done.returncode, 0)
        for noise in NOISE:
            self.assertNotIn(noise, done.stderr)
        self.assertLess(done.returncode, 128, f"died from a signal:\n{done.stderr}")
        for fragment in fragments:
            self.assertIn(fragment, done.stderr)

    def test_kill_9_at_random_moments(self):
        ok("unpack", "ref.h5", "--out", "kill.h5")
        rng = random.Random(SEED)
        # The surface "resumed" is killed and resumed until it is complete; later surface jobs
        # are new ones, so they too are killed in the middle.
        surface = {"name": "resumed"}
        jobs = {
            "surface": lambda k: [*SURFACE, "--out", "kill.h5", "--name", surface["name"]],
            "train": lambda k: ["train", "--model", "zoo:mlp", "--data", TRAIN, "--test-data",
                                TEST, "--epochs", "200", "--out", "kill.h5", "--run", f"t{k}"],
            "hessian": lambda k: ["hessian", "--model", "ref.h5:/runs/sgd", "--data", TRAIN,
                                  "--top-k", "3", "--density", "--density-vectors", "8", "--out",
                                  "kill.h5", "--name", f"h{k}"],
        }
        killed = {name: 0 for name in jobs}
        for k in range(KILLS):
            kind = rng.choice(sorted(jobs))
            before = snapshot(path("kill.h5"))
            job = subprocess.Popen([CLI, *jobs[kind](k)], cwd=WORK, env=ENV,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # Within 1.6 s: most kills land mid-job even where jobs run faster than here (a run
            # of Debian's build had only 12 of 25 land with up to 2.5 s).
            time.sleep(rng.uniform(0.2, 1.6))
            if job.poll() is None:
                job.send_signal(signal.SIGKILL)
                killed[kind] += 1
            job.wait()
            own = f"/analyses/{surface['name']}" if kind == "surface" else None
            if kind == "surface" and job.returncode == 0:
                surface["name"] = f"s{k}"
            info = run("--json", "info", "kill.h5")
            self.assertEqual(info.returncode, 0, f"kill {k} ({kind}): {info.stderr}")
            after = snapshot(path("kill.h5"))
            # What the job did not write is byte for byte as it was.
            for key, value in before.items():
                if own and key.startswith(own):
                    continue
                self.assertIn(key, after, f"kill {k} ({kind}) lost {key}")
                self.assertEqual(after[key], value, f"kill {k} ({kind}) changed {key}")
        self.assertGreater(sum(killed.values()), KILLS // 2, killed)
        # The surface killed again and again, resumed to its end, equals the uninterrupted one.
        with h5py.File(path("kill.h5")) as f:
            complete = "resumed" in f["analyses"] and f["analyses/resumed"].attrs["complete"]
        if not complete:
            ok(*SURFACE, "--out", "kill.h5", "--name", "resumed")
        with h5py.File(path("kill.h5")) as f, h5py.File(path("clean.h5")) as g:
            self.assertEqual(f["analyses/resumed"].attrs["complete"], 1)
            for name in ("train_loss", "train_accuracy", "done"):
                np.testing.assert_array_equal(f["analyses/resumed"][name][()],
                                              g["analyses/s"][name][()], err_msg=name)
        # Nothing left behind: no temporary index, no part file the index does not reach.
        self.assertEqual(glob.glob(path(".kill.h5.tmp-*")), [])
        folder = path("kill.flatland")
        on_disk = {os.path.abspath(os.path.join(folder, n)) for n in os.listdir(folder)}
        self.assertEqual(on_disk - linked_files(path("kill.h5")), set())
        print(f"kills: {killed}", file=sys.stderr)

    def test_a_full_disk_at_each_write_of_a_training_job(self):
        reference = snapshot(path("ref.h5"))
        write = 0
        while True:
            write += 1
            name = f"full{write}.h5"
            ok("unpack", "ref.h5", "--out", name)
            env = dict(ENV, FLATLAND_TEST_FAIL_COMMITS=str(write))
            done = run("train", "--model", "zoo:mlp", "--data", TRAIN, "--test-data", TEST,
                       "--epochs", "2", "--out", name, "--run", "r", env=env)
            if done.returncode == 0:
                break  # past the job's last write
            self.assertClean(done, "disk is full")
            self.assertEqual(run("info", name).returncode, 0)
            after = snapshot(path(name))
            for key, value in reference.items():
                self.assertEqual(after.get(key), value, f"write {write}: {key}")
            with h5py.File(path(name)) as f:
                if "r" in f["runs"]:
                    self.assertIn(f["runs/r"].attrs["status"], ("failed",), f"write {write}")
            self.assertEqual(glob.glob(path(f".{name}.tmp-*")), [])
            self.assertLess(write, 40, "the job never got past its writes")
        self.assertGreater(write, 5)

    def test_two_writers_at_once_lose_nothing(self):
        ok("unpack", "ref.h5", "--out", "two.h5")
        jobs = [subprocess.Popen([CLI, *SURFACE, "--out", "two.h5", "--name", name], cwd=WORK,
                                 env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 text=True) for name in ("a", "b")]
        for job in jobs:
            _, err = job.communicate(timeout=600)
            self.assertEqual(job.returncode, 0, err)
        with h5py.File(path("two.h5")) as f, h5py.File(path("clean.h5")) as g:
            for name in ("a", "b"):
                np.testing.assert_array_equal(f[f"analyses/{name}/train_loss"][()],
                                              g["analyses/s/train_loss"][()])
            self.assertIn("sgd", f["runs"])

    def test_a_read_only_project_is_read_and_refuses_writes(self):
        os.makedirs(path("ro-src"), exist_ok=True)
        if not os.path.exists(path("ro-src/p.h5")):
            ok("unpack", "ref.h5", "--out", "ro-src/p.h5")
        target = path("ro")
        os.makedirs(target, exist_ok=True)
        mounted = subprocess.run(["mount", "--bind", "-o", "ro", path("ro-src"), target],
                                 capture_output=True).returncode == 0
        if mounted:
            subprocess.run(["mount", "-o", "remount,bind,ro", target], capture_output=True)
        try:
            if not mounted:
                if os.geteuid() == 0:
                    self.skipTest("root ignores file permissions and cannot bind-mount here")
                shutil.rmtree(target)
                shutil.copytree(path("ro-src"), target)
                for root, dirs, files in os.walk(target):
                    for name in files:
                        os.chmod(os.path.join(root, name), 0o444)
                os.chmod(os.path.join(target, "p.flatland"), 0o555)
                os.chmod(target, 0o555)
            before = snapshot(os.path.join(target, "p.h5"))
            self.assertEqual(run("info", "ro/p.h5").returncode, 0)
            ok("eval", "--model", "ro/p.h5:/runs/sgd", "--data", TEST)
            done = run("surface", "--model", "ro/p.h5:/runs/sgd", "--data", TEST, "--grid",
                       "-1:1:3", "--out", "ro/p.h5", "--name", "x")
            self.assertClean(done, "p.h5")
            self.assertEqual(snapshot(os.path.join(target, "p.h5")), before)
        finally:
            if mounted:
                subprocess.run(["umount", "-l", target])
            else:
                for root, dirs, files in os.walk(target):
                    os.chmod(root, 0o755)

    def test_a_path_with_spaces_and_non_ascii_letters(self):
        folder = path("mes projets/été 2026 – ünï")
        os.makedirs(folder, exist_ok=True)
        project = os.path.join(folder, "étude n°1.h5")
        ok("unpack", "ref.h5", "--out", project)
        ok("surface", "--model", f"{project}:/runs/sgd", "--data", TEST, "--grid", "-1:1:3",
           "--out", project, "--name", "s")
        doc = json.loads(ok("--json", "info", project).stdout)
        self.assertEqual(sorted(a["name"] for a in doc["analyses"]), ["h0", "s"])
        packed = os.path.join(folder, "à envoyer.h5")
        ok("pack", project, "--out", packed)
        self.assertEqual(snapshot(packed), snapshot(project))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], *sys.argv[3:]], verbosity=2)

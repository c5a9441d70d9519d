"""`coreopt bench` on Ray: a local cluster of two one-CPU nodes on 127.0.0.1 (`make test-ray`).

The nodes are `ray start --block` processes this module starts and ends by their pids (no
`ray stop`, which would end every Ray process of the user on the machine). Ray is imported
only inside the fixtures: the default tier collects this file without it.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from coreopt.cli.main import main
from coreopt.train import bench

pytestmark = pytest.mark.ray

PROBLEMS, OPTIMIZERS = ["wine-logreg", "noisy-quadratic"], ["adam", "gd"]
SETTINGS = dict(budget=2, seeds=1, epochs=2)
CLI = ["bench", "--problems", ",".join(PROBLEMS), "--optimizers", ",".join(OPTIMIZERS),
       "--budget", "2", "--seeds", "1", "--epochs", "2"]
WALL = ("wall_time", "seconds_to_target")  # the only fields that differ between runs
RAY = str(Path(sys.executable).parent / "ray")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_node(args, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [RAY, "start", "--block", "--num-cpus=1", "--node-ip-address=127.0.0.1",
         "--disable-usage-stats", "--object-store-memory=100000000",
         f"--dashboard-agent-listen-port={free_port()}", *args],
        stdout=log.open("w"), stderr=subprocess.STDOUT)


def wait_for_nodes(address: str, count: int, timeout: float = 120.0) -> None:
    ray = pytest.importorskip("ray")
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(address.split(":"), 1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, f"the Ray head at {address} did not start"
            time.sleep(0.5)
    ray.init(address=address, log_to_driver=False, configure_logging=False)
    try:
        while sum(n["Alive"] for n in ray.nodes()) < count:
            assert time.monotonic() < deadline, f"fewer than {count} Ray nodes at {address}"
            time.sleep(0.5)
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def cluster():
    """The address of a running two-node cluster (each node one CPU: two tasks at once)."""
    pytest.importorskip("ray", reason="Ray is not installed: pip install 'coreopt[ray]'")
    port, temp = free_port(), Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))  # short:
    address = f"127.0.0.1:{port}"  # Ray's socket paths under --temp-dir must stay < 108 chars
    nodes = [start_node(["--head", f"--port={port}", "--include-dashboard=false",
                         f"--ray-client-server-port={free_port()}", f"--temp-dir={temp}"],
                        temp / "head.log")]
    try:
        nodes.append(start_node([f"--address={address}"], temp / "worker.log"))
        wait_for_nodes(address, 2)
        yield address
    finally:
        for node in reversed(nodes):
            node.terminate()  # `ray start --block` ends the processes it started
        for node in reversed(nodes):
            try:
                node.wait(60)
            except subprocess.TimeoutExpired:
                node.kill()
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    bench.run(PROBLEMS, OPTIMIZERS, out=out, **SETTINGS)
    return lines_of(out)


def lines_of(out) -> list:
    return [json.loads(line) for line in (Path(out) / "results.jsonl").read_text().splitlines()]


def without_wall_times(lines) -> list:
    return [{k: v for k, v in line.items() if k not in WALL} for line in lines]


def test_a_ray_run_writes_what_a_local_run_writes_and_resumes(cluster, local, tmp_path):
    from coreopt.train.ray_backend import Ray

    records = bench.run(PROBLEMS, OPTIMIZERS, out=tmp_path, backend=Ray(cluster), **SETTINGS)
    lines = lines_of(tmp_path)
    assert len(lines) == 1 + 2 * 2 * 2  # the settings, then tune and seeds per job
    assert without_wall_times(lines) == without_wall_times(local)  # same order, same numbers
    assert records == lines[1:]
    assert all(line["wall_time"] > 0 for line in lines[1:])
    before = (tmp_path / "results.jsonl").read_bytes()
    assert main([*CLI, "--out", str(tmp_path), "--backend", "ray", "--address", cluster,
                 "--resume"]) == 0
    assert (tmp_path / "results.jsonl").read_bytes() == before  # all done: nothing trained


def test_a_killed_run_is_completed_on_ray(cluster, local, tmp_path):
    # The first job whole, the second's tune, and a torn line: what a kill can leave.
    text = "".join(json.dumps(line) + "\n" for line in local[:4]) + '{"problem": "wi'
    (tmp_path / "results.jsonl").write_text(text)
    assert main([*CLI, "--out", str(tmp_path), "--backend", "ray", "--address", cluster,
                 "--resume"]) == 0
    lines = lines_of(tmp_path)
    assert lines[:4] == local[:4]  # kept as they were, wall times included
    assert without_wall_times(lines) == without_wall_times(local)


def test_jobs_are_shared_over_both_nodes_and_come_back_in_order(cluster):
    from coreopt.train.ray_backend import Ray

    def job(spec):  # defined here, so Ray ships it by value to the workers
        import time

        import ray

        time.sleep(spec["sleep"])  # the first job ends last: order is the jobs', not theirs
        yield spec["index"], ray.get_runtime_context().get_node_id()

    specs = [{"index": i, "sleep": 4.0 if i == 0 else 0.5} for i in range(4)]
    results = list(Ray(cluster).map(job, specs))
    assert [records[0][0] for records in results] == [0, 1, 2, 3]
    assert len({records[0][1] for records in results}) == 2  # two nodes, one CPU each

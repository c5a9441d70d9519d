"""`coreopt bench` on a Ray cluster: one Ray task per (problem, optimizer) job.

`Ray(address)` is a backend for `coreopt.train.bench.run`: it connects to the
running cluster at `address` ("HOST:PORT", the head's GCS port, e.g. the one of
`ray start --head --port=6379`), submits every job not done yet as a task (one CPU
each), and hands back each job's records in the order of the jobs, so the driver
appends them exactly as a local run would. Every node needs coreopt installed (the
same version), and the driver the same Python and Ray as the cluster.

Ray is optional (`pip install 'coreopt[ray]'`) and imported only when a benchmark
runs here. Nothing waits forever: the address is tried with a plain socket first
(TCP connect, then the HTTP/2 preface a gRPC server like Ray's GCS answers; at most
`connect_timeout` seconds each) before Ray is, and each job's result is awaited at most
`timeout` seconds (then the rest are cancelled and `TimeoutError` names the job; the
jobs before it are kept, so the same command resumes).

Example:
    >>> from coreopt.train.ray_backend import Ray
    >>> Ray("127.0.0.1:6379")
    Ray(address='127.0.0.1:6379', timeout=3600.0)
    >>> Ray("localhost")
    Traceback (most recent call last):
    ...
    ValueError: The Ray address must be HOST:PORT (e.g. 127.0.0.1:6379); received 'localhost'.
"""

from __future__ import annotations

import logging
import socket

INSTALL = "Ray is not installed: pip install 'coreopt[ray]'"
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
START = "start a cluster with `ray start --head --port=6379` (then --address 127.0.0.1:6379)"


class RayUnavailable(ValueError):
    """Ray is not installed, or no cluster answers at the address."""


class Ray:
    """A Ray cluster as a backend of `coreopt.train.bench.run` (module docstring).

    Args:
        address: "HOST:PORT" of a running cluster's head.
        timeout: seconds to wait for each job's result (default: an hour).
        connect_timeout: seconds the TCP check of the address may take.

    Raises:
        ValueError: an address that is not HOST:PORT, or a timeout that is not > 0.
    """

    def __init__(self, address: str, *, timeout: float = 3600.0,
                 connect_timeout: float = 3.0):
        self.host, self.port = parse_address(address)
        self.address = address
        for name, value in (("timeout", timeout), ("connect_timeout", connect_timeout)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"`{name}` must be a number of seconds > 0; "
                                 f"received {value!r}.")
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout)

    def __repr__(self) -> str:
        return f"Ray(address={self.address!r}, timeout={self.timeout!r})"

    def check(self) -> None:
        """Ray importable and a gRPC server (a Ray head's GCS) at the address, or
        `RayUnavailable`; at most `connect_timeout` seconds for each socket step."""
        import_ray()
        try:
            answer = _grpc_probe(self.host, self.port, self.connect_timeout)
        except OSError as err:
            raise RayUnavailable(
                f"No Ray cluster is reachable at {self.address!r} ({err}); {START}, or pass "
                f"the address of a running one.") from None
        if not answer:
            raise RayUnavailable(
                f"{self.address!r} answers, but not as a Ray cluster's head (no gRPC reply "
                f"in {self.connect_timeout:g} s); {START}, or pass the head's GCS port.")

    def map(self, fn, jobs):
        """Runs `fn(job)` (a generator of records) for every job as Ray tasks; yields each
        job's records as a list, in the order of `jobs`."""
        jobs = list(jobs)
        if not jobs:
            return
        ray = import_ray()
        started = not ray.is_initialized()
        if started:
            ray.init(address=self.address, log_to_driver=False, logging_level=logging.WARNING,
                     configure_logging=False)
        try:
            yield from self._gather(ray, fn, jobs)
        finally:
            if started:
                ray.shutdown()

    def _gather(self, ray, fn, jobs):
        task = ray.remote(num_cpus=1)(_records)
        refs = [task.remote(fn, job) for job in jobs]
        for i, (ref, job) in enumerate(zip(refs, jobs)):
            try:
                records = ray.get(ref, timeout=self.timeout)
            except ray.exceptions.GetTimeoutError:
                for later in refs[i:]:
                    ray.cancel(later, force=True)
                raise TimeoutError(
                    f"The Ray job ({job['problem']}, {job['optimizer']}) did not finish in "
                    f"{self.timeout:g} s (timeout=); the jobs before it are saved, and the "
                    f"same command resumes.") from None
            yield records


def parse_address(address) -> tuple:
    """("HOST", PORT) from "HOST:PORT", or a ValueError naming the address.

    Example:
        >>> parse_address("127.0.0.1:6379")
        ('127.0.0.1', 6379)
    """
    host, sep, port = str(address).rpartition(":")
    if not isinstance(address, str) or not sep or not host or not port.isdigit() \
            or not 0 < int(port) < 65536:
        raise ValueError(f"The Ray address must be HOST:PORT (e.g. 127.0.0.1:6379); "
                         f"received {address!r}.")
    return host.strip("[]"), int(port)


def import_ray():
    """The `ray` module, or `RayUnavailable` with the install line."""
    try:
        import ray
    except ImportError:
        raise RayUnavailable(INSTALL + ".") from None
    return ray


def _grpc_probe(host: str, port: int, timeout: float) -> bool:
    """Whether the server at host:port speaks HTTP/2 (gRPC, as Ray's GCS does): it answers
    the client preface with a SETTINGS frame. Never blocks past `timeout` per step, where
    `ray.init` on a port that is not a GCS retries for minutes."""
    with socket.create_connection((host, port), timeout) as conn:
        conn.settimeout(timeout)
        conn.sendall(HTTP2_PREFACE + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        head = b""
        try:
            while len(head) < 9:
                chunk = conn.recv(9 - len(head))
                if not chunk:
                    break
                head += chunk
        except (TimeoutError, ConnectionResetError):
            return False
    return len(head) == 9 and head[3] == 0x04  # the frame type: SETTINGS


def _records(fn, job) -> list:
    """On a Ray worker: the job's records, all of them (a task returns once)."""
    return list(fn(job))

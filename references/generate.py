"""Writes the reference trajectories of torch.optim or optax to references/data/.

    python references/generate.py torch            # both dtypes
    python references/generate.py optax --dtype float64

Run it with the interpreter of an environment that has the library (see
`regenerate.sh`, which builds both). Each (library, dtype) pair becomes one
compressed NumPy archive, `<library>_<dtype>.npz`, holding:

    meta        a JSON string: library, dtype, versions (the library, numpy,
                python), date, the problem, and per row the optimizer and the
                exact keyword arguments passed to it
    s           the forcing s_k = 1 + sin(k), k = 1..STEPS, float64
    recorded    the steps after which the parameters were recorded (0: start)
    a.i b.i c.i x0.i    the problem's constants for parameter i, float64
    <row>.i     parameter i of row <row> at each recorded step, in the run's dtype

Every dtype is run in its own process (JAX's 64-bit switch is process-wide).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import problem  # noqa: E402

DTYPES = ("float32", "float64")


def _module(library: str):
    if library == "torch":
        import torch_runs

        return torch_runs
    if library == "optax":
        import optax_runs

        return optax_runs
    raise SystemExit(f"unknown library {library!r}: torch or optax")


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def write(library: str, dtype: str, out_dir: str) -> str:
    import numpy as np

    module = _module(library)
    consts, forcing = problem.constants(), problem.forcing()
    rows = module.run(dtype, consts, forcing)
    arrays = {"s": np.asarray(forcing, np.float64),
              "recorded": np.asarray(problem.RECORDED, np.int64)}
    for name in ("a", "b", "c", "x0"):
        for i, value in enumerate(consts[name]):
            arrays[f"{name}.{i}"] = np.asarray(value, np.float64)
    for row_id, row in rows.items():
        for i, values in enumerate(row["trajectory"]):
            arrays[f"{row_id}.{i}"] = values
    meta = {
        "library": library,
        "dtype": dtype,
        "versions": {**module.versions(), "numpy": np.__version__,
                     "python": platform.python_version()},
        "platform": f"{platform.system()} {platform.machine()}",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "problem": {
            "formula": problem.FORMULA,
            "shapes": [list(s) for s in problem.SHAPES],
            "steps": problem.STEPS,
            "recorded": problem.RECORDED,
            "source": "references/problem.py",
        },
        "rows": {row_id: _json_safe(row["config"]) for row_id, row in rows.items()},
    }
    arrays["meta"] = np.asarray(json.dumps(meta))
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{library}_{dtype}.npz")
    np.savez_compressed(path, **arrays)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", choices=("torch", "optax"))
    parser.add_argument("--dtype", choices=DTYPES, help="one dtype (default: each, in turn)")
    parser.add_argument("--out", default=os.path.join(HERE, "data"))
    args = parser.parse_args(argv)
    if args.dtype:
        path = write(args.library, args.dtype, args.out)
        print(f"wrote {os.path.relpath(path)} ({os.path.getsize(path)} bytes)")
        return
    for dtype in DTYPES:
        subprocess.run([sys.executable, os.path.abspath(__file__), args.library,
                        "--dtype", dtype, "--out", args.out], check=True)


if __name__ == "__main__":
    main()

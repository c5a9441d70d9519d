"""Records and surfaces for the plot tests, computed with NumPy from closed forms."""

from __future__ import annotations

import numpy as np

QUARTIC_MIN = 2 * (-1.125) ** 4 + 3 * (-1.125) ** 3 + 2
QUARTIC = {"name": "seed_quartic", "params": {"dim": 1}, "dim": 1, "domain": [[-2.0, 2.0]],
           "minimizers": [[-1.125]], "minimum": QUARTIC_MIN, "stationary": {"saddle": [[0.0]]},
           "start": [2.0], "tags": [], "description": "2x^4 + 3x^3 + 2", "strict_domain": False}
ROSENBROCK = {"name": "rosenbrock", "params": {"dim": 2}, "dim": 2,
              "domain": [[-2.0, 2.0], [-1.0, 3.0]], "minimizers": [[1.0, 1.0]], "minimum": 0.0,
              "stationary": {}, "start": [-1.5, 2.0], "tags": [], "description": "",
              "strict_domain": False}


def quartic(x):
    return 2 * x**4 + 3 * x**3 + 2


def quartic_grad(x):
    return 8 * x**3 + 9 * x**2


def rosenbrock(p):
    x, y = p[..., 0], p[..., 1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosenbrock_grad(p):
    x, y = p[..., 0], p[..., 1]
    return np.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)], axis=-1)


def surface_1d(n=201):
    x = np.linspace(-2.0, 2.0, n)
    return {"x": x.tolist(), "loss": quartic(x).tolist(), "grad": quartic_grad(x).tolist()}


def surface_2d(nx=60, ny=50):
    x, y = np.linspace(-2.0, 2.0, nx), np.linspace(-1.0, 3.0, ny)
    grid = np.stack(np.meshgrid(x, y), axis=-1)
    return {"x": x.tolist(), "y": y.tolist(), "loss": rosenbrock(grid).tolist()}


def gd_run(f, grad, init, learning_rate, max_iters=200, minimum=0.0, function="f"):
    """Gradient descent as a run record dict, with the guide's stopping rules."""
    x = np.asarray(init, np.float64)
    path, status = [x], "max_iters"
    with np.errstate(all="ignore"):
        for _ in range(max_iters):
            g = grad(x)
            if not np.all(np.isfinite(g)):
                status = "diverged"
                break
            new = x - learning_rate * g
            path.append(new)
            if np.array_equal(new, x):
                status = "converged"
                break
            x = new
        pts = np.asarray(path)
        loss = [float(f(p if p.size > 1 else p[0])) for p in pts]
        gnorm = [float(np.linalg.norm(grad(p))) for p in pts]
    steps = len(path) - 1
    return {"optimizer": "gd", "config": {"learning_rate": learning_rate}, "function": function,
            "init": list(init), "status": status, "iteration": steps, "steps": steps,
            "final": pts[-1].tolist(), "final_loss": loss[-1], "path": pts.tolist(),
            "loss": loss, "grad_norm": gnorm}


def quartic_runs():
    """Three runs from x = 2: two that converge and one that diverges."""
    return [gd_run(lambda x: quartic(x[0]) if np.ndim(x) else quartic(x), quartic_grad, [2.0],
                   lr, max_iters=150, function="seed_quartic")
            for lr in (0.01, 0.05, 0.3)]


def rosenbrock_runs():
    """Two runs from (-1.5, 2): one that makes progress, one that diverges."""
    return [gd_run(rosenbrock, rosenbrock_grad, [-1.5, 2.0], lr, max_iters=100,
                   function="rosenbrock") for lr in (1e-3, 5e-3)]

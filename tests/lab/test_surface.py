"""`surface`: the function on a grid, against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from coreopt.lab.surface import surface


def test_the_quartic_and_its_derivative():
    s = surface("seed_quartic", n=9)
    x = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(s["x"], x)
    np.testing.assert_allclose(s["loss"], 2 * x**4 + 3 * x**3 + 2, rtol=1e-12)
    np.testing.assert_allclose(s["grad"], 8 * x**3 + 9 * x**2, rtol=1e-12, atol=1e-12)


def test_rosenbrock_rows_are_y_and_columns_are_x():
    s = surface("rosenbrock", n=7)
    xx, yy = np.meshgrid(s["x"], s["y"])
    np.testing.assert_allclose(s["loss"], 100 * (yy - xx**2) ** 2 + (1 - xx) ** 2, rtol=1e-12)
    assert s["loss"].shape == (7, 7) and s["y"][0] == -1.0 and s["y"][-1] == 3.0


@pytest.mark.parametrize("args, kwargs, match", [
    (("rastrigin",), {"n": 1}, "n"),
    (("seed_quartic",), {"domain": [[1.0, -1.0]]}, "domain"),
])
def test_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        surface(*args, **kwargs)


def test_more_than_two_dimensions_says_what_fits():
    from coreopt import functions

    with pytest.raises(ValueError, match="curves instead"):
        surface(functions.get("rosenbrock", dim=5))

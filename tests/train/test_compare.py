"""`coreopt.train.compare`: the learning rate of each chain, and the settings' checks."""

from __future__ import annotations

import pytest

from coreopt.train.compare import optimizer_names, parse_hidden, parse_rates


def test_rates_of_chains():
    names = ["ema(momentum=0.9):adam", "sam:momentum", "lookahead:adam",
             "adam(learning_rate=0.5)", "clip_by_norm(clipnorm=1.0):lion", "ema:adagrad"]
    assert parse_rates("EMA( momentum=0.9 ):adam=0.01,sam:momentum=0.1", names) == {
        "ema(momentum=0.9):adam": 0.01, "sam:momentum": 0.1, "lookahead:adam": 2e-3,
        "adam(learning_rate=0.5)": None, "clip_by_norm(clipnorm=1.0):lion": 3e-4,
        "ema:adagrad": 0.05}
    assert parse_rates("adam(learning_rate=0.5)=0.2", names)["adam(learning_rate=0.5)"] == 0.2
    assert set(parse_rates("0.3", names).values()) == {0.3}


@pytest.mark.parametrize("text, match", [("adam,adam", "repeated"), ("", "at least one"),
                                         ("adamm", "adam")])
def test_bad_optimizer_names_name_the_flag(text, match):
    with pytest.raises(ValueError, match=match):
        optimizer_names(text)


@pytest.mark.parametrize("text", ["16,x", "0"])
def test_bad_widths_name_the_flag(text):
    with pytest.raises(ValueError, match="--hidden"):
        parse_hidden(text)

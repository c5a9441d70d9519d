from __future__ import annotations

import pytest

import coreopt

EXPECTED = ["gd", "momentum", "adam", "adamw", "adamax", "nadam", "rmsprop", "adagrad",
            "adadelta", "adafactor", "ftrl", "lion", "lamb"]


def test_names_lists_every_optimizer():
    assert coreopt.names() == EXPECTED


def test_get_builds_the_class_with_hyperparameters():
    opt = coreopt.get("adam", learning_rate=0.5, amsgrad=True)
    assert isinstance(opt, coreopt.Adam)
    assert opt.get_config()["learning_rate"] == 0.5 and opt.get_config()["amsgrad"] is True


def test_alias_and_case():
    assert isinstance(coreopt.get("SGD"), coreopt.GradientDescent)


def test_unknown_name_suggests():
    with pytest.raises(ValueError, match="Did you mean .*'adam'"):
        coreopt.get("adma")


def test_every_entry_has_a_description_and_docstring_example():
    for name in coreopt.names():
        entry = coreopt.entry(name)
        assert entry.description
        module = __import__(entry.cls.__module__, fromlist=["_"])
        assert ">>>" in module.__doc__ and "References" in module.__doc__


def test_double_registration_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        coreopt.register("adam", description="x")(type("Other", (), {}))

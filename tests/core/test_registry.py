"""The registry: names, aliases, capabilities read from the classes, chain names."""

from __future__ import annotations

import pytest

import coreopt
from coreopt.core import chains


def test_every_optimizer_module_registers_its_classes():
    import coreopt.optimizers as package

    registered = {coreopt.entry(n).cls for n in coreopt.names("all")}
    exported = {getattr(package, n) for n in package.__all__}
    assert exported <= registered
    assert set(coreopt.names()) | set(coreopt.names("wrapper")) == set(coreopt.names("all"))
    assert not set(coreopt.names()) & set(coreopt.names("wrapper"))


def test_get_builds_the_class_with_hyperparameters():
    opt = coreopt.get("adam", learning_rate=0.5, amsgrad=True)
    assert isinstance(opt, coreopt.Adam)
    assert opt.flat_config()["learning_rate"] == 0.5 and opt.flat_config()["amsgrad"] is True


def test_alias_and_case():
    assert isinstance(coreopt.get("SGD"), coreopt.GradientDescent)


def test_unknown_name_suggests():
    with pytest.raises(ValueError, match="Did you mean .*'adam'"):
        coreopt.get("adma")


def test_every_entry_has_a_description_and_docstring_example():
    for name in coreopt.names("all"):
        entry = coreopt.entry(name)
        assert entry.description
        module = __import__(entry.cls.__module__, fromlist=["_"])
        assert ">>>" in module.__doc__


def test_capabilities_come_from_the_class():
    for name in coreopt.names("all"):
        entry = coreopt.entry(name)
        assert entry.wrapper == issubclass(entry.cls, coreopt.Wrapper)
        assert entry.needs_closure == entry.cls.needs_closure
        assert ("batchable" in entry.capabilities()) == entry.cls.batchable
        assert entry.ranks == entry.cls.ranks
        assert ("limited_ranks" in entry.capabilities()) == (entry.cls.ranks is not None)


def test_ranks_capability_filters_names():
    assert coreopt.entry("muon").ranks == (2,) and coreopt.entry("adam").ranks is None
    assert coreopt.entry("muon").steps_rank(2) and not coreopt.entry("muon").steps_rank(1)
    assert "muon" in coreopt.names() and "muon" in coreopt.names(rank=2)
    assert "muon" not in coreopt.names(rank=1) and "adam" in coreopt.names(rank=1)
    assert coreopt.names("all", rank=1) == [*coreopt.names(rank=1), *coreopt.names("wrapper")]


def test_double_registration_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        coreopt.register("adam", description="x")(type("Other", (), {}))


def test_chain_names_build_nested_optimizers():
    opt = coreopt.get("clip_by_norm(clipnorm=0.5):decay(weight_decay=0.1):momentum(momentum=0.9)",
                      learning_rate=0.2)
    assert isinstance(opt, coreopt.ClipByNorm)
    assert isinstance(opt.inner, coreopt.DecoupledWeightDecay)
    assert isinstance(opt.inner.inner, coreopt.Momentum)
    assert opt.flat_config()["decay.weight_decay"] == 0.1
    assert opt.flat_config()["momentum"] == 0.9 and opt.flat_config()["learning_rate"] == 0.2
    assert opt.chain_name == "clip_by_norm:decay:momentum"


def test_flat_keys_route_to_their_wrapper():
    opt = coreopt.get("clip_by_norm:gd", **{"clip_by_norm.clipnorm": 3.0})
    assert opt.own_config()["clipnorm"] == 3.0


@pytest.mark.parametrize("name, match", [
    ("adam:clip_by_norm", "cannot be the outer part"),
    ("clip_by_norm", "cannot be the innermost part"),
    ("clip_by_norm(clipnorm=1:adam", "unbalanced"),
    ("clip_by_norm(1.0):adam", "key=value"),
    ("clip_by_norm(clipnorm=abc):adam", "key=value"),
    ("clip_by_nrom:adam", "Did you mean 'clip_by_norm'"),
    ("", "empty"),
])
def test_bad_chain_names_are_refused_by_name(name, match):
    with pytest.raises(ValueError, match=match):
        coreopt.get(name)


def test_flat_key_of_a_missing_wrapper_is_refused():
    with pytest.raises(ValueError, match="'ema.momentum' names the wrapper 'ema'"):
        coreopt.get("clip_by_norm:adam", **{"ema.momentum": 0.5})


def test_canonical_and_resolve():
    assert chains.canonical("ClipNorm(clipnorm=2):SGD") == "clip_by_norm(clipnorm=2):gd"
    assert chains.resolve("clip_by_norm(clipnorm=2):gd(learning_rate=0.5)") == (
        "clip_by_norm:gd", {"clip_by_norm.clipnorm": 2, "learning_rate": 0.5})
    assert chains.split_top("a(b=1,c=2),d", ",") == ["a(b=1,c=2)", "d"]


@pytest.mark.parametrize("config, error, match", [
    ({"optimizer": "adma", "config": {}}, ValueError, "Did you mean .*'adam'"),
    ({"optimizer": "adam", "config": {"beta1": 0.5}}, TypeError, "Did you mean 'beta_1'"),
    ({"optimizer": "adam", "config": {}, "extra": 1}, ValueError, "unknown config keys"),
    ({"optimizer": "ema", "config": {}}, ValueError, "has no 'inner'"),
    ({"optimizer": "adam", "inner": {"optimizer": "gd"}}, ValueError, "not a wrapper"),
    (["adam"], ValueError, "must be a dict"),
])
def test_from_config_refuses_bad_configs_by_name(config, error, match):
    with pytest.raises(error, match=match):
        coreopt.from_config(config)


def test_a_plain_callable_learning_rate_has_no_config():
    with pytest.raises(TypeError, match="plain callable"):
        coreopt.Adam(lambda step: 0.1).get_config()

from __future__ import annotations

import keras
import pytest

import coreopt
from coreopt.compat import from_keras


@pytest.mark.parametrize("option, value", [("use_ema", True),
                                           ("gradient_accumulation_steps", 2),
                                           ("loss_scale_factor", 128.0)])
def test_unsupported_keras_option_is_named(option, value):
    with pytest.raises(ValueError, match=option):
        from_keras(keras.optimizers.Adam(0.1, **{option: value}))


def test_unsupported_class_is_named():
    with pytest.raises(TypeError, match="Muon"):
        from_keras(keras.optimizers.Muon())


def test_wrappers_in_keras_order():
    opt = from_keras(keras.optimizers.Adam(0.01, weight_decay=0.1, clipnorm=1.0))
    assert isinstance(opt, coreopt.ClipByNorm)
    assert isinstance(opt.inner, coreopt.DecoupledWeightDecay)
    assert isinstance(opt.inner.inner, coreopt.Adam)


def test_schedule_is_kept():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    opt = from_keras(keras.optimizers.SGD(schedule))
    assert opt._hyper["learning_rate"] is schedule


def test_excluded_weight_decay_is_refused():
    keras_opt = keras.optimizers.AdamW(0.01)
    keras_opt.exclude_from_weight_decay(var_names=["bias"])
    with pytest.raises(ValueError, match="exclude_from_weight_decay"):
        from_keras(keras_opt)

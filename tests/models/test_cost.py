"""FLOPs per volume, split into sampler, k x backbone and aggregation (issue 22)."""

import keras
import pytest

from das_keras.models import build_classifier
from das_keras.models.cost import flops_per_volume

T, HW = 8, 16


def small(sampler, k=None, **kwargs):
    kwargs.setdefault("aggregation", "conv1d")
    return build_classifier((T, HW, HW, 1), 2, sampler, k=k, backbone="small_cnn", **kwargs)


def conv0_flops(slices, channels):
    """small_cnn's first convolution by hand: 3x3, 32 filters, "same": 2 x multiply-adds."""
    return 2 * slices * HW * HW * 9 * channels * 32


def test_a_hand_computed_tiny_model_matches():
    inputs = keras.Input((HW, HW, 1))
    conv = keras.layers.Conv2D(4, 3, padding="same", use_bias=False)(inputs)
    model = build_classifier(
        (4, HW, HW, 1), 2, "full", backbone=keras.Model(inputs, conv), aggregation="mean", dropout=0
    )
    cost = flops_per_volume(model)
    backbone = 2 * 4 * HW * HW * 9 * 1 * 4  # 4 slices, 3x3 kernel, 1 -> 4 channels
    # pooling each slice's (16, 16, 4) map, then the mean over 4 slices, then Dense(2):
    # MatMul 2 x 4 x 2, bias 2, softmax 5 per class (TensorFlow's counting rules)
    aggregation = 4 * HW * HW * 4 + 4 * 4 + 2 * 4 * 2 + 2 + 5 * 2
    assert cost == {
        "sampler": 0,
        "backbone": backbone,
        "aggregation": aggregation,
        "total": backbone + aggregation,
        "slices": 4,
    }


def test_full_backbone_costs_t_over_k_times_a_k_slice_model():
    full, half = flops_per_volume(small("full")), flops_per_volume(small("uniform", k=T // 2))
    assert (full["slices"], half["slices"]) == (T, T // 2)
    # up to BatchNorm's per-channel scale, computed once per call whatever the slice count
    assert full["backbone"] == pytest.approx(2 * half["backbone"], rel=1e-3)
    assert full["backbone"] > 0
    assert full["sampler"] == 0
    assert half["total"] < full["total"]


def test_das_sampler_is_counted_and_small_beside_the_backbone():
    cost = flops_per_volume(small("das", k=4, sampler_kwargs={"learned_positions": True}))
    assert 0 < cost["sampler"] < cost["backbone"] / 10
    assert cost["total"] == cost["sampler"] + cost["backbone"] + cost["aggregation"]


@pytest.mark.parametrize("sampler", ["center", "das"])
def test_context_adds_only_to_the_first_convolution(sampler):
    plain, context = (flops_per_volume(small(sampler, k=4, context=c)) for c in (0, 1))
    # three input channels instead of one: the first convolution's cost, twice more
    assert context["backbone"] - plain["backbone"] == conv0_flops(4, 3) - conv0_flops(4, 1)
    assert context["aggregation"] == plain["aggregation"]
    # the sampler only clips the neighbours' indices: a few ops per gathered slice
    assert abs(context["sampler"] - plain["sampler"]) <= 10 * 4 * 3


def test_multi_axis_splits_k_across_the_axes():
    shape = (HW, HW, HW, 1)
    three = build_classifier(shape, 2, "das", k=6, backbone="small_cnn", slice_axes=(1, 2, 3))
    one = build_classifier(shape, 2, "das", k=6, backbone="small_cnn")
    per_axis = build_classifier(shape, 2, "das", k=2, backbone="small_cnn")
    three, one, per_axis = (flops_per_volume(m) for m in (three, one, per_axis))
    assert three["slices"] == one["slices"] == 6
    assert three["backbone"] == one["backbone"], "6 slices of one shared backbone either way"
    assert three["sampler"] == 3 * per_axis["sampler"], "one k = 2 sampler per axis"


def test_bad_models_are_refused():
    with pytest.raises(ValueError, match="keras.Model"):
        flops_per_volume("model")
    inputs = keras.Input((T, HW, HW, 1))
    no_sampler = keras.Model(inputs, keras.layers.Flatten()(inputs))
    with pytest.raises(ValueError, match="no sampler"):
        flops_per_volume(no_sampler)
    free = keras.Input((None, HW, HW, 1))
    with pytest.raises(ValueError, match="input_shape"):
        flops_per_volume(keras.Model(free, keras.layers.Flatten()(free)))

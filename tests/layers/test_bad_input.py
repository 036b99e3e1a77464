"""Bad arguments and inputs raise a ValueError that names the argument."""

import numpy as np
import pytest

from das_keras.layers import (
    ADPSLayer,
    CenterSampler,
    DASLayer,
    DPSLayer,
    FrameDescriptors,
    RandomSampler,
    UniformSampler,
    get_sampler,
)

x5 = np.zeros((2, 8, 8, 8, 1), "float32")


@pytest.mark.parametrize(
    "make, argument",
    [
        (lambda: UniformSampler(0), "`k`"),
        (lambda: UniformSampler(-3), "`k`"),
        (lambda: UniformSampler(1.5), "`k`"),
        (lambda: UniformSampler("4"), "`k`"),
        (lambda: CenterSampler(0), "`k`"),
        (lambda: RandomSampler(2, seed="x"), "`seed`"),
        (lambda: DPSLayer(2, temperature=0), "`temperature`"),
        (lambda: DASLayer(2, heads=0), "`heads`"),
        (lambda: DASLayer(2, tau0=-1.0), "`tau0`"),
        (lambda: DASLayer(2, hidden_units=0), "`hidden_units`"),
        (lambda: DASLayer(2, descriptors=["variance", "colour"]), "`descriptors`"),
        (lambda: DASLayer(2, descriptor_scales=3), "`scales`"),
        (lambda: DASLayer(2, temperature="cold"), "`temperature`"),
        (lambda: DASLayer(2, conv_kernel_size=4), "`conv_kernel_size`"),
        (lambda: DASLayer(2, descriptor_size=0), "`descriptor_size`"),
        (lambda: FrameDescriptors(size=2.5), "`size`"),
        (lambda: ADPSLayer(2, lstm_units=0), "`lstm_units`"),
        (lambda: FrameDescriptors(descriptors="variance"), "`descriptors`"),
        (lambda: get_sampler("dass", k=2), "`sampler`"),
    ],
)
def test_bad_arguments(make, argument):
    with pytest.raises(ValueError, match=argument):
        make()


@pytest.mark.parametrize("layer", [UniformSampler(2), DPSLayer(2), DASLayer(2), ADPSLayer(2)])
def test_wrong_rank(layer):
    with pytest.raises(ValueError, match=r"`inputs` must have rank 5.*\(2, 8, 8, 8\)"):
        layer(np.zeros((2, 8, 8, 8), "float32"))


@pytest.mark.parametrize("layer", [UniformSampler(9), CenterSampler(9), DPSLayer(9), DASLayer(9)])
def test_k_larger_than_t(layer):
    with pytest.raises(ValueError, match=r"`k` must be <= T.*k=9 with T=8"):
        layer(x5)


@pytest.mark.parametrize("layer", [DPSLayer(2), DASLayer(2), ADPSLayer(2)])
def test_integer_input_for_a_learned_sampler(layer):
    with pytest.raises(ValueError, match="`inputs` must be a float tensor.*int32"):
        layer(np.zeros((2, 8, 8, 8, 1), "int32"))


def test_integer_input_is_fine_for_a_static_sampler():
    out = UniformSampler(2)(np.arange(2 * 8 * 4).reshape(2, 8, 2, 2, 1).astype("int32"))
    assert out.shape == (2, 2, 2, 2, 1)


def test_other_t_than_built_for():
    layer = UniformSampler(2)
    layer(x5)
    with pytest.raises(ValueError, match="T=6 slices but the layer was built for T=8"):
        layer.select(np.zeros((2, 6, 8, 8, 1), "float32"))

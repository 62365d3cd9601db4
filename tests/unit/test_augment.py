"""py_nn.augment: shifts, rotations, scaling and stroke thickness on real MNIST digits."""
import numpy as np
import pytest

import py_nn.augment as aug


def dot_image(row, col, n=1):
    """n copies of a 28x28 image with a single lit pixel at (row, col), shape (n, 784)."""
    img = np.zeros((n, 28, 28))
    img[:, row, col] = 1.0
    return img.reshape(n, 784)


def bar_angle(img):
    """The angle (degrees) of an image's principal axis, from its second moments."""
    yy, xx = np.mgrid[0:28, 0:28]
    m = img.sum()
    cx, cy = (img * xx).sum() / m, (img * yy).sum() / m
    cov_xx = (img * (xx - cx) ** 2).sum()
    cov_yy = (img * (yy - cy) ** 2).sum()
    cov_xy = (img * (xx - cx) * (yy - cy)).sum()
    return np.degrees(0.5 * np.arctan2(2 * cov_xy, cov_xx - cov_yy))


def test_zero_settings_return_the_input_unchanged(mnist):
    x = mnist[0][:20].astype(np.float32)
    out = aug.augment(x, np.random.default_rng(0))
    assert out.dtype == np.float32 and out.shape == x.shape and out is not x
    np.testing.assert_array_equal(out, x)
    square = x.reshape(20, 28, 28)
    np.testing.assert_array_equal(aug.augment(square, np.random.default_rng(0)), square)


def test_shift_moves_a_single_pixel_by_whole_pixels():
    x = dot_image(10, 12, n=300)
    out = aug.augment(x, np.random.default_rng(5), shift=3).reshape(300, 28, 28)
    moves = set()
    for img in out:
        assert np.count_nonzero(img) == 1 and img.max() == 1.0  # moved, not blurred
        r, c = np.argwhere(img)[0]
        assert abs(r - 10) <= 3 and abs(c - 12) <= 3
        moves.add((int(r) - 10, int(c) - 12))
    assert len(moves) == 49  # every shift from -3 to 3 in both directions occurs


def shifted(img, dy, dx):
    """img (28, 28) moved down by dy and right by dx pixels, zeros coming in."""
    out = np.zeros_like(img)
    out[max(dy, 0):28 + min(dy, 0), max(dx, 0):28 + min(dx, 0)] = \
        img[max(-dy, 0):28 - max(dy, 0), max(-dx, 0):28 - max(dx, 0)]
    return out


def test_shift_of_a_digit_is_an_exact_whole_pixel_move(mnist):
    x = mnist[0][:50]
    out = aug.augment(x, np.random.default_rng(1), shift=2).reshape(50, 28, 28)
    moves = []
    for before, after in zip(x.reshape(50, 28, 28), out):
        match = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                 if np.array_equal(after, shifted(before, dy, dx))]
        assert len(match) == 1
        moves.append(match[0])
    assert len(set(moves)) > 10


def test_rotation_by_up_to_the_maximum_keeps_ink_mass(mnist):
    x = mnist[0][:100]
    out = aug.augment(x, np.random.default_rng(2), rotation=15)
    ratio = out.sum(axis=1) / x.sum(axis=1)
    assert np.all(np.abs(ratio - 1) < 0.02), ratio.min()
    assert np.all(np.abs(out - x).sum(axis=1) > 0)


def test_rotation_turns_a_bar_by_at_most_the_maximum():
    bar = np.zeros((200, 28, 28))
    bar[:, 13:15, 4:24] = 1.0
    out = aug.augment(bar, np.random.default_rng(3), rotation=30)
    angles = np.array([bar_angle(img) for img in out])
    assert np.all(np.abs(angles) <= 30.5)
    assert np.abs(angles).max() > 25 and (angles > 5).any() and (angles < -5).any()


def test_scale_grows_and_shrinks_ink_by_the_factor_squared(mnist):
    x = mnist[0][:100]
    out = aug.augment(x, np.random.default_rng(4), scale=0.2)
    ratio = out.sum(axis=1) / x.sum(axis=1)
    assert np.all((ratio > 0.8 ** 2 * 0.9) & (ratio < 1.2 ** 2 * 1.1))
    assert (ratio < 0.9).any() and (ratio > 1.1).any()


def test_thickness_adds_or_removes_ink(mnist):
    x = mnist[0][:30].reshape(30, 28, 28)
    thicker, thinner = aug.thicken(x, 0.5), aug.thicken(x, -0.5)
    assert np.all(thicker.sum(axis=(1, 2)) > 1.2 * x.sum(axis=(1, 2)))
    assert np.all(thinner.sum(axis=(1, 2)) < 0.8 * x.sum(axis=(1, 2)))
    assert np.all((thicker >= x - 1e-12) & (thinner <= x + 1e-12))
    np.testing.assert_array_equal(aug.thicken(x, 0.0), x)
    out = aug.augment(x, np.random.default_rng(6), thickness=0.6)
    ratio = out.sum(axis=(1, 2)) / x.sum(axis=(1, 2))
    assert (ratio > 1.1).any() and (ratio < 0.9).any()
    assert out.min() >= 0 and out.max() <= 1


def test_augment_is_deterministic_for_a_seed(mnist):
    x = mnist[0][:40].astype(np.float32)
    settings = {"shift": 2, "rotation": 10, "scale": 0.1, "thickness": 0.3}
    a = aug.augment(x, np.random.default_rng(7), **settings)
    b = aug.augment(x, np.random.default_rng(7), **settings)
    c = aug.augment(x, np.random.default_rng(8), **settings)
    assert a.dtype == np.float32 and a.shape == (40, 784)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.min() >= 0 and a.max() <= 1


def test_bad_settings_and_shapes_are_refused():
    x = dot_image(5, 5)
    with pytest.raises(ValueError, match=r"rotation must be a number of degrees from 0 to 180; "
                                         r"got -5"):
        aug.augment(x, np.random.default_rng(0), rotation=-5)
    with pytest.raises(ValueError, match=r"shape \(n, side \* side\).*got \(1, 783\)"):
        aug.augment(x[:, :783], np.random.default_rng(0), shift=1)
    with pytest.raises(ValueError, match="float grey levels"):
        aug.augment((x * 255).astype(np.uint8), np.random.default_rng(0))
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        aug.augment(x, 0, shift=1)


def test_mix_oversamples_the_persons_digits_and_shuffles(mnist):
    x_a, y_a = mnist[0][:500].astype(np.float32), mnist[1][:500]
    x_b = np.stack([np.full((28, 28), 0.01 * (i + 1)) for i in range(10)])  # one digit each
    y_b = np.arange(10)
    x, y = aug.mix(x_a, y_a, x_b, y_b, 5, np.random.default_rng(9))
    assert x.shape == (550, 784) and y.shape == (550,) and x.dtype == np.float32
    assert y.dtype == y_a.dtype
    mine = np.all(x == x[:, :1], axis=1) & (x[:, 0] > 0)  # the constant images
    assert mine.sum() == 50
    np.testing.assert_array_equal(np.round(x[mine, 0] * 100).astype(int) - 1, y[mine])
    assert np.bincount(y[mine], minlength=10).tolist() == [5] * 10
    assert not np.all(mine[-50:])  # shuffled in, not appended
    # MNIST rows keep their labels
    rows = {x_a[i].tobytes(): y_a[i] for i in range(500)}
    assert all(rows[x[i].tobytes()] == y[i] for i in np.flatnonzero(~mine))


def test_mix_augments_each_copy_differently(mnist):
    x_a, y_a = mnist[0][:10], mnist[1][:10]
    x_b, y_b = mnist[2][:2], mnist[3][:2]
    x, y = aug.mix(x_a, y_a, x_b, y_b, 4, np.random.default_rng(10),
                   augmentation={"shift": 2, "rotation": 10})
    assert x.shape == (18, 784)
    copies = [x[i] for i in range(18) if not any(np.array_equal(x[i], r) for r in x_a)]
    assert len(copies) == 8 and len({c.tobytes() for c in copies}) == 8
    only_mnist = aug.mix(x_a, y_a, x_b, y_b, 0, np.random.default_rng(0))
    assert only_mnist[0].shape == (10, 784)
    with pytest.raises(ValueError, match="oversample must be a whole number >= 0"):
        aug.mix(x_a, y_a, x_b, y_b, -1, np.random.default_rng(0))


def test_teaching_set_mixes_the_persons_samples_to_about_a_tenth(mnist):
    x_a, y_a = mnist[0][:1000], mnist[1][:1000]
    x_b, y_b = mnist[2][:20], mnist[3][:20]
    x, y, k = aug.teaching_set(x_a, y_a, x_b, y_b, "both", np.random.default_rng(0))
    assert k == 5  # round(0.1 * 1000 / 20)
    assert x.shape == (1100, 784) and y.shape == (1100,)
    np.testing.assert_array_equal(np.bincount(y, minlength=10),
                                  np.bincount(y_a, minlength=10) + 5 * np.bincount(y_b, minlength=10))
    # the MNIST digits are all there unchanged; the person's copies are augmented (not equal)
    mnist_rows = {r.tobytes() for r in x_a}
    assert sum(r.tobytes() in mnist_rows for r in x) >= 1000
    assert sum(any(np.array_equal(r, b) for b in x_b) for r in x) < 5 * 20


def test_teaching_set_mine_only_and_mnist_only(mnist):
    x_a, y_a = mnist[0][:300], mnist[1][:300]
    x_b, y_b = mnist[2][:7], mnist[3][:7]
    x, y, k = aug.teaching_set(x_a, y_a, x_b, y_b, "mine", np.random.default_rng(1))
    assert (x.shape, k) == ((70, 784), 10)
    np.testing.assert_array_equal(np.sort(y), np.sort(np.tile(y_b, 10)))
    x, y, k = aug.teaching_set(x_a, y_a, x_b, y_b, "mnist", np.random.default_rng(1))
    assert k == 0 and x.shape == (300, 784)
    np.testing.assert_array_equal(np.sort(y), np.sort(y_a))


def test_teaching_set_refuses_unknown_data_and_missing_samples(mnist):
    x_a, y_a = mnist[0][:10], mnist[1][:10]
    with pytest.raises(ValueError, match="mnist, mine, both; got 'yours'"):
        aug.teaching_set(x_a, y_a, x_a, y_a, "yours", np.random.default_rng(0))
    with pytest.raises(ValueError, match='add some in "Teach"'):
        aug.teaching_set(x_a, y_a, x_a[:0], y_a[:0], "both", np.random.default_rng(0))


def test_warp_matrix_warps_like_augment(mnist):
    # shift 2 px right and 1 up, turn 9 degrees, scale 1.1: as a matrix and as augment's warp
    x = mnist[0][:30]
    matrix = aug.warp_matrix(28, 2, -1, 9.0, 1.1)
    assert matrix.shape == (784, 784) and ((matrix != 0).sum(axis=1) <= 4).all()
    n = len(x)
    direct = aug._warp(x.reshape(n, 28, 28), np.full(n, 2.0), np.full(n, -1.0), np.full(n, 9.0),
                       np.full(n, 1.1)).reshape(n, 784)
    np.testing.assert_allclose(x @ matrix.T, direct, atol=1e-12)
    np.testing.assert_array_equal(aug.warp_matrix(28), np.eye(784))  # no change: the identity


def test_thicken_keeps_float32_and_matches_float64(mnist):
    x = mnist[0][:40].reshape(40, 28, 28)
    amounts = np.linspace(-1, 1, 40)
    wide = aug.thicken(x, amounts)
    narrow = aug.thicken(x.astype(np.float32), amounts)
    assert wide.dtype == np.float64 and narrow.dtype == np.float32
    np.testing.assert_allclose(narrow, wide, atol=1e-6)
    assert (wide[-1] >= x[-1]).all() and wide[-1].sum() > 1.2 * x[-1].sum()  # a full dilation

"""Data augmentation for digit images, and mixing a person's own samples into MNIST.

Pure NumPy. Images are grey levels in 0..1, either flat rows ``(n, side * side)`` or
``(n, side, side)``. Each image gets its own random whole-pixel shift, rotation, scale and
stroke-thickness change; geometry is applied by an inverse affine map with bilinear sampling
(ink outside the frame is lost, empty space comes in as 0). Everything random comes from the
``numpy.random.Generator`` passed in, so a seed gives the same images every time.
"""
import math

import numpy as np


def _square(images, name="images"):
    """(array as (n, side, side) float64, original array); ValueError for other shapes."""
    arr = np.asarray(images)
    if arr.dtype.kind != "f":
        raise ValueError(f"{name} must be float grey levels in 0..1; got dtype {arr.dtype}.")
    side = math.isqrt(arr.shape[-1]) if arr.ndim == 2 else (arr.shape[1] if arr.ndim == 3 else 0)
    if not ((arr.ndim == 2 and side * side == arr.shape[1] and side > 0)
            or (arr.ndim == 3 and arr.shape[1] == arr.shape[2] and side > 0)):
        raise ValueError(f"{name} must have shape (n, side * side), e.g. (n, 784), or (n, side, "
                         f"side), e.g. (n, 28, 28); got {arr.shape}.")
    return arr.reshape(len(arr), side, side).astype(np.float64), arr


def _setting(value, name, low, high, unit):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not low <= value <= high:
        raise ValueError(f"augment: {name} must be {unit} from {low} to {high}; got {value!r}.")
    return float(value)


def thicken(images, amount):
    """Make strokes thicker (``amount`` > 0) or thinner (< 0), per image.

    A grey-scale dilation (3x3 maximum) or erosion (3x3 minimum), blended with the image by
    ``|amount|``: ``amount = 1`` is a full dilation, ``-1`` a full erosion, 0 no change.

    Parameters
    ----------
    images : ndarray of shape (n, side, side)
    amount : float or ndarray of shape (n,), each in [-1, 1]

    Returns
    -------
    ndarray of shape (n, side, side), float32 for float32 images, else float64
    """
    imgs = np.asarray(images)
    if imgs.dtype.kind != "f":
        imgs = imgs.astype(np.float64)
    t = np.broadcast_to(np.asarray(amount, dtype=imgs.dtype), (len(imgs),))[:, None, None]
    grown, shrunk = _window3(imgs, np.maximum), _window3(imgs, np.minimum)
    target = np.where(t > 0, grown, shrunk)
    return imgs + np.abs(t) * (target - imgs)


def _window3(imgs, op):
    """``op`` (np.maximum or np.minimum) over each pixel's 3x3 window, 0 outside the frame;
    done as a 1x3 then a 3x1 window (the same result, fewer passes)."""
    across = np.pad(imgs, ((0, 0), (0, 0), (1, 1)))
    rows = op(op(across[:, :, :-2], across[:, :, 1:-1]), across[:, :, 2:])
    down = np.pad(rows, ((0, 0), (1, 1), (0, 0)))
    return op(op(down[:, :-2], down[:, 1:-1]), down[:, 2:])


def _warp(imgs, dx, dy, angle, factor):
    """Each image moved by (dx, dy) px, turned by ``angle`` degrees and scaled by ``factor``
    about its centre; all four are arrays of shape (n,). Bilinear sampling, 0 outside."""
    n, side, _ = imgs.shape
    flat = imgs.reshape(-1)
    base = (np.arange(n, dtype=np.intp) * side * side)[:, None, None]
    out = np.zeros_like(imgs)
    for index, weight, inside in _taps(side, dx, dy, angle, factor):
        out += np.where(inside, weight * flat[base + index], 0.0)
    return out


def _taps(side, dx, dy, angle, factor):
    """The four bilinear taps of the inverse map, each (source pixel index, weight, inside),
    arrays of shape (n, side, side) for parameters of shape (n,)."""
    centre = (side - 1) / 2
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float64)
    theta = np.deg2rad(angle)[:, None, None]
    cos, sin, s = np.cos(theta), np.sin(theta), factor[:, None, None]
    # inverse map: output pixel p comes from q = C + R(-theta) (p - C - d) / s
    px = xx[None] - centre - dx[:, None, None]
    py = yy[None] - centre - dy[:, None, None]
    qx = centre + (cos * px + sin * py) / s
    qy = centre + (-sin * px + cos * py) / s
    x0, y0 = np.floor(qx), np.floor(qy)
    fx, fy = qx - x0, qy - y0
    x0, y0 = x0.astype(np.intp), y0.astype(np.intp)
    for oy, ox, weight in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx),
                           (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):
        xi, yi = x0 + ox, y0 + oy
        inside = (xi >= 0) & (xi < side) & (yi >= 0) & (yi < side)
        yield np.clip(yi, 0, side - 1) * side + np.clip(xi, 0, side - 1), weight, inside


def warp_matrix(side, dx=0.0, dy=0.0, angle=0.0, factor=1.0):
    """The geometric part of :func:`augment` for one setting, as a matrix.

    Moving by (dx, dy) px, turning by ``angle`` degrees and scaling by ``factor`` with bilinear
    sampling is linear in the pixels, so ``images @ warp_matrix(...).T`` warps many images
    with one matrix product: the fast way to augment a large set by groups of images that
    share a setting. Each row has at most four non-zero weights.

    Parameters
    ----------
    side : int, pixels per row and column
    dx, dy, angle, factor : float

    Returns
    -------
    ndarray of shape (side * side, side * side), float64: row ``p`` holds the weights of the
    source pixels of output pixel ``p``.
    """
    size = int(side) ** 2
    cells, weights = [], []
    for index, weight, inside in _taps(int(side), *[np.array([float(v)]) for v in
                                                    (dx, dy, angle, factor)]):
        cells.append(np.arange(size) * size + index.reshape(-1))
        weights.append(np.where(inside, weight, 0.0).reshape(-1))
    # taps outside the frame are clipped onto an edge pixel with weight 0: summing is safe
    return np.bincount(np.concatenate(cells), np.concatenate(weights),
                       minlength=size * size).reshape(size, size)


def augment(images, rng, shift=0, rotation=0, scale=0, thickness=0):
    """Randomly shifted, rotated, scaled and thickened copies of ``images``.

    Per image: a whole-pixel shift drawn uniformly from ``-shift .. shift`` in x and in y, a
    rotation in ``[-rotation, rotation]`` degrees, a scale factor in ``[1 - scale, 1 + scale]``
    (all about the image centre) and a stroke change in ``[-thickness, thickness]`` (see
    :func:`thicken`). Five numbers per image are always drawn from ``rng`` in that order, so
    changing one setting does not change the others' draws.

    Parameters
    ----------
    images : ndarray of shape (n, side * side) or (n, side, side), float, values 0..1
    rng : numpy.random.Generator
    shift : int, 0 .. side // 2 pixels
    rotation : float, 0 .. 180 degrees
    scale : float, 0 .. 0.9
    thickness : float, 0 .. 1

    Returns
    -------
    ndarray of the shape and dtype of ``images``, values 0..1; a copy of ``images`` when all
    settings are 0.
    """
    imgs, arr = _square(images)
    side = imgs.shape[1]
    shift = _setting(shift, "shift", 0, side // 2, "a number of pixels")
    rotation = _setting(rotation, "rotation", 0, 180, "a number of degrees")
    scale = _setting(scale, "scale", 0, 0.9, "a fraction")
    thickness = _setting(thickness, "thickness", 0, 1, "a fraction")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, e.g. "
                        f"np.random.default_rng(0); got {rng!r}.")
    u = rng.uniform(0.0, 1.0, size=(len(imgs), 5))
    if not (shift or rotation or scale or thickness):
        return arr.copy()
    steps = int(shift)
    dx = np.minimum(np.floor(u[:, 0] * (2 * steps + 1)), 2 * steps) - steps
    dy = np.minimum(np.floor(u[:, 1] * (2 * steps + 1)), 2 * steps) - steps
    angle = (2 * u[:, 2] - 1) * rotation
    factor = 1 + (2 * u[:, 3] - 1) * scale
    if thickness:
        imgs = thicken(imgs, (2 * u[:, 4] - 1) * thickness)
    if steps or rotation or scale:
        imgs = _warp(imgs, dx, dy, angle, factor)
    return np.clip(imgs, 0.0, 1.0).astype(arr.dtype).reshape(arr.shape)


def mix(x_a, y_a, x_b, y_b, oversample, rng, augmentation=None):
    """MNIST training digits ``(x_a, y_a)`` with a person's samples ``(x_b, y_b)`` mixed in.

    The person's samples are repeated ``oversample`` times (each copy augmented differently
    with the :func:`augment` keywords in ``augmentation``, if given), joined to the digits and
    shuffled together.

    Parameters
    ----------
    x_a : ndarray of shape (n_a, 784); y_a : ndarray of shape (n_a,)
    x_b : ndarray of shape (n_b, 784) or (n_b, 28, 28); y_b : ndarray of shape (n_b,)
    oversample : int >= 0
    rng : numpy.random.Generator
    augmentation : dict, optional, e.g. ``{"shift": 2, "rotation": 10}``

    Returns
    -------
    (x, y) : ndarrays of shape (n_a + oversample * n_b, 784) (dtype of ``x_a``) and
    (n_a + oversample * n_b,) (dtype of ``y_a``).
    """
    x_a, y_a = np.asarray(x_a), np.asarray(y_a)
    x_b, y_b = np.asarray(x_b), np.asarray(y_b)
    if isinstance(oversample, bool) or not isinstance(oversample, (int, np.integer)) \
            or oversample < 0:
        raise ValueError(f"oversample must be a whole number >= 0; got {oversample!r}.")
    if x_a.ndim != 2 or len(x_a) != len(y_a) or len(x_b) != len(y_b):
        raise ValueError(f"x_a must be (n_a, features) with one label each in y_a, and x_b one "
                         f"label each in y_b; got x_a {x_a.shape}, y_a {y_a.shape}, x_b "
                         f"{x_b.shape}, y_b {y_b.shape}.")
    x_b = x_b.reshape(len(x_b), -1)
    if x_b.shape[1] != x_a.shape[1]:
        raise ValueError(f"x_b rows have {x_b.shape[1]} values but x_a rows {x_a.shape[1]}.")
    extra_x = np.concatenate([x_b] * oversample) if oversample and len(x_b) else x_b[:0]
    extra_y = np.concatenate([y_b] * oversample) if oversample and len(y_b) else y_b[:0]
    if augmentation and len(extra_x):
        extra_x = augment(extra_x.astype(np.float64), rng, **augmentation)
    x = np.concatenate([x_a, extra_x.astype(x_a.dtype)])
    y = np.concatenate([y_a, extra_y.astype(y_a.dtype)])
    order = rng.permutation(len(x))
    return x[order], y[order]


#: What :func:`teaching_set` mixes in by default: small shifts and rotations, as people's
#: strokes vary from one drawing to the next.
TEACH_AUGMENTATION = {"shift": 2, "rotation": 12, "scale": 0.1, "thickness": 0.3}
DATA_CHOICES = ("mnist", "mine", "both")


def teaching_set(x_mnist, y_mnist, x_mine, y_mine, data, rng, augmentation=None,
                 oversample=None, share=0.1):
    """The training set for "continue training" on ``data`` = "mnist", "mine" or "both".

    "mnist": the MNIST digits only. "mine": the person's samples only, repeated ``oversample``
    times (augmented). "both" (what the page uses by default): the MNIST digits with the
    person's samples mixed in by :func:`mix`, oversampled so that they make up about ``share``
    of the set: enough to learn the new style, not so much that the network forgets MNIST.

    Parameters
    ----------
    x_mnist : ndarray of shape (n_a, 784); y_mnist : ndarray of shape (n_a,)
    x_mine : ndarray of shape (n_b, 784); y_mine : ndarray of shape (n_b,)
    data : "mnist", "mine" or "both"
    rng : numpy.random.Generator
    augmentation : dict of :func:`augment` keywords, optional (default TEACH_AUGMENTATION)
    oversample : int, optional; default ``round(share * n_a / n_b)`` clipped to 1 .. 50 for
        "both", 10 for "mine"
    share : float, the person's share of the mix for the default ``oversample``

    Returns
    -------
    (x, y, oversample) : the set, shuffled, and the oversampling used (0 for "mnist").
    """
    if data not in DATA_CHOICES:
        raise ValueError(f"data must be one of {', '.join(DATA_CHOICES)}; got {data!r}.")
    n_b = len(y_mine) if y_mine is not None else 0
    if data != "mnist" and n_b == 0:
        raise ValueError(f'data={data!r} needs your own samples, and there are none yet: add '
                         f'some in "Teach", or train on "mnist".')
    augmentation = TEACH_AUGMENTATION if augmentation is None else augmentation
    if data == "mnist":
        order = rng.permutation(len(x_mnist))
        return np.asarray(x_mnist)[order], np.asarray(y_mnist)[order], 0
    if oversample is None:
        oversample = 10 if data == "mine" else int(np.clip(round(share * len(x_mnist) / n_b), 1, 50))
    if data == "mine":
        x, y = mix(np.asarray(x_mnist)[:0], np.asarray(y_mnist)[:0], x_mine, y_mine,
                   oversample, rng, augmentation)
        return x, y, oversample
    x, y = mix(x_mnist, y_mnist, x_mine, y_mine, oversample, rng, augmentation)
    return x, y, oversample

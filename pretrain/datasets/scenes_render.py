"""Drawing one synthetic scene: the renderer behind ``pretrain.datasets.scenes``.

Each image is a cluttered RGB scene holding 1-3 textured objects drawn from
``CLASSES``.  Every class has its own geometry *and* its own texture, while the
colour, scale, aspect, position and rotation of each object are random.  The
classification label of an image is the class of its largest visible object;
objects typically cover 5-40 % of the image each, so a random crop often misses
the labelled object -- the failure mode LeOCLR targets.

:func:`render_scene` is a pure function of ``(seed, variant, index)`` (numpy
``SeedSequence``); ``pretrain.datasets.scenes`` writes its output as the dataset's
layouts (ImageFolder, COCO, semantic masks).  A change to the drawing here changes
the dataset: bump ``pretrain.datasets.scenes.GENERATOR_VERSION`` with it.
"""

from __future__ import annotations

import colorsys
import functools
import math

import numpy as np
from PIL import Image, ImageDraw

__all__ = [
    "CLASSES",
    "TEXTURES",
    "VARIANTS",
    "IGNORE_INDEX",
    "render_scene",
]

#: Class names, sorted alphabetically so that torchvision ImageFolder's class index (it sorts the
#: class directories) == index here == COCO category id - 1 == semantic-mask value - 1.
CLASSES = (
    "arrow",
    "circle",
    "crescent",
    "cross",
    "diamond",
    "heart",
    "hexagon",
    "lshape",
    "ring",
    "square",
    "star",
    "triangle",
)

#: Class-specific texture (in the object's own rotated frame).
TEXTURES = {
    "circle": "horizontal stripes",
    "square": "checkerboard",
    "triangle": "dot grid",
    "star": "solid (faint radial shading)",
    "cross": "diagonal stripes",
    "ring": "concentric rings",
    "hexagon": "linear gradient",
    "diamond": "fine vertical stripes",
    "lshape": "grid lines",
    "crescent": "radial gradient",
    "arrow": "chevrons",
    "heart": "wavy stripes",
}

VARIANTS = {"default": 0, "transfer": 1}
IGNORE_INDEX = 255

_SUPERSAMPLE = 4  # object masks are rasterised at 4x and box-filtered (anti-aliasing)
_MIN_VISIBLE_FRACTION = 0.01  # objects whose visible area is below this are not annotated
_MAX_LAYOUT_TRIES = 30
_SCHEDULE_TAG = 0x5C3E  # separates the class-schedule seed stream from the per-image one


# --------------------------------------------------------------------------------------
# Geometry: unit shapes (bounding radius <= 1, centred on the bounding-box centre), each a
# list of (polygon points (N, 2), fill) drawing operations; fill 0 cuts holes.
# --------------------------------------------------------------------------------------


def _regular(n: int, r: float = 1.0, phase: float = 0.0, cx: float = 0.0) -> np.ndarray:
    a = phase + 2.0 * np.pi * np.arange(n) / n
    return np.stack([cx + r * np.cos(a), r * np.sin(a)], axis=1)


def _normalise(pts: np.ndarray) -> np.ndarray:
    pts = pts - (pts.max(axis=0) + pts.min(axis=0)) / 2.0
    return pts / np.sqrt((pts**2).sum(axis=1)).max()


def _star_points(n: int = 5, r_out: float = 1.0, r_in: float = 0.45) -> np.ndarray:
    a = -np.pi / 2 + np.pi * np.arange(2 * n) / n
    r = np.where(np.arange(2 * n) % 2 == 0, r_out, r_in)
    return np.stack([r * np.cos(a), r * np.sin(a)], axis=1)


def _heart_points(n: int = 72) -> np.ndarray:
    t = 2.0 * np.pi * np.arange(n) / n
    x = 16.0 * np.sin(t) ** 3
    y = -(13.0 * np.cos(t) - 5.0 * np.cos(2 * t) - 2.0 * np.cos(3 * t) - np.cos(4 * t))
    return _normalise(np.stack([x, y], axis=1))


@functools.lru_cache(maxsize=None)
def _shape_ops(name: str) -> tuple:
    circle = _regular(48)
    if name == "circle":
        ops = [(circle, 255)]
    elif name == "square":
        ops = [(_regular(4, phase=np.pi / 4), 255)]
    elif name == "triangle":
        ops = [(_normalise(_regular(3, phase=-np.pi / 2)), 255)]
    elif name == "star":
        ops = [(_star_points(), 255)]
    elif name == "cross":
        w = 0.3
        pts = [(-w, -1), (w, -1), (w, -w), (1, -w), (1, w), (w, w),
               (w, 1), (-w, 1), (-w, w), (-1, w), (-1, -w), (-w, -w)]
        ops = [(_normalise(np.array(pts, dtype=float)), 255)]
    elif name == "ring":
        ops = [(circle, 255), (_regular(48, r=0.55), 0)]
    elif name == "hexagon":
        ops = [(_regular(6), 255)]
    elif name == "diamond":
        ops = [(np.array([(0, -1), (0.58, 0), (0, 1), (-0.58, 0)], dtype=float), 255)]
    elif name == "lshape":
        pts = [(-1, -1), (-0.3, -1), (-0.3, 0.3), (1, 0.3), (1, 1), (-1, 1)]
        ops = [(_normalise(np.array(pts, dtype=float)), 255)]
    elif name == "crescent":
        ops = [(circle, 255), (_regular(48, r=0.8, cx=0.45), 0)]
    elif name == "arrow":
        pts = [(-1, -0.22), (0.15, -0.22), (0.15, -0.62), (1, 0),
               (0.15, 0.62), (0.15, 0.22), (-1, 0.22)]
        ops = [(_normalise(np.array(pts, dtype=float)), 255)]
    elif name == "heart":
        ops = [(_heart_points(), 255)]
    else:  # pragma: no cover - guarded by CLASSES
        raise KeyError(name)
    return tuple(ops)


@functools.lru_cache(maxsize=None)
def _unit_area(name: str) -> float:
    """Area of the unit shape (bounding radius 1), measured by rasterisation."""
    n, r = 800, 399.0
    img = Image.new("L", (n, n), 0)
    draw = ImageDraw.Draw(img)
    for pts, fill in _shape_ops(name):
        xy = pts * r + n / 2.0
        draw.polygon([(float(x), float(y)) for x, y in xy], fill=fill)
    return float((np.asarray(img) > 0).sum()) / (r * r)


@functools.lru_cache(maxsize=8)
def _pixel_grid(p: int) -> tuple[np.ndarray, np.ndarray]:
    c = np.arange(p, dtype=np.float32) + 0.5  # pixel centres
    yy, xx = np.meshgrid(c, c, indexing="ij")
    return xx, yy


# --------------------------------------------------------------------------------------
# Textures: t(u, v) in [0, 1] in the object's frame (units of its bounding radius).
# --------------------------------------------------------------------------------------


def _sq(x: np.ndarray, sharp: float = 3.0) -> np.ndarray:
    """Soft square wave of period 1 (limits aliasing at small sizes)."""
    return 0.5 + 0.5 * np.clip(sharp * np.sin(2.0 * np.pi * x), -1.0, 1.0)


def _lines(x: np.ndarray, period: float) -> np.ndarray:
    d = np.abs(np.mod(x / period, 1.0) - 0.5)
    return np.clip((0.14 - d) / 0.06, 0.0, 1.0)


def _texture(name: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    if name == "circle":
        return _sq(v / 0.45)
    if name == "square":
        return 0.5 + 0.5 * np.clip(6.0 * np.sin(2 * np.pi * u / 0.6) * np.sin(2 * np.pi * v / 0.6), -1, 1)
    if name == "triangle":
        du = np.mod(u / 0.42, 1.0) - 0.5
        dv = np.mod(v / 0.42, 1.0) - 0.5
        return np.clip((0.3 - np.sqrt(du * du + dv * dv)) / 0.08, 0.0, 1.0)
    if name == "star":
        return 0.15 * np.clip(np.sqrt(u * u + v * v), 0.0, 1.0)
    if name == "cross":
        return _sq((u + v) / 0.6)
    if name == "ring":
        return _sq(np.sqrt(u * u + v * v) / 0.22)
    if name == "hexagon":
        return np.clip((u + 1.0) / 2.0, 0.0, 1.0)
    if name == "diamond":
        return _sq(u / 0.32)
    if name == "lshape":
        return np.maximum(_lines(u, 0.45), _lines(v, 0.45))
    if name == "crescent":
        return np.clip(np.sqrt(u * u + v * v), 0.0, 1.0) ** 1.5
    if name == "arrow":
        return _sq((u + 0.9 * np.abs(v)) / 0.45)
    if name == "heart":
        return _sq(v / 0.42 + 0.3 * np.sin(2 * np.pi * u / 0.7))
    raise KeyError(name)  # pragma: no cover


# --------------------------------------------------------------------------------------
# Colours and backgrounds
# --------------------------------------------------------------------------------------


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(h % 1.0, s, v), dtype=np.float32)


def _object_colours(rng: np.random.Generator, variant: str) -> tuple[np.ndarray, np.ndarray]:
    if variant == "default":
        # saturated colour, texture = high-contrast dark or light version of it
        c1 = _hsv(rng.uniform(), rng.uniform(0.5, 1.0), rng.uniform(0.55, 1.0))
        target = np.zeros(3, np.float32) if rng.uniform() < 0.5 else np.ones(3, np.float32)
        c2 = c1 + (target - c1) * rng.uniform(0.55, 0.8)
    else:
        # pastel colour, texture = low-contrast complementary hue
        h, s, v = rng.uniform(), rng.uniform(0.15, 0.45), rng.uniform(0.7, 1.0)
        c1 = _hsv(h, s, v)
        comp = _hsv(h + 0.5, min(1.0, s + 0.3), v * rng.uniform(0.7, 0.95))
        c2 = c1 + (comp - c1) * rng.uniform(0.35, 0.55)
    return c1.astype(np.float32), c2.astype(np.float32)


def _upsample(grid: np.ndarray, p: int) -> np.ndarray:
    """Bilinear upsampling of a small (n, m, C) grid to (p, p, C)."""
    n, m = grid.shape[:2]

    def axis(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pos = np.linspace(0.0, k - 1.0, p, dtype=np.float32)
        i0 = np.minimum(np.floor(pos).astype(np.int64), k - 1)
        i1 = np.minimum(i0 + 1, k - 1)
        return i0, i1, (pos - i0).astype(np.float32)

    y0, y1, wy = axis(n)
    x0, x1, wx = axis(m)
    rows = grid[y0] * (1 - wy)[:, None, None] + grid[y1] * wy[:, None, None]
    return rows[:, x0] * (1 - wx)[None, :, None] + rows[:, x1] * wx[None, :, None]


def _draw_clutter_lines(rng, p, img, n_lines, alpha, hatch_angle=None):
    """Low-contrast thin line / scribble clutter composited onto img (float HxWx3)."""
    overlay = Image.new("RGB", (p, p), (0, 0, 0))
    mask = Image.new("L", (p, p), 0)
    d_rgb, d_mask = ImageDraw.Draw(overlay), ImageDraw.Draw(mask)
    width = max(1, p // 64)
    for _ in range(n_lines):
        if hatch_angle is None:
            k = int(rng.integers(2, 5))
            pts = rng.uniform(-0.1 * p, 1.1 * p, size=(k, 2))
        else:
            a = hatch_angle + rng.normal(0.0, 0.05)
            c = rng.uniform(-0.2 * p, 1.2 * p, size=2)
            dx, dy = math.cos(a) * p, math.sin(a) * p
            pts = np.array([[c[0] - dx, c[1] - dy], [c[0] + dx, c[1] + dy]])
        col = tuple(int(x) for x in rng.integers(0, 256, size=3))
        xy = [(float(x), float(y)) for x, y in pts]
        d_rgb.line(xy, fill=col, width=width)
        d_mask.line(xy, fill=255, width=width)
    a = (np.asarray(mask, dtype=np.float32) / 255.0 * alpha)[..., None]
    return img * (1 - a) + (np.asarray(overlay, dtype=np.float32) / 255.0) * a


def _background(rng: np.random.Generator, p: int, variant: str) -> np.ndarray:
    axis = np.arange(p, dtype=np.float32) + 0.5  # pixel centres
    if variant == "default":
        base = _hsv(rng.uniform(), rng.uniform(0.05, 0.35), rng.uniform(0.3, 0.75))
        n = int(rng.integers(3, 8))
        img = base + _upsample(rng.normal(0.0, 0.07, size=(n, n, 3)).astype(np.float32), p)
        for _ in range(int(rng.integers(3, 8))):  # soft, low-contrast blobs
            cx, cy = rng.uniform(0, p, size=2)
            sx, sy = rng.uniform(0.04, 0.18, size=2) * p
            g = np.outer(np.exp(-0.5 * ((axis - cy) / sy) ** 2), np.exp(-0.5 * ((axis - cx) / sx) ** 2))
            img = img + g[..., None] * rng.normal(0.0, 0.08, size=3).astype(np.float32)
        img = _draw_clutter_lines(rng, p, img, int(rng.integers(2, 7)), rng.uniform(0.12, 0.25))
        grain = 0.015
    else:
        # "camouflage": posterised low-frequency noise in a muted palette, hatching, grain
        h = rng.uniform()
        palette = np.stack([
            _hsv(h + rng.uniform(-0.06, 0.06), rng.uniform(0.2, 0.5), rng.uniform(0.15, 0.5))
            for _ in range(3)
        ])
        n = int(rng.integers(4, 8))
        field = _upsample(rng.normal(size=(n, n, 1)).astype(np.float32), p)[..., 0]
        lo, hi = np.quantile(field, [1 / 3, 2 / 3])
        level = (field > lo).astype(np.int64) + (field > hi).astype(np.int64)
        img = palette[level]
        img = _draw_clutter_lines(rng, p, img, int(rng.integers(6, 14)), rng.uniform(0.08, 0.15),
                                  hatch_angle=rng.uniform(0, np.pi))
        grain = 0.04
    img = img + rng.normal(0.0, grain, size=(p, p, 3)).astype(np.float32)
    return img.astype(np.float32)


# --------------------------------------------------------------------------------------
# Scene layout and rendering
# --------------------------------------------------------------------------------------


def _primary_class(seed: int, variant: str, index: int) -> int:
    """Balanced schedule: every block of len(CLASSES) consecutive ids holds each class once."""
    c = len(CLASSES)
    block = index // c
    ss = np.random.SeedSequence([seed, VARIANTS[variant], _SCHEDULE_TAG, block])
    perm = np.random.default_rng(ss).permutation(c)
    return int(perm[index % c])


def _sample_object(rng: np.random.Generator, cls: int, frac: float, p: int) -> dict:
    name = CLASSES[cls]
    stretch = float(np.exp(rng.uniform(-0.15, 0.15)))
    radius = math.sqrt(frac * p * p / _unit_area(name))
    radius = min(radius, 0.46 * p / max(stretch, 1.0 / stretch))
    margin = min(0.6 * radius, p / 2.0)
    return {
        "cls": cls,
        "radius": radius,
        "stretch": stretch,
        "theta": float(rng.uniform(0.0, 2.0 * np.pi)),
        "cx": float(rng.uniform(margin, p - margin)),
        "cy": float(rng.uniform(margin, p - margin)),
    }


def _coverage(obj: dict, p: int) -> np.ndarray:
    ss = _SUPERSAMPLE
    img = Image.new("L", (p * ss, p * ss), 0)
    draw = ImageDraw.Draw(img)
    c, s = math.cos(obj["theta"]), math.sin(obj["theta"])
    r, k = obj["radius"], obj["stretch"]
    for pts, fill in _shape_ops(CLASSES[obj["cls"]]):
        x, y = pts[:, 0] * k, pts[:, 1] / k
        gx = (obj["cx"] + r * (c * x - s * y)) * ss - 0.5
        gy = (obj["cy"] + r * (s * x + c * y)) * ss - 0.5
        draw.polygon([(float(a), float(b)) for a, b in zip(gx, gy)], fill=fill)
    return np.asarray(img.reduce(ss), dtype=np.float32) / 255.0


def _layout(rng: np.random.Generator, primary: int, p: int, single: bool):
    n_classes = len(CLASSES)
    prim_frac = float(rng.uniform(0.10, 0.36))
    objs = [_sample_object(rng, primary, prim_frac, p)]
    n_sec = 0 if single else int(rng.choice(3, p=[0.3, 0.4, 0.3]))
    for _ in range(n_sec):
        cls = int(rng.integers(n_classes - 1))
        cls += cls >= primary
        frac = float(rng.uniform(0.055, max(0.07, 0.7 * prim_frac)))
        objs.append(_sample_object(rng, cls, frac, p))
    order = [int(i) for i in rng.permutation(len(objs))]
    objs = [objs[i] for i in order]  # draw order; later ones occlude earlier ones
    prim_pos = order.index(0)
    covs = [_coverage(o, p) for o in objs]
    owner = np.zeros((p, p), np.uint8)  # 0 = background, k = k-th drawn object (1-based)
    full = []
    for k, cov in enumerate(covs, start=1):
        m = cov >= 0.5
        owner[m] = k
        full.append(int(m.sum()))
    vis = np.bincount(owner.ravel(), minlength=len(objs) + 1)[1:]
    return objs, covs, owner, prim_pos, full, vis


def _acceptable(p: int, prim_pos: int, full, vis) -> bool:
    area = p * p
    vp = vis[prim_pos]
    if vp < 0.05 * area or vp < 0.6 * full[prim_pos]:
        return False
    for k in range(len(vis)):
        if k == prim_pos:
            continue
        if vis[k] * 1.25 > vp or vis[k] < 0.03 * area or vis[k] < 0.5 * full[k]:
            return False
    return True


def _ignore_band(owner: np.ndarray) -> np.ndarray:
    """1-px band on the *upper* side of every boundary (object/background or occluder/occluded)."""
    band = np.zeros(owner.shape, bool)
    band[:, :-1] |= owner[:, :-1] > owner[:, 1:]
    band[:, 1:] |= owner[:, 1:] > owner[:, :-1]
    band[:-1, :] |= owner[:-1, :] > owner[1:, :]
    band[1:, :] |= owner[1:, :] > owner[:-1, :]
    return band


def render_scene(seed: int, index: int, image_size: int, variant: str = "default") -> dict:
    """Render scene ``index`` (0-based) of the stream ``(seed, variant)``.

    Returns a dict with ``image`` (HxWx3 uint8), ``semantic`` (HxW uint8: 0 bg, k = category id,
    255 ignore), ``label`` (class index of the largest visible object) and ``objects``: one dict per
    annotated object in draw order with ``category_id``, ``mask`` (bool HxW, visible part),
    ``bbox`` [x, y, w, h] and ``area`` (visible pixel count).
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {sorted(VARIANTS)}")
    p = int(image_size)
    primary = _primary_class(seed, variant, index)
    rng = np.random.default_rng(np.random.SeedSequence([seed, VARIANTS[variant], index]))
    img = _background(rng, p, variant)

    for attempt in range(_MAX_LAYOUT_TRIES + 1):
        objs, covs, owner, prim_pos, full, vis = _layout(rng, primary, p, single=attempt == _MAX_LAYOUT_TRIES)
        if attempt == _MAX_LAYOUT_TRIES or _acceptable(p, prim_pos, full, vis):
            break

    xx, yy = _pixel_grid(p)
    for obj, cov in zip(objs, covs):
        c, s = math.cos(obj["theta"]), math.sin(obj["theta"])
        dx, dy = xx - obj["cx"], yy - obj["cy"]
        u = (c * dx + s * dy) / (obj["radius"] * obj["stretch"])
        v = (-s * dx + c * dy) * obj["stretch"] / obj["radius"]
        t = _texture(CLASSES[obj["cls"]], u, v).astype(np.float32)[..., None]
        c1, c2 = _object_colours(rng, variant)
        colour = c1 + (c2 - c1) * t
        a = cov[..., None]
        img = img * (1.0 - a) + colour * a

    # global illumination gradient + a little sensor noise on everything
    phi = rng.uniform(0.0, 2.0 * np.pi)
    gain = rng.uniform(-0.25, 0.25)
    light = 1.0 + gain * ((xx / p - 0.5) * math.cos(phi) + (yy / p - 0.5) * math.sin(phi))
    img = img * light[..., None] + rng.normal(0.0, 0.01, size=img.shape)
    image = np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)

    semantic = np.zeros((p, p), np.uint8)
    objects = []
    min_area = _MIN_VISIBLE_FRACTION * p * p
    for k, obj in enumerate(objs, start=1):
        m = owner == k
        area = int(vis[k - 1])
        cat = obj["cls"] + 1
        if area < min_area:
            semantic[m] = IGNORE_INDEX  # drawn but too small to annotate
            continue
        semantic[m] = cat
        ys, xs = np.nonzero(m)
        x0, x1, y0, y1 = int(xs.min()), int(xs.max()), int(ys.min()), int(ys.max())
        objects.append({
            "category_id": cat,
            "mask": m,
            "bbox": [float(x0), float(y0), float(x1 - x0 + 1), float(y1 - y0 + 1)],
            "area": area,
        })
    semantic[_ignore_band(owner)] = IGNORE_INDEX
    label = max(objects, key=lambda o: o["area"])["category_id"] - 1 if objects else primary
    return {"image": image, "semantic": semantic, "label": label, "objects": objects}

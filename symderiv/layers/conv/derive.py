"""Convolution in 1, 2 or 3 spatial dimensions, plain or transposed, as torch.nn.functional.

Forward, over 0-based indices (s stride, p padding, d dilation, groups g):

* ``conv``: O[n, o, i] = b[o] + sum over c in o's group and u of
  W[o, c, u] * X[n, c', s*i + d*u - p];
* ``conv_transpose`` scatters instead: X[n, c, i] * W[c, o, u] is added into
  O[n, o', s*i - p + d*u].

The single-channel case keeps plain spatial tensors and the name F for the
kernel; with a batch, channels or groups every tensor takes PyTorch's layout and the weight is W.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping

from ...core.chain_rule import chain_rule
from ...core.errors import SymderivError, checked_keywords
from ...core.grid import Grid, combined_offsets, strides
from ...core.parse import coerce_axes, coerce_size, flag, shown, whole
from ...core.perf import without_cycle_collection
from ...core.poly import Poly
from ...core.products import of_grid
from ...core.results import Expansion, Role, Tensor
from ...core.symbols import gradient_key, tensor_symbols
from ...core.worked import worked_example
from .candidates import ConvIdentity, ConvSearch
from .ops import Geometry
from .prove import verify, verify_layer
from .result import Derivation
from .search import search, search_layer, search_sum
from .spec import DEFAULT_MAX_TERMS, ConvSpec
from .view import VIEW

__all__ = [
    "DEFAULT_MAX_TERMS",
    "ConvSpec",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "derive",
    "expand",
]

Pairs = list[tuple[Poly, Poly]]
ONE = Poly.constant(1)


def _full(spec: ConvSpec, tensor: Tensor) -> Grid[Poly]:
    """A tensor in PyTorch's layout: the same cells, the leading axes of size 1 restored."""
    return Grid(spec.full_shapes()[tensor.key], tensor.symbols.cells).map(Poly.symbol)


def _conv_terms(spec: ConvSpec, x: Grid[Poly], w: Grid[Poly]) -> list[Pairs]:
    """Gather: every output element reads the input under its (strided, dilated) window."""
    per_group_in, per_group_out = w.shape[1], w.shape[0] // spec.groups
    out_shape = spec.full_shapes()["O"]
    x_cells, w_cells = x.cells, w.cells
    (xn, xc, *x_axes), (wo, wc, *w_axes) = x.strides, w.strides
    # Along each axis, for each output position: (input offset, kernel offset) of the taps that
    # land inside the input, in kernel order. A position's taps are the row-major combinations.
    per_axis = [
        [
            [((s * i + d * v - p) * xa, v * wa) for v in range(k) if 0 <= s * i + d * v - p < h]
            for i in range(m)
        ]
        for m, k, s, d, p, h, xa, wa in zip(
            out_shape[2:],
            spec.kernel,
            spec.stride,
            spec.dilation,
            spec.padding,
            spec.input,
            x_axes,
            w_axes,
        )
    ]
    taps = [combined_offsets(combination) for combination in itertools.product(*per_axis)]
    terms: list[Pairs] = []
    for n, o in itertools.product(range(out_shape[0]), range(out_shape[1])):
        base = (o // per_group_out) * per_group_in
        for offsets in taps:
            pairs: Pairs = []
            for c in range(per_group_in):
                x_at, w_at = n * xn + (base + c) * xc, o * wo + c * wc
                pairs += [(x_cells[x_at + dx], w_cells[w_at + dw]) for dx, dw in offsets]
            terms.append(pairs)
    return terms


def _conv_transpose_terms(spec: ConvSpec, x: Grid[Poly], w: Grid[Poly]) -> list[Pairs]:
    """Scatter: every input element adds its products with the kernel into the output."""
    per_group_out, per_group_in = w.shape[1], w.shape[0] // spec.groups
    out_shape = spec.full_shapes()["O"]
    x_cells, w_cells = x.cells, w.cells
    (xn, xc, *_), (wc, wl, *w_axes), (on, oc, *o_axes) = x.strides, w.strides, strides(out_shape)
    # Along each axis, for each input position: (output offset, kernel offset) of the taps that
    # land inside the output, in kernel order; a position's taps are the row-major combinations.
    per_axis = [
        [
            [((s * a - p + d * v) * oa, v * wa) for v in range(k) if 0 <= s * a - p + d * v < h]
            for a in range(n)
        ]
        for n, k, s, d, p, h, oa, wa in zip(
            spec.input,
            spec.kernel,
            spec.stride,
            spec.dilation,
            spec.padding,
            spec.output,
            o_axes,
            w_axes,
        )
    ]
    taps = [combined_offsets(combination) for combination in itertools.product(*per_axis)]
    terms: list[Pairs] = [[] for _ in range(math.prod(out_shape))]
    for n, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
        group = c // per_group_in
        for position, offsets in enumerate(taps):
            x_cell = x_cells[n * xn + c * xc + position]
            for local in range(per_group_out):
                o_at = n * on + (group * per_group_out + local) * oc
                w_at = c * wc + local * wl
                for do, dw in offsets:
                    terms[o_at + do].append((x_cell, w_cells[w_at + dw]))
    return terms


def expand(spec: ConvSpec) -> Expansion:
    def tensor(key: str, role: Role) -> Tensor:
        return Tensor(key, role, tensor_symbols(key, spec.shown_shape(key)))

    x = tensor("X", Role.INPUT)
    w = tensor(spec.weight, Role.PARAMETER)
    b = tensor("b", Role.PARAMETER) if spec.bias else None
    o = tensor("O", Role.OUTPUT)
    upstream = Tensor(
        gradient_key("O"), Role.UPSTREAM, tensor_symbols(gradient_key("O"), spec.shown_shape("O"))
    )
    build = _conv_transpose_terms if spec.transposed else _conv_terms
    terms = build(spec, _full(spec, x), _full(spec, w))
    biases = b.symbols.map(Poly.symbol).cells if b is not None else None

    out_shape = spec.full_shapes()["O"]
    per_channel = math.prod(out_shape[2:])

    def element(position: int, pairs: Pairs) -> Poly:
        if biases is not None:
            channel = position // per_channel % out_shape[1]
            pairs = [*pairs, (biases[channel], ONE)]
        return Poly.sum_of_products(pairs)

    forward_full = Grid(out_shape, tuple(element(*at) for at in enumerate(terms)))
    forward = Grid(o.shape, forward_full.cells)
    inputs = [w, x] + ([b] if b is not None else [])
    local, gradients = chain_rule(forward, o.symbols, upstream.symbols, [t.symbols for t in inputs])
    tensors = [x, w] + ([b] if b is not None else []) + [o, upstream]
    return Expansion(
        tensors=tuple(tensors),
        output="O",
        forward=forward,
        local_gradients=local,
        gradients=tuple((t.key, g) for t, g in zip(inputs, gradients)),
    )


@without_cycle_collection
def derive(spec: ConvSpec) -> Derivation:
    expansion = expand(spec)
    upstream = gradient_key("O")
    weight = spec.weight
    detections: list[ConvSearch] = []
    identities: list[ConvIdentity] = []
    plain_searches = (
        ("O", expansion.forward, ("X", weight)),
        (gradient_key(weight), expansion.gradient(weight), ("X", upstream)),
        (gradient_key("X"), expansion.gradient("X"), (upstream, weight)),
    )
    if spec.single_channel_unit_stride:
        # The 24 plain-array candidates (valid/same/full), on the plain tensors themselves.
        values = {
            t.key: t.symbols.map(Poly.symbol)
            for t in expansion.tensors
            if t.key in ("X", weight, upstream)  # the operands of the plain searches
        }
        for target, value, keys in plain_searches:
            if target not in spec.array_search_targets:
                continue
            operands = {k: values[k] for k in keys}
            table = of_grid(value)  # converted once, for the search and the proof
            detection = search(target, value, operands, table)
            detections.append(detection)
            identities.extend(verify(detection, value, operands, table))
    if not spec.plain_correlation_2d:
        full = {t.key: _full(spec, t) for t in expansion.tensors}
        geo = Geometry(spec.stride, spec.padding, spec.dilation, spec.groups, spec.output_padding)
        bias = "b" if spec.bias else None
        for target, value, keys in plain_searches:
            shape = full[target if target == "O" else target[len("dL/d") :]].shape
            shaped = Grid(shape, value.cells)
            found_in: Mapping[str, Grid[Poly]] = {k: full[k] for k in keys}
            if target == "O" and bias:
                found_in = {**found_in, bias: full[bias]}
            detection = search_layer(target, shaped, found_in, geo, bias if target == "O" else None)
            detections.append(detection)
            identities.extend(verify_layer(detection, shaped, found_in))
        if bias:
            value = expansion.gradient(bias)
            summed = {upstream: full[upstream]}
            detection = search_sum(gradient_key(bias), value, summed)
            detections.append(detection)
            identities.extend(verify_layer(detection, value, summed))
    return Derivation(
        layer=spec.command,
        options=spec.options(),
        expansion=expansion,
        detections=tuple(detections),
        identities=tuple(identities),
        spec=spec,
        view=VIEW,
    )


def make_spec(
    dims: int,
    transposed: bool,
    input: object,
    kernel: object,
    stride: object = 1,
    padding: object = 0,
    dilation: object = 1,
    output_padding: object = 0,
    groups: int = 1,
    in_channels: int | None = None,
    out_channels: int | None = None,
    batch: int | None = None,
    bias: bool = False,
    max_terms: int = DEFAULT_MAX_TERMS,
) -> ConvSpec:
    """A spec from what a Python caller or the command line passes: sizes as ``3``, ``(4, 5)`` or
    ``"4x5"``; stride, padding, dilation and output padding as one integer or one per axis."""
    for name, value in (
        ("groups", groups),
        ("in-channels", in_channels),
        ("out-channels", out_channels),
        ("batch", batch),
    ):
        if (value is not None or name == "groups") and whole(value) is None:
            raise SymderivError(f"--{name}: invalid value {shown(value)}; expected an integer")
    return ConvSpec(
        input=coerce_size(input, "--input", dims),
        kernel=coerce_size(kernel, "--kernel", dims),
        stride=coerce_axes(stride, "--stride", dims),
        padding=coerce_axes(padding, "--padding", dims),
        dilation=coerce_axes(dilation, "--dilation", dims),
        output_padding=coerce_axes(output_padding, "--output-padding", dims),
        groups=whole(groups) or 0,
        in_channels=whole(in_channels),
        out_channels=whole(out_channels),
        batch=whole(batch),
        bias=flag(bias, "--bias"),
        transposed=transposed,
        max_terms=max_terms,
    )


def _layer(
    dims: int,
    transposed: bool,
    input: object,
    kernel: object,
    **options: object,
) -> Derivation:
    all_equations = bool(options.pop("all_equations", False))
    values, seed = options.pop("values", None), options.pop("seed", None)
    derivation = derive(make_spec(dims, transposed, input, kernel, **options))  # type: ignore[arg-type]
    example = '{"X": [[...]], "dL/dO": [[...]]}'
    worked = worked_example(derivation.expansion, values, seed, example)
    return dataclasses.replace(derivation, all_equations=all_equations, worked=worked)


@checked_keywords
def conv1d(
    input: object = 3,
    kernel: object = 2,
    stride: object = 1,
    padding: object = 0,
    dilation: object = 1,
    groups: int = 1,
    in_channels: int | None = None,
    out_channels: int | None = None,
    batch: int | None = None,
    bias: bool = False,
    max_terms: int = DEFAULT_MAX_TERMS,
    all_equations: bool = False,
    values: object = None,
    seed: int | None = None,
) -> Derivation:
    """Derive the backward pass of ``torch.nn.functional.conv1d``.

    ``input`` and ``kernel`` are spatial sizes: one int for every axis, a tuple, or a string
    such as ``"4x5"``; ``stride``, ``padding`` and ``dilation`` one int or one per axis.
    Channels, a batch or groups switch to PyTorch's ``(N, C, ...)`` layout (the weight is then
    ``W``); ``max_terms`` bounds the work; ``all_equations`` prints every element equation.
    ``values`` (``{"X": [[...]], "dL/dO": [[...]]}``, or the input as ``"1,2;3,4"``) and ``seed``
    add a worked example on those numbers (arrays not given are drawn from the seed).
    """
    return _layer(
        1,
        False,
        input,
        kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=whole(groups) or 0,
        in_channels=whole(in_channels),
        out_channels=whole(out_channels),
        batch=whole(batch),
        bias=flag(bias, "--bias"),
        max_terms=max_terms,
        all_equations=all_equations,
        values=values,
        seed=seed,
    )


@checked_keywords
def conv2d(
    input: object = (3, 3),
    kernel: object = (2, 2),
    stride: object = 1,
    padding: object = 0,
    dilation: object = 1,
    groups: int = 1,
    in_channels: int | None = None,
    out_channels: int | None = None,
    batch: int | None = None,
    bias: bool = False,
    max_terms: int = DEFAULT_MAX_TERMS,
    all_equations: bool = False,
    values: object = None,
    seed: int | None = None,
) -> Derivation:
    """Derive the backward pass of ``torch.nn.functional.conv2d``.

    With no option this is the single-channel example of the course notes (stride 1, no padding).

    ``input`` and ``kernel`` are spatial sizes: one int for every axis, a tuple, or a string
    such as ``"4x5"``; ``stride``, ``padding`` and ``dilation`` one int or one per axis.
    Channels, a batch or groups switch to PyTorch's ``(N, C, ...)`` layout (the weight is then
    ``W``); ``max_terms`` bounds the work; ``all_equations`` prints every element equation.
    ``values`` (``{"X": [[...]], "dL/dO": [[...]]}``, or the input as ``"1,2;3,4"``) and ``seed``
    add a worked example on those numbers (arrays not given are drawn from the seed).
    """
    return _layer(
        2,
        False,
        input,
        kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=whole(groups) or 0,
        in_channels=whole(in_channels),
        out_channels=whole(out_channels),
        batch=whole(batch),
        bias=flag(bias, "--bias"),
        max_terms=max_terms,
        all_equations=all_equations,
        values=values,
        seed=seed,
    )


@checked_keywords
def conv3d(
    input: object = 3,
    kernel: object = 2,
    stride: object = 1,
    padding: object = 0,
    dilation: object = 1,
    groups: int = 1,
    in_channels: int | None = None,
    out_channels: int | None = None,
    batch: int | None = None,
    bias: bool = False,
    max_terms: int = DEFAULT_MAX_TERMS,
    all_equations: bool = False,
    values: object = None,
    seed: int | None = None,
) -> Derivation:
    """Derive the backward pass of ``torch.nn.functional.conv3d``.

    ``input`` and ``kernel`` are spatial sizes: one int for every axis, a tuple, or a string
    such as ``"4x5"``; ``stride``, ``padding`` and ``dilation`` one int or one per axis.
    Channels, a batch or groups switch to PyTorch's ``(N, C, ...)`` layout (the weight is then
    ``W``); ``max_terms`` bounds the work; ``all_equations`` prints every element equation.
    ``values`` (``{"X": [[...]], "dL/dO": [[...]]}``, or the input as ``"1,2;3,4"``) and ``seed``
    add a worked example on those numbers (arrays not given are drawn from the seed).
    """
    return _layer(
        3,
        False,
        input,
        kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=whole(groups) or 0,
        in_channels=whole(in_channels),
        out_channels=whole(out_channels),
        batch=whole(batch),
        bias=flag(bias, "--bias"),
        max_terms=max_terms,
        all_equations=all_equations,
        values=values,
        seed=seed,
    )


@checked_keywords
def conv_transpose1d(
    input: object = 2,
    kernel: object = 2,
    stride: object = 1,
    padding: object = 0,
    output_padding: object = 0,
    groups: int = 1,
    dilation: object = 1,
    in_channels: int | None = None,
    out_channels: int | None = None,
    batch: int | None = None,
    bias: bool = False,
    max_terms: int = DEFAULT_MAX_TERMS,
    all_equations: bool = False,
    values: object = None,
    seed: int | None = None,
) -> Derivation:
    """Derive the backward pass of ``torch.nn.functional.conv_transpose1d``.

    ``input`` and ``kernel`` are spatial sizes: one int for every axis, a tuple, or a string
    such as ``"4x5"``; ``stride``, ``padding`` and ``dilation`` one int or one per axis.
    Channels, a batch or groups switch to PyTorch's ``(N, C, ...)`` layout (the weight is then
    ``W``); ``max_terms`` bounds the work; ``all_equations`` prints every element equation.
    ``values`` (``{"X": [[...]], "dL/dO": [[...]]}``, or the input as ``"1,2;3,4"``) and ``seed``
    add a worked example on those numbers (arrays not given are drawn from the seed).
    ``output_padding`` (smaller than the stride or the dilation) lengthens the output.
    """
    return _layer(
        1,
        True,
        input,
        kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        output_padding=output_padding,
        groups=whole(groups) or 0,
        in_channels=whole(in_channels),
        out_channels=whole(out_channels),
        batch=whole(batch),
        bias=flag(bias, "--bias"),
        max_terms=max_terms,
        all_equations=all_equations,
        values=values,
        seed=seed,
    )


@checked_keywords
def conv_transpose2d(
    input: object = 2,
    kernel: object = 2,
    stride: object = 1,
    padding: object = 0,
    output_padding: object = 0,
    groups: int = 1,
    dilation: object = 1,
    in_channels: int | None = None,
    out_channels: int | None = None,
    batch: int | None = None,
    bias: bool = False,
    max_terms: int = DEFAULT_MAX_TERMS,
    all_equations: bool = False,
    values: object = None,
    seed: int | None = None,
) -> Derivation:
    """Derive the backward pass of ``torch.nn.functional.conv_transpose2d``.

    ``input`` and ``kernel`` are spatial sizes: one int for every axis, a tuple, or a string
    such as ``"4x5"``; ``stride``, ``padding`` and ``dilation`` one int or one per axis.
    Channels, a batch or groups switch to PyTorch's ``(N, C, ...)`` layout (the weight is then
    ``W``); ``max_terms`` bounds the work; ``all_equations`` prints every element equation.
    ``values`` (``{"X": [[...]], "dL/dO": [[...]]}``, or the input as ``"1,2;3,4"``) and ``seed``
    add a worked example on those numbers (arrays not given are drawn from the seed).
    ``output_padding`` (smaller than the stride or the dilation) lengthens the output.
    """
    return _layer(
        2,
        True,
        input,
        kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        output_padding=output_padding,
        groups=whole(groups) or 0,
        in_channels=whole(in_channels),
        out_channels=whole(out_channels),
        batch=whole(batch),
        bias=flag(bias, "--bias"),
        max_terms=max_terms,
        all_equations=all_equations,
        values=values,
        seed=seed,
    )


@checked_keywords
def conv_transpose3d(
    input: object = 2,
    kernel: object = 2,
    stride: object = 1,
    padding: object = 0,
    output_padding: object = 0,
    groups: int = 1,
    dilation: object = 1,
    in_channels: int | None = None,
    out_channels: int | None = None,
    batch: int | None = None,
    bias: bool = False,
    max_terms: int = DEFAULT_MAX_TERMS,
    all_equations: bool = False,
    values: object = None,
    seed: int | None = None,
) -> Derivation:
    """Derive the backward pass of ``torch.nn.functional.conv_transpose3d``.

    ``input`` and ``kernel`` are spatial sizes: one int for every axis, a tuple, or a string
    such as ``"4x5"``; ``stride``, ``padding`` and ``dilation`` one int or one per axis.
    Channels, a batch or groups switch to PyTorch's ``(N, C, ...)`` layout (the weight is then
    ``W``); ``max_terms`` bounds the work; ``all_equations`` prints every element equation.
    ``values`` (``{"X": [[...]], "dL/dO": [[...]]}``, or the input as ``"1,2;3,4"``) and ``seed``
    add a worked example on those numbers (arrays not given are drawn from the seed).
    ``output_padding`` (smaller than the stride or the dilation) lengthens the output.
    """
    return _layer(
        3,
        True,
        input,
        kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        output_padding=output_padding,
        groups=whole(groups) or 0,
        in_channels=whole(in_channels),
        out_channels=whole(out_channels),
        batch=whole(batch),
        bias=flag(bias, "--bias"),
        max_terms=max_terms,
        all_equations=all_equations,
        values=values,
        seed=seed,
    )


def cost(dims: int, transposed: bool, **options: object) -> float:
    """The work ``command`` will do, as a share of the default limit's."""
    for unused in ("all_equations", "values", "seed"):
        options.pop(unused, None)
    spec = make_spec(dims, transposed, **options)  # type: ignore[arg-type]
    return (spec.work + spec.cells + spec.candidates) / DEFAULT_MAX_TERMS


def command(dims: int, transposed: bool, **options: object) -> Derivation:
    """What ``symderiv convNd`` / ``conv-transposeNd`` run: the CLI's options as keywords."""
    return _layer(dims, transposed, **options)

"""The options of ``symderiv conv{1,2,3}d`` and ``conv-transpose{1,2,3}d``: the names of
torch.nn.functional.conv{1,2,3}d / conv_transpose{1,2,3}d."""

from __future__ import annotations

from ...core.options import (
    AXIS_NAMES,
    Option,
    axis_values,
    count,
    max_terms,
    sizes,
    worked_options,
)
from .spec import DEFAULT_MAX_TERMS


def options(dims: int, transposed: bool) -> tuple[Option, ...]:
    pattern = AXIS_NAMES[dims] if dims > 1 else "L"
    input_default = "x".join(("2" if transposed else "3") for _ in range(dims))
    per_axis = f"one integer, or one per spatial axis such as {'x'.join('2' * dims)}"
    made = [
        sizes(
            "--input",
            dims,
            f"Spatial input size {pattern} (a single N means N on every axis).",
            default=input_default,
        ),
        sizes(
            "--kernel",
            dims,
            f"Kernel size {pattern} (a single N means N on every axis).",
            default="x".join("2" for _ in range(dims)),
        ),
        axis_values("--stride", dims, f"Stride: {per_axis}.", "1"),
        axis_values("--padding", dims, f"Zero padding on both sides: {per_axis}.", "0"),
        axis_values("--dilation", dims, f"Spacing between kernel elements: {per_axis}.", "1"),
    ]
    if transposed:
        made.append(
            axis_values(
                "--output-padding",
                dims,
                f"Extra output size on one side: {per_axis}; smaller than the stride or the "
                "dilation.",
                "0",
            )
        )
    made += [
        count(
            "--groups",
            1,
            "Blocked connections: both channel counts must be multiples of it.",
            minimum=None,
        ),
        count(
            "--in-channels",
            None,
            "Input channels C_in (asking for channels switches to PyTorch's (N, C, ...) layout "
            "and calls the weight W).",
            minimum=None,
        ),
        count(
            "--out-channels",
            None,
            "Output channels C_out (PyTorch's layout, as --in-channels).",
            minimum=None,
        ),
        count("--batch", None, "Batch size N (PyTorch's layout, as --in-channels).", minimum=None),
        Option(
            "--bias/--no-bias",
            "Add a bias b of shape (C_out,) and derive dL/db.",
            default=False,
        ),
        Option(
            "--all-equations",
            "Print every element equation in Markdown and LaTeX, however many (by default "
            "large derivations show a representative selection; JSON always holds all).",
            is_flag=True,
            default=False,
        ),
        *worked_options(),
        max_terms(DEFAULT_MAX_TERMS),
    ]
    return tuple(made)


def help_text(dims: int, transposed: bool) -> str:
    function = f"conv_transpose{dims}d" if transposed else f"conv{dims}d"
    kind = "transposed convolution" if transposed else "convolution (cross-correlation)"
    default = (
        " With no option it is the single-channel example of the notes: stride 1, no padding."
        if dims == 2 and not transposed
        else ""
    )
    return (
        f"{dims}-D {kind}, as torch.nn.functional.{function}.{default}\n\nDerives the gradients "
        "of the input, the weight and the bias element by element, finds and proves the compact "
        "identities (strides, padding, dilation, channels, groups), and prints the derivation."
    )

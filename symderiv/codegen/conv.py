"""What the convolution's backward code says: the settings it was generated for and the
identities it implements, each as the derivation proved it."""

from __future__ import annotations

from typing import Any

from ..layers.conv.spec import ConvSpec


def context(derivation: Any, spec: ConvSpec) -> dict[str, Any]:
    # Per gradient, the proven statement of the form the code follows: the transposed
    # convolution for dL/dX, the weight gradient for dL/dW; else the first one proven.
    preferred = (
        (f"conv{spec.dims}d(dL/dO", "conv_weight")
        if spec.transposed
        else ("conv_transpose", "conv_weight")
    )
    proven: dict[str, str] = {}
    for identity in sorted(
        (i for i in derivation.identities if i.proof.holds and i.target != "O"),
        key=lambda i: not any(f"= {form}" in i.statement for form in preferred),
    ):
        proven.setdefault(identity.target, identity.statement)
    order = [f"dL/d{key}" for key in ("X", spec.weight, "b")]
    dims = spec.dims
    spatial = "".join("xyz"[:dims])
    return {
        "function": spec.function,
        "dims": dims,
        "stride": tuple(spec.stride),
        "padding": tuple(spec.padding),
        "dilation": tuple(spec.dilation),
        "output_padding": tuple(spec.output_padding),
        "groups": spec.groups,
        "bias": spec.bias,
        "identities": [proven[key] for key in order if key in proven],
        "shapes": ", ".join(
            f"{key} {'x'.join(map(str, shape))}"
            for key, shape in spec.full_shapes().items()
            if key != "b" or spec.bias
        ),
        "spatial_axes": tuple(range(2, 2 + dims)),
        "out_letters": spatial,
        "kernel_letters": "".join("uvw"[:dims]),
        "command": spec.command,
    }

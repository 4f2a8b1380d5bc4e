"""What the normalisation layers' backward code says: the layer, its layout, and the proven
compact formula and parameter gradients."""

from __future__ import annotations

from typing import Any

LAYOUTS = {
    "batchnorm": ("batch_norm", "input (N, C, *spatial), weight and bias (C,)"),
    "instancenorm": ("instance_norm", "input (N, C, *spatial), weight and bias (C,)"),
    "groupnorm": ("group_norm", "input (N, C, *spatial), weight and bias (C,)"),
    "layernorm": ("layer_norm", "input (*, *normalized_shape), weight and bias normalized_shape"),
}


def norm_context(derivation: Any) -> dict[str, Any]:
    spec = derivation.spec
    function, layout = LAYOUTS[spec.kind]
    eps = spec.eps
    return {
        "kind": spec.kind,
        "torch_function": function,
        "layout": layout,
        "groups": spec.groups,
        "eps": repr(1e-5 if eps is None else float(eps)),
        "identities": [i.statement for i in derivation.identities if i.proof.holds],
    }

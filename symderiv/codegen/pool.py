"""What the pooling backward code says: the settings it was generated for and, when one was
proven, the compact identity."""

from __future__ import annotations

from typing import Any


def pool_context(derivation: Any) -> dict[str, Any]:
    g = derivation.geometry
    kind = derivation.kind
    return {
        "function": "adaptive_avg_pool2d (to 1x1)"
        if derivation.layer == "global-avgpool"
        else f"{'max' if kind == 'max' else 'avg'}_pool{g.axes}d",
        "kind": kind,
        "kernel": tuple(g.kernel),
        "stride": tuple(g.stride),
        "padding": tuple(g.padding),
        "dilation": tuple(g.dilation),
        "ceil_mode": g.ceil_mode,
        "count_include_pad": derivation.count_include_pad,
        "identities": [i.statement for i in derivation.identities if i.proof.holds][:1],
    }

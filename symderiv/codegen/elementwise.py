"""What the activations' and softmax's backward code says: the function, its settings as
keyword defaults, and the identity it implements."""

from __future__ import annotations

from typing import Any

TORCH_NAMES = {
    "relu": "torch.nn.functional.relu",
    "leaky-relu": "torch.nn.functional.leaky_relu",
    "sigmoid": "torch.sigmoid",
    "tanh": "torch.tanh",
    "gelu": "torch.nn.functional.gelu",
    "softplus": "torch.nn.functional.softplus",
    "softmax": "torch.softmax",
    "log-softmax": "torch.log_softmax",
}


SETTINGS = {
    "leaky-relu": ("negative_slope",),
    "gelu": ("approximate",),
    "softplus": ("beta", "threshold"),
    "softmax": ("dim",),
    "log-softmax": ("dim",),
}
"""The keyword settings of each function, named as its spec and torch name them."""


def elementwise_context(derivation: Any) -> dict[str, Any]:
    spec = derivation.spec
    function = derivation.layer
    settings = {key: getattr(spec, key) for key in SETTINGS.get(function, ())}
    spelled = {key: _python(value) for key, value in settings.items()}
    proven = [i.statement for i in derivation.identities if i.proof.holds]
    return {
        "function": function,
        "torch_name": TORCH_NAMES[function],
        "signature": "".join(f", {k}={v}" for k, v in spelled.items()).replace(", ", ", *, ", 1)
        if spelled
        else "",
        "settings_text": ", ".join(f"{k}={v}" for k, v in spelled.items()) or "no settings",
        "identity": proven[0] if proven else "",
    }


def _python(value: object) -> str:
    """A setting as Python source: numbers as such (exact decimals as floats), text quoted."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool | int):
        return repr(value)
    return repr(float(value))  # type: ignore[arg-type]


def cross_entropy_context(derivation: Any) -> dict[str, Any]:
    spec = derivation.spec
    weight = None if spec.weight is None else [float(v) for v in spec.weight]
    proven = [i.statement for i in derivation.identities if i.proof.holds]
    settings = {
        "weight": repr(weight),
        "reduction": repr(spec.reduction),
        "label_smoothing": repr(float(spec.label_smoothing)),
    }
    return {
        **settings,
        "settings_text": ", ".join(f"{k}={v}" for k, v in settings.items()),
        "identity": proven[0] if proven else "",
    }

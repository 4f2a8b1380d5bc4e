"""``symderiv code``: a self-contained backward function written from the identities a
derivation proved, for PyTorch, NumPy or plain Python loops.

One calling convention for every target: the module defines ``backward(grad_output, *inputs,
**settings)``; the inputs are the layer's forward inputs in ``torch.nn.functional`` order
(convolution: ``input, weight`` and ``bias`` when the layer has one), as arrays of the target
(torch tensors for ``pytorch``, NumPy arrays for ``numpy`` and ``loops``), in PyTorch's layouts;
the settings are keyword arguments defaulting to the configuration it was generated for; it
returns the gradients of those inputs, in the same order.

Imports: ``layers``, ``render`` and ``core`` only. The templates (``templates/code``) spell the
code; this module decides which identity each gradient follows and with which settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.errors import SymderivError

if TYPE_CHECKING:
    from ..core.protocol import LayerDerivation

TARGETS = ("pytorch", "numpy", "jax", "loops")
"""The targets written and tested here. JAX (``lax.conv_general_dilated``) covers convolution;
for the other layers it is refused with one line."""


def generate(derivation: LayerDerivation, target: str) -> str:
    """The module's source for ``target``; one ``SymderivError`` line when the layer or the
    target is not covered, or when the derivation did not prove its identities."""
    if target not in TARGETS:
        raise SymderivError(
            f"--target: unknown target {target!r}; choose one of {', '.join(TARGETS)}"
        )
    from ..layers.conv.spec import ConvSpec
    from ..layers.linear.spec import LinearSpec
    from .conv import context
    from .elementwise import TORCH_NAMES, cross_entropy_context, elementwise_context
    from .linear import flatten_context, linear_context
    from .norm import LAYOUTS, norm_context
    from .pool import pool_context

    spec = getattr(derivation, "spec", None)
    if target == "jax" and not (isinstance(spec, ConvSpec) and not spec.transposed):
        raise SymderivError(
            f"code: the jax target covers conv1d-3d; for {derivation.layer} choose pytorch, "
            "numpy or loops"
        )
    # (template, its context, whether the code follows proven identities), per layer; pooling,
    # flatten, cross-entropy and the activations follow equations that always hold.
    proven = True
    if isinstance(spec, ConvSpec) and not spec.transposed:
        template, values = f"conv_{target}", context(derivation, spec)
    elif isinstance(spec, ConvSpec):
        if any(a >= s for a, s in zip(spec.output_padding, spec.stride)):
            # Then dL/dX needs the crop the document states, which the adjoint call lacks.
            raise SymderivError(
                f"code: {derivation.layer} with output_padding {spec.output_padding} reaching the "
                f"stride {spec.stride} is not covered yet"
            )
        template, values = f"transposed_{target}", context(derivation, spec)
    elif isinstance(spec, LinearSpec):
        template, values = f"linear_{target}", linear_context(derivation, spec)
    elif derivation.layer in LAYOUTS:
        mode = "norm" if getattr(spec, "training", True) else "norm_eval"
        template, values = f"{mode}_{target}", norm_context(derivation)
    else:
        proven = False
        if derivation.layer == "flatten":
            template, values = f"flatten_{target}", flatten_context(derivation)
        elif getattr(derivation, "kind", None) in ("max", "avg"):
            # Pooling follows its element equations (the routing rule), which hold even where
            # no compact identity does (divisors that differ between windows).
            template, values = f"pool_{target}", pool_context(derivation)
        elif derivation.layer == "cross-entropy":
            template, values = f"cross_entropy_{target}", cross_entropy_context(derivation)
        elif derivation.layer in TORCH_NAMES:
            template, values = f"elementwise_{target}", elementwise_context(derivation)
        else:
            raise SymderivError(
                f"code: {derivation.layer} is not covered yet; code is written for conv1d-3d, "
                "linear, flatten, pooling, normalisation, the activations, "
                "softmax and cross-entropy"
            )
    if proven and not derivation.verified:
        raise SymderivError(f"code: {derivation.layer}: not every identity of it was proven")
    return _render(template, values)


def _render(template: str, values: dict[str, Any]) -> str:
    from ..render.engine import environment

    return environment().get_template(f"code/{template}.py.j2").render(values).rstrip() + "\n"


def testgen(
    derive: Any,
    options: dict[str, Any],
    which: str = "given",
    impl: str | None = None,
    seed: int = 1,
) -> str:
    """A pytest file of exact cases for a backward implementation (``testgen.cases``)."""
    from ..render.engine import environment
    from .cases import cases, check_impl
    from .cases import context as cases_context
    from .elementwise import TORCH_NAMES
    from .expression_cases import CALLS
    from .norm import LAYOUTS as NORM_LAYOUTS

    check_impl(impl)
    found = cases(derive, options, which, seed)
    first = derive(**options)
    kind = getattr(first, "kind", "conv")
    if first.layer in CALLS:
        kind, function, dims = "expression", first.layer, 0
    elif kind == "conv":
        function, dims = first.spec.function, first.spec.dims
        kind = "transposed" if first.spec.transposed else "conv"
    else:
        dims = first.geometry.axes
        function = f"{'max' if kind == 'max' else 'avg'}_pool{dims}d"
    values = cases_context(kind, function, dims, impl, found)
    titles = {**TORCH_NAMES, "linear": "torch.nn.functional.linear"}
    titles |= {k: f"torch.nn.functional.{v[0]}" for k, v in NORM_LAYOUTS.items()}
    values["title"] = titles.get(first.layer, f"torch.nn.functional.{function}")
    values["call"] = CALLS.get(first.layer, "")
    return environment().get_template("code/testgen.py.j2").render(values).rstrip() + "\n"

"""``symderiv code``: every target's module, executed, against torch autograd in float64, for a
table of configurations; the module imports only its target; bad input writes nothing."""

from __future__ import annotations

import ast
import importlib.util
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import symderiv
from symderiv.cli.main import main
from symderiv.codegen import TARGETS, generate

from .test_conv_general import torch  # noqa: F401  (a fixture)

CONFIGS = [
    ("conv2d", {}),
    ("conv2d", {"input": 5, "kernel": 3, "stride": 2, "padding": 1, "bias": True}),
    ("conv2d", {"input": 6, "kernel": 2, "dilation": 2}),
    ("conv2d", {"input": 7, "kernel": 2, "stride": 3, "dilation": 2, "padding": 1}),
    (
        "conv2d",
        {
            "input": 4,
            "kernel": 3,
            "stride": 2,
            "in_channels": 4,
            "out_channels": 2,
            "groups": 2,
            "batch": 2,
        },
    ),
    (
        "conv2d",
        {"input": 4, "kernel": 3, "in_channels": 3, "out_channels": 3, "groups": 3, "bias": True},
    ),
    ("conv1d", {"input": 9, "kernel": 3, "stride": 2, "padding": 1, "dilation": 2}),
    ("conv3d", {"input": 4, "kernel": 2, "stride": 2, "bias": True}),
]
IMPORTS = {
    "pytorch": {"torch"},
    "numpy": {"numpy"},
    "jax": {"jax"},
    "loops": {"numpy", "itertools"},
}
OTHERS = tuple(t for t in TARGETS if t != "jax")
"""The targets of the layers other than convolution (jax covers convolution only)."""


def written(
    torch_module: Any,
    derivation: Any,
    target: str,
    tmp_path: Path,
    arrays: list[Any],
    **keywords: Any,
) -> list[Any]:
    """What the module ``symderiv code`` writes for ``target`` returns on these arrays (torch
    tensors for pytorch, NumPy arrays otherwise), as NumPy arrays."""
    module = load(generate(derivation, target), tmp_path / f"backward_{target}.py")
    inputs = [torch_module.tensor(a) for a in arrays] if target == "pytorch" else arrays
    grads = module.backward(*inputs, **keywords)
    return [np.asarray(g.numpy() if target == "pytorch" else g) for g in grads]


def assert_torchs(ours: list[Any], leaves: list[Any], tolerance: float) -> None:
    """Each gradient has its leaf's shape and torch's values, within ``tolerance``."""
    assert len(ours) == len(leaves)
    for gradient, leaf in zip(ours, leaves):
        assert gradient.shape == tuple(leaf.grad.shape)
        assert np.max(np.abs(gradient - leaf.grad.numpy())) <= tolerance


@pytest.fixture(scope="module")
def jax() -> Any:
    """JAX with float64; skipped where it is missing, except under CI, where it must be there."""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        import jax
    else:
        jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def load(source: str, path: Path) -> Any:
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.torch
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    ("layer", "options"), CONFIGS, ids=[f"{name}-{i}" for i, (name, _) in enumerate(CONFIGS)]
)
def test_the_written_backward_is_torchs(
    torch: Any,  # noqa: F811
    layer: str,
    options: dict[str, Any],
    target: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    d = getattr(symderiv, layer)(**options)
    spec = d.spec
    shapes = spec.full_shapes()
    rng = np.random.default_rng(len(str(options)))
    x = rng.standard_normal(shapes["X"])
    w = rng.standard_normal(shapes[spec.weight])
    b = rng.standard_normal(shapes["b"]) if spec.bias else None
    leaves = [torch.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]
    function = getattr(torch.nn.functional, layer)
    o = function(
        *leaves[:2],
        leaves[2] if b is not None else None,
        spec.stride,
        spec.padding,
        spec.dilation,
        spec.groups,
    )
    upstream = rng.standard_normal(tuple(o.shape))
    o.backward(torch.tensor(upstream))
    module = load(generate(d, target), tmp_path / f"backward_{target}.py")
    arrays = [upstream, *(a for a in (x, w, b) if a is not None)]
    if target == "jax":
        inputs = [request.getfixturevalue("jax").numpy.asarray(a) for a in arrays]
    else:
        inputs = [torch.tensor(a) for a in arrays] if target == "pytorch" else arrays
    grads = module.backward(*inputs)
    assert len(grads) == len(leaves)
    for ours, leaf in zip(grads, leaves):
        ours = ours.numpy() if target == "pytorch" else np.asarray(ours)
        assert ours.shape == tuple(leaf.grad.shape)
        assert np.max(np.abs(ours - leaf.grad.numpy())) <= 1e-10


@pytest.mark.torch
@pytest.mark.parametrize("target", OTHERS)
@pytest.mark.parametrize(
    "options",
    [{}, {"batch": "2x3", "in_features": 2, "out_features": 4}, {"bias": False, "batch": 3}],
    ids=["default", "batch-axes", "no-bias"],
)
def test_the_linear_backward_is_torchs(
    torch: Any,  # noqa: F811
    options: dict[str, Any],
    target: str,
    tmp_path: Path,
) -> None:
    d = symderiv.linear(**options)
    spec = d.spec
    rng = np.random.default_rng(3)
    x = rng.standard_normal(spec.input_shape)
    w = rng.standard_normal(spec.weight_shape)
    b = rng.standard_normal(spec.out_features) if spec.bias else None
    leaves = [torch.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]
    y = torch.nn.functional.linear(*leaves)
    upstream = rng.standard_normal(tuple(y.shape))
    y.backward(torch.tensor(upstream))
    arrays = [upstream, *(a for a in (x, w, b) if a is not None)]
    assert_torchs(written(torch, d, target, tmp_path, arrays), leaves, 1e-12)


TRANSPOSED = [
    ("conv_transpose2d", {}),
    (
        "conv_transpose2d",
        {"input": 3, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1, "bias": True},
    ),
    (
        "conv_transpose2d",
        {"input": 3, "kernel": 2, "stride": 2, "dilation": 2, "padding": 1, "output_padding": 1},
    ),
    (
        "conv_transpose2d",
        {
            "input": 3,
            "kernel": 2,
            "stride": 3,
            "output_padding": 2,
            "in_channels": 4,
            "out_channels": 2,
            "groups": 2,
            "batch": 2,
        },
    ),
    ("conv_transpose1d", {"input": 4, "kernel": 3, "stride": 2, "padding": 2, "output_padding": 1}),
    ("conv_transpose3d", {"input": 2, "kernel": 2, "stride": 2, "bias": True}),
]


@pytest.mark.torch
@pytest.mark.parametrize("target", OTHERS)
@pytest.mark.parametrize(
    ("layer", "options"), TRANSPOSED, ids=[f"{n}-{i}" for i, (n, _) in enumerate(TRANSPOSED)]
)
def test_the_transposed_backward_is_torchs(
    torch: Any,  # noqa: F811
    layer: str,
    options: dict[str, Any],
    target: str,
    tmp_path: Path,
) -> None:
    d = getattr(symderiv, layer)(**options)
    spec = d.spec
    shapes = spec.full_shapes()
    rng = np.random.default_rng(11)
    arrays = [rng.standard_normal(shapes[k]) for k in ("X", spec.weight)]
    if spec.bias:
        arrays.append(rng.standard_normal(shapes["b"]))
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    bias = leaves[2] if spec.bias else None
    o = getattr(torch.nn.functional, layer)(
        leaves[0],
        leaves[1],
        bias,
        spec.stride,
        spec.padding,
        spec.output_padding,
        spec.groups,
        spec.dilation,
    )
    upstream = rng.standard_normal(tuple(o.shape))
    o.backward(torch.tensor(upstream))
    assert_torchs(written(torch, d, target, tmp_path, [upstream, *arrays]), leaves, 1e-10)


@pytest.mark.torch
@pytest.mark.parametrize("target", OTHERS)
def test_flatten_and_global_pooling_backward_are_torchs(
    torch: Any,  # noqa: F811
    target: str,
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(12)
    for derivation, forward, x in (
        (symderiv.flatten(input=(2, 3, 4), start_dim=1), lambda t: torch.flatten(t, 1), (2, 3, 4)),
        (
            symderiv.global_avgpool(input=(3, 5)),
            lambda t: torch.nn.functional.adaptive_avg_pool2d(t, 1),
            (2, 2, 3, 5),
        ),
    ):
        array = rng.standard_normal(x)
        leaf = torch.tensor(array, requires_grad=True)
        y = forward(leaf)
        upstream = rng.standard_normal(tuple(y.shape))
        y.backward(torch.tensor(upstream))
        module = load(generate(derivation, target), tmp_path / f"{derivation.layer}_{target}.py")
        inputs = [upstream, array]
        (grad,) = module.backward(
            *([torch.tensor(a) for a in inputs] if target == "pytorch" else inputs)
        )
        grad = grad.numpy() if target == "pytorch" else grad
        assert np.max(np.abs(grad - leaf.grad.numpy())) <= 1e-12, derivation.layer


@pytest.mark.torch
@pytest.mark.parametrize("target", OTHERS)
@pytest.mark.parametrize("layer", ["batchnorm", "instancenorm"])
def test_the_eval_mode_backward_is_torchs(
    torch: Any,  # noqa: F811
    layer: str,
    target: str,
    tmp_path: Path,
) -> None:
    d = getattr(symderiv, layer)(batch=2, channels=3, spatial=(2, 2), mode="eval")
    rng = np.random.default_rng(14)
    x, w, b, mean = (rng.standard_normal(s) for s in (d.spec.shape, 3, 3, 3))
    var = rng.random(3) + 0.5
    leaves = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    stats = [torch.tensor(mean), torch.tensor(var)]
    f = torch.nn.functional
    if layer == "batchnorm":
        y = f.batch_norm(leaves[0], *stats, leaves[1], leaves[2], False, 0.1, 1e-5)
    else:
        y = f.instance_norm(
            leaves[0], *stats, leaves[1], leaves[2], use_input_stats=False, eps=1e-5
        )
    upstream = rng.standard_normal(tuple(y.shape))
    y.backward(torch.tensor(upstream))
    keywords = {"running_mean": mean, "running_var": var}
    if target == "pytorch":
        keywords = {"running_mean": stats[0], "running_var": stats[1]}
    ours = written(torch, d, target, tmp_path, [upstream, x, w, b], **keywords)
    assert_torchs(ours, leaves, 1e-12)


CROSS_ENTROPY = [
    ({}, {"target": [2, 0]}),
    (
        {"target": "1,0", "weight": "1,2,1", "label_smoothing": "0.2"},
        {"target": [1, 0], "weight": [1.0, 2.0, 1.0], "label_smoothing": 0.2},
    ),
    ({"target": "2,1", "reduction": "sum"}, {"target": [2, 1], "reduction": "sum"}),
    (
        {"target": "0,2", "reduction": "none", "weight": "2,1,1"},
        {"target": [0, 2], "reduction": "none", "weight": [2.0, 1.0, 1.0]},
    ),
    (
        {"target_probabilities": "0.25,0.75;1,0", "classes": 2, "weight": "1,3"}
        | {"label_smoothing": "0.1", "reduction": "sum"},
        {"probabilities": [[0.25, 0.75], [1, 0]], "weight": [1.0, 3.0]}
        | {"label_smoothing": 0.1, "reduction": "sum"},
    ),
]


@pytest.mark.torch
@pytest.mark.parametrize("target", OTHERS)
@pytest.mark.parametrize(
    ("options", "call"), CROSS_ENTROPY, ids=[str(i) for i in range(len(CROSS_ENTROPY))]
)
def test_the_cross_entropy_backward_is_torchs(
    torch: Any,  # noqa: F811
    options: dict[str, Any],
    call: dict[str, Any],
    target: str,
    tmp_path: Path,
) -> None:
    d = symderiv.cross_entropy(**options)
    rng = np.random.default_rng(13)
    x = rng.standard_normal((d.spec.batch, d.spec.classes))
    leaf = torch.tensor(x, requires_grad=True)
    if "probabilities" in call:
        labels = torch.tensor(call["probabilities"], dtype=torch.float64)
    else:
        labels = torch.tensor(call["target"])
    settings = {k: call[k] for k in ("reduction", "label_smoothing") if k in call}
    if "weight" in call:
        settings["weight"] = torch.tensor(call["weight"], dtype=torch.float64)
    loss = torch.nn.functional.cross_entropy(leaf, labels, **settings)
    upstream = rng.standard_normal(tuple(loss.shape))
    loss.backward(torch.tensor(upstream))
    module = load(generate(d, target), tmp_path / f"ce_{target}.py")
    if target == "pytorch":
        (grad,) = module.backward(torch.tensor(upstream), torch.tensor(x), labels)
        grad = grad.numpy()
    else:
        (grad,) = module.backward(upstream, x, labels.numpy())
    assert np.max(np.abs(grad - leaf.grad.numpy())) <= 1e-12


POOLS = [
    ("avgpool2d", {"input": 5, "kernel": 3, "stride": 2, "padding": 1}),
    ("avgpool2d", {"input": 5, "kernel": 3, "stride": 2, "padding": 1, "count_include_pad": False}),
    ("avgpool2d", {"input": 6, "kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ("avgpool1d", {"input": 7, "kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ("maxpool2d", {"values": "1,3,3;3,0,3;2,3,1", "kernel": 2, "stride": 1}),  # ties, overlaps
    (
        "maxpool2d",
        {"seed": 3, "input": 6, "kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    ),
    ("maxpool2d", {"seed": 2, "input": 7, "kernel": 2, "stride": 2, "dilation": 2}),
    ("maxpool3d", {"seed": 1, "input": 4, "kernel": 2}),
]


@pytest.mark.torch
@pytest.mark.parametrize("target", OTHERS)
@pytest.mark.parametrize(
    ("layer", "options"), POOLS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(POOLS)]
)
def test_the_pooling_backward_is_torchs(
    torch: Any,  # noqa: F811
    layer: str,
    options: dict[str, Any],
    target: str,
    tmp_path: Path,
) -> None:
    d = getattr(symderiv, layer)(**options)
    g = d.geometry
    if d.kind == "max":  # the derivation's own values (ties included), on two channels
        x = (
            np.array([float(v) for v in d.values.cells])
            .reshape(g.input)[None, None]
            .repeat(2, axis=1)
        )
    else:
        x = np.random.default_rng(5).standard_normal((2, 3, *g.input))
    leaf = torch.tensor(x, requires_grad=True)
    f = torch.nn.functional
    if d.kind == "max":
        o = getattr(f, f"max_pool{g.axes}d")(
            leaf, g.kernel, g.stride, g.padding, g.dilation, g.ceil_mode
        )
    else:
        o = getattr(f, f"avg_pool{g.axes}d")(
            leaf, g.kernel, g.stride, g.padding, g.ceil_mode, d.count_include_pad
        )
    upstream = np.random.default_rng(6).standard_normal(tuple(o.shape))
    o.backward(torch.tensor(upstream))
    assert_torchs(written(torch, d, target, tmp_path, [upstream, x]), [leaf], 1e-12)


ELEMENTWISE = [
    ("relu", {}, "relu", {}),
    ("leaky_relu", {"negative_slope": 0.2}, "leaky_relu", {"negative_slope": 0.2}),
    ("sigmoid", {}, "sigmoid", {}),
    ("tanh", {}, "tanh", {}),
    ("gelu", {}, "gelu", {}),
    ("gelu", {"approximate": "tanh"}, "gelu", {"approximate": "tanh"}),
    ("softplus", {"beta": 2, "threshold": 1}, "softplus", {"beta": 2, "threshold": 1}),
    ("softmax", {"dim": 0}, "softmax", {"dim": 0}),
    ("log_softmax", {}, "log_softmax", {"dim": -1}),
]


@pytest.mark.torch
@pytest.mark.parametrize("target", OTHERS)
@pytest.mark.parametrize(
    ("layer", "options", "function", "settings"),
    ELEMENTWISE,
    ids=[f"{e[0]}-{i}" for i, e in enumerate(ELEMENTWISE)],
)
def test_the_activation_and_softmax_backward_is_torchs(
    torch: Any,  # noqa: F811
    layer: str,
    options: dict[str, Any],
    function: str,
    settings: dict[str, Any],
    target: str,
    tmp_path: Path,
) -> None:
    x = np.random.default_rng(7).standard_normal((3, 4))
    x[0, 0] = 0.0  # the kink of ReLU and leaky ReLU: PyTorch's choice there
    leaf = torch.tensor(x, requires_grad=True)
    y = getattr(torch.nn.functional, function)(leaf, **settings)
    upstream = np.random.default_rng(8).standard_normal(tuple(y.shape))
    y.backward(torch.tensor(upstream))
    d = getattr(symderiv, layer)(**options)
    assert_torchs(written(torch, d, target, tmp_path, [upstream, x]), [leaf], 1e-12)


NORMS = [
    ("batchnorm", {"batch": 2, "channels": 3, "spatial": (2, 2)}),
    ("layernorm", {"batch": 2, "normalized_shape": (2, 3)}),
    ("groupnorm", {"batch": 2, "channels": 6, "groups": 3, "spatial": (2, 2)}),
    ("instancenorm", {"batch": 2, "channels": 2, "spatial": (2, 3)}),
]


def _torch_norm(torch_module: Any, kind: str, spec: Any, x: Any, w: Any, b: Any) -> Any:
    f = torch_module.nn.functional
    if kind == "batchnorm":
        return f.batch_norm(x, None, None, w, b, True, 0.1, 1e-5)
    if kind == "layernorm":
        return f.layer_norm(x, spec.parameter_shape, w, b, 1e-5)
    if kind == "groupnorm":
        return f.group_norm(x, spec.groups, w, b, 1e-5)
    return f.instance_norm(x, weight=w, bias=b, eps=1e-5)


@pytest.mark.torch
@pytest.mark.parametrize("target", OTHERS)
@pytest.mark.parametrize(("layer", "options"), NORMS, ids=[n for n, _ in NORMS])
def test_the_normalisation_backward_is_torchs(
    torch: Any,  # noqa: F811
    layer: str,
    options: dict[str, Any],
    target: str,
    tmp_path: Path,
) -> None:
    d = getattr(symderiv, layer)(**options)
    spec = d.spec
    rng = np.random.default_rng(9)
    arrays = [
        rng.standard_normal(spec.shape),
        *(rng.standard_normal(spec.parameter_shape) for _ in "wb"),
    ]
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = _torch_norm(torch, layer, spec, *leaves)
    upstream = rng.standard_normal(tuple(y.shape))
    y.backward(torch.tensor(upstream))
    assert_torchs(written(torch, d, target, tmp_path, [upstream, *arrays]), leaves, 1e-10)


@pytest.mark.parametrize("target", TARGETS)
def test_a_module_imports_only_its_target_and_says_what_it_implements(target: str) -> None:
    d = symderiv.conv2d(input=5, kernel=3, stride=2, padding=1, bias=True)
    source = generate(d, target)
    tree = ast.parse(source)
    imported = {
        a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    imported |= {
        (n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
    }
    assert imported == IMPORTS[target]
    doc = ast.get_docstring(tree) or ""
    for statement in (
        i.statement for i in d.identities if i.target == "dL/dX" and "conv_transpose" in i.statement
    ):
        assert statement in doc
        break
    else:
        pytest.fail("the module does not state the identity for dL/dX")
    assert "backward(grad_output, input, weight, bias=None, **settings)" in " ".join(doc.split())
    assert source == generate(
        symderiv.conv2d(input=5, kernel=3, stride=2, padding=1, bias=True), target
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["code", "conv2d", "--target", "mlx"], "unknown target 'mlx'"),
        (["code", "linear", "--target", "jax"], "the jax target covers conv1d-3d"),
        (["code", "chain-rule", "--target", "numpy"], "chain-rule is not covered yet"),
        (
            [
                "code",
                "conv-transpose1d",
                "--target",
                "numpy",
                "--stride",
                "2",
                "--dilation",
                "3",
                "--output-padding",
                "2",
            ],
            "reaching the stride",
        ),
        (["code", "conv-transpose2d", "--target", "jax"], "the jax target covers conv1d-3d"),
        (["code", "conv2d"], "--target"),
        (["code"], "code needs a layer"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    args: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "backward.py"
    assert main([*args, "-o", str(target)] if len(args) > 1 else args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err, err
    assert not target.exists()


def test_the_file_is_written(tmp_path: Path) -> None:
    target = tmp_path / "backward.py"
    assert main(["code", "conv2d", "--target", "loops", "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == generate(symderiv.conv2d(), "loops")

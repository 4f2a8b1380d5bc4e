"""Time the conv2d pipeline side by side with a plain-Python floor and with naive SymPy.

    python scripts/benchmark.py            # the figures quoted in README.md
    python scripts/benchmark.py --network  # symderiv network: the default and a LeNet-like chain
    python scripts/benchmark.py --families # the other convolutions at two sizes: per-term cost

Each figure is the best of several runs, in one process: the plain-Python floor (the same
forward and gradient terms spelled as strings, nothing proven), symderiv's derive + search +
proof, and the whole pipeline as the CLI runs it (with Markdown). The ratio column divides
derive + search + proof by the floor. Peak memory is tracemalloc's, for the whole pipeline. The
naive baseline builds the same loss with plain SymPy and calls sympy.diff once per input and
kernel element.
"""

from __future__ import annotations

import argparse
import platform
import time
import tracemalloc
from collections.abc import Callable

import sympy as sp

import symderiv
from symderiv.layers.conv.derive import derive, make_spec
from symderiv.layers.conv.spec import ConvSpec


def best_of(runs: int, work) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def pipeline(n: int, k: int) -> None:
    symderiv.conv2d(input=n, kernel=k, max_terms=10**7).to_markdown()


def proven(n: int, k: int) -> None:
    derive(make_spec(2, False, n, k, max_terms=10**7))


def floor(n: int, k: int) -> None:
    """The same terms as strings: O_ij = sum F_uv X_(i+u)(j+v), dL/dF_uv and dL/dX_ab as
    sums of dL/dO_ij times the other factor. The least any tool that writes them out must do."""
    m = n - k + 1
    forward: list[list[str]] = [[] for _ in range(m * m)]
    d_kernel: list[list[str]] = [[] for _ in range(k * k)]
    d_input: list[list[str]] = [[] for _ in range(n * n)]
    for i in range(m):
        for j in range(m):
            upstream = f"dL_dO_{i + 1}_{j + 1}"
            for u in range(k):
                for v in range(k):
                    x = f"X_{i + u + 1}_{j + v + 1}"
                    w = f"F_{u + 1}_{v + 1}"
                    forward[i * m + j].append(f"{w}*{x}")
                    d_kernel[u * k + v].append(f"{upstream}*{x}")
                    d_input[(i + u) * n + j + v].append(f"{upstream}*{w}")
    for terms in (forward, d_kernel, d_input):
        "\n".join(" + ".join(t) for t in terms)


def peak_mib(work: Callable[[], object]) -> float:
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def naive(n: int, k: int) -> None:
    """sympy.diff of the whole scalar loss, once per variable: quadratic in the size."""
    x = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"X_{i}_{j}"))
    f = sp.Matrix(k, k, lambda i, j: sp.Symbol(f"F_{i}_{j}"))
    m = n - k + 1
    loss = sp.Add(
        *(
            sp.Symbol(f"G_{i}_{j}")
            * sum(x[i + u, j + v] * f[u, v] for u in range(k) for v in range(k))
            for i in range(m)
            for j in range(m)
        )
    )
    for variable in (*x, *f):
        sp.diff(loss, variable)


GENERAL = dict(stride=2, padding=1, in_channels=3, out_channels=4, batch=2, bias=True)
"""A channelled case: a batch of 2, 3 -> 4 channels, 3x3 kernel, stride 2, padding 1."""


def general(runs: int) -> None:
    print(
        "\n| conv2d, batch 2, 3 -> 4 channels, 3x3, stride 2, padding 1, bias | product terms"
        " | derive + detect + verify (s) | + Markdown (s) | µs per term |"
    )
    print("|---|---:|---:|---:|---:|")
    for n in (8, 16, 24, 32):
        spec = make_spec(2, False, n, 3, **GENERAL, max_terms=10**7)
        proven = best_of(runs, lambda spec=spec: derive(spec))
        rendered = best_of(runs, lambda spec=spec: derive(spec).to_markdown())
        print(
            f"| input {n}x{n} | {spec.terms:,} | {proven:.2f} | {rendered:.2f} |"
            f" {proven / spec.terms * 1e6:.1f} |"
        )


LENET = (
    "conv2d(out_channels=6, kernel=5); relu; maxpool2d(kernel=2); conv2d(out_channels=16, "
    "kernel=3); relu; flatten; linear(out_features=10); cross-entropy(target=3)"
)


def networks(runs: int) -> None:
    """The whole-network worked example, derived and rendered as Markdown: the default chain on
    1x1x5x5, and a LeNet-like chain on 1x1x12x12 (both backward passes, both compared)."""
    print("| network | input | first run (s) | best of the rest (s) |")
    print("|---|---|---:|---:|")
    for name, layers, shape in (
        ("default", None, (1, 1, 5, 5)),
        ("LeNet-like", LENET, (1, 1, 12, 12)),
    ):
        options = {} if layers is None else {"layers": layers}

        def work(o: dict[str, str] = options, s: tuple[int, ...] = shape) -> None:
            symderiv.network(**o, input=s).to_markdown()

        # The first run fills SymPy's caches (each layer's derivation at its sizes): a student's
        # one command pays it; a program deriving many networks pays the second figure.
        first = best_of(1, work)
        rest = best_of(runs, work)
        print(f"| {name} | {'x'.join(map(str, shape))} | {first:.2f} | {rest:.2f} |")


FAMILIES = (
    # (name, dims, transposed, the two inputs, kernel, other options)
    ("conv1d", 1, False, (7500, 30000), 4, {}),
    ("conv3d", 3, False, (12, 18), 3, {}),
    ("conv-transpose2d", 2, True, (32, 64), 3, {}),
    ("conv2d --bias", 2, False, (32, 64), 3, {"bias": True}),
)
"""Families whose derivations run both searches (plain arrays and whole layers), each at a
size and one with about four times the terms."""


def families(runs: int) -> None:
    """Derive + search + proof per product term at two sizes: equal figures mean linear work."""
    print(
        "| command | input | kernel | product terms | derive + search + proof (s) | µs per term |"
    )
    print("|---|---|---|---:|---:|---:|")
    for name, dims, transposed, inputs, k, options in FAMILIES:
        for n in inputs:
            spec = make_spec(dims, transposed, n, k, **options, max_terms=10**7)
            seconds = best_of(runs, lambda spec=spec: derive(spec))
            print(
                f"| {name} | {n} | {k} | {spec.terms:,} | {seconds:.2f} |"
                f" {seconds / spec.terms * 1e6:.1f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--sizes",
        type=lambda text: tuple(int(v) for v in text.split("x")),
        nargs="*",
        default=[(8, 3), (16, 3), (32, 3), (48, 3), (64, 3), (32, 5)],
        help="input x kernel pairs such as 128x3 (default: 8x3 ... 64x3 and 32x5)",
    )
    parser.add_argument("--network", action="store_true", help="time symderiv network only")
    parser.add_argument(
        "--families", action="store_true", help="time the other convolutions at two sizes only"
    )
    args = parser.parse_args()
    if args.network:
        networks(args.runs)
        return
    if args.families:
        families(args.runs)
        return
    print(
        f"# {platform.processor() or platform.machine()}, Python {platform.python_version()},"
        f" SymPy {sp.__version__}"
    )
    print(
        "| input | kernel | product terms | floor (s) | derive + search + proof (s) |"
        " × floor | pipeline (s) | µs per term | peak (MiB) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for n, k in args.sizes:
        terms = ConvSpec((n, n), (k, k), max_terms=10**7).terms
        base = best_of(args.runs, lambda n=n, k=k: floor(n, k))
        ours = best_of(args.runs, lambda n=n, k=k: proven(n, k))
        seconds = best_of(args.runs, lambda n=n, k=k: pipeline(n, k))
        peak = peak_mib(lambda n=n, k=k: pipeline(n, k))
        print(
            f"| {n}x{n} | {k}x{k} | {terms:,} | {base:.4f} | {ours:.2f} | {ours / base:.0f} |"
            f" {seconds:.2f} | {seconds / terms * 1e6:.1f} | {peak:.0f} |"
        )
    general(args.runs)
    n, k = 16, 3
    ours = best_of(args.runs, lambda: pipeline(n, k))
    baseline = best_of(1, lambda: naive(n, k))
    print(
        f"\nnaive sympy.diff per variable at {n}x{n}, {k}x{k}: {baseline:.2f} s;"
        f" symderiv: {ours:.3f} s; ratio {baseline / ours:.0f}x"
    )


if __name__ == "__main__":
    main()

"""Time the conv2d pipeline and compare it with differentiating the loss once per variable.

    python scripts/benchmark.py            # the figures quoted in README.md

Each figure is the best of several runs of the whole pipeline as the CLI runs it: derive, detect,
verify and render Markdown. The naive baseline builds the same loss with plain SymPy and calls
sympy.diff once per input and kernel element.
"""

from __future__ import annotations

import argparse
import platform
import time

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(
        f"# {platform.processor() or platform.machine()}, Python {platform.python_version()},"
        f" SymPy {sp.__version__}"
    )
    print("| input | kernel | product terms | pipeline (s) | µs per term |")
    print("|---|---|---:|---:|---:|")
    for n, k in ((8, 3), (16, 3), (32, 3), (48, 3), (64, 3), (32, 5)):
        terms = ConvSpec((n, n), (k, k), max_terms=10**7).terms
        seconds = best_of(args.runs, lambda n=n, k=k: pipeline(n, k))
        print(f"| {n}x{n} | {k}x{k} | {terms:,} | {seconds:.2f} | {seconds / terms * 1e6:.1f} |")
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

"""Time the normalisation pipeline for growing M: derive, prove, render Markdown.

    python scripts/benchmark_norm.py       # the figures quoted in README.md

Each figure is the best of several runs of the whole pipeline as the CLI runs it for
``symderiv batchnorm --batch M``: build the graph, differentiate every definition, assemble the
staged and the compact dL/dx, prove them equal element by element (and the other identities), and
render the Markdown. Every run starts cold: SymPy's cache and symderiv's own (derivatives per
shape, reading keys) are cleared first, as in a fresh command. M = 64 needs ``max_terms`` above
its default (4,000 < 64^2). The naive baseline composes the whole forward pass into each y_i and
calls sympy.diff on the scalar loss once per input.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable

import sympy as sp

from symderiv.core import graph
from symderiv.layers.norm import view
from symderiv.layers.norm.derive import batchnorm, groupnorm, layernorm


def best_of(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        sp.core.cache.clear_cache()
        graph._shape_derivative.cache_clear()
        view._reading_key.cache_clear()
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


ENOUGH = 10**5
"""``max_terms`` for M = 64 (the default, 4,000, stops at M = 63)."""
LARGEST = {
    "layernorm": lambda: layernorm(batch=1, normalized_shape=(64,), max_terms=ENOUGH),
    "groupnorm": lambda: groupnorm(
        batch=1, channels=16, groups=1, spatial=(2, 2), max_terms=ENOUGH
    ),
}


def pipeline(m: int) -> None:
    d = batchnorm(batch=m, max_terms=ENOUGH)
    assert d.verified
    d.to_markdown()


def layer(make: Callable[[], object]) -> None:
    d = make()
    assert d.verified  # type: ignore[attr-defined]
    d.to_markdown()  # type: ignore[attr-defined]


def naive(m: int) -> None:
    """sympy.diff of the composed loss, once per input, then simplify against the compact form."""
    d = batchnorm(batch=m)
    upstream = list(d.tensor("dL/dy").symbols.cells)
    loss = sp.Add(*(u * y for u, y in zip(upstream, sp.flatten(d.forward().tolist()))))
    for x in d.tensor("x").symbols.cells:
        sp.diff(loss, x)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(
        f"# {platform.processor() or platform.machine()}, Python {platform.python_version()},"
        f" SymPy {sp.__version__}"
    )
    print("| layer | M | derive + prove + Markdown (s) |")
    print("|---|---:|---:|")
    for m in (4, 8, 16, 32, 64):
        seconds = best_of(args.runs, lambda m=m: pipeline(m))
        print(f"| batchnorm | {m} | {seconds:.2f} |")
    for name, make in LARGEST.items():
        seconds = best_of(args.runs, lambda make=make: layer(make))
        print(f"| {name} | 64 | {seconds:.2f} |")
    m = 16
    baseline = best_of(1, lambda: naive(m))
    print(f"\nsympy.diff of the composed loss per input at M = {m} (no proof): {baseline:.2f} s")


if __name__ == "__main__":
    main()

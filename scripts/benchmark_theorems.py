"""Time the proofs for every size: each theorem, all of them, and a reader's claims.

    python scripts/benchmark_theorems.py       # the figures quoted in README.md

Each theorem's figure is the best of several runs of its own proof (every number of spatial
axes it is proven for), called directly so that the per-process cache does not hide the work;
"all" is the sum. A claim's figure is ``symderiv theorems conv{n}d --claim`` without the
printing: the prover and the concrete instances.
"""

from __future__ import annotations

import argparse
import platform

import sympy as sp
from benchmark import best_of  # scripts/ is on the path when a script runs

from symderiv.theorems import _families
from symderiv.theorems.claim import judge_claim

CLAIMS = (
    (
        "conv2d",
        "dL/dX = conv_transpose2d(dL/dO, W, stride=s, padding=p, "
        "output_padding=(H + 2*p - d*(k - 1) - 1) mod s, dilation=d)",
    ),
    (
        "conv1d",
        "dL/dX = conv_transpose1d(dL/dO, W, stride=s, padding=p, "
        "output_padding=(H + 2*p - d*(k - 1)) mod s, dilation=d)",
    ),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    print(f"# {platform.machine()}, Python {platform.python_version()}, SymPy {sp.__version__}")
    print()
    print("| # | theorem | proof (s) |")
    print("|---:|---|---:|")
    total, number = 0.0, 0
    for builders in _families().values():
        for key, build in builders.items():
            number += 1
            seconds = best_of(runs, build)
            total += seconds
            print(f"| {number} | {key} | {seconds:.2f} |")
    print(f"| | all | {total:.2f} |")
    print()
    print("| claim | verdict | prover + instances (s) |")
    print("|---|---|---:|")
    for layer, claim in CLAIMS:
        verdict = judge_claim(layer, claim)
        seconds = best_of(runs, lambda: judge_claim(layer, claim))  # noqa: B023
        status = "PROVEN" if verdict.proven else "NOT PROVEN"
        print(f"| {layer}: `{claim}` | {status} | {seconds:.2f} |")


if __name__ == "__main__":
    main()

"""Charla's benchmarks (``make bench``; ``make bench QUICK=1`` for a short run).

Benchmarks are not tests: they print figures, and every figure is compared with a baseline
measured in the same run, side by side, because absolute times from different runs on these noisy
machines do not compare. Each module measures one area and returns :class:`bench.common.Metric`
rows; ``python -m bench`` runs them all and writes ``bench/results/latest.json`` and ``latest.md``.
"""

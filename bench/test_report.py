"""Tests of bench/report.py's tables and targets (standard library only).

Run with ``python3 -m unittest discover -s bench -p 'test_*.py'`` (``make bench-smoke``).
"""

from __future__ import annotations

import json
import tempfile
import unittest
from pathlib import Path
from typing import Any

import report


def fanout(
    peer: str, windows: int, rate: float | None, per_sec: float, lost: int = 0, **extra: Any
) -> dict[str, Any]:
    run = {
        "scenario": "fanout",
        "peer": peer,
        "params": {"windows": windows, "triggers": 100, "rate": rate},
        "metrics": {
            "deliveries_per_sec": per_sec,
            "lost": lost,
            "latency_ms": {"p50": 1, "p99": 2, "max": 3},
        },
    }
    run.update(extra)
    return run


def calls(peer: str, signal: str, per_sec: float, **extra: Any) -> dict[str, Any]:
    run = {
        "scenario": "calls",
        "peer": peer,
        "params": {"windows": 1_000, "seconds": 10.0, "in_flight": 1, "signal": signal},
        "metrics": {"round_trips_per_sec": per_sec, "errors": 0},
    }
    run.update(extra)
    return run


def load(runs: list[dict[str, Any]]) -> report.Results:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "results.json"
        path.write_text(json.dumps({"version": 1, "runs": runs}), encoding="utf-8")
        return report.load_results(path)


def target(results: report.Results, prefix: str) -> report.TargetRow:
    return next(row for row in report.target_rows(results) if row.target.startswith(prefix))


class Rounds(unittest.TestCase):
    # Five rounds at 10,000 windows: Switchboard ÷ floor per round 0.8, 1.2, 0.95, 1.0, 0.5.
    ROUNDS = [(800, 1000), (1200, 1000), (950, 1000), (1000, 1000), (500, 1000)]

    def results(self) -> report.Results:
        runs = []
        for number, (ours, floor) in enumerate(self.ROUNDS, start=1):
            runs.append(fanout("switchboard", 10_000, None, ours, round=number))
            runs.append(fanout("floor", 10_000, None, floor, round=number))
        return load(runs)

    def test_the_ratio_is_the_median_of_the_rounds_ratios(self) -> None:
        row = target(self.results(), "fanout burst ≥ 90% of floor deliveries/s at 10,000")
        self.assertEqual(row.met, "yes")
        self.assertIn("95% of floor", row.measured)
        self.assertIn("median of 5 rounds, 0.50–1.20×", row.measured)

    def test_rounds_are_paired_by_number_not_by_value(self) -> None:
        runs = [
            fanout("switchboard", 1_000, None, 100, round=1),
            fanout("floor", 1_000, None, 40, round=1),
            fanout("switchboard", 1_000, None, 60, round=2),
            fanout("floor", 1_000, None, 95, round=2),
            fanout("switchboard", 1_000, None, 70, round=3),
            fanout("floor", 1_000, None, 100, round=3),
        ]
        row = target(load(runs), "fanout burst ≥ 90% of floor deliveries/s at 1,000")
        # Per round 2.5, 0.63, 0.70: median 0.70 (the medians' ratio would be 70 ÷ 95, 74%).
        self.assertIn("70% of floor (70 vs 95/s; median of 3 rounds, 0.63–2.50×)", row.measured)
        self.assertEqual(row.met, "no")

    def test_the_tables_show_the_median_round_and_list_every_round(self) -> None:
        text = report.render_report(self.results(), "results.json")
        headline = next(
            line for line in text.splitlines() if line.startswith("| 10,000 windows · burst")
        )
        self.assertRegex(headline, r"\|\s+950 \|")  # Switchboard's median round
        self.assertIn("0.95×", headline)
        self.assertIn("Fan-out: every round", text)
        ratios = next(
            line
            for line in text.splitlines()
            if "switchboard ÷ floor |" in line and "0.80×" in line
        )
        for cell in ("0.80×", "1.20×", "0.95×", "1.00×", "0.50×"):
            self.assertIn(cell, ratios)

    def test_a_loss_in_any_round_fails_the_zero_loss_target(self) -> None:
        runs = [fanout("switchboard", 1_000, None, 100, lost=0, round=n) for n in (1, 2, 3)]
        runs.append(fanout("switchboard", 1_000, None, 100, lost=7, round=4))
        row = target(load(runs), "fanout: zero loss")
        self.assertEqual(row.met, "no")
        self.assertIn("7", row.measured)

    def test_a_row_measured_once_reads_as_before(self) -> None:
        runs = [fanout("switchboard", 1_000, None, 90), fanout("floor", 1_000, None, 100)]
        row = target(load(runs), "fanout burst ≥ 90% of floor deliveries/s at 1,000")
        self.assertEqual(row.measured, "90% of floor (90 vs 100/s)")
        self.assertNotIn("every round", report.render_report(load(runs), "results.json"))


class Calls(unittest.TestCase):
    def test_each_signal_is_compared_with_the_floors_run_of_the_same_row(self) -> None:
        runs = []
        for number in (1, 2, 3):
            runs += [
                calls("switchboard", "demo.mirror", 100 + number, round=number),
                calls("floor", "demo.mirror", 100, round=number),
                calls("switchboard", "demo.echo", 80, round=number),
                calls("floor", "demo.echo", 160, round=number),
            ]
        row = target(load(runs), "calls ≥ 1.0×")
        self.assertEqual(row.met, "yes")
        self.assertIn(
            "`demo.mirror` 1.02× (102 vs 100/s; median of 3 rounds, 1.01–1.03×)", row.measured
        )
        # Against the floor's own demo.echo row (160/s), not its demo.mirror row.
        self.assertIn("`demo.echo` (two frames back) 0.50×", row.measured)

    def test_a_failed_switchboard_run_fails_the_target(self) -> None:
        runs = [
            calls("switchboard", "demo.mirror", 0, error="refused"),
            calls("floor", "demo.mirror", 100),
        ]
        row = target(load(runs), "calls ≥ 1.0×")
        self.assertEqual(row.met, "no")
        self.assertIn("refused", row.measured)


class Median(unittest.TestCase):
    def test_odd_and_even_counts(self) -> None:
        self.assertEqual(report.median([3.0, 1.0, 2.0]), 2.0)
        self.assertEqual(report.median([4.0, 1.0, 3.0, 2.0]), 2.5)

    def test_the_shown_run_of_an_even_count_is_the_lower_middle_one(self) -> None:
        runs = load(
            [fanout("floor", 10, None, v, round=n) for n, v in enumerate([40, 10, 30, 20], start=1)]
        ).runs
        shown = report.median_run(runs, ("deliveries_per_sec",))
        self.assertIsNotNone(shown)
        self.assertEqual(shown.value("deliveries_per_sec"), 20)


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/env python3
"""Turn a Switchboard benchmark results file into Markdown tables and PNG plots.

Usage::

    python bench/report.py RESULTS.json [--markdown BENCHMARKS.md] [--plots DIR] [--no-plots]

The tables are always printed to stdout. With ``--markdown`` they also replace
whatever lies between the lines ``<!-- results:begin -->`` and
``<!-- results:end -->`` of that file; everything else in it is kept byte for
byte. When the file has neither marker, the markers and the tables are
appended at its end (a missing file is created). Plots go to ``--plots``
(default: ``bench/plots/`` beside this script): ``fanout-throughput.png`` and
``fanout-p99.png``.

Input schema (written by the Rust load generator, ``version`` 1)::

    {
      "version": 1,
      "started": "2026-11-22T21:00:00Z",      # when the suite started
      "git": "abc1234",                        # commit measured
      "smoke": false,                          # true: tiny sizes, not representative
      "machine": {"cpus": 2, "cpu_model": "...", "mem_kib": 24000000, "kernel": "6.x"},
      "runs": [
        {"scenario": "idle" | "fanout" | "calls" | "churn" | "capacity",
         "peer": "switchboard" | "switchboard-nohistory" | "floor" | "floor-same-bytes"
                 | "channels-memory" | "channels-redis",
         "round": 2,             # optional: the row was measured in alternating rounds
         "params": {...},        # idle: windows; fanout: windows, triggers, rate;
                                 # calls: windows, seconds, in_flight, signal;
                                 # churn: clients, seconds
         "metrics": {...},       # see SCENARIOS below for the fields read
         "error": "text"}        # optional: the run failed (metrics may be absent)
      ]
    }

A row measured in rounds (the suite's ``--rounds``: fan-out bursts and calls, the
peers taking turns to go first) has one run per peer and round. Its tables show each
peer's median round, its ratios the median of the rounds' ratios (a round's peers run
back to back), and a rounds table lists every round.

``rate`` null (or absent) means a burst ("as fast as possible"); a number means
paced at that many triggers per second. Any value may be null and any peer or
scenario may be absent: such cells read "n/a" (null value), "—" (no run) or
"failed: text" (the run carries an error). Ratios always read "> 1× means
Switchboard is better": throughputs are switchboard ÷ peer, memory per window
is peer ÷ switchboard.

Only the standard library and matplotlib (for the plots) are used.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BEGIN_MARKER = "<!-- results:begin -->"
END_MARKER = "<!-- results:end -->"
SCHEMA_VERSION = 1
SWITCHBOARD = "switchboard"
FLOOR = "floor"
FLOOR_SAME_BYTES = "floor-same-bytes"
CHANNELS_PEERS = ("channels-memory", "channels-redis")
NO_HISTORY = "switchboard-nohistory"
KNOWN_PEERS = (SWITCHBOARD, NO_HISTORY, FLOOR, FLOOR_SAME_BYTES, *CHANNELS_PEERS)
PEER_COLOURS = {
    SWITCHBOARD: "#1f77b4",
    FLOOR: "#333333",
    FLOOR_SAME_BYTES: "#999999",
    "channels-memory": "#ff7f0e",
    "channels-redis": "#d62728",
}
PEER_MARKERS = {
    SWITCHBOARD: "o",
    FLOOR: "s",
    FLOOR_SAME_BYTES: "s",
    "channels-memory": "^",
    "channels-redis": "v",
}
NO_RUN = "—"
NULL = "n/a"
FIGURE_SIZE = (8.0, 5.0)
FIGURE_DPI = 120
PAD_LIMIT = 60


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Run:
    """One entry of ``runs``: a scenario measured against one peer."""

    scenario: str
    peer: str
    params: dict[str, Any]
    metrics: dict[str, Any]
    error: str | None
    round: int | None = None

    @property
    def key(self) -> str:
        """The row a run belongs to: its sizes, not how long it ran.

        Peers that are much slower run fewer triggers or hold for less time, and still
        share the row.
        """
        return params_key({k: v for k, v in self.params.items() if k not in PER_PEER_PARAMS})

    @property
    def windows(self) -> int | None:
        return as_int(self.params.get("windows"))

    @property
    def size(self) -> int | None:
        """Windows, or clients for churn: the row's primary sort key."""
        value = as_int(self.params.get("windows"))
        return value if value is not None else as_int(self.params.get("clients"))

    @property
    def rate(self) -> float | None:
        return as_number(self.params.get("rate"))

    @property
    def burst(self) -> bool:
        return self.params.get("rate") is None

    def value(self, *path: str) -> float | None:
        """A numeric metric, or None when missing, null or the run failed."""
        if self.error is not None:
            return None
        return metric(self.metrics, path)


@dataclass(frozen=True)
class Results:
    started: str | None
    git: str | None
    smoke: bool | None
    machine: dict[str, Any]
    runs: tuple[Run, ...]


@dataclass(frozen=True)
class Column:
    """A detail-table column: a header and how to render a successful run."""

    header: str
    render: Callable[[Run], str]


@dataclass(frozen=True)
class ScenarioSpec:
    name: str
    title: str
    headline_label: str
    headline: tuple[str, ...]
    lower_is_better: bool
    detail_title: str
    details: tuple[Column, ...]


@dataclass(frozen=True)
class TargetRow:
    target: str
    measured: str
    met: str
    margin: str


# --------------------------------------------------------------------------- values


def as_number(value: Any) -> float | None:
    """A finite int or float, else None (bools and strings are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def as_int(value: Any) -> int | None:
    number = as_number(value)
    if number is None or number != int(number):
        return None
    return int(number)


def metric(metrics: dict[str, Any], path: Sequence[str]) -> float | None:
    node: Any = metrics
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return as_number(node)


# Parameters that may differ between peers in one row (see `Run.key`).
PER_PEER_PARAMS = frozenset({"triggers", "hold_secs"})


def params_key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"))


# --------------------------------------------------------------------------- loading


def load_results(path: Path) -> Results:
    """Read and normalise a results file; raises ValueError when unusable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"cannot read {path}: {err}") from err
    if not isinstance(data, dict):
        raise ValueError(f"{path}: top level is not a JSON object")  # noqa: TRY004 (one error type for every unusable file)
    if data.get("version") != SCHEMA_VERSION:
        warn(f"{path}: version {data.get('version')!r}, expected {SCHEMA_VERSION}; reading anyway")
    raw_runs = data.get("runs")
    if not isinstance(raw_runs, list):
        warn(f"{path}: no 'runs' list")
        raw_runs = []
    machine = data.get("machine")
    smoke = data.get("smoke")
    runs = tuple(run for run in map(parse_run, raw_runs) if run is not None)
    warn_duplicates(runs)
    return Results(
        started=text_or_none(data.get("started")),
        git=text_or_none(data.get("git")),
        smoke=smoke if isinstance(smoke, bool) else None,
        machine=machine if isinstance(machine, dict) else {},
        runs=runs,
    )


def parse_run(raw: Any) -> Run | None:
    if not isinstance(raw, dict) or not raw.get("scenario") or not raw.get("peer"):
        warn(f"skipping malformed run: {raw!r:.120}")
        return None
    params = raw.get("params")
    metrics = raw.get("metrics")
    error = raw.get("error")
    round_ = as_int(raw.get("round"))
    return Run(
        scenario=str(raw["scenario"]),
        peer=str(raw["peer"]),
        params=params if isinstance(params, dict) else {},
        metrics=metrics if isinstance(metrics, dict) else {},
        error=None if error is None else str(error),
        round=round_,
    )


def text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def warn(message: str) -> None:
    print(f"report.py: {message}", file=sys.stderr)


# --------------------------------------------------------------------------- formatting


def fmt_num(value: float | None) -> str:
    """Thousands separators; decimals only where the magnitude needs them."""
    if value is None:
        return NULL
    if isinstance(value, int) or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    if abs(value) >= 1 or value == 0:
        return f"{value:,.2f}"
    return f"{value:#.2g}"


def fmt_ratio(ratio: float | None) -> str:
    """Two decimals from 1× up, two significant digits below (0.50×, 0.042×)."""
    if ratio is None:
        return NULL
    if ratio >= 1:
        return f"{ratio:,.2f}×"
    return f"{ratio:#.2g}×"


def fmt_margin(fraction: float) -> str:
    percent = round(fraction * 100)
    if fraction >= 0:
        return f"+{percent:,}% headroom"
    return f"-{abs(percent):,}% short"


def clean_text(text: str) -> str:
    """One line, safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def failed(run: Run) -> str:
    return f"failed: {clean_text(run.error or '')}"


def params_label(params: dict[str, Any]) -> str:
    """`1,000 windows · burst`; unknown keys as `key=value` (per-peer params are left out)."""
    parts: list[str] = []
    for key in ("windows", "clients", "nodes"):
        if key in params:
            parts.append(f"{fmt_param(params[key])} {key}")
    if "rate" in params or "triggers" in params:
        rate = as_number(params.get("rate"))
        parts.append("burst" if params.get("rate") is None else f"paced {fmt_param(rate)}/s")
    if "seconds" in params:
        parts.append(f"{fmt_param(params['seconds'])} s")
    if "in_flight" in params:
        parts.append(f"{fmt_param(params['in_flight'])} in flight")
    if "signal" in params:
        parts.append(clean_text(str(params["signal"])))
    known = {"windows", "clients", "nodes", "rate", "seconds", "in_flight", "signal"}
    known |= PER_PEER_PARAMS
    parts.extend(
        f"{key}={clean_text(str(params[key]))}" for key in sorted(params) if key not in known
    )
    return " · ".join(parts) if parts else "(no params)"


def fmt_param(value: Any) -> str:
    number = as_number(value)
    if number is None:
        return NULL if value is None else clean_text(str(value))
    return f"{number:,}" if number == int(number) else f"{number:,.3g}"


def markdown_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1
) -> list[str]:
    """A padded GitHub table; the first `left` columns left-aligned, the rest right.

    Cells longer than PAD_LIMIT (long error texts) overflow instead of widening
    their whole column.
    """
    widths = [
        max([3, *(len(cell) for cell in column if len(cell) <= PAD_LIMIT)])
        for column in zip(headers, *rows, strict=True)
    ]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.ljust(width) if index < left else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = [
        "-" * width if index < left else "-" * (width - 1) + ":"
        for index, width in enumerate(widths)
    ]
    return [line(headers), "| " + " | ".join(rule) + " |", *(line(row) for row in rows)]


# --------------------------------------------------------------------------- scenarios


def latency(name: str) -> Column:
    return Column(f"{name} ms", lambda run: fmt_num(run.value("latency_ms", name)))


def field(header: str, *path: str) -> Column:
    return Column(header, lambda run: fmt_num(run.value(*path)))


def chain(header: str, *names: str) -> Column:
    return Column(header, lambda run: " → ".join(fmt_num(run.value(name)) for name in names))


SCENARIOS = (
    ScenarioSpec(
        name="idle",
        title="Idle windows: RSS per window (KiB, lower is better)",
        headline_label="KiB/window",
        headline=("rss_per_window_kib",),
        lower_is_better=True,
        detail_title="Idle windows: connecting",
        details=(
            field("connects/s", "connects_per_sec"),
            field("connected", "connected"),
            field("failed", "failed"),
            chain("RSS KiB baseline → loaded", "rss_baseline_kib", "rss_kib"),
        ),
    ),
    ScenarioSpec(
        name="fanout",
        title="Fan-out: deliveries per second",
        headline_label="deliveries/s",
        headline=("deliveries_per_sec",),
        lower_is_better=False,
        detail_title="Fan-out: latency and loss",
        details=(
            latency("p50"),
            latency("p99"),
            latency("max"),
            field("lost", "lost"),
            field("received", "received"),
            field("expected", "expected"),
            field("refused connects", "failed_connects"),
        ),
    ),
    ScenarioSpec(
        name="calls",
        title="Calls: round trips per second",
        headline_label="round trips/s",
        headline=("round_trips_per_sec",),
        lower_is_better=False,
        detail_title="Calls: latency and errors",
        details=(
            latency("p50"),
            latency("p99"),
            latency("max"),
            field("errors", "errors"),
            field("refused connects", "failed_connects"),
        ),
    ),
    ScenarioSpec(
        name="capacity",
        title="Capacity: windows over several nodes on Redis, all receiving broadcasts",
        headline_label="deliveries/s",
        headline=("deliveries_per_sec",),
        lower_is_better=False,
        detail_title="Capacity: connected and delivered",
        details=(
            field("connected", "connected"),
            field("failed", "failed"),
            field("lost", "lost"),
            field("received", "received"),
            latency("p99"),
            latency("max"),
        ),
    ),
    ScenarioSpec(
        name="churn",
        title="Churn: client lives per second",
        headline_label="cycles/s",
        headline=("cycles_per_sec",),
        lower_is_better=False,
        detail_title="Churn: memory and errors",
        details=(
            chain(
                "RSS KiB baseline → peak → after",
                "rss_baseline_kib",
                "rss_peak_kib",
                "rss_after_kib",
            ),
            field("cycles", "cycles"),
            field("errors", "errors"),
        ),
    ),
)


def ordered_peers(runs: Iterable[Run]) -> list[str]:
    present = {run.peer for run in runs}
    return [peer for peer in KNOWN_PEERS if peer in present] + sorted(present - set(KNOWN_PEERS))


def row_sort_key(run: Run) -> tuple[int, int, float, tuple[tuple[str, float, str], ...]]:
    """Windows (or clients) ascending, burst before paced, then the other params."""
    size = run.size
    rest = tuple(
        (name, as_number(value) or 0.0, params_key({name: value}))
        for name, value in sorted(run.params.items())
    )
    return (size if size is not None else -1, 0 if run.burst else 1, run.rate or 0.0, rest)


def ordered_rows(runs: Sequence[Run]) -> list[Run]:
    """One representative run per distinct params, in table order."""
    first: dict[str, Run] = {}
    for run in runs:
        first.setdefault(run.key, run)
    return sorted(first.values(), key=row_sort_key)


def group_runs(runs: Iterable[Run]) -> dict[tuple[str, str], list[Run]]:
    """(peer, params key) -> its runs in file order: one, or one per round."""
    groups: dict[tuple[str, str], list[Run]] = {}
    for run in runs:
        groups.setdefault((run.peer, run.key), []).append(run)
    return groups


def median(values: Sequence[float]) -> float:
    """The middle value; the mean of the two middle ones for an even count."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def median_run(group: Sequence[Run], path: Sequence[str]) -> Run | None:
    """The run shown for a group.

    The one alone, or the round whose `path` value is the median (the lower middle one for
    an even count); the last run when none has a value (a failed run shows its error).
    """
    if not group:
        return None
    valued = sorted(
        (run for run in group if run.value(*path) is not None), key=lambda r: r.value(*path) or 0.0
    )
    if not valued:
        return group[-1]
    return valued[(len(valued) - 1) // 2]


def index_runs(spec: ScenarioSpec, runs: Iterable[Run]) -> dict[tuple[str, str], Run]:
    """(peer, params key) -> the run shown (see `median_run`)."""
    return {
        key: run
        for key, group in group_runs(runs).items()
        if (run := median_run(group, spec.headline)) is not None
    }


def warn_duplicates(runs: Iterable[Run]) -> None:
    seen: set[tuple[str, str, str, int | None]] = set()
    for run in runs:
        identity = (run.scenario, run.peer, run.key, run.round)
        if identity in seen:
            warn(
                f"duplicate {run.scenario} run for {run.peer} {params_label(run.params)}; the median one is shown"
            )
        seen.add(identity)


def value_ratio(mine: float | None, other: float | None, lower_is_better: bool) -> float | None:
    """> 1 means Switchboard is better, whichever way the figure points."""
    numerator, denominator = (other, mine) if lower_is_better else (mine, other)
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def ratio(spec: ScenarioSpec, ours: Run | None, theirs: Run | None) -> float | None:
    """> 1 means Switchboard is better, whichever way the headline points."""
    if ours is None or theirs is None:
        return None
    return value_ratio(
        ours.value(*spec.headline), theirs.value(*spec.headline), spec.lower_is_better
    )


@dataclass(frozen=True)
class Comparison:
    """Switchboard's runs of a row against a peer's."""

    ours: Run
    theirs: Run
    # Median of the rounds' ratios when both sides ran in rounds, else the shown runs' ratio.
    value: float | None
    # Each round's ratio, in round order (empty: not measured in rounds).
    rounds: tuple[float, ...]


def compare(
    ours: Sequence[Run], theirs: Sequence[Run], path: Sequence[str], lower_is_better: bool = False
) -> Comparison | None:
    """Compares two groups of runs of one row.

    Rounds are paired by number (a round's peers ran seconds apart); a failed round gives
    no ratio.
    """
    mine, other = median_run(ours, path), median_run(theirs, path)
    if mine is None or other is None:
        return None
    by_round = {run.round: run for run in theirs if run.round is not None}
    rounds = tuple(
        value
        for run in sorted((r for r in ours if r.round is not None), key=lambda r: r.round or 0)
        if run.round in by_round
        and (
            value := value_ratio(
                run.value(*path), by_round[run.round].value(*path), lower_is_better
            )
        )
        is not None
    )
    value = (
        median(rounds)
        if rounds
        else value_ratio(mine.value(*path), other.value(*path), lower_is_better)
    )
    return Comparison(mine, other, value, rounds)


def fmt_spread(comparison: Comparison) -> str:
    """`median of N rounds, lo–hi×`, or nothing for a row measured once."""
    if not comparison.rounds:
        return ""
    lo, hi = min(comparison.rounds), max(comparison.rounds)
    return f"median of {len(comparison.rounds)} rounds, {lo:.2f}–{hi:.2f}×"


def ratio_header(spec: ScenarioSpec, peer: str) -> str:
    return f"{peer} ÷ {SWITCHBOARD}" if spec.lower_is_better else f"{SWITCHBOARD} ÷ {peer}"


def headline_cell(spec: ScenarioSpec, run: Run | None) -> str:
    if run is None:
        return NO_RUN
    if run.error is not None:
        return failed(run)
    return fmt_num(run.value(*spec.headline))


def ratio_cell(spec: ScenarioSpec, ours: Sequence[Run], theirs: Sequence[Run]) -> str:
    comparison = compare(ours, theirs, spec.headline, spec.lower_is_better)
    if comparison is None:
        return NO_RUN
    return fmt_ratio(comparison.value)


def headline_table(spec: ScenarioSpec, runs: Sequence[Run]) -> list[str]:
    peers = ordered_peers(runs)
    others = [peer for peer in peers if peer != SWITCHBOARD] if SWITCHBOARD in peers else []
    index = index_runs(spec, runs)
    groups = group_runs(runs)
    headers = ["params", *(f"{peer} {spec.headline_label}" for peer in peers)]
    headers += [ratio_header(spec, peer) for peer in others]
    rows = []
    for row in ordered_rows(runs):
        ours = groups.get((SWITCHBOARD, row.key), [])
        cells = [params_label(row.params)]
        cells += [headline_cell(spec, index.get((peer, row.key))) for peer in peers]
        cells += [ratio_cell(spec, ours, groups.get((peer, row.key), [])) for peer in others]
        rows.append(cells)
    return markdown_table(headers, rows)


def detail_table(spec: ScenarioSpec, runs: Sequence[Run]) -> list[str]:
    peers = ordered_peers(runs)
    index = index_runs(spec, runs)
    headers = ["params", "peer", *(column.header for column in spec.details)]
    rows = []
    for row in ordered_rows(runs):
        for peer in peers:
            run = index.get((peer, row.key))
            if run is not None:
                rows.append([params_label(row.params), peer, *detail_cells(spec, run)])
    return markdown_table(headers, rows, left=2)


def detail_cells(spec: ScenarioSpec, run: Run) -> list[str]:
    if run.error is not None:
        return [failed(run), *([""] * (len(spec.details) - 1))]
    return [column.render(run) for column in spec.details]


def scenario_section(spec: ScenarioSpec, runs: Sequence[Run]) -> list[str]:
    note = (
        "Ratios: peer ÷ switchboard (memory per window); > 1× means Switchboard uses less."
        if spec.lower_is_better
        else "Ratios: switchboard ÷ peer; > 1× means Switchboard is faster."
    )
    lines = [f"### {spec.title}", "", *headline_table(spec, runs), ""]
    if SWITCHBOARD in {run.peer for run in runs} and len({run.peer for run in runs}) > 1:
        lines += [note, ""]
    if any(run.round is not None for run in runs):
        lines += [ROUNDS_NOTE, ""]
    lines += [f"#### {spec.detail_title}", "", *detail_table(spec, runs), ""]
    rounds = rounds_table(spec, runs)
    if rounds:
        lines += [f"#### {spec.title.split(':')[0]}: every round", "", *rounds, ""]
    return lines


ROUNDS_NOTE = (
    "Rows measured in rounds (the peers of a round back to back, each round started by the "
    "next peer): each figure and detail is the peer's median round, each ratio the median of "
    "the rounds' ratios; every round is listed below."
)


def rounds_table(spec: ScenarioSpec, runs: Sequence[Run]) -> list[str]:
    """Every round of the rows measured in rounds.

    Each peer's figure, and Switchboard's ratio to each peer round by round; empty when no
    row was measured in rounds.
    """
    repeated = [run for run in runs if run.round is not None]
    if not repeated:
        return []
    count = max(run.round or 0 for run in repeated)
    peers = ordered_peers(repeated)
    groups = group_runs(repeated)
    headers = ["params", "peer", *(f"round {n}" for n in range(1, count + 1)), "median"]
    rows = []
    for row in ordered_rows(repeated):
        label = params_label(row.params)
        for peer in peers:
            group = groups.get((peer, row.key))
            if not group:
                continue
            by_round = {run.round: run for run in group}
            values = [v for run in group if (v := run.value(*spec.headline)) is not None]
            cells = [headline_cell(spec, by_round.get(n)) for n in range(1, count + 1)]
            rows.append([label, peer, *cells, fmt_num(median(values)) if values else NULL])
        ours = groups.get((SWITCHBOARD, row.key), [])
        for peer in peers:
            if peer == SWITCHBOARD or not ours:
                continue
            theirs = {run.round: run for run in groups.get((peer, row.key), [])}
            mine = {run.round: run for run in ours}
            cells = [
                fmt_ratio(ratio(spec, mine[n], theirs[n])) if n in mine and n in theirs else NO_RUN
                for n in range(1, count + 1)
            ]
            comparison = compare(ours, list(theirs.values()), spec.headline, spec.lower_is_better)
            overall = fmt_ratio(comparison.value) if comparison else NO_RUN
            rows.append([label, ratio_header(spec, peer), *cells, overall])
    return markdown_table(headers, rows, left=2)


# --------------------------------------------------------------------------- header


def header_line(results: Results, source: str) -> str:
    smoke = {
        True: "**smoke run** (tiny sizes: not representative)",
        False: "full run",
        None: "smoke: unknown",
    }[results.smoke]
    parts = [
        f"Started {results.started or NULL}",
        f"git `{results.git or NULL}`",
        f"machine: {machine_label(results.machine)}",
        smoke,
        f"source `{source}`",
    ]
    return " · ".join(parts)


def machine_label(machine: dict[str, Any]) -> str:
    cpus = as_int(machine.get("cpus"))
    model = machine.get("cpu_model")
    mem_kib = as_number(machine.get("mem_kib"))
    kernel = machine.get("kernel")
    parts = [
        f"{cpus if cpus is not None else NULL} CPUs"
        + (f" ({clean_text(str(model))})" if model else ""),
        f"{mem_kib / 1024 / 1024:,.1f} GiB RAM" if mem_kib is not None else f"{NULL} RAM",
        f"kernel {clean_text(str(kernel))}" if kernel else f"kernel {NULL}",
    ]
    return ", ".join(parts)


# --------------------------------------------------------------------------- targets


def runs_of(results: Results, scenario: str, peer: str) -> list[Run]:
    return sorted(
        (run for run in results.runs if run.scenario == scenario and run.peer == peer),
        key=row_sort_key,
    )


def not_measured(target: str, why: str = "no run") -> TargetRow:
    return TargetRow(target, why, "not measured", NO_RUN)


def judged(target: str, measured: str, value: float, goal: float, at_most: bool) -> TargetRow:
    fraction = (goal - value) / goal if at_most else (value - goal) / goal
    return TargetRow(target, measured, "yes" if fraction >= 0 else "no", fmt_margin(fraction))


def target_idle(results: Results) -> TargetRow:
    target = "idle: ≤ 4 KiB RSS per window at 19,500 windows, registration included"
    runs = [run for run in runs_of(results, "idle", SWITCHBOARD) if (run.windows or 0) <= 20_000]
    usable = [run for run in runs if run.value("rss_per_window_kib") is not None]
    run = max(usable or runs, key=lambda r: r.windows or 0) if runs else None
    if run is None:
        return not_measured(target, "no switchboard idle run ≤ 20,000 windows")
    where = "" if run.windows == 19_500 else f" (at {fmt_num(run.windows)} windows)"
    if run.error is not None:
        return TargetRow(target, failed(run) + where, "no", NO_RUN)
    value = run.value("rss_per_window_kib")
    if value is None:
        return not_measured(target, f"value missing{where}")
    measured = f"{fmt_num(value)} KiB/window{where}"
    floor = [r for r in runs_of(results, "idle", FLOOR) if r.windows == run.windows]
    floor_value = floor[-1].value("rss_per_window_kib") if floor else None
    if floor_value is not None:
        measured += f" (floor {fmt_num(floor_value)})"
    connected = run.value("connected")
    if connected is not None and run.windows is not None and connected != run.windows:
        measured += f"; only {fmt_num(connected)} connected"
    return judged(target, measured, value, 4.0, at_most=True)


def burst_at(results: Results, peer: str, windows: int) -> list[Run]:
    return [run for run in runs_of(results, "fanout", peer) if run.burst and run.windows == windows]


def same_row(ours: Sequence[Run], theirs: Sequence[Run]) -> tuple[list[Run], list[Run]] | None:
    """Both sides' runs of one row.

    The last row of `ours` that `theirs` has too, else the last row of each.
    """
    if not ours or not theirs:
        return None
    keys = {run.key for run in theirs}
    key = next((run.key for run in reversed(ours) if run.key in keys), None)
    if key is None:
        return [r for r in ours if r.key == ours[-1].key], [
            r for r in theirs if r.key == theirs[-1].key
        ]
    return [r for r in ours if r.key == key], [r for r in theirs if r.key == key]


def compare_rows(
    ours: Sequence[Run], theirs: Sequence[Run], path: Sequence[str]
) -> Comparison | None:
    matched = same_row(ours, theirs)
    return None if matched is None else compare(*matched, path)


def target_vs_floor(results: Results, windows: int) -> TargetRow:
    target = f"fanout burst ≥ 90% of floor deliveries/s at {windows:,} windows"
    path = ("deliveries_per_sec",)
    matched = compare_rows(
        burst_at(results, SWITCHBOARD, windows), burst_at(results, FLOOR, windows), path
    )
    if matched is None:
        return not_measured(target, "no switchboard and floor burst runs at these windows")
    ours, theirs, value = matched.ours, matched.theirs, matched.value
    if ours.error is not None:
        return TargetRow(target, failed(ours), "no", NO_RUN)
    if theirs.error is not None:
        return not_measured(target, f"floor {failed(theirs)}")
    if value is None:
        return not_measured(target, "deliveries/s missing")
    spread = fmt_spread(matched)
    measured = (
        f"{value:.0%} of floor ({fmt_num(ours.value('deliveries_per_sec'))} vs "
        f"{fmt_num(theirs.value('deliveries_per_sec'))}/s" + (f"; {spread}" if spread else "") + ")"
    )
    return judged(target, measured, value, 0.90, at_most=False)


def target_zero_loss(results: Results) -> TargetRow:
    target = "fanout: zero loss (every switchboard fanout run)"
    runs = runs_of(results, "fanout", SWITCHBOARD)
    failures = [run for run in runs if run.error is not None]
    counted = [run for run in runs if run.value("lost") is not None]
    if not counted and not failures:
        return not_measured(target, "no switchboard fanout run with a loss count")
    lossy = [run for run in counted if (run.value("lost") or 0) > 0]
    lost = sum(run.value("lost") or 0 for run in counted)
    measured = f"{fmt_num(lost)} lost in {len(counted)} run{'s' if len(counted) != 1 else ''}"
    if lossy:
        measured += (
            " ("
            + "; ".join(
                f"{params_label(run.params)}: {fmt_num(run.value('lost'))}" for run in lossy
            )
            + ")"
        )
    if failures:
        measured += "; failed: " + "; ".join(params_label(run.params) for run in failures)
    return TargetRow(target, measured, "no" if lossy or failures else "yes", NO_RUN)


def target_vs_channels(results: Results, peer: str) -> TargetRow:
    target = f"fanout burst ≥ 100× {peer} deliveries/s at the same windows"
    theirs_all = [run for run in runs_of(results, "fanout", peer) if run.burst]
    sizes = sorted({run.windows for run in theirs_all if run.windows is not None})
    ratios: list[tuple[int, float]] = []
    notes: list[str] = []
    ours_failed = False
    for windows in sizes:
        matched = compare_rows(
            burst_at(results, SWITCHBOARD, windows),
            burst_at(results, peer, windows),
            ("deliveries_per_sec",),
        )
        if matched is None:
            continue
        ours, theirs, value = matched.ours, matched.theirs, matched.value
        if ours.error is not None:
            ours_failed = True
            notes.append(f"switchboard failed at {windows:,}")
        elif theirs.error is not None:
            notes.append(f"{peer} failed at {windows:,}")
        elif value is not None:
            ratios.append((windows, value))
    measured = "; ".join([*(f"{fmt_ratio(value)} at {w:,}" for w, value in ratios), *notes])
    if not ratios:
        return not_measured(target, measured or f"no matching switchboard and {peer} burst runs")
    row = judged(target, measured, min(value for _, value in ratios), 100.0, at_most=False)
    return TargetRow(row.target, row.measured, "no" if ours_failed else row.met, row.margin)


def target_latency(results: Results) -> TargetRow:
    target = "fanout p99 ≤ 25 ms at 10,000 windows paced at 100 triggers/s"
    runs = [
        run
        for run in runs_of(results, "fanout", SWITCHBOARD)
        if run.windows == 10_000 and run.rate == 100
    ]
    if not runs:
        return not_measured(target, "no paced 100/s run at 10,000 windows")
    run = runs[-1]
    if run.error is not None:
        return TargetRow(target, failed(run), "no", NO_RUN)
    value = run.value("latency_ms", "p99")
    if value is None:
        return not_measured(target, "p99 missing")
    return judged(target, f"{fmt_num(value)} ms", value, 25.0, at_most=True)


def call_signal(run: Run) -> str:
    """The signal a calls run called (runs made before the suite ran both: `demo.echo`)."""
    return str(run.params.get("signal") or "demo.echo")


def target_calls(results: Results) -> TargetRow:
    target = "calls ≥ 1.0× the floor's round trips/s at 1,000 windows (one frame back each)"
    path = ("round_trips_per_sec",)

    def at_1000(peer: str, signal: str) -> list[Run]:
        return [
            run
            for run in runs_of(results, "calls", peer)
            if run.windows == 1_000 and call_signal(run) == signal
        ]

    def against_floor(signal: str) -> Comparison | None:
        """Switchboard's `signal` row against the floor's.

        The floor's row of the same params (it answers one frame whatever is called), else
        its other row.
        """
        floor = (
            at_1000(FLOOR, signal) or at_1000(FLOOR, "demo.mirror") or at_1000(FLOOR, "demo.echo")
        )
        return compare(at_1000(SWITCHBOARD, signal), floor, path)

    # The floor answers every request with one frame, whatever it calls; so does `demo.mirror`.
    # `demo.echo` first triggers its options back to the window, then replies: two frames.
    mirror, echo = against_floor("demo.mirror"), against_floor("demo.echo")
    if mirror is None and echo is None:
        return not_measured(target, "no switchboard and floor calls runs at 1,000 windows")
    for side in (mirror, echo):
        if side is not None and (side.theirs.error is not None or side.theirs.value(*path) is None):
            return not_measured(target, "the floor's round trips/s missing")
    parts = []
    if echo is not None and echo.ours.error is None and echo.value is not None:
        spread = fmt_spread(echo)
        parts.append(
            f"`demo.echo` (two frames back) {echo.value:.2f}× "
            f"({fmt_num(echo.ours.value(*path))}/s; {2 * echo.value:.2f}× in frames"
            + (f"; {spread}" if spread else "")
            + ")"
        )
    judged_on = mirror if mirror is not None else echo
    assert judged_on is not None
    if judged_on.ours.error is not None:
        return TargetRow(target, failed(judged_on.ours), "no", NO_RUN)
    if judged_on.value is None:
        return not_measured(target, "round trips/s missing")
    if mirror is None:
        # Only `demo.echo` was measured: judged on it.
        return judged(target, "; ".join(parts), judged_on.value, 1.0, at_most=False)
    spread = fmt_spread(mirror)
    measured = "; ".join(
        [
            f"`demo.mirror` {mirror.value:.2f}× ({fmt_num(mirror.ours.value(*path))} vs "
            f"{fmt_num(mirror.theirs.value(*path))}/s" + (f"; {spread}" if spread else "") + ")",
            *parts,
        ]
    )
    return judged(target, measured, judged_on.value, 1.0, at_most=False)


def capacity_ok(run: Run) -> bool:
    if run.error is not None or run.windows is None:
        return False
    if run.scenario == "idle":
        return run.value("connected") == run.windows
    if run.scenario == "capacity":
        return run.value("connected") == run.windows and run.value("lost") == 0
    return run.value("lost") == 0


def capacity_label(run: Run) -> str:
    where = f"{run.scenario} at {fmt_num(run.windows)} windows"
    if run.error is not None:
        return f"{where}: {failed(run)}"
    if run.scenario == "idle":
        return f"{where}: {fmt_num(run.value('connected'))} connected"
    if run.scenario == "capacity":
        nodes = fmt_param(run.params.get("nodes"))
        label = (
            f"{where} on {nodes} nodes: {fmt_num(run.value('connected'))} connected, "
            f"{fmt_num(run.value('lost'))} lost"
        )
        if run.value("rss_per_window_kib") is not None:
            label += f", {fmt_num(run.value('rss_per_window_kib'))} KiB RSS per window"
        return label
    return f"{where}: {fmt_num(run.value('lost'))} lost"


def target_capacity(results: Results) -> TargetRow:
    target = "capacity: ≥ 100,000 windows, all connected, zero loss (idle, fanout or capacity)"
    runs = [
        run
        for scenario in ("idle", "fanout", "capacity")
        for run in runs_of(results, scenario, SWITCHBOARD)
        if (run.windows or 0) >= 100_000
    ]
    if not runs:
        return not_measured(target, "no switchboard run at ≥ 100,000 windows")
    passing = [run for run in runs if capacity_ok(run)]
    if not passing:
        largest = max(runs, key=lambda run: run.windows or 0)
        return TargetRow(target, capacity_label(largest), "no", NO_RUN)
    best = max(passing, key=lambda run: run.windows or 0)
    return judged(target, capacity_label(best), float(best.windows or 0), 100_000.0, at_most=False)


def target_rows(results: Results) -> list[TargetRow]:
    rows = [
        target_idle(results),
        target_vs_floor(results, 1_000),
        target_vs_floor(results, 10_000),
        target_zero_loss(results),
        target_vs_channels(results, "channels-memory"),
    ]
    if any(run.peer == "channels-redis" for run in results.runs):
        rows.append(target_vs_channels(results, "channels-redis"))
    rows += [target_latency(results), target_calls(results), target_capacity(results)]
    return rows


def targets_section(results: Results) -> list[str]:
    rows = [[row.target, row.measured, row.met, row.margin] for row in target_rows(results)]
    table = markdown_table(["target (switchboard)", "measured", "met", "margin"], rows, left=3)
    return ["### Targets", "", *table, ""]


# --------------------------------------------------------------------------- report


def render_report(results: Results, source: str) -> str:
    lines = [header_line(results, source), ""]
    for spec in SCENARIOS:
        runs = [run for run in results.runs if run.scenario == spec.name]
        if runs:
            lines += scenario_section(spec, runs)
        else:
            lines += [f"### {spec.title}", "", "Not measured in this run.", ""]
    unknown = sorted({run.scenario for run in results.runs} - {spec.name for spec in SCENARIOS})
    if unknown:
        lines += [
            f"Scenarios not tabulated: {', '.join(clean_text(name) for name in unknown)}.",
            "",
        ]
    lines += targets_section(results)
    lines.append(f"Cells: `{NO_RUN}` no run, `{NULL}` value missing, `failed: …` the run's error.")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- markdown file


def marker_pattern(marker: str) -> re.Pattern[str]:
    return re.compile(r"^[ \t]*" + re.escape(marker) + r"[ \t]*(\r?\n|$)", re.MULTILINE)


def splice(document: str, body: str) -> str:
    """Put `body` between the markers of `document`, or append markers and body."""
    begins = list(marker_pattern(BEGIN_MARKER).finditer(document))
    ends = list(marker_pattern(END_MARKER).finditer(document))
    if not begins and not ends:
        prefix = document if document.endswith("\n") or not document else document + "\n"
        gap = "\n" if prefix else ""
        return f"{prefix}{gap}{BEGIN_MARKER}\n{body}{END_MARKER}\n"
    if len(begins) != 1 or len(ends) != 1 or ends[0].start() < begins[0].end():
        raise ValueError(f"expected one {BEGIN_MARKER} line followed by one {END_MARKER} line")
    begin, end = begins[0], ends[0]
    if begin.group(1) == "\r\n":
        body = body.replace("\n", "\r\n")
    return document[: begin.end()] + body + document[end.start() :]


def update_markdown(path: Path, body: str) -> None:
    """Rewrite `path` atomically; bytes outside the markers are left untouched."""
    original = path.read_bytes() if path.exists() else b""
    document = original.decode("utf-8", errors="surrogateescape")
    updated = splice(document, body).encode("utf-8", errors="surrogateescape")
    if updated == original:
        return
    directory = path.resolve().parent
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(updated)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- plots


def series(runs: Iterable[Run], path: tuple[str, ...]) -> list[tuple[int, float]]:
    """(windows, value) points, one per window count.

    Among the runs with the most triggers, the median round (see `median_run`).
    """
    by_windows: dict[int, list[Run]] = {}
    for run in runs:
        windows = run.windows
        if windows is None or run.value(*path) is None or windows <= 0:
            continue
        by_windows.setdefault(windows, []).append(run)
    points = []
    for windows in sorted(by_windows):
        most = max(triggers(run) for run in by_windows[windows])
        chosen = median_run([run for run in by_windows[windows] if triggers(run) == most], path)
        value = chosen.value(*path) if chosen is not None else None
        if value is not None and value > 0:
            points.append((windows, value))
    return points


def triggers(run: Run) -> float:
    return as_number(run.params.get("triggers")) or 0.0


def new_axes(title: str, ylabel: str) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGURE_SIZE, dpi=FIGURE_DPI, layout="constrained")
    axes = figure.subplots()
    axes.set_title(title)
    axes.set_xlabel("windows (log scale)")
    axes.set_ylabel(ylabel)
    axes.grid(True, which="major", linestyle=":", linewidth=0.6, alpha=0.7)
    return figure, axes


def draw_line(
    axes: Any, points: Sequence[tuple[int, float]], peer: str, label: str, dashed: bool
) -> None:
    xs, ys = zip(*points, strict=True)
    axes.plot(
        xs,
        ys,
        label=label,
        color=PEER_COLOURS.get(peer, "#7f7f7f"),
        marker=PEER_MARKERS.get(peer, "D"),
        linestyle="--" if dashed else "-",
        markerfacecolor="white" if dashed else None,
    )


def plain_tick(value: float, _position: Any = None) -> str:
    """Log-axis tick labels as `1,000` rather than `10^3`."""
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def finish(figure: Any, axes: Any, drawn: bool, path: Path) -> None:
    from matplotlib.ticker import FuncFormatter

    if drawn:
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.xaxis.set_major_formatter(FuncFormatter(plain_tick))
        axes.yaxis.set_major_formatter(FuncFormatter(plain_tick))
        axes.legend(loc="best", fontsize="small")
    else:
        axes.set_xticks([])
        axes.set_yticks([])
        axes.text(
            0.5,
            0.5,
            "no data in this results file",
            ha="center",
            va="center",
            transform=axes.transAxes,
            color="#7f7f7f",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=FIGURE_DPI, format="png", metadata={"Software": None})


def plot_throughput(results: Results, path: Path, subtitle: str) -> None:
    figure, axes = new_axes(
        f"Fan-out burst throughput{subtitle}", "deliveries per second (log scale)"
    )
    drawn = False
    fanout = [run for run in results.runs if run.scenario == "fanout" and run.burst]
    for peer in ordered_peers(fanout):
        points = series((run for run in fanout if run.peer == peer), ("deliveries_per_sec",))
        if points:
            draw_line(axes, points, peer, peer, dashed=False)
            drawn = True
    finish(figure, axes, drawn, path)


def plot_p99(results: Results, path: Path, subtitle: str) -> None:
    figure, axes = new_axes(f"Fan-out p99 latency{subtitle}", "p99 latency, ms (log scale)")
    drawn = False
    fanout = [run for run in results.runs if run.scenario == "fanout"]
    for peer in ordered_peers(fanout):
        mine = [run for run in fanout if run.peer == peer]
        points = series((run for run in mine if run.burst), ("latency_ms", "p99"))
        if points:
            draw_line(axes, points, peer, f"{peer}, burst", dashed=False)
            drawn = True
        for rate in sorted({run.rate for run in mine if run.rate is not None}):
            paced = series((run for run in mine if run.rate == rate), ("latency_ms", "p99"))
            if paced:
                draw_line(axes, paced, peer, f"{peer}, paced {fmt_param(rate)}/s", dashed=True)
                drawn = True
    finish(figure, axes, drawn, path)


def write_plots(results: Results, directory: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    stable = {"svg.hashsalt": "switchboard-bench", "font.family": "DejaVu Sans"}
    subtitle = f" (git {results.git})" if results.git else ""
    if results.smoke:
        subtitle += " — smoke run"
    throughput = directory / "fanout-throughput.png"
    p99 = directory / "fanout-p99.png"
    with matplotlib.rc_context(stable):
        plot_throughput(results, throughput, subtitle)
        plot_p99(results, p99, subtitle)
    return [throughput, p99]


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Markdown tables and PNG plots from a Switchboard benchmark results file."
    )
    parser.add_argument("results", type=Path, help="results JSON written by switchboard-bench")
    parser.add_argument("--markdown", type=Path, help="file whose results markers get the tables")
    parser.add_argument(
        "--plots",
        type=Path,
        default=Path(__file__).resolve().parent / "plots",
        help="directory for the PNG plots (default: bench/plots/)",
    )
    parser.add_argument("--no-plots", action="store_true", help="write no plots")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        results = load_results(args.results)
    except ValueError as err:
        warn(str(err))
        return 2
    report = render_report(results, args.results.name)
    sys.stdout.write(report)
    if args.markdown is not None:
        try:
            update_markdown(args.markdown, report)
        except (OSError, ValueError) as err:
            warn(f"{args.markdown}: {err}")
            return 2
        warn(f"tables written into {args.markdown}")
    if not args.no_plots:
        for path in write_plots(results, args.plots):
            warn(f"plot written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Browser calls to a Python handler: Switchboard + Django against df_websockets' own stack.

The example site (examples/df_site) runs twice in one run, with the same Django code and the
same load:

- **df_websockets**: its own stack as its README describes it: Channels on one daphne
  process, handlers in threads (``WEBSOCKET_WORKERS = "thread"``; ``site_project.settings``),
  with the in-memory channel layer, then with channels_redis on a private redis-server (the
  layer df's README asks for in production). Two daphne processes sharing channels_redis
  were tried and dropped: the handlers' triggers never came back to the windows (calls
  timed out), which was not investigated further.
- **switchboard**: Switchboard (the binary given, started with the command line
  ``manage.py switchboard`` prints) calling Django under gunicorn with 1, then 2 processes
  of 8 threads (``--processes``; 2 is one per core here).

Each of ``--windows`` windows loads the page (``set_websocket_topics``: the window key comes
in the ``dfwskey`` cookie, as in a browser), opens its websocket with that cookie and then
calls ``chat.echo`` in a closed loop: one call frame out (``{"signal", "opts"}``, what
``DFSignals.call`` sends), and the round trip ends when the handler's ``trigger(...,
to=[WINDOW])`` arrives back as the ``chat.echoed`` signal frame. Round trips per second and
latency percentiles are counted over ``--seconds`` after ``--warmup`` seconds. The load
generator is this Python process (asyncio, ``websockets``); it runs on the same 2 cores as
the servers for both stacks.

    python bench/django/calls.py --switchboard-bin target/release/switchboard [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import unquote

from websockets.asyncio.client import connect

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "examples" / "df_site"
BIN = Path(sys.executable).parent


def free_port() -> int:
    """Return a free port of 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_http(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Wait until ``url`` answers with any HTTP status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def start(argv: list[str], env: dict[str, str]) -> subprocess.Popen:
    """Start a server process (its output goes to a log file under target/)."""
    log = open(REPO / "target" / f"bench-django-{Path(argv[0]).name}.log", "ab")  # noqa: SIM115
    return subprocess.Popen(argv, cwd=SITE, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM every process, SIGKILL what is still running after 5 s."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()


def rss_kib(pids: list[int]) -> int:
    """Return the summed RSS of processes and their children, in KiB."""
    total, seen = 0, set()
    queue = list(pids)
    while queue:
        pid = queue.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            total += int(
                next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
            )
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            queue += [int(c) for c in children]
        except (OSError, StopIteration):
            continue
    return total


def manage(env: dict[str, str], *args: str) -> str:
    """Run the site's ``manage.py``."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=SITE,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def open_page(url: str) -> tuple[str, str]:
    """GET the page; return the websocket URL and the window key of its cookies."""
    with urllib.request.urlopen(url, timeout=10) as response:
        cookies = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
    return unquote(cookies["dfwsurl"].value), cookies["dfwskey"].value


async def window(
    ws_url: str, key: str, stop_at: float, measure_from: float, latencies: list[float]
) -> tuple[int, int]:
    """Call ``chat.echo`` in a closed loop until ``stop_at``.

    Returns the round trips measured (started after ``measure_from``, answered before
    ``stop_at``) and all those answered, warm-up included.
    """
    count, answered, n = 0, 0, 0
    async with connect(
        ws_url, additional_headers={"Cookie": f"dfwskey={key}"}, max_size=None
    ) as ws:
        while True:
            now = time.monotonic()
            if now >= stop_at:
                return count, answered
            n += 1
            text = f"{key[:6]}-{n}"
            await ws.send(json.dumps({"signal": "chat.echo", "opts": {"text": text}}))
            while True:
                frame = await asyncio.wait_for(ws.recv(), 30)
                if frame == "--heartbeat--":
                    continue
                message = json.loads(frame)
                if "error" in message:  # e.g. the per-window call rate limit (calls_per_second)
                    raise RuntimeError(f"the server refused a call: {message['error']}")
                if message.get("signal") == "chat.echoed" and message["opts"].get("text") == text:
                    break
            done = time.monotonic()
            answered += 1
            if now >= measure_from and done <= stop_at:
                count += 1
                latencies.append(done - now)


async def load(page_urls: list[str], windows: int, warmup: float, seconds: float) -> dict:
    """Open the windows (spread over ``page_urls``) and run the calls; return the figures."""
    pages = await asyncio.gather(
        *(asyncio.to_thread(open_page, page_urls[i % len(page_urls)]) for i in range(windows))
    )
    latencies: list[float] = []
    begin = time.monotonic()
    measure_from, stop_at = begin + warmup, begin + warmup + seconds
    outcomes = await asyncio.gather(
        *(window(u, k, stop_at, measure_from, latencies) for u, k in pages)
    )
    latencies.sort()

    def pct(p: float) -> float | None:
        if not latencies:
            return None
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2)

    return {
        "round_trips_per_s": round(sum(count for count, _ in outcomes) / seconds, 1),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else None,
        # Windows answered at all (warm-up included): a slow stack's round trip may outlast
        # a short measured window, and still answer every window.
        "windows_served": sum(1 for _, answered in outcomes if answered > 0),
    }


def start_redis() -> tuple[subprocess.Popen, str]:
    """Start a private redis-server without persistence; return it and its URL."""
    port = free_port()
    redis = start(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        dict(os.environ),
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return redis, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    stop([redis])
    raise RuntimeError("redis-server did not start")


def run_df(args: argparse.Namespace, env: dict[str, str], redis: bool) -> dict:
    """df_websockets on Channels: one daphne, thread workers, in-memory or Redis layer."""
    env = dict(env, DJANGO_SETTINGS_MODULE="site_project.settings")
    started: list[subprocess.Popen] = []
    try:
        if redis:
            server, env["DF_SITE_REDIS_URL"] = start_redis()
            started.append(server)
        port = free_port()
        daphne = start(
            [
                str(BIN / "daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "df_websockets.routing:application",
            ],
            env,
        )
        started.append(daphne)
        wait_http(f"http://127.0.0.1:{port}/accounts/login/", daphne)
        figures = asyncio.run(
            load([f"http://127.0.0.1:{port}/"], args.windows, args.warmup, args.seconds)
        )
        figures["server_rss_kib"] = rss_kib([daphne.pid])
        if redis:
            figures["redis_rss_kib"] = rss_kib([started[0].pid])
        return figures
    finally:
        stop(started[::-1])


def run_switchboard(args: argparse.Namespace, env: dict[str, str], workers: int) -> dict:
    """Switchboard + Django under gunicorn."""
    django_port, switchboard_port = free_port(), free_port()
    env = dict(
        env,
        DJANGO_SETTINGS_MODULE="site_project.settings_switchboard",
        SWITCHBOARD_URL=f"http://127.0.0.1:{switchboard_port}",
        SWITCHBOARD_API_KEY=secrets.token_hex(16),
        SWITCHBOARD_BACKEND_KEY=secrets.token_hex(16),
        SWITCHBOARD_PUBLIC_WS_URL=f"ws://127.0.0.1:{switchboard_port}/ws/",
    )
    command = shlex.split(
        manage(
            env,
            "switchboard",
            "--site-url",
            f"http://127.0.0.1:{django_port}",
            "--binary",
            args.switchboard_bin,
        )
    )
    switchboard_env = {k: v for k, v in env.items() if not k.startswith("SWITCHBOARD_")}
    switchboard_env["RUST_LOG"] = "warn"
    switchboard = start(command, switchboard_env)
    gunicorn = start(
        [
            str(BIN / "gunicorn"),
            "--bind", f"127.0.0.1:{django_port}",
            "--workers", str(workers),
            "--threads", "8",
            "--keep-alive", "30",
            "--log-level", "warning",
            "site_project.wsgi:application",
        ],
        env,
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{switchboard_port}/healthz", switchboard)
        wait_http(f"http://127.0.0.1:{django_port}/accounts/login/", gunicorn)
        figures = asyncio.run(
            load([f"http://127.0.0.1:{django_port}/"], args.windows, args.warmup, args.seconds)
        )
        figures["switchboard_rss_kib"] = rss_kib([switchboard.pid])
        figures["django_rss_kib"] = rss_kib([gunicorn.pid])
        return figures
    finally:
        stop([gunicorn, switchboard])


def main() -> None:
    """Run both stacks one after the other and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--switchboard-bin", required=True)
    parser.add_argument("--windows", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--processes", default="1,2", help="gunicorn processes, one run each")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    args.switchboard_bin = str(Path(args.switchboard_bin).resolve())  # the servers run in SITE

    (REPO / "target").mkdir(exist_ok=True)
    db = REPO / "target" / "bench-django.sqlite3"
    db.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env.update(DF_SITE_DB=str(db), PYTHONUNBUFFERED="1")
    manage(
        dict(env, DJANGO_SETTINGS_MODULE="site_project.settings"), "migrate", "--noinput", "-v", "0"
    )

    results = {}
    for layer in ("in-memory layer", "channels_redis"):
        name = f"df_websockets: 1 daphne, threads, {layer}"
        results[name] = run_df(args, env, redis=layer == "channels_redis")
    for processes in [int(p) for p in args.processes.split(",")]:
        name = f"switchboard + Django: gunicorn {processes}x8 threads"
        results[name] = run_switchboard(args, env, processes)
    print(f"{args.windows} windows, closed-loop chat.echo calls, {args.seconds:g} s measured")
    for name, figures in results.items():
        print(f"{name}: {json.dumps(figures)}")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"windows": args.windows, "results": results}, indent=2)
        )
    idle = [name for name, figures in results.items() if figures["windows_served"] < args.windows]
    if idle:
        sys.exit(f"some windows completed no round trip on: {', '.join(idle)}")


if __name__ == "__main__":
    main()

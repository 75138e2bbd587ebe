"""Run every benchmark of a freshly generated project against its baseline, in one run.

    python bench/run.py                 # all benchmarks
    python bench/run.py read_write      # only the named ones

The runner renders the template (working tree included) with `copier copy --defaults`, creates
the project's environment with `uv sync`, and runs each module of `bench/benchmarks/` with the
project's interpreter. A module starts what it needs, times its subject and its baseline in the
same process, interleaved, and writes its results as JSON. The runner prints the table of ratios
(subject / baseline, the median over interleaved rounds; 1.05 means 5 % slower) and writes it
to `bench/results.json`.

Standard library only: it runs with whatever Python has copier and uv on PATH.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
TEMPLATE_ROOT = BENCH_DIR.parent
BENCHMARKS_DIR = BENCH_DIR / "benchmarks"
RESULTS_FILE = BENCH_DIR / "results.json"
PACKAGE = "bench_service"


def available_benchmarks() -> list[str]:
    """Each module in benchmarks/ except the shared helpers (names starting with `_`)."""
    return sorted(
        path.stem for path in BENCHMARKS_DIR.glob("*.py") if not path.stem.startswith("_")
    )


def render_project(destination: Path) -> Path:
    """Render the template with its defaults and install the project's environment."""
    project = destination / "project"
    answers = ["--data", "project_name=Bench Service", "--data", f"package_name={PACKAGE}"]
    copier = ["copier", "copy", "--trust", "--defaults", "--skip-tasks", "--quiet", *answers]
    subprocess.run([*copier, str(TEMPLATE_ROOT), str(project)], check=True)
    subprocess.run(["uv", "sync", "--quiet"], cwd=project, check=True)
    return project


def run_benchmark(project: Path, name: str) -> list[dict[str, Any]]:
    """Run one benchmark module with the project's interpreter; it writes its results as JSON."""
    python = project / ".venv" / "bin" / "python"
    output = project / f"bench-{name}.json"
    module = BENCHMARKS_DIR / f"{name}.py"
    subprocess.run(
        [str(python), str(module), "--package", PACKAGE, "--output", str(output)],
        cwd=project,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    results: list[dict[str, Any]] = json.loads(output.read_text(encoding="utf-8"))
    for result in results:
        result["benchmark"] = name
    return results


def target(result: dict[str, Any]) -> str:
    """The target column: a ratio bound, or an absolute bound on the subject's time."""
    if result.get("target_ratio"):
        met = result["ratio"] <= result["target_ratio"]
        return f"ratio ≤ {result['target_ratio']:.2f}: {'met' if met else 'missed'}"
    if result.get("target_us"):
        met = result["subject_us"] < result["target_us"]
        return f"subject < {result['target_us']:g} µs: {'met' if met else 'missed'}"
    return ""


def table(results: list[dict[str, Any]]) -> str:
    header = ("benchmark", "case", "subject µs", "baseline µs", "ratio", "target")
    rows = [
        (
            result["benchmark"],
            result["case"],
            f"{result['subject_us']:.1f}",
            f"{result['baseline_us']:.1f}",
            f"{result['ratio']:.3f}",
            target(result),
        )
        for result in results
    ]
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in (header, *rows)
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run: {available_benchmarks()}")
    parser.add_argument("--keep", action="store_true", help="keep the rendered project")
    args = parser.parse_args()
    names = args.names or available_benchmarks()
    unknown = set(names) - set(available_benchmarks())
    if unknown:
        parser.error(f"unknown benchmark(s): {sorted(unknown)}")

    workdir = Path(tempfile.mkdtemp(prefix="compound-bench-"))
    try:
        project = render_project(workdir)
        results = [result for name in names for result in run_benchmark(project, name)]
    finally:
        if args.keep:
            print(f"project kept in {workdir / 'project'}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print(table(results))
    RESULTS_FILE.write_text(
        json.dumps(
            {
                "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "python": platform.python_version(),
                "machine": platform.machine(),
                "results": results,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"\nwritten to {RESULTS_FILE.relative_to(TEMPLATE_ROOT)}")


if __name__ == "__main__":
    main()

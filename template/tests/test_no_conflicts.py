"""`copier update` leaves what it could not merge for a person: conflict markers in a file
(`--conflict inline`, the default) or a `.rej` file beside it (`--conflict rej`). These tests
keep such leftovers from being committed unnoticed; the pre-commit hooks do the same on commit.
"""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Built rather than written out, so that this file does not hold the markers it looks for.
CONFLICT_MARKERS = (b"<" * 7 + b" ", b">" * 7 + b" ")
# Installed packages and tools' caches: not the project's own files, and slow to read.
NOT_PROJECT_DIRECTORIES = frozenset(
    {".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", "node_modules"}
)


def project_files() -> list[Path]:
    """Every file of the project, outside the directories that tools own."""
    files: list[Path] = []
    for directory, subdirectories, names in os.walk(PROJECT_ROOT):
        subdirectories[:] = [name for name in subdirectories if name not in NOT_PROJECT_DIRECTORIES]
        files.extend(Path(directory, name) for name in names)
    return sorted(files)


def relative(path: Path) -> str:
    return path.relative_to(PROJECT_ROOT).as_posix()


def has_conflict_markers(path: Path) -> bool:
    with path.open("rb") as lines:
        return any(line.startswith(CONFLICT_MARKERS) for line in lines)


def test_no_conflict_markers_are_left() -> None:
    marked = [relative(path) for path in project_files() if has_conflict_markers(path)]
    assert not marked, (
        f"conflict markers left by `copier update` in: {', '.join(marked)}; "
        "keep the right lines of each side, delete the markers, then `git add` the file"
    )


def test_no_rejected_changes_are_left() -> None:
    rejected = [relative(path) for path in project_files() if path.suffix == ".rej"]
    assert not rejected, (
        f"changes that `copier update` could not apply: {', '.join(rejected)}; "
        "apply each by hand to the file it is named after, then delete the .rej file"
    )

"""Docs tier: the MkDocs site builds with `--strict`, so a broken link or anchor fails CI."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT, run


def nav_pages(nav: list[object]) -> list[str]:
    """Every page file named in the nav, nested sections included."""
    pages: list[str] = []
    for entry in nav:
        values = entry.values() if isinstance(entry, dict) else [entry]
        for value in values:
            if isinstance(value, list):
                pages.extend(nav_pages(value))
            else:
                pages.append(str(value))
    return pages


def test_every_nav_page_exists_and_every_page_is_in_the_nav() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["strict"] is True
    docs = ROOT / config.get("docs_dir", "docs")
    in_nav = nav_pages(config["nav"])
    on_disk = sorted(path.relative_to(docs).as_posix() for path in docs.rglob("*.md"))
    assert sorted(in_nav) == on_disk


@pytest.mark.slow
def test_mkdocs_build_is_strict_clean(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        ROOT,
        env={"NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    for page in ("index.html", "getting-started/index.html", "answers/index.html"):
        assert (site / page).is_file(), page
    observability = (site / "decisions/observability/index.html").read_text(encoding="utf-8")
    assert "application/health+json" in observability

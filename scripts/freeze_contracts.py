"""Regenerate the committed API contracts of generated projects (`template/openapi/`).

A generated project holds `openapi/vN.json`, the released contract of each API version, and a
test that fails when the code breaks it. When the template itself changes a version's routes
(before that version is released), run this to re-render both variants (with and without the
examples), freeze each version with the project's own `api freeze` command, and write the
documents back as Jinja templates whose title and description follow the answers.

    uv run python scripts/freeze_contracts.py
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import copier

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "template" / "openapi"
# `tojson` escapes ' < > & as \u00XX; json.dumps (what `api freeze` writes) does not.
UNESCAPE = "".join(f' | replace("\\\\u{ord(c):04x}", "{c}")' for c in "'<>&")
LIST_VERSIONS = "from my_service.api.versions import VERSIONS; print(*(v.name for v in VERSIONS))"
CONDITIONS = {True: "{% if with_examples %}", False: "{% if not with_examples %}"}


def freeze(with_examples: bool, workdir: Path) -> dict[str, str]:
    """Render, install and freeze every version; the documents by version name."""
    project = workdir / ("examples" if with_examples else "bare")
    copier.run_copy(
        str(ROOT),
        str(project),
        data={"with_examples": with_examples},
        defaults=True,
        unsafe=True,
        skip_tasks=True,
        quiet=True,
    )
    subprocess.run(["uv", "sync", "-q"], cwd=project, check=True)
    versions = subprocess.run(
        [
            ".venv/bin/python",
            "-c",
            LIST_VERSIONS,
        ],
        cwd=project,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for version in versions:
        subprocess.run(
            [".venv/bin/my-service", "api", "freeze", version],
            cwd=project,
            check=True,
            capture_output=True,
        )
    return {v: (project / "openapi" / f"{v}.json").read_text() for v in versions}


def to_jinja(text: str, version: str) -> str:
    """The frozen document with the default answers' title and description made Jinja."""
    info = json.loads(text)["info"]
    assert info["title"] == f"My Service API {version}", info
    assert not re.search(r"\{[{%#]", text), "Jinja-looking text in the contract"
    lines = []
    for line in text.split("\n"):
        if line == f'    "title": "My Service API {version}",':
            line = f'    "title": {{{{ (project_name ~ " API {version}") | tojson{UNESCAPE} }}}},'
        elif (
            line.startswith('    "description": ')
            and line.endswith(",")
            and json.loads(line.split(": ", 1)[1][:-1]) == info.get("description")
        ):
            line = (
                '{%- if description %}\n    "description": {{ description | tojson'
                + UNESCAPE
                + " }},\n{%- endif %}"
            )
        lines.append(line)
    return "\n".join(lines)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        documents = {flag: freeze(flag, Path(tmp)) for flag in (True, False)}
    for old in OUT.glob("*.jinja"):
        old.unlink()
    OUT.mkdir(exist_ok=True)
    for flag, by_version in documents.items():
        for version, text in by_version.items():
            same = documents[not flag].get(version) == text
            if same and not flag:
                continue  # written once, unconditionally, by the examples pass
            name = (
                f"{version}.json.jinja"
                if same
                else f"{CONDITIONS[flag]}{version}.json{{% endif %}}.jinja"
            )
            (OUT / name).write_text(to_jinja(text, version))
            print("wrote", OUT.relative_to(ROOT) / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The repository documents itself: every configuration key of the shipped scenario and
model files is described in docs/, no file points to a document outside the repository,
and every relative link (and anchor) in README.md and docs/*.md resolves."""

from __future__ import annotations

import re
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS]

# Assembled from pieces so that this file does not match its own search.
OUTSIDE_REFERENCES = ("DESIGN" + ".md", "DESIGN" + " section", ".." + "/shared")


# -- helpers ------------------------------------------------------------------------------
def key_paths(table: dict, prefix: str = "") -> Iterator[str]:
    """Dotted paths of every value in a TOML table; arrays of tables add no index."""
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            yield from key_paths(value, path)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for entry in value:
                yield from key_paths(entry, path)
        else:
            yield path


def shipped_key_paths() -> dict[str, set[str]]:
    """Every key path of scenarios/*.toml (``[quick]`` keys as the paths they replace)
    and models/*.toml, with the files that use it."""
    found: dict[str, set[str]] = {}
    files = sorted(ROOT.glob("scenarios/*.toml")) + sorted(ROOT.glob("models/*.toml"))
    for file in files:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
        quick = raw.pop("quick", {})
        for path in [*key_paths(raw), *key_paths(quick)]:
            found.setdefault(path, set()).add(file.relative_to(ROOT).as_posix())
    return found


#: Tables whose keys are those of another table (a phase's world values are [world] keys).
SAME_KEYS_AS = {"training.phases.world.": "world."}


def undocumented(paths: dict[str, set[str]], docs_text: str) -> list[str]:
    """The key paths that do not appear in backticks in ``docs_text``."""

    def documented(path: str) -> bool:
        for prefix, same in SAME_KEYS_AS.items():
            if path.startswith(prefix):
                path = same + path.removeprefix(prefix)
        return f"`{path}`" in docs_text

    return sorted(f"{p} (in {', '.join(sorted(f))})" for p, f in paths.items() if not documented(p))


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation other than '-' and
    '_' dropped, spaces as '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def without_code(text: str) -> str:
    """``text`` without fenced code blocks and inline code spans."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def anchors(page: Path) -> set[str]:
    """The anchors of the headings of a Markdown page (duplicates get -1, -2, ...)."""
    seen: dict[str, int] = {}
    out = set()
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.S | re.M)
    for match in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, flags=re.M):
        base = slug(match.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def broken_links(page: Path) -> list[str]:
    """Relative links of ``page`` whose file, or whose anchor in a Markdown file, does
    not exist."""
    problems = []
    for target in LINK.findall(without_code(page.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, flags=re.I):  # http:, mailto:, ...
            continue
        file_part, _, anchor = target.partition("#")
        file = (page.parent / file_part).resolve() if file_part else page
        if not file.exists():
            problems.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            problems.append(f"{target}: no heading with anchor '#{anchor}' in {file.name}")
    return problems


def tracked_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / name for name in listed.decode().split("\0") if name]


def doc_anchor_references(text: str) -> list[tuple[str, str]]:
    """(page, anchor) of every ``docs/<page>.md#<anchor>`` mentioned in ``text``."""
    return re.findall(r"docs/([\w.-]+\.md)#([\w-]+)", text)


# -- tests --------------------------------------------------------------------------------
def test_docs_exist():
    assert (ROOT / "docs" / "model.md") in DOCS
    assert (ROOT / "docs" / "configuration.md") in DOCS


def test_every_shipped_config_key_is_documented():
    paths = shipped_key_paths()
    assert "circuit.layers.precision" in paths and "symmetry.candidates.kind" in paths
    assert "training.frames" in paths and not any(p.startswith("quick.") for p in paths)
    docs_text = "\n".join(page.read_text(encoding="utf-8") for page in DOCS)
    missing = undocumented(paths, docs_text)
    assert not missing, "config keys not documented in docs/*.md (in backticks):\n" + "\n".join(
        missing
    )


def test_key_paths_flatten_like_the_docs_name_them():
    table = {"a": 1, "b": {"c": 2, "d": [{"e": 3}, {"f": 4}]}, "g": [[0, 1]], "h": []}
    assert list(key_paths(table)) == ["a", "b.c", "b.d.e", "b.d.f", "g", "h"]
    assert undocumented({"a.b": {"x.toml"}}, "the key `a.b`") == []
    assert undocumented({"a.b": {"x.toml"}}, "the key a.b, or `a.bc`") == ["a.b (in x.toml)"]


def test_no_file_refers_to_a_document_outside_the_repository():
    hits = []
    for file in tracked_files():
        try:
            text = file.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if any(ref in line for ref in OUTSIDE_REFERENCES):
                hits.append(f"{file.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not hits, "references to documents outside the repository:\n" + "\n".join(hits)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(page):
    assert not broken_links(page)


def test_link_checker_finds_broken_links(tmp_path):
    (tmp_path / "other.md").write_text("# Title\n\n## 2. A section (with) `code`\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md) [ok](other.md#2-a-section-with-code) [ok](#here) [web](https://x.y)\n"
        "# Here\n`[not a link](nowhere.md)`\n"
        "[gone](missing.md) [bad anchor](other.md#nope) [bad local](#there)\n"
    )
    assert broken_links(page) == [
        "missing.md: no such file",
        "other.md#nope: no heading with anchor '#nope' in other.md",
        "#there: no heading with anchor '#there' in page.md",
    ]


def test_references_to_doc_sections_resolve():
    """Every ``docs/<page>.md#<anchor>`` written anywhere in the repository (e.g. in a
    docstring) names an existing heading."""
    known = {page.name: anchors(page) for page in DOCS}
    bad = []
    for file in tracked_files():
        if file.suffix not in (".py", ".md", ".toml", ".sh", ".txt") or not file.exists():
            continue
        if file == Path(__file__).resolve():  # its own examples below
            continue
        for page, anchor in doc_anchor_references(file.read_text(encoding="utf-8")):
            if anchor not in known.get(page, set()):
                bad.append(f"{file.relative_to(ROOT)}: docs/{page}#{anchor}")
    assert not bad, "references to missing doc sections:\n" + "\n".join(bad)


def test_doc_anchor_references_are_found():
    text = "see docs/model.md#211-the-weight-coupling, and `docs/configuration.md#4-results`."
    assert doc_anchor_references(text) == [
        ("model.md", "211-the-weight-coupling"),
        ("configuration.md", "4-results"),
    ]

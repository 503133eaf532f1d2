"""The Markdown docs point at things that exist: every relative link and anchor resolves, and every command-line
flag, make variable and environment variable they name is one the code reads; the API page's headlines are the API's."""
import re
import unicodedata
from pathlib import Path

import pytest

from chalicelib.answers import HEADLINES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted(path for path in [*PROJECT_ROOT.glob("*.md"), *PROJECT_ROOT.glob("docs/**/*.md"),
                                *PROJECT_ROOT.glob("model/*.md"), *PROJECT_ROOT.glob("bench/*.md")])
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|!\[[^\]]*\]\(\s*([^)\s]+)\s*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
SCRIPT_COMMAND = re.compile(r"(?:^|[\s/])((?:scripts|bench|poster_model|poster_training)/[a-z_/]+\.py)\b([^\n|`]*)")
MODULE_COMMAND = re.compile(r"-m\s+((?:scripts|bench|poster_model|poster_training)(?:\.[a-z_]+)+)\b([^\n|`]*)")
PROJECT_IMPORT = re.compile(r"^\s*(?:from|import)\s+((?:scripts|bench|poster_model|poster_training|chalicelib)(?:\.\w+)*)",
                            re.MULTILINE)
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")
MAKE_COMMAND = re.compile(r"\bmake\s+([a-z][\w-]*)((?:\s+[A-Z][A-Z0-9_]*=\S*)*)")
MAKE_VARIABLE = re.compile(r"\b([A-Z][A-Z0-9_]*)=")
ENVIRONMENT_VARIABLE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
SOURCE_SUFFIXES = {".py", ".js", ".json", ".sh", ".html"}
SET_OUTSIDE_THE_PROJECT = re.compile(r"^(AWS_|POWERTOOLS_|PYTHON|PIP_|PLAYWRIGHT_|CI$|HOME$|PATH$)")
"""Read by boto3, Powertools, Python, pip, Playwright or the shell rather than by our code: documented elsewhere."""


def markdown_files():
    return [pytest.param(path, id=str(path.relative_to(PROJECT_ROOT))) for path in DOCS]


def github_anchor(heading: str) -> str:
    """GitHub's heading slug: lower case, markup and punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*\*|\*|_(?=\w)|(?<=\w)_|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading)
    text = "".join(c for c in text.lower() if c in " -_" or unicodedata.category(c)[0] in "LN")
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen, found = {}, set()
    for match in HEADING.finditer(FENCE.sub("", path.read_text(encoding="utf-8"))):
        slug = github_anchor(match[2])
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def links(path: Path) -> list[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return [m[1] or m[2] for m in LINK.finditer(text)]


def code_texts(path: Path) -> list[str]:
    """Fenced blocks and inline code spans: where the docs name commands, flags and variables."""
    text = path.read_text(encoding="utf-8")
    return [m[0] for m in FENCE.finditer(text)] + CODE_SPAN.findall(FENCE.sub("", text))


def command_line_source(script: Path) -> str:
    """The script and the project modules it imports: shared argparse helpers define flags there."""
    text = script.read_text(encoding="utf-8")
    for module in PROJECT_IMPORT.findall(text):
        base = PROJECT_ROOT / module.replace(".", "/")
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.exists():
                text += candidate.read_text(encoding="utf-8")
    return text


def project_sources() -> str:
    files = [p for p in PROJECT_ROOT.rglob("*") if p.suffix in SOURCE_SUFFIXES and p.is_file()
             and not {".venv", ".venv-train", "node_modules", ".git", "tests"} & set(p.relative_to(PROJECT_ROOT).parts)]
    files += [PROJECT_ROOT / "Makefile", PROJECT_ROOT / ".chalice" / "config.json"]
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)


@pytest.fixture(scope="module")
def sources():
    return project_sources()


def test_the_docs_are_found():
    names = {path.relative_to(PROJECT_ROOT).as_posix() for path in DOCS}
    assert {"README.md", "model/MODEL_CARD.md"} <= names


@pytest.mark.parametrize("path", markdown_files())
def test_every_relative_link_and_anchor_resolves(path):
    broken = []
    for target in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue
        file_part, _, anchor = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{target}: no heading #{anchor} in {destination.relative_to(PROJECT_ROOT)}")
    assert not broken, f"{path.relative_to(PROJECT_ROOT)}: " + "; ".join(broken)


@pytest.mark.parametrize("path", markdown_files())
def test_every_flag_the_docs_give_a_script_is_one_it_accepts(path):
    unknown = []
    for text in code_texts(path):
        commands = [(PROJECT_ROOT / script, rest) for script, rest in SCRIPT_COMMAND.findall(text)]
        commands += [(PROJECT_ROOT / (module.replace(".", "/") + ".py"), rest)
                     for module, rest in MODULE_COMMAND.findall(text)]
        for script, rest in commands:
            if not script.exists():
                unknown.append(f"{script.relative_to(PROJECT_ROOT)}: no such script")
                continue
            source = command_line_source(script)
            unknown += [f"{script.relative_to(PROJECT_ROOT)} {flag}" for flag in FLAG.findall(rest)
                        if f'"{flag}"' not in source and f"'{flag}'" not in source]
    assert not unknown, f"{path.relative_to(PROJECT_ROOT)} names flags nobody accepts: {unknown}"


@pytest.mark.parametrize("path", markdown_files())
def test_every_make_target_and_variable_the_docs_name_exists(path):
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.MULTILINE))
    unknown = []
    for text in code_texts(path):
        for target, assignments in MAKE_COMMAND.findall(text):
            if target not in targets:
                unknown.append(f"make {target}")
            unknown += [f"make {target} {name}=" for name in MAKE_VARIABLE.findall(assignments)
                        if f"$({name})" not in makefile and f"{name} ?=" not in makefile]
    assert not unknown, f"{path.relative_to(PROJECT_ROOT)} names what the Makefile lacks: {unknown}"


@pytest.mark.parametrize("path", markdown_files())
def test_every_environment_variable_the_docs_name_is_read_by_the_code(path, sources):
    named = {span for span in CODE_SPAN.findall(FENCE.sub("", path.read_text(encoding="utf-8")))
             if ENVIRONMENT_VARIABLE.match(span)}
    for block in FENCE.findall(path.read_text(encoding="utf-8")):
        named |= {name for name in re.findall(r"(?:^|\s|export\s)([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)=", block)}
    unread = sorted(name for name in named
                    if not SET_OUTSIDE_THE_PROJECT.match(name) and not re.search(rf"\b{name}\b", sources))
    assert not unread, f"{path.relative_to(PROJECT_ROOT)} names variables no code reads: {unread}"


def test_the_api_page_gives_every_certainty_the_headline_the_api_says():
    text = (PROJECT_ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    table = text[text.index("### How firmly"):text.index("### Errors")]
    rows = dict(re.findall(r"^\| `([a-z ]+)` \| ([^|]+?) \|", table, re.MULTILINE))
    assert rows == HEADLINES

"""What users install: the distribution ``pieces-os-models`` (never the published SDK's
``pieces_os_client``), its metadata, and every install command the docs and hints print."""

from __future__ import annotations

import re
import shlex
from importlib import metadata
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from pieces_os_client._version import DISTRIBUTION_NAME, INDEX, __version__, install_command

ROOT = Path(__file__).resolve().parents[2]
#: The published OpenAPI-Generator SDK's distribution: the same import package as ours.
PUBLISHED = "pieces-os-client"
#: Where install commands are written for users: docs, examples and the package's own hints.
SOURCES = ("README.md", "docs/**/*.md", "examples/*", "pieces_os_client/**/*.py")

_PIP_INSTALL = re.compile(r"pip3? install (?P<args>[^\n`]*)")
_REQUIREMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")
_MARKDOWN_LINK = re.compile(r"\]\((?P<target>[^)\s]+)")


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _install_commands() -> Iterator[Tuple[str, str]]:
    """(``file:line``, the arguments of ``pip install``) for every install command shown."""
    for pattern in SOURCES:
        for path in sorted(ROOT.glob(pattern)):
            if not path.is_file():
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for found in _PIP_INSTALL.finditer(line):
                    # The command ends where the shell line does: && ; # or a closing quote.
                    args = re.split(r"&&|;|\s#|\\n|\"", found["args"])[0]
                    yield f"{path.relative_to(ROOT)}:{number}", args


def _requirements(args: str) -> List[str]:
    words = shlex.split(args)
    return [word for word in words if not word.startswith("-")]


def _problem(requirement: str, extras_we_have: List[str]) -> str:
    """Why ``requirement`` is the wrong thing to tell users to install, or ``""``."""
    if requirement.startswith((".", "/")):
        return ""  # a local checkout: this project's own pyproject.toml
    match = _REQUIREMENT_NAME.match(requirement)
    name = _normalized(match.group(0)) if match else ""
    if name == PUBLISHED:
        # Only the deliberate way back to the published SDK, pinned, may name it.
        return "" if "==" in requirement else f"{requirement!r} installs the published SDK"
    if name == DISTRIBUTION_NAME:
        extras = re.findall(r"\[([^\]]*)\]", requirement)
        unknown = [e.strip() for part in extras for e in part.split(",")]
        unknown = [e for e in unknown if e not in extras_we_have]
        return f"{requirement!r}: no such extra {unknown}" if unknown else ""
    return ""


def test_the_installed_distribution_is_ours_with_its_metadata() -> None:
    distribution = metadata.distribution(DISTRIBUTION_NAME)
    fields = distribution.metadata
    assert _normalized(fields["Name"]) == DISTRIBUTION_NAME != PUBLISHED
    assert distribution.version == __version__
    assert fields["Author"] or fields["Author-email"]
    assert fields["Requires-Python"] == ">=3.9"
    project_urls = fields.get_all("Project-URL") or []
    assert project_urls
    assert all(re.match(r"^[^,]+, https://\S+$", url) for url in project_urls), project_urls
    assert {"async", "dev"} <= set(fields.get_all("Provides-Extra") or [])
    classifiers = fields.get_all("Classifier") or []
    assert [c for c in classifiers if c.startswith("Programming Language :: Python :: 3.")] == [
        f"Programming Language :: Python :: 3.{minor}" for minor in range(9, 14)
    ]


def test_install_hints_name_our_distribution() -> None:
    # Installed from an index; how other installs are named: test_install_hint.py.
    assert install_command(origin=(INDEX, "")) == "pip install pieces-os-models"
    assert install_command("async", origin=(INDEX, "")) == "pip install 'pieces-os-models[async]'"


def test_every_install_command_shown_installs_this_package() -> None:
    extras = metadata.distribution(DISTRIBUTION_NAME).metadata.get_all("Provides-Extra") or []
    commands = list(_install_commands())
    assert any(DISTRIBUTION_NAME in args for _, args in commands), "no install command found"
    problems = [
        f"{where}: {problem}"
        for where, args in commands
        for requirement in _requirements(args)
        if (problem := _problem(requirement, extras))
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("requirement", "wrong"),
    [
        ("pieces-os-models", False),
        ("pieces-os-models[async]", False),
        ("pieces_os_models[async]", False),
        (".[dev,async]", False),
        ("pieces_os_client==5.0.1", False),
        ("rich", False),
        ("pieces_os_client[async]", True),
        ("pieces-os-client", True),
        ("pieces-os-models[asyncio]", True),
    ],
)
def test_the_install_command_check_tells_ours_from_the_published_sdk(
    requirement: str, wrong: bool
) -> None:
    assert bool(_problem(requirement, ["async", "dev"])) is wrong


def test_the_readme_links_work_on_a_package_page() -> None:
    """A package index shows the README without the repository around it: only absolute
    links and in-page anchors work there."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = [m["target"] for m in _MARKDOWN_LINK.finditer(readme)]
    relative = [t for t in targets if not t.startswith(("https://", "http://", "#"))]
    assert relative == []

"""Knowledge-base documents: Markdown files a bank's operations staff keep (policies, charges, FAQs).

    # UPI payments and limits            <- the document's title (one per file, first heading)
    ## UPI transaction limits            <- a section: the unit the bot answers with and cites
    You can send up to ₹1,00,000 ...

A section's source is `file#anchor` (the heading, slugged), so an answer can cite exactly where it came
from. Files are read whole and checked: no title, a section before the title, an empty section or an
oversized file stops start-up naming the file and line (like persona YAML)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.yaml_config import ConfigError

MAX_FILES = 200
MAX_BYTES = 256 * 1024
MAX_SECTION_CHARS = 2000


@dataclass(frozen=True)
class Section:
    title: str  # the document's title
    heading: str
    text: str
    source: str  # "upi.md#upi-transaction-limits"

    @property
    def passage(self) -> str:
        """What is embedded for search: where it sits, then what it says."""
        return f"{self.title}: {self.heading}. {self.text}"


def _anchor(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def load_sections(directory: Path) -> list[Section]:
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(str(directory), None, "", "the knowledge folder does not exist")
    paths = sorted(p for p in directory.glob("*.md") if p.is_file() and not p.name.startswith("."))
    if len(paths) > MAX_FILES:
        raise ConfigError(str(directory), None, "", f"more than {MAX_FILES} knowledge documents")
    sections: list[Section] = []
    errors: list[ConfigError] = []
    for path in paths:
        try:
            sections += _parse(path)
        except ConfigError as e:
            errors.append(e)
    if errors:
        raise ConfigError.combine(errors)
    return sections


def _parse(path: Path) -> list[Section]:
    raw = path.read_bytes()
    if len(raw) > MAX_BYTES:
        raise ConfigError(str(path), None, "", f"larger than {MAX_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(str(path), None, "", "not valid UTF-8") from e
    title: str | None = None
    heading: str | None = None
    heading_line = 0
    body: list[str] = []
    sections: list[Section] = []

    def close() -> None:
        if heading is None:
            return
        content = " ".join(body).strip()
        if not content:
            raise ConfigError(str(path), heading_line, "", f"section {heading!r} is empty")
        sections.append(Section(title or "", heading, content[:MAX_SECTION_CHARS], f"{path.name}#{_anchor(heading)}"))

    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("# "):
            if title is not None:
                raise ConfigError(str(path), number, "", "a second title (# ...): one document per file")
            title = line[2:].strip()
        elif line.startswith("## "):
            if title is None:
                raise ConfigError(str(path), number, "", "a section before the document's title (# ...)")
            close()
            heading, heading_line, body = line[3:].strip(), number, []
        elif line.strip():
            if heading is None and title is not None:
                raise ConfigError(str(path), number, "", "text before the first section (## ...)")
            body.append(line.strip())
    close()
    if title is None:
        raise ConfigError(str(path), 1, "", "no title: the first heading must be '# Title'")
    if not sections:
        raise ConfigError(str(path), 1, "", "no sections (## ...)")
    return sections

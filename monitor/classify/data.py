"""The labelled data: the ACL 2019 complaints corpus with the X-CI severity labels, on the fixed split.

Found at ../shared/data/complaints relative to the repository (or the current directory); `--data` overrides.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import InputError

RELATIVE = Path("..") / "shared" / "data" / "complaints"
REPO_ROOT = Path(__file__).resolve().parents[2]
MULTILINGUAL = REPO_ROOT / "tests" / "data" / "multilingual.jsonl"


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    text: str
    complaint: bool
    severity: int | None  # X-CI 1..4 for complaints; None otherwise or when X-CI has no row
    split: str  # "train" | "test"


@dataclass(frozen=True, slots=True)
class LabelledPost:
    text: str
    lang: str
    complaint: bool
    severity: int | None


def find_data_dir(explicit: str | Path | None = None) -> Path:
    """The complaints data folder: `explicit`, else next to the repository, else next to the cwd."""
    candidates = [Path(explicit)] if explicit else [REPO_ROOT / RELATIVE, Path.cwd() / RELATIVE]
    for path in candidates:
        if (path / "split.csv").is_file() and (path / "acl2019" / "complaints-data.csv").is_file():
            return path
    where = ", ".join(str(p) for p in candidates)
    raise InputError(f"complaints data not found (looked in {where}); pass --data DIR with split.csv and acl2019/")


def _rows(path: Path) -> Iterator[list[str]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            yield from csv.reader(fh)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def load_examples(data_dir: Path) -> list[Example]:
    """All 3,449 tweets with label, X-CI severity (text from X-CI for severity rows) and split."""
    split = {row[0]: row[1] for row in list(_rows(data_dir / "split.csv"))[1:]}
    id_map = {row[0]: row[1] for row in list(_rows(data_dir / "xci2023" / "id_map.csv"))[1:]}
    severity: dict[str, int] = {}
    xci_rows = list(_rows(data_dir / "xci2023" / "x-ci.csv"))
    header = xci_rows[0]
    sev_col = header.index("Severity")
    for row in xci_rows[1:]:
        tweet_id = id_map.get(row[0])
        if tweet_id is not None and row[sev_col] not in ("", "0"):
            severity[tweet_id] = int(row[sev_col])
    examples = []
    for row in _rows(data_dir / "acl2019" / "complaints-data.csv"):
        tweet_id, text, label = row[0], row[1], row[2] == "1"  # row[3] (domain) leaks the label: never read
        examples.append(Example(tweet_id, text, label, severity.get(tweet_id) if label else None, split[tweet_id]))
    return examples


def load_multilingual(path: Path = MULTILINGUAL) -> list[LabelledPost]:
    posts = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    for line in lines:
        if line.strip():
            obj = json.loads(line)
            posts.append(LabelledPost(obj["text"], obj["lang"], bool(obj["complaint"]), obj.get("severity")))
    return posts

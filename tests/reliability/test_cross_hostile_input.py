"""Hostile input: fuzzed config files, and hostile mention texts through import -> pipeline -> every view.

Config: any YAML structure (or bytes) gives a Config or a ConfigError; through the CLI exit code 2, no traceback.
Texts: rich markup, ANSI/OSC escapes, C1 controls, bidi overrides, NUL bytes, a 1 MB line, invalid UTF-8 and HTML
flow through `monitor import`, `process`, `feed --once`, `queue`, `next`, `digest --out`: no escape sequence reaches
stdout, the HTML is escaped, and every good line is kept.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from cm_testing.cross import FULL, UNSAFE_TERMINAL, fake_credentials, integrity, monitor, query, tally
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.fake import fake_config_data
from monitor.config import Config, load_config
from monitor.errors import ConfigError

pytestmark = pytest.mark.reliability

EXAMPLES = 400 if FULL else 60

# --- config files -------------------------------------------------------------------------------------------

scalar = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(
        ["5s", "-1m", "0s", "1e9d", "P1D", "twitter", "all", "UTC", "Mars/Olympus", "~/x.db", "/dev/null", ""]
    )
)
junk = st.recursive(
    scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)
BASE = fake_config_data("http://127.0.0.1:9", "store.db")


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def config_documents(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.binary(max_size=200))
    if kind == 1:
        return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    if kind == 2:
        return yaml.safe_dump(draw(junk)).encode()
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        node = data
        for key in path[:-1]:
            node = node[key]
        if draw(st.booleans()):
            del node[path[-1]]
        else:
            node[path[-1]] = draw(junk)
    if draw(st.booleans()):
        data[draw(st.text(max_size=10))] = draw(junk)  # an unknown key
    return yaml.safe_dump(data, allow_unicode=True).encode()


def test_fuzzed_config_files_load_or_raise_config_error(tmp_path: Path) -> None:
    counts = {"tried": 0, "valid": 0, "rejected": 0}
    path = tmp_path / "config.yaml"

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(doc=config_documents())
    def check(doc: bytes) -> None:
        path.write_bytes(doc)
        counts["tried"] += 1
        try:
            assert isinstance(load_config(path, environ=fake_credentials()), Config)
            counts["valid"] += 1
        except ConfigError as exc:
            assert str(exc).strip()
            counts["rejected"] += 1

    check()
    tally("hostile-config", counts["tried"], counts["tried"], 0, valid=counts["valid"], rejected=counts["rejected"])


NASTY_CONFIGS = {
    "binary": b"\x00\xff\xfe\x1b[2Jbrands: [",
    "invalid-utf8": b"brands:\n  - name: \xc3\x28\n",
    "deep-nesting": b"brands: " + b"[" * 20000 + b"]" * 20000,
    "billion-laughs": b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    b"brands: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
    "python-tag": b"brands: !!python/object/apply:os.system ['echo pwned']\n",
    "escape-in-key": b"\x1b]52;c;cHduZWQ=\x07brands: []\n",
    "list": b"- a\n- b\n",
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(NASTY_CONFIGS))
def test_nasty_config_through_the_cli_exits_2_without_traceback(tmp_path: Path, name: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_bytes(NASTY_CONFIGS[name])
    proc = monitor("--config", str(config), "status", env=fake_credentials(), timeout=60)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, (proc.returncode, err[-2000:])
    assert "Traceback" not in err
    assert err.startswith("error: ")
    assert b"\x1b" not in proc.stderr and b"\x07" not in proc.stderr  # the file's escapes are not replayed
    assert not (tmp_path / "pwned").exists()


# --- hostile texts through every view -----------------------------------------------------------------------

COMPLAINT = "my order is broken and nobody answers, I want a refund now"
ATTACKS = {
    "markup": "[bold red]FAKE ALERT[/] [link=https://evil.example]click[/link] :skull:",
    "ansi": "\x1b[2J\x1b[H\x1b[31mscreen wiped\x1b[0m \x1b[?1049h",
    "osc8": "\x1b]8;;https://evil.example\x07totally your bank\x1b]8;;\x07",
    "osc52": "\x1b]52;c;cm0gLXJmIH4=\x07 clipboard",
    "title": "\x1b]0;pwned-title\x1b\\ title",
    "c1": "\x9b31m C1 CSI \x9d0;x\x9c \x85 NEL",
    "bidi": "\u202eevil.exe\u202c \u2066isolate\u2069 \u200f",
    "nul": "nul\x00byte\x00here",
    "html": "<script>alert(1)</script><img src=x onerror=alert(2)> & \"quotes\" 'single'",
    "sql": "'); DROP TABLE mentions; --",
    "backspace": "real text\x08\x08\x08\x08fake\r\x0b\x0c\x7f",
}
UNSAFE_BYTES = re.compile(rb"\x1b|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]|\x00")


def _line(i: int, text: str, **extra: Any) -> str:
    record = {
        "platform": "twitter",
        "id": f"h{i}",
        "url": f"https://x.com/u{i}/status/{i}",
        "text": text,
        "created_at": "2026-11-28T09:15:00Z",
        "author": {"id": f"a{i}", "handle": f"user{i}", "followers": 40 + i},
        "brand": "Acme",
        "lang": "en",
        **extra,
    }
    return json.dumps(record, ensure_ascii=False)


def _check_terminal(name: str, out: bytes) -> None:
    found = UNSAFE_BYTES.findall(out)
    assert not found, (name, found[:5])
    assert not UNSAFE_TERMINAL.search(out.decode("utf-8", "replace")), name


def test_hostile_texts_reach_no_terminal_and_no_html(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "store": str(tmp_path / "store.db"),
                "timezone": "UTC",
                "brands": [{"name": "Acme", "queries": {}}],
                "platforms": {},
            }
        )
    )
    lines = []
    for n, (_, attack) in enumerate(sorted(ATTACKS.items())):
        lines.append(_line(n, f"{attack} {COMPLAINT}").encode())
    lines.append(
        _line(
            100, f"{''.join(ATTACKS.values())} {COMPLAINT}", author={"id": "\x1b[31m", "handle": ATTACKS["bidi"]}
        ).encode()
    )
    lines.append(_line(101, ("A" * 1_000_000) + " " + COMPLAINT).encode())  # a 1 MB line
    # a complete record whose text is not UTF-8: rejected with its line number, the others still imported
    lines.append(_line(102, "PLACEHOLDER " + COMPLAINT).encode().replace(b"PLACEHOLDER", b"\xff\xfe\xc3\x28"))
    good = [_line(200 + k, f"GOOD-{k} {COMPLAINT}") for k in range(5)]
    lines += [g.encode() for g in good]
    source = tmp_path / "hostile.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")

    base = ("--config", str(config))
    runs = {
        "import": monitor(*base, "import", str(source)),
        "process": monitor(*base, "process"),
        "feed": monitor(*base, "feed", "--once", "--width", "200", "--agent", "ana"),
        "queue": monitor(*base, "queue", "-n", "100"),
        "queue-json": monitor(*base, "queue", "-n", "100", "--json"),
        "next-json": monitor(*base, "next", "--agent", "bo", "--json"),
        "next": monitor(*base, "next", "--agent", "ana"),
        "audit": monitor(*base, "audit", "--since", "30d"),
        "status": monitor(*base, "status"),
        "digest": monitor(*base, "digest", "--date", "2026-11-28", "--out", str(tmp_path / "digest")),
        "digest-text": monitor(*base, "digest", "--date", "2026-11-28"),
    }
    for name, proc in runs.items():
        assert b"Traceback" not in proc.stderr, (name, proc.stderr[-3000:])
        assert proc.returncode == (3 if name == "import" else 0), (name, proc.returncode, proc.stderr[-2000:])
        _check_terminal(name, proc.stdout)
        _check_terminal(name + " stderr", proc.stderr)

    db = tmp_path / "store.db"
    ids = {r[0] for r in query(db, "SELECT id FROM mentions")}
    assert {f"h{200 + k}" for k in range(5)} <= ids  # the good data is kept
    assert {f"h{n}" for n in range(len(ATTACKS))} | {"h100", "h101"} <= ids  # hostile text is data: kept, shown inert
    assert "h102" not in ids and f"jsonl:{len(lines) - 5}: rejected: invalid UTF-8".encode() in runs["import"].stderr
    assert query(db, "SELECT length(text) FROM mentions WHERE id = 'h101'")[0][0] > 1_000_000  # the 1 MB line, whole
    assert integrity(db) == "ok"
    cases = query(db, "SELECT count(*) FROM cases")[0][0]
    assert cases >= 5

    html = next((tmp_path / "digest").glob("*.html")).read_text(encoding="utf-8")
    text = next((tmp_path / "digest").glob("*.txt")).read_bytes()
    assert (
        "<script>" not in html
        and "<img src=x" not in html
        and "onerror=alert" not in html.replace("onerror=alert(2)&gt;", "")
    )
    _check_terminal("digest.txt", text)
    assert not UNSAFE_BYTES.search(html.encode())
    tally("hostile-text", len(lines), len(lines), 0, views=len(runs), stored=len(ids), cases=cases)

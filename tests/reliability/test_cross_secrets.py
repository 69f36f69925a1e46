"""Secrets: every command runs with distinctive credentials in the environment and -vv logging; no secret value
(nor the Reddit Basic-auth form of id:secret, nor the access token the platform handed out) appears in any
stdout, stderr, written file, or anywhere in the bytes of the SQLite store and its -wal / -shm files.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cm_testing.cross import fake_credentials, monitor, tally, write_config

from connectors.fake import start_fake_platforms
from connectors.reddit.fake import _REDDIT_TOKEN

pytestmark = pytest.mark.reliability

# wrong credentials the fake rejects: distinctive, so any leak is found by a plain byte search
WRONG = {
    "TWITTER_BEARER_TOKEN": "SECRET-TW-5f1c93ab7e",
    "REDDIT_CLIENT_ID": "SECRET-RID-0c4e1f",
    "REDDIT_CLIENT_SECRET": "SECRET-RS-88a1d2c7b9",
    "YOUTUBE_API_KEY": "SECRET-YT-3e9b07f4d1",
}
SMTP = {"SMTP_USERNAME": "SECRET-SMTPUSER-41ab", "SMTP_PASSWORD": "SECRET-SMTPPW-9c2e7d"}


def _needles(creds: dict[str, str]) -> dict[str, bytes]:
    out = {k: v.encode() for k, v in creds.items()}
    basic = base64.b64encode(f"{creds['REDDIT_CLIENT_ID']}:{creds['REDDIT_CLIENT_SECRET']}".encode())
    out["reddit-basic-auth"] = basic
    return out


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_no_secret_in_any_output_log_or_store(tmp_path: Path) -> None:
    good = fake_credentials() | SMTP
    needles = _needles(fake_credentials()) | _needles(WRONG) | {k: v.encode() for k, v in SMTP.items()}
    needles["reddit-access-token"] = _REDDIT_TOKEN.encode()
    outputs: dict[str, bytes] = {}
    with start_fake_platforms(seed=3, mentions=120, rate_per_minute=0) as fake:
        config = write_config(
            tmp_path / "config.yaml",
            fake.base_url,
            tmp_path / "store.db",
            digest={"recipients": ["team@example.org"]},
            smtp={"host": "127.0.0.1", "port": 9, "username_env": "SMTP_USERNAME", "password_env": "SMTP_PASSWORD"},
        )
        imports = tmp_path / "in.jsonl"
        yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT10:00:00Z")
        imports.write_text(
            json.dumps(
                {
                    "platform": "twitter",
                    "id": "9",
                    "url": "https://x.com/a/status/9",
                    "created_at": yesterday,
                    "text": "acme broke my order, refund please",
                    "author": {"id": "1", "handle": "a"},
                    "brand": "Acme",
                }
            )
            + "\n"
        )
        c = ("-vv", "--config", str(config))
        commands: dict[str, tuple[tuple[str, ...], dict[str, str], tuple[int, ...]]] = {
            "help": (("--help",), good, (0,)),
            "import": ((*c, "import", str(imports)), good, (0,)),
            "poll": ((*c, "poll", "--once"), good, (0,)),
            "poll-json": ((*c, "poll", "--once", "--json"), good, (0,)),
            "process": ((*c, "process"), good, (0,)),
            "status": ((*c, "status"), good, (0,)),
            "status-json": ((*c, "status", "--json"), good, (0,)),
            "queue": ((*c, "queue"), good, (0,)),
            "queue-json": ((*c, "queue", "--json"), good, (0,)),
            "next": ((*c, "next", "--agent", "ana", "--json"), good, (0,)),
            "audit": ((*c, "audit", "--since", "7d"), good, (0,)),
            "feed": ((*c, "feed", "--once", "--agent", "ana"), good, (0,)),
            "digest-out": ((*c, "digest", "--out", str(tmp_path / "digest")), good, (0,)),
            "digest-json": ((*c, "digest", "--json"), good, (0,)),
            "digest-send-fails": ((*c, "digest", "--send"), good, (9,)),  # port 9: refused, exit 9
            "classify": ((*c, "classify", "acme lost my parcel"), good, (0,)),
            "check": ((*c, "check"), good, (0,)),
            "demo": (
                ("-vv", "demo", "--dir", str(tmp_path / "demo"), "--seconds", "0", "--mentions", "60"),
                good,
                (0,),
            ),
            "wrong-twitter": (
                (*c, "poll", "--once", "--platform", "twitter"),
                good | {"TWITTER_BEARER_TOKEN": WRONG["TWITTER_BEARER_TOKEN"]},
                (6,),
            ),
            "wrong-reddit": (
                (*c, "poll", "--once", "--platform", "reddit"),
                good | {k: WRONG[k] for k in ("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET")},
                (6,),
            ),
            "wrong-youtube": (
                (*c, "poll", "--once", "--platform", "youtube"),
                good | {"YOUTUBE_API_KEY": WRONG["YOUTUBE_API_KEY"]},
                (6,),
            ),
        }
        for name, (args, env, codes) in commands.items():
            proc = monitor(*args, env=env, timeout=180)
            assert proc.returncode in codes, (name, proc.returncode, proc.stderr[-2000:])
            assert b"Traceback" not in proc.stderr, (name, proc.stderr[-2000:])
            outputs[f"{name}:stdout"] = proc.stdout
            outputs[f"{name}:stderr"] = proc.stderr
        assert b"credentials rejected" in outputs["wrong-twitter:stderr"]

    for path in _files(tmp_path):  # store, -wal, -shm, digests, demo folder, configs
        if path.name == "config.yaml" or path.suffix == ".jsonl":
            continue  # our own inputs (they name env vars, not values)
        outputs[f"file:{path.relative_to(tmp_path)}"] = path.read_bytes()
    store_files = [k for k in outputs if k.startswith("file:store.db")]
    assert store_files, sorted(outputs)

    leaks = [(where, what) for where, data in outputs.items() for what, needle in needles.items() if needle in data]
    assert leaks == []
    tally("secrets", len(commands), len(commands), 0, places_searched=len(outputs), secrets=len(needles))

"""Store and import under faults: kill -9 mid-import, read-only store, corrupted file, disk full.

Real `monitor` subprocesses against real files. Each fault class prints a tally (run `pytest -s` to see it):
cases tried, survived, data lost (must be 0). MONITOR_FULL_FAULTS=1 runs the longer variant.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cm_testing.foundation import MONITOR, NEUTRAL_CWD, clean_env, mention, write_jsonl

pytestmark = pytest.mark.reliability

FULL = os.environ.get("MONITOR_FULL_FAULTS") == "1"
SEED = int(os.environ.get("MONITOR_FAULT_SEED", "20261129"))


def monitor(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MONITOR, *args],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=timeout,
        check=False,
        cwd=NEUTRAL_CWD,
    )


def ids_in(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute("SELECT id FROM mentions")]
    finally:
        conn.close()


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def report(fault: str, tried: int, survived: int, lost: int, **extra: Any) -> None:
    tally = {"fault": fault, "tried": tried, "survived": survived, "data_lost": lost, **extra}
    print(f"\nFAULT-TALLY {json.dumps(tally)}")


def assert_clear_error(proc: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: "), proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr, (fragment, proc.stderr)


# --- kill -9 in the middle of an import ------------------------------------------------------------


@pytest.mark.timeout(1800 if FULL else 300)
def test_kill_9_during_import_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    lines, iterations, batch = (100_000, 12, 2_000) if FULL else (8_000, 3, 500)
    ids = [f"k{i}" for i in range(lines)]
    data = write_jsonl(tmp_path / "big.jsonl", [mention(i, id=ids[i]) for i in range(lines)])
    rng = random.Random(SEED)
    # how long a whole import takes here, so kills land anywhere in it
    started = time.monotonic()
    assert monitor("--db", str(tmp_path / "ref.db"), "import", str(data)).returncode == 0
    full_run = time.monotonic() - started
    tried = survived = lost = mid_import = 0
    for it in range(iterations):
        db = tmp_path / f"crash{it}.db"
        kills = rng.randint(1, 3 if FULL else 2)  # kill the rerun too, sometimes
        for _ in range(kills):
            proc = subprocess.Popen(
                [MONITOR, "--db", str(db), "import", str(data), "--batch-size", str(batch)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=clean_env(),
                cwd=NEUTRAL_CWD,
            )
            time.sleep(rng.uniform(0.05, full_run))
            if proc.poll() is None:
                mid_import += 1
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            tried += 1
            if db.exists():
                assert integrity(db) == "ok"
                kept = ids_in(db)
                # whole batches only, each the next slice of the file: a committed prefix, nothing torn
                assert len(kept) % batch == 0 or len(kept) == lines
                assert sorted(kept) == sorted(ids[: len(kept)])
        rerun = monitor("--db", str(db), "import", str(data), "--json")
        assert rerun.returncode == 0, rerun.stderr
        final = ids_in(db)
        assert integrity(db) == "ok"
        missing = len(set(ids) - set(final))
        lost += missing
        assert missing == 0 and len(final) == len(set(final)) == lines
        counts = json.loads(rerun.stdout)
        assert counts["inserted"] + counts["duplicates"] == lines
        survived += kills
    report("kill -9 during import", tried, survived, lost, killed_mid_import=mid_import, lines=lines)
    assert lost == 0


# --- read-only store --------------------------------------------------------------------------------


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A small tmpfs mounted at `where` (needs root and mount permission); skips the test otherwise."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; run the fault suite as root (e.g. in CI's container)")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip()}); disk-full case not run")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)


def test_read_only_store_gives_clear_error(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", [mention(i) for i in range(50)])
    more = write_jsonl(tmp_path / "more.jsonl", [mention(i, id=f"m{i}") for i in range(50)])
    tried = survived = lost = 0
    # root ignores file modes: use a read-only mount instead
    ctx = tmpfs(tmp_path / "mnt", "16m") if os.geteuid() == 0 else _chmod_read_only(tmp_path / "ro")
    with ctx as folder:
        db = folder / "store.db"
        assert monitor("--db", str(db), "import", str(data)).returncode == 0
        if os.geteuid() == 0:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        else:
            db.chmod(0o444)
            folder.chmod(0o555)
        try:
            for args in (["import", str(more)], ["status"]):
                tried += 1
                proc = monitor("--db", str(db), *args)
                if args[0] == "status" and proc.returncode == 0:
                    survived += 1  # reading a read-only store is fine
                    continue
                assert_clear_error(proc, 5, "read-only")
                survived += 1
        finally:
            if os.geteuid() == 0:
                subprocess.run(["mount", "-o", "remount,rw", str(folder)], check=True)
            else:
                folder.chmod(0o755)
                db.chmod(0o644)
        # made writable again: the data is all there and the store works
        assert sorted(ids_in(db)) == sorted(str(1_000_000 + i) for i in range(50))
        assert integrity(db) == "ok"
        assert monitor("--db", str(db), "import", str(more)).returncode == 0
    report("read-only store", tried, survived, lost)


@contextmanager
def _chmod_read_only(folder: Path) -> Iterator[Path]:
    folder.mkdir()
    yield folder


# --- corrupted database file ------------------------------------------------------------------------


def test_corrupted_store_gives_clear_error_and_is_left_unchanged(tmp_path: Path) -> None:
    base = tmp_path / "base.db"
    data = write_jsonl(tmp_path / "in.jsonl", [mention(i) for i in range(3000)])
    assert monitor("--db", str(base), "import", str(data)).returncode == 0
    size = base.stat().st_size
    pages = size // 4096
    rng = random.Random(SEED)

    def garbage_pages(f: Any, count: int) -> None:
        for page in rng.sample(range(1, pages), count):
            f.seek(page * 4096)
            f.write(rng.randbytes(4096))

    cases = {
        "header overwritten": lambda f: f.write(b"this is not sqlite" * 4),
        "truncated to a third": lambda f: f.truncate(size // 3),
        "schema page garbage": lambda f: (f.seek(100), f.write(rng.randbytes(3000))),
        "zero-length file": lambda f: f.truncate(0) or f.write(b"\x00" * 512),
        "text file": lambda f: (f.truncate(0), f.write(b"brands:\n  - name: Acme\n")),
    }
    random_cases = 12 if FULL else 2
    tried = survived = detected_by_check = 0
    for name, corrupt in cases.items():
        db = tmp_path / f"{name.replace(' ', '_')}.db"
        shutil.copy(base, db)
        with db.open("r+b") as f:
            corrupt(f)
        before = hashlib.sha256(db.read_bytes()).hexdigest()
        for args in (["status"], ["import", str(data)], ["check"]) if FULL else (["import", str(data)],):
            tried += 1
            assert_clear_error(monitor("--db", str(db), *args), 5, "monitor recover")
            assert hashlib.sha256(db.read_bytes()).hexdigest() == before, (name, args)
            survived += 1
    # random pages of garbage: normal commands notice only the pages they read; `monitor check` finds it
    for n in range(random_cases):
        db = tmp_path / f"random{n}.db"
        shutil.copy(base, db)
        with db.open("r+b") as f:
            garbage_pages(f, 3)
        before = hashlib.sha256(db.read_bytes()).hexdigest()
        tried += 1
        proc = monitor("--db", str(db), "check")
        assert_clear_error(proc, 5, "monitor recover")
        assert hashlib.sha256(db.read_bytes()).hexdigest() == before
        detected_by_check += 1
        survived += 1
    # the documented recovery: copy what is readable into a new store, which then checks clean
    salvaged = 0
    for n in range(random_cases):
        recovered = tmp_path / f"recovered{n}.db"
        proc = monitor("recover", str(tmp_path / f"random{n}.db"), str(recovered), "--json")
        assert proc.returncode == 0, proc.stderr
        salvaged += json.loads(proc.stdout)["mentions"]["rows"]
        assert integrity(recovered) == "ok"
    print(f"\nrecover: {salvaged} of {3000 * random_cases} mentions salvaged from files with 3 garbage pages each")
    report(
        "corrupted store file",
        tried,
        survived,
        0,
        random_page_cases_found_by_check=detected_by_check,
        mentions_salvaged=salvaged,
    )


# --- disk full --------------------------------------------------------------------------------------


def test_disk_full_keeps_committed_batches_and_rerun_completes(tmp_path: Path) -> None:
    first_n, second_n, batch = 1_000, 6_000, 250
    first = write_jsonl(tmp_path / "first.jsonl", [mention(i, id=f"f{i}") for i in range(first_n)])
    second_ids = [f"s{i}" for i in range(second_n)]
    second = write_jsonl(tmp_path / "second.jsonl", [mention(i, id=second_ids[i]) for i in range(second_n)])
    rng = random.Random(SEED)
    iterations = 6 if FULL else 2
    tried = survived = lost = 0
    with tmpfs(tmp_path / "mnt", "12m") as disk:
        for it in range(iterations):
            db = disk / f"store{it}.db"
            assert monitor("--db", str(db), "import", str(first), "--batch-size", str(batch)).returncode == 0
            # leave only a little room: the second import fills the disk part-way through
            free = shutil.disk_usage(disk).free
            filler = disk / "filler"
            leave = rng.randint(200_000, 1_200_000)
            with filler.open("wb") as fh:
                fh.truncate(0)
                fh.write(b"\0" * max(0, free - leave))
            tried += 1
            full = monitor("--db", str(db), "import", str(second), "--batch-size", str(batch))
            assert_clear_error(full, 5, "full", "free space")
            assert integrity(db) == "ok"
            kept = ids_in(db)
            assert {i for i in kept if i.startswith("f")} == {f"f{i}" for i in range(first_n)}  # earlier data intact
            seconds = [i for i in kept if i.startswith("s")]
            assert len(seconds) % batch == 0 and sorted(seconds) == sorted(second_ids[: len(seconds)])  # whole batches
            filler.unlink()  # free space, run again
            rerun = monitor("--db", str(db), "import", str(second), "--batch-size", str(batch), "--json")
            assert rerun.returncode == 0, rerun.stderr
            final = ids_in(db)
            missing = (first_n + second_n) - len(set(final))
            lost += missing
            assert missing == 0 and len(final) == len(set(final)) == first_n + second_n
            assert integrity(db) == "ok"
            survived += 1
            for f in disk.glob(f"store{it}.db*"):
                f.unlink()
    report("disk full", tried, survived, lost)

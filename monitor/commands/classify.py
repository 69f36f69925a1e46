"""Classifier commands: classify texts, rebuild the shipped model, evaluate it."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import click

from monitor.app import echo_json, echo_jsonl, warn
from monitor.models import Verdict
from monitor.text import for_terminal

BATCH = 512


def _texts(args: tuple[str, ...]) -> Iterator[str]:
    for arg in args:
        if arg == "-":
            for line in sys.stdin:
                yield line.rstrip("\n")
        else:
            yield arg


def _batches(items: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _plain(text: str, v: Verdict) -> str:
    label = f"complaint sev {v.severity}" if v.complaint else "not complaint"
    flags = ",".join(k for k, on in v.signals.items() if on) or "-"
    shown = for_terminal(text, oneline=True, max_cells=60)
    return f"{label:<16} {v.score:.2f} {v.language:<3} [{flags}] {'; '.join(v.reasons)} :: {shown}"


@click.command("classify")
@click.argument("texts", nargs=-1, required=True, metavar="TEXT...|-")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per text, one per line.")
@click.option("--lang", metavar="CODE", help="Language tag to use instead of detection (ISO 639-1).")
def classify_cmd(texts: tuple[str, ...], as_json: bool, lang: str | None) -> None:
    """Classify each TEXT ('-' reads one text per line from stdin)."""
    from monitor.classify import load_classifier

    clf = load_classifier()
    for batch in _batches(_texts(texts), BATCH):
        for text, verdict in zip(batch, clf.classify_batch(batch, [lang] * len(batch)), strict=True):
            if as_json:
                echo_jsonl({"text": text, **asdict(verdict), "model": clf.version})
            else:
                click.echo(_plain(text, verdict))


@click.command("train")
@click.option("--data", "data_dir", metavar="DIR", help="Complaints data (default: ../shared/data/complaints).")
@click.option("--no-eval", is_flag=True, help="Do not evaluate on split=test or rewrite metrics.json afterwards.")
def train_cmd(data_dir: str | None, no_eval: bool) -> None:
    """Rebuild the shipped model from split=train (deterministic; a few minutes on 2 cores).

    Afterwards the new model is evaluated once on split=test and the figures are written to
    monitor/classify/shipped/metrics.json, the baseline of the `monitor eval --guard` regression check.
    """
    from monitor.classify import ComplaintClassifier
    from monitor.classify.data import find_data_dir
    from monitor.classify.evaluate import evaluate, write_committed
    from monitor.classify.train import train

    path = find_data_dir(data_dir)
    start = time.perf_counter()
    report = train(path, log=warn)
    click.echo(
        f"model {report['version']} written in {time.perf_counter() - start:.0f}s; "
        f"cross-validated macro-F1 {report['full']['cv_macro_f1']:.3f}"
    )
    if not no_eval:
        result = evaluate(ComplaintClassifier.from_dir(), path)
        write_committed(result)
        click.echo(f"test macro-F1 {result['test']['binary']['macro_f1']:.3f}; metrics.json updated")


@click.command("eval")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@click.option("--data", "data_dir", metavar="DIR", help="Complaints data (default: ../shared/data/complaints).")
@click.option("--multilingual/--no-multilingual", default=True, help="Also score tests/data/multilingual.jsonl.")
@click.option("--guard", is_flag=True, help="Exit 10 if test macro-F1 < committed figure - 0.01.")
def eval_cmd(as_json: bool, data_dir: str | None, multilingual: bool, guard: bool) -> None:
    """Evaluate the shipped model on split=test (and the multilingual set)."""
    from monitor.classify import load_classifier
    from monitor.classify.data import find_data_dir
    from monitor.classify.evaluate import check_guard, evaluate

    report = evaluate(load_classifier(), find_data_dir(data_dir), multilingual)
    if as_json:
        echo_json(report)
    else:
        _print_report(report)
    if guard:
        check_guard(report)


def _print_report(report: dict[str, Any]) -> None:
    b = report["test"]["binary"]
    s = report["test"]["severity_on_gold_complaints"]
    e = report["test"]["severity_end_to_end"]
    click.echo(f"model {report['version']} on split=test (n={b['n']})")
    click.echo(
        f"  binary: accuracy {b['accuracy']:.3f}  macro-F1 {b['macro_f1']:.3f}  "
        f"complaint F1 {b['complaint_f1']:.3f}  ROC-AUC {b['roc_auc']:.3f}  Brier {b['brier']:.3f}"
    )
    click.echo(f"  confusion (rows gold not/complaint, cols predicted): {b['confusion']['matrix']}")
    click.echo(
        f"  severity on gold complaints (n={s['n']}): accuracy {s['accuracy']:.3f}  macro-F1 {s['macro_f1']:.3f}"
    )
    click.echo(f"  confusion (rows gold 1-4, cols predicted 1-4): {s['confusion']['matrix']}")
    click.echo(f"  severity end to end: accuracy {e['accuracy']:.3f}  macro-F1 {e['macro_f1']:.3f}")
    ml = report.get("multilingual")
    if ml:
        click.echo("multilingual set (language detected, not given):")
        click.echo("  lang route  n   accuracy  macro-F1  complaint-F1  lang-detected")
        for code, m in ml["languages"].items():
            click.echo(
                f"  {code:<4} {m['route']:<5} {m['n']:>3}   {m['accuracy']:.3f}     {m['macro_f1']:.3f}"
                f"     {m['complaint_f1']:.3f}         {m['language_detected']:.2f}"
            )
        o = ml["overall"]
        click.echo(f"  all       {o['n']:>3}   {o['accuracy']:.3f}     {o['macro_f1']:.3f}     {o['complaint_f1']:.3f}")


COMMANDS = [classify_cmd, train_cmd, eval_cmd]

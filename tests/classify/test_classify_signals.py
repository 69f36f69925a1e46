"""Signals a care team needs: churn, threat to go public, question, spam, directed at the brand."""

from __future__ import annotations

import pytest

from monitor.classify import ComplaintClassifier
from monitor.classify.cues import extract, fold

CHURN = [
    "@Vodafone I'm cancelling my contract and switching to another provider",
    "@Vodafone ich kündige und wechsle zur Konkurrenz",
    "@Vodafone je résilie mon contrat",
    "@Vodafone me doy de baja, me cambio de compañía",
    "@Vodafone мы уходим к другому оператору",
    "@Vodafone vou cancelar e mudar de operadora",
    "@Vodafone disdico l'abbonamento",
    "@Vodafone lõpetan lepingu ja lähen üle",
    "@中国移动 我要携号转网",
]
PUBLIC = [
    "@Acme fix this today or I'm going to the press and telling everyone",
    "@Acme ich gehe damit zur Presse",
    "@Acme je vais contacter les journalistes",
    "@Acme vou no Procon e na imprensa",
    "@Acme 再不处理我就找媒体曝光",
    "@Acme lo racconto ai giornali",
    "@Acme lo voy a contar en todos los medios",
    "@Acme пойду в суд",
    "@Acme pöördun kohtusse",
]


@pytest.mark.parametrize("text", CHURN)
def test_churn(clf: ComplaintClassifier, text: str) -> None:
    v = clf.classify(text)
    assert v.signals["churn"] and v.signals["directed"]
    assert any(r.startswith("churn:") for r in v.reasons)


@pytest.mark.parametrize("text", PUBLIC)
def test_public_threat(clf: ComplaintClassifier, text: str) -> None:
    v = clf.classify(text)
    assert v.signals["public_threat"]
    assert any(r.startswith("public threat:") for r in v.reasons)


def test_question_is_not_a_complaint(clf: ComplaintClassifier) -> None:
    v = clf.classify("@Acme how do I change my delivery address?")
    assert v.signals["question"] and not v.complaint


def test_spam_is_never_a_complaint(clf: ComplaintClassifier) -> None:
    v = clf.classify("FREE iPhone giveaway!! follow me and click here http://x.co http://y.co #win #free #iphone #gift")
    assert v.signals["spam"] and not v.complaint
    assert v.reasons[0] == "spam-like"


def test_undirected_news_is_calm(clf: ComplaintClassifier) -> None:
    v = clf.classify("The weather in Tallinn is lovely today")
    assert not v.complaint and not any(v.signals.values())


def test_negation_stops_at_clause_end() -> None:
    hits = extract("Мой заказ так и не пришел, ужасно", "ru").hits
    assert ("negative", "ужасн*") in hits
    assert ("negative", "not happy") in extract("not happy at all", "en").hits


def test_fold_keeps_cyrillic_short_i() -> None:
    assert fold("Мой Café") == "мой cafe"
    assert fold("ёлка") == "елка"


def test_elision_is_split_for_french_and_italian() -> None:
    assert ("problem", "non funziona") in extract("L'app non funziona", "it").hits
    assert ("problem", "pas arrivé*") in extract("Ma commande n'est pas arrivée", "fr").hits

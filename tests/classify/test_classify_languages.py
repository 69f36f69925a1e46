"""Exact behaviour on fixed examples in every supported language (the same situation told nine ways)."""

from __future__ import annotations

import pytest

from monitor.classify import ComplaintClassifier

COMPLAINTS = {
    "en": "@NetFlow my internet has been down for three days and nobody at support answers. Fix it!",
    "de": "@NetFlow seit drei Tagen kein Internet und der Support antwortet nicht. Unmöglich!",
    "fr": "@NetFlow pas d'internet depuis trois jours et le support ne répond pas. Inadmissible !",
    "es": "@NetFlow llevo tres días sin internet y el soporte no contesta. ¡Vergonzoso!",
    "pt": "@NetFlow estou sem internet há três dias e o suporte não responde. Absurdo!",
    "it": "@NetFlow senza internet da tre giorni e l'assistenza non risponde. Vergognoso!",
    "ru": "@NetFlow уже три дня нет интернета, а поддержка не отвечает. Безобразие!",
    "et": "@NetFlow juba kolm päeva pole internetti ja klienditugi ei vasta. Häbi!",
    "zh": "@NetFlow 家里已经三天没网了，客服也不回复，太离谱了！",
}
PRAISE = {
    "en": "Thank you @NetFlow, the technician was brilliant and fast",
    "de": "Vielen Dank @NetFlow, der Techniker war super schnell und freundlich",
    "fr": "Merci @NetFlow, le technicien était rapide et très sympa",
    "es": "Gracias @NetFlow, el técnico fue rapidísimo y muy amable",
    "pt": "Obrigado @NetFlow, o técnico foi rápido e muito atencioso",
    "it": "Grazie @NetFlow, il tecnico è stato velocissimo e gentile",
    "ru": "Спасибо @NetFlow, мастер пришёл быстро и был очень вежлив",
    "et": "Aitäh @NetFlow, tehnik oli kiire ja väga viisakas",
    "zh": "谢谢@NetFlow ，师傅来得很快，服务很专业",
}
# The problem cue each complaint must show in its reasons.
PROBLEM_CUE = {
    "en": "days",
    "de": "kein internet",
    "fr": "pas d'internet",
    "es": "sin internet",
    "pt": "sem internet",
    "it": "senza internet",
    "ru": "нет интернета",
    "et": "pole internetti",
    "zh": "没网",
}


@pytest.mark.parametrize("lang", sorted(COMPLAINTS))
def test_complaint_detected(clf: ComplaintClassifier, lang: str) -> None:
    v = clf.classify(COMPLAINTS[lang])
    assert v.language == lang
    assert v.complaint and v.score >= 0.9
    assert v.severity in (1, 2, 3, 4)
    assert v.signals["directed"] and not v.signals["spam"]
    assert any(PROBLEM_CUE[lang] in r for r in v.reasons), v.reasons


@pytest.mark.parametrize("lang", sorted(PRAISE))
def test_praise_is_not_a_complaint(clf: ComplaintClassifier, lang: str) -> None:
    v = clf.classify(PRAISE[lang])
    assert v.language == lang
    assert not v.complaint and v.score < 0.2
    assert v.severity is None
    assert v.signals["directed"]


def test_negated_praise_counts_against(clf: ComplaintClassifier) -> None:
    good = clf.classify("Der Service von @NetFlow war gut", "de")
    not_good = clf.classify("Der Service von @NetFlow war nicht gut", "de")
    assert not_good.score > good.score
    assert "negative: not gut" in not_good.reasons

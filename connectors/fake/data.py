"""Deterministic mention streams for the fake platforms.

Item i of a platform is a pure function of (seed, platform, i): its text (complaint, praise, question or
spam in one of nine languages), author (from a pool, so authors repeat) and follower count (heavy
tailed: most accounts are tiny, a few are huge). The first `initial` items are already published when
the server starts (back-dated over the past day); later ones are published at a fixed rate, so a poller
sees a live stream that is the same on every run with the same seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

PLATFORMS = ("twitter", "reddit", "youtube")
SHARE = {"twitter": 0.5, "reddit": 0.3, "youtube": 0.2}  # of --mentions and of the arrival rate
BACKFILL = timedelta(hours=20)  # initial items are spread over this much of the past
TWEPOCH_MS = 1288834974657  # Twitter snowflake epoch
SUBREDDITS = ("AcmeSupport", "technology", "mildlyinfuriating", "europe", "de", "france", "brasil")
OWN = {
    "twitter": ("Acme", "900000001"),
    "reddit": ("acme_official", "t2_acmeofficial"),
    "youtube": ("Acme Official", "UCacmeOfficialChannel0001"),
}
BRAND_VIDEO = "acmeBrandV1"  # a video on the brand's own channel that collects comments

_TEMPLATES: dict[str, dict[str, list[str]]] = {
    "en": {
        "complaint": [
            "{b} charged me twice and support has ignored me for {n} days. Fix this!",
            "My {b} order never arrived, still waiting after {n} days. Terrible service.",
        ],
        "praise": ["Huge thanks to the {b} team, my problem was solved in {n} minutes!"],
        "question": ["Does anyone know how to change the delivery address on a {b} order?"],
        "spam": ["WIN a free {b} gift card!!! click bit.ly/{n}x now"],
    },
    "zh": {
        "complaint": ["{b}的客服太差了，等了{n}天还没有回复！", "{b}的订单又延误了，退款也没到账。"],
        "praise": ["感谢{b}客服，{n}分钟就解决了我的问题。"],
        "question": ["请问{b}的会员怎么取消？"],
        "spam": ["免费领取{b}优惠券，点击链接 {n}"],
    },
    "it": {
        "complaint": ["{b} mi ha addebitato due volte e nessuno risponde da {n} giorni. Vergognoso."],
        "praise": ["Grazie {b}, assistenza velocissima!"],
        "question": ["Qualcuno sa come annullare un ordine {b}?"],
        "spam": ["Vinci un buono {b} gratis! Clicca qui {n}"],
    },
    "et": {
        "complaint": ["{b} tellimus on {n} päeva hiljaks jäänud ja keegi ei vasta. Väga halb teenindus."],
        "praise": ["Aitäh {b}, probleem lahendati kiiresti!"],
        "question": ["Kas keegi teab, kuidas {b} kontot sulgeda?"],
        "spam": ["Tasuta {b} kinkekaart! Vajuta siia {n}"],
    },
    "ru": {
        "complaint": ["{b} списали деньги дважды, поддержка молчит уже {n} дней. Безобразие!"],
        "praise": ["Спасибо {b}, всё решили за {n} минут!"],
        "question": ["Кто-нибудь знает, как отменить заказ в {b}?"],
        "spam": ["Бесплатный сертификат {b}! Жми сюда {n}"],
    },
    "es": {
        "complaint": ["{b} me cobró dos veces y llevo {n} días sin respuesta. Pésimo servicio."],
        "praise": ["¡Gracias {b}! Me ayudaron en {n} minutos."],
        "question": ["¿Alguien sabe cómo cambiar la dirección de un pedido de {b}?"],
        "spam": ["¡Gana una tarjeta regalo de {b}! Haz clic {n}"],
    },
    "de": {
        "complaint": ["{b} hat mir doppelt abgebucht und der Support antwortet seit {n} Tagen nicht. Unmöglich!"],
        "praise": ["Danke {b}, super schneller Kundenservice!"],
        "question": ["Weiß jemand, wie man bei {b} die Lieferadresse ändert?"],
        "spam": ["Gratis {b} Gutschein!!! Jetzt klicken {n}"],
    },
    "fr": {
        "complaint": ["{b} m'a débité deux fois et le service client ne répond pas depuis {n} jours. Inadmissible."],
        "praise": ["Merci {b}, problème réglé en {n} minutes !"],
        "question": ["Quelqu'un sait comment annuler une commande {b} ?"],
        "spam": ["Carte cadeau {b} GRATUITE ! Cliquez ici {n}"],
    },
    "pt": {
        "complaint": ["A {b} cobrou duas vezes e ninguém responde há {n} dias. Péssimo atendimento!"],
        "praise": ["Obrigado {b}, resolveram tudo em {n} minutos!"],
        "question": ["Alguém sabe como cancelar um pedido da {b}?"],
        "spam": ["Ganhe um vale-presente {b} grátis! Clique {n}"],
    },
}
LANGS = tuple(_TEMPLATES)
_KIND_WEIGHTS = (("complaint", 45), ("praise", 20), ("question", 20), ("spam", 15))


@dataclass(frozen=True, slots=True)
class FakeAuthor:
    id: str
    handle: str
    followers: int
    karma: int
    hidden: bool  # YouTube hidden subscriber count
    verified: bool


@dataclass(frozen=True, slots=True)
class FakeItem:
    platform: str
    index: int
    id: str
    created: datetime
    text: str
    lang: str
    kind: str  # post | comment | video
    category: str  # complaint | praise | question | spam | own
    author: FakeAuthor
    own: bool
    likes: int
    reposts: int
    replies: int
    subreddit: str = ""
    video_id: str = ""  # YouTube comment: the video it is on

    @property
    def created_ms(self) -> int:
        return int(self.created.timestamp() * 1000)


def _base36(n: int) -> str:
    chars = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = chars[r] + out
        if n == 0:
            return out


def heavy_tail(rng: random.Random) -> int:
    """Follower counts: Pareto with shape < 1, so most are tens and a few are in the millions."""
    return min(int(5 * rng.paretovariate(0.8)) - 5, 80_000_000)


class Generator:
    """The published streams of one fake server run."""

    def __init__(self, *, seed: int, mentions: int, rate_per_minute: float, start: datetime, brand: str) -> None:
        self.seed = seed
        self.brand = brand
        self.start = start
        self.initial = {p: max(1, round(mentions * SHARE[p])) for p in PLATFORMS}
        self.rate = {p: rate_per_minute * SHARE[p] for p in PLATFORMS}
        self.pools = {p: max(20, self.initial[p] // 3) for p in PLATFORMS}
        self._item = lru_cache(maxsize=200_000)(self._make_item)
        self._author = lru_cache(maxsize=200_000)(self._make_author)

    # --- time --------------------------------------------------------------------------------

    def published_count(self, platform: str, now: datetime) -> int:
        elapsed = max(0.0, (now - self.start).total_seconds())
        return self.initial[platform] + int(elapsed * self.rate[platform] / 60)

    def created_at(self, platform: str, i: int) -> datetime:
        n0 = self.initial[platform]
        if i < n0:
            step = BACKFILL / n0
            return self.start - BACKFILL + step * i
        return self.start + timedelta(seconds=(i - n0 + 1) * 60 / self.rate[platform])

    # --- items -------------------------------------------------------------------------------

    def item(self, platform: str, i: int) -> FakeItem:
        return self._item(platform, i)

    def author(self, platform: str, k: int) -> FakeAuthor:
        return self._author(platform, k)

    def _make_author(self, platform: str, k: int) -> FakeAuthor:
        rng = random.Random(f"{self.seed}:author:{platform}:{k}")
        followers = heavy_tail(rng)
        name = rng.choice(("anna", "li", "marco", "kadri", "olga", "diego", "jonas", "chloe", "joao", "sam"))
        handle = f"{name}_{_base36(k * 7919 + self.seed)}"
        if platform == "twitter":
            ident = str(1000 + k)
        elif platform == "reddit":
            ident = f"t2_{_base36(10_000 + k)}"
        else:
            ident = f"UC{_base36(10**15 + k * 104729).rjust(22, 'x')}"
        return FakeAuthor(
            ident,
            handle,
            followers,
            karma=heavy_tail(rng),
            hidden=rng.random() < 0.1,
            verified=followers > 100_000 and rng.random() < 0.5,
        )

    def _make_item(self, platform: str, i: int) -> FakeItem:
        rng = random.Random(f"{self.seed}:{platform}:{i}")
        created = self.created_at(platform, i)
        own = rng.random() < 0.03
        lang = rng.choice(LANGS)
        category = rng.choices([k for k, _ in _KIND_WEIGHTS], weights=[w for _, w in _KIND_WEIGHTS])[0]
        text = rng.choice(_TEMPLATES[lang][category]).format(b=self.brand, n=rng.randint(2, 40))
        if own:
            own_handle, own_id = OWN[platform]
            author = FakeAuthor(own_id, own_handle, 250_000, 250_000, False, True)
            text, category = f"We're sorry to hear that! Please DM {self.brand} support. ({i})", "own"
        else:
            author = self.author(platform, rng.randrange(self.pools[platform]))
        likes, reposts, replies = heavy_tail(rng) // 50, heavy_tail(rng) // 200, rng.randint(0, 5)
        kind, subreddit, video_id = "post", "", ""
        if platform == "twitter":
            ms = int(created.timestamp() * 1000)
            ident = str(((ms - TWEPOCH_MS) << 22) | (i % 4096))
        elif platform == "reddit":
            kind = "comment" if rng.random() < 0.25 else "post"
            ident = _base36(36**5 + i)
            subreddit = rng.choice(SUBREDDITS)
        else:
            kind = "video" if (i % 5 == 0 and not own) else "comment"
            if kind == "video":
                ident = f"v{_base36(36**9 + i)}"
                text = f"{text} | {self.brand} review"
            else:
                ident = f"Ug{_base36(36**12 + i * 7)}"
                video_id = self._video_for_comment(i, rng)
        return FakeItem(
            platform,
            i,
            ident,
            created,
            text,
            lang,
            kind,
            category,
            author,
            own,
            likes,
            reposts,
            replies,
            subreddit,
            video_id,
        )

    def _video_for_comment(self, i: int, rng: random.Random) -> str:
        """A comment goes on the brand's own video, or on one of the few most recent found videos."""
        recent = [
            j for j in range(i - 1, max(-1, i - 40), -1) if j % 5 == 0 and self.item("youtube", j).kind == "video"
        ]
        recent = recent[:6]
        if not recent or rng.random() < 0.3:
            return BRAND_VIDEO
        return self.item("youtube", rng.choice(recent)).id

    def published(self, platform: str, now: datetime) -> list[FakeItem]:
        return [self.item(platform, i) for i in range(self.published_count(platform, now))]


def to_utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)

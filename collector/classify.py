"""Classification of channel titles into region and category.

Region: the title is scanned for words naming a federal subject (collector/data/classify_regions.yaml),
declined automatically into the six Russian cases. A subject named outright («Курской области», «Коми»,
«ХМАО», «Кузбасса») beats a city or a lone adjective («г. Сургута», «Тульский университет»); among equals
the first mention wins, which is the seat of joint bodies («ГУ МВД по г. Санкт-Петербургу и
Ленинградской области» is RU-SPE). A title that names no region gives None, never a guess; ambiguous
abbreviations (РБ, РК, РА, ЧР, МО, ЛО) decide nothing.

Category: ordered rules, the first that fires wins (see `_category`). Documented choices:
* «Администрация Губернатора/Главы ...» and the administration of a subject («Администрация Тамбовской
  области») are regional_government; the administration of a city, district or settlement is municipality.
* «Мэр Москвы» is governor (head of the subject); any other mayor or «глава города» is municipality.
* A body of a region (министерство, департамент, комитет, управление, агентство, инспекция) is
  regional_executive, even for culture or health («Министерство культуры» is not culture); the same
  words with a city, district or municipal marker are municipality («Управление образования
  администрации района»). In Москва, Санкт-Петербург and Севастополь «город» is the subject itself.
* МФЦ is regional_executive (a regional state service network); courts, police, prosecutors, СК,
  МЧС, ФНС, СФР, Росреестр and other «... России по ...» bodies are federal_agency.
* Kindergartens and sport schools are school; art and music schools (ДШИ) are culture; colleges and
  technical schools (СПО) are university; «Молодёжный парламент/правительство» is youth.
* Избирательные комиссии, ombudsmen, public chambers, ЦУР, media and funds are other; a title with no
  recognisable kind («Новости нашего района») has category None.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import yaml

from collector.models import Category
from collector.regions import Regions


@dataclass(frozen=True, slots=True)
class Classification:
    region: str | None
    category: Category | None


def classify_title(title: str, regions: Regions) -> Classification:
    """The region code and category a channel title names; either is None when the title does not say."""
    text = normalize(title)
    hits = _lexicon(regions).scan(text)
    best = _best_hit(hits)
    return Classification(
        region=best.code if best else None,
        category=_category(text.lower(), hits, best),
    )


# --- normalisation ------------------------------------------------------------------------------------

_DASHES = re.compile(r"[‐‑‒–—―−]")
_COMPOUND_ABBR = re.compile(r"(?<!\w)([гсмр])\s*\.\s*([оп])\s*\.", re.IGNORECASE)  # г.о., г.п., с.п.
_JUNK = re.compile(r"[^\w\s,-]|_")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """ё→е, one kind of hyphen, no quotes, dots, brackets or emoji; letter case kept (abbreviations)."""
    text = text.replace("ё", "е").replace("Ё", "Е")
    text = _DASHES.sub("-", text)
    text = _COMPOUND_ABBR.sub(lambda m: f" {m[1]}{m[2]} ", text)
    text = _JUNK.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


# --- declension ---------------------------------------------------------------------------------------

_ADJ_END = r"(?:ая|яя|ой|ей|ую|юю|ою|ий|ый|ого|его|ому|ему|им|ым|ом|ем|ое|ее|ые|ие|ых|их|ыми|ими)"
_NOUN_ENDINGS = (  # (ending of the nominative, endings replacing it)
    ("ье", "(?:ье|ья|ью|ьем)"),
    ("ь", "(?:ь|и|ью|я|ю|ем|е)"),
    ("а", "(?:а|ы|и|е|у|ой|ою)"),
    ("я", "(?:я|и|е|ю|ей|ею)"),
    ("й", "(?:й|я|ю|ем|е)"),
    ("ы", "(?:ы|ов|ам|ами|ах)?"),
)
_INDECLINABLE = tuple("оиеуэю")


def _decline_word(word: str) -> str:
    """A regex for the case forms of one lower-case word (noun or adjective)."""
    if len(word) > 3 and word.endswith(("ий", "ый", "ой", "ая", "яя", "ые", "ие")):
        return re.escape(word[:-2]) + _ADJ_END
    for ending, forms in _NOUN_ENDINGS:
        if word.endswith(ending):
            return re.escape(word[: -len(ending)]) + forms
    if word.endswith(_INDECLINABLE):
        return re.escape(word)
    return re.escape(word) + "(?:а|у|ом|ем|е)?"


def _decline_hyphenated(word: str) -> str:
    parts = word.split("-")
    if len(parts) == 1:
        return _decline_word(word)
    if "на" in parts:  # Ростов-на-Дону: only the first part declines
        return "-".join([_decline_word(parts[0]), *map(re.escape, parts[1:])])
    if re.fullmatch(r".+(?:ий|ый)", parts[-1]):  # Петропавловск-Камчатский: both parts decline
        return "-".join(_decline_word(p) for p in parts)
    return "-".join([*map(re.escape, parts[:-1]), _decline_word(parts[-1])])


def _decline_phrase(phrase: str) -> str:
    return r"\s+".join(_decline_hyphenated(w) for w in phrase.lower().split())


# --- the region lexicon -------------------------------------------------------------------------------


class Level(IntEnum):
    SUBJECT = 1  # the subject named outright
    PLACE = 2  # a city or a lone adjective


@dataclass(frozen=True, slots=True)
class _Pattern:
    code: str | None  # None: a phrase that looks like a region but names none
    kind: str
    regex: re.Pattern[str]
    cased: bool


@dataclass(frozen=True, slots=True)
class RegionHit:
    code: str
    kind: str
    start: int
    end: int

    @property
    def level(self) -> Level:
        return Level.SUBJECT if self.kind in _SUBJECT_KINDS else Level.PLACE


_SUBJECT_KINDS = frozenset({"names", "abbr", "adj_subject"})
_CITY_KINDS = frozenset({"cities", "cities_ctx", "city_adj"})
_FEDERAL_CITIES = frozenset({"RU-MOW", "RU-SPE", "RU-SEV"})
_SUBJECT_NOUN = (
    r"(?:(?:\s*,\s*|\s+и\s+)[\w-]+){0,4}\s+"  # «по Ростовской, Волгоградской и Астраханской областям»
    r"(?:обл\w*|кра[йяюе]\w*|краев\w*|автономн\w*(?:\s+(?:округ|обл)\w*)?|ао|республик\w*|респ"
    r"|народн\w*\s+республик\w*)"
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STREET_PREV = _words(
    "ул улица улицы пр пр-т просп проспект пер переулок пл площадь им имени б-р бульвар наб набережная "
    "шоссе мкр микрорайон проезд метро"
)
_SETTLEMENT_PREV = _words(
    "с село села селе п пос поселок поселка д дер деревня деревни х хутор ст станица станицы пгт аул рп снт"
)
_CITY_PREV = _words("г гор го город города городе городу городом в во")
_STREET_NEXT = ("улиц", "ул", "просп", "пр-т", "переул", "бульвар", "площад", "шоссе", "набережн", "вокзал",
                "собор", "храм", "икон", "завод", "мкр", "микрорайон")
_DISTRICT_NEXT = ("район", "р-н", "сельсовет", "поселени", "муниципальн", "округ", "сельск")


def _patterns_for(code: str | None, kind: str, entry: str | list[str]) -> Iterator[_Pattern]:
    if isinstance(entry, list):  # explicit forms (irregular declension)
        for form in entry:
            yield from _patterns_for(code, kind, normalize(form).lower())
        return
    text = normalize(entry)
    if kind == "abbr":
        yield _Pattern(code, kind, re.compile(re.escape(text) + r"(?!\w)"), cased=True)
        return
    text = text.lower()
    if kind in ("adj", "adj_subject"):
        regex = re.escape(text) + _ADJ_END + _SUBJECT_NOUN + r"(?!\w)"
        yield _Pattern(code, "adj_subject", re.compile(regex), cased=False)
    if kind in ("adj", "adj_alone", "city_adj"):
        alone_kind = "city_adj" if kind == "city_adj" else "adj_alone"
        yield _Pattern(code, alone_kind, re.compile(re.escape(text) + _ADJ_END + r"(?!\w)"), cased=False)
    if kind in ("names", "cities", "cities_ctx", "none"):
        yield _Pattern(code, kind, re.compile(_decline_phrase(text) + r"(?!\w)"), cased=False)


class _Lexicon:
    """Patterns indexed by the first two letters of the word they start with (one dict look-up a word)."""

    def __init__(self, patterns: tuple[_Pattern, ...], regions: Regions) -> None:
        index: dict[str, list[_Pattern]] = {}
        for pattern in patterns:  # already longest first
            if pattern.code is not None:
                code = regions.canonical(pattern.code)
                if code is None:
                    continue  # a subject this reference does not hold is never returned
                pattern = _Pattern(code, pattern.kind, pattern.regex, pattern.cased)
            index.setdefault(_key_of(pattern), []).append(pattern)
        self._index = index

    def scan(self, text: str) -> list[RegionHit]:
        lower = text.lower()
        if len(lower) != len(text):  # a rare character changed length when lower-cased
            text = lower
        hits: list[RegionHit] = []
        pos = 0
        for start in _word_starts(lower):
            if start < pos:
                continue
            for pattern in self._index.get(lower[start : start + 2], ()):
                match = pattern.regex.match(text if pattern.cased else lower, start)
                if match and _accepted(pattern.kind, text, start, match.end()):
                    if pattern.code is not None:
                        hits.append(RegionHit(pattern.code, pattern.kind, start, match.end()))
                    pos = match.end()
                    break
        return hits


def _key_of(pattern: _Pattern) -> str:
    literal = re.sub(r"\\(.)", r"\1", pattern.regex.pattern)
    return literal[:2].lower()


_WORD_START = re.compile(r"(?<![^\W_])[^\W_]")


def _word_starts(text: str) -> Iterator[int]:
    return (m.start() for m in _WORD_START.finditer(text))


def _accepted(kind: str, text: str, start: int, end: int) -> bool:
    """Context rules: street names and settlements are no region; some names need «г.» before them."""
    prev = _prev_word(text, start)
    if prev in _STREET_PREV:
        return False
    if kind in _SUBJECT_KINDS or kind == "none":
        return True
    if prev in _SETTLEMENT_PREV:
        return False
    if kind == "cities_ctx":
        return prev in _CITY_PREV
    following = text[end : end + 24].lower().split(maxsplit=1)
    nxt = following[0].strip(",") if following else ""
    if kind in ("adj_alone", "city_adj") and nxt.startswith(_STREET_NEXT):
        return False
    return not (kind == "adj_alone" and nxt.startswith(_DISTRICT_NEXT))


def _prev_word(text: str, start: int) -> str:
    """The word before `start`, skipping a person's initials («им. С.М. Кирова» → «им»).

    Two or more single capitals in a row are initials; one alone keeps its meaning
    («Г. Курска», «С. Ивановка»).
    """
    words = text[max(0, start - 40) : start].replace(",", " ").split()
    initials = 0
    while initials < len(words) and _is_initial(words[-1 - initials]):
        initials += 1
    if initials >= 2:
        words = words[:-initials]
    return words[-1].lower() if words else ""


def _is_initial(word: str) -> bool:
    return len(word) == 1 and word.isupper()


@cache
def _patterns() -> tuple[_Pattern, ...]:
    """Every pattern of the shipped lexicon, compiled once per process, longest first."""
    text = resources.files("collector").joinpath("data/classify_regions.yaml").read_text(encoding="utf-8")
    data: Mapping[str, Any] = yaml.safe_load(text)
    patterns: list[_Pattern] = []
    for code, entries in data.items():
        if code == "none":
            patterns.extend(p for e in entries for p in _patterns_for(None, "none", e))
            continue
        for kind, values in entries.items():
            patterns.extend(p for v in values for p in _patterns_for(code, kind, v))
    return tuple(sorted(patterns, key=lambda p: -len(p.regex.pattern)))


@lru_cache(maxsize=8)
def _lexicon(regions: Regions) -> _Lexicon:
    return _Lexicon(_patterns(), regions)


def _best_hit(hits: list[RegionHit]) -> RegionHit | None:
    return min(hits, key=lambda h: (h.level, h.start), default=None)


# --- categories ---------------------------------------------------------------------------------------


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives))


_W = r"(?<!\w)"  # word start
_E = r"(?!\w)"  # word end

_ROSMOLODEZH = _rx("росмолодеж")
_YOUTH_BODY = _rx(r"молодежн\w*\s+(?:парламент|правительств|совет|палат|дум)")
_GOVERNOR_OFFICE = _rx(
    r"администрац\w*\s+(?:губернатор|глав\w*\s+(?:и\s+правительства\s+)?республик|раис|президента)",
    r"аппарат\w*\s+(?:губернатор|правительств|глав)",
)
_GOVERNOR = _rx(rf"{_W}губернатор(?:а|у|ом|е)?{_E}", rf"{_W}раис(?:а|у|ом|е)?{_E}", r"мэр\w*\s+москв",
                rf"{_W}глав[аыеу]\s+(?:республик|региона{_E}|субъекта)", r"президент\w*\s+республик")
_HEAD = _rx(rf"{_W}глав[аыеу]\s+")
_GOVERNMENT = _rx(r"правительств", r"кабинет\w*\s+министров", r"кабмин", r"совет\w*\s+министров", r"совмин")
_RUSSIA = _rx(rf"{_W}росси[ияю]{_E}", rf"{_W}рф{_E}", r"российск\w*\s+федерац")
_PARLIAMENT = _rx(
    r"законодательн\w*\s+(?:собрани|дум)", r"государственн\w*\s+(?:совет|собрани)", r"госсовет",
    r"курултай", r"хурал", r"народн\w*\s+(?:собрани|совет)", r"верховн\w*\s+совет", r"парламент",
    r"ил\s+тумэн", r"хасэ", r"мособлдум", r"мосгордум",
    r"(?:областн|краев|губернск|окружн)\w*\s+(?:дум|собрани)",
)
_ASSEMBLY = _rx(rf"{_W}дум[аыеу]{_E}", r"собрани\w*\s+депутатов")
_CITY_DUMA = _rx(r"городск\w*\s+дум")
_FEDERAL = _rx(
    r"мчс", r"мвд", r"полици", r"гибдд", r"госавтоинспекц", r"прокуратур",
    r"следствен\w*\s+(?:комитет|управлени|отдел)", rf"{_W}г?су\s+ск{_E}", rf"{_W}ск\s+росси",
    r"фссп", r"судебн\w*\s+пристав", rf"{_W}[уи]?фнс{_E}", r"налогов\w*\s+(?:служб|инспекц)", r"росреестр",
    r"роспотребнадзор", r"росгварди", rf"{_W}о?сфр{_E}", r"социальн\w*\s+фонд", r"пенсионн\w*\s+фонд",
    rf"{_W}пфр{_E}", r"фсин", r"россельхознадзор", r"росприроднадзор", r"ростехнадзор", r"росздравнадзор",
    r"рособрнадзор", r"роскомнадзор", r"ространснадзор", rf"{_W}у?фас{_E}", r"военн\w*\s+комиссариат",
    r"военкомат", rf"{_W}суд(?:а|у|ом|е|ы|ов)?{_E}", r"казначейств", r"таможн", rf"{_W}фсб{_E}", r"минюст",
    r"росавтодор", r"упрдор", r"росстат", r"федеральн\w*\s+(?:служб|агентств|казенн)", rf"{_W}фку{_E}",
    r"росси[ия]\s+по\s",
)
_MFC = _rx(rf"{_W}мфц{_E}", r"мои\s+документы")
_MINISTRY = _rx(
    r"министерств",
    rf"{_W}мин(?:здрав|обр|просвещ|культ|соц|труд|природ|спорт|строй|эк|фин|сельхоз|транс|цифр|молод"
    r"|имущ|энерг|жкх|промторг|тур|нац|лес|информ|инвест|дор|вод|семьи|науки|физкульт)",
)
_EXECUTIVE = _rx(
    r"департамент", r"комитет", r"агентств", r"управлени", r"инспекци", rf"{_W}отдел",
    r"исполком", r"природнадзор", rf"{_W}загс", r"госслужб", r"ветеринари", rf"{_W}служб\w*\s+по\s",
)
_MUNICIPAL_MARKER = _rx(
    rf"{_W}(?:г|гор|го|гп|сп|мо|амс|город\w*){_E}",
    rf"{_W}(?:район\w*|р-н\w*|муниципальн\w*|поселени\w*|поселк\w*|сельсовет\w*|сельск\w*|управ[аыеу]){_E}",
)
_MUNICIPAL_MARKER_FEDERAL_CITY = _rx(
    rf"{_W}(?:го|гп|сп|мо|амс){_E}",
    rf"{_W}(?:район\w*|р-н\w*|муниципальн\w*|поселени\w*|поселк\w*|сельсовет\w*|сельск\w*|управ[аыеу]){_E}",
)
_ADMINISTRATION = _rx(r"администрац")
_MUNICIPALITY = _rx(
    r"мэри[яиюе]", rf"{_W}мэр(?:а|у|ом|е)?{_E}", rf"{_W}управ[аыеу]{_E}", r"префектур", r"сельсовет",
    r"горсовет", r"поссовет", r"совет\w*\s+депутатов", r"собрани\w*\s+депутатов", rf"{_W}дум[аыеу]{_E}",
    rf"{_W}амс{_E}", r"исполком", r"исполнительн\w*\s+комитет", rf"{_W}глав[аыеу]{_E}",
)
_MUNICIPALITY_WEAK = _rx(
    r"городск\w*\s+округ", r"муниципальн\w*\s+(?:округ|район|образовани)",
    r"(?:сельск|городск)\w*\s+поселени",
    rf"{_W}(?:мо|го|гп|сп){_E}",
)
_ART_SCHOOL = _rx(
    r"школ\w*\s+искусств", rf"{_W}дши{_E}", r"(?:музыкальн|художественн|хореографическ)\w*\s+школ"
)
_UNIVERSITY = _rx(
    r"университет", r"институт", rf"академи(?:я|и|ю|ей){_E}", r"колледж", r"техникум", r"училищ", rf"{_W}вуз",
    rf"{_W}спо{_E}", r"консерватори", r"высш\w*\s+школ", rf"{_W}\w{{1,6}}(?:гу|фу|гту|гпу|гму|гау|ниу){_E}",
)
_HEALTHCARE = _rx(
    r"больниц", r"поликлиник", r"госпитал", rf"{_W}\w{{0,3}}уз{_E}", rf"{_W}црб{_E}", r"роддом",
    r"родильн", r"перинатальн", r"диспансер", r"скор\w*\s+(?:медицинск\w*\s+)?помощ", rf"{_W}фап{_E}",
    r"медсанчаст", rf"{_W}мсч{_E}", r"стоматолог", r"санатори", r"клиник", r"медицинск\w*\s+центр",
    r"здравоохранени",
)
_SCHOOL = _rx(
    r"школ", rf"{_W}(?:сош|оош|нош|цо){_E}", r"гимнази", rf"лице(?:й|я|ю|ем|е){_E}",
    rf"{_W}(?:мбоу|маоу|мкоу|гбоу|гаоу|моу|оу|мбдоу|мадоу|мкдоу|мдоу|доу|гбдоу|чоу){_E}",
    r"детск\w*\s+сад", rf"{_W}д\s+с{_E}", r"ясли", r"кадетск",
)
_CULTURE = _rx(
    r"театр", r"музе[йяюе]", r"музейн", r"библиотек", r"библиотеч", r"филармони", r"дом\w*\s+культуры",
    r"дворец\w*\s+культуры", rf"{_W}(?:дк|сдк|рдк|цдк|кдц|цкд|цбс|мбук|мук|гбук|гаук){_E}",
    r"культурн\w*\s+(?:центр|комплекс)", r"центр\w*\s+культур", r"народн\w*\s+творчеств", r"галере",
    r"концертн", r"цирк", r"кинотеатр", r"зоопарк", r"заповедник", r"краеведческ", r"оркестр", r"ансамбл",
    r"архив",
)
_SOCIAL = _rx(
    r"соцзащит", r"социальн\w*\s+защит", rf"{_W}(?:кцсон|цсон|срцн){_E}", r"социальн\w*\s+обслуживани",
    r"дом-интернат", r"психоневрологическ", r"реабилитационн", r"занятост", r"помощи\s+семье", r"соцподдерж",
    r"социальн\w*\s+поддержк", r"пансионат", r"социальн\w*\s+приют",
)
_YOUTH = _rx(
    r"молодеж", r"движени\w*\s+первых", r"юнарми", r"волонтер", r"добровол", r"патриотическ", rf"{_W}рддм",
    r"студенческ\w*\s+(?:совет|отряд)", r"пионер",
)
_OTHER = _rx(
    r"избирательн", r"избирком", rf"{_W}(?:тик|уик|оик){_E}", r"уполномоченн", r"омбудсмен",
    r"общественн\w*\s+палат", rf"{_W}цур{_E}", r"центр\w*\s+управления\s+регион", r"газет", r"редакци",
    r"телеканал", rf"{_W}трк{_E}", r"радио", rf"{_W}сми{_E}", r"фонд", r"корпораци", r"мой\s+бизнес",
    r"спортивн\w*\s+(?:центр|комплекс|клуб)", r"стадион", r"дворец\w*\s+спорта", r"бассейн", rf"{_W}фок{_E}",
    r"водоканал", r"аэропорт", r"почт",
)
# Institutions in the order their words take precedence («медицинский колледж» is a college).
_INSTITUTIONS: tuple[tuple[re.Pattern[str], Category], ...] = (
    (_ART_SCHOOL, Category.CULTURE),
    (_UNIVERSITY, Category.UNIVERSITY),
    (_HEALTHCARE, Category.HEALTHCARE),
    (_SCHOOL, Category.SCHOOL),
    (_CULTURE, Category.CULTURE),
    (_SOCIAL, Category.SOCIAL),
    (_YOUTH, Category.YOUTH),
    (_MUNICIPALITY_WEAK, Category.MUNICIPALITY),
    (_OTHER, Category.OTHER),
)


def _category(text: str, hits: list[RegionHit], best: RegionHit | None) -> Category | None:
    """`text` is normalised and lower-cased. Authorities first, then institutions; the first rule wins."""
    authority = _authority(text, hits, best)
    if authority is not None:
        return authority
    return next((category for regex, category in _INSTITUTIONS if regex.search(text)), None)


def _authority(text: str, hits: list[RegionHit], best: RegionHit | None) -> Category | None:
    if _ROSMOLODEZH.search(text):
        return Category.FEDERAL_AGENCY
    if _YOUTH_BODY.search(text):
        return Category.YOUTH
    if _GOVERNOR_OFFICE.search(text):
        return Category.REGIONAL_GOVERNMENT
    if _GOVERNOR.search(text) or _heads_subject(text, hits):
        return Category.GOVERNOR
    if _GOVERNMENT.search(text):
        return Category.FEDERAL_AGENCY if _RUSSIA.search(text) else Category.REGIONAL_GOVERNMENT
    parliament = _parliament(text, best)
    if parliament is not None:
        return parliament
    executive = bool(_MINISTRY.search(text) or _EXECUTIVE.search(text))
    if _FEDERAL.search(text) or (executive and _RUSSIA.search(text)):
        return Category.FEDERAL_AGENCY
    if _MFC.search(text) or _MINISTRY.search(text):  # municipalities have no ministries
        return Category.REGIONAL_EXECUTIVE
    local = _is_local(text, best)
    if _EXECUTIVE.search(text):
        return Category.MUNICIPALITY if local or _ADMINISTRATION.search(text) else Category.REGIONAL_EXECUTIVE
    if _ADMINISTRATION.search(text):
        return Category.MUNICIPALITY if local or best is None else Category.REGIONAL_GOVERNMENT
    if _MUNICIPALITY.search(text):
        return Category.MUNICIPALITY
    return None


def _heads_subject(text: str, hits: list[RegionHit]) -> bool:
    """«Глава Чувашии», «Глава ДНР»: the head's title directly followed by the subject's name."""
    starts = {h.start for h in hits if h.level is Level.SUBJECT}
    return any(m.end() in starts for m in _HEAD.finditer(text))


def _parliament(text: str, best: RegionHit | None) -> Category | None:
    if _PARLIAMENT.search(text):
        return Category.REGIONAL_PARLIAMENT
    if best is not None and best.code in _FEDERAL_CITIES and _CITY_DUMA.search(text):
        return Category.REGIONAL_PARLIAMENT  # Московская городская дума is the subject's parliament
    subject = best is not None and best.level is Level.SUBJECT
    if subject and _ASSEMBLY.search(text) and not _is_local(text, best):
        return Category.REGIONAL_PARLIAMENT
    return None


def _is_local(text: str, best: RegionHit | None) -> bool:
    """Whether the title speaks of a city, district or settlement rather than of a whole subject."""
    if best is not None and best.code in _FEDERAL_CITIES:
        return bool(_MUNICIPAL_MARKER_FEDERAL_CITY.search(text))
    if best is not None and best.kind in _CITY_KINDS:
        return True
    return bool(_MUNICIPAL_MARKER.search(text))

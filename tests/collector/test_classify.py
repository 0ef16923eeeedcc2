"""Title classification: regions in all case forms, abbreviations, collisions, category precedence, and
accuracy over the hand-labelled evaluation set tests/data/titles.csv (labels written independently of the
rules; run `pytest -s` to see the figures and every miss)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
import yaml

from collector.classify import Classification, classify_title, normalize
from collector.models import Category
from collector.regions import Regions, load_regions

REGIONS = load_regions()
TITLES_CSV = Path(__file__).resolve().parents[1] / "data" / "titles.csv"

C = Category


def region_of(title: str) -> str | None:
    return classify_title(title, REGIONS).region


def category_of(title: str) -> Category | None:
    return classify_title(title, REGIONS).category


@pytest.mark.parametrize(
    ("title", "region", "category"),
    [
        ("Правительство Астраханской области", "RU-AST", C.REGIONAL_GOVERNMENT),
        ("Администрация г. Сыктывкара", "RU-KO", C.MUNICIPALITY),
        ("МБОУ СОШ №5 г. Курска", "RU-KRS", C.SCHOOL),
        ("Губернатор Чукотского автономного округа", "RU-CHU", C.GOVERNOR),
    ],
)
def test_examples_from_the_issue(title: str, region: str, category: Category) -> None:
    assert classify_title(title, REGIONS) == Classification(region, category)


@pytest.mark.parametrize(
    ("title", "region"),
    [
        ("Новости в Коми", "RU-KO"),
        ("Коми", "RU-KO"),
        ("Прокуратура Республики Коми", "RU-KO"),
        ("Астраханской области", "RU-AST"),
        ("УФНС по Астраханской области", "RU-AST"),
        ("Прокуратура Курской обл.", "RU-KRS"),
        ("Погода Москвы", "RU-MOW"),
        ("Жизнь в Москве", "RU-MOW"),
        ("Театры Санкт-Петербурга", "RU-SPE"),
        ("Дума Чукотского автономного округа", "RU-CHU"),
        ("Чукотского АО", "RU-CHU"),
        ("Рядом с Чукоткой", "RU-CHU"),
        ("Гордимся Пермским краем", "RU-PER"),
        ("Новости в Пермском крае", "RU-PER"),
        ("По Кабардино-Балкарской Республике", "RU-KB"),
        ("Минэкономразвития Респ. Башкортостан", "RU-BA"),
        ("Отдел МВД по Ханты-Мансийскому автономному округу — Югре", "RU-KHM"),
    ],
)
def test_case_forms(title: str, region: str) -> None:
    assert region_of(title) == region


@pytest.mark.parametrize(
    ("title", "region"),
    [
        ("Набережные Челны сегодня", "RU-TA"),
        ("Исполком Набережных Челнов", "RU-TA"),
        ("Администрация г.о. Тольятти", "RU-SAM"),
        ("Отдых в Сочи", "RU-KDA"),
        ("ОМВД по г. Норильску", "RU-KYA"),
        ("Администрация г. Сургута", "RU-KHM"),
        ("Мэрия Череповца", "RU-VLG"),
        ("Школа в Великих Луках", "RU-PSK"),
        ("Администрация города Ростова-на-Дону", "RU-ROS"),
        ("Администрация Петропавловск-Камчатского городского округа", "RU-KAM"),
        ("Администрация Старооскольского городского округа", "RU-BEL"),
        ("Администрация г. Орла", "RU-ORL"),
        ("Администрация г. Орска", "RU-ORE"),
        ("Мэрия г. Грозного", "RU-CE"),
        ("Гимназия №1 г. Владимира", "RU-VLA"),
        ("Администрация г. Кургана", "RU-KGN"),
    ],
)
def test_cities(title: str, region: str) -> None:
    assert region_of(title) == region


@pytest.mark.parametrize(
    ("title", "region"),
    [
        ("Губернатор ЯНАО", "RU-YAN"),
        ("Правительство ХМАО-Югры", "RU-KHM"),
        ("Губернатор Югры", "RU-KHM"),
        ("Глава ДНР", "RU-DPR"),
        ("Глава ЛНР", "RU-LPR"),
        ("Парламент КБР", "RU-KB"),
        ("Народное Собрание КЧР", "RU-KC"),
        ("Глава РСО-Алания", "RU-SE"),
        ("Кабинет Министров РТ", "RU-TA"),
        ("Губернатор ЕАО", "RU-YEV"),
        ("Губернатор НАО", "RU-NEN"),
        ("Комитет по образованию СПб", "RU-SPE"),
        ("Губернатор Кузбасса", "RU-KEM"),
        ("Министерство образования РС(Я)", "RU-SA"),
        ("Глава Якутии", "RU-SA"),
        ("Глава Чувашии", "RU-CU"),
        ("Государственный Совет Удмуртии", "RU-UD"),
        ("Министерство спорта Мордовии", "RU-MO"),
        ("Правительство Адыгеи", "RU-AD"),
        ("Минобрнауки РД", "RU-DA"),
        ("Мособлдума", "RU-MOS"),
        ("Мосгордума", "RU-MOW"),
        ("Тульский государственный университет", "RU-TUL"),
        ("Молодёжь Кубани", "RU-KDA"),
        ("Минздрав Ставрополья", "RU-STA"),
        ("Пресс-служба Губернатора Приморья", "RU-PRI"),
        ("Губернатор Забайкалья", "RU-ZAB"),
        ("Минздрав Прикамья", "RU-PER"),
    ],
)
def test_abbreviations_and_short_names(title: str, region: str) -> None:
    assert region_of(title) == region


@pytest.mark.parametrize(
    ("title", "region"),
    [
        ("Московская область", "RU-MOS"),
        ("Москва", "RU-MOW"),
        ("Московская городская Дума", "RU-MOW"),
        ("Ленинградская область", "RU-LEN"),
        ("Санкт-Петербург", "RU-SPE"),
        ("ГУ МВД России по г. Санкт-Петербургу и Ленинградской области", "RU-SPE"),
        ("Тюменская область", "RU-TYU"),
        ("Ханты-Мансийский автономный округ", "RU-KHM"),
        ("Ямало-Ненецкий автономный округ", "RU-YAN"),
        ("Архангельская область", "RU-ARK"),
        ("Ненецкий автономный округ", "RU-NEN"),
        ("Управление Росреестра по Архангельской области и НАО", "RU-ARK"),
        ("Кемеровская область — Кузбасс", "RU-KEM"),
        ("Республика Алтай", "RU-AL"),
        ("Алтайский край", "RU-ALT"),
        ("Горно-Алтайский государственный университет", "RU-AL"),
        ("Нижний Новгород", "RU-NIZ"),
        ("Великий Новгород", "RU-NGR"),
        ("Новгородская область", "RU-NGR"),
        ("Орёл", "RU-ORL"),
        ("Орла", "RU-ORL"),
        ("Орск", "RU-ORE"),
        ("Киров", "RU-KIR"),
        ("Кировская область", "RU-KIR"),
        ("Администрация города Кировска", "RU-MUR"),
        ("Калуга", "RU-KLU"),
        ("Калужская область", "RU-KLU"),
        ("Пермь", "RU-PER"),
        ("Коми-Пермяцкий округ", "RU-PER"),
        ("Самара", "RU-SAM"),
        ("Администрация Кировского района Санкт-Петербурга", "RU-SPE"),
        ("Администрация Московского района Нижнего Новгорода", "RU-NIZ"),
        ("Школа №3 им. С.М. Кирова, г. Казань", "RU-TA"),
        ("Управление Россельхознадзора по Ростовской, Волгоградской и Астраханской областям", "RU-ROS"),
    ],
)
def test_collisions(title: str, region: str) -> None:
    assert region_of(title) == region


@pytest.mark.parametrize(
    "title",
    [
        "Новости нашего района",
        "Школа №5",
        "Администрация Кировского района",
        "Администрация Ленинского района",
        "Советский районный суд",
        "Прокуратура Октябрьского района",
        "Тюменский район",  # a district adjective: such names repeat across regions
        "ул. Московская, 5",
        "МБОУ СОШ им. Кирова",
        "МБОУ «СОШ с. Приморское»",
        "Казанский вокзал",
        "Мамаев курган",
        "Губернатор Владимир Владимиров",
        "Алтай",
        "Минздрав РБ",  # Башкортостан or Бурятия
        "Минобр РК",  # Коми, Карелия, Крым or Калмыкия
        "Южная Осетия",
        "Уральский федеральный университет",
        "",
    ],
)
def test_titles_naming_no_region(title: str) -> None:
    assert region_of(title) is None


@pytest.mark.parametrize(
    ("title", "category"),
    [
        ("Министерство культуры Курской области", C.REGIONAL_EXECUTIVE),
        ("Минздрав РБ (Уфа)", C.REGIONAL_EXECUTIVE),
        ("Департамент образования и науки города Москвы", C.REGIONAL_EXECUTIVE),
        ("Управление образования администрации г. Курска", C.MUNICIPALITY),
        ("Исполком Набережных Челнов", C.MUNICIPALITY),
        ("Администрация Губернатора Санкт-Петербурга", C.REGIONAL_GOVERNMENT),
        ("Администрация Главы Республики Коми", C.REGIONAL_GOVERNMENT),
        ("Администрация Тамбовской области", C.REGIONAL_GOVERNMENT),
        ("Администрация Кировского района г. Перми", C.MUNICIPALITY),
        ("Администрация сельского поселения", C.MUNICIPALITY),
        ("Пресс-служба Губернатора Приморья", C.GOVERNOR),
        ("Мэр Москвы", C.GOVERNOR),
        ("Мэр Новосибирска", C.MUNICIPALITY),
        ("Глава Республики Крым", C.GOVERNOR),
        ("Глава ДНР", C.GOVERNOR),
        ("Глава г. Сургута", C.MUNICIPALITY),
        ("Глава Тольятти", C.MUNICIPALITY),
        ("Правительство Москвы", C.REGIONAL_GOVERNMENT),
        ("Совет министров Республики Крым", C.REGIONAL_GOVERNMENT),
        ("Правительство Российской Федерации", C.FEDERAL_AGENCY),
        ("Законодательное Собрание Краснодарского края", C.REGIONAL_PARLIAMENT),
        ("Курултай Республики Башкортостан", C.REGIONAL_PARLIAMENT),
        ("Народный Хурал Республики Бурятия", C.REGIONAL_PARLIAMENT),
        ("Госсовет Татарстана", C.REGIONAL_PARLIAMENT),
        ("Дума Астраханской области", C.REGIONAL_PARLIAMENT),
        ("Собрание депутатов Ненецкого автономного округа", C.REGIONAL_PARLIAMENT),
        ("Московская городская Дума", C.REGIONAL_PARLIAMENT),
        ("Челябинская городская Дума", C.MUNICIPALITY),
        ("Совет депутатов г. Новосибирска", C.MUNICIPALITY),
        ("Молодёжный парламент Тульской области", C.YOUTH),
        ("ГУ МЧС России по Курской области", C.FEDERAL_AGENCY),
        ("УМВД России по Тульской области", C.FEDERAL_AGENCY),
        ("Отделение СФР по Республике Татарстан", C.FEDERAL_AGENCY),
        ("Курский областной суд", C.FEDERAL_AGENCY),
        ("Министерство здравоохранения Российской Федерации", C.FEDERAL_AGENCY),
        ("МФЦ Тюменской области", C.REGIONAL_EXECUTIVE),
        ("МБДОУ «Детский сад № 45» г. Чебоксары", C.SCHOOL),
        ("Спортивная школа олимпийского резерва г. Омска", C.SCHOOL),
        ("ДШИ №1 г. Владивостока", C.CULTURE),
        ("Якутский медицинский колледж", C.UNIVERSITY),
        ("Тверской академический театр драмы", C.CULTURE),
        ("ГБУЗ «Городская больница №4 г. Сочи»", C.HEALTHCARE),
        ("КЦСОН г. Тамбова", C.SOCIAL),
        ("Движение Первых", C.YOUTH),
        ("Избирательная комиссия Калужской области", C.OTHER),
        ("Новости нашего района", None),
        ("Туризм в Карелии", None),
    ],
)
def test_category_precedence(title: str, category: Category | None) -> None:
    assert category_of(title) == category


# --- every subject and every capital -------------------------------------------------------------------

_CASE_SUFFIXES = {  # (nominative ending, genitive, dative, instrumental, prepositional)
    "ая": ("ой", "ой", "ой", "ой"),
    "ий": ("ого", "ому", "им", "ом"),
    "ый": ("ого", "ому", "ым", "ом"),
}
_NOUNS = {
    "область": ("области", "области", "областью", "области"),
    "край": ("края", "краю", "краем", "крае"),
    "округ": ("округа", "округу", "округом", "округе"),
    "Республика": ("Республики", "Республике", "Республикой", "Республике"),
}


def _oblique(word: str, case: int) -> str:
    if word in _NOUNS:
        return _NOUNS[word][case]
    for ending, forms in _CASE_SUFFIXES.items():
        if word.endswith(ending):
            return word[: -len(ending)] + forms[case]
    return word  # «Коми», «Саха (Якутия)» after «Республика» do not change


def _subject_forms(name: str) -> list[str]:
    """Genitive, dative, instrumental, prepositional forms of a subject's official name (test-side)."""
    name = name.split(" — ")[0]
    words = name.split()
    if words[0] == "Республика":
        return [" ".join([_NOUNS["Республика"][case], *words[1:]]) for case in range(4)]
    return [" ".join(_oblique(w, case) for w in words) for case in range(4)]


_FEDERAL_CITY_FORMS = {
    "RU-MOW": ["Москвы", "Москве", "Москвой"],
    "RU-SPE": ["Санкт-Петербурга", "Санкт-Петербургу", "Санкт-Петербургом"],
    "RU-SEV": ["Севастополя", "Севастополю", "Севастополем"],
}


@pytest.mark.parametrize("code", [r.code for r in REGIONS])
def test_every_subject_in_every_case(code: str) -> None:
    region = REGIONS[code]
    forms = _FEDERAL_CITY_FORMS.get(code) or _subject_forms(region.name_ru)
    for text in [region.name_ru, *forms]:
        assert region_of(f"Новости: {text}") == code, text


# Capitals in the genitive and the prepositional, written by hand: "code genitive | prepositional".
_CAPITAL_TABLE = """
RU-AD Майкопа | в Майкопе
RU-AL Горно-Алтайска | в Горно-Алтайске
RU-BA Уфы | в Уфе
RU-BU Улан-Удэ | в Улан-Удэ
RU-DA Махачкалы | в Махачкале
RU-IN Магаса | в Магасе
RU-KB Нальчика | в Нальчике
RU-KL Элисты | в Элисте
RU-KC Черкесска | в Черкесске
RU-KR Петрозаводска | в Петрозаводске
RU-KO Сыктывкара | в Сыктывкаре
RU-ME Йошкар-Олы | в Йошкар-Оле
RU-MO Саранска | в Саранске
RU-SA Якутска | в Якутске
RU-SE Владикавказа | во Владикавказе
RU-TA Казани | в Казани
RU-TY Кызыла | в Кызыле
RU-UD Ижевска | в Ижевске
RU-KK Абакана | в Абакане
RU-CE Грозного | в Грозном
RU-CU Чебоксар | в Чебоксарах
RU-ALT Барнаула | в Барнауле
RU-ZAB Читы | в Чите
RU-KAM Петропавловска-Камчатского | в Петропавловске-Камчатском
RU-KDA Краснодара | в Краснодаре
RU-KYA Красноярска | в Красноярске
RU-PER Перми | в Перми
RU-PRI Владивостока | во Владивостоке
RU-STA Ставрополя | в Ставрополе
RU-KHA Хабаровска | в Хабаровске
RU-AMU Благовещенска | в Благовещенске
RU-ARK Архангельска | в Архангельске
RU-AST Астрахани | в Астрахани
RU-BEL Белгорода | в Белгороде
RU-BRY Брянска | в Брянске
RU-VLA Владимира | во Владимире
RU-VGG Волгограда | в Волгограде
RU-VLG Вологды | в Вологде
RU-VOR Воронежа | в Воронеже
RU-IVA Иваново | в Иваново
RU-IRK Иркутска | в Иркутске
RU-KGD Калининграда | в Калининграде
RU-KLU Калуги | в Калуге
RU-KEM Кемерово | в Кемерово
RU-KIR Кирова | в Кирове
RU-KOS Костромы | в Костроме
RU-KGN Кургана | в Кургане
RU-KRS Курска | в Курске
RU-LEN Гатчины | в Гатчине
RU-LIP Липецка | в Липецке
RU-MAG Магадана | в Магадане
RU-MOS Красногорска | в Красногорске
RU-MUR Мурманска | в Мурманске
RU-NIZ Нижнего Новгорода | в Нижнем Новгороде
RU-NGR Великого Новгорода | в Великом Новгороде
RU-NVS Новосибирска | в Новосибирске
RU-OMS Омска | в Омске
RU-ORE Оренбурга | в Оренбурге
RU-ORL Орла | в Орле
RU-PNZ Пензы | в Пензе
RU-PSK Пскова | в Пскове
RU-ROS Ростова-на-Дону | в Ростове-на-Дону
RU-RYA Рязани | в Рязани
RU-SAM Самары | в Самаре
RU-SAR Саратова | в Саратове
RU-SAK Южно-Сахалинска | в Южно-Сахалинске
RU-SVE Екатеринбурга | в Екатеринбурге
RU-SMO Смоленска | в Смоленске
RU-TAM Тамбова | в Тамбове
RU-TVE Твери | в Твери
RU-TOM Томска | в Томске
RU-TUL Тулы | в Туле
RU-TYU Тюмени | в Тюмени
RU-ULY Ульяновска | в Ульяновске
RU-CHE Челябинска | в Челябинске
RU-YAR Ярославля | в Ярославле
RU-MOW Москвы | в Москве
RU-SPE Санкт-Петербурга | в Санкт-Петербурге
RU-YEV Биробиджана | в Биробиджане
RU-NEN Нарьян-Мара | в Нарьян-Маре
RU-KHM Ханты-Мансийска | в Ханты-Мансийске
RU-CHU Анадыря | в Анадыре
RU-YAN Салехарда | в Салехарде
RU-CR Симферополя | в Симферополе
RU-SEV Севастополя | в Севастополе
RU-DPR Донецка | в Донецке
RU-LPR Луганска | в Луганске
RU-ZAP Мелитополя | в Мелитополе
RU-KHE Геническа | в Геническе
"""
_CAPITALS = {
    line.split(" ", 1)[0]: tuple(part.strip() for part in line.split(" ", 1)[1].split("|"))
    for line in _CAPITAL_TABLE.strip().splitlines()
}


def test_capital_table_covers_every_region() -> None:
    assert set(_CAPITALS) == {r.code for r in REGIONS}


@pytest.mark.parametrize("code", sorted(_CAPITALS))
def test_every_capital_in_three_cases(code: str) -> None:
    genitive, prepositional = _CAPITALS[code]
    capital = REGIONS[code].capital
    assert classify_title(f"Администрация г. {capital}", REGIONS).region == code
    assert classify_title(f"Администрация г. {genitive}", REGIONS).region == code
    assert classify_title(f"Новости {prepositional}", REGIONS).region == code


# --- data, normalisation, region set --------------------------------------------------------------------


def test_lexicon_names_only_known_regions() -> None:
    path = Path(__file__).resolve().parents[2] / "collector" / "data" / "classify_regions.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert {code for code in data if code != "none"} == {r.code for r in REGIONS}


def test_normalize_folds_yo_dashes_quotes_and_dots() -> None:
    assert normalize("«Администрация» г.о. Орёл — ХМАО–Югра (Курской обл.)") == (
        "Администрация го Орел - ХМАО-Югра Курской обл"
    )


def test_spelling_variants_agree() -> None:
    variants = ["Губернатор Орловской области", "ГУБЕРНАТОР ОРЛОВСКОЙ ОБЛАСТИ", "губернатор  орловской обл."]
    assert {classify_title(v, REGIONS) for v in variants} == {Classification("RU-ORL", C.GOVERNOR)}
    assert region_of("Администрация г. Орёл") == region_of("Администрация г. Орел") == "RU-ORL"
    assert region_of("🏛 Правительство Республики Саха (Якутия) ✅") == "RU-SA"


def test_regions_outside_the_given_reference_are_never_returned() -> None:
    without_kursk = Regions([r for r in REGIONS if r.code != "RU-KRS"])
    assert classify_title("МБОУ СОШ №5 г. Курска", without_kursk) == Classification(None, C.SCHOOL)
    assert classify_title("МБОУ СОШ №5 г. Курска", REGIONS).region == "RU-KRS"


# --- accuracy on the evaluation set ---------------------------------------------------------------------


def _load_titles() -> list[dict[str, str]]:
    with TITLES_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_evaluation_set_is_broad() -> None:
    rows = _load_titles()
    assert len(rows) >= 220
    assert {r["region"] for r in rows if r["region"]} == {r.code for r in REGIONS}
    assert sum(1 for r in rows if not r["region"]) >= 15
    assert {r["category"] for r in rows} >= {c.value for c in C if c is not C.UNCLASSIFIED}


def test_accuracy_on_evaluation_set() -> None:
    rows = _load_titles()
    region_errors: list[str] = []
    category_errors: Counter[str] = Counter()
    category_misses: list[str] = []
    for row in rows:
        got = classify_title(row["title"], REGIONS)
        if (got.region or "") != row["region"]:
            region_errors.append(f"  {row['title']!r}: expected {row['region'] or None}, got {got.region}")
        got_category = got.category.value if got.category else ""
        if got_category != row["category"]:
            category_errors[row["category"] or "None"] += 1
            expected = row["category"] or None
            category_misses.append(f"  {row['title']!r}: expected {expected}, got {got_category or None}")
    region_accuracy = 1 - len(region_errors) / len(rows)
    category_accuracy = 1 - len(category_misses) / len(rows)
    print(f"\n{len(rows)} titles: region accuracy {region_accuracy:.3f}, ", end="")
    print(f"category accuracy {category_accuracy:.3f}")
    print("region misses:", *region_errors, sep="\n")
    print("category misses by expected class:", dict(category_errors))
    print(*category_misses, sep="\n")
    assert region_accuracy >= 0.95
    assert category_accuracy >= 0.90

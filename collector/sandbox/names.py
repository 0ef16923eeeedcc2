"""Russian names for the simulated world: region and city cases, and channel titles by category.

Titles follow the forms official channels use («Правительство Астраханской области», «Администрация
г. Сыктывкара», «МБОУ СОШ №5 г. Курска»), with the region in the genitive or dative so that a title
classifier can recognise it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from collector.models import Category
from collector.regions import Region

_SPECIAL_GENITIVE: Mapping[str, str] = {
    "Москва": "Москвы",
    "Санкт-Петербург": "Санкт-Петербурга",
    "Севастополь": "Севастополя",
}
_SPECIAL_DATIVE: Mapping[str, str] = {
    "Москва": "г. Москве",
    "Санкт-Петербург": "г. Санкт-Петербургу",
    "Севастополь": "г. Севастополю",
}
_NOUN_GENITIVE = {
    "область": "области",
    "край": "края",
    "округ": "округа",
    "Республика": "Республики",
    "Кузбасс": "Кузбасса",
    "Югра": "Югры",
}
_NOUN_DATIVE = {
    "область": "области",
    "край": "краю",
    "округ": "округу",
    "Республика": "Республике",
    "Кузбасс": "Кузбассу",
    "Югра": "Югре",
}
_FEMININE_SOFT = {"Пермь", "Тверь", "Рязань", "Астрахань", "Тюмень", "Казань"}
_CITY_GENITIVE: Mapping[str, str] = {
    "Нижний Новгород": "Нижнего Новгорода",
    "Великий Новгород": "Великого Новгорода",
    "Петропавловск-Камчатский": "Петропавловска-Камчатского",
    "Ростов-на-Дону": "Ростова-на-Дону",
    "Орёл": "Орла",
    "Грозный": "Грозного",
    "Улан-Удэ": "Улан-Удэ",
    "Иваново": "Иваново",
    "Чебоксары": "Чебоксар",
}


def _adjective(word: str, dative: bool) -> str:
    for ending, gen, dat in (
        ("ая", "ой", "ой"),
        ("кий", "кого", "кому"),
        ("ий", "его", "ему"),
        ("ый", "ого", "ому"),
        ("ой", "ого", "ому"),
    ):
        if word.endswith(ending):
            return word[: -len(ending)] + (dat if dative else gen)
    return word


def _decline_region(name: str, dative: bool) -> str:
    special = _SPECIAL_DATIVE if dative else _SPECIAL_GENITIVE
    if name in special:
        return special[name]
    nouns = _NOUN_DATIVE if dative else _NOUN_GENITIVE
    name = re.sub(r" \((\w+)\)$", lambda m: "" if m.group(1) in name.split(" (")[0] else m.group(0), name)
    if name.startswith("Республика "):
        return nouns["Республика"] + name[len("Республика") :]
    name = name.removesuffix(" — Чувашия")
    words = []
    for word in name.split(" "):
        if word in nouns:
            words.append(nouns[word])
        elif word == "—":
            words.append(word)
        else:
            words.append(_adjective(word, dative))
    return " ".join(words)


def region_genitive(region: Region) -> str:
    """«Астраханская область» → «Астраханской области»; «Республика Коми» → «Республики Коми»."""
    return _decline_region(region.name_ru, dative=False)


def region_dative(region: Region) -> str:
    """«Астраханская область» → «Астраханской области» (по ...); «Пермский край» → «Пермскому краю»."""
    return _decline_region(region.name_ru, dative=True)


def city_genitive(city: str) -> str:
    """«Сыктывкар» → «Сыктывкара», «Уфа» → «Уфы», «Пермь» → «Перми», «Калуга» → «Калуги»."""
    if city in _CITY_GENITIVE:
        return _CITY_GENITIVE[city]
    if city in _FEMININE_SOFT:
        return city[:-1] + "и"
    last = city[-1]
    if last == "а":
        return city[:-1] + ("и" if city[-2] in "кгхжшчщ" else "ы")
    if last == "ь":
        return city[:-1] + "я"
    if last in "оеэиу":
        return city
    return city + "а"


DISTRICT_STEMS = (
    "Кировск",
    "Ленинск",
    "Октябрьск",
    "Советск",
    "Первомайск",
    "Ольгинск",
    "Центральн",
    "Железнодорожн",
    "Пролетарск",
    "Калининск",
    "Красногвардейск",
    "Партизанск",
    "Северн",
    "Южн",
    "Заречн",
    "Лесн",
    "Озёрн",
    "Каменск",
    "Берёзовск",
    "Сосновск",
    "Никольск",
    "Покровск",
    "Троицк",
    "Успенск",
    "Спасск",
    "Ивановск",
    "Михайловск",
    "Александровск",
    "Богородск",
    "Вознесенск",
    "Знаменск",
    "Краснослободск",
    "Чернышевск",
    "Белозерск",
    "Верхнеуральск",
    "Нагорн",
)


def district_adjective(stem: str, case: str) -> str:
    """The district adjective of a stem in a case: nom «Кировский», gen «Кировского», dat «Кировскому»,
    fem «Кировская»."""
    soft = stem.endswith("к")
    endings = {"nom": "ий" if soft else "ый", "gen": "ого", "dat": "ому", "fem": "ая"}
    return stem + endings[case]


_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "h",
            "c",
            "ch",
            "sh",
            "sch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)


def translit(text: str) -> str:
    """A plain Latin transliteration for slugs (links, screen names, usernames)."""
    return "".join(_TRANSLIT.get(ch, ch if ch.isascii() and ch.isalnum() else "") for ch in text.lower())


EXECUTIVE_BODIES = (
    ("Министерство здравоохранения", "minzdrav"),
    ("Министерство образования", "minobr"),
    ("Министерство культуры", "minkult"),
    ("Министерство социального развития", "minsoc"),
    ("Министерство транспорта", "mintrans"),
    ("Министерство строительства", "minstroy"),
    ("Министерство сельского хозяйства", "minselhoz"),
    ("Министерство экономического развития", "mineconom"),
    ("Министерство финансов", "minfin"),
    ("Министерство спорта", "minsport"),
    ("Министерство природных ресурсов и экологии", "minprirody"),
    ("Министерство промышленности и торговли", "minprom"),
    ("Министерство труда и занятости", "mintrud"),
    ("Министерство цифрового развития", "mincifra"),
    ("Министерство жилищно-коммунального хозяйства", "minzhkh"),
    ("Министерство туризма", "mintur"),
    ("Министерство молодёжной политики", "minmol"),
    ("Министерство имущественных отношений", "minimush"),
    ("Министерство юстиции", "minjust"),
    ("Министерство инвестиций", "mininvest"),
    ("Комитет ветеринарии", "vet"),
    ("Государственная жилищная инспекция", "gzhi"),
    ("Агентство по делам архивов", "arhiv"),
    ("Комитет по делам ЗАГС", "zags"),
    ("Департамент лесного хозяйства", "les"),
    ("Управление дорожного хозяйства", "dorogi"),
    ("Комитет по тарифам", "tarif"),
    ("Инспекция государственного строительного надзора", "stroynadzor"),
)
FEDERAL_BODIES = (
    ("Главное управление МЧС России по", "mchs"),
    ("УМВД России по", "mvd"),
    ("Управление ФНС России по", "fns"),
    ("Управление Росреестра по", "rosreestr"),
    ("Отделение Социального фонда России по", "sfr"),
    ("Управление Роспотребнадзора по", "rpn"),
    ("Управление ФССП России по", "fssp"),
    ("Управление Росгвардии по", "rosgvard"),
    ("УФСИН России по", "ufsin"),
    ("Управление Россельхознадзора по", "rshn"),
)

_SIMPLE_TEMPLATES: Mapping[Category, tuple[tuple[str, str], ...]] = {
    Category.SCHOOL: (
        ("МБОУ СОШ №{n} г. {city}", "school{n}"),
        ("МАОУ «Гимназия №{n}» г. {city}", "gymn{n}"),
        ("МБОУ «Лицей №{n}» г. {city}", "lyceum{n}"),
        ("МБДОУ «Детский сад №{n}» г. {city}", "ds{n}"),
        ("МКОУ «{dfem} СОШ» {dgen} района {region}", "{d}sosh"),
    ),
    Category.UNIVERSITY: (
        ("Государственный университет {region}", "gu"),
        ("Медицинский университет {region}", "medu"),
        ("Педагогический институт {region}", "ped"),
        ("Политехнический колледж №{n} {region}", "polytech{n}"),
        ("Медицинский колледж №{n} г. {city}", "medcol{n}"),
        ("Аграрный техникум {dgen} района {region}", "{d}agro"),
    ),
    Category.CULTURE: (
        ("Драматический театр г. {city}", "drama"),
        ("Краеведческий музей {dgen} района {region}", "{d}muzey"),
        ("Центральная библиотека {dgen} района {region}", "{d}bibl"),
        ("Филармония {region}", "filarm"),
        ("Дом культуры №{n} г. {city}", "dk{n}"),
        ("Центр народного творчества {region}", "cnt"),
    ),
    Category.HEALTHCARE: (
        ("ГБУЗ «Городская больница №{n}» г. {city}", "gb{n}"),
        ("Городская поликлиника №{n} г. {city}", "gp{n}"),
        ("ГБУЗ «{dfem} центральная районная больница» {region}", "{d}crb"),
        ("Детская республиканская больница {region}", "dkb"),
        ("Станция скорой помощи г. {city}", "ssmp"),
    ),
    Category.SOCIAL: (
        ("Центр социального обслуживания {dgen} района {region}", "{d}cso"),
        ("Комплексный центр социального обслуживания №{n} г. {city}", "kcson{n}"),
        ("Центр занятости населения {dgen} района {region}", "{d}czn"),
    ),
    Category.YOUTH: (
        ("Молодёжный центр {dgen} района {region}", "{d}molcentr"),
        ("Движение первых {region}", "dvizh"),
        ("Дом молодёжи №{n} г. {city}", "dommol{n}"),
        ("Молодёжный парламент {region}", "molparl"),
    ),
    Category.OTHER: (
        ("МФЦ {region}", "mfc"),
        ("Отделение МФЦ №{n} г. {city}", "mfc{n}"),
        ("Фонд поддержки предпринимательства {region}", "fond"),
        ("Центр управления регионом {region}", "cur"),
    ),
}


def simple_templates(category: Category) -> tuple[tuple[str, str], ...]:
    """(title template, slug template) pairs of a category with no special rule."""
    return _SIMPLE_TEMPLATES[category]


def governor_title(region: Region) -> str:
    if region.code == "RU-MOW":
        return "Мэр Москвы"
    if region.code == "RU-TA":
        return "Раис Республики Татарстан"
    gen = region_genitive(region)
    return f"Глава {gen}" if "Республики" in gen else f"Губернатор {gen}"


def government_title(region: Region) -> str:
    return f"Правительство {region_genitive(region)}"


def parliament_title(region: Region) -> str:
    specials = {
        "RU-MOW": "Московская городская Дума",
        "RU-TA": "Государственный Совет Республики Татарстан",
        "RU-BA": "Курултай Республики Башкортостан",
    }
    if region.code in specials:
        return specials[region.code]
    gen = region_genitive(region)
    return f"Государственное Собрание {gen}" if "Республики" in gen else f"Законодательное собрание {gen}"

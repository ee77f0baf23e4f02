"""Names, phones, birth dates and addresses in the one form records are compared in. No gridscreen database:
the text functions are pure, and `normalise_records` turns a table of source records (columns named by a
`FieldSpec`) into gs_rec inside a DuckDB connection, with Python only over distinct names and odd documents.

Han names are folded to simplified characters and compared through their pinyin (so a homophone typed by
mistake, or a traditional-character twin, still agrees); surnames with a special reading as a surname
(单 shan, 曾 zeng, 仇 qiu, ...) get that reading. Latin names are upper-cased without diacritics and
compared as a set of words (lists disagree on family-name-first order). Other scripts are case-folded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import pyarrow as pa
from opencc import OpenCC

from gridscreen.errors import Invalid
from gridscreen.people.identity import InvalidPhone, normalise_phone
from gridscreen.roster.documents import DocumentStatus, Validator, document_columns, fast_resident_ids

# Readings a character takes only as a surname; pypinyin gives the everyday one (单 dan, 曾 ceng, ...).
SURNAME_READINGS: dict[str, str] = {
    "单": "shan", "曾": "zeng", "仇": "qiu", "解": "xie", "区": "ou", "朴": "piao", "查": "zha", "盖": "ge",
    "乐": "yue", "缪": "miao", "翟": "zhai", "覃": "qin", "种": "chong", "员": "yun", "秘": "bi", "召": "shao",
    "繁": "po", "过": "guo", "宿": "su", "句": "gou", "冼": "xian", "折": "she", "黑": "he", "逄": "pang",
    "隗": "wei", "尉": "yu", "长": "zhang", "能": "nai", "纪": "ji", "任": "ren", "华": "hua", "沈": "shen",
    "阚": "kan", "郗": "xi", "褚": "chu", "薄": "bo", "都": "du", "相": "xiang", "祭": "zhai", "柏": "bai",
    "万俟": "mo qi", "尉迟": "yu chi", "单于": "chan yu", "长孙": "zhang sun", "令狐": "ling hu",
}  # fmt: skip
_COMPOUND = (
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木 万俟 单于 呼延 西门 南宫 独孤"
)
COMPOUND_SURNAMES = frozenset((_COMPOUND + " 百里 东郭 闻人 澹台 公冶 宗政 濮阳 太叔 申屠 钟离 赫连 拓跋").split())
_DOTS = str.maketrans({c: "·" for c in "•・‧∙⋅．.･"})
_SPACE = re.compile(r"\s+")
_LATIN_PUNCT = re.compile(r"[,.'’`\-_/;:()]+")


_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def is_han(text: str) -> bool:
    """Whether the text holds a Han character."""
    return _HAN.search(text) is not None


class _CharTable:
    """Per-character conversion through a slow converter, remembered: a city has a few thousand distinct
    name characters but millions of names, and str.translate on the table runs at C speed."""

    def __init__(self, convert) -> None:
        self._convert = convert
        self._table: dict[int, str] = {}
        self._seen: set[str] = set()

    def __call__(self, text: str) -> str:
        if not self._seen.issuperset(text):
            for char in set(text) - self._seen:
                self._table[ord(char)] = self._convert(char) if is_han(char) else char
                self._seen.add(char)
        return text.translate(self._table)


_t2s = OpenCC("t2s")
# Character by character: OpenCC's phrase rules are for running text, names are sequences of characters.
to_simplified = _CharTable(lambda c: _t2s.convert(c)[:1] or c)


def _reading(char: str) -> str:
    # pypinyin's tables are some 200,000 Python objects: only processes that compare names load them (a web
    # server that never does would scan them in every full garbage collection).
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(char, style=Style.NORMAL)[0] + " "


_PINYIN = _CharTable(_reading)


def pinyin(text: str) -> str:
    """Toneless pinyin syllables separated by single spaces (ü as v); non-Han characters kept as they are."""
    return " ".join(_PINYIN(text).split())


def normalise_name(name: str | None) -> str:
    """The canonical text of a name: full-width folded, simplified characters, no spaces inside a Han name,
    Latin upper-cased without accents or punctuation; '' for nothing."""
    text = unicodedata.normalize("NFKC", name or "").strip()
    if not text:
        return ""
    if is_han(text):
        # Spaces inside Han names are typing noise ("张 伟"); the dot of minority names has many look-alikes.
        return to_simplified(_SPACE.sub("", text).translate(_DOTS))
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACE.sub(" ", _LATIN_PUNCT.sub(" ", text)).strip().upper()


@dataclass(frozen=True, slots=True)
class NameKeys:
    """`text`: canonical name; `key`: what names are compared on (pinyin or sorted words, lower case);
    `family`, `given`: the parts of `key` (for Latin names, the alphabetically first word and the rest)."""

    text: str
    key: str
    family: str
    given: str


def split_han_name(text: str) -> tuple[str, str]:
    """(surname, given name) of a normalised Han name; compound surnames such as 欧阳 are kept whole."""
    cut = 2 if text[:2] in COMPOUND_SURNAMES and len(text) > 2 else 1
    return text[:cut], text[cut:]


def name_keys(name: str | None, family: str | None = None) -> NameKeys:
    """Keys for one name; `family` when the source keeps the family name in a field of its own."""
    if family:
        family_text, given_text = normalise_name(family), normalise_name(name)
        text = family_text + given_text if is_han(family_text) else f"{family_text} {given_text}"
    else:
        text = normalise_name(name)
        family_text = given_text = None
    if not text:
        return NameKeys("", "", "", "")
    if is_han(text):
        family_text, given_text = (family_text, given_text) if family else split_han_name(text.replace("·", ""))
        surname = SURNAME_READINGS.get(family_text) or pinyin(family_text)
        given = pinyin(given_text.replace("·", " "))
        return NameKeys(text, f"{surname} {given}".strip(), surname, given)
    words = sorted(text.casefold().split())
    return NameKeys(text, " ".join(words), words[0], " ".join(words[1:]))


def phone_key(phone: str | None) -> str | None:
    """A mainland number as `normalise_phone` gives it; any other number as its digits (7+), else None."""
    if not phone:
        return None
    try:
        return normalise_phone(phone)
    except InvalidPhone:
        digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone))
        # International prefixes and trunk zeros differ between lists; the subscriber digits do not.
        return (digits.lstrip("0") or None) if len(digits) >= 7 else None


# Already in the form normalise_phone returns, so a bulk path may keep these as they are and send only
# the rest through phone_key.
CANONICAL_MOBILE = r"1[3-9][0-9]{9}"


# Birth dates as lists write them ("1990-03-07", "1990/3/7", "19900307", "1990年3月7日"); one pattern for
# Python (re) and DuckDB (RE2).
BIRTH_DATE_PATTERN = r"^([0-9]{4})[-/.年]?([0-9]{1,2})[-/.月]?([0-9]{1,2})日?$"
_BIRTH_DATE = re.compile(BIRTH_DATE_PATTERN)
# Full-width digits and separators, folded the same way on both paths (DuckDB has no NFKC).
FOLD_FROM = "０１２３４５６７８９－／．　"
FOLD_TO = "0123456789-/. "
_FOLD = str.maketrans(FOLD_FROM, FOLD_TO)


def parse_birth_date(text: str | None) -> date | None:
    """A birth date written as lists write them (full-width digits allowed), else None."""
    match = _BIRTH_DATE.match((text or "").translate(_FOLD).strip())
    try:
        return date(*map(int, match.groups())) if match else None
    except ValueError:
        return None


def _fold_sql(text: str) -> str:
    # translate() costs more than the regular expressions that follow; full-width forms are rare, so it runs
    # only where one is found (and never on ASCII: bytes == characters).
    needs = f"strlen({text}) <> length({text}) AND regexp_matches({text}, '[{FOLD_FROM}]')"
    return f"trim(CASE WHEN {needs} THEN translate({text}, '{FOLD_FROM}', '{FOLD_TO}') ELSE {text} END)"


def birth_parts_sql(text: str) -> str:
    """DuckDB expression: the raw STRUCT(y, m, d) of a birth date text; birth_date_sql makes the DATE."""
    return f"regexp_extract({_fold_sql(text)}, '{BIRTH_DATE_PATTERN}', ['y', 'm', 'd'])"


def birth_date_sql(parts: str) -> str:
    """DuckDB expression: the DATE parse_birth_date gives, from a birth_parts_sql STRUCT."""
    return f"try_strptime({parts}.y || '-' || {parts}.m || '-' || {parts}.d, '%Y-%m-%d')::DATE"


@dataclass(frozen=True, slots=True)
class AddressParts:
    compound: str | None
    building: str | None
    unit: str | None
    room: str | None


# One pattern for Python (re) and DuckDB (RE2): "上海市浦东新区华康小区3号楼2单元1201室", "华康 3栋 2-1201".
# The leading city / district / subdistrict is dropped (it says nothing the area ids do not), and so is
# the compound's "小区"-style suffix, which lists add or leave out at will.
ADDRESS_PATTERN = (
    r"^(?:[^\s0-9]{2,3}市)?\s*(?:[^\s0-9]{2,4}新区|[^\s0-9]{2}[区县])?\s*(?:[^\s0-9]{2,4}(?:街道|镇))?\s*"
    r"(?P<compound>[^0-9]+?)?\s*(?:小区|新村|公寓|花园|家园)?\s*"
    r"(?:(?P<building>[0-9]+)\s*(?:号楼|号|栋|幢|座)\s*)?"
    r"(?:(?P<unit>[0-9]+)\s*(?:单元|-)\s*)?"
    r"(?:(?P<room>[0-9]+)\s*(?:室|号)?)?\s*$"
)
ADDRESS_GROUPS = ("compound", "building", "unit", "room")
_ADDRESS = re.compile(ADDRESS_PATTERN)
_COMPOUND_SUFFIX = r"(小区|新村|公寓|花园|家园)$"


def address_sql(text: str) -> str:
    """DuckDB expression: the raw STRUCT of address groups of the SQL expression `text`, parsed as
    parse_address does; address_part_sql takes the parts out of it."""
    return f"regexp_extract({_fold_sql(text)}, '{ADDRESS_PATTERN}', {list(ADDRESS_GROUPS)!r})"


def address_part_sql(parsed: str, part: str) -> str:
    """DuckDB expression: one part (as parse_address gives it, NULL for None) of an address_sql STRUCT."""
    value = f"nullif({parsed}.{part}, '')"
    return value if part == "compound" else _number(value)


def _number(expr: str) -> str:
    return f"CASE WHEN {expr} IS NULL OR {expr} = '' THEN {expr} ELSE coalesce(nullif(ltrim({expr}, '0'), ''), '0') END"


def compound_sql(text: str) -> str:
    """DuckDB expression: a compound name as given in a field of its own, folded like parse_address does."""
    return f"nullif(regexp_replace({_fold_sql(text)}, '{_COMPOUND_SUFFIX}', ''), '')"


def number_sql(text: str) -> str:
    """DuckDB expression: the first run of digits of a building / unit / room field, without leading zeros."""
    return _number(f"nullif(regexp_extract({_fold_sql(text)}, '[0-9]+'), '')")


def parse_address(text: str | None) -> AddressParts:
    """Compound (without its 小区 suffix), building, unit and room numbers of a dwelling address; parts
    that cannot be read are None. Numbers lose leading zeros."""
    match = _ADDRESS.match((text or "").translate(_FOLD).strip())
    if not match:
        return AddressParts(None, None, None, None)
    parts = [match.group(g) or None for g in ADDRESS_GROUPS]
    return AddressParts(parts[0], *(p.lstrip("0") or "0" if p else None for p in parts[1:]))


def compound_key(text: str | None) -> str | None:
    """A compound name as compound_sql folds it (full width, spaces and the 小区-style suffix gone)."""
    folded = re.sub(_COMPOUND_SUFFIX, "", (text or "").translate(_FOLD).strip())
    return folded or None


def number_key(text: str | None) -> str | None:
    """The first run of digits of a building / unit / room, without leading zeros, as number_sql takes it."""
    found = re.search(r"[0-9]+", (text or "").translate(_FOLD))
    return (found.group().lstrip("0") or "0") if found else None


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """Which input column plays which part; None where the records have no such column. `record_id` must be
    unique (an integer); `areas` are area-id columns, finest first; `door_sources` are the source kinds that
    mean "seen at the door"."""

    record_id: str = "record_id"
    source_kind: str = "source_kind"
    name: str = "name"
    family_name: str | None = None  # when a source keeps the family name apart; `name` is then the given name
    document_type: str | None = "document_type"
    document_number: str | None = "document_number"
    phone: str | None = "phone"
    birth_date: str | None = "birth_date"
    sex: str | None = "sex"
    address: str | None = "address"  # free text, parsed when the parts are missing
    address_parts: tuple[str, str, str, str] | None = ("compound", "building", "unit", "room")
    areas: tuple[str, ...] = ("building_id", "committee_id", "district_id")
    door_sources: tuple[str, ...] = ("sweep",)
    # Kinds whose numbers carry a check character: two valid, different ones are two persons. A typo in
    # any other kind (a passport number) leaves a valid-looking number, so those are compared, not trusted.
    checked_document_types: tuple[str, ...] = ("resident_id",)
    default_document_type: str = "resident_id"
    validate_document: Validator | None = None  # (type, number) -> canonical; see documents.inspect_document


def normalise_records(
    con: duckdb.DuckDBPyConnection, source: str, spec: FieldSpec, *, today: date | None = None
) -> None:
    """Create gs_rec from the table or view `source`: one normalised row per record, `idx` a dense row number,
    `anchor` the kind of document when it is a valid checked one (doc_key)."""

    def col(name: str | None, cast: str = "VARCHAR") -> str:
        return f"CAST({_quote(name)} AS {cast})" if name else f"CAST(NULL AS {cast})"

    parts = spec.address_parts or (None,) * 4
    areas = [f"{col(a, 'BIGINT')} AS area{k}" for k, a in enumerate(spec.areas)] or ["CAST(NULL AS BIGINT) AS area0"]
    sex = f"upper(trim({col(spec.sex)}))"
    con.execute(f"""
        CREATE OR REPLACE TABLE gs_raw AS
        SELECT row_number() OVER () - 1 AS idx, CAST({_quote(spec.record_id)} AS BIGINT) AS record_id,
            {col(spec.source_kind)} AS source_kind, {col(spec.name)} AS name_raw, {col(spec.family_name)} AS family_raw,
            coalesce({col(spec.document_type)}, {_literal(spec.default_document_type)}) AS doc_type,
            nullif(trim({col(spec.document_number)}), '') AS doc_raw, nullif(trim({col(spec.phone)}), '') AS phone_raw,
            {birth_parts_sql(col(spec.birth_date))} AS birth_p,
            CASE WHEN {sex} IN ('M', '男', 'MALE') THEN 'M' WHEN {sex} IN ('F', '女', 'FEMALE') THEN 'F' END AS sex,
            {", ".join(f"{col(c)} AS {g}_raw" for c, g in zip(parts, ADDRESS_GROUPS, strict=True))},
            {col(spec.address)} AS address_raw, {", ".join(areas)}
        FROM {source}""")
    (repeated,) = con.execute("SELECT count(*) - count(DISTINCT record_id) FROM gs_raw").fetchall()[0]
    if repeated:
        raise Invalid("{count} record ids are used more than once; every source record needs its own", count=repeated)
    _addresses(con)
    _names(con)
    _phones(con)
    _documents(con, spec.validate_document, today)
    # gs_docs holds only the documents the fast path did not take as they stand.
    fast = "(r.doc_raw IS NOT NULL AND d.idx IS NULL)"
    key = f"CASE WHEN {fast} THEN r.doc_raw ELSE d.doc_key END"
    any_ = f"CASE WHEN {fast} THEN r.doc_raw ELSE coalesce(d.doc_key, d.doc_clean) END"
    trusted_id = f"r.doc_type = 'resident_id' AND ({fast} OR d.doc_status = '{DocumentStatus.valid}')"
    checked = ", ".join(map(_literal, spec.checked_document_types)) or "NULL"
    con.execute(f"""
        CREATE OR REPLACE TABLE gs_rec AS SELECT
            r.idx, r.record_id, r.source_kind, {", ".join(f"nullif(n.{c}, '') AS {c}" for c in _NAME_COLUMNS[2:])},
            r.doc_type, {key} AS doc_key, {any_} AS doc_any,
            CASE WHEN {fast} THEN '{DocumentStatus.valid}' ELSE d.doc_status END AS doc_status, d.repairs,
            CASE WHEN length(d.prefix) >= 15 THEN left(d.prefix, 15) END AS doc_prefix, left({any_}, 15) AS doc_head,
            coalesce(CASE WHEN regexp_full_match(r.phone_raw, '{CANONICAL_MOBILE}') THEN r.phone_raw END, p.phone)
                AS phone,
            strftime(coalesce({birth_date_sql("r.birth_p")}, d.id_birth,
                     CASE WHEN {trusted_id} THEN try_strptime(substr({key}, 7, 8), '%Y%m%d')::DATE END), '%Y%m%d')
                AS birth8,
            coalesce(r.sex, d.id_sex, CASE WHEN {trusted_id} THEN
                     CASE WHEN substr({key}, 17, 1) IN ('1', '3', '5', '7', '9') THEN 'M' ELSE 'F' END END) AS sex,
            CASE WHEN {key} IS NOT NULL AND r.doc_type IN ({checked}) THEN r.doc_type END AS anchor,
            a.compound, a.building, a.unit, a.room,
            coalesce(a.compound || '#' || a.building, 'id:' || r.area0) AS building_key,
            {", ".join(f"r.area{k}" for k in range(max(len(spec.areas), 1)))}
        FROM gs_raw r
        LEFT JOIN gs_names n
            ON n.name_raw IS NOT DISTINCT FROM r.name_raw AND n.family_raw IS NOT DISTINCT FROM r.family_raw
        LEFT JOIN gs_phones p ON p.phone_raw = r.phone_raw
        LEFT JOIN gs_docs d ON d.idx = r.idx
        LEFT JOIN gs_addresses a ON {" AND ".join(f"a.{c} IS NOT DISTINCT FROM r.{c}" for c in _ADDRESS_RAW)}""")
    con.execute(
        "DROP TABLE gs_raw; DROP TABLE gs_names; DROP TABLE gs_phones; DROP TABLE gs_docs; DROP TABLE gs_addresses"
    )


_ADDRESS_RAW = ("address_raw", *(f"{g}_raw" for g in ADDRESS_GROUPS))


def _addresses(con: duckdb.DuckDBPyConnection) -> None:
    # Distinct addresses only (a household's members share one), and the regular expression's STRUCT
    # computed once below the parts taken out of it.
    given = [f"{(number_sql if k else compound_sql)(f'{g}_raw')} AS {g}_given" for k, g in enumerate(ADDRESS_GROUPS)]
    parts = [f"coalesce({g}_given, {address_part_sql('addr', g)}) AS {g}" for g in ADDRESS_GROUPS]
    con.execute(f"""CREATE OR REPLACE TABLE gs_addresses AS SELECT {", ".join(_ADDRESS_RAW)}, {", ".join(parts)}
        FROM (SELECT *, CASE WHEN compound_given IS NULL AND building_given IS NULL THEN {address_sql("address_raw")}
                        END AS addr
              FROM (SELECT *, {", ".join(given)} FROM (SELECT DISTINCT {", ".join(_ADDRESS_RAW)} FROM gs_raw)))""")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_NAME_COLUMNS = ("name_raw", "family_raw", "name_text", "name_key", "family_key", "given_key")


def _names(con: duckdb.DuckDBPyConnection) -> None:
    # Distinct names only: a city repeats its names many times over, and pinyin is Python.
    schema = pa.schema([(c, pa.string()) for c in _NAME_COLUMNS])
    con.execute("CREATE OR REPLACE TABLE gs_names (" + ", ".join(f"{c} VARCHAR" for c in _NAME_COLUMNS) + ")")
    for batch in _stream(con, "SELECT DISTINCT name_raw, family_raw FROM gs_raw"):
        names, families = batch.column(0).to_pylist(), batch.column(1).to_pylist()
        keys = [name_keys(n, f) for n, f in zip(names, families, strict=True)]
        parts = [[getattr(k, f) for k in keys] for f in ("text", "key", "family", "given")]
        write_arrow(con, "gs_names", pa.table([names, families, *parts], schema=schema))


def _phones(con: duckdb.DuckDBPyConnection) -> None:
    # Canonical mobiles (nearly all) are taken as they are in SQL; only the odd forms come to Python.
    odd = con.sql(f"SELECT DISTINCT phone_raw FROM gs_raw WHERE NOT regexp_full_match(phone_raw, '{CANONICAL_MOBILE}')")
    raw = [p for (p,) in odd.fetchall()]
    phones = pa.table({"phone_raw": pa.array(raw, pa.string()), "phone": pa.array(map(phone_key, raw), pa.string())})
    write_arrow(con, "gs_phones", phones, create=True)


def _documents(con: duckdb.DuckDBPyConnection, validate: Validator | None, today: date | None) -> None:
    """gs_docs: the documents the fast path does not take as they stand (a few in a hundred), inspected."""
    con.execute("CREATE OR REPLACE TABLE gs_docs (idx BIGINT, doc_key VARCHAR, doc_clean VARCHAR, "
                "doc_status VARCHAR, prefix VARCHAR, repairs VARCHAR[], id_birth DATE, id_sex VARCHAR)")  # fmt: skip
    # Whole million-row batches through NumPy (a DuckDB function would see 2,048 rows a call), keeping
    # only the odd ones; then their birth date and sex, and the slower inspection.
    con.execute("CREATE OR REPLACE TABLE gs_odd (idx BIGINT)")
    today = today or date.today()
    for batch in _stream(con, "SELECT idx, doc_type, doc_raw FROM gs_raw WHERE doc_raw IS NOT NULL", 1_000_000):
        odd = ~fast_resident_ids(batch.column(1), batch.column(2), today=today) if validate is None else None
        idx = batch.column(0) if odd is None else batch.column(0).filter(pa.array(odd))
        write_arrow(con, "gs_odd", pa.table({"idx": idx}))
    sql = f"SELECT idx, doc_type, doc_raw, {birth_date_sql('birth_p')}, sex FROM gs_raw SEMI JOIN gs_odd USING (idx)"
    # Streamed, not fetched whole: at city scale the odd documents alone are millions of rows.
    for batch in _stream(con, sql, 100_000):
        write_arrow(con, "gs_docs", document_columns(batch, validate=validate, today=today))
    con.execute("DROP TABLE gs_odd")


def write_rows(con: duckdb.DuckDBPyConnection, table: str, schema: pa.Schema, chunks: Iterable[Sequence[tuple]]) -> int:
    """Create `table` with `schema` and fill it a chunk of tuples (in schema order) at a time: a database table
    larger than memory goes to DuckDB without ever being whole in Python. Returns the rows written."""
    write_arrow(con, table, schema.empty_table(), create=True)
    written = 0
    for rows in chunks:
        if not rows:
            continue
        columns = zip(*rows, strict=True)
        arrays = [_array(column, f.type) for column, f in zip(columns, schema, strict=True)]
        write_arrow(con, table, pa.Table.from_arrays(arrays, schema=schema))
        written += len(rows)
    return written


def _array(values: Sequence, type_: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, type=type_)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # SQLite's 0 and 1 for a boolean, say
        return pa.array(values).cast(type_)


def write_arrow(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table, *, create: bool = False) -> None:
    """Append an Arrow table to `table` (or create it from one), registered explicitly under a scratch name."""
    con.register("gs_arrow_scratch", rows)
    try:
        verb = f"CREATE OR REPLACE TABLE {table} AS" if create else f"INSERT INTO {table}"
        con.execute(f"{verb} SELECT * FROM gs_arrow_scratch")
    finally:
        con.unregister("gs_arrow_scratch")


def _stream(con: duckdb.DuckDBPyConnection, sql: str, rows: int = 200_000):
    """Arrow batches of a query, read through a second cursor so `con` stays free for the inserts."""
    yield from con.cursor().sql(sql).to_arrow_reader(rows)

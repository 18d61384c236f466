"""The word lists behind question analysis, loaded once from ``qa/data`` by one explicit object.

- ``glossary_en_zh.tsv``: English phrase → the Chinese terms of the genre (one glossary for everything);
- ``query_words.tsv``: intent cues, derived operations, periods, scopes, expected units and their classes, the
  form of answer asked for (a day, a year, an ordinal), polarity words;
- ``stopwords.txt``: function words (shared with the BM25 tokenizer, ``qa.terms``);
- ``counties.txt``: county-level names and their pinyin; ``places.txt``: provinces, prefectures and county-level
  cities and their pinyin; ``place_names_en.tsv``: English names of places that are
  not their pinyin (Urumqi: 乌鲁木齐);
- not a file of ours: the general English–Chinese dictionary (CC-CEDICT, ``qa.query.dictionary``) for the
  words of an English question the glossary lacks.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property

from qa import regex_cache
from qa.errors import BqaError
from qa.lazy_regex import LazyRegex
from qa.paths import data_file

COUNT = "count"  # the unit label of a question that asks for a number of things without naming their measure word
AREA = "area"  # the unit label of a question that asks for an area without naming its unit (面积是多少)


def _lines(name: str) -> list[str]:
    text = data_file(name).read_text(encoding="utf-8")
    return [ln.rstrip("\n") for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def normalize(text: str) -> str:
    """NFKC and lower case: what every pattern of the lexicon is matched against."""
    return unicodedata.normalize("NFKC", text).lower()


def gloss_form(text: str) -> str:
    """An English question as the glossary's phrases are matched against it: normalised, its right quotes
    apostrophes, and "-" and "_" spaces."""
    return re.sub(r"[-_]", " ", normalize(text).replace("\u2019", "'"))


def squash(text: str) -> str:
    """Lower case without whitespace: the key question terms are matched against passages with."""
    return "".join(text.split()).lower()  # str.split's whitespace is re's \s (str.isspace); 3x faster


_CAPITALISED_RUN = re.compile(r"[A-Z][a-z]+(?:['’][aeo][a-z]*)?(?: [A-Z][a-z]+(?:['’][aeo][a-z]*)?)*")
# One pinyin syllable with an initial (Wang, Li, Zhang): a capitalised place word right after one is a given name
# (Wang Anqing is a person, not 安庆; Li Yang not 溧阳)
_SYLLABLE = re.compile(r"(?:[bpmfdtnlgkhjqxrzcsyw]|zh|ch|sh)(?:i?ang|i?ong|uang|eng|ing|ian|iao|uai|uan|ai|ei|ao|ou|an|en|in|"
                       r"un|ia|ie|iu|ua|uo|ui|ve|ue|a|e|i|o|u|v)(?:n|ng)?", re.I)


@dataclass(frozen=True)
class Pattern:
    """A label of the lexicon and the pattern of its wordings."""

    label: str
    regex: LazyRegex


@dataclass(frozen=True)
class Lexicon:
    """The question vocabulary of ``qa/data/query_words.tsv`` and the glossary, loaded once (``Lexicon.default``)."""

    intents: tuple[Pattern, ...]
    operations: tuple[Pattern, ...]
    periods: tuple[Pattern, ...]
    scopes: tuple[Pattern, ...]  # label "family:name"
    roles: tuple[Pattern, ...]  # which figure is asked for: growth, rate_done, done, plan, prior, total, new, aggregate
    units: tuple[Pattern, ...]
    forms: tuple[Pattern, ...]  # day | month | year | ordinal: the form of the answer asked for
    counts: tuple[Pattern, ...]  # label: how many items a list question asks for (哪两家 -> 2)
    table_cue: LazyRegex  # the question says its answer stands in a table (表一中, 一栏, column)
    unit_classes: dict[str, str]  # measure word -> its class (名 -> 人, 个百分点 -> %)
    # a unit label that names no unit -> the classes any of which answers it: count (a bare "how many": 人, 户,
    # 个…), area (面积 that names no unit: 平方米, 亩…)
    any_classes: Mapping[str, frozenset[str]]
    polarity: tuple[Pattern, ...]
    verdicts: tuple[Pattern, ...]  # above | below | plan | strict | flat | whole | part | completion: words that decide a yes/no question
    complement_leads: LazyRegex  # 为, 任命为, 等次为…: what follows says what something is
    document_leads: LazyRegex  # 根据, 印发的…: a document number starts after them
    post_leads: LazyRegex  # 为, 由, 听取了…: a post written before its holder's name starts after them
    negation: LazyRegex  # 未, 没有, 不…
    negated_act: LazyRegex  # 未能完成, 没有超过…
    comparatives: tuple[Pattern, ...]  # more | less
    superlatives: tuple[Pattern, ...]  # low | high: what a rank question asks for
    operand_cues: dict[str, LazyRegex]  # language -> the words of a derived question that are no operand's
    operand_splits: dict[str, LazyRegex]  # language -> where its two operands part (和, 比, than, or…)
    operand_than: LazyRegex  # the 比 of 「A比B多多少」 (not of 比重, 比上年)
    operand_than_tail: LazyRegex  # where the side after 比 ends: the comparative (多多少, 少了, 增加)
    operand_plan_words: LazyRegex  # a side's plan-or-outcome words (预计, 实际, 目标) the other side replaces
    operand_rate_asked: LazyRegex  # a rate named as what a comparison asks (哪个增加值增速更高): its operands are rates
    operand_joins: LazyRegex  # a word that joins a total's items (和, 与, 、, 两项): 合计 after one asks for a sum
    operand_joins_en: LazyRegex  # and, plus, both, the two…: combined / in total asks for a sum only with one
    operand_each_en: LazyRegex  # respectively, each: each item's own total, no sum
    rank_not: LazyRegex  # 多少, how much, 除…外: a rank question that asks for the figure too, or an exception
    operand_unjoins: LazyRegex  # a word that ends a join as no items' (a table's name: 明细表; 相比)
    operand_each: LazyRegex  # 分别, 各自: each item's own total, no sum
    operand_each_after: LazyRegex  # 各: each item's own only after the total word (合计各是多少), not 各区县
    operand_base: LazyRegex  # what a change asked for is measured from: 比【年初预算】减少了多少 (its first group)
    operand_prior: LazyRegex  # the year before as a base (上年, 同期): a printed change's words need not name it
    operand_hedge: LazyRegex  # words hedging the figure asked for (大约, 约, 左右): none of an operand's words
    operand_names: LazyRegex  # one name whose parts are joined by 、 (交通运输、仓储和邮政业): no items of a total
    org_suffix: LazyRegex  # what an organisation's name ends with (人民政府, 委员会, 局…)
    break_words: tuple[str, ...]  # an organisation's name never reaches back across these (的, 在, 推进…)
    break_joins: tuple[str, ...]  # break words that begin a name's own word with its ending (建设项目, 实施方案)
    qualifiers: LazyRegex
    cues: LazyRegex  # the intent and operation cues, each gap (占.{0,12}比例) a group: the question's own words
    glossary: dict[str, tuple[str, ...]]  # english phrase -> chinese terms
    short_forms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # 财经委 -> (财政经济委员会, 财经委员会)
    heads: tuple[Pattern, ...] = ()  # the kind of thing a question asks for: 部门 -> organ, 哪里 -> venue
    head_ends: dict[str, LazyRegex] = field(default_factory=dict)  # kind -> what a name of it ends with
    # the endings (label, parted by |) of the things an English noun at a phrase's end names (its pattern anchored
    # there), where no head row knows its kind: bank -> 银行
    head_words_en: tuple[Pattern, ...] = ()
    changes: tuple[Pattern, ...] = ()  # to | from: which value of a change a question asks for (提高到, 调整前)
    change_verbs: LazyRegex = LazyRegex(r"(?!)")  # the verbs of a change in the text (提高, 调整, 降…)
    place_not_after: LazyRegex = LazyRegex(r"(?!)")  # what after a county's name makes it part of a word (县级, 区长)
    session_body: LazyRegex = LazyRegex(r"(?!)")  # a session's term and body, ending where its count starts (届…人大)
    session_end: LazyRegex = LazyRegex(r"(?!)")  # what follows a session's count (会议, 全会)
    ask_zh: LazyRegex = LazyRegex(r"(?!)")  # the words a Chinese question asks with (多少, 哪, 是否…)
    report_asked: LazyRegex = LazyRegex(r"(?!)")  # a question about a report (报告, 审议意见, report)
    # the kinds of report a title's head may say (label: the word, as the title has it) and how a question names each
    report_kinds: tuple[Pattern, ...] = ()
    fillers: frozenset[str] = frozenset()  # an English question's asking words that name nothing (total, figure)
    particles: frozenset[str] = frozenset()  # the stop words that may end a phrasal verb (set up, take over)
    # the words of an English question that are no term: the one stop list's English words (qa/data/stopwords.txt)
    # and the fillers
    english_stop: frozenset[str] = frozenset()

    def variants_in(self, text: str) -> tuple[tuple[str, str], ...]:
        """(short form, full form) of each pair whose either form ``text`` says (squashed): the words a passage
        may say instead of the question's."""
        key = squash(text)
        return tuple((short, full) for short, fulls in self.short_forms.items() for full in fulls
                     if short in key or full in key)

    @cached_property
    def _scope_sets(self) -> dict:
        """The scope patterns of a set of families (None: all), listed once per set: a cache of this instance (a
        copy made with dataclasses.replace starts its own)."""
        return {}

    @cached_property
    def _glossary_starts(self) -> dict[str, re.Pattern[str]]:
        """The glossary patterns by start (``_glossary_at``), compiled when first needed; at most one per start
        of a phrase, whatever the questions say."""
        return {}

    @cached_property
    def _glossary_by_start(self) -> dict[str, tuple[str, ...]]:
        """The glossary's phrases by how they start (``_start``), each list in the order one alternation of them
        all would try them: longest first."""
        out: dict[str, list[str]] = defaultdict(list)
        for phrase in sorted(self.glossary, key=lambda p: (-len(p), p)):
            out[_start(phrase, 0)].append(phrase)
        return {k: tuple(v) for k, v in out.items()}

    def _glossary_at(self, t: str, i: int) -> re.Pattern[str] | None:
        """The glossary phrases that may start at ``t[i]``, as whole words (plurals too): those starting with its
        two characters, then a one-character phrase that is ``t[i]``. Compiled per start, when first needed: one
        pattern of all ≈ 1,400 phrases made a cold English `bqa ask` 0.39 s instead of 0.35 s (15 alternating runs,
        4 December 2026)."""
        key = _start(t, i)
        if key not in self._glossary_by_start:
            key = t[i]  # no phrase starts with these two characters: only a one-character phrase may start here
        return self._glossary_pattern(key)

    def _glossary_pattern(self, key: str) -> re.Pattern[str] | None:
        regex = self._glossary_starts.get(key)
        if regex is None:
            one = self._glossary_by_start.get(key[0], ()) if len(key) == 2 else ()  # (one character: key is it)
            phrases = (*self._glossary_by_start.get(key, ()), *one)
            if not phrases:
                return None  # not kept: only the starts of phrases are (the question's other words are not)
            alternation = "|".join(r"\s+".join(map(re.escape, p.split())) for p in phrases)
            regex = self._glossary_starts[key] = regex_cache.compile(rf"(?<![a-z0-9])(?:{alternation})(?:e?s)?(?![a-z0-9])")
        return regex

    def compile_glossary(self) -> None:
        """Compile the glossary's patterns of every start (a server, before it says it is ready)."""
        for key in self._glossary_by_start:
            self._glossary_pattern(key)

    @cached_property
    def dictionary(self) -> Mapping[str, str]:
        """English sense -> Chinese headwords of the general dictionary (``qa.query.dictionary``), for the words
        of an English question the glossary lacks; read at the first English question, not for every process."""
        from qa.query.dictionary import reverse_index

        return reverse_index()

    @cached_property
    def counties(self) -> tuple[frozenset[str], tuple[int, ...]]:
        """The county-level names of ``qa/data/counties.txt`` (新蔡县, 大武口区) and their lengths, longest first;
        read at the first question that says 县, 区 or 旗."""
        names = frozenset(ln.split("\t")[0] for ln in _lines("counties.txt"))
        return names, tuple(sorted({len(n) for n in names}, reverse=True))

    @cached_property
    def place_names_en(self) -> tuple[tuple[str, str], ...]:
        """(English name, the place's core) of places whose English name is not their pinyin (qa/data/
        place_names_en.tsv): ("urumqi", "乌鲁木齐")."""
        out = []
        for ln in _lines("place_names_en.tsv"):
            english, _, core = ln.partition("\t")
            if not english.strip() or not core.strip():
                raise BqaError(f"qa/data/place_names_en.tsv: bad line {ln!r}; expected 'english<TAB>中文 place'")
            out.append((" ".join(english.lower().split()), core.strip()))
        return tuple(out)

    @cached_property
    def places(self) -> tuple[dict[str, tuple[str, ...]], tuple[int, ...], frozenset[str]]:
        """The provinces, prefectures and county-level cities of ``qa/data/places.txt``: pinyin (and the English
        names of place_names_en.tsv) → their cores, the cores' lengths longest first, and the cores."""
        by_pinyin: dict[str, list[str]] = {}
        for core, pinyin, _ in self._place_rows:
            by_pinyin.setdefault(pinyin, []).append(core)
        for english, core in self.place_names_en:
            by_pinyin.setdefault(english.replace(" ", ""), []).append(core)
        cores = frozenset(self.place_codes)
        return ({k: tuple(dict.fromkeys(v)) for k, v in by_pinyin.items()},
                tuple(sorted({len(c) for c in cores}, reverse=True)), cores)

    @cached_property
    def place_codes(self) -> dict[str, tuple[str, ...]]:
        """Each place of ``qa/data/places.txt`` → its division codes (湖南: 43; 岳阳: 4306)."""
        return {core: codes for core, _, codes in self._place_rows}

    @cached_property
    def _place_rows(self) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
        """``qa/data/places.txt`` read once: (core, pinyin, division codes) per line."""
        return tuple(map(self._place_line, _lines("places.txt")))

    @staticmethod
    def _place_line(ln: str) -> tuple[str, str, tuple[str, ...]]:
        parts = ln.split("\t")
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise BqaError(f"qa/data/places.txt: bad line {ln!r}; expected '中文 core<TAB>pinyin<TAB>codes'")
        return parts[0].strip(), parts[1].strip(), tuple(parts[2].split())

    def holds(self, outer: str, inner: str) -> bool:
        """Whether place ``outer`` holds (or is) place ``inner`` by their division codes: 湖南 holds 岳阳."""
        codes = self.place_codes
        return any(i.startswith(o) for o in codes.get(outer, ()) for i in codes.get(inner, ()))

    def places_named(self, text: str, english: bool) -> list[str]:
        """The provinces, prefectures and county-level cities a question names, as cores, in order: a Chinese
        question's longest names (成都, 石嘴山), an English question's capitalised words read as pinyin (Chengdu,
        Xi'an, Shaanxi) or as the English names of place_names_en.tsv (Urumqi, Inner Mongolia)."""
        by_pinyin, lengths, cores = self.places
        found: list[str] = []
        if english:
            english_names = {e.replace(" ", "") for e, _ in self.place_names_en}
            for run in _CAPITALISED_RUN.findall(text):  # Xi'an, Lu'an (Chengdu's is Chengdu), Inner Mongolia
                parts = [re.sub(r"['’]", "", w).lower() for w in run.split()]
                i = 0
                while i < len(parts):
                    pair = "".join(parts[i:i + 2]) if i + 1 < len(parts) else ""
                    if pair in by_pinyin and (pair in english_names or not _SYLLABLE.fullmatch(parts[i])):
                        found += [c for c in by_pinyin[pair] if c not in found]
                        i += 2
                        continue
                    if not (i and _SYLLABLE.fullmatch(parts[i - 1])):  # after a surname: a given name
                        found += [c for c in by_pinyin.get(parts[i], ()) if c not in found]
                    i += 1
            return found
        i = 0
        while i < len(text):
            n = next((n for n in lengths if text[i:i + n] in cores), 0)
            if n:
                if text[i:i + n] not in found:
                    found.append(text[i:i + n])
                i += n
            else:
                i += 1
        return found

    @cached_property
    def county_pinyin(self) -> dict[tuple[str, str], tuple[str, ...]]:
        """(pinyin run together, 县 | 区 | 旗, or 自治县 | 自治旗) -> the county-level names so written (the second column
        of qa/data/counties.txt: the names read so usually, else those read so otherwise): ("shapotou", "区") ->
        ("沙坡头区",), ("changyang", "自治县") -> ("长阳土家族自治县",)."""
        usual: dict[tuple[str, str], list[str]] = {}
        other: dict[tuple[str, str], list[str]] = {}
        for ln in _lines("counties.txt"):
            name, _, keys = ln.partition("\t")
            end = "自治" + name[-1] if "自治" in name else name[-1]
            for k, key in enumerate(filter(None, keys.strip().split("|"))):
                (other if k else usual).setdefault((key, end), []).append(name)
        # a name's other readings only where no name is read so usually: Pingluo is 平罗, not 平果 (guo, rarely luo)
        return {k: tuple(v) for k, v in {**other, **usual}.items()}

    def english_counties(self, text: str) -> list[str]:
        """The counties, districts and banners an English question names as proper nouns, in order: one to three
        capitalised words right before County, District or Banner (capitalised, singular; "Autonomous County" after
        an autonomous county's first name and its people), run together without apostrophes or hyphens and read as
        pinyin (Shapotou District: 沙坡头区; Wan'an County: 万安县; Changyang Tujia Autonomous County: 长阳土家族自治县),
        the longest run that is a name of that kind; never across punctuation (not "In Xi'an, district revenue"),
        nor a generic or plural word (the district's, Xi'an districts)."""
        found: list[str] = []
        for m in _EN_COUNTY.finditer(text.replace("’", "'")):
            end = _EN_COUNTY_END[m.group(3)]
            if m.group(2):  # (Yichang) Changyang Tujia Autonomous County: the first word or two that name one
                words = [*m.group(1).split(), *m.group(2).split()[:-1]]
                runs = [words[i:i + n] for i in range(len(words)) for n in (1, 2) if i + n <= len(words)]
                end = "自治" + end
            else:
                words = m.group(1).split()
                runs = [words[-n:] for n in (3, 2, 1) if len(words) >= n]
            for run in runs:
                key = re.sub(r"['\-]", "", "".join(run)).lower()
                if names := self.county_pinyin.get((key, end)):
                    found += [x for x in names if x not in found]
                    break
        return found

    def county_spans(self, text: str) -> list[tuple[int, int]]:
        """Where ``text`` names a county, district or banner, in order: the (start, end) of the longest name ending
        at each 县, 区 or 旗 not followed by what makes it part of another word (县级, 县城, 区域, 区长: ``place``
        ``not_after``)."""
        if not _COUNTY_END.search(text):
            return []
        names, lengths = self.counties
        found = []
        for m in _COUNTY_END.finditer(text):
            j = m.end()
            if not self.place_not_after.match(text, j):
                n = next((n for n in lengths if n <= j and text[j - n:j] in names), None)
                if n:
                    found.append((j - n, j))
        return found

    def counties_in(self, text: str) -> list[str]:
        """The counties, districts and banners ``text`` names, in order (``county_spans``)."""
        return [text[a:b] for a, b in self.county_spans(text)]

    @staticmethod
    @cache
    def default() -> Lexicon:
        return _load()

    def find(self, patterns: tuple[Pattern, ...], text: str) -> list[str]:
        """Labels whose pattern occurs in ``text`` (normalised), in the file's order, without repeats."""
        t = normalize(text)
        return list(dict.fromkeys(p.label for p in patterns if p.regex.search(t)))

    def figure_roles(self, words: str) -> frozenset[str]:
        """A prose figure's roles from its own words (the words since the figure before it): none right after a
        change verb (「实际利用外资增长【14.4%】」 is no outturn, 「比上年执行数下降【3%】」 no prior-year figure; the
        change features read it), else those of the role phrase said last (``last_roles``). Naming such a rate a
        growth instead was tried (fit split, leave one document out, 4 December 2026): best reading right 576 ->
        569 of 917, shown 218 -> 208, against none."""
        t = normalize(words).rstrip()
        if self._change_at_end.search(t):
            return frozenset()
        return self.last_roles(t)

    @cached_property
    def _change_at_end(self) -> re.Pattern[str]:
        """A change verb (and 了, 约, 为…) ending a figure's own words: compiled once, not at every figure."""
        return re.compile(f"(?<!新)(?:{self.change_verbs.checked_pattern})了?(?:约|为|到|至|近|超|逾)?$")  # 新增 is no change

    def last_roles(self, text: str) -> frozenset[str]:
        """The roles (done, plan, growth…) of the role phrase that ends last in ``text`` (normalised), the longest
        of those ending there: what a figure right after ``text`` is (「预算为53.62亿元，实际完成【54.86亿元】」)."""
        t = normalize(text)
        ends = [(m.end(), m.end() - m.start(), p.label) for p in self.roles for m in p.regex.finditer(t)
                if m.end() > m.start()]
        if not ends:
            return frozenset()
        last = max(e[:2] for e in ends)
        return frozenset(label for end, size, label in ends if (end, size) == last)

    def scope_spans(self, text: str, families: Iterable[str] | None = None) -> list[tuple[int, int, str]]:
        """(start, end, label) of the scopes ``text`` (normalised) names, in order, of ``families`` only if given.

        Within a family a match that overlaps a longer one (at equal length, an earlier one) does not count:
        「社会保险基金预算」 names the social insurance fund budget, not also the government fund budget whose
        「基金预算」 it contains. Scopes of different families may overlap (一般公共预算 and 预算数 are both said
        by 「一般公共预算数」)."""
        t = normalize(text)
        found = [(m.start(), m.end(), p.label) for p in self._scopes_in(t, families)
                 for m in p.regex.finditer(t) if m.end() > m.start()]
        found.sort(key=lambda s: (s[0] - s[1], s[0]))
        taken: dict[str, list[tuple[int, int]]] = {}
        kept = []
        for a, b, label in found:
            spans = taken.setdefault(label.partition(":")[0], [])
            if not any(a < y and x < b for x, y in spans):
                spans.append((a, b))
                kept.append((a, b, label))
        return sorted(kept)

    @cached_property
    def _scope_forms(self) -> dict[str, list[tuple[str, ...]] | None]:
        """Each scope label's plain forms (``_literal_forms``; those of every row of a label), or None when one of
        its patterns holds other syntax."""
        out: dict[str, list[tuple[str, ...]] | None] = {}
        for p in self.scopes:
            forms, previous = _literal_forms(p.regex.pattern), out.get(p.label, [])
            out[p.label] = None if forms is None or previous is None else [*previous, *forms]
        return out

    @cached_property
    def _scope_pairs(self) -> dict[frozenset[str], bool]:
        """A cache of ``_scopes_overlap``, filled as pairs are said (a text names a few scopes of a family)."""
        return {}

    def _scopes_overlap(self, x: str, y: str) -> bool:
        """Whether two scope labels of one family have forms that may overlap in a text: one holds the other, or
        one ends as the other begins (基金预算 and 社会保险基金, in 社会保险基金预算), by characters in Chinese and
        by words in English. A pattern whose forms are not plain words counts as overlapping every other."""
        key = frozenset((x, y))
        found = self._scope_pairs.get(key)
        if found is None:
            a, b = self._scope_forms[x], self._scope_forms[y]
            found = self._scope_pairs[key] = x != y and x.partition(":")[0] == y.partition(":")[0] and (
                a is None or b is None or any(_touch(f, g) for f in a for g in b))
        return found

    def _scopes_in(self, t: str, families: Iterable[str] | None) -> list[Pattern]:
        """The scope patterns (of ``families``; None: all) that occur in ``t`` (normalised), in the file's order."""
        key = None if families is None else frozenset(families)
        patterns = self._scope_sets.get(key)
        if patterns is None:
            patterns = self._scope_sets[key] = tuple(p for p in self.scopes
                                                     if key is None or p.label.partition(":")[0] in key)
        needles, out = self._scope_needles, []
        for p in patterns:  # a loop, not any(): ≈ 30 % faster on a passage (25 labels, 1–6 needles each)
            said = needles[p.label]
            if said is not None:
                for n in said:
                    if n in t:
                        break
                else:
                    continue
            if p.regex.search(t):
                out.append(p)
        return out

    @cached_property
    def _scope_needles(self) -> dict[str, tuple[str, ...] | None]:
        """For each scope label, strings one of which a text holds if the pattern can match it (a Chinese form
        whole, an English form's longest word), or None when the pattern holds other syntax: a substring test
        (≈ 0.1 µs) rules out most patterns before their search (≈ 3 µs for a passage: a pattern opening with a
        lookbehind is tried at every character)."""
        return {label: None if forms is None else tuple(dict.fromkeys(
                    max(f, key=len, default="") if "".join(f).isascii() else "".join(f) for f in forms))
                for label, forms in self._scope_forms.items()}

    def find_scopes(self, text: str, families: Iterable[str] | None = None) -> list[str]:
        """The scope labels ``text`` names (``scope_spans``), in the file's order, without repeats."""
        t = normalize(text)
        said = self._scopes_in(t, families)
        labels: dict[str, set[str]] = defaultdict(set)
        for p in said:
            labels[p.label.partition(":")[0]].add(p.label)
        contested = {fam for fam, said in labels.items()  # only these may have a match inside another's
                     if any(self._scopes_overlap(x, y) for x in said for y in said if x < y)}
        if contested:
            kept = {label for _, _, label in self.scope_spans(text, contested)}
            said = [p for p in said if p.label.partition(":")[0] not in contested or p.label in kept]
        said_labels = {p.label for p in said}
        return list(dict.fromkeys(p.label for p in self.scopes if p.label in said_labels))  # in the file's order

    def unit_class(self, unit: str) -> str:
        """What a unit counts: "" for none, "%" for shares and points, "money" for any 元, else the measure word
        without its magnitude (万人 -> 人), mapped through the file's unit classes (名 -> 人)."""
        if not unit:
            return ""
        if unit in self.unit_classes:
            return self.unit_classes[unit]
        if unit.endswith("元"):
            return "money"
        bare = unit.lstrip("万亿千")
        return self.unit_classes.get(bare, bare)

    def wanted_classes(self, units: tuple[str, ...]) -> frozenset[str]:
        """The unit classes a question's units accept: a bare count ("how many") accepts every class that counts, an
        area that names no unit every class of area."""
        wanted: set[str] = set()
        for u in units:
            if u in self.any_classes:
                wanted |= self.any_classes[u]
            elif c := self.unit_class(u):  # 多少万: a magnitude, no class
                wanted.add(c)
        return frozenset(wanted)

    def gloss(self, text: str) -> list[tuple[str, tuple[str, ...]]]:
        """(English phrase, Chinese terms) for every glossary phrase in ``text``, longest first, no overlaps."""
        t = gloss_form(text)
        out = []
        i = 0
        while i < len(t):  # as one alternation of every phrase would find them: leftmost, then on after each
            regex = None if i and t[i - 1] in _WORD_CHARS else self._glossary_at(t, i)  # a phrase starts a word
            m = regex.match(t, i) if regex is not None else None
            if m is None:
                i += 1
                continue
            key = " ".join(m.group().split())
            terms = self.glossary.get(key) or self.glossary.get(_singular(key, self.glossary))
            if terms:
                out.append((key, terms))
            i = m.end()
        return out


_COUNTY_END = re.compile("[县区旗]")  # what a county-level name ends with (qa/data/counties.txt)
_EN_COUNTY_END = {"County": "县", "District": "区", "Banner": "旗"}
# one to three capitalised words (Shapotou, Wan'an, Da Tong Hu), then, for an autonomous county, its people's words and
# Autonomous, then the capitalised kind, singular, not running into another word (District's is the kind)
_EN_NAME = r"(?!Autonomous[ -])[A-Z][a-z'\-]*[a-z]"
_EN_COUNTY = re.compile(rf"(?<![A-Za-z'\-])((?:{_EN_NAME}[ -]){{0,2}}{_EN_NAME})[ -]"
                        r"((?:[A-Z][a-z]+[ -]){0,2}Autonomous[ -])?(County|District|Banner)(?![a-z])")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")  # what no glossary phrase follows: (?<![a-z0-9])


def _start(text: str, i: int) -> str:
    """How ``text`` starts at ``i``: its two characters, a space for any whitespace (phrases match across any);
    one character at the end."""
    if i + 1 >= len(text):
        return text[i:]
    return text[i] + (" " if text[i + 1].isspace() else text[i + 1])


def _singular(key: str, table: dict) -> str:
    for suffix in ("es", "s"):
        if key.endswith(suffix) and key[: -len(suffix)] in table:
            return key[: -len(suffix)]
    return key


_GAP = re.compile(r"(?:(?<!\\)\.|\[\^[^\]]*\])(?:\{\d*,?\d*\}|[*+])\??")  # a cue's gap: .{0,12} [^，]{0,6}? .*


def _bad_pattern(where: str) -> Callable[[re.error], BqaError]:
    return lambda err: BqaError(f"qa/data/query_words.tsv: bad pattern in {where}: {err}")


def _compile(pattern: str, where: str) -> LazyRegex:
    """A pattern of the word list, compiled when first read (most questions read only some of them); a bad one is
    a one-line error naming the file."""
    return LazyRegex(pattern, on_error=_bad_pattern(where))


def _joined(patterns: list[Pattern], label: str) -> LazyRegex:
    """The lines of one label as one pattern, checked as that (when first read): two lines that are each bad may
    join into a good one, «(?:甲» and «乙)». tests/test_query.py compiles every line of the file on its own."""
    return _compile("|".join(p.regex.pattern for p in patterns if p.label == label) or r"(?!)", f"the {label} words")


_WORD_BEFORE, _WORD_AFTER = "(?<![a-z])", "(?![a-z])"  # an English phrase as a whole word


def _union(alternatives: list[str]) -> str:
    """``"|".join(alternatives)``, with each run of whole-word English phrases sharing one pair of word guards:
    ``(?<![a-z])(?:a|b)(?![a-z])`` matches as ``(?<![a-z])a(?![a-z])|(?<![a-z])b(?![a-z])`` does (the same
    alternatives in the same order), and compiles in a fraction of the time (≈ 580 guards fewer per process)."""
    out: list[str] = []
    run: list[str] = []
    for a in [*alternatives, ""]:
        guarded = a.startswith(_WORD_BEFORE) and a.endswith(_WORD_AFTER) and len(a) > len(_WORD_BEFORE + _WORD_AFTER)
        if guarded:
            run.append(a[len(_WORD_BEFORE):-len(_WORD_AFTER)])
            continue
        if run:
            out.append(f"{_WORD_BEFORE}(?:{'|'.join(run)}){_WORD_AFTER}" if len(run) > 1
                       else _WORD_BEFORE + run[0] + _WORD_AFTER)
            run = []
        if a:
            out.append(a)
    return "|".join(out)


_ENGLISH_BOUNDS = re.compile(r"^\(\?<!\[a-z\]\)\(\?:|\)\(\?!\[a-z\]\)$")
_REGEX_SYNTAX = re.compile(r"[\\()\[\]{}.*+?|^$]")
_PLURAL_AT_WORD_END = re.compile(r"\(\?:e\?s\)\?(?=$|[\s-])")


def _literal_forms(pattern: str) -> list[tuple[str, ...]] | None:
    """The plain forms a scope pattern matches, each as a sequence of characters (Chinese) or of words (English,
    plurals aside), or None when it holds other regex syntax."""
    out: list[tuple[str, ...]] = []
    for alternative in _alternatives(pattern):
        for form in _alternatives(_ENGLISH_BOUNDS.sub("", alternative)):
            form = _PLURAL_AT_WORD_END.sub("", form)  # a plural inside a word (fund(?:e?s)?预算) stays syntax
            if _REGEX_SYNTAX.search(form):
                return None
            out.append(tuple(re.split(r"[\s-]+", form)) if form.isascii() else tuple(form))
    return out


def _touch(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether one form holds the other or ends as the other begins."""
    if len(a) > len(b):
        a, b = b, a
    if any(b[i:i + len(a)] == a for i in range(len(b) - len(a) + 1)):
        return True
    return any(a[-k:] == b[:k] or b[-k:] == a[:k] for k in range(1, len(a)))


def _alternatives(phrases: str) -> list[str]:
    """Split "a|b|c(?:x|y)" at the top-level bars only."""
    if "(" not in phrases and ")" not in phrases:
        return phrases.split("|")  # no group: every bar is a top-level one (most rows; read at every start)
    return _split_top_level(phrases)


def _split_top_level(phrases: str) -> list[str]:
    """``_alternatives`` read character by character, keeping count of the groups open."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(phrases):
        if ch == "(" and (i == 0 or phrases[i - 1] != "\\"):
            depth += 1
        elif ch == ")" and (i == 0 or phrases[i - 1] != "\\"):
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(phrases[start:i])
            start = i + 1
    out.append(phrases[start:])
    return out


def _load() -> Lexicon:
    from qa.terms import stopwords

    groups: dict[str, list[Pattern]] = defaultdict(list)
    qualifiers = []
    unit_classes: dict[str, str] = {}
    any_classes: dict[str, set[str]] = {COUNT: set(), AREA: set()}
    cue_parts: list[str] = []
    break_words: list[str] = []
    break_joins: list[str] = []
    plain_words: dict[str, set[str]] = {"filler": set(), "particle": set()}  # rows of words, not patterns
    for line in _lines("query_words.tsv"):
        parts = line.split("\t")
        if len(parts) != 3 or not parts[2].strip():
            raise BqaError(f"qa/data/query_words.tsv: bad line {line!r}; expected category<TAB>label<TAB>phrases")
        category, label, phrases = parts
        if category == "unitclass":
            unit_classes.update((w, label) for w in phrases.split("|") if w)
            continue
        if category == "countclass":
            if label not in any_classes:
                raise BqaError(f"qa/data/query_words.tsv: bad line {line!r}; a countclass is {COUNT} or {AREA}")
            any_classes[label].update(w for w in phrases.split("|") if w)
            continue
        if category in plain_words:
            plain_words[category].update(w.strip() for w in normalize(phrases).split("|") if w.strip())
            continue
        if category == "span" and label in ("break", "break_joins"):
            (break_words if label == "break" else break_joins).extend(w for w in phrases.split("|") if w)
            continue
        alternatives = sorted((normalize(p) for p in _alternatives(phrases) if p), key=len, reverse=True)
        regex = _compile(_union(alternatives), repr(line))
        if category in ("intent", "operation"):  # a wildcard's words are the question's, not the cue's
            cue_parts += [_GAP.sub(lambda m: f"({m.group()})", a) for a in alternatives]
        if category == "qualifier":
            qualifiers.append(regex.pattern)
            continue
        groups[category].append(Pattern(label, regex))
    glossary: dict[str, list[str]] = {}
    for line in _lines("glossary_en_zh.tsv"):
        english, sep, chinese = line.partition("\t")
        if not sep or not english.strip() or not chinese.strip():
            raise BqaError(f"qa/data/glossary_en_zh.tsv: bad line {line!r}; expected 'english<TAB>中文 terms'")
        key = " ".join(re.sub(r"[-_]", " ", normalize(english)).split())
        glossary.setdefault(key, [])
        glossary[key] += [t for t in chinese.split() if t not in glossary[key]]
    short_forms: dict[str, tuple[str, ...]] = {}
    for line in _lines("abbreviations.tsv"):
        short, sep, fulls = line.partition("\t")
        forms = tuple(squash(f) for f in fulls.split("|") if f.strip())
        if not sep or not short.strip() or not forms:
            raise BqaError(f"qa/data/abbreviations.tsv: bad line {line!r}; expected 'short form<TAB>full form|…'")
        short_forms[squash(short)] = forms
    return Lexicon(
        intents=tuple(groups["intent"]), operations=tuple(groups["operation"]), periods=tuple(groups["period"]),
        scopes=tuple(groups["scope"]), roles=tuple(groups["role"]), units=tuple(groups["unit"]), forms=tuple(groups["form"]),
        counts=tuple(groups["count"]),
        table_cue=_joined(groups["source"], "table"),
        unit_classes=unit_classes, any_classes={k: frozenset(v) for k, v in any_classes.items()},
        polarity=tuple(groups["polarity"]),
        verdicts=tuple(groups["verdict"]),
        complement_leads=_joined(groups["lead"], "complement"), document_leads=_joined(groups["lead"], "document"),
        post_leads=_joined(groups["lead"], "post"),
        negation=_joined(groups["negation"], "any"), negated_act=_joined(groups["negation"], "act"),
        comparatives=tuple(groups["comparative"]), superlatives=tuple(groups["superlative"]),
        operand_cues={lang: _joined(groups["operand"], f"cue_{lang}") for lang in ("zh", "en")},
        operand_splits={lang: _joined(groups["operand"], f"split_{lang}") for lang in ("zh", "en")},
        operand_than=_joined(groups["operand"], "than_zh"), operand_than_tail=_joined(groups["operand"], "than_tail_zh"),
        operand_plan_words=_joined(groups["operand"], "plan_zh"),
        operand_rate_asked=_joined(groups["operand"], "rate_asked"),
        operand_joins=_joined(groups["operand"], "join_zh"), operand_joins_en=_joined(groups["operand"], "join_en"),
        operand_each_en=_joined(groups["operand"], "each_en"), rank_not=_joined(groups["operand"], "rank_not"),
        operand_unjoins=_joined(groups["operand"], "unjoin_zh"), operand_each=_joined(groups["operand"], "each_zh"),
        operand_each_after=_joined(groups["operand"], "each_after_zh"),
        operand_names=_joined(groups["operand"], "name_zh"),
        operand_base=_joined(groups["operand"], "base_zh"), operand_prior=_joined(groups["operand"], "prior_zh"),
        operand_hedge=_joined(groups["operand"], "hedge_zh"),
        org_suffix=_joined(groups["span"], "org_suffix"), break_words=tuple(break_words),
        break_joins=tuple(w for w in break_joins if w in break_words),
        qualifiers=_compile("|".join(qualifiers) or r"(?!)", "the qualifiers"),
        cues=_compile(_union(sorted(cue_parts, key=len, reverse=True)) or r"(?!)", "the intent and operation cues"),
        glossary={k: tuple(v) for k, v in glossary.items()}, short_forms=short_forms,
        heads=tuple(groups["head"]), changes=tuple(groups["change"]),
        head_words_en=tuple(Pattern(p.label, _compile(f"(?:{p.regex.pattern})$", f"the {p.label} head word"))
                            for p in groups["head_word"]),
        change_verbs=_joined(groups["span"], "change_verb"),
        place_not_after=_joined(groups["place"], "not_after"),
        # read back from the count: anchored at the end (\Z, not $, which also matches before a last line break)
        session_body=_compile(rf"(?:{_joined(groups['span'], 'session_body').pattern})\Z", "the session_body words"),
        session_end=_joined(groups["span"], "session_end"),
        ask_zh=_joined(groups["span"], "ask_zh"),
        report_asked=_joined(groups["report"], "asked"), report_kinds=tuple(groups["report_kind"]),
        fillers=frozenset(plain_words["filler"]), particles=frozenset(plain_words["particle"]),
        english_stop=frozenset(w for w in stopwords() if w.isascii()) | plain_words["filler"],
        head_ends={p.label: _compile(f"(?:{p.regex.pattern})$", f"the {p.label} endings") for p in groups["head_end"]},
    )

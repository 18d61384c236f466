"""Question analysis: what kind of answer is asked for, and which terms, years, periods and scopes
the answer has to be about.

English questions are glossed into the bulletin's Chinese vocabulary so that the same span scorer
serves both languages.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

QuestionKind = Literal["number", "entity", "date", "yes_no", "list", "text"]
Measure = Literal["count", "amount", "ratio", "rank"]

_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class QuestionInfo:
    question: str
    kind: QuestionKind
    lang: Literal["zh", "en"]
    terms: tuple[str, ...]  # Chinese content terms (English questions: their glosses); no years
    years: tuple[int, ...] = ()
    periods: tuple[str, ...] = ()  # canonical labels, see PERIODS
    scopes: tuple[str, ...] = ()  # canonical labels, see SCOPE_FAMILIES
    measure: Measure | None = None  # for kind == "number": count / amount / ratio / rank
    units: tuple[str, ...] = ()  # unit words the answer should carry (人, 件, 亿元, % …)
    anchors: tuple[str, ...] = ()  # names of people or districts the answer must be about
    action: str | None = None  # 任命 / 免去 when the question is about one of them
    counter: str = ""  # the measure words asked for after 多少/几 (艘次, 个部门, 张养老床位)
    person: bool = False  # an entity question asking for a person (谁, who), not a thing
    single_day: bool = False  # a date question asking for one day (哪一天), not a period
    change: bool = False  # asks for a before and an after figure (由多少调整为多少, 从多少升到了多少)
    topic: str = ""  # what the question is about, for the abstention message
    joined: tuple[str, ...] = ()  # terms rebuilt from single characters (网办率): too unsure to demand


# --- periods ------------------------------------------------------------------------------------
# canonical label -> pattern matching it in bulletin text or questions (Chinese and English)
PERIODS: dict[str, re.Pattern[str]] = {
    "上半年": re.compile(r"上半年|1\s*[—\-–~至到]\s*6\s*月|first half|\bH1\b|six months", re.I),
    "下半年": re.compile(r"下半年|7\s*[—\-–~至到]\s*12\s*月|second half|\bH2\b", re.I),
    "一季度": re.compile(r"(?<!前)(?:第)?一季度|1\s*[—\-–~至到]\s*3\s*月|first quarter|\bQ1\b", re.I),
    "二季度": re.compile(r"(?:第)?二季度|second quarter|\bQ2\b", re.I),
    "前三季度": re.compile(r"前三季度|1\s*[—\-–~至到]\s*9\s*月|first three quarters", re.I),
    "三季度": re.compile(r"(?<!前)(?:第)?三季度|third quarter|\bQ3\b", re.I),
    "四季度": re.compile(r"(?:第)?四季度|fourth quarter|\bQ4\b", re.I),
    "年末": re.compile(r"年末|年底|年终|end of (?:the )?(?:year|\d{4})|year[- ]end", re.I),
    "年初": re.compile(r"年初|beginning of (?:the )?(?:year|\d{4})|start of (?:the )?year", re.I),
    "全年": re.compile(r"全年|full[- ]year|whole year|annual|for the year", re.I),
}

# --- scopes -------------------------------------------------------------------------------------
# Each family lists mutually exclusive readings; a candidate whose near context names another
# member of a family the question chose is about something else.
SCOPE_FAMILIES: dict[str, dict[str, re.Pattern[str]]] = {
    "debt": {
        "一般债务": re.compile(r"一般债务|一般债券|general debt|general[- ]purpose bond", re.I),
        "专项债务": re.compile(r"专项债务|专项债券|special debt|special[- ]purpose bond", re.I),
        "合计": re.compile(r"合计|总计|共计|\btotal\b|in total|overall", re.I),
    },
    "book": {
        "一般公共预算": re.compile(r"一般公共预算|general public budget", re.I),
        "政府性基金预算": re.compile(r"政府性基金|government(?:al)? fund", re.I),
        "国有资本经营预算": re.compile(r"国有资本经营|state[- ]owned capital", re.I),
    },
    "stage": {
        "决算": re.compile(r"决算|final accounts?", re.I),
        "执行": re.compile(r"执行数|执行情况|预算执行|执行进度|\bexecution\b|\bexecuted\b", re.I),
        "预算": re.compile(r"年初预算|预算数|调整预算|budgeted|\bbudget (?:figure|amount)\b", re.I),
    },
    "flow": {
        "收入": re.compile(r"收入|\brevenues?\b|\bincome\b", re.I),
        "支出": re.compile(r"支出|\bexpenditures?\b|\bspending\b", re.I),
    },
    "measure": {
        "限额": re.compile(r"限额|\blimit\b|\bceiling\b", re.I),
        "余额": re.compile(r"余额|\bbalance\b|outstanding", re.I),
    },
    "unit": {
        "全区": re.compile(r"全区|whole district|district-wide", re.I),
        "区属": re.compile(r"区属|区级|district-level|district-owned", re.I),
        "区管国企": re.compile(r"区管国企|区属国企|国有企业|国企|state-owned enterprises?|\bSOEs?\b", re.I),
    },
    "plan": {
        "计划": re.compile(r"计划目标|全年计划|目标|\btarget\b|\bplann?ed\b|\bgoal\b", re.I),
        "完成": re.compile(r"完成情况|完成数|实际完成|\bachieved\b|\bactual\b|completed", re.I),
    },
}

_YEAR_ZH = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
_YEAR_ANY = re.compile(r"(?<![\d.])((?:19|20)\d{2})(?![\d.])")

# --- kind detection (checked in order) -----------------------------------------------------------
_KIND_ZH: tuple[tuple[QuestionKind, re.Pattern[str]], ...] = (
    ("date", re.compile(r"何时|哪天|哪一天|什么时候|什么时间|几月几日|几号|哪年|哪一年|日期|时间是|何日")),
    ("yes_no", re.compile(r"是否|有没有|有无|是不是|能否|可否|吗[？?]?$")),
    ("list", re.compile(r"哪些|有哪几|哪几[个位项家名类]|分别是|包括什么|包括哪|哪[两二三四五六七八九十]|哪“")),
    (
        "entity",
        re.compile(r"谁|哪位|何人|什么人|哪个人|姓名|名字|什么职务|何职|担任什么|哪个部门|哪个单位|哪家"),
    ),
    (
        "number",
        re.compile(
            r"多少|百分之几|几[个位项家名人件户次场处类批条所座台套辆张艘幅证倍成]|多大|多高|多长|多少钱|比例|比重|占比|[^效]率|增长|增速|增幅|"
            r"降幅|下降|上升|提高|规模|金额|总额|数量|人数|几成|排名|第几|得分|评分|限额|余额"
        ),
    ),
    # a thing named in the text (a list, a platform, a road, a grade): answered by a phrase
    ("entity", re.compile(r"叫什么|是什么|什么|哪个|哪家|哪条|哪里|在哪|哪次|哪一|哪项|哪部")),
)
_SINGLE_DAY = re.compile(r"哪天|哪一天|几月几日|几号|何日|what day|which day|what date|which date", re.I)
_CHANGE_ZH = re.compile(r"调整|调增|调减|[升降增减提扩缩]|变[为成化]")
_PERSON_ZH = re.compile(r"谁|哪位|何人|什么人|哪个人|姓名")
_DOC_NUMBER_EN = re.compile(r"document number|file number|reference number", re.I)
_PERSON_EN = re.compile(r"\bwho\b|\bwhom\b|\bwhose\b|which person", re.I)
_KIND_EN: tuple[tuple[QuestionKind, re.Pattern[str]], ...] = (
    (
        "date",
        re.compile(r"\bwhen\b|what date|which date|what day|which day|what time|what year|which year", re.I),
    ),
    ("yes_no", re.compile(r"^(?:is|are|was|were|did|does|do|has|have|had|can|will)\b|\bwhether\b", re.I)),
    (
        "list",
        re.compile(
            r"\bwhich (?:\w+ )?(?:people|persons|officials|items|measures|projects|ones)\b|\bwho were\b|"
            r"\blist\b|\bwhat are the\b",
            re.I,
        ),
    ),
    (
        "entity",
        re.compile(
            r"\bwho\b|\bwhom\b|\bwhose\b|which person|what (?:position|post|title)|\bname of\b|"
            r"'s (?:position|post|title|job|role)\b",
            re.I,
        ),
    ),
    (
        "number",
        re.compile(
            r"how (?:many|much|large|big|high)|what (?:percentage|percent|share|proportion|rate|ratio|"
            r"number|amount|total|score|rank)|\bgrowth\b|\brate\b|\blimit\b|\bbalance\b|\branked?\b",
            re.I,
        ),
    ),
)

# unit words asked for -> the unit family an answer must carry
_UNIT_ASKED_ZH = re.compile(
    r"(?:多少|几)\s*(万亿元|亿元|万元|元|万平方米|平方米|公顷|万人次|人次|万人|人|名|件|个百分点|个|家|户|台|"
    r"套|辆|项|起|次|场|所|条|处|座|位|分|倍|吨|公里)"
)
_COUNTER_ZH = re.compile(r"(?:多少|几)\s*([\u4e00-\u9fff]{1,5})")
_COUNTER_SKIP = re.compile(r"^(?:钱|年|月|日|天|时|号|岁数)")
_RATIO_ZH = re.compile(
    r"比例|比重|占比|百分之|百分比|[^效]率|增长|增速|增幅|降幅|下降|上升|提高|降低|同比|环比"
)
_AMOUNT_ZH = re.compile(r"多少钱|金额|总额|资金|经费|投入|收入|支出|限额|余额|规模|债务|预算|决算|亿元|万元")
_RANK_ZH = re.compile(r"排名|第几|位列|名次")
_ORDINAL_ASKED_ZH = re.compile(r"第几")
_SINGLE_DAY_ONLY = re.compile(r"几月|哪天|哪一天|何日")
_COMPARE_ZH = re.compile(r"高出|超过|超出|快于|慢于|低于|高于")
_PROGRESS_ZH = re.compile(r"进度|增速|增幅|降幅|[^效]率|比重|占比")
_UNIT_ASKED_EN: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (
        re.compile(
            r"how many (?:\w+ )?(?:people|persons|individuals|officials|cadres|talents?)\b|how many were",
            re.I,
        ),
        ("人", "名", "人次"),
    ),
    (
        re.compile(
            r"how many (?:\w+ )?(?:cases|leads|clues|complaints|requests|calls|tickets|items|matters)\b", re.I
        ),
        ("件", "起", "人"),
    ),
    (
        re.compile(r"how many (?:\w+ )?(?:companies|enterprises|firms|businesses|institutions)\b", re.I),
        ("家", "个"),
    ),
    (re.compile(r"how many (?:\w+ )?households\b", re.I), ("户",)),
    (re.compile(r"how many (?:\w+ )?(?:projects|measures|systems|rules)\b", re.I), ("个", "项")),
    (re.compile(r"percentage points?", re.I), ("个百分点",)),
    (re.compile(r"hectares?", re.I), ("公顷",)),
    (re.compile(r"square met(?:re|er)s?", re.I), ("万平方米", "平方米")),
)
_RATIO_EN = re.compile(
    r"percent|percentage|share|proportion|\brate\b|\bratio\b|growth|grow|increase|decrease|"
    r"decline|drop|rise",
    re.I,
)
_AMOUNT_EN = re.compile(
    r"how much|amount|yuan|\brmb\b|billion|million|budget|revenue|expenditure|spending|"
    r"\bdebt\b|\blimit\b|\bbalance\b|funds?\b|investment",
    re.I,
)
_RANK_EN = re.compile(r"\brank(?:ed|ing)?\b|\bplace\b|\bposition in\b", re.I)

COUNT_UNITS = (
    "人",
    "名",
    "人次",
    "件",
    "个",
    "家",
    "户",
    "台",
    "套",
    "辆",
    "项",
    "起",
    "次",
    "场",
    "所",
    "条",
    "处",
    "座",
)
RATIO_UNITS = ("%", "％", "个百分点", "‰", "倍")
AMOUNT_UNITS = ("万亿元", "亿元", "万元", "元")
RANK_UNITS = ("位", "名")

# --- terms --------------------------------------------------------------------------------------
_STOP = frozenset(
    [
        "多少",
        "几",
        "几个",
        "什么",
        "哪些",
        "哪个",
        "哪位",
        "哪天",
        "哪一天",
        "何时",
        "时候",
        "什么时候",
        "是否",
        "有没有",
        "时间段",
        "百分之",
        "百分比",
        "名字",
        "一天",
        "一年",
        "没有",
        "有无",
        "能否",
        "可否",
        "最终",
        "是不是",
        "谁",
        "的",
        "了",
        "是",
        "为",
        "在",
        "被",
        "和",
        "与",
        "及",
        "对",
        "将",
        "把",
        "有",
        "吗",
        "呢",
        "啊",
        "请问",
        "请",
        "一下",
        "多大",
        "多高",
        "如何",
        "怎样",
        "怎么",
        "情况",
        "其中",
        "哪",
        "为什么",
        "分别",
        "共",
        "一共",
        "总共",
        "到底",
        "目前",
        "当前",
        "现在",
        "时间",
        "日期",
        "何",
        "其",
        "该",
        "这",
        "那",
        "这个",
        "那个",
        "达到",
        "达",
        "约",
        "大约",
        "今年",
        "去年",
        "同志",
        "问",
        "回答",
        "告诉",
        "我",
    ]
)
# terms that carry little information in these bulletins; weighted down when scoring
GENERIC_TERMS = frozenset(
    [
        "本区",
        "全区",
        "区",
        "虹口",
        "虹口区",
        "区级",
        "工作",
        "问题",
        "情况",
        "报告",
        "推进",
        "开展",
        "加强",
        "进一步",
        "相关",
        "有关",
        "方面",
        "主要",
        "全市",
        "上海市",
        "上海",
        "年",
        "年度",
        "同比",
        "数",
        "完成",
        "实现",
        "新增",
        "累计",
    ]
)

# English phrase -> Chinese bulletin vocabulary (longest phrases first at match time)
# fmt: off
_GLOSSARY: dict[str, tuple[str, ...]] = {
    "placed under detention": ("留置",), "detention": ("留置",), "detained": ("留置",), "detain": ("留置",),
    "liuzhi": ("留置",), "case filing": ("立案",), "cases filed": ("立案",), "filed": ("立案",),
    "placed on file": ("立案",), "investigated": ("立案",), "concluded": ("结案",), "closed cases": ("结案",),
    "clues": ("问题线索",), "leads": ("问题线索",), "disciplinary": ("处分",), "sanctions": ("处分",),
    "punished": ("处分",), "procuratorate": ("移送检察机关",), "prosecutors": ("移送检察机关",),
    "supervisory commission": ("监委",), "supervision commission": ("监委",), "corruption": ("腐败",),
    "debt limit": ("债务限额",), "debt ceiling": ("债务限额",), "debt balance": ("债务余额",),
    "outstanding debt": ("债务余额",), "government debt": ("政府债务",), "local government": ("地方政府",),
    "debt": ("债务",), "bonds": ("债券",), "bond": ("债券",), "refinancing": ("再融资",),
    "general debt": ("一般债务",), "special debt": ("专项债务",), "special-purpose": ("专项",),
    "gdp": ("地区生产总值",), "gross domestic product": ("地区生产总值",), "regional gdp": ("地区生产总值",),
    "general public budget": ("一般公共预算",), "government fund": ("政府性基金",), "state-owned capital": ("国有资本经营",),
    "revenue": ("收入",), "revenues": ("收入",), "income": ("收入",), "expenditure": ("支出",), "spending": ("支出",),
    "final accounts": ("决算",), "final account": ("决算",), "budget": ("预算",), "budget adjustment": ("预算调整",),
    "audit": ("审计",), "rectification": ("整改",), "state-owned assets": ("国有资产",), "natural resources": ("自然资源",),
    "hotline": ("热线",), "12345": ("12345",), "complaints": ("诉求",), "requests": ("诉求",), "calls": ("来电",),
    "accepted": ("受理",), "valid": ("有效受理",), "satisfaction": ("满意",), "satisfaction score": ("满意度评分",),
    "satisfaction rate": ("满意率",), "resolution rate": ("解决率",), "first contact": ("先行联系",),
    "assessment score": ("考核得分",), "score": ("得分",), "ranking": ("排名",), "rank": ("排名",), "ranked": ("排名",),
    "appointed": ("任命",), "appoint": ("任命",), "appointment": ("任命",), "removed": ("免去",),
    "dismissed": ("免去",), "relieved": ("免去",), "removal": ("免去",), "resigned": ("辞去",), "resignation": ("辞去",),
    "deputy district mayor": ("副区长",), "vice district mayor": ("副区长",), "district mayor": ("区长",),
    "deputy director": ("副主任",), "director": ("主任",), "bureau chief": ("局长",), "head of the bureau": ("局长",),
    "planning and natural resources": ("规划和自然资源局",), "construction and management": ("建设和管理委员会",),
    "judge": ("审判",), "court": ("法院",), "people's assessor": ("人民陪审员",), "juror": ("人民陪审员",),
    "session": ("会议",), "meeting": ("会议",), "convened": ("召开",), "convene": ("召开",), "held": ("召开",),
    "opened": ("开幕",), "closed": ("闭幕",), "eighth": ("八次",), "8th": ("八次",), "seventeenth": ("十七届",),
    "17th": ("十七届",), "people's congress": ("人民代表大会",), "standing committee": ("常务委员会",),
    "deputy": ("代表",), "deputies": ("代表",), "agenda": ("议程",), "approved": ("批准",), "approve": ("批准",),
    "target": ("目标",), "plan": ("计划",), "planned": ("计划",), "achieved": ("完成",), "completed": ("完成",),
    "shipping": ("航运",), "shipping service": ("航运服务",), "financial": ("金融",), "finance": ("金融",),
    "asset management": ("资产管理",), "headquarters": ("总部",), "high-tech enterprises": ("高新技术企业",),
    "high-tech": ("高新技术",), "talent": ("人才",), "talents": ("人才",), "fixed asset investment": ("固定资产投资",),
    "fixed-asset investment": ("固定资产投资",), "retail sales": ("社会消费品零售总额",), "consumer goods": ("消费品",),
    "tax": ("税收",), "modern service": ("现代服务业",), "green space": ("绿地",), "green land": ("绿地",),
    "greenery": ("绿地",), "garbage": ("生活垃圾",), "waste": ("生活垃圾",), "recycling": ("回收利用",),
    "pm2.5": ("PM2.5",), "air": ("大气",), "water": ("水体",), "energy consumption": ("能耗",), "carbon": ("二氧化碳",),
    "housing": ("房屋",), "expropriation": ("房屋征收",), "urban renewal": ("城市更新",), "old housing": ("两旧",),
    "renovation": ("改造",), "elevator": ("电梯",), "elevators": ("电梯",), "floor area": ("建筑体量",),
    "major projects": ("重大工程",), "major project": ("重大工程",), "investment": ("投资",),
    "enterprises": ("企业",), "companies": ("企业",), "new": ("新增",), "newly": ("新增",), "added": ("新增",),
    "growth": ("增长",), "increase": ("增长",), "decrease": ("下降",), "decline": ("下降",), "fell": ("下降",),
    "people's livelihood": ("民生",), "livelihood": ("民生",), "education": ("教育",), "health": ("卫生健康",),
    "north bund": ("北外滩",), "safety": ("安全",), "accident": ("事故",), "disputes": ("矛盾纠纷",),
    "petition": ("信访",), "grid": ("网格",), "elderly": ("养老",), "schools": ("学校",), "school": ("学校",),
    "deadline": ("完成时限",), "finance bureau": ("财政局",), "audit bureau": ("审计局",),
    "data bureau": ("数据局",), "development and reform": ("发展和改革委员会",), "accept": ("受理",),
    "feasible": ("可行",), "feasibility": ("可行",), "civil affairs": ("民政",), "foreign trade": ("外贸",),
    "import and export": ("进出口",), "imports": ("进口",), "exports": ("出口",), "handled": ("办理",), "handle": ("处置",), "procedures": ("制度",), "systems": ("制度",),
}
_DISTRICTS_EN: dict[str, str] = {
    "huangpu": "黄浦区", "xuhui": "徐汇区", "changning": "长宁区", "jing'an": "静安区", "jingan": "静安区",
    "putuo": "普陀区", "hongkou": "虹口区", "yangpu": "杨浦区", "minhang": "闵行区", "baoshan": "宝山区",
    "jiading": "嘉定区", "pudong": "浦东新区", "jinshan": "金山区", "songjiang": "松江区", "qingpu": "青浦区",
    "fengxian": "奉贤区", "chongming": "崇明区",
}
# fmt: on
_GLOSS_RE = re.compile(
    r"(?<![a-z])(" + "|".join(re.escape(k) for k in sorted(_GLOSSARY, key=len, reverse=True)) + r")(?![a-z])",
    re.I,
)
_DISTRICT_EN_RE = re.compile(r"\b(" + "|".join(re.escape(k) for k in _DISTRICTS_EN) + r")\b", re.I)
_DISTRICT_ZH = re.compile(
    r"(黄浦|徐汇|长宁|静安|普陀|虹口|杨浦|闵行|宝山|嘉定|浦东新|浦东|金山|松江|青浦|奉贤|崇明)区"
)
_NAME_EN = re.compile(r"\b([A-Z][a-z]+ [A-Z][a-z]+(?: [A-Z][a-z]+)?)\b")
# one or two pinyin syllables: Xuan, Yizhou, Huang (Management, Natural and Block are no names)
_PINYIN_WORD = re.compile(
    r"(?:(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?(?:[aeiouv]{1,3})(?:ng|n|r)?){1,2}", re.I
)

_ACTION_ZH = (
    ("免去", re.compile(r"免去|免职|被免|撤销|不再担任")),
    ("任命", re.compile(r"任命|任职|被任|担任")),
)
_ACTION_EN = (
    ("免去", re.compile(r"removed|dismissed|relieved|removal", re.I)),
    ("任命", re.compile(r"appoint", re.I)),
)

_TOPIC_TRIM = re.compile(
    r"(?:请问|是多少|有多少|为多少|多少|是什么|是几|有哪些|哪些|是谁|谁|是否|有没有|什么时候|何时|哪天|吗|呢|"
    r"[？?。！!]|了)+"
)


@functools.cache
def _tokenizer() -> Callable[[str], list[str]]:
    """The project's domain tokenizer when present (``qa.terms.tokenize``), else jieba."""
    try:
        from qa.terms import tokenize
    except ImportError:
        import jieba

        return jieba.lcut
    return tokenize


@functools.cache
def _quiet_jieba() -> None:
    """jieba's global segmenter logs its dictionary loading at INFO on first use; keep stderr clean."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)


def _person_names(question: str) -> tuple[str, ...]:
    import jieba.posseg as pseg

    _quiet_jieba()

    return tuple(p.word for p in pseg.lcut(question) if p.flag == "nr" and len(p.word) >= 2)


def _is_cjk(text: str) -> bool:
    cjk = len(_CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return cjk > 0 and cjk * 2 >= latin


def _dedupe(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


_NUMBERISH_EN = re.compile(
    r"\b(?:score|number|amount|total|rate|percentage|share|limit|balance|revenue|expenditure|spending|"
    r"investment|growth|ratio|count|figure|gdp|value|volume|size)\b",
    re.I,
)


def _kind(question: str, lang: str) -> QuestionKind:
    if lang == "en" and _DOC_NUMBER_EN.search(question):
        return "entity"
    if lang == "zh" and _ORDINAL_ASKED_ZH.search(question) and not _SINGLE_DAY_ONLY.search(question):
        return "number"  # 第几号文件, 第几届: an ordinal, not a day of the month
    for kind, pattern in _KIND_ZH if lang == "zh" else _KIND_EN:
        if pattern.search(question):
            return kind
    if lang == "en" and _NUMBERISH_EN.search(question):
        return "number"
    return "text"


def _measure_and_units(question: str, lang: str) -> tuple[Measure | None, tuple[str, ...]]:
    if lang == "zh":
        if _ORDINAL_ASKED_ZH.search(question):
            return "rank", RANK_UNITS  # 排第几名 asks a rank, not a head count
        if _COMPARE_ZH.search(question) and _PROGRESS_ZH.search(question) and not _UNIT_ASKED_ZH.search(question):
            return "ratio", RATIO_UNITS  # 进度超过时间进度多少: a gap of percentage points
        m = _UNIT_ASKED_ZH.search(question)
        if m:
            unit = m.group(1)
            if unit in RATIO_UNITS:
                return "ratio", (unit, "%", "％")
            if unit.endswith("元"):
                return "amount", AMOUNT_UNITS
            if unit in ("人", "名"):
                return "count", ("人", "名", "人次", "万人", "万人次")
            return "count", (unit,)
        if _RANK_ZH.search(question):
            return "rank", RANK_UNITS
        if _RATIO_ZH.search(question):
            return "ratio", RATIO_UNITS
        if _AMOUNT_ZH.search(question):
            return "amount", AMOUNT_UNITS
        return None, ()
    for pattern, units in _UNIT_ASKED_EN:
        if pattern.search(question):
            return ("ratio" if units[0] == "个百分点" else "count"), units
    if _RANK_EN.search(question):
        return "rank", RANK_UNITS
    if _RATIO_EN.search(question):
        return "ratio", RATIO_UNITS
    if _AMOUNT_EN.search(question):
        return "amount", AMOUNT_UNITS
    return None, ()


def _keep_term(token: str) -> bool:
    if not token or token in _STOP or re.fullmatch(r"[\W_]+", token):
        return False
    if re.search(r"几|哪|多少|什么|怎么", token) or re.fullmatch(r"[两二三四五六七八九十]+[个位项家名部类处条种所]", token):  # the question word itself (几处, 哪两个) is no content
        return False
    if re.search(r"\d", token):  # figures and years are matched as numbers/years, not as terms
        return token.isdigit() and len(token) >= 3 and not _YEAR_ANY.fullmatch(token)
    return len(token) >= 2


def _zh_terms(question: str) -> list[str]:
    tokens = [tok.strip() for tok in _tokenizer()(question)]
    return [t for t in tokens if _keep_term(t)] + [r for r in _single_char_runs(question, tokens) if _keep_term(r)]


def _single_char_runs(question: str, tokens: list[str]) -> list[str]:
    """Words the tokenizer does not know come out one character at a time (网 办 率): join the
    adjacent single Chinese characters back into one term (网办率)."""
    runs: list[str] = []
    run, end, cursor = "", -1, 0
    for tok in tokens:
        at = question.find(tok, cursor) if tok else -1
        if at < 0:
            continue
        cursor = at + len(tok)
        if len(tok) == 1 and _CJK.match(tok) and tok not in _STOP:
            run = run + tok if at == end else tok
            end = cursor
            continue
        runs.append(run)
        run, end = "", -1
    runs.append(run)
    return [r for r in runs if len(r) >= 3]  # two loose characters are mostly a verb and a particle


def _en_terms(question: str) -> list[str]:
    terms = [zh for m in _GLOSS_RE.finditer(question) for zh in _GLOSSARY[m.group(1).lower()]]
    expanded = _expand_query(question)
    han = "".join(ch if _CJK.match(ch) else " " for ch in expanded)
    terms += _zh_terms(han) if han.strip() else []
    terms += re.findall(r"(?<![\d.])(?!(?:19|20)\d{2}\b)\d{3,}(?![\d.])", question)  # e.g. 12345
    return terms


@functools.cache
def _expander() -> Callable[[str], str] | None:
    try:
        from qa.terms import expand_query
    except ImportError:
        return None
    return expand_query


def _expand_query(question: str) -> str:
    """Chinese glosses of the project's glossary (``qa.terms.expand_query``), when present."""
    expand = _expander()
    return expand(question) if expand else question


@functools.lru_cache(maxsize=1024)
def gloss_groups(question: str) -> tuple[tuple[str, ...], ...]:
    """The Chinese glosses of each English phrase of ``question`` (foreign trade -> 外贸), one group
    per phrase: a phrase is found when any one of its glosses is."""
    words = re.findall(r"[A-Za-z][A-Za-z'.-]*|\d+", question)
    memo: dict[tuple[int, int], frozenset[str]] = {}

    def glosses(i: int, j: int) -> frozenset[str]:
        if (i, j) not in memo:
            phrase = " ".join(words[i:j])
            found = {zh for m in _GLOSS_RE.finditer(phrase) for zh in _GLOSSARY[m.group(1).lower()]}
            found |= set(_expand_query(phrase)[len(phrase) :].split())
            memo[i, j] = frozenset(t for t in found if _CJK.search(t))
        return memo[i, j]

    groups: list[tuple[str, ...]] = []
    covered: set[int] = set()
    for n in (4, 3, 2, 1):
        for i in range(len(words) - n + 1):
            if covered & set(range(i, i + n)):
                continue
            own = glosses(i, i + n) - (glosses(i, i + n - 1) | glosses(i + 1, i + n) if n > 1 else frozenset())
            if own:
                groups.append(tuple(sorted(own)))
                covered |= set(range(i, i + n))
    return tuple(groups)


def _topic(question: str, lang: str) -> str:
    if lang == "en":
        return question.strip().rstrip("?？. ")
    topic = _TOPIC_TRIM.sub("", question).strip()
    return topic or question.strip()


def analyze_question(question: str) -> QuestionInfo:
    """Classify ``question`` and pull out what its answer must be about."""
    return _analyze(question.strip())


@functools.lru_cache(maxsize=1024)
def _analyze(question: str) -> QuestionInfo:
    lang: Literal["zh", "en"] = "zh" if _is_cjk(question) else "en"
    kind = _kind(question, lang)
    measure, units = _measure_and_units(question, lang) if kind == "number" else (None, ())
    years = _dedupe([m.group(1) for m in (_YEAR_ZH if lang == "zh" else _YEAR_ANY).finditer(question)])
    if lang == "zh" and not years:
        years = _dedupe([m.group(1) for m in _YEAR_ANY.finditer(question)])
    periods = tuple(label for label, pattern in PERIODS.items() if pattern.search(question))
    scopes = tuple(
        label
        for family in SCOPE_FAMILIES.values()
        for label, pattern in family.items()
        if pattern.search(question)
    )
    terms = _zh_terms(question) if lang == "zh" else _en_terms(question)
    if lang == "zh":
        anchors = [m.group(0) for m in _DISTRICT_ZH.finditer(question)] + list(_person_names(question))
    else:
        anchors = [_DISTRICTS_EN[m.group(1).lower()] for m in _DISTRICT_EN_RE.finditer(question)]
        anchors += [
            n for n in _NAME_EN.findall(question)
            if not _GLOSS_RE.fullmatch(n) and all(_PINYIN_WORD.fullmatch(w) for w in n.split())
        ]
    # districts and names count through the anchor check, not the term overlap
    terms = [t for t in terms if t not in anchors and not any(t in a for a in anchors if len(t) >= 2)]
    action = None
    for label, pattern in _ACTION_ZH if lang == "zh" else _ACTION_EN:
        if pattern.search(question):
            action = label
            break
    counter = ""
    if lang == "zh" and kind == "number":
        m = _COUNTER_ZH.search(question)
        if m and not _COUNTER_SKIP.match(m.group(1)):
            counter = m.group(1)
    person = kind in ("entity", "list") and bool((_PERSON_ZH if lang == "zh" else _PERSON_EN).search(question))
    single_day = kind == "date" and bool(_SINGLE_DAY.search(question))
    change = kind == "number" and len(re.findall(r"多少|几", question)) >= 2 and bool(_CHANGE_ZH.search(question))
    return QuestionInfo(
        question=question,
        change=change,
        single_day=single_day,
        counter=counter,
        person=person,
        kind=kind,
        lang=lang,
        terms=_dedupe(terms),
        years=tuple(int(y) for y in years),
        periods=periods,
        scopes=scopes,
        measure=measure,
        units=units,
        anchors=_dedupe(anchors),
        action=action,
        topic=_topic(question, lang),
        joined=tuple(_single_char_runs(question, [t.strip() for t in _tokenizer()(question)])) if lang == "zh" else (),
    )

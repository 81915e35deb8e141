"""Full-scale benchmark data: customers, one dossier each, documents, and the search index.

Builds the data set into the database the usual settings name (DANGAN_DATA_DIR for the
SQLite file, or DANGAN_DATABASE_URL=postgres://...). The data dir also holds the keys
(secrets.json) the ID numbers are encrypted and hashed with, so serve and measure with
the same DANGAN_DATA_DIR.

    DANGAN_DATA_DIR=/work/benchdata/sqlite .venv/bin/python benchmarks/generate.py \
        [--customers 1000000] [--documents-per-dossier 10] [--text-every 10] [--seed 2026]

The services (customer_create, dossier_create, document_add) manage about 150 rows/s,
far too slow for a million customers, so rows are written in bulk (executemany on
SQLite, COPY on PostgreSQL) - but with exactly the columns the services write: the ID
number Fernet-encrypted with its three HMAC lookup hashes (customers/services.py
_set_identity, _check_identity_unique), birth date and gender derived from it, custom
fields normalised by the archive type's schema (clean_custom_fields), archive numbers
made by the type's numbering rule with the counters (NumberSequence) left where later
service-created dossiers continue, the business keys the type declares (DossierKey: VIN,
building + entrance + unit, member number; archives/keys.py key_values, as claim writes
them), and search-index rows built by the production row functions of
search/services.py. Not written: audit entries for the creations, scans (Document rows
need no attachment), related persons.

Work is committed in chunks (customers with their dossiers, documents and index rows in
one transaction), so an interrupted run continues where it stopped when started again
with the same arguments (--customers may grow). Values that must be unique (ID numbers,
mobiles, credit codes, VINs, member numbers, a property's home) are unique by construction:
an affine permutation of the customer's index (the home: the index itself, building by
building), so no run needs to remember what earlier ones drew.

At the end a probe (sample query values for benchmarks/search_latency.py) is written to
the data dir: bench_probe.json (SQLite) or bench_probe_pg_<db>.json.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import itertools
import json
import math
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchcommon import ROOT, database_label, probe_path, setup_django

sys.path.insert(0, str(ROOT))
from dangan.demo_words import CAR_MODELS, COLORS, COMPOUNDS, SCALES, TRADES

BENCH_PASSWORD = "Bench-2026!"  # noqa: S105 - a throw-away benchmark login
ARCHIVIST = "bench"
# (username, department, full name): account managers (scope: own customers).
MANAGERS = (
    ("am01", "销售一部", "王磊"),
    ("am02", "销售一部", "陈静"),
    ("am03", "销售一部", "刘洋"),
    ("am04", "销售二部", "赵敏"),
    ("am05", "销售二部", "孙浩"),
    ("am06", "销售二部", "周婷"),
    ("am07", "物业服务中心", "吴刚"),
    ("am08", "物业服务中心", "郑丽"),
)
# Archive types and how often a customer's dossier is of each.
TYPE_WEIGHTS = {
    "RE-SALE": 20,
    "PROPERTY": 18,
    "CAR-SALE": 18,
    "CAR-SERVICE": 14,
    "HOTEL-GUEST": 12,
    "MEMBER": 12,
    "ENT-CREDIT": 6,
}
START_DATE = datetime.date(2016, 1, 1)  # the archive's first customer

# --- Names ---------------------------------------------------------------------------

# Common surnames first, weighted roughly by how common they are.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史"
)
SURNAME_CUM_WEIGHTS = list(
    itertools.accumulate(
        max(60 - 2 * i, 4) if i < 10 else max(24 - i // 3, 2) for i in range(len(SURNAMES))
    )
)
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方")
# Single-character given names that make the famous duplicates (张伟, 王芳, 李娜 ...).
COMMON_SINGLE = {
    "male": "伟强磊军勇杰涛斌超明刚辉鹏飞波峰亮平健林",
    "female": "芳娜敏静丽艳娟霞玲婷雪慧颖琳洁燕红英萍丹",
}
GIVEN_CHARS = {
    "male": "建国志明海俊文博子豪浩然宇航家国栋振华晓东永刚立新德一鸣天嘉佳鑫磊"
    "辉成康宏毅伟强军勇杰涛斌超刚鹏飞波峰亮平健林晨阳凯瑞泽宁远",
    "female": "秀英兰桂丽娟晓燕海美玲佳怡雨涵欣梓思琪雅琴文静春梅玉淑珍红婉清"
    "芳娜敏艳霞婷雪慧颖琳洁萍丹月梦诗雯悦璐瑶楠倩",
}
REGIONS = (
    ("110105", "北京市朝阳区", ("建国路", "朝阳北路", "望京街", "东三环中路", "安立路")),
    ("110108", "北京市海淀区", ("中关村大街", "学院路", "西三环北路", "知春路")),
    ("110102", "北京市西城区", ("金融大街", "西直门外大街", "德胜门外大街")),
    ("110106", "北京市丰台区", ("丰台北路", "南三环西路", "科学城路")),
    ("310115", "上海市浦东新区", ("世纪大道", "张杨路", "陆家嘴环路")),
    ("310104", "上海市徐汇区", ("漕溪北路", "肇嘉浜路", "虹桥路")),
    ("440106", "广东省广州市天河区", ("天河路", "体育西路", "黄埔大道西")),
    ("440305", "广东省深圳市南山区", ("深南大道", "科技南路", "南海大道")),
    ("330106", "浙江省杭州市西湖区", ("文三路", "天目山路", "教工路")),
    ("320102", "江苏省南京市玄武区", ("中山路", "北京东路", "珠江路")),
    ("510107", "四川省成都市武侯区", ("人民南路", "科华北路", "武侯祠大街")),
    ("420106", "湖北省武汉市武昌区", ("中北路", "中南路", "武珞路")),
    ("370202", "山东省青岛市市南区", ("香港中路", "山东路", "东海西路")),
)
PROJECTS = ("阳光尚城", "金地·名京", "万科翡翠公园", "远洋天著", "龙湖春江郦城", "保利和光尘樾")
BRAND_CHARS = "华信中联鼎盛金桥恒通瑞丰宏远天成博兴业东方新锐嘉禾润泽同创海纳德汇通达安泰隆"
ROOMS = ("档案室A", "档案室B", "档案室C")
HOMES_PER_BUILDING = 4 * 27 * 4  # entrances × floors (2-28) × rooms a floor

# --- Document text -------------------------------------------------------------------
# Texts are built from a pool of generated sentences, each ending in 。 (see TextPool).

CONTRACT = (
    "甲方应于{date}前向乙方支付{item}人民币{amount_cn}(¥{amount}元)。",
    "如甲方逾期付款,每逾期一日按应付款项的万分之{n}向乙方支付违约金。",
    "乙方承诺所交付的{thing}符合国家标准及本合同约定的质量要求。",
    "本合同自双方签字盖章之日起生效,一式{copies}份,甲乙双方各执{half}份,具有同等法律效力。",
    "因本合同引起的争议,双方应协商解决;协商不成的,提交{city}仲裁委员会仲裁。",
    "买受人{name}已知悉{project}{building}号楼的规划设计、公共配套及周边环境情况。",
    "出卖人应当于{date}前将符合约定条件的商品房交付买受人{name}使用。",
    "车辆型号为{car},车身颜色{color},车架号以车辆合格证所载为准。",
    "双方约定保修期为{months}个月,保修期内非人为损坏由乙方负责免费维修。",
    "合同总价款已包含税费及代办费用,共计人民币{amount}元,由{name}一次性付清。",
    "未经对方书面同意,任何一方不得将本合同项下的权利义务转让给第三方。",
    "乙方应对在履行本合同过程中知悉的{name}个人信息严格保密,不得向第三方披露。",
)
RECEIPT = (
    "今收到{name}交来{item}人民币{amount_cn}(¥{amount}元),付款方式为{pay}。",
    "本收据经收款人{name2}签字并加盖财务专用章后有效,遗失不补。",
    "开票日期{date},发票号码{invoice},税率{tax}%,价税合计{amount}元。",
    "经办人{name2}已核对付款凭证原件,复印件与原件一致。",
    "以上款项已于{date}到账,银行交易流水号{serial}。",
    "客户{name}于{date}通过{pay}缴纳{item}{amount}元,已开具收据。",
)
RECORD = (
    "{date}客户{name}到店办理{business},由{name2}接待并登记。",
    "客户{name}要求{request},已登记并转{dept}跟进处理。",
    "经核对,客户提交的{paper}与原件一致,复印件已加盖与原件核对无误章。",
    "{date}电话回访客户{name},客户对本次服务表示{satisfaction}。",
    "客户联系地址变更为{address},联系电话同步更新。",
    "本次{service}共计{hours}工时,更换配件{parts},费用{amount}元。",
    "客户反映{problem},技师{name2}检查后确认{result}。",
    "档案管理员{name2}于{date}接收资料共{pages}页,装订后入盒保存。",
    "客户{name}的{paper}已于{date}归档,存放于{room}{cabinet}号柜。",
)
FILL: dict[str, Sequence[str]] = {
    "item": ("定金", "首付款", "房款", "购车款", "维修费", "物业费", "会员费", "培训费", "押金"),
    "thing": ("商品房", "车辆", "配件", "培训服务", "客房服务", "物业服务"),
    "pay": ("银行转账", "现金", "刷卡", "微信支付", "支付宝", "按揭贷款"),
    "business": ("购房签约", "车辆交付", "入会登记", "续费", "资料变更", "车辆保养", "入住手续"),
    "request": ("更换联系电话", "延期交房", "开具发票", "补办会员卡", "调整付款计划", "上门维修"),
    "dept": ("客服部", "财务部", "销售一部", "销售二部", "工程部", "物业服务中心"),
    "paper": ("身份证复印件", "户口本复印件", "营业执照复印件", "结婚证复印件", "行驶证复印件"),
    "satisfaction": ("非常满意", "满意", "基本满意", "不满意,已记录改进意见"),
    "service": ("首次保养", "定期保养", "小修", "钣金喷漆", "空调维修", "水电维修"),
    "parts": ("机油滤清器", "刹车片", "空调滤芯", "火花塞", "雨刮片", "蓄电池"),
    "problem": ("发动机异响", "空调不制冷", "卫生间漏水", "门锁损坏", "刹车异响", "车窗无法升降"),
    "result": ("需更换配件", "已现场修复", "属正常现象", "需返厂检测"),
    "city": ("北京", "上海", "广州", "深圳", "杭州", "南京", "成都", "武汉"),
    "car": CAR_MODELS,
    "color": COLORS,
    "project": PROJECTS,
    "room": ROOMS,
}
CN_DIGITS = "零壹贰叁肆伍陆柒捌玖"


def amount_cn(value: int) -> str:
    """A rough capital-figure amount (壹拾贰万叁仟元整), enough to look like a receipt."""
    units = ((10000, "万"), (1000, "仟"), (100, "佰"), (10, "拾"), (1, ""))
    out = []
    for unit, name in units:
        digit, value = divmod(value, unit)
        if digit >= 10:
            out.append(amount_cn(digit).removesuffix("元整") + name)
        elif digit:
            out.append(CN_DIGITS[digit] + name)
    return "".join(out) + "元整"


# --- Unique values by construction ---------------------------------------------------


class Permutation:
    """i → (a·i + b) mod m, a bijection on [0, m) when gcd(a, m) = 1: unique values for
    unique indexes without remembering what was drawn (resumable, any order)."""

    def __init__(self, m: int, seed: int, salt: str) -> None:
        rng = random.Random(f"{seed}:{salt}")
        a = int(m * 0.6180339887) | 1
        while math.gcd(a, m) != 1:
            a += 2
        self.m, self.a, self.b = m, a, rng.randrange(m)

    def __call__(self, i: int) -> int:
        return (self.a * i + self.b) % self.m


@dataclass
class Uniques:
    seed: int
    resident: Permutation = field(init=False)
    mobile: Permutation = field(init=False)
    uscc: Permutation = field(init=False)
    vin: Permutation = field(init=False)
    member: Permutation = field(init=False)
    birth_days: int = 365 * 55

    def __post_init__(self) -> None:
        from dangan.core import identifiers

        self.prefixes: tuple[str, ...] = identifiers._MOBILE_PREFIXES
        self.resident = Permutation(len(REGIONS) * self.birth_days * 1000, self.seed, "id")
        self.mobile = Permutation(len(self.prefixes) * 10**8, self.seed, "mobile")
        self.uscc = Permutation(31**8, self.seed, "uscc")
        self.vin = Permutation(33 * 10**6, self.seed, "vin")
        self.member = Permutation(9 * 10**6, self.seed, "member")

    def resident_id(self, i: int) -> tuple[str, int]:
        """(a valid 18-character ID, the region index) for customer i."""
        from dangan.core.identifiers import resident_id_check_char

        x = self.resident(i)
        x, region = divmod(x, len(REGIONS))
        sequence, day = divmod(x, self.birth_days)
        birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=day)
        first17 = REGIONS[region][0] + birth.strftime("%Y%m%d") + f"{sequence:03d}"
        return first17 + resident_id_check_char(first17), region

    def mobile_number(self, i: int) -> str:
        x = self.mobile(i)
        rest, prefix = divmod(x, len(self.prefixes))
        return self.prefixes[prefix] + f"{rest:08d}"

    def uscc_code(self, i: int, region: str) -> str:
        from dangan.core import identifiers

        x = self.uscc(i)
        chars = identifiers._USCC_CHARSET
        body = ""
        for _ in range(8):
            x, digit = divmod(x, 31)
            body += chars[digit]
        first17 = "91" + region + body + identifiers._org_code_check_char(body)
        return first17 + identifiers.uscc_check_char(first17)

    def vin_code(self, i: int, rng: random.Random) -> str:
        from dangan.core import identifiers

        x = self.vin(i)
        plant, serial = divmod(x, 10**6)
        charset = identifiers._VIN_CHARSET
        vds = "".join(rng.choice(charset) for _ in range(5))
        year = rng.choice(identifiers._VIN_YEAR_CODES)
        vin = "LSV" + vds + "0" + year + charset[plant] + f"{serial:06d}"
        return vin[:8] + identifiers.vin_check_char(vin) + vin[9:]

    def member_no(self, i: int) -> str:
        return f"M{self.member(i) + 10**6:07d}"

    @staticmethod
    def home(i: int) -> tuple[int, int, int, int]:
        """(building, entrance, floor, room) of customer i's home, one home per index (一户一档:
        the property type's key is building + entrance + unit): buildings of four entrances,
        floors 2-28, four rooms a floor, taken in order as customers come."""
        building, rest = divmod(i, HOMES_PER_BUILDING)
        entrance, rest = divmod(rest, HOMES_PER_BUILDING // 4)
        floor, room = divmod(rest, 4)
        return building + 1, entrance + 1, floor + 2, room + 1


# --- Text pool -----------------------------------------------------------------------


class TextPool:
    """A few thousand generated sentences per theme, each segmented once.

    jieba splits its input at every character outside [CJK a-z 0-9 +#&._%-] before
    segmenting, and every sentence ends in 。, so segmenting a text made of pool sentences
    gives the words of its sentences in order: the text's index tokens are the union of
    the title's tokens and its sentences' tokens, in order of first occurrence. That is
    exactly segment.text_tokens(title, text) (checked on samples at start-up, see
    check_equivalence), without running jieba over a million texts (~20 minutes)."""

    def __init__(self, seed: int, per_theme: int = 2000) -> None:
        from dangan.search import segment as seg

        rng = random.Random(f"{seed}:pool")
        self.themes: dict[str, list[str]] = {}
        seen: set[str] = set()
        for theme, templates in (("contract", CONTRACT), ("receipt", RECEIPT), ("record", RECORD)):
            sentences = []
            for _attempt in range(per_theme * 3):
                sentence = fill(rng.choice(templates), rng)
                if sentence not in seen:
                    seen.add(sentence)
                    sentences.append(sentence)
                if len(sentences) >= per_theme:
                    break
            self.themes[theme] = sentences
        self.tokens: dict[str, list[str]] = {
            s: seg.text_tokens(s) for sentences in self.themes.values() for s in sentences
        }

    def theme_for(self, title: str) -> str:
        if any(word in title for word in ("合同", "协议", "委托书", "规约", "公约", "责任书")):
            return "contract"
        if any(word in title for word in ("凭证", "发票", "收据", "结算", "缴费", "付款")):
            return "receipt"
        return "record"

    def text(self, title: str, rng: random.Random) -> list[str]:
        """The sentences of one 200-800 character text about `title`."""
        main = self.themes[self.theme_for(title)]
        other = self.themes["record"]
        target = rng.randint(200, 800)
        chosen: list[str] = []
        length = 0
        while length < target:
            sentence = rng.choice(main if rng.random() < 0.8 else other)
            chosen.append(sentence)
            length += len(sentence)
        return chosen

    def word_stats(self) -> dict[str, float]:
        """For each token, the share of pool sentences (all themes) that contain it."""
        counts: dict[str, int] = {}
        for tokens in self.tokens.values():
            for token in tokens:
                counts[token] = counts.get(token, 0) + 1
        total = len(self.tokens)
        return {token: n / total for token, n in counts.items()}


def fill(template: str, rng: random.Random) -> str:
    def name() -> str:
        return person_name(rng, rng.choice(("male", "female")))

    amount = rng.choice((rng.randrange(500, 20000), rng.randrange(20000, 3_000_000)))
    date = START_DATE + datetime.timedelta(days=rng.randrange(3900))
    region = rng.choice(REGIONS)
    values = {
        "date": f"{date.year}年{date.month}月{date.day}日",
        "amount": f"{amount:,}",
        "amount_cn": amount_cn(amount),
        "n": str(rng.choice((3, 5, 10))),
        "copies": str(rng.choice((2, 4, 6))),
        "half": str(rng.choice((1, 2, 3))),
        "name": name(),
        "name2": name(),
        "building": str(rng.randint(1, 18)),
        "months": str(rng.choice((12, 24, 36, 60))),
        "invoice": f"{rng.randrange(10**8):08d}",
        "tax": str(rng.choice((3, 6, 9, 13))),
        "serial": f"{rng.randrange(10**12):012d}",
        "address": f"{region[1]}{rng.choice(region[2])}{rng.randint(1, 199)}号"
        f"{rng.choice(COMPOUNDS)}{rng.randint(1, 24)}号楼{rng.randint(2, 28)}"
        f"{rng.randint(1, 4):02d}室",
        "hours": str(rng.randint(1, 12)),
        "pages": str(rng.randint(1, 60)),
        "cabinet": f"{rng.randint(1, 40):02d}",
        **{key: rng.choice(options) for key, options in FILL.items()},
    }
    return template.format(**values)


def person_name(rng: random.Random, gender: str) -> str:
    """Surname + one or two given characters; common single names recur (张伟, 王芳)."""
    if rng.random() < 0.01:
        surname = rng.choice(COMPOUND_SURNAMES)
    else:
        surname = rng.choices(SURNAMES, cum_weights=SURNAME_CUM_WEIGHTS)[0]
    if rng.random() < 0.3:
        return surname + rng.choice(COMMON_SINGLE[gender])
    chars = GIVEN_CHARS[gender]
    return surname + rng.choice(chars) + rng.choice(chars)


# --- Writing rows --------------------------------------------------------------------


class Writer:
    """Bulk inserts on the Django connection: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.pg = connection.vendor == "postgresql"

    def insert(self, model: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        meta = model._meta
        quote = self.connection.ops.quote_name
        names = ", ".join(quote(meta.get_field(c).column) for c in columns)
        table = quote(meta.db_table)
        raw = self.connection.connection
        count = 0
        if self.pg:
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        rows = list(rows)
        marks = ", ".join("?" for _ in columns)
        cursor = raw.cursor()
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608 - model metadata
        cursor.close()
        return len(rows)

    def datetime(self, value: datetime.datetime) -> Any:
        if self.pg:
            return value
        return self.connection.ops.adapt_datetimefield_value(value)

    def date(self, value: datetime.date | None) -> Any:
        if value is None or self.pg:
            return value
        return value.isoformat()

    def json(self, value: Any) -> str:
        # What JSONField stores (json.dumps, ASCII-escaped); PostgreSQL parses it into jsonb.
        return json.dumps(value)

    def max_id(self, model: Any) -> int:
        from django.db.models import Max

        value = model.objects.aggregate(m=Max("id"))["m"]
        return int(value or 0)

    def tune(self) -> None:
        """Session settings for the load (again after a reconnect)."""
        with self.connection.cursor() as cursor:
            if self.pg:
                cursor.execute("SET synchronous_commit = off")
            else:
                cursor.execute("PRAGMA synchronous = OFF")
                cursor.execute("PRAGMA cache_size = -2000000")  # 2 GB page cache


CUSTOMER_COLUMNS = (
    "id", "kind", "name", "gender", "birth_date", "id_type", "mobile", "phone", "address",
    "email", "uscc", "uscc_override_reason", "legal_representative", "registered_capital",
    "industry", "scale", "tier", "stage", "category", "credit_rating", "credit_limit",
    "owner", "department", "remarks", "created_by", "created_at", "updated_at",
)  # fmt: skip
DOSSIER_COLUMNS = (
    "id", "archive_number", "customer", "archive_type", "title", "status", "confidentiality",
    "retention", "volume_year", "fields", "location_room", "location_cabinet",
    "location_shelf", "location_box", "location_position", "placement_key", "location_node",
    "department", "created_by", "created_at", "updated_at",
    # 年度立卷 (#23 §6): not yet bound into a year's volumes.
    "bound_apart", "volume_number", "year_volume",
)  # fmt: skip
DOCUMENT_COLUMNS = (
    "id", "dossier", "checklist_item", "piece_number", "title", "responsible", "doc_date",
    "pages", "page_range", "carrier", "state", "remarks", "text", "created_at", "created_by",
    "part", "state_reason", "state_changed_at", "state_changed_by", "superseded_by",
)  # fmt: skip
KEY_COLUMNS = ("archive_type", "name", "value", "dossier")  # the id: the database's
ENTRY_COLUMNS = (
    "id", "kind", "object_id", "name_tokens", "id_tokens", "text_tokens", "updated_at",
    "owner_id", "department_id", "dossier_id",
)  # fmt: skip


def _entry_values(row: dict[str, Any], stamp: Any) -> tuple[Any, ...]:
    """An entry's columns after kind and object id (ENTRY_COLUMNS), from a row function's
    row (search/services.py)."""
    return (
        row["names"], row["ids"], row["text"], stamp, row["owner"], row["department"],
        row["dossier"],
    )  # fmt: skip


def _document_stand_in(title: str, text: str) -> SimpleNamespace:
    """What _document_row reads of a document (its tokens only are used here)."""
    nobody = SimpleNamespace(owner_id=None, department_id=None)
    return SimpleNamespace(
        title=title, text=text, dossier=SimpleNamespace(customer=nobody, pk=None), dossier_id=None
    )


def identity_columns() -> tuple[str, ...]:
    """The lookup hash customer_create stores (_check_identity_unique), then the columns
    customers/services.py _set_identity fills (the encrypted number and the suffix hashes),
    found by running it on a stand-in, so a new lookup column is written too."""
    from dangan.customers import services as customer_services

    stand_in = SimpleNamespace()
    customer_services._set_identity(stand_in, "11010119900307803X")
    return ("id_number_lookup", *sorted(vars(stand_in)))


def identity_values(columns: tuple[str, ...], number: str) -> tuple[str, ...]:
    from dangan.core import crypto
    from dangan.customers import services as customer_services

    stand_in = SimpleNamespace(id_number_lookup=crypto.lookup_hash(f"resident_id:{number}"))
    customer_services._set_identity(stand_in, number)
    return tuple(getattr(stand_in, name) for name in columns)


def check_columns() -> None:
    """Refuse to run when a model gained a column this generator does not write."""
    from dangan.archives.models import Dossier, DossierKey
    from dangan.customers.models import Customer
    from dangan.documents.models import Document
    from dangan.search.models import SearchEntry

    for model, columns in (
        (Customer, CUSTOMER_COLUMNS + identity_columns()),
        (Dossier, DOSSIER_COLUMNS),
        (DossierKey, (*KEY_COLUMNS, "id")),
        (Document, DOCUMENT_COLUMNS),
        (SearchEntry, ENTRY_COLUMNS),
    ):
        fields = {f.name for f in model._meta.concrete_fields}
        missing = fields - set(columns)
        if missing:
            sys.exit(f"generate.py does not write {model.__name__}.{sorted(missing)}: update it")


# --- Generation ----------------------------------------------------------------------


@dataclass
class Setup:
    archivist: Any
    managers: list[Any]
    types: dict[str, Any]  # code → ArchiveType
    items: dict[str, list[Any]]  # code → ChecklistItems in checklist order
    dept_names: dict[int, str]  # department id → name
    dept_codes: dict[int, str]


def setup_accounts_and_types() -> Setup:
    from dangan.accounts.models import User
    from dangan.accounts.services import user_create
    from dangan.archives.loader import templates_load
    from dangan.archives.models import ArchiveType

    templates_load(actor=None)

    def ensure(username: str, role: str, department: str, full_name: str) -> Any:
        user = User.objects.filter(username=username).first()
        if user is None:
            user, _password = user_create(
                actor=None,
                username=username,
                roles=[role],
                password=BENCH_PASSWORD,
                department=department,
                full_name=full_name,
            )
        return user

    archivist = ensure(ARCHIVIST, "archivist", "档案室", "档案管理员")
    managers = [ensure(u, "account_manager", d, n) for u, d, n in MANAGERS]
    types = {t.code: t for t in ArchiveType.objects.filter(code__in=TYPE_WEIGHTS)}
    missing = set(TYPE_WEIGHTS) - set(types)
    if missing:
        sys.exit(f"archive types missing after templates_load: {sorted(missing)}")
    items = {code: list(t.items.order_by("position", "id")) for code, t in types.items()}
    depts = {m.department_id: m.department for m in managers}
    return Setup(
        archivist=archivist,
        managers=managers,
        types=types,
        items=items,
        dept_names={k: d.name for k, d in depts.items()},
        dept_codes={k: d.code for k, d in depts.items()},
    )


def patch_token_caches() -> None:
    """Memoise the pure token functions the production row builders call, in this process
    only: names and dossier titles recur, and pinyin/jieba cost 60-80 µs a call."""
    from dangan.search import segment as seg

    seg.initials = functools.lru_cache(maxsize=200_000)(seg.initials)
    seg.text_tokens = functools.lru_cache(maxsize=200_000)(seg.text_tokens)


def fill_fts(first_entry: int) -> None:
    """SQLite: copy the entries from `first_entry` on into the FTS5 index the way
    search/index.py finish_bulk() does: one FTS5 table per kind keyed by the object id
    (search migration 0002), or the single search_fts table keyed by the entry id."""
    from django.db import connection

    from dangan.search import index
    from dangan.search.models import SearchEntry

    with connection.cursor() as cursor:
        fts_table = getattr(index, "fts_table", None)
        if fts_table is None:
            cursor.execute(
                "INSERT INTO search_fts (rowid, name_tokens, id_tokens, text_tokens) "
                "SELECT id, name_tokens, id_tokens, text_tokens FROM search_searchentry "
                "WHERE id >= %s",
                [first_entry],
            )
            return
        for kind in SearchEntry.Kind.values:
            cursor.execute(
                f"INSERT INTO {fts_table(kind)} (rowid, name_tokens, id_tokens, text_tokens) "  # noqa: S608 - the app's table name
                "SELECT object_id, name_tokens, id_tokens, text_tokens FROM search_searchentry "
                "WHERE kind = %s AND id >= %s ORDER BY object_id",
                [kind, first_entry],
            )


@dataclass
class Batch:
    first: int
    last: int
    customers: list[tuple[Any, ...]]
    dossiers: list[tuple[Any, ...]]
    keys: list[tuple[Any, ...]]
    documents: list[tuple[Any, ...]]
    entries: list[tuple[Any, ...]]
    counters: dict[str, int]
    build_seconds: float

    @property
    def rows(self) -> int:
        tables = (self.customers, self.dossiers, self.keys, self.documents, self.entries)
        return sum(len(rows) for rows in tables)


class _NoRelated:
    @staticmethod
    def all() -> list[Any]:
        return []


class Generator:
    def __init__(self, args: argparse.Namespace, setup: Setup, writer: Writer) -> None:
        from dangan.archives.models import Dossier, NumberSequence
        from dangan.documents.models import Document
        from dangan.search.models import SearchEntry

        self.args = args
        self.setup = setup
        self.writer = writer
        self.uniques = Uniques(args.seed)
        self.next_doc = writer.max_id(Document) + 1
        self.next_entry = writer.max_id(SearchEntry) + 1
        self.id_columns = identity_columns()
        self.pool = TextPool(args.seed)
        self.type_codes = list(TYPE_WEIGHTS)
        self.type_weights = list(itertools.accumulate(TYPE_WEIGHTS.values()))
        self.counters: dict[str, int] = dict(
            NumberSequence.objects.values_list("key", "last_value")
        )
        self.touched: set[str] = set()
        self.numbers: set[str] = set(Dossier.objects.values_list("archive_number", flat=True))
        self.now = datetime.datetime.now(tz=datetime.UTC)
        self.title_text: dict[str, str] = {}
        self.doc_plans: dict[tuple[str, str, tuple[str, ...]], list[tuple[Any, str]]] = {}
        self.condition_fields: dict[str, list[str]] = {}

    # -- one customer with its dossier --

    def created_at(self, i: int, rng: random.Random) -> datetime.datetime:
        start = datetime.datetime.combine(START_DATE, datetime.time(1), tzinfo=datetime.UTC)
        span = (self.now - datetime.timedelta(days=1) - start).total_seconds()
        step = span / max(self.args.customers, 1)
        return start + datetime.timedelta(seconds=(i + rng.random() * 0.9) * step)

    def archive_number(self, archive_type: Any, local_date: datetime.date, dept: str) -> str:
        """numbering.allocate without the database: same key, same skip of taken numbers."""
        from dangan.archives import numbering

        ctx = numbering.NumberContext(code=archive_type.code, date=local_date, dept=dept)
        key = numbering.counter_key(archive_type.numbering, ctx)
        value = self.counters.get(key, 0)
        while True:
            value += 1
            number = numbering._render(archive_type.numbering, ctx, value)
            if number not in self.numbers:
                break
        self.counters[key] = value
        self.touched.add(key)
        self.numbers.add(number)
        return number

    def custom_fields(
        self, code: str, i: int, rng: random.Random, customer: dict[str, Any], owner: Any
    ) -> dict[str, Any]:
        base: datetime.date = customer["local_date"]

        def after(low: int, high: int) -> str:
            return (base + datetime.timedelta(days=rng.randint(low, high))).isoformat()

        building, floor, room = rng.randint(1, 18), rng.randint(2, 28), rng.randint(1, 4)
        unit = f"{building}-{floor}{room:02d}"
        values: dict[str, Any]
        if code == "RE-SALE":
            area = rng.randint(60, 160)
            unit_price = rng.randrange(42000, 92000, 100)
            values = {
                "project": rng.choice(PROJECTS),
                "building": f"{building}号楼",
                "unit": unit,
                "unit_price": str(unit_price),
                "total_price": str(area * unit_price),
                "payment": rng.choice(("按揭", "按揭", "一次性付款", "分期付款")),
                "paid_by_self": rng.random() < 0.85,
                "co_owned": rng.random() < 0.25,
                "contract_date": base.isoformat(),
            }
        elif code == "PROPERTY":
            building, entrance, floor, room = self.uniques.home(i)
            values = {
                "building": f"{building}号楼",
                "entrance": f"{entrance}单元",
                "floor": floor,
                "unit": f"{building}-{floor}{room:02d}",
                "occupancy": rng.choice(("自住", "自住", "自住", "出租", "空置")),
                "has_vehicle": rng.random() < 0.4,
                "move_in_date": base.isoformat(),
            }
        elif code == "CAR-SALE":
            values = {
                "vin": self.uniques.vin_code(i, rng),
                "engine_no": rng.choice(("DJS", "DLF", "CSS", "DKX"))
                + f"{rng.randrange(10**6):06d}",
                "model": rng.choice(CAR_MODELS),
                "color": rng.choice(COLORS),
                "sales_consultant": owner.full_name,
                "purchase_date": base.isoformat(),
                "sales_channel": rng.choice(("展厅销售", "网络销售", "大客户销售", "二级网点")),
                "plated_by_dealer": rng.random() < 0.6,
                "delivery_date": after(3, 12),
            }
        elif code == "CAR-SERVICE":
            values = {
                "vin": self.uniques.vin_code(i, rng),
                "plate_no": "京"
                + rng.choice("ABCEFGHJKLMNPQ")
                + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(5)),
                "service_kind": rng.choice(("小修", "首保", "保养", "保养", "大修", "索赔")),
                "service_advisor": owner.full_name,
                "contact_person": customer["name"],
                "contact_mobile": customer["mobile"],
                "mileage": rng.randint(3000, 90000),
                "delivery_date": after(0, 3),
            }
        elif code == "HOTEL-GUEST":
            kind = (
                "协议单位" if customer["kind"] == "organization" else rng.choice(("会员", "散客"))
            )
            values = {"guest_kind": kind, "signing_customer": rng.random() < 0.2}
            if kind == "会员":
                values["member_no"] = self.uniques.member_no(i)
            if rng.random() < 0.5:
                values["diet_pref"] = rng.choice(("清淡少油,不吃香菜", "喜辣,偏爱川菜", "素食"))
        elif code == "MEMBER":
            program = rng.choice(("中外名家系列讲座", "融智论坛"))
            if program == "融智论坛":
                member_kind = rng.choice(("会员", "会员", "单场购票", "邀请嘉宾"))
            else:
                member_kind = rng.choice(("一般会员", "一般会员", "名誉会员", "单场购票"))
            values = {
                "program": program,
                "member_kind": member_kind,
                "first_attend_date": base.isoformat(),
            }
            if member_kind in ("会员", "一般会员", "名誉会员"):
                values["member_no"] = self.uniques.member_no(i)
        else:  # ENT-CREDIT
            values = {
                "credit_rating": customer["credit_rating"] or "B",
                "cooperation_years": rng.randint(1, 15),
                "contract_no": f"HT-{base.year}-{rng.randint(1, 9999):04d}",
            }
        return values

    def documents_plan(self, code: str, kind: str, fields: dict[str, Any]) -> list[tuple[Any, str]]:
        """(checklist item, title) for the dossier's documents, in checklist order."""
        from dangan.archives.checklist import condition_holds

        refs = self.condition_fields.get(code)
        if refs is None:
            refs = sorted(
                {
                    path.partition(".")[2]
                    for item in self.setup.items[code]
                    for path in (item.when or {})
                    if path.startswith("fields.")
                }
            )
            self.condition_fields[code] = refs
        plan_key = (code, kind, tuple(json.dumps(fields.get(key)) for key in refs))
        plan = self.doc_plans.get(plan_key)
        if plan is not None:
            return plan
        stand_in = SimpleNamespace(customer=SimpleNamespace(kind=kind), fields=fields)
        items = [
            item
            for item in self.setup.items[code]
            if not item.when or condition_holds(item.when, stand_in)
        ]
        wanted = self.args.documents_per_dossier
        if len(items) > wanted:
            required = [it for it in items if it.requirement != "optional"]
            chosen = required[:wanted]
            rest = [it for it in items if it not in chosen]
            chosen += rest[: wanted - len(chosen)]
            items = sorted(chosen, key=lambda it: (it.position, it.pk))
        plan = []
        for n in range(wanted):
            item = items[n % len(items)] if items else None
            round_ = n // len(items) + 1 if items else n + 1
            name = item.name if item else "其他资料"
            plan.append((item, name if round_ == 1 else f"{name}(第{round_}份)"))
        self.doc_plans[plan_key] = plan
        return plan

    def build(self, first: int, last: int) -> Batch:
        """The rows of customers first..last-1 (0-based), their dossiers, documents and
        index entries. Needs no database: it may run in another process."""
        from dangan.archives.fields import clean_custom_fields
        from dangan.archives.keys import key_values
        from dangan.locations.natural import placement_key
        from dangan.search import services as search_services

        started = time.perf_counter()
        args, setup, w = self.args, self.setup, self.writer
        rng = random.Random(f"{args.seed}:chunk:{first}")
        next_doc = self.next_doc
        customers: list[tuple[Any, ...]] = []
        dossiers: list[tuple[Any, ...]] = []
        keys: list[tuple[Any, ...]] = []
        documents: list[tuple[Any, ...]] = []
        entries: list[tuple[Any, ...]] = []
        dossier_entries: list[tuple[Any, ...]] = []
        document_entries: list[tuple[Any, ...]] = []
        archivist_id = setup.archivist.pk
        id_columns = self.id_columns
        shanghai = datetime.timezone(datetime.timedelta(hours=8))
        for i in range(first, last):
            pk = i + 1
            code = rng.choices(self.type_codes, cum_weights=self.type_weights)[0]
            archive_type = setup.types[code]
            owner = setup.managers[rng.randrange(len(setup.managers))]
            created = self.created_at(i, rng)
            local_date = created.astimezone(shanghai).date()
            organization = code == "ENT-CREDIT" or (code == "HOTEL-GUEST" and rng.random() < 0.2)
            region_code, district, roads = rng.choice(REGIONS)
            c: dict[str, Any] = {
                "kind": "organization" if organization else "individual",
                "local_date": local_date,
                "credit_rating": "",
            }
            tier = rng.choice(("key", "normal", "normal", "scattered"))
            stage = rng.choice(("new", "existing", "existing", "potential", "lost"))
            mobile = self.uniques.mobile_number(i)
            email = ""
            if organization:
                brand = rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS)
                trade, industry = rng.choice(TRADES)
                city = district.split("省")[-1][:2]
                name = f"{city}{brand}{trade}有限公司"
                row_identity: tuple[Any, ...] = ("", None, "")
                hashes = ("",) * len(id_columns)
                uscc = self.uniques.uscc_code(i, region_code)
                legal = person_name(rng, rng.choice(("male", "female")))
                capital = Decimal(rng.choice((100, 200, 500, 1000, 3000, 5000)))
                credit_rating = rng.choice(("A", "A", "B", "B", "C"))
                credit_limit: Decimal | None = Decimal(rng.randrange(5, 200) * 10000)
                category = rng.choice(("company", "company", "company", "partner"))
                scale = rng.choice(SCALES)
                phone = f"010-{rng.randint(5, 8)}{rng.randrange(10**6, 10**7)}"
                address = (
                    f"{district}{rng.choice(roads)}{rng.randint(1, 399)}号{rng.randint(2, 30)}层"
                )
            else:
                number, _region = self.uniques.resident_id(i)
                gender = "male" if int(number[16]) % 2 == 1 else "female"
                birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
                name = person_name(rng, gender)
                row_identity = (gender, w.date(birth), "resident_id")
                hashes = identity_values(id_columns, number)
                uscc, legal, capital, industry, scale, phone = "", "", None, "", "", ""
                credit_rating, credit_limit, category = "", None, "person"
                address = (
                    f"{district}{rng.choice(roads)}{rng.randint(1, 199)}号{rng.choice(COMPOUNDS)}"
                    f"{rng.randint(1, 24)}号楼{rng.randint(1, 4)}单元"
                    f"{rng.randint(2, 28)}{rng.randint(1, 4):02d}室"
                )
                if rng.random() < 0.3:
                    email = f"u{mobile[-8:]}@{rng.choice(('163.com', 'qq.com', '126.com'))}"
            c.update(name=name, mobile=mobile, credit_rating=credit_rating)
            stamp = w.datetime(created)
            # fmt: off
            customers.append((
                pk, c["kind"], name, *row_identity, mobile, phone, address, email, uscc, "",
                legal, capital, industry, scale, tier, stage, category, credit_rating,
                credit_limit, owner.pk, owner.department_id, "", archivist_id, stamp, stamp,
                *hashes,
            ))
            # fmt: on
            customer_ns = SimpleNamespace(
                name=name,
                mobile=mobile,
                phone=phone,
                uscc=uscc,
                related_persons=_NoRelated,
                owner_id=owner.pk,
                department_id=owner.department_id,
            )
            row = search_services._customer_row(customer_ns)
            entries.append(("customer", pk, *_entry_values(row, stamp)))

            # The dossier, opened a few minutes after the customer.
            raw_fields = self.custom_fields(code, i, rng, c, owner)
            fields = clean_custom_fields(archive_type.field_schema(), raw_fields)
            dept_code = setup.dept_codes.get(owner.department_id, "")
            number = self.archive_number(archive_type, local_date, dept_code)
            title = f"{name} {archive_type.name}"
            type_index = self.type_codes.index(code)
            n = i // len(self.type_codes)
            location = (
                ROOMS[type_index % len(ROOMS)],
                f"{type_index * 6 + n // 40000 % 6 + 1:02d}",
                str(n // 200 % 5 + 1),
                f"{n // 40 % 200 + 1:03d}",
                str(n % 40 + 1),
            )
            status = "terminated" if rng.random() < 0.03 else "filed"
            secrecy = "secret" if rng.random() < 0.05 else "normal"
            d_created = created + datetime.timedelta(minutes=rng.randint(5, 90))
            d_stamp = w.datetime(d_created)
            # fmt: off
            dossiers.append((
                pk, number, pk, archive_type.pk, title, status, secrecy, archive_type.retention,
                local_date.year, w.json(fields), *location,
                # No department: a customer's dossier (only company files name one).
                placement_key(archive_type.placement, fields), None, None, archivist_id,
                d_stamp, d_stamp, False, None, None,
            ))
            # fmt: on
            for key_name, key_value in key_values(archive_type, fields):
                keys.append((archive_type.pk, key_name, key_value, pk))
            dossier_ns = SimpleNamespace(
                fields=fields,
                archive_number=number,
                location_room=location[0],
                title=title,
                customer=customer_ns,
                pk=pk,
            )
            row = search_services._dossier_row(dossier_ns)
            dossier_entries.append(("dossier", pk, *_entry_values(row, d_stamp)))

            # Its documents, titled from the checklist; one in --text-every has a text.
            department = setup.dept_names.get(owner.department_id, "")
            scope = (owner.pk, owner.department_id)  # whose entries they are
            for piece, (item, doc_title) in enumerate(
                self.documents_plan(code, c["kind"], fields), start=1
            ):
                doc_id = next_doc
                next_doc += 1
                text = ""
                if (
                    args.text_every
                    and (i * args.documents_per_dossier + piece) % args.text_every == 0
                ):
                    sentences = self.pool.text(doc_title, rng)
                    text = "".join(sentences)
                    tokens = self.title_tokens(doc_title)
                    for sentence in sentences:
                        tokens.extend(self.pool.tokens[sentence])
                    text_tokens = " ".join(dict.fromkeys(tokens))
                else:
                    text_tokens = self.title_text.get(doc_title) or self.document_text(doc_title)
                paper = any(word in doc_title for word in ("身份证", "户口", "营业执照", "结婚证"))
                doc_date = local_date + datetime.timedelta(days=rng.randint(0, 20))
                carrier = "electronic" if "照片" in doc_title else (
                    "paper_copy" if "复印件" in doc_title else "paper_original"
                )  # fmt: skip
                # fmt: off
                documents.append((
                    doc_id, pk, item.pk if item else None, piece, doc_title,
                    name if paper else department, w.date(doc_date),
                    rng.randint(6, 24) if "合同" in doc_title else rng.randint(1, 4), "",
                    carrier, "valid", "", text, d_stamp, owner.pk,
                    None, "", None, None, None,  # no part; valid, never voided or replaced
                ))
                # fmt: on
                document_entries.append(
                    ("document", doc_id, "", "", text_tokens, d_stamp, *scope, pk)
                )

        entries += dossier_entries + document_entries
        first_entry = self.next_entry
        self.next_doc = next_doc
        self.next_entry = first_entry + len(entries)
        counters = {key: self.counters[key] for key in self.touched}
        self.touched.clear()
        return Batch(
            first=first,
            last=last,
            customers=customers,
            dossiers=dossiers,
            keys=keys,
            documents=documents,
            entries=[(first_entry + k, *row) for k, row in enumerate(entries)],
            counters=counters,
            build_seconds=time.perf_counter() - started,
        )

    def title_tokens(self, title: str) -> list[str]:
        from dangan.search import segment as seg

        return list(seg.text_tokens(title))

    def document_text(self, title: str) -> str:
        from dangan.search import services as search_services

        stand_in = _document_stand_in(title, "")
        text = search_services._document_row(stand_in)["text"]
        self.title_text[title] = text
        return text

    def write(self, batch: Batch) -> dict[str, float]:
        """Insert one batch (call inside a transaction); returns seconds per step."""
        from dangan.archives.models import Dossier, DossierKey, NumberSequence
        from dangan.customers.models import Customer
        from dangan.documents.models import Document
        from dangan.search.models import SearchEntry

        w = self.writer
        t0 = time.perf_counter()
        w.insert(Customer, CUSTOMER_COLUMNS + self.id_columns, batch.customers)
        w.insert(Dossier, DOSSIER_COLUMNS, batch.dossiers)
        w.insert(DossierKey, KEY_COLUMNS, batch.keys)
        w.insert(Document, DOCUMENT_COLUMNS, batch.documents)
        w.insert(SearchEntry, ENTRY_COLUMNS, batch.entries)
        t1 = time.perf_counter()
        if not w.pg and batch.entries:
            fill_fts(batch.entries[0][0])
        t2 = time.perf_counter()
        # The numbering counters this batch moved: later dossier_create calls continue them.
        quote = w.connection.ops.quote_name
        table, key = quote(NumberSequence._meta.db_table), quote("key")
        with w.connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({key}, last_value) VALUES (%s, %s) "  # noqa: S608 - model metadata
                f"ON CONFLICT ({key}) DO UPDATE SET last_value = excluded.last_value",
                sorted(batch.counters.items()),
            )
        return {"insert": t1 - t0, "fts": t2 - t1}

    def check_equivalence(self, samples: int = 40) -> None:
        """The pool shortcut must give what _document_row gives for the whole text."""
        from dangan.search import services as search_services

        rng = random.Random(f"{self.args.seed}:check")
        titles = [t for items in self.setup.items.values() for t in (it.name for it in items)]
        for _ in range(samples):
            title = rng.choice(titles)
            sentences = self.pool.text(title, rng)
            tokens = self.title_tokens(title)
            for sentence in sentences:
                tokens.extend(self.pool.tokens[sentence])
            fast = " ".join(dict.fromkeys(tokens))
            stand_in = _document_stand_in(title, "".join(sentences))
            slow = search_services._document_row(stand_in)["text"]
            if fast != slow:
                sys.exit(f"pool tokens differ from _document_row for {title!r}")


# --- Probe ---------------------------------------------------------------------------


def build_probe(gen: Generator, samples: int = 20) -> dict[str, Any]:
    """Sample query values of each kind, for the archivist and for one account manager
    (from that manager's own customers: a manager sees only those)."""
    from django.db.models import Count
    from django.db.models.functions import Length

    from dangan.archives.models import Dossier
    from dangan.customers.models import Customer
    from dangan.search import segment as seg

    rng = random.Random(f"{gen.args.seed}:probe")
    total = Customer.objects.count()
    manager = gen.setup.managers[0]
    ids = sorted({rng.randrange(total) + 1 for _ in range(min(total, 6000))})
    picked = list(
        Customer.objects.filter(pk__in=ids).only(
            "id", "kind", "name", "mobile", "id_number_encrypted", "owner"
        )
    )
    rng.shuffle(picked)  # the default ordering is newest first
    dossiers = {
        d.customer_id: d
        for d in Dossier.objects.filter(customer_id__in=[c.pk for c in picked]).only(
            "id", "customer_id", "archive_number", "fields"
        )
    }
    common_two = list(
        Customer.objects.annotate(n=Length("name"))
        .filter(n=2, kind="individual")
        .values("name")
        .annotate(count=Count("id"))
        .order_by("-count")
        .values_list("name", flat=True)[:samples]
    )
    stats = gen.pool.word_stats()
    # Text words: two-character or longer words in 1-3 % of the pool's sentences (each
    # text has 10-30 sentences, so such a word is in roughly 10-50 % of the texts) and
    # rarer ones (< 0.1 %: a name or number in a few texts only).
    words = sorted(
        w for w, share in stats.items() if len(w) >= 2 and seg.has_cjk(w) and 0.01 <= share <= 0.03
    )
    rare = sorted(
        w for w, share in stats.items() if len(w) >= 2 and seg.has_cjk(w) and share < 0.001
    )
    title_words: list[str] = []
    for items in gen.setup.items.values():
        for item in items:
            for word in seg.query_words(item.name):
                if len(word) >= 2 and seg.has_cjk(word) and word not in title_words:
                    title_words.append(word)

    def kinds_for(customers: list[Any]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {
            key: []
            for key in (
                "name_full", "pinyin_initials", "phone4", "mobile_full", "id_full", "id_last4",
                "id_last5", "id_last6", "archive_number", "vin", "vin_last6", "unit", "member_no",
            )
        }  # fmt: skip
        for c in customers:
            if c.kind == "individual":
                if len(c.name) == 3:
                    out["name_full"].append(c.name)
                    out["pinyin_initials"].append(seg.initials(c.name)[0])
                number = c.id_number
                out["id_full"].append(number)
                out["id_last4"].append(number[-4:])
                out["id_last5"].append(number[-5:])
                out["id_last6"].append(number[-6:])
            out["mobile_full"].append(c.mobile)
            out["phone4"].append(c.mobile[-4:])
            d = dossiers.get(c.pk)
            if d is None:
                continue
            out["archive_number"].append(d.archive_number)
            fields = d.fields or {}
            if fields.get("vin"):
                out["vin"].append(fields["vin"])
                out["vin_last6"].append(fields["vin"][-6:])
            if fields.get("unit") and fields.get("building"):
                out["unit"].append(fields["unit"])
            if fields.get("member_no"):
                out["member_no"].append(fields["member_no"])
        trimmed = {key: list(dict.fromkeys(values))[:samples] for key, values in out.items()}
        trimmed["name_2char"] = common_two
        trimmed["text_word"] = rng.sample(words, min(samples, len(words)))
        trimmed["text_word_rare"] = rng.sample(rare, min(samples, len(rare)))
        trimmed["title_word"] = title_words[:samples]
        return trimmed

    everyone = kinds_for(picked)
    own = kinds_for([c for c in picked if c.owner_id == manager.pk])
    return {
        "database": database_label(),
        "customers": total,
        "documents_per_dossier": gen.args.documents_per_dossier,
        "text_every": gen.args.text_every,
        "seed": gen.args.seed,
        "users": {
            "archivist": {"username": ARCHIVIST, "password": BENCH_PASSWORD},
            "account_manager": {"username": manager.username, "password": BENCH_PASSWORD},
        },
        # One representative value per kind, then the samples the benchmark cycles through.
        "example": {key: values[0] for key, values in everyone.items() if values},
        "samples": {ARCHIVIST: everyone, manager.username: own},
    }


def count_matches(kind: str, word: str) -> int:
    from dangan.search import index
    from dangan.search.models import SearchEntry

    matched = index.matching_ids(kind, index.Terms(words=[word]))
    return SearchEntry.objects.filter(kind=kind, object_id__in=matched).count()


# --- Main ----------------------------------------------------------------------------


def state_path() -> Path:
    from django.conf import settings

    return Path(settings.DATA_DIR) / f"bench_state_{database_label()}.json"


def prepare(args: argparse.Namespace) -> int:
    """Check the database and return the number of customers already generated."""
    from dangan.customers.models import Customer

    params = {
        "documents_per_dossier": args.documents_per_dossier,
        "text_every": args.text_every,
        "seed": args.seed,
    }
    existing = Customer.objects.count()
    path = state_path()
    state = json.loads(path.read_text()) if path.exists() else None
    if existing and (state is None or state.get("params") != params):
        sys.exit(
            f"the database has {existing} customers that this generator did not make with "
            f"these arguments ({path}); use an empty database (dangan init on a new data "
            "dir or database) or the arguments of the first run"
        )
    state = {**(state or {}), "params": params, "customers": args.customers}
    path.write_text(json.dumps(state, indent=1))
    return existing


def pg_before_load(writer: Writer) -> None:
    """Drop the GIN indexes of the search entries for the load (kept in the state file,
    so an interrupted run still rebuilds them); pg_after_load builds them once."""
    path = state_path()
    state = json.loads(path.read_text())
    with writer.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'search_searchentry' AND indexdef ILIKE %s",
            ["%USING gin%"],
        )
        found = dict(cursor.fetchall())
        state["gin_indexes"] = {**state.get("gin_indexes", {}), **found}
        path.write_text(json.dumps(state, indent=1))
        for name in found:
            cursor.execute(f"DROP INDEX IF EXISTS {writer.connection.ops.quote_name(name)}")


def pg_after_load(writer: Writer) -> None:
    from django.core.management.color import no_style

    from dangan.archives.models import Dossier
    from dangan.customers.models import Customer
    from dangan.documents.models import Document
    from dangan.search.models import SearchEntry

    path = state_path()
    state = json.loads(path.read_text())
    with writer.connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '2GB'")
        for name, definition in state.get("gin_indexes", {}).items():
            started = time.perf_counter()
            cursor.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
            print(f"  {name} built in {time.perf_counter() - started:.0f} s", flush=True)
        state.pop("gin_indexes", None)
        path.write_text(json.dumps(state, indent=1))
        for sql in writer.connection.ops.sequence_reset_sql(
            no_style(), [Customer, Dossier, Document, SearchEntry]
        ):
            cursor.execute(sql)
        started = time.perf_counter()
        cursor.execute("ANALYZE")
        print(f"  ANALYZE in {time.perf_counter() - started:.0f} s", flush=True)


def _produce(gen: Generator, ranges: list[tuple[int, int]], queue: Any) -> None:
    try:
        for first, last in ranges:
            queue.put(gen.build(first, last))
    except BaseException as exc:
        queue.put(exc)
        raise
    queue.put(None)


def load(
    gen: Generator, done: int, args: argparse.Namespace
) -> Iterable[tuple[Batch, dict[str, float]]]:
    """Build batches in a second process while this one writes them (2 cores: building
    the rows and inserting them take about as long), one transaction per batch."""
    import multiprocessing

    from django.db import connection, transaction

    ranges = [
        (first, min(first + args.chunk, args.customers))
        for first in range(done, args.customers, args.chunk)
    ]
    if args.inline:
        gen.writer.tune()
        for first, last in ranges:
            batch = gen.build(first, last)
            with transaction.atomic():
                yield batch, gen.write(batch)
        return
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=2)
    connection.close()  # the child must not share this connection; it needs none
    producer = context.Process(target=_produce, args=(gen, ranges, queue), daemon=True)
    producer.start()
    gen.writer.tune()
    try:
        while True:
            batch = queue.get()
            if batch is None:
                break
            if isinstance(batch, BaseException):
                raise RuntimeError("building rows failed (see the traceback above)") from batch
            with transaction.atomic():
                yield batch, gen.write(batch)
    finally:
        if producer.is_alive():
            producer.terminate()
        producer.join()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--documents-per-dossier", type=int, default=10)
    parser.add_argument("--text-every", type=int, default=10, help="one document in N has text")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--chunk", type=int, default=20_000, help="customers per transaction")
    parser.add_argument(
        "--fts-optimize",
        action="store_true",
        help="SQLite: merge the FTS5 index into one segment at the end (not what production has)",
    )
    parser.add_argument("--probe-only", action="store_true", help="only rewrite the probe file")
    parser.add_argument(
        "--inline", action="store_true", help="build rows in this process (no second process)"
    )
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    check_columns()
    writer = Writer()
    setup = setup_accounts_and_types()
    patch_token_caches()
    done = prepare(args)
    gen = Generator(args, setup, writer)
    gen.check_equivalence()
    print(
        f"{database_label()}: {args.customers:,} customers, {args.documents_per_dossier} documents "
        f"each, text in 1 of {args.text_every}; {done:,} done before "
        f"(setup {time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    if writer.pg and done < args.customers and not args.probe_only:
        pg_before_load(writer)
    load_started = time.perf_counter()
    rows_total = 0
    if done < args.customers and not args.probe_only:
        for batch, times in load(gen, done, args):
            rows_total += batch.rows
            elapsed = time.perf_counter() - load_started
            rate = (batch.last - done) / elapsed
            eta = (args.customers - batch.last) / rate if rate else 0
            print(
                f"{batch.last:>10,} customers  build {batch.build_seconds:5.1f} s  "
                f"insert {times['insert']:5.1f} s  fts {times['fts']:5.1f} s  |  "
                f"{rate:5,.0f} customers/s {rows_total / elapsed:7,.0f} rows/s  "
                f"elapsed {elapsed / 60:5.1f} min  eta {eta / 60:5.1f} min",
                flush=True,
            )
    if writer.pg:
        if rows_total or json.loads(state_path().read_text()).get("gin_indexes"):
            pg_after_load(writer)
    else:
        with connection.cursor() as cursor:
            if args.fts_optimize:
                from dangan.search import index
                from dangan.search.models import SearchEntry

                fts_table = getattr(index, "fts_table", None)
                tables = (
                    [fts_table(kind) for kind in SearchEntry.Kind.values]
                    if fts_table
                    else ["search_fts"]
                )
                for table in tables:
                    t0 = time.perf_counter()
                    cursor.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")  # noqa: S608
                    print(f"  {table} optimize in {time.perf_counter() - t0:.0f} s", flush=True)
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        # What `dangan init` and large imports do: planner statistics of the loaded data
        # (the ones taken by init describe empty tables).
        from dangan.core import bulk

        analyzed = time.perf_counter()
        bulk.refresh_statistics()
        print(f"  ANALYZE in {time.perf_counter() - analyzed:.0f} s", flush=True)
    load_time = time.perf_counter() - load_started
    if rows_total:
        print(
            f"loaded {rows_total:,} rows in {load_time / 60:.1f} min "
            f"({rows_total / load_time:,.0f} rows/s)",
            flush=True,
        )
    probe = build_probe(gen)
    for word in probe["example"].get("text_word", ""), probe["example"].get("title_word", ""):
        if word:
            probe.setdefault("matches", {})[word] = count_matches("document", word)
    path = probe_path()
    path.write_text(json.dumps(probe, ensure_ascii=False, indent=1))
    print(f"probe: {path}")
    print(json.dumps(probe["example"], ensure_ascii=False, indent=1))
    print(f"matches: {probe.get('matches')}")
    print(f"total time {(time.perf_counter() - started) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())

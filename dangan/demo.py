"""Demo data for `dangan demo`: departments, one login per role, and a few seeded,
realistic customers with dossiers for every active archive type.

Everything is created through the service functions, so the data is validated exactly
like user input and the audit trail records it. The randomness comes from one seeded
random.Random, so the same seed gives the same customers (archive numbers and times
depend on the day the demo is loaded).
"""

from __future__ import annotations

import datetime
import random
import struct
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from pypinyin import lazy_pinyin

from dangan.accounts.models import User
from dangan.accounts.services import department_ensure, user_create
from dangan.archives.checklist import dossier_checklist
from dangan.archives.models import ArchiveType, ChecklistItem, Dossier
from dangan.archives.services import dossier_create, dossier_locate
from dangan.core import identifiers
from dangan.customers.credit import customer_credit_set
from dangan.customers.models import Customer
from dangan.customers.services import customer_create
from dangan.demo_words import CAR_MODELS, COLORS, COMPOUNDS, SCALES, TRADES
from dangan.documents.models import Document
from dangan.documents.services import document_add

# Printed by `dangan demo` so people can log in; the demo is not for production data.
DEMO_PASSWORD = "Dangan-2026"  # noqa: S105 - a published demo password, not a secret

# The user whose presence means the demo has already been loaded.
MARKER_USERNAME = "clerk"

DEPARTMENTS = ("销售一部", "销售二部", "客服部", "物业服务中心", "档案室", "财务部")

# (username, role code, department, full name); the archivist first: the best first login.
DEMO_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("clerk", "archivist", "档案室", "李秀英"),
    ("sales1", "account_manager", "销售一部", "王磊"),
    ("sales2", "account_manager", "销售二部", "陈静"),
    ("manager1", "dept_manager", "销售一部", "张建国"),
    ("director", "director", "", "刘志强"),
    ("service", "customer_service", "客服部", "赵丽娟"),
    ("staff", "business_staff", "销售一部", "孙浩"),
    ("finance", "finance", "财务部", "周敏"),
    ("auditor", "auditor", "", "吴海燕"),
    ("sysadmin", "sysadmin", "", "郑凯"),
    ("security", "security_admin", "", "冯雪"),
)

# --- Name and address material ------------------------------------------------------

SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
    "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
    "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏",
    "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金",
    "欧阳", "司马", "上官",
)  # fmt: skip
MALE_GIVEN = (
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "辉", "鹏", "飞", "波",
    "建华", "建国", "志强", "志明", "海涛", "俊杰", "文博", "子豪", "浩然", "宇航", "家豪",
    "国栋", "振华", "晓东", "永刚", "立新", "德明", "建军", "一鸣", "天宇",
)  # fmt: skip
FEMALE_GIVEN = (
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "玲", "婷", "雪", "慧", "颖", "琳", "洁",
    "秀英", "秀兰", "桂英", "丽娟", "晓燕", "海燕", "美玲", "佳怡", "雨涵", "欣怡", "梓涵",
    "思琪", "雅琴", "文静", "春梅", "玉兰", "淑珍", "红梅", "婉清",
)  # fmt: skip

# (GB/T 2260 district code, district, roads, telephone area code)
REGIONS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("110105", "北京市朝阳区", ("建国路", "朝阳北路", "望京街", "东三环中路", "安立路"), "010"),
    ("110108", "北京市海淀区", ("中关村大街", "学院路", "西三环北路", "知春路"), "010"),
    ("110102", "北京市西城区", ("金融大街", "西直门外大街", "德胜门外大街"), "010"),
    ("110106", "北京市丰台区", ("丰台北路", "南三环西路", "科学城路"), "010"),
    ("310115", "上海市浦东新区", ("世纪大道", "张杨路", "陆家嘴环路"), "021"),
    ("310104", "上海市徐汇区", ("漕溪北路", "肇嘉浜路", "虹桥路"), "021"),
    ("440106", "广东省广州市天河区", ("天河路", "体育西路", "黄埔大道西"), "020"),
    ("440305", "广东省深圳市南山区", ("深南大道", "科技南路", "南海大道"), "0755"),
    ("330106", "浙江省杭州市西湖区", ("文三路", "天目山路", "教工路"), "0571"),
    ("320102", "江苏省南京市玄武区", ("中山路", "北京东路", "珠江路"), "025"),
    ("510107", "四川省成都市武侯区", ("人民南路", "科华北路", "武侯祠大街"), "028"),
    ("420106", "湖北省武汉市武昌区", ("中北路", "中南路", "武珞路"), "027"),
    ("370202", "山东省青岛市市南区", ("香港中路", "山东路", "东海西路"), "0532"),
)
# Customers mostly live near the (Beijing) business; birthplaces are spread out.
_HOME_WEIGHTS = (6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)
BRANDS = (
    "华信", "中联", "鼎盛", "金桥", "恒通", "瑞丰", "宏远", "天成", "博远", "兴业", "东方",
    "新锐", "嘉禾", "润泽", "同创", "海纳",
)  # fmt: skip
ROOMS = ("档案室A", "档案室B")


# --- Summary --------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


@dataclass
class DemoSummary:
    users: list[tuple[str, str, str]]  # (username, role name in Chinese, department)
    customers: int
    dossiers: int
    documents: int
    complete: int
    incomplete: int
    created: bool = field(default=True)  # False when the demo data was already there

    def describe(self) -> str:
        lines = [
            "演示数据已加载。" if self.created else "演示数据已存在,本次未重复创建。",
            f"  客户 {self.customers} 个,档案 {self.dossiers} 卷,文件 {self.documents} 件",
            f"  其中材料齐全 {self.complete} 卷,缺件待补 {self.incomplete} 卷",
            "",
            f"演示账号(密码均为 {DEMO_PASSWORD},仅供演示,请勿用于正式数据):",
        ]
        header = ("用户名", "密码", "角色", "部门")
        rows = [(u, DEMO_PASSWORD, role, dept or "—") for u, role, dept in self.users]
        widths = [max(_width(r[i]) for r in (header, *rows)) + 2 for i in range(4)]
        table = [header, *rows]
        for index, row in enumerate(table):
            text = "  " + "".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True))
            lines.append(text.rstrip())
            if index == 0:
                lines.append("  " + "-" * (sum(widths) - 2))
        if self.users:
            first = self.users[0]
            lines += [
                "",
                f"建议先以{first[1]} {first[0]} 登录:可查看全部客户与档案、存放位置和缺件清单;",
                "再用 sales1 / sales2 登录,对比客户经理只能看到本人客户的效果。",
            ]
        return "\n".join(lines)


def demo_summary(*, created: bool = False) -> DemoSummary:
    """Counts of what is in the database now, and the demo logins that exist."""
    users: list[tuple[str, str, str]] = []
    found = {
        u.username: u
        for u in User.objects.filter(username__in=[row[0] for row in DEMO_USERS])
        .select_related("department")
        .prefetch_related("roles")
    }
    for username, *_rest in DEMO_USERS:
        user = found.get(username)
        if user is not None:
            roles = "、".join(role.name for role in user.roles.all())
            users.append((username, roles, user.department.name if user.department else ""))
    dossiers = list(Dossier.objects.select_related("archive_type", "customer"))
    complete = sum(1 for dossier in dossiers if dossier_checklist(dossier).complete)
    return DemoSummary(
        users=users,
        customers=Customer.objects.count(),
        dossiers=len(dossiers),
        documents=Document.objects.count(),
        complete=complete,
        incomplete=len(dossiers) - complete,
        created=created,
    )


# --- Tiny scan files ----------------------------------------------------------------


def _pdf_text(text: str) -> str:
    """A PDF literal string body for ASCII text."""
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF 1.4 'scan': ASCII `lines` drawn on the page, `title` in its Info."""
    body = ["q 0.6 G 36 36 523 770 re S Q", "BT /F1 14 Tf 72 770 Td 18 TL"]
    body += [f"({_pdf_text(line.encode('ascii', 'replace').decode())}) '" for line in lines]
    body.append("ET")
    stream = "\n".join(body).encode("ascii")
    title_hex = ("FEFF" + title.encode("utf-16-be").hex()).upper()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        f"<< /Title <{title_hex}> /Producer (Dangan demo) >>".encode("ascii"),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_png(title: str, rng: random.Random, *, width: int = 96, height: int = 64) -> bytes:
    """A small greyscale PNG that looks like a photographed page: grey 'text lines' on
    white; `title` is stored in an iTXt chunk (so equal-looking images still differ)."""
    rows = []
    line_ends = [rng.randrange(width // 2, width - 8) for _ in range(height // 8)]
    for y in range(height):
        band, offset = divmod(y, 8)
        row = bytearray([245] * width)
        if 2 <= offset <= 4 and band < len(line_ends) and y > 6:
            for x in range(8, line_ends[band]):
                row[x] = 90 + rng.randrange(40)
        rows.append(b"\x00" + bytes(row))  # filter type 0 per scanline
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    text = b"Title\x00\x00\x00\x00\x00" + title.encode("utf-8")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"iTXt", text)
        + _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


# --- People and organisations -------------------------------------------------------


@dataclass
class _Person:
    name: str
    gender: str
    id_number: str
    mobile: str
    address: str
    email: str


class _Generator:
    """Seeded source of realistic, unique demo values."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not security
        self.today = timezone.localdate()
        self._used: set[str] = set()

    def unique(self, make: Callable[[], str]) -> str:
        for _attempt in range(1000):
            value = make()
            if value not in self._used:
                self._used.add(value)
                return value
        raise RuntimeError("could not generate a unique demo value")

    def name(self, gender: str) -> str:
        rng = self.rng
        given = MALE_GIVEN if gender == "male" else FEMALE_GIVEN
        return rng.choice(SURNAMES) + rng.choice(given)

    def region(self) -> tuple[str, str, tuple[str, ...], str]:
        return self.rng.choices(REGIONS, weights=_HOME_WEIGHTS)[0]

    def address(self) -> str:
        rng = self.rng
        _code, district, roads, _area = self.region()
        return (
            f"{district}{rng.choice(roads)}{rng.randint(1, 199)}号{rng.choice(COMPOUNDS)}"
            f"{rng.randint(1, 24)}号楼{rng.randint(1, 4)}单元"
            f"{rng.randint(2, 28)}{rng.randint(1, 4):02d}室"
        )

    def person(self) -> _Person:
        rng = self.rng
        gender = rng.choice(("male", "female"))
        name = self.unique(lambda: self.name(gender))
        birth = datetime.date(1958, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 42))
        region = rng.choice(REGIONS)[0]
        id_number = self.unique(
            lambda: identifiers.make_resident_id(rng, region=region, birth=birth, gender=gender)
        )
        email = ""
        if rng.random() < 0.5:
            letters = "".join(lazy_pinyin(name))
            email = f"{letters}{rng.randint(1, 99)}@{rng.choice(('163.com', 'qq.com', '126.com'))}"
        return _Person(
            name=name,
            gender=gender,
            id_number=id_number,
            mobile=self.unique(lambda: identifiers.make_mobile(rng)),
            address=self.address(),
            email=email,
        )

    def company_name(
        self, region: tuple[str, str, tuple[str, ...], str] | None = None
    ) -> tuple[str, str]:
        """A unique company name registered in `region` (random if None), and its industry."""
        rng = self.rng
        _code, district, _roads, _area = region or self.region()
        city = district.split("省")[-1][:2]
        trade, industry = rng.choice(TRADES)
        return self.unique(lambda: f"{city}{rng.choice(BRANDS)}{trade}有限公司"), industry

    def past_date(self, *, min_days: int = 30, max_days: int = 700) -> datetime.date:
        return self.today - datetime.timedelta(days=self.rng.randint(min_days, max_days))

    def after(self, start: datetime.date, low: int, high: int) -> datetime.date:
        """A date `low`..`high` days after start, never in the future."""
        return min(start + datetime.timedelta(days=self.rng.randint(low, high)), self.today)


# --- Custom field values --------------------------------------------------------------

PLATE_LETTERS = "ABCEFGHJKLMNPQ"
PLATE_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass
class _DossierContext:
    """What the field values of one dossier must agree with."""

    gen: _Generator
    customer: Customer
    owner: User
    contact: _Person | None
    base: datetime.date
    building: int = 0
    entrance: int = 0
    floor: int = 0
    room: int = 0
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def unit(self) -> str:
        return f"{self.building}-{self.floor}{self.room:02d}"


def _plate(rng: random.Random) -> str:
    return "京" + rng.choice(PLATE_LETTERS) + "".join(rng.choice(PLATE_CHARS) for _ in range(5))


def _money(value: float) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


def _price_fields(ctx: _DossierContext, key: str) -> str:
    prices = ctx.values.setdefault("_prices", {})
    if not prices:
        rng = ctx.gen.rng
        area = rng.randint(60, 160) + rng.choice((0.0, 0.25, 0.5, 0.75))
        unit_price = rng.randrange(42000, 92000, 100)
        total = round(area * unit_price, 2)
        prices.update(
            unit_price=_money(unit_price),
            total_price=_money(total),
            original_price=_money(round(total * rng.choice((1.02, 1.03, 1.05)), 0)),
        )
    return str(prices[key])


def _member_choice(ctx: _DossierContext, key: str) -> str:
    rng = ctx.gen.rng
    if key == "program":
        return rng.choice(("中外名家系列讲座", "融智论坛"))
    if ctx.values.get("program") == "融智论坛":
        return rng.choice(("会员", "会员", "单场购票", "邀请嘉宾"))
    return rng.choice(("一般会员", "一般会员", "名誉会员", "单场购票", "邀请嘉宾"))


def _guest_kind(ctx: _DossierContext) -> str:
    if ctx.customer.kind == Customer.Kind.ORGANIZATION:
        return "协议单位"
    return ctx.gen.rng.choice(("会员", "会员", "散客"))


def _contact_name(ctx: _DossierContext) -> str:
    return ctx.contact.name if ctx.contact else ctx.customer.name


def _contact_mobile(ctx: _DossierContext) -> str:
    return ctx.contact.mobile if ctx.contact else ctx.customer.mobile


def _bool_flag(ctx: _DossierContext, key: str) -> bool:
    rng = ctx.gen.rng
    chance = {
        "paid_by_self": 0.85,
        "plated_by_dealer": 0.6,
        "sold_by_us": 0.7,
        "minor_buyer": 0.05,
        "contract_changed": 0.1,
        "co_owned": 0.25,
        "signing_customer": 0.7 if ctx.customer.kind == Customer.Kind.ORGANIZATION else 0.15,
        "direct_sales": 0.3 if ctx.customer.kind == Customer.Kind.ORGANIZATION else 0.0,
    }.get(key, 0.35)
    return rng.random() < chance


def _date_value(ctx: _DossierContext, key: str) -> str:
    gen = ctx.gen
    after = {
        # key: (days after the dossier's base date, low, high)
        "move_in_date": (30, 120),
        "license_date": (2, 6),
        "delivery_date": (3, 12),
        "meeting_date": (20, 300),
        "rating_date": (0, 20),
    }
    if key in after:
        low, high = after[key]
        return gen.after(ctx.base, low, high).isoformat()
    return ctx.base.isoformat()


# Text fields by key; unknown keys fall back to a value built from the label.
_TEXT: dict[str, Callable[[_DossierContext], str]] = {
    "project": lambda c: c.gen.rng.choice(("阳光尚城", "金地·名京", "万科翡翠公园", "远洋天著")),
    "building": lambda c: f"{c.building}号楼",
    "entrance": lambda c: f"{c.entrance}单元",
    "discount": lambda c: c.gen.rng.choice(("开盘九八折", "老带新优惠1%", "一次性付款九五折")),
    "plate_no": lambda c: _plate(c.gen.rng),
    "parking_space": lambda c: f"B{c.gen.rng.randint(1, 2)}-{c.gen.rng.randint(1, 360):03d}",
    "engine_no": lambda c: (
        c.gen.rng.choice(("DJS", "DLF", "CSS", "DKX")) + f"{c.gen.rng.randrange(10**6):06d}"
    ),
    "model": lambda c: c.gen.rng.choice(CAR_MODELS),
    "color": lambda c: c.gen.rng.choice(COLORS),
    "sales_consultant": lambda c: c.owner.full_name,
    "service_advisor": lambda c: c.owner.full_name,
    "sales_channel": lambda c: c.gen.rng.choice(("展厅销售", "网络销售", "大客户销售", "二级网点")),
    "contact_person": _contact_name,
    "payment_method": lambda c: c.gen.rng.choice(("月结", "现金", "信用卡", "签单挂账")),
    "visit_reason": lambda c: c.gen.rng.choice(("商务出差", "旅游度假", "参加会议", "探亲访友")),
    "room_type_pref": lambda c: c.gen.rng.choice(("高楼层无烟大床房", "行政套房", "安静的双床房")),
    "toiletries_pref": lambda c: c.gen.rng.choice(("欧舒丹", "宝格丽", "无特殊要求")),
    "reading_pref": lambda c: c.gen.rng.choice(("《人民日报》", "《财经》杂志", "《参考消息》")),
    "entertainment_pref": lambda c: c.gen.rng.choice(("新闻频道", "体育赛事", "戏曲")),
    "diet_pref": lambda c: c.gen.rng.choice(("清淡少油,不吃香菜", "喜辣,偏爱川菜", "素食")),
    "beverage_pref": lambda c: c.gen.rng.choice(("西湖龙井", "美式咖啡不加糖", "普洱茶")),
    "lighting_pref": lambda c: "夜间保留廊灯",
    "ac_temp_pref": lambda c: f"{c.gen.rng.randint(22, 26)}℃",
    "bath_temp_pref": lambda c: c.gen.rng.choice(("偏热", "适中")),
    "hygiene_pref": lambda c: "每日更换床品",
    "other_pref": lambda c: c.gen.rng.choice(("晨跑,需要跑步路线图", "需要加湿器", "无")),
    "care_dates": lambda c: f"生日 {c.gen.rng.randint(1, 12)}月{c.gen.rng.randint(1, 28)}日",
    "company": lambda c: c.gen.company_name()[0],
    "job_title": lambda c: c.gen.rng.choice(("总经理", "财务总监", "人力资源经理", "董事长")),
    "brands": lambda c: c.gen.rng.choice(("海尔、美的", "华为、小米", "伊利、蒙牛", "安踏、李宁")),
    "contract_no": lambda c: f"HT-{c.base.year}-{c.gen.rng.randint(1, 999):04d}",
    "period_month": lambda c: c.base.strftime("%Y-%m"),
}


def field_value(spec: dict[str, Any], ctx: _DossierContext) -> Any:
    """A valid, sensible value for one custom field, consistent with the others."""
    rng = ctx.gen.rng
    key = str(spec["key"])
    kind = spec.get("type", "text")
    choices = [str(c) for c in spec.get("choices") or []]
    if kind == "bool":
        return _bool_flag(ctx, key)
    if kind == "vin":
        return ctx.gen.unique(lambda: identifiers.make_vin(rng))
    if kind == "unit":
        return ctx.unit
    if kind == "date":
        return _date_value(ctx, key)
    if kind == "mobile":
        return _contact_mobile(ctx) or identifiers.make_mobile(rng)
    if kind == "member_no":
        return ctx.gen.unique(lambda: f"M{rng.randrange(10**6):06d}")
    if kind == "money":
        if key in ("original_price", "unit_price", "total_price"):
            return _price_fields(ctx, key)
        if key == "agreed_rate":
            return _money(rng.randrange(388, 1288, 10))
        if key == "credit_limit":
            if ctx.customer.credit_limit is not None:
                return _money(float(ctx.customer.credit_limit))
            return _money(rng.randrange(5, 200) * 10000)
        return _money(rng.randrange(1000, 2_000_000))
    if kind == "number":
        number = {
            "floor": ctx.floor,
            "mileage": rng.randint(3000, 7500)
            if ctx.values.get("service_kind") == "首保"
            else rng.randint(8000, 90000),
            "discount_rate": rng.choice((85, 88, 90, 95)),
            "cooperation_years": rng.randint(1, 15),
        }.get(key)
        return number if number is not None else rng.randint(1, 30)
    if kind == "choice":
        wanted: str | None = None
        if key in ("program", "member_kind"):
            wanted = _member_choice(ctx, key)
        elif key == "guest_kind":
            wanted = _guest_kind(ctx)
        elif key == "pickup_place":
            wanted = "展厅" if rng.random() < 0.8 else "非展厅"
        elif key == "credit_rating":
            wanted = ctx.customer.credit_rating
        elif key == "payment":
            wanted = rng.choice(("按揭", "按揭", "一次性付款", "分期付款"))
        return wanted if wanted in choices else rng.choice(choices)
    make = _TEXT.get(key)
    return make(ctx) if make else f"{spec['label']}(演示)"


# Optional fields left empty on purpose (e.g. a move-out date would mean the owner left).
_LEAVE_EMPTY = frozenset({"move_out_date"})
# Guest/member kinds that carry a member number (会员编号).
_MEMBER_KINDS = frozenset({"会员", "一般会员", "名誉会员"})


def dossier_fields(archive_type: ArchiveType, ctx: _DossierContext) -> dict[str, Any]:
    """Values for every required field and most optional ones, in schema order."""
    rng = ctx.gen.rng
    # Member numbers last: whether there is one depends on the guest/member kind.
    schema = sorted(archive_type.field_schema(), key=lambda spec: spec.get("type") == "member_no")
    for spec in schema:
        key = str(spec["key"])
        if not spec.get("required"):
            if spec.get("type") == "member_no":
                kind = ctx.values.get("guest_kind", ctx.values.get("member_kind"))
                if kind not in _MEMBER_KINDS:
                    continue
            elif key == "license_date":
                if ctx.values.get("plated_by_dealer") is not True:
                    continue
            elif key in _LEAVE_EMPTY or rng.random() < 0.35:
                continue
        ctx.values[key] = field_value(spec, ctx)
    schema_keys = [str(spec["key"]) for spec in archive_type.field_schema()]
    return {key: ctx.values[key] for key in schema_keys if key in ctx.values}


# --- Loading ------------------------------------------------------------------------


def _users() -> dict[str, User]:
    for name in DEPARTMENTS:
        department_ensure(name=name)
    users = {}
    for username, role, department, full_name in DEMO_USERS:
        users[username], _password = user_create(
            actor=None,
            username=username,
            roles=[role],
            password=DEMO_PASSWORD,
            department=department,
            full_name=full_name,
        )
    return users


def _customer(
    gen: _Generator, clerk: User, owner: User, kind: str
) -> tuple[Customer, _Person | None]:
    rng = gen.rng
    tier = rng.choice(Customer.Tier.values)
    stage = rng.choice(("new", "new", "existing", "existing", "potential"))
    if kind == Customer.Kind.INDIVIDUAL:
        person = gen.person()
        customer = customer_create(
            actor=clerk,
            owner=owner,
            kind=kind,
            name=person.name,
            id_type=Customer.IdType.RESIDENT_ID,
            id_number=person.id_number,
            mobile=person.mobile,
            address=person.address,
            email=person.email,
            tier=tier,
            stage=stage,
            category=Customer.Category.PERSON,
        )
        return customer, None
    region = gen.region()
    _code, district, roads, area = region
    name, industry = gen.company_name(region)
    legal = gen.person()
    contact = gen.person()
    customer = customer_create(
        actor=clerk,
        owner=owner,
        kind=kind,
        name=name,
        uscc=gen.unique(lambda: identifiers.make_uscc(rng)),
        mobile=contact.mobile,
        phone=f"{area}-{rng.randint(5, 8)}{rng.randrange(10**6, 10**7)}",
        address=f"{district}{rng.choice(roads)}{rng.randint(1, 399)}号{rng.randint(2, 30)}层",
        legal_representative=legal.name,
        registered_capital=Decimal(rng.choice((100, 200, 500, 1000, 3000, 5000))),
        industry=industry,
        scale=rng.choice(SCALES),
        tier=tier,
        stage=stage,
        category=rng.choice((Customer.Category.COMPANY,) * 3 + (Customer.Category.PARTNER,)),
    )
    # Credit data is finance's to set (seed 001), not the clerk's.
    rating = rng.choice(("A", "A", "B", "B", "C"))
    limit = Decimal(rng.randrange(5, 200) * 10000)
    finance = User.objects.filter(username="finance").first()
    if finance is not None:
        customer = customer_credit_set(
            actor=finance, customer=customer, credit_rating=rating, credit_limit=limit
        )
    return customer, contact


def _carrier(item: ChecklistItem, rng: random.Random) -> str:
    if "照片" in item.name:
        return Document.Carrier.ELECTRONIC
    if item.original:
        return Document.Carrier.PAPER_ORIGINAL
    if "复印件" in item.name:
        return Document.Carrier.PAPER_COPY
    return rng.choice((Document.Carrier.PAPER_ORIGINAL,) * 3 + (Document.Carrier.PAPER_COPY,))


# Papers the customer brings (copies of certificates): the customer is their 责任者.
_CUSTOMER_PAPERS = (
    "身份证", "户口", "结婚证", "营业执照", "组织机构代码", "税务登记", "行驶证", "首保卡",
)  # fmt: skip


def _documents(
    gen: _Generator, dossier: Dossier, owner: User, base: datetime.date, *, complete: bool
) -> None:
    rng = gen.rng
    checklist = dossier_checklist(dossier)
    required = [row.item for row in checklist.rows if row.required]
    optional = [row.item for row in checklist.rows if row.applicable and not row.required]
    if not complete and required:
        skipped = rng.sample(required, k=min(len(required), rng.randint(1, 3)))
        required = [item for item in required if item not in skipped]
    extra = rng.sample(optional, k=min(len(optional), rng.randint(0, 2)))
    department = owner.department.name if owner.department else ""
    for item in sorted([*required, *extra], key=lambda it: (it.position, it.pk)):
        paper = any(word in item.name for word in _CUSTOMER_PAPERS)
        doc_date = gen.after(base, 0, 20)
        file_name = ""
        file_chunks: list[bytes] | None = None
        if rng.random() < 0.35:
            safe = item.name.replace("/", "-").replace("\\", "-")
            # The title goes into the bytes so that every scan has its own SHA-256.
            title = f"{dossier.archive_number} {item.name}"
            if "照片" in item.name or rng.random() < 0.3:
                file_name, file_chunks = f"{safe}.png", [make_png(title, rng)]
            else:
                lines = [
                    "Dangan demo scan",
                    f"Archive number: {dossier.archive_number}",
                    f"Document type: {item.code}",
                    f"Date: {doc_date.isoformat()}",
                ]
                file_name, file_chunks = f"{safe}.pdf", [make_pdf(title, lines)]
        document_add(
            actor=owner,
            dossier=dossier,
            checklist_item=item,
            responsible=dossier.customer.name if paper and dossier.customer else department,
            doc_date=doc_date,
            pages=rng.randint(6, 24) if "合同" in item.name else rng.randint(1, 4),
            carrier=_carrier(item, rng),
            remarks=rng.choice(("", "", "", "原件已核对", "客户已签字确认")),
            file_name=file_name,
            file_chunks=file_chunks,
        )


def _location(type_index: int, n: int) -> dict[str, str]:
    return {
        "room": ROOMS[0] if type_index < 4 else ROOMS[1],
        "cabinet": f"{type_index % 6 + 1:02d}",
        "shelf": str(n // 20 % 5 + 1),
        "box": f"{(type_index * 5 + n // 4) % 40 + 1:03d}",
        "position": str(n % 20 + 1),
    }


def _unit_context(ctx: _DossierContext) -> None:
    rng = ctx.gen.rng

    def pick() -> str:
        ctx.building = rng.randint(1, 18)
        ctx.entrance = rng.randint(1, 4)
        ctx.floor = rng.randint(2, 28)
        ctx.room = rng.randint(1, 4)
        # 一户一档: a home has one dossier (the PROPERTY type's unique key).
        return f"unit:{ctx.building}-{ctx.entrance}-{ctx.floor}-{ctx.room}"

    ctx.gen.unique(pick)


@transaction.atomic
def _sign_off(*, keep_waiting: int) -> None:
    """The sign-offs the filed pieces wait for, given by their signers, but for the last
    few (so the managers' and finance's queues show something)."""
    from dangan.circulation import approvals
    from dangan.circulation.models import ApprovalStep
    from dangan.confirmations.approval import ConfirmationSubject
    from dangan.confirmations.services import document_confirm

    opened = ApprovalStep.objects.filter(document__isnull=False).exclude(
        status=ApprovalStep.Status.SKIPPED
    )
    documents = sorted(set(opened.values_list("document_id", flat=True)))
    last = set(documents[-keep_waiting:]) if keep_waiting else set()
    for document_id in documents:
        if document_id in last:
            continue
        while True:  # each step in turn, by someone who may sign it
            step = (
                ApprovalStep.objects.select_related("document__dossier", "document__created_by")
                .filter(document_id=document_id, status=ApprovalStep.Status.PENDING)
                .first()
            )
            if step is None:
                break
            subject = ConfirmationSubject(step.document)
            signer = next(iter(approvals.approvers_of(step, subject)), None)
            if signer is None:
                break
            document_confirm(actor=signer, confirmation_id=step.pk)


def demo_load(*, seed: int = 2026, per_type: int = 6) -> DemoSummary:
    """Create the demo departments, users, customers, dossiers and documents once.

    If the demo users exist already, nothing is created and the summary describes the
    data that is there.
    """
    if User.objects.filter(username=MARKER_USERNAME).exists():
        return demo_summary(created=False)
    gen = _Generator(seed)
    users = _users()
    clerk = users["clerk"]
    owners = (users["sales1"], users["sales2"])
    counter = 0
    types = ArchiveType.objects.filter(is_active=True, customer_less=False)  # customers' files
    for type_index, archive_type in enumerate(types):
        kinds = archive_type.customer_kinds or list(Customer.Kind.values)
        for n in range(per_type):
            if len(kinds) == 1:
                kind = kinds[0]
            else:
                kind = Customer.Kind.ORGANIZATION if n % 3 == 1 else Customer.Kind.INDIVIDUAL
            owner = owners[n % 2]
            customer, contact = _customer(gen, clerk, owner, kind)
            base = gen.past_date()
            ctx = _DossierContext(
                gen=gen, customer=customer, owner=owner, contact=contact, base=base
            )
            _unit_context(ctx)
            dossier = dossier_create(
                actor=clerk,
                customer=customer,
                archive_type=archive_type,
                fields=dossier_fields(archive_type, ctx),
                volume_year=base.year,
            )
            # The demo types keep a dossier's room as a free note: located at once.
            dossier_locate(actor=clerk, dossier=dossier, location=_location(type_index, n))
            # Two dossiers in three are complete; the rest miss one to three items.
            _documents(gen, dossier, owner, base, complete=counter % 3 != 2)
            counter += 1
    _sign_off(keep_waiting=2)
    from dangan.demo_company import company_files

    company_files(clerk, owners, per_type, location=lambda n: _location(8, n))
    # The archive room's tree from the places named above (库房 › 柜 › 层 › 盒).
    from dangan.locations.services import tree_from_texts

    tree_from_texts(actor=clerk)
    return demo_summary(created=True)

"""Words of generated Chinese data that the demo data (dangan/demo.py) and the
benchmark generator (benchmarks/generate.py) both draw from. Plain data: importing it
needs no Django set-up."""

from __future__ import annotations

COMPOUNDS = (
    "阳光花园", "锦绣家园", "远洋山水", "万科城市花园", "金地名京", "碧水云天", "望京西园",
    "华润橡树湾", "首开国风", "富力城", "保利春天里", "中海凯旋",
)  # fmt: skip
# (company-name business word, industry shown on the customer)
TRADES = (
    ("科技", "信息技术"),
    ("商贸", "批发零售"),
    ("建设工程", "建筑业"),
    ("物流", "交通运输"),
    ("餐饮管理", "住宿餐饮"),
    ("文化传媒", "文化传媒"),
    ("医疗器械", "医疗卫生"),
    ("汽车租赁", "租赁服务"),
    ("置业", "房地产"),
)
SCALES = ("20人以下", "20-99人", "100-299人", "300-999人", "1000人以上")
CAR_MODELS = (
    "斯柯达 明锐 1.4T 豪华版", "斯柯达 速派 2.0T 旗舰版", "斯柯达 柯迪亚克 TSI330",
    "大众 朗逸 1.5L 舒适版", "大众 帕萨特 330TSI 精英版", "大众 途观L 330TSI 两驱版",
)  # fmt: skip
COLORS = ("珍珠白", "曜石黑", "星空灰", "烈焰红", "冰川蓝", "香槟金")

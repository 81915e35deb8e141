"""The PDF builder: pages, Chinese text that extracts, repeating watermark."""

from __future__ import annotations

import io

from pypdf import PdfReader

from dangan.reports.pdf import Column, render_form_pdf, render_table_pdf

WATERMARK = "王五 2026-11-23 14:05 JY-2026-0007"


def _register(**kwargs: object) -> bytes:
    columns = [
        Column("序号", 12),
        Column("借阅人", 22),
        Column("档案号", 30),
        Column("客户名称", 45),
        Column("借出日期", 22),
        Column("应还日期", 22),
        Column("备注", 50),
    ]
    rows = [
        [
            str(i),
            "张三丰" if i % 2 else "alice",
            f"DA-2026-{i:04d}",
            f"上海浦东发展银行股份有限公司第{i}分行",
            "2026-11-23",
            "2026-12-23",
            "借阅用于年度审计复核，原件不得外借；归还时须检查页数完整。" * (1 + i % 3),
        ]
        for i in range(1, 121)
    ]
    return render_table_pdf(
        title="借阅登记表",
        subtitle="2026 年 11 月",
        meta=[("打印人", "王五"), ("打印时间", "2026-11-23 14:05")],
        columns=columns,
        rows=rows,
        signatures=["档案管理员", "部门经理"],
        footer="Dangan 客户档案管理系统",
        **kwargs,  # type: ignore[arg-type]
    )


def _texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_register_spans_pages_with_chinese_text_and_watermark() -> None:
    pdf = _register(watermark=WATERMARK)
    assert pdf.startswith(b"%PDF")
    texts = _texts(pdf)
    assert len(texts) > 1
    assert "借阅登记表" in texts[0]
    joined = "\n".join(texts).replace("\n", "")
    assert "上海浦东发展银行股份有" in texts[0]
    assert "DA-2026-0120" in joined
    for number, text in enumerate(texts, start=1):
        assert WATERMARK in text, f"page {number} lacks the watermark"
        assert f"第 {number} 页 共 {len(texts)} 页" in text
        assert "借阅人" in text  # the heading repeats on every page
    assert "档案管理员：" in texts[-1]


def test_register_landscape_and_without_watermark() -> None:
    pdf = _register(landscape=True)
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert box.width > box.height
    assert "JY-2026" not in "".join(page.extract_text() for page in reader.pages)


def test_markup_in_values_is_plain_text() -> None:
    pdf = render_table_pdf(
        title="<b>标题</b> & 说明",
        columns=[Column("名称", 50)],
        rows=[["<font color=red>甲</font> & 乙"]],
    )
    text = _texts(pdf)[0]
    assert "<b>标题</b> & 说明" in text
    assert "<font color=red>甲</font> & 乙" in text


def test_empty_register() -> None:
    text = _texts(render_table_pdf(title="借阅登记表", columns=[Column("借阅人", 30)], rows=[]))[0]
    assert "（无记录）" in text


def test_borrow_slip_is_one_page() -> None:
    pdf = render_form_pdf(
        title="借阅单",
        number="JY-2026-0007",
        fields=[
            ("借阅人", "张三（销售部）"),
            ("客户", "上海某某贸易有限公司"),
            ("档案", "DA-2026-0001 客户基本资料"),
            ("借阅方式", "借出（纸质）"),
            ("用途", "合同续签核对"),
            ("借出日期", "2026-11-23"),
            ("应还日期", "2026-12-23"),
        ],
        signatures=["借阅人", "审批人", "档案管理员", "归还确认"],
        note="注意：原件不得外借；借出档案应妥善保管，不得拆散、涂改、转借。",
        watermark="JY-2026-0007",
    )
    assert pdf.startswith(b"%PDF")
    texts = _texts(pdf)
    assert len(texts) == 1
    text = texts[0]
    for expected in (
        "借阅单",
        "编号：JY-2026-0007",
        "上海某某贸易有限公司",
        "审批人：",
        "第 1 页 共 1 页",
    ):
        assert expected in text
    assert "日期：" in text and "年" in text and "月" in text
    assert text.count("JY-2026-0007") > 3  # the tiled watermark


def test_it_embeds_every_font_of_the_slips_and_registers_latin_included() -> None:
    """No standard-14 font (Helvetica) and no unembedded CID font: each font on each page
    has its file in the PDF, so the slip looks the same on any viewer."""
    from dangan.paper.tests.pdfcheck import fonts_of

    slip = render_form_pdf(title="借阅单", number="JY-2026-0007", fields=[("档号", "DA-2026-0001")])
    for pdf in (slip, _register(watermark=WATERMARK)):
        fonts = fonts_of(pdf)
        assert fonts and all(embedded for _name, embedded in fonts), fonts
        assert not any("Helvetica" in name for name, _embedded in fonts)
        assert "JY-2026-0007" in _texts(slip)[0]

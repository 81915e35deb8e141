"""Prints of a dossier's paper through the API: every form reads back with its Chinese
text and archive number, embeds every font, carries the QR code it should, and is on the
record; a dossier one may not see answers 404 and prints nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from conftest import audit_actions
from dangan.audit.models import AuditEntry
from dangan.paper.labels import qr_payload, read_scan
from dangan.paper.printing import DOSSIER_FORMS
from dangan.paper.tests.pdfcheck import (
    all_fonts_embedded,
    expected_modules,
    qr_modules,
    text_of,
)

pytestmark = pytest.mark.django_db

TITLES = {
    "cover": "客户档案",
    "contents": "档案袋文件清单",
    "catalogue": "卷内目录",
    "notes": "备考表",
    "label": "崔",  # the label carries the customer's name; see the fixture below
}


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _get(client: Client, dossier: Any, form: str) -> Any:
    return client.get(f"/api/v1/dossiers/{dossier.pk}/print/{form}.pdf")


def test_it_prints_every_form_readable_embedded_and_with_its_qr_code(
    alice: Any, car_dossier: Any
) -> None:
    client = client_for(alice)
    number = car_dossier.archive_number
    for form in DOSSIER_FORMS:
        response = _get(client, car_dossier, form)
        assert response.status_code == 200, form
        assert response["Content-Type"] == "application/pdf"
        pdf = response.content
        text = text_of(pdf)
        assert number in text, form
        if form != "label":
            assert TITLES[form] in text, form
        assert all_fonts_embedded(pdf), form
        assert qr_modules(pdf) == expected_modules(qr_payload(number)), form
    entries = AuditEntry.objects.filter(action="print", object_id=str(car_dossier.pk))
    assert sorted(e.detail["form"] for e in entries) == sorted(DOSSIER_FORMS)


def test_it_puts_the_car_bags_nine_face_fields_on_the_cover(alice: Any, car_dossier: Any) -> None:
    text = text_of(_get(client_for(alice), car_dossier, "cover").content)
    for label in ("客户姓名", "联系电话", "车型", "颜色", "车架号码", "发动机号", "销售顾问"):
        assert label in text
    assert "销售途径" in text and "购车时间" in text
    assert "1M8GDM9AXKP042788" in text and "明锐 1.5L" in text and "张三" in text


def test_it_ticks_the_checklist_in_order_on_the_contents_list(alice: Any, car_dossier: Any) -> None:
    text = text_of(_get(client_for(alice), car_dossier, "contents").content)
    names = [item.name for item in car_dossier.archive_type.items.order_by("position")]
    positions = [text.find(name[:6]) for name in names[:5]]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)


def test_it_answers_404_for_a_dossier_one_may_not_see_and_prints_nothing(
    dave: Any, car_dossier: Any
) -> None:
    response = _get(client_for(dave), car_dossier, "cover")
    assert response.status_code == 404
    assert audit_actions(action="print") == []
    denied = AuditEntry.objects.get(actor=dave, outcome="denied")
    assert "print/cover.pdf" in denied.object_repr


def test_it_prints_a_selection_and_refuses_it_whole_with_one_hidden_dossier(
    alice: Any, bob: Any, car_dossier: Any, daves_customer: Any, templates: Any
) -> None:
    from conftest import car_fields
    from dangan.archives.services import dossier_create

    other = dossier_create(
        actor=alice,
        customer=daves_customer,
        archive_type=templates["CAR-SALE"],
        fields=car_fields(vin="LSVF8PX49X0748337"),
    )
    url = f"/api/v1/dossiers/print/catalogue.pdf?ids={car_dossier.pk},{other.pk}"
    response = client_for(alice).get(url)
    assert response.status_code == 200
    text = text_of(response.content)
    assert car_dossier.archive_number in text and other.archive_number in text
    assert client_for(bob).get(url).status_code == 404
    assert len(audit_actions(action="print")) == 2  # alice's two, none of bob's
    assert client_for(alice).get("/api/v1/dossiers/print/catalogue.pdf").status_code == 400
    assert (
        client_for(alice).get(f"/api/v1/dossiers/print/nonsense.pdf?ids={other.pk}").status_code
        == 404
    )


def test_it_reads_a_scan_as_the_qr_or_the_bare_number() -> None:
    assert read_scan(qr_payload("20261001")).archive_number == "20261001"
    assert not read_scan(qr_payload("20261001")).foreign
    assert read_scan("DANGAN:00000000:20261001\r\n").foreign
    assert read_scan(" 2026-XS-0003\n") == read_scan("2026-XS-0003")


def test_it_refuses_a_cover_field_the_archive_type_does_not_have(tmp_path: Any) -> None:
    import yaml

    from dangan.archives.loader import SEED_DIR, TemplateError, validate_template

    data = yaml.safe_load((SEED_DIR / "03_car_sales.yaml").read_text(encoding="utf-8"))
    assert len(validate_template(dict(data), "car")["cover"]) == 9
    with pytest.raises(TemplateError, match=r"fields\.wheels"):
        validate_template({**data, "cover": ["fields.wheels"]}, "car")
    with pytest.raises(TemplateError):
        validate_template({**data, "cover": ["customer.id_number"]}, "car")


def test_the_dossier_list_prints_the_ticked_or_all_filtered_dossiers(
    alice: Any, bob: Any, templates: Any, bobs_customer: Any
) -> None:
    import random

    from django.test import Client

    from conftest import car_fields
    from dangan.archives.services import dossier_create
    from dangan.audit.models import AuditEntry
    from dangan.core.identifiers import make_vin

    rng = random.Random(3)  # noqa: S311 - test data
    made = [
        dossier_create(
            actor=bob,
            customer=bobs_customer,
            archive_type=templates["CAR-SALE"],
            fields=car_fields(vin=make_vin(rng)),
        )
        for _n in range(3)
    ]
    page = Client()
    page.force_login(alice)
    listed = page.get("/dossiers/").content.decode()
    assert 'form="print-form"' in listed and "打印勾选的档案" in listed
    ticked = page.get(
        "/inventory/print/", {"form": "cover", "ids": [made[0].pk, made[2].pk], "scope": "selected"}
    )
    assert ticked.status_code == 200 and ticked["Content-Type"] == "application/pdf"
    text = text_of(ticked.content)
    assert made[0].archive_number in text and made[2].archive_number in text
    assert made[1].archive_number not in text
    every = page.get(
        "/inventory/print/", {"form": "label", "scope": "all", "q": made[1].archive_number}
    )
    assert every.status_code == 200 and made[1].archive_number in text_of(every.content)
    assert all_fonts_embedded(every.content)
    prints = AuditEntry.objects.filter(action="print").values_list("object_id", flat=True)
    assert sorted(prints) == sorted(str(pk) for pk in (made[0].pk, made[2].pk, made[1].pk))
    none = page.get(
        "/inventory/print/", {"form": "cover", "scope": "selected", "q": "x"}, follow=True
    )
    assert "请选择要打印的档案" in none.content.decode()
    assert none.redirect_chain[-1][0] == "/dossiers/?q=x"

"""Archive types already loaded get the `remind` declarations that the shipped templates now
carry on their date fields (issue 26): the reminders read them instead of a fixed list of
field names. A field that already declares one, or that is not a date, is left alone."""

from __future__ import annotations

from typing import Any

from django.db import migrations

# The field names the reminders used before types declared them.
FORMER = {
    "contract_date": "anniversary",
    "purchase_date": "anniversary",
    "delivery_date": "anniversary",
    "move_in_date": "move_in",
    "contract_end": "contract_end",
    "contract_end_date": "contract_end",
    "lease_end": "contract_end",
    "expiry_date": "contract_end",
}


def declare(apps: Any, schema_editor: Any) -> None:
    ArchiveType = apps.get_model("archives", "ArchiveType")
    for archive_type in ArchiveType.objects.all():
        fields = list(archive_type.fields or [])
        changed = False
        for spec in fields:
            kind = FORMER.get(str(spec.get("key")))
            if kind and spec.get("type") == "date" and not spec.get("remind"):
                spec["remind"] = kind
                changed = True
        if changed:
            archive_type.fields = fields
            archive_type.save(update_fields=["fields"])


class Migration(migrations.Migration):
    dependencies = [
        ("home", "0001_initial"),
        ("archives", "0008_deadline_variants"),
    ]

    operations = [migrations.RunPython(declare, migrations.RunPython.noop)]

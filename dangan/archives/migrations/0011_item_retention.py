from typing import Any

from django.db import migrations, models

# 002 篇3 4.3.5: expired complaint records, meeting and communication records and quality
# monitoring records are destroyed with the project manager's approval, before the owner's
# dossier ends. Three years, as the shipped template now says; the company may change it.
SHORT_LIVED = {"PROPERTY": ("COMPLAINTS", "COMMUNICATION", "QUALITY")}


def short_lived_items(apps: Any, schema_editor: Any) -> None:
    ChecklistItem = apps.get_model("archives", "ChecklistItem")
    for type_code, codes in SHORT_LIVED.items():
        ChecklistItem.objects.filter(
            archive_type__code=type_code, code__in=codes, retention=""
        ).update(retention="D3")


class Migration(migrations.Migration):
    dependencies = [
        ("archives", "0010_type_access_defaults"),
    ]

    operations = [
        migrations.AddField(
            model_name="checklistitem",
            name="retention",
            field=models.CharField(blank=True, max_length=8, verbose_name="单独保管期限"),
        ),
        migrations.RunPython(short_lived_items, migrations.RunPython.noop),
    ]

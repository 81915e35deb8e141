"""Finding kinds for the fines the clerk records (issue 29): contact not verified, missing
internal signature, lost bag (seed 001 五.3, 五.5, 五.7). The car-service template named the
second one `missing_internal_signature`, a kind that never existed: archive types loaded
before are renamed to the real kind, so the fine can be charged."""

from typing import Any

from django.db import migrations, models

OLD, NEW = "missing_internal_signature", "no_internal_signature"


def rename(apps: Any, schema_editor: Any) -> None:
    ArchiveType = apps.get_model("archives", "ArchiveType")
    for archive_type in ArchiveType.objects.all():
        rules = archive_type.penalties or []
        if any(isinstance(r, dict) and r.get("finding") == OLD for r in rules):
            archive_type.penalties = [
                {**r, "finding": NEW} if isinstance(r, dict) and r.get("finding") == OLD else r
                for r in rules
            ]
            archive_type.save(update_fields=["penalties"])


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0001_initial"),
        ("archives", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="finding",
            name="kind",
            field=models.CharField(
                choices=[
                    ("missing", "缺件"),
                    ("wrong", "错误"),
                    ("inconsistent", "信息不一致"),
                    ("no_stamp", "未盖章"),
                    ("no_signature", "无签字"),
                    ("late", "超期上交"),
                    ("contact_not_verified", "联系方式未核实"),
                    ("no_internal_signature", "内部签字缺失"),
                    ("lost", "档案袋遗失"),
                    ("other", "其他"),
                ],
                max_length=32,
                verbose_name="类别",
            ),
        ),
        migrations.RunPython(rename, migrations.RunPython.noop),
    ]

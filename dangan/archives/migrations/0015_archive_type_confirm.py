"""An archive type's sign-offs escalate (issue 27 §2, §6): `confirm` holds how long a
sign-off may wait before it goes to the next level as well; the types there get the
shipped default, as the schema writes it for a new one (dangan.rules.schema.parse_confirm).
Written out here (not imported), so the migration keeps doing the same when the code
changes."""

from django.db import migrations, models

SHIPPED = {"escalate_after_hours": 48}


def shipped_default(apps, schema_editor):
    ArchiveType = apps.get_model("archives", "ArchiveType")
    for archive_type in ArchiveType.objects.all():
        if not archive_type.confirm:
            archive_type.confirm = SHIPPED
            archive_type.save(update_fields=["confirm"])


class Migration(migrations.Migration):

    dependencies = [
        ('archives', '0014_archive_type_change_control'),
    ]

    operations = [
        migrations.AddField(
            model_name='archivetype',
            name='confirm',
            field=models.JSONField(blank=True, default=dict, verbose_name='文件确认设置'),
        ),
        migrations.RunPython(shipped_default, migrations.RunPython.noop),
    ]

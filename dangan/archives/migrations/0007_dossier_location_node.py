"""Dossiers gain their place in the archive room's tree (dangan.locations) and a natural
sort key of their type's placement fields (1号楼 < 14号楼), filled here for existing rows.

Both columns are nullable: on SQLite that makes them a plain ADD COLUMN, where a NOT NULL
column would rebuild the table (and fail on the search trigger that names it)."""

import re

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _natural(text):  # a copy of locations.natural.natural_key as of this migration
    value = "".join(str(text or "").split()).casefold()
    parts = re.split(r"(\d+)", value)
    return "".join(p.zfill(12) if i % 2 else p for i, p in enumerate(parts))


def fill_placement_keys(apps, schema_editor):
    Dossier = apps.get_model("archives", "Dossier")
    ArchiveType = apps.get_model("archives", "ArchiveType")
    for archive_type in ArchiveType.objects.all():
        keys = list(archive_type.placement or [])
        if not keys:
            continue
        batch = []
        for dossier in Dossier.objects.filter(archive_type=archive_type).only("id", "fields"):
            fields = dossier.fields or {}
            dossier.placement_key = " ".join(_natural(fields.get(k, "")) for k in keys)[:250]
            batch.append(dossier)
            if len(batch) >= 2000:
                Dossier.objects.bulk_update(batch, ["placement_key"])
                batch = []
        Dossier.objects.bulk_update(batch, ["placement_key"])


class Migration(migrations.Migration):

    dependencies = [
        ('archives', '0006_archive_type_cover'),
        ('customers', '0006_drop_pattern_indexes'),
        ('locations', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='dossier',
            name='location_node',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='dossiers', to='locations.location', verbose_name='存放位置节点'),
        ),
        migrations.AddField(
            model_name='dossier',
            name='placement_key',
            field=models.CharField(blank=True, editable=False, max_length=250, null=True),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['archive_type', 'placement_key'], name='dossier_placement'),
        ),
        migrations.RunPython(fill_placement_keys, migrations.RunPython.noop),
    ]

# PostgreSQL: no LIKE-prefix index on the archive number, only ever compared whole or
# searched anywhere in it (icontains, which no such index serves) (core.migration_ops).

from django.db import migrations

from dangan.core.migration_ops import drop_pattern_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("archives", "0002_dossier_confidentiality"),
    ]

    operations = [
        drop_pattern_indexes("archives_dossier", ["archive_number"]),
    ]

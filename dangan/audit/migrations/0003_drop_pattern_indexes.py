# PostgreSQL: no LIKE-prefix indexes on columns only ever compared whole (core.migration_ops).

from django.db import migrations

from dangan.core.migration_ops import drop_pattern_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_chain_anchor"),
    ]

    operations = [
        drop_pattern_indexes("audit_auditentry", ["action", "object_type", "entry_hash"]),
    ]

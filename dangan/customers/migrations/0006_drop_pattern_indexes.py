# PostgreSQL: no LIKE-prefix indexes on columns only ever compared whole (core.migration_ops).

from django.db import migrations

from dangan.core.migration_ops import drop_pattern_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_customer_newest"),
    ]

    operations = [
        drop_pattern_indexes(
            "customers_customer",
            [
                "id_number_lookup",
                "id_last4_lookup",
                "id_last5_lookup",
                "id_last6_lookup",
                "mobile",
                "uscc",
            ],
        ),
    ]

# An account manager's customers, newest first, without sorting them all (customers.models).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0006_drop_pattern_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["owner", "created_at", "id"], name="customer_owner_newest"),
        ),
    ]

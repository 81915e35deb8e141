# The customer list, newest first, without sorting every customer (customers.models).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_customer_name_newest"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["created_at", "id"], name="customer_newest"),
        ),
    ]

"""Confirmations on the one approval engine (issue 27 §8): their rows moved to
circulation.ApprovalStep (circulation 0010); their own table goes."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("circulation", "0010_sign_offs_data"),
        ("confirmations", "0002_rule_version"),
    ]

    operations = [migrations.DeleteModel(name="Confirmation")]

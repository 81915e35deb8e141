"""Fill the last-5 lookup of the customers registered before it existed, so that an ID
number is found by its last 4, 5 or 6 characters for old customers too (issue 6).

The lookup is a keyed hash of the number, so the number is decrypted here with the data
dir's keys, exactly as customers.services._set_identity hashes it. A data migration
rather than a command to remember: `dangan init` applies it on upgrade, and the keys are
always loaded where migrations run (settings read them from the data dir). It fills only
blank lookups, batch by batch, each batch committed on its own: an interrupted run
resumes where it stopped."""

from cryptography.fernet import InvalidToken
from django.db import migrations, transaction

from dangan.core import crypto

BATCH = 1000


def forwards(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    pending = Customer.objects.exclude(id_number_encrypted="").filter(id_last5_lookup="")
    last = 0
    while True:
        batch = list(
            pending.filter(pk__gt=last).order_by("pk").only("pk", "id_number_encrypted")[:BATCH]
        )
        if not batch:
            return
        for customer in batch:
            try:
                number = crypto.decrypt(customer.id_number_encrypted)
            except InvalidToken:
                # Unreadable under this key: the number is unreadable everywhere else too.
                continue
            customer.id_last5_lookup = crypto.lookup_hash(number[-5:], purpose="last5")
        with transaction.atomic():
            Customer.objects.bulk_update(batch, ["id_last5_lookup"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    atomic = False  # one transaction per batch (see above)

    dependencies = [("customers", "0002_customer_id_last5_lookup")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

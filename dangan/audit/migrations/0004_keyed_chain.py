"""Key the audit chain (HMAC-SHA256 under settings.AUDIT_CHAIN_KEY, from secrets.json).

An upgraded instance keeps its unkeyed entries exactly as they are (their hashes are not
recomputed: that would bless whatever was done to them before). This migration appends one
keyed entry, action "audit_keyed", linked to the head as it stands, and sets
AuditHead.keyed_from to its sequence number. From then on:

- entries before keyed_from are checked with the old unkeyed SHA-256, and the keyed entry's
  HMAC covers the last unkeyed hash, so none of them can be edited and re-chained without
  breaking the keyed entry;
- keyed_from itself cannot be moved: `audit_verify` accepts only 1 (all keyed) or the
  sequence number of a keyed "audit_keyed" entry, which nobody without the key can write.

The digest below must stay the same as dangan.audit.services._digest (a test checks that
the entry written here verifies).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _keyed_digest(values: dict[str, Any]) -> str:
    payload = {
        "seq": values["seq"],
        "at": values["at"].astimezone(datetime.UTC).isoformat(),
        "actor": values["actor_id"],
        "actor_name": values["actor_name"],
        "roles": values["roles"],
        "ip": values["ip"],
        "action": values["action"],
        "object_type": values["object_type"],
        "object_id": values["object_id"],
        "object_repr": values["object_repr"],
        "outcome": values["outcome"],
        "detail": values["detail"],
        "prev": values["prev_hash"],
    }
    key = settings.AUDIT_CHAIN_KEY.encode()
    text = _CANONICAL.encode(payload).encode()
    return hmac.new(key, text, hashlib.sha256).hexdigest()


def key_chain(apps: Any, schema_editor: Any) -> None:
    Head = apps.get_model("audit", "AuditHead")
    Entry = apps.get_model("audit", "AuditEntry")
    head = Head.objects.select_for_update().filter(pk=1).first()
    if head is None or not Entry.objects.exists():
        return  # a new instance: keyed from the first entry (keyed_from = 1)
    values: dict[str, Any] = {
        "seq": head.last_seq + 1,
        "at": timezone.now(),
        "actor_id": None,
        "actor_name": "",
        "roles": "",
        "ip": "",
        "action": "audit_keyed",
        "object_type": "audit",
        "object_id": "",
        "object_repr": "审计哈希链",
        "outcome": "success",
        "detail": {
            "unkeyed_before": head.last_seq + 1,
            "unkeyed_head": head.last_hash,
            "base_seq": head.base_seq,
            "base_hash": head.base_hash,
        },
        "prev_hash": head.last_hash,
    }
    values["entry_hash"] = _keyed_digest(values)
    Entry.objects.create(**values)
    head.last_seq, head.last_hash = values["seq"], values["entry_hash"]
    head.keyed_from = values["seq"]
    head.save(update_fields=["last_seq", "last_hash", "keyed_from"])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_drop_pattern_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="audithead",
            name="keyed_from",
            field=models.BigIntegerField(default=1),
        ),
        migrations.RunPython(key_chain, migrations.RunPython.noop),
    ]

"""Confirmations on the one approval engine (issue 27 §8): each sign-off of a filed piece
(confirmations.Confirmation) becomes an ApprovalStep bound to the document, keeping its
position, role, department, signer, time, note and the rules' version it was asked under.

  confirmed → approved, refused → denied;
  waiting   → pending for the first one still open of a piece (its turn now, opened at the
              upgrade, so the escalation clock, new to sign-offs, starts then), waiting for
              those after it, skipped for those after a refusal (the chain ended there).

Backwards, the steps become Confirmation rows again (approved → confirmed, denied →
refused, the rest waiting) and leave the engine's table. Written out here (not imported),
so the migration keeps doing the same when the code changes.
"""

from django.db import migrations
from django.utils import timezone

FORWARD = {"confirmed": "approved", "refused": "denied"}
BACKWARD = {"approved": "confirmed", "denied": "refused"}


def move_confirmations(apps, schema_editor):
    Step = apps.get_model("circulation", "ApprovalStep")
    Confirmation = apps.get_model("confirmations", "Confirmation")
    now = timezone.now()
    rows = []
    document, opened, refused = None, False, False
    for old in Confirmation.objects.order_by("document_id", "position", "pk").iterator():
        if old.document_id != document:
            document, opened, refused = old.document_id, False, False
        status, opened_at = FORWARD.get(old.status, ""), None
        if not status:  # waiting
            if refused:
                status = "skipped"
            elif not opened:
                status, opened_at, opened = "pending", now, True
            else:
                status = "waiting"
        if old.status == "refused":
            refused = True
        rows.append(
            Step(
                document_id=old.document_id,
                position=old.position,
                role=old.role,
                department_id=old.department_id,
                status=status,
                approver_id=old.by_id,
                decided_at=old.at,
                note=old.note,
                opened_at=opened_at,
                rule_version_id=old.rule_version_id,
            )
        )
        if len(rows) >= 2000:
            Step.objects.bulk_create(rows)
            rows = []
    Step.objects.bulk_create(rows)


def move_back(apps, schema_editor):
    Step = apps.get_model("circulation", "ApprovalStep")
    Confirmation = apps.get_model("confirmations", "Confirmation")
    steps = Step.objects.filter(document__isnull=False)
    Confirmation.objects.bulk_create(
        [
            Confirmation(
                document_id=step.document_id,
                position=step.position,
                role=step.role,
                department_id=step.department_id,
                status=BACKWARD.get(step.status, "waiting"),
                by_id=step.approver_id,
                at=step.decided_at,
                note=step.note,
                rule_version_id=step.rule_version_id,
            )
            for step in steps.order_by("document_id", "position")
        ],
        batch_size=2000,
    )
    steps.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0009_sign_offs"),
        ("confirmations", "0002_rule_version"),
    ]

    operations = [migrations.RunPython(move_confirmations, move_back)]

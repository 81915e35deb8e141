"""The dossier's transition table (issue 23 §1): data, like the approval rules.

Written out here (not imported) so this migration keeps doing the same thing when the
code changes. channel: manual (the dossier page and the API), loan (the loan desk only),
disposal (the appraisal and disposal workflow only). to_prior: the move may only go back
to the state the dossier was in before the current one.
"""

from django.db import migrations

STATUS = "dossier.status"
HOLD = "dossier.legal_hold"
APPRAISE = "dossier.appraise"
DISPOSE = "dossier.dispose"
LEND = "circulation.lend"
HOLDABLE = ("filed", "terminated", "moved_out", "appraisal", "pending_disposal")

# (from, to, channel, permission, label, to_prior)
TRANSITIONS = [
    ("filed", "terminated", "manual", STATUS, "终止", False),
    ("filed", "moved_out", "manual", STATUS, "迁出", False),
    ("terminated", "filed", "manual", STATUS, "恢复在档", False),
    ("moved_out", "filed", "manual", STATUS, "恢复在档", False),
    ("filed", "on_loan", "loan", LEND, "借出", False),
    ("on_loan", "filed", "loan", LEND, "归还", False),
    *[(state, "legal_hold", "manual", HOLD, "冻结", False) for state in HOLDABLE],
    *[("legal_hold", state, "manual", HOLD, "解除冻结", True) for state in HOLDABLE],
    *[(state, "appraisal", "disposal", APPRAISE, "送鉴定", False) for state in HOLDABLE[:3]],
    *[("appraisal", state, "disposal", APPRAISE, "鉴定:继续保存", True) for state in HOLDABLE[:3]],
    ("appraisal", "pending_disposal", "disposal", APPRAISE, "鉴定:拟销毁", False),
    ("pending_disposal", "appraisal", "disposal", APPRAISE, "退回重新鉴定", False),
    ("pending_disposal", "destroyed", "disposal", DISPOSE, "销毁", False),
]


def create_transitions(apps, schema_editor):
    DossierTransition = apps.get_model("archives", "DossierTransition")
    for from_status, to_status, channel, permission, label, to_prior in TRANSITIONS:
        DossierTransition.objects.update_or_create(
            from_status=from_status,
            to_status=to_status,
            defaults={
                "channel": channel,
                "permission": permission,
                "label": label,
                "to_prior": to_prior,
                "is_active": True,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("archives", "0004_lifecycle")]

    operations = [migrations.RunPython(create_transitions, migrations.RunPython.noop)]

"""One approval engine (issue 27 §8): the steps of destruction lists (disposal.ApprovalStep)
and of intake exception statements (intake.StatementStep) become rows of this app's
ApprovalStep, each bound to its subject by a nullable foreign key; the destruction lists'
configured chain (disposal.ApprovalStepRule) becomes an ApprovalRule of kind `disposal`,
the statements' chain (the one intake shipped in code) one of kind `statement`.

Steps in flight keep their state: a list in approval waits on its first undecided step,
a pending statement on its current one (now `pending`, opened at the upgrade, so the
escalation clock starts then); decided steps keep approver, note and time. Written out
here (not imported), so the migration keeps doing the same when the code changes.
"""

from django.db import migrations
from django.utils import timezone

ANY = "any"
# The shipped default of destruction lists (issue 24 §3): one step, the director.
DISPOSAL_DEFAULT = [{"role": "director", "department": ANY}]
# Seed 003 #5 四.3, as intake shipped it: the responsible person's department manager
# (the finding's department: "requester" for a statement), customer service, the director.
STATEMENT_DEFAULT = [
    {"role": "dept_manager", "department": "requester"},
    {"role": "customer_service", "department": ANY},
    {"role": "director", "department": ANY},
]


def create_rules(apps, schema_editor):
    """The rules of kind disposal and statement, unless some exist: the disposal chain as
    configured before (its ApprovalStepRule rows, when that model is still there), else
    the shipped default. Also run by the tests' fixtures after a flush."""
    Rule = apps.get_model("circulation", "ApprovalRule")
    if not Rule.objects.filter(kind="disposal").exists():
        steps = DISPOSAL_DEFAULT
        try:
            old = apps.get_model("disposal", "ApprovalStepRule")
        except LookupError:
            old = None
        if old is not None:
            configured = [
                {"role": row.role, "department": ANY} for row in old.objects.order_by("position")
            ]
            steps = configured or steps
        Rule.objects.create(
            name="销毁清单:总经理审批",
            priority=100,
            kind="disposal",
            steps=steps,
            escalate_after_hours=0,
        )
    if not Rule.objects.filter(kind="statement").exists():
        Rule.objects.create(
            name="档案袋情况说明:部门经理、客服、总经理审批",
            priority=100,
            kind="statement",
            steps=STATEMENT_DEFAULT,
            escalate_after_hours=48,
        )


def drop_rules(apps, schema_editor):
    """Backwards: the kinds the older schema cannot hold go (their chains lived elsewhere)."""
    apps.get_model("circulation", "ApprovalRule").objects.filter(
        kind__in=["disposal", "statement"]
    ).delete()


def drop_steps(apps, schema_editor):
    """Backwards: the moved steps go (the old tables come back empty; not restored)."""
    apps.get_model("circulation", "ApprovalStep").objects.filter(request__isnull=True).delete()


def move_steps(apps, schema_editor):
    Step = apps.get_model("circulation", "ApprovalStep")
    DisposalList = apps.get_model("disposal", "DisposalList")
    OldStep = apps.get_model("disposal", "ApprovalStep")
    Statement = apps.get_model("intake", "ExceptionStatement")
    StatementStep = apps.get_model("intake", "StatementStep")
    now = timezone.now()
    rows = []
    for found in DisposalList.objects.order_by("pk"):
        opened = found.status != "approval"  # True once the list's pending step is placed
        for n, old in enumerate(OldStep.objects.filter(disposal_list=found).order_by("position", "pk"), 1):
            status, opened_at = old.status, None
            if status == "waiting":
                if not opened:
                    status, opened_at, opened = "pending", now, True
                elif found.status != "approval":
                    status = "skipped"
            rows.append(
                Step(
                    disposal_list=found,
                    position=n,
                    role=old.role,
                    status=status,
                    approver_id=old.approver_id,
                    decided_at=old.decided_at,
                    note=old.note,
                    opened_at=opened_at,
                )
            )
    for statement in Statement.objects.order_by("pk"):
        for old in StatementStep.objects.filter(statement=statement).order_by("position"):
            status, opened_at = old.decision, None
            if not status:
                if statement.status != "pending":
                    status = "skipped"
                elif old.position == statement.current_step:
                    status, opened_at = "pending", now
                else:
                    status = "waiting"
            rows.append(
                Step(
                    statement=statement,
                    position=old.position + 1,
                    role=old.role_code,
                    department_id=old.department_id,
                    status=status,
                    approver_id=old.decided_by_id,
                    decided_at=old.decided_at,
                    note=old.note,
                    opened_at=opened_at,
                )
            )
    Step.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [("circulation", "0006_one_engine")]

    operations = [
        migrations.RunPython(create_rules, drop_rules),
        migrations.RunPython(move_steps, drop_steps),
    ]

"""The steps live in circulation.ApprovalStep now (circulation 0007 moved them there):
the old step table goes, and each ExceptionStatement names the approval rule (kind `statement`)
its chain came from, so the escalation of its late steps reads that rule's hours."""

import django.db.models.deletion
from django.db import migrations, models


def name_rule(apps, schema_editor):
    Rule = apps.get_model("circulation", "ApprovalRule")
    Subject = apps.get_model("intake", "ExceptionStatement")
    rule = Rule.objects.filter(kind="statement", is_active=True).order_by("priority", "pk").first()
    Step = apps.get_model("circulation", "ApprovalStep")
    chained = Step.objects.filter(statement__isnull=False).values("statement_id")
    if rule is not None:
        Subject.objects.filter(pk__in=chained).update(rule=rule)


class Migration(migrations.Migration):

    dependencies = [
        ('circulation', '0007_one_engine_data'),
        ('intake', '0005_finding_rule_version'),
        ('rules', '0001_initial'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='exceptionstatement',
            name='current_step',
        ),
        migrations.AddField(
            model_name='exceptionstatement',
            name='rule',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='circulation.approvalrule', verbose_name='审批规则'),
        ),
        migrations.AddField(
            model_name='exceptionstatement',
            name='rule_version',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='rules.ruleversion', verbose_name='审批规则版本'),
        ),
        migrations.DeleteModel(
            name='StatementStep',
        ),
        migrations.RunPython(name_rule, migrations.RunPython.noop),
    ]

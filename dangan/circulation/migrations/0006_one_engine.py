"""One approval engine (issue 27 §8), the schema: ApprovalStep binds to an access request,
a destruction list or an exception statement (exactly one), and ApprovalRule takes the
kinds `disposal` and `statement`. The rows move in 0007, a transaction of its own
(PostgreSQL refuses to alter a table with pending trigger events in the same one).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0012_archivist_rules'),
        ('circulation', '0005_accessrequest_rule_version'),
        ('disposal', '0004_document_items'),
        ('intake', '0005_finding_rule_version'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='approvalstep',
            options={'ordering': ['request_id', 'disposal_list_id', 'statement_id', 'position'], 'verbose_name': '审批步骤', 'verbose_name_plural': '审批步骤'},
        ),
        migrations.AddField(
            model_name='approvalstep',
            name='disposal_list',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='disposal.disposallist'),
        ),
        migrations.AddField(
            model_name='approvalstep',
            name='statement',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='intake.exceptionstatement'),
        ),
        migrations.AlterField(
            model_name='approvalrule',
            name='kind',
            field=models.CharField(blank=True, choices=[('view', '查阅'), ('borrow', '借阅'), ('copy', '复制/导出'), ('disposal', '销毁清单'), ('statement', '档案袋情况说明')], default='', max_length=16, verbose_name='申请类型'),
        ),
        migrations.AlterField(
            model_name='approvalstep',
            name='request',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='circulation.accessrequest'),
        ),
        migrations.AddConstraint(
            model_name='approvalstep',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('disposal_list__isnull', True), ('request__isnull', False), ('statement__isnull', True)), models.Q(('disposal_list__isnull', False), ('request__isnull', True), ('statement__isnull', True)), models.Q(('disposal_list__isnull', True), ('request__isnull', True), ('statement__isnull', False)), _connector='OR'), name='step_one_subject'),
        ),
        migrations.AddConstraint(
            model_name='approvalstep',
            constraint=models.UniqueConstraint(fields=('disposal_list', 'position'), name='step_position_unique_disposal'),
        ),
        migrations.AddConstraint(
            model_name='approvalstep',
            constraint=models.UniqueConstraint(fields=('statement', 'position'), name='step_position_unique_statement'),
        ),
        migrations.AddConstraint(
            model_name='approvalstep',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('disposal_list',), name='one_pending_step_per_disposal_list'),
        ),
        migrations.AddConstraint(
            model_name='approvalstep',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('statement',), name='one_pending_step_per_statement'),
        ),
    ]

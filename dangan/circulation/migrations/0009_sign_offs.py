"""Confirmations on the one approval engine (issue 27 §8), the schema: ApprovalStep binds to
a filed document as well (its sign-offs), and records the rules' version in force where its
subject has no row of its own to carry it. The Confirmation rows move in 0010, a
transaction of its own (PostgreSQL refuses to alter a table with pending trigger events in
the same one); confirmations 0003 then drops their table.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('circulation', '0008_change_requests'),
        ('documents', '0004_document_void_supersede'),
        ('rules', '0001_initial'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='approvalstep',
            options={'ordering': ['request_id', 'disposal_list_id', 'statement_id', 'change_request_id', 'document_id', 'position'], 'verbose_name': '审批步骤', 'verbose_name_plural': '审批步骤'},
        ),
        migrations.RemoveConstraint(
            model_name='approvalstep',
            name='step_one_subject',
        ),
        migrations.AddField(
            model_name='approvalstep',
            name='document',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='sign_offs', to='documents.document'),
        ),
        migrations.AddField(
            model_name='approvalstep',
            name='rule_version',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='rules.ruleversion', verbose_name='规则版本'),
        ),
        migrations.AddConstraint(
            model_name='approvalstep',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('change_request__isnull', True), ('disposal_list__isnull', True), ('document__isnull', True), ('request__isnull', False), ('statement__isnull', True)), models.Q(('change_request__isnull', True), ('disposal_list__isnull', False), ('document__isnull', True), ('request__isnull', True), ('statement__isnull', True)), models.Q(('change_request__isnull', True), ('disposal_list__isnull', True), ('document__isnull', True), ('request__isnull', True), ('statement__isnull', False)), models.Q(('change_request__isnull', False), ('disposal_list__isnull', True), ('document__isnull', True), ('request__isnull', True), ('statement__isnull', True)), models.Q(('change_request__isnull', True), ('disposal_list__isnull', True), ('document__isnull', False), ('request__isnull', True), ('statement__isnull', True)), _connector='OR'), name='step_one_subject'),
        ),
        migrations.AddConstraint(
            model_name='approvalstep',
            constraint=models.UniqueConstraint(fields=('document', 'position'), name='step_position_unique_document'),
        ),
        migrations.AddConstraint(
            model_name='approvalstep',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('document',), name='one_pending_step_per_document'),
        ),
    ]

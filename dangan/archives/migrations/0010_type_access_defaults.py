"""An archive type's access defaults (issue 27 §3–4): the 密级 its new dossiers get, and
whether copies of its originals are issued; and seed 000's fines of use for RE-SALE. The
seeds' values for the shipped types are set here for existing databases (templates load
leaves edited types alone)."""

from django.db import migrations, models

# Written out (not imported): this migration keeps doing the same when the code changes.
DEFAULTS = {
    "PROPERTY": {"default_confidentiality": "secret"},  # 002 篇3 4.3.1 保密级文件
    "MEMBER": {"originals_copyable": False},  # 002 篇4 管理制度5 原始资料不可发放
}
# 000 第三章二.3: the fines of use, for a RE-SALE type that has none yet.
RE_SALE_PENALTIES = [
    {"finding": "unapproved_use", "amount": "50.00",
     "label": "未经审批私自查看(借出)档案,每次罚款50元(000 第三章二.3)"},
    {"finding": "unapproved_copy", "amount": "500.00",
     "label": "擅自抄录、复制客户档案,每次罚款500元(000 第三章二.3(2))"},
    {"finding": "return_incomplete", "amount": "500.00",
     "label": "借出档案归还不完整(造成档案丢失),罚款500元(000 第三章二.3(3))"},
    {"finding": "lost", "amount": "500.00", "label": "借出档案丢失,罚款500元(000 第三章二.3(3))"},
]


def forwards(apps, schema_editor):
    ArchiveType = apps.get_model("archives", "ArchiveType")
    for code, values in DEFAULTS.items():
        ArchiveType.objects.filter(code=code).update(**values)
    for archive_type in ArchiveType.objects.filter(code="RE-SALE"):
        if not archive_type.penalties:
            archive_type.penalties = RE_SALE_PENALTIES
            archive_type.save(update_fields=["penalties"])


class Migration(migrations.Migration):
    dependencies = [("archives", "0009_checklist_confirm"), ("intake", "0004_use_findings")]

    operations = [
        migrations.AddField(
            model_name="archivetype",
            name="default_confidentiality",
            field=models.CharField(
                choices=[
                    ("normal", "普通"),
                    ("secret", "秘密"),
                    ("confidential", "机密"),
                    ("top_secret", "绝密"),
                ],
                default="normal",
                max_length=16,
                verbose_name="默认密级",
            ),
        ),
        migrations.AddField(
            model_name="archivetype",
            name="originals_copyable",
            field=models.BooleanField(default=True, verbose_name="原始资料可复制发放"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]

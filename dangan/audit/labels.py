"""What the audit trail's codes mean, for the people who read it: the actions, the kinds
of object, and the details' keys, with the details rendered as "key: value" text rather
than JSON."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.utils.translation import gettext_lazy as _

# Chinese names of the actions the code records; an unknown action shows its code.
# (tests/test_audit_labels: every action the code records has one.)
ACTION_LABELS: dict[str, Any] = {
    "login": _("登录"),
    "logout": _("退出"),
    "view": _("查看"),
    "search": _("搜索"),
    "download": _("下载"),
    "print": _("打印"),
    "export": _("导出"),
    "create": _("新建"),
    "change": _("修改"),
    "delete": _("删除"),
    "attach": _("上传附件"),
    "locate": _("登记位置"),
    "reorder": _("调整顺序"),
    "unmask": _("显示完整信息"),
    "access": _("访问被拒"),
    "approve": _("批准"),
    "deny": _("驳回"),
    "change_request": _("申请修改"),
    "verify": _("校验"),
    "template_load": _("载入模板"),
    "user_create": _("新建用户"),
    "user_update": _("修改用户"),
    "user_deactivate": _("停用用户"),
    "password_reset": _("重置密码"),
    "password_change": _("修改密码"),
    "role_create": _("新建角色"),
    "role_update": _("修改角色"),
    "token_create": _("签发令牌"),
    "token_revoke": _("吊销令牌"),
    "import_resume": _("继续导入"),
    "2fa_enabled": _("启用双因素认证"),
    "2fa_disabled": _("停用双因素认证"),
    "2fa_failed": _("双因素认证失败"),
    "lockout": _("账号锁定"),
    "unlock": _("解除锁定"),
    "request": _("借阅申请"),
    "cancel": _("撤回"),
    "grant": _("授权"),
    "revoke": _("撤销授权"),
    "lend": _("借出"),
    "renew": _("续借"),
    "return": _("归还"),
    "remind": _("到期提醒"),
    "sign": _("签字"),
    "complete": _("完成移交"),
    "custody": _("保管转移"),
    "departure": _("离职交接"),
    "audit_run": _("稽核"),
    "document_check": _("文件检查"),
    "finding_record": _("登记问题"),
    "finding_fix": _("整改问题"),
    "penalty_assess": _("考核扣款"),
    "statement_submit": _("提交情况说明"),
    "statement_approve": _("批准情况说明"),
    "statement_deny": _("驳回情况说明"),
    "calendar_set": _("设置工作日历"),
    "calendar_remove": _("删除日历日期"),
    "calendar_load": _("载入节假日"),
    "prune": _("清理过期审计记录"),
    "transition": _("状态变更"),
    "year_close": _("年度立卷"),
    "part_add": _("添加分组"),
    "void": _("作废文件"),
    "supersede": _("替换文件"),
    "assign": _("指派"),
    "follow_up": _("完成跟进"),
    "acknowledge": _("签收"),
    "import_cancel": _("取消导入"),
    "copy_issue": _("发放纸质资料"),
    "copy_recall": _("催还纸质资料"),
    "copy_return": _("收回纸质资料"),
    "copy_destroy": _("销毁纸质资料"),
    "disposal_propose": _("提出销毁"),
    "disposal_appraise": _("销毁鉴定"),
    "disposal_approve": _("批准销毁"),
    "disposal_deny": _("驳回销毁"),
    "disposal_destroy": _("执行销毁"),
    "disposal_restore": _("保留期内撤回销毁"),
    "disposal_register": _("登记销毁清册"),
    "reminder_done": _("完成提醒"),
    "credit_change": _("修改信用信息"),
    "backup": _("备份"),
    "backup_request": _("申请备份"),
    "export_all": _("全量导出"),
    "import_all": _("全量导入"),
    "keys_rotate": _("轮换密钥"),
    "repair": _("修复存储"),
    "inventory_start": _("开始盘点"),
    "inventory_scan": _("盘点扫描"),
    "inventory_correct": _("盘点更正"),
    "inventory_close": _("结束盘点"),
    "location_create": _("新建位置"),
    "location_change": _("修改位置"),
    "location_link": _("按位置文字建立位置树"),
    "discrepancy_resolve": _("处理盘点差异"),
    "check_plan_create": _("新建检查计划"),
    "check_plan_update": _("修改检查计划"),
    "check_record": _("登记检查"),
    "customer_hold": _("冻结客户档案"),
    "customer_release": _("解除冻结"),
    "discover": _("发现可申请的档案"),
    "escalate": _("审批超时转交"),
    "document_confirm": _("确认文件"),
    "document_refuse": _("退回文件"),
}

# Object types that are not a model's name (a model's is shown by its verbose name).
_OBJECT_TYPES: dict[str, Any] = {
    "url": _("页面"),
    "appraisal": _("鉴定"),
    "dashboard": _("首页统计"),
    "direction": _("服务指引"),
    "disposal_register": _("销毁清册"),
    "disposal_due": _("到期档案清单"),
    "dossiers": _("档案"),
    "extension": _("延长保管"),
    "key": _("提醒"),
    "list": _("销毁清单"),
    "reminder": _("提醒"),
    "lockout": _("账号锁定"),
    "search": _("搜索"),
    "audit": _("审计日志"),
    "register": _("借阅登记簿"),
    "statement": _("情况说明"),
    "penalty_statement": _("情况说明"),
    "change_request": _("修改申请"),
    "request": _("借阅申请"),
    "loan": _("借阅"),
    "grant": _("授权"),
    "handover": _("移交"),
    "dossier": _("档案"),
    "customer": _("客户"),
    "document": _("文件"),
    "user": _("用户"),
    "catalogue": _("卷内目录"),
    "instance": _("系统实例"),
    "inventory": _("盘点"),
    "scan": _("盘点扫描"),
    "keys": _("密钥文件"),
    "storage": _("文件存储"),
    "plan": _("检查计划"),
    "kind": _("检查类别"),
    "copy": _("纸质资料"),
    "issued_to": _("领取人"),
    "archive_type": _("档案类型"),
    "confirmation": _("文件确认"),
}

# The details' keys that recur; others show as recorded.
DETAIL_LABELS: dict[str, Any] = {
    "before": _("修改前"),
    "after": _("修改后"),
    "kind": _("类别"),
    "step": _("环节"),
    "rows": _("行数"),
    "reason": _("原因"),
    "note": _("备注"),
    "what": _("内容"),
    "until": _("截止"),
    "to": _("至"),
    "from": _("自"),
    "statement": _("情况说明"),
    "rule": _("规则"),
    "q": _("查询"),
    "name": _("名称"),
    "loan": _("借阅"),
    "finding": _("问题"),
    "year": _("年份"),
    "month": _("月份"),
    "user": _("用户"),
    "type": _("类型"),
    "totals": _("合计"),
    "to_user": _("接收人"),
    "from_user": _("移交人"),
    "role": _("角色"),
    "roles": _("角色"),
    "request": _("申请"),
    "relation": _("与客户关系"),
    "handover": _("移交单"),
    "filters": _("筛选条件"),
    "documents": _("文件"),
    "borrower": _("借阅人"),
    "method": _("请求方法"),
    "field": _("字段"),
    "count": _("数量"),
    "status": _("状态"),
    "size": _("大小"),
    "file": _("文件"),
    "format": _("格式"),
    "purpose": _("用途"),
    "due": _("应还日期"),
    "department": _("部门"),
    "owner": _("客户经理"),
    "customer": _("客户"),
    "dossier": _("档案"),
    "archive_number": _("档号"),
    "opened": _("新发现"),
    "fixed": _("已整改"),
    "open": _("未整改"),
    "sent": _("已发送"),
    "total": _("合计"),
    "fields": _("字段"),
    "values": _("填写内容"),
    "copies": _("份数"),
    "signed": _("已签字"),
    "stamped": _("已盖章"),
    "up_to_seq": _("截至序号"),
    "renewals": _("续借次数"),
    "lines": _("清单项"),
    "items": _("档案"),
    "dossiers": _("档案"),
    "to_department": _("接收部门"),
    "files": _("文件数"),
    "bytes": _("字节数"),
    "digest": _("校验值"),
    "customers": _("客户数"),
    "volume_number": _("卷号"),
    "bound_apart": _("另行装订"),
    "cross_year": _("跨年度立卷规则"),
    "volumes": _("编卷号卷数"),
    "apart": _("另行装订卷数"),
    "appended": _("补充立卷"),
    "from_volume": _("原年度/卷号"),
}

# Recorded values that are codes themselves.
_VALUE_LABELS: dict[str, Any] = {
    "not_found": _("不存在或无权查看"),
    "forbidden": _("无权限"),
}


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


def _model_names() -> dict[str, Any]:
    return {str(m._meta.model_name): m._meta.verbose_name for m in apps.get_models()}


def object_type_label(code: str) -> str:
    if not code:
        return ""
    label = _OBJECT_TYPES.get(code) or _model_names().get(code)
    return str(label) if label is not None else code


def _value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return str(_("是"))
    if value is False:
        return str(_("否"))
    if isinstance(value, dict):
        return "; ".join(f"{detail_key(k)}: {_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "、".join(_value(v) for v in value) or "—"
    text = str(value)
    return str(_VALUE_LABELS.get(text, text))


def detail_key(key: str) -> str:
    return str(DETAIL_LABELS.get(key, key))


_ROLE_KEYS = ("role", "roles")


def role_codes(detail: dict[str, Any] | None) -> list[str]:
    """The role codes a detail names (under "role"/"roles"), to be shown by name."""
    codes: list[str] = []
    for key in _ROLE_KEYS:
        value = (detail or {}).get(key)
        if isinstance(value, str):
            codes += [v for v in value.split(",") if v]
        elif isinstance(value, list):
            codes += [str(v) for v in value]
    return codes


def detail_items(
    detail: dict[str, Any] | None, roles: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """The details as (label, text) pairs, nested values written out as text; role codes
    by the names in `roles`."""
    if not detail:
        return []
    items = []
    for key, value in detail.items():
        if key in _ROLE_KEYS and roles:
            codes = role_codes({key: value})
            value = [roles.get(code, code) for code in codes] if codes else value
        items.append((detail_key(key), _value(value)))
    return items

"""Permission codes. Roles hold lists of these codes as data (see Role.permissions)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

CUSTOMER_VIEW = "customer.view"
CUSTOMER_CREATE = "customer.create"
CUSTOMER_CHANGE = "customer.change"
CUSTOMER_VIEW_IDENTITY = "customer.view_identity"
DOSSIER_VIEW = "dossier.view"
DOSSIER_DISCOVER = "dossier.discover"
DOSSIER_CREATE = "dossier.create"
DOSSIER_CHANGE = "dossier.change"
DOSSIER_LOCATE = "dossier.locate"
DOSSIER_STATUS = "dossier.status"
DOSSIER_HOLD = "dossier.legal_hold"
DOSSIER_APPRAISE = "dossier.appraise"
DOSSIER_DISPOSE = "dossier.dispose"
DISPOSAL_PROPOSE = "disposal.propose"
DISPOSAL_SUPERVISE = "disposal.supervise"
DISPOSAL_REGISTER = "disposal.register"
DOCUMENT_VIEW = "document.view"
DOCUMENT_UPLOAD = "document.upload"
FILE_DOWNLOAD = "file.download"
ARCHIVE_TYPE_MANAGE = "archive_type.manage"
USER_MANAGE = "user.manage"
AUDIT_VIEW = "audit.view"
AUDIT_EXPORT = "audit.export"
CUSTOMER_UNMASK = "customer.unmask"
CUSTOMER_CREDIT = "customer.credit"
ROLE_MANAGE = "role.manage"
SECURITY_MANAGE = "security.manage"
USER_TOKENS = "user.tokens"
CIRCULATION_LEND = "circulation.lend"
CIRCULATION_MANAGE = "circulation.manage"
HANDOVER_SEND = "handover.send"
HANDOVER_RECEIVE = "handover.receive"
HANDOVER_MANAGE = "handover.manage"
INTAKE_AUDIT = "intake.audit"
INTAKE_STATEMENT = "intake.statement"
INTAKE_ASSESS = "intake.assess"
INTAKE_CALENDAR = "intake.calendar"
DATA_IMPORT = "data.import"
DATA_EXPORT = "data.export"
SERVICE_VIEW = "service.view"
SERVICE_RECORD = "service.record"
NOTICE_SEND = "notice.send"
SYSTEM_BACKUP = "system.backup"

LABELS = {
    CUSTOMER_VIEW: _("查看客户"),
    CUSTOMER_CREATE: _("新建客户"),
    CUSTOMER_CHANGE: _("修改客户"),
    CUSTOMER_VIEW_IDENTITY: _("查看完整证件号与电话"),
    DOSSIER_VIEW: _("查看档案"),
    DOSSIER_DISCOVER: _("按档号、姓名或证件号发现他人档案并申请查阅"),
    DOSSIER_CREATE: _("建档"),
    DOSSIER_CHANGE: _("修改档案"),
    DOSSIER_LOCATE: _("登记存放位置"),
    DOSSIER_STATUS: _("登记档案状态(终止、迁出、恢复在档)"),
    DOSSIER_HOLD: _("冻结与解冻档案"),
    DOSSIER_APPRAISE: _("送鉴定与鉴定结论"),
    DOSSIER_DISPOSE: _("销毁登记"),
    DISPOSAL_PROPOSE: _("编制销毁清单、档案室鉴定"),
    DISPOSAL_SUPERVISE: _("监销(销毁签字)"),
    DISPOSAL_REGISTER: _("查阅销毁清册"),
    DOCUMENT_VIEW: _("查看文件"),
    DOCUMENT_UPLOAD: _("上传文件"),
    FILE_DOWNLOAD: _("下载扫描件"),
    ARCHIVE_TYPE_MANAGE: _("管理档案类型模板"),
    USER_MANAGE: _("管理用户"),
    AUDIT_VIEW: _("查看审计日志"),
    AUDIT_EXPORT: _("导出审计日志"),
    CUSTOMER_UNMASK: _("显示完整证件号与电话(留痕)"),
    CUSTOMER_CREDIT: _("维护客户信用等级与授信额度(财务)"),
    ROLE_MANAGE: _("管理角色与权限"),
    SECURITY_MANAGE: _("安全策略与账号解锁"),
    USER_TOKENS: _("管理他人的 API 令牌"),
    CIRCULATION_LEND: _("借出、续借与归还登记"),
    CIRCULATION_MANAGE: _("管理借阅利用(撤销授权、借阅登记表)"),
    HANDOVER_SEND: _("发起档案移交"),
    HANDOVER_RECEIVE: _("接收移交(本部门)"),
    HANDOVER_MANAGE: _("管理移交与离职交接"),
    INTAKE_AUDIT: _("运行稽核、登记文件要素"),
    INTAKE_STATEMENT: _("查看考核月报(上交及时率、完整率、罚款)"),
    INTAKE_ASSESS: _("核定当月罚款"),
    INTAKE_CALENDAR: _("管理工作日历(节假日与调休)"),
    DATA_IMPORT: _("导入 Excel/CSV 客户数据"),
    DATA_EXPORT: _("导出列表与检索结果 (Excel)"),
    SERVICE_VIEW: _("查看服务记录(工单、联系、交易、入住)"),
    SERVICE_RECORD: _("登记与处理服务记录"),
    NOTICE_SEND: _("发送通知与报告(上行下达)"),
    SYSTEM_BACKUP: _("备份与恢复(查看备份记录、立即备份)"),
}

ROLE_CODES = (
    "archivist",
    "account_manager",
    "dept_manager",
    "director",
    "customer_service",
    "business_staff",
    "finance",
    "auditor",
    "sysadmin",
    "security_admin",
)

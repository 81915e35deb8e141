"""The archive-number (档号) rule language and safe allocation.

A rule is literal text with tokens: {code} category code, {year} 4 digits, {month}
2 digits, {dept} the department code, {seq:N} the sequence zero-padded to N digits.
Examples from the seeds: "{code}-{year}-{seq:4}" → KH-2024-0001; "{year}-{dept}-{seq:4}"
→ 2024-XSB-0001; "{year}{month}{seq:2}" → 20151113 (13th customer of November 2015).

The sequence counter is keyed by everything the rule renders except the sequence, so it
restarts when the year, month or department changes, and two rules that render the same
prefix share one counter. A number already held by a dossier is never handed out again.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from dangan.archives.models import Dossier, NumberSequence
from dangan.core.errors import ApplicationError

_TOKEN = re.compile(r"\{(code|year|month|dept|seq:(\d))\}")
_LITERAL = re.compile(r"[A-Za-z0-9\-·_./]*")


@dataclass(frozen=True)
class NumberContext:
    code: str
    date: datetime.date
    dept: str = ""


def validate_rule(rule: str) -> str:
    """Return the rule if well-formed; raise ApplicationError naming the problem."""
    rule = rule.strip()
    seq_tokens = 0
    pos = 0
    for match in _TOKEN.finditer(rule):
        if not _LITERAL.fullmatch(rule[pos : match.start()]):
            raise ApplicationError(_("档号规则含有不允许的字符或未知的占位符"), field="numbering")
        if match.group(1).startswith("seq"):
            seq_tokens += 1
            width = int(match.group(2))
            if not 1 <= width <= 8:
                raise ApplicationError(_("流水号位数应在1到8之间"), field="numbering")
        pos = match.end()
    if not _LITERAL.fullmatch(rule[pos:]):
        raise ApplicationError(_("档号规则含有不允许的字符或未知的占位符"), field="numbering")
    if seq_tokens != 1:
        raise ApplicationError(_("档号规则必须且只能包含一个流水号 {seq:N}"), field="numbering")
    return rule


def _render(rule: str, ctx: NumberContext, seq: int | None) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "code":
            return ctx.code
        if name == "year":
            return f"{ctx.date.year:04d}"
        if name == "month":
            return f"{ctx.date.month:02d}"
        if name == "dept":
            if not ctx.dept:
                raise ApplicationError(
                    _("该档案类型的档号包含部门代码,但客户未指定所属部门"), field="department"
                )
            return ctx.dept
        if seq is None:
            return "{seq}"
        return str(seq).zfill(int(match.group(2)))

    return _TOKEN.sub(replace, rule)


def counter_key(rule: str, ctx: NumberContext) -> str:
    return _render(rule, ctx, None)


def preview(rule: str, ctx: NumberContext, seq: int = 1) -> str:
    return _render(validate_rule(rule), ctx, seq)


def allocate(rule: str, ctx: NumberContext) -> str:
    """Hand out the next number for `rule`. Call inside the transaction that stores it.

    The counter row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite runs our
    transactions as BEGIN IMMEDIATE, which serialises writers), so parallel creations
    queue and each gets its own number. Rolled-back numbers were never assigned.
    """
    return allocate_many(rule, ctx, 1)[0]


def allocate_many(rule: str, ctx: NumberContext, count: int) -> list[str]:
    """The next `count` numbers of `rule` under one lock of its counter (bulk imports)."""
    key = counter_key(validate_rule(rule), ctx)
    numbers: list[str] = []
    with transaction.atomic():
        NumberSequence.objects.bulk_create([NumberSequence(key=key)], ignore_conflicts=True)
        counter = NumberSequence.objects.select_for_update().get(key=key)
        while len(numbers) < count:
            wanted = count - len(numbers)
            candidates = {
                _render(rule, ctx, counter.last_value + i): counter.last_value + i
                for i in range(1, wanted + 1)
            }
            counter.last_value += wanted
            # A sequence that outgrows its width (the 100th car of a month under
            # {seq:2}) could render a number another rule already produced; skip it.
            taken = set(
                Dossier.objects.filter(archive_number__in=list(candidates)).values_list(
                    "archive_number", flat=True
                )
            )
            numbers += [n for n in candidates if n not in taken]
        counter.save(update_fields=["last_value"])
    return numbers

"""Chinese identifiers: validation, check characters, masking and demo-data generators.

Covers the resident identity card number (GB 11643), the unified social credit code
(GB 32100, with the GB 11714 organisation code inside it), mainland mobile numbers and
the vehicle identification number (VIN, ISO 3779 / GB 16735). STANDARDS.md items 33 and
38 and its "Check digits" section are the requirements; the examples given there are
exercised by the tests.

Pure Python on purpose: forms, the API, importers and the seed command all call these,
and none of them should need a database or a configured Django to check a string. The
only Django import is gettext_lazy, whose objects are safe to build without settings.
"""

from __future__ import annotations

import datetime
import random
import re
from zoneinfo import ZoneInfo

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

__all__ = [
    "IdentifierError",
    "make_mobile",
    "make_resident_id",
    "make_uscc",
    "make_vin",
    "mask_generic",
    "mask_mobile",
    "mask_resident_id",
    "mask_uscc",
    "normalize",
    "parse_resident_id",
    "resident_id_birth_date",
    "resident_id_check_char",
    "resident_id_gender",
    "uscc_check_char",
    "validate_mobile",
    "validate_resident_id",
    "validate_uscc",
    "validate_vin",
    "vin_check_char",
]


class IdentifierError(ValueError):
    """Carries a user-facing Chinese message (lazy translation string) in .message and a
    machine code in .code.

    The code lets callers branch without comparing translated text, e.g. a form offers
    the USCC override only for code "uscc_check".
    """

    def __init__(self, message: str | Promise, code: str) -> None:
        # The message stays lazy (no str() here): evaluating it would need configured
        # settings, and callers such as forms translate it in the request's language.
        super().__init__(message)
        self.message = message
        self.code = code


# --- Normalisation -----------------------------------------------------------------

# Chinese IMEs commonly type full-width characters; users do not see the difference,
# so the validators must not reject them. An explicit table rather than NFKC so that
# nothing else (e.g. circled digits, ligatures) is silently turned into a valid char.
_FULL_WIDTH = {
    **{0xFF10 + i: ord("0") + i for i in range(10)},
    **{0xFF21 + i: ord("A") + i for i in range(26)},
    **{0xFF41 + i: ord("a") + i for i in range(26)},
}
_WHITESPACE = re.compile(r"\s+")  # \s on str covers U+3000 (ideographic space) too


def normalize(value: str) -> str:
    """Remove whitespace, convert full-width digits/letters to ASCII and uppercase letters.

    Whitespace is removed everywhere, not only at the ends, because none of these
    identifiers contains a space and people paste IDs grouped like "110105 19491231 002X".
    """
    return _WHITESPACE.sub("", value).translate(_FULL_WIDTH).upper()


# --- Resident identity card number (GB 11643-1999) ---------------------------------

_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID_CHECK = "10X98765432"
# [0-9], not \d: \d also matches other scripts' digits (e.g. "٣"), which int() accepts.
_RESIDENT_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_RESIDENT_ID_BODY = re.compile(r"[0-9]{17}")
# Birth dates are Beijing-time dates; using that zone (not the server's) avoids
# rejecting someone born "today" when the server runs in UTC.
_CHINA_TZ = ZoneInfo("Asia/Shanghai")
_MIN_BIRTH_YEAR = 1900


def _china_today() -> datetime.date:
    return datetime.datetime.now(tz=_CHINA_TZ).date()


def resident_id_check_char(first17: str) -> str:
    """GB 11643 check character for the first 17 digits: "10X98765432"[Σ mod 11]."""
    if not _RESIDENT_ID_BODY.fullmatch(first17):
        raise IdentifierError(_("身份证号码应为18位"), code="resident_id_format")
    total = sum(int(c) * w for c, w in zip(first17, _RESIDENT_ID_WEIGHTS, strict=True))
    return _RESIDENT_ID_CHECK[total % 11]


def _parse_birth_date(digits: str) -> datetime.date | None:
    """The YYYYMMDD in positions 7-14, or None if it is not a real date."""
    try:
        return datetime.date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def validate_resident_id(value: str) -> str:
    """Return the normalised 18-character ID (trailing x → X) or raise IdentifierError.

    Only the 18-digit second-generation format is accepted: 15-digit first-generation
    numbers have been invalid for identification since 2013 and carry no check digit.
    """
    normalized = normalize(value)
    if not _RESIDENT_ID_SHAPE.fullmatch(normalized):
        raise IdentifierError(_("身份证号码应为18位"), code="resident_id_format")
    birth = _parse_birth_date(normalized[6:14])
    # The date is checked before the check digit so that a typo in the date gets the
    # more helpful message even though the check digit would also catch it.
    if birth is None or birth.year < _MIN_BIRTH_YEAR or birth > _china_today():
        raise IdentifierError(_("身份证号码中的出生日期无效"), code="resident_id_birth_date")
    if resident_id_check_char(normalized[:17]) != normalized[17]:
        raise IdentifierError(_("身份证号码校验位错误"), code="resident_id_check")
    return normalized


def parse_resident_id(value: str) -> tuple[str, datetime.date, str]:
    """Validate once and return the normalised ID, its birth date and its gender (for
    callers that need all three: each function below validates on its own)."""
    number = validate_resident_id(value)
    digits = number[6:14]
    # validate_resident_id has already rejected impossible dates, so this cannot raise.
    birth = datetime.date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    # The parity of the 17th digit: odd is male (GB 11643).
    return number, birth, "male" if int(number[16]) % 2 == 1 else "female"


def resident_id_birth_date(value: str) -> datetime.date:
    """Birth date encoded in a valid ID (raises IdentifierError if the ID is invalid)."""
    return parse_resident_id(value)[1]


def resident_id_gender(value: str) -> str:
    """Return "male" or "female" from the parity of the 17th digit (odd = male, GB 11643)."""
    return parse_resident_id(value)[2]


# --- Unified social credit code (GB 32100-2015) ------------------------------------

# 31 characters: digits and capitals without I, O, S, V, Z (easily confused with 1, 0,
# 5, U, 2). A character's value is its index here.
_USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {c: i for i, c in enumerate(_USCC_CHARSET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3^i mod 31
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character: C18 = 31 − (Σ mod 31), where 31 becomes 0."""
    if len(first17) != 17:
        raise IdentifierError(_("统一社会信用代码应为18位"), code="uscc_length")
    if any(c not in _USCC_VALUES for c in first17):
        raise IdentifierError(
            _("统一社会信用代码只能包含数字和大写字母（不含I、O、S、V、Z）"), code="uscc_chars"
        )
    total = sum(_USCC_VALUES[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARSET[(31 - total % 31) % 31]


def validate_uscc(value: str, *, allow_bad_check: bool = False) -> str:
    """Return the normalised 18-character code or raise IdentifierError.

    allow_bad_check is the override STANDARDS.md item 38 requires: some codes actually
    issued by registration authorities fail the check, so staff may accept one with a
    recorded reason. Length and characters are still enforced in that case.
    """
    normalized = normalize(value)
    if len(normalized) != 18:
        raise IdentifierError(_("统一社会信用代码应为18位"), code="uscc_length")
    expected = uscc_check_char(normalized[:17])  # raises uscc_chars for the first 17
    if normalized[17] not in _USCC_VALUES:
        raise IdentifierError(
            _("统一社会信用代码只能包含数字和大写字母（不含I、O、S、V、Z）"), code="uscc_chars"
        )
    if expected != normalized[17] and not allow_bad_check:
        raise IdentifierError(_("统一社会信用代码校验位错误"), code="uscc_check")
    return normalized


def _org_code_value(char: str) -> int:
    # GB 11714 values digits as themselves and letters A=10 … Z=35.
    return int(char, 36)


def _org_code_check_char(first8: str) -> str:
    """GB 11714 organisation-code check: 11 − (Σ mod 11), where 10 → X and 11 → 0."""
    total = sum(_org_code_value(c) * w for c, w in zip(first8, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


# --- Mainland mobile numbers -------------------------------------------------------

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_MOBILE_SEPARATORS = re.compile(r"[-－‐‑–—()（）]")


def validate_mobile(value: str) -> str:
    """Return the 11-digit mainland mobile number or raise IdentifierError.

    Accepts the forms people actually write: "+86 138-0013-8000", "008613800138000",
    "86 13800138000". Landlines and Hong Kong/Macao/Taiwan numbers are rejected because
    the field is used for SMS contact.
    """
    digits = _MOBILE_SEPARATORS.sub("", normalize(value).replace("＋", "+"))
    for prefix in ("+86", "0086", "86"):
        # Only strip "86" when 11 digits remain: a bare mobile never starts with 86.
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    if not _MOBILE.fullmatch(digits):
        raise IdentifierError(_("手机号码应为以1开头的11位数字"), code="mobile_format")
    return digits


# --- Vehicle identification number (ISO 3779, GB 16735) ----------------------------

_VIN_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_CHARSET = "".join(sorted(_VIN_TRANSLITERATION))  # digits + letters except I, O, Q
_VIN_FORBIDDEN = frozenset("IOQ")
# Model-year codes (position 10): letters without I O Q U Z and digits without 0.
_VIN_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"


def vin_check_char(vin: str) -> str:
    """Check character for a 17-character VIN: Σ mod 11, 10 → X.

    Takes the whole VIN; position 9 itself has weight 0, so its current value is ignored.
    """
    if len(vin) != 17:
        raise IdentifierError(_("车架号应为17位"), code="vin_length")
    if any(c in _VIN_FORBIDDEN for c in vin):
        raise IdentifierError(_("车架号不能包含字母I、O、Q"), code="vin_forbidden_letter")
    if any(c not in _VIN_TRANSLITERATION for c in vin):
        raise IdentifierError(_("车架号只能包含数字和大写字母"), code="vin_chars")
    total = sum(_VIN_TRANSLITERATION[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def validate_vin(value: str) -> str:
    """Return the normalised 17-character VIN or raise IdentifierError.

    The position-9 check digit is only mandatory for North American VINs, yet it is
    applied always because the feature request asks for it; vehicles whose VIN does not
    carry one will be rejected, which is the accepted trade-off.
    """
    normalized = normalize(value)
    expected = vin_check_char(normalized)  # raises for length and characters
    if normalized[8] != expected:
        raise IdentifierError(_("车架号第9位校验位错误"), code="vin_check")
    return normalized


# --- Masking (STANDARDS.md item 33: masked by default on screen) -------------------
# Masking never raises: it runs while rendering pages, where a malformed legacy value
# must still be shown masked rather than crash the page or be shown in full.


def mask_generic(value: str, keep_start: int, keep_end: int) -> str:
    """Replace all but the first keep_start and last keep_end characters with "*".

    If the value is too short to hide anything while keeping both ends, everything is
    masked: showing a short value in full would defeat the masking.
    """
    if keep_start < 0 or keep_end < 0:
        raise ValueError("keep_start and keep_end must not be negative")
    hidden = len(value) - keep_start - keep_end
    if hidden <= 0:
        return "*" * len(value)
    return value[:keep_start] + "*" * hidden + value[len(value) - keep_end :]


def mask_resident_id(value: str) -> str:
    """Show the region code and last four, e.g. "110101********1234"; hide the birth date."""
    return mask_generic(normalize(value), 6, 4)


def mask_mobile(value: str) -> str:
    """Show the carrier prefix and last four, e.g. "138****8000"."""
    try:
        number = validate_mobile(value)
    except IdentifierError:
        number = normalize(value)
    return mask_generic(number, 3, 4)


def mask_uscc(value: str) -> str:
    """First four and last four shown, the rest replaced by "*" (length preserved)."""
    return mask_generic(normalize(value), 4, 4)


# --- Generators for demo data and tests --------------------------------------------
# All randomness comes from the caller's random.Random so that seeded demo data and
# hypothesis examples are reproducible. Not for anything security-related.

_DEMO_REGIONS = ("110101", "110105", "310101", "330106", "350102", "440106", "510104")
_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "177", "180", "181", "182", "183",
    "185", "186", "187", "188", "189", "191", "198", "199",
)  # fmt: skip
_DIGITS = "0123456789"


def make_resident_id(
    rng: random.Random,
    *,
    region: str = "110101",
    birth: datetime.date | None = None,
    gender: str | None = None,
) -> str:
    """A valid 18-character resident ID; birth and gender are random unless given."""
    if not re.fullmatch(r"[0-9]{6}", region):
        raise ValueError("region must be 6 digits")
    if gender not in (None, "male", "female"):
        raise ValueError('gender must be "male", "female" or None')
    if birth is None:
        # Adults of working age, so demo customers look plausible.
        start = datetime.date(1950, 1, 1)
        birth = start + datetime.timedelta(days=rng.randrange(365 * 55))
    if gender is None:
        gender = rng.choice(("male", "female"))
    sequence = f"{rng.randrange(100):02d}"
    parity_digit = rng.choice("13579" if gender == "male" else "02468")
    first17 = region + birth.strftime("%Y%m%d") + sequence + parity_digit
    return first17 + resident_id_check_char(first17)


def make_uscc(rng: random.Random) -> str:
    """A valid code for a company ("91"), including a valid GB 11714 organisation code."""
    # The organisation-code body uses only USCC characters so the result stays in the
    # USCC charset; its check character (digit or X) is always in that charset too.
    org_body = "".join(rng.choice(_USCC_CHARSET) for _ in range(8))
    first17 = "91" + rng.choice(_DEMO_REGIONS) + org_body + _org_code_check_char(org_body)
    return first17 + uscc_check_char(first17)


def make_vin(rng: random.Random, *, wmi: str = "LSV") -> str:
    """A VIN with a valid check digit; "LSV" is a Chinese WMI (SAIC Volkswagen)."""
    if len(wmi) != 3 or any(c not in _VIN_TRANSLITERATION for c in wmi):
        raise ValueError("wmi must be 3 VIN characters")
    vds = "".join(rng.choice(_VIN_CHARSET) for _ in range(5))
    year = rng.choice(_VIN_YEAR_CODES)
    plant = rng.choice(_VIN_CHARSET)
    serial = "".join(rng.choice(_DIGITS) for _ in range(6))
    vin = wmi + vds + "0" + year + plant + serial  # "0" is a placeholder, weight 0
    return vin[:8] + vin_check_char(vin) + vin[9:]


def make_mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number with a real carrier prefix."""
    return rng.choice(_MOBILE_PREFIXES) + "".join(rng.choice(_DIGITS) for _ in range(8))

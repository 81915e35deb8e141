"""Tests for dangan.core.identifiers.

No database and no configured settings needed: errors are compared by .code, and the
lazy messages are never turned into str (that would need settings).
"""

from __future__ import annotations

import datetime
import random

import pytest
from django.utils.functional import Promise
from hypothesis import given
from hypothesis import strategies as st

from dangan.core.identifiers import (
    IdentifierError,
    _org_code_check_char,
    make_mobile,
    make_resident_id,
    make_uscc,
    make_vin,
    mask_generic,
    mask_mobile,
    mask_resident_id,
    mask_uscc,
    normalize,
    parse_resident_id,
    resident_id_birth_date,
    resident_id_check_char,
    resident_id_gender,
    uscc_check_char,
    validate_mobile,
    validate_resident_id,
    validate_uscc,
    validate_vin,
    vin_check_char,
)

EXAMPLE_ID = "11010519491231002X"
EXAMPLE_USCC = "91350100M000100Y43"
EXAMPLE_VIN = "1M8GDM9AXKP042788"

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VIN_CHARSET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
# Transliteration table copied from STANDARDS.md, independent of the implementation's.
VIN_VALUES = dict(zip(VIN_CHARSET, "0123456789" + "12345678123457923456789", strict=True))
FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")

# use_true_random=False keeps failures reproducible and shrinkable.
rngs = st.randoms(use_true_random=False)


def _code(excinfo: pytest.ExceptionInfo[IdentifierError]) -> str:
    return excinfo.value.code


# --- Published examples --------------------------------------------------------------


def test_it_accepts_the_published_examples() -> None:
    assert validate_resident_id(EXAMPLE_ID) == EXAMPLE_ID
    assert validate_uscc(EXAMPLE_USCC) == EXAMPLE_USCC
    assert validate_vin(EXAMPLE_VIN) == EXAMPLE_VIN


def test_it_computes_the_published_check_characters() -> None:
    assert resident_id_check_char(EXAMPLE_ID[:17]) == "X"
    assert uscc_check_char(EXAMPLE_USCC[:17]) == "3"
    assert vin_check_char(EXAMPLE_VIN) == "X"
    # Positions 9-17 of the example USCC are the organisation code M000100Y-4.
    assert _org_code_check_char("M000100Y") == "4"


# --- Normalisation ---------------------------------------------------------------------


def test_it_normalizes_full_width_digits_letters_and_whitespace() -> None:
    assert normalize(" １１０１０５ １９４９１２３１００２ｘ\u3000") == EXAMPLE_ID
    assert normalize("ａｂＣ１") == "ABC1"


def test_it_validates_full_width_and_lowercase_input() -> None:
    assert validate_resident_id("11010519491231002x") == EXAMPLE_ID
    assert validate_resident_id(EXAMPLE_ID.translate(FULL_WIDTH_DIGITS)) == EXAMPLE_ID
    assert validate_uscc(" 91350100m000100y43 ") == EXAMPLE_USCC
    assert validate_vin("1m8gdm9axkp042788") == EXAMPLE_VIN


# --- Resident ID -----------------------------------------------------------------------


def _id_with_birth(birth: str) -> str:
    first17 = "110105" + birth + "002"
    return first17 + resident_id_check_char(first17)


@pytest.mark.parametrize(
    "value",
    ["", "11010519491231002", "11010519491231002XX", "1101051949123100YX", "110105194912310X2X"],
)
def test_it_rejects_resident_ids_of_wrong_shape(value: str) -> None:
    with pytest.raises(IdentifierError) as excinfo:
        validate_resident_id(value)
    assert _code(excinfo) == "resident_id_format"


def test_it_rejects_non_ascii_digits_in_resident_ids() -> None:
    arabic_indic = EXAMPLE_ID[:16].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    with pytest.raises(IdentifierError) as excinfo:
        validate_resident_id(arabic_indic + "2X")
    assert _code(excinfo) == "resident_id_format"


@pytest.mark.parametrize("birth", ["19490230", "19491301", "18991231", "29990101", "00000000"])
def test_it_rejects_resident_ids_with_invalid_birth_dates(birth: str) -> None:
    with pytest.raises(IdentifierError) as excinfo:
        validate_resident_id(_id_with_birth(birth))
    assert _code(excinfo) == "resident_id_birth_date"


def test_it_accepts_the_earliest_allowed_birth_date_and_leap_days() -> None:
    assert validate_resident_id(_id_with_birth("19000101"))
    assert validate_resident_id(_id_with_birth("20000229"))


def test_it_rejects_a_wrong_resident_id_check_digit() -> None:
    with pytest.raises(IdentifierError) as excinfo:
        validate_resident_id(EXAMPLE_ID[:17] + "1")
    assert _code(excinfo) == "resident_id_check"


def test_it_extracts_birth_date_and_gender() -> None:
    assert resident_id_birth_date(EXAMPLE_ID) == datetime.date(1949, 12, 31)
    assert resident_id_gender(EXAMPLE_ID) == "female"  # 17th digit 2 is even
    male = make_resident_id(random.Random(1), gender="male")  # noqa: S311
    assert resident_id_gender(male) == "male"
    # All three at once, from one validation, normalised like validate_resident_id.
    spaced = " " + EXAMPLE_ID[:6] + " " + EXAMPLE_ID[6:].lower()
    assert parse_resident_id(spaced) == (EXAMPLE_ID, datetime.date(1949, 12, 31), "female")
    assert parse_resident_id(male)[2] == "male"


def test_it_raises_identifier_error_from_helpers_given_an_invalid_id() -> None:
    with pytest.raises(IdentifierError):
        resident_id_birth_date("123")
    with pytest.raises(IdentifierError):
        resident_id_gender(EXAMPLE_ID[:17] + "1")
    with pytest.raises(IdentifierError):
        parse_resident_id(EXAMPLE_ID[:17] + "1")


def test_it_keeps_error_messages_lazy_and_is_a_value_error() -> None:
    with pytest.raises(ValueError) as excinfo:
        validate_resident_id("x")
    assert isinstance(excinfo.value, IdentifierError)
    assert isinstance(excinfo.value.message, Promise)


@given(
    rng=rngs,
    birth=st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2020, 12, 31)),
    gender=st.sampled_from(["male", "female"]),
)
def test_it_generates_resident_ids_that_validate(
    rng: random.Random, birth: datetime.date, gender: str
) -> None:
    value = make_resident_id(rng, region="350102", birth=birth, gender=gender)
    assert validate_resident_id(value) == value
    assert value.startswith("350102")
    assert resident_id_birth_date(value) == birth
    assert resident_id_gender(value) == gender


@given(rng=rngs, data=st.data())
def test_it_rejects_any_single_substitution_in_a_resident_id(
    rng: random.Random, data: st.DataObject
) -> None:
    value = make_resident_id(rng)
    position = data.draw(st.integers(0, 17))
    allowed = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from(allowed).filter(lambda c: c != value[position]))
    changed = value[:position] + replacement + value[position + 1 :]
    with pytest.raises(IdentifierError):
        validate_resident_id(changed)


# --- USCC ------------------------------------------------------------------------------


def test_it_reports_distinct_uscc_error_codes() -> None:
    with pytest.raises(IdentifierError) as excinfo:
        validate_uscc(EXAMPLE_USCC[:17])
    assert _code(excinfo) == "uscc_length"
    for bad in "IOSVZ-":
        with pytest.raises(IdentifierError) as excinfo:
            validate_uscc("9" + bad + EXAMPLE_USCC[2:])
        assert _code(excinfo) == "uscc_chars"
    with pytest.raises(IdentifierError) as excinfo:
        validate_uscc(EXAMPLE_USCC[:17] + "I")
    assert _code(excinfo) == "uscc_chars"
    with pytest.raises(IdentifierError) as excinfo:
        validate_uscc(EXAMPLE_USCC[:17] + "4")
    assert _code(excinfo) == "uscc_check"


def test_it_accepts_a_bad_uscc_check_only_with_the_override() -> None:
    assert validate_uscc(EXAMPLE_USCC[:17] + "4", allow_bad_check=True) == EXAMPLE_USCC[:17] + "4"
    # The override covers the check character only, never length or characters.
    with pytest.raises(IdentifierError) as excinfo:
        validate_uscc(EXAMPLE_USCC[:17] + "O", allow_bad_check=True)
    assert _code(excinfo) == "uscc_chars"
    with pytest.raises(IdentifierError) as excinfo:
        validate_uscc(EXAMPLE_USCC + "1", allow_bad_check=True)
    assert _code(excinfo) == "uscc_length"


def test_it_maps_a_check_sum_of_zero_to_check_char_zero() -> None:
    # Σ = 0 → 31 − 0 = 31 → "0" (the "31 → 0" rule).
    assert uscc_check_char("0" * 17) == "0"


@given(rng=rngs)
def test_it_generates_usccs_that_validate(rng: random.Random) -> None:
    value = make_uscc(rng)
    assert validate_uscc(value) == value
    assert value.startswith("91")
    assert value[2:8].isdigit()
    assert _org_code_check_char(value[8:16]) == value[16]


@given(rng=rngs, data=st.data())
def test_it_rejects_any_single_substitution_in_a_uscc(
    rng: random.Random, data: st.DataObject
) -> None:
    value = make_uscc(rng)
    position = data.draw(st.integers(0, 17))
    replacement = data.draw(st.sampled_from(USCC_CHARSET).filter(lambda c: c != value[position]))
    changed = value[:position] + replacement + value[position + 1 :]
    with pytest.raises(IdentifierError) as excinfo:
        validate_uscc(changed)
    assert _code(excinfo) == "uscc_check"


# --- Mobile ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+8613800138000",
        "86 13800138000",
        "008613800138000",
        "１３８００１３８０００",
        "＋86 138－0013－8000",
    ],
)
def test_it_accepts_common_mobile_formats(value: str) -> None:
    assert validate_mobile(value) == "13800138000"


@pytest.mark.parametrize(
    "value",
    ["", "1380013800", "138001380001", "12800138000", "23800138000", "010-1234567", "+85291234567"],
)
def test_it_rejects_invalid_mobiles(value: str) -> None:
    with pytest.raises(IdentifierError) as excinfo:
        validate_mobile(value)
    assert _code(excinfo) == "mobile_format"


@given(rng=rngs)
def test_it_generates_mobiles_that_validate(rng: random.Random) -> None:
    value = make_mobile(rng)
    assert validate_mobile(value) == value


# --- VIN -------------------------------------------------------------------------------


def test_it_reports_distinct_vin_error_codes() -> None:
    cases = {
        EXAMPLE_VIN[:16]: "vin_length",
        EXAMPLE_VIN + "1": "vin_length",
        "1M8GDM9AXKP04278I": "vin_forbidden_letter",
        "OM8GDM9AXKP042788": "vin_forbidden_letter",
        "1M8GDM9AXKP04278Q": "vin_forbidden_letter",
        "1M8GDM9AXKP04278-": "vin_chars",
        "1M8GDM9A1KP042788": "vin_check",
    }
    for value, code in cases.items():
        with pytest.raises(IdentifierError) as excinfo:
            validate_vin(value)
        assert _code(excinfo) == code, value


@given(rng=rngs, wmi=st.sampled_from(["LSV", "LFV", "LGW", "1M8", "WVW"]))
def test_it_generates_vins_that_validate(rng: random.Random, wmi: str) -> None:
    value = make_vin(rng, wmi=wmi)
    assert validate_vin(value) == value
    assert value.startswith(wmi)


@given(rng=rngs, data=st.data())
def test_it_detects_a_vin_substitution_exactly_when_the_algorithm_can(
    rng: random.Random, data: st.DataObject
) -> None:
    # Every weight except position 9's is non-zero and below 11 (a prime), so a
    # substitution elsewhere is caught iff it changes the transliterated value; letters
    # sharing a value (e.g. A, J, 1) are undetectable. Changing the check character
    # itself is always caught.
    value = make_vin(rng)
    position = data.draw(st.integers(0, 16))
    replacement = data.draw(st.sampled_from(VIN_CHARSET).filter(lambda c: c != value[position]))
    changed = value[:position] + replacement + value[position + 1 :]
    undetectable = position != 8 and VIN_VALUES[replacement] == VIN_VALUES[value[position]]
    if undetectable:
        assert validate_vin(changed) == changed
    else:
        with pytest.raises(IdentifierError) as excinfo:
            validate_vin(changed)
        assert _code(excinfo) == "vin_check"


# --- Masking ---------------------------------------------------------------------------


def test_it_masks_resident_ids_mobiles_and_usccs() -> None:
    assert mask_resident_id("110101199001011234") == "110101********1234"
    assert mask_resident_id("11010519491231002x") == "110105********002X"
    assert mask_mobile("13800138000") == "138****8000"
    assert mask_mobile("+86 138-0013-8000") == "138****8000"
    assert mask_uscc(EXAMPLE_USCC) == "9135**********0Y43"


def test_it_masks_generic_values_and_never_reveals_short_ones() -> None:
    assert mask_generic("abcdefgh", 2, 3) == "ab***fgh"
    assert mask_generic("abcdefgh", 0, 0) == "********"
    assert mask_generic("abcde", 3, 2) == "*****"  # nothing left to hide → hide all
    assert mask_generic("", 3, 4) == ""
    assert mask_mobile("12345") == "*****"
    with pytest.raises(ValueError):
        mask_generic("abc", -1, 0)


# --- Generators ------------------------------------------------------------------------


def test_it_generates_deterministically_for_a_seed() -> None:
    def batch(seed: int) -> list[str]:
        rng = random.Random(seed)  # noqa: S311
        return [make_resident_id(rng), make_uscc(rng), make_vin(rng), make_mobile(rng)]

    assert batch(42) == batch(42)
    assert batch(42) != batch(43)


def test_it_rejects_bad_generator_arguments() -> None:
    rng = random.Random(0)  # noqa: S311
    with pytest.raises(ValueError):
        make_resident_id(rng, region="11010")
    with pytest.raises(ValueError):
        make_resident_id(rng, gender="other")
    with pytest.raises(ValueError):
        make_vin(rng, wmi="LOV")

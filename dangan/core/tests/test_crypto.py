"""Keyed lookup hashes: stored hashes must stay what HMAC-SHA256 of the key gives."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from dangan.core import crypto


@given(value=st.text(max_size=40), purpose=st.sampled_from(["exact", "last4", "last6"]))
def test_lookup_hash_is_hmac_sha256_under_the_data_dirs_key(value: str, purpose: str) -> None:
    key = settings.LOOKUP_HASH_KEY.encode()
    expected = hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
    assert crypto.lookup_hash(value, purpose=purpose) == expected


def test_another_key_gives_other_hashes_and_the_purposes_differ() -> None:
    ours = crypto.lookup_hash("1234", purpose="last4")
    assert ours != crypto.lookup_hash("1234", purpose="exact")
    with override_settings(LOOKUP_HASH_KEY="another key"):
        theirs = crypto.lookup_hash("1234", purpose="last4")
    assert theirs != ours
    assert crypto.lookup_hash("1234", purpose="last4") == ours


def test_encrypted_numbers_decrypt_and_do_not_show_the_number() -> None:
    token = crypto.encrypt("110105198001010016")
    assert "110105198001010016" not in token
    assert crypto.decrypt(token) == "110105198001010016"

"""Pinyin of names: the cached char-by-char path gives what pypinyin gives whole."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin

from dangan.search import segment as seg

# Surnames and given-name characters, with some that read differently inside a phrase
# (重庆, 长城, 银行, 单于, 曾经, 朝阳, 音乐) so that the phrase check is exercised.
CHARS = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗伟芳娜秀英敏静丽强磊军洋勇艳杰" + (
    "重庆长城银行单于曾经朝阳音乐解区仇查翟乐尉迟万俟"
)


@given(st.text(alphabet=CHARS, min_size=1, max_size=9))
def test_syllables_equal_pypinyins_reading(chars: str) -> None:
    assert seg._syllables(chars) == lazy_pinyin(chars, style=Style.NORMAL)


def test_phrases_keep_their_reading() -> None:
    assert seg.initials("重庆") == ("cq", "chongqing")
    assert seg.initials("王建国") == ("wjg", "wangjianguo")
    assert seg.initials("长城银行") == ("ccyh", "changchengyinhang")

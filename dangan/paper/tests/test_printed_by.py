"""Every paper print names who printed it by name, not login (catalogues said "clerk")."""

from __future__ import annotations

from dangan.accounts.models import User
from dangan.paper.sheets import printed_by, printed_line


def test_a_print_names_the_person_and_falls_back_to_the_login() -> None:
    assert printed_by(User(username="clerk", full_name="李秀英")).startswith("李秀英 ")
    assert printed_line(User(username="clerk", full_name="李秀英")).startswith("打印:李秀英 ")
    assert printed_by(User(username="clerk")).startswith("clerk ")

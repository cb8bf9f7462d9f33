"""Member handles: which ones are valid, what a display name becomes, and that an import never
gives two people one handle, nor one person two."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlboard.errors import UserError
from mlboard.services.board import parse_filter
from mlboard.services.handles import (
    HANDLE_MAX,
    AmbiguousName,
    assign_handles,
    handle_for,
    is_handle,
    same_name,
    typed_handle,
)
from mlboard.services.members import add_member, list_members


@pytest.mark.parametrize(
    ("name", "handle"),
    [
        ("王伟", "王伟"),
        ("李娜", "李娜"),
        ("Иван Петров", "иван.петров"),
        ("محمد علي", "محمد.علي"),
        ("Σωκράτης Παπαδόπουλος", "σωκράτης.παπαδόπουλος"),
        ("ΟΔΥΣΣΕΥΣ", "οδυσσευς"),  # the final sigma, as typing @ΟΔΥΣΣΕΥΣ lowercases it
        ("राहुल शर्मा", "राहुल.शर्मा"),  # the vowel signs are marks: kept
        ("김민준", "김민준"),
        ("Zoë O'Neil", "zoe.oneil"),
        ("Søren Kierkegaard", "soren.kierkegaard"),
        ("Nguyễn Văn An", "nguyen.van.an"),
        ("Ｊｏｈｎ Ｓｍｉｔｈ", "john.smith"),  # full-width letters
        ("Saicharan Basireddy", "saicharan.basireddy"),
        ("🙂 ---", "member"),
        ("Abcdefghij Klmnopqrst Uvwxyzabcd Efgh", "abcdefghij.klmnopqrst.uvwxyzabcd"),  # 32 at most
    ],
)
def test_a_display_name_suggests_a_readable_handle(name, handle):
    assert handle_for(name) == handle
    assert is_handle(handle)


@pytest.mark.parametrize(
    "text", ["ana", "j.smith", "a_b-c", "007", "王伟", "иван.петров", "राहुल.शर्मा", "a" * 32]
)
def test_valid_handles(text):
    assert is_handle(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Ana",  # lowercase only: `@Ana` in a filter finds `ana`
        "ana lima",
        "-ana",
        ".ana",
        "\u0301ana",  # a mark with nothing to sit on
        "ana@x",
        "a" * 33,
        "Иван",
        "jose\u0301",  # decomposed: stored composed (NFC) only
        "ana\x1b[2J",
        "ana\u202e",
        "@team",
    ],
)
def test_invalid_handles(text):
    assert not is_handle(text)


def test_typed_handles_are_found_however_they_were_typed():
    assert typed_handle(" @jose\u0301 ") == "josé"
    assert parse_filter("@ИВАН.ПЕТРОВ kind:bug").assignees == {"иван.петров"}
    assert parse_filter("@ΟΔΥΣΣΕΥΣ").assignees == {"οδυσσευς"}


def test_member_add_takes_any_script_and_refuses_the_rest(workspace):
    assert add_member(workspace, "@王伟", "王伟").handle == "王伟"
    assert add_member(workspace, "jose\u0301").handle == "josé"
    with pytest.raises(UserError, match=r"invalid handle 'Ana': use lowercase letters"):
        add_member(workspace, "Ana")
    with pytest.raises(UserError, match=r"invalid handle 'ana\\x1b\[2J'"):
        add_member(workspace, "ana\x1b[2J")
    assert [m.handle for m in list_members(workspace)] == ["josé", "王伟"]


# --- assigning handles to an import's names --------------------------------------------------


def test_two_names_with_one_slug_get_two_handles_in_name_order():
    for names in (["José", "Jose"], ["Jose", "José"]):
        handles, adopted = assign_handles(names, [])
        assert handles == {"Jose": "jose", "José": "jose-2"} and adopted == {}


def test_names_on_the_team_keep_their_handles_and_new_ones_avoid_taken_handles():
    team = [("jose", "José"), ("ana", "Ana Lima"), ("wei", "王伟")]
    handles, adopted = assign_handles(["Jose", "王伟", "José", "Ana"], team)
    assert handles == {"José": "jose", "王伟": "wei", "Jose": "jose-2", "Ana": "ana-2"}
    assert adopted == {}


def test_a_member_added_with_only_a_handle_is_adopted_by_the_name_that_suggests_it():
    team = [("ana.lima", "ana.lima"), ("jose", "jose")]
    handles, adopted = assign_handles(["Ana Lima", "José", "Jose"], team)
    assert handles == {"Ana Lima": "ana.lima", "Jose": "jose", "José": "jose-2"}
    assert adopted == {"ana.lima": "Ana Lima", "jose": "Jose"}


def test_a_name_shared_by_two_members_is_ambiguous():
    with pytest.raises(AmbiguousName) as ambiguous:
        assign_handles(["Wang Wei"], [("wang", "Wang Wei"), ("wei", "Wang Wei")])
    assert ambiguous.value.handles == ["wang", "wei"]


def test_suffixes_keep_long_handles_within_the_limit():
    name = "Abcdefghij Klmnopqrst Uvwxyzabcd Efgh"
    handles, _ = assign_handles([name, name + " Jr", name + "."], [])
    assert sorted(handles.values()) == [
        "abcdefghij.klmnopqrst.uvwxyzab-2",
        "abcdefghij.klmnopqrst.uvwxyzab-3",
        "abcdefghij.klmnopqrst.uvwxyzabcd",
    ]


NAMES = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40
) | st.sampled_from(["José", "Jose", "JOSE", "jose", "José", "王伟", "Иван Петров", "🙂", "-"])


@given(
    names=st.lists(NAMES, max_size=12),
    team=st.lists(st.tuples(NAMES.map(handle_for), NAMES), max_size=6, unique_by=lambda m: m[0]),
)
def test_distinct_names_get_distinct_valid_handles_and_keep_them(names, team):
    """N different names -> N different handles, none of them a teammate's unless it is that
    teammate's own name; importing again, with the new members on the team, changes nothing."""
    team = [(handle, name) for handle, name in team if handle != same_name(name)]
    named = {}
    for handle, name in team:
        named.setdefault(same_name(name), []).append(handle)
    if any(len(handles) > 1 for handles in named.values()):
        return  # ambiguous by construction: covered above
    distinct = {same_name(name) for name in names if name.strip()}
    handles, adopted = assign_handles(names, team)
    assert set(handles) == distinct and adopted == {}
    assert len(set(handles.values())) == len(distinct)
    for name, handle in handles.items():
        assert is_handle(handle) and len(handle) <= HANDLE_MAX
        assert handle == unicodedata.normalize("NFC", handle)
        owner = [known for known in team if known[0] == handle]
        assert not owner or same_name(owner[0][1]) == name
    grown = team + [(h, n) for n, h in handles.items() if h not in dict(team)]
    assert assign_handles(reversed(names), grown) == (handles, {})

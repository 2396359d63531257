"""The photo rule's election context comes from the classifier's linker (one matcher)."""

from __future__ import annotations

import pytest

from media_helpers import jakarta_2017, jakarta_2024
from pantau.classify.linking import Linker
from pantau.media.context import LinkerContext, context_finder
from pantau.records import Candidate, WatchAccount


def _found(text: str, source: str = "caption", election=None) -> set[tuple[str, int | None]]:
    return {(m.kind, m.candidate) for m in LinkerContext(election or jakarta_2024())(text, source)}


def test_linker_signals_become_context_matches_with_their_source():
    matches = LinkerContext(jakarta_2024())("Salam tiga jari bareng Bang Doel!", "image")
    by_kind = {m.kind: m for m in matches}
    assert by_kind["alias"].value == "Bang Doel" and by_kind["alias"].candidate == 3
    assert by_kind["number"].value == "salam tiga jari" and by_kind["number"].candidate == 3
    assert all(m.source == "image" for m in matches)
    assert by_kind["alias"].describe() == "alias 'Bang Doel' in the image text"
    assert by_kind["alias"].describe_id() == "alias 'Bang Doel' di teks gambar"


def test_kinds_map_to_the_photo_rule_vocabulary():
    election = jakarta_2024()
    election.accounts.append(WatchAccount("instagram", "timpemenangan3", "campaign", 3))
    assert ("account", 3) in _found("bareng tim @timpemenangan3", election=election)
    assert ("hashtag", 1) in _found("Mantap! #RIDO")
    assert ("party", 3) in _found("kader PDI Perjuangan")
    assert ("number", 2) in _found("ayo coblos 2")
    assert _found("ayo coblos besok") == {("call", None)}
    assert _found("rapat dinas hari ini") == set()


def test_a_party_shared_by_two_candidates_points_to_none():
    election = jakarta_2024()
    election.candidates[0] = Candidate(1, ["Ridwan Kamil", "Suswono"], aliases=["RIDO"],
                                       parties=["PDI Perjuangan"])
    assert ("party", None) in _found("kader PDI Perjuangan", election=election)


def test_a_bare_number_or_gesture_emoji_needs_other_context_in_the_text():
    assert _found("02") == set()
    assert _found("\u270c") == set()
    assert _found("\u270c\u270c liburan") == set()
    # Words counting the fingers are the campaign's own phrase (a demo-world caption).
    assert ("number", 3) in _found("Tiga jari untuk Jakarta yang lebih baik \U0001f601")
    assert ("number", 2) in _found("02 Dharma-Kun")
    assert ("number", 2) in _found("\u270c Dharma-Kun")
    assert ("number", 2) in _found("salam dua jari")          # the campaign phrase itself


def test_image_text_gets_the_ocr_hashtag_repair_but_captions_do_not():
    assert ("hashtag", 3) in _found("fAniesSandi", "image", jakarta_2017())
    assert _found("fAniesSandi", "caption", jakarta_2017()) == set()


def test_a_compiled_linker_is_reused_and_must_know_the_election():
    linker = Linker(jakarta_2024())
    finder = context_finder(jakarta_2024(), linker)
    assert isinstance(finder, LinkerContext) and finder.linker is linker
    with pytest.raises(ValueError, match="pilkada-2017-dki-jakarta"):
        context_finder(jakarta_2017(), linker)

    def custom(text: str, source: str):
        return []

    assert context_finder(jakarta_2024(), custom) is custom

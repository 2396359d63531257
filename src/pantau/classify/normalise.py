"""Text normalisation for Indonesian social-media posts.

One pass of precompiled regexes turns the way people write on X, Telegram or Instagram into a
stable form that the linker and the model both read:

* URLs become ``__url__`` (the address itself says nothing about support);
* ``@mentions`` stay as ``@handle`` in lower case (watch-listed handles are strong signals);
* ``#HashTags`` keep their ``#`` and are split on camelCase and digits with ``_``
  (``#PrabowoGibran2024`` -> ``#prabowo_gibran_2024``), so the linker can find the names in
  them and the model can read ``#asn_netral`` as words;
* gesture emoji, as characters or as textual tags (``:victory_hand:``), become words
  (``✌`` -> `` duajari ``): BKN lists these poses as forbidden symbols of support;
* digit/letter swaps inside words are undone (``j0k0wi`` -> ``jokowi``);
* elongation is squeezed (``ayooo`` -> ``ayo``, ``bangeeet`` -> ``banget``);
* common abbreviations are expanded (``yg`` -> ``yang``, ``gak`` -> ``tidak`` ...).

Everything is lower case afterwards. `normalise` is pure and cheap: a handful of ``re.sub``
calls per text, no per-token Python loop except the abbreviation lookup callback.
"""

from __future__ import annotations

import re

# --- emoji and gesture tags --------------------------------------------------------------------
# Hand poses named in BKN guidance (thumbs up, one to five fingers, metal, finger heart) and the
# keycap digits used to write a ballot number. Variation selectors and skin tones are dropped.
_EMOJI_WORDS: dict[str, str] = {
    "\u270c": "duajari",        # ✌ victory hand
    "\u261d": "satujari",       # ☝ index pointing up
    "\U0001f446": "satujari",   # 👆
    "\U0001faf5": "satujari",   # 🫵
    "\U0001f44d": "jempol",     # 👍
    "\U0001f918": "metal",      # 🤘
    "\U0001f91f": "metal",      # 🤟 love-you gesture: three fingers, read as "metal"
    "\U0001faf0": "fingerheart",  # 🫰
    "\U0001f44c": "tigajari",   # 👌 three raised fingers
    "\U0001f590": "limajari",   # 🖐
    "\u270b": "limajari",       # ✋
}
_TEXT_TAGS: dict[str, str] = {
    "victory_hand": "duajari", "v": "duajari", "peace": "duajari",
    "point_up": "satujari", "index_pointing_up": "satujari", "point_up_2": "satujari",
    "thumbsup": "jempol", "+1": "jempol", "thumbs_up": "jempol",
    "metal": "metal", "sign_of_the_horns": "metal", "love-you_gesture": "metal",
    "love_you_gesture": "metal", "i_love_you_hand_sign": "metal",
    "hand_with_index_finger_and_thumb_crossed": "fingerheart",
    "ok_hand": "tigajari", "raised_hand": "limajari", "hand": "limajari",
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "keycap_1": "1", "keycap_2": "2", "keycap_3": "3", "keycap_4": "4", "keycap_5": "5",
}
# One str.translate does it all: gesture emoji -> words, keycap "2️⃣" -> "2 ", variation
# selectors, skin tones and joiners dropped (C speed, no regex scan).
_EMOJI_TABLE = {ord(k): f" {v} " for k, v in _EMOJI_WORDS.items()} | {
    ord(c): None for c in "\ufe0f\ufe0e\u200d\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff"
} | {0x20E3: " "}
_TEXT_TAG_RE = re.compile(r":([a-z0-9_+\-]{1,48}):", re.IGNORECASE)

# --- URLs, mentions, hashtags -----------------------------------------------------------------
_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.I)
# Scheme-less links ("bit.ly/x", "kpu.go.id/dpt"); only tried when the text has a "/".
_BARE_URL_RE = re.compile(r"[\w-]+(?:\.[\w-]+)*\.(?:com|id|co|net|org|ly|me)/\S*", re.I)
_MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9_][A-Za-z0-9_.]{0,63}(?:@[A-Za-z0-9.-]+)?)")
_HASHTAG_RE = re.compile(r"(?<![\w#])#(\w+)")
# camelCase and letter/digit boundaries inside a hashtag body.
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)"
                       r"|(?<=\d)(?=[A-Za-z])")

# --- spelling ------------------------------------------------------------------------------
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                       "9": "g", "@": "a", "$": "s"})
# A digit (or @/$) with letters on both sides is a letter in disguise: j0k0wi, pr4bowo, g4nj4r.
# (The left side is checked in `_unleet`: a leading look-behind would make the scan slow.)
_LEET_RE = re.compile(r"[013457@$]+(?=[a-z])")
_HAS_DIGIT_RE = re.compile(r"[0-9@$]")
_ELONGATION_RE = re.compile(r"([a-z])\1{2,}")
# A doubled final vowel or h/k is elongation too ("ayoo", "yukk"); real words rarely end so.
_FINAL_DOUBLE_RE = re.compile(r"([aiueohk])\1\b")
_SPACES_RE = re.compile(r"\s+")
_APOSTROPHE_RE = re.compile(r"(?<=\w)['\u2019`](?=\w)")
# Punctuation runs ("!!!", "???", "....") collapse to one mark.
_PUNCT_RUN_RE = re.compile(r"([!?.,])\1+")

ABBREVIATIONS: dict[str, str] = {
    "yg": "yang", "dgn": "dengan", "dg": "dengan", "dng": "dengan", "utk": "untuk",
    "untk": "untuk", "tdk": "tidak", "gak": "tidak", "ga": "tidak", "gk": "tidak",
    "nggak": "tidak", "ngga": "tidak", "enggak": "tidak", "engga": "tidak", "ndak": "tidak",
    "krn": "karena", "karna": "karena", "krna": "karena", "sdh": "sudah", "udh": "sudah",
    "udah": "sudah", "dah": "sudah", "blm": "belum", "blum": "belum", "bgt": "banget",
    "bngt": "banget", "org": "orang", "orng": "orang", "jkt": "jakarta", "dki": "dki",
    "pilpres": "pemilihan presiden", "pileg": "pemilihan legislatif",
    "pilgub": "pemilihan gubernur", "pilwalkot": "pemilihan walikota",
    "pilbup": "pemilihan bupati", "capres": "calon presiden", "cawapres": "calon wakil presiden",
    "cagub": "calon gubernur", "cawagub": "calon wakil gubernur", "cawalkot": "calon walikota",
    "cabup": "calon bupati", "paslon": "pasangan calon", "no": "nomor", "nmr": "nomor",
    "nomer": "nomor", "nmor": "nomor", "nomr": "nomor", "jg": "juga", "jgn": "jangan",
    "jngn": "jangan", "sy": "saya", "aku": "aku", "gw": "gue", "gua": "gue", "lo": "lu",
    "lu": "lu", "tp": "tapi", "tpi": "tapi", "klo": "kalau", "kalo": "kalau", "kl": "kalau",
    "bs": "bisa", "bsa": "bisa", "sm": "sama", "sma": "sama", "aja": "saja", "aj": "saja",
    "dr": "dari", "dri": "dari", "pd": "pada", "bkn": "bukan", "gmn": "gimana",
    "gimana": "bagaimana", "bgmn": "bagaimana", "knp": "kenapa", "kpn": "kapan",
    "skrg": "sekarang", "skg": "sekarang", "sekrg": "sekarang", "td": "tadi", "bln": "bulan",
    "thn": "tahun", "hr": "hari", "mks": "makasih", "makasi": "makasih", "trims": "terima kasih",
    "tks": "terima kasih", "thx": "terima kasih", "msh": "masih", "lg": "lagi", "lgi": "lagi",
    "bnyk": "banyak", "byk": "banyak", "sdkt": "sedikit", "dlm": "dalam", "dl": "dulu",
    "dlu": "dulu", "trs": "terus", "trus": "terus", "tau": "tahu", "tw": "tahu", "ak": "aku",
    "sj": "saja", "spt": "seperti", "kyk": "kayak", "kek": "kayak", "kk": "kakak",
    "bpk": "bapak", "pak": "pak", "ibu": "ibu", "bu": "bu", "mas": "mas", "pemda": "pemda",
    "kmrn": "kemarin", "kmarin": "kemarin", "bsk": "besok", "besuk": "besok", "smg": "semoga",
    "smoga": "semoga", "insyaallah": "insya allah", "insha allah": "insya allah",
    "inshaallah": "insya allah", "isnya allah": "insya allah", "slm": "salam", "dukungan": "dukungan",
    "pilih": "pilih", "coblos": "coblos", "nyoblos": "coblos", "nyoblosnya": "coblos",
    "mnang": "menang", "mnag": "menang", "mnangkan": "menangkan", "wkwk": "wkwk",
    "wkwkwk": "wkwk", "wkwkw": "wkwk", "wk": "wkwk", "ckck": "ckck", "btw": "ngomong ngomong",
    "otw": "otw", "asn": "asn", "pns": "pns", "dprd": "dprd", "kpu": "kpu", "bawaslu": "bawaslu",
    "tps": "tps", "ayok": "ayo", "ayuk": "ayo", "yuk": "ayo", "yok": "ayo", "yuuk": "ayo",
    "hrs": "harus", "hrus": "harus", "bnr": "benar", "bner": "benar", "bener": "benar",
    "emg": "memang", "emang": "memang", "mmg": "memang", "sampe": "sampai", "smpe": "sampai",
}
# One dictionary lookup per word is much faster than a 200-way regex alternation.
_WORD_RE = re.compile(r"[a-z]+")
_URL_TOKEN = " __url__ "


def _text_tag(match: re.Match[str]) -> str:
    word = _TEXT_TAGS.get(match.group(1).lower())
    return f" {word} " if word else match.group(0)


def _hashtag(match: re.Match[str]) -> str:
    body = _CAMEL_RE.sub("_", match.group(1))
    return f" #{body.lower()} "


def _abbrev(match: re.Match[str]) -> str:
    word = match.group(0)
    return _ABBREV_GET(word, word)


_ABBREV_GET = ABBREVIATIONS.get


def _squeeze(match: re.Match[str]) -> str:
    """"ayooo" -> "ayo"; but a word that is only the repeated letter ("PPP") stays."""
    text, start, end = match.string, match.start(), match.end()
    alone = (start == 0 or not text[start - 1].isalpha()) and (
        end == len(text) or not text[end].isalpha())
    return match.group(0) if alone else match.group(1)


def _unleet(match: re.Match[str]) -> str:
    start = match.start()
    if start == 0 or not ("a" <= match.string[start - 1] <= "z"):
        return match.group(0)
    return match.group(0).translate(_LEET)


def normalise(text: str) -> str:
    """The normalised, lower-case form of one post (see the module docstring)."""
    if not text:
        return ""
    # Each optional step is gated by a cheap `in` test: most posts have no URL, tag or emoji.
    if "/" in text or "www." in text:
        text = _URL_RE.sub(_URL_TOKEN, text)
        if "/" in text:
            text = _BARE_URL_RE.sub(_URL_TOKEN, text)
    if "'" in text or "\u2019" in text or "`" in text:
        text = _APOSTROPHE_RE.sub("", text)  # Ma'ruf, jum'at: one word either way
    if ":" in text:
        text = _TEXT_TAG_RE.sub(_text_tag, text)
    if not text.isascii():
        text = text.translate(_EMOJI_TABLE)
    # Hashtags before lower-casing: their capitals are where the words split.
    if "#" in text:
        text = _HASHTAG_RE.sub(_hashtag, text)
    if "@" in text:
        text = _MENTION_RE.sub(lambda m: " @" + m.group(1).lower().rstrip(".") + " ", text)
    text = text.lower()
    if _HAS_DIGIT_RE.search(text):
        text = _LEET_RE.sub(_unleet, text)
    text = _ELONGATION_RE.sub(_squeeze, text)
    text = _FINAL_DOUBLE_RE.sub(r"\1", text)
    text = _PUNCT_RUN_RE.sub(r"\1", text)
    text = _WORD_RE.sub(_abbrev, text)
    return " ".join(text.split())


def compact(text: str) -> str:
    """Letters and digits only, digit/letter swaps undone: the key names are compared by."""
    return _NOT_ALNUM_RE.sub("", text.lower().translate(_LEET_ALL))


_NOT_ALNUM_RE = re.compile(r"[^a-z0-9]+")


# Outside words a digit is a number ("no 2"); inside a name key every digit is a letter.
_LEET_ALL = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"})

__all__ = ["ABBREVIATIONS", "compact", "normalise"]

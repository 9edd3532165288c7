"""MT tokenizers (13a, intl, char, none, zh) against sacreBLEU's, token for token."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from arrowdata.errors import ArrowDataError, UnknownNameError
from metrics.text.tokenizers_mt import get_tokenizer, register_tokenizer, tokenizer_names, TOKENIZERS, MTTokenizer

sacre_tok = pytest.importorskip("sacrebleu.tokenizers")
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a  # noqa: E402
from sacrebleu.tokenizers.tokenizer_char import TokenizerChar  # noqa: E402
from sacrebleu.tokenizers.tokenizer_intl import TokenizerV14International  # noqa: E402
from sacrebleu.tokenizers.tokenizer_none import NoneTokenizer  # noqa: E402
from sacrebleu.tokenizers.tokenizer_zh import TokenizerZh  # noqa: E402

REFERENCE = {"13a": Tokenizer13a(), "intl": TokenizerV14International(), "char": TokenizerChar(),
             "none": NoneTokenizer(), "zh": TokenizerZh()}

# characters every rule of these tokenizers reacts to, plus unicode of several classes
_ALPHABET = list("ab Z09 .,-'&;<>\"$€!?()[]{}/\\@#%^*+=_`|~\n\t\u00a0\x1c\u3000我爱京、。，ÖéＡ\u2001\u2a6d\u2fa1\u2f81"
                 "\u2f80\u2fa2😀٣") + ["&amp;", "&lt;", "&gt;", "&quot;", "<skipped>", "-\n", "3.5", "1,000", "U.S."]
lines = st.lists(st.sampled_from(_ALPHABET), max_size=25).map("".join)


@pytest.mark.parametrize("name", sorted(REFERENCE))
@settings(max_examples=150, deadline=None)
@given(batch=st.lists(lines, max_size=8))
def test_tokens_equal_sacrebleu(name, batch):
    ours = get_tokenizer(name)
    ref = REFERENCE[name]
    expected = [ref(line).split() for line in batch]
    assert ours.tokenize_batch(batch) == expected  # the batch path
    assert [ours(line).split() for line in batch] == expected  # the per-line path


def test_zh_character_ranges_match_sacrebleu_exactly():
    # includes the code points where sacreBLEU's odd five-digit escapes make a difference
    from metrics.text.tokenizers_mt import _ZH_CHAR

    for cp in list(range(0x1F00, 0x3500)) + list(range(0x4DB0, 0x4E10)) + list(range(0x9FA0, 0xA000)) \
            + list(range(0xF8F0, 0x10010)) + [0x20000, 0x2A6D6, 0x2F800]:
        c = chr(cp)
        assert bool(_ZH_CHAR.fullmatch(c)) == TokenizerZh._is_chinese_char(c), hex(cp)


def test_known_outputs():
    assert get_tokenizer("13a")("Hello, world! It costs $3.50.") == "Hello , world ! It costs $ 3.50 ."
    assert get_tokenizer("intl")("Öl kostet 3,50€, oder?") == "Öl kostet 3,50 € , oder ?"
    assert get_tokenizer("zh")("我爱北京, ok.") == "我 爱 北 京 , ok ."
    assert get_tokenizer("13a").tokenize_batch([]) == []


def test_unknown_tokenizer_lists_known_ones():
    with pytest.raises(UnknownNameError) as e:
        get_tokenizer("13b")
    assert isinstance(e.value, ArrowDataError)
    assert "13a" in str(e.value)


def test_register_a_tokenizer():
    @register_tokenizer("test-upper")
    class Upper(MTTokenizer):
        def __call__(self, line):
            return " ".join(line.upper().split())

    try:
        assert "test-upper" in tokenizer_names()
        assert get_tokenizer("test-upper").tokenize_batch(["a b"]) == [["A", "B"]]
    finally:
        del TOKENIZERS["test-upper"]
        get_tokenizer.cache_clear()

"""Generated machine-translation corpora for the MT metric parity tests (bleu, sacrebleu, chrf, ter).

Deterministic for a seed; mixes ordinary word-level edits with the inputs that break
implementations: empty strings, whitespace-only lines, unicode (accents, CJK, full-width,
emoji), XML escapes, punctuation runs, numbers with separators, very long and one-word
segments, and a varying number of references per prediction.
"""
from __future__ import annotations

import random

_WORDS = ("the cat sat on a mat dog ran fast and slow it is was be to of in for with by "
          "Paris London 1,000 3.50 2024 -5 e-mail don't it's U.S. naïve café Ünïcödé "
          "我 爱 北京 天安门 日本語 テキスト です 한국어 ｆｕｌｌ ＡＢＣ 😀 ").split()
_PUNCT = [",", ".", "!", "?", ";", ":", "\"", "'s", "(", ")", "-", "...", "&amp;", "&quot;", "&lt;", "$", "%",
          "、", "。", "，", "？", "«", "»", "—"]
_ODD = ["", " ", "  \t ", ".", "!!!", "a", "A", "&amp;lt;", "x -\ny", "line\nbreak", "3.14.", "(1,000)",
        "<skipped> word", "ＡＢＣ，ｄｅｆ！", "我爱北京天安门。", "日本語のテキスト、です！", "😀😀 ok"]


def _sentence(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        w = rng.choice(_WORDS)
        r = rng.random()
        if r < 0.12:
            w += rng.choice(_PUNCT)
        elif r < 0.16:
            w = rng.choice(_PUNCT) + w
        elif r < 0.2:
            w = w.upper()
        out.append(w)
    return out


def _edit(rng: random.Random, words: list[str]) -> list[str]:
    words = list(words)
    for _ in range(rng.randint(0, 5)):
        op = rng.random()
        p = rng.randrange(len(words)) if words else 0
        if op < 0.3 and words:
            words[p] = rng.choice(_WORDS)
        elif op < 0.5 and words:
            del words[p]
        elif op < 0.7:
            words.insert(p, rng.choice(_WORDS))
        elif len(words) > 3:
            a, k = rng.randrange(len(words) - 2), rng.randint(1, 3)
            block = words[a:a + k]
            del words[a:a + k]
            b = rng.randrange(len(words) + 1)
            words[b:b] = block
    return words


def make_corpus(n: int, seed: int = 0, *, max_refs: int = 1, long_every: int = 0) -> tuple[list[str], list[list[str]]]:
    """``n`` predictions and, per prediction, 1..max_refs references (the count varies)."""
    rng = random.Random(seed)
    preds, refs = [], []
    for i in range(n):
        if rng.random() < 0.08:
            preds.append(rng.choice(_ODD))
            refs.append([rng.choice(_ODD + ["a b c"]) for _ in range(rng.randint(1, max_refs))])
            continue
        length = rng.choice([1, 2, 3, 8, 15, 25, 30])
        if long_every and i % long_every == 0:
            length = rng.choice([80, 120])
        ref = _sentence(rng, length)
        rs = [" ".join(ref)] + [" ".join(_edit(rng, ref)) for _ in range(rng.randint(1, max_refs) - 1)]
        hyp = _edit(rng, ref)
        if rng.random() < 0.1:
            hyp = [w.lower() for w in hyp]
        sep = rng.choice([" ", " ", " ", "  ", " \t"])
        preds.append(sep.join(hyp) + rng.choice(["", "", " ", "\n"]))
        refs.append(rs)
    return preds, refs


def streams(refs: list[list[str]]) -> list[list[str | None]]:
    """Per-prediction reference lists as sacreBLEU's reference streams (None where a prediction has fewer)."""
    k = max(len(r) for r in refs)
    return [[r[i] if i < len(r) else None for r in refs] for i in range(k)]

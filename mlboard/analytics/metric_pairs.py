"""Which logged metrics are a training metric and its validation twin, found by their names.

MLflow runs log whatever names their frameworks choose (`train_loss`/`val_loss`, Keras's
`loss`/`val_loss`, TensorBoard's `Loss/train`, lightgbm's `training-binary_logloss`/
`valid_0-binary_logloss`, ...). `pair_metrics` finds the (train, validation) pairs that
overfitting is judged on, and `higher_is_better` guesses from a name which way is better, for
the pairs, for alerts and for run comparison. Plain strings in, plain records out.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

TRAIN_WORDS = ("train", "training")
VAL_WORDS = ("validation", "val", "valid", "eval", "test")  # in order of preference
SEPARATORS = "_/-."
# Throughput and bookkeeping logged per split (transformers: train_runtime, eval_steps_per_second)
IGNORED_BASES = frozenset(
    "runtime samples_per_second steps_per_second total_flos flos epoch step lr learning_rate "  # noqa: SIM905
    "time duration batch_size".split()
)
_MINIMIZE = frozenset(
    "loss logloss nll error err rmse mse mae mape smape msle rmsle perplexity ppl cer wer ter "  # noqa: SIM905
    "deviance hinge huber l1 l2 brier crossentropy entropy distance latency".split()
)


def higher_is_better(name: str) -> bool:
    """Whether a bigger value of metric `name` is better, guessed from its words.

    The name is split into lower-case words at anything not a letter or digit. sklearn's
    negated scorers (`neg_*`, e.g. `neg_mean_squared_error`) are greater-is-better. Otherwise
    a loss-like word (loss, error, rmse, mse, mae, logloss, perplexity, latency, … or any
    word containing `loss` or `error`, such as xgboost's `mlogloss`/`merror`) means lower is
    better; every other name (accuracy, f1, auc, r2, score, ndcg, … and unknown ones) is
    maximized. Override per metric with `PairRules.directions`.
    """
    words = [w for w in re.split(r"[^0-9a-z]+", name.lower()) if w]
    if words[:1] == ["neg"]:
        return True
    return not any(w in _MINIMIZE or "loss" in w or "error" in w for w in words)


@dataclass(frozen=True, slots=True)
class MetricPair:
    """A training metric, the validation metric it is compared with, and what both measure."""

    train: str
    val: str
    base: str  # e.g. `loss` for train_loss/val_loss
    maximize: bool
    convention: str  # explicit, prefix, suffix or bare


@dataclass(frozen=True, slots=True)
class PairRules:
    """How `pair_metrics` recognises pairs. Extend the (lower-case) word lists, e.g.
    `VAL_WORDS + ("holdout",)`, or add explicit (train, val) pairs; `directions` maps a validation
    metric, training metric or base name to "higher is better?" over `higher_is_better`."""

    train_words: tuple[str, ...] = TRAIN_WORDS
    val_words: tuple[str, ...] = VAL_WORDS
    separators: str = SEPARATORS
    explicit: tuple[tuple[str, str], ...] = ()
    directions: Mapping[str, bool] = field(default_factory=dict)
    bare: bool = True  # Keras/transformers: `loss` pairs with `val_loss` or `eval_loss`
    ignore: frozenset[str] = IGNORED_BASES  # bases (lower case) that are not model quality


DEFAULT_RULES = PairRules()
_Key = tuple[str, str, str]  # (position, separator, base)
_Tagged = tuple[tuple[int, int], str]  # ((word preference, dataset index), name): lowest wins


def pair_metrics(names: Iterable[str], rules: PairRules = DEFAULT_RULES) -> list[MetricPair]:
    """The (training, validation) metric pairs among `names`; each name is used at most once.

    Matched, in this order of precedence:
    1. `rules.explicit` pairs whose two names are both present.
    2. prefix form `<word><sep><base>`: a train word (`train`, `training`) and a validation word
       (`validation`, `val`, `valid`, `eval`, `test` — preferred in that order, so `test_*` is
       used only when no other is present) with the same separator (`_ / - .`) and base:
       `train_loss`/`val_loss`, `training_loss`/`validation_loss`, `train/loss`/`val/loss`,
       xgboost autolog's `train-auc`/`eval-auc`; sklearn autolog's `training_score`,
       `training_f1_score` with `val_*`/`validation_*`/`test_*` of the same base. A dataset
       index `_<n>` after the word is allowed, lowest first: lightgbm autolog's
       `training-binary_logloss`/`valid_0-binary_logloss`.
    3. suffix form `<base><sep><word>` (TensorBoard style): `Loss/train`/`Loss/val`.
    4. Lightning's epoch aggregate: `train_loss_epoch` stands in for a missing `train_loss`.
    5. bare form (Keras, transformers): `loss` with `val_loss` or `eval_loss` (any separator),
       when no tagged training metric claimed that validation metric.
    Words are matched case-insensitively, bases exactly; bases in `rules.ignore` (throughput,
    learning rate, …) are skipped. Pairs are sorted by validation name.
    """
    present = list(dict.fromkeys(names))
    used: set[str] = set()
    pairs: list[MetricPair] = []

    def add(train: str, val: str, base: str, convention: str) -> None:
        used.update((train, val))
        known = [rules.directions[n] for n in (val, train, base) if n in rules.directions]
        maximize = known[0] if known else higher_is_better(base)
        pairs.append(MetricPair(train, val, base, maximize, convention))

    for train, val in rules.explicit:
        if train in present and val in present and not {train, val} & used:
            add(train, val, val, "explicit")

    longest_first = sorted({*rules.train_words, *rules.val_words}, key=len, reverse=True)
    words = "|".join(map(re.escape, longest_first))
    seps, n = re.escape(rules.separators), r"(?:_(?P<n>\d+))?"
    forms = [
        ("prefix", re.compile(rf"(?P<word>{words}){n}(?P<sep>[{seps}])(?P<base>.+)", re.I)),
        ("suffix", re.compile(rf"(?P<base>.+?)(?P<sep>[{seps}])(?P<word>{words}){n}", re.I)),
    ]
    trains: dict[_Key, list[_Tagged]] = defaultdict(list)
    vals: dict[_Key, list[_Tagged]] = defaultdict(list)
    bare: list[str] = []
    for name in present:
        found = next(((pos, m) for pos, form in forms if (m := form.fullmatch(name))), None)
        if found is None:
            bare.append(name)
            continue
        position, match = found
        word, base = match["word"].lower(), match["base"]
        is_train = word in rules.train_words
        order = rules.train_words if is_train else rules.val_words
        if name not in used and base.lower() not in rules.ignore:
            rank = (order.index(word), int(match["n"] or 0))
            (trains if is_train else vals)[(position, match["sep"], base)].append((rank, name))

    def first(candidates: Iterable[_Tagged]) -> str | None:
        free = [c for c in candidates if c[1] not in used]
        return min(free)[1] if free else None

    for (position, sep, base), candidates in vals.items():
        if (train := first(trains.get((position, sep, base), ()))) and (val := first(candidates)):
            add(train, val, base, position)
    for (position, sep, base), candidates in vals.items():
        epoch = first(trains.get((position, sep, base + "_epoch"), ()))
        if epoch and not trains.get((position, sep, base)) and (val := first(candidates)):
            add(epoch, val, base, position)
    for name in bare if rules.bare else ():
        tagged = [v for sep in rules.separators for v in vals.get(("prefix", sep, name), ())]
        if name not in used and name.lower() not in rules.ignore and (val := first(tagged)):
            add(name, val, name, "bare")
    return sorted(pairs, key=lambda p: (p.val, p.train))

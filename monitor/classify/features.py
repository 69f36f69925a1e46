"""Text -> feature matrix: hashed word and character n-grams (TF-IDF with stored IDF) plus dense cue features.

Hashing keeps the shipped model free of a vocabulary (and of pickles): the IDF and the weights are plain arrays
indexed by hash bucket, and sklearn's HashingVectorizer (MurmurHash3, fixed seed) is deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.feature_extraction.text import HashingVectorizer

from monitor.classify.cues import clean

WORD_BITS = 18
CHAR_BITS = 18
N_WORD = 1 << WORD_BITS
N_CHAR = 1 << CHAR_BITS
N_SPARSE = N_WORD + N_CHAR

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![A-Za-z0-9_.])@\w+")
_NUMBER = re.compile(r"\d+")


def ngram_text(text: str) -> str:
    """What the n-gram features see: URLs, handles and numbers collapsed to placeholders."""
    text = clean(text)
    text = _URL.sub(" xurl ", text)
    text = _HANDLE.sub(" xuser ", text)
    return _NUMBER.sub("0", text)


_WORD = HashingVectorizer(
    analyzer="word",
    ngram_range=(1, 2),
    n_features=N_WORD,
    alternate_sign=False,
    norm=None,
    lowercase=True,
    token_pattern=r"(?u)[\w']+|[!?]+",
)
_CHAR = HashingVectorizer(
    analyzer="char_wb", ngram_range=(2, 5), n_features=N_CHAR, alternate_sign=False, norm=None, lowercase=True
)


def raw_counts(texts: Sequence[str]) -> sp.csr_matrix:
    """Term counts in hash buckets: word 1-2 grams then char 2-5 grams, one row per text."""
    docs = [ngram_text(t) for t in texts]
    return sp.hstack([_WORD.transform(docs), _CHAR.transform(docs)], format="csr")


def fit_idf(counts: sp.csr_matrix) -> NDArray[np.float32]:
    """Smoothed IDF per bucket, as sklearn's TfidfTransformer computes it."""
    n = counts.shape[0]
    df: NDArray[np.int64] = np.bincount(counts.indices, minlength=N_SPARSE)
    idf: NDArray[np.float32] = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
    return idf


def tfidf(counts: sp.csr_matrix, idf: NDArray[np.float32]) -> sp.csr_matrix:
    """Sublinear TF times IDF; the word and the char blocks are L2-normalised separately."""
    x = counts.astype(np.float32, copy=True)
    x.data = (1 + np.log(x.data)) * idf[x.indices]
    word_mask = x.indices < N_WORD
    sq = x.data**2
    rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    word_norm = np.sqrt(np.bincount(rows[word_mask], weights=sq[word_mask], minlength=x.shape[0]))
    char_norm = np.sqrt(np.bincount(rows[~word_mask], weights=sq[~word_mask], minlength=x.shape[0]))
    norms = np.where(word_mask, word_norm[rows], char_norm[rows])
    x.data = (x.data / np.maximum(norms, 1e-12)).astype(np.float32)
    return x


@dataclass(frozen=True, slots=True)
class DenseScaler:
    mean: NDArray[np.float32]
    scale: NDArray[np.float32]

    @classmethod
    def fit(cls, dense: NDArray[np.float32]) -> DenseScaler:
        std = dense.std(axis=0)
        return cls(dense.mean(axis=0).astype(np.float32), np.where(std > 0, std, 1.0).astype(np.float32))

    def transform(self, dense: NDArray[np.float32]) -> NDArray[np.float32]:
        return ((dense - self.mean) / self.scale).astype(np.float32)

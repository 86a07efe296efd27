"""Word features: TF-IDF beside the sentence vector, learned at training, saved as arrays."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

import dtors_nlp as dn
from dtors_nlp.words import WordFeatures, terms


def test_words_and_word_pairs_are_counted_in_lower_case():
    assert terms("The pub, the PUB and I") == {
        "the": 2,
        "pub": 2,
        "and": 1,
        "the pub": 2,
        "pub the": 1,
        "pub and": 1,
    }


def test_weights_match_scikit_learns_tfidf(starter_passages):
    texts = [p.text for p in starter_passages]
    words = WordFeatures.fit(texts[:600])
    reference = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(texts[:600])
    assert words.vocabulary == list(reference.get_feature_names_out())
    mine, theirs = words.transform(texts[600:]), reference.transform(texts[600:])
    assert np.allclose(mine.toarray(), theirs.toarray())


def test_a_model_keeps_its_vocabulary_and_predicts_the_same_after_loading(small_model, tmp_path):
    assert small_model.words_ is not None and len(small_model.words_.vocabulary) > 500
    small_model.save(tmp_path / "m")
    loaded = dn.load_model(tmp_path / "m", embedder=small_model.embedder_)
    assert loaded.words_.vocabulary == small_model.words_.vocabulary
    texts = ["I was rattling by dinner time.", "My mates at the pub, every night."]
    assert np.allclose(loaded.predict_proba(texts), small_model.predict_proba(texts))


def test_a_model_without_word_features_uses_sentence_vectors_only(embedder, starter_passages):
    model = dn.CodeSuggester(embedder=embedder, word_features=False, prior_data=None)
    model.fit_coded(starter_passages[::4])
    assert model.words_ is None
    assert all(head.base_.coef.shape[1] == embedder.dimension for head in model.heads_)

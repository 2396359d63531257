"""The classifier: watchlist linking + a calibrated text model + the SKB 2022 rule codes.

    normalise.py   social-media text -> stable lower-case form
    linking.py     Linker: candidates, numbers, parties, hashtags, handles in a text; masking
    corpus.py      our own templated training corpus (templates.py, corpus_elections.py)
    model.py       TextModel: train / save (skops + SHA-256) / load / predict_proba / explain
    rules.py       signals + probabilities -> records.Flag with reasons (id + en)
    pipeline.py    classify_texts (batch) and classify_pending (the store)
    train.py       `pantau train`: validation on a held-out election, threshold, model card
"""

"""The bundled example of `pyworkers run`: scores product reviews by counting positive and negative words.

    bin/pyworkers run --udf examples/sentiment.py:score --input examples/reviews.jsonl \
        --output /tmp/reviews.scored.jsonl

pyworkers loads this file once in every worker and calls score() once per line of reviews.jsonl, with the line's
parsed JSON object. Whatever score() returns becomes one JSON line of the output, in input order.
"""
import re

POSITIVE = {"great", "solid", "love", "excellent", "value", "quiet", "fast", "easy", "sturdy", "early", "perfect",
            "again"}
NEGATIVE = {"broke", "loud", "cheap", "stopped", "hard", "damaged", "poor", "disappointing", "returned", "flimsy"}
WORD = re.compile(r"[a-z']+")


def score(review):
    words = WORD.findall(review["text"].lower())
    positive = sum(w in POSITIVE for w in words)
    negative = sum(w in NEGATIVE for w in words)
    return {
        "id": review["id"],
        "product": review["product"],
        "stars": review["stars"],
        "words": len(words),
        "sentiment": positive - negative,
    }

"""The bundled example of `pyworkers run --pandas`: scores product reviews a batch at a time and keeps the strong
opinions.

    bin/pyworkers run --pandas --udf examples/reviews_pandas.py:strong_opinions --input examples/reviews.jsonl \
        --output /tmp/reviews.strong.jsonl

pyworkers loads this file once in every worker and calls strong_opinions() once per batch of reviews.jsonl, with
the batch as a pandas DataFrame (columns id, product, stars, text). Like Spark's mapInPandas, it returns a DataFrame
with any number of rows: here the reviews whose sentiment (positive minus negative words, the words of
sentiment.py) is at least 2 either way, with their word count and sentiment. The rows come out in input order; name
the output .arrow (or .feather) to get an Arrow IPC file instead of JSON lines.
"""
import pandas as pd

from sentiment import NEGATIVE, POSITIVE, WORD


def strong_opinions(reviews: pd.DataFrame) -> pd.DataFrame:
    words = reviews["text"].str.lower().map(WORD.findall)
    positive = words.map(lambda ws: sum(w in POSITIVE for w in ws))
    negative = words.map(lambda ws: sum(w in NEGATIVE for w in ws))
    scored = reviews[["id", "product", "stars"]].assign(words=words.map(len).astype("Int64"),
                                                         sentiment=(positive - negative).astype("Int64"))
    return scored[scored["sentiment"].abs() >= 2].reset_index(drop=True)

"""Python UDFs for the Spark example (ReviewSentiment.java): plain functions of column values, called once per row
on Spark's executors by pyworkers. They reuse the word lists of ../sentiment.py."""
import sentiment


def polarity(text):
    """Positive minus negative words of a review's text: an int, or None for a review without text."""
    if text is None:
        return None
    words = sentiment.WORD.findall(text.lower())
    return sum(w in sentiment.POSITIVE for w in words) - sum(w in sentiment.NEGATIVE for w in words)

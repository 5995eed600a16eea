import pandas as pd


def f(df):
    """Row 3 of the input goes, every other row gains y = 2 x."""
    kept = df[df["x"].fillna(0) != 3]
    return kept.assign(y=kept["x"] * 2).reset_index(drop=True)

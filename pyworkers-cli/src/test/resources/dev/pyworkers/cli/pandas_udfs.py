"""The FUNCs of RunPandasTest: each takes a pandas DataFrame and returns one, as ``pyworkers run --pandas`` calls
them. pandas_oracle.py runs the same functions over a whole file in one process."""
import pandas as pd


def plus_one(df):
    """One row per row: the arithmetic and string functions of pandas, nulls kept."""
    return pd.DataFrame({"x": df["x"] + 1, "n": df["s"].str.len(), "s": df["s"].str.upper()})


def even_only(df):
    """Fewer rows: a filter."""
    return df[df["x"] % 2 == 0].reset_index(drop=True)


def twice(df):
    """More rows: every row twice, the copy marked."""
    copy = df.assign(copy=True)
    return pd.concat([df.assign(copy=False), copy]).sort_index(kind="stable").reset_index(drop=True)


def nothing_over_ten(df):
    """An empty frame for every batch whose rows are all over 10, else the rows up to 10."""
    return df[df["x"] <= 10].reset_index(drop=True)


def as_float_when_large(df):
    """Schema drift: x stays an int in batches of small values and becomes a float in the others."""
    out = df[["x"]].copy()
    if out["x"].max() > 100:
        out["x"] = out["x"].astype("float64")
    return out


def fails_on_13(df):
    if (df["x"] == 13).any():
        raise ValueError("13 is unlucky")
    return df


def not_a_frame(df):
    return df["x"].tolist()


def infinite(df):
    return pd.DataFrame({"r": 1.0 / (df["x"] - 3)}).astype("float64").fillna(float("inf"))


def values(df):
    """The values whose JSON form is written down: NaN, None, NaT, timestamps, numpy ints, nested values."""
    return pd.DataFrame({
        "i": df["x"],
        "f": df["x"] / 2,
        "nan": [float("nan")] * len(df),
        "none": [None] * len(df),
        "t": pd.to_datetime(df["x"], unit="s"),
        "tz": pd.to_datetime(df["x"], unit="s", utc=True),
        "nat": pd.Series([pd.NaT] * len(df), dtype="datetime64[ns]"),
        "list": [[int(v), None] for v in df["x"]],
    })


def crash_on_13(df):
    """A worker that dies in the middle of a partition."""
    if (df["x"] == 13).any():
        import os
        os._exit(7)
    return df

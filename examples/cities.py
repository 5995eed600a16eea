"""A CSV example of `pyworkers run`: one dict per row of cities.csv, column name to string.

    bin/pyworkers run --udf examples/cities.py:density --input examples/cities.csv --output /tmp/cities.jsonl
"""


def density(row):
    population = int(row["population"])
    area = float(row["area_km2"])
    return {"city": row["name"], "country": row["country"], "people_per_km2": round(population / area)}

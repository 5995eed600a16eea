package dev.pyworkers.arrow;

/** How a grouped map UDF's result columns are matched to the declared result schema. */
public enum ColumnMatch {
  /** By column name, in any order (Spark's {@code assignColumnsByName}, its default). */
  BY_NAME,
  /** By position: the i-th result column is the i-th declared field, whatever its name. */
  BY_POSITION
}

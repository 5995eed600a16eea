package dev.pyworkers.spark;

import dev.pyworkers.PythonFunction;
import dev.pyworkers.spark.internal.CogroupJob;
import dev.pyworkers.spark.internal.FunctionSpec;
import dev.pyworkers.spark.internal.GroupedJob;
import dev.pyworkers.spark.internal.Plans;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;

/**
 * A Dataset grouped by key columns, from {@link SparkPython#groupBy}: PySpark's {@code GroupedData} for the Python
 * functions that take a group whole. {@link #applyInPandas} gives each group to a function as one {@code
 * pandas.DataFrame}; {@link #cogroup} pairs each key's groups of two Datasets. Spark partitions the rows by the keys
 * (a shuffle) and sorts each partition by them; a group is then all rows of one key (nulls are one key), however
 * many Arrow batches it spans, and the function runs once per group in a pooled worker of the executor. Immutable;
 * planning is lazy as in Spark, but a column that is not there, or a key Spark cannot sort, fails at once.
 */
public final class GroupedPython {
  private final String python;
  private final int maxRecords;
  private final Dataset<Row> df;
  private final String[] keys;
  private final int[] keyIndices;
  private final boolean keyArgument;

  /** {@code python} and {@code maxRecords}: the job's interpreter and Arrow batch size, as SparkPython set them. */
  GroupedPython(String python, int maxRecords, Dataset<Row> df, String[] keys, boolean keyArgument) {
    this.python = python;
    this.maxRecords = maxRecords;
    this.df = Objects.requireNonNull(df, "df");
    this.keys = keys.clone();
    this.keyArgument = keyArgument;
    StructType schema = df.schema();
    if (keys.length == 0) {
      throw new IllegalArgumentException("groupBy needs at least one key column; the columns are "
          + Plans.columnNames(schema));
    }
    List<String> names = Arrays.asList(schema.fieldNames());
    keyIndices = new int[keys.length];
    for (int i = 0; i < keys.length; i++) {
      String k = Objects.requireNonNull(keys[i], "key column name");
      int at = names.indexOf(k);
      if (at < 0) {
        throw new IllegalArgumentException("groupBy: there is no column '" + k + "'; the columns are "
            + Plans.columnNames(schema));
      }
      if (names.lastIndexOf(k) != at) {
        throw new IllegalArgumentException("groupBy: the name '" + k + "' is ambiguous, " + schema.simpleString()
            + " has two columns of that name; rename one first");
      }
      DataType t = schema.fields()[at].dataType();
      if (t instanceof StringType && !t.equals(DataTypes.StringType)) {
        throw new IllegalArgumentException("groupBy: key column '" + k + "' is a " + t.simpleString() + " with a"
            + " collation, whose groups pyworkers does not form; group by a plain string (for example"
            + " lower(" + k + ") cast to string)");
      }
      keyIndices[i] = at;
    }
  }

  /**
   * The same groups, their function called as {@code f(key, df)} with the key a tuple of the group's key values
   * (PySpark passes it when the function takes two arguments), or {@code f(key, left, right)} for a cogroup.
   */
  public GroupedPython withKeyArgument() {
    return new GroupedPython(python, maxRecords, df, keys, true);
  }

  /**
   * {@code f(df)} over each group, a {@code pandas.DataFrame} of all the group's rows and columns, returning a
   * DataFrame of {@code schema} (columns matched by name), any number of rows; the result rows of all groups are the
   * returned Dataset.
   */
  public Dataset<Row> applyInPandas(PythonFunction f, StructType schema) {
    return apply(true, f, schema, "the Python function of applyInPandas");
  }

  /** As {@link #applyInPandas}, each group a {@code pyarrow.Table}, the result a Table of exactly {@code schema}. */
  public Dataset<Row> applyInArrow(PythonFunction f, StructType schema) {
    return apply(false, f, schema, "the Python function of applyInArrow");
  }

  private Dataset<Row> apply(boolean pandas, PythonFunction f, StructType schema, String what) {
    Objects.requireNonNull(schema, "schema");
    FunctionSpec spec = FunctionSpec.of(f, what);
    SparkSession session = df.sparkSession();
    GroupedJob job = new GroupedJob(pandas, keyArgument, spec, python, Plans.zone(session), maxRecords, df.schema(),
        keyIndices, schema, what);
    Dataset<Row> sorted = df.repartition(keyColumns()).sortWithinPartitions(keyColumns());
    RDD<InternalRow> rows = Plans.rows(sorted, what).toJavaRDD().mapPartitions(job, false).rdd();
    return Plans.frame(session, rows, schema);
  }

  /**
   * This Dataset's groups and {@code other}'s, by key: PySpark's {@code cogroup}. Both have the same number of key
   * columns, pairwise of the same type (cast one side to match), so that Spark partitions both alike.
   */
  public CogroupedPython cogroup(GroupedPython other) {
    Objects.requireNonNull(other, "other");
    if (other.keys.length != keys.length) {
      throw new IllegalArgumentException("cogroup: the left side is grouped by " + keys.length + " columns "
          + Arrays.toString(keys) + " and the right side by " + other.keys.length + " " + Arrays.toString(other.keys)
          + "; group both by the same number of keys");
    }
    for (int i = 0; i < keys.length; i++) {
      DataType l = df.schema().fields()[keyIndices[i]].dataType();
      DataType r = other.df.schema().fields()[other.keyIndices[i]].dataType();
      if (!l.equals(r)) {
        throw new IllegalArgumentException("cogroup: key " + i + " is '" + keys[i] + "' of type " + l.simpleString()
            + " on the left and '" + other.keys[i] + "' of type " + r.simpleString() + " on the right; cast one"
            + " side's key to the other's type, so that equal keys meet in one partition");
      }
    }
    return new CogroupedPython(this, other);
  }

  /** A Dataset grouped, then cogrouped with another: {@link #applyInPandas} runs once per key. Immutable. */
  public static final class CogroupedPython {
    private final GroupedPython left;
    private final GroupedPython right;

    private CogroupedPython(GroupedPython left, GroupedPython right) {
      this.left = left;
      this.right = right;
    }

    /**
     * {@code f(left, right)} over each key that either side has: two {@code pandas.DataFrame}s of that key's rows
     * (one of them empty, with its columns, when only the other side has the key), returning a DataFrame of {@code
     * schema}; {@code f(key, left, right)} when the left side was grouped {@link #withKeyArgument()}.
     */
    public Dataset<Row> applyInPandas(PythonFunction f, StructType schema) {
      return apply(true, f, schema, "the Python function of cogroup applyInPandas");
    }

    /** As {@link #applyInPandas}, the two sides as {@code pyarrow.Table}s, the result of exactly {@code schema}. */
    public Dataset<Row> applyInArrow(PythonFunction f, StructType schema) {
      return apply(false, f, schema, "the Python function of cogroup applyInArrow");
    }

    private Dataset<Row> apply(boolean pandas, PythonFunction f, StructType schema, String what) {
      Objects.requireNonNull(schema, "schema");
      FunctionSpec spec = FunctionSpec.of(f, what);
      SparkSession session = left.df.sparkSession();
      CogroupJob job = new CogroupJob(pandas, left.keyArgument, spec, left.python, Plans.zone(session),
          left.maxRecords, left.df.schema(), left.keyIndices,
          right.df.schema(), right.keyIndices, schema, what);
      // the same number of partitions, given explicitly: adaptive execution keeps it, so partition i of either
      // side holds the same keys
      int partitions = Integer.parseInt(session.conf().get("spark.sql.shuffle.partitions", "200").trim());
      RDD<InternalRow> l = Plans.rows(left.df.repartition(partitions, left.keyColumns())
          .sortWithinPartitions(left.keyColumns()), what);
      RDD<InternalRow> r = Plans.rows(right.df.repartition(partitions, right.keyColumns())
          .sortWithinPartitions(right.keyColumns()), what);
      RDD<InternalRow> rows = l.toJavaRDD().zipPartitions(r.toJavaRDD(), job).rdd();
      return Plans.frame(session, rows, schema);
    }
  }

  private Column[] keyColumns() {
    Column[] c = new Column[keys.length];
    for (int i = 0; i < keys.length; i++) c[i] = functions.col("`" + keys[i].replace("`", "``") + "`");
    return c;
  }

  @Override
  public String toString() {
    return "GroupedPython" + Arrays.toString(keys) + (keyArgument ? " with key argument" : "");
  }
}

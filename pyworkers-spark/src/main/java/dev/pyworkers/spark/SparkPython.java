package dev.pyworkers.spark;

import dev.pyworkers.OnMismatch;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.RecordFormat;
import dev.pyworkers.spark.internal.ArrowColumnJob;
import dev.pyworkers.spark.internal.CatalystValues;
import dev.pyworkers.spark.internal.FunctionSpec;
import dev.pyworkers.spark.internal.MapJob;
import dev.pyworkers.spark.internal.PartitionsJob;
import dev.pyworkers.spark.internal.Plans;
import dev.pyworkers.spark.internal.RowUdfJob;
import dev.pyworkers.spark.internal.SparkValues;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Python functions on the executors of a Spark job, for Java and Scala code: a row UDF that adds a column to a
 * {@code Dataset<Row>} ({@link #withColumn}), pandas and Arrow functions over a Dataset's partitions ({@link
 * #mapInPandas}, {@link #mapInArrow}), groups and cogroups ({@link #groupBy}, then {@link
 * GroupedPython#applyInPandas} or {@link GroupedPython#cogroup}), and a function over each partition of an RDD
 * ({@link #mapPartitions}). Each executor JVM runs them in its own pooled, process-isolated Python workers (one registry
 * per executor, {@code spark.pyworkers.*} settings), and each Spark task is one pyworkers task: a killed or
 * cancelled Spark task kills its worker, a retried or speculative one runs again on a worker of its own.
 *
 * <pre>{@code
 * SparkPython py = SparkPython.builder().python("environment/bin/python").build();
 * Dataset<Row> scored = py.withColumn(reviews, "score",
 *     PythonFunction.reference("sentiment:score"), DataTypes.DoubleType, "text");
 * }</pre>
 *
 * <p>Functions are {@link PythonFunction}s: source text, a {@code module:function} reference (its module shipped
 * with {@code spark.files}/{@code --py-files}, or installed in the environment), or cloudpickle bytes. Immutable and
 * serializable; methods plan lazily, as Spark does, and fail at once on a bad column, type or interpreter setting.
 */
public final class SparkPython implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String python;
  private final int batchSize;
  private final OnMismatch onMismatch;
  private final int maxRecordsPerBatch;
  private final boolean useArrow;

  private SparkPython(Builder b) {
    this.useArrow = b.useArrow;
    this.python = b.python;
    this.batchSize = b.batchSize;
    this.onMismatch = b.onMismatch;
    this.maxRecordsPerBatch = b.maxRecordsPerBatch;
  }

  /** Every default: the session's {@code spark.pyworkers.python}, else {@code python3}. */
  public static SparkPython create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * {@code df} with the column {@code name} set to {@code f(*inputColumns)} for each row, as {@code type}: a new
   * last column, or the column of that name replaced in place, as {@code Dataset.withColumn} does. The arguments
   * are Python values (docs/spark.md has the table: timestamps as aware datetimes, decimals as {@code Decimal},
   * arrays as lists, maps as dicts, structs as tuples, null as None); a result that does not fit {@code type} fails
   * the task naming the row and the value, or becomes null with {@link Builder#onMismatch(OnMismatch)}.
   */
  public Dataset<Row> withColumn(Dataset<Row> df, String name, PythonFunction f, DataType type,
      String... inputColumns) {
    String what = "the Python UDF of column '" + name + "'";
    if (useArrow) return arrowColumn(false, df, name, f, type, inputColumns, what);
    int[] columns = inputColumns(df, name, type, inputColumns, what, true);
    String why = SparkValues.unsupportedResult(type);
    if (why != null) throw new IllegalArgumentException(what + ": " + why);
    FunctionSpec spec = FunctionSpec.of(f, what);
    SparkSession session = df.sparkSession();
    CatalystValues values = new CatalystValues(Plans.zone(session));
    RowUdfJob job = new RowUdfJob(spec, python(session), df.schema(), columns, type, onMismatch, batchSize, values,
        what);
    return withResult(df, Plans.rows(df, what).toJavaRDD().mapPartitions(job, true).rdd(), name, type);
  }

  /**
   * {@code df} with the column {@code name} set by a scalar pandas UDF, PySpark's {@code pandas_udf}: {@code
   * f(*series)} gets one {@code pandas.Series} per input column for each batch of at most {@link
   * Builder#maxRecordsPerBatch} rows and returns a Series (or array) of the same length, converted to {@code type};
   * the column is added last, or replaces the column of that name in place. Zoned timestamps arrive as wall time of
   * the session time zone, as in PySpark.
   */
  public Dataset<Row> withPandasColumn(Dataset<Row> df, String name, PythonFunction f, DataType type,
      String... inputColumns) {
    return arrowColumn(true, df, name, f, type, inputColumns, "the pandas UDF of column '" + name + "'");
  }

  /** The column {@code name} by a UDF fed from Arrow: a pandas UDF, or a row UDF ({@code pandas} false). */
  private Dataset<Row> arrowColumn(boolean pandas, Dataset<Row> df, String name, PythonFunction f, DataType type,
      String[] inputColumns, String what) {
    int[] columns = inputColumns(df, name, type, inputColumns, what, false);
    FunctionSpec spec = FunctionSpec.of(f, what);
    SparkSession session = df.sparkSession();
    ArrowColumnJob job = new ArrowColumnJob(pandas, spec, python(session), Plans.zone(session),
        maxRecords(session), df.schema(), columns, type, what);
    return withResult(df, Plans.rows(df, what).toJavaRDD().mapPartitions(job, true).rdd(), name, type);
  }

  /** The indices of {@code inputColumns} in {@code df}, checked; {@code rowValues}: each must have a Python value. */
  private static int[] inputColumns(Dataset<Row> df, String name, DataType type, String[] inputColumns, String what,
      boolean rowValues) {
    Objects.requireNonNull(df, "df");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    StructType schema = df.schema();
    if (inputColumns.length == 0) {
      throw new IllegalArgumentException(what + " has no input columns; name at least one of "
          + Plans.columnNames(schema));
    }
    int[] columns = new int[inputColumns.length];
    for (int i = 0; i < columns.length; i++) {
      String c = inputColumns[i];
      int idx = Arrays.asList(schema.fieldNames()).indexOf(c);
      if (idx < 0) {
        throw new IllegalArgumentException(what + ": there is no column '" + c + "'; the columns are "
            + Plans.columnNames(schema));
      }
      String why = rowValues ? SparkValues.unsupportedInput(schema.fields()[idx].dataType()) : null;
      if (why != null) throw new IllegalArgumentException(what + ": column '" + c + "' of type " + why);
      columns[i] = idx;
    }
    return columns;
  }

  /**
   * {@code df} with the column {@code name} of {@code type} from {@code rows}, rows of {@code df}'s columns and the
   * result after them: a new last column, or in place of the column of that name (a select by position).
   */
  private static Dataset<Row> withResult(Dataset<Row> df, RDD<InternalRow> rows, String name, DataType type) {
    StructType schema = df.schema();
    SparkSession session = df.sparkSession();
    int target = Arrays.asList(schema.fieldNames()).indexOf(name);
    StructField field = new StructField(name, type, true, Metadata.empty());
    if (target < 0) return Plans.frame(session, rows, schema.add(field));
    StructField[] wide = new StructField[schema.fields().length + 1];
    Column[] select = new Column[schema.fields().length];
    for (int i = 0; i < wide.length; i++) {
      StructField in = i < schema.fields().length ? schema.fields()[i] : field;
      wide[i] = new StructField("_c" + i, in.dataType(), in.nullable(), in.metadata());
    }
    for (int i = 0; i < select.length; i++) {
      StructField in = schema.fields()[i];
      select[i] = i == target ? functions.col("_c" + schema.fields().length).as(name)
          : functions.col("_c" + i).as(in.name(), in.metadata());
    }
    return Plans.frame(session, rows, new StructType(wide)).select(select);
  }

  /**
   * {@code f(partition_index, iterator)} over each partition of {@code rdd}, PySpark's {@code
   * mapPartitionsWithIndex}: the iterator gives the records as {@code bytes}, and {@code f} returns or yields
   * {@code bytes} records, any number of them.
   */
  public JavaRDD<byte[]> mapPartitions(JavaRDD<byte[]> rdd, PythonFunction f) {
    Objects.requireNonNull(rdd, "rdd");
    FunctionSpec spec = FunctionSpec.of(f, "the Python function of mapPartitions");
    String exe = python(SparkSession.active());
    return rdd.mapPartitions(new PartitionsJob<byte[]>(spec, exe, RecordFormat.BYTES), true);
  }

  /** {@link #mapPartitions} over {@code String} records, which Python sees and returns as {@code str}. */
  public JavaRDD<String> mapPartitionsText(JavaRDD<String> rdd, PythonFunction f) {
    Objects.requireNonNull(rdd, "rdd");
    FunctionSpec spec = FunctionSpec.of(f, "the Python function of mapPartitionsText");
    String exe = python(SparkSession.active());
    return rdd.mapPartitions(new PartitionsJob<String>(spec, exe, RecordFormat.UTF8), true);
  }

  /**
   * mapInPandas: {@code f(iterator)} over each partition of {@code df}, the iterator giving {@code pandas.DataFrame}s
   * of at most {@link Builder#maxRecordsPerBatch} rows with {@code df}'s columns, and {@code f} yielding DataFrames of
   * {@code schema}, any number of rows each, matched to it by column name. Spark's types map as in PySpark (zoned
   * timestamps as wall time of the session time zone; docs/spark.md has the table).
   */
  public Dataset<Row> mapInPandas(Dataset<Row> df, PythonFunction f, StructType schema) {
    return map(true, df, f, schema, "the Python function of mapInPandas");
  }

  /** mapInArrow: as {@link #mapInPandas}, with {@code pyarrow.RecordBatch}es in and out, of exactly {@code schema}. */
  public Dataset<Row> mapInArrow(Dataset<Row> df, PythonFunction f, StructType schema) {
    return map(false, df, f, schema, "the Python function of mapInArrow");
  }

  private Dataset<Row> map(boolean pandas, Dataset<Row> df, PythonFunction f, StructType schema, String what) {
    Objects.requireNonNull(df, "df");
    Objects.requireNonNull(schema, "schema");
    FunctionSpec spec = FunctionSpec.of(f, what);
    SparkSession session = df.sparkSession();
    MapJob job = new MapJob(pandas, spec, python(session), Plans.zone(session), maxRecords(session), df.schema(),
        schema, what);
    RDD<InternalRow> rows = Plans.rows(df, what).toJavaRDD().mapPartitions(job, false).rdd();
    return Plans.frame(session, rows, schema);
  }

  /**
   * {@code df} grouped by the columns {@code keys}, for {@link GroupedPython#applyInPandas} and {@link
   * GroupedPython#cogroup}: PySpark's {@code df.groupBy(keys)}.
   */
  public GroupedPython groupBy(Dataset<Row> df, String... keys) {
    Objects.requireNonNull(df, "df");
    SparkSession session = df.sparkSession();
    return new GroupedPython(python(session), maxRecords(session), df, keys, false);
  }

  private String python(SparkSession session) {
    if (python != null) return python;
    return session.conf().get("spark.pyworkers.python", "python3");
  }

  private int maxRecords(SparkSession session) {
    if (maxRecordsPerBatch > 0) return maxRecordsPerBatch;
    String v = session.conf().get("spark.sql.execution.arrow.maxRecordsPerBatch", "10000");
    try {
      int n = Integer.parseInt(v.trim());
      return n > 0 ? n : Integer.MAX_VALUE; // Spark: zero or less means no limit
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("spark.sql.execution.arrow.maxRecordsPerBatch must be a whole number, got '"
          + v + "'");
    }
  }

  /** Settings for {@link SparkPython}. Not thread-safe. */
  public static final class Builder {
    private String python;
    private int batchSize = 100;
    private OnMismatch onMismatch = OnMismatch.ERROR;
    private int maxRecordsPerBatch;
    private boolean useArrow;

    private Builder() {}

    /**
     * The executors' Python: a name on their PATH ({@code python3}), an absolute path that exists on every node,
     * or a path relative to the task's working folder, where {@code spark.archives} unpacks a shipped environment
     * ({@code environment/bin/python} for {@code --archives env.tar.gz#environment}). Default: the session's
     * {@code spark.pyworkers.python}, else {@code python3}. A function's own {@link
     * PythonFunction#withPythonExecutable} wins.
     */
    public Builder python(String executable) {
      if (executable == null || executable.isBlank()) {
        throw new IllegalArgumentException("python must name an interpreter, got '" + executable + "'");
      }
      this.python = executable;
      return this;
    }

    /** Rows per pickled batch to the workers, 1 to 100000 (default 100, as PySpark). */
    public Builder batchSize(int rows) {
      if (rows < 1 || rows > 100_000) {
        throw new IllegalArgumentException("batchSize must be 1 to 100000 rows, got " + rows);
      }
      this.batchSize = rows;
      return this;
    }

    /** What a row UDF's result that does not fit its declared type becomes (default: the task fails). */
    public Builder onMismatch(OnMismatch what) {
      this.onMismatch = Objects.requireNonNull(what, "onMismatch");
      return this;
    }

    /**
     * Rows per Arrow batch of the pandas and Arrow functions, 1 to 2^31-1. Default: the session's {@code
     * spark.sql.execution.arrow.maxRecordsPerBatch} (Spark's default 10000; zero or less there means no limit).
     */
    public Builder maxRecordsPerBatch(int rows) {
      if (rows < 1) throw new IllegalArgumentException("maxRecordsPerBatch must be at least 1 row, got " + rows);
      this.maxRecordsPerBatch = rows;
      return this;
    }

    /**
     * Feeds {@link SparkPython#withColumn}'s row UDFs from Arrow batches (SQL_ARROW_BATCHED_UDF), as PySpark's
     * {@code @udf(useArrow=True)}, its 4.2 default: whole rows go to the worker in batches of {@link
     * #maxRecordsPerBatch}, the function is still called once per row, and values convert by pyarrow's rules
     * (docs/spark.md, "Values": a struct arrives as a dict, a map as (key, value) pairs, a timestamp aware in the
     * session zone; a result of another type is cast only where nothing is lost). The workers need pyarrow; {@link
     * #onMismatch} must stay {@code ERROR}. Default false: pickled rows, the exact conversions of the table.
     */
    public Builder useArrow(boolean on) {
      this.useArrow = on;
      return this;
    }

    public SparkPython build() {
      if (useArrow && onMismatch != OnMismatch.ERROR) {
        throw new IllegalArgumentException("useArrow(true) takes no onMismatch(" + onMismatch + "): an Arrow-fed row"
            + " UDF's result that does not fit its type fails the task; drop one of the two settings");
      }
      return new SparkPython(this);
    }
  }
}

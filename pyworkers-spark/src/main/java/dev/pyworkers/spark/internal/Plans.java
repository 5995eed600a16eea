package dev.pyworkers.spark.internal;

import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;

/**
 * Between Datasets and the RDDs of Spark's internal rows the Python jobs run over: a Dataset's rows as Spark's
 * executed plan produces them (no decoding into {@code Row} objects), and a Dataset again over the rows a job makes,
 * which Spark projects to its compact row format as it reads them. Needs Spark's classic (JVM) Datasets; a Spark
 * Connect client has no executors of its own to run Python on. Stateless.
 */
public final class Plans {
  private Plans() {}

  /**
   * The internal rows of {@code df}, made from its executed plan when a job first needs them (so planning runs no
   * Spark job, {@link DeferredRows}). Each row may be reused by the next one: copy what is kept.
   */
  public static RDD<InternalRow> rows(Dataset<Row> df, String what) {
    if (!(df instanceof org.apache.spark.sql.classic.Dataset<Row> classic)) {
      throw new IllegalArgumentException(what + " needs a Dataset of Spark's classic API, got a "
          + df.getClass().getName() + " (Spark Connect?); run the job with a classic SparkSession");
    }
    return new DeferredRows(classic.sparkSession().sparkContext(), classic.queryExecution());
  }

  /** A Dataset of {@code schema} over {@code rows}, internal rows of that schema. */
  public static Dataset<Row> frame(SparkSession session, RDD<InternalRow> rows, StructType schema) {
    return ((org.apache.spark.sql.classic.SparkSession) session).internalCreateDataFrame(rows, schema, false);
  }

  /** The session's time zone, {@code spark.sql.session.timeZone}, as the jobs read it when planned. */
  public static String zone(SparkSession session) {
    return session.conf().get("spark.sql.session.timeZone");
  }

  /** {@code schema}'s column names, for messages: {@code a, b, c}. */
  public static String columnNames(StructType schema) {
    return String.join(", ", schema.fieldNames());
  }
}

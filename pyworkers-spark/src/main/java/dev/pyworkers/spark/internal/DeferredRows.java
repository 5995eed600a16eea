package dev.pyworkers.spark.internal;

import java.util.List;
import org.apache.spark.OneToOneDependency;
import org.apache.spark.Partition;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.QueryExecution;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;

/**
 * A Dataset's internal rows, as {@code queryExecution().toRdd()} gives them, but made only when Spark first needs
 * them (its partitions, when a job over them is submitted), not when the Python job is planned: with adaptive
 * query execution, making them runs the shuffle stages under the Dataset, which must wait for an action, as it
 * does for Spark's own operators. Made on the driver; on the executors each partition is read from the rows made
 * there, its one parent. While the rows are made, the thread's SQL execution id is set aside, as when a Dataset's
 * {@code rdd} is taken outside any action: the stages they run are not the submitting query's plan.
 */
final class DeferredRows extends RDD<InternalRow> {
  private static final long serialVersionUID = 1L;
  private static final String EXECUTION_ID = "spark.sql.execution.id";

  private final transient QueryExecution plan;
  private transient RDD<InternalRow> rows;

  @SuppressWarnings("unchecked") // Scala's empty list is a list of anything
  DeferredRows(SparkContext sc, QueryExecution plan) {
    super(sc, (Seq<org.apache.spark.Dependency<?>>) (Object) scala.collection.immutable.Nil$.MODULE$,
        ClassTag$.MODULE$.apply(InternalRow.class));
    this.plan = plan;
  }

  /** The rows, made now if this is the first call; the driver. */
  private synchronized RDD<InternalRow> rows() {
    if (rows == null) {
      if (plan == null) throw new IllegalStateException("a Python job's input rows are made on the driver only");
      SparkContext sc = sparkContext();
      String id = sc.getLocalProperty(EXECUTION_ID);
      sc.setLocalProperty(EXECUTION_ID, null);
      try {
        rows = plan.toRdd();
      } finally {
        sc.setLocalProperty(EXECUTION_ID, id);
      }
    }
    return rows;
  }

  @Override
  public Partition[] getPartitions() {
    return rows().partitions();
  }

  @Override
  public Seq<org.apache.spark.Dependency<?>> getDependencies() {
    List<org.apache.spark.Dependency<?>> deps = List.of(new OneToOneDependency<>(rows()));
    return CollectionConverters.asScala(deps).toList();
  }

  @Override
  public Seq<String> getPreferredLocations(Partition split) {
    return rows().preferredLocations(split);
  }

  @Override
  @SuppressWarnings("unchecked") // the one parent is the rows
  public scala.collection.Iterator<InternalRow> compute(Partition split, TaskContext context) {
    return ((RDD<InternalRow>) dependencies().head().rdd()).iterator(split, context);
  }
}

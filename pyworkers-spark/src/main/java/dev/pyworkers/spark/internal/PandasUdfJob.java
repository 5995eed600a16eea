package dev.pyworkers.spark.internal;

import dev.pyworkers.PythonFunction;
import dev.pyworkers.arrow.ArrowUdf;
import dev.pyworkers.arrow.ScalarArrowCodec;
import dev.pyworkers.spi.EvalTypeCodec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.BoundReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A scalar pandas UDF (SQL_SCALAR_PANDAS_UDF) over some columns of a Dataset's internal rows, its result added after
 * the other columns, as PySpark's {@code pandas_udf} in a select: the argument columns of each row go into Arrow
 * batches (Spark's ArrowWriter), the function returns one value per row, and each output row is the input row,
 * kept until its result came back, joined with the result read in place from the result batch. Serializable.
 */
public final class PandasUdfJob extends ArrowJob implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
  private static final long serialVersionUID = 1L;

  private final StructType argSchema;
  private final int[] columns;

  public PandasUdfJob(FunctionSpec function, String python, String zone, int maxRecords, StructType inputSchema,
      int[] columns, DataType resultType, String what) {
    super(function, python, zone, maxRecords, new StructType().add("_0", resultType), what);
    StructType args = new StructType();
    for (int i = 0; i < columns.length; i++) {
      StructField f = inputSchema.fields()[columns[i]];
      args = args.add("_" + i, f.dataType(), f.nullable());
    }
    this.argSchema = args;
    this.columns = columns.clone();
    arrow(argSchema);
  }

  @Override
  protected EvalTypeCodec codec(BufferAllocator memory, PythonFunction f, Schema result) {
    int[] offsets = new int[columns.length];
    for (int i = 0; i < offsets.length; i++) offsets[i] = i;
    return ScalarArrowCodec.pandas(memory, List.of(ArrowUdf.of(f, result.getFields().get(0), offsets)));
  }

  /** The argument columns of a row, in order; one per task (a projection is not thread-safe). */
  private UnsafeProjection newProjection() {
    List<Expression> refs = new ArrayList<>();
    for (int i = 0; i < columns.length; i++) {
      StructField a = argSchema.fields()[i];
      refs.add(new BoundReference(columns[i], a.dataType(), a.nullable()));
    }
    return UnsafeProjection.create(CollectionConverters.asScala(refs).toSeq());
  }

  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> input) {
    UnsafeProjection project = newProjection();
    PendingRows waiting = new PendingRows();
    Iterator<InternalRow> args = new Iterator<>() {
      @Override
      public boolean hasNext() {
        return input.hasNext();
      }

      @Override
      public InternalRow next() {
        InternalRow r = input.next();
        waiting.add(PendingRows.keep(r)); // before its batch goes: its result cannot come sooner
        return project.apply(r);
      }
    };
    ArrowBatches batches = batches(args, argSchema);
    Iterator<InternalRow> results = run(batches, batches);
    return new Iterator<>() {
      private final JoinedRow joined = new JoinedRow();

      @Override
      public boolean hasNext() {
        return results.hasNext();
      }

      @Override
      public InternalRow next() {
        if (!results.hasNext()) throw new NoSuchElementException();
        InternalRow result = results.next();
        InternalRow in = waiting.poll();
        if (in == null) throw new IllegalStateException(what() + ": a result came back for a row never sent");
        return joined.apply(in, result);
      }
    };
  }
}

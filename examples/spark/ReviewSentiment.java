import dev.pyworkers.PythonFunction;
import dev.pyworkers.spark.PyworkersPlugin;
import dev.pyworkers.spark.SparkPython;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * A Java Spark job with a Python UDF: reads examples/reviews.jsonl, adds the column "polarity" computed by
 * review_udfs.py:polarity in pyworkers' Python workers on each executor, and prints the average polarity per star
 * rating. Run it with examples/spark/run (it builds what it needs first); on a cluster, spark-submit the same code
 * with the pyworkers-spark and pyworkers-core jars (README, "Python on Spark's executors").
 */
public final class ReviewSentiment {
  public static void main(String[] args) {
    Path examples = Path.of(args.length > 0 ? args[0] : "examples").toAbsolutePath();
    String python = args.length > 1 ? args[1] : "python3";
    SparkSession spark = SparkSession.builder()
        .master("local[2]")
        .appName("review-sentiment")
        .config("spark.ui.enabled", "false")
        .config("spark.plugins", PyworkersPlugin.class.getName()) // stops the workers with the executors
        .getOrCreate();
    try {
      Dataset<Row> reviews = spark.read().json(examples.resolve("reviews.jsonl").toString());
      PythonFunction polarity = PythonFunction.reference("review_udfs:polarity")
          .withIncludes(List.of(examples.resolve("spark").toString(), examples.toString())); // on sys.path
      Dataset<Row> scored = SparkPython.builder().python(python).build()
          .withColumn(reviews, "polarity", polarity, DataTypes.IntegerType, "text");
      scored.groupBy("stars").avg("polarity").orderBy("stars").show();
      System.out.println(scored.count() + " reviews scored by Python UDFs on Spark's executors");
    } finally {
      spark.stop();
    }
  }
}

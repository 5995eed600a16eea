package dev.pyworkers.spark;

import dev.pyworkers.spark.internal.ExecutorWorkers;
import java.util.Map;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * Stops each executor's Python workers when the executor stops: {@code spark.plugins=dev.pyworkers.spark.PyworkersPlugin}.
 * Without it the workers stop when the executor's JVM exits (a shutdown hook), which is the same on a cluster, but in
 * local mode, where the executor lives in the driver's JVM, only the plugin stops them at {@code SparkContext.stop()}.
 * No driver side.
 */
public final class PyworkersPlugin implements SparkPlugin {
  @Override
  public DriverPlugin driverPlugin() {
    return null;
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return new ExecutorPlugin() {
      @Override
      public void init(PluginContext ctx, Map<String, String> extraConf) {
        // the registry is made by the first task that needs it
      }

      @Override
      public void shutdown() {
        ExecutorWorkers.shutdown();
      }
    };
  }
}

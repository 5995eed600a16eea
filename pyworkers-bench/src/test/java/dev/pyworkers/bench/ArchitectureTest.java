package dev.pyworkers.bench;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.Map;
import java.util.Set;

/**
 * The bench's main code uses only core's public API ({@code dev.pyworkers}, {@code dev.pyworkers.events}, {@code
 * dev.pyworkers.spi}), never {@code dev.pyworkers.internal}, so that it measures what a user gets (issue 9, "a real boundary"). Stateless; thread-safe.
 *
 * <p>One documented exception, named class by class so that no other use slips in: {@code ThroughputBaseline}, the
 * in-process baseline of {@code bench throughput}, runs pyworkers' own serializers in a plain Python process, and
 * {@code PythonBundle.extract} is how it gets the very Python tree that the workers run. It stays internal: a user of
 * the library never needs the extracted tree, and the bench is not published (it is built and run with the core of
 * the same commit), so the two cannot drift.
 */
@AnalyzeClasses(packages = "dev.pyworkers.bench", importOptions = ImportOption.DoNotIncludeTests.class)
public class ArchitectureTest {
  /** Bench class (top level) to the internal classes it may use, each for the reason in the class comment. */
  static final Map<String, Set<String>> DOCUMENTED_EXCEPTIONS = Map.of(
      "dev.pyworkers.bench.ThroughputBaseline", Set.of("dev.pyworkers.internal.bundle.PythonBundle"));

  @ArchTest
  static final ArchRule benchUsesOnlyThePublicApiOfCore = classes()
      .that().resideInAPackage("dev.pyworkers.bench..")
      .should(useNoInternalTypeOfCoreExcept(DOCUMENTED_EXCEPTIONS))
      .because("the bench is a module on top of core's public API; what it needs from core is public API or one of"
          + " the documented exceptions of ArchitectureTest");

  static ArchCondition<JavaClass> useNoInternalTypeOfCoreExcept(Map<String, Set<String>> exceptions) {
    return new ArchCondition<>("use no type of dev.pyworkers.internal (documented exceptions aside)") {
      @Override
      public void check(JavaClass c, ConditionEvents events) {
        String origin = c.getName().replaceFirst("\\$.*", "");
        for (Dependency d : c.getDirectDependenciesFromSelf()) {
          JavaClass target = d.getTargetClass().getBaseComponentType();
          if (!target.getPackageName().startsWith("dev.pyworkers.internal")) continue;
          String name = target.getName().replaceFirst("\\$.*", "");
          if (exceptions.getOrDefault(origin, Set.of()).contains(name)) continue;
          events.add(SimpleConditionEvent.violated(d, d.getDescription()));
        }
      }
    };
  }
}

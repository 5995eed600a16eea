package dev.pyworkers.cli;

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
 * The CLI's main code uses only core's public API ({@code dev.pyworkers}, {@code dev.pyworkers.events}, {@code
 * dev.pyworkers.spi}), never {@code dev.pyworkers.internal}, so that it is a module like any other (issue 9, "a real boundary"). Stateless; thread-safe.
 *
 * <p>One documented exception, named class by class so that no other use slips in: the temporary files of {@code
 * pyworkers run} ({@code TemporaryName}, read back by {@code StaleTemporaries}) carry core's {@code OwnerStamp}, the
 * pid-and-start-time stamp that core's own private folders carry, so that a later run deletes a dead run's leftovers
 * and never a live run's work by the same rule as core. It stays internal: it is a file-naming detail no library user
 * needs, and the CLI always ships with the core it was built with (its jar shades core), so the two cannot drift.
 */
@AnalyzeClasses(packages = "dev.pyworkers.cli", importOptions = ImportOption.DoNotIncludeTests.class)
public class ArchitectureTest {
  /** CLI class (top level) to the internal classes it may use, each for the reason in the class comment. */
  static final Map<String, Set<String>> DOCUMENTED_EXCEPTIONS = Map.of(
      "dev.pyworkers.cli.run.TemporaryName", Set.of("dev.pyworkers.internal.files.OwnerStamp"),
      "dev.pyworkers.cli.run.StaleTemporaries", Set.of("dev.pyworkers.internal.files.OwnerStamp"));

  @ArchTest
  static final ArchRule cliUsesOnlyThePublicApiOfCore = classes()
      .that().resideInAPackage("dev.pyworkers.cli..")
      .should(useNoInternalTypeOfCoreExcept(DOCUMENTED_EXCEPTIONS))
      .because("the CLI is a module on top of core's public API; what it needs from core is public API or one of"
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

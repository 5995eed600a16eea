package dev.pyworkers.arrow;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * The boundaries of pyworkers-arrow, checked in every {@code verify}: its public API ({@code dev.pyworkers.arrow})
 * exposes none of its implementation ({@code dev.pyworkers.arrow.internal}) in a public or protected signature, and
 * the whole module uses only core's public API and SPI ({@code dev.pyworkers}, {@code dev.pyworkers.spi}), never
 * {@code dev.pyworkers.internal}, as any third-party eval-type module would. Stateless; thread-safe.
 */
@AnalyzeClasses(packages = "dev.pyworkers.arrow", importOptions = ImportOption.DoNotIncludeTests.class)
public class ArchitectureTest {
  static final String OWN_INTERNAL = "dev.pyworkers.arrow.internal";

  @ArchTest
  static final ArchRule usesOnlyThePublicApiAndSpiOfCore = classes()
      .that().resideInAPackage("dev.pyworkers.arrow..")
      .should(new ArchCondition<>("use no type of dev.pyworkers.internal") {
        @Override
        public void check(JavaClass c, ConditionEvents events) {
          for (Dependency d : c.getDirectDependenciesFromSelf()) {
            if (d.getTargetClass().getBaseComponentType().getPackageName().startsWith("dev.pyworkers.internal")) {
              events.add(SimpleConditionEvent.violated(d, d.getDescription()));
            }
          }
        }
      })
      .because("pyworkers-arrow is a module on core's public API and SPI, like any eval-type module (docs/spi.md)");

  @ArchTest
  static final ArchRule publicApiExposesNoInternalType = classes()
      .that().resideInAPackage("dev.pyworkers.arrow").and().arePublic()
      .should(new ArchCondition<>("expose no type of " + OWN_INTERNAL + " in a public or protected signature") {
        @Override
        public void check(JavaClass c, ConditionEvents events) {
          List<String> found = new ArrayList<>();
          c.getSuperclass().ifPresent(t -> collect(found, "extends", t));
          for (JavaType t : c.getInterfaces()) collect(found, "implements", t);
          for (JavaField f : c.getFields()) {
            if (visible(f.getModifiers())) collect(found, "field " + f.getName(), f.getType());
          }
          for (JavaCodeUnit u : c.getCodeUnits()) {
            if (!visible(u.getModifiers())) continue;
            if (!u.isConstructor()) collect(found, u.getName() + " returns", u.getReturnType());
            for (JavaType p : u.getParameterTypes()) collect(found, u.getName() + " takes", p);
            for (JavaClass e : u.getThrowsClause().getTypes()) collect(found, u.getName() + " throws", e);
          }
          for (String f : found) events.add(SimpleConditionEvent.violated(c, c.getName() + ": " + f));
        }
      })
      .because("an engine developer compiles against dev.pyworkers.arrow only; its internals may change");

  private static boolean visible(java.util.Set<JavaModifier> m) {
    return m.contains(JavaModifier.PUBLIC) || m.contains(JavaModifier.PROTECTED);
  }

  private static void collect(List<String> found, String where, JavaType type) {
    for (JavaClass raw : type.getAllInvolvedRawTypes()) {
      if (raw.getPackageName().startsWith(OWN_INTERNAL)) found.add(where + " the internal type " + raw.getName());
    }
  }
}

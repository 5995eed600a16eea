package dev.pyworkers.architecture;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.InstanceofCheck;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.domain.JavaTypeVariable;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The module boundaries of pyworkers-core, checked on its main classes in every {@code verify} (issue 9, "a real
 * boundary"). The public API is {@code dev.pyworkers}, {@code dev.pyworkers.events} (the event listener and its
 * events) and, for eval-type plug-ins, {@code dev.pyworkers.spi} (and anything under it); everything under {@code dev.pyworkers.internal} is implementation. The CLI's and the bench's
 * own rules (they use only the public API) are in their modules' ArchitectureTest. Stateless; thread-safe.
 *
 * <p>Not a rule here: "no downcast from the public API to internals". ArchUnit 1.5.0 does not import {@code
 * checkcast} instructions, so a plain cast such as {@code (RealPythonWorker) factory.create()} is invisible to it.
 * {@link #publicApiDoesNoInstanceofCheckOnInternals} covers only the pattern-matching form ({@code x instanceof
 * RealThing t}), which ArchUnit does see.
 */
@AnalyzeClasses(packages = "dev.pyworkers",
    importOptions = {ImportOption.DoNotIncludeTests.class, ArchitectureTest.NotTheTestFixtures.class})
public class ArchitectureTest {
  /**
   * Leaves out the classes of the pyworkers-testing module, which core's tests have on their class path (as a jar or a
   * folder, depending on how Maven resolves it) and which share the {@code dev.pyworkers} prefix without being core.
   */
  public static final class NotTheTestFixtures implements ImportOption {
    @Override
    public boolean includes(Location location) {
      return !location.contains("pyworkers-testing");
    }
  }

  static final String[] API_PACKAGES = {"dev.pyworkers", "dev.pyworkers.events..", "dev.pyworkers.spi.."};
  static final String INTERNAL = "dev.pyworkers.internal..";

  @ArchTest
  static final ArchRule publicApiExposesNoInternalType = classes()
      .that().resideInAnyPackage(API_PACKAGES).and(visibleOutsideItsPackage())
      .should(exposeNoInternalType())
      .because("a user (or an eval-type module) compiles against the public API only; an internal type in a public"
          + " or protected signature makes it part of that API");

  @ArchTest
  static final ArchRule internalPackagesHaveNoCycle = slices()
      .matching("dev.pyworkers.internal.(*)..")
      .should().beFreeOfCycles()
      .because("each internal package is one concept that depends on the ones below it, never back");

  @ArchTest
  static final ArchRule coreDependsOnlyOnTheJdkSlf4jAndPyrolite = classes()
      .that().resideInAPackage("dev.pyworkers..")
      .should().onlyDependOnClassesThat(resideInAnyPackage(
          // core's own packages; any other dev.pyworkers.* package is an optional module (cli, bench, arrow, ...)
          "dev.pyworkers", "dev.pyworkers.events..", "dev.pyworkers.spi..", INTERNAL,
          "java..", "javax..",
          "org.slf4j..",
          "net.razorvine.."))  // Pyrolite
      .because("core is the small library every module depends on: Arrow, Py4J, Spark, picocli, the CLI and the"
          + " benchmarks live in optional modules that depend on core, never the other way round");

  @ArchTest
  static final ArchRule publicApiDoesNoInstanceofCheckOnInternals = classes()
      .that().resideInAnyPackage(API_PACKAGES)
      .should(doNoInstanceofCheckOnInternals())
      .because("the public API works through its own types; an instanceof on an internal type is a downcast"
          + " (ArchUnit sees instanceof only, not a plain cast: see the class comment)");

  private static DescribedPredicate<JavaClass> visibleOutsideItsPackage() {
    return new DescribedPredicate<>("are visible outside their package") {
      @Override
      public boolean test(JavaClass c) {
        for (Optional<JavaClass> k = Optional.of(c); k.isPresent(); k = k.get().getEnclosingClass()) {
          boolean nested = k.get().getEnclosingClass().isPresent();
          if (!isVisible(k.get().getModifiers(), nested)) return false;
        }
        return !c.isAnonymousClass() && !c.isLocalClass();
      }
    };
  }

  private static boolean isVisible(Set<JavaModifier> modifiers, boolean nested) {
    return modifiers.contains(JavaModifier.PUBLIC) || (nested && modifiers.contains(JavaModifier.PROTECTED));
  }

  private static ArchCondition<JavaClass> exposeNoInternalType() {
    return new ArchCondition<>("expose no internal type in a public or protected signature") {
      @Override
      public void check(JavaClass c, ConditionEvents events) {
        List<String> found = new ArrayList<>();
        c.getSuperclass().ifPresent(t -> collect(found, "extends", t));
        for (JavaType t : c.getInterfaces()) collect(found, "implements", t);
        for (JavaTypeVariable<JavaClass> v : c.getTypeParameters()) {
          for (JavaType b : v.getBounds()) collect(found, "has a type parameter " + v.getName() + " bounded by", b);
        }
        for (JavaField f : c.getFields()) {
          if (isVisible(f.getModifiers(), true)) collect(found, "has a field " + f.getName() + " of", f.getType());
        }
        for (JavaCodeUnit u : c.getCodeUnits()) {
          if (!isVisible(u.getModifiers(), true) || u.getModifiers().contains(JavaModifier.SYNTHETIC)) continue;
          String parameters = u.getRawParameterTypes().stream().map(JavaClass::getSimpleName)
              .collect(Collectors.joining(", "));
          String what = (u.isConstructor() ? "has a constructor " : "has a method ") + u.getName() + "(" + parameters
              + ") that";
          if (!u.isConstructor()) collect(found, what + " returns", u.getReturnType());
          for (JavaType p : u.getParameterTypes()) collect(found, what + " takes", p);
          for (JavaClass e : u.getThrowsClause().getTypes()) collect(found, what + " throws", e);
          for (JavaTypeVariable<? extends JavaMember> v : u.getTypeParameters()) {
            String bounded = what + " has a type parameter " + v.getName() + " bounded by";
            for (JavaType b : v.getBounds()) collect(found, bounded, b);
          }
        }
        for (String f : found) events.add(SimpleConditionEvent.violated(c, c.getName() + ": " + f));
      }
    };
  }

  private static void collect(List<String> found, String where, JavaType type) {
    for (JavaClass raw : type.getAllInvolvedRawTypes()) {
      if (resideInAPackage(INTERNAL).test(raw)) found.add(where + " the internal type " + raw.getName());
    }
  }

  private static ArchCondition<JavaClass> doNoInstanceofCheckOnInternals() {
    return new ArchCondition<>("do no instanceof check on an internal type") {
      @Override
      public void check(JavaClass c, ConditionEvents events) {
        for (InstanceofCheck check : c.getInstanceofChecks()) {
          if (resideInAPackage(INTERNAL).test(check.getRawType())) {
            events.add(SimpleConditionEvent.violated(check, check.getOwner().getFullName() + " checks instanceof "
                + check.getRawType().getName() + " " + check.getSourceCodeLocation()));
          }
        }
      }
    };
  }
}

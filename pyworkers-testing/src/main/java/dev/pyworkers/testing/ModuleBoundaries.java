package dev.pyworkers.testing;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The ArchUnit conditions that the modules on top of core check in their {@code ArchitectureTest}: a module uses
 * only core's public API and SPI, and its own public API exposes none of its internal package in a public or
 * protected signature. Stateless; thread-safe.
 */
public final class ModuleBoundaries {
  private ModuleBoundaries() {}

  /** No direct dependency on a type of {@code dev.pyworkers.internal}. */
  public static ArchCondition<JavaClass> useNoInternalTypeOfCore() {
    return new ArchCondition<>("use no type of dev.pyworkers.internal") {
      @Override
      public void check(JavaClass c, ConditionEvents events) {
        for (Dependency d : c.getDirectDependenciesFromSelf()) {
          if (d.getTargetClass().getBaseComponentType().getPackageName().startsWith("dev.pyworkers.internal")) {
            events.add(SimpleConditionEvent.violated(d, d.getDescription()));
          }
        }
      }
    };
  }

  /**
   * No type of {@code internalPackage} (or below) in a public or protected signature: superclass, interfaces,
   * fields, returns, parameters, throws, type arguments included.
   */
  public static ArchCondition<JavaClass> exposeNoTypeOf(String internalPackage) {
    return new ArchCondition<>("expose no type of " + internalPackage + " in a public or protected signature") {
      @Override
      public void check(JavaClass c, ConditionEvents events) {
        List<String> found = new ArrayList<>();
        c.getSuperclass().ifPresent(t -> collect(found, "extends", t, internalPackage));
        for (JavaType t : c.getInterfaces()) collect(found, "implements", t, internalPackage);
        for (JavaField f : c.getFields()) {
          if (visible(f.getModifiers())) collect(found, "field " + f.getName(), f.getType(), internalPackage);
        }
        for (JavaCodeUnit u : c.getCodeUnits()) {
          if (!visible(u.getModifiers())) continue;
          if (!u.isConstructor()) collect(found, u.getName() + " returns", u.getReturnType(), internalPackage);
          for (JavaType p : u.getParameterTypes()) collect(found, u.getName() + " takes", p, internalPackage);
          for (JavaClass e : u.getThrowsClause().getTypes()) {
            collect(found, u.getName() + " throws", e, internalPackage);
          }
        }
        for (String f : found) events.add(SimpleConditionEvent.violated(c, c.getName() + ": " + f));
      }
    };
  }

  private static boolean visible(Set<JavaModifier> m) {
    return m.contains(JavaModifier.PUBLIC) || m.contains(JavaModifier.PROTECTED);
  }

  private static void collect(List<String> found, String where, JavaType type, String internalPackage) {
    for (JavaClass raw : type.getAllInvolvedRawTypes()) {
      if (raw.getPackageName().startsWith(internalPackage)) {
        found.add(where + " the internal type " + raw.getName());
      }
    }
  }
}

package dev.pyworkers.arrow;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import dev.pyworkers.testing.ModuleBoundaries;

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
      .should(ModuleBoundaries.useNoInternalTypeOfCore())
      .because("pyworkers-arrow is a module on core's public API and SPI, like any eval-type module (docs/spi.md)");

  @ArchTest
  static final ArchRule publicApiExposesNoInternalType = classes()
      .that().resideInAPackage("dev.pyworkers.arrow").and().arePublic()
      .should(ModuleBoundaries.exposeNoTypeOf(OWN_INTERNAL))
      .because("an engine developer compiles against dev.pyworkers.arrow only; its internals may change");
}

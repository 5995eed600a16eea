package dev.pyworkers.spark;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import dev.pyworkers.testing.ModuleBoundaries;

/**
 * The boundaries of pyworkers-spark, checked in every {@code verify}: it uses only core's public API and SPI, and
 * its public API ({@code dev.pyworkers.spark}) exposes nothing of {@code dev.pyworkers.spark.internal} in a public
 * or protected signature. Stateless; thread-safe.
 */
@AnalyzeClasses(packages = "dev.pyworkers.spark", importOptions = ImportOption.DoNotIncludeTests.class)
public class ArchitectureTest {
  @ArchTest
  static final ArchRule usesOnlyThePublicApiAndSpiOfCore = classes()
      .that().resideInAPackage("dev.pyworkers.spark..")
      .should(ModuleBoundaries.useNoInternalTypeOfCore())
      .because("the Spark module is a module on core's public API and SPI (docs/architecture.md)");

  @ArchTest
  static final ArchRule publicApiExposesNoInternalType = classes()
      .that().resideInAPackage("dev.pyworkers.spark")
      .and().arePublic()
      .should(ModuleBoundaries.exposeNoTypeOf("dev.pyworkers.spark.internal"))
      .because("Spark jobs use the public classes only; the internals may change");
}

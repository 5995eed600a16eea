package dev.pyworkers.gateway;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import dev.pyworkers.testing.ModuleBoundaries;

/**
 * The boundaries of pyworkers-gateway, checked in every {@code verify}: it uses only core's public API and SPI, and
 * its public API ({@code dev.pyworkers.gateway}, {@code dev.pyworkers.gateway.spi}) exposes nothing of {@code
 * dev.pyworkers.gateway.internal} in a public or protected signature. Stateless; thread-safe.
 */
@AnalyzeClasses(packages = "dev.pyworkers.gateway", importOptions = ImportOption.DoNotIncludeTests.class)
public class ArchitectureTest {
  @ArchTest
  static final ArchRule usesOnlyThePublicApiAndSpiOfCore = classes()
      .that().resideInAPackage("dev.pyworkers.gateway..")
      .should(ModuleBoundaries.useNoInternalTypeOfCore())
      .because("the gateway is a module on core's public API and SPI (docs/architecture.md)");

  @ArchTest
  static final ArchRule publicApiExposesNoInternalType = classes()
      .that().resideInAPackage("dev.pyworkers.gateway").or().resideInAPackage("dev.pyworkers.gateway.spi")
      .and().arePublic()
      .should(ModuleBoundaries.exposeNoTypeOf("dev.pyworkers.gateway.internal"))
      .because("the driver and Java callers use the public classes only; the internals may change");
}

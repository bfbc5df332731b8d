/**
 * Test tooling for signed app bundles: {@link org.isos.testkit.TestJars} reads, copies, signs and tampers
 * with jars, {@link org.isos.testkit.TestClasses} generates classes with ASM, {@link org.isos.testkit.TestPki}
 * loads the committed test PKI ({@code cnf/test-pki}), {@link org.isos.testkit.MovableClock} is a clock tests move. For tests only; it needs the JDK's
 * {@code jdk.security.jarsigner} and ASM, nothing else.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.isos.testkit;

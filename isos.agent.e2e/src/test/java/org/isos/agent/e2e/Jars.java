package org.isos.agent.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.isos.testkit.TestPki;

/**
 * The signed test apps, and the test PKI to re-sign them; {@link org.isos.testkit.TestJars} derives the
 * bundles an agent must refuse.
 */
final class Jars {

    private Jars() {
    }

    static byte[] app(String name) throws IOException {
        String apps = System.getProperty("isos.test.apps");
        if (apps == null) {
            throw new IllegalStateException("system property isos.test.apps is not set");
        }
        return Files.readAllBytes(Path.of(apps, name + ".jar"));
    }

    /** The test PKI the agents trust ({@code cnf/test-pki}). */
    static TestPki pki() {
        return TestPki.load(AgentProcess.pki());
    }
}

package org.isos.agent.host.internal;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;

import org.osgi.framework.BundleContext;

/**
 * TEST HARNESS, off unless the framework property {@value #PROPERTY} is set: makes this host a cheater the way a
 * dishonest owner would, by running another jar in place of the bundle a lease names ({@code SYMBOLIC_NAME=FILE.jar}:
 * for leases of that app, FILE.jar is read when the lease is hosted and run instead). The kernel still admits the
 * jar as usual (signed by the lease's buyer, same symbolic name), so a test supplies a patched app signed with the
 * buyer's key; a real owner would patch the kernel too. The server and the buyer are told nothing: what the job
 * service catches, it catches from the results. Used by the job service's end-to-end tests (isos.world.e2e).
 */
final class CheatingHostHarness {

    static final String PROPERTY = "isos.agent.test.cheatingApp";
    private static final Logger LOG = System.getLogger(CheatingHostHarness.class.getName());
    static final CheatingHostHarness OFF = new CheatingHostHarness(null, null);

    private final String symbolicName;
    private final Path jar;

    private CheatingHostHarness(String symbolicName, Path jar) {
        this.symbolicName = symbolicName;
        this.jar = jar;
    }

    /** The harness the framework property asks for, or {@link #OFF}; a malformed value is logged and ignored. */
    static CheatingHostHarness from(BundleContext context) {
        String value = context.getProperty(PROPERTY);
        if (value == null || value.isBlank()) {
            return OFF;
        }
        int eq = value.indexOf('=');
        if (eq < 1 || eq == value.length() - 1) {
            LOG.log(Level.ERROR, PROPERTY + "='" + value + "' ignored: it must be SYMBOLIC_NAME=FILE.jar");
            return OFF;
        }
        CheatingHostHarness harness = new CheatingHostHarness(value.substring(0, eq).trim(),
                Path.of(value.substring(eq + 1).trim()));
        LOG.log(Level.WARNING, "TEST HARNESS: this host runs {0} in place of leased {1} bundles (a cheating host)",
                harness.jar, harness.symbolicName);
        return harness;
    }

    /** Whether this harness hosts its own jar for leases of {@code app} (so what runs never has the leased digest). */
    boolean swaps(String app) {
        return symbolicName != null && symbolicName.equals(app);
    }

    /** The jar to host for a lease of {@code app}: {@code leased} itself unless this harness swaps that app. */
    byte[] jarFor(String app, byte[] leased) throws IOException {
        if (symbolicName == null || !symbolicName.equals(app)) {
            return leased;
        }
        LOG.log(Level.WARNING, "TEST HARNESS: hosting {0} in place of the leased {1}", jar, app);
        return Files.readAllBytes(jar);
    }
}

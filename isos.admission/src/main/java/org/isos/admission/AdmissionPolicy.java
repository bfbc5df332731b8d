package org.isos.admission;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What a host or the server lets app bundles do at the manifest level, and how big they may be.
 * The bytecode rules are not configurable: they are the same everywhere in the ISOS, so a bundle the
 * server accepted at upload is never refused by a volunteer's host for a bytecode reason.
 *
 * @param allowedImports  package names an app may import; an entry ending in {@code .*} matches that
 *                        package and its sub-packages (as in the kernel's resolver hook)
 * @param platformPackage true for packages the kernel or the platform own: an app may not export them
 * @param maxBundleBytes  the largest jar accepted; its entries may expand to at most
 *                        {@link #maxExpandedBytes()} in all, which keeps zip bombs out
 */
public record AdmissionPolicy(Set<String> allowedImports, Predicate<String> platformPackage, long maxBundleBytes) {

    public static final long DEFAULT_MAX_BUNDLE_BYTES = 64L * 1024 * 1024;

    /** How much more the entries may expand than the jar itself; jars of classes compress about 2–4×. */
    public static final int MAX_EXPANSION_FACTOR = 8;

    public static final Set<String> DEFAULT_ALLOWED_IMPORTS = Set.of("org.isos.kernel.api", "org.osgi.framework",
            "org.osgi.service.component", "org.osgi.util.function", "org.osgi.util.promise", "javax.crypto",
            "javax.crypto.spec");

    /**
     * Prefixes of packages that belong to the JDK, the framework, the ISOS itself or the libraries
     * the platform ships; see {@link #packagePrefixes(List)} for how they match.
     */
    public static final List<String> DEFAULT_PLATFORM_PREFIXES = List.of("java.", "javax.", "jdk.", "sun.",
            "org.osgi.", "org.apache.felix.", "org.isos.kernel", "org.isos.admission", "org.isos.agent",
            "org.isos.server", "io.netty.", "org.bouncycastle.", "com.fasterxml.", "org.objectweb.asm");

    private static final AdmissionPolicy DEFAULTS = new AdmissionPolicy(DEFAULT_ALLOWED_IMPORTS,
            packagePrefixes(DEFAULT_PLATFORM_PREFIXES), DEFAULT_MAX_BUNDLE_BYTES);

    public AdmissionPolicy {
        allowedImports = Set.copyOf(allowedImports);
        for (String entry : allowedImports) {
            if (entry.isBlank() || entry.equals(".*")) {
                throw new IllegalArgumentException("blank entry in allowedImports: '" + entry + "'");
            }
        }
        Objects.requireNonNull(platformPackage, "platformPackage");
        if (maxBundleBytes <= 0 || maxBundleBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("maxBundleBytes must be in 1.." + Integer.MAX_VALUE + ": " + maxBundleBytes);
        }
    }

    /**
     * The ISOS defaults: apps import only the kernel API, the core framework and DS/promise APIs and
     * {@code javax.crypto}; they export nothing the platform owns; at most 64 MiB.
     */
    public static AdmissionPolicy defaults() {
        return DEFAULTS;
    }

    /** This policy with another size limit (the server may take bigger uploads than a small host). */
    public AdmissionPolicy withMaxBundleBytes(long max) {
        return new AdmissionPolicy(allowedImports, platformPackage, max);
    }

    /** This policy with another set of allowed imports. */
    public AdmissionPolicy withAllowedImports(Set<String> imports) {
        return new AdmissionPolicy(imports, platformPackage, maxBundleBytes);
    }

    /** The most all entries of a bundle may expand to when read. */
    public long maxExpandedBytes() {
        return maxBundleBytes * MAX_EXPANSION_FACTOR;
    }

    /** Whether an app may import {@code pkg} (exports of its own are checked separately). */
    public boolean importAllowed(String pkg) {
        for (String allowed : allowedImports) {
            if (allowed.endsWith(".*")) {
                String base = allowed.substring(0, allowed.length() - 2);
                if (pkg.equals(base) || pkg.startsWith(base + ".")) {
                    return true;
                }
            } else if (pkg.equals(allowed)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A platform-package test from prefixes. A prefix ending in {@code .} matches every package that
     * starts with it ({@code "java."} matches {@code java.io}); any other prefix matches that package
     * and its sub-packages ({@code "org.isos.kernel"} matches {@code org.isos.kernel.api} but not
     * {@code org.isos.kernelx}).
     */
    public static Predicate<String> packagePrefixes(List<String> prefixes) {
        List<String> copy = List.copyOf(prefixes);
        return pkg -> {
            for (String prefix : copy) {
                if (prefix.endsWith(".") ? pkg.startsWith(prefix)
                        : pkg.equals(prefix) || pkg.startsWith(prefix + ".")) {
                    return true;
                }
            }
            return false;
        };
    }
}

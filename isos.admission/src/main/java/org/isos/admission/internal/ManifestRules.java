package org.isos.admission.internal;

import java.util.HashSet;
import java.util.Set;

import org.isos.admission.AdmissionPolicy;
import org.isos.admission.AdmissionRefused;
import org.isos.admission.Rule;
import org.isos.admission.internal.OsgiHeader.Clause;

/**
 * What an app bundle may declare: it wires to the platform only through the allowed imports, adds
 * nothing to other bundles' class spaces, and brings no native code.
 */
public final class ManifestRules {

    /** Capability namespaces the framework itself derives from the wiring headers. */
    private static final String WIRING_NAMESPACE = "osgi.wiring.";

    private ManifestRules() {
    }

    public static void check(BundleManifest manifest, AdmissionPolicy policy) throws AdmissionRefused {
        String host = manifest.header(BundleManifest.FRAGMENT_HOST);
        if (host != null) {
            throw new AdmissionRefused(Rule.FRAGMENT, BundleManifest.FRAGMENT_HOST + ": " + host
                    + " would attach the bundle to another bundle's class loader");
        }
        String dynamic = manifest.header(BundleManifest.DYNAMIC_IMPORT);
        if (dynamic != null) {
            throw new AdmissionRefused(Rule.DYNAMIC_IMPORT, BundleManifest.DYNAMIC_IMPORT + ": " + dynamic);
        }
        String nativeCode = manifest.header(BundleManifest.NATIVE_CODE);
        if (nativeCode != null) {
            throw new AdmissionRefused(Rule.NATIVE_CODE, BundleManifest.NATIVE_CODE + ": " + nativeCode);
        }

        Set<String> exported = new HashSet<>();
        for (Clause clause : manifest.exports()) {
            for (String pkg : clause.paths()) {
                if (policy.platformPackage().test(pkg)) {
                    throw new AdmissionRefused(Rule.FOREIGN_EXPORT, BundleManifest.EXPORT_PACKAGE + " exports " + pkg
                            + ", which belongs to the platform");
                }
                exported.add(pkg);
            }
        }
        for (Clause clause : manifest.providedCapabilities()) {
            for (String namespace : clause.paths()) {
                if (namespace.startsWith(WIRING_NAMESPACE)) {
                    throw new AdmissionRefused(Rule.FOREIGN_EXPORT, BundleManifest.PROVIDE_CAPABILITY
                            + " provides the framework's own namespace " + namespace);
                }
            }
        }

        for (Clause clause : manifest.imports()) {
            for (String pkg : clause.paths()) {
                // importing what it exports itself lets the framework substitute one copy for all
                if (!policy.importAllowed(pkg) && !exported.contains(pkg)) {
                    throw new AdmissionRefused(Rule.IMPORT_NOT_ALLOWED, BundleManifest.IMPORT_PACKAGE + " imports "
                            + pkg + ", which is not among the allowed imports " + policy.allowedImports().stream()
                                    .sorted().toList());
                }
            }
        }
        String requireBundle = manifest.header(BundleManifest.REQUIRE_BUNDLE);
        if (requireBundle != null) {
            throw new AdmissionRefused(Rule.IMPORT_NOT_ALLOWED, BundleManifest.REQUIRE_BUNDLE + ": " + requireBundle
                    + " would wire to everything that bundle exports; import packages instead");
        }
        for (Clause clause : manifest.requiredCapabilities()) {
            for (String namespace : clause.paths()) {
                if (namespace.startsWith(WIRING_NAMESPACE)) {
                    throw new AdmissionRefused(Rule.IMPORT_NOT_ALLOWED, BundleManifest.REQUIRE_CAPABILITY
                            + " requires the framework's own namespace " + namespace + "; use Import-Package");
                }
            }
        }
    }
}

package org.isos.admission.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import java.util.regex.Pattern;

import org.isos.admission.AdmissionRefused;
import org.isos.admission.Rule;
import org.isos.admission.internal.OsgiHeader.Clause;

/**
 * The OSGi headers of an app bundle, parsed once and checked for syntax (a header the framework would
 * read differently from us is {@link Rule#MALFORMED}, whatever it says).
 */
public final class BundleManifest {

    public static final String SYMBOLIC_NAME = "Bundle-SymbolicName";
    public static final String MANIFEST_VERSION = "Bundle-ManifestVersion";
    public static final String VERSION = "Bundle-Version";
    public static final String CLASS_PATH = "Bundle-ClassPath";
    public static final String FRAGMENT_HOST = "Fragment-Host";
    public static final String DYNAMIC_IMPORT = "DynamicImport-Package";
    public static final String NATIVE_CODE = "Bundle-NativeCode";
    public static final String EXPORT_PACKAGE = "Export-Package";
    public static final String IMPORT_PACKAGE = "Import-Package";
    public static final String REQUIRE_BUNDLE = "Require-Bundle";
    public static final String REQUIRE_CAPABILITY = "Require-Capability";
    public static final String PROVIDE_CAPABILITY = "Provide-Capability";

    private static final Pattern SYMBOLIC_NAME_SYNTAX = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");
    private static final Pattern VERSION_SYNTAX = Pattern
            .compile("(\\d{1,9})(?:\\.(\\d{1,9})(?:\\.(\\d{1,9})(?:\\.([A-Za-z0-9_-]+))?)?)?");

    private final Attributes headers;
    private final String symbolicName;
    private final String version;
    private final List<Clause> exports;
    private final List<Clause> imports;
    private final List<Clause> requiredCapabilities;
    private final List<Clause> providedCapabilities;
    private final List<String> classPath;

    private BundleManifest(Manifest manifest) throws AdmissionRefused {
        headers = manifest.getMainAttributes();
        String manifestVersion = header(MANIFEST_VERSION);
        if (manifestVersion == null || !manifestVersion.trim().equals("2")) {
            throw malformed(MANIFEST_VERSION + " is " + (manifestVersion == null ? "missing" : "'" + manifestVersion + "'")
                    + "; app bundles must be OSGi R4+ bundles (2)");
        }
        symbolicName = symbolicName(header(SYMBOLIC_NAME));
        version = normalisedVersion(header(VERSION));
        exports = packageClauses(EXPORT_PACKAGE);
        imports = packageClauses(IMPORT_PACKAGE);
        requiredCapabilities = clauses(REQUIRE_CAPABILITY);
        providedCapabilities = clauses(PROVIDE_CAPABILITY);
        classPath = classPath(clauses(CLASS_PATH));
    }

    /** Parses and checks the syntax of the headers admission depends on. */
    public static BundleManifest of(Manifest manifest) throws AdmissionRefused {
        return new BundleManifest(manifest);
    }

    /** A main-section header, or null. Header names are case-insensitive, as in the framework. */
    public String header(String name) {
        return headers.getValue(name);
    }

    public String symbolicName() {
        return symbolicName;
    }

    public String version() {
        return version;
    }

    public List<Clause> exports() {
        return exports;
    }

    public List<Clause> imports() {
        return imports;
    }

    public List<Clause> requiredCapabilities() {
        return requiredCapabilities;
    }

    public List<Clause> providedCapabilities() {
        return providedCapabilities;
    }

    /** {@code Bundle-ClassPath} entries other than the bundle root, relative to the root. */
    public List<String> classPath() {
        return classPath;
    }

    private static String symbolicName(String header) throws AdmissionRefused {
        if (header == null || header.isBlank()) {
            throw malformed("no " + SYMBOLIC_NAME);
        }
        List<Clause> clauses = parse(SYMBOLIC_NAME, header);
        if (clauses.size() != 1 || clauses.get(0).paths().size() != 1) {
            throw malformed(SYMBOLIC_NAME + " must name exactly one bundle: '" + header + "'");
        }
        String name = clauses.get(0).paths().get(0);
        if (!SYMBOLIC_NAME_SYNTAX.matcher(name).matches()) {
            throw malformed(SYMBOLIC_NAME + " '" + name + "' is not a symbolic name");
        }
        return name;
    }

    private static String normalisedVersion(String header) throws AdmissionRefused {
        if (header == null || header.isBlank()) {
            return "0.0.0";
        }
        var m = VERSION_SYNTAX.matcher(header.trim());
        if (!m.matches()) {
            throw malformed(VERSION + " '" + header + "' is not an OSGi version");
        }
        String v = m.group(1) + "." + (m.group(2) == null ? "0" : m.group(2)) + "."
                + (m.group(3) == null ? "0" : m.group(3));
        return m.group(4) == null ? v : v + "." + m.group(4);
    }

    private List<Clause> packageClauses(String name) throws AdmissionRefused {
        List<Clause> clauses = clauses(name);
        for (Clause clause : clauses) {
            for (String pkg : clause.paths()) {
                if (!isPackageName(pkg)) {
                    throw malformed(name + " names '" + pkg + "', which is not a package name");
                }
            }
        }
        return clauses;
    }

    private List<Clause> clauses(String name) throws AdmissionRefused {
        String value = header(name);
        return value == null || value.isBlank() ? List.of() : parse(name, value);
    }

    private static List<String> classPath(List<Clause> clauses) throws AdmissionRefused {
        List<String> entries = new ArrayList<>();
        for (Clause clause : clauses) {
            for (String path : clause.paths()) {
                if (path.startsWith("external:") || path.contains("\\") || path.contains(":")) {
                    throw malformed(CLASS_PATH + " entry '" + path + "' points outside the bundle");
                }
                String relative = path.startsWith("/") ? path.substring(1) : path;
                for (String segment : relative.split("/")) {
                    if (segment.equals("..")) {
                        throw malformed(CLASS_PATH + " entry '" + path + "' climbs out of the bundle");
                    }
                }
                if (!relative.equals(".") && !relative.isEmpty()) {
                    entries.add(relative);
                }
            }
        }
        return List.copyOf(entries);
    }

    private static List<Clause> parse(String name, String value) throws AdmissionRefused {
        try {
            return OsgiHeader.parse(value);
        } catch (IllegalArgumentException e) {
            throw malformed(name + " cannot be parsed: " + e.getMessage());
        }
    }

    static boolean isPackageName(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (String segment : name.split("\\.", -1)) {
            if (segment.isEmpty() || !Character.isJavaIdentifierStart(segment.codePointAt(0))
                    || !segment.codePoints().allMatch(Character::isJavaIdentifierPart)) {
                return false;
            }
        }
        return true;
    }

    private static AdmissionRefused malformed(String detail) {
        return new AdmissionRefused(Rule.MALFORMED, detail);
    }
}

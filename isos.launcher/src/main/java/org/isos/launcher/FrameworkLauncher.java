package org.isos.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.wiring.BundleRevision;

/**
 * Boots an OSGi framework (Apache Felix, found through {@link FrameworkFactory}) with a directory of
 * platform bundles, and runs until the framework stops.
 *
 * <p>
 * Security: {@code --secure} sets {@code org.osgi.framework.security=osgi}; Felix then installs the
 * SecurityManager itself, which needs the {@code org.apache.felix.framework.security} extension
 * bundle in the bundle directory and a JVM started with a policy ({@code -Djava.security.policy==FILE})
 * that grants AllPermission to this launcher and the framework jar, and to {@code DATA/felix-cache/-}:
 * extension bundles run from the cache on the framework's class loader, outside Conditional
 * Permission Admin. Add {@code -Djava.security.manager=allow} on Java 18 to 23, but never a bare
 * {@code -Djava.security.manager}: Felix would find a SecurityManager already installed.
 */
public final class FrameworkLauncher {

    /** Framework property carrying the data directory, for bundles that keep state beside the cache. */
    public static final String DATA_PROPERTY = "isos.data";

    /** Read when no {@code --properties} is given: a distribution ships its framework settings there. */
    public static final String DEFAULT_PROPERTIES = "framework.properties";

    static final String USAGE = """
            usage: FrameworkLauncher --bundles DIR --data DIR [options]
              --bundles DIR        platform bundles: every *.jar in DIR is installed; all but fragments are started
              --data DIR           state: DIR/felix-cache holds the framework's storage; DIR is also the
                                   framework property isos.data
              --properties FILE    framework properties (java.util.Properties format); without it,
                                   DIR/../framework.properties of --bundles is read if it exists
              --property K=V       a framework property; repeatable; wins over --properties
              --secure             run with OSGi security (org.osgi.framework.security=osgi); needs the
                                   org.apache.felix.framework.security bundle in --bundles and a JVM started with
                                   -Djava.security.policy==FILE granting AllPermission to the launcher, the
                                   framework and DATA/felix-cache/- (extension bundles run from there),
                                   and -Djava.security.manager=allow on Java 18-23
              --clean              start from an empty framework cache
              --help               this text
            """;

    /** Start levels the launcher assigns: ServiceLoader providers, other bundles, component bundles. */
    static final int START_LEVELS = 3;

    private final Options options;
    private final PrintStream out;
    private final PrintStream err;
    private Framework framework;

    public FrameworkLauncher(Options options, PrintStream out, PrintStream err) {
        this.options = options;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (UsageException e) {
            if (e.getMessage() == null) {
                System.out.print(USAGE);
                System.exit(0);
            }
            System.err.println("error: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        FrameworkLauncher launcher = new FrameworkLauncher(options, System.out, System.err);
        try {
            Framework fw = launcher.start();
            Thread hook = new Thread(launcher::stop, "isos-launcher-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            FrameworkEvent end = fw.waitForStop(0);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what stopped the framework
            }
            System.exit(end.getType() == FrameworkEvent.ERROR ? 1 : 0);
        } catch (LaunchException e) {
            System.err.println("error: " + e.getMessage());
            launcher.stop();
            System.exit(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            launcher.stop();
            System.exit(1);
        }
    }

    /**
     * Creates, initialises and starts the framework, installs the platform bundles and starts them.
     * A bundle that fails to start is reported and the others keep running; one that fails to install
     * stops the launch, since a platform with a missing part is not the platform asked for.
     */
    public Framework start() throws LaunchException {
        Path bundleDir = options.bundles();
        if (!Files.isDirectory(bundleDir)) {
            throw new LaunchException("bundle directory " + bundleDir + " does not exist or is not a directory");
        }
        List<Path> jars = listJars(bundleDir);
        Map<String, String> config = frameworkProperties();
        if (options.secure() && jars.stream().noneMatch(FrameworkLauncher::isSecurityExtension)) {
            throw new LaunchException("--secure needs the org.apache.felix.framework.security bundle in " + bundleDir);
        }

        Iterator<FrameworkFactory> factories = ServiceLoader.load(FrameworkFactory.class,
                FrameworkLauncher.class.getClassLoader()).iterator();
        if (!factories.hasNext()) {
            throw new LaunchException("no OSGi framework on the class path (expected org.apache.felix.framework)");
        }
        framework = factories.next().newFramework(config);
        try {
            framework.init();
        } catch (BundleException | RuntimeException e) {
            throw new LaunchException("framework failed to initialise: " + reason(e), e);
        }

        List<Bundle> installed = install(jars);
        for (Bundle b : installed) {
            b.adapt(BundleStartLevel.class).setStartLevel(1 + startRank(b));
        }
        try {
            framework.start();
        } catch (BundleException | RuntimeException e) {
            throw new LaunchException("framework failed to start: " + reason(e), e);
        }
        List<String> failures = startAll(installed);
        out.printf("isos-launcher: %d bundles, %d failed to start, framework %s %s%n", installed.size(),
                failures.size(), framework.getSymbolicName(), framework.getVersion());
        return framework;
    }

    /** Stops the framework and waits for it, so bundles get to save their state before the JVM exits. */
    public void stop() {
        Framework fw = framework;
        if (fw == null || (fw.getState() & (Bundle.STARTING | Bundle.ACTIVE | Bundle.STOPPING)) == 0) {
            return;
        }
        try {
            fw.stop();
            fw.waitForStop(30_000);
        } catch (BundleException e) {
            err.println("isos-launcher: framework failed to stop: " + reason(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public Framework framework() {
        return framework;
    }

    Map<String, String> frameworkProperties() throws LaunchException {
        Map<String, String> config = new HashMap<>();
        Path data = options.data().toAbsolutePath();
        config.put(Constants.FRAMEWORK_STORAGE, data.resolve("felix-cache").toString());
        config.put(DATA_PROPERTY, data.toString());
        if (options.clean()) {
            config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        }
        Path file = options.propertiesFile();
        if (file == null) {
            Path parent = options.bundles().toAbsolutePath().getParent();
            Path fallback = parent == null ? null : parent.resolve(DEFAULT_PROPERTIES);
            file = fallback != null && Files.isRegularFile(fallback) ? fallback : null;
        }
        if (file != null) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            } catch (IOException e) {
                throw new LaunchException("cannot read properties file " + file + ": " + e.getMessage(), e);
            }
            p.stringPropertyNames().forEach(k -> config.put(k, p.getProperty(k)));
        }
        config.putAll(options.properties());
        // the start order below is kept as start levels, so a restart from the cache follows it too
        config.putIfAbsent(Constants.FRAMEWORK_BEGINNING_STARTLEVEL, String.valueOf(START_LEVELS));
        if (options.secure()) {
            config.put(Constants.FRAMEWORK_SECURITY, Constants.FRAMEWORK_SECURITY_OSGI);
        }
        return config;
    }

    /**
     * Installs every jar, reusing what the cache already holds under the same location and updating it
     * when the file changed; bundles this directory once held and no longer does are uninstalled.
     * Bundles installed by other means (the kernel's leased apps) are left alone.
     */
    private List<Bundle> install(List<Path> jars) throws LaunchException {
        var context = framework.getBundleContext();
        Map<String, Bundle> known = new HashMap<>();
        for (Bundle b : context.getBundles()) {
            known.put(b.getLocation(), b);
        }
        String dirPrefix = options.bundles().toAbsolutePath().normalize().toUri().toString();
        List<String> wanted = new ArrayList<>();
        List<Bundle> installed = new ArrayList<>();
        for (Path jar : jars) {
            String location = jar.toAbsolutePath().normalize().toUri().toString();
            wanted.add(location);
            try {
                Bundle b = known.get(location);
                if (b == null) {
                    try (InputStream in = Files.newInputStream(jar)) {
                        b = context.installBundle(location, in);
                    }
                } else if (Files.getLastModifiedTime(jar).toMillis() > b.getLastModified()) {
                    try (InputStream in = Files.newInputStream(jar)) {
                        b.update(in);
                    }
                }
                installed.add(b);
            } catch (BundleException | IOException | RuntimeException e) {
                throw new LaunchException("bundle " + jar.getFileName() + " failed: " + reason(e), e);
            }
        }
        for (Bundle b : context.getBundles()) {
            if (b.getLocation().startsWith(dirPrefix) && !wanted.contains(b.getLocation())) {
                try {
                    b.uninstall();
                } catch (BundleException e) {
                    err.println("isos-launcher: could not uninstall removed bundle " + b.getLocation() + ": " + reason(e));
                }
            }
        }
        return installed;
    }

    /**
     * Starts (and keeps for restarts from the cache, as start levels 1 to {@value #START_LEVELS}), in
     * this order: bundles that provide Java {@code ServiceLoader} implementations through
     * the OSGi ServiceLoader Mediator (so libraries that look them up once, at class initialisation,
     * find them: SLF4J's providers); then the other bundles without Declarative Services components
     * (libraries, Config Admin, SCR); then the component bundles, so components meet their
     * configuration on first activation instead of activating with defaults and restarting.
     * Fragments are never started.
     */
    private List<String> startAll(List<Bundle> bundles) {
        List<Bundle> order = new ArrayList<>(bundles);
        order.sort(Comparator.comparingInt(FrameworkLauncher::startRank)
                .thenComparing(b -> String.valueOf(b.getSymbolicName())));
        List<String> failures = new ArrayList<>();
        for (Bundle b : order) {
            if (isFragment(b)) {
                continue;
            }
            try {
                b.start();
            } catch (BundleException | RuntimeException e) {
                String line = "bundle " + b.getSymbolicName() + " " + b.getVersion() + " failed: " + reason(e);
                failures.add(line);
                err.println("isos-launcher: " + line);
            }
        }
        return failures;
    }

    private static int startRank(Bundle b) {
        String provides = b.getHeaders("").get(Constants.PROVIDE_CAPABILITY);
        if (provides != null && provides.contains("osgi.serviceloader")) {
            return 0;
        }
        return b.getHeaders("").get("Service-Component") == null ? 1 : 2;
    }

    private static boolean isFragment(Bundle b) {
        BundleRevision revision = b.adapt(BundleRevision.class);
        return revision != null && (revision.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
    }

    static List<Path> listJars(Path dir) throws LaunchException {
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.jar")) {
            ds.forEach(jars::add);
        } catch (IOException e) {
            throw new LaunchException("cannot list bundle directory " + dir + ": " + e.getMessage(), e);
        }
        // extension bundles first: the framework must know them before the bundles that use them resolve
        jars.sort(Comparator.comparing((Path p) -> !isExtension(p)).thenComparing(p -> p.getFileName().toString()));
        return jars;
    }

    private static boolean isExtension(Path jar) {
        String host = header(jar, "Fragment-Host");
        return host != null && (host.startsWith("system.bundle") || host.startsWith(Constants.SYSTEM_BUNDLE_SYMBOLICNAME));
    }

    private static boolean isSecurityExtension(Path jar) {
        String bsn = header(jar, "Bundle-SymbolicName");
        return bsn != null && bsn.startsWith("org.apache.felix.framework.security");
    }

    private static String header(Path jar, String name) {
        try (JarFile jf = new JarFile(jar.toFile(), false)) {
            Manifest mf = jf.getManifest();
            return mf == null ? null : mf.getMainAttributes().getValue(name);
        } catch (IOException e) {
            return null; // reported when the framework tries to install it
        }
    }

    static String reason(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            sb.append(" (caused by ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append(')');
        }
        return sb.toString();
    }

    /** The command line, parsed. */
    public record Options(Path bundles, Path data, Path propertiesFile, Map<String, String> properties, boolean secure,
            boolean clean) {

        public static Options parse(String... args) throws UsageException {
            Path bundles = null;
            Path data = null;
            Path props = null;
            Map<String, String> extra = new LinkedHashMap<>();
            boolean secure = false;
            boolean clean = false;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--help", "-h" -> throw new UsageException(null);
                    case "--bundles" -> bundles = Path.of(value(args, ++i, a));
                    case "--data" -> data = Path.of(value(args, ++i, a));
                    case "--properties" -> props = Path.of(value(args, ++i, a));
                    case "--property" -> {
                        String kv = value(args, ++i, a);
                        int eq = kv.indexOf('=');
                        if (eq <= 0) {
                            throw new UsageException("--property needs KEY=VALUE, got '" + kv + "'");
                        }
                        extra.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
                    }
                    case "--secure" -> secure = true;
                    case "--clean" -> clean = true;
                    default -> throw new UsageException("unknown argument '" + a + "'");
                }
            }
            if (bundles == null) {
                throw new UsageException("--bundles is required");
            }
            if (data == null) {
                throw new UsageException("--data is required");
            }
            return new Options(bundles, data, props, Map.copyOf(extra), secure, clean);
        }

        private static String value(String[] args, int i, String option) throws UsageException {
            if (i >= args.length || args[i].startsWith("--")) {
                throw new UsageException(option + " needs a value");
            }
            return args[i];
        }
    }

    /** A command line the launcher cannot use; a null message asks for the usage text. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }

    /** The framework could not be launched as asked. */
    public static final class LaunchException extends Exception {
        private static final long serialVersionUID = 1L;

        public LaunchException(String message) {
            super(message);
        }

        public LaunchException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}

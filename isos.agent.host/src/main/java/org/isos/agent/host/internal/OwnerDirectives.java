package org.isos.agent.host.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

import org.isos.agent.host.ActivitySource;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Carries out what the host's owner directed through the server (web console or API), as the heartbeat
 * answer's {@code directives} hand it over ({@link ServerHeartbeat} calls {@link #apply}):
 * <ul>
 * <li>a <b>policy</b> goes into Config Admin under the usage policy's PID ({@value UsagePolicy#PID}), merged
 * with what is configured there (hours, activity threshold and idle period stay the owner's local settings),
 * so the {@code ActivityMonitor} checks and enforces it as any policy, and the next heartbeat reports it. It
 * is compared at every answer and written only when it differs, so a local change or a restart that put other
 * values there is corrected at the next heartbeat;</li>
 * <li><b>paused</b> registers an {@link ActivitySource} that says the owner is busy: ISOS work is suspended as
 * for owner activity (at once: the monitor samples a new source when it appears), and resumes once the source
 * is gone and the policy's idle period has passed.</li>
 * </ul>
 * The last directive is kept in {@code <isos.data>/agent/directives.properties}, so a paused host stays
 * paused across a restart, before its first heartbeat.
 */
@Component(service = OwnerDirectives.class, immediate = true)
public class OwnerDirectives {

    private static final Logger LOG = System.getLogger(OwnerDirectives.class.getName());
    static final String FILE = "directives.properties";

    /** The running instance, for the status file. */
    private static volatile OwnerDirectives current;

    /** A directed policy, in the units of the heartbeat answer. */
    record Policy(double maxCpuShare, long storageQuotaBytes, long bandwidthCapBytesPerSecond,
            List<String> acceptedCategories, long minimumPricePerHourMicros) {
    }

    /** The heartbeat answer's {@code directives}; {@code policy} null: the agent keeps its own. */
    record Directives(long revision, boolean paused, Policy policy) {
    }

    private final BundleContext context;
    private final ConfigurationAdmin configurationAdmin;
    private final Path file;
    private ServiceRegistration<ActivitySource> pause;
    private long revision;
    private boolean paused;
    private String policyText = "";
    private String problem = "";

    @Activate
    public OwnerDirectives(BundleContext context, @Reference(name = "configurationAdmin") ConfigurationAdmin configurationAdmin)
            throws IOException {
        this.context = context;
        this.configurationAdmin = configurationAdmin;
        this.file = AgentData.directory(context).resolve(FILE);
        Properties saved = new Properties();
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                saved.load(in);
            }
        }
        revision = parseLong(saved.getProperty("revision"));
        policyText = saved.getProperty("policy", "");
        if (Boolean.parseBoolean(saved.getProperty("paused"))) {
            paused(true);
        }
        current = this;
    }

    @Deactivate
    synchronized void deactivate() {
        if (current == this) {
            current = null;
        }
        if (pause != null) {
            try {
                pause.unregister();
            } catch (IllegalStateException e) {
                // the bundle is stopping and took the registration with it
            }
            pause = null;
        }
    }

    /** Carries out the server's directive (on the heartbeat thread; Config Admin updates asynchronously). */
    synchronized void apply(Directives d) {
        if (d.policy() != null) {
            try {
                configure(d.policy());
                problem = "";
            } catch (IOException | RuntimeException e) {
                problem = "the policy could not be configured: " + e;
                LOG.log(Level.WARNING, "owner directive revision {0}: {1}", d.revision(), problem);
            }
        }
        boolean changed = d.revision() != revision || d.paused() != paused;
        paused(d.paused());
        if (changed) {
            revision = d.revision();
            policyText = d.policy() == null ? "" : d.policy().toString();
            LOG.log(Level.INFO, "owner directive revision {0}: {1}{2}", d.revision(), d.paused() ? "paused" : "running",
                    d.policy() == null ? "" : ", policy " + d.policy());
            save();
        }
    }

    /** Writes the directed policy into the usage policy's configuration when any of its values differ. */
    private void configure(Policy p) throws IOException {
        Map<String, Object> wanted = new LinkedHashMap<>();
        wanted.put("maxCpuShare", p.maxCpuShare());
        wanted.put("storageQuotaBytes", p.storageQuotaBytes());
        wanted.put("bandwidthCapBytesPerSecond", p.bandwidthCapBytesPerSecond());
        wanted.put("acceptedCategories", p.acceptedCategories().toArray(String[]::new));
        wanted.put("minimumPriceOutsideHours", p.minimumPricePerHourMicros() / 1_000_000d);
        synchronized (KernelPlacement.CONFIGURATION_LOCK) {
            Configuration policy = configurationAdmin.getConfiguration(UsagePolicy.PID, "?");
            Dictionary<String, Object> properties = policy.getProperties();
            Dictionary<String, Object> updated = properties == null ? new Hashtable<>() : properties;
            boolean changed = false;
            for (Map.Entry<String, Object> e : wanted.entrySet()) {
                if (!same(updated.get(e.getKey()), e.getValue())) {
                    updated.put(e.getKey(), e.getValue());
                    changed = true;
                }
            }
            if (changed) {
                policy.update(updated);
                LOG.log(Level.INFO, "usage policy set as the owner directed: {0}", p);
            }
        }
    }

    private static boolean same(Object had, Object wanted) {
        if (had instanceof String[] a && wanted instanceof String[] b) {
            return Arrays.equals(a, b);
        }
        if (wanted instanceof Double b) {
            return had instanceof Number a && a.doubleValue() == b;
        }
        if (wanted instanceof Long b) {
            return (had instanceof Long || had instanceof Integer) && ((Number) had).longValue() == b;
        }
        return Objects.equals(had, wanted);
    }

    private void paused(boolean p) {
        paused = p;
        if (p && pause == null) {
            // the monitor asks a new source at once: work is suspended before this returns
            pause = context.registerService(ActivitySource.class, new PausedByOwner(), null);
        } else if (!p && pause != null) {
            pause.unregister();
            pause = null;
        }
    }

    private void save() {
        Properties p = new Properties();
        p.setProperty("revision", Long.toString(revision));
        p.setProperty("paused", Boolean.toString(paused));
        p.setProperty("policy", policyText);
        try {
            Path temporary = file.resolveSibling(FILE + ".tmp");
            try (OutputStream out = Files.newOutputStream(temporary)) {
                p.store(out, "the owner's last directive (from the server's heartbeat answer)");
            }
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not keep the owner's directive in {0}: {1}", file, e);
        }
    }

    /**
     * For the status file: {@code directives.revision}, {@code directives.paused}, {@code directives.policy}
     * (the directed policy, empty when none) and {@code directives.problem} (empty when it was carried out).
     */
    static Map<String, String> statusEntries() {
        OwnerDirectives d = current;
        Map<String, String> s = new TreeMap<>();
        if (d == null) {
            return s;
        }
        synchronized (d) {
            s.put("directives.revision", Long.toString(d.revision));
            s.put("directives.paused", Boolean.toString(d.paused));
            s.put("directives.policy", d.policyText);
            s.put("directives.problem", d.problem);
        }
        return s;
    }

    private static long parseLong(String text) {
        try {
            return text == null ? 0 : Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The owner's pause as an activity signal: "the owner is busy" for as long as it is registered. */
    static final class PausedByOwner implements ActivitySource {
        @Override
        public boolean active() {
            return true;
        }

        @Override
        public String name() {
            return "the owner's pause (server directive)";
        }
    }
}

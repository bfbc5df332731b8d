package org.isos.agent.host.internal;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.isos.agent.host.HostDescription;
import org.isos.agent.host.HostDescription.NetworkLink;
import org.isos.agent.host.HostSurvey;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

import oshi.SystemInfo;
import oshi.hardware.CentralProcessor;
import oshi.hardware.HardwareAbstractionLayer;
import oshi.hardware.NetworkIF;

/**
 * Describes this host with OSHI, and keeps the agent's uptime record: the hardware is surveyed once
 * at start (it does not change under a running agent), disk space and availability at each request.
 */
@Component(service = HostSurvey.class, immediate = true)
public class OshiHostSurvey implements HostSurvey {

    private static final Logger LOG = System.getLogger(OshiHostSurvey.class.getName());
    static final Duration MARK_PERIOD = Duration.ofMinutes(1);
    static final Duration HORIZON = Duration.ofDays(30);

    private final Path dataDirectory;
    private final Clock clock;
    private final UptimeRecord uptime;
    private final HostDescription hardware;
    private final ScheduledExecutorService marker;

    @Activate
    public OshiHostSurvey(BundleContext context) throws IOException {
        this(AgentData.directory(context), Clock.systemUTC(), Oshi.system());
    }

    OshiHostSurvey(Path dataDirectory, Clock clock, SystemInfo oshi) throws IOException {
        this.dataDirectory = dataDirectory;
        this.clock = clock;
        this.uptime = new UptimeRecord(dataDirectory.resolve("uptime"), clock, HORIZON);
        this.hardware = oshi == null ? javaOnly() : survey(oshi);
        this.marker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "isos-uptime");
            t.setDaemon(true);
            return t;
        });
        marker.scheduleAtFixedRate(this::mark, MARK_PERIOD.toMillis(), MARK_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
        LOG.log(Level.INFO, "host: {0}", describe());
    }

    @Deactivate
    void deactivate() {
        marker.shutdownNow();
        // a clean stop is up until now: the next start should not count the last partial minute as down
        mark();
    }

    @Override
    public HostDescription describe() {
        long total = 0;
        long free = 0;
        try {
            FileStore store = Files.getFileStore(dataDirectory);
            total = store.getTotalSpace();
            free = store.getUsableSpace();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot read the file store of " + dataDirectory, e);
        }
        HostDescription h = hardware;
        return new HostDescription(h.operatingSystem(), h.cpuModel(), h.physicalCores(), h.logicalCores(),
                h.maxFrequencyHz(), h.memoryBytes(), total, free, h.network(), uptime.statistics(), clock.instant());
    }

    private void mark() {
        try {
            uptime.mark();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "cannot record uptime", e);
        }
    }

    private HostDescription survey(SystemInfo oshi) {
        try {
            HardwareAbstractionLayer hal = oshi.getHardware();
            CentralProcessor cpu = hal.getProcessor();
            List<NetworkLink> links = new ArrayList<>();
            for (NetworkIF nif : hal.getNetworkIFs()) {
                List<String> addresses = new ArrayList<>(List.of(nif.getIPv4addr()));
                addresses.addAll(List.of(nif.getIPv6addr()));
                if (!addresses.isEmpty()) {
                    links.add(new NetworkLink(nif.getName(), addresses, Math.max(0, nif.getSpeed())));
                }
            }
            return new HostDescription(oshi.getOperatingSystem().toString(), cpu.getProcessorIdentifier().getName().trim(),
                    cpu.getPhysicalProcessorCount(), cpu.getLogicalProcessorCount(), Math.max(0, cpu.getMaxFreq()),
                    hal.getMemory().getTotal(), 0, 0, links, null, clock.instant());
        } catch (LinkageError | RuntimeException e) {
            LOG.log(Level.WARNING, "OSHI survey failed; describing the host from the JVM alone", e);
            return javaOnly();
        }
    }

    /** What the JVM alone can tell, for hosts where OSHI cannot run. */
    private HostDescription javaOnly() {
        int cores = Runtime.getRuntime().availableProcessors();
        return new HostDescription(System.getProperty("os.name") + " " + System.getProperty("os.version"),
                System.getProperty("os.arch"), 0, cores, 0, 0, 0, 0, List.of(), null, clock.instant());
    }
}

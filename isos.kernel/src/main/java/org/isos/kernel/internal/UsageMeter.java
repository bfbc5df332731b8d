package org.isos.kernel.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

import org.isos.kernel.api.Usage;
import org.isos.kernel.host.UsageOutbox;
import org.isos.kernel.wire.UsageRecord;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Closes each lease's usage into signed records, one per period, numbered without gaps, and keeps
 * them on disk until the agent has delivered them. A lease's sequence survives restarts.
 */
@Component(service = { UsageMeter.class, UsageOutbox.class })
public class UsageMeter implements UsageOutbox {

    private static final Logger LOG = Logger.getLogger(UsageMeter.class.getName());

    private final KernelHome home;
    private final Tenancy tenancy;
    private final Path directory;
    /** What each running lease's records already cover, and when their last period ended. */
    private final Map<String, Period> periods = new ConcurrentHashMap<>();
    private final ScheduledExecutorService clock;

    @Activate
    public UsageMeter(@Reference KernelHome home, @Reference Tenancy tenancy) throws IOException {
        this.home = home;
        this.tenancy = tenancy;
        this.directory = home.usage();
        Files.createDirectories(directory);
        this.clock = Executors.newSingleThreadScheduledExecutor(KernelThreads.named("isos-usage-meter"));
        long period = Math.max(1, home.config().usagePeriodSeconds());
        clock.scheduleAtFixedRate(this::closePeriodsQuietly, period, period, TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() {
        clock.shutdownNow();
        closePeriodsQuietly();
    }

    /** Starts metering a lease; its records continue the sequence it had before a restart. */
    void open(Tenant tenant) {
        periods.put(tenant.id(), new Period(Usage.NONE, Instant.now()));
    }

    /** Writes the lease's final record and stops metering it. */
    synchronized UsageRecord close(Tenant tenant) {
        UsageRecord last = closePeriod(tenant, true);
        periods.remove(tenant.id());
        return last;
    }

    @Override
    public synchronized List<UsageRecord> flush() {
        closePeriods();
        return pending();
    }

    @Override
    public List<UsageRecord> pending() {
        List<UsageRecord> records = new ArrayList<>();
        try (Stream<Path> files = Files.walk(directory, 2)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".record")).toList()) {
                records.add(read(f));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read usage records in " + directory, e);
        }
        records.sort(Comparator.comparing(UsageRecord::to).thenComparing(UsageRecord::leaseId)
                .thenComparingLong(UsageRecord::sequence));
        return records;
    }

    @Override
    public void delivered(String leaseId, long sequence) {
        try {
            Files.deleteIfExists(recordFile(leaseId, sequence));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Usage of a running lease so far, including what records already cover. */
    Usage usage(Tenant tenant) {
        return tenant.usage().snapshot();
    }

    private void closePeriodsQuietly() {
        try {
            synchronized (this) {
                closePeriods();
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "closing usage periods failed; records stay pending", e);
        }
    }

    private void closePeriods() {
        for (Tenant tenant : tenancy.all()) {
            if (periods.containsKey(tenant.id())) {
                closePeriod(tenant, false);
            }
        }
    }

    private UsageRecord closePeriod(Tenant tenant, boolean last) {
        Period period = periods.get(tenant.id());
        if (period == null) {
            period = new Period(Usage.NONE, Instant.now());
        }
        Usage total = tenant.usage().snapshot();
        Usage delta = total.minus(period.covered);
        Instant now = Instant.now();
        if (!last && delta.equals(Usage.NONE)) {
            return null;
        }
        try {
            long sequence = nextSequence(tenant.id());
            UsageRecord unsigned = new UsageRecord(tenant.id(), home.identity().hostId(), sequence, period.end, now,
                    delta, last, "");
            UsageRecord record = unsigned.withSignature(home.identity().sign(unsigned.signedBytes()));
            write(record);
            periods.put(tenant.id(), new Period(total, now));
            return record;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write usage record of lease " + tenant.id(), e);
        }
    }

    private long nextSequence(String leaseId) throws IOException {
        Path counter = directory.resolve(leaseId).resolve("sequence");
        long next = Files.exists(counter) ? Long.parseLong(Files.readString(counter).trim()) + 1 : 1;
        AtomicFiles.write(counter, Long.toString(next).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return next;
    }

    private Path recordFile(String leaseId, long sequence) {
        return directory.resolve(leaseId).resolve(String.format("%012d.record", sequence));
    }

    private void write(UsageRecord r) throws IOException {
        Properties p = new Properties();
        p.setProperty("leaseId", r.leaseId());
        p.setProperty("hostId", r.hostId());
        p.setProperty("sequence", Long.toString(r.sequence()));
        p.setProperty("from", r.from().toString());
        p.setProperty("to", r.to().toString());
        p.setProperty("cpuNanos", Long.toString(r.usage().cpuNanos()));
        p.setProperty("storageByteSeconds", Double.toString(r.usage().storageByteSeconds()));
        p.setProperty("bytesIn", Long.toString(r.usage().bytesIn()));
        p.setProperty("bytesOut", Long.toString(r.usage().bytesOut()));
        p.setProperty("last", Boolean.toString(r.last()));
        p.setProperty("signature", r.signature());
        AtomicFiles.write(recordFile(r.leaseId(), r.sequence()), p);
    }

    private static UsageRecord read(Path file) throws IOException {
        Properties p = AtomicFiles.read(file);
        return new UsageRecord(p.getProperty("leaseId"), p.getProperty("hostId"),
                Long.parseLong(p.getProperty("sequence")), Instant.parse(p.getProperty("from")),
                Instant.parse(p.getProperty("to")),
                new Usage(Long.parseLong(p.getProperty("cpuNanos")),
                        Double.parseDouble(p.getProperty("storageByteSeconds")),
                        Long.parseLong(p.getProperty("bytesIn")), Long.parseLong(p.getProperty("bytesOut"))),
                Boolean.parseBoolean(p.getProperty("last")), p.getProperty("signature"));
    }

    private record Period(Usage covered, Instant end) {
    }
}

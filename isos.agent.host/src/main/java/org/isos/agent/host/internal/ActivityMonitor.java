package org.isos.agent.host.internal;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.isos.agent.host.ActivitySource;
import org.isos.agent.host.OwnerActivity;
import org.isos.agent.host.OwnerPolicy;
import org.isos.agent.host.internal.PolicyCheck.PolicyRefused;
import org.isos.kernel.host.Availability;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Keeps app work off the machine while its owner uses it or the owner's policy says no: samples the
 * CPU used by other processes and the registered {@link ActivitySource}s, checks the allowed hours,
 * suspends the kernel's {@link Availability} the moment any of them says so, and resumes it once the
 * idle period has passed quietly.
 *
 * <p>
 * A refused policy holds all work: running under a policy the owner did not mean is worse than
 * running nothing.
 */
@Component(service = OwnerActivity.class, immediate = true, configurationPid = UsagePolicy.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = UsagePolicy.class)
public class ActivityMonitor implements OwnerActivity {

    private static final Logger LOG = System.getLogger(ActivityMonitor.class.getName());

    private final Availability availability;
    private final Clock clock;
    private final CpuLoad cpu;
    private final ScheduledExecutorService sampler;
    private final List<ActivitySource> sources = new CopyOnWriteArrayList<>();
    private final OwnerPresence presence = new OwnerPresence(null);
    private ScheduledFuture<?> sampling;
    private String holding;

    @Activate
    public ActivityMonitor(UsagePolicy policy, @Reference(name = "availability") Availability availability) {
        this(policy, availability, Clock.systemDefaultZone(), Oshi.cpuLoad(), Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "isos-activity-monitor");
            t.setDaemon(true);
            return t;
        }));
    }

    /** For tests: no sampler thread when {@code sampler} is null; they call {@link #sample()} themselves. */
    ActivityMonitor(UsagePolicy policy, Availability availability, Clock clock, CpuLoad cpu,
            ScheduledExecutorService sampler) {
        this.availability = availability;
        this.clock = clock;
        this.cpu = cpu;
        this.sampler = sampler;
        // whatever an earlier monitor left the kernel in is the starting point; the first sample corrects it
        this.holding = availability.suspended() ? "held by an earlier monitor" : null;
        configure(policy);
    }

    @Modified
    synchronized void configure(UsagePolicy config) {
        try {
            OwnerPolicy policy = PolicyCheck.check(config);
            presence.policy(policy);
            availability.cpuShare(policy.maxCpuShare());
            LOG.log(Level.INFO, "usage policy in force: {0}", policy);
        } catch (PolicyRefused e) {
            presence.refuse(e.getMessage());
            LOG.log(Level.ERROR, e.getMessage() + "; app work stays suspended until it is corrected");
        }
        schedule();
        sample();
    }

    @Deactivate
    void deactivate() {
        if (sampler != null) {
            sampler.shutdownNow();
        }
        // no one watches the owner's machine any more: leave app work off rather than on
        synchronized (this) {
            hold("the agent's activity monitor stopped");
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addSource(ActivitySource source) {
        sources.add(source);
        sample();
    }

    void removeSource(ActivitySource source) {
        sources.remove(source);
    }

    @Override
    public synchronized void ownerActive(String why) {
        presence.ownerActive(clock.instant(), why);
        apply(why);
    }

    /** One look at every signal; suspends or resumes the kernel as they say. */
    synchronized void sample() {
        List<String> active = new ArrayList<>();
        for (ActivitySource s : sources) {
            try {
                if (s.active()) {
                    active.add(s.name());
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "activity source {0} failed ({1}); ignored this time", s.name(), e);
            }
        }
        double others = presence.policy() == null ? Double.NaN : cpu.othersShare();
        apply(presence.holdReason(clock.instant(), clock.getZone(), others, active));
    }

    @Override
    public synchronized boolean holding() {
        return holding != null;
    }

    @Override
    public synchronized String reason() {
        return holding == null ? "" : holding;
    }

    @Override
    public synchronized Optional<OwnerPolicy> policy() {
        return Optional.ofNullable(presence.policy());
    }

    private void apply(String reason) {
        if (reason != null) {
            hold(reason);
        } else if (holding != null) {
            LOG.log(Level.INFO, "resuming app work (was held: {0})", holding);
            holding = null;
            availability.resume();
        }
    }

    private void hold(String reason) {
        if (holding == null || !availability.suspended()) {
            LOG.log(Level.INFO, "suspending app work: {0}", reason);
            availability.suspend(reason);
        }
        holding = reason;
    }

    private void schedule() {
        if (sampler == null) {
            return;
        }
        if (sampling != null) {
            sampling.cancel(false);
        }
        OwnerPolicy policy = presence.policy();
        long period = policy == null ? 1000 : policy.samplePeriod().toMillis();
        sampling = sampler.scheduleWithFixedDelay(this::sampleQuietly, period, period, TimeUnit.MILLISECONDS);
    }

    private void sampleQuietly() {
        try {
            sample();
        } catch (RuntimeException e) {
            // a failed sample must not end sampling: the executor would drop the task for good
            LOG.log(Level.WARNING, "activity sample failed", e);
        }
    }
}

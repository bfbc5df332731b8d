package org.isos.agent.host.internal;

import java.time.Duration;

import oshi.SystemInfo;
import oshi.hardware.CentralProcessor;

/**
 * Machine CPU load from OSHI's tick counters, minus this JVM's own CPU time. Reads /proc/stat and
 * /proc/self/stat on Linux: cheap enough to sample every second.
 */
final class OshiCpuLoad implements CpuLoad {

    private final CentralProcessor processor;
    private final int logicalCpus;
    private long[] ticks;
    private long ownCpuNanos;
    private long wallNanos;

    OshiCpuLoad(SystemInfo system) {
        this.processor = system.getHardware().getProcessor();
        this.logicalCpus = Math.max(1, processor.getLogicalProcessorCount());
        this.ticks = processor.getSystemCpuLoadTicks();
        this.ownCpuNanos = ownCpu();
        this.wallNanos = System.nanoTime();
    }

    @Override
    public synchronized double othersShare() {
        double machine = processor.getSystemCpuLoadBetweenTicks(ticks);
        ticks = processor.getSystemCpuLoadTicks();
        long cpu = ownCpu();
        long wall = System.nanoTime();
        double own = wall > wallNanos && cpu >= 0 && ownCpuNanos >= 0
                ? (double) (cpu - ownCpuNanos) / (wall - wallNanos) / logicalCpus
                : 0;
        ownCpuNanos = cpu;
        wallNanos = wall;
        return Math.max(0, Math.min(1, machine - own));
    }

    private static long ownCpu() {
        return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }
}

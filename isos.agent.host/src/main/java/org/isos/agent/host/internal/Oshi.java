package org.isos.agent.host.internal;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;

import oshi.SystemInfo;

/**
 * Where the agent meets OSHI and its native access (JNA). If that fails on some platform the agent
 * still runs: it then knows less about the host and judges owner activity by its other signals.
 */
final class Oshi {

    private static final Logger LOG = System.getLogger(Oshi.class.getName());
    private static SystemInfo system;
    private static boolean failed;

    private Oshi() {
    }

    /** The shared OSHI entry point, or null when OSHI cannot run here. */
    static synchronized SystemInfo system() {
        if (system == null && !failed) {
            try {
                system = new SystemInfo();
                system.getOperatingSystem().getProcessId();
            } catch (LinkageError | RuntimeException e) {
                failed = true;
                system = null;
                LOG.log(Level.WARNING, "OSHI cannot run on this host; host description and CPU sampling are limited", e);
            }
        }
        return system;
    }

    static CpuLoad cpuLoad() {
        SystemInfo si = system();
        if (si != null) {
            try {
                return new OshiCpuLoad(si);
            } catch (LinkageError | RuntimeException e) {
                LOG.log(Level.WARNING, "OSHI cannot read CPU load; owner activity is judged without it", e);
            }
        }
        return () -> Double.NaN;
    }
}

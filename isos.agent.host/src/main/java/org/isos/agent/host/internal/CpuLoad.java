package org.isos.agent.host.internal;

/** Measures how busy the machine is with work that is not this agent's. */
interface CpuLoad {

    /** Share of all CPUs used by other processes since the previous call, in [0, 1]; NaN when unknown. */
    double othersShare();
}

package org.isos.server.hosts.internal;

/**
 * What {@link JdbcHosts} reads of the HTTP API's configuration (PID {@value #PID}, designated by the API):
 * the heartbeat period it tells agents, from which liveness follows, and how often batched heartbeats are written.
 */
public @interface LivenessConfig {

    /** The HTTP API's PID ({@code org.isos.server.http}'s {@code HttpConfig.PID}). */
    String PID = "org.isos.server.http";

    /** Seconds between an agent's heartbeats; a host silent for 3 of them is OFFLINE. */
    int heartbeatSeconds() default 30;

    /**
     * Milliseconds between writes of batched heartbeats (times and changed descriptions) to the store, at most a
     * quarter of the offline threshold (3 heartbeat periods); 0 writes each heartbeat's row in its own commit.
     */
    int heartbeatFlushMillis() default 1000;
}

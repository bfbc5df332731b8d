package org.isos.server.hosts.internal;

/**
 * What {@link JdbcHosts} reads of the HTTP API's configuration (PID {@value #PID}, designated by the API):
 * the heartbeat period it tells agents, from which liveness follows.
 */
public @interface LivenessConfig {

    /** The HTTP API's PID ({@code org.isos.server.http}'s {@code HttpConfig.PID}). */
    String PID = "org.isos.server.http";

    /** Seconds between an agent's heartbeats; a host silent for 3 of them is OFFLINE. */
    int heartbeatSeconds() default 30;
}

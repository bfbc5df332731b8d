package org.isos.server.jobs;

import java.time.Instant;

/**
 * A replica issued to a host. Nothing in it tells a spot check from a real unit or a first copy from a
 * second: {@code replicaId} is random.
 */
public record Assignment(String replicaId, byte[] input, Instant deadline) {
}

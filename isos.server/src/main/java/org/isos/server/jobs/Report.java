package org.isos.server.jobs;

/**
 * What a host answered for a replica, as its job runner reports it.
 *
 * @param result the result's bytes, or null when the host failed the unit
 * @param error  why it failed (when {@code result} is null)
 */
public record Report(String hostId, String replicaId, byte[] result, String error) {
}

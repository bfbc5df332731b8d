package org.isos.server.jobs;

import java.util.Set;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The app's test of whether two results of a unit agree, which the quorum and the spot checks use. Pluggable
 * per kind of work: register one as a service. Must be deterministic and must not trust either result.
 */
@ConsumerType
public interface Equivalence {

    /** The kinds of work ({@code mersenne}, ...) this test is for. */
    Set<String> kinds();

    /** Whether results {@code a} and {@code b} of {@code unit} agree. */
    boolean equivalent(byte[] unit, byte[] a, byte[] b);
}

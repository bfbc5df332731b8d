package org.isos.server.jobs.internal;

import java.util.Arrays;
import java.util.Set;

import org.isos.server.jobs.Equivalence;
import org.osgi.service.component.annotations.Component;

/**
 * The compute app's workloads (isos.apps.compute: mersenne, genes, signal) are bit-identical on every host and
 * their results canonical (decoding is strict, so bytes that decode re-encode to themselves): two results agree
 * exactly when their bytes are equal. An empty result agrees with nothing.
 */
@Component(service = Equivalence.class)
public class ExactEquivalence implements Equivalence {

    static final Set<String> KINDS = Set.of("mersenne", "genes", "signal");

    @Override
    public Set<String> kinds() {
        return KINDS;
    }

    @Override
    public boolean equivalent(byte[] unit, byte[] a, byte[] b) {
        return a != null && b != null && a.length > 0 && Arrays.equals(a, b);
    }
}

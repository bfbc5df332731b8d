/**
 * The compute app's deterministic workloads: pure functions from a work unit's bytes to a result's
 * bytes, identical on every host, resumable from checkpoints, and within the admission rules (only
 * {@code java.lang}, {@code java.util} and {@code java.math}; no threads, files or sockets).
 * <ul>
 * <li>{@link org.isos.apps.compute.work.Mersenne} — Lucas–Lehmer tests over a range of exponents (GIMPS);</li>
 * <li>{@link org.isos.apps.compute.work.GeneMatch} — Smith–Waterman local alignment with affine gaps;</li>
 * <li>{@link org.isos.apps.compute.work.SignalSearch} — FFT power spectra of a signal, peaks above a threshold.</li>
 * </ul>
 * {@link org.isos.apps.compute.work.Workloads} finds a workload by the kind named in a unit's bytes;
 * {@link org.isos.apps.compute.work.ResultEquivalence} is the buyer's test for comparing replicas;
 * {@link org.isos.apps.compute.work.WorkUnitTask} runs a unit as a kernel task.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.isos.apps.compute.work;

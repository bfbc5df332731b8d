/**
 * The application API of the ISOS microkernel: the only services an application bundle sees.
 * <ul>
 * <li>{@link org.isos.kernel.api.Allocation} — the app's lease and its private, quota-enforced store;</li>
 * <li>{@link org.isos.kernel.api.Scheduling} — tasks on the host's low-priority workers;</li>
 * <li>{@link org.isos.kernel.api.Communication} — messages and streams to the same app on other hosts and to clients;</li>
 * <li>{@link org.isos.kernel.api.Metering} — what the lease has consumed so far.</li>
 * </ul>
 * Each service is bound to the calling bundle's lease: the kernel registers them as service factories.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.isos.kernel.api;

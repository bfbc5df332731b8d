/**
 * The storage toolkit: fragment placement over hosts and owners ({@link org.isos.toolkit.storage.FragmentPlacement}),
 * challenge–response storage audits with Merkle commitments or precomputed answers
 * ({@link org.isos.toolkit.storage.StorageAudit}), and repair planning and fragment regeneration
 * ({@link org.isos.toolkit.storage.RepairPlanner}, {@link org.isos.toolkit.storage.FragmentRepair}). Pure Java: only
 * {@code java.lang}, {@code java.util}, {@code java.security} and the erasure codec, so that app bundles can embed it.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.isos.toolkit.storage;

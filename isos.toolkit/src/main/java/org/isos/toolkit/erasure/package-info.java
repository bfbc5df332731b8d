/**
 * Systematic Reed–Solomon erasure coding over GF(2^8), byte-compatible with Backblaze JavaReedSolomon: the same
 * field (polynomial 0x11D) and the same encoding matrix, so fragments written by one can be read by the other.
 * Start at {@link org.isos.toolkit.erasure.ReedSolomon}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.isos.toolkit.erasure;

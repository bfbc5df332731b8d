/**
 * Types that cross the wire between an agent's kernel and the ISOS server: lease grants and signed
 * usage records. Shared by the kernel and the server so both read the same bytes the same way.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.isos.kernel.wire;

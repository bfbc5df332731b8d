/**
 * The kernel's host-side services, for the agent that runs it (never for applications, whose
 * imports and service lookups the kernel confines to {@code org.isos.kernel.api}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.isos.kernel.host;

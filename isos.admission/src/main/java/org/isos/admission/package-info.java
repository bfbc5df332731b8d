/** Admission rules for application bundles, shared by the kernel (at install) and the server (at upload). */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.isos.admission;

/**
 * What the compute app's buyer side and its host side say to each other over the kernel's
 * communication service: work units to run, and their results.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.isos.apps.compute.protocol;

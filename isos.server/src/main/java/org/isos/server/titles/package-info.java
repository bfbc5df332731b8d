/**
 * The title registry of streaming media: providers publish titles (the manifest their publisher wrote, naming the
 * leases that hold its fragments, and a price per view); anyone lists them; a viewer buys a view, paid through the
 * bank to the provider less the ISOS fee, and gets the manifest with it. A title whose leases no longer run enough
 * holders is listed as unavailable and sells no views.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.isos.server.titles;

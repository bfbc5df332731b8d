/**
 * The host registry: enrollment of a host by its owner (host id, host certificate, host row in one
 * transaction). Matching queries, heartbeats and status arrive with later slices.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.isos.server.hosts;

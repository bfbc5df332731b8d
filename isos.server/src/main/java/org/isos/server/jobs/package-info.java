/**
 * Jobs: a buyer's work units for its app, queued system-wide, dispatched to leased hosts through the
 * buyer's job runner, replicated and validated (quorum, adaptive replication, spot checks), with trust and
 * credit per host and app.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package org.isos.server.jobs;

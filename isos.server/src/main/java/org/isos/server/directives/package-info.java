/**
 * Owner directives: what a host's owner tells its agent through the server (the web console or the API) —
 * a usage policy to run under and whether the host is paused. Stored per host with a revision that grows
 * with every change; the server hands the current directive to the agent with each heartbeat answer.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.isos.server.directives;

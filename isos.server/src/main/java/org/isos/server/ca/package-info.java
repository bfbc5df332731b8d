/**
 * The ISOS certificate authority: host certificates at enrollment, buyer code-signing certificates,
 * the server's TLS certificate, and the revocations agents receive with their heartbeats.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.isos.server.ca;

/**
 * What the streaming app's publisher and viewers say to its host side over the kernel's communication service:
 * segment fragments to store, fetch (answered with a kernel byte stream) and cancel, and the view ticket that lets
 * a session fetch.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.isos.apps.streaming.protocol;

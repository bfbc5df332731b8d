/**
 * What the backup app's owner side (the backup client) and its host side say to each other over the
 * kernel's communication service: fragments to store, fetch and delete, and storage audits.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.isos.apps.backup.protocol;

/**
 * Accounts of host owners and buyers, and the API tokens they authenticate with. Token secrets are
 * shown once, when issued; the store keeps only their SHA-256.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.isos.server.accounts;

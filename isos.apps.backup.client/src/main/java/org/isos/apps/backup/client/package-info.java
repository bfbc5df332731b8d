/**
 * The data owner's backup client: files are cut into segments, each encrypted with AES-256-GCM under keys derived
 * from the owner's secret, erasure-coded k-of-n and spread over leased hosts ({@link FragmentHolder}s); an encrypted
 * manifest, itself erasure-coded onto the holders, maps files to fragments. {@link BackupClient} is the entry point.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.isos.apps.backup.client;

/** The echo test app; exported so the tests can check another tenant cannot wire to it. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.isos.testapp.echo;

package org.isos.testapp.echo;

/** The service the echo app registers: what another tenant must never see. */
public interface Echo {
    String echo(String text);
}

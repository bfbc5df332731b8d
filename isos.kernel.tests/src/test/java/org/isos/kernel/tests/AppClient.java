package org.isos.kernel.tests;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

import org.isos.kernel.wire.ClientSession;

/** The test apps' text commands over a {@link ClientSession}: what an external client of an app does. */
final class AppClient implements AutoCloseable {

    final ClientSession session;

    AppClient(InetSocketAddress kernel, X509Certificate ca, String buyer, String app) throws IOException {
        this.session = ClientSession.open(kernel, List.of(ca), buyer, app, null);
    }

    void send(String text) throws IOException {
        session.send(text.getBytes(StandardCharsets.UTF_8));
    }

    String ask(String text) throws IOException {
        send(text);
        return next();
    }

    String next() throws IOException {
        return new String(session.receive(Duration.ofSeconds(20)), StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        session.close();
    }
}

package org.isos.agent.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

import org.isos.kernel.wire.ClientSession;

/** The test apps' text commands over the kernel's {@link ClientSession}, as an external client speaks them. */
public final class AppClient implements AutoCloseable {

    public final ClientSession session;

    /** Connects trusting the test PKI's CA ({@code ca.pem}). */
    public static AppClient connect(InetSocketAddress kernel, Path caPem, String buyer, String app) throws Exception {
        X509Certificate ca;
        try (InputStream in = Files.newInputStream(caPem)) {
            ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        return new AppClient(kernel, ca, buyer, app);
    }

    public AppClient(InetSocketAddress kernel, X509Certificate ca, String buyer, String app) throws IOException {
        this.session = ClientSession.open(kernel, List.of(ca), buyer, app, null);
    }

    public void send(String text) throws IOException {
        session.send(text.getBytes(StandardCharsets.UTF_8));
    }

    public String ask(String text) throws IOException {
        send(text);
        return next();
    }

    public String next() throws IOException {
        return new String(session.receive(Duration.ofSeconds(20)), StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        session.close();
    }
}

package org.isos.kernel.tests;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * An external client of an app, written against the wire format alone (JDK TLS sockets, no Netty),
 * so the tests check the protocol as a third party would speak it.
 */
final class AppClient implements AutoCloseable {

    private final SSLSocket socket;
    private final DataOutputStream out;
    private final DataInputStream in;
    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    final ByteArrayOutputStream streamed = new ByteArrayOutputStream();
    volatile boolean streamEnded;
    final String session;

    AppClient(InetSocketAddress kernel, X509Certificate ca, String buyer, String app) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("isos-ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        socket = (SSLSocket) tls.getSocketFactory().createSocket(kernel.getAddress(), kernel.getPort());
        socket.startHandshake();
        out = new DataOutputStream(socket.getOutputStream());
        in = new DataInputStream(socket.getInputStream());
        write(0 /* HELLO */, 0, buyer, app, "test-client", new byte[0]);
        Frame welcome = read();
        if (welcome.type != 1) {
            throw new IOException("kernel refused the client: " + welcome.text);
        }
        session = welcome.text;
        Thread reader = new Thread(this::readLoop, "app-client-reader");
        reader.setDaemon(true);
        reader.start();
    }

    void send(String text) throws IOException {
        write(2 /* MESSAGE */, 0, "", "", "", text.getBytes(StandardCharsets.UTF_8));
    }

    String ask(String text) throws Exception {
        send(text);
        return next();
    }

    String next() throws InterruptedException {
        String m = messages.poll(20, TimeUnit.SECONDS);
        if (m == null) {
            throw new AssertionError("no reply from the app within 20 s");
        }
        return m;
    }

    private synchronized void write(int type, long stream, String buyer, String app, String text, byte[] payload)
            throws IOException {
        byte[] b = buyer.getBytes(StandardCharsets.UTF_8);
        byte[] a = app.getBytes(StandardCharsets.UTF_8);
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(1 + 8 + 2 + b.length + 2 + a.length + 2 + t.length + payload.length);
        out.writeByte(type);
        out.writeLong(stream);
        out.writeShort(b.length);
        out.write(b);
        out.writeShort(a.length);
        out.write(a);
        out.writeShort(t.length);
        out.write(t);
        out.write(payload);
        out.flush();
    }

    private record Frame(int type, String text, byte[] payload) {
    }

    private Frame read() throws IOException {
        int length = in.readInt();
        byte[] body = new byte[length];
        in.readFully(body);
        DataInputStream f = new DataInputStream(new java.io.ByteArrayInputStream(body));
        int type = f.readUnsignedByte();
        f.readLong();
        for (int i = 0; i < 2; i++) {
            f.skipBytes(f.readUnsignedShort());
        }
        byte[] text = new byte[f.readUnsignedShort()];
        f.readFully(text);
        return new Frame(type, new String(text, StandardCharsets.UTF_8), f.readAllBytes());
    }

    private void readLoop() {
        try {
            while (true) {
                Frame frame = read();
                switch (frame.type) {
                case 2 -> messages.add(new String(frame.payload, StandardCharsets.UTF_8));
                case 4 -> streamed.writeBytes(frame.payload);
                case 5 -> streamEnded = true;
                case 6 -> messages.add("ERROR " + frame.text);
                default -> {
                }
                }
            }
        } catch (IOException e) {
            // closed
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}

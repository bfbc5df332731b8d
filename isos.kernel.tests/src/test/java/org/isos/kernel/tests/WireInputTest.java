package org.isos.kernel.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.isos.kernel.api.Lease;
import org.isos.kernel.wire.ClientSession;
import org.junit.jupiter.api.Test;

/** Bad input on the kernel's transport gets a clear error, and costs nobody else anything. */
class WireInputTest {

    @Test
    void badFramesAreAnsweredWithAnErrorAndTheKernelServesOthersOn() throws Exception {
        TestWorld world = TestWorld.get();
        byte[] echo = TestWorld.app("isos.testapp.echo");
        Lease lease = TestWorld.lease("buyer-a", "isos.testapp.echo", Duration.ofMinutes(5));
        world.hosting().host(TestWorld.grant(lease, echo), echo);
        InetSocketAddress kernel = world.peers().localAddress();
        try {
            IOException unknown = assertThrows(IOException.class, () -> ClientSession.open(kernel,
                    List.of(world.caCertificate()), "buyer-a", "no.such.app", null));
            assertTrue(unknown.getMessage().contains("no app no.such.app of buyer-a"), unknown.getMessage());

            // a frame of an unknown type
            String unknownType = answer(world, kernel, frame(99, "x"));
            assertTrue(unknownType.contains("unknown frame type 99"), "unknown type answered: " + unknownType);
            // a message before HELLO
            String noHello = answer(world, kernel, frame(2, "hello?"));
            assertTrue(noHello.contains("say HELLO"), "no hello answered: " + noHello);
            // a length far beyond the largest frame
            try (SSLSocket socket = socket(world, kernel)) {
                DataOutputStream out = new DataOutputStream(socket.getOutputStream());
                out.writeInt(200 << 20);
                out.write(new byte[64]);
                out.flush();
                String error = readError(new DataInputStream(socket.getInputStream()));
                assertTrue(error.contains("exceeds") || error.contains("frame length"), "oversized answered: " + error);
            }
            // and the app is still there for a well-behaved client
            try (AppClient client = new AppClient(kernel, world.caCertificate(), "buyer-a", "isos.testapp.echo")) {
                assertEquals("echo:still here", client.ask("still here"));
            }
        } finally {
            world.hosting().end(lease.id(), "test over");
        }
    }

    private static byte[] frame(int type, String payload) {
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + 1 + 8 + 6 + p.length);
        b.putInt(1 + 8 + 6 + p.length).put((byte) type).putLong(0).putShort((short) 0).putShort((short) 0)
                .putShort((short) 0).put(p);
        return b.array();
    }

    private static String answer(TestWorld world, InetSocketAddress kernel, byte[] frame) throws Exception {
        try (SSLSocket socket = socket(world, kernel)) {
            socket.getOutputStream().write(frame);
            socket.getOutputStream().flush();
            return readError(new DataInputStream(socket.getInputStream()));
        }
    }

    /** Reads frames until an ERROR one; returns its text. */
    private static String readError(DataInputStream in) throws IOException {
        while (true) {
            byte[] body = new byte[in.readInt()];
            in.readFully(body);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(body);
            int type = b.get();
            b.getLong();
            for (int i = 0; i < 2; i++) {
                int skip = b.getShort() & 0xFFFF; // buyer, app
                b.position(b.position() + skip);
            }
            byte[] text = new byte[b.getShort() & 0xFFFF];
            b.get(text);
            if (type == 6) {
                return new String(text, StandardCharsets.UTF_8);
            }
        }
    }

    private static SSLSocket socket(TestWorld world, InetSocketAddress kernel) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", world.caCertificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(kernel.getAddress(), kernel.getPort());
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return socket;
    }
}

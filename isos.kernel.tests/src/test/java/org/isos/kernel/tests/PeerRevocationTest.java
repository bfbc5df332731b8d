package org.isos.kernel.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.isos.kernel.api.Lease;
import org.isos.kernel.host.PeerRevocations;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A peer host whose certificate the CA revoked: the test plays host "host-2" of the test PKI with plain JDK TLS
 * sockets (its own kernel port, and connections to host-1's kernel), talks with the echo app on host-1 both
 * ways, then revokes host-2's serial through {@link PeerRevocations}. The open connections close, and host-1's
 * kernel refuses host-2 both when it connects (server side) and when the app sends to it (client side).
 */
class PeerRevocationTest {

    private static final String APP = "isos.testapp.echo";
    private TestWorld world;
    private Lease lease;
    private final List<String> logged = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(String.valueOf(record.getMessage()));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final Logger transportLog = Logger.getLogger("org.isos.kernel.internal.Transport");

    @BeforeEach
    void setUp() throws Exception {
        world = TestWorld.get();
        byte[] echo = TestWorld.app(APP);
        lease = TestWorld.lease("buyer-a", APP, Duration.ofMinutes(5));
        world.hosting().host(TestWorld.grant(lease, echo), echo);
        transportLog.addHandler(capture);
    }

    @AfterEach
    void tearDown() throws Exception {
        transportLog.removeHandler(capture);
        world.hosting().end(lease.id(), "test over");
    }

    @Test
    void aRevokedPeerIsRefusedAsClientAndAsServerAndItsOpenConnectionsClose() throws Exception {
        InetSocketAddress kernel = world.peers().localAddress();
        try (PeerHost host2 = new PeerHost(world); AppClient client = new AppClient(kernel, world.caCertificate(),
                "buyer-a", APP)) {
            world.peers().put("host-2", host2.address());
            String serial = host2.certificate.getSerialNumber().toString(16);

            // before: host-2 reaches the app, and the app answers over a connection of its own to host-2
            SSLSocket in = host2.connect(kernel);
            host2.write(in, "hello");
            assertEquals("echo:hello", host2.nextMessage());
            assertEquals("sent to host-2", client.ask("send-to host-2 ping"));
            assertEquals("ping", host2.nextMessage());
            assertEquals(1, host2.accepted.size(), "host-1's kernel keeps one connection to host-2");

            PeerRevocations revocations = world.service(PeerRevocations.class);
            assertThrows(IllegalArgumentException.class, () -> revocations.revoke(List.of("not hex")));
            revocations.revoke(List.of("0x00" + serial.toUpperCase()));
            assertTrue(revocations.revoked().contains(serial), revocations.revoked().toString());

            // the open connections close: host-2's own and the kernel's to host-2
            assertClosed(in, "host-2's connection to host-1");
            assertTrue(host2.accepted.get(0).closed.await(10, TimeUnit.SECONDS),
                    "host-1's connection to host-2 was closed");

            // host-1 as client: the app's send fails, naming the revocation
            String failed = client.ask("send-to host-2 ping");
            assertTrue(failed.startsWith("send failed: TLS with host host-2 at ") && failed.contains("REVOKED_PEER: host certificate serial "
                    + serial + " (host host-2) is revoked"), failed);

            // host-1 as server: host-2 cannot deliver anything, resuming its TLS session or with a full handshake
            try (PeerHost withoutSessions = new PeerHost(world)) {
                for (PeerHost caller : List.of(host2, withoutSessions)) {
                    try {
                        SSLSocket again = caller.connect(kernel);
                        caller.write(again, "put revoked-peer was-here");
                        assertClosed(again, "host-2's new connection to host-1");
                    } catch (IOException refusedAtHandshake) {
                        // the kernel's alert came before the client finished: refused as well
                    }
                }
            }
            assertEquals("missing", client.ask("get revoked-peer"), "nothing host-2 sent after its revocation arrived");
            assertNull(host2.messages.poll(500, TimeUnit.MILLISECONDS), "host-2 got nothing more");

            // the trust check of the handshake refused host-2 on both ends (the kernel dropped its TLS sessions
            // with host-2 when it was revoked; the fresh client had none)
            assertTrue(logged.stream().anyMatch(m -> m.startsWith("refused a peer this host connected to: REVOKED_PEER")
                    && m.contains(serial)), logged.toString());
            assertTrue(logged.stream().anyMatch(m -> m.startsWith("refused a peer connecting to this host: REVOKED_PEER")
                    && m.contains(serial)), logged.toString());
            assertTrue(logged.stream().anyMatch(m -> m.startsWith("closing the connection with")
                    && m.contains("REVOKED_PEER") && m.contains(serial)), logged.toString());
        }
    }

    /** The other end closed it (or refused it with a TLS alert): no frame comes, the read ends. */
    private static void assertClosed(SSLSocket socket, String what) throws Exception {
        socket.setSoTimeout(10_000);
        try {
            int read = socket.getInputStream().read();
            assertEquals(-1, read, what + " still delivers bytes");
        } catch (SocketTimeoutException e) {
            throw new AssertionError(what + " is still open after 10 s", e);
        } catch (IOException closed) {
            // an alert or a reset: closed by the other end
        } finally {
            socket.close();
        }
    }

    /** Host "host-2" of the test PKI: a kernel port that takes frames, and connections out to a kernel. */
    private static final class PeerHost implements AutoCloseable {
        final X509Certificate certificate;
        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        final List<Accepted> accepted = new CopyOnWriteArrayList<>();
        private final SSLContext tls;
        private final SSLServerSocket server;
        private final List<SSLSocket> outgoing = new CopyOnWriteArrayList<>();

        PeerHost(TestWorld world) throws Exception {
            KeyStore identity = KeyStore.getInstance("PKCS12");
            try (InputStream in = TestWorld.resource("/pki/host-2.p12")) {
                identity.load(in, TestWorld.PASSWORD.toCharArray());
            }
            certificate = (X509Certificate) identity.getCertificate("host-2");
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(identity, TestWorld.PASSWORD.toCharArray());
            KeyStore anchors = KeyStore.getInstance("PKCS12");
            anchors.load(null, null);
            anchors.setCertificateEntry("ca", world.caCertificate());
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(anchors);
            tls = SSLContext.getInstance("TLS");
            tls.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
            server = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket(0, 10,
                    InetAddress.getLoopbackAddress());
            server.setNeedClientAuth(true);
            Thread acceptor = new Thread(this::accept, "host-2-acceptor");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        InetSocketAddress address() {
            return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    SSLSocket socket = (SSLSocket) server.accept();
                    Accepted connection = new Accepted(socket);
                    Thread reader = new Thread(() -> connection.read(messages), "host-2-reader");
                    reader.setDaemon(true);
                    reader.start();
                } catch (IOException e) {
                    // closed, or a handshake the kernel broke off
                }
            }
        }

        /** host-2 connecting to a kernel with its host certificate. */
        SSLSocket connect(InetSocketAddress kernel) throws IOException {
            SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(kernel.getAddress(), kernel.getPort());
            outgoing.add(socket);
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            return socket;
        }

        /** A MESSAGE frame for the echo app of buyer-a (Frame's layout). */
        void write(SSLSocket socket, String text) throws IOException {
            byte[] payload = text.getBytes(StandardCharsets.UTF_8);
            java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(frame);
            out.writeByte(2); // MESSAGE
            out.writeLong(0);
            out.writeUTF("buyer-a");
            out.writeUTF(APP);
            out.writeUTF("");
            out.write(payload);
            DataOutputStream wire = new DataOutputStream(socket.getOutputStream());
            wire.writeInt(frame.size());
            frame.writeTo(wire);
            wire.flush();
        }

        String nextMessage() throws InterruptedException {
            String message = messages.poll(20, TimeUnit.SECONDS);
            assertFalse(message == null, "host-2 received no message within 20 s");
            return message;
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (SSLSocket s : outgoing) {
                s.close();
            }
            for (Accepted a : accepted) {
                a.socket.close();
            }
        }

        /** A connection host-1's kernel opened to host-2: its MESSAGE frames' payloads go to the queue. */
        private final class Accepted {
            final SSLSocket socket;
            final CountDownLatch closed = new CountDownLatch(1);

            Accepted(SSLSocket socket) {
                this.socket = socket;
            }

            void read(BlockingQueue<String> into) {
                try {
                    socket.startHandshake();
                    accepted.add(this);
                    DataInputStream in = new DataInputStream(socket.getInputStream());
                    while (true) {
                        byte[] frame = new byte[in.readInt()];
                        in.readFully(frame);
                        DataInputStream f = new DataInputStream(new java.io.ByteArrayInputStream(frame));
                        int type = f.readUnsignedByte();
                        f.readLong();
                        f.readUTF();
                        f.readUTF();
                        f.readUTF();
                        if (type == 2) {
                            into.add(new String(f.readAllBytes(), StandardCharsets.UTF_8));
                        }
                    }
                } catch (EOFException end) {
                    // closed by the kernel
                } catch (IOException e) {
                    // refused at the handshake, or reset
                } finally {
                    closed.countDown();
                }
            }
        }
    }
}

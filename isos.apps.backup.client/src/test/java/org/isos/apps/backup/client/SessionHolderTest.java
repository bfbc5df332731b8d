package org.isos.apps.backup.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/** What a session holder checks before it talks to a host, and how an unreachable host shows. (The real
 * conversation with the backup app is in isos.agent.e2e's BackupClientE2ETest.) */
class SessionHolderTest {

    @Test
    void refusesIncompleteCoordinates() {
        InetSocketAddress a = new InetSocketAddress(InetAddress.getLoopbackAddress(), 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SessionHolder(" ", "o", a, List.of(), "b", "l", Duration.ofSeconds(1)));
        assertEquals("a holder needs a host id", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new SessionHolder("h", "o", a, List.of(), "b", "l", Duration.ofSeconds(1)));
        assertEquals("no trusted CA certificate for host h", e.getMessage());
    }

    @Test
    void aLeaseAsTheServerListsItBecomesAHolder() throws Exception {
        List<X509Certificate> ca = List.of(selfSigned());
        try (SessionHolder h = SessionHolder.forLease("L1", "host-7", "owner-2", "127.0.0.1:40123", 5L << 20, ca,
                "buyer", Duration.ofSeconds(5))) {
            assertEquals("host-7", h.hostId());
            assertEquals("owner-2", h.ownerId());
            assertEquals("L1", h.leaseId());
            assertEquals(5L << 20, h.freeBytes());
        }
        for (String bad : new String[] { null, "", "host", "host:", "host:0", "host:70000", ":80", "host:x" }) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SessionHolder.forLease("L1", "h", "o", bad, 1, ca, "b", Duration.ofSeconds(1)));
            assertTrue(e.getMessage().startsWith("lease L1: transport address '" + bad + "' is not host:port"),
                    e.getMessage());
        }
    }

    @Test
    void anUnreachableHostIsAnIoErrorNotARefusal() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        X509Certificate any = selfSigned();
        try (SessionHolder h = SessionHolder.forLease("lease", "h1", "o1", "localhost:" + port, 1 << 20,
                List.of(any), "buyer", Duration.ofSeconds(5))) {
            IOException e = assertThrows(IOException.class, () -> h.get("0".repeat(64)));
            assertFalse(e instanceof HolderRefusal);
            assertTrue(e.getMessage().startsWith("host h1 at ") && e.getMessage().contains("unreachable"),
                    e.getMessage());
        }
    }

    /** Any certificate will do for a host that never answers: the first of the JDK's own trust store. */
    static X509Certificate selfSigned() throws Exception {
        java.security.KeyStore cacerts = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
        try (var in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(System.getProperty("java.home"), "lib",
                "security", "cacerts"))) {
            cacerts.load(in, null);
        }
        return (X509Certificate) cacerts.getCertificate(cacerts.aliases().nextElement());
    }
}

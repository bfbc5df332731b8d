package org.isos.apps.streaming.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.Test;

/** The CA certificate goes into the app jar where the app's ticket check reads it, and nothing else changes. */
class ViewTicketAnchorTest {

    @Test
    void theCaCertificateIsAddedOnceAndTheRestKeptInOrder() throws Exception {
        X509Certificate ca = certificate();
        byte[] app = jar(Map.of("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n", "org/x/A.class", "A"));
        byte[] anchored = ViewTicketAnchor.bundleInto(app, ca);
        Map<String, byte[]> entries = entries(anchored);
        assertEquals(List.of("META-INF/MANIFEST.MF", "org/x/A.class", ViewTicketAnchor.RESOURCE),
                new ArrayList<>(entries.keySet()));
        X509Certificate back = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(entries.get(ViewTicketAnchor.RESOURCE)));
        assertEquals(ca, back);
        assertArrayEquals(anchored, ViewTicketAnchor.bundleInto(app, ca), "the same bytes each time");
        assertArrayEquals(anchored, ViewTicketAnchor.bundleInto(anchored, ca), "an anchor there is replaced");
        assertThrows(java.io.IOException.class, () -> ViewTicketAnchor.bundleInto(new byte[] { 1, 2, 3 }, ca));
    }

    private static X509Certificate certificate() throws Exception {
        // any certificate will do: the JDK's own trust store has plenty
        java.security.KeyStore store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
        try (InputStream in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(System.getProperty("java.home"),
                "lib", "security", "cacerts"))) {
            store.load(in, null);
        }
        return (X509Certificate) store.getCertificate(store.aliases().nextElement());
    }

    private static byte[] jar(Map<String, String> files) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (String name : new java.util.TreeSet<>(files.keySet())) {
                ZipEntry e = new ZipEntry(name);
                e.setTime(1_700_000_000_000L);
                out.putNextEntry(e);
                out.write(files.get(name).getBytes());
            }
        }
        return bytes.toByteArray();
    }

    private static Map<String, byte[]> entries(byte[] jar) throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(jar))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null;) {
                entries.put(e.getName(), in.readAllBytes());
            }
        }
        return entries;
    }
}

package org.isos.apps.streaming.client;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * The trust anchor of the streaming app's view-ticket check: the ISOS CA certificate, written into the (unsigned) app
 * jar as {@value #RESOURCE} before the provider signs it. The hosts' agents install only a jar whose every entry the
 * provider signed, so the app can trust the certificate as it trusts its own code, and no kernel API has to hand
 * apps the CA.
 */
public final class ViewTicketAnchor {

    /** Where the app looks for it (isos.apps.streaming {@code ViewTicketCheck}). */
    public static final String RESOURCE = "OSGI-INF/isos/view-ticket-ca.pem";

    private ViewTicketAnchor() {
    }

    /**
     * {@code app} with {@code ca} (PEM) at {@link #RESOURCE}, replacing one there; every other entry copied in order
     * with its time, so the same inputs give the same bytes (and the signed bundle the same hash on the server).
     *
     * @throws IOException when {@code app} is not a readable jar
     */
    public static byte[] bundleInto(byte[] app, X509Certificate ca) throws IOException {
        byte[] pem;
        try {
            pem = ("-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, new byte[] { '\n' })
                    .encodeToString(ca.getEncoded()) + "\n-----END CERTIFICATE-----\n").getBytes(StandardCharsets.US_ASCII);
        } catch (CertificateEncodingException e) {
            throw new IOException("cannot encode the CA certificate: " + e.getMessage(), e);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(app.length + 2048);
        long time = 0;
        int entries = 0;
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(app));
                ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null;) {
                entries++;
                time = Math.max(time, entry.getTime());
                if (entry.getName().equals(RESOURCE)) {
                    continue;
                }
                ZipEntry copy = new ZipEntry(entry.getName());
                copy.setTime(entry.getTime());
                out.putNextEntry(copy);
                in.transferTo(out);
                out.closeEntry();
            }
            if (entries == 0) {
                throw new IOException("the streaming app is not a jar (no entries)");
            }
            ZipEntry anchor = new ZipEntry(RESOURCE);
            anchor.setTime(time);
            out.putNextEntry(anchor);
            out.write(pem);
            out.closeEntry();
        }
        return bytes.toByteArray();
    }
}

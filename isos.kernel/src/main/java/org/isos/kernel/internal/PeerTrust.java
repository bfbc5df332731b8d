package org.isos.kernel.internal;

import java.math.BigInteger;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The transport's trust check, on both ends of every handshake: the peer's chain must lead to an ISOS CA
 * anchor (the JDK's PKIX check), and its certificate must not be one the CA revoked. The revoked set is
 * shared with {@link Transport}, which closes connections already open when a serial is added.
 */
final class PeerTrust extends X509ExtendedTrustManager {

    static final String REFUSAL = "REVOKED_PEER: ";
    private static final Logger LOG = Logger.getLogger(Transport.class.getName());

    private final X509ExtendedTrustManager anchors;
    private final Set<String> revoked = ConcurrentHashMap.newKeySet();

    PeerTrust(Collection<X509Certificate> trusted) throws GeneralSecurityException, java.io.IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        int i = 0;
        for (X509Certificate anchor : trusted) {
            store.setCertificateEntry("isos-ca-" + i++, anchor);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        X509ExtendedTrustManager found = null;
        for (TrustManager tm : factory.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x) {
                found = x;
            }
        }
        if (found == null) {
            throw new GeneralSecurityException("the JDK offers no X.509 trust manager");
        }
        this.anchors = found;
    }

    /** A serial as the revoked set holds it: lower-case hex, no leading zeros. */
    static String serial(String hex) {
        String s = hex == null ? "" : hex.strip();
        if (s.startsWith("0x") || s.startsWith("0X")) {
            s = s.substring(2);
        }
        if (s.isEmpty() || s.length() > 64 || !s.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException("'" + hex + "' is not a certificate serial (hex digits)");
        }
        return new BigInteger(s, 16).toString(16).toLowerCase(Locale.ROOT);
    }

    static String serial(X509Certificate certificate) {
        return certificate.getSerialNumber().toString(16);
    }

    Set<String> revoked() {
        return revoked;
    }

    boolean isRevoked(X509Certificate certificate) {
        return revoked.contains(serial(certificate));
    }

    /** Why a peer with this certificate is refused: the text the log and the caller's error carry. */
    static String refusal(X509Certificate certificate) {
        return REFUSAL + "host certificate serial " + serial(certificate) + " (host "
                + HostIdentity.commonName(certificate) + ") is revoked by the ISOS CA";
    }

    private void check(X509Certificate[] chain, String side) throws CertificateException {
        if (chain != null && chain.length > 0 && isRevoked(chain[0])) {
            String why = refusal(chain[0]);
            LOG.warning("refused a peer " + side + ": " + why);
            throw new CertificateException(why);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        anchors.checkClientTrusted(chain, authType, socket);
        check(chain, "connecting to this host");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        anchors.checkServerTrusted(chain, authType, socket);
        check(chain, "this host connected to");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        anchors.checkClientTrusted(chain, authType, engine);
        check(chain, "connecting to this host");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        anchors.checkServerTrusted(chain, authType, engine);
        check(chain, "this host connected to");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        anchors.checkClientTrusted(chain, authType);
        check(chain, "connecting to this host");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        anchors.checkServerTrusted(chain, authType);
        check(chain, "this host connected to");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return anchors.getAcceptedIssuers();
    }
}

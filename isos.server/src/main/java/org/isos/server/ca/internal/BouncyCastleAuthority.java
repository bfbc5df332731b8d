package org.isos.server.ca.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.isos.server.ca.CertificateAuthority;
import org.isos.server.ca.CertificateKind;
import org.isos.server.ca.CertificateRecord;
import org.isos.server.ca.CertificateRefused;
import org.isos.server.ca.IssuedCertificate;
import org.isos.server.ca.Revocation;
import org.isos.server.ca.TlsCredentials;
import org.isos.server.internal.ServerHome;
import org.isos.server.store.Store;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The CA over Bouncy Castle. The root key (EC P-256) and its self-signed certificate are made on
 * first start and kept in {@code <data>/ca/ca.p12}; {@code <data>/ca/root.pem} is a copy of the root
 * certificate for agents' trust anchors. Signing uses the JDK's providers; Bouncy Castle builds and
 * parses the ASN.1.
 */
@Component(service = CertificateAuthority.class, configurationPid = CaConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = CaConfig.class)
public class BouncyCastleAuthority implements CertificateAuthority {

    static final String ROOT_ALIAS = "isos-root";
    static final String SERVER_ALIAS = "isos-server";
    static final String SIGNATURE = "SHA256withECDSA";
    /** Ids the server assigns: they become a CN, so nothing that could be read as another RDN. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** A serial as callers give it (hexadecimal), compiled once: every mutual-TLS request checks one. */
    private static final Pattern SERIAL = Pattern.compile("[0-9a-f]{1,40}");
    private static final int MAX_CSR_BYTES = 16 * 1024;
    /** Leaves start a little in the past so hosts with a slow clock accept them at once. */
    private static final long BACKDATE_MINUTES = 5;

    private final CaConfig config;
    private final Store store;
    private final Path directory;
    private final char[] password;
    private final PrivateKey rootKey;
    private final X509Certificate root;
    private final SecureRandom random = new SecureRandom();
    /** Revoked certificates not yet expired: what heartbeats and mutual-TLS checks ask, without a query each. */
    private final RevocationList revocations;
    /**
     * Records of certificates found not revoked, by serial: asked on every mutual-TLS request. Their revocation
     * is looked up in {@link #revocations} on each use, so a cached record never hides a revocation.
     */
    private final Map<String, CertificateRecord> unrevoked = new ConcurrentHashMap<>();
    /** Beyond this many cached records the cache starts again (an instance's hosts fit with room to spare). */
    static final int MAX_CACHED_RECORDS = 250_000;

    @Activate
    public BouncyCastleAuthority(CaConfig config, @Reference ServerHome home, @Reference Store store)
            throws IOException, GeneralSecurityException, SQLException {
        this.config = config;
        this.store = store;
        this.directory = home.dataDirectory().resolve("ca");
        this.password = config.keyStorePassword().toCharArray();
        if (config.revocationRefreshMillis() < 1) {
            throw new IllegalArgumentException("revocationRefreshMillis must be >= 1, not "
                    + config.revocationRefreshMillis());
        }
        this.revocations = new RevocationList(this::loadRevocations, Duration.ofMillis(config.revocationRefreshMillis()));
        Files.createDirectories(directory);
        Path keyStore = directory.resolve("ca.p12");
        if (!Files.exists(keyStore)) {
            createRoot(keyStore);
        }
        KeyStore ks = load(keyStore, "CA key store");
        if (!ks.isKeyEntry(ROOT_ALIAS)) {
            throw new GeneralSecurityException(keyStore + " has no key entry " + ROOT_ALIAS);
        }
        this.rootKey = (PrivateKey) ks.getKey(ROOT_ALIAS, password);
        this.root = (X509Certificate) ks.getCertificate(ROOT_ALIAS);
        root.checkValidity();
        writeAtomically(directory.resolve("root.pem"), IssuedCertificate.pem(root).getBytes(StandardCharsets.US_ASCII));
        store.transaction(c -> {
            if (find(c, serialOf(root)).isEmpty()) {
                insert(c, CertificateKind.ROOT, root);
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ the root

    private void createRoot(Path keyStore) throws IOException, GeneralSecurityException {
        KeyPair pair = generateKeyPair();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "ISOS")
                .addRDN(BCStyle.CN, config.rootCommonName()).build();
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, newSerial(),
                Date.from(now.minus(BACKDATE_MINUTES, ChronoUnit.MINUTES)),
                Date.from(now.plus(config.rootValidityDays(), ChronoUnit.DAYS)), subject, pair.getPublic());
        JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(pair.getPublic()));
        X509Certificate certificate = sign(builder, pair.getPrivate());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(ROOT_ALIAS, pair.getPrivate(), password, new Certificate[] { certificate });
        save(ks, keyStore);
    }

    @Override
    public X509Certificate root() {
        return root;
    }

    @Override
    public String rootPem() {
        return IssuedCertificate.pem(root);
    }

    // ------------------------------------------------------------------ issuing

    @Override
    public IssuedCertificate issueHostCertificate(String hostId, byte[] csr) throws CertificateRefused, SQLException {
        return issueFromRequest(CertificateKind.HOST, "host", hostId, csr);
    }

    @Override
    public IssuedCertificate issueBuyerCertificate(String buyerId, byte[] csr) throws CertificateRefused, SQLException {
        return issueFromRequest(CertificateKind.BUYER, "buyer", buyerId, csr);
    }

    private IssuedCertificate issueFromRequest(CertificateKind kind, String role, String id, byte[] csr)
            throws CertificateRefused, SQLException {
        checkId(role, id);
        PKCS10CertificationRequest request = parse(csr);
        PublicKey key = verify(request);
        String cn = singleCommonName(request.getSubject(), "the certificate request");
        if (!cn.equals(id)) {
            throw new CertificateRefused("the certificate request is for CN=" + cn + " but the " + role
                    + " id assigned by the server is " + id + "; make the request with CN=" + id);
        }
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "ISOS").addRDN(BCStyle.OU, role)
                .addRDN(BCStyle.CN, id).build();
        int days = kind == CertificateKind.HOST ? config.hostValidityDays() : config.buyerValidityDays();
        return issue(kind, subject, key, days, List.of());
    }

    @Override
    public IssuedCertificate issueServerCertificate(PublicKey key, List<String> names)
            throws CertificateRefused, SQLException {
        if (names == null || names.isEmpty()) {
            throw new CertificateRefused("a server certificate needs at least one DNS name or IP address");
        }
        checkKey(key);
        for (String name : names) {
            if (name == null || name.isBlank() || !name.matches("[A-Za-z0-9._:*-]{1,253}")) {
                throw new CertificateRefused("'" + name + "' is not a DNS name or IP address");
            }
        }
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "ISOS")
                .addRDN(BCStyle.OU, "server").addRDN(BCStyle.CN, names.get(0)).build();
        return issue(CertificateKind.SERVER, subject, key, config.serverValidityDays(), names);
    }

    private IssuedCertificate issue(CertificateKind kind, X500Name subject, PublicKey key, int days,
            List<String> names) throws CertificateRefused, SQLException {
        Instant now = Instant.now();
        Instant notAfter = now.plus(days, ChronoUnit.DAYS);
        if (notAfter.isAfter(root.getNotAfter().toInstant())) {
            notAfter = root.getNotAfter().toInstant(); // nothing outlives its issuer
        }
        X509Certificate certificate;
        try {
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(root, newSerial(),
                    Date.from(now.minus(BACKDATE_MINUTES, ChronoUnit.MINUTES)), Date.from(notAfter), subject, key);
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(root));
            builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(key));
            int usage = KeyUsage.digitalSignature;
            if (key instanceof RSAPublicKey && kind != CertificateKind.BUYER) {
                usage |= KeyUsage.keyEncipherment; // RSA key exchange in older TLS
            }
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
            builder.addExtension(Extension.extendedKeyUsage, false, switch (kind) {
                case HOST -> new ExtendedKeyUsage(new KeyPurposeId[] { KeyPurposeId.id_kp_serverAuth,
                        KeyPurposeId.id_kp_clientAuth });
                case BUYER -> new ExtendedKeyUsage(KeyPurposeId.id_kp_codeSigning);
                case SERVER -> new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth);
                case ROOT -> throw new IllegalArgumentException("the root is not issued");
            });
            if (!names.isEmpty()) {
                List<GeneralName> alternatives = new ArrayList<>();
                for (String name : names) {
                    alternatives.add(isIpAddress(name) ? new GeneralName(GeneralName.iPAddress, name)
                            : new GeneralName(GeneralName.dNSName, name));
                }
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(alternatives.toArray(GeneralName[]::new)));
            }
            certificate = sign(builder, rootKey);
        } catch (CertIOException | GeneralSecurityException e) {
            throw new IllegalStateException("the CA could not build a " + kind.code() + " certificate: "
                    + e.getMessage(), e);
        }
        X509Certificate issued = certificate;
        store.transaction(c -> {
            insert(c, kind, issued);
            return null;
        });
        return new IssuedCertificate(kind, issued, List.of(issued, root));
    }

    private static boolean isIpAddress(String name) {
        return name.matches("\\d{1,3}(\\.\\d{1,3}){3}") || (name.contains(":") && name.matches("[0-9A-Fa-f:.]+"));
    }

    // ------------------------------------------------------------------ the server's own TLS credentials

    @Override
    public synchronized TlsCredentials serverCredentials(List<String> names) throws CertificateRefused, SQLException {
        Path file = directory.resolve("server-tls.p12");
        try {
            if (Files.exists(file)) {
                KeyStore ks = load(file, "server TLS key store");
                if (ks.isKeyEntry(SERVER_ALIAS)) {
                    Certificate[] chain = ks.getCertificateChain(SERVER_ALIAS);
                    X509Certificate leaf = (X509Certificate) chain[0];
                    if (stillGood(leaf, names)) {
                        List<X509Certificate> list = new ArrayList<>();
                        for (Certificate c : chain) {
                            list.add((X509Certificate) c);
                        }
                        return new TlsCredentials((PrivateKey) ks.getKey(SERVER_ALIAS, password), list);
                    }
                }
            }
            KeyPair pair = generateKeyPair();
            IssuedCertificate issued = issueServerCertificate(pair.getPublic(), names);
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(SERVER_ALIAS, pair.getPrivate(), password, issued.chain().toArray(Certificate[]::new));
            save(ks, file);
            return new TlsCredentials(pair.getPrivate(), issued.chain());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot keep the server's TLS credentials in " + file + ": "
                    + e.getMessage(), e);
        }
    }

    private boolean stillGood(X509Certificate leaf, List<String> names) throws GeneralSecurityException {
        try {
            leaf.verify(root.getPublicKey());
        } catch (GeneralSecurityException e) {
            return false; // issued by an earlier root
        }
        long life = leaf.getNotAfter().getTime() - leaf.getNotBefore().getTime();
        if (leaf.getNotAfter().getTime() - System.currentTimeMillis() < life / 3) {
            return false;
        }
        Set<String> has = new HashSet<>();
        Collection<List<?>> alternatives = leaf.getSubjectAlternativeNames();
        if (alternatives != null) {
            for (List<?> entry : alternatives) {
                has.add(String.valueOf(entry.get(1)).toLowerCase(Locale.ROOT));
            }
        }
        Set<String> wanted = new HashSet<>();
        for (String n : names) {
            wanted.add(n.toLowerCase(Locale.ROOT));
        }
        return has.equals(wanted) && isos(leaf).equals(names.get(0));
    }

    private static String isos(X509Certificate leaf) {
        try {
            return singleCommonName(X500Name.getInstance(leaf.getSubjectX500Principal().getEncoded()), "certificate");
        } catch (CertificateRefused e) {
            return "";
        }
    }

    // ------------------------------------------------------------------ revocation and records

    @Override
    public boolean revoke(String serial, String reason) throws CertificateRefused, SQLException {
        String s = normalizeSerial(serial);
        String why = reason == null || reason.isBlank() ? "unspecified"
                : reason.strip().substring(0, Math.min(200, reason.strip().length()));
        Object outcome = store.transaction(c -> {
            String kind;
            String commonName;
            OffsetDateTime expires;
            OffsetDateTime revokedAt;
            try (PreparedStatement q = c.prepareStatement(
                    "SELECT kind, revoked_at, common_name, expires FROM certificates WHERE serial = ? FOR UPDATE")) {
                q.setString(1, s);
                try (ResultSet rs = q.executeQuery()) {
                    if (!rs.next()) {
                        return "no certificate with serial " + s + " was issued by this CA";
                    }
                    kind = rs.getString(1);
                    revokedAt = rs.getObject(2, OffsetDateTime.class);
                    commonName = rs.getString(3);
                    expires = rs.getObject(4, OffsetDateTime.class);
                }
            }
            if (CertificateKind.ROOT.code().equals(kind)) {
                return "the root certificate cannot be revoked; replace the CA instead";
            }
            if (revokedAt != null) {
                return Boolean.FALSE;
            }
            OffsetDateTime at = now();
            try (PreparedStatement u = c.prepareStatement(
                    "UPDATE certificates SET revoked_at = ?, revocation_reason = ? WHERE serial = ?")) {
                u.setObject(1, at);
                u.setString(2, why);
                u.setString(3, s);
                u.executeUpdate();
            }
            return new RevocationList.Entry(new Revocation(s, commonName, CertificateKind.ofCode(kind), at.toInstant(),
                    why), expires.toInstant());
        });
        if (outcome instanceof String refusal) {
            throw new CertificateRefused(refusal);
        }
        if (outcome instanceof RevocationList.Entry entry) {
            // refused from now on by this instance: its next heartbeat or request finds it in the list
            unrevoked.remove(s);
            revocations.add(entry);
            return true;
        }
        return false;
    }

    /** Later than any revocation time: the upper bound of {@link #revokedSince}'s index range. */
    private static final OffsetDateTime REVOKED_BEFORE_ALL = OffsetDateTime.of(9999, 12, 31, 0, 0, 0, 0, ZoneOffset.UTC);

    /**
     * From the in-memory list: revocations committed on this instance are in it at once, those of another
     * instance over the same database within {@code revocationRefreshMillis} (agents ask from a minute before
     * their previous heartbeat, so none is missed).
     */
    @Override
    public List<Revocation> revokedSince(Instant since) throws SQLException {
        return revocations.since(since, now().toInstant());
    }

    /** Every revoked certificate not yet expired: the list's reload. */
    private List<RevocationList.Entry> loadRevocations() throws SQLException {
        return store.transaction(c -> {
            List<RevocationList.Entry> out = new ArrayList<>();
            // The upper bound keeps the index range to revoked rows: H2 (DEFAULT_NULL_ORDERING=HIGH) sorts the
            // NULLs of every unrevoked certificate after all times, so "revoked_at >= ?" alone walked the whole
            // table (60% of the server's CPU in ServerBench at 1,500 hosts when each heartbeat ran it).
            try (PreparedStatement q = c.prepareStatement("SELECT serial, common_name, kind, revoked_at, "
                    + "revocation_reason, expires FROM certificates WHERE revoked_at >= ? AND revoked_at <= ? "
                    + "AND expires > ?")) {
                q.setObject(1, OffsetDateTime.ofInstant(Instant.EPOCH, ZoneOffset.UTC));
                q.setObject(2, REVOKED_BEFORE_ALL);
                q.setObject(3, now());
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        out.add(new RevocationList.Entry(new Revocation(rs.getString(1), rs.getString(2),
                                CertificateKind.ofCode(rs.getString(3)), rs.getObject(4, OffsetDateTime.class).toInstant(),
                                rs.getString(5)), rs.getObject(6, OffsetDateTime.class).toInstant()));
                    }
                }
            }
            return out;
        });
    }

    /**
     * A record found not revoked is kept in memory and handed out again while the revocation list does not name
     * its serial; a revoked one (or one the list names) is read from the store each time, with its reason.
     */
    @Override
    public Optional<CertificateRecord> record(String serial) throws SQLException {
        String s;
        try {
            s = normalizeSerial(serial);
        } catch (CertificateRefused e) {
            return Optional.empty();
        }
        boolean listed = revocations.holds(s);
        if (!listed) {
            CertificateRecord cached = unrevoked.get(s);
            if (cached != null) {
                return Optional.of(cached);
            }
        }
        Optional<CertificateRecord> found = store.transaction(c -> find(c, s));
        if (found.isPresent() && !found.get().revoked() && !listed) {
            if (unrevoked.size() >= MAX_CACHED_RECORDS) {
                unrevoked.clear();
            }
            unrevoked.put(s, found.get());
        } else {
            unrevoked.remove(s);
        }
        return found;
    }

    private static Optional<CertificateRecord> find(Connection c, String serial) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("SELECT serial, subject, common_name, kind, issued, expires, "
                + "revoked_at, revocation_reason FROM certificates WHERE serial = ?")) {
            q.setString(1, serial);
            try (ResultSet rs = q.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                OffsetDateTime revoked = rs.getObject(7, OffsetDateTime.class);
                return Optional.of(new CertificateRecord(rs.getString(1), rs.getString(2), rs.getString(3),
                        CertificateKind.ofCode(rs.getString(4)), rs.getObject(5, OffsetDateTime.class).toInstant(),
                        rs.getObject(6, OffsetDateTime.class).toInstant(), revoked == null ? null : revoked.toInstant(),
                        rs.getString(8)));
            }
        }
    }

    private static void insert(Connection c, CertificateKind kind, X509Certificate certificate) throws SQLException {
        String cn;
        try {
            cn = singleCommonName(X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
                    "certificate");
        } catch (CertificateRefused e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO certificates (serial, subject, common_name, "
                + "kind, issued, expires, pem) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, serialOf(certificate));
            insert.setString(2, certificate.getSubjectX500Principal().getName());
            insert.setString(3, cn);
            insert.setString(4, kind.code());
            insert.setObject(5, now());
            insert.setObject(6, OffsetDateTime.ofInstant(certificate.getNotAfter().toInstant(), ZoneOffset.UTC));
            insert.setString(7, IssuedCertificate.pem(certificate));
            insert.executeUpdate();
        }
    }

    private static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    }

    static String serialOf(X509Certificate certificate) {
        return certificate.getSerialNumber().toString(16).toLowerCase(Locale.ROOT);
    }

    private static String normalizeSerial(String serial) throws CertificateRefused {
        String s = serial == null ? "" : serial.strip().toLowerCase(Locale.ROOT);
        if (s.startsWith("0x")) {
            s = s.substring(2);
        }
        if (!SERIAL.matcher(s).matches()) {
            throw new CertificateRefused("'" + serial + "' is not a certificate serial number (hexadecimal)");
        }
        return new BigInteger(s, 16).toString(16);
    }

    // ------------------------------------------------------------------ requests

    private static void checkId(String role, String id) throws CertificateRefused {
        if (id == null || !ID.matcher(id).matches()) {
            throw new CertificateRefused("'" + id + "' is not a valid " + role + " id (1 to 64 letters, digits, "
                    + "'.', '_' or '-', starting with a letter or digit)");
        }
    }

    private static PKCS10CertificationRequest parse(byte[] csr) throws CertificateRefused {
        if (csr == null || csr.length == 0) {
            throw new CertificateRefused("the certificate request is empty");
        }
        if (csr.length > MAX_CSR_BYTES) {
            throw new CertificateRefused("the certificate request has " + csr.length + " bytes, more than the "
                    + MAX_CSR_BYTES + " allowed");
        }
        try {
            String text = new String(csr, StandardCharsets.US_ASCII);
            if (text.contains("-----BEGIN")) {
                try (Reader reader = new StringReader(text); PEMParser pem = new PEMParser(reader)) {
                    Object object = pem.readObject();
                    if (object instanceof PKCS10CertificationRequest request) {
                        return request;
                    }
                    throw new CertificateRefused("the PEM data is "
                            + (object == null ? "empty or unreadable" : "a " + object.getClass().getSimpleName())
                            + ", not a PKCS#10 certificate request (BEGIN CERTIFICATE REQUEST)");
                }
            }
            return new PKCS10CertificationRequest(csr);
        } catch (IOException | RuntimeException e) {
            throw new CertificateRefused("the certificate request is not a PKCS#10 request in PEM or DER: "
                    + e.getMessage(), e);
        }
    }

    private static PublicKey verify(PKCS10CertificationRequest request) throws CertificateRefused {
        PublicKey key;
        try {
            key = new JcaPKCS10CertificationRequest(request).getPublicKey();
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new CertificateRefused("the certificate request's public key cannot be read: " + e.getMessage(), e);
        }
        checkKey(key);
        boolean valid;
        try {
            valid = request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key));
        } catch (OperatorCreationException | PKCSException | RuntimeException e) {
            throw new CertificateRefused("the certificate request's signature cannot be checked: " + e.getMessage(), e);
        }
        if (!valid) {
            throw new CertificateRefused("the certificate request's signature does not verify with the key it "
                    + "carries: it was altered or not signed by that key (proof of possession failed)");
        }
        return key;
    }

    private static void checkKey(PublicKey key) throws CertificateRefused {
        if (key instanceof ECPublicKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            if (bits < 256) {
                throw new CertificateRefused("the EC key has " + bits + " bits; at least 256 (P-256) are required");
            }
        } else if (key instanceof RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            if (bits < 2048) {
                throw new CertificateRefused("the RSA key has " + bits + " bits; at least 2048 are required");
            }
        } else {
            throw new CertificateRefused("keys must be EC (P-256 or larger) or RSA (2048 bits or more), not "
                    + (key == null ? "none" : key.getAlgorithm()));
        }
    }

    private static String singleCommonName(X500Name subject, String what) throws CertificateRefused {
        RDN[] cns = subject.getRDNs(BCStyle.CN);
        if (cns.length == 0) {
            throw new CertificateRefused(what + " has no CN in its subject (" + subject + ")");
        }
        if (cns.length > 1 || cns[0].isMultiValued()) {
            throw new CertificateRefused(what + " has more than one CN in its subject (" + subject + ")");
        }
        ASN1Encodable value = cns[0].getFirst().getValue();
        return IETFUtils.valueToString(value);
    }

    // ------------------------------------------------------------------ keys, signing, files

    private static KeyPair generateKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private BigInteger newSerial() {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        bytes[0] &= 0x7f;
        bytes[0] |= 0x40; // positive, 127 bits, never zero (RFC 5280: at most 20 octets)
        return new BigInteger(1, bytes);
    }

    @Override
    public byte[] signStatement(String purpose, byte[] statement) {
        byte[] signed = statementBytes(purpose, statement);
        try {
            java.security.Signature signer = java.security.Signature.getInstance(SIGNATURE);
            signer.initSign(rootKey, random);
            signer.update(signed);
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a " + purpose + " statement with the root key: " + e, e);
        }
    }

    /** What {@link #signStatement} signs: {@code "ISOS <purpose>\n"} and the statement. */
    static byte[] statementBytes(String purpose, byte[] statement) {
        if (purpose == null || !purpose.matches("[a-z][a-z0-9-]{0,39}")) {
            throw new IllegalArgumentException("a statement's purpose must be 1 to 40 characters of [a-z0-9-], "
                    + "starting with a letter, not '" + purpose + "'");
        }
        if (statement == null || statement.length == 0) {
            throw new IllegalArgumentException("an empty " + purpose + " statement is not signed");
        }
        byte[] prefix = ("ISOS " + purpose + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] signed = java.util.Arrays.copyOf(prefix, prefix.length + statement.length);
        System.arraycopy(statement, 0, signed, prefix.length, statement.length);
        return signed;
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws GeneralSecurityException {
        try {
            ContentSigner signer = new JcaContentSignerBuilder(SIGNATURE).build(key);
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign: " + e.getMessage(), e);
        }
    }

    private KeyStore load(Path file, String what) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, password);
        } catch (IOException e) {
            throw new IOException("cannot open the " + what + " " + file + " (wrong keyStorePassword?): "
                    + e.getMessage(), e);
        }
        return ks;
    }

    private void save(KeyStore ks, Path file) throws IOException, GeneralSecurityException {
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        try {
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            }
            try (OutputStream out = Files.newOutputStream(tmp)) {
                ks.store(out, password);
            }
            move(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeAtomically(Path file, byte[] content) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, content);
            move(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}

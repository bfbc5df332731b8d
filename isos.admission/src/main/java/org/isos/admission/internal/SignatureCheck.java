package org.isos.admission.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.CodeSigner;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

import org.isos.admission.AdmissionRefused;
import org.isos.admission.Rule;
import org.isos.admission.internal.SignedJar.Entry;

/**
 * Decides who answers for a bundle: exactly one signer must cover all of its code, and that signer's
 * certificate must be an ISOS-issued code-signing certificate, valid now. The buyer is its subject CN.
 */
public final class SignatureCheck {

    private static final String CODE_SIGNING = "1.3.6.1.5.5.7.3.3";
    /** Digests the JDK never disables, so a digest in one of them was really checked. */
    private static final Set<String> STRONG_DIGESTS = Set.of("SHA-256", "SHA-384", "SHA-512", "SHA3-256", "SHA3-384",
            "SHA3-512");

    /** The buyer and the chain that vouches for it, leaf first, without the trust anchor. */
    public record Signer(String buyer, List<X509Certificate> chain) {
    }

    private final Set<TrustAnchor> anchors;
    private final List<X509Certificate> anchorCertificates;

    public SignatureCheck(Collection<X509Certificate> trustAnchors) {
        this.anchorCertificates = List.copyOf(trustAnchors);
        Set<TrustAnchor> set = new HashSet<>();
        for (X509Certificate anchor : anchorCertificates) {
            set.add(new TrustAnchor(anchor, null));
        }
        this.anchors = Set.copyOf(set);
    }

    /** Applies the signature rules, in {@link Rule} order, to a jar read with verification on. */
    public Signer check(SignedJar jar, String expectedBuyer) throws AdmissionRefused {
        List<Entry> unsignedWithDigest = new ArrayList<>();
        checkCoverage(jar, unsignedWithDigest);
        checkIntegrity(jar, unsignedWithDigest);
        List<X509Certificate> chain = soleSigner(jar);
        String buyer = checkTrust(chain);
        if (expectedBuyer != null && !expectedBuyer.equals(buyer)) {
            throw new AdmissionRefused(Rule.WRONG_BUYER, "signed by buyer '" + buyer + "', expected '" + expectedBuyer + "'");
        }
        return new Signer(buyer, chain);
    }

    /** UNSIGNED: no signature at all, an entry outside it, or a manifest whose headers it does not cover. */
    private static void checkCoverage(SignedJar jar, List<Entry> unsignedWithDigest) throws AdmissionRefused {
        boolean anySigned = jar.entries().stream().anyMatch(e -> e.signed() || e.tampered() != null);
        if (!anySigned) {
            List<String> signatureFiles = jar.entries().stream().map(Entry::name)
                    .filter(SignedJar::isSignatureRelated).toList();
            throw new AdmissionRefused(Rule.UNSIGNED, signatureFiles.isEmpty() ? "the jar carries no signature"
                    : "no entry is covered by a valid signature (the signature in " + String.join(", ", signatureFiles)
                            + " does not verify, or uses algorithms the JDK no longer accepts)");
        }
        Map<String, Attributes> sections = jar.manifest().getEntries();
        for (Entry entry : jar.entries()) {
            if (entry.signed() || entry.tampered() != null || !mustBeSigned(entry, jar.bundleManifest())) {
                continue;
            }
            if (hasDigest(sections.get(entry.name()))) {
                unsignedWithDigest.add(entry); // listed as signed, yet not vouched for: see checkIntegrity
                continue;
            }
            throw new AdmissionRefused(Rule.UNSIGNED, entry.name() + " is not signed");
        }
        for (var sf : jar.signatureFiles().entrySet()) {
            if (!coversMainAttributes(sf.getValue(), jar.rawManifest())) {
                throw new AdmissionRefused(Rule.UNSIGNED, "the signature " + sf.getKey()
                        + " does not cover the manifest's main headers with SHA-256 or stronger, so the OSGi headers are unsigned");
            }
        }
    }

    /** TAMPERED: content that no longer matches its digest, or signed entries that went missing. */
    private static void checkIntegrity(SignedJar jar, List<Entry> unsignedWithDigest) throws AdmissionRefused {
        for (Entry entry : jar.entries()) {
            if (entry.tampered() != null) {
                throw new AdmissionRefused(Rule.TAMPERED, entry.name() + " does not match its signature: "
                        + entry.tampered());
            }
        }
        if (!unsignedWithDigest.isEmpty()) {
            throw new AdmissionRefused(Rule.TAMPERED, unsignedWithDigest.get(0).name()
                    + " has a manifest digest that the signature no longer vouches for (its manifest section changed after signing)");
        }
        Set<String> present = new HashSet<>();
        jar.entries().forEach(e -> present.add(e.name()));
        for (var section : jar.manifest().getEntries().entrySet()) {
            if (hasDigest(section.getValue()) && !present.contains(section.getKey())) {
                throw new AdmissionRefused(Rule.TAMPERED, section.getKey()
                        + " is signed in the manifest but missing from the jar");
            }
        }
    }

    /** MULTIPLE_SIGNERS: the one signer of every signed entry. */
    private List<X509Certificate> soleSigner(SignedJar jar) throws AdmissionRefused {
        List<? extends Certificate> sole = null;
        String soleEntry = null;
        for (Entry entry : jar.entries()) {
            if (!entry.signed()) {
                continue;
            }
            CodeSigner[] signers = entry.signers();
            if (signers.length > 1) {
                Set<String> names = new LinkedHashSet<>();
                for (CodeSigner signer : signers) {
                    names.add(subject(signer.getSignerCertPath().getCertificates()));
                }
                throw new AdmissionRefused(Rule.MULTIPLE_SIGNERS, entry.name() + " is signed by " + signers.length
                        + " signers: " + String.join("; ", names));
            }
            List<? extends Certificate> path = signers[0].getSignerCertPath().getCertificates();
            if (sole == null) {
                sole = path;
                soleEntry = entry.name();
            } else if (!sole.equals(path)) {
                throw new AdmissionRefused(Rule.MULTIPLE_SIGNERS, entry.name() + " is signed by " + subject(path)
                        + " but " + soleEntry + " by " + subject(sole));
            }
        }
        if (sole == null) {
            throw new AdmissionRefused(Rule.UNSIGNED, "no entry carries a valid signature");
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (Certificate c : sole) {
            if (!(c instanceof X509Certificate x509)) {
                throw new AdmissionRefused(Rule.UNTRUSTED_SIGNER, "the signer's certificate is not X.509");
            }
            chain.add(x509);
        }
        // PKIX wants the path without its anchor; jarsigner often includes the root
        while (chain.size() > 1 && anchorCertificates.contains(chain.get(chain.size() - 1))) {
            chain.remove(chain.size() - 1);
        }
        return List.copyOf(chain);
    }

    /** UNTRUSTED_SIGNER: chain to an anchor, validity now, code-signing usage, a single CN; returns the CN. */
    private String checkTrust(List<X509Certificate> chain) throws AdmissionRefused {
        X509Certificate leaf = chain.get(0);
        String who = leaf.getSubjectX500Principal().getName();
        try {
            leaf.checkValidity();
        } catch (CertificateExpiredException e) {
            throw untrusted(who + " expired on " + leaf.getNotAfter().toInstant());
        } catch (CertificateNotYetValidException e) {
            throw untrusted(who + " is not valid before " + leaf.getNotBefore().toInstant());
        }
        if (anchors.isEmpty()) {
            throw untrusted(who + " cannot be trusted: no trust anchors are configured");
        }
        try {
            PKIXParameters parameters = new PKIXParameters(anchors);
            parameters.setRevocationEnabled(false); // ISOS revokes by ending leases, not by CRL
            parameters.setDate(new Date());
            CertPathValidator.getInstance("PKIX")
                    .validate(CertificateFactory.getInstance("X.509").generateCertPath(chain), parameters);
        } catch (CertPathValidatorException e) {
            throw untrusted(who + " (issued by " + leaf.getIssuerX500Principal().getName()
                    + ") does not chain to an ISOS trust anchor: " + e.getMessage());
        } catch (GeneralSecurityException e) {
            throw untrusted(who + " cannot be validated: " + e.getMessage());
        }
        try {
            List<String> usages = leaf.getExtendedKeyUsage();
            if (usages != null && !usages.contains(CODE_SIGNING)) {
                throw untrusted(who + " is not a code-signing certificate (extended key usages " + usages + ")");
            }
        } catch (CertificateParsingException e) {
            throw untrusted(who + " has an unreadable extended key usage: " + e.getMessage());
        }
        boolean[] keyUsage = leaf.getKeyUsage();
        if (keyUsage != null && !keyUsage[0]) {
            throw untrusted(who + " may not make digital signatures (key usage)");
        }
        return commonName(leaf, who);
    }

    private static String commonName(X509Certificate leaf, String who) throws AdmissionRefused {
        List<String> names = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    names.add(String.valueOf(rdn.getValue()));
                }
            }
        } catch (InvalidNameException e) {
            throw untrusted(who + " has a subject that cannot be parsed");
        }
        if (names.size() != 1 || names.get(0).isBlank()) {
            throw untrusted(who + " must name exactly one buyer in its subject CN");
        }
        return names.get(0);
    }

    /**
     * Whether the signature file vouches for the manifest's main section. The JDK checks a
     * main-attributes digest when there is one, but silently accepts a signature file without any,
     * which would leave Import-Package and friends open to whoever handles the jar.
     */
    private static boolean coversMainAttributes(byte[] signatureFile, byte[] rawManifest) {
        Manifest sf;
        try {
            sf = new Manifest(new ByteArrayInputStream(signatureFile));
        } catch (IOException e) {
            return false;
        }
        for (var attribute : sf.getMainAttributes().entrySet()) {
            String key = attribute.getKey().toString().toUpperCase(Locale.ROOT);
            if (key.endsWith("-DIGEST-MANIFEST-MAIN-ATTRIBUTES")
                    && STRONG_DIGESTS.contains(key.substring(0, key.length() - "-DIGEST-MANIFEST-MAIN-ATTRIBUTES".length()))) {
                return true; // the verifier compared it (or threw, which counts as tampering)
            }
            if (key.endsWith("-DIGEST-MANIFEST")) {
                String algorithm = key.substring(0, key.length() - "-DIGEST-MANIFEST".length());
                if (STRONG_DIGESTS.contains(algorithm) && digestMatches(algorithm, rawManifest, attribute.getValue())) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean digestMatches(String algorithm, byte[] data, Object base64) {
        try {
            return MessageDigest.isEqual(MessageDigest.getInstance(algorithm).digest(data),
                    Base64.getMimeDecoder().decode(base64.toString()));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Entries whose content must be signed. META-INF is the jar tools' space (Maven metadata and the
     * like), tolerated unsigned; but code loaded from there, multi-release classes and anything on the
     * Bundle-ClassPath, must be signed like the rest.
     */
    private static boolean mustBeSigned(Entry entry, BundleManifest manifest) {
        String name = entry.name();
        if (entry.directory() || SignedJar.isSignatureRelated(name)) {
            return false;
        }
        String upper = name.toUpperCase(Locale.ROOT);
        if (!upper.startsWith("META-INF/")) {
            return true;
        }
        if (upper.startsWith("META-INF/VERSIONS/") || SignedJar.isClass(name)) {
            return true;
        }
        for (String path : manifest.classPath()) {
            if (name.equals(path) || name.startsWith(path.endsWith("/") ? path : path + "/")) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasDigest(Attributes section) {
        if (section == null) {
            return false;
        }
        for (Object key : section.keySet()) {
            if (key.toString().toUpperCase(Locale.ROOT).endsWith("-DIGEST")) {
                return true;
            }
        }
        return false;
    }

    private static String subject(List<? extends Certificate> path) {
        return path.isEmpty() || !(path.get(0) instanceof X509Certificate x509) ? "an unknown signer"
                : x509.getSubjectX500Principal().getName();
    }

    private static AdmissionRefused untrusted(String detail) {
        return new AdmissionRefused(Rule.UNTRUSTED_SIGNER, detail);
    }
}

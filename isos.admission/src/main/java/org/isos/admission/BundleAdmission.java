package org.isos.admission;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

import org.isos.admission.internal.BytecodeScan;
import org.isos.admission.internal.ManifestRules;
import org.isos.admission.internal.SignatureCheck;
import org.isos.admission.internal.SignedJar;
import org.isos.admission.internal.ZipLayout;

/**
 * The gate every app bundle passes: the server runs it when a buyer uploads a bundle, and each host's
 * kernel runs it again before installing the bundle under a lease, because the bytes crossed the
 * Internet and sat on a volunteer's disk in between. One implementation for both, so the server never
 * accepts what a host would refuse.
 *
 * <p>{@link #admit} checks the {@link Rule}s in their declared order and refuses with the first one
 * broken. It needs nothing but the JDK and ASM, and holds no state between calls: one instance can
 * serve concurrent uploads.
 */
public final class BundleAdmission {

    private final AdmissionPolicy policy;
    private final SignatureCheck signatures;

    /**
     * @param trustAnchors the ISOS certificate authorities whose code-signing certificates identify buyers
     */
    public BundleAdmission(AdmissionPolicy policy, Collection<X509Certificate> trustAnchors) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.signatures = new SignatureCheck(List.copyOf(trustAnchors));
    }

    public AdmissionPolicy policy() {
        return policy;
    }

    /**
     * Checks everything about a bundle before any of its code can run.
     *
     * @param jar               the bundle as uploaded or as received with a lease
     * @param expectedSha256Hex the digest the buyer registered (hex; case is ignored), or null to skip
     *                          the digest check
     * @param expectedBuyer     the buyer holding the lease (the CN of their certificate), or null to
     *                          accept any trusted buyer
     * @return what was admitted, including the buyer who signed it
     * @throws AdmissionRefused with the first rule broken and what exactly broke it
     */
    public AdmittedBundle admit(byte[] jar, String expectedSha256Hex, String expectedBuyer) throws AdmissionRefused {
        Objects.requireNonNull(jar, "jar");
        if (jar.length > policy.maxBundleBytes()) {
            throw new AdmissionRefused(Rule.MALFORMED, "the jar has " + jar.length + " bytes, more than the "
                    + policy.maxBundleBytes() + " allowed");
        }
        List<String> names = ZipLayout.entryNames(jar, "the jar");
        BytecodeScan bytecode = new BytecodeScan();
        SignedJar read = SignedJar.read(jar, names, policy.maxExpandedBytes(), (int) policy.maxBundleBytes(), bytecode);

        String sha256 = sha256Hex(jar);
        if (expectedSha256Hex != null && !expectedSha256Hex.trim().equalsIgnoreCase(sha256)) {
            throw new AdmissionRefused(Rule.DIGEST_MISMATCH, "expected SHA-256 " + expectedSha256Hex + " but the jar has "
                    + sha256);
        }

        SignatureCheck.Signer signer = signatures.check(read, expectedBuyer);
        ManifestRules.check(read.bundleManifest(), policy);
        var refusal = bytecode.refusal();
        if (refusal.isPresent()) {
            throw refusal.get();
        }
        return new AdmittedBundle(read.bundleManifest().symbolicName(), read.bundleManifest().version(), signer.buyer(),
                signer.chain(), sha256);
    }

    /** SHA-256 of {@code data} as lowercase hex: how ISOS names bundles. */
    public static String sha256Hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}

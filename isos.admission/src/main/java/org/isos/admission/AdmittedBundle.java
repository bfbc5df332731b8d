package org.isos.admission;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * A bundle that passed every admission rule.
 *
 * @param symbolicName the {@code Bundle-SymbolicName}, without directives
 * @param version      the {@code Bundle-Version}, normalised to {@code major.minor.micro[.qualifier]}
 *                     ({@code 0.0.0} when absent)
 * @param buyer        the CN of the signing certificate's subject: the buyer who answers for the code
 * @param signerChain  the signer's certificate chain as validated, leaf first, without the trust anchor
 * @param sha256Hex    SHA-256 of the jar bytes, lowercase hex
 */
public record AdmittedBundle(String symbolicName, String version, String buyer, List<X509Certificate> signerChain,
        String sha256Hex) {

    public AdmittedBundle {
        Objects.requireNonNull(symbolicName, "symbolicName");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(buyer, "buyer");
        signerChain = List.copyOf(signerChain);
        Objects.requireNonNull(sha256Hex, "sha256Hex");
    }

    /** The signing (leaf) certificate. */
    public X509Certificate signer() {
        return signerChain.get(0);
    }
}

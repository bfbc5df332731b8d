package org.isos.kernel.host;

import java.util.Collection;
import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The host certificates this kernel's transport no longer trusts, as the agent learns them from the ISOS CA
 * (the serials in its heartbeat answers). Part of the transport's configuration, for the agent only: a peer
 * whose certificate serial is listed is refused at the TLS handshake, whether it connects or is connected to,
 * and connections already open with it are closed.
 *
 * @since 1.1
 */
@ProviderType
public interface PeerRevocations {

    /**
     * Adds serials (hex, as the CA lists them; case and leading zeros do not matter) to the revoked set and
     * closes every open connection with a peer whose certificate carries one. Serials of other kinds of
     * certificate (code signers) may be among them: no peer presents those.
     *
     * @throws IllegalArgumentException naming a serial that is not hex; none of the serials is taken then
     */
    void revoke(Collection<String> serials);

    /** The revoked serials, lower-case hex without leading zeros. */
    Set<String> revoked();
}

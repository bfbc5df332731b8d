package org.isos.kernel.host;

import java.net.InetSocketAddress;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/** Where other hosts' kernels listen, as the agent learns it from the server. */
@ProviderType
public interface PeerDirectory {

    void put(String hostId, InetSocketAddress address);

    Optional<InetSocketAddress> find(String hostId);

    /** This host's id, as peers and the server know it (the CN of its certificate). */
    String hostId();

    /** Where this host's kernel listens for peers and clients. */
    InetSocketAddress localAddress();
}

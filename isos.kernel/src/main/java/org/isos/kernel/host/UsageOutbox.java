package org.isos.kernel.host;

import java.util.List;

import org.isos.kernel.wire.UsageRecord;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Signed usage records not yet delivered to the server. They are kept on disk until the agent
 * reports them delivered, across restarts and server outages.
 */
@ProviderType
public interface UsageOutbox {

    /** Closes the current period of every lease into signed records, then returns all undelivered. */
    List<UsageRecord> flush();

    /** Records still waiting for delivery, oldest first. */
    List<UsageRecord> pending();

    /** The server has the record: forget it. */
    void delivered(String leaseId, long sequence);
}

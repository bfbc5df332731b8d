package org.isos.agent.host;

import org.osgi.annotation.versioning.ProviderType;

/** Describes this host, with its current free disk space and availability so far. */
@ProviderType
public interface HostSurvey {

    HostDescription describe();
}

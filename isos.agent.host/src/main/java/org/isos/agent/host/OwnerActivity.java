package org.isos.agent.host;

import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The agent's judgement of whether app work may run now: the owner is not using the machine and the
 * owner's usage policy allows it. Provided by the {@code ActivityMonitor}, which drives the kernel's
 * {@code org.isos.kernel.host.Availability}.
 */
@ProviderType
public interface OwnerActivity {

    /**
     * The owner is using the machine now: app work is suspended before this returns, and resumes only
     * after the policy's idle period passes with no further activity.
     */
    void ownerActive(String why);

    /** Whether app work is held back now. */
    boolean holding();

    /** Why app work is held back; empty while it runs. */
    String reason();

    /** The owner's policy in force; empty while the configured one is refused (app work is then held). */
    Optional<OwnerPolicy> policy();
}
